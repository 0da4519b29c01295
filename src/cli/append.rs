//! `pactlog append`: record a status change.

use crate::cli::Context;
use crate::command::{Sourced, Write, status_change};
use crate::log::store::AppendOptions;
use crate::model::error::Error;
use crate::model::status::Status;
use crate::model::time::parse_effective;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pactlog append gsomia termination-notified --on 2019-08-23 \\\n    \
    --source 'Yonhap: Seoul notifies Tokyo of GSOMIA termination' --url https://en.yna.co.kr/..."
)]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
    /// The new status, e.g. in-force, "termination notified", NORMALIZED.
    status: String,
    /// The date the status took effect: YYYY-MM-DD or today, or YYYY-MM or
    /// YYYY when only that is known, perhaps followed by ? (unsure) or ~
    /// (approximate).
    #[arg(long, value_name = "DATE")]
    on: String,
    /// The party whose status it is (repeat for several): one of the
    /// pact's parties. Without it, the status is the pact's as a whole.
    #[arg(long = "party", value_name = "P")]
    parties: Vec<String>,
    /// Where it is reported: outlet and title.
    #[arg(long)]
    source: Option<String>,
    /// A link to the source.
    #[arg(long)]
    url: Option<String>,
    /// A remark to keep with the event.
    #[arg(long)]
    note: Option<String>,
    /// Known only from reports, not yet officially confirmed.
    #[arg(long)]
    reported: bool,
    /// Fail with exit code 3 unless the stream's last seq is N.
    #[arg(long, value_name = "N")]
    expect_seq: Option<u64>,
    /// Record it even though the lifecycle does not allow it (it is stored as
    /// forced, and `verify` lists it).
    #[arg(long)]
    force: bool,
    /// Print the stored event as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let status = Status::parse(&self.status)?;
        let on = parse_effective(&self.on, ctx.today)?;
        let sourced = Sourced {
            source: self.source.as_deref(),
            url: self.url.as_deref(),
        };
        let note = self.note.as_deref();
        let write = Write::Status(status_change(
            status,
            on,
            sourced,
            note,
            (self.reported, self.force),
        )?)
        .for_parties(&self.parties)?;
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
        let forced = if self.force { ", forced" } else { "" };
        let parties = match event.status_change().map(|c| c.parties.join(", ")) {
            Some(parties) if !parties.is_empty() => format!(" for {parties}"),
            _ => String::new(),
        };
        writeln!(
            ctx.out,
            "{id}: {status}{parties} {}{scheduled}, recorded as seq {}{forced} ({})",
            on.on_or_in(),
            event.seq,
            event.id
        )?;
        Ok(())
    }
}
