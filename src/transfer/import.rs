//! Importing many events at once: rows of a spreadsheet's CSV, appended as
//! status events, or the JSON Lines that `export` writes, recreated byte for
//! byte.
//!
//! An import is all-or-nothing: every row is validated exactly as `append`
//! would, against the timelines as the earlier rows leave them, and nothing
//! is put in place unless every row passes. New streams are written as their
//! rows are checked, out of sight in a [`Staging`], and removed if a row is
//! refused; lines for existing streams are held until [`Batch::commit`]. An
//! import holds the store directory's exclusive lock throughout, which every
//! other writer waits for, so no stream changes between what was validated
//! and what is written; it opens each stream only to read it, and again to
//! write it, so it can touch any number of streams.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use chrono::{DateTime, NaiveDate, Utc};
use csv::{ByteRecord, StringRecord};
use serde::Deserialize;
use uuid::Uuid;

use crate::StreamProblem;
use crate::command::{Sourced, status_change};
use crate::log::codec::Record;
use crate::log::journal::{self, Entry};
use crate::log::store::{Lines, Names, Staging, Store, Tail};
use crate::log::stream::{self, Index, MAX_LINE};
use crate::model::date::EffectiveDate;
use crate::model::error::{CsvProblem, Error, ImportProblem, LifecycleError};
use crate::model::event::{Event, EventBody, Fact, Hash, StatusChange, What};
use crate::model::limits;
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;
use crate::model::time::parse_effective;
use crate::replay::{Staged, Timeline};
use crate::transfer::cell;

/// The columns a CSV import understands; `pact`, `status` and `on` are
/// required. `event` and `recorded` are what `export --csv` writes: a row
/// whose `event` is a status event its pact's stream already holds, the
/// same in every column, is that event, and is skipped; any other row is a
/// new event. `recorded` is read and ignored.
pub const CSV_COLUMNS: [&str; 11] = [
    "pact", "status", "on", "source", "url", "note", "reported", "forced", "name", "event",
    "recorded",
];

/// One row of an import CSV, as read; the pact cell is read when the row is
/// routed to its pact.
#[derive(Debug, Deserialize)]
struct CsvRecord<'a> {
    status: &'a str,
    on: &'a str,
    #[serde(default, borrow)]
    source: Option<&'a str>,
    #[serde(default, borrow)]
    url: Option<&'a str>,
    #[serde(default, borrow)]
    note: Option<&'a str>,
    #[serde(default, borrow)]
    reported: Option<&'a str>,
    #[serde(default, borrow)]
    forced: Option<&'a str>,
    #[serde(default, borrow)]
    name: Option<&'a str>,
    #[serde(default, borrow)]
    event: Option<&'a str>,
}

/// A checked CSV row.
#[derive(Debug)]
struct Row {
    /// The name to register a new pact with.
    name: Option<String>,
    /// The event it says it is, as `export --csv` gives it.
    event: Option<Uuid>,
    /// The status change it records.
    change: StatusChange,
}

/// Reads the header row and checks its columns. A spreadsheet's header may
/// say `Pact` or ` On `: names are taken in any case, without the spaces
/// around them.
fn read_headers<R: Read>(reader: &mut csv::Reader<R>) -> Result<StringRecord, Error> {
    let headers: StringRecord = reader
        .headers()
        .map_err(|e| csv_error(&e))?
        .iter()
        .map(|column| column.trim().to_lowercase())
        .collect();
    for (at, column) in headers.iter().enumerate() {
        if headers.iter().take(at).any(|before| before == column) {
            return Err(CsvProblem::DuplicateColumn {
                column: column.to_owned(),
            }
            .into());
        }
    }
    for column in &headers {
        if !CSV_COLUMNS.contains(&column) {
            return Err(CsvProblem::UnknownColumn {
                column: column.to_owned(),
            }
            .into());
        }
    }
    for required in ["pact", "status", "on"] {
        if !headers.iter().any(|h| h == required) {
            return Err(CsvProblem::MissingColumn { column: required }.into());
        }
    }
    Ok(headers)
}

/// Reads and checks one row: its fields, not yet its place in a timeline.
fn parse_row(record: &ByteRecord, headers: &ByteRecord, today: NaiveDate) -> Result<Row, Error> {
    // as a `StringRecord` checks it, field by field
    let utf8 =
        record.as_slice().is_ascii() || record.iter().all(|f| std::str::from_utf8(f).is_ok());
    if !utf8 {
        return Err(not_utf8());
    }
    let row: CsvRecord = record
        .deserialize(Some(headers))
        .map_err(|e| csv_error(&e))?;
    check_row(row.restored(), today)
}

impl<'a> CsvRecord<'a> {
    /// The record with each cell's text as it was exported, without the
    /// `'` that `export --csv` puts before a cell a spreadsheet would run
    /// as a formula.
    fn restored(self) -> CsvRecord<'a> {
        let text = |cell: Option<&'a str>| cell.map(cell::restore);
        CsvRecord {
            status: cell::restore(self.status),
            on: cell::restore(self.on),
            source: text(self.source),
            url: text(self.url),
            note: text(self.note),
            reported: text(self.reported),
            forced: text(self.forced),
            name: text(self.name),
            event: text(self.event),
        }
    }
}

fn check_row(row: CsvRecord<'_>, today: NaiveDate) -> Result<Row, Error> {
    fn present(v: Option<&str>) -> Option<&str> {
        v.filter(|s| !s.trim().is_empty())
    }
    Ok(Row {
        // checked when it registers a pact: for another, it must only be
        // that pact's name
        name: present(row.name).map(|name| name.trim().to_owned()),
        event: present(row.event)
            .map(|event| {
                Uuid::parse_str(event.trim()).map_err(|_| {
                    Error::from(CsvProblem::NotAnEventId {
                        value: event.to_owned(),
                    })
                })
            })
            .transpose()?,
        change: status_change(
            Status::parse(row.status)?,
            parse_effective(row.on, today)?,
            Sourced {
                source: present(row.source),
                url: present(row.url),
            },
            present(row.note),
            (flag("reported", row.reported)?, flag("forced", row.forced)?),
        )?,
    })
}

/// A yes/no cell: `true`/`false`, `yes`/`no`, `1`/`0`, in any case, or empty.
fn flag(column: &'static str, value: Option<&str>) -> Result<bool, Error> {
    let text = value.unwrap_or_default().trim();
    let is = |words: &[&str]| words.iter().any(|w| text.eq_ignore_ascii_case(w));
    if is(&["", "false", "no", "0"]) {
        Ok(false)
    } else if is(&["true", "yes", "1"]) {
        Ok(true)
    } else {
        Err(CsvProblem::NotABool {
            column,
            value: text.to_owned(),
        }
        .into())
    }
}

/// A row whose bytes are not text.
fn not_utf8() -> Error {
    CsvProblem::NotUtf8.into()
}

fn csv_error(e: &csv::Error) -> Error {
    if is_too_long(e) {
        return row_too_long();
    }
    let problem = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => CsvProblem::NotUtf8,
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => CsvProblem::FieldCount {
            expected: *expected_len,
            found: *len,
        },
        csv::ErrorKind::Deserialize { err, .. } => CsvProblem::Unreadable {
            why: err.to_string(),
        },
        _ => CsvProblem::Unreadable { why: e.to_string() },
    };
    problem.into()
}

