//! A cache's summaries in the order of their pacts' ids ([`Entries`]):
//! kept in the runs the cache file's parts were decoded into, on every
//! core, and gathered into one vector only once one is added or removed.

use crate::replay::cache::Summary;

/// A cache's summaries, in the order of their pacts' ids, in runs: as the
/// cache file's parts were decoded, one run a part, so that a warm `list`
/// that changes nothing never copies them into one vector; the first
/// change gathers them into one run.
#[derive(Debug, Default)]
pub(super) struct Entries<'a> {
    runs: Vec<Vec<Summary<'a>>>,
}

impl<'a> Entries<'a> {
    /// The summaries of `runs`, one after the other.
    pub(super) fn of_runs(mut runs: Vec<Vec<Summary<'a>>>) -> Entries<'a> {
        // no run empty, so that each has a last id to find a run by
        runs.retain(|run| !run.is_empty());
        Entries { runs }
    }

    /// Every summary, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Summary<'a>> + Clone {
        self.runs.iter().flatten()
    }

    /// How many summaries there are.
    pub(super) fn len(&self) -> usize {
        self.runs.iter().map(Vec::len).sum()
    }

    /// Where the summary of the pact `id` is among them all, or would be.
    pub(super) fn position(&self, id: &str) -> Result<usize, usize> {
        // the run it is in, or would be: the first whose last id is not
        // before it (or the last run)
        let run = self
            .runs
            .partition_point(|run| run.last().is_some_and(|s| *s.id < *id))
            .min(self.runs.len().saturating_sub(1));
        let before: usize = self.runs[..run].iter().map(Vec::len).sum();
        let found = self
            .runs
            .get(run)
            .map_or(Err(0), |run| run.binary_search_by(|s| (*s.id).cmp(id)));
        found.map(|at| before + at).map_err(|at| before + at)
    }

    /// The summary at `at` among them all.
    pub(super) fn get(&self, mut at: usize) -> Option<&Summary<'a>> {
        for run in &self.runs {
            match run.get(at) {
                Some(summary) => return Some(summary),
                None => at -= run.len(),
            }
        }
        None
    }

    /// The summaries as one vector, to change: gathered into one run
    /// first, if they are in several.
    pub(super) fn gathered(&mut self) -> &mut Vec<Summary<'a>> {
        if self.runs.len() != 1 {
            let mut all = Vec::with_capacity(self.len());
            for run in &mut self.runs {
                all.append(run);
            }
            self.runs = vec![all];
        }
        &mut self.runs[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::replay::cache::tests::summary;

    #[test]
    fn a_summary_is_found_where_it_is_in_any_run_and_placed_where_it_would_be() {
        let ids = ["b", "d", "f", "h", "j"];
        for runs in [
            vec![vec![], vec![0, 1], vec![], vec![2, 3, 4]],
            vec![vec![0, 1, 2, 3, 4]],
        ] {
            let mut entries = Entries::of_runs(
                runs.iter()
                    .map(|run| run.iter().map(|&i| summary(ids[i])).collect())
                    .collect(),
            );
            assert_eq!(entries.len(), 5);
            let order: Vec<&str> = entries.iter().map(|s| &*s.id).collect();
            assert_eq!(order, ids);
            for (at, id) in ids.iter().enumerate() {
                assert_eq!(entries.position(id), Ok(at));
                assert_eq!(entries.get(at).map(|s| &*s.id), Some(*id));
            }
            for (id, at) in [("a", 0), ("c", 1), ("e", 2), ("g", 3), ("i", 4), ("k", 5)] {
                assert_eq!(entries.position(id), Err(at), "{id}");
            }
            assert_eq!(entries.get(5), None);
            let all = entries.gathered().clone();
            assert_eq!(all.iter().map(|s| &*s.id).collect::<Vec<_>>(), ids);
            assert_eq!(entries.iter().count(), 5);
        }
        assert_eq!(Entries::default().position("a"), Err(0));
        assert_eq!(Entries::default().get(0), None);
    }
}
