//! The import journal, which makes an import into an existing store all or
//! nothing even when the import is cut short by a crash or a kill.
//!
//! Before an import writes to any stream that exists, it writes down in
//! `DIR/.pactlog-journal` all it is about to do: for each existing stream,
//! the stream's length and the lines to add after it; for each new stream,
//! the hidden file it was staged in. The journal is synced, along with the
//! staged streams, and put in place by a rename, which is the import's
//! commit point. Only then are the lines appended and the new streams
//! linked in, and then the journal is removed.
//!
//! A crash before the rename leaves the store as it was. A crash after it
//! leaves the journal, and the next command that records anything (an
//! append, a note, a retraction, a registration, an import or a repair)
//! carries it out to the end, under the store's lock, before it does
//! anything else: a stream still at its length before the import gets its
//! lines, one that has a first part of them (a write cut short) gets the
//! rest, one that has them all is left as it is, and a new stream not
//! linked yet is linked. A write that fails part-way (a full disk) is cut
//! back to where it began; nothing else is ever cut or rewritten. A stream
//! that holds anything else was changed by hand since, and nothing more is
//! written until a person has looked.
//!
//! The file is one JSON document on one line, then a line with the CRC-32
//! of that line's bytes (8 lowercase hex digits), so that a damaged journal
//! is never acted on.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::log::files;
use crate::log::layout::{
    STAGED_SUFFIX, append_or_undo, open_stream, staged_prefix, stream_name, sync_dir,
    sync_filesystem,
};
use crate::model::error::Error;
use crate::model::pact::PactId;

/// The journal's name in the store directory.
pub const FILE: &str = crate::model::format::JOURNAL;

/// The journal format's version.
const VERSION: u32 = 1;

/// What an import does to one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// Adds `lines` to the end of an existing stream `at` bytes long.
    Append {
        /// The pact.
        pact: PactId,
        /// The stream's length before the import.
        at: u64,
        /// The lines the import adds, each with its LF.
        lines: String,
    },
    /// Links a new stream, written under the hidden name `staged` in the
    /// store directory, to its name.
    Link {
        /// The pact.
        pact: PactId,
        /// The file name it was staged under.
        staged: String,
    },
}

#[derive(Deserialize)]
struct Journal {
    version: u32,
    entries: Vec<Entry>,
}

/// A journal as written, borrowing its entries.
#[derive(Serialize)]
struct Written<'a> {
    version: u32,
    entries: &'a [Entry],
}

/// The journal's path in `store`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Whether `store` holds a journal: an import that did not finish.
pub fn pending(dir: &Path) -> bool {
    fs::symlink_metadata(path(dir)).is_ok()
}

/// Writes the journal of `entries` and puts it in place, durable, with
/// everything written to the store's file system before it (the staged
/// streams): the import's commit point. Call it holding the store's lock.
///
/// # Errors
///
/// [`Error::Io`] when it cannot be written, synced or renamed.
fn begin(dir: &Path, entries: &[Entry]) -> Result<(), Error> {
    // created exclusively under a fresh name, and removed if not put in place
    let temp = files::temp_file(dir, &format!("{FILE}."), ".tmp")
        .map_err(Error::io("create", path(dir)))?;
    write(temp.as_file(), temp.path(), entries)?;
    sync_filesystem(dir)?;
    let at = temp.path().to_owned();
    temp.persist(path(dir))
        .map_err(|e| Error::io("rename", &at)(e.error))?;
    sync_dir(dir)
}

fn write(file: &File, temp: &Path, entries: &[Entry]) -> Result<(), Error> {
    let journal = Written {
        version: VERSION,
        entries,
    };
    let mut out = Crc {
        inner: BufWriter::new(file),
        crc: crc32fast::Hasher::new(),
    };
    serde_json::to_writer(&mut out, &journal)
        .map_err(io::Error::from)
        .map_err(Error::io("write", temp))?;
    let crc = out.crc.finalize();
    let mut file = out.inner;
    write!(file, "\n{crc:08x}\n")
        .and_then(|()| file.flush())
        .map_err(Error::io("write", temp))
}

