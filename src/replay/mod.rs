//! Replay: a pure fold from a stream's events to its timeline, and the
//! questions a timeline answers.
//!
//! The timeline is the stream's `status` events that no retraction withdrew,
//! ordered by (effective date, recorded time, seq): a status takes effect on
//! its own date, and of two on the same day the one recorded later comes
//! later (the one appended later, but after a git merge, whose events of
//! both branches on one day go by the time each was recorded). Folding does
//! no I/O, reads no clock and validates nothing; [`Timeline::check`] validates
//! a new status against the timeline before it is appended, and
//! [`check_retraction`] a retraction.
//!
//! There is one timeline type, [`Timeline`], generic over what it keeps of
//! each status (a [`Step`]): whole events for the library and the commands
//! that decide, 20-byte [`Mark`]s for a stream of any length, what an import
//! keeps of a row. Its order, its answers and the lifecycle rule between
//! neighbours are written once, with the type.
//!
//! What the record said at a past time T is the same fold over the events
//! recorded at or before T ([`as_of`]), judged event by event: recorded
//! times never decrease along a stream but at a line a git merge re-linked,
//! so those events are a prefix of it but after a merge.
//!
//! [`errata`] compares a stream's timelines as recorded at two times. The
//! parts that read the store, through [`crate::log`], are [`cache`], which
//! keeps each stream's timeline beside the streams, in a file of the store,
//! for whole-store questions (and rebuilds it), and [`verify`], which checks
//! every stream and holds the cache to them.
//!
//! Depends on: [`crate::model`], [`crate::log`].

pub mod cache;
pub mod errata;
mod timeline;
pub mod verify;

pub use timeline::{
    Interval, LifecycleBreak, OnDay, Staged, Step, Timeline, breaks, check_between,
    retraction_breaks,
};

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::log::store::{Lines, Store};
use crate::log::stream::Folded;
use crate::model::date::EffectiveDate;
use crate::model::error::{Error, LifecycleError, NotRetractable};
use crate::model::event::{Edits, Event, EventBody, Fact, Note, Retraction, StatusChange, What};
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;

/// What replay reads of an event: an [`Event`], or a [`Fact`] (an event
/// without its text) when a whole store is read.
pub trait Replayable {
    /// The event without its text.
    fn fact(&self) -> Fact;
}

impl Replayable for Event {
    fn fact(&self) -> Fact {
        Event::fact(self)
    }
}

impl Replayable for Fact {
    fn fact(&self) -> Fact {
        *self
    }
}

/// One status event in its place in the timeline.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry<'e, E = Event> {
    /// The event that recorded it.
    pub event: &'e E,
    /// When it was recorded, in microseconds since 1970 (UTC).
    recorded: i64,
    seq: u64,
    id: Uuid,
    status: Status,
    on: EffectiveDate,
    forced: bool,
    reported: bool,
}

impl<E> Clone for Entry<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for Entry<'_, E> {}

impl<'e, E> Entry<'e, E> {
    /// The status entered.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The effective date.
    pub fn on(&self) -> EffectiveDate {
        self.on
    }

    /// Whether it was recorded with `--force`.
    pub fn forced(&self) -> bool {
        self.forced
    }

    /// Whether it is known only from reports (`--reported`).
    pub fn reported(&self) -> bool {
        self.reported
    }
}

impl<'e> Entry<'e, Event> {
    /// What the event recorded, its text included.
    pub fn change(&self) -> &'e StatusChange {
        self.event
            .status_change()
            .expect("a timeline holds only status events")
    }
}

impl<E> Step for Entry<'_, E> {
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
    fn reported(&self) -> bool {
        self.reported
    }
}

impl<'e> Timeline<Entry<'e, Event>> {
    /// Folds events (in any order) into the timeline of `party`: the
    /// statuses of the pact as a whole and those that name `party` (as the
    /// pact names it), in one order. A party with no statuses of its own
    /// has the pact's.
    pub fn of_party(events: impl IntoIterator<Item = &'e Event>, party: &str) -> Self {
        let mut confirming = Confirming::default();
        let timeline = events
            .into_iter()
            .fold(Timeline::default(), |mut timeline, event| {
                confirming.visit(&event.fact());
                match &event.body {
                    EventBody::Status(change)
                        if change.parties.iter().any(|p| p.eq_ignore_ascii_case(party)) =>
                    {
                        timeline.place(Entry::of(event, change));
                        timeline
                    }
                    _ => timeline.apply(event),
                }
            });
        confirming.confirm(timeline)
    }
}

/// The official citations of a stream, gathered as it is folded, to
/// confirm the statuses they cite: few, in most streams none.
#[derive(Default)]
struct Confirming {
    /// Each official citation's id and its target's.
    citations: Vec<(Uuid, Uuid)>,
    /// The events retractions withdrew, citations among them.
    withdrawn: HashSet<Uuid>,
}

impl Confirming {
    fn visit(&mut self, fact: &Fact) {
        match fact.what {
            What::Citation {
                target,
                official: true,
            } => self.citations.push((fact.id, target)),
            What::Retraction { target } if !self.citations.is_empty() => {
                self.withdrawn.insert(target);
            }
            _ => {}
        }
    }

