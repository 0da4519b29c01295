//! The derived cache: each stream's replayed timeline, kept beside the
//! streams so that questions about every pact need not re-read a whole
//! store.
//!
//! It lives in `DIR/.pactlog-cache` (never a stream: it does not end in
//! `.jsonl`), holds for each stream a [`Summary`] keyed on the stream file's
//! length and head hash, and is only ever a shortcut: an entry whose stream
//! no longer has that length and head is recomputed from the stream, a
//! cache that cannot be read is rebuilt, and deleting it changes no answer.
//! It is replaced whole, by a rename, so concurrent readers and writers see
//! either the old file or the new one; any entry either holds is checked
//! against its stream before use.
//!
//! What the key cannot see: an edit in the middle of a stream that keeps
//! its length and its last line. `verify` reads every line and always finds
//! that; the cache trusts that a stream whose length and head it has seen
//! was checked whole when its entry was made.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
#[cfg(not(unix))]
use std::io::{Read, Seek, SeekFrom};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::event::{Fact, Hash, What};
use crate::pact::PactId;
use crate::status::Status;
use crate::store::Store;
use crate::stream::{MAX_LINE, Stream};

/// The cache file's name in the store directory.
pub const FILE: &str = ".pactlog-cache";
/// Bumped whenever [`Summary`] changes shape: an older cache is rebuilt.
const VERSION: u32 = 3;

/// What a whole-store question needs of one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The pact.
    pub id: PactId,
    /// Its name.
    pub name: String,
    /// The stream file's length in bytes: half of the key.
    pub len: u64,
    /// The stream's head hash: the other half.
    pub head: [u8; 32],
    /// When the pact was registered.
    #[serde(with = "micros")]
    pub registered: DateTime<Utc>,
    /// Every status event ever recorded, in timeline order.
    pub steps: Vec<Step>,
    /// The seqs of the status events that a retraction withdrew, with the
    /// time of the retraction (microseconds since 1970, UTC).
    pub retracted: Vec<(u32, i64)>,
}

/// One status event of a [`Summary`], in 24 bytes: a million of them fit
/// in a few tens of megabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// When it was recorded, in microseconds since 1970 (UTC).
    pub recorded: i64,
    /// The event's seq.
    pub seq: u32,
    /// The effective date.
    #[serde(with = "days")]
    pub on: NaiveDate,
    /// The status.
    pub status: Status,
}

// The cache stores dates and times as integers: compact, and quick to read
// back (a million steps are a few megabytes).
mod days {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(d.num_days_from_ce())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let days = i32::deserialize(d)?;
        NaiveDate::from_num_days_from_ce_opt(days)
            .ok_or_else(|| serde::de::Error::custom("a day out of range"))
    }
}

mod micros {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(t.timestamp_micros())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let micros = i64::deserialize(d)?;
        DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| serde::de::Error::custom("a time out of range"))
    }
}

impl Summary {
    /// The summary of a stream that was read and checked whole, `len` bytes
    /// long.
    pub fn of(stream: &Stream<Fact>, len: u64) -> Summary {
        // a stream of more than four billion events is not one pactlog can
        // read in the first place
        let seq = |seq: u64| u32::try_from(seq).unwrap_or(u32::MAX);
        let retracted_at: HashMap<uuid::Uuid, i64> = stream
            .events
            .iter()
            .filter_map(|e| match e.what {
                What::Retraction { target } => Some((target, e.recorded.timestamp_micros())),
                _ => None,
            })
            .collect();
        let mut steps = Vec::with_capacity(stream.events.len());
        let mut retracted = Vec::new();
        for event in &stream.events {
            // every status event, retracted ones included
            if let What::Status { status, on, .. } = event.what {
                steps.push(Step {
                    on,
                    seq: seq(event.seq),
                    status,
                    recorded: event.recorded.timestamp_micros(),
                });
                if let Some(&at) = retracted_at.get(&event.id) {
                    retracted.push((seq(event.seq), at));
                }
            }
        }
        steps.sort_by_key(|s| (s.on, s.seq));
        steps.shrink_to_fit();
        Summary {
            id: stream.pact.id.clone(),
            name: stream.pact.name.clone(),
            len,
            head: stream.head.to_bytes(),
            registered: stream
                .events
                .first()
                .map_or(DateTime::<Utc>::MIN_UTC, |e| e.recorded),
            steps,
            retracted,
        }
    }

    /// The head hash.
    pub fn head(&self) -> Hash {
        Hash::from_bytes(self.head)
    }

