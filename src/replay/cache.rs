//! The derived cache: each stream's replayed timeline, kept beside the
//! streams so that questions about every pact need not re-read a whole
//! store.
//!
//! It lives in `DIR/.pactlog-cache` (never a stream: it does not end in
//! `.jsonl`), holds for each stream a [`Summary`] keyed on the stream file's
//! length and head hash, and is only ever a shortcut: an entry whose stream
//! no longer has that length and head is recomputed from the stream, a
//! cache that cannot be read, or a part of which does not match its tag,
//! is rebuilt, and deleting it changes no answer.
//! It is replaced whole, by a rename, so concurrent readers and writers see
//! either the old file or the new one; any entry either holds is checked
//! against its stream before use.
//!
//! Each part of the file is authenticated by a tag, a keyed BLAKE3 hash of
//! its bytes under a key of the user's own, kept outside every store (see
//! [`key`]). Whoever can write a store but cannot read that key cannot make
//! a cache pactlog uses: a part edited, damaged, or written under another
//! key fails its tag, and the whole cache is rebuilt from the streams.
//! Without a key the cache is neither read nor written, and every answer
//! comes from the streams. `verify` holds each entry that is current for
//! its stream against the summary of the stream it has just read whole
//! ([`Audit`]), and rebuilds a cache that disagrees or fails its tags.
//!
//! Loading it copies no text and decodes no step: the file is read into one
//! buffer ([`CacheFile`]), each part checked against its tag, and the
//! [`Cache`]'s summaries borrow their ids, names and steps from it (each
//! summary's steps as fixed-width columns of dates, statuses, date
//! precisions and recording times). An answer bisects a summary's dates where they lie.
//!
//! On a local file system an entry also keeps the stream file's [`Stamp`]
//! (its length, inode, and change and modification times, from one `stat`),
//! and the stamp alone decides: every write to a file changes its change
//! time, which no tool can set back, so a file that still has the stamp
//! has not been written since it was read whole, and a file with any other
//! stamp is read whole again, whatever its length and last line. A stamp is
//! kept only for a file last changed more than [`SETTLED`] before, when no
//! later write can share its time; a file changed more recently is read
//! whole until it settles. So an edit anywhere in a stream, even one that
//! keeps its length, is seen, and the stream's checks refuse it as a read
//! without the cache would.
//!
//! On network and user-space file systems, where a `stat` may answer from
//! a cache or show a change time a tool set, no stamp is kept, and the key
//! is checked by reading each stream's last line. What that cannot see is
//! an edit in the middle of a stream that keeps its length and its last
//! line; `verify` reads every line and always finds it.

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};

use crate::log::files;
use crate::log::store::{Store, open_stream, stream_name};
use crate::log::stream::{MAX_LINE, ReadError};
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::{Fact, Hash, What};
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;

pub mod key;

use key::Key;

/// The cache file's name in the store directory.
pub const FILE: &str = crate::model::format::CACHE;
/// Bumped whenever [`Summary`] or the file's layout changes shape: an
/// older cache is rebuilt.
const VERSION: u32 = 13;

/// What a whole-store question needs of one stream. A summary read from
/// the cache file borrows its text and steps from the file's bytes; one
/// made from a stream owns them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary<'a> {
    /// The pact's id.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Its name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// The stream file's length in bytes: half of the key.
    pub len: u64,
    /// The stream's head hash: the other half.
    pub head: [u8; 32],
    /// The stream file's stamp when its head was last read, if the file had
    /// settled by then.
    pub stamp: Option<Stamp>,
    /// When the pact was registered, in microseconds since 1970 (UTC).
    registered: i64,
    /// Every status event ever recorded, in timeline order.
    #[serde(borrow)]
    steps: Steps<'a>,
    /// The places in `steps` of the status events that a retraction
    /// withdrew, with the time of the retraction (microseconds since 1970,
    /// UTC).
    retracted: Vec<(u32, i64)>,
}

/// What one `stat` of a stream file tells of its contents: while it is the
/// same, the file has not been written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    len: u64,
    dev: u64,
    ino: u64,
    ctime: (i64, i64),
    mtime: (i64, i64),
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

    /// The stamp of the file `name` in the directory `dir`, from one `stat`
    /// that does not follow a link; `None` for anything but a settled
    /// regular file.
    #[cfg(unix)]
    fn at(dir: &rustix::fd::OwnedFd, name: &str, now: SystemTime) -> Option<Stamp> {
        use rustix::fs::{AtFlags, FileType, statat};
        let stat = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            return None;
        }
        #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
        Stamp {
            len: u64::try_from(stat.st_size).ok()?,
            dev: stat.st_dev as u64,
            ino: stat.st_ino as u64,
            ctime: (stat.st_ctime as i64, stat.st_ctime_nsec as i64),
            mtime: (stat.st_mtime as i64, stat.st_mtime_nsec as i64),
        }
        .settled(now)
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
struct Dir {
    #[cfg(unix)]
    fd: Option<rustix::fd::OwnedFd>,
    stamps: bool,
}

impl Dir {
    fn open(store: &Store) -> Dir {
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
    fn stamp(&self, id: &PactId, now: SystemTime) -> Option<Stamp> {
        if !self.stamps {
            return None;
        }
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            return Stamp::at(fd, &stream_name(id), now);
        }
        let _ = (id, now);
        None
    }

    /// The stamp of a stream just read, with the metadata it had when
    /// opened, if stamps can be trusted here.
    fn stamp_of(&self, meta: &fs::Metadata, now: SystemTime) -> Option<Stamp> {
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

/// A summary's status events, in timeline order, as four columns of
/// little-endian numbers: every effective date's earliest day (days from
/// 0001-01-01, an `i32`), then every status (a byte: its place in
/// [`Status::ALL`], with [`REPORTED`] set when it is known only from reports
/// and [`FORCED`] when it was recorded with `--force`), then every date's
/// precision and qualifier (a byte: [`EffectiveDate::code`]), then every
/// recording time (microseconds since 1970, UTC, an `i64`).
///
/// Nothing is decoded when the cache is loaded but a check that each
/// status byte names a status; an answer bisects the dates and reads the
/// few steps it needs where they lie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Steps<'a> {
    bytes: Cow<'a, [u8]>,
    /// How many steps there are.
    len: usize,
}

/// One step, as the tests make one.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Step {
    /// The effective date, in days from 0001-01-01.
    on: i32,
    /// Its precision and qualifier.
    date: u8,
    status: Status,
    /// Known only from reports.
    reported: bool,
    /// Recorded with `--force`.
    forced: bool,
    /// When it was recorded, in microseconds since 1970 (UTC).
    recorded: i64,
}

/// The bit of a step's status byte that says it is known only from reports.
const REPORTED: u8 = 0x80;
/// The bit of a step's status byte that says it was recorded with `--force`.
const FORCED: u8 = 0x40;

