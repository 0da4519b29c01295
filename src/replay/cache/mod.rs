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
//! Whatever is read of it, any entry is checked against its stream before
//! use.
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
//! Loading it decodes nothing: the file's parts are read on every core
//! ([`CacheFile`]), each checked against its tag and its index, which says
//! where each summary begins. A summary is decoded when it is asked for,
//! on the core that answers with it, and borrows its id, name and steps
//! from the part (its steps as fixed-width columns of dates, statuses and
//! date precisions). An answer bisects a summary's dates where they lie. The
//! steps' recording times, which only a question as of a time asks for,
//! are kept in parts of their own after the summaries, read and checked
//! only then (and when the cache is written back), from the file as it
//! was opened: a `list` as of now reads a little over half the file.
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
//! Where stamps are kept, the file also notes the store directory's own
//! stamp when its streams were listed, once it had settled, if the
//! summaries are of exactly those streams ([`Cache::listed`]). Creating,
//! removing or renaming a file in a directory changes its stamp, so while
//! the directory has the stamp noted, its streams are the cache's, and
//! `list` does not list them again ([`Cache::lists`]). To leave the
//! directory as it was, a cache that notes a listing is written over in
//! place when it is a regular file of this user's with no other name,
//! under a lock that no other command shares: a command that finds the
//! file locked by another reads the streams rather than a file half
//! written, and one that would write it over while another reads it
//! leaves it as it is.
//!
//! On network and user-space file systems, where a `stat` may answer from
//! a cache or show a change time a tool set, no stamp is kept, and the key
//! is checked by reading each stream's last line. What that cannot see is
//! an edit in the middle of a stream that keeps its length and its last
//! line; `verify` reads every line and always finds it.
//!
//! Each job has its file: `summary` folds a stream into the [`Summary`]
//! the cache keeps of it, and answers from one; `steps` lays out a
//! summary's status events in columns; `stamp` takes a stream file's
//! [`Stamp`] and knows where one can be trusted; `entries` lays out a
//! part of summaries, and keeps the summaries in the parts they were read
//! in until one is added or removed; `fixed` writes a run of bytes of a
//! fixed length; `audit` is `verify`'s [`Audit`]; [`key`] keeps the key.
//! This module holds the cache file, how it is read and written, and the
//! [`Cache`] loaded from it.

mod audit;
mod entries;
mod fixed;
pub mod key;
mod stamp;
mod steps;
mod summary;

pub use audit::{Audit, Audited, Checked};
pub use stamp::{SETTLED, Stamp, keeps_stamps};
pub use summary::Summary;
pub(crate) use summary::Summing;

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, Write};
use std::ops::Range;
use std::sync::OnceLock;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::log::files;
use crate::log::store::{Store, open_stream};
use crate::log::stream::MAX_LINE;
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::Hash;
use crate::model::pact::PactId;
use crate::model::status::Status;

use entries::{Entries, Part};
use key::Key;
use stamp::Dir;
use steps::{TIME, Times};

/// Zeroed memory to read a cache file's parts into: where it can be had,
/// mapped on its own and in huge pages, so that reading megabytes into it
/// takes a few page faults rather than one each 4 KiB (each a few times
/// longer than copying its page).
#[derive(Debug)]
enum Bytes {
    /// A mapping, and how many of its bytes are wanted.
    Mapped(memmap2::MmapMut, usize),
    Heap(Vec<u8>),
}

impl Bytes {
    /// `len` zeroed bytes; `None` if they cannot be had.
    fn zeroed(len: usize) -> Option<Bytes> {
        // a mapping of whole huge pages, which the system places where a
        // huge page can begin (and one of any other length, anywhere)
        if len >= HUGE
            && let Some(whole) = len.checked_next_multiple_of(HUGE)
            && let Ok(map) = memmap2::MmapMut::map_anon(whole)
        {
            // only advice: where there are no huge pages, small ones
            #[cfg(target_os = "linux")]
            let _ = map.advise(memmap2::Advice::HugePage);
            return Some(Bytes::Mapped(map, len));
        }
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(len).ok()?;
        bytes.resize(len, 0);
        Some(Bytes::Heap(bytes))
    }
}

impl Default for Bytes {
    fn default() -> Self {
        Bytes::Heap(Vec::new())
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map, len) => &map[..*len],
            Bytes::Heap(bytes) => bytes,
        }
    }
}

impl std::ops::DerefMut for Bytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Bytes::Mapped(map, len) => &mut map[..*len],
            Bytes::Heap(bytes) => bytes,
        }
    }
}

/// The size of a huge page: less than one is read into the heap.
const HUGE: usize = 2 << 20;

/// The cache file's name in the store directory.
pub const FILE: &str = crate::model::format::CACHE;
/// Bumped whenever [`Summary`] or the file's layout changes shape: an
/// older cache is rebuilt.
const VERSION: u32 = 20;

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

/// The cache file's bytes, read and checked a part at a time, the parts
/// shared between the cores: the [`Cache`] made from it decodes each
/// summary from them only when it is asked for, and borrows its text. The
/// recording times are read, and checked, only once asked for
/// ([`Cache::read_times`]), from the file as it was opened.
#[derive(Debug, Default)]
pub struct CacheFile {
    /// The parts of summaries, one after the other, each read and checked
    /// on its own.
    bytes: Bytes,
    /// Where each part of summaries lies in `bytes`.
    parts: Vec<Range<usize>>,
    found: Found,
    /// The file, open, to read the times from: the one the summaries
    /// were read from, whatever has its name since.
    file: Option<File>,
    /// The key the summaries were checked under, to check the times.
    key: Option<Key>,
    /// Where each part of times lies in the file, and its tag.
    time_parts: Vec<TimePart>,
    /// The times, once read.
    times: OnceLock<Option<TimesRead>>,
    /// The store directory's stamp when the streams summarized were
    /// listed, as the header holds it.
    listing: Option<Stamp>,
}

/// A cache file opened and its header read, its parts not yet: whether
/// the store need be listed can be decided while they are read.
#[derive(Debug)]
pub struct Opening {
    /// The file, its header and where the parts after it lie; or what was
    /// found instead of a file to read.
    opened: Result<(File, Header, Range<u64>), Found>,
}

/// A part of times of a cache file, before it is read.
#[derive(Debug)]
struct TimePart {
    /// Where it begins in the file.
    offset: u64,
    len: u64,
    tag: [u8; 32],
    /// The tag of the part of summaries whose times these are, which the
    /// part's own tag covers: times from another file, even one written
    /// under the same key for summaries of the same shape, fail it.
    of: [u8; 32],
}

/// The parts of times of a cache file, read and checked.
#[derive(Debug)]
struct TimesRead {
    bytes: Vec<u8>,
    /// Where each part lies in `bytes`.
    parts: Vec<Range<usize>>,
}

/// What was found where the cache file is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No cache file, or one being written over by another command.
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
    entries: Entries<'a>,
    changed: bool,
    /// The file the entries were read from, which holds their times.
    file: Option<&'a CacheFile>,
    /// The store directory's stamp when its streams were listed, if the
    /// entries are of exactly those streams: while the directory keeps it,
    /// its streams need not be listed again ([`Cache::listed_ids`]).
    listing: Option<Stamp>,
}

