//! A cache's summaries in the order of their pacts' ids ([`Entries`]):
//! left in the cache file's parts as they were read, each decoded only
//! when it is asked for, on the core that asks, and all of them decoded
//! once one is added or removed.
//!
//! A part of summaries ([`Part`]) is laid out so that any one summary can
//! be found without decoding the others: the count of its summaries (a
//! little-endian `u32`), then for each summary where it begins in the part
//! and where its times begin in the part of times (two little-endian
//! `u32`s), then the summaries, one after the other, each as postcard
//! encodes it, beginning with its pact's id.

use std::borrow::Cow;
use std::ops::Range;

use crate::model::pact::PactId;
use crate::replay::cache::Summary;
use crate::replay::cache::steps::{TIME, Times};

/// The bytes of a part's count of summaries.
const COUNT: usize = 4;
/// The bytes of one summary's place in a part's index.
const PLACE: usize = 8;

/// One part of summaries, as read from the cache file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Part<'a> {
    bytes: &'a [u8],
    count: usize,
    /// Its place among the parts of summaries, which is that of the part
    /// of their times.
    place: usize,
    /// The length of that part of times, which its summaries' times take
    /// up exactly, one after another.
    times: usize,
}

/// Writes the part of `summaries` (in order, at least one) into `out`,
/// over whatever it held; `None` when one is too long for the index to
/// place (a part is a few megabytes, the index counts to four billion).
pub(super) fn write_part(summaries: &[Summary<'_>], out: &mut Vec<u8>) -> Option<()> {
    let at = |n: usize| u32::try_from(n).ok().map(u32::to_le_bytes);
    out.clear();
    out.extend(at(summaries.len())?);
    let body = COUNT + PLACE * summaries.len();
    out.resize(body, 0);
    let mut times = 0_usize;
    for (i, summary) in summaries.iter().enumerate() {
        let (start, time) = (at(out.len())?, at(times)?);
        let place = COUNT + PLACE * i;
        out[place..place + 4].copy_from_slice(&start);
        out[place + 4..place + 8].copy_from_slice(&time);
        *out = postcard::to_extend(summary, std::mem::take(out)).ok()?;
        times = times.checked_add(summary.steps.len.checked_mul(TIME)?)?;
    }
    Some(())
}

impl<'a> Part<'a> {
    /// The part held in `bytes`, the `place`th of its file, whose times
    /// take `times` bytes, if its count and index fit in it; whether the
    /// index is sound is [`Part::sound`].
    pub(super) fn of(bytes: &'a [u8], place: usize, times: usize) -> Option<Part<'a>> {
        let count =
            usize::try_from(u32::from_le_bytes(bytes.get(..COUNT)?.try_into().ok()?)).ok()?;
        let body = count.checked_mul(PLACE)?.checked_add(COUNT)?;
        (count >= 1 && body <= bytes.len()).then_some(Part {
            bytes,
            count,
            place,
            times,
        })
    }

    /// Whether the index is sound: each summary begins after the one
    /// before it, the first just after the index, and each begins with a
    /// pact id after the one before it; the times of each begin where
    /// those of the one before end (checked as each is decoded, which says
    /// how many it has), the first at the part of times' start. A part of
    /// zeros, as a hole in a sparse file reads, is not.
    pub(super) fn sound(&self) -> bool {
        let body = COUNT + PLACE * self.count;
        let mut last: Option<&str> = None;
        (0..self.count).all(|i| {
            let (start, end) = (self.start(i), self.end(i));
            let first = i > 0 || (start == body && self.index(0, 1) == 0);
            let id = self.id(i);
            let ordered = last.is_none_or(|last| last < id);
            last = Some(id);
            first && start < end && PactId::is_valid(id) && ordered
        })
    }

    /// How many summaries it holds.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// A number of the index: the `n`th of summary `i`'s two.
    fn index(&self, i: usize, n: usize) -> usize {
        let at = COUNT + PLACE * i + 4 * n;
        let bytes = self.bytes[at..at + 4].try_into().expect("4 bytes");
        usize::try_from(u32::from_le_bytes(bytes)).unwrap_or(usize::MAX)
    }

    /// Where summary `i` begins.
    fn start(&self, i: usize) -> usize {
        self.index(i, 0)
    }

    /// Where summary `i` ends: where the next begins, or the part does.
    fn end(&self, i: usize) -> usize {
        if i + 1 < self.count {
            self.start(i + 1)
        } else {
            self.bytes.len()
        }
    }

    /// The bytes of summary `i`, if the index places it in the part.
    fn span(&self, i: usize) -> Option<&'a [u8]> {
        self.bytes.get(Range {
            start: self.start(i),
            end: self.end(i),
        })
    }

    /// The pact id of summary `i`, as its bytes begin; empty when they do
    /// not begin with text (not in a [`Part::sound`] part).
    pub(super) fn id(&self, i: usize) -> &'a str {
        self.span(i)
            .and_then(|bytes| postcard::take_from_bytes::<&str>(bytes).ok())
            .map_or("", |(id, _)| id)
    }

    /// Summary `i`, decoded, if it decodes whole and its times take up
    /// the part of times from where the index says they begin to where the
    /// next summary's begin (or the part ends).
    pub(super) fn summary(&self, i: usize) -> Option<Summary<'a>> {
        let (mut summary, rest) = postcard::take_from_bytes::<Summary<'a>>(self.span(i)?).ok()?;
        let at = self.index(i, 1);
        let end = if i + 1 < self.count {
            self.index(i + 1, 1)
        } else {
            self.times
        };
        let len = summary.steps.len.checked_mul(TIME)?;
        summary.steps.times = Times::Elsewhere {
            part: self.place,
            at,
        };
        (rest.is_empty() && at.checked_add(len) == Some(end)).then_some(summary)
    }
}

