//! Checking a CSV sheet's rows: each row sent by its pact to one of a pool
//! of workers, which builds and checks that pact's stream, the whole making
//! a [`Batch`].
//!
//! A pact's rows are applied in the order of their effective dates (rows of
//! one date in the order of the file), wherever they are in the sheet.
//! While they come in that order, which is usual, each is checked and made
//! into its line as it comes, and nothing of it is kept. Once a row comes
//! that belongs before one applied already (or gives metadata the pact's
//! registration was made without, or names a party no row has given yet),
//! the pact's rows are held instead, the events made so far taken back
//! into them, and they are applied in order once the whole sheet is read.
//! Every bad row is found: each is set aside with what is wrong with it,
//! and the rows after it are checked as if it were not there.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use chrono::{DateTime, NaiveDate, Utc};
use csv::{ByteRecord, StringRecord};
use uuid::Uuid;

use crate::command::Registration;
use crate::log::store::{Lines, Names, Staging, Store, Tail};
use crate::log::stream::Index;
use crate::model::date::EffectiveDate;
use crate::model::error::{CsvProblem, Error, ImportProblem};
use crate::model::event::{Event, EventBody, Hash, What};
use crate::model::pact::{Pact, PactId};
use crate::replay::Staged;
use crate::transfer::import::sheet::{
    LineStarts, Meta, Row, csv_error, is_too_long, not_utf8, parse_row, read_headers,
};
use crate::transfer::import::timelines::Timelines;
use crate::transfer::import::{Batch, HOLD, known_names, lock_existing};

/// How a CSV import is made.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvOptions {
    /// Register the pacts the sheet names that the store does not have.
    pub create_pacts: bool,
    /// Check everything but write no stream: the batch is only to say what
    /// would be written.
    pub dry_run: bool,
}

/// How many rows a new stream takes, applied as they came, before its
/// lines are written out with the others.
const YOUNG: usize = 8;

/// The bytes of young streams' lines a worker holds before it writes them
/// out all the same.
const YOUNG_HOLD: usize = 64 << 20;

/// About how long a line of a status or a note is, with its source: room
/// made for a pact's lines before its held rows are applied.
const LINE_GUESS: usize = 512;

/// How many bad rows an import names; the rest are counted.
pub const SHOWN_ROWS: usize = 20;

/// Bad rows found so far, each with its line: the first [`SHOWN_ROWS`] by
/// line, and how many more.
#[derive(Debug, Default)]
struct Bad {
    rows: Vec<(u64, Error)>,
    more: usize,
}

impl Bad {
    fn add(&mut self, line: u64, e: Error) {
        self.rows.push((line, e));
        if self.rows.len() >= 4 * SHOWN_ROWS {
            self.trim();
        }
    }

    /// Keeps the first [`SHOWN_ROWS`], counting the others.
    fn trim(&mut self) {
        self.rows.sort_by_key(|(line, _)| *line);
        if self.rows.len() > SHOWN_ROWS {
            self.more += self.rows.len() - SHOWN_ROWS;
            self.rows.truncate(SHOWN_ROWS);
        }
    }

    fn extend(&mut self, other: Bad) {
        self.more += other.more;
        for (line, e) in other.rows {
            self.add(line, e);
        }
    }

    fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.more == 0
    }
}

/// A pact's stream as the batch builds it.
#[derive(Default)]
struct Building {
    /// For an existing stream, its length when it was read.
    existing: Option<u64>,
    /// The lines not yet written (for a new pact, those not yet staged).
    lines: Vec<u8>,
    /// Where the stream ends, with the lines made so far.
    tail: Tail,
    /// Where it ended before the import.
    start: Tail,
    /// The timelines so far, each status keyed by whether the stream held
    /// it before the import.
    steps: Timelines<bool>,
    /// The pact as it stands in the store, for an existing stream.
    pact: Option<Pact>,
    /// Whether a new pact's registration is made.
    registered: bool,
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
    offsets: Offsets,
    /// How many bytes of the stream were read.
    len: u64,
}

impl Building {
    fn append(&mut self, id: &PactId, body: EventBody, now: DateTime<Utc>) {
        let event = self.tail.next(id, body, now);
        let start = self.lines.len();
        event.write_line(&mut self.lines);
        self.tail = Tail::after(&event, Hash::of(&self.lines[start..]));
        self.lines.push(b'\n');
    }

    /// Makes room for `events` more events, each line of about
    /// [`LINE_GUESS`] bytes, `statuses` of them the pact's own, so that
    /// its lines and timeline are not copied as they grow.
    fn reserve(&mut self, events: usize, statuses: usize) {
        self.lines.reserve(events * LINE_GUESS);
        self.steps.steps.reserve(statuses);
    }

    /// The stream as it was before the import: what a pact whose rows are
    /// held is built from again.
    fn restart(&mut self) {
        self.lines.clear();
        self.tail = self.start;
        if self.existing.is_some() {
            self.steps.retain(|s| s.key);
        } else {
            self.steps = Timelines::default();
            self.registered = false;
        }
    }
}

/// A pact's metadata as the sheet's rows give it, each part with the line
/// of the row that gave it first.
#[derive(Default)]
struct Gathered {
    name: Option<(String, u64)>,
    aliases: Option<(Vec<String>, u64)>,
    parties: Option<(Vec<String>, u64)>,
    kind: Option<(String, u64)>,
    description: Option<(String, u64)>,
}

/// A part of a pact's metadata, as a sheet gives it.
trait Part {
    /// Whether two rows give the same.
    fn same(&self, other: &Self) -> bool;
    /// As a sheet writes it.
    fn shown(&self) -> String;
}

