//! Importing many events at once: rows of a spreadsheet's CSV, appended as
//! status events, or the JSON Lines that `export` writes, recreated byte for
//! byte.
//!
//! An import is all-or-nothing: it is planned in full first (every row
//! validated exactly as `append` would, against the timelines as the earlier
//! rows leave them) and nothing is written unless every row passes. It holds
//! the store directory's lock throughout, and each existing stream's lock
//! from the moment that stream is read, so no other writer can change what
//! was validated.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::Error;
use crate::event::{Event, EventBody, Hash, StatusChange, to_recorded};
use crate::limits;
use crate::pact::{Pact, PactId};
use crate::replay::{Timeline, check_between};
use crate::status::Status;
use crate::store::{Names, Store, sync_filesystem};
use crate::stream::{MAX_LINE, Stream};
use crate::time::parse_date;

/// The columns a CSV import understands; `pact`, `status` and `on` are
/// required. `event` and `recorded`, which `export --csv` writes, are read
/// and ignored: an imported row is a new event.
pub const CSV_COLUMNS: [&str; 11] = [
    "pact", "status", "on", "source", "url", "note", "reported", "forced", "name", "event",
    "recorded",
];

/// One row of an import CSV, as read.
#[derive(Debug, Deserialize)]
struct CsvRecord {
    pact: String,
    status: String,
    on: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    reported: Option<String>,
    #[serde(default)]
    forced: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// A validated CSV row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The line it came from, for errors.
    pub line: u64,
    /// The pact as written: an id or alias.
    pub pact: String,
    /// The name to register a new pact with.
    pub name: Option<String>,
    /// The status change it records.
    pub change: StatusChange,
}

/// Reads and checks every row of an import CSV.
///
/// # Errors
///
/// [`Error::Row`] naming the line and what is wrong with it: a missing or
/// unknown column, an unknown status, a date that is not a day, a field over
/// its limit.
pub fn read_csv(file: &str, input: impl Read, today: NaiveDate) -> Result<Vec<Row>, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let at = |line: u64, source: Error| Error::Row {
        file: file.to_owned(),
        line,
        source: Box::new(source),
    };
    let headers = reader.headers().map_err(|e| at(1, csv_error(&e)))?.clone();
    for column in &headers {
        if !CSV_COLUMNS.contains(&column) {
            return Err(at(
                1,
                Error::Invalid {
                    message: format!("unknown column '{column}'"),
                    hint: Some(format!("the columns are: {}", CSV_COLUMNS.join(", "))),
                },
            ));
        }
    }
    for required in ["pact", "status", "on"] {
        if !headers.iter().any(|h| h == required) {
            return Err(at(
                1,
                Error::Invalid {
                    message: format!("the header has no '{required}' column"),
                    hint: Some("the first row names the columns: pact,status,on and optionally source,url,note,reported,forced,name".into()),
                },
            ));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            at(line, csv_error(&e))
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let row: CsvRecord = record
            .deserialize(Some(&headers))
            .map_err(|e| at(line, csv_error(&e)))?;
        rows.push(check_row(line, row, today).map_err(|e| at(line, e))?);
    }
    Ok(rows)
}

fn check_row(line: u64, row: CsvRecord, today: NaiveDate) -> Result<Row, Error> {
    let present = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let text = |field: &str, v: Option<String>, max| {
        present(v)
            .map(|v| limits::check_text(field, &v, max))
            .transpose()
    };
    Ok(Row {
        line,
        pact: row.pact,
        name: text("name", row.name, limits::NAME)?,
        change: StatusChange {
            status: Status::parse(&row.status)?,
            on: parse_date(&row.on, today)?,
            source: text("source", row.source, limits::SOURCE)?,
            url: present(row.url)
                .map(|u| limits::check_url(&u))
                .transpose()?,
            note: text("note", row.note, limits::TEXT)?,
            reported: flag("reported", row.reported)?,
            forced: flag("forced", row.forced)?,
        },
    })
}

