//! A pact's timelines as an import checks its rows or lines against them:
//! the pact's own, and the timeline of each party that has statuses of its
//! own (section 5 of the contract: the pact's statuses and the party's).

use crate::model::error::{Error, LifecycleError};
use crate::model::pact::{PactId, party_named};
use crate::replay::{Staged, Timeline, breaks};

/// The pact's own timeline, its parties, and each party's timeline that
/// differs from the pact's; each status keyed by a `K` of the importer's.
#[derive(Debug, Clone)]
pub(super) struct Timelines<K> {
    /// The pact's own timeline.
    pub(super) steps: Timeline<Staged<K>>,
    /// The pact's parties, as it names them.
    pub(super) members: Vec<String>,
    /// The timeline of each party that has statuses of its own: the
    /// pact's statuses and its own.
    pub(super) parties: Vec<(String, Timeline<Staged<K>>)>,
}

impl<K> Default for Timelines<K> {
    fn default() -> Self {
        Timelines {
            steps: Timeline::default(),
            members: Vec::new(),
            parties: Vec::new(),
        }
    }
}

impl<K: Copy> Timelines<K> {
    /// The timeline of `party`, begun from the pact's when it is first
    /// named.
    pub(super) fn party(&mut self, party: &str) -> &mut Timeline<Staged<K>> {
        let at = match self.parties.iter().position(|(p, _)| p == party) {
            Some(at) => at,
            None => {
                self.parties.push((party.to_owned(), self.steps.clone()));
                self.parties.len() - 1
            }
        };
        &mut self.parties[at].1
    }

    /// Places `step`, a status of `parties` (none: of the pact), unchecked:
    /// one recorded already, which the statuses after it were checked
    /// against.
    pub(super) fn place(&mut self, step: Staged<K>, parties: &[String]) {
        if parties.is_empty() {
            self.steps.place(step);
            self.parties.iter_mut().for_each(|(_, t)| t.place(step));
        }
        for party in parties {
            self.party(party).place(step);
        }
    }

    /// Checks `step`, a status of `parties` (none: of the pact), against
    /// the timelines it joins, and adds it; `admit` checks it as a row of a
    /// sheet applied in date order ([`Timeline::admit`]), else as `append`
    /// does. The timelines are as they were when it is refused.
    ///
    /// # Errors
    ///
    /// [`Error::Lifecycle`] or, for a party's timeline,
    /// [`Error::PartyLifecycle`].
    pub(super) fn status(
        &mut self,
        id: &PactId,
        step: Staged<K>,
        parties: &[String],
        admit: bool,
    ) -> Result<(), Error> {
        let add = |timeline: &mut Timeline<Staged<K>>| {
            if admit {
                timeline.admit(id, step)
            } else {
                timeline.append(id, step)
            }
        };
        if parties.is_empty() {
            add(&mut self.steps)?;
            // it goes into each party's timeline too, where the party's
            // own status after it must still follow it
            let in_the_way = self.parties.iter().find_map(|(party, timeline)| {
                let next = timeline.after(&step)?;
                let own = !self.steps.holds(next);
                let after = (next.status, next.forced);
                (own && breaks(Some((step.status, step.forced)), after)).then_some((party, next))
            });
            if let Some((party, next)) = in_the_way {
                let breaks = LifecycleError::BreaksNext {
                    pact: id.to_string(),
                    status: step.status,
                    on: step.on,
                    next: next.status,
                    next_on: next.on,
                };
                let refused = Error::in_timeline(Some(party), breaks);
                self.steps.retain(|s| s.seq != step.seq);
                return Err(refused);
            }
            self.parties.iter_mut().for_each(|(_, t)| t.place(step));
            return Ok(());
        }
        for (done, party) in parties.iter().enumerate() {
            if let Err(e) = add(self.party(party)) {
                // the parties before it take it back
                for party in &parties[..done] {
                    self.party(party).retain(|s| s.seq != step.seq);
                }
                return Err(Error::in_timeline(Some(party), e));
            }
        }
        Ok(())
    }

    /// Takes out the status at `seq`: what a retraction does.
    pub(super) fn withdraw(&mut self, seq: u64) {
        self.retain(|s| s.seq != seq);
    }

    /// Keeps only the statuses `keep` takes, in every timeline.
    pub(super) fn retain(&mut self, keep: impl Fn(&Staged<K>) -> bool) {
        self.steps.retain(&keep);
        self.parties.iter_mut().for_each(|(_, t)| t.retain(&keep));
    }

    /// Each of `named` as the pact names it (a party is matched in any
    /// case, as the commands match it).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownParty`] for a name that is not one of the pact's.
    pub(super) fn members_named(
        &self,
        id: &PactId,
        named: &[String],
    ) -> Result<Vec<String>, Error> {
        named
            .iter()
            .map(|name| party_named(id, &self.members, name).map(str::to_owned))
            .collect()
    }
}