/// What an import will write, fully validated, with the store's lock that
/// keeps it valid until [`Batch::commit`] (held by its staging).
#[derive(Debug)]
pub struct Batch {
    /// The new streams, written but not yet in place.
    staging: Staging,
    /// Lines for existing streams, with each stream's pact and its length
    /// when it was read.
    append: Vec<(PactId, u64, Vec<u8>)>,
    /// How many events the batch records.
    pub events: usize,
    /// How many pacts it touches, and how many of them it creates.
    pub pacts: usize,
    /// How many of the pacts are new.
    pub created: usize,
    /// How many rows were skipped as events already recorded.
    pub skipped: usize,
}

impl Batch {
    /// Writes the batch, all or nothing even across a crash, and durable
    /// before it returns. Into a store that does not exist yet, the store
    /// appears by one rename (or, when it was made meanwhile, the new
    /// streams go in through a journal, as below). Into one that does, the
    /// batch is first written down in the store's [`journal`] (with one
    /// file system sync, which also makes the staged new streams durable),
    /// and put in place by a rename, its commit point; then each existing
    /// stream gets its lines in one write, the new streams are linked in,
    /// one more sync makes it all durable, and the journal is removed. If
    /// that is cut short, the next command that records carries it out.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a file cannot be written before the commit point
    /// (nothing is recorded), [`Error::ImportUnfinished`] when one cannot
    /// after it (the import is recorded, and the next command that records
    /// writes what is missing).
    pub fn commit(self, store: &Store) -> Result<(), Error> {
        let Batch {
            mut staging,
            append,
            ..
        } = self;
        if staging.is_whole() {
            return staging.commit(store);
        }
        // the staging holds the store's lock until the journal is ended:
        // no pactlog writer changes a stream meanwhile, and one that does
        // not take the lock is caught here, before anything is written
        let mut entries = Vec::with_capacity(append.len());
        for (pact, at, lines) in append {
            let path = store.stream_path(&pact);
            let len = std::fs::symlink_metadata(&path)
                .map_err(Error::io("read", &path))?
                .len();
            if len != at {
                return Err(Error::ChangedDuringImport { path });
            }
            // every line was made from text, so this copies nothing
            let lines = String::from_utf8(lines).map_err(|e| {
                Error::io("append to", &path)(io::Error::new(io::ErrorKind::InvalidData, e))
            })?;
            entries.push(Entry::Append { pact, at, lines });
        }
        entries.extend(
            staging
                .staged()
                .into_iter()
                .map(|(pact, staged)| Entry::Link { pact, staged }),
        );
        if entries.is_empty() {
            return Ok(());
        }
        // the staged files are the journal's from here on, to put in place
        // or, if it never is, to remove
        staging.keep();
        journal::commit(store.dir(), &entries)
    }
}

/// The store directory's lock, when the directory exists; an import into a
/// store that does not exist yet creates it only when it commits.
fn lock_existing(store: &Store) -> Result<Option<File>, Error> {
    if store.dir().exists() {
        store.lock_for_writing().map(Some)
    } else {
        Ok(None)
    }
}

/// The names taken in the store: none when it does not exist yet.
fn known_names(store: &Store, dir_lock: &Option<File>) -> Result<Names, Error> {
    match dir_lock {
        Some(_) => store.names(),
        None => Ok(Names::default()),
    }
}

/// A pact's stream as the batch builds it.
struct Building {
    /// For an existing stream, its length when it was read.
    existing: Option<u64>,
    /// The lines not yet written (for a new pact, those not yet staged).
    lines: Vec<u8>,
    /// Where the stream ends, with the lines written so far.
    tail: Tail,
    /// The timeline so far, each status keyed by whether the stream held it
    /// before the import.
    steps: Timeline<Staged<bool>>,
    /// The pact's name, as registered (empty until it is).
    name: String,
    /// The events the stream held before the import, when the rows say
    /// which event they are.
    recorded: Option<Recorded>,
}

/// The events a stream held before an import, to read again the one a row
/// names.
struct Recorded {
    /// Each event's line, by its id.
    index: Index,
    /// Where each line begins.
    offsets: Vec<u64>,
    /// How many bytes of the stream were read.
    len: u64,
}

impl Building {
    fn append(&mut self, id: &PactId, body: EventBody, now: DateTime<Utc>) -> u64 {
        let event = self.tail.next(id, body, now);
        let start = self.lines.len();
        event.write_line(&mut self.lines);
        self.tail = Tail::after(&event, Hash::of(&self.lines[start..]));
        self.lines.push(b'\n');
        event.seq
    }
}

/// Rows sent to a worker at a time.
const JOB_ROWS: usize = 256;

/// The bytes of new streams' lines a worker holds before it writes them out.
const HOLD: usize = 1 << 20;

/// A row on its way to the worker that checks its pact's rows.
struct Job {
    /// The line it starts on, for errors.
    line: u64,
    /// The pact's place among the worker's pacts.
    slot: usize,
    /// The pact's id, on the first row of that pact.
    first: Option<PactId>,
    record: ByteRecord,
}

/// What the workers share.
struct Checker<'a> {
    store: &'a Store,
    staging: &'a Staging,
    names: &'a Names,
    headers: &'a StringRecord,
    today: NaiveDate,
    now: DateTime<Utc>,
    /// The line of the first bad row found so far: rows after it need no
    /// check.
    first_bad: &'a AtomicU64,
}

/// What one worker did.
#[derive(Default)]
struct Outcome {
    /// The first of its rows that is refused.
    refused: Option<(u64, Error)>,
    /// An error writing a new stream.
    failed: Option<Error>,
    /// Lines for existing streams, with each stream's pact and its length
    /// when it was read.
    append: Vec<(PactId, u64, Vec<u8>)>,
    events: usize,
    /// Rows skipped as events already recorded.
    skipped: usize,
    pacts: usize,
    created: usize,
}

/// A pact's stream on a worker.
struct Pending {
    id: PactId,
    stream: Building,
    /// Whether its file has been begun.
    staged: bool,
}