    /// `timeline` with every status an official citation confirms (one no
    /// retraction withdrew) no longer known only from reports.
    fn confirm<'e, E>(&self, mut timeline: Timeline<Entry<'e, E>>) -> Timeline<Entry<'e, E>> {
        let confirmed: HashSet<Uuid> = self
            .citations
            .iter()
            .filter(|(id, _)| !self.withdrawn.contains(id))
            .map(|(_, target)| *target)
            .collect();
        if !confirmed.is_empty() {
            timeline.each_mut(|e| e.reported &= !confirmed.contains(&e.id));
        }
        timeline
    }
}

impl<'e> Entry<'e, Event> {
    /// The entry of the status event `event`, which records `change`.
    fn of(event: &'e Event, change: &StatusChange) -> Self {
        Entry {
            event,
            recorded: event.recorded.timestamp_micros(),
            seq: event.seq,
            id: event.id,
            status: change.status,
            on: change.on,
            forced: change.forced,
            reported: change.reported,
        }
    }
}

impl<'e, E: Replayable> Timeline<Entry<'e, E>> {
    /// Folds events (in any order) into a timeline.
    ///
    /// ```
    /// # use pactlog::{Event, Timeline};
    /// let events: Vec<Event> = Vec::new();
    /// let timeline = Timeline::new(&events);
    /// assert!(timeline.entries().is_empty());
    /// ```
    pub fn new(events: impl IntoIterator<Item = &'e E>) -> Self {
        let mut confirming = Confirming::default();
        let timeline = events
            .into_iter()
            .fold(Timeline::default(), |timeline, event| {
                let fact = event.fact();
                confirming.visit(&fact);
                timeline.apply_fact(event, fact)
            });
        confirming.confirm(timeline)
    }

    /// Applies one event: a status event of the pact as a whole takes its
    /// place by (date, recorded time, seq), a retraction removes its target; other kinds,
    /// and a status of named parties, change nothing. An official
    /// citation's confirmation needs every event: [`Timeline::new`] takes
    /// it in.
    pub fn apply(self, event: &'e E) -> Self {
        let fact = event.fact();
        self.apply_fact(event, fact)
    }

    /// [`Timeline::apply`], of `event` whose fact is `fact`.
    fn apply_fact(mut self, event: &'e E, fact: Fact) -> Self {
        match fact.what {
            What::Status {
                status,
                on,
                forced,
                reported,
                of_parties: false,
            } => self.place(Entry {
                event,
                recorded: fact.recorded.timestamp_micros(),
                seq: fact.seq,
                id: fact.id,
                status,
                on,
                forced,
                reported,
            }),
            What::Retraction { target } => self.retain(|e| e.id != target),
            What::Registered
            | What::Note { .. }
            | What::Status { .. }
            | What::Citation { .. }
            | What::Edited => {}
        }
        self
    }
}

/// The events of a stream (in append order) that were recorded at or before
/// `as_of`; all of them for `None`. Each event counts by its own recorded
/// time: those are the stream's first events, borrowed, unless a git merge
/// re-linked lines recorded before lines above them, when they are picked
/// out.
pub fn as_of<E: Replayable + Clone>(events: &[E], as_of: Option<DateTime<Utc>>) -> Cow<'_, [E]> {
    let Some(t) = as_of else {
        return Cow::Borrowed(events);
    };
    let seen = |e: &E| e.fact().recorded <= t;
    let first = events.iter().position(|e| !seen(e)).unwrap_or(events.len());
    match events[first..].iter().any(seen) {
        false => Cow::Borrowed(&events[..first]),
        true => Cow::Owned(events.iter().filter(|e| seen(e)).cloned().collect()),
    }
}

/// The retractions among `events`, by the id of the event each withdraws.
pub fn retractions(events: &[Event]) -> HashMap<Uuid, (&Event, &Retraction)> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Retraction(r) => Some((r.target, (e, r))),
            _ => None,
        })
        .collect()
}

/// A stream's notes that no retraction withdrew, ordered by (date, recorded
/// time, seq), as a timeline orders statuses.
pub fn notes(events: &[Event]) -> Vec<(&Event, &Note)> {
    let retracted = retractions(events);
    let mut notes: Vec<_> = events
        .iter()
        .filter(|e| !retracted.contains_key(&e.id))
        .filter_map(|e| e.note().map(|n| (e, n)))
        .collect();
    notes.sort_by_key(|(e, n)| (n.on.earliest(), e.recorded, e.seq));
    notes
}

/// Checks that event `target` of a stream may be retracted: it exists, is
/// not the registration nor a retraction, is not retracted already, and the
/// timeline without it still keeps the lifecycle.
///
/// # Errors
///
/// [`Error::RetractionRefused`] for a target that cannot be retracted, and
/// [`LifecycleError::RetractionBreaks`] naming the events in the way.
pub fn check_retraction(pact: &PactId, events: &[Event], target: Uuid) -> Result<(), Error> {
    let refused = |why| Error::RetractionRefused {
        pact: pact.to_string(),
        target,
        why,
    };
    let Some(event) = events.iter().find(|e| e.id == target) else {
        return Err(refused(NotRetractable::NoSuchEvent));
    };
    match &event.body {
        EventBody::Registered(_) => return Err(refused(NotRetractable::Registration)),
        EventBody::Retraction(_) => return Err(refused(NotRetractable::Retraction)),
        EventBody::Edited(_) => return Err(refused(NotRetractable::Edit)),
        EventBody::Status(_) | EventBody::Note(_) | EventBody::Citation(_) => {}
    }
    if let Some((by, retraction)) = retractions(events).get(&target) {
        return Err(refused(NotRetractable::AlreadyRetracted {
            by: by.id,
            seq: by.seq,
            reason: retraction.reason.clone(),
        }));
    }
    check_withdrawal(pact, events, event, None)
}