/// A writer that keeps the CRC-32 of what goes through it.
struct Crc<W> {
    inner: W,
    crc: crc32fast::Hasher,
}

impl<W: Write> Write for Crc<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Removes the journal of an import carried out to the end, and then the
/// staged files its links name.
///
/// # Errors
///
/// [`Error::Io`] when the journal cannot be removed.
fn end(dir: &Path, staged: &[String]) -> Result<(), Error> {
    let journal = path(dir);
    fs::remove_file(&journal).map_err(Error::io("remove", &journal))?;
    sync_dir(dir)?;
    for name in staged {
        let _ = fs::remove_file(dir.join(name));
    }
    Ok(())
}

/// Moves the new streams staged in the directory `from` (each under its
/// stream's name) into the store under hidden names, and links them in
/// through a journal, so that they appear all together or, across a crash,
/// all once the next command that records has carried the journal out.
/// Call it holding the store's exclusive lock, with none of the streams in
/// the store.
///
/// # Errors
///
/// [`Error::Io`] when a file cannot be moved or the journal written
/// (nothing is put in place), [`Error::ImportUnfinished`] when a link
/// cannot be made after the journal is in place.
pub fn link_in(dir: &Path, from: &Path, pacts: &[PactId]) -> Result<(), Error> {
    if pacts.is_empty() {
        return Ok(());
    }
    let mut entries = Vec::with_capacity(pacts.len());
    for pact in pacts {
        let staged = from.join(stream_name(pact));
        // to a fresh hidden name, never over a file another process put there
        let moved = tempfile::Builder::new()
            .prefix(&staged_prefix(pact))
            .suffix(STAGED_SUFFIX)
            .make_in(dir, |to| {
                rustix::fs::renameat_with(
                    rustix::fs::CWD,
                    &staged,
                    rustix::fs::CWD,
                    to,
                    rustix::fs::RenameFlags::NOREPLACE,
                )
                .map_err(io::Error::from)
            })
            .map(|made| made.keep());
        let name = match moved {
            Ok(Ok(((), to))) => to
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into()),
            Ok(Err(e)) => {
                forget(dir, &staged_files(&entries));
                return Err(Error::io("move", &staged)(e.error));
            }
            Err(e) => {
                forget(dir, &staged_files(&entries));
                return Err(Error::io("move", &staged)(e));
            }
        };
        entries.push(Entry::Link {
            pact: pact.clone(),
            staged: name,
        });
    }
    commit(dir, &entries)
}

/// Writes the journal of `entries` and then carries it out: each existing
/// stream gets its lines, each staged stream is linked in, all is synced,
/// and the journal and the staged files are removed. Call it holding the
/// store's exclusive lock, with the staged files in the store directory
/// under the names the entries give.
///
/// # Errors
///
/// [`Error::Io`] when the journal cannot be put in place (the staged files
/// are removed, and nothing is recorded), [`Error::ImportUnfinished`] when
/// carrying it out fails after that (the next command that records
/// finishes it).
pub fn commit(dir: &Path, entries: &[Entry]) -> Result<(), Error> {
    let staged = staged_files(entries);
    if let Err(e) = begin(dir, entries) {
        if pending(dir) {
            return Err(Error::ImportUnfinished {
                source: Box::new(e),
            });
        }
        forget(dir, &staged);
        return Err(e);
    }
    carry_out(dir, entries).map_err(|e| Error::ImportUnfinished {
        source: Box::new(e),
    })?;
    // all is in place and durable: a journal that cannot be removed is
    // carried out, with nothing to do, by the next command that records
    let _ = end(dir, &staged);
    Ok(())
}

