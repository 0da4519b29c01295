//! `pactlog export`: every stream out, as the JSON Lines it is stored as, or
//! as CSV for a spreadsheet.

use std::collections::VecDeque;

use serde::Serialize;
use uuid::Uuid;

use crate::cli::output::Csv;
use crate::cli::{Context, event_of, reported, streams_failed};
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::pact::PactId;
use crate::model::status::Status;
use crate::model::time::shown;
use crate::replay::{Mark, Outline, Staged, Timeline};

/// Write every stream to standard output.
///
/// As JSON Lines: the stored lines themselves, stream after stream, which
/// `import` turns back into the same files byte for byte. With --csv: one
/// row per status event in force in the record (retracted ones left out),
/// with the pact's name, for a spreadsheet: pact after pact, each pact's
/// rows in an order that `import` takes back (the order they were recorded
/// when it does), or a warning on standard error when none is found. A cell
/// a spreadsheet would run as a formula (=, +, -, @) goes out with a ' before
/// it, which `import` takes off.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pactlog export > backup.jsonl\n  \
    pactlog export --csv > statuses.csv")]
pub struct Args {
    /// One row per status event, as CSV with a header row.
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// The stored lines, as JSON Lines: what export writes without --csv,
    /// accepted as every read command accepts --json.
    #[arg(long)]
    json: bool,
}

/// One status event as `export --csv` writes it.
#[derive(Debug, Serialize)]
struct Row<'a> {
    pact: &'a PactId,
    name: &'a str,
    status: Status,
    on: EffectiveDate,
    source: Option<&'a str>,
    url: Option<&'a str>,
    note: Option<&'a str>,
    reported: bool,
    forced: bool,
    event: Uuid,
    recorded: String,
}

const COLUMNS: [&str; 11] = [
    "pact", "name", "status", "on", "source", "url", "note", "reported", "forced", "event",
    "recorded",
];

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let ids = ctx.store.ids()?;
        if !self.csv {
            let mut failed = 0;
            for id in &ids {
                // each stream is checked whole before a byte of it is
                // written, then copied as it was checked
                match ctx.store.fold(id, |_| Ok(())) {
                    Ok((_, mut lines)) => lines.copy_to(ctx.out)?,
                    Err(e) => {
                        crate::cli::report(ctx.err, &e, ctx.err_color);
                        failed += 1;
                    }
                }
            }
            return streams_failed(failed);
        }
        // every stream folded into its timeline's marks (its errors all
        // reported first), then every order found (its warnings next), and
        // only then the rows, each event read again as it is written
        let store = &ctx.store;
        let folded = crate::log::par::map(&ids, |id| {
            Outline::of_stream(store, id, None).map(|(folded, _, outline)| (folded, outline))
        });
        let (streams, failed) = reported(ctx, folded);
        let mut orders = Vec::with_capacity(streams.len());
        for (stream, outline) in &streams {
            if outline.of_parties() {
                // a warning that cannot be written does not stop the export
                let _ = writeln!(
                    ctx.err,
                    "warning: the statuses of named parties of '{}' are not in the CSV rows, \
                     which hold the pact's own; `export` without --csv gives back everything",
                    stream.pact.id
                );
            }
            let statuses = outline.timeline().entries();
            orders.push(match importable_order(&stream.pact.id, statuses) {
                Some(order) => order,
                None => {
                    // a warning that cannot be written does not stop the export
                    let _ = writeln!(
                        ctx.err,
                        "warning: no order was found in which `import` takes back the CSV rows \
                         of '{}' (they are written in the order recorded); `export` without \
                         --csv gives back everything",
                        stream.pact.id
                    );
                    recorded_order(statuses)
                }
            });
        }
        let mut csv = Csv::new(ctx.out, &COLUMNS)?;
        for ((stream, outline), order) in streams.iter().zip(orders) {
            let mut lines = ctx.store.lines(&stream.pact.id, stream.len)?;
            for i in order {
                let mark = &outline.timeline().entries()[i as usize];
                let event = event_of(&mut lines, mark)?;
                let change = event
                    .status_change()
                    .expect("a timeline holds only statuses");
                csv.row(&Row {
                    pact: &stream.pact.id,
                    name: &stream.pact.name,
                    status: change.status,
                    on: change.on,
                    source: change.source.as_deref(),
                    url: change.url.as_deref(),
                    note: change.note.as_deref(),
                    reported: change.reported,
                    forced: change.forced,
                    event: event.id,
                    recorded: shown(event.recorded),
                })?;
            }
        }
        csv.finish()?;
        streams_failed(failed)
    }
}

/// A pact's statuses (places in `statuses`, which are in timeline order) in
/// an order that `import` takes back, each row checked as `append` checks
/// it; `None` when none is found.
///
/// Each step takes the earliest recorded of the rows left that the rows
/// taken so far let in. When the order they were recorded in imports, that
/// is the order: it replays the checks their appends passed, with `--force`
/// where it was given (in date order, the status after a forced backfill
/// would be refused). When it does not, because a status retracted since was
/// the neighbour a later row was checked against, a row waits for the rows
/// that let it in. The rows left are a queue, so that the order recorded,
/// the common case, is found in one pass.
fn importable_order(pact: &PactId, statuses: &[Mark]) -> Option<Vec<u32>> {
    let mut left = VecDeque::from(recorded_order(statuses));
    let mut steps = Timeline::default();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let next = left.iter().position(|&i| {
            let mark = &statuses[i as usize];
            let step = Staged {
                on: mark.on(),
                // each row is appended after those taken so far
                seq: order.len() as u64,
                status: mark.status().expect("a timeline holds only statuses"),
                forced: mark.forced(),
                key: (),
            };
            steps.append(pact, step).is_ok()
        })?;
        order.extend(left.remove(next));
    }
    Some(order)
}

/// The places of the statuses in the order they were recorded.
fn recorded_order(statuses: &[Mark]) -> Vec<u32> {
    let mut recorded: Vec<u32> = (0..statuses.len() as u32).collect();
    recorded.sort_unstable_by_key(|&i| statuses[i as usize].line());
    recorded
}