/// A yes/no cell: `true`/`false`, `yes`/`no`, `1`/`0`, in any case, or empty.
fn flag(column: &str, value: Option<String>) -> Result<bool, Error> {
    let text = value.unwrap_or_default().trim().to_lowercase();
    match text.as_str() {
        "" | "false" | "no" | "0" => Ok(false),
        "true" | "yes" | "1" => Ok(true),
        _ => Err(Error::Invalid {
            message: format!("'{column}' is '{text}', not yes or no"),
            hint: Some("use true/false, yes/no or 1/0, or leave it empty for no".into()),
        }),
    }
}

fn csv_error(e: &csv::Error) -> Error {
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_owned(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} fields where the header has {expected_len}"),
        csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        _ => e.to_string(),
    };
    Error::Invalid {
        message,
        hint: None,
    }
}

/// What an import will write, fully validated, with the locks that keep it
/// valid until [`Batch::commit`].
#[derive(Debug)]
pub struct Batch {
    /// New streams with their whole contents.
    create: Vec<(PactId, Vec<u8>)>,
    /// Lines for existing streams, with each stream's file, locked.
    append: Vec<(File, Vec<u8>)>,
    /// How many events the batch records.
    pub events: usize,
    /// How many pacts it touches, and how many of them it creates.
    pub pacts: usize,
    /// How many of the pacts are new.
    pub created: usize,
    /// The store directory's lock; `None` while the directory does not
    /// exist yet, so that a refused import leaves no directory behind.
    dir_lock: Option<File>,
}

impl Batch {
    /// Writes the batch: one write per stream, and everything durable
    /// (one file system sync, then the new streams linked into place and the
    /// directory synced) before it returns.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a file cannot be written.
    pub fn commit(self, store: &Store) -> Result<(), Error> {
        let _lock = match self.dir_lock {
            Some(lock) => lock,
            None => store.lock_dir()?,
        };
        for (mut file, lines) in self.append {
            file.write_all(&lines)
                .map_err(Error::io("append to", store.dir()))?;
        }
        if self.create.is_empty() {
            sync_filesystem(store.dir())
        } else {
            // also syncs the appends above
            store.create_streams(&self.create)
        }
    }
}