/// The start of the cache file: the format's version, then the length and
/// tag of each of the parts that follow: runs of summaries, then as many
/// parts of their times, each the times of the summaries of its run. Each
/// part of summaries is a run of summaries in the order of their pacts'
/// ids, after an index of where each begins (see `entries`). A part whose
/// bytes do not match its tag was damaged, edited or written under another
/// key, and the cache is not used.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    version: u32,
    /// The store directory's stamp when its streams were listed, if the
    /// summaries are of exactly the streams listed then (see
    /// [`Cache::listed`]). Every part's tag covers it.
    listing: Option<Stamp>,
    parts: Vec<(u64, [u8; 32])>,
}

/// The tag of the part `at` of `count` parts of a file whose header holds
/// the `listing` (as encoded there), of the bytes `part` (in pieces, one
/// after the other): their keyed BLAKE3 hash, with the format's version,
/// the part's place and the listing, so that a part authenticates only
/// where it was written, and the listing with it.
fn tag<'p>(
    key: &Key,
    at: usize,
    count: usize,
    listing: &[u8],
    part: impl IntoIterator<Item = &'p [u8]>,
) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new_keyed(&key.0);
    hasher.update(&VERSION.to_le_bytes());
    hasher.update(&(at as u64).to_le_bytes());
    hasher.update(&(count as u64).to_le_bytes());
    hasher.update(listing);
    for piece in part {
        hasher.update(piece);
    }
    hasher.finalize()
}

/// How many parts the summaries are written in, so that the file is read,
/// checked and decoded a part at a time, on every core (and as many parts
/// of their times).
const PARTS: usize = 16;

/// The longest part read (a part of a store of half a billion events): a
/// longer one is not one pactlog wrote, and the cache is not used.
const PART_MAX: u64 = 256 << 20;