/// The bytes of one step.
const STEP: usize = 4 + 1 + 1 + 8;

impl Steps<'_> {
    /// `steps`, in their order.
    #[cfg(test)]
    fn of<'s>(steps: impl ExactSizeIterator<Item = &'s Step> + Clone) -> Steps<'static> {
        let len = steps.len();
        let mut bytes = Vec::with_capacity(len * STEP);
        bytes.extend(steps.clone().flat_map(|s| s.on.to_le_bytes()));
        bytes.extend(steps.clone().map(|s| {
            let mark = |flag: bool, bit: u8| if flag { bit } else { 0 };
            s.status as u8 | mark(s.reported, REPORTED) | mark(s.forced, FORCED)
        }));
        bytes.extend(steps.clone().map(|s| s.date));
        bytes.extend(steps.flat_map(|s| s.recorded.to_le_bytes()));
        Steps {
            bytes: Cow::Owned(bytes),
            len,
        }
    }

    /// The steps held in `bytes`, if they are whole steps whose statuses
    /// all name one.
    fn checked(bytes: Cow<'_, [u8]>) -> Option<Steps<'_>> {
        if !bytes.len().is_multiple_of(STEP) {
            return None;
        }
        let len = bytes.len() / STEP;
        let statuses = &bytes[4 * len..5 * len];
        let dates = &bytes[5 * len..6 * len];
        let day = |d: &[u8; 4]| NaiveDate::from_num_days_from_ce_opt(i32::from_le_bytes(*d));
        let days: &[[u8; 4]] = bytes[..4 * len].as_chunks().0;
        let whole = statuses
            .iter()
            .all(|&b| usize::from(b & !(REPORTED | FORCED)) < Status::ALL.len())
            && days.iter().zip(dates).all(|(d, &code)| {
                day(d)
                    .and_then(|d| EffectiveDate::from_code(d, code))
                    .is_some()
            });
        whole.then_some(Steps { bytes, len })
    }

    /// Every effective date, in days from 0001-01-01.
    fn days(&self) -> &[[u8; 4]] {
        self.bytes[..4 * self.len].as_chunks().0
    }

    /// How many steps are effective by `day` (days from 0001-01-01): the
    /// steps are in date order, so these are the first ones.
    fn effective_by(&self, day: i32) -> usize {
        self.days()
            .partition_point(|d| i32::from_le_bytes(*d) <= day)
    }

    /// The effective date of step `i`, in days from 0001-01-01.
    fn day(&self, i: usize) -> i32 {
        i32::from_le_bytes(self.days()[i])
    }

    /// The status of step `i`.
    fn status(&self, i: usize) -> Status {
        // checked when the steps were made or read
        Status::ALL[usize::from(self.bytes[4 * self.len + i] & !(REPORTED | FORCED))]
    }

    /// Whether step `i` is known only from reports.
    fn reported(&self, i: usize) -> bool {
        self.bytes[4 * self.len + i] & REPORTED != 0
    }

    /// Whether step `i` was recorded with `--force`.
    fn forced(&self, i: usize) -> bool {
        self.bytes[4 * self.len + i] & FORCED != 0
    }

    /// The effective date of step `i`, as precise as it is known.
    fn date(&self, i: usize) -> EffectiveDate {
        let day = NaiveDate::from_num_days_from_ce_opt(self.day(i)).unwrap_or(NaiveDate::MIN);
        // checked when the steps were made or read
        EffectiveDate::from_code(day, self.bytes[5 * self.len + i]).unwrap_or(day.into())
    }

    /// When step `i` was recorded, in microseconds since 1970 (UTC).
    fn recorded(&self, i: usize) -> i64 {
        let times: &[[u8; 8]] = self.bytes[6 * self.len..].as_chunks().0;
        i64::from_le_bytes(times[i])
    }
}

impl Serialize for Steps<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.bytes)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Steps<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Steps<'a>, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = Cow<'de, [u8]>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the bytes of whole steps")
            }

            fn visit_borrowed_bytes<E>(self, bytes: &'de [u8]) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(bytes))
            }

            fn visit_bytes<E>(self, bytes: &[u8]) -> Result<Self::Value, E> {
                Ok(Cow::Owned(bytes.to_vec()))
            }
        }
        let bytes = d.deserialize_bytes(Bytes)?;
        Steps::checked(bytes).ok_or_else(|| serde::de::Error::custom("steps that are not whole"))
    }
}

/// A [`Summary`] made as its stream is read, a line at a time, in the
/// layout of its [`Steps`]: each status event's date, status byte and
/// recorded time (13 bytes) in line order, one bit for each line saying
/// whether it is a status event, and each retraction's target and time.
#[derive(Debug, Default)]
pub(crate) struct Summing {
    /// Every status event's effective date, 4 bytes each, in line order.
    days: Vec<u8>,
    /// Every status event's status byte, likewise.
    statuses: Vec<u8>,
    /// Every status event's date precision and qualifier, likewise.
    dates: Vec<u8>,
    /// When every status event was recorded, 8 bytes each, likewise.
    times: Vec<u8>,
    /// Bit `n` of the set says whether line `n` is a status event.
    status_lines: Vec<u64>,
    /// The line each retraction withdraws, and when it was recorded.
    retracted: Vec<(u32, i64)>,
    /// When the first event was recorded.
    registered: Option<i64>,
}

impl Summing {
    /// Takes in line `number` of the stream: its event's `fact`, and for a
    /// retraction, the line it withdraws.
    fn take(&mut self, number: usize, fact: &Fact, target: Option<usize>) {
        // a stream of more than four billion events is not one pactlog can
        // read in the first place
        let line = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let recorded = fact.recorded.timestamp_micros();
        self.registered.get_or_insert(recorded);
        match fact.what {
            // the pact's own timeline: a party's status is not in it
            What::Status {
                status,
                on,
                reported,
                forced,
                of_parties: false,
            } => {
                let mark = |flag: bool, bit: u8| if flag { bit } else { 0 };
                self.days
                    .extend(on.earliest().num_days_from_ce().to_le_bytes());
                self.dates.push(on.code());
                self.statuses
                    .push(status as u8 | mark(reported, REPORTED) | mark(forced, FORCED));
                self.times.extend(recorded.to_le_bytes());
                let (word, bit) = (number / 64, number % 64);
                if self.status_lines.len() <= word {
                    self.status_lines.resize(word + 1, 0);
                }
                self.status_lines[word] |= 1 << bit;
            }
            What::Retraction { .. } => {
                if let Some(target) = target {
                    self.retracted.push((line(target), recorded));
                }
            }
            What::Registered | What::Note { .. } | What::Status { .. } => {}
        }
    }

    /// Takes in the next line of a stream being folded.
    pub(crate) fn visit(&mut self, line: &crate::log::stream::Line<'_>) {
        self.take(line.number, &line.fact, line.target);
    }

