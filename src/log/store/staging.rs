//! New streams written out of sight until an import or a registration
//! commits.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::log::files;
use crate::log::journal;
use crate::log::layout::{STAGED_SUFFIX, STAGING_PREFIX, sync_filesystem};
use crate::log::layout::{staged_prefix, stream_name, sync_dir};
use crate::model::error::{Error, Rollback};
use crate::model::pact::PactId;

use super::Store;

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
    /// Where each pact's stream is in `begun`, and how far its file is
    /// written (locked after `begun`).
    places: Mutex<HashMap<PactId, Place>>,
    /// Set once `path` has become the store.
    placed: bool,
}

/// A stream begun in a staging.
#[derive(Debug)]
struct Place {
    /// Its place in [`Staging::begun`].
    at: usize,
    /// The bytes of its file that are its stream: where the next write
    /// goes.
    len: u64,
    /// The longest its file was when it was taken back: past `len`, what
    /// is left there is cut off by [`Staging::seal`].
    stale: u64,
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
        use std::os::unix::fs::FileExt;
        let mut begun = self.begun.lock().unwrap_or_else(PoisonError::into_inner);
        let flags = OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
        let (file, name, at) = if begin && !self.whole {
            let prefix = staged_prefix(id);
            let (file, path) = files::temp_file(&self.path, &prefix, STAGED_SUFFIX)
                .and_then(|temp| temp.keep().map_err(|e| e.error))
                .map_err(Error::io("create", self.path.join(stream_name(id))))?;
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into());
            (file, name, 0)
        } else {
            let (name, how, at) = if begin {
                (stream_name(id), OFlags::CREATE | OFlags::EXCL, 0)
            } else {
                let (at, len) = self.place(id, |place| (place.at, place.len))?;
                (begun[at].1.clone(), OFlags::empty(), len)
            };
            let file = rustix::fs::openat(
                &self.dir,
                name.as_str(),
                flags | how,
                Mode::from_bits_truncate(0o666),
            )
            .map_err(|e| Error::io("write", self.path.join(&name))(e.into()))?;
            (File::from(file), name, at)
        };
        let path = self.path.join(&name);
        if begin {
            let mut places = self.places.lock().unwrap_or_else(PoisonError::into_inner);
            let place = Place {
                at: begun.len(),
                len: 0,
                stale: 0,
            };
            places.insert(id.clone(), place);
            begun.push((id.clone(), name));
        }
        drop(begun);
        // a file that is not written whole is removed with the staging;
        // written at the stream's end, which is the file's unless the
        // stream was taken back
        file.write_all_at(bytes, at)
            .map_err(|source| Error::WriteFailed {
                action: "write",
                path,
                source,
                rollback: Rollback::Removed,
            })?;
        self.place(id, |place| place.len = at + bytes.len() as u64)
    }

    /// Does `with` to the place of the stream of `id`, found by its id, not
    /// by a search: an import adds to thousands of streams begun, in any
    /// order.
    fn place<T>(&self, id: &PactId, with: impl FnOnce(&mut Place) -> T) -> Result<T, Error> {
        let mut places = self.places.lock().unwrap_or_else(PoisonError::into_inner);
        match places.get_mut(id) {
            Some(place) => Ok(with(place)),
            None => Err(Error::NotBegun {
                pact: id.to_string(),
            }),
        }
    }

    /// Reads back what was written of the new stream of `id`, to be
    /// written again from its beginning (with `begin` false): what an
    /// import does when it makes a stream again. The file is not emptied
    /// (cutting a file is slow on some file systems): it is written over,
    /// and whatever is left past the stream's new end is cut off by
    /// [`Staging::seal`].
    ///
    /// # Errors
    ///
    /// [`Error::NotBegun`] when no stream of `id` was begun,
    /// [`Error::Io`] when its file cannot be read.
    pub fn take_back(&self, id: &PactId) -> Result<Vec<u8>, Error> {
        use rustix::fs::{Mode, OFlags};
        use std::os::unix::fs::FileExt;
        let begun = self.begun.lock().unwrap_or_else(PoisonError::into_inner);
        let (at, len) = self.place(id, |place| (place.at, place.len))?;
        let path = self.path.join(&begun[at].1);
        let file = rustix::fs::openat(
            &self.dir,
            begun[at].1.as_str(),
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK,
            Mode::empty(),
        )
        .map_err(|e| Error::io("read", &path)(e.into()))?;
        drop(begun);
        let mut bytes = vec![0; usize::try_from(len).expect("a staged stream fits in memory")];
        File::from(file)
            .read_exact_at(&mut bytes, 0)
            .map_err(Error::io("read", &path))?;
        self.place(id, |place| {
            place.stale = place.stale.max(place.len);
            place.len = 0;
        })?;
        Ok(bytes)
    }

    /// Cuts each stream taken back and written again shorter than it was
    /// to its new end: what must be done before the staged files are put
    /// in place, by [`Staging::commit`] or by a journal that links them
    /// (then before the journal is written, so that its sync covers it).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a file cannot be cut.
    pub fn seal(&self) -> Result<(), Error> {
        use rustix::fs::{Mode, OFlags};
        let begun = self.begun.lock().unwrap_or_else(PoisonError::into_inner);
        let places = self.places.lock().unwrap_or_else(PoisonError::into_inner);
        for place in places.values().filter(|p| p.stale > p.len) {
            let name = begun[place.at].1.as_str();
            let flags = OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
            rustix::fs::openat(&self.dir, name, flags, Mode::empty())
                .and_then(|file| rustix::fs::ftruncate(file, place.len))
                .map_err(|e| Error::io("write", self.path.join(name))(e.into()))?;
        }
        Ok(())
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
        self.seal()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_taken_back_and_written_shorter_is_cut_at_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("store"));
        let id = PactId::parse("p1").unwrap();
        let staging = store.stage(None).unwrap();
        staging.write(&id, b"first line\n", true).unwrap();
        staging.write(&id, b"second line\n", false).unwrap();
        let taken = staging.take_back(&id).unwrap();
        assert_eq!(taken, b"first line\nsecond line\n");
        // written over from the beginning, shorter than before
        staging.write(&id, b"one\n", false).unwrap();
        staging.write(&id, b"two\n", false).unwrap();
        assert_eq!(staging.take_back(&id).unwrap(), b"one\ntwo\n");
        staging.write(&id, b"three\n", false).unwrap();
        staging.commit(&store).unwrap();
        let written = fs::read(store.stream_path(&id)).unwrap();
        assert_eq!(written, b"three\n");
    }
}