impl Part for String {
    fn same(&self, other: &Self) -> bool {
        self == other
    }
    fn shown(&self) -> String {
        self.clone()
    }
}

/// A list of labels: the same when it names the same, in any order and any
/// case.
impl Part for Vec<String> {
    fn same(&self, other: &Self) -> bool {
        let folded = |l: &[String]| {
            let mut l: Vec<String> = l.iter().map(|s| s.to_lowercase()).collect();
            l.sort_unstable();
            l
        };
        folded(self) == folded(other)
    }
    fn shown(&self) -> String {
        self.join(";")
    }
}

/// Checks one part of the metadata a row gives against what the rows
/// before it gave; returns whether it is new.
fn gather<T: Part>(
    (pact, column): (&PactId, &'static str),
    slot: &Option<(T, u64)>,
    given: Option<&T>,
) -> Result<bool, Error> {
    match (slot, given) {
        (_, None) => Ok(false),
        (None, Some(_)) => Ok(true),
        (Some((before, line)), Some(given)) if !before.same(given) => {
            Err(ImportProblem::MetadataDisagrees {
                pact: pact.to_string(),
                column,
                given: given.shown(),
                line: *line,
                before: before.shown(),
            }
            .into())
        }
        (Some(_), Some(_)) => Ok(false),
    }
}

/// Checks one part of the metadata a row gives against the pact as the
/// store holds it.
fn as_recorded<T: Part>(
    (pact, column): (&PactId, &'static str),
    recorded: &T,
    given: Option<&T>,
) -> Result<(), Error> {
    match given {
        Some(given) if !recorded.same(given) => Err(ImportProblem::RecordedDiffers {
            pact: pact.to_string(),
            column,
            given: given.shown(),
            recorded: recorded.shown(),
        }
        .into()),
        _ => Ok(()),
    }
}

impl Gathered {
    /// Takes in the metadata a row on `line` gives; returns whether it
    /// gives a part no row before it gave. A row that disagrees with one
    /// before it is refused, and nothing of it is taken.
    fn take(&mut self, pact: &PactId, meta: Meta, line: u64) -> Result<bool, Error> {
        let at = |column| (pact, column);
        let new = [
            gather(at("name"), &self.name, meta.name.as_ref())?,
            gather(at("aliases"), &self.aliases, meta.aliases.as_ref())?,
            gather(at("parties"), &self.parties, meta.parties.as_ref())?,
            gather(at("pact_kind"), &self.kind, meta.kind.as_ref())?,
            gather(
                at("description"),
                &self.description,
                meta.description.as_ref(),
            )?,
        ];
        fn set<T>(slot: &mut Option<(T, u64)>, given: Option<T>, line: u64) {
            if slot.is_none()
                && let Some(given) = given
            {
                *slot = Some((given, line));
            }
        }
        set(&mut self.name, meta.name, line);
        set(&mut self.aliases, meta.aliases, line);
        set(&mut self.parties, meta.parties, line);
        set(&mut self.kind, meta.kind, line);
        set(&mut self.description, meta.description, line);
        Ok(new.contains(&true))
    }

    /// The pact these give, to register.
    fn pact(&self, id: &PactId) -> Pact {
        let part = |p: &Option<(String, u64)>| p.as_ref().map(|(v, _)| v.clone());
        let list = |p: &Option<(Vec<String>, u64)>| p.as_ref().map(|(v, _)| v.clone());
        let mut pact = Pact::named(
            id.clone(),
            part(&self.name).unwrap_or_else(|| id.to_string()),
        );
        pact.aliases = list(&self.aliases).unwrap_or_default();
        pact.parties = list(&self.parties).unwrap_or_default();
        pact.kind = part(&self.kind);
        pact.description = part(&self.description);
        pact
    }
}

/// Checks the metadata a row gives against the pact as the store holds it.
fn agrees(pact: &Pact, meta: &Meta) -> Result<(), Error> {
    let id = &pact.id;
    if let Some(name) = &meta.name
        && name != pact.name.trim()
    {
        return Err(ImportProblem::NameDiffers {
            pact: id.to_string(),
            given: name.clone(),
            registered: pact.name.clone(),
        }
        .into());
    }
    as_recorded((id, "aliases"), &pact.aliases, meta.aliases.as_ref())?;
    as_recorded((id, "parties"), &pact.parties, meta.parties.as_ref())?;
    let none = String::new();
    as_recorded(
        (id, "pact_kind"),
        pact.kind.as_ref().unwrap_or(&none),
        meta.kind.as_ref(),
    )?;
    as_recorded(
        (id, "description"),
        pact.description.as_ref().unwrap_or(&none),
        meta.description.as_ref(),
    )
}

/// A row held to be applied in date order once the sheet is read.
struct Held {
    /// The line it begins on.
    line: u64,
    what: HeldRow,
}

impl Held {
    /// The event of a row read whole.
    fn made(&self) -> &EventBody {
        match &self.what {
            HeldRow::Made(body) => body,
            HeldRow::Cells(_) => unreachable!("a row held as cells is read before it is placed"),
        }
    }
}

enum HeldRow {
    /// The cells of a row the timelines refused as they stood, at this
    /// offset in the worker's store of them: read again when it is
    /// applied in its place.
    Cells(usize),
    /// The event the row records, read as it came (or made of it before
    /// its pact's rows were held).
    Made(Box<EventBody>),
}

/// How a pact's rows are applied.
enum Order {
    /// As they come, each after the one before in date order.
    InTurn {
        /// The day of the last row applied.
        last: Option<NaiveDate>,
        /// The line of each row made into an event, in order.
        made: Vec<u64>,
        /// The rows refused by the timelines as they stood, to check again
        /// should the pact's rows be held, and why.
        refused: Vec<(Held, Error)>,
    },
    /// Held, to be applied in date order when the sheet is read.
    Held(Vec<Held>),
}

/// A pact's stream on a worker.
struct Pending {
    id: PactId,
    stream: Building,
    /// The metadata the rows give.
    meta: Gathered,
    order: Order,
    /// Whether its file has been begun.
    staged: bool,
    /// How many of its rows it records.
    events: usize,
    /// The line of its first row.
    first_line: u64,
    /// Whether it cannot be built (its stream could not be read, or its
    /// registration was refused): its rows are not checked further.
    broken: bool,
}

/// The earliest day of a row's event.
fn day_of(body: &EventBody) -> NaiveDate {
    let on: EffectiveDate = match body {
        EventBody::Status(change) => change.on,
        EventBody::Note(note) => note.on,
        _ => unreachable!("a row is a status or a note"),
    };
    on.earliest()
}

/// The parties a row's event names.
fn parties_of(body: &EventBody) -> &[String] {
    match body {
        EventBody::Status(change) => &change.parties,
        EventBody::Note(note) => &note.parties,
        _ => &[],
    }
}

/// Keeps a row's cells in `cells`; returns where.
fn keep(cells: &mut Vec<u8>, record: &ByteRecord) -> usize {
    let at = cells.len();
    cells.extend_from_slice(&(record.len() as u32).to_le_bytes());
    for field in record {
        cells.extend_from_slice(&(field.len() as u32).to_le_bytes());
        cells.extend_from_slice(field);
    }
    at
}

/// The row's cells kept at `at` in `cells`, into `record`.
fn kept(cells: &[u8], at: usize, record: &mut ByteRecord) {
    let number = |at: usize| u32::from_le_bytes(cells[at..at + 4].try_into().expect("4 bytes"));
    record.clear();
    let mut next = at + 4;
    for _ in 0..number(at) {
        let len = number(next) as usize;
        record.push_field(&cells[next + 4..next + 4 + len]);
        next += 4 + len;
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
    /// Whether a bad row has been found: nothing more is worth writing.
    bad: &'a AtomicBool,
    /// Whether nothing is to be put in place: the new streams' lines are
    /// set aside in one file of each worker's, not staged as streams.
    dry_run: bool,
}

/// What one worker did.
#[derive(Default)]
struct Outcome {
    /// The bad rows among its pacts'.
    bad: Bad,
    /// An error reading the store or writing a new stream.
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
    /// Each new pact's aliases, with the line of its first row: to check
    /// against the other new pacts'.
    names: Vec<(PactId, Vec<String>, u64)>,
}

/// A worker's pacts and what it has found.
struct Worker<'c, 'a> {
    checker: &'c Checker<'a>,
    pacts: Vec<Pending>,
    /// The new streams with lines not yet written.
    unwritten: Vec<usize>,
    /// The bytes of those lines, but for young streams'.
    held: usize,
    /// The bytes of the lines of young streams: new streams of fewer than
    /// [`YOUNG`] rows, whose rows may yet prove to be out of date order.
    /// They are not written out until they grow (or there are too many of
    /// them), so that a shuffled sheet's pacts are not written, read back
    /// and written again.
    young: usize,
    /// The one existing stream held open, to read the events rows name.
    open: Option<(usize, Lines)>,
    /// The cells of the rows refused where they came, held to be checked
    /// again in their place.
    cells: Vec<u8>,
    /// In a dry run, where the new streams' lines are set aside.
    spill: Spill,
    /// Whether the pacts are being settled: no pact's rows come to be held
    /// any more, so a dry run need not set lines aside.
    settling: bool,
    out: Outcome,
}

/// In a dry run, the new streams' lines set aside in one unnamed file
/// instead of a staged file each: read back only if the pact's rows come
/// to be held.
#[derive(Default)]
struct Spill {
    file: Option<File>,
    len: u64,
    /// Where each pact's lines are, by its slot.
    places: HashMap<usize, Vec<(u64, usize)>>,
}

impl Spill {
    fn write(&mut self, slot: usize, lines: &[u8]) -> io::Result<()> {
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(tempfile::tempfile()?),
        };
        file.write_all(lines)?;
        self.places
            .entry(slot)
            .or_default()
            .push((self.len, lines.len()));
        self.len += lines.len() as u64;
        Ok(())
    }

    fn take_back(&mut self, slot: usize) -> io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let mut bytes = Vec::new();
        if let (Some(file), Some(places)) = (&self.file, self.places.remove(&slot)) {
            for (at, len) in places {
                let start = bytes.len();
                bytes.resize(start + len, 0);
                file.read_exact_at(&mut bytes[start..], at)?;
            }
        }
        Ok(bytes)
    }
}

impl Checker<'_> {
    /// Checks the rows of the pacts given to this worker, and writes the
    /// new streams out as their lines pile up. The rows' records go back on
    /// `used`, to be read into again.
    fn work(&self, jobs: Receiver<Vec<Job>>, used: Sender<Vec<Job>>) -> Outcome {
        let mut worker = Worker {
            checker: self,
            pacts: Vec::new(),
            unwritten: Vec::new(),
            held: 0,
            young: 0,
            open: None,
            cells: Vec::new(),
            spill: Spill::default(),
            settling: false,
            out: Outcome::default(),
        };
        for mut jobs in jobs {
            if worker.out.failed.is_none() {
                for job in &mut jobs {
                    worker.take(job);
                }
            }
            let _ = used.send(jobs);
            if worker.held >= HOLD || worker.young >= YOUNG_HOLD {
                worker.write_out();
            }
        }
        worker.finish()
    }
}