    /// The effective date of step `i` (in line order), in days from
    /// 0001-01-01.
    fn day(&self, i: usize) -> i32 {
        i32::from_le_bytes(self.days[4 * i..4 * i + 4].try_into().expect("4 bytes"))
    }

    /// The places among the steps of the status events withdrawn, in
    /// order, with when each was withdrawn.
    fn withdrawn(&self) -> Vec<(usize, i64)> {
        let mut targets = self.retracted.clone();
        targets.sort_unstable();
        // a status's place is the count of status lines before its own:
        // counted once along the lines, in the targets' order
        let mut withdrawn = Vec::with_capacity(targets.len());
        let (mut word, mut before) = (0, 0);
        for (line, time) in targets {
            let (at, bit) = (line as usize / 64, line % 64);
            let Some(&bits) = self.status_lines.get(at) else {
                continue;
            };
            for &counted in &self.status_lines[word..at] {
                before += counted.count_ones() as usize;
            }
            word = at;
            if bits & 1 << bit != 0 {
                let below = (bits & ((1 << bit) - 1)).count_ones() as usize;
                withdrawn.push((before + below, time));
            }
        }
        withdrawn
    }

    /// Every status event, retracted ones included, in (date, seq) order,
    /// as places among the steps: `None` when that is the order they were
    /// read in, as it is unless a status was backdated before one read
    /// earlier.
    fn order(&self) -> Option<Vec<u32>> {
        let steps = self.statuses.len();
        if (1..steps).all(|i| self.day(i - 1) <= self.day(i)) {
            return None;
        }
        let mut order: Vec<u32> = (0..steps as u32).collect();
        order.sort_by_key(|&i| self.day(i as usize));
        Some(order)
    }

    /// Walks the timeline: each status event no retraction withdrew, in
    /// (date, seq) order, as its line, effective date, status and whether
    /// it was forced.
    pub(crate) fn walk(&self, mut visit: impl FnMut(usize, EffectiveDate, Status, bool)) {
        let withdrawn = self.withdrawn();
        // the line of each step, in line order: the set bits, in order
        let lines = self
            .status_lines
            .iter()
            .enumerate()
            .flat_map(|(word, &bits)| {
                let mut bits = bits;
                std::iter::from_fn(move || {
                    (bits != 0).then(|| {
                        let bit = bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        64 * word + bit
                    })
                })
            });
        let mut step = |i: usize, line: usize| {
            if withdrawn.binary_search_by_key(&i, |w| w.0).is_ok() {
                return;
            }
            let byte = self.statuses[i];
            let status = Status::ALL[usize::from(byte & !(REPORTED | FORCED))];
            let day = NaiveDate::from_num_days_from_ce_opt(self.day(i)).expect("a date read");
            let on = EffectiveDate::from_code(day, self.dates[i]).expect("a date read");
            visit(line, on, status, byte & FORCED != 0);
        };
        match self.order() {
            None => lines.enumerate().for_each(|(i, line)| step(i, line)),
            Some(order) => {
                let lines: Vec<usize> = lines.collect();
                for i in order {
                    step(i as usize, lines[i as usize]);
                }
            }
        }
    }

    /// The summary of the stream of `pact`, checked whole: `len` bytes long,
    /// with the head `head`.
    pub(crate) fn finish(
        mut self,
        pact: &Pact,
        head: Hash,
        len: u64,
        stamp: Option<Stamp>,
    ) -> Summary<'static> {
        let steps = self.statuses.len();
        let withdrawn = self.withdrawn();
        let retracted = match self.order() {
            None => withdrawn
                .into_iter()
                .map(|(at, time)| (at as u32, time))
                .collect(),
            Some(order) => {
                let retracted: Vec<(u32, i64)> = order
                    .iter()
                    .enumerate()
                    .filter_map(|(at, &i)| {
                        let found = withdrawn
                            .binary_search_by_key(&(i as usize), |w| w.0)
                            .ok()?;
                        Some((at as u32, withdrawn[found].1))
                    })
                    .collect();
                let permute = |column: &[u8], width: usize| -> Vec<u8> {
                    order
                        .iter()
                        .flat_map(|&i| &column[width * i as usize..width * (i as usize + 1)])
                        .copied()
                        .collect()
                };
                self.days = permute(&self.days, 4);
                self.statuses = permute(&self.statuses, 1);
                self.dates = permute(&self.dates, 1);
                self.times = permute(&self.times, 8);
                retracted
            }
        };
        // the steps' bytes: dates, then status bytes, then times
        let mut bytes = std::mem::take(&mut self.days);
        bytes.reserve_exact(steps * (STEP - 4));
        bytes.append(&mut self.statuses);
        bytes.append(&mut self.dates);
        bytes.append(&mut self.times);
        Summary {
            id: Cow::Owned(pact.id.as_str().to_owned()),
            name: Cow::Owned(pact.name.clone()),
            len,
            head: head.to_bytes(),
            stamp,
            registered: self.registered.unwrap_or(i64::MIN),
            steps: Steps {
                bytes: Cow::Owned(bytes),
                len: steps,
            },
            retracted,
        }
    }
}

impl Summary<'_> {
    /// The summary of the stream of pact `id` that `input` holds, folded
    /// and checked line by line as every reader folds a stream: what
    /// `list` keeps in the cache for it.
    ///
    /// # Errors
    ///
    /// The [`ReadError`] of the first line that is not sound.
    pub fn fold(id: &PactId, input: impl BufRead) -> Result<Summary<'static>, ReadError> {
        let mut summing = Summing::default();
        let folded = crate::log::stream::fold(id, input, |line| {
            summing.visit(&line);
            Ok(())
        })?;
        Ok(summing.finish(&folded.pact, folded.head, folded.len, None))
    }

    /// The head hash.
    pub fn head(&self) -> Hash {
        Hash::from_bytes(self.head)
    }

    /// Whether the pact was registered by `as_of` (always, without one).
    pub fn registered_by(&self, as_of: Option<DateTime<Utc>>) -> bool {
        as_of.is_none_or(|t| self.registered <= t.timestamp_micros())
    }

    /// The status on `on`, since when, whether it is certain, and whether
    /// it is known only from reports, as the record stood at `as_of`: among
    /// the steps recorded by `as_of` and not retracted by it, the last that
    /// certainly took effect by `on`, as [`Timeline::answer_on`] finds it
    /// (`None`, and uncertain, when the first steps may or may not have).
    ///
    /// [`Timeline::answer_on`]: crate::replay::Timeline::answer_on
    pub fn status_on(
        &self,
        on: NaiveDate,
        as_of: Option<DateTime<Utc>>,
    ) -> (Option<InForce>, bool) {
        let at = as_of.map_or(i64::MAX, |t| t.timestamp_micros());
        let retracted = |i: usize| {
            self.retracted
                .iter()
                .any(|&(target, when)| target as usize == i && when <= at)
        };
        let steps = &self.steps;
        let mut visible = (0..steps.effective_by(on.num_days_from_ce()))
            .rev()
            .filter(|&i| steps.recorded(i) <= at && !retracted(i));
        // the last that may have taken effect, and the last that did
        let Some(last) = visible.next() else {
            return (None, true);
        };
        let mut certain = true;
        let mut found = Some(last);
        let mut deciding = last;
        while steps.date(deciding).latest() > on {
            certain = false;
            found = visible.next();
            let Some(i) = found else { break };
            deciding = i;
        }
        let found = found.map(|i| InForce {
            status: steps.status(i),
            since: steps.date(i),
            reported: steps.reported(i),
            forced: steps.forced(i),
        });
        let certain = certain && found.is_some_and(|f| f.since.qualifier().is_none());
        (found, certain)
    }
}

