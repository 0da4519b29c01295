//! Checking a CSV sheet's rows: each row sent by its pact to one of a pool
//! of workers, which builds and checks that pact's stream in file order,
//! the whole making a [`Batch`].

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use chrono::{DateTime, NaiveDate, Utc};
use csv::{ByteRecord, StringRecord};
use uuid::Uuid;

use crate::log::store::{Lines, Names, Staging, Store, Tail};
use crate::log::stream::Index;
use crate::model::date::EffectiveDate;
use crate::model::error::{Error, ImportProblem};
use crate::model::event::{EventBody, Hash, StatusChange, What};
use crate::model::limits;
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;
use crate::replay::{Staged, Timeline};
use crate::transfer::import::sheet::{
    LineStarts, csv_error, is_too_long, not_utf8, parse_row, read_headers,
};
use crate::transfer::import::{Batch, HOLD, known_names, lock_existing};

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
    /// Each pact it writes to: how many events, and whether it is new.
    per_pact: Vec<(PactId, usize, bool)>,
}

/// A pact's stream on a worker.
struct Pending {
    id: PactId,
    stream: Building,
    /// Whether its file has been begun.
    staged: bool,
    /// How many of its rows it records.
    events: usize,
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
                        pacts[job.slot].events += 1;
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
            let created = pending.stream.existing.is_none();
            match pending.stream.existing {
                // a pact whose every row was recorded already is untouched
                Some(_) if pending.stream.lines.is_empty() => continue,
                Some(len) => out
                    .append
                    .push((pending.id.clone(), len, pending.stream.lines)),
                None => out.created += 1,
            }
            // a new pact's registration is one of its events
            let events = pending.events + usize::from(created);
            out.per_pact.push((pending.id, events, created));
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
                events: 0,
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
        per_pact: Vec::new(),
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
        batch.per_pact.extend(outcome.per_pact);
    }
    batch.per_pact.sort_unstable();
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
            What::Registered
            | What::Note { .. }
            | What::Status { .. }
            | What::Citation { .. }
            | What::Edited => {}
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
