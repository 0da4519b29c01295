//! `pactlog export`: every stream out, as the JSON Lines it is stored as, or
//! as CSV for a spreadsheet.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::cli::Context;
use crate::cli::output::{Cells, Csv, CsvBytes};
use crate::cli::{reported, streams_failed};
use crate::log::store::{Lines, Store};
use crate::log::stream::Folded;
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::What;
use crate::model::pact::PactId;
use crate::model::status::Status;
use crate::model::time::shown;
use crate::transfer::import::CSV_COLUMNS;

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
/// order: of its pact's, those its [`Rows`] holds written.
#[derive(Debug, Default)]
struct Row<'a> {
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
    event: Option<Uuid>,
    recorded: Option<&'a str>,
}

/// How many events' rows are made at a time, shared between the cores.
const BATCH: usize = 2048;

impl Row<'_> {
    /// Writes the row of the pact of `rows`, each cell as its field's
    /// value is written (an absent value an empty cell), `on` the room its
    /// date is written in.
    fn write(&self, rows: &Rows, csv: &mut CsvBytes, on: &mut String) {
        use std::fmt::Write;
        let flag = |flag: Option<bool>| match flag {
            Some(true) => "true",
            Some(false) => "false",
            None => "",
        };
        on.clear();
        if let Some(date) = self.on {
            write!(on, "{date}").expect("a String takes any text");
        }
        let mut event = Uuid::encode_buffer();
        let event = match self.event {
            Some(id) => &*id.hyphenated().encode_lower(&mut event),
            None => "",
        };
        csv.cells(&rows.pact_cell);
        for cell in [
            self.kind,
            self.status.map_or("", Status::as_str),
            on,
            &self.party,
            self.source.unwrap_or_default(),
            self.url.unwrap_or_default(),
            self.note.unwrap_or_default(),
            flag(self.reported),
            flag(self.forced),
        ] {
            csv.cell(cell);
        }
        csv.cells(&rows.metadata);
        csv.cell(event);
        csv.cell(self.recorded.unwrap_or_default());
        csv.end_row(CSV_COLUMNS.len());
    }
}

/// The rows of `events` (each an event's line and where it begins) of the
/// pact of `rows`, each event read again from `lines`, as CSV.
fn rows_out(rows: &Rows, lines: &mut Lines, events: &[Kept]) -> Result<Vec<u8>, Error> {
    let mut csv = CsvBytes::new();
    let mut on = String::new();
    // the recorded time last written, and as written: the lines of an
    // import or an append of several were recorded at one time
    let mut recorded: Option<(DateTime<Utc>, String)> = None;
    for &(_, _, line, offset) in events {
        // written from the line as it lies, no text copied
        let written = lines.lent(line, offset, |record, fact| {
            if recorded.as_ref().is_none_or(|(at, _)| *at != fact.recorded) {
                recorded = Some((fact.recorded, shown(fact.recorded)));
            }
            let mut row = Row {
                event: Some(fact.id),
                recorded: recorded.as_ref().map(|(_, text)| text.as_str()),
                party: record.party_list().join(";"),
                source: record.source(),
                url: record.url(),
                note: record.remark(),
                ..Row::default()
            };
            match fact.what {
                What::Status {
                    status,
                    on,
                    reported,
                    forced,
                    ..
                } => {
                    row.kind = "status";
                    row.status = Some(status);
                    row.on = Some(on);
                    row.reported = Some(reported);
                    row.forced = Some(forced);
                }
                What::Note { on } => {
                    row.kind = "note";
                    row.on = Some(on);
                }
                // a line of another kind in its place: the file was
                // changed since the fold read it
                _ => return false,
            }
            row.write(rows, &mut csv, &mut on);
            true
        })?;
        if !written {
            return Err(lines.changed(line));
        }
    }
    Ok(csv.into_bytes())
}

/// A part of the rows to write: a batch of the events of the `stream`th
/// stream, or, for a stream with none, its pact's row.
struct Piece<'r> {
    stream: usize,
    events: &'r [Kept],
}