impl Checker<'_> {
    /// Checks the rows of the pacts given to this worker, in file order, and
    /// writes the new streams out as their lines pile up.
    /// The rows' records go back on `used`, to be read into again.
    fn work(&self, jobs: Receiver<Vec<Job>>, used: Sender<Vec<Job>>) -> Outcome {
        let mut out = Outcome::default();
        let mut pacts: Vec<Pending> = Vec::new();
        // the new streams with lines not yet written, and how many bytes
        let mut unwritten: Vec<usize> = Vec::new();
        let mut held = 0;
        let mut open = None;
        for mut jobs in jobs {
            for job in &mut jobs {
                if out.refused.is_some() || out.failed.is_some() {
                    break;
                }
                let line = job.line;
                if line > self.first_bad.load(Ordering::Relaxed) {
                    break;
                }
                match self.check(&mut pacts, &mut unwritten, job, &mut open) {
                    Ok(Some(added)) => {
                        held += added;
                        out.events += 1;
                    }
                    Ok(None) => out.skipped += 1,
                    Err(e) => {
                        self.first_bad.fetch_min(line, Ordering::Relaxed);
                        out.refused = Some((line, e));
                    }
                }
            }
            let _ = used.send(jobs);
            // once any row is refused, nothing more is worth writing
            let refused = self.first_bad.load(Ordering::Relaxed) != u64::MAX;
            if held >= HOLD && !refused {
                if let Err(e) = self.write_out(&mut pacts, &mut unwritten) {
                    // nothing more to check: the import fails
                    self.first_bad.store(0, Ordering::Relaxed);
                    out.failed = Some(e);
                }
                held = 0;
            }
        }
        // (a failed write sets first_bad too)
        if self.first_bad.load(Ordering::Relaxed) == u64::MAX
            && let Err(e) = self.write_out(&mut pacts, &mut unwritten)
        {
            out.failed = Some(e);
        }
        for pending in pacts {
            match pending.stream.existing {
                // a pact whose every row was recorded already is untouched
                Some(_) if pending.stream.lines.is_empty() => continue,
                Some(len) => out.append.push((pending.id, len, pending.stream.lines)),
                None => out.created += 1,
            }
            out.pacts += 1;
        }
        out
    }

    /// Checks one row against its pact's timeline and builds its line;
    /// returns how many bytes of new streams' lines it added, or `None` for
    /// a row that is an event already recorded.
    fn check(
        &self,
        pacts: &mut Vec<Pending>,
        unwritten: &mut Vec<usize>,
        job: &mut Job,
        open: &mut Option<(usize, Lines)>,
    ) -> Result<Option<usize>, Error> {
        let row = parse_row(&job.record, self.headers.as_byte_record(), self.today)?;
        if let Some(id) = job.first.take() {
            let stream = match self.names.get(id.as_str()) {
                Some(_) => existing(self.store, &id, self.headers.iter().any(|h| h == "event"))?,
                None => Building {
                    existing: None,
                    lines: Vec::new(),
                    tail: Tail::default(),
                    steps: Timeline::default(),
                    name: String::new(),
                    recorded: None,
                },
            };
            pacts.push(Pending {
                id,
                stream,
                staged: false,
            });
        }
        let Pending { id, stream, .. } = &mut pacts[job.slot];
        let before = stream.lines.len();
        if stream.tail.seq == 0 {
            let name = row
                .name
                .map(|name| limits::check_text("name", &name, limits::NAME));
            register(id, stream, name.transpose()?, self.now);
        } else if let Some(name) = row.name
            && name != stream.name.trim()
        {
            return Err(ImportProblem::NameDiffers {
                pact: id.to_string(),
                given: name,
                registered: stream.name.clone(),
            }
            .into());
        }
        let change = row.change;
        if let Some(event) = row.event
            && let Some(recorded) = &stream.recorded
            && let Some(line) = recorded.index.line_of(&event)
        {
            // the stream of the pact rows were last checked for stays open
            let lines = match open {
                Some((slot, lines)) if *slot == job.slot => lines,
                _ => {
                    &mut open
                        .insert((job.slot, self.store.lines(id, recorded.len)?))
                        .1
                }
            };
            let held = lines.event(line, recorded.offsets[line - 1])?;
            let EventBody::Status(recorded) = &held.body else {
                return Err(ImportProblem::NotAStatusEvent {
                    pact: id.to_string(),
                    event,
                }
                .into());
            };
            return already_recorded(event, recorded, &change).map(|()| None);
        }
        let (on, status) = (change.on, change.status);
        let step = Staged {
            on,
            seq: stream.tail.seq + 1,
            status,
            forced: change.forced,
            key: false,
        };
        if let Err(refused) = stream.steps.append(id, step) {
            // a row recorded already (this sheet imported before), or given
            // twice, is refused by the lifecycle, whose hint would mislead
            if let Some(in_store) = stream.steps.holding(status, on).map(|s| s.key) {
                return Err(ImportProblem::HeldAlready {
                    refused: Box::new(refused),
                    pact: id.to_string(),
                    status,
                    on,
                    in_store,
                }
                .into());
            }
            return Err(refused.into());
        }
        stream.append(id, EventBody::Status(change), self.now);
        if stream.existing.is_some() {
            return Ok(Some(0));
        }
        if before == 0 {
            unwritten.push(job.slot);
        }
        Ok(Some(stream.lines.len() - before))
    }

    /// Writes the lines held for new streams to their staged files.
    fn write_out(&self, pacts: &mut [Pending], unwritten: &mut Vec<usize>) -> Result<(), Error> {
        for slot in unwritten.drain(..) {
            let pending = &mut pacts[slot];
            let lines = std::mem::take(&mut pending.stream.lines);
            self.staging.write(&pending.id, &lines, !pending.staged)?;
            pending.staged = true;
        }
        Ok(())
    }
}

/// Plans a CSV import: reads the rows, resolves each row's pact
/// (registering unknown ones when `create_pacts`), validates every row
/// against the timeline the rows before it leave, and writes the new
/// streams out of sight. The rows are read here and checked on every core,
/// each pact's rows by one worker in file order. `progress` is told how many
/// bytes of the input are read.
///
/// # Errors
///
/// [`Error::Row`] for the first row in the file that `append` would refuse
/// or that is malformed, or an error reading the store or writing the new
/// streams.
pub fn plan_csv(
    store: &Store,
    file: &str,
    input: impl Read,
    create_pacts: bool,
    now: DateTime<Utc>,
    today: NaiveDate,
    progress: &dyn Fn(u64),
) -> Result<Batch, Error> {
    let at = |line: u64, source: Error| Error::Row {
        file: file.to_owned(),
        line,
        source: Box::new(source),
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(LineStarts::new(input));
    let headers = read_headers(&mut reader).map_err(|e| at(1, e))?;
    let dir_lock = lock_existing(store)?;
    let names = known_names(store, &dir_lock)?;
    let staging = store.stage(dir_lock)?;
    let first_bad = AtomicU64::new(u64::MAX);
    let checker = Checker {
        store,
        staging: &staging,
        names: &names,
        headers: &headers,
        today,
        now,
        first_bad: &first_bad,
    };
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let (unreadable, outcomes) = std::thread::scope(|scope| {
        let (give_back, used) = channel();
        let (senders, handles): (Vec<_>, Vec<_>) = (0..workers)
            .map(|_| {
                let (sender, jobs) = sync_channel(4);
                let checker = &checker;
                let give_back = give_back.clone();
                (sender, scope.spawn(move || checker.work(jobs, give_back)))
            })
            .collect();
        drop(give_back);
        let mut router = Router {
            names: &names,
            create_pacts,
            index: HashMap::new(),
            pacts: vec![0; workers],
            last: None,
        };
        let unreadable = route_rows(
            &mut reader,
            &mut router,
            &checker,
            (&senders, &used),
            progress,
        );
        drop(senders);
        let outcomes: Vec<Outcome> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect();
        (unreadable, outcomes)
    });
    let mut batch = Batch {
        staging,
        append: Vec::new(),
        events: 0,
        pacts: 0,
        created: 0,
        skipped: 0,
    };
    // The first bad row in the file is the one to name.
    let mut refused = unreadable;
    for outcome in outcomes {
        if let Some(e) = outcome.failed {
            return Err(e);
        }
        if let Some((line, e)) = outcome.refused
            && refused.as_ref().is_none_or(|(first, _)| line < *first)
        {
            refused = Some((line, e));
        }
        batch.append.extend(outcome.append);
        batch.events += outcome.events;
        batch.skipped += outcome.skipped;
        batch.pacts += outcome.pacts;
        batch.created += outcome.created;
    }
    if let Some((line, e)) = refused {
        return Err(at(line, e));
    }
    Ok(batch)
}

/// Which worker checks each pact's rows, and the pact's place there.
struct Router<'a> {
    names: &'a Names,
    create_pacts: bool,
    /// Every pact met so far: its worker and its slot on that worker.
    index: HashMap<PactId, (usize, usize)>,
    /// How many pacts each worker has.
    pacts: Vec<usize>,
    /// The pact cell of the row before, and where it went: rows of one pact
    /// usually come together.
    last: Option<(Vec<u8>, usize, usize)>,
}