/// The parties that statuses among `events` name, each once, in the order
/// first named: those whose timelines differ from the pact's.
pub(crate) fn parties_with_statuses<'e>(
    events: impl IntoIterator<Item = &'e Event>,
) -> Vec<&'e str> {
    let mut named: Vec<&str> = Vec::new();
    let statuses = events.into_iter().filter_map(Event::status_change);
    for party in statuses.flat_map(|c| c.parties.iter().map(String::as_str)) {
        if !named.iter().any(|p| p.eq_ignore_ascii_case(party)) {
            named.push(party);
        }
    }
    named
}

/// Checks that withdrawing `event`, a status, note or citation of a stream
/// (`events`), keeps each timeline it is in to the lifecycle: the statuses
/// either side of it may stand side by side. `copy` is a status recorded
/// with the withdrawal, the event amended: two statuses it will stand
/// between are not side by side. (Whether the copy itself may stand where
/// it goes is a new status's question, [`Timeline::check`].)
///
/// # Errors
///
/// [`LifecycleError::RetractionBreaks`] naming the events in the way (for
/// a party's timeline, in an [`Error::PartyLifecycle`]).
pub fn check_withdrawal(
    pact: &PactId,
    events: &[Event],
    event: &Event,
    copy: Option<&StatusChange>,
) -> Result<(), Error> {
    let target = event.id;
    // the timeline the target is in: the pact's, or each of its parties'
    let parties = event
        .status_change()
        .map(|c| c.parties.as_slice())
        .unwrap_or_default();
    // a status of the pact as a whole is in each party's timeline too,
    // where it may be all that stands between two of the party's own
    let with_own: Vec<&str> = match parties {
        [] => parties_with_statuses(events),
        parties => parties.iter().map(String::as_str).collect(),
    };
    let own = |party: &str, e: &Entry<'_>| {
        e.change()
            .parties
            .iter()
            .any(|p| p.eq_ignore_ascii_case(party))
    };
    let mut timelines: Vec<(Option<&str>, Timeline<Entry<'_>>)> = Vec::new();
    if parties.is_empty() {
        timelines.push((None, Timeline::new(events)));
    }
    timelines.extend(
        with_own
            .iter()
            .map(|p| (Some(*p), Timeline::of_party(events, p))),
    );
    for (party, timeline) in &timelines {
        if let Err((before, after)) = timeline.check_withdrawal(|e| e.id == target) {
            // a party's timeline keeps the lifecycle at its own statuses
            if party.is_some_and(|p| !own(p, after)) {
                continue;
            }
            if copy.is_some_and(|c| fills(c, *party, before, after)) {
                continue;
            }
            let side =
                |e: &Entry<'_>| format!("{} on {} (event {})", e.status(), e.on(), e.event.id);
            let breaks = LifecycleError::RetractionBreaks {
                pact: pact.to_string(),
                target,
                before: before.map(side),
                after: side(after),
            };
            return Err(Error::in_timeline(*party, breaks));
        }
    }
    Ok(())
}

/// Whether status `copy`, recorded after every event of a stream, goes
/// between `before` and `after`, neighbours in the timeline of `party` (none:
/// the pact's own).
fn fills(
    copy: &StatusChange,
    party: Option<&str>,
    before: Option<&Entry<'_>>,
    after: &Entry<'_>,
) -> bool {
    let in_timeline = copy.parties.is_empty()
        || party.is_some_and(|p| copy.parties.iter().any(|c| c.eq_ignore_ascii_case(p)));
    // it has the highest seq: on the day of `after`, it comes after it
    let day = copy.on.earliest();
    in_timeline && before.is_none_or(|b| b.on().earliest() <= day) && day < after.on().earliest()
}

/// The pact's metadata as `events` leave it: its registration with each
/// edit among them applied in the order they were recorded (none without a
/// registration). Given the events recorded by a time ([`as_of`]), it is
/// the metadata as it stood then.
pub fn pact_of(events: &[Event]) -> Option<Pact> {
    let mut pact = None;
    let mut edits = Edits::default();
    for event in events {
        match &event.body {
            EventBody::Registered(registered) => pact = Some(registered.clone()),
            EventBody::Edited(edit) => edits.add(event.recorded, event.seq, edit.clone()),
            _ => {}
        }
    }
    pact.map(|pact| edits.applied(pact))
}

/// A status or a note as a fold over a long stream keeps it: its date and
/// its place in the stream, not its text, in 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// The earliest day of its date, and the date's
    /// [`code`](EffectiveDate::code): the date in 5 bytes.
    earliest: NaiveDate,
    code: u8,
    /// Its line, which is its event's seq.
    line: u32,
    /// Its place among the stream's statuses and notes in the order they
    /// were recorded, which orders those of one day: its line, but in a
    /// stream a git merge re-linked lines of, where a line may be recorded
    /// before lines above it.
    rank: u32,
    /// Where its line begins in the stream, in two halves, so that a mark
    /// is aligned to 4 bytes.
    offset: [u32; 2],
    /// The status entered; none for a note.
    status: Option<Status>,
    flags: u8,
}

