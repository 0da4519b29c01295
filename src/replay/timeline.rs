//! The timeline: a pact's status events that no retraction withdrew, in
//! the order they take effect, and the questions it answers.
//!
//! This is the one place the order of a timeline and the lifecycle rule
//! between its neighbours are written. What a timeline holds of each status
//! is its [`Step`]: a whole event ([`Entry`](super::Entry)), a 20-byte
//! [`Mark`](super::Mark) left in a long stream, or what an import keeps of
//! a row ([`Staged`]). Each answer is the same whatever the step.

use chrono::NaiveDate;

use crate::model::date::EffectiveDate;
use crate::model::error::LifecycleError;
use crate::model::pact::PactId;
use crate::model::status::Status;

/// What a timeline needs to know of a status event.
pub trait Step {
    /// The effective date, as precise as it is known.
    fn on(&self) -> EffectiveDate;
    /// When it was recorded, in microseconds since 1970 (UTC), or any
    /// number that orders a stream's statuses as those times do: of two
    /// statuses on one day, the one recorded later comes later.
    fn recorded(&self) -> i64;
    /// Its place in the stream: of two statuses on one day recorded at
    /// once, the one with the higher seq comes later. In a stream no merge
    /// re-linked, this is the order they were recorded in too.
    fn seq(&self) -> u64;
    /// The status entered.
    fn status(&self) -> Status;
    /// Whether it was recorded with `--force`.
    fn forced(&self) -> bool;
    /// Whether it is known only from reports, unconfirmed (none: not
    /// kept).
    fn reported(&self) -> bool {
        false
    }
}

/// The place of a step in the timeline: by its earliest day, then the time
/// it was recorded, then seq. Along a stream recorded times never go back
/// but at a line a git merge re-linked, so this is (day, seq) in any
/// other; after a merge, it orders the events of both branches on one day
/// by the time they were recorded, whichever branch the merge was made on.
fn key(step: &impl Step) -> (NaiveDate, i64, u64) {
    (step.on().earliest(), step.recorded(), step.seq())
}

/// Whether a step's date is qualified (`?`, `~`): the status it decides is
/// never certain.
fn qualified(step: &impl Step) -> bool {
    step.on().qualifier().is_some()
}

/// A pact's status events in timeline order: by (effective date, recorded
/// time, seq).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline<S> {
    steps: Vec<S>,
}

impl<S> Default for Timeline<S> {
    fn default() -> Self {
        Timeline { steps: Vec::new() }
    }
}

/// A status and the dates it held: from `from` until `to`, when the next
/// took effect (`None`: it still holds). Each is a date as precise as it is
/// known; for exact days, `from` is inclusive and `to` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval<S> {
    /// The status event that opened the interval.
    pub entry: S,
    /// When the status took effect.
    pub from: EffectiveDate,
    /// When the next status took effect.
    pub to: Option<EffectiveDate>,
}

/// The answer for one day: the status that certainly held, or the statuses
/// that may have, when a date known only to the month or year, or a
/// qualified one, leaves it open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnDay<S> {
    /// The last status that certainly took effect by the day (`None`:
    /// nothing yet).
    pub status: Option<S>,
    /// Whether the answer is certain.
    pub certain: bool,
    /// When it is not: every status the pact may have had that day
    /// (`None`: nothing yet), oldest first.
    pub possible: Vec<Option<S>>,
}

/// A step of a timeline that breaks the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleBreak<S> {
    /// The entry before (`None`: nothing before).
    pub before: Option<S>,
    /// The entry that may not follow it.
    pub entry: S,
    /// Whether a forced event explains it.
    pub forced: bool,
}

impl<S: Step> Timeline<S> {
    /// The timeline of `steps`, given in any order.
    pub fn of(mut steps: Vec<S>) -> Self {
        // most often given in order already (a stream's statuses are
        // mostly recorded in date order): then sorting, which would take
        // room for half of them, is skipped
        if !steps.is_sorted_by_key(key) {
            steps.sort_by_key(key);
        }
        Timeline { steps }
    }

    /// The entry that `step` would come right before, were it placed.
    pub fn after(&self, step: &S) -> Option<&S> {
        self.steps.get(self.split(key(step)))
    }

