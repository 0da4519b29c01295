//! Errata: how a pact's recorded history changed between two recorded
//! times, the material for a correction note.
//!
//! The history as recorded at a time is the timeline of the events recorded
//! by then, each by its own recorded time, so two times give two timelines
//! of one stream, the earlier a fold over some of the events the later
//! folds. Their
//! differences are intervals one has and the other has not (a status
//! recorded since, or one withdrawn since), intervals opened by the same
//! event that end on another day, and the events recorded in between that
//! caused them, retractions with their reasons. An interval withdrawn and
//! the interval of its amended copy are one correction, not a removal and
//! an addition. The comparison is pure:
//! events in, differences out, no I/O; reading the stream is the caller's.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::event::{Event, EventBody};
use crate::replay::{Entry, Interval, Timeline};

/// How a pact's history as recorded at one time differs from its history as
/// recorded at a later time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errata<'e> {
    /// The intervals the later history has and the earlier had not, oldest
    /// first: opened by a status recorded since, or brought back by a
    /// retraction of what hid them.
    pub added: Vec<Interval<Entry<'e>>>,
    /// The intervals the earlier history had and the later has not, oldest
    /// first: their status events were withdrawn since.
    pub removed: Vec<Interval<Entry<'e>>>,
    /// The intervals both histories have, opened by the same status event,
    /// that end on another day, oldest first.
    pub changed: Vec<Changed<'e>>,
    /// The intervals the earlier history had whose status events were
    /// amended since, each with the interval of the copy that the later
    /// history has in its place, by the copy's place.
    pub amended: Vec<Changed<'e>>,
    /// The events recorded between the two times, in the order they were
    /// recorded (and appended): what caused the differences, retractions
    /// with their reasons. Never empty.
    pub recorded: Vec<&'e Event>,
}

/// An interval of the earlier history and the later history's interval in
/// its place: opened by the same status event, ending on another day; or
/// opened by its amended copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changed<'e> {
    /// The interval as the earlier history has it.
    pub before: Interval<Entry<'e>>,
    /// The interval as the later history has it.
    pub after: Interval<Entry<'e>>,
}