/// Writes the cache file of `summaries`, of the streams listed at
/// `listing`, to `out`, under this user's key; `None` when there is no
/// key, or the file cannot be written.
fn encode(summaries: &[Summary<'_>], listing: Option<Stamp>, out: &mut impl Write) -> Option<()> {
    encode_keyed(summaries, listing, key::get()?, out)
}

/// Writes the cache file of `summaries` to `out`, under `key`: the header,
/// then the parts of summaries, then the parts of their times. The parts
/// are encoded and tagged on every core, and held until the header that
/// holds their lengths and tags is written; `None` if a summary's times
/// were not read.
fn encode_keyed(
    summaries: &[Summary<'_>],
    listing: Option<Stamp>,
    key: &Key,
    out: &mut impl Write,
) -> Option<()> {
    // no part would authenticate the listing of an empty store
    let listing = listing.filter(|_| !summaries.is_empty());
    let listed = postcard::to_stdvec(&listing).ok()?;
    let size = summaries.len().div_ceil(PARTS).max(1);
    let parts: Vec<(usize, &[Summary<'_>])> = summaries.chunks(size).enumerate().collect();
    let runs = parts.len();
    let count = 2 * runs;
    // each part of summaries, and the length and tag of it and of its times
    let encoded = crate::log::par::map(&parts, |&(at, part)| {
        let mut bytes = Vec::new();
        entries::write_part(part, &mut bytes)?;
        let of = *tag(key, at, count, &listed, [bytes.as_slice()]).as_bytes();
        let times = part
            .iter()
            .map(|s| s.steps.times())
            .collect::<Option<Vec<&[u8]>>>()?;
        let len = times.iter().map(|t| t.len() as u64).sum();
        // bound to their summaries: the tag of those covers these
        let pieces = std::iter::once(of.as_slice()).chain(times);
        let times = (len, *tag(key, runs + at, count, &listed, pieces).as_bytes());
        Some((bytes, of, times))
    })
    .into_iter()
    .collect::<Option<Vec<_>>>()?;
    let summed = encoded
        .iter()
        .map(|(bytes, of, _)| (bytes.len() as u64, *of));
    let timed = encoded.iter().map(|(_, _, times)| *times);
    let header = Header {
        version: VERSION,
        listing,
        parts: summed.chain(timed).collect(),
    };
    out.write_all(&postcard::to_stdvec(&header).ok()?).ok()?;
    for (bytes, _, _) in &encoded {
        out.write_all(bytes).ok()?;
    }
    for summary in summaries {
        out.write_all(summary.steps.times()?).ok()?;
    }
    out.flush().ok()
}

/// The longest header read: a version and twice [`PARTS`] lengths and tags
/// take less.
const HEADER_MAX: u64 = 2048;

/// The header of the cache file `file`, and where the parts after it lie
/// (from the header's end to the file's); `None` when it is not one of
/// this version's, or claims more parts than one has.
fn head(file: &File) -> Option<(Header, Range<u64>)> {
    let len = file.metadata().ok()?.len();
    let mut start = vec![0; usize::try_from(len.min(HEADER_MAX)).ok()?];
    read_exact_at(file, &mut start, 0).ok()?;
    let (header, rest) = postcard::take_from_bytes::<Header>(&start).ok()?;
    let count = header.parts.len();
    if header.version != VERSION || count > 2 * PARTS || !count.is_multiple_of(2) {
        return None;
    }
    Some((header, (start.len() - rest.len()) as u64..len))
}

impl Opening {
    /// The store directory's stamp the header says its streams were listed
    /// at, before any part is checked: a guess of whether the store need
    /// be listed, to be confirmed by the cache read ([`Cache::lists`]).
    pub fn listing(&self) -> Option<Stamp> {
        self.opened
            .as_ref()
            .ok()
            .and_then(|(_, header, _)| header.listing)
    }

    /// Reads the rest of the file: its parts of summaries, each checked
    /// against its tag under this user's key (see [`CacheFile::read`]).
    pub fn read(self) -> CacheFile {
        let found = match self.opened {
            Ok((file, header, body)) => {
                let read =
                    key::get().and_then(|key| CacheFile::read_parts(file, header, body, key));
                match read {
                    Some(file) => return file,
                    None => Found::Unusable,
                }
            }
            Err(found) => found,
        };
        CacheFile {
            found,
            ..CacheFile::default()
        }
    }
}

impl CacheFile {
    /// Reads the store's cache file; an absent, unreadable, damaged or
    /// older one reads as empty, and so does anything but a regular file
    /// under its name (a link is not followed, a FIFO not waited on).
    pub fn read(store: &Store) -> CacheFile {
        CacheFile::open(store).read()
    }

    /// Opens the store's cache file and reads its header, as
    /// [`CacheFile::read`] begins; [`Opening::read`] reads the rest.
    pub fn open(store: &Store) -> Opening {
        let opened = files::open_regular(&store.dir().join(FILE), OpenOptions::new().read(true));
        // a file being written over in place is not read half written: a
        // reader shares a lock that its writer holds alone, and holds it
        // while it reads, its times too (a file another holds is passed
        // over, rather than waited on)
        let Some(file) = opened.ok().filter(|file| !held(&lock(file, Lock::Shared))) else {
            return Opening {
                opened: Err(Found::Nothing),
            };
        };
        if key::get().is_none() {
            return Opening {
                opened: Err(Found::NoKey),
            };
        }
        let opened = match head(&file) {
            Some((header, body)) => Ok((file, header, body)),
            None => Err(Found::Unusable),
        };
        Opening { opened }
    }

    /// The parts of summaries of the cache file `file`, each checked
    /// against its tag under `key`; `None` when it is of another version,
    /// damaged, or written under another key.
    #[cfg(test)]
    fn read_keyed(file: File, key: &Key) -> Option<CacheFile> {
        let (header, body) = head(&file)?;
        CacheFile::read_parts(file, header, body, key)
    }

    /// The parts of summaries of the cache file `file`, whose header
    /// `header` is followed by the parts in `body`, each checked against
    /// its tag under `key`; `None` when it is damaged or written under
    /// another key. The parts are shared between the cores. The parts of
    /// times are read later, if at all ([`CacheFile::times`]).
    fn read_parts(file: File, header: Header, body: Range<u64>, key: &Key) -> Option<CacheFile> {
        let count = header.parts.len();
        // a listing is authenticated by the parts' tags: a file of none
        // notes none
        if count == 0 && header.listing.is_some() {
            return None;
        }
        // where each part lies, and its tag: they take up the body exactly
        let mut offset = body.start;
        let mut places = Vec::with_capacity(count);
        for (place, &(len, tag)) in header.parts.iter().enumerate() {
            if len > PART_MAX {
                return None;
            }
            places.push((place, offset, len, tag));
            offset = offset.checked_add(len)?;
        }
        if offset != body.end {
            return None;
        }
        let listed = postcard::to_stdvec(&header.listing).ok()?;
        let (runs, times) = places.split_at(count / 2);
        // where each part of summaries goes, one after the other
        let mut parts = Vec::with_capacity(runs.len());
        let mut end = 0_usize;
        for &(_, _, len, _) in runs {
            let start = end;
            end = end.checked_add(usize::try_from(len).ok()?)?;
            parts.push(start..end);
        }
        let mut bytes = Bytes::zeroed(end)?;
        // each part read and checked on a core of its own, into its place
        let mut rest: &mut [u8] = &mut bytes;
        let mut work = Vec::with_capacity(runs.len());
        for ((&(place, offset, _, expected), range), &(.., times, _)) in
            runs.iter().zip(&parts).zip(times)
        {
            let (part, after) = rest.split_at_mut(range.len());
            rest = after;
            let times = usize::try_from(times).ok()?;
            work.push((place, offset, expected, times, std::sync::Mutex::new(part)));
        }
        let read = crate::log::par::map(&work, |(place, offset, expected, times, part)| {
            let mut part = part.lock().ok()?;
            read_exact_at(&file, &mut part, *offset).ok()?;
            // a tag is compared in constant time
            let sound =
                |part: &[u8]| Part::of(part, *place, *times).is_some_and(|part| part.sound());
            (tag(key, *place, count, &listed, [&**part]) == blake3::Hash::from_bytes(*expected)
                && sound(&part))
            .then_some(())
        });
        drop(work);
        if !read.iter().all(Option::is_some) {
            return None;
        }
        let time_parts = times
            .iter()
            .zip(runs)
            .map(|(&(_, offset, len, tag), &(.., of))| TimePart {
                offset,
                len,
                tag,
                of,
            })
            .collect();
        Some(CacheFile {
            bytes,
            parts,
            found: Found::Cache,
            file: Some(file),
            key: Some(key.clone()),
            time_parts,
            times: OnceLock::new(),
            listing: header.listing,
        })
    }

    /// What was found where the cache file is.
    pub fn found(&self) -> Found {
        self.found
    }

    /// The parts of times, read from the file the summaries were read
    /// from, each checked against its tag; read once, and `None` when
    /// they cannot be read or one fails its check.
    fn times(&self) -> Option<&TimesRead> {
        self.times
            .get_or_init(|| {
                let (file, key) = (self.file.as_ref()?, self.key.as_ref()?);
                let listed = postcard::to_stdvec(&self.listing).ok()?;
                let total: u64 = self.time_parts.iter().map(|part| part.len).sum();
                let mut bytes = vec![0; usize::try_from(total).ok()?];
                let mut parts = Vec::with_capacity(self.time_parts.len());
                // as many parts of summaries as of times
                let runs = self.time_parts.len();
                let mut at = 0;
                for (place, time_part) in self.time_parts.iter().enumerate() {
                    let part = at..at + usize::try_from(time_part.len).ok()?;
                    read_exact_at(file, &mut bytes[part.clone()], time_part.offset).ok()?;
                    let read = [time_part.of.as_slice(), &bytes[part.clone()]];
                    let tag = tag(key, runs + place, 2 * runs, &listed, read);
                    if tag != blake3::Hash::from_bytes(time_part.tag) {
                        return None;
                    }
                    at = part.end;
                    parts.push(part);
                }
                Some(TimesRead { bytes, parts })
            })
            .as_ref()
    }

    /// The cache the file holds, its summaries left in the file's parts
    /// until they are asked for: empty if its summaries are not in order.
    /// (Each part was checked in itself as it was read.)
    pub fn cache(&self) -> Cache<'_> {
        let parts: Option<Vec<Part<'_>>> = self
            .parts
            .iter()
            .enumerate()
            .zip(&self.time_parts)
            .map(|((place, range), times)| {
                Part::of(
                    &self.bytes[range.clone()],
                    place,
                    usize::try_from(times.len).ok()?,
                )
            })
            .collect();
        let entries = parts.filter(|parts| {
            parts
                .windows(2)
                .all(|pair| pair[0].id(pair[0].len() - 1) < pair[1].id(0))
        });
        // the listing stands for the entries only once they are all read
        let listing = entries.as_ref().and(self.listing);
        Cache {
            entries: entries.map(Entries::Parts).unwrap_or_default(),
            changed: false,
            file: Some(self),
            listing,
        }
    }
}

impl<'a> Cache<'a> {
    /// The cached summary of the stream of pact `id` if the stream has not
    /// changed since it was made. Where stamps can be trusted, any write
    /// changes the stream's stamp, so the summary stands only while its
    /// stamp is the one taken just now (`stamp`), and a stream with any
    /// other stamp, or none yet, is read whole. Elsewhere, it stands while
    /// the stream has its length and last line.
    fn fresh<'c>(
        cached: Option<&'c Summary<'a>>,
        store: &Store,
        id: &str,
        dir: &Dir,
        stamp: Option<Stamp>,
    ) -> Option<&'c Summary<'a>> {
        let cached = cached?;
        if dir.stamps {
            return (stamp.is_some() && stamp == cached.stamp).then_some(cached);
        }
        let (len, head) = tail_key(store, &PactId::parse(id).ok()?).ok()?;
        (len == cached.len && head.to_bytes() == cached.head).then_some(cached)
    }

    /// The summary of each stream of `ids` (the store's streams, as
    /// [`Store::ids`] lists them), or without them of each stream the
    /// cache lists ([`Cache::lists`]; if it no longer does, the store is
    /// listed, and an error listing it is the one result), handed to `f`,
    /// on every core. The cached summary is used if it is fresh: the
    /// stream's stamp, taken just before, is the one kept, or else the
    /// stream's length and last-line hash are the ones kept. Otherwise the
    /// stream is read, and the cache learns its summary. Returns what `f`
    /// made of each, in order.
    ///
    /// `f` is handed a summary whose text lives as long as the cache's
    /// file, so that what it makes can borrow it ([`Summary::id_text`],
    /// [`Summary::name_text`]).
    pub fn map<T: Send>(
        &mut self,
        store: &Store,
        ids: Option<&[PactId]>,
        f: impl Fn(&Summary<'a>) -> T + Sync,
    ) -> Vec<Result<T, Error>> {
        self.map_at(store, ids, SystemTime::now(), f)
    }

    /// [`Cache::map`], with the clock read at `now`.
    fn map_at<T: Send>(
        &mut self,
        store: &Store,
        ids: Option<&[PactId]>,
        now: SystemTime,
        f: impl Fn(&Summary<'a>) -> T + Sync,
    ) -> Vec<Result<T, Error>> {
        let dir = Dir::open(store);
        // without the streams, the entries must be those the cache listed:
        // entries forgotten since take the listing with them, and then the
        // store is listed after all
        let listed;
        let ids = match ids {
            None if self.listing.is_none() => match store.ids() {
                Ok(ids) => {
                    listed = ids;
                    Some(&listed[..])
                }
                Err(e) => return vec![Err(e)],
            },
            ids => ids,
        };
        let work = match ids {
            Some(ids) => self.align(ids),
            None => (0..self.entries.len()).map(|at| (None, Some(at))).collect(),
        };
        let entries = &self.entries;
        let done = crate::log::par::map(&work, |&(id, at)| {
            // each entry decoded here, on the core that answers with it
            let cached = at.and_then(|at| entries.get(at));
            // (an entry's id read again only where it did not decode)
            let name = match (id, &cached) {
                (Some(id), _) => id.as_str(),
                (None, Some(cached)) => &cached.id,
                (None, None) => at.and_then(|at| entries.id(at)).unwrap_or_default(),
            };
            // the stamp is taken before anything of the stream is read
            let stamp = cached.as_ref().and_then(|_| dir.stamp(name, now));
            match Cache::fresh(cached.as_deref(), store, name, &dir, stamp) {
                Some(summary) => Ok((f(summary), None)),
                None => {
                    let id = match id {
                        Some(id) => Cow::Borrowed(id),
                        None => Cow::Owned(PactId::parse(name)?),
                    };
                    // the stream folded into its summary, never held whole
                    let mut summing = Summing::default();
                    let folded = store.fold(&id, |line| {
                        summing.visit(&line);
                        Ok(())
                    });
                    folded.map(|(stream, lines)| {
                        let meta = lines.meta();
                        let stamp = dir.stamp_of(meta, now);
                        let summary = summing.finish(&stream.pact, stream.head, meta.len(), stamp);
                        (f(&summary), Some(Box::new(summary)))
                    })
                }
            }
        });
        let mut learned_any = Vec::new();
        // (in place: a value takes no more room than a value with what was
        // learned)
        let results = done
            .into_iter()
            .map(|result| {
                result.map(|(value, learned)| {
                    learned_any.extend(learned);
                    value
                })
            })
            .collect();
        for learned in learned_any {
            let entries = self.all();
            // (the streams are learned in order: into a cache that had
            // none of them, each goes after the last)
            let at = match entries.last() {
                Some(last) if last.id >= learned.id => {
                    entries.binary_search_by(|s| s.id.cmp(&learned.id))
                }
                _ => Err(entries.len()),
            };
            match at {
                Ok(at) => entries[at] = *learned,
                Err(at) => {
                    // a stream the listing did not have
                    entries.insert(at, *learned);
                    self.listing = None;
                }
            }
            self.changed = true;
        }
        results
    }

    /// The entries as one vector of summaries, to change: decoded, if
    /// they were not; any that does not decode is forgotten, so that its
    /// stream is read again, and with it the listing.
    fn all(&mut self) -> &mut Vec<Summary<'a>> {
        let (all, lost) = self.entries.gathered();
        if lost {
            self.listing = None;
            self.changed = true;
        }
        all
    }

    /// Each of `ids` with the place of its entry, if it has one: the
    /// entries and, nearly always, the ids are in order, so one walk
    /// through both pairs them.
    fn align<'i>(&self, ids: &'i [PactId]) -> Vec<(Option<&'i PactId>, Option<usize>)> {
        let mut entries = self.entries.ids().enumerate().peekable();
        let mut last: Option<&PactId> = None;
        ids.iter()
            .map(|id| {
                if last.is_some_and(|last| last > id) {
                    // out of order: look it up
                    return (Some(id), self.position(id).ok());
                }
                last = Some(id);
                while entries.next_if(|(_, e)| *e < id.as_str()).is_some() {}
                let at = entries.next_if(|(_, e)| *e == id.as_str());
                (Some(id), at.map(|(at, _)| at))
            })
            .collect()
    }

    /// Where the entry of `id` is, or would be.
    fn position(&self, id: &PactId) -> Result<usize, usize> {
        self.entries.position(id.as_str())
    }

    /// The entry of `id`, if there is one that decodes.
    fn get(&self, id: &PactId) -> Option<Cow<'_, Summary<'a>>> {
        self.position(id).ok().and_then(|at| self.entries.get(at))
    }

    /// Whether the entries are of exactly the streams of `ids`, in order.
    fn of_streams(&self, ids: &[PactId]) -> bool {
        self.entries.len() == ids.len()
            && self
                .entries
                .ids()
                .zip(ids)
                .all(|(entry, id)| entry == id.as_str())
    }

    /// Forgets the entries of streams that are gone: `ids` are the store's
    /// streams, in order, as [`Store::ids`] gives them.
    pub fn retain(&mut self, ids: &[PactId]) {
        if !self.of_streams(ids) {
            let all = self.all();
            let before = all.len();
            all.retain(|s| ids.binary_search_by(|id| id.as_str().cmp(&s.id)).is_ok());
            if all.len() != before {
                self.changed = true;
                self.listing = None;
            }
        }
    }

    /// Whether the entries are of the store's streams, as [`Cache::map`]
    /// answers for them without being told: the store directory's stamp
    /// is `now` (see [`listing_stamp`]) and the entries are of the streams
    /// listed when it had that stamp, so that nothing was created in the
    /// directory, removed or renamed since, and listing it again would
    /// find the same streams.
    pub fn lists(&self, now: Option<Stamp>) -> bool {
        now.is_some() && now == self.listing
    }

    /// The store's streams, from the entries, when they are the streams
    /// listed while the store directory had the stamp `now`
    /// ([`Cache::lists`]); `None` when the store must be listed.
    pub fn listed_ids(&self, now: Option<Stamp>) -> Option<Vec<PactId>> {
        if !self.lists(now) {
            return None;
        }
        // every id was a stream's name when written, under the key
        self.entries
            .ids()
            .map(|id| PactId::parse(id).ok())
            .collect()
    }

    /// Notes that the entries are of the streams of `ids`, listed when the
    /// store directory had the stamp `listing` (taken before listing it),
    /// so that while it keeps that stamp the next command need not list it
    /// again. Nothing is noted for a directory with no settled stamp, or
    /// entries not of those streams.
    pub fn listed(&mut self, ids: &[PactId], listing: Option<Stamp>) {
        if listing.is_some() && listing != self.listing && self.of_streams(ids) {
            self.listing = listing;
            self.changed = true;
        }
    }

    /// Reads the recording times of the entries read from the cache file,
    /// which only a question as of a time asks for (and writing the cache
    /// back); `false` when they cannot be read, or a part of them fails its
    /// check: then every entry read from the file is forgotten, so that its
    /// stream is read again, and the file is no cache to trust. So too
    /// when an entry does not decode.
    pub fn read_times(&mut self) -> bool {
        let unread = |s: &Summary<'_>| matches!(s.steps.times, Times::Elsewhere { .. });
        let before = self.entries.len();
        let file = self.file;
        let all = self.all();
        if !all.iter().any(unread) {
            return all.len() == before;
        }
        // each summary's times were found to take up their place in their
        // part as it was decoded
        let times = file.and_then(CacheFile::times);
        all.retain_mut(|summary| {
            let Times::Elsewhere { part, at } = summary.steps.times else {
                return true;
            };
            let found = times.and_then(|times| {
                let part = times.parts.get(part)?;
                let len = summary.steps.len * TIME;
                times.bytes[part.clone()].get(at..at.checked_add(len)?)
            });
            if let Some(found) = found {
                summary.steps.times = Times::Here(Cow::Borrowed(found));
            }
            found.is_some()
        });
        let kept = all.len() == before;
        if !kept {
            self.changed = true;
            self.listing = None;
        }
        kept
    }

    /// Writes the cache back if it changed. Where it notes the store's
    /// listing, over the cache file, in place, when that is a regular file
    /// of this user's with no other name, so that the store directory is
    /// left as it was and the listing stands; it is written under a lock
    /// that no reader shares, and not at all while another command reads
    /// or writes it. Otherwise to a temporary file, created exclusively
    /// under a fresh name, renamed over the old one (or over whatever else
    /// had its name). A cache that cannot be written is no error: it is
    /// only a shortcut. Without a key, none is written.
    pub fn save(mut self, store: &Store) {
        if !self.changed || key::get().is_none() {
            return;
        }
        self.read_times();
        // what was read is read: this command's own lock is let go
        if let Some(file) = self.file.and_then(|file| file.file.as_ref()) {
            let _ = lock(file, Lock::None);
        }
        let in_place = match self.listing {
            Some(_) => open_in_place(store),
            None => Err(InPlace::Not),
        };
        match in_place {
            Ok(file) => {
                let listing = self.listing;
                let written = encode(self.all(), listing, &mut BufWriter::new(&file))
                    .and_then(|()| (&file).stream_position().ok());
                // a cache cut short is one whose tags fail: none is left
                let _ = file.set_len(written.unwrap_or(0));
            }
            Err(InPlace::Busy) => {}
            Err(InPlace::Not) => {
                // a temporary file not put in place is removed when dropped
                let Ok(mut temp) = files::temp_file(store.dir(), &format!("{FILE}."), ".tmp")
                else {
                    return;
                };
                let listing = self.listing;
                let written = {
                    let mut out = BufWriter::new(temp.as_file_mut());
                    encode(self.all(), listing, &mut out)
                };
                if written.is_some() {
                    let _ = temp.persist(store.dir().join(FILE));
                }
            }
        }
    }
}

/// Why a cache file is not written over in place.
enum InPlace {
    /// Another command is reading it or writing it: this one's learning
    /// is left to the next command.
    Busy,
    /// There is none, or it is not one to write through: it is replaced.
    Not,
}

/// The store's cache file, open to be written over in place, and locked
/// against any other command doing the same: only a regular file of this
/// user's, with no other name, so that nothing but the cache is written.
#[cfg(unix)]
fn open_in_place(store: &Store) -> Result<File, InPlace> {
    use std::os::unix::fs::MetadataExt;
    let path = store.dir().join(FILE);
    let file = files::open_regular(&path, OpenOptions::new().read(true).write(true))
        .map_err(|_| InPlace::Not)?;
    let meta = file.metadata().map_err(|_| InPlace::Not)?;
    if meta.nlink() != 1 || meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(InPlace::Not);
    }
    let locked = lock(&file, Lock::Alone);
    if held(&locked) {
        return Err(InPlace::Busy);
    }
    // where there are no locks, nothing is written over unlocked
    locked.map(|()| file).map_err(|_| InPlace::Not)
}

/// The lock a command takes on the cache file.
enum Lock {
    /// To read it: shared with other readers, never with a writer.
    Shared,
    /// To write it over in place: held alone.
    Alone,
    /// None: a lock held is let go.
    None,
}

/// Takes `lock` on the cache file `file`, without waiting for another
/// command's.
///
/// # Errors
///
/// When it was not taken: another command holds a lock that bars it
/// ([`held`]), or the file system has no such locks (then nothing is
/// written over in place, and a reader reads as ever).
fn lock(file: &File, lock: Lock) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use rustix::fs::{FlockOperation, flock};
        let operation = match lock {
            Lock::Shared => FlockOperation::NonBlockingLockShared,
            Lock::Alone => FlockOperation::NonBlockingLockExclusive,
            Lock::None => FlockOperation::NonBlockingUnlock,
        };
        Ok(flock(file, operation)?)
    }
    #[cfg(not(unix))]
    {
        let _ = (file, lock);
        Ok(())
    }
}