/// A cache's summaries, in the order of their pacts' ids: in the parts of
/// the cache file, as read, until one is added or removed; then decoded,
/// in one vector.
#[derive(Debug)]
pub(super) enum Entries<'a> {
    /// In the parts of the cache file, none empty, in order.
    Parts(Vec<Part<'a>>),
    /// Decoded.
    Decoded(Vec<Summary<'a>>),
}

impl Default for Entries<'_> {
    fn default() -> Self {
        Entries::Decoded(Vec::new())
    }
}

impl<'a> Entries<'a> {
    /// How many summaries there are.
    pub(super) fn len(&self) -> usize {
        match self {
            Entries::Parts(parts) => parts.iter().map(Part::len).sum(),
            Entries::Decoded(all) => all.len(),
        }
    }

    /// The part the `at`th summary is in, and its place in it.
    fn part<'p>(parts: &'p [Part<'a>], mut at: usize) -> Option<(&'p Part<'a>, usize)> {
        for part in parts {
            if at < part.count {
                return Some((part, at));
            }
            at -= part.count;
        }
        None
    }

    /// The pact id of the `at`th summary.
    pub(super) fn id(&self, at: usize) -> Option<&str> {
        match self {
            Entries::Parts(parts) => Entries::part(parts, at).map(|(part, i)| part.id(i)),
            Entries::Decoded(all) => all.get(at).map(|s| &*s.id),
        }
    }

    /// Every summary's pact id, in order.
    pub(super) fn ids(&self) -> impl Iterator<Item = &str> {
        let (parts, all) = match self {
            Entries::Parts(parts) => (&parts[..], &[][..]),
            Entries::Decoded(all) => (&[][..], &all[..]),
        };
        let of_parts = parts
            .iter()
            .flat_map(|part| (0..part.count).map(|i| part.id(i)));
        of_parts.chain(all.iter().map(|s| &*s.id))
    }

