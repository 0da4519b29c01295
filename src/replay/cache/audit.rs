//! `verify`'s audit of the cache ([`Audit`]): each entry current for a
//! stream read whole held against that stream's summary, and a cache that
//! disagrees rebuilt ([`Audited`]).

use std::fs;
use std::time::SystemTime;

use crate::log::store::Store;
use crate::model::event::Hash;
use crate::model::pact::{Pact, PactId};
use crate::replay::cache::stamp::Dir;
use crate::replay::cache::summary::{Summary, Summing};
use crate::replay::cache::{Cache, CacheFile, FILE, Found};

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
        // every entry is held whole against its stream, times too; times
        // that fail their check make the file no cache written under the
        // key, to be rebuilt
        let mut cache = file.cache();
        let found = if cache.read_times() {
            file.found
        } else {
            Found::Unusable
        };
        Audit {
            cache,
            found,
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
                    && cached.stamp == self.dir.stamp(id.as_str(), now)
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
        let disagrees = current
            .as_ref()
            .is_some_and(|cached| !cached.says_what(&summary));
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
        let entries = cache.all();
        for id in failed {
            if let Ok(at) = entries.binary_search_by(|s| (*s.id).cmp(id.as_str())) {
                entries.remove(at);
            }
        }
        for summary in checked.into_iter().filter_map(|c| c.summary) {
            match entries.binary_search_by(|s| s.id.cmp(&summary.id)) {
                Ok(at) => entries[at] = summary,
                Err(at) => entries.insert(at, summary),
            }
        }
        if let Ok(ids) = store.ids() {
            cache.retain(&ids);
        }
        // rebuilt from what was read, not from a listing
        cache.listing = None;
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