impl Router<'_> {
    /// The worker and slot for a row's pact cell, and the pact's id when it
    /// is met for the first time.
    fn route(&mut self, cell: &[u8]) -> Result<(usize, usize, Option<PactId>), Error> {
        if let Some((last, worker, slot)) = &self.last
            && last.as_slice() == cell
        {
            return Ok((*worker, *slot, None));
        }
        let query = std::str::from_utf8(cell).map_err(|_| not_utf8())?;
        if let Some(e) = self.names.ambiguous(query) {
            return Err(e);
        }
        let id = match self.names.get(query) {
            Some(id) => id.clone(),
            None => PactId::parse(&query.trim().to_lowercase())
                .ok()
                .filter(|id| self.create_pacts || self.index.contains_key(id))
                .ok_or_else(|| unknown_pact(self.names, query, self.create_pacts))?,
        };
        let (worker, slot, first) = match self.index.get(&id) {
            Some(&(worker, slot)) => (worker, slot, None),
            None => {
                // round robin: pacts are about the same size
                let worker = self.index.len() % self.pacts.len();
                let slot = self.pacts[worker];
                self.pacts[worker] += 1;
                self.index.insert(id.clone(), (worker, slot));
                (worker, slot, Some(id))
            }
        };
        let mut last = self.last.take().map(|l| l.0).unwrap_or_default();
        last.clear();
        last.extend_from_slice(cell);
        self.last = Some((last, worker, slot));
        Ok((worker, slot, first))
    }
}

/// Reads every row and sends it to the worker for its pact, until the end
/// of the input or a row after the first refused one. Returns the first row
/// that cannot be read or names no pact.
fn route_rows<R: Read>(
    reader: &mut csv::Reader<LineStarts<R>>,
    router: &mut Router<'_>,
    checker: &Checker<'_>,
    (senders, used): (&[SyncSender<Vec<Job>>], &Receiver<Vec<Job>>),
    progress: &dyn Fn(u64),
) -> Option<(u64, Error)> {
    let pact = checker
        .headers
        .iter()
        .position(|h| h == "pact")
        .expect("the header has a pact column");
    let mut queued: Vec<Vec<Job>> = senders
        .iter()
        .map(|_| Vec::with_capacity(JOB_ROWS))
        .collect();
    // records the workers are done with, to read into again: memory is
    // allocated and freed by the same thread
    let mut spare: Vec<ByteRecord> = Vec::new();
    let mut rows: u64 = 0;
    let failure = loop {
        if spare.is_empty() {
            spare.extend(used.try_iter().flatten().map(|job| job.record));
        }
        let mut record = spare.pop().unwrap_or_default();
        // the next row begins where the last ended: no more than ROW bytes
        // of it are read
        let start = reader.position().byte();
        reader.get_mut().row_from(start);
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break None,
            Err(e) if is_too_long(&e) => {
                let line = reader.get_mut().line_at(start);
                break Some((line, csv_error(&e)));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| reader.get_mut().line_of(p));
                break Some((line, csv_error(&e)));
            }
        }
        let (line, byte) = record
            .position()
            .map_or((0, 0), |p| (reader.get_mut().line_of(p), p.byte()));
        if line > checker.first_bad.load(Ordering::Relaxed) {
            break None;
        }
        rows += 1;
        if rows.is_multiple_of(1024) {
            progress(byte);
        }
        let (worker, slot, first) = match router.route(record.get(pact).unwrap_or_default()) {
            Ok(to) => to,
            Err(e) => {
                // a row that is malformed besides is refused for that
                let e = parse_row(&record, checker.headers.as_byte_record(), checker.today)
                    .err()
                    .unwrap_or(e);
                break Some((line, e));
            }
        };
        queued[worker].push(Job {
            line,
            slot,
            first,
            record,
        });
        if queued[worker].len() == JOB_ROWS {
            let jobs = std::mem::replace(&mut queued[worker], Vec::with_capacity(JOB_ROWS));
            if senders[worker].send(jobs).is_err() {
                // the worker is gone: its panic is what to report
                break None;
            }
        }
    };
    for (sender, jobs) in senders.iter().zip(queued) {
        if !jobs.is_empty() {
            let _ = sender.send(jobs);
        }
    }
    if let Some((line, _)) = &failure {
        checker.first_bad.fetch_min(*line, Ordering::Relaxed);
    }
    failure
}

/// The longest row of a CSV import, in bytes: far more than the longest
/// cells pactlog takes (a note of 4000 characters, a link of 2000, a
/// source of 500, a name of 200) can make, so that a row longer than this
/// is refused once this much of it is read, never read whole.
const ROW: u64 = MAX_LINE as u64;

/// The error a [`LineStarts`] stops the CSV reader with: the row is longer
/// than [`ROW`].
#[derive(Debug)]
struct TooLong;

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the row is too long")
    }
}

impl std::error::Error for TooLong {}

/// Whether the CSV reader stopped at a row longer than [`ROW`].
fn is_too_long(e: &csv::Error) -> bool {
    match e.kind() {
        csv::ErrorKind::Io(e) => e.get_ref().is_some_and(|inner| inner.is::<TooLong>()),
        _ => false,
    }
}

/// A row longer than [`ROW`].
fn row_too_long() -> Error {
    CsvProblem::RowTooLong { max: ROW }.into()
}

/// The CSV input, passed through to the CSV reader, noting where each line
/// that is not blank begins. The reader takes a row's line number before it
/// skips the CR LF that ends the line before, so in a file with CR LF line
/// ends (as spreadsheets write them) it would name the line before each row;
/// and it does not count a CR alone (as older Mac spreadsheets end lines)
/// as a line end, though it ends a row.
struct LineStarts<R> {
    input: R,
    /// The bytes passed through so far.
    read: u64,
    /// The number of the line the next byte is on.
    line: u64,
    /// Whether the next byte begins a line.
    at_start: bool,
    /// Whether the last byte was a CR: an LF next is the same line end.
    after_cr: bool,
    /// The offset and number of each line not blank begun since the row
    /// last asked about: the reader reads ahead by a buffer at most.
    starts: VecDeque<(u64, u64)>,
    /// Where the row being read begins: no more than [`ROW`] bytes after
    /// it are passed on.
    row: u64,
}

impl<R> LineStarts<R> {
    fn new(input: R) -> Self {
        LineStarts {
            input,
            read: 0,
            line: 1,
            at_start: true,
            after_cr: false,
            starts: VecDeque::new(),
            row: 0,
        }
    }

    /// Notes that the next row begins at byte `start`.
    fn row_from(&mut self, start: u64) {
        self.row = start;
    }

    /// The line of the row that begins at byte `start`, as [`line_of`]
    /// finds it.
    ///
    /// [`line_of`]: LineStarts::line_of
    fn line_at(&mut self, start: u64) -> u64 {
        while self.starts.front().is_some_and(|&(at, _)| at < start) {
            self.starts.pop_front();
        }
        self.starts.front().map_or(self.line, |&(_, line)| line)
    }