/// Gives each stream of `entries` what it lacks of its lines, links in each
/// staged stream not linked yet, and syncs the file system. Each stream is
/// open only while it is written, however many there are.
fn carry_out(dir: &Path, entries: &[Entry]) -> Result<(), Error> {
    for entry in entries {
        match entry {
            Entry::Append { pact, at, lines } => append(dir, pact, *at, lines.as_bytes())?,
            Entry::Link { pact, staged } => {
                if let Some((from, to)) = to_link(dir, pact, staged)? {
                    fs::hard_link(&from, &to).map_err(Error::io("create", &to))?;
                }
            }
        }
    }
    sync_filesystem(dir)
}

/// The names of the staged files that `entries` link in.
fn staged_files(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Link { staged, .. } => Some(staged.clone()),
            Entry::Append { .. } => None,
        })
        .collect()
}

/// Removes the staged files `names` from the store directory.
fn forget(dir: &Path, names: &[String]) {
    for name in names {
        let _ = fs::remove_file(dir.join(name));
    }
}

/// How much of `lines` the stream open in `file` holds already
/// after its first `at` bytes: all of it, a first part (a write cut short),
/// or none.
///
/// # Errors
///
/// [`Error::JournalConflict`] when the stream holds anything but its first
/// `at` bytes and a first part of `lines`; [`Error::Io`] when it cannot be
/// read.
fn held(mut file: &File, path: &Path, at: u64, lines: &[u8]) -> Result<usize, Error> {
    let len = file.metadata().map_err(Error::io("read", path))?.len();
    let conflict = || Error::JournalConflict {
        path: path.to_owned(),
        why: "the stream was changed since".into(),
    };
    let held = len.checked_sub(at).ok_or_else(conflict)?;
    let held = usize::try_from(held)
        .ok()
        .filter(|&n| n <= lines.len())
        .ok_or_else(conflict)?;
    if held > 0 {
        let mut have = vec![0; held];
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(&mut have))
            .map_err(Error::io("read", path))?;
        if have != lines[..held] {
            return Err(conflict());
        }
    }
    Ok(held)
}

/// Gives the stream of `pact` whatever part of `lines` it lacks after its
/// first `at` bytes, under the stream's lock, opening it for this and
/// closing it again: the write of an import (or of a journal carried out),
/// for a caller holding the store's exclusive lock. The lock on the stream,
/// and the look at what it holds, keep out a writer that does not take the
/// store's lock: what it wrote is found, and nothing is written after it.
/// A write that fails part-way is cut back to where it began, so the
/// stream holds a first part of `lines` still, and the journal carried out
/// again writes the rest.
///
/// # Errors
///
/// [`Error::JournalConflict`] when the stream holds anything but its first
/// `at` bytes and a first part of `lines`; [`Error::Io`] when it cannot be
/// opened or locked, [`Error::WriteFailed`] when it cannot be written.
fn append(dir: &Path, pact: &PactId, at: u64, lines: &[u8]) -> Result<(), Error> {
    let path = dir.join(stream_name(pact));
    let file = open_stream(&path, OpenOptions::new().read(true).append(true))?;
    file.lock().map_err(Error::io("lock", &path))?;
    let held = held(&file, &path, at, lines)?;
    append_or_undo(&file, &path, &lines[held..], false)
}

/// Checks the journal an import left, if there is one, as [`finish`] does
/// before it looks at the streams.
///
/// # Errors
///
/// [`Error::Journal`] when the journal is damaged (or a link, a FIFO, a
/// directory, or from a newer pactlog), [`Error::Io`] when it cannot be
/// read: either stops every writer.
pub fn check(dir: &Path) -> Result<(), Error> {
    load(dir).map(drop)
}