    /// Where the summary of the pact `id` is among them all, or would be.
    pub(super) fn position(&self, id: &str) -> Result<usize, usize> {
        let parts = match self {
            Entries::Parts(parts) => parts,
            Entries::Decoded(all) => return all.binary_search_by(|s| (*s.id).cmp(id)),
        };
        // the part it is in, or would be: the first whose last id is not
        // before it (or the last part)
        let Some(last) = parts.len().checked_sub(1) else {
            return Err(0);
        };
        let at = parts
            .partition_point(|part| part.id(part.count - 1) < id)
            .min(last);
        let before: usize = parts[..at].iter().map(Part::len).sum();
        let part = &parts[at];
        let (mut low, mut high) = (0, part.count);
        while low < high {
            let mid = low + (high - low) / 2;
            match part.id(mid).cmp(id) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Equal => return Ok(before + mid),
                std::cmp::Ordering::Greater => high = mid,
            }
        }
        Err(before + low)
    }

    /// The `at`th summary, decoded if it was not; `None` past the last, or
    /// where it does not decode.
    pub(super) fn get(&self, at: usize) -> Option<Cow<'_, Summary<'a>>> {
        match self {
            Entries::Parts(parts) => {
                let (part, i) = Entries::part(parts, at)?;
                part.summary(i).map(Cow::Owned)
            }
            Entries::Decoded(all) => all.get(at).map(Cow::Borrowed),
        }
    }

    /// The summaries as one vector, to change: decoded first, on every
    /// core, if they were not, with whether any summary did not decode and
    /// was left out.
    pub(super) fn gathered(&mut self) -> (&mut Vec<Summary<'a>>, bool) {
        let mut lost = false;
        if let Entries::Parts(parts) = self {
            let before: usize = parts.iter().map(Part::len).sum();
            let runs = crate::log::par::map(parts, |part| {
                (0..part.count)
                    .filter_map(|i| part.summary(i))
                    .collect::<Vec<_>>()
            });
            let mut all = Vec::with_capacity(runs.iter().map(Vec::len).sum());
            for mut run in runs {
                all.append(&mut run);
            }
            lost = all.len() != before;
            *self = Entries::Decoded(all);
        }
        match self {
            Entries::Decoded(all) => (all, lost),
            Entries::Parts(_) => unreachable!("decoded just now"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::replay::cache::tests::summary;

    /// The times of a part of `n` summaries as the tests make them, of one
    /// step each.
    fn times(n: usize) -> usize {
        n * TIME
    }

    /// The parts of `runs` of the summaries of `ids`, written and read.
    fn written(ids: &[&str], runs: &[Vec<usize>]) -> Vec<Vec<u8>> {
        runs.iter()
            .map(|run| {
                let summaries: Vec<_> = run.iter().map(|&i| summary(ids[i])).collect();
                let mut bytes = Vec::new();
                write_part(&summaries, &mut bytes).unwrap();
                bytes
            })
            .collect()
    }

    #[test]
    fn a_summary_is_found_where_it_is_in_any_part_and_placed_where_it_would_be() {
        let ids = ["b", "d", "f", "h", "j"];
        for runs in [vec![vec![0, 1], vec![2, 3, 4]], vec![vec![0, 1, 2, 3, 4]]] {
            let bytes = written(&ids, &runs);
            let parts: Vec<Part<'_>> = bytes
                .iter()
                .enumerate()
                .map(|(place, bytes)| Part::of(bytes, place, times(runs[place].len())).unwrap())
                .collect();
            assert!(parts.iter().all(Part::sound));
            let mut entries = Entries::Parts(parts);
            assert_eq!(entries.len(), 5);
            assert_eq!(entries.ids().collect::<Vec<_>>(), ids);
            let places = runs
                .iter()
                .enumerate()
                .flat_map(|(part, run)| (0..run.len()).map(move |i| (part, i)));
            for ((at, id), (part, i)) in ids.iter().enumerate().zip(places) {
                assert_eq!(entries.position(id), Ok(at));
                assert_eq!(entries.id(at), Some(*id));
                let (got, written) = (entries.get(at).unwrap(), summary(id));
                assert_eq!(
                    (&got.id, &got.name, got.head, &got.steps.bytes),
                    (
                        &written.id,
                        &written.name,
                        written.head,
                        &written.steps.bytes
                    )
                );
                // each summary has one step, whose time follows those before
                let times = Times::Elsewhere { part, at: i * TIME };
                assert_eq!(got.steps.times, times, "{id}");
            }
            for (id, at) in [("a", 0), ("c", 1), ("e", 2), ("g", 3), ("i", 4), ("k", 5)] {
                assert_eq!(entries.position(id), Err(at), "{id}");
            }
            assert!(entries.get(5).is_none());
            let (all, lost) = entries.gathered();
            assert!(!lost);
            assert_eq!(all.iter().map(|s| &*s.id).collect::<Vec<_>>(), ids);
            assert!(matches!(entries, Entries::Decoded(_)));
            assert_eq!(entries.ids().collect::<Vec<_>>(), ids);
            assert_eq!(entries.position("e"), Err(2));
        }
        assert_eq!(Entries::default().position("a"), Err(0));
        assert!(Entries::default().get(0).is_none());
        assert_eq!(Entries::Parts(Vec::new()).position("a"), Err(0));
    }

    #[test]
    fn a_part_whose_index_is_not_sound_is_refused() {
        let ids = ["b", "d", "f"];
        let bytes = written(&ids, &[vec![0, 1, 2]]).remove(0);
        let sound = |bytes: &[u8]| Part::of(bytes, 0, times(3)).is_some_and(|part| part.sound());
        assert!(sound(&bytes));
        // zeros, as a hole reads; a count the bytes cannot hold
        assert!(!sound(&vec![0; bytes.len()]));
        let mut more = bytes.clone();
        more[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(!sound(&more));
        // the second summary placed where the first begins, or past the end
        for start in [4 + 3 * 8, bytes.len(), bytes.len() + 1] {
            let mut moved = bytes.clone();
            moved[12..16].copy_from_slice(&u32::try_from(start).unwrap().to_le_bytes());
            assert!(!sound(&moved), "{start}");
        }
        // ids out of order, or not ids
        let swapped = written(&["d", "b", "f"], &[vec![0, 1, 2]]).remove(0);
        assert!(!sound(&swapped));
        let bad = written(&["b", "D", "f"], &[vec![0, 1, 2]]).remove(0);
        assert!(!sound(&bad));
        assert!(sound(&written(&["b", "d"], &[vec![0, 1]]).remove(0)));
        // the first summary's times not at the part of times' start
        let mut later = bytes.clone();
        later[8..12].copy_from_slice(&1_u32.to_le_bytes());
        assert!(!sound(&later));
    }

    #[test]
    fn a_summary_whose_times_do_not_take_up_their_place_is_not_decoded() {
        let ids = ["b", "d", "f"];
        let bytes = written(&ids, &[vec![0, 1, 2]]).remove(0);
        let decoded = |bytes: &[u8], times: usize| {
            let part = Part::of(bytes, 0, times).unwrap();
            assert!(part.sound());
            (0..3)
                .map(|i| part.summary(i).is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(decoded(&bytes, times(3)), [true; 3]);
        // a part of times longer than its summaries' times: the last one's
        // do not end where it does
        assert_eq!(decoded(&bytes, times(4)), [true, true, false]);
        // the second summary's times placed a step later: the first's do
        // not end where they begin, nor do the second's end where the
        // third's begin
        let mut moved = bytes.clone();
        moved[16..20].copy_from_slice(&u32::try_from(2 * TIME).unwrap().to_le_bytes());
        assert_eq!(decoded(&moved, times(3)), [false, false, true]);
    }

    #[test]
    fn a_summary_that_does_not_decode_is_left_out_when_they_are_gathered() {
        let ids = ["b", "d", "f"];
        let mut bytes = written(&ids, &[vec![0, 1, 2]]).remove(0);
        // the middle summary's last byte, one its decoding does not take
        let part = Part::of(&bytes, 0, times(3)).unwrap();
        let end = part.end(1);
        bytes.insert(end, 0);
        for i in 2..3 {
            let at = 4 + 8 * i;
            let start = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) + 1;
            bytes[at..at + 4].copy_from_slice(&start.to_le_bytes());
        }
        let part = Part::of(&bytes, 0, times(3)).unwrap();
        assert!(part.sound());
        let mut entries = Entries::Parts(vec![part]);
        assert!(entries.get(1).is_none());
        assert!(entries.get(2).is_some());
        let (all, lost) = entries.gathered();
        assert!(lost);
        assert_eq!(all.iter().map(|s| &*s.id).collect::<Vec<_>>(), ["b", "f"]);
    }
}
