//! Opening and creating files in a store so that nothing planted there can
//! lead pactlog elsewhere.
//!
//! Anyone who can write a store directory can put a symbolic link, a FIFO
//! or a device where pactlog expects one of its files. So a file in a
//! store is opened without following a link and without blocking (a FIFO
//! would wait for a writer for ever), and used only if it is a regular
//! file; a temporary file is created under a fresh random name, exclusively
//! (`O_CREAT | O_EXCL`, which never follows a link), and put in place by a
//! rename, which replaces whatever had the final name rather than writing
//! through it.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use tempfile::{Builder, NamedTempFile, TempDir};

/// Why a file in a store was not opened, beyond what the system said.
#[derive(Debug)]
pub enum Refused {
    /// The name is a symbolic link, which pactlog does not follow.
    Link,
    /// The name is not a regular file: a FIFO, a device, a socket or a
    /// directory.
    NotRegular,
    /// Opening failed.
    Io(io::Error),
}

/// Opens the regular file at `path` with `options`, without following a
/// symbolic link and without blocking on a FIFO or a device.
///
/// # Errors
///
/// [`Refused::Link`] for a symbolic link, [`Refused::NotRegular`] for
/// anything but a regular file, [`Refused::Io`] when the file cannot be
/// opened.
pub fn open_regular(path: &Path, options: &mut OpenOptions) -> Result<File, Refused> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY,
    );
    let file = options
        .open(path)
        .map_err(|e| match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => Refused::Link,
            Ok(meta) if !meta.is_file() => Refused::NotRegular,
            _ => Refused::Io(e),
        })?;
    match file.metadata() {
        Ok(meta) if meta.is_file() => Ok(file),
        Ok(_) => Err(Refused::NotRegular),
        Err(e) => Err(Refused::Io(e)),
    }
}

/// Opens the directory at `path` to lock or sync it, refusing anything
/// else without blocking on it.
///
/// # Errors
///
/// When `path` cannot be opened or is not a directory.
pub fn open_dir(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_DIRECTORY | libc::O_NONBLOCK,
    );
    options.open(path)
}

/// Creates a new, empty file in `dir` under a name no file had, `prefix`,
/// then random characters, then `suffix`, with the permissions an ordinary
/// new file gets (read and write for all, less the umask). It is removed
/// when dropped unless kept or persisted.
///
/// # Errors
///
/// When no file can be created in `dir`.
pub fn temp_file(dir: &Path, prefix: &str, suffix: &str) -> io::Result<NamedTempFile> {
    let mut builder = Builder::new();
    builder.prefix(prefix).suffix(suffix);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder.tempfile_in(dir)
}

/// Creates a new, empty directory in `dir` under a name no file had,
/// `prefix` then random characters, with the permissions an ordinary new
/// directory gets. It is removed with its contents when dropped unless
/// kept.
///
/// # Errors
///
/// When no directory can be created in `dir`.
pub fn temp_dir(dir: &Path, prefix: &str) -> io::Result<TempDir> {
    let mut builder = Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777));
    builder.tempdir_in(dir)
}

/// Whether `name` is one [`temp_file`] can have made with `prefix` and
/// `suffix`; a name from an older pactlog, with a process id where the
/// random characters are, is one too.
pub fn is_temp_name(name: &str, prefix: &str, suffix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
        .is_some_and(|middle| {
            !middle.is_empty() && middle.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}
