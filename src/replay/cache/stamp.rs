//! A stream file's [`Stamp`], from one `stat`, and where stamps can be
//! trusted: on the local file systems where every write to a file changes
//! its change time.

use std::fs;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::log::layout::STREAM_EXTENSION;
use crate::log::store::Store;
use crate::model::pact::{MAX_ID_LEN, PactId};

/// What one `stat` of a stream file tells of its contents: while it is the
/// same, the file has not been written. In the cache file it is written
/// as `STAMP` (48) bytes, each number at its place, read at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    dev: u64,
    ino: u64,
    ctime: (i64, i64),
    mtime: (i64, i64),
}

/// The bytes of a stamp in the cache file: its length, device, inode and
/// the seconds of its change and modification times (little-endian, 8
/// bytes each), then the nanoseconds of those times (4 bytes each).
const STAMP: usize = 5 * 8 + 2 * 4;

impl Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let nanos = |ns: i64| {
            u32::try_from(ns).map_err(|_| serde::ser::Error::custom("nanoseconds past a second"))
        };
        let mut bytes = [0; STAMP];
        let numbers = [
            self.len.to_le_bytes(),
            self.dev.to_le_bytes(),
            self.ino.to_le_bytes(),
            self.ctime.0.to_le_bytes(),
            self.mtime.0.to_le_bytes(),
        ];
        for (at, number) in numbers.iter().enumerate() {
            bytes[8 * at..8 * at + 8].copy_from_slice(number);
        }
        bytes[40..44].copy_from_slice(&nanos(self.ctime.1)?.to_le_bytes());
        bytes[44..48].copy_from_slice(&nanos(self.mtime.1)?.to_le_bytes());
        super::fixed::serialize(&bytes, s)
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Stamp, D::Error> {
        let bytes: [u8; STAMP] = super::fixed::deserialize(d)?;
        let (wide, narrow) = bytes.split_at(40);
        let (wide, narrow) = (wide.as_chunks::<8>().0, narrow.as_chunks::<4>().0);
        let nanos = |at: usize| i64::from(u32::from_le_bytes(narrow[at]));
        Ok(Stamp {
            len: u64::from_le_bytes(wide[0]),
            dev: u64::from_le_bytes(wide[1]),
            ino: u64::from_le_bytes(wide[2]),
            ctime: (i64::from_le_bytes(wide[3]), nanos(0)),
            mtime: (i64::from_le_bytes(wide[4]), nanos(1)),
        })
    }
}

/// How long a file must have gone unchanged before its stamp is kept: far
/// more than the tick of any file system's clock, so that no later write
/// can leave the same change time.
pub const SETTLED: Duration = Duration::from_secs(2);

impl Stamp {
    /// The stamp of a file with metadata `meta`, as seen at `now`; `None`
    /// when the file changed too recently for its stamp to be trusted, or
    /// on systems without change times.
    pub fn of(meta: &fs::Metadata, now: SystemTime) -> Option<Stamp> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Stamp {
                len: meta.len(),
                dev: meta.dev(),
                ino: meta.ino(),
                ctime: (meta.ctime(), meta.ctime_nsec()),
                mtime: (meta.mtime(), meta.mtime_nsec()),
            }
            .settled(now)
        }
        #[cfg(not(unix))]
        {
            let _ = (meta, now);
            None
        }
    }

    /// The stamp of the stream of `id` in the directory `dir`, from one
    /// `stat` that does not follow a link; `None` for anything but a
    /// settled regular file.
    #[cfg(unix)]
    fn at(dir: &rustix::fd::OwnedFd, id: &str, now: SystemTime) -> Option<Stamp> {
        use rustix::fs::{AtFlags, FileType, statat};
        // a name that is no pact id names no stream
        if !PactId::is_valid(id) {
            return None;
        }
        // the file's name, put together where it is passed: a warm `list`
        // takes a stamp of every stream, and makes no string for each
        let mut name = [0; MAX_ID_LEN + ".\0".len() + STREAM_EXTENSION.len()];
        let parts = [id, ".", STREAM_EXTENSION];
        let mut end = 0;
        for part in parts {
            name[end..end + part.len()].copy_from_slice(part.as_bytes());
            end += part.len();
        }
        let name = std::ffi::CStr::from_bytes_until_nul(&name).ok()?;
        let stat = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            return None;
        }
        Stamp::of_stat(&stat)?.settled(now)
    }

    /// The stamp a `stat` shows.
    #[cfg(unix)]
    fn of_stat(stat: &rustix::fs::Stat) -> Option<Stamp> {
        #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
        Some(Stamp {
            len: u64::try_from(stat.st_size).ok()?,
            dev: stat.st_dev as u64,
            ino: stat.st_ino as u64,
            ctime: (stat.st_ctime as i64, stat.st_ctime_nsec as i64),
            mtime: (stat.st_mtime as i64, stat.st_mtime_nsec as i64),
        })
    }

    /// The stamp, if its file last changed more than [`SETTLED`] before
    /// `now`.
    fn settled(self, now: SystemTime) -> Option<Stamp> {
        let changed = SystemTime::UNIX_EPOCH
            + Duration::new(
                u64::try_from(self.ctime.0).ok()?,
                u32::try_from(self.ctime.1).ok()?,
            );
        (changed + SETTLED < now).then_some(self)
    }
}

/// The store's directory, open, so that each stream is looked up by its
/// name alone; and whether stamps can be trusted on its file system.
pub(super) struct Dir {
    #[cfg(unix)]
    fd: Option<rustix::fd::OwnedFd>,
    pub(super) stamps: bool,
}