/// The journal's entries, read and checked whole; `None` when there is no
/// journal.
fn load(dir: &Path) -> Result<Option<Vec<Entry>>, Error> {
    let journal = path(dir);
    let damaged = || Error::Journal {
        path: journal.clone(),
    };
    match fs::symlink_metadata(&journal) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", &journal)(e)),
        // a link or a directory is no journal pactlog wrote
        Ok(meta) if !meta.is_file() => return Err(damaged()),
        Ok(_) => {}
    }
    // opened again without following a link or waiting on a FIFO: the
    // name may have changed since it was looked at
    let mut bytes = Vec::new();
    files::open_regular(&journal, OpenOptions::new().read(true))
        .map_err(|refused| match refused {
            files::Refused::Io(e) => Error::io("read", &journal)(e),
            files::Refused::Link | files::Refused::NotRegular => damaged(),
        })?
        .read_to_end(&mut bytes)
        .map_err(Error::io("read", &journal))?;
    let entries = parse(&bytes).ok_or_else(damaged)?;
    let mut pacts = std::collections::HashSet::new();
    let once = entries.iter().all(|entry| match entry {
        Entry::Append { pact, .. } | Entry::Link { pact, .. } => pacts.insert(pact),
    });
    // and a staged file is named as an import names one
    let named = entries.iter().all(|entry| match entry {
        Entry::Link { pact, staged } => staged_name(pact, staged),
        Entry::Append { .. } => true,
    });
    if !once || !named {
        return Err(damaged());
    }
    Ok(Some(entries))
}

/// Carries out a journal left by an import that did not finish, if there
/// is one. Call it holding the store's exclusive lock
/// ([`Store::lock_dir`](crate::log::store::Store::lock_dir)), which keeps every other pactlog writer out. Every
/// entry is checked before anything is written, so a journal that cannot be
/// carried out whole changes nothing; each stream is open only while it is
/// looked at or written, however many the journal names.
///
/// # Errors
///
/// [`Error::Journal`] when the journal is damaged, or names one pact twice
/// (no import writes such a journal), and [`Error::JournalConflict`] when
/// a stream or a staged file is not as the import left it: then nothing is
/// written, and the journal is left for a person to look at. [`Error::Io`] when a file
/// cannot be read or written: then the journal is left too, and carrying
/// it out again later finishes what was begun.
pub fn finish(dir: &Path) -> Result<(), Error> {
    let Some(entries) = load(dir)? else {
        return Ok(());
    };
    // every entry is checked before anything is written
    for entry in &entries {
        match entry {
            Entry::Append { pact, at, lines } => {
                let path = dir.join(stream_name(pact));
                if fs::symlink_metadata(&path).is_err() {
                    return Err(Error::JournalConflict {
                        path,
                        why: "the stream is missing".into(),
                    });
                }
                let file = open_stream(&path, OpenOptions::new().read(true))?;
                held(&file, &path, *at, lines.as_bytes())?;
            }
            Entry::Link { pact, staged } => {
                to_link(dir, pact, staged)?;
            }
        }
    }
    carry_out(dir, &entries)?;
    end(dir, &staged_files(&entries))
}

/// Whether `name` is one an import stages the stream of `pact` under:
/// `.<pact>.jsonl.<random>.tmp` (a process id where older pactlogs put
/// the random part).
fn staged_name(pact: &PactId, name: &str) -> bool {
    files::is_temp_name(name, &staged_prefix(pact), STAGED_SUFFIX)
}

/// The link that puts the stream of `pact`, staged as `name`, in place:
/// none when it is in place already.
fn to_link(dir: &Path, pact: &PactId, name: &str) -> Result<Option<(PathBuf, PathBuf)>, Error> {
    let path = dir.join(stream_name(pact));
    let staged = dir.join(name);
    let conflict = |why: String| {
        Err(Error::JournalConflict {
            path: path.clone(),
            why,
        })
    };
    match (fs::symlink_metadata(&staged), fs::symlink_metadata(&path)) {
        (Ok(from), _) if !from.is_file() => {
            conflict(format!("its staged file {name} is not a file"))
        }
        (Ok(_), Err(e)) if e.kind() == io::ErrorKind::NotFound => Ok(Some((staged, path))),
        // linked before the crash
        (Ok(from), Ok(to)) if same_file(&from, &to) => Ok(None),
        (Ok(_), Ok(_)) => conflict("another file has the stream's name".into()),
        (Err(_), _) => conflict(format!("its staged file {name} is missing")),
        (Ok(_), Err(e)) => Err(Error::io("read", &path)(e)),
    }
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    false
}

