//! `pactlog register`: create a pact's stream.

use crate::cli::Context;
use crate::cli::output::path_text;
use crate::command::Registration;
use crate::model::error::Error;
use crate::model::pact::{Pact, PactId};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pactlog register gsomia --name \"Korea-Japan GSOMIA\" \
    --alias GSOMIA --party KR --party JP --kind agreement"
)]
pub struct Args {
    /// The pact's id: lowercase letters, digits and inner dashes (e.g. gsomia).
    pact: String,
    /// Its name.
    #[arg(long)]
    name: String,
    /// Another name it answers to, matched case-insensitively (repeatable).
    #[arg(long = "alias", value_name = "ALIAS")]
    aliases: Vec<String>,
    /// A party to it (repeatable), e.g. KR.
    #[arg(long = "party", value_name = "PARTY")]
    parties: Vec<String>,
    /// What kind of pact it is: agreement, policy, ...
    #[arg(long)]
    kind: Option<String>,
    /// A longer description.
    #[arg(long)]
    description: Option<String>,
    /// Where the name and description come from: outlet and title.
    #[arg(long)]
    source: Option<String>,
    /// A link to that source.
    #[arg(long)]
    url: Option<String>,
    /// Print the stored event as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let pact = Pact {
            id: PactId::parse(&self.pact)?,
            name: self.name.clone(),
            aliases: self.aliases.clone(),
            parties: self.parties.clone(),
            kind: self.kind.clone(),
            description: self.description.clone(),
            source: self.source.clone(),
            url: self.url.clone(),
        };
        let event = Registration::new(pact)?.record(&ctx.store, ctx.now)?;
        if self.json {
            return ctx.json(&event);
        }
        let path = ctx.store.stream_path(&event.pact);
        writeln!(ctx.out, "registered {} in {}", event.pact, path_text(&path))?;
        Ok(())
    }
}