/// Whether a row was refused only by the timelines as the rows before it
/// in the sheet left them: held in date order, it may pass.
fn depends_on_order(e: &Error) -> bool {
    matches!(
        e,
        Error::Lifecycle(_)
            | Error::PartyLifecycle { .. }
            | Error::Import(ImportProblem::HeldAlready { .. })
    )
}

impl Worker<'_, '_> {
    /// Sets a bad row aside.
    fn refuse(&mut self, line: u64, e: Error) {
        self.checker.bad.store(true, Ordering::Relaxed);
        self.out.bad.add(line, e);
    }

    /// Stops the worker: the store cannot be read or a stream written.
    fn fail(&mut self, e: Error) {
        self.checker.bad.store(true, Ordering::Relaxed);
        self.out.failed.get_or_insert(e);
    }

    /// Begins the stream of a pact met for the first time, on `line`.
    fn begin(&mut self, id: PactId, line: u64) {
        let c = self.checker;
        let (stream, broken) = match c.names.get(id.as_str()) {
            Some(_) => match existing(c.store, &id, c.headers.iter().any(|h| h == "event")) {
                Ok(stream) => (stream, false),
                Err(e) => {
                    self.refuse(line, e);
                    (Building::default(), true)
                }
            },
            None => (Building::default(), false),
        };
        self.pacts.push(Pending {
            id,
            stream,
            meta: Gathered::default(),
            order: Order::InTurn {
                last: None,
                made: Vec::new(),
                refused: Vec::new(),
            },
            staged: false,
            events: 0,
            first_line: line,
            broken,
        });
    }