    /// The line a row begins on, from where the CSV reader says it does: the
    /// first line not blank at or after that byte, which is where the
    /// reader's own count would be but for line ends it had not skipped yet.
    fn line_of(&mut self, at: &csv::Position) -> u64 {
        while self
            .starts
            .front()
            .is_some_and(|&(start, _)| start < at.byte())
        {
            self.starts.pop_front();
        }
        self.starts.front().map_or(at.line(), |&(_, line)| line)
    }
}

impl<R: Read> Read for LineStarts<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // the reader asks for more only once it has taken all it was given:
        // so much of the row is read
        if self.read - self.row.min(self.read) > ROW {
            return Err(io::Error::other(TooLong));
        }
        let n = self.input.read(buf)?;
        let bytes = &buf[..n];
        let mut at = 0;
        while at < n {
            if std::mem::take(&mut self.after_cr) && bytes[at] == b'\n' {
                // the LF of a CR LF: the line ended at the CR
                at += 1;
                continue;
            }
            if self.at_start {
                if !matches!(bytes[at], b'\r' | b'\n') {
                    self.starts.push_back((self.read + at as u64, self.line));
                }
                self.at_start = false;
            }
            let Some(end) = memchr::memchr2(b'\r', b'\n', &bytes[at..]) else {
                break;
            };
            at += end;
            self.after_cr = bytes[at] == b'\r';
            at += 1;
            self.line += 1;
            self.at_start = true;
        }
        self.read += n as u64;
        Ok(n)
    }
}

/// Puts a new pact's registration, its stream's first line, in `stream`.
fn register(id: &PactId, stream: &mut Building, name: Option<String>, now: DateTime<Utc>) {
    let name = name.unwrap_or_else(|| id.to_string());
    stream.name.clone_from(&name);
    stream.append(
        id,
        EventBody::Registered(Pact::named(id.clone(), name)),
        now,
    );
}

/// An existing stream, folded under the store's lock into what its rows
/// are checked against, ready to take lines: its timeline's steps, and
/// when the rows say which event they are, the index of its ids, to read
/// again the event a row names.
fn existing(store: &Store, id: &PactId, by_event: bool) -> Result<Building, Error> {
    // the import holds the store's lock, so no writer changes the stream
    // until it is done
    // each status's date, line and whether it was withdrawn
    let mut statuses: Vec<(EffectiveDate, u32, Status, bool)> = Vec::new();
    let mut offsets = Vec::new();
    let mut last_recorded = None;
    let (stream, _, index) = store.fold_indexed(id, |line| {
        // (a line of a stream pactlog reads is numbered within a u32)
        let number = line.number as u32;
        match line.fact.what {
            // a sheet's rows are the pact's own statuses: checked against
            // its own timeline
            What::Status {
                status,
                on,
                of_parties: false,
                ..
            } => statuses.push((on, number, status, false)),
            What::Retraction { .. } => {
                let target = line.target.map_or(0, |t| t as u32);
                if let Ok(at) = statuses.binary_search_by_key(&target, |s| s.1) {
                    statuses[at].3 = true;
                }
            }
            What::Registered | What::Note { .. } | What::Status { .. } => {}
        }
        if by_event {
            offsets.push(line.offset);
        }
        last_recorded = Some(line.fact.recorded);
        Ok(())
    })?;
    statuses.retain(|s| !s.3);
    let steps = Timeline::of(
        statuses
            .into_iter()
            .map(|(on, line, status, _)| Staged {
                on,
                seq: line.into(),
                status,
                forced: false,
                key: true,
            })
            .collect(),
    );
    Ok(Building {
        existing: Some(stream.len),
        lines: Vec::new(),
        tail: Tail {
            seq: stream.events as u64,
            head: Some(stream.head),
            recorded: last_recorded,
        },
        steps,
        name: stream.pact.name,
        recorded: by_event.then_some(Recorded {
            index,
            offsets,
            len: stream.len,
        }),
    })
}

/// Checks that a row naming an event the stream already holds says what
/// that event says: then it is that event, and nothing is recorded for it.
fn already_recorded(event: Uuid, recorded: &StatusChange, row: &StatusChange) -> Result<(), Error> {
    // a sheet's line ends may have been turned to CR LF, within cells too
    let text = |t: &Option<String>| {
        let text = t.as_deref().unwrap_or_default().replace("\r\n", "\n");
        text.escape_debug().to_string()
    };
    let differs = [
        (
            "status",
            recorded.status.to_string(),
            row.status.to_string(),
        ),
        ("on", recorded.on.to_string(), row.on.to_string()),
        ("source", text(&recorded.source), text(&row.source)),
        ("url", text(&recorded.url), text(&row.url)),
        ("note", text(&recorded.note), text(&row.note)),
        (
            "reported",
            recorded.reported.to_string(),
            row.reported.to_string(),
        ),
        (
            "forced",
            recorded.forced.to_string(),
            row.forced.to_string(),
        ),
    ]
    .into_iter()
    .find(|(_, was, is)| was != is);
    match differs {
        None => Ok(()),
        Some((column, recorded, given)) => Err(ImportProblem::EventDiffers {
            event,
            column,
            recorded,
            given,
        }
        .into()),
    }
}

fn unknown_pact(names: &Names, query: &str, create_pacts: bool) -> Error {
    if create_pacts {
        // a name that is not an id cannot be created
        return PactId::parse(&query.trim().to_lowercase())
            .err()
            .unwrap_or(Error::UnknownPact {
                query: query.to_owned(),
                suggestion: None,
                unreadable: 0,
            });
    }
    ImportProblem::UnknownPact {
        query: query.to_owned(),
        suggestion: names.nearest(query),
    }
    .into()
}