/// The flags of a [`Mark`].
const FORCED: u8 = 1;
const REPORTED: u8 = 2;
const NOTED: u8 = 4;
const WITHDRAWN: u8 = 8;
/// An official citation confirms it: it is no longer known only from
/// reports.
const CONFIRMED: u8 = 16;

/// The flags of a status's [`Mark`]: made by the fold and held against the
/// event read again, so one function makes both.
fn mark_flags(forced: bool, reported: bool, noted: bool) -> u8 {
    let flag = |set: bool, bit: u8| if set { bit } else { 0 };
    flag(forced, FORCED) | flag(reported, REPORTED) | flag(noted, NOTED)
}

impl Mark {
    /// The effective date, or the date a note is about.
    pub fn on(&self) -> EffectiveDate {
        EffectiveDate::from_code(self.earliest, self.code).expect("a mark is made of a date")
    }

    /// The line of its event, which is the event's seq.
    pub fn line(&self) -> usize {
        self.line as usize
    }

    /// Where its line begins in the stream.
    pub fn offset(&self) -> u64 {
        u64::from(self.offset[0]) | u64::from(self.offset[1]) << 32
    }

    /// The status entered (a note's mark has none).
    pub fn status(&self) -> Option<Status> {
        self.status
    }

    /// Whether it was recorded with `--force`.
    pub fn forced(&self) -> bool {
        self.flags & FORCED != 0
    }

    /// Whether it is known only from reports (`--reported`), and no
    /// official citation confirmed it.
    pub fn reported(&self) -> bool {
        self.flags & (REPORTED | CONFIRMED) == REPORTED
    }

    /// Whether the status event was recorded as known only from reports
    /// (`--reported`), whatever confirmed it since: whether its own source
    /// is a report.
    pub fn recorded_as_reported(&self) -> bool {
        self.flags & REPORTED != 0
    }

    /// Whether the status event has a note, a remark on it.
    pub fn noted(&self) -> bool {
        self.flags & NOTED != 0
    }

    /// Reads its event again from `lines`, the stream its outline was
    /// folded from.
    ///
    /// # Errors
    ///
    /// As [`Lines`] reading a line, and [`Lines::changed`] when the line
    /// read is not the event the mark was made of: the file was changed in
    /// place meanwhile.
    pub fn read(&self, lines: &mut Lines) -> Result<Event, Error> {
        let event = lines.event(self.line(), self.offset())?;
        match self.is_of(&event) {
            true => Ok(event),
            false => Err(lines.changed(self.line())),
        }
    }

    /// Whether `event` is the one this mark was made of, as far as the mark
    /// tells: a line read again is checked against it.
    pub fn is_of(&self, event: &Event) -> bool {
        let flags = match &event.body {
            EventBody::Status(change) if Some(change.status) == self.status => {
                mark_flags(change.forced, change.reported, change.note.is_some())
            }
            EventBody::Note(_) if self.status.is_none() => 0,
            _ => return false,
        };
        let on = event.fact().what.on();
        let flags_read = self.flags & !(WITHDRAWN | CONFIRMED);
        event.seq == u64::from(self.line) && on == Some(self.on()) && flags == flags_read
    }
}

/// A citation as an outline keeps it: where its line is, and what it
/// cites, to read its source again for the event an answer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cited {
    line: u32,
    target: u32,
    offset: u64,
    official: bool,
    withdrawn: bool,
}

impl Cited {
    /// The line of the citation.
    pub fn line(&self) -> usize {
        self.line as usize
    }

    /// The line of the event it cites.
    pub fn target(&self) -> usize {
        self.target as usize
    }

    /// Reads the source it adds again from `lines`.
    ///
    /// # Errors
    ///
    /// As [`Mark::read`].
    pub fn read(&self, lines: &mut Lines) -> Result<Source, Error> {
        let event = lines.event(self.line(), self.offset)?;
        match event.body {
            EventBody::Citation(c) if event.seq == u64::from(self.line) => Ok(Source {
                source: Some(c.source),
                url: c.url,
                official: c.official,
            }),
            _ => Err(lines.changed(self.line())),
        }
    }
}

/// One source of an event: its own, or one a citation added.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Source {
    /// The outlet and title.
    pub source: Option<String>,
    /// A link to it.
    pub url: Option<String>,
    /// Whether it is official: a citation marked so, or the event's own
    /// source when the event was not recorded as known only from reports.
    pub official: bool,
}

/// Every source of `event` among `events`: its own (when it has one), then
/// each citation of it no retraction withdrew, in the order recorded.
pub fn sources(events: &[Event], event: &Event) -> Vec<Source> {
    let withdrawn: HashSet<Uuid> = retractions(events).into_keys().collect();
    let own = own_source(event);
    let cited = events.iter().filter_map(|e| match &e.body {
        EventBody::Citation(c) if c.target == event.id && !withdrawn.contains(&e.id) => {
            Some(Source {
                source: Some(c.source.clone()),
                url: c.url.clone(),
                official: c.official,
            })
        }
        _ => None,
    });
    own.into_iter().chain(cited).collect()
}

/// The event's own source, when it has one: official unless the event was
/// recorded as known only from reports.
pub fn own_source(event: &Event) -> Option<Source> {
    let (source, url, official) = match &event.body {
        EventBody::Status(c) => (&c.source, &c.url, !c.reported),
        EventBody::Note(n) => (&n.source, &n.url, true),
        _ => return None,
    };
    (source.is_some() || url.is_some()).then(|| Source {
        source: source.clone(),
        url: url.clone(),
        official,
    })
}