/// The status a summary finds in force on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InForce {
    /// The status.
    pub status: Status,
    /// The date it took effect.
    pub since: EffectiveDate,
    /// Whether it is known only from reports (`--reported`).
    pub reported: bool,
    /// Whether it was recorded with `--force`, against the lifecycle.
    pub forced: bool,
}

/// The cache file's bytes, read and checked a part at a time: the
/// [`Cache`] made from it borrows its summaries from them, so that loading
/// the cache copies no text and decodes no step.
#[derive(Debug, Default)]
pub struct CacheFile {
    bytes: Vec<u8>,
    /// Where each part lies in `bytes`.
    parts: Vec<Range<usize>>,
    found: Found,
}

/// What was found where the cache file is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No cache file.
    #[default]
    Nothing,
    /// A file, but no key to check it with: it is not read.
    NoKey,
    /// A file that is not a cache written under this user's key: of
    /// another version, damaged, edited, or written under another key.
    Unusable,
    /// A cache, every part of it authenticated.
    Cache,
}

/// The cache as loaded: summaries in the order of their pacts' ids, and
/// whether any changed.
#[derive(Debug, Default)]
pub struct Cache<'a> {
    entries: Vec<Summary<'a>>,
    changed: bool,
}

/// The start of the cache file: the format's version, then the length and
/// tag of each of the parts that follow. Each part is a run of summaries,
/// in the order of their pacts' ids. A part whose bytes do not match its
/// tag was damaged, edited or written under another key, and the cache is
/// not used.
#[derive(Serialize, Deserialize)]
struct Header {
    version: u32,
    parts: Vec<(u64, [u8; 32])>,
}

/// The tag of the part `at` of `count` parts, of bytes `part`: their keyed
/// BLAKE3 hash, with the format's version and the part's place, so that a
/// part authenticates only where it was written.
fn tag(key: &Key, at: usize, count: usize, part: &[u8]) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new_keyed(&key.0);
    hasher.update(&VERSION.to_le_bytes());
    hasher.update(&(at as u64).to_le_bytes());
    hasher.update(&(count as u64).to_le_bytes());
    hasher.update(part);
    hasher.finalize()
}

/// How many parts the summaries are written in, so that the file is read
/// and checked a part at a time.
const PARTS: usize = 16;

/// The longest part read (a part of a store of half a billion events): a
/// longer one is not one pactlog wrote, and the cache is not used.
const PART_MAX: u64 = 256 << 20;

/// Writes the cache file of `summaries` to `out`, under this user's key;
/// `None` when there is no key, or the file cannot be written.
fn encode(summaries: &[Summary<'_>], out: &mut impl Write) -> Option<()> {
    encode_keyed(summaries, key::get()?, out)
}

/// Writes the cache file of `summaries` to `out`, under `key`: the header,
/// then the parts. Each part is encoded twice, once for the header's length
/// and tag and once to be written, so that no more than one part is held
/// at a time.
fn encode_keyed(summaries: &[Summary<'_>], key: &Key, out: &mut impl Write) -> Option<()> {
    let size = summaries.len().div_ceil(PARTS).max(1);
    let encoded = |part: &[Summary<'_>], mut bytes: Vec<u8>| {
        bytes.clear();
        postcard::to_extend(part, bytes).ok()
    };
    let count = summaries.chunks(size).len();
    let mut bytes = Vec::new();
    let mut parts = Vec::with_capacity(PARTS);
    for (at, part) in summaries.chunks(size).enumerate() {
        bytes = encoded(part, bytes)?;
        let tag = tag(key, at, count, &bytes);
        parts.push((bytes.len() as u64, *tag.as_bytes()));
    }
    let header = Header {
        version: VERSION,
        parts,
    };
    out.write_all(&postcard::to_stdvec(&header).ok()?).ok()?;
    for part in summaries.chunks(size) {
        bytes = encoded(part, bytes)?;
        out.write_all(&bytes).ok()?;
    }
    out.flush().ok()
}

/// The longest header read: a version and [`PARTS`] lengths and tags take
/// less.
const HEADER_MAX: u64 = 1024;

/// Decodes the summaries of one part onto the end of a vector, with no
/// vector of their own.
struct Append<'v, 'a> {
    summaries: &'v mut Vec<Summary<'a>>,
    /// How many parts the file has: in a file pactlog wrote, each holds
    /// about as many summaries as the first.
    parts: usize,
    /// How many summaries the whole file could hold at most: one per 32
    /// bytes (a summary holds a 32-byte head hash, and more).
    most: usize,
}

impl<'de: 'a, 'a> serde::de::DeserializeSeed<'de> for Append<'_, 'a> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de: 'a, 'a> serde::de::Visitor<'de> for Append<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a run of summaries")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Append {
            summaries,
            parts,
            most,
        } = self;
        if summaries.is_empty() {
            // a count the file claims, so no more than its bytes can hold
            let each = seq.size_hint().unwrap_or(0);
            let _ = summaries.try_reserve(each.saturating_mul(parts).min(most));
        }
        while let Some(summary) = seq.next_element()? {
            summaries.push(summary);
        }
        Ok(())
    }
}

/// Whether a part's bytes begin as a run of summaries does: with a count
/// of at least one, and no more than its bytes can hold (a summary holds a
/// 32-byte head hash, and more). A part of zeros, as a hole in a sparse
/// file reads, does not, and no part after it is read.
fn begins_as_a_run(part: &[u8]) -> bool {
    postcard::take_from_bytes::<usize>(part)
        .is_ok_and(|(count, rest)| count >= 1 && count <= rest.len() / 32)
}

impl CacheFile {
    /// Reads the store's cache file; an absent, unreadable, damaged or
    /// older one reads as empty, and so does anything but a regular file
    /// under its name (a link is not followed, a FIFO not waited on).
    pub fn read(store: &Store) -> CacheFile {
        files::open_regular(&store.dir().join(FILE), OpenOptions::new().read(true))
            .ok()
            .and_then(|file| CacheFile::read_from(&file))
            .unwrap_or_default()
    }

