//! `pactlog export`: every stream out, as the JSON Lines it is stored as, or
//! as CSV for a spreadsheet.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::cli::Context;
use crate::cli::output::Csv;
use crate::cli::{reported, streams_failed};
use crate::log::store::Store;
use crate::log::stream::Folded;
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::{EventBody, What};
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;
use crate::model::time::shown;
use crate::transfer::import::CSV_COLUMNS;

/// Write every stream to standard output.
///
/// As JSON Lines: the stored lines themselves, stream after stream, which
/// `import` turns back into the same files byte for byte. With --csv: one
/// row per status or note that stands (retracted ones left out), the
/// statuses of named parties included, each with its pact's metadata as it
/// stands now, and one row for a pact with nothing else to show; pact after
/// pact, each pact's rows in date order, which `import` takes back. A cell
/// a spreadsheet would run as a formula (=, +, -, @) goes out with a '
/// before it, which `import` takes off.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pactlog export > backup.jsonl\n  \
    pactlog export --csv > record.csv")]
pub struct Args {
    /// One row per status or note, with its pact's metadata, as CSV with a
    /// header row.
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// The stored lines, as JSON Lines: what export writes without --csv,
    /// accepted as every read command accepts --json.
    #[arg(long)]
    json: bool,
}

/// One row as `export --csv` writes it, its fields in [`CSV_COLUMNS`]'
/// order.
#[derive(Debug, Serialize)]
struct Row<'a> {
    pact: &'a PactId,
    /// `status` or `note`; empty on a pact's row of metadata alone.
    kind: &'static str,
    status: Option<Status>,
    on: Option<EffectiveDate>,
    party: String,
    source: Option<&'a str>,
    url: Option<&'a str>,
    /// A status's remark, or a note's text.
    note: Option<&'a str>,
    reported: Option<bool>,
    forced: Option<bool>,
    name: &'a str,
    aliases: String,
    parties: String,
    pact_kind: Option<&'a str>,
    description: Option<&'a str>,
    event: Option<Uuid>,
    recorded: Option<String>,
}

/// What a fold of a stream keeps for its rows: the pact as it stands, and
/// each status and note that stands, by the earliest day of its date, when
/// it was recorded and its line, with where the line begins.
struct Rows {
    pact: Pact,
    events: Vec<(NaiveDate, i64, usize, u64)>,
}

/// Folds the stream of `id` into its [`Rows`], in date order.
fn rows_of(store: &Store, id: &PactId) -> Result<(Folded, Rows), Error> {
    // each status and note: its day, when it was recorded, its line, where
    // it begins, and whether a retraction withdrew it
    let mut events: Vec<(NaiveDate, i64, usize, u64, bool)> = Vec::new();
    let (folded, _) = store.fold(id, |line| {
        match line.fact.what {
            What::Status { on, .. } | What::Note { on } => {
                let recorded = line.fact.recorded.timestamp_micros();
                events.push((on.earliest(), recorded, line.number, line.offset, false));
            }
            What::Retraction { .. } => {
                if let Some(target) = line.target
                    && let Ok(at) = events.binary_search_by_key(&target, |e| e.2)
                {
                    events[at].4 = true;
                }
            }
            What::Registered | What::Edited | What::Citation { .. } => {}
        }
        Ok(())
    })?;
    // as its registration and edits leave it
    let pact = folded.pact.clone();
    let mut events: Vec<(NaiveDate, i64, usize, u64)> = events
        .into_iter()
        .filter(|e| !e.4)
        .map(|(day, recorded, line, offset, _)| (day, recorded, line, offset))
        .collect();
    // in line order already: a stable sort keeps the lines of a day in the
    // order they were recorded, as the timeline has them (which is the
    // order of their lines but after a git merge)
    events.sort_by_key(|e| (e.0, e.1));
    Ok((folded, Rows { pact, events }))
}

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
        // every stream folded into its rows (its errors all reported
        // first), then the rows, each event read again as it is written
        let store = &ctx.store;
        let folded = crate::log::par::map(&ids, |id| rows_of(store, id));
        let (streams, failed) = reported(ctx, folded);
        let mut csv = Csv::new(ctx.out, &CSV_COLUMNS)?;
        for (stream, rows) in &streams {
            let pact = &rows.pact;
            let (aliases, parties) = (pact.aliases.join(";"), pact.parties.join(";"));
            let of_pact = || Row {
                pact: &pact.id,
                kind: "",
                status: None,
                on: None,
                party: String::new(),
                source: None,
                url: None,
                note: None,
                reported: None,
                forced: None,
                name: &pact.name,
                aliases: aliases.clone(),
                parties: parties.clone(),
                pact_kind: pact.kind.as_deref(),
                description: pact.description.as_deref(),
                event: None,
                recorded: None,
            };
            if rows.events.is_empty() {
                csv.row(&of_pact())?;
            }
            let mut lines = ctx.store.lines(&stream.pact.id, stream.len)?;
            for &(_, _, line, offset) in &rows.events {
                let event = lines.event(line, offset)?;
                let mut row = of_pact();
                row.event = Some(event.id);
                row.recorded = Some(shown(event.recorded));
                match &event.body {
                    EventBody::Status(change) => {
                        row.kind = "status";
                        row.status = Some(change.status);
                        row.on = Some(change.on);
                        row.party = change.parties.join(";");
                        row.source = change.source.as_deref();
                        row.url = change.url.as_deref();
                        row.note = change.note.as_deref();
                        row.reported = Some(change.reported);
                        row.forced = Some(change.forced);
                    }
                    EventBody::Note(note) => {
                        row.kind = "note";
                        row.on = Some(note.on);
                        row.party = note.parties.join(";");
                        row.source = note.source.as_deref();
                        row.url = note.url.as_deref();
                        row.note = Some(&note.text);
                    }
                    _ => unreachable!("a row is kept for a status or a note"),
                }
                csv.row(&row)?;
            }
        }
        csv.finish()?;
        streams_failed(failed)
    }
}