    /// Checks one row and applies it, or holds it.
    fn take(&mut self, job: &mut Job) {
        let (line, slot) = (job.line, job.slot);
        if let Some(id) = job.first.take() {
            self.begin(id, line);
        }
        let c = self.checker;
        let p = &self.pacts[slot];
        if p.broken {
            return;
        }
        // read whole as it comes, on the core its pact's rows go to, even
        // when it is to be held: the reading then goes on beside the sheet's
        let row = match parse_row(&job.record, c.headers.as_byte_record(), c.today) {
            Ok(row) => row,
            Err(e) => return self.refuse(line, e),
        };
        let p = &mut self.pacts[slot];
        let gave_more = match &p.stream.pact {
            Some(pact) => agrees(pact, &row.meta).map(|()| false),
            None => p.meta.take(&p.id, row.meta, line),
        };
        match gave_more {
            Err(e) => return self.refuse(line, e),
            // the registration made lacks it: made again once all is read
            Ok(true) if p.stream.registered => {
                if let Err(e) = self.hold_back(slot) {
                    return self.fail(e);
                }
            }
            Ok(_) => {}
        }
        let Some(body) = row.body else {
            return;
        };
        if let Some(event) = row.event {
            match self.recorded_already(slot, event, &body) {
                Ok(true) => {
                    self.out.skipped += 1;
                    return;
                }
                Ok(false) => {}
                Err(e) => return self.refuse(line, e),
            }
        }
        let day = day_of(&body);
        let p = &mut self.pacts[slot];
        let in_turn = match &p.order {
            Order::InTurn { last, .. } => {
                last.is_none_or(|last| day >= last)
                    && (p.stream.existing.is_some()
                        || parties_of(&body).iter().all(|named| {
                            p.meta.parties.as_ref().is_some_and(|(parties, _)| {
                                parties.iter().any(|p| p.eq_ignore_ascii_case(named))
                            })
                        }))
            }
            Order::Held(_) => false,
        };
        if !in_turn {
            if let Err(e) = self.hold_back(slot) {
                return self.fail(e);
            }
            return self.hold(slot, line, body);
        }
        if p.stream.existing.is_none()
            && !p.stream.registered
            && let Err(e) = self.register(slot)
        {
            self.pacts[slot].broken = true;
            return self.refuse(line, e);
        }
        match self.apply(slot, body) {
            Ok(()) => {
                if let Order::InTurn { last, made, .. } = &mut self.pacts[slot].order {
                    *last = Some(day);
                    made.push(line);
                }
                // grown up: its lines may be written out with the others
                if let Order::InTurn { made, .. } = &self.pacts[slot].order
                    && made.len() == YOUNG
                    && !self.pacts[slot].staged
                    && self.pacts[slot].stream.existing.is_none()
                {
                    let bytes = self.pacts[slot].stream.lines.len();
                    self.young = self.young.saturating_sub(bytes);
                    self.held += bytes;
                }
            }
            Err(e) if depends_on_order(&e) => {
                let at = keep(&mut self.cells, &job.record);
                if let Order::InTurn { refused, .. } = &mut self.pacts[slot].order {
                    let held = Held {
                        line,
                        what: HeldRow::Cells(at),
                    };
                    refused.push((held, e));
                }
            }
            Err(e) => self.refuse(line, e),
        }
    }

    /// Keeps the event of a row of a pact whose rows are held.
    fn hold(&mut self, slot: usize, line: u64, body: EventBody) {
        if let Order::Held(rows) = &mut self.pacts[slot].order {
            rows.push(Held {
                line,
                what: HeldRow::Made(Box::new(body)),
            });
        }
    }