    /// The cache file `file`, read under this user's key: without one,
    /// nothing of it is read ([`Found::NoKey`]), and a file that is not a
    /// cache written under it holds no part ([`Found::Unusable`]).
    fn read_from(file: &File) -> Option<CacheFile> {
        let Some(key) = key::get() else {
            return Some(CacheFile {
                found: Found::NoKey,
                ..CacheFile::default()
            });
        };
        Some(CacheFile::read_keyed(file, key).unwrap_or(CacheFile {
            found: Found::Unusable,
            ..CacheFile::default()
        }))
    }

    /// The parts of the cache file `file`, each checked against its tag
    /// under `key`; `None` when it is of another version, damaged, or
    /// written under another key. No part is read once one before it failed
    /// its check.
    fn read_keyed(file: &File, key: &Key) -> Option<CacheFile> {
        let len = file.metadata().ok()?.len();
        let mut start = vec![0; usize::try_from(len.min(HEADER_MAX)).ok()?];
        read_exact_at(file, &mut start, 0).ok()?;
        let (header, rest) = postcard::take_from_bytes::<Header>(&start).ok()?;
        if header.version != VERSION || header.parts.len() > PARTS {
            return None;
        }
        let first = (start.len() - rest.len()) as u64;
        let mut total = 0_u64;
        for &(part, _) in &header.parts {
            if part > PART_MAX {
                return None;
            }
            total += part;
        }
        if first.checked_add(total)? != len {
            return None;
        }
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(usize::try_from(total).ok()?).ok()?;
        let mut parts = Vec::with_capacity(header.parts.len());
        let mut reader = file;
        reader.seek(SeekFrom::Start(first)).ok()?;
        let count = header.parts.len();
        for (place, &(part, expected)) in header.parts.iter().enumerate() {
            let at = bytes.len();
            // read into the space reserved, which is not zeroed first
            let read = reader.take(part).read_to_end(&mut bytes).ok()?;
            // a tag is compared in constant time
            if read as u64 != part
                || tag(key, place, count, &bytes[at..]) != blake3::Hash::from_bytes(expected)
                || !begins_as_a_run(&bytes[at..])
            {
                return None;
            }
            parts.push(at..bytes.len());
        }
        Some(CacheFile {
            bytes,
            parts,
            found: Found::Cache,
        })
    }

    /// What was found where the cache file is.
    pub fn found(&self) -> Found {
        self.found
    }

    /// The summaries the file holds, borrowed from it; `None` when they do
    /// not decode.
    fn summaries(&self) -> Option<Vec<Summary<'_>>> {
        let mut summaries = Vec::new();
        for part in &self.parts {
            let mut decoder = postcard::Deserializer::from_bytes(&self.bytes[part.clone()]);
            let append = Append {
                summaries: &mut summaries,
                parts: self.parts.len(),
                most: self.bytes.len() / 32,
            };
            append.deserialize(&mut decoder).ok()?;
            if !decoder.finalize().ok()?.is_empty() {
                return None;
            }
        }
        Some(summaries)
    }

    /// The cache the file holds: empty if it does not decode or its
    /// summaries are not in order.
    pub fn cache(&self) -> Cache<'_> {
        let entries = self
            .summaries()
            .filter(|summaries| summaries.is_sorted_by(|a, b| a.id < b.id))
            .unwrap_or_default();
        Cache {
            entries,
            changed: false,
        }
    }
}

impl<'a> Cache<'a> {
    /// The cached summary of `id` if the stream has not changed since it
    /// was made. Where stamps can be trusted, any write changes the
    /// stream's stamp, so the summary stands only while its stamp is the
    /// one taken just now (`stamp`), and a stream with any other stamp,
    /// or none yet, is read whole. Elsewhere, it stands while the stream
    /// has its length and last line.
    fn fresh<'c>(
        cached: Option<&'c Summary<'a>>,
        store: &Store,
        id: &PactId,
        dir: &Dir,
        stamp: Option<Stamp>,
    ) -> Option<&'c Summary<'a>> {
        let cached = cached?;
        if dir.stamps {
            return (stamp.is_some() && stamp == cached.stamp).then_some(cached);
        }
        let (len, head) = tail_key(store, id).ok()?;
        (len == cached.len && head.to_bytes() == cached.head).then_some(cached)
    }

    /// The summary of each stream of `ids` (the store's streams, as
    /// [`Store::ids`] lists them), handed to `f` with its pact's id, on
    /// every core. The cached summary is used if it is fresh: the stream's
    /// stamp, taken just before, is the one kept, or else the stream's
    /// length and last-line hash are the ones kept. Otherwise the stream is
    /// read, and the cache learns its summary. Returns what `f` made of
    /// each, in order.
    pub fn map<T: Send>(
        &mut self,
        store: &Store,
        ids: &[PactId],
        f: impl Fn(&PactId, &Summary<'_>) -> T + Sync,
    ) -> Vec<Result<T, Error>> {
        self.map_at(store, ids, SystemTime::now(), f)
    }

    /// [`Cache::map`], with the clock read at `now`.
    fn map_at<T: Send>(
        &mut self,
        store: &Store,
        ids: &[PactId],
        now: SystemTime,
        f: impl Fn(&PactId, &Summary<'_>) -> T + Sync,
    ) -> Vec<Result<T, Error>> {
        let dir = Dir::open(store);
        let work = self.align(ids);
        let done = crate::log::par::map(&work, |&(id, cached)| {
            // the stamp is taken before anything of the stream is read
            let stamp = cached.and_then(|_| dir.stamp(id, now));
            match Cache::fresh(cached, store, id, &dir, stamp) {
                Some(summary) => Ok((f(id, summary), None)),
                None => {
                    // the stream folded into its summary, never held whole
                    let mut summing = Summing::default();
                    let folded = store.fold(id, |line| {
                        summing.visit(&line);
                        Ok(())
                    });
                    folded.map(|(stream, lines)| {
                        let meta = lines.meta();
                        let stamp = dir.stamp_of(meta, now);
                        let summary = summing.finish(&stream.pact, stream.head, meta.len(), stamp);
                        (f(id, &summary), Some(Box::new(summary)))
                    })
                }
            }
        });
        let mut results = Vec::with_capacity(done.len());
        let mut learned_any = Vec::new();
        for (id, result) in ids.iter().zip(done) {
            results.push(result.map(|(value, learned)| {
                if let Some(learned) = learned {
                    learned_any.push((id, learned));
                }
                value
            }));
        }
        for (id, learned) in learned_any {
            match self.position(id) {
                Ok(at) => self.entries[at] = *learned,
                Err(at) => self.entries.insert(at, *learned),
            }
            self.changed = true;
        }
        results
    }

    /// Each of `ids` with its entry, if it has one: the entries and, nearly
    /// always, the ids are in order, so one walk through both pairs them.
    fn align<'i>(&self, ids: &'i [PactId]) -> Vec<(&'i PactId, Option<&Summary<'a>>)> {
        let mut entries = self.entries.iter().peekable();
        let mut last: Option<&PactId> = None;
        ids.iter()
            .map(|id| {
                if last.is_some_and(|last| last > id) {
                    // out of order: look it up
                    return (id, self.get(id));
                }
                last = Some(id);
                while entries.next_if(|s| *s.id < *id.as_str()).is_some() {}
                (id, entries.next_if(|s| s.id == id.as_str()))
            })
            .collect()
    }

    /// Where the entry of `id` is, or would be.
    fn position(&self, id: &PactId) -> Result<usize, usize> {
        self.entries.binary_search_by(|s| (*s.id).cmp(id.as_str()))
    }

    fn get(&self, id: &PactId) -> Option<&Summary<'a>> {
        self.position(id).ok().map(|at| &self.entries[at])
    }

    /// Forgets the entries of streams that are gone: `ids` are the store's
    /// streams, in order, as [`Store::ids`] gives them.
    pub fn retain(&mut self, ids: &[PactId]) {
        let same = self.entries.len() == ids.len()
            && self
                .entries
                .iter()
                .zip(ids)
                .all(|(s, id)| s.id == id.as_str());
        if !same {
            let before = self.entries.len();
            self.entries
                .retain(|s| ids.binary_search_by(|id| id.as_str().cmp(&s.id)).is_ok());
            self.changed |= self.entries.len() != before;
        }
    }

    /// Writes the cache back if it changed: to a temporary file, created
    /// exclusively under a fresh name, renamed over the old one (or over
    /// whatever else had its name). A cache that cannot be written is no
    /// error: it is only a shortcut. Without a key, none is written.
    pub fn save(self, store: &Store) {
        if !self.changed || key::get().is_none() {
            return;
        }
        // a temporary file not put in place is removed when dropped
        let Ok(mut temp) = files::temp_file(store.dir(), &format!("{FILE}."), ".tmp") else {
            return;
        };
        if encode(&self.entries, temp.as_file_mut()).is_some() {
            let _ = temp.persist(store.dir().join(FILE));
        }
    }
}