    /// Whether an entry stands where `step` would go, with its date,
    /// recorded time and seq: `step` itself, when seqs are a stream's.
    pub fn holds(&self, step: &S) -> bool {
        let at = key(step);
        self.steps.binary_search_by_key(&at, key).is_ok()
    }

    /// Makes room for `additional` more statuses.
    pub fn reserve(&mut self, additional: usize) {
        self.steps.reserve(additional);
    }

    /// The statuses, ordered by (effective date, recorded time, seq).
    pub fn entries(&self) -> &[S] {
        &self.steps
    }

    /// How many statuses come before one with the key `at`: where it goes.
    fn split(&self, at: (NaiveDate, i64, u64)) -> usize {
        self.steps.partition_point(|s| key(s) <= at)
    }

    /// How many statuses may have taken effect by `date`: those whose
    /// earliest day is on or before it.
    fn begun_by(&self, date: NaiveDate) -> usize {
        self.steps.partition_point(|s| s.on().earliest() <= date)
    }

    /// The place of the last status that certainly took effect by `date`,
    /// among the first `begun` (whose latest day is on or before it).
    fn certain_by(&self, date: NaiveDate, begun: usize) -> Option<usize> {
        self.steps[..begun]
            .iter()
            .rposition(|s| s.on().latest() <= date)
    }

    /// Adds `step` in its place, unchecked: a status recorded already,
    /// which the statuses after it were checked against.
    pub fn place(&mut self, step: S) {
        let at = self.split(key(&step));
        self.steps.insert(at, step);
    }

    /// Checks that `step` may be added ([`check_between`] its neighbours;
    /// it is forced if `step.forced()`) and adds it.
    ///
    /// # Errors
    ///
    /// The [`LifecycleError`] naming the neighbour in the way; the timeline
    /// is then as it was.
    pub fn append(&mut self, pact: &PactId, step: S) -> Result<(), LifecycleError> {
        let at = self.split(key(&step));
        let (before, next) = self.neighbours(at);
        check_between(pact, before, next, step.status(), step.on(), step.forced())?;
        self.steps.insert(at, step);
        Ok(())
    }

    /// The status and date of the entries either side of place `at`.
    fn neighbours(&self, at: usize) -> (Side, Side) {
        let side = |s: &S| (s.status(), s.on());
        let before = at.checked_sub(1).map(|i| side(&self.steps[i]));
        (before, self.steps.get(at).map(side))
    }

    /// [`Timeline::append`] as an import of rows in date order checks a
    /// row: a status right after a forced one is let in as `verify` lets
    /// it in (the forced status is the declared break), still checked
    /// against the status after it and for repeating either neighbour.
    /// Without this, the status recorded before a forced backfill, which
    /// its own append checked against the status before the backfill,
    /// could not be imported back in date order.
    ///
    /// # Errors
    ///
    /// As [`Timeline::append`].
    pub fn admit(&mut self, pact: &PactId, step: S) -> Result<(), LifecycleError> {
        let at = self.split(key(&step));
        let after_forced = at.checked_sub(1).is_some_and(|i| self.steps[i].forced());
        if !after_forced || step.forced() {
            return self.append(pact, step);
        }
        let (before, next) = self.neighbours(at);
        let (status, on) = (step.status(), step.on());
        // the repeats, which nothing excuses
        check_between(pact, before, next, status, on, true)?;
        if let Some((next, next_on)) = next
            && !Status::may_follow(Some(status), next)
        {
            return Err(LifecycleError::BreaksNext {
                pact: pact.to_string(),
                status,
                on,
                next,
                next_on,
            });
        }
        self.steps.insert(at, step);
        Ok(())
    }

    /// Changes each status `f` is given, leaving its place: what a
    /// confirmation does to whether it is known only from reports.
    pub(crate) fn each_mut(&mut self, f: impl FnMut(&mut S)) {
        self.steps.iter_mut().for_each(f);
    }

    /// Takes out the statuses `keep` refuses: what a retraction does.
    pub fn retain(&mut self, keep: impl FnMut(&S) -> bool) {
        self.steps.retain(keep);
    }

    /// The status in force on `date`: the last entry that certainly took
    /// effect by then. `None` before the first. For exact days, it is the
    /// last entry effective on or before `date`.
    pub fn status_on(&self, date: NaiveDate) -> Option<&S> {
        let begun = self.begun_by(date);
        self.certain_by(date, begun).map(|i| &self.steps[i])
    }