    /// Whether a row that names `event` is that event, recorded already:
    /// then it is skipped. A row that names one and says otherwise is
    /// refused.
    fn recorded_already(
        &mut self,
        slot: usize,
        event: Uuid,
        row: &EventBody,
    ) -> Result<bool, Error> {
        let p = &self.pacts[slot];
        let Some(recorded) = &p.stream.recorded else {
            return Ok(false);
        };
        let Some(line) = recorded.index.line_of(&event) else {
            return Ok(false);
        };
        // the stream of the pact rows were last checked for stays open
        let lines = match &mut self.open {
            Some((open, lines)) if *open == slot => lines,
            _ => {
                let lines = self.checker.store.lines(&p.id, recorded.len)?;
                &mut self.open.insert((slot, lines)).1
            }
        };
        let held = lines.event(line, recorded.offsets.get(line - 1))?;
        already_recorded(&p.id, event, &held.body, row).map(|()| true)
    }

    /// Takes in a held row, read whole when its pact's rows are applied:
    /// its metadata, and the event it records, unless it records none or
    /// is an event recorded already.
    fn read_held(&mut self, slot: usize, row: Row, line: u64) -> Result<Option<EventBody>, Error> {
        let p = &mut self.pacts[slot];
        match &p.stream.pact {
            Some(pact) => agrees(pact, &row.meta)?,
            None => {
                p.meta.take(&p.id, row.meta, line)?;
            }
        }
        let Some(body) = row.body else {
            return Ok(None);
        };
        if let Some(event) = row.event
            && self.recorded_already(slot, event, &body)?
        {
            self.out.skipped += 1;
            return Ok(None);
        }
        Ok(Some(body))
    }

    /// Makes a new pact's registration from the metadata its rows give.
    fn register(&mut self, slot: usize) -> Result<(), Error> {
        let p = &mut self.pacts[slot];
        let body = Registration::new(p.meta.pact(&p.id))?.decide(self.checker.names)?;
        if let EventBody::Registered(pact) = &body {
            p.stream.steps.members.clone_from(&pact.parties);
        }
        p.stream.registered = true;
        self.add(slot, body);
        Ok(())
    }

    /// Whether the pact's stream is a young one: new, not written out,
    /// and of fewer than [`YOUNG`] rows applied as they came.
    fn is_young(&self, slot: usize) -> bool {
        let p = &self.pacts[slot];
        p.stream.existing.is_none()
            && !p.staged
            && matches!(&p.order, Order::InTurn { made, .. } if made.len() < YOUNG)
    }

    /// Adds an event to the pact's stream.
    fn add(&mut self, slot: usize, body: EventBody) {
        let young = self.is_young(slot);
        let p = &mut self.pacts[slot];
        let before = p.stream.lines.len();
        p.stream.append(&p.id, body, self.checker.now);
        if p.stream.existing.is_none() {
            if before == 0 {
                self.unwritten.push(slot);
            }
            let added = p.stream.lines.len() - before;
            match young {
                true => self.young += added,
                false => self.held += added,
            }
        }
    }

    /// Checks a row's event against its pact's timelines as they stand,
    /// and adds it.
    fn apply(&mut self, slot: usize, body: EventBody) -> Result<(), Error> {
        let p = &mut self.pacts[slot];
        let (id, stream) = (&p.id, &mut p.stream);
        let body = match body {
            EventBody::Status(mut change) => {
                change.parties = stream.steps.members_named(id, &change.parties)?;
                let step = Staged {
                    on: change.on,
                    // recorded by the import, after every event before it
                    recorded: i64::MAX,
                    seq: stream.tail.seq + 1,
                    status: change.status,
                    forced: change.forced,
                    key: false,
                };
                match stream.steps.status(id, step, &change.parties, true) {
                    Ok(()) => {}
                    // a row recorded already (this sheet imported before),
                    // or given twice, is refused by the lifecycle, whose
                    // hint would mislead
                    Err(Error::Lifecycle(refused))
                        if change.parties.is_empty()
                            && stream
                                .steps
                                .steps
                                .holding(change.status, change.on)
                                .is_some() =>
                    {
                        let in_store = stream
                            .steps
                            .steps
                            .holding(change.status, change.on)
                            .is_some_and(|s| s.key);
                        return Err(ImportProblem::HeldAlready {
                            refused: Box::new(refused),
                            pact: id.to_string(),
                            status: change.status,
                            on: change.on,
                            in_store,
                        }
                        .into());
                    }
                    Err(e) => return Err(e),
                }
                EventBody::Status(change)
            }
            EventBody::Note(mut note) => {
                note.parties = stream.steps.members_named(id, &note.parties)?;
                EventBody::Note(note)
            }
            other => other,
        };
        p.events += 1;
        self.add(slot, body);
        Ok(())
    }

    /// Holds the pact's rows from now on, to apply them in date order once
    /// the sheet is read: the events made so far are taken back into rows,
    /// with the rows refused, and its stream begins again.
    fn hold_back(&mut self, slot: usize) -> Result<(), Error> {
        if matches!(self.pacts[slot].order, Order::Held(_)) {
            return Ok(());
        }
        let dropped = self.pacts[slot].stream.lines.len();
        match self.is_young(slot) {
            true => self.young = self.young.saturating_sub(dropped),
            false => self.held = self.held.saturating_sub(dropped),
        }
        let p = &mut self.pacts[slot];
        let Order::InTurn { made, refused, .. } =
            std::mem::replace(&mut p.order, Order::Held(Vec::new()))
        else {
            unreachable!("the rows are not held yet")
        };
        let mut bytes = match (p.staged, self.checker.dry_run) {
            (false, _) => Vec::new(),
            (true, false) => self.checker.staging.take_back(&p.id)?,
            (true, true) => self.spill.take_back(slot).map_err(|e| Error::Io {
                action: "read",
                path: std::env::temp_dir(),
                source: e,
            })?,
        };
        bytes.extend_from_slice(&p.stream.lines);
        let mut rows: Vec<Held> = refused.into_iter().map(|(held, _)| held).collect();
        let registration = usize::from(p.stream.existing.is_none() && p.stream.registered);
        let events = bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .skip(registration);
        for (text, line) in events.zip(made) {
            let event = Event::from_line(text).expect("a line the import made reads back");
            rows.push(Held {
                line,
                what: HeldRow::Made(Box::new(event.body)),
            });
        }
        p.events = 0;
        p.stream.restart();
        p.order = Order::Held(rows);
        Ok(())
    }

