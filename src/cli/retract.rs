//! `pactlog retract`: withdraw an event that was recorded in error.

use crate::cli::{Context, event_id};
use crate::command::Write;
use crate::log::store::AppendOptions;
use crate::model::error::Error;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pactlog retract gsomia 01a225c3-2b0f-73e8-9031-a6a8d1d4c9a7 \
    --reason 'notice suspended'"
)]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
    /// The id of the event to withdraw (`pactlog log PACT` shows the ids).
    event_id: String,
    /// Why it is withdrawn.
    #[arg(long)]
    reason: String,
    /// Fail with exit code 3 unless the stream's last seq is N.
    #[arg(long, value_name = "N")]
    expect_seq: Option<u64>,
    /// Print the stored event as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let target = event_id(&self.event_id, &self.pact)?;
        let write = Write::retraction(target, &self.reason)?;
        let id = ctx.store.resolve(&self.pact)?;
        let options = AppendOptions {
            expect_seq: self.expect_seq,
        };
        let event = write.record(&ctx.store, &id, options, ctx.now)?;
        if self.json {
            return ctx.json(&event);
        }
        writeln!(
            ctx.out,
            "{id}: retracted event {target}, recorded as seq {} ({})",
            event.seq, event.id
        )?;
        Ok(())
    }
}
