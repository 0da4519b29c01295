//! `pactlog amend`: correct a status or note in one step.

use crate::cli::{Context, event_id};
use crate::command::{Amending, Correction};
use crate::log::store::AppendOptions;
use crate::model::error::Error;
use crate::model::event::EventBody;
use crate::model::status::Status;
use crate::model::time::parse_effective;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pactlog amend jp-kr-three-materials 01a225c3-2b0f-73e8-9031-a6a8d1d4c9a7 \\\n    \
    --on 2019-07-04 --reason 'the measure took effect on 4 July, not on its announcement'"
)]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
    /// The id of the status or note to correct (`pactlog log PACT` shows
    /// the ids).
    event_id: String,
    /// The corrected date: YYYY-MM-DD or today, or YYYY-MM or YYYY when
    /// only that is known, perhaps followed by ? (unsure) or ~
    /// (approximate).
    #[arg(long, value_name = "DATE")]
    on: Option<String>,
    /// The corrected status (a status only), e.g. in-force, "termination
    /// notified".
    #[arg(long, value_name = "S")]
    status: Option<String>,
    /// The party it concerns (repeat for several), in place of the event's
    /// own: one of the pact's parties.
    #[arg(long = "party", value_name = "P")]
    parties: Vec<String>,
    /// The corrected source: outlet and title.
    #[arg(long)]
    source: Option<String>,
    /// The corrected link to the source.
    #[arg(long)]
    url: Option<String>,
    /// The corrected remark of a status, or text of a note.
    #[arg(long)]
    note: Option<String>,
    /// Known only from reports, not yet officially confirmed (a status
    /// only).
    #[arg(long)]
    reported: bool,
    /// Record the copy even though the lifecycle does not allow it (it is
    /// stored as forced, and `verify` lists it).
    #[arg(long)]
    force: bool,
    /// Why the event is corrected.
    #[arg(long)]
    reason: String,
    /// Fail with exit code 3 unless the stream's last seq is N.
    #[arg(long, value_name = "N")]
    expect_seq: Option<u64>,
    /// Print the two stored events (the retraction, then the copy) as a
    /// JSON array.
    #[arg(long)]
    json: bool,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let target = event_id(&self.event_id, &self.pact)?;
        let correction = Correction {
            status: self.status.as_deref().map(Status::parse).transpose()?,
            on: self
                .on
                .as_deref()
                .map(|on| parse_effective(on, ctx.today))
                .transpose()?,
            parties: (!self.parties.is_empty()).then(|| self.parties.clone()),
            source: self.source.clone(),
            url: self.url.clone(),
            note: self.note.clone(),
            reported: self.reported.then_some(true),
            force: self.force,
        };
        let amending = Amending::new(target, &self.reason, correction).map_err(|e| match e {
            Error::Usage { message, .. } => Error::Usage {
                message,
                hint: Some(
                    "give what is corrected: --on, --status, --party, --source, --url, --note \
                     or --reported"
                        .into(),
                ),
            },
            e => e,
        })?;
        let id = ctx.store.resolve(&self.pact)?;
        let options = AppendOptions {
            expect_seq: self.expect_seq,
        };
        let amended = amending.record(&ctx.store, &id, options, ctx.now)?;
        if self.json {
            return ctx.json(&[&amended.retraction, &amended.copy]);
        }
        let (retraction, copy) = (&amended.retraction, &amended.copy);
        writeln!(
            ctx.out,
            "{id}: retracted event {target}, recorded as seq {} ({})",
            retraction.seq, retraction.id
        )?;
        let (what, on, parties, forced) = match &copy.body {
            EventBody::Status(c) => (c.status.to_string(), c.on, &c.parties, c.forced),
            EventBody::Note(n) => ("note".to_owned(), n.on, &n.parties, false),
            _ => unreachable!("an amended copy is a status or a note"),
        };
        let parties = match parties.join(", ") {
            parties if parties.is_empty() => parties,
            parties => format!(" for {parties}"),
        };
        let scheduled = if on.is_after(ctx.today) {
            " (scheduled)"
        } else {
            ""
        };
        let forced = if forced { ", forced" } else { "" };
        writeln!(
            ctx.out,
            "{id}: {what}{parties} {}{scheduled} in its place, recorded as seq {}{forced} ({})",
            on.on_or_in(),
            copy.seq,
            copy.id
        )?;
        match amended.citations {
            0 => {}
            1 => writeln!(
                ctx.out,
                "note: 1 citation of the original is not carried over; cite the copy again"
            )?,
            n => writeln!(
                ctx.out,
                "note: {n} citations of the original are not carried over; cite the copy again"
            )?,
        }
        Ok(())
    }
}