    /// Applies a pact's held rows in date order, and reports the rows its
    /// timelines refused; registers a new pact none of whose rows did.
    fn settle(&mut self, slot: usize) {
        let p = &mut self.pacts[slot];
        if p.broken {
            return;
        }
        let new = p.stream.existing.is_none();
        let meta_line = p.first_line;
        match std::mem::replace(&mut p.order, Order::Held(Vec::new())) {
            Order::InTurn { refused, .. } => {
                for (held, e) in refused {
                    self.refuse(held.line, e);
                }
                if new
                    && !self.pacts[slot].stream.registered
                    && let Err(e) = self.register(slot)
                {
                    self.refuse(meta_line, e);
                }
            }
            Order::Held(mut rows) => {
                // each row read whole in the order of the sheet, its
                // metadata taken in, then the events in date order
                rows.sort_unstable_by_key(|h| h.line);
                let c = self.checker;
                let mut record = ByteRecord::new();
                rows.retain_mut(|held| {
                    let HeldRow::Cells(at) = held.what else {
                        return true;
                    };
                    kept(&self.cells, at, &mut record);
                    let read = parse_row(&record, c.headers.as_byte_record(), c.today);
                    match read.and_then(|row| self.read_held(slot, row, held.line)) {
                        Ok(Some(body)) => {
                            held.what = HeldRow::Made(Box::new(body));
                            true
                        }
                        Ok(None) => false,
                        Err(e) => {
                            self.refuse(held.line, e);
                            false
                        }
                    }
                });
                if new && let Err(e) = self.register(slot) {
                    return self.refuse(meta_line, e);
                }
                rows.sort_unstable_by_key(|h| (day_of(h.made()), h.line));
                let own = |h: &Held| matches!(h.made(), EventBody::Status(change) if change.parties.is_empty());
                let statuses = rows.iter().filter(|h| own(h)).count();
                self.pacts[slot].stream.reserve(rows.len(), statuses);
                for held in rows {
                    let line = held.line;
                    let HeldRow::Made(body) = held.what else {
                        unreachable!("every row held is read by now")
                    };
                    if let Err(e) = self.apply(slot, *body) {
                        self.refuse(line, e);
                    }
                }
            }
        }
    }

    /// Writes the lines held for new streams to their staged files, unless
    /// a bad row has been found: then nothing will be.
    fn write_out(&mut self) {
        if self.checker.bad.load(Ordering::Relaxed) {
            return;
        }
        // young streams wait, unless there are too many of them
        let all = self.settling || self.young >= YOUNG_HOLD;
        let mut waiting = Vec::new();
        for slot in std::mem::take(&mut self.unwritten) {
            if !all && self.is_young(slot) {
                waiting.push(slot);
                continue;
            }
            let p = &mut self.pacts[slot];
            if p.stream.lines.is_empty() {
                continue;
            }
            let lines = std::mem::take(&mut p.stream.lines);
            let written = match (self.checker.dry_run, self.settling) {
                (false, _) => self.checker.staging.write(&p.id, &lines, !p.staged),
                (true, true) => Ok(()),
                (true, false) => self.spill.write(slot, &lines).map_err(|e| Error::Io {
                    action: "write",
                    path: std::env::temp_dir(),
                    source: e,
                }),
            };
            if let Err(e) = written {
                return self.fail(e);
            }
            p.staged = true;
        }
        if all {
            self.young = 0;
        }
        self.unwritten = waiting;
        self.held = 0;
    }

    /// Settles every pact, writes what is left, and says what was done.
    fn finish(mut self) -> Outcome {
        self.settling = true;
        for slot in 0..self.pacts.len() {
            if self.out.failed.is_some() {
                break;
            }
            self.settle(slot);
            if self.held >= HOLD {
                self.write_out();
            }
        }
        self.write_out();
        let mut out = self.out;
        for pending in self.pacts {
            if pending.broken {
                continue;
            }
            let created = pending.stream.existing.is_none();
            match pending.stream.existing {
                // a pact whose every row was recorded already is untouched
                Some(_) if pending.stream.lines.is_empty() => continue,
                Some(len) => out
                    .append
                    .push((pending.id.clone(), len, pending.stream.lines)),
                None => {
                    out.created += 1;
                    let aliases = pending
                        .meta
                        .aliases
                        .map(|(aliases, _)| aliases)
                        .unwrap_or_default();
                    out.names
                        .push((pending.id.clone(), aliases, pending.first_line));
                }
            }
            // a new pact's registration is one of its events
            let events = pending.events + usize::from(created);
            out.events += pending.events;
            out.per_pact.push((pending.id, events, created));
            out.pacts += 1;
        }
        out
    }
}