/// Writes the rows of every stream in `streams`, each event read again: a
/// batch of one stream at a time, the batches dealt out between the cores,
/// each core reading through a file of its own and writing its rows to a
/// buffer, while this thread writes the buffers out in order.
fn write_rows(ctx: &mut Context<'_>, streams: &[(Folded, Rows)]) -> Result<(), Error> {
    let pieces: Vec<Piece> = streams
        .iter()
        .enumerate()
        .flat_map(|(stream, (_, rows))| {
            let batches = rows.events.chunks(BATCH);
            // (a stream with no events still has its row)
            let none = rows.events.is_empty().then_some(&rows.events[..]);
            none.into_iter()
                .chain(batches)
                .map(move |events| Piece { stream, events })
        })
        .collect();
    let cores = crate::log::par::cores();
    let store = &ctx.store;
    std::thread::scope(|scope| {
        let mut workers: Vec<_> = (0..cores.min(pieces.len()))
            .map(|core| {
                // each core makes its next batch once its last is taken:
                // a slow output holds no more than one batch of each core
                let (send, made) = std::sync::mpsc::sync_channel(0);
                let theirs = pieces.iter().skip(core).step_by(cores);
                let worker = scope.spawn(move || {
                    // the stream last read, open at the place it was left
                    let mut open: Option<(usize, Lines)> = None;
                    for piece in theirs {
                        let made = rows_of_piece(store, streams, piece, &mut open);
                        let failed = made.is_err();
                        // the receiver gone: the output failed, and said so
                        if send.send(made).is_err() || failed {
                            return;
                        }
                    }
                });
                (made, worker)
            })
            .collect();
        for turn in 0..pieces.len() {
            let at = turn % workers.len();
            if let Ok(bytes) = workers[at].0.recv() {
                ctx.out.write_all(&bytes?)?;
                continue;
            }
            // a worker stops before its last batch only by panicking: its
            // panic is passed on
            if let Err(panic) = workers.swap_remove(at).1.join() {
                std::panic::resume_unwind(panic);
            }
            unreachable!("a worker ended before its last batch without a panic");
        }
        Ok(())
    })
}

/// The rows of `piece` as CSV, its events read through `open` (opened
/// again for another stream than the one it holds).
fn rows_of_piece(
    store: &Store,
    streams: &[(Folded, Rows)],
    piece: &Piece<'_>,
    open: &mut Option<(usize, Lines)>,
) -> Result<Vec<u8>, Error> {
    let (stream, rows) = &streams[piece.stream];
    if piece.events.is_empty() {
        let mut csv = CsvBytes::new();
        Row::default().write(rows, &mut csv, &mut String::new());
        return Ok(csv.into_bytes());
    }
    let lines = match open {
        Some((at, lines)) if *at == piece.stream => lines,
        _ => {
            let lines = store.lines(&stream.pact.id, stream.len)?;
            &mut open.insert((piece.stream, lines)).1
        }
    };
    rows_out(rows, lines, piece.events)
}

/// A status or note kept for its row: the earliest day of its date, when
/// it was recorded (microseconds), its line and where the line begins.
type Kept = (NaiveDate, i64, usize, u64);

/// What a fold of a stream keeps for its rows: the pact as it stands, and
/// each status and note that stands, in date order.
struct Rows {
    /// The cells of the pact's id, and of its name, aliases, parties, kind
    /// and description, as each of its rows has them, written once.
    pact_cell: Cells,
    metadata: Cells,
    events: Vec<Kept>,
}

/// Folds the stream of `id` into its [`Rows`], in date order.
fn rows_of(store: &Store, id: &PactId) -> Result<(Folded, Rows), Error> {
    // each status and note, and the lines retractions withdraw
    let mut events: Vec<Kept> = Vec::new();
    let mut retracted: Vec<usize> = Vec::new();
    let (folded, _) = store.fold(id, |line| {
        match line.fact.what {
            What::Status { on, .. } | What::Note { on } => {
                let recorded = line.fact.recorded.timestamp_micros();
                events.push((on.earliest(), recorded, line.number, line.offset));
            }
            What::Retraction { .. } => retracted.extend(line.target),
            What::Registered | What::Edited | What::Citation { .. } => {}
        }
        Ok(())
    })?;
    // as its registration and edits leave it
    let pact = &folded.pact;
    // (in place: a long stream's events are most of what export holds)
    retracted.sort_unstable();
    events.retain(|e| retracted.binary_search(&e.2).is_err());
    // in line order already: a stable sort keeps the lines of a day in the
    // order they were recorded, as the timeline has them (which is the
    // order of their lines but after a git merge)
    events.sort_by_key(|e| (e.0, e.1));
    let rows = Rows {
        pact_cell: Cells::of(&[pact.id.as_str()]),
        metadata: Cells::of(&[
            &pact.name,
            &pact.aliases.join(";"),
            &pact.parties.join(";"),
            pact.kind.as_deref().unwrap_or_default(),
            pact.description.as_deref().unwrap_or_default(),
        ]),
        events,
    };
    Ok((folded, rows))
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
        Csv::new(ctx.out, &CSV_COLUMNS)?.finish()?;
        write_rows(ctx, &streams)?;
        streams_failed(failed)
    }
}