/// The entries of a journal file, if it is whole and undamaged.
fn parse(bytes: &[u8]) -> Option<Vec<Entry>> {
    let body = bytes.strip_suffix(b"\n")?;
    let at = body.iter().rposition(|&b| b == b'\n')?;
    let (document, crc) = (&body[..at], &body[at + 1..]);
    let crc = u32::from_str_radix(std::str::from_utf8(crc).ok()?, 16).ok()?;
    if crc32fast::hash(document) != crc {
        return None;
    }
    let journal: Journal = serde_json::from_slice(document).ok()?;
    (journal.version == VERSION).then_some(journal.entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> PactId {
        PactId::parse(s).unwrap()
    }

    #[test]
    fn a_journal_reads_back_and_a_damaged_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path();
        let entries = vec![
            Entry::Append {
                pact: id("a"),
                at: 10,
                lines: "{\"x\":1}\n".into(),
            },
            Entry::Link {
                pact: id("b"),
                staged: ".b.jsonl.1.tmp".into(),
            },
        ];
        begin(store, &entries).unwrap();
        let bytes = fs::read(path(store)).unwrap();
        assert_eq!(parse(&bytes), Some(entries));
        for cut in [1, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(parse(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[5] ^= 1;
        assert_eq!(parse(&flipped), None);
    }

    #[test]
    fn what_a_stream_holds_of_its_lines_is_found_and_anything_else_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        for (before, want) in [("head\n", 0), ("head\non", 2), ("head\none\ntwo\n", 8)] {
            fs::write(&path, before).unwrap();
            let file = File::open(&path).unwrap();
            assert_eq!(
                held(&file, &path, 5, b"one\ntwo\n").unwrap(),
                want,
                "{before:?}"
            );
        }
        for before in ["head", "head\nonx", "head\none\ntwo\nthree\n"] {
            fs::write(&path, before).unwrap();
            let file = File::open(&path).unwrap();
            let e = held(&file, &path, 5, b"one\ntwo\n").unwrap_err();
            assert!(
                matches!(e, Error::JournalConflict { .. }),
                "{before:?}: {e}"
            );
        }
    }

    #[test]
    fn only_names_an_import_stages_under_are_linked() {
        let pact = id("cc");
        assert!(staged_name(&pact, ".cc.jsonl.4242.tmp"));
        assert!(staged_name(&pact, ".cc.jsonl.aZ09xq.tmp"));
        for name in [
            "cc.jsonl",
            ".cc.jsonl.tmp",
            ".cc.jsonl.42-x.tmp",
            ".cc.jsonl.42/x.tmp",
            ".dd.jsonl.42.tmp",
            ".pactlog-journal",
            ".gitignore",
            "../.cc.jsonl.42.tmp",
        ] {
            assert!(!staged_name(&pact, name), "{name}");
        }
    }

    #[test]
    fn a_journal_naming_one_pact_twice_is_not_acted_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path();
        fs::write(store.join(stream_name(&id("a"))), "head\n").unwrap();
        let twice = Entry::Append {
            pact: id("a"),
            at: 5,
            lines: "one\n".into(),
        };
        begin(store, &[twice.clone(), twice]).unwrap();
        let e = finish(store).unwrap_err();
        assert!(matches!(e, Error::Journal { .. }), "{e}");
        assert_eq!(
            fs::read_to_string(store.join(stream_name(&id("a")))).unwrap(),
            "head\n"
        );
        assert!(pending(store));
    }
}