/// Plans a CSV import: reads the rows, resolves each row's pact
/// (registering unknown ones when `create_pacts`), validates every row
/// against the timelines its pact's rows make in date order, and writes
/// the new streams out of sight. The rows are read here and checked on
/// every core, each pact's rows by one worker. `progress` is told how many
/// bytes of the input are read.
///
/// # Errors
///
/// [`Error::Row`] for the one bad row, [`Error::Rows`] for several (the
/// first [`SHOWN_ROWS`] in the file and how many more), rows that `append`
/// or `note` would refuse or that are malformed; or an error reading the
/// store or writing the new streams.
pub fn plan_csv(
    store: &Store,
    file: &str,
    input: impl Read,
    options: CsvOptions,
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
    let bad = AtomicBool::new(false);
    let checker = Checker {
        store,
        staging: &staging,
        names: &names,
        headers: &headers,
        today,
        now,
        bad: &bad,
        dry_run: options.dry_run,
    };
    let workers = crate::log::par::cores();
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
            create_pacts: options.create_pacts,
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
    let mut refused = unreadable;
    let mut new_names = Vec::new();
    for outcome in outcomes {
        if let Some(e) = outcome.failed {
            return Err(e);
        }
        refused.extend(outcome.bad);
        batch.append.extend(outcome.append);
        batch.events += outcome.events;
        batch.skipped += outcome.skipped;
        batch.pacts += outcome.pacts;
        batch.created += outcome.created;
        batch.per_pact.extend(outcome.per_pact);
        new_names.extend(outcome.names);
    }
    for (line, e) in names_taken_twice(new_names) {
        refused.add(line, e);
    }
    batch.per_pact.sort_unstable();
    refused.trim();
    let Bad { mut rows, more } = refused;
    match (rows.len(), more) {
        (0, _) => Ok(batch),
        (1, 0) => {
            let (line, e) = rows.remove(0);
            Err(at(line, e))
        }
        _ => Err(Error::Rows {
            file: file.to_owned(),
            shown: rows,
            more,
        }),
    }
}

/// The names two new pacts of a sheet both take: the id of one and an
/// alias of another, or an alias of both. Each is refused at the first
/// row of the pact that takes it second (in the order of the sheet).
fn names_taken_twice(mut pacts: Vec<(PactId, Vec<String>, u64)>) -> Vec<(u64, Error)> {
    pacts.sort_unstable_by_key(|(_, _, line)| *line);
    let mut owners: HashMap<String, &PactId> = pacts
        .iter()
        .map(|(id, _, _)| (id.as_str().to_owned(), id))
        .collect();
    let mut taken = Vec::new();
    for (id, aliases, line) in &pacts {
        for alias in aliases {
            let owner = *owners.entry(alias.to_lowercase()).or_insert(id);
            if owner != id {
                taken.push((
                    *line,
                    Error::NameTaken {
                        name: alias.clone(),
                        owners: vec![owner.to_string()],
                    },
                ));
            }
        }
    }
    taken
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

/// Reads every row and sends it to the worker for its pact. Returns the
/// rows that cannot be read or name no pact; reading stops only at a row
/// too long to read.
fn route_rows<R: Read>(
    reader: &mut csv::Reader<LineStarts<R>>,
    router: &mut Router<'_>,
    checker: &Checker<'_>,
    (senders, used): (&[SyncSender<Vec<Job>>], &Receiver<Vec<Job>>),
    progress: &dyn Fn(u64),
) -> Bad {
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
    let mut bad = Bad::default();
    let mut last_line = None;
    let mut unreadable: Option<(u64, Error)> = None;
    loop {
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
            Ok(false) => {
                // a quote left open took in the rest of the file as the last
                // row's cell: that, not its count of cells, is what is wrong
                if let Some(line) = last_line
                    && reader.get_mut().in_quotes()
                {
                    if unreadable.as_ref().is_some_and(|(at, _)| *at == line) {
                        unreadable = None;
                    }
                    bad.add(line, CsvProblem::UnclosedQuote.into());
                }
                break;
            }
            Err(e) if is_too_long(&e) => {
                let line = reader.get_mut().line_at(start);
                bad.add(line, csv_error(&e));
                break;
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| reader.get_mut().line_of(p));
                // said once it is known whether the row was the last
                if let Some((line, e)) = unreadable.replace((line, csv_error(&e))) {
                    bad.add(line, e);
                }
                last_line = Some(line);
                checker.bad.store(true, Ordering::Relaxed);
                continue;
            }
        }
        if let Some((line, e)) = unreadable.take() {
            bad.add(line, e);
        }
        let (line, byte) = record
            .position()
            .map_or((0, 0), |p| (reader.get_mut().line_of(p), p.byte()));
        last_line = Some(line);
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
                bad.add(line, e);
                checker.bad.store(true, Ordering::Relaxed);
                continue;
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
                break;
            }
        }
    }
    if let Some((line, e)) = unreadable {
        bad.add(line, e);
    }
    for (sender, jobs) in senders.iter().zip(queued) {
        if !jobs.is_empty() {
            let _ = sender.send(jobs);
        }
    }
    if !bad.is_empty() {
        checker.bad.store(true, Ordering::Relaxed);
    }
    bad
}