/// A stream's timeline and notes as a fold over a stream of any length
/// keeps them: each status and note as a [`Mark`], its text left in the
/// stream, to be read again for the few an answer shows: a [`Timeline`] of
/// marks, and the notes as [`notes`] gives them, of the events recorded by
/// `as_of`.
#[derive(Debug, Clone, Default)]
pub struct Outline {
    as_of: Option<DateTime<Utc>>,
    /// The status events, in line order while the stream is read.
    statuses: Vec<Mark>,
    /// Once it is read, its timeline: the statuses, those withdrawn left
    /// out.
    timeline: Timeline<Mark>,
    /// The notes, likewise; then in (date, line) order.
    notes: Vec<Mark>,
    /// How many events were recorded by `as_of`.
    visible: usize,
    /// When the first event was recorded.
    registered: Option<DateTime<Utc>>,
    /// The latest time a line read so far was recorded.
    latest: Option<DateTime<Utc>>,
    /// Whether a line was recorded before one above it, as a line a git
    /// merge re-linked may be: then the order its statuses and notes were
    /// recorded in is not the order of their lines.
    stepped_back: bool,
    /// The pact's metadata as it stood by `as_of`: its registration with
    /// the edits recorded by then (once finished; until then, the
    /// registration, and the edits in `edits`).
    pact: Option<Pact>,
    edits: Edits,
    /// Whether a status of named parties was recorded: their timelines
    /// then differ from the pact's.
    of_parties: bool,
    /// The citations, in line order.
    citations: Vec<Cited>,
    /// The party whose timeline it is; none for the pact's.
    party: Option<String>,
}

