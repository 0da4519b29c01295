//! `pactlog note`: record a dated annotation that changes no status.

use crate::cli::Context;
use crate::command::{Sourced, Write};
use crate::log::store::AppendOptions;
use crate::model::error::Error;
use crate::model::time::parse_effective;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pactlog note gsomia 'Seoul announces it will terminate GSOMIA' \
    --on 2019-08-22 --source 'Yonhap'"
)]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
    /// What happened.
    text: String,
    /// The date it is about: YYYY-MM-DD or today.
    #[arg(long, value_name = "DATE")]
    on: String,
    /// The party it concerns (repeat for several): one of the pact's
    /// parties. Without it, it concerns the pact as a whole.
    #[arg(long = "party", value_name = "P")]
    parties: Vec<String>,
    /// Where it is reported: outlet and title.
    #[arg(long)]
    source: Option<String>,
    /// A link to the source.
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
        let on = parse_effective(&self.on, ctx.today)?;
        let sourced = Sourced {
            source: self.source.as_deref(),
            url: self.url.as_deref(),
        };
        let write = Write::note(on, &self.text, sourced)?.for_parties(&self.parties)?;
        let id = ctx.store.resolve(&self.pact)?;
        let options = AppendOptions {
            expect_seq: self.expect_seq,
        };
        let event = write.record(&ctx.store, &id, options, ctx.now)?;
        if self.json {
            return ctx.json(&event);
        }
        let scheduled = if on.is_after(ctx.today) {
            " (scheduled)"
        } else {
            ""
        };
        writeln!(
            ctx.out,
            "{id}: note {}{scheduled}, recorded as seq {} ({})",
            on.on_or_in(),
            event.seq,
            event.id
        )?;
        Ok(())
    }
}