/// An existing stream, folded under the store's lock into what its rows
/// are checked against, ready to take lines: its timelines, the pact as it
/// stands, and when the rows say which event they are, the index of its
/// ids, to read again the event a row names.
fn existing(store: &Store, id: &PactId, by_event: bool) -> Result<Building, Error> {
    // the import holds the store's lock, so no writer changes the stream
    // until it is done. The pact's own statuses go straight into what its
    // timeline keeps, in line order: a long stream's are most of the
    // import's memory, so they are not held twice
    let mut own: Vec<Staged<bool>> = Vec::new();
    // the few statuses of parties, each with the parties it names
    let mut of_parties: Vec<(Staged<bool>, Vec<String>)> = Vec::new();
    // the lines retractions name
    let mut retracted: Vec<u64> = Vec::new();
    let mut offsets = Offsets::default();
    let mut last_recorded = None;
    let (stream, _, index) = store.fold_indexed(id, |line| {
        let number = line.number as u64;
        match line.fact.what {
            What::Status {
                status,
                on,
                forced,
                of_parties: named_parties,
                ..
            } => {
                let step = Staged {
                    on,
                    recorded: line.fact.recorded.timestamp_micros(),
                    seq: number,
                    status,
                    forced,
                    key: true,
                };
                match named_parties {
                    true => of_parties.push((step, line.parties())),
                    false => own.push(step),
                }
            }
            What::Retraction { .. } => {
                if let Some(target) = line.target {
                    retracted.push(target as u64);
                }
            }
            What::Registered | What::Note { .. } | What::Edited | What::Citation { .. } => {}
        }
        if by_event {
            offsets.push(line.offset);
        }
        last_recorded = last_recorded.max(Some(line.fact.recorded));
        Ok(())
    })?;
    // as its registration and edits leave it
    let pact = stream.pact;
    if !retracted.is_empty() {
        retracted.sort_unstable();
        let kept = |s: &Staged<bool>| retracted.binary_search(&s.seq).is_err();
        own.retain(kept);
        of_parties.retain(|(s, _)| kept(s));
    }
    let mut steps = Timelines {
        steps: crate::replay::Timeline::of(own),
        members: pact.parties.clone(),
        parties: Vec::new(),
    };
    // the few statuses of parties, in the order recorded
    for (step, parties) in of_parties {
        steps.place(step, &parties);
    }
    let tail = Tail {
        seq: stream.events as u64,
        head: Some(stream.head),
        recorded: last_recorded,
    };
    Ok(Building {
        existing: Some(stream.len),
        lines: Vec::new(),
        tail,
        start: tail,
        steps,
        pact: Some(pact),
        registered: true,
        recorded: by_event.then_some(Recorded {
            index,
            offsets,
            len: stream.len,
        }),
    })
}

/// Where each line of a stream begins, in about four bytes a line: each
/// line's offset from the start of its block of [`Offsets::BLOCK`] lines,
/// and where each block begins. (A block's lines, each at most
/// [`MAX_LINE`](crate::log::stream::MAX_LINE) bytes, span less than 4 GiB.)
#[derive(Default)]
struct Offsets {
    blocks: Vec<u64>,
    within: Vec<u32>,
}

// a line's offset within its block fits in a u32
const _: () = assert!(Offsets::BLOCK * (crate::log::stream::MAX_LINE + 1) <= u32::MAX as usize);

impl Offsets {
    const BLOCK: usize = 4096;

    /// Adds where the next line begins.
    fn push(&mut self, offset: u64) {
        if self.within.len().is_multiple_of(Self::BLOCK) {
            self.blocks.push(offset);
        }
        let base = self.blocks.last().copied().unwrap_or_default();
        let within = u32::try_from(offset - base).expect("a block spans less than 4 GiB");
        self.within.push(within);
    }

    /// Where the line at `index` (from 0) begins.
    fn get(&self, index: usize) -> u64 {
        self.blocks[index / Self::BLOCK] + u64::from(self.within[index])
    }
}

/// Checks that a row naming an event the stream already holds says what
/// that event says: then it is that event, and nothing is recorded for it.
fn already_recorded(
    pact: &PactId,
    event: Uuid,
    recorded: &EventBody,
    row: &EventBody,
) -> Result<(), Error> {
    // a sheet's line ends may have been turned to CR LF, within cells too
    let text = |t: Option<&String>| {
        let text = t
            .map(String::as_str)
            .unwrap_or_default()
            .replace("\r\n", "\n");
        text.escape_debug().to_string()
    };
    let parties = |p: &[String]| p.join(";");
    let differs: Vec<(&'static str, String, String)> = match (recorded, row) {
        (EventBody::Status(recorded), EventBody::Status(row)) => vec![
            (
                "status",
                recorded.status.to_string(),
                row.status.to_string(),
            ),
            ("on", recorded.on.to_string(), row.on.to_string()),
            ("party", parties(&recorded.parties), parties(&row.parties)),
            (
                "source",
                text(recorded.source.as_ref()),
                text(row.source.as_ref()),
            ),
            ("url", text(recorded.url.as_ref()), text(row.url.as_ref())),
            (
                "note",
                text(recorded.note.as_ref()),
                text(row.note.as_ref()),
            ),
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
        ],
        (EventBody::Note(recorded), EventBody::Note(row)) => vec![
            ("on", recorded.on.to_string(), row.on.to_string()),
            ("party", parties(&recorded.parties), parties(&row.parties)),
            (
                "source",
                text(recorded.source.as_ref()),
                text(row.source.as_ref()),
            ),
            ("url", text(recorded.url.as_ref()), text(row.url.as_ref())),
            ("note", text(Some(&recorded.text)), text(Some(&row.text))),
        ],
        (EventBody::Status(_), EventBody::Note(_)) => {
            vec![("kind", "status".into(), "note".into())]
        }
        (EventBody::Note(_), EventBody::Status(_)) => {
            vec![("kind", "note".into(), "status".into())]
        }
        _ => {
            return Err(ImportProblem::NotAStatusEvent {
                pact: pact.to_string(),
                event,
            }
            .into());
        }
    };
    match differs.into_iter().find(|(column, was, is)| {
        // parties are matched in any case
        if *column == "party" {
            !was.eq_ignore_ascii_case(is)
        } else {
            was != is
        }
    }) {
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
