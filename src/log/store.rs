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

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::log::codec::Record;
use crate::log::files;
use crate::log::journal;
pub use crate::log::layout::{STAGED_SUFFIX, STAGING_PREFIX, STREAM_EXTENSION, sync_filesystem};
pub(crate) use crate::log::layout::{
    append_or_undo, open_stream, staged_prefix, stream_name, sync_dir,
};
use crate::log::stream::{self, Folded, FromRecord, Index, Line, MAX_LINE, ReadError, Stream};
use crate::model::error::{Error, Rollback, StreamProblem};
use crate::model::event::{Event, EventBody, Fact, Hash};
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
            let name = entry.file_name();
            let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".jsonl")) else {
                continue;
            };
            if let Ok(id) = PactId::parse(stem) {
                ids.push(id);
            }
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
    /// little memory. The file stays open in the [`Lines`] returned, to read
    /// again the lines an answer shows.
    ///
    /// # Errors
    ///
    /// As [`Store::read`], and any problem `visit` returns, at its line.
    pub(crate) fn fold(
        &self,
        id: &PactId,
        visit: impl FnMut(Line<'_>) -> Result<(), StreamProblem>,
    ) -> Result<(Folded, Lines), Error> {
        self.fold_indexed(id, visit)
            .map(|(folded, lines, _)| (folded, lines))
    }

    /// [`Store::fold`], and the [`Index`] of the stream's ids.
    ///
    /// # Errors
    ///
    /// As [`Store::fold`].
    pub(crate) fn fold_indexed(
        &self,
        id: &PactId,
        visit: impl FnMut(Line<'_>) -> Result<(), StreamProblem>,
    ) -> Result<(Folded, Lines, Index), Error> {
        let path = self.stream_path(id);
        let file = open_stream(&path, OpenOptions::new().read(true))?;
        // only the bytes of writes that had finished: a fold cannot read
        // again once it has handed lines on
        let meta = settled(&file, &path)?;
        let input = BufReader::with_capacity(READ_BUFFER, (&file).take(meta.len()));
        let (folded, index) = stream::fold_indexed(id, input, visit).map_err(read_error(&path))?;
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

    /// Reads only a stream's registration (its first line), to resolve
    /// names without reading whole streams.
    pub(crate) fn registration(&self, id: &PactId) -> Result<Pact, Error> {
        let path = self.stream_path(id);
        read_settled(&path, || {
            let file = open_stream(&path, OpenOptions::new().read(true))?;
            let mut first = Vec::new();
            BufReader::new(file)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut first)
                .map_err(Error::io("read", &path))?;
            Ok(read_stream::<Fact>(id, &path, first.as_slice())?.pact)
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
        let body = decide(&stream)?;
        let tail = Tail {
            seq: last,
            head: Some(stream.head),
            recorded: stream.events.last().map(|e| e.recorded),
        };
        let event = tail.next(id, body, now);
        let line = line_of(&event)?;
        append_or_undo(&open.file, &path, line.as_bytes(), true)?;
        Ok(event)
    }
}

/// Where a stream ends: what the next event follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tail {
    /// The last event's seq: 0 for a stream not begun.
    pub seq: u64,
    /// The hash of the last line.
    pub head: Option<Hash>,
    /// When the last event was recorded.
    pub recorded: Option<DateTime<Utc>>,
}

impl Tail {
    /// The event that records `body` after this tail of the stream of
    /// `pact`: the next seq, a new id, the hash of the line before, and
    /// `now` as the time recorded, to the microsecond a line holds, or the
    /// last event's time if that is later (recorded times never go back
    /// along a stream). Every event pactlog writes is made here.
    pub fn next(&self, pact: &PactId, body: EventBody, now: DateTime<Utc>) -> Event {
        let now = to_recorded(now);
        Event {
            pact: pact.clone(),
            seq: self.seq + 1,
            id: Uuid::now_v7(),
            recorded: self.recorded.map_or(now, |last| now.max(last)),
            body,
            prev: self.head,
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

/// New streams written out of sight while an import is checked (or a pact
/// registered), put in place only when it commits, and removed if it does
/// not.
///
/// Into a store that exists, each new stream is written under a hidden
/// temporary name in the store directory and hard-linked to its final name
/// at commit, so that a stream never exists half written. Into a store that
/// does not exist yet, the streams are written under their final names in a
/// hidden directory beside it, which is renamed to the store's name at
/// commit: the store appears whole or not at all, with no link per stream.
/// Whatever was not put in place is removed when the staging is dropped, so
/// a refused import leaves nothing behind.
#[derive(Debug)]
pub struct Staging {
    /// The directory the streams are written in.
    path: PathBuf,
    /// `path`, open, to create files in without resolving it each time;
    /// when it is the store directory, its lock is held on it.
    dir: File,
    /// Whether `path` is a directory of its own that becomes the store.
    whole: bool,
    /// The streams begun, each with the name of its file in `path`, ours
    /// to remove.
    begun: Mutex<Vec<(PactId, String)>>,
    /// Where each pact's stream is in `begun` (locked after it).
    places: Mutex<HashMap<PactId, usize>>,
    /// Set once `path` has become the store.
    placed: bool,
}

impl Store {
    /// Starts staging new streams: in the store directory when given its
    /// `lock` (from [`Store::lock_dir`], held until the staging is
    /// committed or dropped), else in a hidden directory beside where the
    /// store will be, so that nothing is created at the store's path until
    /// [`Staging::commit`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the staging directory cannot be created or opened.
    pub fn stage(&self, lock: Option<File>) -> Result<Staging, Error> {
        if let Some(dir) = lock {
            return Ok(Staging {
                path: self.dir.clone(),
                dir,
                whole: false,
                begun: Mutex::new(Vec::new()),
                places: Mutex::new(HashMap::new()),
                placed: false,
            });
        }
        // the nearest directory that exists above the store
        let above = self
            .dir
            .ancestors()
            .skip(1)
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .find(|p| p.is_dir())
            .unwrap_or(Path::new("."));
        // a short name, whatever the store's, made exclusively: nothing
        // planted beside the store can be written through
        let path = files::temp_dir(above, STAGING_PREFIX)
            .map_err(Error::io("create", &self.dir))?
            .keep();
        let staging = Staging {
            dir: files::open_dir(&path).map_err(Error::io("open", &path))?,
            path,
            whole: true,
            begun: Mutex::new(Vec::new()),
            places: Mutex::new(HashMap::new()),
            placed: false,
        };
        Ok(staging)
    }
}

impl Staging {
    /// Writes the first `bytes` of a new stream when `begin`, else adds them
    /// to the end of the stream begun before. A new stream's file is created
    /// exclusively: under its own name in a staging directory of its own,
    /// or under a fresh hidden name in the store
    /// (`.<pact>.jsonl.<random>.tmp`).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be opened, [`Error::WriteFailed`]
    /// when it cannot be written (a full disk, the file-size limit): the
    /// file is removed with the staging, which the caller drops.
    pub fn write(&self, id: &PactId, bytes: &[u8], begin: bool) -> Result<(), Error> {
        use rustix::fs::{Mode, OFlags};
        let mut begun = self.begun.lock().unwrap_or_else(PoisonError::into_inner);
        let flags = OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
        let (file, name) = if begin && !self.whole {
            let prefix = staged_prefix(id);
            let (file, path) = files::temp_file(&self.path, &prefix, STAGED_SUFFIX)
                .and_then(|temp| temp.keep().map_err(|e| e.error))
                .map_err(Error::io("create", self.path.join(stream_name(id))))?;
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into());
            (file, name)
        } else {
            let (name, how) = if begin {
                (stream_name(id), OFlags::CREATE | OFlags::EXCL)
            } else {
                // found by its id, not by a search: an import adds to
                // thousands of streams begun, in any order
                let Some(&at) = self
                    .places
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(id)
                else {
                    return Err(Error::NotBegun {
                        pact: id.to_string(),
                    });
                };
                (begun[at].1.clone(), OFlags::APPEND)
            };
            let file = rustix::fs::openat(
                &self.dir,
                name.as_str(),
                flags | how,
                Mode::from_bits_truncate(0o666),
            )
            .map_err(|e| Error::io("write", self.path.join(&name))(e.into()))?;
            (File::from(file), name)
        };
        let path = self.path.join(&name);
        if begin {
            let mut places = self.places.lock().unwrap_or_else(PoisonError::into_inner);
            places.insert(id.clone(), begun.len());
            begun.push((id.clone(), name));
        }
        drop(begun);
        // a file that is not written whole is removed with the staging
        let mut file = file;
        file.write_all(bytes).map_err(|source| Error::WriteFailed {
            action: "write",
            path,
            source,
            rollback: Rollback::Removed,
        })
    }

    /// Makes the staged streams durable (one file system sync, which also
    /// covers anything else written before it) and puts them in place, then
    /// syncs the directory that names them. Into a store that existed, call
    /// it holding [`Store::lock_dir`].
    ///
    /// # Errors
    ///
    /// [`Error::StoreCreatedMeanwhile`] when the store was created
    /// meanwhile with one of the staged streams in it,
    /// [`Error::NameTaken`] when a store made meanwhile has a name a new
    /// pact takes, [`Error::Io`] when a file cannot be synced or linked,
    /// [`Error::ImportUnfinished`] when linking fails after a journal is in
    /// place, and what carrying out a journal left before can return.
    pub fn commit(mut self, store: &Store) -> Result<(), Error> {
        rustix::fs::syncfs(&self.dir).map_err(|e| Error::io("sync", &self.path)(e.into()))?;
        if !self.whole {
            return self.link_into(store);
        }
        let target = store.dir();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let renamed = fs::create_dir_all(parent).is_ok()
            && rustix::fs::renameat_with(
                rustix::fs::CWD,
                &self.path,
                rustix::fs::CWD,
                target,
                rustix::fs::RenameFlags::NOREPLACE,
            )
            .is_ok();
        if !renamed {
            // the store was created meanwhile, or this file system cannot
            // rename without replacing: the streams, none of which the
            // store may have, go in through a journal, as into any store
            let _lock = store.lock_for_writing()?;
            let begun = self.begun.lock().unwrap_or_else(PoisonError::into_inner);
            let begun: Vec<PactId> = begun.iter().map(|(id, _)| id.clone()).collect();
            if let Some(id) = begun.iter().find(|id| store.stream_path(id).exists()) {
                return Err(Error::StoreCreatedMeanwhile {
                    dir: store.dir().to_owned(),
                    pact: id.to_string(),
                });
            }
            // the names were checked against no store: now against this one
            let mut names = store.names()?;
            let staged = Store::new(&self.path);
            for id in begun.iter() {
                let pact = staged.registration(id)?;
                names.check_free(&pact)?;
                names.add(&pact);
            }
            return journal::link_in(store.dir(), &self.path, &begun);
        }
        self.placed = true;
        // the rename, and any directories made above the store, are durable
        // only once synced too: one more file system sync covers them all
        sync_filesystem(parent)
    }

    /// Whether the streams are staged in a directory of their own that
    /// becomes the store, rather than in the store.
    pub fn is_whole(&self) -> bool {
        self.whole
    }

    /// Each stream staged, with the file name it is staged under in the
    /// store directory.
    pub fn staged(&self) -> Vec<(PactId, String)> {
        self.begun
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Leaves the staged files in place when the staging is dropped: once a
    /// [`journal`] names them, they are its to remove.
    pub fn keep(&mut self) {
        self.placed = true;
    }

    /// Hard-links every staged stream to its name in the store, and syncs
    /// the store directory if any was. The caller, holding the store's
    /// lock, has seen that none of the names is taken.
    fn link_into(&self, store: &Store) -> Result<(), Error> {
        let begun = self.begun.lock().unwrap_or_else(PoisonError::into_inner);
        if begun.is_empty() {
            return Ok(());
        }
        for (id, name) in begun.iter() {
            fs::hard_link(self.path.join(name), store.stream_path(id)).map_err(|e| {
                match e.kind() {
                    io::ErrorKind::AlreadyExists => Error::AlreadyRegistered { id: id.to_string() },
                    _ => Error::io("create", store.stream_path(id))(e),
                }
            })?;
        }
        sync_dir(store.dir())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.placed {
            return;
        }
        if self.whole {
            let _ = fs::remove_dir_all(&self.path);
        } else {
            let begun =
                std::mem::take(self.begun.get_mut().unwrap_or_else(PoisonError::into_inner));
            for (_, name) in &begun {
                let _ = fs::remove_file(self.path.join(name));
            }
        }
    }
}

/// What `repair` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// The stream was intact: nothing was changed.
    Intact {
        /// How many events it holds.
        events: usize,
    },
    /// A torn last line was moved into a quarantine file.
    Repaired {
        /// The line that was torn.
        line: usize,
        /// How many bytes were moved.
        bytes: u64,
        /// Where they are now.
        quarantine: PathBuf,
        /// Whether the moved line ended with a newline: a complete line that
        /// does not parse is more likely damage than an interrupted write.
        complete: bool,
        /// How many events the stream holds now; 0 when the torn line was
        /// the registration, and the empty stream file was removed.
        events: usize,
    },
}

impl Store {
    /// Repairs a stream whose last line was torn by an interrupted write:
    /// under the stream's lock, the torn bytes are written to a quarantine
    /// file beside the stream (`<id>.jsonl.torn-<time>`, never read as a
    /// stream) and synced, and only then cut from the stream. Any other
    /// damage is left for a person to look at.
    ///
    /// # Errors
    ///
    /// [`Error::NotRepairable`] when the damage is not a torn last line,
    /// [`Error::HardLinked`] when the stream file has other names,
    /// [`Error::WriteFailed`] when the quarantine file cannot be written
    /// (it is removed, and the stream left as it was), [`Error::Io`] when a
    /// file cannot be read or the stream cut.
    pub fn repair(&self, id: &PactId, now: DateTime<Utc>) -> Result<Repair, Error> {
        let path = self.stream_path(id);
        let open = self.lock_stream(&path, OpenOptions::new().read(true).write(true))?;
        let file = &open.file;
        #[cfg(unix)]
        {
            // a file with another name is not the stream's alone: cutting it
            // would cut that file, and its bytes would be copied out
            use std::os::unix::fs::MetadataExt;
            let meta = file.metadata().map_err(Error::io("read", &path))?;
            if meta.nlink() > 1 {
                return Err(Error::HardLinked {
                    path,
                    links: meta.nlink(),
                });
            }
        }
        let (line, problem) = match Stream::<Fact>::read(id, BufReader::new(file)) {
            Ok(stream) => {
                return Ok(Repair::Intact {
                    events: stream.events.len(),
                });
            }
            Err(ReadError::Io(e)) => return Err(Error::io("read", &path)(e)),
            Err(ReadError::At(line, problem)) => (line, problem),
        };
        if !matches!(problem, StreamProblem::TornTail { .. }) {
            return Err(Error::NotRepairable {
                path,
                line,
                problem,
            });
        }
        let keep = offset_of_line(file, line).map_err(Error::io("read", &path))?;
        let mut tail = Vec::new();
        let mut reader = file;
        reader
            .seek(SeekFrom::Start(keep))
            .and_then(|_| reader.read_to_end(&mut tail))
            .map_err(Error::io("read", &path))?;
        let quarantine = self.dir.join(format!(
            "{}.torn-{}",
            stream_name(id),
            to_recorded(now).format("%Y%m%dT%H%M%S%.6fZ")
        ));
        let mut kept = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&quarantine)
            .map_err(Error::io("create", &quarantine))?;
        if let Err(source) = kept.write_all(&tail).and_then(|()| kept.sync_all()) {
            // a quarantine file not written whole holds no one's bytes: the
            // stream still has them all
            drop(kept);
            let _ = fs::remove_file(&quarantine);
            return Err(Error::WriteFailed {
                action: "write the quarantine file",
                path: quarantine,
                source,
                rollback: Rollback::Done,
            });
        }
        file.set_len(keep)
            .and_then(|()| file.sync_all())
            .map_err(Error::io("truncate", &path))?;
        if keep == 0 {
            fs::remove_file(&path).map_err(Error::io("remove the empty", &path))?;
        }
        sync_dir(&self.dir)?;
        // the lines before the torn one were read and checked above, and
        // are all the stream holds now
        let events = line - 1;
        Ok(Repair::Repaired {
            line,
            bytes: tail.len() as u64,
            complete: tail.ends_with(b"\n"),
            quarantine,
            events,
        })
    }
}

/// The byte offset where 1-based line `line` starts.
fn offset_of_line(file: &File, line: usize) -> io::Result<u64> {
    let mut reader = BufReader::new(file);
    reader.seek(SeekFrom::Start(0))?;
    let mut offset = 0;
    for _ in 1..line {
        let mut skipped = Vec::new();
        offset += reader.read_until(b'\n', &mut skipped)? as u64;
    }
    Ok(offset)
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

/// A stream file after a fold of the stream, open, to read again the lines an
/// answer shows: each is read where the fold found it, within the bytes the
/// fold checked, and checked again as a line alone is (its format and its
/// checksum) and as that line of that stream (its pact and seq). Lines read
/// one after the other are read a window of bytes at a time.
#[derive(Debug)]
pub struct Lines {
    id: PactId,
    path: PathBuf,
    file: File,
    /// How many bytes the fold checked: no line after them is read.
    len: u64,
    /// The file's metadata when it was opened, before any line was read.
    meta: fs::Metadata,
    /// Bytes read ahead, from `start` in the file.
    window: Vec<u8>,
    start: u64,
}

/// How many bytes [`Lines`] reads at a time.
const WINDOW: usize = 64 * 1024;

impl Lines {
    /// Writes the bytes the fold checked, every line of the stream as it
    /// was read, to `out`, a window at a time.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the stream when it cannot be read, and what
    /// writing to `out` returns.
    pub fn copy_to(&mut self, out: &mut dyn Write) -> Result<(), Error> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(0))
            .map_err(Error::io("read", &self.path))?;
        let mut left = self.len;
        self.window.resize(WINDOW, 0);
        while left > 0 {
            let want = left.min(WINDOW as u64) as usize;
            let n = file
                .read(&mut self.window[..want])
                .map_err(Error::io("read", &self.path))?;
            if n == 0 {
                let cut = io::Error::new(io::ErrorKind::UnexpectedEof, "the file was cut short");
                return Err(Error::io("read", &self.path)(cut));
            }
            out.write_all(&self.window[..n])?;
            left -= n as u64;
        }
        // what the window holds is not where `start` says
        self.window.clear();
        Ok(())
    }

    /// The stream file's metadata when it was opened, before the fold read
    /// any line of it.
    pub(crate) fn meta(&self) -> &fs::Metadata {
        &self.meta
    }

    /// The error for line `number` read again and found to be another than
    /// the one the fold read: the file was changed in place meanwhile.
    pub fn changed(&self, number: usize) -> Error {
        Error::Stream {
            path: self.path.clone(),
            line: number,
            problem: StreamProblem::Malformed(
                "the line is not the one read a moment before: the file was changed in place"
                    .into(),
            ),
        }
    }

    /// The event of line `number`, which the fold found at `offset`, read
    /// again and checked.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`] when the line is not there as it was, [`Error::Io`]
    /// when it cannot be read.
    pub(crate) fn event(&mut self, number: usize, offset: u64) -> Result<Event, Error> {
        self.event_and_end(number, offset).map(|(event, _)| event)
    }

    /// [`Lines::event`], and where the line after it begins.
    pub(crate) fn event_and_end(
        &mut self,
        number: usize,
        offset: u64,
    ) -> Result<(Event, u64), Error> {
        let found = self.line(offset);
        let at = |problem| Error::Stream {
            path: self.path.clone(),
            line: number,
            problem,
        };
        let (line, end) = match found {
            Ok(Some(range)) => (&self.window[range.clone()], offset + range.len() as u64 + 1),
            Ok(None) => {
                let why = "no final newline";
                return Err(at(StreamProblem::TornTail { why }));
            }
            Err(e) => return Err(Error::io("read", &self.path)(e)),
        };
        let record = Record::parse(line).map_err(at)?;
        if record.pact() != self.id.as_str() {
            return Err(at(StreamProblem::WrongPact {
                expected: self.id.to_string(),
                found: record.pact().to_owned(),
            }));
        }
        let event = record
            .into_event()
            .map_err(|why| at(StreamProblem::Malformed(why)))?;
        if event.seq != number as u64 {
            let (expected, found) = (number as u64, event.seq);
            return Err(at(StreamProblem::SeqGap { expected, found }));
        }
        Ok((event, end))
    }

    /// The bytes of line `number` (without its LF), which begins at
    /// `offset`, as the fold checked them.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`] when no line ends there within the bytes checked,
    /// [`Error::Io`] when it cannot be read.
    pub(crate) fn bytes(&mut self, number: usize, offset: u64) -> Result<&[u8], Error> {
        match self.line(offset) {
            Ok(Some(range)) => Ok(&self.window[range]),
            Ok(None) => Err(Error::Stream {
                path: self.path.clone(),
                line: number,
                problem: StreamProblem::TornTail {
                    why: "no final newline",
                },
            }),
            Err(e) => Err(Error::io("read", &self.path)(e)),
        }
    }

    /// The same stream file, open again, to read lines from elsewhere in it
    /// without moving this reader's window.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be opened again.
    pub fn another(&self) -> Result<Lines, Error> {
        Ok(Lines {
            id: self.id.clone(),
            path: self.path.clone(),
            file: self
                .file
                .try_clone()
                .map_err(Error::io("read", &self.path))?,
            len: self.len,
            meta: self.meta.clone(),
            window: Vec::new(),
            start: 0,
        })
    }

    /// Where the line (without its LF) that begins at `offset` lies in the
    /// window, once read into it; `None` when no LF ends it within the bytes
    /// checked and [`MAX_LINE`].
    fn line(&mut self, offset: u64) -> io::Result<Option<Range<usize>>> {
        let end = self.start + self.window.len() as u64;
        let ahead = (self.start..end).contains(&offset).then(|| {
            let from = (offset - self.start) as usize;
            memchr::memchr(b'\n', &self.window[from..]).map(|n| (from, n))
        });
        let (from, n) = match ahead.flatten() {
            Some(found) => found,
            None => {
                self.window.clear();
                self.start = offset;
                let most = self.len.saturating_sub(offset).min(MAX_LINE as u64 + 1);
                let mut file = &self.file;
                file.seek(SeekFrom::Start(offset))?;
                file.take(most.min(WINDOW as u64))
                    .read_to_end(&mut self.window)?;
                let mut found = memchr::memchr(b'\n', &self.window);
                if found.is_none() && most > WINDOW as u64 {
                    let read = self.window.len() as u64;
                    file.take(most - read).read_to_end(&mut self.window)?;
                    found = memchr::memchr(b'\n', &self.window);
                }
                match found {
                    Some(n) => (0, n),
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(from..from + n))
    }
}

/// The names that pacts answer to, lowercased, with the pact that has each.
///
/// A pact's id always names it. Aliases are unique across a store, but two
/// registrations made apart (on two branches of a repository, say) can
/// claim the same one: such an alias names no pact, and is kept with the
/// pacts that claim it.
#[derive(Debug, Clone, Default)]
pub struct Names {
    owners: HashMap<String, PactId>,
    shared: HashMap<String, Vec<PactId>>,
}

impl Names {
    /// The names of `pacts`.
    pub fn of(pacts: &[Pact]) -> Names {
        let mut names = Names::default();
        for pact in pacts {
            names.add(pact);
        }
        names
    }

    /// Adds a pact's id and aliases.
    pub fn add(&mut self, pact: &Pact) {
        let id = pact.id.as_str();
        self.shared.remove(id);
        self.owners.insert(id.to_owned(), pact.id.clone());
        for alias in pact.names().skip(1) {
            match self.owners.get(&alias) {
                None => {
                    self.owners.insert(alias, pact.id.clone());
                }
                Some(owner) if *owner == pact.id || owner.as_str() == alias => {}
                Some(owner) => {
                    let owner = owner.clone();
                    let claims = self.shared.entry(alias).or_insert_with(|| vec![owner]);
                    if !claims.contains(&pact.id) {
                        claims.push(pact.id.clone());
                    }
                }
            }
        }
    }

    /// The pact that `query` names, in any case; none for an alias that
    /// more than one pact claims.
    pub fn get(&self, query: &str) -> Option<&PactId> {
        let query = query.trim().to_lowercase();
        if self.shared.contains_key(&query) {
            return None;
        }
        self.owners.get(&query)
    }

    /// The pacts that claim `query` as an alias, when more than one does.
    pub fn claims(&self, query: &str) -> Option<&[PactId]> {
        if self.shared.is_empty() {
            return None;
        }
        self.shared
            .get(&query.trim().to_lowercase())
            .map(Vec::as_slice)
    }

    /// [`Error::AmbiguousName`] when `query` is an alias that more than one
    /// pact claims.
    pub fn ambiguous(&self, query: &str) -> Option<Error> {
        self.claims(query).map(|pacts| Error::AmbiguousName {
            name: query.trim().to_owned(),
            pacts: pacts.iter().map(ToString::to_string).collect(),
        })
    }

    /// The name nearest to `query`, when one is close: for "did you mean".
    pub fn nearest(&self, query: &str) -> Option<String> {
        let query = query.trim().to_lowercase();
        self.owners
            .iter()
            .map(|(name, id)| (strsim::jaro_winkler(&query, name), id))
            .filter(|(score, _)| *score >= 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, id)| id.to_string())
    }

    /// Checks that none of a new pact's names is taken.
    ///
    /// # Errors
    ///
    /// [`Error::NameTaken`] with the name as given and its owner, or every
    /// pact that claims it.
    pub fn check_free(&self, pact: &Pact) -> Result<(), Error> {
        let names =
            std::iter::once(pact.id.as_str()).chain(pact.aliases.iter().map(String::as_str));
        for name in names {
            let owners = match self.get(name) {
                Some(owner) => std::slice::from_ref(owner),
                None => self.claims(name).unwrap_or_default(),
            };
            if !owners.is_empty() {
                return Err(Error::NameTaken {
                    name: name.to_owned(),
                    owners: owners.iter().map(PactId::to_string).collect(),
                });
            }
        }
        Ok(())
    }
}
