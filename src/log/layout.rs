//! The store directory's layout: the names of its streams and of the
//! files an import stages, and the few file operations that the store and
//! the import journal share (opening a stream safely, appending to it or
//! undoing the append, syncing the file system).
//!
//! Depends on: [`crate::log::files`], [`crate::model`].

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use crate::log::files::{self, Refused};
use crate::model::error::{Error, Rollback};
use crate::model::pact::PactId;

/// How the names of the directories an import into a new store stages its
/// streams in begin: `.pactlog-import-<random>`, beside the store.
pub const STAGING_PREFIX: &str = ".pactlog-import-";

/// How the names of new streams staged in a store end: each is
/// `.<pact>.jsonl.<random>.tmp` until it is linked to its own name.
pub const STAGED_SUFFIX: &str = ".tmp";

/// The extension of stream files.
pub const STREAM_EXTENSION: &str = "jsonl";

/// The file name of a pact's stream in the store directory.
pub(crate) fn stream_name(id: &PactId) -> String {
    format!("{id}.{STREAM_EXTENSION}")
}

/// The pact whose stream a file of this name is, if it is one: the
/// inverse of [`stream_name`].
pub(crate) fn pact_of_name(name: &std::ffi::OsStr) -> Option<PactId> {
    let stem = name
        .to_str()?
        .strip_suffix(STREAM_EXTENSION)?
        .strip_suffix('.')?;
    PactId::parse(stem).ok()
}

/// Adds `bytes` to the end of `file`, the stream at `path` open for
/// appending under its exclusive lock, and syncs them when `sync`. A write
/// (or sync) that fails part-way, on a full disk or past the file-size
/// limit, is undone: the file is cut back to the length it had, and the cut
/// synced, under the same lock, so that no reader ever takes the part
/// written for damage.
///
/// # Errors
///
/// [`Error::WriteFailed`], saying whether the stream is as it was;
/// [`Error::Io`] when the file's length cannot be read before writing.
pub(crate) fn append_or_undo(
    mut file: &File,
    path: &Path,
    bytes: &[u8],
    sync: bool,
) -> Result<(), Error> {
    let before = file.metadata().map_err(Error::io("read", path))?.len();
    let written = file
        .write_all(bytes)
        .and_then(|()| if sync { file.sync_data() } else { Ok(()) });
    let Err(source) = written else {
        return Ok(());
    };
    let rollback = match file.set_len(before).and_then(|()| file.sync_data()) {
        Ok(()) => Rollback::Done,
        Err(e) => Rollback::Failed(e),
    };
    Err(Error::WriteFailed {
        action: "append to",
        path: path.to_owned(),
        source,
        rollback,
    })
}

/// Opens a stream file without following a symbolic link, and only if it
/// is a regular file: a link in the store could make pactlog read or
/// append to a file outside it, and a FIFO or a device would block it.
pub(crate) fn open_stream(path: &Path, options: &mut OpenOptions) -> Result<File, Error> {
    files::open_regular(path, options).map_err(|refused| match refused {
        Refused::Link => Error::LinkInStore {
            path: path.to_owned(),
        },
        Refused::NotRegular => Error::NotRegularFile {
            path: path.to_owned(),
        },
        Refused::Io(e) => Error::io("open", path)(e),
    })
}

/// Makes everything written to the file system that holds `dir` durable,
/// with one `syncfs`: cheaper than an `fsync` per file when a batch writes
/// many.
pub fn sync_filesystem(dir: &Path) -> Result<(), Error> {
    let handle = files::open_dir(dir).map_err(Error::io("open", dir))?;
    rustix::fs::syncfs(&handle)
        .map_err(io::Error::from)
        .map_err(Error::io("sync", dir))
}

/// How the hidden name a new stream of `id` is staged under in the store
/// begins: `.<pact>.jsonl.`, then random characters and [`STAGED_SUFFIX`].
pub(crate) fn staged_prefix(id: &PactId) -> String {
    format!(".{}.", stream_name(id))
}

/// Makes the entries of directory `dir` (a file added, linked, renamed or
/// removed) durable.
///
/// # Errors
///
/// [`Error::Io`] when it cannot be opened or synced.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    files::open_dir(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(Error::io("sync", dir))
}