impl Outline {
    /// Folds the stream of `id` in `store` into the outline of the events
    /// recorded by `as_of` (all without it), finished: with what the fold
    /// found, and the stream open to read again the lines it shows.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`] for a line that is not sound, [`Error::Io`] when the
    /// stream cannot be read.
    pub fn of_stream(
        store: &Store,
        id: &PactId,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<(Folded, Lines, Outline), Error> {
        Outline::of_party_stream(store, id, as_of, None)
    }

    /// [`Outline::of_stream`] for `party`'s timeline (none: the pact's):
    /// the statuses of the pact as a whole and those naming the party, and
    /// the notes of the pact as a whole and those naming the party (none:
    /// every note).
    ///
    /// # Errors
    ///
    /// As [`Outline::of_stream`].
    pub fn of_party_stream(
        store: &Store,
        id: &PactId,
        as_of: Option<DateTime<Utc>>,
        party: Option<&str>,
    ) -> Result<(Folded, Lines, Outline), Error> {
        let ((folded, lines), outline) = Outline::fold(as_of, party, |visit| {
            store.fold(id, |line| {
                visit(&line);
                Ok(())
            })
        })?;
        Ok((folded, lines, outline))
    }

    /// The outline of the events recorded by `as_of`, for `party`'s
    /// timeline (none: the pact's), of the stream `fold` reads: it hands
    /// each line to the visitor it is given, once, or twice for a stream a
    /// git merge re-linked lines of, whose lines are read again for the
    /// times their statuses and notes were recorded.
    pub(crate) fn fold<T, E>(
        as_of: Option<DateTime<Utc>>,
        party: Option<&str>,
        mut fold: impl FnMut(&mut dyn FnMut(&crate::log::stream::Line<'_>)) -> Result<T, E>,
    ) -> Result<(T, Outline), E> {
        let mut outline = Outline::new(as_of);
        outline.party = party.map(str::to_owned);
        let folded = fold(&mut |line| outline.visit(line))?;
        if outline.stepped_back {
            // (the rare stream that needs them: a long one of no merge
            // keeps no time of each event)
            let mut times = Vec::new();
            fold(&mut |line| {
                if let What::Status { .. } | What::Note { .. } = line.fact.what {
                    times.push((line.number as u32, line.fact.recorded.timestamp_micros()));
                }
            })?;
            outline.rank(times);
        }
        Ok((folded, outline.finish()))
    }

    /// An outline of the events recorded by `as_of` (all without it).
    pub(crate) fn new(as_of: Option<DateTime<Utc>>) -> Outline {
        Outline {
            as_of,
            ..Outline::default()
        }
    }

    /// Takes in the next line of the stream.
    pub(crate) fn visit(&mut self, line: &crate::log::stream::Line<'_>) {
        let fact = &line.fact;
        self.registered.get_or_insert(fact.recorded);
        self.stepped_back |= self.latest.is_some_and(|t| fact.recorded < t);
        self.latest = self.latest.max(Some(fact.recorded));
        // each event counts by its own recorded time: after a git merge,
        // lines recorded by `as_of` may follow some recorded after it
        if self.as_of.is_some_and(|t| fact.recorded > t) {
            return;
        }
        self.visible += 1;
        let mark = |on: EffectiveDate, status, flags| Mark {
            earliest: on.earliest(),
            code: on.code(),
            line: line.number as u32,
            rank: line.number as u32,
            offset: [line.offset as u32, (line.offset >> 32) as u32],
            status,
            flags,
        };
        match fact.what {
            What::Status {
                status,
                on,
                forced,
                reported,
                of_parties,
            } => {
                let names_party = |p: &String| line.names_party(p);
                if of_parties {
                    self.of_parties = true;
                    if !self.party.as_ref().is_some_and(names_party) {
                        return;
                    }
                }
                let flags = mark_flags(forced, reported, line.has_note());
                self.statuses.push(mark(on, Some(status), flags));
            }
            What::Note { on } => {
                let named = line.names_parties();
                let for_party = |p: &String| line.names_party(p);
                if named && self.party.as_ref().is_some_and(|p| !for_party(p)) {
                    return;
                }
                self.notes.push(mark(on, None, 0));
            }
            What::Retraction { .. } => {
                let Some(target) = line.target else { return };
                for marks in [&mut self.statuses, &mut self.notes] {
                    let at = marks.partition_point(|m| m.line() < target);
                    if let Some(mark) = marks.get_mut(at).filter(|m| m.line() == target) {
                        mark.flags |= WITHDRAWN;
                    }
                }
                let at = self.citations.partition_point(|c| c.line() < target);
                let cited = self.citations.get_mut(at).filter(|c| c.line() == target);
                if let Some(citation) = cited {
                    citation.withdrawn = true;
                }
            }
            What::Citation { official, .. } => {
                if let Some(target) = line.target {
                    self.citations.push(Cited {
                        line: line.number as u32,
                        target: target as u32,
                        offset: line.offset,
                        official,
                        withdrawn: false,
                    });
                }
            }
            // the metadata as it stood by `as_of`
            What::Registered => {
                let record = line.record();
                let id = PactId::parse(record.pact()).ok();
                self.pact = id.and_then(|id| record.registered_pact(id).ok());
            }
            What::Edited => self
                .edits
                .add(fact.recorded, fact.seq, line.record().edit()),
        }
    }

    /// Ranks the statuses and notes by the time they were recorded, each
    /// line's in `times` (in line order), for a stream whose lines are not
    /// in that order: of two on one day, the one recorded later comes later.
    fn rank(&mut self, mut times: Vec<(u32, i64)>) {
        let mut by_time: Vec<u32> = (0..times.len() as u32).collect();
        by_time.sort_by_key(|&i| (times[i as usize].1, times[i as usize].0));
        for (rank, i) in by_time.into_iter().enumerate() {
            times[i as usize].1 = rank as i64;
        }
        for mark in self.statuses.iter_mut().chain(&mut self.notes) {
            if let Ok(at) = times.binary_search_by_key(&mark.line, |t| t.0) {
                mark.rank = times[at].1 as u32;
            }
        }
    }

    /// Leaves out what was withdrawn and puts the rest in timeline order:
    /// what to call once every line is in.
    pub(crate) fn finish(mut self) -> Outline {
        self.pact = self.pact.map(|pact| self.edits.applied(pact));
        let withdrawn = |m: &Mark| m.flags & WITHDRAWN != 0;
        // the statuses official citations confirm, still in line order
        let confirming = self.citations.iter().filter(|c| c.official && !c.withdrawn);
        for target in confirming.map(Cited::target) {
            let at = self.statuses.partition_point(|m| m.line() < target);
            if let Some(mark) = self.statuses.get_mut(at).filter(|m| m.line() == target) {
                mark.flags |= CONFIRMED;
            }
        }
        let mut statuses = std::mem::take(&mut self.statuses);
        statuses.retain(|m| !withdrawn(m));
        self.timeline = Timeline::of(statuses);
        self.notes.retain(|m| !withdrawn(m));
        self.notes
            .sort_unstable_by_key(|m| (m.earliest, m.rank, m.line));
        self
    }

    /// The citations of the event of line `line` that no retraction
    /// withdrew, in the order they were recorded.
    pub fn cited(&self, line: usize) -> impl Iterator<Item = &Cited> {
        self.citations
            .iter()
            .filter(move |c| c.target() == line && !c.withdrawn)
    }

    /// The pact's metadata as it stood by `as_of`: its registration with
    /// the edits recorded by then (none before it was registered).
    pub fn pact(&self) -> Option<&Pact> {
        self.pact.as_ref()
    }

    /// Whether a status of named parties was recorded by `as_of`: their
    /// timelines then differ from the pact's.
    pub fn of_parties(&self) -> bool {
        self.of_parties
    }

    /// How many events were recorded by `as_of`: none when the pact was
    /// not registered yet.
    pub fn visible(&self) -> usize {
        self.visible
    }

    /// When the pact was registered.
    pub fn registered(&self) -> Option<DateTime<Utc>> {
        self.registered
    }

    /// The timeline: the status events, ordered by (effective date,
    /// recorded time, seq).
    pub fn timeline(&self) -> &Timeline<Mark> {
        &self.timeline
    }

    /// The notes no retraction withdrew, ordered by (date, recorded time,
    /// seq).
    pub fn notes(&self) -> &[Mark] {
        &self.notes
    }
}

impl Step for Mark {
    fn on(&self) -> EffectiveDate {
        Mark::on(self)
    }
    /// Its rank among the stream's statuses and notes in the order they
    /// were recorded, which orders them as their times do.
    fn recorded(&self) -> i64 {
        i64::from(self.rank)
    }
    fn seq(&self) -> u64 {
        u64::from(self.line)
    }
    /// The status entered: a timeline of marks holds only status marks,
    /// the notes are kept apart.
    fn status(&self) -> Status {
        self.status.expect("a timeline holds only statuses")
    }
    fn forced(&self) -> bool {
        self.flags & FORCED != 0
    }
    fn reported(&self) -> bool {
        Mark::reported(self)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, NaiveDate, TimeDelta};
    use proptest::prelude::*;

    use super::*;
    use crate::log::stream::{Stream, fold};
    use crate::model::event::Hash;
    use crate::model::pact::Pact;

    /// The effective date a test step's `day` stands for: a day of 2000
    /// for most, the year 2000 or its month for some, and some of each
    /// unsure or approximate; so that dates of every precision overlap.
    pub(crate) fn date_of(day: u16) -> EffectiveDate {
        use crate::model::date::{Precision, Qualifier};
        let exact = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + TimeDelta::days(day.into());
        let (earliest, precision) = match day % 7 {
            0 => (
                NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
                Precision::Year,
            ),
            1 => (exact.with_day(1).unwrap(), Precision::Month),
            _ => (exact, Precision::Day),
        };
        let qualifier = match day % 5 {
            0 => Some(Qualifier::Uncertain),
            1 => Some(Qualifier::Approximate),
            _ => None,
        };
        EffectiveDate::new(earliest, precision, qualifier).unwrap()
    }

    /// A stream's bytes from `steps` (a status or note on a day that is 5,
    /// or 6, more than a multiple of 11 is party A's): (kind, date, status, flag, target),
    /// where kind 0 is a status, 1 a note, 2 a retraction of the
    /// `target`-th status, note or citation not retracted yet, 3 a
    /// citation, official unless `flag`, of the `target`-th status or note
    /// not retracted yet (none: skipped), and 4 an amendment of that status
    /// or note: its retraction, and a copy on the day given, a status
    /// copy's with the status given (none: skipped).
    pub(crate) fn stream(steps: &[(u8, u16, usize, bool, usize)]) -> Vec<u8> {
        let pact = PactId::parse("p").unwrap();
        let start = DateTime::UNIX_EPOCH;
        let mut events = vec![Event {
            pact: pact.clone(),
            seq: 1,
            id: Uuid::now_v7(),
            recorded: start,
            body: EventBody::Registered(Pact {
                parties: vec!["A".into()],
                ..Pact::named(pact.clone(), "P")
            }),
            prev: None,
            relinked: None,
        }];
        // some statuses and notes are party A's, not the pact's
        let of_a = |day: u16, at: u16| match day % 11 == at {
            true => vec!["A".to_owned()],
            false => Vec::new(),
        };
        let mut open: Vec<Uuid> = Vec::new();
        // the citations among the open events, which are not cited
        let mut cites: Vec<Uuid> = Vec::new();
        for (i, &(kind, day, status, flag, target)) in steps.iter().enumerate() {
            let on = date_of(day);
            let body = match kind {
                0 => EventBody::Status(StatusChange {
                    status: Status::ALL[status % Status::ALL.len()],
                    on,
                    source: None,
                    url: None,
                    note: flag.then(|| "a remark".into()),
                    reported: status % 3 == 0,
                    forced: flag,
                    parties: of_a(day, 5),
                    amends: None,
                }),
                1 => EventBody::Note(Note {
                    on,
                    text: "a note".into(),
                    source: None,
                    url: None,
                    parties: of_a(day, 6),
                    amends: None,
                }),
                // an official citation (unofficial when `flag`) of an open
                // status or note
                3 => {
                    let citable: Vec<Uuid> = open
                        .iter()
                        .filter(|id| !cites.contains(id))
                        .copied()
                        .collect();
                    if citable.is_empty() {
                        continue;
                    }
                    EventBody::Citation(crate::model::event::Citation {
                        target: citable[target % citable.len()],
                        source: "a gazette".into(),
                        url: None,
                        official: !flag,
                    })
                }
                // an amendment: the retraction, recorded with the copy
                4 => {
                    let amendable: Vec<Uuid> = open
                        .iter()
                        .filter(|id| !cites.contains(id))
                        .copied()
                        .collect();
                    if amendable.is_empty() {
                        continue;
                    }
                    let amended = amendable[target % amendable.len()];
                    open.retain(|id| *id != amended);
                    let original = events.iter().find(|e| e.id == amended).unwrap();
                    let copy = match &original.body {
                        EventBody::Status(was) => EventBody::Status(StatusChange {
                            status: Status::ALL[status % Status::ALL.len()],
                            on,
                            amends: Some(amended),
                            ..was.clone()
                        }),
                        EventBody::Note(was) => EventBody::Note(Note {
                            on,
                            amends: Some(amended),
                            ..was.clone()
                        }),
                        _ => unreachable!("only statuses and notes are amendable"),
                    };
                    events.push(Event {
                        pact: pact.clone(),
                        seq: events.len() as u64 + 1,
                        id: Uuid::now_v7(),
                        recorded: start + TimeDelta::seconds(i as i64 / 2),
                        body: EventBody::Retraction(Retraction {
                            target: amended,
                            reason: "amended".into(),
                        }),
                        prev: None,
                        relinked: None,
                    });
                    copy
                }
                _ if open.is_empty() => continue,
                _ => EventBody::Retraction(Retraction {
                    target: open.remove(target % open.len()),
                    reason: "in error".into(),
                }),
            };
            let event = Event {
                pact: pact.clone(),
                seq: events.len() as u64 + 1,
                id: Uuid::now_v7(),
                // two events at a time share a recorded time
                recorded: start + TimeDelta::seconds(i as i64 / 2),
                body,
                prev: None,
                relinked: None,
            };
            if matches!(event.body, EventBody::Citation(_)) {
                cites.push(event.id);
            }
            if !matches!(event.body, EventBody::Retraction(_)) {
                open.push(event.id);
            }
            events.push(event);
        }
        let mut bytes = Vec::new();
        let mut prev = None;
        for mut event in events {
            event.prev = prev;
            let line = event.to_line();
            prev = Some(Hash::of(line.as_bytes()));
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        bytes
    }

    /// [`stream`]'s bytes as a git merge may leave them: every line after
    /// the first `kept` re-linked, as if it came from another branch, and
    /// recorded at the seconds `times` give in turn (from the start of
    /// [`stream`]'s clock), so that lines step back and forth in time.
    pub(crate) fn merged(
        steps: &[(u8, u16, usize, bool, usize)],
        (kept, times): (usize, &[u16]),
    ) -> Vec<u8> {
        let bytes = stream(steps);
        let mut out = Vec::new();
        let mut prev = None;
        for (i, line) in bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            let mut event = Event::from_line(line).unwrap();
            event.prev = prev;
            let line = match i < kept.max(1) {
                true => event.to_line().into_bytes(),
                false => {
                    let second = times[i % times.len()];
                    event.recorded = DateTime::UNIX_EPOCH + TimeDelta::seconds(second.into());
                    let line = event.to_line();
                    crate::log::codec::relink(line.as_bytes(), event.seq, prev.unwrap()).unwrap()
                }
            };
            prev = Some(Hash::of(&line));
            out.extend(line);
            out.push(b'\n');
        }
        out
    }

    /// The outline of `bytes`, a stream of `p`, as of `at`, for `party`.
    pub(crate) fn outline_of(
        bytes: &[u8],
        at: Option<DateTime<Utc>>,
        party: Option<&str>,
    ) -> Outline {
        let id = PactId::parse("p").unwrap();
        let (_, outline) = Outline::fold(at, party, |visit| {
            fold(&id, bytes, |line| {
                visit(&line);
                Ok(())
            })
        })
        .unwrap();
        outline
    }

    #[test]
    fn a_mark_keeps_its_rank_in_24_bytes() {
        // a status of a long stream costs its outline no more than before
        // statuses were ranked by the time they were recorded
        assert_eq!(std::mem::size_of::<Mark>(), 24);
    }

    proptest! {
        /// An outline, folded from a stream's lines, answers every question
        /// as the timeline of its events does, as of any time.
        #[test]
        fn an_outline_answers_as_the_timeline_does(
            steps in proptest::collection::vec(
                (0_u8..5, 0_u16..40, 0_usize..10, any::<bool>(), any::<usize>()),
                0..40,
            ),
            merge in proptest::option::of((0_usize..40, proptest::collection::vec(0_u16..30, 1..6))),
        ) {
            // a stream as appended, or as a git merge leaves it
            let bytes = match &merge {
                None => stream(&steps),
                Some((kept, times)) => merged(&steps, (*kept, times)),
            };
            let id = PactId::parse("p").unwrap();
            let read = Stream::<Event>::read(&id, bytes.as_slice()).unwrap();
            let times = read.events.iter().map(|e| Some(e.recorded));
            for at in std::iter::once(None).chain(times) {
                let outline = outline_of(&bytes, at, None);
                let events = as_of(&read.events, at);
                prop_assert_eq!(outline.visible(), events.len());
                let timeline = Timeline::new(events.iter());
                let entry = |e: &Entry<'_>| (e.status(), e.on(), e.event.seq, e.forced(), e.reported());
                let mark = |m: &Mark| (m.status().unwrap(), m.on(), m.line() as u64, m.forced(), m.reported());
                for day in (0..42).map(|d| NaiveDate::from_ymd_opt(1999, 12, 31).unwrap() + TimeDelta::days(d)) {
                    let outline = outline.timeline();
                    prop_assert_eq!(outline.status_on(day).map(mark), timeline.status_on(day).map(entry));
                    prop_assert_eq!(outline.next_after(day).map(mark), timeline.next_after(day).map(entry));
                }
                let intervals: Vec<_> = outline.timeline().intervals().map(|i| (mark(i.entry), i.to)).collect();
                let expected: Vec<_> = timeline.intervals().map(|i| (entry(i.entry), i.to)).collect();
                prop_assert_eq!(intervals, expected);
                let notes: Vec<_> = outline.notes().iter().map(|m| (m.on(), m.line() as u64)).collect();
                let expected: Vec<_> = super::notes(&events).into_iter().map(|(e, n)| (n.on, e.seq)).collect();
                prop_assert_eq!(notes, expected);
                // party A's outline is its timeline: the pact's statuses and
                // its own
                let of_a = outline_of(&bytes, at, Some("A"));
                let party = Timeline::of_party(events.iter(), "A");
                let marks: Vec<_> = of_a.timeline().entries().iter().map(mark).collect();
                let entries: Vec<_> = party.entries().iter().map(entry).collect();
                prop_assert_eq!(marks, entries);
                for m in outline.timeline().entries().iter().chain(outline.notes()) {
                    let event = &read.events[m.line() - 1];
                    prop_assert!(m.is_of(event));
                    prop_assert_eq!(m.noted(), event.status_change().is_some_and(|c| c.note.is_some()));
                }
            }
        }
    }
}