/// Plans a JSON Lines import: the lines of `export`, each stream recreated
/// byte for byte, or, for a stream the store holds, the lines after its own
/// added to it (its own must be the file's first); `progress` is told how
/// many lines are read. Each stream must check as a whole (chain, seq,
/// checksums), a new one with its names free, and each event as the command
/// that recorded it checks what it records.
///
/// The lines are checked as they are read, each pact's against those of
/// the pact before it, and a new pact's are written out of sight as they
/// pile up: what is held of a pact is what its checks need (some 40 bytes
/// an event), and for a stream the store holds, the lines to add to it.
///
/// # Errors
///
/// [`Error::Row`] naming the input line of the first problem: a line that
/// is not an event, wherever it is, before any other; then, pact by pact in
/// the order they first appear, the first problem of each.
pub fn plan_jsonl(
    store: &Store,
    file: &str,
    input: impl BufRead,
    progress: &dyn Fn(usize),
) -> Result<Batch, Error> {
    let mut dir_lock = lock_existing(store)?;
    let mut names = known_names(store, &dir_lock)?;
    let at = |line: u64, source: Error| Error::Row {
        file: file.to_owned(),
        line,
        source: Box::new(source),
    };
    // each pact's lines, in the order the pacts first appear, checked as
    // they come
    let mut pacts: Vec<Incoming> = Vec::new();
    let mut index: HashMap<PactId, usize> = HashMap::new();
    // the lines of new pacts not yet written out, and how many bytes
    let mut staging: Option<Staging> = None;
    let mut unwritten: Vec<usize> = Vec::new();
    let mut held = 0;
    // the stream of the pact whose lines came last stays open
    let mut open: Option<(usize, Lines)> = None;
    // a line recorded after this is looked at again once all are read
    let started = Utc::now();
    let mut input = input;
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        let n = (&mut input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(Error::io("read", file))?;
        if n == 0 {
            break;
        }
        number += 1;
        progress(number as usize);
        let mut body = line.strip_suffix(b"\n").unwrap_or(&line);
        if number == 1 {
            // a byte order mark, as some editors begin a file with, is no
            // part of a line
            body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            // a blank line, such as one left at the end by an editor
            continue;
        }
        if body.len() > MAX_LINE {
            return Err(at(
                number,
                stream_problem(crate::StreamProblem::LineTooLong),
            ));
        }
        let record = Record::parse(body).map_err(|p| at(number, stream_problem(p)))?;
        let id = PactId::parse(record.pact()).map_err(|e| {
            let problem = crate::StreamProblem::Malformed(e.to_string());
            at(number, stream_problem(problem))
        })?;
        let slot = match index.get(&id) {
            Some(&slot) => slot,
            None => {
                index.insert(id.clone(), pacts.len());
                pacts.push(Incoming::new(store, id, number));
                pacts.len() - 1
            }
        };
        let pact = &mut pacts[slot];
        let before = pact.lines.len();
        pact.take((number, body, record), started, (store, slot, &mut open));
        if pact.new && pact.lines.len() > before {
            if before == 0 {
                unwritten.push(slot);
            }
            held += pact.lines.len() - before;
            if held >= HOLD {
                let staging = match &mut staging {
                    Some(staging) => staging,
                    None => staging.insert(store.stage(dir_lock.take())?),
                };
                for slot in unwritten.drain(..) {
                    pacts[slot].write_out(staging)?;
                }
                held = 0;
            }
        }
    }
    let staging = match staging {
        Some(staging) => staging,
        None => store.stage(dir_lock.take())?,
    };
    // read once every line is: a line this machine wrote before it is not
    // ahead of it
    let now = Utc::now();
    let (mut events, mut skipped, mut created) = (0, 0, 0);
    let mut append = Vec::new();
    for mut pact in pacts {
        let first = pact.first;
        if let Some((line, problem)) = pact.broken {
            return Err(at(line, stream_problem(problem)));
        }
        let check = std::mem::replace(&mut pact.check, stream::Checker::new(&pact.id));
        let stream = check
            .finish(0)
            .map_err(|problem| at(first, stream_problem(problem)))?;
        // a stream the store holds takes the file's lines after its own, when
        // its own are the file's first: a backup restored again, or a copy
        // that went on; a file behind the store brings nothing
        let held = match pact.store.take() {
            None => 0,
            Some(Err(e)) => return Err(at(first, e)),
            Some(Ok(held)) if !held.parted && stream.events <= held.events => {
                skipped += stream.events;
                continue;
            }
            Some(Ok(held)) if held.parted => {
                return Err(at(
                    first,
                    ImportProblem::Parted {
                        pact: pact.id.to_string(),
                    }
                    .into(),
                ));
            }
            Some(Ok(held)) => held.events,
        };
        // the lines the store holds are its own, checked when they were
        // recorded; those after them are checked as their commands would
        if let Some((line, e)) = pact.refused {
            return Err(at(line, in_a_line(e)));
        }
        // recorded times never go back along a stream, so a time to come
        // would stamp every later append of the pact with it
        if let Some((line, recorded)) = pact.ahead.iter().find(|(_, t)| *t > now) {
            return Err(at(
                *line,
                ImportProblem::RecordedAhead {
                    recorded: *recorded,
                    now,
                }
                .into(),
            ));
        }
        if held > 0 {
            // the same registration as the one the store holds: its names
            // are its own
            skipped += held;
            events += stream.events - held;
            append.push((pact.id, pact.store_len, pact.lines));
        } else {
            names.check_free(&stream.pact).map_err(|e| at(first, e))?;
            names.add(&stream.pact);
            events += stream.events;
            created += 1;
            pact.write_out(&staging)?;
        }
    }
    Ok(Batch {
        pacts: created + append.len(),
        created,
        staging,
        append,
        events,
        skipped,
    })
}

/// A pact's lines of a JSON Lines import, checked as they come.
struct Incoming {
    id: PactId,
    /// The input line of its first line.
    first: u64,
    /// Whether the store has no stream of it.
    new: bool,
    /// Its lines, checked as a stream.
    check: stream::Checker,
    /// The first problem of the stream, at an input line: no line after
    /// it is checked.
    broken: Option<(u64, StreamProblem)>,
    /// For a pact the store holds, how the file's lines go along with its
    /// stream, or why that cannot be read.
    store: Option<Result<Held, Error>>,
    /// The length of the stream the store holds.
    store_len: u64,
    /// Its events checked as the commands that record them check them.
    recorded: AsRecorded,
    /// The first event those would refuse, at an input line.
    refused: Option<(u64, Error)>,
    /// The lines to write: for a new pact, those not yet written out; for
    /// one the store holds, those after its own.
    lines: Vec<u8>,
    /// Whether its staged file was begun.
    staged: bool,
    /// The lines recorded after the import began, where their recording
    /// time changes: perhaps still to come once all are read.
    ahead: Vec<(u64, DateTime<Utc>)>,
}

/// How a pact's lines go along with the stream the store holds of it.
struct Held {
    /// How many bytes of it were checked.
    len: u64,
    /// How many events it holds.
    events: usize,
    /// Where its next line begins.
    offset: u64,
    /// Whether a line of the file was not the store's line in its place.
    parted: bool,
}

impl Incoming {
    fn new(store: &Store, id: PactId, first: u64) -> Incoming {
        let exists = store.stream_path(&id).exists();
        let mut store_len = 0;
        let held = exists.then(|| {
            // (its file is let go: a restore may name thousands of pacts,
            // and each is opened again as its lines come)
            store.fold(&id, |_| Ok(())).map(|(folded, _)| {
                store_len = folded.len;
                Held {
                    len: folded.len,
                    events: folded.events,
                    offset: 0,
                    parted: false,
                }
            })
        });
        Incoming {
            check: stream::Checker::new(&id),
            id,
            first,
            new: !exists,
            broken: None,
            store: held,
            store_len,
            recorded: AsRecorded::new(),
            refused: None,
            lines: Vec::new(),
            staged: false,
            ahead: Vec::new(),
        }
    }

