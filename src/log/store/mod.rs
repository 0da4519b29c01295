//! The store: a directory with one JSON Lines stream per pact.
//!
//! Appending is the only write. An append takes the store directory's
//! shared lock and an exclusive lock on the stream file (imports and
//! registrations take the directory's lock exclusively), re-reads and
//! checks the whole stream, lets the caller validate the new event against
//! it, writes the line in one `write` and `fsync`s before it returns.
//! Registering a pact writes the new stream under a temporary name, links
//! it into place (so a stream never exists half written) and `fsync`s the
//! directory. Nothing rewrites or removes a line.
//!
//! A write that fails part-way (a full disk, the file-size limit) is cut
//! back under the stream's lock, so the stream is as it was. Readers take
//! no lock, so they can meet a line half written; one that finds a stream
//! damaged reads it again under the stream's shared lock, which waits for
//! the write, and only damage still there is reported.
//!
//! [`staging`] writes new streams out of sight until an import or a
//! registration commits, [`repair`] moves a torn tail aside, [`lines`]
//! reads again the lines an answer shows, and [`names`] is the index of
//! the names pacts answer to.

mod lines;
mod names;
mod repair;
mod staging;

pub use lines::Lines;
pub use names::Names;
pub use repair::Repair;
pub use staging::Staging;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::log::codec::Record;
use crate::log::files;
use crate::log::journal;
pub use crate::log::layout::{STAGED_SUFFIX, STAGING_PREFIX, STREAM_EXTENSION, sync_filesystem};
pub(crate) use crate::log::layout::{append_or_undo, open_stream, pact_of_name, stream_name};
use crate::log::stream::{self, Folded, FromRecord, Index, Line, MAX_LINE, ReadError, Stream};
use crate::model::error::{Error, StreamProblem};
use crate::model::event::{Event, EventBody, Fact, Hash, What};
use crate::model::pact::{Pact, PactId};
use crate::model::time::to_recorded;

/// How much of a stream file one read takes.
const READ_BUFFER: usize = 64 * 1024;

/// A directory of streams. Creating one does no I/O.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// What an append asks of the stream besides validation.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppendOptions {
    /// Fail with [`Error::Conflict`] unless the stream's last seq is this.
    pub expect_seq: Option<u64>,
}

impl Store {
    /// A store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a pact's stream.
    pub fn stream_path(&self, id: &PactId) -> PathBuf {
        self.dir.join(stream_name(id))
    }

