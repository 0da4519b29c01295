//! `pactlog edit`: change a pact's metadata.

use crate::cli::Context;
use crate::command::Editing;
use crate::log::store::AppendOptions;
use crate::model::error::Error;
use crate::model::event::{Edit, EventBody};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pactlog edit open-skies --add-party BY --add-alias OST \\\n    \
    --name 'Treaty on Open Skies'"
)]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
    /// The new name.
    #[arg(long)]
    name: Option<String>,
    /// An alias to add (repeatable).
    #[arg(long = "add-alias", value_name = "A")]
    add_aliases: Vec<String>,
    /// An alias to take away (repeatable).
    #[arg(long = "remove-alias", value_name = "A")]
    remove_aliases: Vec<String>,
    /// A party to add (repeatable).
    #[arg(long = "add-party", value_name = "P")]
    add_parties: Vec<String>,
    /// A party to take away (repeatable): its statuses stay recorded.
    #[arg(long = "remove-party", value_name = "P")]
    remove_parties: Vec<String>,
    /// The new kind: agreement, policy, dispute, ...
    #[arg(long)]
    kind: Option<String>,
    /// The new description.
    #[arg(long)]
    description: Option<String>,
    /// The new source of the registration: outlet and title.
    #[arg(long)]
    source: Option<String>,
    /// The new link to that source.
    #[arg(long)]
    url: Option<String>,
    /// Fail with exit code 3 unless the stream's last seq is N.
    #[arg(long, value_name = "N")]
    expect_seq: Option<u64>,
    /// Print the stored event as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let editing = Editing::new(Edit {
            name: self.name.clone(),
            add_aliases: self.add_aliases.clone(),
            remove_aliases: self.remove_aliases.clone(),
            add_parties: self.add_parties.clone(),
            remove_parties: self.remove_parties.clone(),
            kind: self.kind.clone(),
            description: self.description.clone(),
            source: self.source.clone(),
            url: self.url.clone(),
        })
        .map_err(|e| match e {
            Error::Usage { message, .. } => Error::Usage {
                message,
                hint: Some(
                    "give what changes: --name, --add-alias, --remove-alias, --add-party, \
                     --remove-party, --kind, --description, --source or --url"
                        .into(),
                ),
            },
            e => e,
        })?;
        let id = ctx.store.resolve(&self.pact)?;
        let options = AppendOptions {
            expect_seq: self.expect_seq,
        };
        let event = editing.record(&ctx.store, &id, options, ctx.now)?;
        if self.json {
            return ctx.json(&event);
        }
        let EventBody::Edited(edit) = &event.body else {
            unreachable!("an edit records an edited event")
        };
        writeln!(
            ctx.out,
            "{id}: edited ({}), recorded as seq {} ({})",
            crate::cli::errata::edit_words(edit),
            event.seq,
            event.id
        )?;
        Ok(())
    }
}
