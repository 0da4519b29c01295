//! `pactlog cite`: add a source to an earlier status or note.

use crate::cli::{Context, event_id};
use crate::command::Write;
use crate::log::store::AppendOptions;
use crate::model::error::Error;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pactlog cite gsomia 01a225c3-2b0f-73e8-9031-a6a8d1d4c9a7 \\\n    \
    --source 'MOFA Japan: Statement by the Foreign Minister' --url https://www.mofa.go.jp/... --official"
)]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
    /// The id of the status or note to cite (`pactlog log PACT` shows the
    /// ids).
    event_id: String,
    /// Where it is reported: outlet and exact title.
    #[arg(long)]
    source: String,
    /// A link to the source.
    #[arg(long)]
    url: Option<String>,
    /// The source is official: it confirms the event.
    #[arg(long)]
    official: bool,
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
        let write = Write::citation(target, &self.source, self.url.as_deref(), self.official)?;
        let id = ctx.store.resolve(&self.pact)?;
        let options = AppendOptions {
            expect_seq: self.expect_seq,
        };
        let event = write.record(&ctx.store, &id, options, ctx.now)?;
        if self.json {
            return ctx.json(&event);
        }
        let official = if self.official { " (official)" } else { "" };
        writeln!(
            ctx.out,
            "{id}: cited event {target}{official}, recorded as seq {} ({})",
            event.seq, event.id
        )?;
        Ok(())
    }
}