/// Whether a [`lock`] failed because another command holds one.
fn held(locked: &std::io::Result<()>) -> bool {
    locked
        .as_ref()
        .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock)
}

#[cfg(not(unix))]
fn open_in_place(_: &Store) -> Result<File, InPlace> {
    Err(InPlace::Not)
}

/// The store directory's stamp, to be compared with the one a cache noted
/// its streams were listed at ([`Cache::listed_ids`]) and noted with a new
/// listing ([`Cache::listed`]): `None` where stamps cannot be trusted, or
/// the directory changed too recently for its stamp to be.
pub fn listing_stamp(store: &Store) -> Option<Stamp> {
    Dir::open(store).listing(SystemTime::now())
}

/// Reads `buf.len()` bytes at `offset`, without moving the file's position.
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(mut file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset))?;
    std::io::Read::read_exact(&mut file, buf)
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
    use std::borrow::Cow;
    use std::fs;

    use chrono::NaiveDate;

    use super::*;
    use crate::replay::cache::steps::{STEP, Step, Steps};

    #[test]
    fn a_cache_claiming_a_huge_part_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        for claimed in [64 << 30, PART_MAX + 1] {
            let header = Header {
                version: VERSION,
                listing: None,
                parts: vec![(claimed, [0; 32]), (0, [0; 32])],
            };
            let bytes = postcard::to_stdvec(&header).unwrap();
            fs::write(&path, &bytes).unwrap();
            // as long as it claims to be, without taking the space
            let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.set_len(bytes.len() as u64 + claimed).unwrap();
            drop(file);
            assert!(CacheFile::read_keyed(File::open(&path).unwrap(), &KEY).is_none());
        }
    }

    /// The step of [`summary`].
    fn step() -> Step {
        Step {
            on: 700_000,
            date: 0,
            status: Status::InForce,
            reported: false,
            forced: false,
            recorded: 1,
        }
    }

    /// A summary of the pact `id` with one step.
    pub(super) fn summary(id: &str) -> Summary<'static> {
        let step = step();
        Summary {
            id: Cow::Owned(id.to_owned()),
            name: Cow::Borrowed("P"),
            len: 1,
            head: [7; 32],
            stamp: None,
            registered: 0,
            steps: Steps::of([step].iter()),
            retracted: vec![],
            confirmed: vec![],
        }
    }

    /// The key these tests write and read caches under.
    const KEY: Key = Key([9; 32]);

    /// The bytes of the cache file of `summaries`, under `key`.
    fn encoded(summaries: &[Summary<'_>], key: &Key) -> Vec<u8> {
        let mut bytes = Vec::new();
        encode_keyed(summaries, None, key, &mut bytes).unwrap();
        bytes
    }

    /// The cache file `bytes`, read back under `key`, times and all.
    fn read_back(bytes: &[u8], key: &Key) -> Option<CacheFile> {
        read_back_without_times(bytes, key).filter(|file| file.times().is_some())
    }

    /// The cache file `bytes`, read back under `key` as a `list` as of now
    /// reads it: its times not yet.
    fn read_back_without_times(bytes: &[u8], key: &Key) -> Option<CacheFile> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        fs::write(&path, bytes).unwrap();
        CacheFile::read_keyed(File::open(&path).unwrap(), key)
    }

    /// The summaries of `file`, with their times.
    fn loaded(file: &CacheFile) -> Vec<Summary<'_>> {
        let mut cache = file.cache();
        cache.read_times();
        cache.all().clone()
    }

    /// The cache file written of `summaries`, read back.
    fn written(summaries: &[Summary<'_>]) -> Option<CacheFile> {
        read_back(&encoded(summaries, &KEY), &KEY)
    }

    #[test]
    fn the_listing_noted_stands_only_while_the_directory_and_the_entries_keep_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let later = || SystemTime::now() + stamp::SETTLED + std::time::Duration::from_secs(1);
        let Some(listing) = Dir::open(&store).listing(later()) else {
            eprintln!("skipped: the cache keeps no stamps on this file system");
            return;
        };
        let ids = [PactId::parse("p").unwrap(), PactId::parse("q").unwrap()];
        let mut cache = Cache {
            entries: Entries::Decoded(vec![summary("p"), summary("q")]),
            ..Cache::default()
        };
        // noted only for the streams the entries are of, and a stamp
        cache.listed(&ids[..1], Some(listing));
        cache.listed(&ids, None);
        assert!(!cache.changed);
        assert_eq!(cache.listed_ids(Some(listing)), None);
        cache.listed(&ids, Some(listing));
        assert!(cache.changed, "a listing noted is written");

        // written and read back under its tags
        let mut bytes = Vec::new();
        encode_keyed(cache.all(), Some(listing), &KEY, &mut bytes).unwrap();
        let file = read_back(&bytes, &KEY).unwrap();
        let mut read = file.cache();
        assert_eq!(read.listed_ids(Some(listing)), Some(ids.to_vec()));
        assert_eq!(read.listed_ids(None), None, "a stamp not settled");

        // a file created in the directory since gives it another stamp
        fs::write(dir.path().join("r.jsonl"), "").unwrap();
        let now = Dir::open(&store).listing(later());
        assert!(now.is_some() && now != Some(listing));
        assert_eq!(read.listed_ids(now), None);

        // a header claiming that stamp instead fails the tags
        let (mut header, body) = postcard::take_from_bytes::<Header>(&bytes).unwrap();
        header.listing = now;
        let mut forged = postcard::to_stdvec(&header).unwrap();
        forged.extend_from_slice(body);
        assert!(read_back_without_times(&forged, &KEY).is_none());

        // an entry forgotten: the entries are no longer those listed
        read.retain(&ids[..1]);
        assert_eq!(read.listed_ids(Some(listing)), None);
        assert_eq!(read.listing, None, "nor written back");
    }

    /// A settled stamp of a fresh directory, and the directory; `None`
    /// where the cache keeps no stamps.
    fn a_listing() -> Option<(Stamp, tempfile::TempDir)> {
        let dir = tempfile::tempdir().unwrap();
        let later = SystemTime::now() + stamp::SETTLED + std::time::Duration::from_secs(1);
        let listing = Dir::open(&Store::new(dir.path())).listing(later)?;
        Some((listing, dir))
    }

    #[test]
    fn recording_times_that_fail_their_tags_take_the_listing_with_the_entries() {
        let Some((listing, _dir)) = a_listing() else {
            eprintln!("skipped: the cache keeps no stamps on this file system");
            return;
        };
        let ids = [PactId::parse("p").unwrap(), PactId::parse("q").unwrap()];
        let mut bytes = Vec::new();
        encode_keyed(
            &[summary("p"), summary("q")],
            Some(listing),
            &KEY,
            &mut bytes,
        )
        .unwrap();
        // the last byte is a recording time's
        *bytes.last_mut().unwrap() ^= 1;
        let file = read_back_without_times(&bytes, &KEY).expect("the summaries are sound");
        let mut cache = file.cache();
        assert_eq!(cache.listed_ids(Some(listing)), Some(ids.to_vec()));
        assert!(!cache.read_times());
        assert_eq!(cache.entries.len(), 0);
        // written back, it notes no listing for the entries it lost
        assert_eq!(cache.listing, None);
        assert_eq!(cache.listed_ids(Some(listing)), None);
    }

    #[test]
    fn a_cache_of_no_parts_notes_no_listing() {
        let Some((listing, _dir)) = a_listing() else {
            eprintln!("skipped: the cache keeps no stamps on this file system");
            return;
        };
        // an empty store's cache has no part to authenticate one
        let mut bytes = Vec::new();
        encode_keyed(&[], Some(listing), &KEY, &mut bytes).unwrap();
        let (header, _) = postcard::take_from_bytes::<Header>(&bytes).unwrap();
        assert_eq!((header.parts.len(), header.listing), (0, None));
        assert!(read_back_without_times(&bytes, &KEY).is_some());
        // and a file claiming one without parts is not read: no key is
        // needed to write it
        let forged = postcard::to_stdvec(&Header {
            version: VERSION,
            listing: Some(listing),
            parts: vec![],
        })
        .unwrap();
        assert!(read_back_without_times(&forged, &KEY).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_being_written_over_is_not_read_and_one_being_read_is_not_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let path = dir.path().join(FILE);
        fs::write(&path, encoded(&[summary("p")], &KEY)).unwrap();
        let other = File::open(&path).unwrap();

        // another command writing it over
        lock(&other, Lock::Alone).unwrap();
        assert!(matches!(
            CacheFile::open(&store).opened,
            Err(Found::Nothing)
        ));
        lock(&other, Lock::None).unwrap();
        assert!(!matches!(
            CacheFile::open(&store).opened,
            Err(Found::Nothing)
        ));

        // another command reading it
        lock(&other, Lock::Shared).unwrap();
        assert!(matches!(open_in_place(&store), Err(InPlace::Busy)));
        lock(&other, Lock::None).unwrap();
        assert!(open_in_place(&store).is_ok());
    }

    #[test]
    fn a_cache_is_read_only_under_the_key_it_was_written_under_and_unchanged() {
        let summaries = [summary("a"), summary("b")];
        let bytes = encoded(&summaries, &KEY);
        let read = read_back(&bytes, &KEY).unwrap();
        assert_eq!(read.found(), Found::Cache);
        assert_eq!(loaded(&read), summaries);
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
        let (header, body) = postcard::take_from_bytes::<Header>(&bytes).unwrap();
        assert_eq!(
            header.parts.len(),
            2 * PARTS,
            "parts of summaries, then of times"
        );
        // where each part begins in the body
        let starts: Vec<usize> = header
            .parts
            .iter()
            .scan(0, |at, part| {
                *at += part.0 as usize;
                Some(*at - part.0 as usize)
            })
            .collect();
        let part = |n: usize| &body[starts[n]..starts[n] + header.parts[n].0 as usize];
        // the file with the parts `order` in that order
        let made = |order: &[usize]| {
            let parts = order.iter().map(|&n| header.parts[n]).collect();
            let mut bytes = postcard::to_stdvec(&Header {
                version: VERSION,
                listing: None,
                parts,
            })
            .unwrap();
            order.iter().for_each(|&n| bytes.extend_from_slice(part(n)));
            bytes
        };
        let all: Vec<usize> = (0..2 * PARTS).collect();
        assert!(read_back(&made(&all), &KEY).is_some(), "as written");
        for (a, b) in [(0, 1), (PARTS, PARTS + 1)] {
            let mut swapped = all.clone();
            swapped.swap(a, b);
            assert!(
                read_back(&made(&swapped), &KEY).is_none(),
                "parts {a} and {b} swapped"
            );
        }
        assert!(
            read_back(&made(&[0, PARTS]), &KEY).is_none(),
            "parts left out"
        );
    }

    #[test]
    fn times_from_another_cache_file_under_the_same_key_are_not_read() {
        // two caches of the same pact, of the same shape: one status,
        // recorded at another time, so another head
        let mut then = summary("p");
        then.steps = Steps::of(
            [Step {
                recorded: 2,
                ..step()
            }]
            .iter(),
        );
        then.head = [8; 32];
        let now = encoded(&[summary("p")], &KEY);
        let other = encoded(&[then], &KEY);
        let (header, body) = postcard::take_from_bytes::<Header>(&now).unwrap();
        let (theirs, their_body) = postcard::take_from_bytes::<Header>(&other).unwrap();
        assert_eq!(header.parts.len(), 2);
        assert_eq!(
            (header.parts[1].0, theirs.parts[1].0),
            (8, 8),
            "times alike in shape"
        );
        // this file's summaries, with the other's times and their tag
        let summaries = header.parts[0].0 as usize;
        let spliced_header = Header {
            version: VERSION,
            listing: None,
            parts: vec![header.parts[0], theirs.parts[1]],
        };
        let mut spliced = postcard::to_stdvec(&spliced_header).unwrap();
        spliced.extend_from_slice(&body[..summaries]);
        spliced.extend_from_slice(&their_body[their_body.len() - 8..]);
        assert!(read_back(&now, &KEY).is_some());
        let file = read_back_without_times(&spliced, &KEY).expect("its summaries are its own");
        assert!(file.times().is_none(), "the other file's times are refused");
        let mut cache = file.cache();
        assert!(!cache.read_times());
        assert_eq!(cache.entries.len(), 0);
    }

    #[test]
    fn times_are_read_only_when_asked_for_and_an_entry_without_them_is_forgotten() {
        let summaries = [summary("a"), summary("b")];
        let bytes = encoded(&summaries, &KEY);
        // the last byte is one of the last summary's times
        let mut damaged = bytes.clone();
        *damaged.last_mut().unwrap() ^= 0x01;
        let file = read_back_without_times(&damaged, &KEY).unwrap();
        let mut cache = file.cache();
        assert_eq!(
            cache.entries.len(),
            2,
            "the summaries are read without their times"
        );
        let on = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let answer = |cache: &Cache<'_>| cache.entries.get(0).unwrap().status_on(on, None);
        let expected = summaries[0].status_on(on, None);
        assert!(expected.0.is_some(), "in force by then");
        assert_eq!(answer(&cache), expected);
        assert!(
            file.times.get().is_none(),
            "and no time is read for an answer as of now"
        );
        assert!(!cache.read_times());
        assert_eq!(
            cache.entries.len(),
            0,
            "times that fail their tag: every entry read again"
        );
        assert!(cache.changed);
        // read whole, every entry has its times
        let file = read_back_without_times(&bytes, &KEY).unwrap();
        let mut cache = file.cache();
        assert!(cache.read_times());
        assert_eq!(*cache.all(), summaries);
        assert!(!cache.changed);
    }

    #[test]
    fn a_cache_whose_parts_do_not_add_up_or_are_zeros_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        // how many summaries the file `parts` (each with its tag) and
        // `body` has, if it is read
        let read = |parts: &[&[u8]], body: &[u8]| {
            let count = parts.len();
            let mut tags: Vec<(u64, [u8; 32])> = Vec::new();
            for (at, &part) in parts.iter().enumerate() {
                // a part of times is bound to its part of summaries
                let of = at
                    .checked_sub(count / 2)
                    .and_then(|run| tags.get(run))
                    .map(|run| run.1);
                let pieces = of.iter().map(<[u8; 32]>::as_slice).chain([part]);
                tags.push((
                    part.len() as u64,
                    *tag(&KEY, at, count, &[0], pieces).as_bytes(),
                ));
            }
            let parts = tags;
            let mut bytes = postcard::to_stdvec(&Header {
                version: VERSION,
                listing: None,
                parts,
            })
            .unwrap();
            bytes.extend_from_slice(body);
            fs::write(&path, bytes).unwrap();
            CacheFile::read_keyed(File::open(&path).unwrap(), &KEY).map(|file| loaded(&file).len())
        };
        let part_of = |summaries: &[Summary<'_>]| {
            let mut bytes = Vec::new();
            entries::write_part(summaries, &mut bytes).unwrap();
            bytes
        };
        let part = part_of(&[summary("p")]);
        let time = 1_i64.to_le_bytes();
        let both = [part.as_slice(), &time].concat();
        assert_eq!(
            read(&[&part, &time], &both),
            Some(1),
            "as pactlog writes it"
        );
        // as many parts as are written, a pact in each
        let runs: Vec<Vec<u8>> = (0..PARTS)
            .map(|i| part_of(&[summary(&format!("p{i:02}"))]))
            .collect();
        let parts: Vec<&[u8]> = runs
            .iter()
            .map(Vec::as_slice)
            .chain([time.as_slice(); PARTS])
            .collect();
        assert_eq!(read(&parts, &parts.concat()), Some(PARTS));
        // each part within the limit, but more than the file holds
        assert_eq!(read(&[&part, &part, &time, &time], &both), None);
        let parts = [[part.as_slice(); PARTS + 1], [time.as_slice(); PARTS + 1]].concat();
        let body = [part.repeat(PARTS + 1), time.repeat(PARTS + 1)].concat();
        assert_eq!(read(&parts, &body), None, "more parts than are written");
        assert_eq!(
            read(&[&part], &part),
            None,
            "a part of summaries without its times"
        );
        // times that are not the summaries': the cache is not used
        let times = [time, time].concat();
        let longer = [part.as_slice(), &times].concat();
        assert_eq!(read(&[&part, &times], &longer), Some(0));
        // zeros, with their tag, as a hole in a sparse file reads
        let zeros = vec![0; part.len()];
        let body = [zeros.as_slice(), &time].concat();
        assert_eq!(read(&[&zeros, &time], &body), None);
    }

    #[test]
    fn a_cache_of_more_than_a_huge_page_is_read_into_memory_of_its_own_whole() {
        let small = Bytes::zeroed(10).unwrap();
        assert!(matches!(small, Bytes::Heap(_)) && *small == [0; 10]);
        let mut large = Bytes::zeroed(HUGE + 1).unwrap();
        assert!(matches!(large, Bytes::Mapped(..)));
        assert_eq!(large.len(), HUGE + 1);
        assert!(large.iter().all(|&b| b == 0));
        large[HUGE] = 1;
        assert_eq!(large[HUGE], 1);
        // a file whose parts take more than a huge page reads back as written
        let summaries: Vec<_> = (0..40_000).map(|i| summary(&format!("p{i:05}"))).collect();
        let bytes = encoded(&summaries, &KEY);
        assert!(bytes.len() > HUGE);
        let file = read_back(&bytes, &KEY).unwrap();
        assert!(matches!(file.bytes, Bytes::Mapped(..)));
        assert_eq!(loaded(&file), summaries);
    }

    #[test]
    fn summaries_out_of_order_leave_the_cache_empty_and_one_that_does_not_decode_is_not_used() {
        let entries = |summaries: &[Summary<'_>]| written(summaries).unwrap().cache().entries.len();
        assert_eq!(entries(&[summary("a"), summary("b")]), 2);
        assert_eq!(entries(&[summary("b"), summary("a")]), 0, "out of order");
        let mut torn = summary("b");
        torn.steps.bytes = Cow::Owned(vec![0; STEP + 1]);
        let mut unknown = summary("b");
        unknown.steps.bytes.to_mut()[4] = Status::ALL.len() as u8;
        for (broken, why) in [
            (torn, "steps that are not whole"),
            (unknown, "a status byte that names none"),
        ] {
            let file = written(&[summary("a"), broken, summary("c")]).unwrap();
            let mut cache = file.cache();
            assert!(cache.entries.get(0).is_some() && cache.entries.get(2).is_some());
            assert!(cache.entries.get(1).is_none(), "{why}");
            // the file is no cache to trust: what does not decode is
            // forgotten, and the listing with it
            assert!(!cache.read_times(), "{why}");
            let kept: Vec<Summary<'_>> = cache.all().clone();
            assert_eq!(kept, [summary("a"), summary("c")], "{why}");
            assert!(cache.changed && cache.listing.is_none(), "{why}");
        }
    }

    #[test]
    fn a_cache_that_no_longer_lists_the_streams_has_the_store_listed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        for id in ["p", "q"] {
            let id = PactId::parse(id).unwrap();
            let pact = crate::Pact::named(id.clone(), "P");
            let registered = |_: &_| Ok(crate::EventBody::Registered(pact));
            store.create(&id, chrono::Utc::now(), registered).unwrap();
        }
        // a cache of one stream's entry, noting no listing: asked for the
        // streams it lists, it lists the store
        let mut cache = Cache {
            entries: Entries::Decoded(vec![summary("p")]),
            ..Cache::default()
        };
        let answered = cache.map(&store, None, |s| s.id_text().into_owned());
        let answered: Vec<String> = answered.into_iter().map(Result::unwrap).collect();
        assert_eq!(answered, ["p", "q"]);
    }

    #[test]
    fn an_entry_replaced_or_removed_leaves_the_others_and_their_times() {
        // three summaries a part: one replaced and one removed beside one
        // kept in the same part, and whole parts untouched
        let id = |i: usize| format!("p{i:02}");
        let summaries: Vec<_> = (0..40).map(|i| summary(&id(i))).collect();
        let file = written(&summaries).unwrap();
        let mut cache = file.cache();
        let mut learned = summary(&id(4));
        learned.head = [8; 32];
        cache.all()[4] = learned.clone();
        let ids: Vec<PactId> = (0..40)
            .filter(|&i| i != 5)
            .map(|i| PactId::parse(&id(i)).unwrap())
            .collect();
        cache.retain(&ids);
        assert!(cache.read_times(), "the others' times are theirs still");
        let mut expected = summaries.clone();
        expected[4] = learned;
        expected.remove(5);
        assert_eq!(*cache.all(), expected);
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
                confirmed: vec![(0, 3, 9)],
            };
            let file = written(std::slice::from_ref(&summary)).unwrap();
            let read = loaded(&file);
            proptest::prop_assert!(matches!(read[0].steps.bytes, Cow::Borrowed(_)));
            proptest::prop_assert!(matches!(read[0].steps.times, Times::Here(Cow::Borrowed(_))));
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
        /// notes, retractions, amendments, events sharing a recorded time,
        /// and lines a git merge re-linked, recorded before lines above
        /// them), the summary folded from a stream's lines, written to a
        /// cache file and read back, gives on every date, as of every
        /// recorded time (and before the pact was registered), what the
        /// timeline of the events recorded by then gives.
        #[test]
        fn the_cache_answers_as_a_replay_does(
            steps in proptest::collection::vec(
                (0_u8..5, 0_u16..40, 0_usize..10, proptest::bool::ANY, proptest::num::usize::ANY),
                // past 64 lines, so that lines are counted across words of bits
                0..160,
            ),
            merge in proptest::option::of((0_usize..160, proptest::collection::vec(0_u16..90, 1..6))),
        ) {
            use chrono::TimeDelta;

            use crate::log::stream::{Stream, fold};
            use crate::model::event::Event;
            use crate::replay::{Timeline, as_of};

            let bytes = match &merge {
                None => crate::replay::tests::stream(&steps),
                Some((kept, times)) => crate::replay::tests::merged(&steps, (*kept, times)),
            };
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
            summing.walk(|line, on, status, forced, _| walked.push((line as u64, on, status, forced)));
            let timeline: Vec<_> = Timeline::new(&events)
                .entries()
                .iter()
                .map(|e| (e.event.seq, e.on(), e.status(), e.forced()))
                .collect();
            proptest::prop_assert_eq!(walked, timeline);
            // the summary `list` keeps, as it folds it
            let summary = Summary::fold(&id, bytes.as_slice()).unwrap();
            let file = written(std::slice::from_ref(&summary)).unwrap();
            let cached = &loaded(&file)[0];

            let start = events[0].recorded;
            let times = events.iter().map(|e| Some(e.recorded));
            let before = Some(start - TimeDelta::seconds(1));
            for at in [None, before].into_iter().chain(times) {
                let recorded = as_of(&events, at);
                proptest::prop_assert_eq!(cached.registered_by(at), !recorded.is_empty());
                let timeline = Timeline::new(recorded.iter());
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