impl Dir {
    pub(super) fn open(store: &Store) -> Dir {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags, open};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = open(store.dir(), flags, Mode::empty()).ok();
            let stamps = fd.as_ref().is_some_and(trusts_change_times);
            Dir { fd, stamps }
        }
        #[cfg(not(unix))]
        {
            let _ = store;
            Dir { stamps: false }
        }
    }

    /// The stamp of the stream of `id`, if it has settled and stamps can be
    /// trusted here.
    pub(super) fn stamp(&self, id: &str, now: SystemTime) -> Option<Stamp> {
        if !self.stamps {
            return None;
        }
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            return Stamp::at(fd, id, now);
        }
        let _ = (id, now);
        None
    }

    /// The stamp of the store directory itself, if it has settled and
    /// stamps can be trusted here: while it is the same, no file was
    /// created in it, removed from it or renamed in or out of it, so its
    /// streams are the ones listed when it had that stamp (a stream's own
    /// writes leave it as it is; each stream has its own stamp).
    pub(super) fn listing(&self, now: SystemTime) -> Option<Stamp> {
        if !self.stamps {
            return None;
        }
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            let stat = rustix::fs::fstat(fd).ok()?;
            return Stamp::of_stat(&stat)?.settled(now);
        }
        let _ = now;
        None
    }

    /// The stamp of a stream just read, with the metadata it had when
    /// opened, if stamps can be trusted here.
    pub(super) fn stamp_of(&self, meta: &fs::Metadata, now: SystemTime) -> Option<Stamp> {
        self.stamps.then(|| Stamp::of(meta, now)).flatten()
    }
}

/// Whether the cache keeps stamps for the streams of `store`: whether its
/// file system is one where every write to a file changes its change time.
/// Elsewhere a stream's length and last line are its key.
pub fn keeps_stamps(store: &Store) -> bool {
    Dir::open(store).stamps
}

/// Whether the file system the directory `fd` is on is one where every
/// write to a file changes its change time and a `stat` shows the file as
/// it is: the local file systems below. On a network or user-space file
/// system a `stat` may answer from a cache, or show a change time a tool
/// set, so there the cache always reads a stream's last line.
#[cfg(unix)]
fn trusts_change_times(fd: &rustix::fd::OwnedFd) -> bool {
    #[cfg(target_os = "linux")]
    {
        let Ok(fs) = rustix::fs::fstatfs(fd) else {
            return false;
        };
        #[allow(clippy::unnecessary_cast)]
        let kind = fs.f_type as i64;
        #[allow(clippy::unnecessary_cast)]
        let local = [
            libc::EXT4_SUPER_MAGIC as i64,
            libc::XFS_SUPER_MAGIC as i64,
            libc::BTRFS_SUPER_MAGIC as i64,
            libc::F2FS_SUPER_MAGIC as i64,
            libc::TMPFS_MAGIC as i64,
        ];
        local.contains(&kind)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = fd;
        false
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::replay::cache::Cache;

    #[test]
    fn a_stamp_is_written_as_its_bytes_and_read_back_whole() {
        let stamp = Stamp {
            len: u64::MAX,
            dev: 1 << 40,
            ino: 7,
            ctime: (-1, 999_999_999),
            mtime: (i64::MAX, 0),
        };
        let bytes = postcard::to_stdvec(&Some(stamp)).unwrap();
        // a flag, the count of bytes, and the bytes
        assert_eq!(bytes.len(), 1 + 1 + STAMP);
        assert_eq!(
            postcard::from_bytes::<Option<Stamp>>(&bytes),
            Ok(Some(stamp))
        );
        // a stamp of another length is none
        let short = [&bytes[..1], &[47], &bytes[2..STAMP + 1]].concat();
        assert!(postcard::from_bytes::<Option<Stamp>>(&short).is_err());
        // nanoseconds past a second are not written
        let odd = Stamp {
            ctime: (0, 1 << 32),
            ..stamp
        };
        assert!(postcard::to_stdvec(&odd).is_err());
    }

    #[test]
    fn a_file_changed_just_now_gets_no_stamp_and_a_write_changes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        fs::write(&path, b"one line\n").unwrap();
        let now = SystemTime::now();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(Stamp::of(&meta, now), None, "not settled yet");
        let later = now + SETTLED + Duration::from_secs(1);
        let stamp = Stamp::of(&meta, later).expect("settled by then");
        assert_eq!(Stamp::of(&fs::metadata(&path).unwrap(), later), Some(stamp));

        // a write of the same length, one clock tick later
        std::thread::sleep(Duration::from_millis(20));
        let mut file = fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.write_all(b"One").unwrap();
        drop(file);
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), 9);
        assert_ne!(Stamp::of(&meta, later), Some(stamp));
    }

    #[test]
    fn settled_streams_are_stamped_and_then_answered_from_the_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let id = PactId::parse("p").unwrap();
        let pact = crate::Pact::named(id.clone(), "P");
        let registered = |_: &_| Ok(crate::EventBody::Registered(pact));
        store.create(&id, chrono::Utc::now(), registered).unwrap();
        let ids = store.ids().unwrap();
        if !trusts_change_times(&Dir::open(&store).fd.unwrap()) {
            eprintln!("skipped: the cache keeps no stamps on this file system");
            return;
        }
        let later = SystemTime::now() + SETTLED + Duration::from_secs(1);
        let mut cache = Cache::default();
        cache.map_at(&store, Some(&ids), later, |_| ());
        assert!(
            cache.entries.get(0).unwrap().stamp.is_some(),
            "stamped when read"
        );
        cache.changed = false;
        cache.map_at(&store, Some(&ids), later, |_| ());
        assert!(!cache.changed, "answered from the stamp, nothing learned");
        // a stamp taken too soon is not kept
        let mut soon = Cache::default();
        soon.map(&store, Some(&ids), |_| ());
        assert_eq!(soon.entries.get(0).unwrap().stamp, None);
    }
}