    /// Whether the pact was registered by `as_of` (always, without one).
    pub fn registered_by(&self, as_of: Option<DateTime<Utc>>) -> bool {
        as_of.is_none_or(|t| self.registered <= t)
    }

    /// The status on `on` and since when, as the record stood at `as_of`:
    /// the last step by (date, seq) effective by then, recorded by `as_of`
    /// and not retracted by it.
    pub fn status_on(
        &self,
        on: NaiveDate,
        as_of: Option<DateTime<Utc>>,
    ) -> Option<(Status, NaiveDate)> {
        let at = as_of.map_or(i64::MAX, |t| t.timestamp_micros());
        let retracted_by = |seq: u32| {
            self.retracted
                .iter()
                .any(|&(target, when)| target == seq && when <= at)
        };
        let visible = |s: &&Step| s.recorded <= at && !retracted_by(s.seq);
        let end = self.steps.partition_point(|s| s.on <= on);
        self.steps[..end]
            .iter()
            .rev()
            .find(visible)
            .map(|s| (s.status, s.on))
    }
}

/// The cache as loaded: summaries by pact, and whether any changed.
#[derive(Debug, Default)]
pub struct Cache {
    entries: HashMap<PactId, Summary>,
    changed: bool,
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    summaries: Vec<Summary>,
}

impl Cache {
    /// Loads the store's cache; an absent, unreadable or older one is an
    /// empty cache.
    pub fn load(store: &Store) -> Cache {
        let path = store.dir().join(FILE);
        let entries = fs::read(&path)
            .ok()
            .and_then(|bytes| postcard::from_bytes::<CacheFile>(&bytes).ok())
            .filter(|file| file.version == VERSION)
            .map(|file| {
                file.summaries
                    .into_iter()
                    .map(|s| (s.id.clone(), s))
                    .collect()
            })
            .unwrap_or_default();
        Cache {
            entries,
            changed: false,
        }
    }

    /// The cached summary of `id` if the stream still has its length and
    /// head: checked by reading only the stream's last line.
    pub fn fresh(&self, store: &Store, id: &PactId) -> Option<&Summary> {
        let cached = self.entries.get(id)?;
        let (len, head) = tail_key(store, id).ok()?;
        (len == cached.len && head.to_bytes() == cached.head).then_some(cached)
    }

    /// The summary of each stream of `ids`, fresh from the cache or read from
    /// the stream, handed to `f` on every core; the cache learns the
    /// summaries it lacked. Returns what `f` made of each, in order.
    pub fn map<T: Send>(
        &mut self,
        store: &Store,
        ids: &[PactId],
        f: impl Fn(&Summary) -> T + Sync,
    ) -> Vec<Result<T, Error>> {
        let this = &*self;
        let done = crate::par::map(ids, |id| match this.fresh(store, id) {
            Some(summary) => Ok((f(summary), None)),
            None => store.read_facts(id).map(|(stream, len)| {
                let summary = Summary::of(&stream, len);
                (f(&summary), Some(summary))
            }),
        });
        let mut results = Vec::with_capacity(done.len());
        for result in done {
            results.push(result.map(|(value, computed)| {
                if let Some(summary) = computed {
                    self.entries.insert(summary.id.clone(), summary);
                    self.changed = true;
                }
                value
            }));
        }
        results
    }

    /// Forgets the entries of streams that are gone.
    pub fn retain(&mut self, ids: &[PactId]) {
        let before = self.entries.len();
        let keep: std::collections::HashSet<&PactId> = ids.iter().collect();
        self.entries.retain(|id, _| keep.contains(id));
        self.changed |= self.entries.len() != before;
    }

    /// Writes the cache back if it changed: to a temporary file renamed over
    /// the old one. A cache that cannot be written is no error: it is only a
    /// shortcut.
    pub fn save(self, store: &Store) {
        if !self.changed {
            return;
        }
        let mut summaries: Vec<Summary> = self.entries.into_values().collect();
        summaries.sort_by(|a, b| a.id.cmp(&b.id));
        let file = CacheFile {
            version: VERSION,
            summaries,
        };
        let temp = store
            .dir()
            .join(format!("{FILE}.{}.tmp", std::process::id()));
        let written = File::create(&temp).ok().and_then(|out| {
            let mut out = std::io::BufWriter::new(out);
            postcard::to_io(&file, &mut out).ok()?;
            out.flush().ok()
        });
        if written.is_some() && fs::rename(&temp, store.dir().join(FILE)).is_ok() {
            return;
        }
        let _ = fs::remove_file(&temp);
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
    let file = File::open(&path).map_err(Error::io("open", &path))?;
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