    /// Takes the pact's next line, input line `number`, read as `record`.
    /// `open` is the one stream of the store held open, with the place of
    /// its pact among the file's: this pact's is `slot`.
    fn take(
        &mut self,
        (number, body, record): (u64, &[u8], Record<'_>),
        started: DateTime<Utc>,
        (store_of, slot, open): (&Store, usize, &mut Option<(usize, Lines)>),
    ) {
        if self.broken.is_some() {
            return;
        }
        let line = self.check.events() + 1;
        // a line of a stream the store holds is its own line, while they
        // go along, and after its last, a line to add
        let mut held = false;
        if let Some(Ok(store)) = &mut self.store
            && !store.parted
            && line <= store.events
        {
            let lines = match open {
                Some((at, lines)) if *at == slot => Ok(lines),
                _ => store_of
                    .lines(&self.id, store.len)
                    .map(|lines| &mut open.insert((slot, lines)).1),
            };
            match lines.and_then(|lines| lines.bytes(line, store.offset)) {
                Ok(own) if own == body => {
                    store.offset += body.len() as u64 + 1;
                    held = true;
                }
                Ok(_) => store.parted = true,
                Err(e) => self.store = Some(Err(e)),
            }
        }
        let checking = self.refused.is_none()
            && match &self.store {
                None => true,
                Some(Ok(store)) => !store.parted,
                Some(Err(_)) => false,
            };
        let fact = match record.fact() {
            Ok(fact) => fact,
            Err(why) => {
                self.broken = Some((number, StreamProblem::Malformed(why)));
                return;
            }
        };
        let mut taken = None;
        let checked = self.check.checked(body, record, fact, 0, &mut |line| {
            let parties = (checking && held).then(|| line.record.parties());
            let event = (checking && !held).then(|| line.record.into_event());
            taken = Some((line.fact, line.target, event, parties));
            Ok(())
        });
        if let Err(problem) = checked {
            self.broken = Some((number, problem));
            return;
        }
        let Some((fact, target, event, parties)) = taken else {
            return;
        };
        if fact.recorded > started && self.ahead.last().is_none_or(|(_, t)| *t != fact.recorded) {
            self.ahead.push((number, fact.recorded));
        }
        if checking {
            let checked = match event {
                None => {
                    let parties = parties.unwrap_or_default();
                    self.recorded.held(line, &fact, target, parties);
                    Ok(())
                }
                Some(Ok(event)) => self
                    .recorded
                    .check(&self.id, line, &event, target, &self.check),
                Some(Err(why)) => Err(ImportProblem::Line(StreamProblem::Malformed(why)).into()),
            };
            if let Err(e) = checked {
                self.refused = Some((number, e));
            }
        }
        if !held {
            self.lines.extend_from_slice(body);
            self.lines.push(b'\n');
        }
    }

    /// Writes a new pact's lines not yet written to its staged file.
    fn write_out(&mut self, staging: &Staging) -> Result<(), Error> {
        if self.lines.is_empty() && self.staged {
            return Ok(());
        }
        staging.write(&self.id, &self.lines, !self.staged)?;
        // let go of the buffer, not just its lines: a store's worth of pacts
        // each keeping one would hold the whole file
        self.lines = Vec::new();
        self.staged = true;
        Ok(())
    }
}

/// Checks a stream's events, in order, as `register`, `append`, `note` and
/// `retract` check what they record: every field within its limits, each
/// status against its neighbours in the timeline the events before it make,
/// and each retraction against that timeline without its target. A stream
/// those commands wrote passes; one they would have refused does not, even
/// when its lines chain and check. The events the store holds already are
/// taken as they stand. The timeline is kept as each status's date, line
/// and whether it was forced.
struct AsRecorded {
    /// The pact's own timeline.
    steps: Timeline<Staged<()>>,
    /// The pact's parties, as registered.
    members: Vec<String>,
    /// The timeline of each party that has statuses of its own: the
    /// pact's statuses and its own.
    parties: Vec<(String, Timeline<Staged<()>>)>,
}

impl AsRecorded {
    fn new() -> Self {
        AsRecorded {
            steps: Timeline::default(),
            members: Vec::new(),
            parties: Vec::new(),
        }
    }

    /// The timeline of `party`, begun from the pact's when it is first
    /// named.
    fn party(&mut self, party: &str) -> &mut Timeline<Staged<()>> {
        let at = match self.parties.iter().position(|(p, _)| p == party) {
            Some(at) => at,
            None => {
                self.parties.push((party.to_owned(), self.steps.clone()));
                self.parties.len() - 1
            }
        };
        &mut self.parties[at].1
    }

    /// Takes line `line`, an event the store holds already, as it stands:
    /// the events after it were checked against it. `parties` are those
    /// the line names.
    fn held(&mut self, line: usize, fact: &Fact, target: Option<usize>, parties: Vec<String>) {
        match fact.what {
            What::Status {
                status, on, forced, ..
            } => {
                let step = Staged {
                    on,
                    seq: line as u64,
                    status,
                    forced,
                    key: (),
                };
                if parties.is_empty() {
                    self.steps.place(step);
                    self.parties.iter_mut().for_each(|(_, t)| t.place(step));
                }
                for party in &parties {
                    self.party(party).place(step);
                }
            }
            What::Retraction { .. } => self.withdraw(target),
            What::Registered => self.members = parties,
            What::Note { .. } => {}
        }
    }

    /// Takes out the status a retraction withdraws, at line `target`.
    fn withdraw(&mut self, target: Option<usize>) {
        if let Some(target) = target {
            let kept = |s: &Staged<()>| s.seq != target as u64;
            self.steps.retain(kept);
            self.parties.iter_mut().for_each(|(_, t)| t.retain(kept));
        }
    }