/// The cache as `verify` holds it against the streams it reads whole: an
/// entry that is current for a stream as read (one that `list` would
/// answer from) must say what the summary of the stream says.
pub struct Audit<'a> {
    cache: Cache<'a>,
    found: Found,
    dir: Dir,
}

/// A stream read whole, held against its cache entry.
#[derive(Debug)]
pub struct Checked {
    /// The pact.
    id: PactId,
    /// The summary of the stream as read, kept only when the cache is to
    /// be rebuilt with it: when the cache is unusable, or its entry for
    /// the stream disagrees.
    summary: Option<Summary<'static>>,
    /// Whether the cache held an entry current for the stream as read.
    pub compared: bool,
    /// Whether that entry says something else than the stream.
    pub disagrees: bool,
}

/// What `verify` found of the cache, and did with it.
#[derive(Debug, Default)]
pub struct Audited {
    /// What was found where the cache file is.
    pub found: Found,
    /// How many entries were current for their streams, and compared.
    pub compared: usize,
    /// The pacts whose entries disagree with their streams.
    pub disagreed: Vec<String>,
    /// Whether the cache was replaced by one made from the streams read
    /// (when it disagreed or was unusable): the old one is gone, and a new
    /// one written where that could be done.
    pub rebuilt: bool,
}

impl<'a> Audit<'a> {
    /// The audit of the cache `file` of `store`.
    pub fn new(store: &Store, file: &'a CacheFile) -> Audit<'a> {
        Audit {
            cache: file.cache(),
            found: file.found,
            dir: Dir::open(store),
        }
    }

    /// Whether there is a cache to check the streams against.
    pub fn wanted(&self) -> bool {
        !matches!(self.found, Found::Nothing | Found::NoKey)
    }

    /// Holds the stream of `id`, just folded and checked into `summing`,
    /// with `head` its head and `meta` the file's metadata from when it was
    /// read, against its cache entry; `None` when there is no cache to
    /// check (none, or no key).
    pub(crate) fn check(
        &self,
        id: &PactId,
        pact: &Pact,
        head: Hash,
        summing: Summing,
        meta: &fs::Metadata,
    ) -> Option<Checked> {
        if !self.wanted() {
            return None;
        }
        let now = SystemTime::now();
        let stamp = self.dir.stamp_of(meta, now);
        let current = self.cache.get(id).filter(|cached| {
            if self.dir.stamps {
                // the stamp `list` would have seen, from before the stream
                // was read to after: what was read is what it stamps
                cached.stamp.is_some()
                    && cached.stamp == stamp
                    && cached.stamp == self.dir.stamp(id, now)
            } else {
                cached.len == meta.len() && cached.head == head.to_bytes()
            }
        });
        let unusable = self.found == Found::Unusable;
        // a summary is made only to compare, or to rebuild with
        if current.is_none() && !unusable {
            return Some(Checked {
                id: id.clone(),
                compared: false,
                disagrees: false,
                summary: None,
            });
        }
        let summary = summing.finish(pact, head, meta.len(), stamp);
        let disagrees = current.is_some_and(|cached| !cached.says_what(&summary));
        Some(Checked {
            id: id.clone(),
            compared: current.is_some(),
            disagrees,
            summary: (disagrees || unusable).then_some(summary),
        })
    }

    /// Ends the audit of the streams `checked` and of those `failed` (ones
    /// that could not be read or checked): a cache that disagrees with any
    /// of them, or that was not a cache written under this user's key, is
    /// removed and rebuilt from the summaries of the streams read, in place
    /// of the entries that disagree (keeping those that agree, and those
    /// of streams not checked).
    pub fn finish(self, store: &Store, checked: Vec<Checked>, failed: &[PactId]) -> Audited {
        let mut audited = Audited {
            found: self.found,
            compared: checked.iter().filter(|c| c.compared).count(),
            ..Audited::default()
        };
        audited.disagreed = checked
            .iter()
            .filter(|c| c.disagrees)
            .map(|c| c.id.to_string())
            .collect();
        if audited.disagreed.is_empty() && self.found != Found::Unusable {
            return audited;
        }
        let mut cache = self.cache;
        for id in failed {
            if let Ok(at) = cache.position(id) {
                cache.entries.remove(at);
            }
        }
        for summary in checked.into_iter().filter_map(|c| c.summary) {
            match cache.entries.binary_search_by(|s| s.id.cmp(&summary.id)) {
                Ok(at) => cache.entries[at] = summary,
                Err(at) => cache.entries.insert(at, summary),
            }
        }
        if let Ok(ids) = store.ids() {
            cache.retain(&ids);
        }
        cache.changed = true;
        let path = store.dir().join(FILE);
        audited.rebuilt = match fs::remove_file(&path) {
            Ok(()) => true,
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        };
        if audited.rebuilt {
            cache.save(store);
        }
        audited
    }
}

impl Summary<'_> {
    /// Whether this summary answers every question as `other` does: the
    /// same pact, name, head, registration and steps. The stream's length
    /// and stamp, the key a summary is found by, may differ.
    fn says_what(&self, other: &Summary<'_>) -> bool {
        self.id == other.id
            && self.name == other.name
            && self.head == other.head
            && self.registered == other.registered
            && self.steps == other.steps
            && self.retracted == other.retracted
    }
}