    /// The answer for `date`, with how sure it is. With k the last entry
    /// whose latest day is on or before `date` and m the last whose
    /// earliest day is: the status is k's, certain when m is k and k's date
    /// is not qualified. Otherwise the possible statuses are k's through
    /// m's, from the one before k's when k's date is qualified.
    pub fn answer_on(&self, date: NaiveDate) -> OnDay<&S> {
        let begun = self.begun_by(date);
        let k = self.certain_by(date, begun);
        let status = k.map(|i| &self.steps[i]);
        let deciding_qualified = status.is_some_and(|s| qualified(s));
        let certain = k.map_or(0, |i| i + 1) == begun && !deciding_qualified;
        let mut possible = Vec::new();
        if !certain {
            let first = match (k, deciding_qualified) {
                (Some(i), true) => i.checked_sub(1),
                (k, _) => k,
            };
            let from = first.map_or(0, |i| i + 1);
            possible.push(first.map(|i| &self.steps[i]));
            possible.extend(self.steps[from..begun].iter().map(Some));
        }
        OnDay {
            status,
            certain,
            possible,
        }
    }

    /// The first entry that may take effect after `date`: a change ahead.
    pub fn next_after(&self, date: NaiveDate) -> Option<&S> {
        self.steps.get(self.begun_by(date))
    }

    /// The entries of `status` effective `on`.
    pub fn holding(&self, status: Status, on: EffectiveDate) -> Option<&S> {
        let from = self
            .steps
            .partition_point(|s| s.on().earliest() < on.earliest());
        self.steps[from..]
            .iter()
            .take_while(|s| s.on().earliest() == on.earliest())
            .find(|s| s.status() == status && s.on() == on)
    }

    /// Checks that `status` may be recorded effective `on` for `pact`: it
    /// would come after every entry up to that date (a new event is
    /// recorded last and has the highest seq), so it is checked against the
    /// entry before it and, for a backfill, the entry after it. `force` lets it break the lifecycle, but
    /// never repeat a neighbour's status.
    ///
    /// # Errors
    ///
    /// The [`LifecycleError`] naming the neighbour in the way.
    pub fn check(
        &self,
        pact: &PactId,
        status: Status,
        on: EffectiveDate,
        force: bool,
    ) -> Result<(), LifecycleError> {
        let at = self.split((on.earliest(), i64::MAX, u64::MAX));
        let side = |s: &S| (s.status(), s.on());
        let before = at.checked_sub(1).map(|i| side(&self.steps[i]));
        let next = self.steps.get(at).map(side);
        check_between(pact, before, next, status, on, force)
    }

    /// The entries either side of the one `is` picks, if there is one: the
    /// neighbours its retraction would leave side by side, when they may
    /// not stand so ([`retraction_breaks`]): `Err` holds the pair.
    ///
    /// `Ok(())` when nothing is picked or its withdrawal breaks nothing.
    pub fn check_withdrawal(&self, is: impl Fn(&S) -> bool) -> Result<(), (Option<&S>, &S)> {
        let Some(at) = self.steps.iter().position(is) else {
            return Ok(());
        };
        let before = at.checked_sub(1).map(|i| &self.steps[i]);
        let Some(after) = self.steps.get(at + 1) else {
            return Ok(());
        };
        let side = |s: &S| (s.status(), s.forced());
        match retraction_breaks(before.map(side), side(after)) {
            true => Err((before, after)),
            false => Ok(()),
        }
    }

    /// Every step of the timeline that the lifecycle does not allow, with
    /// the entry before it (`None`: it is the first). A step is excused when
    /// either side was recorded with `--force`.
    pub fn lifecycle_breaks(&self) -> Vec<LifecycleBreak<&S>> {
        let mut before: Option<&S> = None;
        let mut breaks = Vec::new();
        for entry in &self.steps {
            if !Status::may_follow(before.map(Step::status), entry.status()) {
                breaks.push(LifecycleBreak {
                    before,
                    entry,
                    forced: entry.forced() || before.is_some_and(Step::forced),
                });
            }
            before = Some(entry);
        }
        breaks
    }