    /// Checks that each of `named` is one of the pact's parties, spelled
    /// as it is.
    fn members(&self, id: &PactId, named: &[String]) -> Result<(), Error> {
        match named.iter().find(|p| !self.members.contains(p)) {
            Some(party) => Err(Error::UnknownParty {
                pact: id.to_string(),
                party: party.clone(),
                parties: self.members.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Checks `event`, of line `line`, as the command that records it would.
    /// `check` has checked the stream up to it, and knows each line's id.
    fn check(
        &mut self,
        id: &PactId,
        line: usize,
        event: &Event,
        target: Option<usize>,
        check: &stream::Checker,
    ) -> Result<(), Error> {
        fn text(field: &str, value: &str, max: usize) -> Result<(), Error> {
            as_stored(field, value, limits::check_text(field, value, max))
        }
        fn sourced(source: Option<&str>, url: Option<&str>) -> Result<(), Error> {
            if let Some(source) = source {
                text("source", source, limits::SOURCE)?;
            }
            if let Some(url) = url {
                as_stored("url", url, limits::check_url(url))?;
            }
            Ok(())
        }
        match &event.body {
            EventBody::Registered(pact) => {
                self.members.clone_from(&pact.parties);
                pact.clone().validated().and_then(|valid| {
                    (valid == *pact).then_some(()).ok_or_else(|| {
                        ImportProblem::UntrimmedRegistration {
                            pact: id.to_string(),
                        }
                        .into()
                    })
                })
            }
            EventBody::Status(change) => sourced(change.source.as_deref(), change.url.as_deref())
                .and_then(|()| match &change.note {
                    Some(note) => text("note", note, limits::TEXT),
                    None => Ok(()),
                })
                .and_then(|()| {
                    let step = Staged {
                        on: change.on,
                        seq: line as u64,
                        status: change.status,
                        forced: change.forced,
                        key: (),
                    };
                    if change.parties.is_empty() {
                        self.steps.append(id, step)?;
                        self.parties.iter_mut().for_each(|(_, t)| t.place(step));
                    }
                    self.members(id, &change.parties)?;
                    for party in &change.parties {
                        self.party(party)
                            .append(id, step)
                            .map_err(|e| Error::PartyLifecycle {
                                party: party.clone(),
                                source: Box::new(e),
                            })?;
                    }
                    Ok(())
                }),
            EventBody::Note(note) => text("note text", &note.text, limits::TEXT)
                .and_then(|()| sourced(note.source.as_deref(), note.url.as_deref()))
                .and_then(|()| self.members(id, &note.parties)),
            EventBody::Retraction(retraction) => {
                text("reason", &retraction.reason, limits::TEXT)?;
                // the stream's checks found the target, an earlier status or
                // note not retracted yet: what is left is whether the
                // statuses either side of it may stand side by side
                let target_line = target.map(|t| t as u64);
                let withdrawal = self.steps.check_withdrawal(|s| Some(s.seq) == target_line);
                if let Err((before, after)) = withdrawal {
                    let said = |s: &Staged<()>| {
                        let id = check.id_at(s.seq as usize).unwrap_or_default();
                        format!("{} on {} (event {id})", s.status, s.on)
                    };
                    return Err(LifecycleError::RetractionBreaks {
                        pact: id.to_string(),
                        target: retraction.target,
                        before: before.map(said),
                        after: said(after),
                    }
                    .into());
                }
                self.withdraw(target);
                Ok(())
            }
        }
    }
}

/// `e` as said of an event line: where the command line says `--force`, a
/// line says `"forced":true`; and no command wrote a retraction that
/// `retract` refuses.
fn in_a_line(e: Error) -> Error {
    match e {
        Error::Lifecycle(lifecycle) => ImportProblem::BreaksLifecycle(lifecycle).into(),
        e => e,
    }
}

/// Checks a stored value as the command that records it would: it must
/// pass `checked`, and be what that command stores (values are trimmed).
fn as_stored(field: &str, value: &str, checked: Result<String, Error>) -> Result<(), Error> {
    if checked? == value {
        return Ok(());
    }
    Err(ImportProblem::Untrimmed {
        field: field.to_owned(),
        value: value.to_owned(),
    }
    .into())
}

/// A line of the file that is not as a stream's lines must be.
fn stream_problem(problem: StreamProblem) -> Error {
    ImportProblem::Line(problem).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Registration;

    /// The line each row of `text` begins on, read `chunk` bytes at a time.
    fn row_lines(text: &str, chunk: usize) -> Vec<u64> {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let input = LineStarts::new(Chunks(text.as_bytes(), chunk));
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let mut record = ByteRecord::new();
        let mut lines = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let at = record.position().unwrap().clone();
            lines.push(reader.get_mut().line_of(&at));
        }
        lines
    }

    #[test]
    fn rows_are_named_by_the_line_they_begin_on() {
        // rows on lines 2, 4 (after a blank line), 5 (over two lines) and 8
        // (after a blank line with spaces, which is a row of one empty field
        // the CSV reader keeps as a row of its own, on line 7)
        let lines = ["a,b", "1,2", "", "3,4", "5,\"x", "y\"", " ", "6,7"];
        for end in ["\n", "\r\n", "\r"] {
            let text: String = lines.iter().map(|l| format!("{l}{end}")).collect();
            for chunk in [1, 2, 3, 7, 4096] {
                let got = row_lines(&text, chunk);
                assert_eq!(got, [2, 4, 5, 7, 8], "{end:?} read {chunk} at a time");
            }
        }
    }

    /// The batch of a CSV import of `rows`, registering the pacts it names.
    fn planned(store: &Store, rows: &str) -> Batch {
        let now = Utc::now();
        plan_csv(
            store,
            "rows.csv",
            rows.as_bytes(),
            true,
            now,
            now.date_naive(),
            &|_| {},
        )
        .unwrap()
    }

    /// A stream written by something that skips the store's lock while an
    /// import is checked: the import is refused at commit, before its
    /// commit point, and leaves nothing behind.
    #[test]
    fn a_stream_changed_behind_the_stores_lock_stops_the_import_before_it_commits() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        planned(&store, "pact,status,on\naa,signed,2001-01-01\n")
            .commit(&store)
            .unwrap();
        let rows = "pact,status,on\naa,in_force,2002-02-02\nbb,signed,2003-03-03\n";
        let batch = planned(&store, rows);
        let path = store.stream_path(&PactId::parse("aa").unwrap());
        let mut stream = std::fs::read(&path).unwrap();
        stream.extend_from_slice(b"{}\n");
        std::fs::write(&path, &stream).unwrap();

        let e = batch.commit(&store).unwrap_err();
        assert!(
            e.to_string().contains("aa.jsonl changed during the import"),
            "{e}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), stream, "nothing appended");
        assert_eq!(
            files_in(dir.path()),
            ["aa.jsonl"],
            "no bb, no staged file for it, no journal"
        );
    }

    /// A batch of two new pacts, `aa` and `bb`, planned for a store that
    /// does not exist yet, which is then created by the registration of
    /// `zz` with `aliases`, before the batch commits.
    fn planned_before_the_store_was_made(
        aliases: &[&str],
    ) -> (tempfile::TempDir, Store, Result<(), Error>) {
        let above = tempfile::tempdir().unwrap();
        let store = Store::new(above.path().join("store"));
        let batch = planned(
            &store,
            "pact,status,on\naa,signed,2001-01-01\nbb,signed,2003-03-03\n",
        );
        let mut zz = Pact::named(PactId::parse("zz").unwrap(), "Z");
        zz.aliases = aliases.iter().map(|a| (*a).to_owned()).collect();
        Registration::new(zz)
            .unwrap()
            .record(&store, Utc::now())
            .unwrap();
        let committed = batch.commit(&store);
        (above, store, committed)
    }

    /// The names of the files in `dir`, sorted.
    fn files_in(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    /// A store that did not exist when the import began, but was created
    /// before it ended: its new streams still go in all together, through
    /// a journal, beside the stream made meanwhile.
    #[test]
    fn an_import_into_a_store_created_meanwhile_goes_in_through_a_journal() {
        let (above, store, committed) = planned_before_the_store_was_made(&[]);
        committed.unwrap();
        for id in ["aa", "bb"] {
            let stream = store.read(&PactId::parse(id).unwrap()).unwrap();
            assert_eq!(stream.events.len(), 2, "{id}");
        }
        assert_eq!(
            files_in(store.dir()),
            ["aa.jsonl", "bb.jsonl", "zz.jsonl"],
            "no journal, no staged file"
        );
        assert_eq!(files_in(above.path()), ["store"], "staging gone");
    }

    /// A store made meanwhile, by another import say, with one of the new
    /// pacts in it: refused, saying so, and nothing is left behind.
    #[test]
    fn an_import_into_a_store_created_meanwhile_with_one_of_its_pacts_is_refused() {
        let above = tempfile::tempdir().unwrap();
        let store = Store::new(above.path().join("store"));
        let batch = planned(&store, "pact,status,on\naa,signed,2001-01-01\n");
        let aa = Pact::named(PactId::parse("aa").unwrap(), "A");
        Registration::new(aa)
            .unwrap()
            .record(&store, Utc::now())
            .unwrap();
        let e = batch.commit(&store).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "the store {} was created by another command while this import was checked, \
                 and it has pact 'aa' already",
                store.dir().display()
            )
        );
        assert!(
            matches!(&e, Error::StoreCreatedMeanwhile { dir, pact } if dir == store.dir() && pact == "aa"),
            "{e:?}"
        );
        assert_eq!(files_in(store.dir()), ["aa.jsonl"]);
        assert_eq!(files_in(above.path()), ["store"], "staging gone");
    }

    /// The names of a store made meanwhile count: a new pact whose id is an
    /// alias taken there is refused, and nothing is left behind.
    #[test]
    fn an_import_into_a_store_created_meanwhile_is_refused_a_name_taken_there() {
        let (above, store, committed) = planned_before_the_store_was_made(&["BB"]);
        let e = committed.unwrap_err();
        assert_eq!(e.to_string(), "'bb' is already a name of pact 'zz'");
        assert_eq!(files_in(store.dir()), ["zz.jsonl"]);
        assert_eq!(files_in(above.path()), ["store"], "staging gone");
    }
}