    /// The ids of every stream in the store, sorted. Files that are not
    /// `<valid-id>.jsonl` are not streams and are left out.
    ///
    /// # Errors
    ///
    /// [`Error::NoStore`] when the directory does not exist, [`Error::Io`]
    /// when it cannot be listed.
    pub fn ids(&self) -> Result<Vec<PactId>, Error> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NoStore {
                    dir: self.dir.clone(),
                });
            }
            Err(e) => return Err(Error::io("list", &self.dir)(e)),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(Error::io("list", &self.dir))?;
            ids.extend(pact_of_name(&entry.file_name()));
        }
        ids.sort();
        Ok(ids)
    }

    /// Reads and checks a whole stream.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`] with the line of the first problem, [`Error::Io`]
    /// when the file cannot be read.
    pub fn read(&self, id: &PactId) -> Result<Stream, Error> {
        self.read_as(id)
    }

    /// Reads and checks a whole stream, as [`crate::model::event::Event`]s or as
    /// [`Fact`]s.
    ///
    /// # Errors
    ///
    /// As [`Store::read`].
    pub fn read_as<E: FromRecord>(&self, id: &PactId) -> Result<Stream<E>, Error> {
        let path = self.stream_path(id);
        read_settled(&path, || {
            let file = open_stream(&path, OpenOptions::new().read(true))?;
            read_stream(id, &path, BufReader::with_capacity(READ_BUFFER, file))
        })
    }

    /// Reads and checks a whole stream as [`Fact`]s, the events without
    /// their text, with the file's metadata as it was when opened (before
    /// any line was read): what questions about a whole store read, and the
    /// key of a [`crate::replay::cache::Summary`].
    ///
    /// # Errors
    ///
    /// As [`Store::read`].
    pub fn read_facts(&self, id: &PactId) -> Result<(Stream<Fact>, fs::Metadata), Error> {
        let path = self.stream_path(id);
        read_settled(&path, || {
            let file = open_stream(&path, OpenOptions::new().read(true))?;
            let meta = file.metadata().map_err(Error::io("read", &path))?;
            let stream = read_stream(id, &path, BufReader::with_capacity(READ_BUFFER, file))?;
            Ok((stream, meta))
        })
    }

    /// Reads and checks a whole stream as [`Store::read`] does, handing each
    /// line to `visit` once it is checked ([`crate::log::stream::fold`]) and
    /// keeping nothing of it, so that a stream of any length is read in
    /// little memory. A long stream's lines are read on several cores
    /// ([`crate::log::stream::split`]) and handed on in order. The file
    /// stays open in the [`Lines`] returned, to read again the lines an
    /// answer shows.
    ///
    /// # Errors
    ///
    /// As [`Store::read`], and any problem `visit` returns, at its line.
    pub(crate) fn fold(
        &self,
        id: &PactId,
        visit: impl FnMut(Line<'_>) -> Result<(), StreamProblem>,
    ) -> Result<(Folded, Lines), Error> {
        self.fold_on(id, true, visit)
            .map(|(folded, lines, _)| (folded, lines))
    }

    /// [`Store::fold`] on one core, and the [`Index`] of the stream's ids:
    /// what an import reads the streams it adds to with. It reads its sheet
    /// meanwhile, on another core, and holds more of a long stream than any
    /// other command, so it takes no more cores, nor the room of the blocks
    /// they would read.
    ///
    /// # Errors
    ///
    /// As [`Store::fold`].
    pub(crate) fn fold_indexed(
        &self,
        id: &PactId,
        visit: impl FnMut(Line<'_>) -> Result<(), StreamProblem>,
    ) -> Result<(Folded, Lines, Index), Error> {
        self.fold_on(id, false, visit)
    }

    /// [`Store::fold_indexed`], on several cores when `split` says so and the
    /// stream is worth it.
    fn fold_on(
        &self,
        id: &PactId,
        split: bool,
        visit: impl FnMut(Line<'_>) -> Result<(), StreamProblem>,
    ) -> Result<(Folded, Lines, Index), Error> {
        let path = self.stream_path(id);
        let file = open_stream(&path, OpenOptions::new().read(true))?;
        // only the bytes of writes that had finished: a fold cannot read
        // again once it has handed lines on
        let meta = settled(&file, &path)?;
        let (folded, index) = match () {
            #[cfg(unix)]
            () if split && stream::split::worth(meta.len()) => {
                stream::split::fold_indexed(id, &file, meta.len(), visit)
            }
            () => {
                let input = BufReader::with_capacity(READ_BUFFER, (&file).take(meta.len()));
                stream::fold_indexed(id, input, visit)
            }
        }
        .map_err(read_error(&path))?;
        let lines = Lines {
            id: id.clone(),
            len: folded.len,
            path,
            file,
            meta,
            window: Vec::new(),
            start: 0,
        };
        Ok((folded, lines, index))
    }

    /// The stream of `id` open again, to read lines of the first `len` bytes,
    /// which a [`Store::fold`] checked, as its [`Lines`] read them.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when it cannot be opened.
    pub(crate) fn lines(&self, id: &PactId, len: u64) -> Result<Lines, Error> {
        let path = self.stream_path(id);
        let file = open_stream(&path, OpenOptions::new().read(true))?;
        let meta = file.metadata().map_err(Error::io("read", &path))?;
        Ok(Lines {
            id: id.clone(),
            len,
            path,
            file,
            meta,
            window: Vec::new(),
            start: 0,
        })
    }

    /// Reads a stream's bytes, after checking them as [`Store::read`] does:
    /// what `export` writes.
    ///
    /// # Errors
    ///
    /// As [`Store::read`].
    pub fn read_bytes(&self, id: &PactId) -> Result<Vec<u8>, Error> {
        let path = self.stream_path(id);
        read_settled(&path, || {
            let mut file = open_stream(&path, OpenOptions::new().read(true))?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .map_err(Error::io("read", &path))?;
            read_stream::<Fact>(id, &path, bytes.as_slice())?;
            Ok(bytes)
        })
    }

    /// A pact's metadata as it stands, to resolve names: its registration
    /// with every edit applied, read from the whole stream; or, from a
    /// stream damaged after its first line, the registration alone, whose
    /// names still count.
    ///
    /// # Errors
    ///
    /// What reading the whole stream met, when its first line is not a
    /// registration that can be read either.
    pub(crate) fn registration(&self, id: &PactId) -> Result<Pact, Error> {
        let path = self.stream_path(id);
        read_settled(&path, || {
            let file = open_stream(&path, OpenOptions::new().read(true))?;
            let mut reader = BufReader::with_capacity(READ_BUFFER, file);
            let mut line = Vec::new();
            let mut next = |line: &mut Vec<u8>| {
                line.clear();
                (&mut reader)
                    .take(MAX_LINE as u64 + 1)
                    .read_until(b'\n', line)
                    .map_err(Error::io("read", &path))
            };
            next(&mut line)?;
            let mut pact = read_stream::<Fact>(id, &path, line.as_slice())?.pact;
            // the edits after it, each found by its kind where the codec
            // writes it (a text's quotes are escaped, so no text holds it),
            // and nothing else kept: a long stream's names cost no memory,
            // and a line damaged after the first costs none of its names
            const EDITED: &[u8] = br#","kind":"edited","#;
            while next(&mut line)? > 0 {
                let Some(whole) = line.strip_suffix(b"\n") else {
                    break;
                };
                if memchr::memmem::find(whole, EDITED).is_none() {
                    continue;
                }
                if let Ok(record) = Record::parse(whole)
                    && record.fact().is_ok_and(|fact| fact.what == What::Edited)
                {
                    record.edit().apply(&mut pact);
                }
            }
            Ok(pact)
        })
    }

    /// Finds the pact that `query` names: its id or an alias, in any case.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownPact`] with the nearest name as a suggestion.
    pub fn resolve(&self, query: &str) -> Result<PactId, Error> {
        let folded = query.trim().to_lowercase();
        // any file but a directory: a link or a FIFO is refused by name
        // when it is read, not taken for an unknown pact
        if let Ok(id) = PactId::parse(&folded)
            && fs::symlink_metadata(self.stream_path(&id)).is_ok_and(|meta| !meta.is_dir())
        {
            return Ok(id);
        }
        let (pacts, unreadable) = self.registrations()?;
        let names = Names::of(&pacts);
        if let Some(id) = names.get(&folded) {
            return Ok(id.clone());
        }
        if let Some(e) = names.ambiguous(query) {
            return Err(e);
        }
        Err(Error::UnknownPact {
            query: query.to_owned(),
            suggestion: names.nearest(&folded),
            unreadable: unreadable.len(),
        })
    }

    /// The pacts a command names (ids or aliases), each once, in the order
    /// first named; or every pact in the store when it names none.
    ///
    /// # Errors
    ///
    /// As [`Store::ids`] and [`Store::resolve`].
    pub fn select(&self, queries: &[String]) -> Result<Vec<PactId>, Error> {
        if queries.is_empty() {
            return self.ids();
        }
        let mut ids: Vec<PactId> = Vec::with_capacity(queries.len());
        for query in queries {
            let id = self.resolve(query)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// The names of every pact whose registration can be read, leaving out
    /// those that cannot.
    ///
    /// # Errors
    ///
    /// As [`Store::ids`].
    pub fn readable_names(&self) -> Result<Names, Error> {
        Ok(Names::of(&self.registrations()?.0))
    }

    /// Every registration in the store, and the errors of the streams whose
    /// first line cannot be read: those answer to no name until repaired.
    fn registrations(&self) -> Result<(Vec<Pact>, Vec<Error>), Error> {
        let mut pacts = Vec::new();
        let mut unreadable = Vec::new();
        for id in self.ids()? {
            match self.registration(&id) {
                Ok(pact) => pacts.push(pact),
                Err(e) => unreadable.push(e),
            }
        }
        Ok((pacts, unreadable))
    }

    /// Creates the stream of pact `id` with its first event, the
    /// registration that `decide` makes, under the store's lock, of the
    /// names the store holds: what [`Registration`](crate::command::Registration)
    /// records.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyRegistered`] when the stream exists, and what
    /// `decide` returns.
    pub fn create(
        &self,
        id: &PactId,
        now: DateTime<Utc>,
        decide: impl FnOnce(&Names) -> Result<EventBody, Error>,
    ) -> Result<Event, Error> {
        let lock = self.lock_for_writing()?;
        let path = self.stream_path(id);
        if path.exists() {
            return Err(Error::AlreadyRegistered { id: id.to_string() });
        }
        let body = decide(&self.names()?)?;
        let event = Tail::default().next(id, body, now);
        let line = line_of(&event)?;
        let staging = self.stage(Some(lock))?;
        staging.write(&event.pact, line.as_bytes(), true)?;
        staging.commit(self)?;
        Ok(event)
    }

    /// Creates the store directory if needed and takes its exclusive lock,
    /// which registrations and imports hold; every writer of one stream
    /// holds it shared, so none writes meanwhile. The lock goes with the
    /// returned file. A process holding it must not append to or repair a
    /// stream of the store, nor take it again: each waits for the lock it
    /// holds, for ever.
    ///
    /// # Errors
    ///
    /// [`Error::NotADirectory`] when the store path is not a directory,
    /// [`Error::Io`] when it cannot be created or locked.
    pub fn lock_dir(&self) -> Result<File, Error> {
        if self.dir.exists() && !self.dir.is_dir() {
            return Err(Error::NotADirectory {
                dir: self.dir.clone(),
            });
        }
        fs::create_dir_all(&self.dir).map_err(Error::io("create", &self.dir))?;
        let dir = files::open_dir(&self.dir).map_err(Error::io("open", &self.dir))?;
        dir.lock().map_err(Error::io("lock", &self.dir))?;
        Ok(dir)
    }

    /// Every name (id and aliases, lowercased) of every stream, read from the
    /// registrations.
    ///
    /// # Errors
    ///
    /// The first unreadable registration: its names cannot be checked.
    pub fn names(&self) -> Result<Names, Error> {
        let (pacts, unreadable) = self.registrations()?;
        if let Some(e) = unreadable.into_iter().next() {
            return Err(e);
        }
        Ok(Names::of(&pacts))
    }

    /// Opens a stream for appending: takes the store's shared lock and the
    /// stream's exclusive lock, then reads and checks it. Appends written to
    /// the returned file while it is held cannot interleave with any other
    /// writer's, and no import or registration runs meanwhile (so a process
    /// holding it must not register or import into the store).
    ///
    /// # Errors
    ///
    /// [`Error::Stream`] when the stream is damaged, [`Error::Io`] when it
    /// cannot be opened, locked or read.
    pub fn open_for_append(&self, id: &PactId) -> Result<(Appending, Stream), Error> {
        let path = self.stream_path(id);
        let open = self.lock_stream(&path, OpenOptions::new().read(true).append(true))?;
        let stream = read_stream(id, &path, BufReader::with_capacity(READ_BUFFER, &open.file))?;
        Ok((open, stream))
    }

    /// Takes the store's lock, as [`Store::lock_dir`], and then carries out
    /// the journal of an import that did not finish, if there is one: what
    /// every writer that holds the store's lock does first.
    ///
    /// # Errors
    ///
    /// As [`Store::lock_dir`] and [`journal::finish`].
    pub fn lock_for_writing(&self) -> Result<File, Error> {
        let lock = self.lock_dir()?;
        journal::finish(self.dir())?;
        Ok(lock)
    }

    /// Takes the store directory's shared lock, which every writer of one
    /// stream holds while it writes: no import or registration (which take
    /// it exclusively) runs meanwhile.
    fn lock_dir_shared(&self) -> Result<File, Error> {
        let dir = files::open_dir(&self.dir).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::NoStore {
                dir: self.dir.clone(),
            },
            _ => Error::io("open", &self.dir)(e),
        })?;
        dir.lock_shared().map_err(Error::io("lock", &self.dir))?;
        Ok(dir)
    }

    /// Opens the stream file at `path` and takes its exclusive lock, under
    /// the store's shared lock, once no import is left unfinished: a journal
    /// is written only under the exclusive lock, so one seen under the
    /// shared lock was left by an import cut short, and is carried out
    /// first, so that nothing is written between its lines.
    fn lock_stream(&self, path: &Path, options: &OpenOptions) -> Result<Appending, Error> {
        loop {
            let store = self.lock_dir_shared()?;
            if !journal::pending(self.dir()) {
                let file = open_stream(path, &mut options.clone())?;
                file.lock().map_err(Error::io("lock", path))?;
                return Ok(Appending {
                    file,
                    _store: store,
                });
            }
            drop(store);
            let _lock = self.lock_for_writing()?;
            if journal::pending(self.dir()) {
                // carried out, yet back: no import can write one without
                // the lock held here
                return Err(Error::JournalAppeared {
                    path: journal::path(self.dir()),
                });
            }
        }
    }

    /// Appends the event that `decide` makes from the stream as it stands
    /// once locked. `decide` validates against the stream; the store assigns
    /// the seq, id, recorded time and hash link. A write that fails
    /// part-way is cut back: the stream is as it was. (Past the file-size
    /// limit the system also sends SIGXFSZ, which kills a program that does
    /// not catch or ignore it, as the `pactlog` binary does, mid-write.)
    ///
    /// # Errors
    ///
    /// [`Error::UnknownPact`] when there is no such stream, [`Error::Stream`]
    /// when it is damaged, [`Error::Conflict`] when `expect_seq` does not
    /// match, [`Error::WriteFailed`] when the line cannot be written and
    /// synced, and whatever `decide` returns.
    pub fn append(
        &self,
        id: &PactId,
        options: AppendOptions,
        now: DateTime<Utc>,
        decide: impl FnOnce(&Stream) -> Result<EventBody, Error>,
    ) -> Result<Event, Error> {
        let mut events = self.append_all(id, options, now, |stream| Ok(vec![decide(stream)?]))?;
        Ok(events.remove(0))
    }

    /// Appends the events that `decide` makes from the stream as it stands
    /// once locked, in order, as [`Store::append`] appends one: their lines
    /// in one write, which a failure cuts back whole, so that the stream
    /// holds all of them or none. They are recorded at the same time.
    ///
    /// # Errors
    ///
    /// As [`Store::append`].
    pub fn append_all(
        &self,
        id: &PactId,
        options: AppendOptions,
        now: DateTime<Utc>,
        decide: impl FnOnce(&Stream) -> Result<Vec<EventBody>, Error>,
    ) -> Result<Vec<Event>, Error> {
        let path = self.stream_path(id);
        let (open, stream) = self.open_for_append(id)?;
        let last = stream.last_seq();
        if let Some(expected) = options.expect_seq
            && expected != last
        {
            return Err(Error::Conflict {
                pact: id.to_string(),
                expected,
                actual: last,
            });
        }
        let bodies = decide(&stream)?;
        let mut tail = Tail {
            seq: last,
            head: Some(stream.head),
            recorded: stream.events.iter().map(|e| e.recorded).max(),
        };
        let mut events = Vec::with_capacity(bodies.len());
        let mut lines = String::new();
        for body in bodies {
            let event = tail.next(id, body, now);
            let line = line_of(&event)?;
            tail = Tail::after(&event, Hash::of(line.trim_end_matches('\n').as_bytes()));
            lines.push_str(&line);
            events.push(event);
        }
        append_or_undo(&open.file, &path, lines.as_bytes(), true)?;
        Ok(events)
    }
}

/// Where a stream ends: what the next event follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tail {
    /// The last event's seq: 0 for a stream not begun.
    pub seq: u64,
    /// The hash of the last line.
    pub head: Option<Hash>,
    /// The latest time an event of the stream was recorded: the last
    /// event's, but after a merge re-linked lines recorded earlier.
    pub recorded: Option<DateTime<Utc>>,
}

impl Tail {
    /// The event that records `body` after this tail of the stream of
    /// `pact`: the next seq, a new id, the hash of the line before, and
    /// `now` as the time recorded, to the microsecond a line holds, or the
    /// latest event's time if that is later (recorded times never go back
    /// along a stream, but at a line a merge re-linked). Every event
    /// pactlog writes is made here.
    pub fn next(&self, pact: &PactId, body: EventBody, now: DateTime<Utc>) -> Event {
        let now = to_recorded(now);
        Event {
            pact: pact.clone(),
            seq: self.seq + 1,
            id: Uuid::now_v7(),
            recorded: self.recorded.map_or(now, |last| now.max(last)),
            body,
            prev: self.head,
            relinked: None,
        }
    }

    /// The tail once `event`, whose line hashes to `head`, is appended.
    pub fn after(event: &Event, head: Hash) -> Tail {
        Tail {
            seq: event.seq,
            head: Some(head),
            recorded: Some(event.recorded),
        }
    }
}

/// The event's line with its LF, when it is one that readers take: the
/// limits on what a person types keep every line pactlog's commands write
/// well within [`MAX_LINE`], and this keeps any other caller there.
fn line_of(event: &Event) -> Result<String, Error> {
    let mut line = event.to_line();
    if line.len() > MAX_LINE {
        return Err(Error::LineTooLong {
            len: line.len(),
            max: MAX_LINE,
        });
    }
    line.push('\n');
    Ok(line)
}

/// A stream open for appending: its file, under the stream's exclusive
/// lock, and the store directory, under its shared lock; both are let go
/// when it is dropped.
#[derive(Debug)]
pub struct Appending {
    /// The stream file, open for reading and appending.
    pub file: File,
    /// The store directory, locked shared.
    _store: File,
}

/// Runs `read`, which reads the stream at `path` without a lock, and once
/// more holding the stream's shared lock if it finds the stream damaged or
/// cannot read it. A writer appends under the stream's exclusive lock (and
/// cuts back a write that fails under it), so a reader without the lock can
/// meet the first part of a line being written, a torn tail that is gone
/// a moment later; with the lock, no write is under way, and what is wrong
/// then is damage. Reading a sound stream takes no lock, so readers never
/// wait for writers, nor writers for readers. Call it holding no lock on
/// the stream: the shared lock would wait for that one for ever.
fn read_settled<T>(path: &Path, read: impl Fn() -> Result<T, Error>) -> Result<T, Error> {
    match read() {
        Err(Error::Stream { .. } | Error::Io { .. }) => {
            let locked = open_stream(path, OpenOptions::new().read(true))?;
            locked.lock_shared().map_err(Error::io("lock", path))?;
            read()
        }
        other => other,
    }
}

/// The metadata of the stream open as `file`, taken when no write to it is
/// under way, so that a reader of its first `len()` bytes never meets a
/// line being written: at once when its last byte ends a line (every byte
/// up to there is whole, since appends only add after it), else under the
/// stream's shared lock, which waits for a writer's exclusive lock. A tail
/// still torn then is damage, which the reader reports. Call it holding no
/// lock on the stream.
fn settled(file: &File, path: &Path) -> Result<fs::Metadata, Error> {
    let meta = file.metadata().map_err(Error::io("read", path))?;
    let mut last = [0_u8];
    if meta.len() == 0 || read_exact_at(file, &mut last, meta.len() - 1).is_ok() && last[0] == b'\n'
    {
        return Ok(meta);
    }
    file.lock_shared().map_err(Error::io("lock", path))?;
    let settled = file.metadata().map_err(Error::io("read", path));
    let _ = file.unlock();
    settled
}

/// Reads `buf.len()` bytes at `offset`, without moving the file's position.
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(mut file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// Reads and checks a stream from `input`, naming `path` in any error.
fn read_stream<E: FromRecord>(
    id: &PactId,
    path: &Path,
    input: impl BufRead,
) -> Result<Stream<E>, Error> {
    Stream::read(id, input).map_err(read_error(path))
}

/// A read's error, naming `path`.
fn read_error(path: &Path) -> impl Fn(ReadError) -> Error + '_ {
    move |e| match e {
        ReadError::At(line, problem) => Error::Stream {
            path: path.to_owned(),
            line,
            problem,
        },
        ReadError::Io(e) => Error::io("read", path)(e),
    }
}