impl<'e> Errata<'e> {
    /// The errata of one stream between the recorded times `since` and
    /// `until` (`None`: everything recorded): how the history as recorded
    /// at `until` differs from the history as recorded at `since`. `events`
    /// is the whole stream, in the order it was appended (as
    /// [`Store::read`](crate::log::store::Store::read) gives it).
    ///
    /// `None` when nothing was recorded between the two times, `until`
    /// before `since` included.
    ///
    /// ```
    /// use chrono::{DateTime, TimeDelta};
    /// use pactlog::command::{Registration, Sourced, Write, status_change};
    /// use pactlog::model::date::EffectiveDate;
    /// use pactlog::replay::errata::Errata;
    /// use pactlog::{AppendOptions, Pact, PactId, Status, Store};
    ///
    /// # fn main() -> Result<(), pactlog::Error> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = Store::new(dir.path());
    /// let id = PactId::parse("gsomia")?;
    /// let t0 = DateTime::parse_from_rfc3339("2026-01-31T12:00:00Z").unwrap().to_utc();
    /// Registration::new(Pact::named(id.clone(), "GSOMIA"))?.record(&store, t0)?;
    ///
    /// let on = EffectiveDate::parse("2016-11-23").unwrap();
    /// let change = status_change(Status::InForce, on, Sourced::default(), None, (false, false))?;
    /// let t1 = t0 + TimeDelta::days(1);
    /// Write::Status(change).record(&store, &id, AppendOptions::default(), t1)?;
    ///
    /// let stream = store.read(&id)?;
    /// let errata = Errata::between(&stream.events, t0, None).unwrap();
    /// assert_eq!(errata.added[0].entry.status(), Status::InForce);
    /// assert_eq!(errata.added[0].from, on);
    /// assert_eq!(errata.recorded.len(), 1);
    /// assert!(Errata::between(&stream.events, t1, None).is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn between(
        events: &'e [Event],
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    ) -> Option<Errata<'e>> {
        // each event counts by its own recorded time: after a git merge,
        // one recorded before `since` may follow one recorded after it
        let by = |t: Option<DateTime<Utc>>| move |e: &&Event| t.is_none_or(|t| e.recorded <= t);
        let before = || events.iter().filter(by(Some(since)));
        let after = || events.iter().filter(by(until));
        let mut recorded: Vec<&Event> = after().filter(|e| e.recorded > since).collect();
        if recorded.is_empty() {
            return None;
        }
        recorded.sort_by_key(|e| (e.recorded, e.seq));
        let owned = |events: Vec<&'e Event>| -> Vec<Interval<Entry<'e>>> {
            let timeline = Timeline::new(events);
            let intervals = timeline.intervals().map(|i| Interval {
                entry: *i.entry,
                from: i.from,
                to: i.to,
            });
            intervals.collect()
        };
        let (old, new) = (owned(before().collect()), owned(after().collect()));
        let by_event = |intervals: &[Interval<Entry<'e>>]| -> HashMap<Uuid, Interval<Entry<'e>>> {
            intervals.iter().map(|i| (i.entry.event.id, *i)).collect()
        };
        let (old_by_event, new_by_event) = (by_event(&old), by_event(&new));
        let added: Vec<Interval<Entry<'e>>> = new
            .iter()
            .filter(|i| !old_by_event.contains_key(&i.entry.event.id))
            .copied()
            .collect();
        let mut removed: Vec<Interval<Entry<'e>>> = old
            .iter()
            .filter(|i| !new_by_event.contains_key(&i.entry.event.id))
            .copied()
            .collect();
        // a copy amends the event it replaces, or a copy of it amended
        // since in turn: its interval is that one's, corrected
        let amends: HashMap<Uuid, Uuid> = after()
            .filter_map(|e| {
                let amends = match &e.body {
                    EventBody::Status(c) => c.amends,
                    EventBody::Note(n) => n.amends,
                    _ => None,
                };
                amends.map(|target| (e.id, target))
            })
            .collect();
        let mut amended = Vec::new();
        let added = added
            .into_iter()
            .filter(|copy| {
                let mut id = copy.entry.event.id;
                while let Some(&target) = amends.get(&id) {
                    if let Some(at) = removed.iter().position(|i| i.entry.event.id == target) {
                        amended.push(Changed {
                            before: removed.remove(at),
                            after: *copy,
                        });
                        return false;
                    }
                    id = target;
                }
                true
            })
            .collect();
        let changed = new
            .iter()
            .filter_map(|after| {
                let before = *old_by_event.get(&after.entry.event.id)?;
                (before.to != after.to).then_some(Changed {
                    before,
                    after: *after,
                })
            })
            .collect();
        Some(Errata {
            added,
            removed,
            changed,
            amended,
            recorded,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::model::date::EffectiveDate;
    use crate::model::event::{EventBody, Retraction, StatusChange};
    use crate::model::pact::{Pact, PactId};
    use crate::model::status::Status;
    use crate::replay::retractions;

    fn day(text: &str) -> EffectiveDate {
        text.parse().unwrap()
    }

    /// A stream's events, one recorded a second after another from `start`.
    struct Given {
        events: Vec<Event>,
        start: DateTime<Utc>,
    }

    impl Given {
        fn registered() -> Given {
            let start = DateTime::UNIX_EPOCH + TimeDelta::days(20_000);
            let mut given = Given {
                events: Vec::new(),
                start,
            };
            let pact = Pact::named(PactId::parse("p").unwrap(), "P");
            given.then(0, EventBody::Registered(pact));
            given
        }

        /// Appends `body`, recorded `at` seconds after the start.
        fn then(&mut self, at: i64, body: EventBody) -> Uuid {
            let id = Uuid::now_v7();
            self.events.push(Event {
                pact: PactId::parse("p").unwrap(),
                seq: self.events.len() as u64 + 1,
                id,
                recorded: self.start + TimeDelta::seconds(at),
                body,
                prev: None,
                relinked: None,
            });
            id
        }

        fn status(&mut self, at: i64, status: Status, on: &str) -> Uuid {
            let change = StatusChange {
                status,
                on: day(on),
                source: Some(format!("{status} source")),
                url: None,
                note: None,
                reported: false,
                forced: false,
                parties: Vec::new(),
                amends: None,
            };
            self.then(at, EventBody::Status(change))
        }

        fn time(&self, at: i64) -> DateTime<Utc> {
            self.start + TimeDelta::seconds(at)
        }
    }

    #[test]
    fn a_retraction_and_a_later_status_change_the_history_and_say_why() {
        // given a history recorded at 1: in force from 2000, terminated
        // from 2010
        let mut given = Given::registered();
        let in_force = given.status(1, Status::InForce, "2000-01-01");
        let terminated = given.status(1, Status::Terminated, "2010-01-01");
        // when, at 2, the termination is withdrawn and an expiry recorded
        let reason = EventBody::Retraction(Retraction {
            target: terminated,
            reason: "the termination was only announced".into(),
        });
        let retraction = given.then(2, reason);
        let expired = given.status(2, Status::Expired, "2012-01-01");

        // then the errata since 1 say what changed, and why
        let errata = Errata::between(&given.events, given.time(1), None).unwrap();
        let interval = |i: &Interval<Entry<'_>>| (i.entry.event.id, i.entry.status(), i.from, i.to);
        let removed: Vec<_> = errata.removed.iter().map(interval).collect();
        assert_eq!(
            removed,
            [(terminated, Status::Terminated, day("2010-01-01"), None)]
        );
        let added: Vec<_> = errata.added.iter().map(interval).collect();
        assert_eq!(added, [(expired, Status::Expired, day("2012-01-01"), None)]);
        let changed: Vec<_> = errata
            .changed
            .iter()
            .map(|c| {
                (
                    c.after.entry.event.id,
                    c.after.from,
                    c.before.to,
                    c.after.to,
                )
            })
            .collect();
        assert_eq!(
            changed,
            [(
                in_force,
                day("2000-01-01"),
                Some(day("2010-01-01")),
                Some(day("2012-01-01"))
            )]
        );
        let seqs: Vec<u64> = errata.recorded.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [4, 5]);
        let recorded: Vec<Event> = errata.recorded.iter().map(|e| (*e).clone()).collect();
        let withdrawn = retractions(&recorded);
        let (by, why) = withdrawn[&terminated];
        assert_eq!(by.id, retraction);
        assert_eq!(why.reason, "the termination was only announced");
        assert_eq!(
            errata.removed[0].entry.change().source.as_deref(),
            Some("terminated source")
        );
    }

    #[test]
    fn an_amended_status_is_one_correction_not_a_removal_and_an_addition() {
        // given, at 1: in force from 2000, suspended from 2010
        let mut given = Given::registered();
        let in_force = given.status(1, Status::InForce, "2000-01-01");
        let suspended = given.status(1, Status::Suspended, "2010-01-01");
        // when, at 2, the suspension is amended to 2011
        given.then(
            2,
            EventBody::Retraction(Retraction {
                target: suspended,
                reason: "wrong year".into(),
            }),
        );
        let copy = StatusChange {
            status: Status::Suspended,
            on: day("2011-01-01"),
            source: None,
            url: None,
            note: None,
            reported: false,
            forced: false,
            parties: Vec::new(),
            amends: Some(suspended),
        };
        let copy = given.then(2, EventBody::Status(copy));

        // then the errata pair the two intervals, and the interval before
        // them ends later
        let errata = Errata::between(&given.events, given.time(1), None).unwrap();
        assert!(errata.added.is_empty() && errata.removed.is_empty());
        let amended: Vec<_> = errata
            .amended
            .iter()
            .map(|a| {
                (
                    a.before.entry.event.id,
                    a.before.from,
                    a.after.entry.event.id,
                    a.after.from,
                )
            })
            .collect();
        assert_eq!(
            amended,
            [(suspended, day("2010-01-01"), copy, day("2011-01-01"))]
        );
        let changed: Vec<_> = errata
            .changed
            .iter()
            .map(|c| (c.after.entry.event.id, c.after.to))
            .collect();
        assert_eq!(changed, [(in_force, Some(day("2011-01-01")))]);
        assert_eq!(errata.recorded.len(), 2);
    }

    #[test]
    fn errata_look_only_at_what_was_recorded_between_the_two_times() {
        let mut given = Given::registered();
        given.status(1, Status::Signed, "2000-01-01");
        given.status(2, Status::InForce, "2001-01-01");
        given.status(3, Status::Expired, "2002-01-01");

        // up to 2: the in-force status is added and the signature's
        // interval now ends; the expiry, recorded at 3, is not seen
        let errata = Errata::between(&given.events, given.time(1), Some(given.time(2))).unwrap();
        let added: Vec<_> = errata
            .added
            .iter()
            .map(|i| (i.entry.status(), i.to))
            .collect();
        assert_eq!(added, [(Status::InForce, None)]);
        assert!(errata.removed.is_empty());
        let changed: Vec<_> = errata
            .changed
            .iter()
            .map(|c| (c.after.entry.status(), c.before.to, c.after.to))
            .collect();
        assert_eq!(changed, [(Status::Signed, None, Some(day("2001-01-01")))]);
        assert_eq!(errata.recorded.len(), 1);

        // nothing recorded in between, or the times the wrong way round
        assert_eq!(Errata::between(&given.events, given.time(3), None), None);
        assert_eq!(
            Errata::between(&given.events, given.time(2), Some(given.time(2))),
            None
        );
        assert_eq!(
            Errata::between(&given.events, given.time(3), Some(given.time(1))),
            None
        );
    }
}