/// Reads `buf.len()` bytes at `offset`, without moving the file's position.
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(mut file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// A stream file's length and the hash of its last line, read from its end.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read.
pub fn tail_key(store: &Store, id: &PactId) -> Result<(u64, Hash), Error> {
    let path = store.stream_path(id);
    let file = open_stream(&path, OpenOptions::new().read(true))?;
    let len = file.metadata().map_err(Error::io("read", &path))?.len();
    let mut window = 1024_u64;
    loop {
        let start = len.saturating_sub(window);
        let mut tail = vec![0; (len - start) as usize];
        read_exact_at(&file, &mut tail, start).map_err(Error::io("read", &path))?;
        let body = tail.strip_suffix(b"\n").unwrap_or(&tail);
        match body.iter().rposition(|&b| b == b'\n') {
            Some(at) => return Ok((len, Hash::of(&body[at + 1..]))),
            None if start == 0 => return Ok((len, Hash::of(body))),
            None if window > MAX_LINE as u64 => {
                // a last line longer than any line read: not a fresh entry
                return Ok((len, Hash::of(b"")));
            }
            None => window *= 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::{Duration, SystemTime};

    use super::*;

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
        cache.map_at(&store, &ids, later, |_, _| ());
        assert!(cache.entries[0].stamp.is_some(), "stamped when read");
        cache.changed = false;
        cache.map_at(&store, &ids, later, |_, _| ());
        assert!(!cache.changed, "answered from the stamp, nothing learned");
        // a stamp taken too soon is not kept
        let mut soon = Cache::default();
        soon.map(&store, &ids, |_, _| ());
        assert_eq!(soon.entries[0].stamp, None);
    }

    #[test]
    fn a_cache_claiming_a_huge_part_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        for claimed in [64 << 30, PART_MAX + 1] {
            let header = Header {
                version: VERSION,
                parts: vec![(claimed, [0; 32])],
            };
            let bytes = postcard::to_stdvec(&header).unwrap();
            fs::write(&path, &bytes).unwrap();
            // as long as it claims to be, without taking the space
            let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.set_len(bytes.len() as u64 + claimed).unwrap();
            drop(file);
            assert!(CacheFile::read_keyed(&File::open(&path).unwrap(), &KEY).is_none());
        }
    }

    #[test]
    fn a_status_is_stored_as_its_place_in_the_list_of_all() {
        for (place, status) in Status::ALL.into_iter().enumerate() {
            assert_eq!(status as usize, place, "{status}");
        }
    }

    #[test]
    fn steps_that_are_not_whole_or_name_no_status_are_refused() {
        let step = |on, status, reported, recorded| Step {
            on,
            date: 0,
            status,
            reported,
            forced: !reported,
            recorded,
        };
        let steps = Steps::of(
            [
                step(1, Status::InForce, false, 2),
                step(3, Status::Expired, true, 4),
            ]
            .iter(),
        );
        let bytes = steps.bytes.to_vec();
        assert!(Steps::checked(Cow::Borrowed(&bytes)).is_some());
        assert!(Steps::checked(Cow::Borrowed(&bytes[1..])).is_none());
        let mut unknown = bytes.clone();
        unknown[2 * 4 + 1] = Status::ALL.len() as u8 | REPORTED | FORCED;
        assert!(Steps::checked(Cow::Borrowed(&unknown)).is_none());
    }

    /// A summary of the pact `id` with one step.
    fn summary(id: &str) -> Summary<'static> {
        let step = Step {
            on: 700_000,
            date: 0,
            status: Status::InForce,
            reported: false,
            forced: false,
            recorded: 1,
        };
        Summary {
            id: Cow::Owned(id.to_owned()),
            name: Cow::Borrowed("P"),
            len: 1,
            head: [7; 32],
            stamp: None,
            registered: 0,
            steps: Steps::of([step].iter()),
            retracted: vec![],
        }
    }

    /// The key these tests write and read caches under.
    const KEY: Key = Key([9; 32]);

    /// The bytes of the cache file of `summaries`, under `key`.
    fn encoded(summaries: &[Summary<'_>], key: &Key) -> Vec<u8> {
        let mut bytes = Vec::new();
        encode_keyed(summaries, key, &mut bytes).unwrap();
        bytes
    }

    /// The cache file `bytes`, read back under `key`.
    fn read_back(bytes: &[u8], key: &Key) -> Option<CacheFile> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        fs::write(&path, bytes).unwrap();
        CacheFile::read_keyed(&File::open(&path).unwrap(), key)
    }

    /// The cache file written of `summaries`, read back.
    fn written(summaries: &[Summary<'_>]) -> Option<CacheFile> {
        read_back(&encoded(summaries, &KEY), &KEY)
    }

    #[test]
    fn a_cache_is_read_only_under_the_key_it_was_written_under_and_unchanged() {
        let summaries = [summary("a"), summary("b")];
        let bytes = encoded(&summaries, &KEY);
        let read = read_back(&bytes, &KEY).unwrap();
        assert_eq!(read.found(), Found::Cache);
        assert_eq!(read.summaries().unwrap(), summaries);
        assert!(read_back(&bytes, &Key([8; 32])).is_none(), "another key");
        // every byte matters, the header's as much as the parts'
        for at in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[at] ^= 0x01;
            assert!(read_back(&changed, &KEY).is_none(), "byte {at} changed");
        }
        // parts that authenticate, but not in the places they were written
        let many: Vec<_> = (0..2 * PARTS)
            .map(|i| summary(&format!("p{i:02}")))
            .collect();
        let bytes = encoded(&many, &KEY);
        let (mut header, body) = postcard::take_from_bytes::<Header>(&bytes).unwrap();
        assert_eq!(header.parts.len(), PARTS);
        let (first, second) = (header.parts[0].0 as usize, header.parts[1].0 as usize);
        let mut swapped = body[first..first + second].to_vec();
        swapped.extend_from_slice(&body[..first]);
        swapped.extend_from_slice(&body[first + second..]);
        header.parts.swap(0, 1);
        let mut reordered = postcard::to_stdvec(&header).unwrap();
        reordered.extend_from_slice(&swapped);
        assert!(read_back(&reordered, &KEY).is_none(), "parts swapped");
        let mut header = postcard::take_from_bytes::<Header>(&bytes).unwrap().0;
        header.parts.truncate(1);
        let mut shortened = postcard::to_stdvec(&header).unwrap();
        shortened.extend_from_slice(&body[..first]);
        assert!(read_back(&shortened, &KEY).is_none(), "parts left out");
    }

    #[test]
    fn a_cache_whose_parts_do_not_add_up_or_are_zeros_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let read = |parts: &[&[u8]], body: &[u8]| {
            let count = parts.len();
            let parts = parts
                .iter()
                .enumerate()
                .map(|(at, part)| (part.len() as u64, *tag(&KEY, at, count, part).as_bytes()))
                .collect();
            let mut bytes = postcard::to_stdvec(&Header {
                version: VERSION,
                parts,
            })
            .unwrap();
            bytes.extend_from_slice(body);
            fs::write(&path, bytes).unwrap();
            CacheFile::read_keyed(&File::open(&path).unwrap(), &KEY).is_some()
        };
        let part = postcard::to_stdvec(&[summary("p")]).unwrap();
        assert!(read(&[&part], &part), "a part as pactlog writes it");
        assert!(read(&[part.as_slice(); PARTS], &part.repeat(PARTS)));
        // each part within the limit, but more than the file holds
        assert!(!read(&[&part, &part], &part));
        assert!(!read(
            &[part.as_slice(); PARTS + 1],
            &part.repeat(PARTS + 1)
        ));
        // zeros, with their tag, as a hole in a sparse file reads
        let zeros = vec![0; part.len()];
        assert!(!read(&[&zeros], &zeros));
    }

    #[test]
    fn summaries_that_do_not_decode_or_are_out_of_order_leave_the_cache_empty() {
        let entries = |summaries: &[Summary<'_>]| written(summaries).unwrap().cache().entries.len();
        assert_eq!(entries(&[summary("a"), summary("b")]), 2);
        assert_eq!(entries(&[summary("b"), summary("a")]), 0, "out of order");
        let mut torn = summary("a");
        torn.steps.bytes = Cow::Owned(vec![0; STEP + 1]);
        assert_eq!(entries(&[torn]), 0, "steps that are not whole");
        let mut unknown = summary("a");
        unknown.steps.bytes.to_mut()[4] = Status::ALL.len() as u8;
        assert_eq!(entries(&[unknown]), 0, "a status byte that names none");
    }

    proptest::proptest! {
        /// Any steps, in any order and with any values, read back as they
        /// were, borrowed from the file's bytes.
        #[test]
        fn summaries_read_back_as_written(
            raw in proptest::collection::vec((proptest::num::i64::ANY, 0_i32..3_000_000, 0_usize..Status::ALL.len(), proptest::bool::ANY, proptest::bool::ANY), 0..60),
        ) {
            let steps: Vec<Step> = raw
                .into_iter()
                .map(|(recorded, on, status, reported, forced)| Step { on, date: 0, status: Status::ALL[status], reported, forced, recorded })
                .collect();
            let summary = Summary {
                id: Cow::Borrowed("p"),
                name: Cow::Borrowed("P"),
                len: 1,
                head: [7; 32],
                stamp: None,
                registered: i64::MIN,
                steps: Steps::of(steps.iter()),
                retracted: vec![(0, 5)],
            };
            let file = written(std::slice::from_ref(&summary)).unwrap();
            let read = file.summaries().unwrap();
            proptest::prop_assert!(matches!(read[0].steps.bytes, Cow::Borrowed(_)));
            let read_steps: Vec<_> = (0..read[0].steps.len)
                .map(|i| Step { on: read[0].steps.day(i), date: 0, status: read[0].steps.status(i), reported: read[0].steps.reported(i), forced: read[0].steps.forced(i), recorded: read[0].steps.recorded(i) })
                .collect();
            proptest::prop_assert_eq!(read_steps, steps);
            proptest::prop_assert_eq!(&read, &vec![summary]);
        }
    }

    proptest::proptest! {
        /// The cache answers as a replay does. For random histories
        /// (statuses backdated and on one day, reported and forced ones,
        /// notes, retractions, events sharing a recorded time), the summary
        /// folded from a stream's lines, written to a cache file and read
        /// back, gives on every date, as of every recorded time (and before
        /// the pact was registered), what the timeline of the events
        /// recorded by then gives.
        #[test]
        fn the_cache_answers_as_a_replay_does(
            steps in proptest::collection::vec(
                (0_u8..3, 0_u16..40, 0_usize..10, proptest::bool::ANY, proptest::num::usize::ANY),
                // past 64 lines, so that lines are counted across words of bits
                0..160,
            ),
        ) {
            use chrono::TimeDelta;

            use crate::log::stream::{Stream, fold};
            use crate::model::event::Event;
            use crate::replay::{Timeline, as_of};

            let bytes = crate::replay::tests::stream(&steps);
            let id = PactId::parse("p").unwrap();
            let events = Stream::<Event>::read(&id, bytes.as_slice()).unwrap().events;
            let mut summing = Summing::default();
            fold(&id, bytes.as_slice(), |line| {
                summing.visit(&line);
                Ok(())
            })
            .unwrap();
            // the timeline, as verify walks it to hold it to the lifecycle
            let mut walked = Vec::new();
            summing.walk(|line, on, status, forced| walked.push((line as u64, on, status, forced)));
            let timeline: Vec<_> = Timeline::new(&events)
                .entries()
                .iter()
                .map(|e| (e.event.seq, e.on(), e.status(), e.forced()))
                .collect();
            proptest::prop_assert_eq!(walked, timeline);
            // the summary `list` keeps, as it folds it
            let summary = Summary::fold(&id, bytes.as_slice()).unwrap();
            let file = written(std::slice::from_ref(&summary)).unwrap();
            let cached = &file.summaries().unwrap()[0];

            let start = events[0].recorded;
            let times = events.iter().map(|e| Some(e.recorded));
            let before = Some(start - TimeDelta::seconds(1));
            for at in [None, before].into_iter().chain(times) {
                let recorded = as_of(&events, at);
                proptest::prop_assert_eq!(cached.registered_by(at), !recorded.is_empty());
                let timeline = Timeline::new(recorded);
                let first = NaiveDate::from_ymd_opt(1999, 12, 31).unwrap();
                let days = (0..42).map(|d| first + TimeDelta::days(d));
                for day in days.chain([NaiveDate::MIN, NaiveDate::MAX]) {
                    let replay = timeline.answer_on(day);
                    let replayed = (
                        replay.status.map(|e| (e.status(), e.on(), e.reported(), e.forced())),
                        replay.certain,
                    );
                    let (found, certain) = cached.status_on(day, at);
                    let answered = (found.map(|s| (s.status, s.since, s.reported, s.forced)), certain);
                    proptest::prop_assert_eq!(answered, replayed, "on {} as of {:?}", day, at);
                }
            }
        }
    }
}