/// The store directory's lock, when the directory exists; an import into a
/// store that does not exist yet creates it only when it commits.
fn lock_existing(store: &Store) -> Result<Option<File>, Error> {
    if store.dir().exists() {
        store.lock_dir().map(Some)
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
    existing: Option<File>,
    /// The lines to write (the whole stream for a new pact).
    lines: Vec<u8>,
    last_seq: u64,
    last_hash: Option<Hash>,
    last_recorded: DateTime<Utc>,
    /// The timeline, as (date, seq, status) in timeline order.
    steps: Vec<(NaiveDate, u64, Status)>,
}

impl Building {
    /// A copy to build on, without the file (which stays with the plan).
    fn fork(&self) -> Building {
        Building {
            existing: None,
            lines: self.lines.clone(),
            last_seq: self.last_seq,
            last_hash: self.last_hash,
            last_recorded: self.last_recorded,
            steps: self.steps.clone(),
        }
    }

    fn append(&mut self, id: &PactId, body: EventBody, now: DateTime<Utc>) -> Event {
        let event = Event {
            pact: id.clone(),
            seq: self.last_seq + 1,
            id: Uuid::now_v7(),
            recorded: to_recorded(now).max(self.last_recorded),
            body,
            prev: self.last_hash,
        };
        let line = event.to_line();
        self.last_hash = Some(Hash::of(line.as_bytes()));
        self.last_seq = event.seq;
        self.last_recorded = event.recorded;
        self.lines.extend_from_slice(line.as_bytes());
        self.lines.push(b'\n');
        event
    }
}

/// Plans a CSV import: resolves each row's pact (registering unknown ones
/// when `create_pacts`), validates every row against the timeline the rows
/// before it leave, and builds every line. `progress` is told how many rows
/// are done.
///
/// # Errors
///
/// [`Error::Row`] for the first row that `append` would refuse, or an error
/// reading the store.
pub fn plan_csv(
    store: &Store,
    file: &str,
    rows: &[Row],
    create_pacts: bool,
    now: DateTime<Utc>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Batch, Error> {
    let dir_lock = lock_existing(store)?;
    let names = known_names(store, &dir_lock)?;
    let at = |line: u64, source: Error| Error::Row {
        file: file.to_owned(),
        line,
        source: Box::new(source),
    };
    // First, in file order: which pact each row is about, each pact's stream
    // as it stands (locked), and the rows of each pact. A row naming no
    // pact stops this, and only the rows before it go on to be checked.
    let mut groups: Vec<(PactId, Building, Vec<&Row>)> = Vec::new();
    let mut index: HashMap<PactId, usize> = HashMap::new();
    let mut created = 0;
    let mut first_error: Option<(u64, Error)> = None;
    for row in rows {
        let id = match names.get(&row.pact) {
            Some(id) => Ok(id.clone()),
            None => PactId::parse(&row.pact.trim().to_lowercase())
                .ok()
                .filter(|id| create_pacts || index.contains_key(id))
                .ok_or_else(|| unknown_pact(&names, &row.pact, create_pacts)),
        };
        let id = match id {
            Ok(id) => id,
            Err(e) => {
                first_error = Some((row.line, e));
                break;
            }
        };
        let slot = match index.get(&id) {
            Some(slot) => *slot,
            None => {
                let start = match names.get(id.as_str()) {
                    Some(_) => match existing(store, &id) {
                        Ok(start) => start,
                        Err(e) => {
                            first_error = Some((row.line, e));
                            break;
                        }
                    },
                    None => {
                        created += 1;
                        new_pact(&id, row, now)
                    }
                };
                groups.push((id.clone(), start, Vec::new()));
                index.insert(id, groups.len() - 1);
                groups.len() - 1
            }
        };
        groups[slot].2.push(row);
    }
    // Then each pact's rows, checked against the timeline the rows before
    // them leave, on every core: pacts are independent of each other.
    let done = AtomicUsize::new(0);
    let built = crate::par::map(&groups, |(id, start, rows)| {
        let mut stream = start.fork();
        for row in rows {
            let on = row.change.on;
            let split = stream.steps.partition_point(|s| s.0 <= on);
            let side = |s: &(NaiveDate, u64, Status)| (s.2, s.0);
            let before = split.checked_sub(1).map(|i| side(&stream.steps[i]));
            let next = stream.steps.get(split).map(side);
            check_between(id, before, next, row.change.status, on, row.change.forced)
                .map_err(|e| (row.line, Error::from(e)))?;
            let event = stream.append(id, EventBody::Status(row.change.clone()), now);
            stream
                .steps
                .insert(split, (on, event.seq, row.change.status));
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
        }
        Ok(stream)
    });
    // The first bad row in the file is the one to name.
    let refused = built
        .iter()
        .filter_map(|b| b.as_ref().err())
        .min_by_key(|(line, _)| *line);
    match (refused, first_error) {
        (Some((line, _)), Some((first, e))) if first < *line => return Err(at(first, e)),
        (Some(_), _) => {
            let (line, e) = built
                .into_iter()
                .filter_map(Result::err)
                .min_by_key(|(line, _)| *line)
                .expect("a refused row");
            return Err(at(line, e));
        }
        (None, Some((line, e))) => return Err(at(line, e)),
        (None, None) => {}
    }
    let mut batch = Batch {
        create: Vec::new(),
        append: Vec::new(),
        events: rows.len(),
        pacts: groups.len(),
        created,
        dir_lock,
    };
    for ((id, start, _), stream) in groups.into_iter().zip(built) {
        let stream = stream.map_err(|(line, e)| at(line, e))?;
        match start.existing {
            Some(file) => batch.append.push((file, stream.lines)),
            None => batch.create.push((id, stream.lines)),
        }
    }
    Ok(batch)
}

/// A new pact's stream, its registration the first line.
fn new_pact(id: &PactId, row: &Row, now: DateTime<Utc>) -> Building {
    let pact = Pact {
        id: id.clone(),
        name: row.name.clone().unwrap_or_else(|| id.to_string()),
        aliases: Vec::new(),
        parties: Vec::new(),
        kind: None,
        description: None,
        source: None,
        url: None,
    };
    let mut new = Building {
        existing: None,
        lines: Vec::new(),
        last_seq: 0,
        last_hash: None,
        last_recorded: DateTime::<Utc>::MIN_UTC,
        steps: Vec::new(),
    };
    new.append(id, EventBody::Registered(pact), now);
    new
}

/// An existing stream, locked and replayed, ready to take lines.
fn existing(store: &Store, id: &PactId) -> Result<Building, Error> {
    let (file, stream) = store.open_for_append(id)?;
    let steps = Timeline::new(&stream.events)
        .entries()
        .iter()
        .map(|e| (e.on(), e.event.seq, e.status()))
        .collect();
    Ok(Building {
        existing: Some(file),
        lines: Vec::new(),
        last_seq: stream.last_seq(),
        last_hash: Some(stream.head),
        last_recorded: stream
            .events
            .last()
            .map_or(DateTime::<Utc>::MIN_UTC, |e| e.recorded),
        steps,
    })
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
    let hint = match names.nearest(query) {
        Some(near) => format!(
            "did you mean '{near}'? or pass --create-pacts to register the pacts the file names"
        ),
        None => {
            "register it first, or pass --create-pacts to register the pacts the file names".into()
        }
    };
    Error::Invalid {
        message: format!("unknown pact '{query}'"),
        hint: Some(hint),
    }
}

/// Plans a JSON Lines import: the lines of `export`, each stream recreated
/// byte for byte; `progress` is told how many lines are read. Only streams that do not exist yet may be imported, and
/// each must check as a whole (chain, seq, checksums), with names free.
///
/// # Errors
///
/// [`Error::Row`] naming the input line of the first problem.
pub fn plan_jsonl(
    store: &Store,
    file: &str,
    input: impl BufRead,
    progress: &dyn Fn(usize),
) -> Result<Batch, Error> {
    let dir_lock = lock_existing(store)?;
    let mut names = known_names(store, &dir_lock)?;
    let at = |line: u64, source: Error| Error::Row {
        file: file.to_owned(),
        line,
        source: Box::new(source),
    };
    // each pact's lines, in the order the pacts first appear, with the input
    // line of each
    let mut order: Vec<PactId> = Vec::new();
    let mut streams: HashMap<PactId, (Vec<u8>, Vec<u64>)> = HashMap::new();
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
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
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
        let event = Event::from_line(body).map_err(|p| at(number, stream_problem(p)))?;
        let (bytes, lines) = streams.entry(event.pact.clone()).or_insert_with(|| {
            order.push(event.pact.clone());
            (Vec::new(), Vec::new())
        });
        bytes.extend_from_slice(body);
        bytes.push(b'\n');
        lines.push(number);
    }
    let mut create = Vec::new();
    let mut events = 0;
    for id in &order {
        let (bytes, lines) = streams.remove(id).expect("every pact in order has lines");
        if store.stream_path(id).exists() {
            return Err(at(
                lines[0],
                Error::Invalid {
                    message: format!("pact '{id}' already has a stream in the store"),
                    hint: Some(
                        "JSON Lines import only creates streams; import into an empty store, \
                         or import a CSV to add events"
                            .into(),
                    ),
                },
            ));
        }
        let stream = Stream::parse(id, &bytes).map_err(|(n, problem)| {
            let line = lines.get(n.saturating_sub(1)).copied().unwrap_or(lines[0]);
            at(line, stream_problem(problem))
        })?;
        names
            .check_free(&stream.pact)
            .map_err(|e| at(lines[0], e))?;
        names.add(&stream.pact);
        events += stream.events.len();
        create.push((id.clone(), bytes));
    }
    Ok(Batch {
        pacts: create.len(),
        created: create.len(),
        create,
        append: Vec::new(),
        events,
        dir_lock,
    })
}

fn stream_problem(problem: crate::StreamProblem) -> Error {
    Error::Invalid {
        message: problem.to_string(),
        hint: None,
    }
}