    /// The intervals, oldest first. Two statuses on one day give the first a
    /// zero-length interval (`from == to`): it is kept, since it happened.
    pub fn intervals(&self) -> impl Iterator<Item = Interval<&S>> {
        let next = self.steps.iter().skip(1).map(|s| Some(s.on()));
        self.steps
            .iter()
            .zip(next.chain([None]))
            .map(|(entry, to)| Interval {
                entry,
                from: entry.on(),
                to,
            })
    }
}

/// What an import keeps of a status as it builds a pact's timeline: its
/// place and status, and `key`, what it needs beside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staged<K> {
    /// The effective date.
    pub on: EffectiveDate,
    /// When it was recorded, in microseconds since 1970 (UTC); for a row
    /// still to be recorded, `i64::MAX`: after every event recorded.
    pub recorded: i64,
    /// Its line in the stream.
    pub seq: u64,
    /// The status entered.
    pub status: Status,
    /// Whether it was recorded with `--force`.
    pub forced: bool,
    /// What the import keeps beside.
    pub key: K,
}

impl<K> Step for Staged<K> {
    fn on(&self) -> EffectiveDate {
        self.on
    }
    fn recorded(&self) -> i64 {
        self.recorded
    }
    fn seq(&self) -> u64 {
        self.seq
    }
    fn status(&self) -> Status {
        self.status
    }
    fn forced(&self) -> bool {
        self.forced
    }
}

impl<S: Step> Step for &S {
    fn on(&self) -> EffectiveDate {
        (*self).on()
    }
    fn recorded(&self) -> i64 {
        (*self).recorded()
    }
    fn seq(&self) -> u64 {
        (*self).seq()
    }
    fn status(&self) -> Status {
        (*self).status()
    }
    fn forced(&self) -> bool {
        (*self).forced()
    }
    fn reported(&self) -> bool {
        (*self).reported()
    }
}

/// A neighbour of a place in a timeline, when there is one: its status
/// and date.
type Side = Option<(Status, EffectiveDate)>;

/// Whether withdrawing a status would leave `after` (a status, and whether
/// it was recorded with `--force`) right after `before` (none: it would be
/// the first) where the lifecycle does not allow it: it would repeat it,
/// or it may not follow it and neither was forced.
pub fn retraction_breaks(before: Option<(Status, bool)>, after: (Status, bool)) -> bool {
    before.map(|b| b.0) == Some(after.0) || breaks(before, after)
}

/// Whether `after` (a status, and whether it was recorded with `--force`)
/// right after `before` (none: it is the first) breaks the lifecycle: it
/// may not follow it, and neither side was forced, which excuses a step.
pub fn breaks(before: Option<(Status, bool)>, after: (Status, bool)) -> bool {
    let excused = after.1 || before.is_some_and(|b| b.1);
    !excused && !Status::may_follow(before.map(|b| b.0), after.0)
}

/// Checks that `status` effective `on` may stand between the timeline
/// entries `before` and `next` (each a status and its date; `None` at either
/// end). This is the whole of the lifecycle rule for a new status.
///
/// # Errors
///
/// The [`LifecycleError`] naming the neighbour in the way.
pub fn check_between(
    pact: &PactId,
    before: Option<(Status, EffectiveDate)>,
    next: Option<(Status, EffectiveDate)>,
    status: Status,
    on: EffectiveDate,
    force: bool,
) -> Result<(), LifecycleError> {
    if let Some((_, since)) = before.filter(|b| b.0 == status) {
        return Err(LifecycleError::Repeat {
            pact: pact.to_string(),
            status,
            on,
            since,
        });
    }
    if let Some((_, next_on)) = next.filter(|n| n.0 == status) {
        return Err(LifecycleError::RepeatsNext {
            pact: pact.to_string(),
            status,
            on,
            next_on,
        });
    }
    if force {
        return Ok(());
    }
    let from = before.map(|b| b.0);
    if !Status::may_follow(from, status) {
        return Err(LifecycleError::NotAllowed {
            pact: pact.to_string(),
            from,
            since: before.map(|b| b.1),
            to: status,
            on,
        });
    }
    if let Some((next, next_on)) = next
        && !Status::may_follow(Some(status), next)
    {
        return Err(LifecycleError::BreaksNext {
            pact: pact.to_string(),
            status,
            on,
            next,
            next_on,
        });
    }
    Ok(())
}
