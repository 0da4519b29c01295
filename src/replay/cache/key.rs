//! The key that authenticates the cache: 32 random bytes kept outside every
//! store, in the user's own state directory, so that whoever can write a
//! store but not the user's files cannot make a cache that pactlog serves.
//!
//! The key is `pactlog/cache-key` in the user's state directory
//! (`$XDG_STATE_HOME`, or `~/.local/state`, on Linux), or in the user's
//! cache directory where a platform has no state directory; the
//! environment variable [`ENV`] names another file instead. It is made on
//! first use: written whole to a temporary file beside it, readable by the
//! user alone, and linked in under its name only if no file has that name
//! yet, so that processes making it at once all end up with the one that
//! got there first. A key file that is not a regular file of 32 bytes, or
//! that others may read, is not used; without a key the cache is neither
//! read nor written.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::log::files::{self, Refused};

/// The environment variable naming the key file, in place of the one in
/// the user's state directory.
pub const ENV: &str = "PACTLOG_CACHE_KEY";

/// A key's length in bytes.
const LEN: usize = 32;

/// The key the cache's parts are authenticated with.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Key(pub(crate) [u8; LEN]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

/// Where this user's key is kept: the file [`ENV`] names, or
/// `pactlog/cache-key` in the user's state directory (or, on a platform
/// without one, the user's cache directory); `None` when there is no such
/// directory (no home).
pub fn path() -> Option<PathBuf> {
    match std::env::var_os(ENV) {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => dirs::state_dir()
            .or_else(dirs::cache_dir)
            .map(|dir| dir.join("pactlog").join("cache-key")),
    }
}

/// This user's key, read from [`path`] or made there on first use, once a
/// process; `None` when it can be neither read nor made.
pub(crate) fn get() -> Option<&'static Key> {
    static KEY: OnceLock<Option<Key>> = OnceLock::new();
    KEY.get_or_init(|| load(&path()?).ok()).as_ref()
}

/// The key kept at `path`, made there if there is none yet.
pub(crate) fn load(path: &Path) -> io::Result<Key> {
    match read(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => make(path),
        read => read,
    }
}

/// The key at `path`: a regular file of [`LEN`] bytes that only its owner
/// may read. A link is not followed.
fn read(path: &Path) -> io::Result<Key> {
    let unusable = |why: &str| io::Error::new(io::ErrorKind::InvalidData, why.to_owned());
    // a FIFO planted there is not waited on, a link not followed
    let file = files::open_regular(path, fs::OpenOptions::new().read(true)).map_err(|refused| {
        match refused {
            Refused::Io(e) => e,
            Refused::Link => unusable("a symbolic link"),
            Refused::NotRegular => unusable("not a regular file"),
        }
    })?;
    let meta = file.metadata()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(unusable("others may read it"));
        }
    }
    let mut key = [0; LEN];
    let mut rest = Vec::new();
    let mut file = file;
    file.read_exact(&mut key)?;
    file.take(1).read_to_end(&mut rest)?;
    if !rest.is_empty() {
        return Err(unusable("longer than a key"));
    }
    Ok(Key(key))
}

/// Makes a new key at `path`, unless another process made one first: then
/// that one is the key.
fn make(path: &Path) -> io::Result<Key> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let mut key = [0; LEN];
    getrandom::fill(&mut key).map_err(io::Error::other)?;
    // created exclusively, readable and writable by the user alone
    let mut temp = tempfile::Builder::new()
        .prefix(".cache-key.")
        .tempfile_in(dir)?;
    temp.write_all(&key)?;
    temp.as_file().sync_all()?;
    match temp.persist_noclobber(path) {
        Ok(file) => {
            drop::<File>(file);
            Ok(Key(key))
        }
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => read(path),
        Err(e) => Err(e.error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_readable_by_its_owner_alone_and_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("pactlog").join("cache-key");
        let made = load(&path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), made.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(load(&path).unwrap(), made, "read, not made again");
        let other = dir.path().join("other");
        assert_ne!(load(&other).unwrap(), made, "random");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["cache-key"], "no temporary file left");
    }

    #[test]
    fn processes_making_the_key_at_once_agree_on_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache-key");
        let keys: Vec<Key> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8).map(|_| scope.spawn(|| load(&path))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap())
                .collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]));
        assert_eq!(fs::read(&path).unwrap(), keys[0].0);
    }

    #[test]
    fn a_key_file_of_another_length_or_that_others_may_read_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache-key");
        for bytes in [&[1; LEN - 1][..], &[1; LEN + 1], b""] {
            fs::write(&path, bytes).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            }
            assert!(load(&path).is_err(), "{} bytes", bytes.len());
            assert_eq!(fs::read(&path).unwrap(), bytes, "left as it was");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::write(&path, [1; LEN]).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            assert_eq!(load(&path).unwrap(), Key([1; LEN]));
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
            assert!(load(&path).is_err(), "others may read it");
            fs::remove_file(&path).unwrap();
            std::os::unix::fs::symlink(dir.path().join("elsewhere"), &path).unwrap();
            fs::write(dir.path().join("elsewhere"), [1; LEN]).unwrap();
            assert!(load(&path).is_err(), "a link is not followed");
        }
    }
}
