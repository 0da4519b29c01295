//! Domain tests of the lifecycle and replay, as given / when / then: given
//! these events, when this status is appended, then this timeline or this
//! error. They use the library directly, with no files.

use chrono::{DateTime, NaiveDate, Utc};
use pactlog::model::date::EffectiveDate;
use pactlog::model::event::Retraction;
use pactlog::replay::{as_of, check_retraction};
use pactlog::{
    Entry, Error, Event, EventBody, Hash, LifecycleError, NotRetractable, Pact, PactId, Status,
    StatusChange, Stream, Timeline,
};
use proptest::prelude::*;
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a test date")
}

fn date(text: &str) -> EffectiveDate {
    EffectiveDate::parse(text).expect("a test date")
}

fn id() -> PactId {
    PactId::parse("pact").expect("a valid id")
}

/// A stream's events: the registration, then one status event per
/// `(status, date, forced)`, in append order.
fn given(statuses: &[(Status, &str)]) -> Vec<Event> {
    let mut events = vec![event(1, EventBody::Registered(Pact::named(id(), "A pact")))];
    for (status, on) in statuses {
        let seq = events.len() as u64 + 1;
        events.push(event(seq, status_body(*status, date(on), false)));
    }
    events
}

fn status_body(status: Status, on: EffectiveDate, forced: bool) -> EventBody {
    EventBody::Status(StatusChange {
        status,
        on,
        source: None,
        url: None,
        note: None,
        reported: false,
        forced,
        parties: Vec::new(),
        amends: None,
    })
}

/// The recorded time of the event with `seq`: one second apart.
fn recorded(seq: u64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_700_000_000 + seq as i64, 0).expect("a valid time")
}

fn event(seq: u64, body: EventBody) -> Event {
    Event {
        pact: id(),
        seq,
        id: Uuid::from_u128(seq as u128),
        recorded: recorded(seq),
        body,
        prev: None,
        relinked: None,
    }
}

/// Appends a retraction of the event with seq `target`, after checking it.
fn when_retracting(events: &mut Vec<Event>, target: u64) -> Result<(), Error> {
    let target = Uuid::from_u128(target as u128);
    check_retraction(&id(), events, target)?;
    let seq = events.len() as u64 + 1;
    events.push(event(
        seq,
        EventBody::Retraction(Retraction {
            target,
            reason: "recorded in error".into(),
        }),
    ));
    Ok(())
}

fn status_on_as_of(events: &[Event], on: &str, seq: u64) -> Option<Status> {
    Timeline::new(as_of(events, Some(recorded(seq))).iter())
        .status_on(day(on))
        .map(|e| e.status())
}

/// When `status` on `on` is appended: the check, and the timeline after it
/// if it passed.
fn when_appending(
    events: &[Event],
    status: Status,
    on: &str,
    force: bool,
) -> Result<Vec<(EffectiveDate, Status)>, LifecycleError> {
    Timeline::new(events).check(&id(), status, date(on), force)?;
    let mut after = events.to_vec();
    after.push(event(
        events.len() as u64 + 1,
        status_body(status, date(on), force),
    ));
    Ok(dates_and_statuses(&Timeline::new(&after)))
}

fn dates_and_statuses(timeline: &Timeline<Entry<'_>>) -> Vec<(EffectiveDate, Status)> {
    timeline
        .entries()
        .iter()
        .map(|e| (e.on(), e.status()))
        .collect()
}

fn status_on(events: &[Event], on: &str) -> Option<Status> {
    Timeline::new(events).status_on(day(on)).map(|e| e.status())
}

use Status::*;

#[test]
fn given_nothing_when_a_pact_starts_in_force_then_it_is_in_force_from_that_day() {
    let events = given(&[]);
    let timeline = when_appending(&events, InForce, "2016-11-23", false).unwrap();
    assert_eq!(timeline, vec![(date("2016-11-23"), InForce)]);
}

#[test]
fn given_nothing_when_a_pact_starts_terminated_then_the_allowed_first_statuses_are_named() {
    let events = given(&[]);
    let error = when_appending(&events, Terminated, "2016-11-23", false).unwrap_err();
    assert_eq!(
        error,
        LifecycleError::NotAllowed {
            pact: "pact".into(),
            from: None,
            since: None,
            to: Terminated,
            on: date("2016-11-23"),
        }
    );
    let message = pactlog::Error::from(error.clone());
    assert_eq!(
        message.to_string(),
        "'pact' cannot go from no status yet to terminated on 2016-11-23"
    );
    assert!(pactlog::cli::hint::hint(&message).unwrap().starts_with(
        "allowed first: proposed, signed, ratified, provisionally applied, in force;"
    ));
}

#[test]
fn given_the_gsomia_sequence_when_replayed_then_each_step_is_allowed() {
    let mut events = given(&[]);
    for (status, on) in [
        (Signed, "2016-11-23"),
        (InForce, "2016-11-23"),
        (TerminationNotified, "2019-08-23"),
        (ConditionallySuspended, "2019-11-22"),
        (Normalized, "2023-03-21"),
    ] {
        when_appending(&events, status, on, false).unwrap();
        let seq = events.len() as u64 + 1;
        events.push(event(seq, status_body(status, date(on), false)));
    }
    assert_eq!(status_on(&events, "2015-01-01"), None);
    assert_eq!(status_on(&events, "2017-01-01"), Some(InForce));
    assert_eq!(status_on(&events, "2019-09-01"), Some(TerminationNotified));
    assert_eq!(
        status_on(&events, "2020-01-01"),
        Some(ConditionallySuspended)
    );
    assert_eq!(status_on(&events, "2023-04-01"), Some(Normalized));
    assert!(Timeline::new(&events).lifecycle_breaks().is_empty());
}

#[test]
fn given_terminated_when_anything_follows_then_it_is_refused_unless_forced() {
    let events = given(&[(InForce, "2000-01-01"), (Terminated, "2010-01-01")]);
    for status in Status::ALL {
        assert!(
            when_appending(&events, status, "2011-01-01", false).is_err(),
            "{status}"
        );
    }
    let timeline = when_appending(&events, InForce, "2011-01-01", true).unwrap();
    assert_eq!(timeline.last(), Some(&(date("2011-01-01"), InForce)));
}

#[test]
fn given_a_status_when_it_is_repeated_then_it_is_refused_even_with_force() {
    let events = given(&[(InForce, "2016-11-23")]);
    for force in [false, true] {
        assert_eq!(
            when_appending(&events, InForce, "2017-01-01", force),
            Err(LifecycleError::Repeat {
                pact: "pact".into(),
                status: InForce,
                on: date("2017-01-01"),
                since: date("2016-11-23"),
            })
        );
    }
}

#[test]
fn given_a_forced_step_when_verified_then_it_is_excused_but_listed() {
    let mut events = given(&[(InForce, "2000-01-01"), (Terminated, "2010-01-01")]);
    events.push(event(4, status_body(InForce, date("2011-01-01"), true)));
    let timeline = Timeline::new(&events);
    let breaks = timeline.lifecycle_breaks();
    assert_eq!(breaks.len(), 1);
    assert!(breaks[0].forced);
    assert_eq!(breaks[0].entry.status(), InForce);
    assert_eq!(breaks[0].before.map(|b| b.status()), Some(Terminated));
}

#[test]
fn status_takes_effect_on_its_own_date() {
    let events = given(&[(InForce, "2016-11-23"), (Suspended, "2019-08-28")]);
    assert_eq!(status_on(&events, "2016-11-22"), None);
    assert_eq!(status_on(&events, "2016-11-23"), Some(InForce));
    assert_eq!(status_on(&events, "2019-08-27"), Some(InForce));
    assert_eq!(status_on(&events, "2019-08-28"), Some(Suspended));
}

#[test]
fn intervals_end_where_the_next_begins_and_the_last_is_open() {
    let events = given(&[(InForce, "2016-11-23"), (Suspended, "2019-08-28")]);
    let timeline = Timeline::new(&events);
    let intervals: Vec<_> = timeline
        .intervals()
        .map(|i| (i.entry.status(), i.from, i.to))
        .collect();
    assert_eq!(
        intervals,
        vec![
            (InForce, date("2016-11-23"), Some(date("2019-08-28"))),
            (Suspended, date("2019-08-28"), None),
        ]
    );
}

#[test]
fn given_two_statuses_on_one_day_then_the_later_seq_holds_that_day() {
    let events = given(&[(Signed, "2016-11-23"), (InForce, "2016-11-23")]);
    assert_eq!(status_on(&events, "2016-11-23"), Some(InForce));
    let timeline = Timeline::new(&events);
    let first = timeline.intervals().next().unwrap();
    assert_eq!(
        (first.entry.status(), first.from, first.to),
        (Signed, date("2016-11-23"), Some(date("2016-11-23")))
    );
}

#[test]
fn given_a_status_when_another_is_appended_on_the_same_day_then_it_comes_after_it() {
    // The new event has the higher seq, so it follows `in force` that day:
    // `signed` may not follow `in force`.
    let events = given(&[(InForce, "2016-11-23")]);
    assert!(matches!(
        when_appending(&events, Signed, "2016-11-23", false),
        Err(LifecycleError::NotAllowed {
            from: Some(InForce),
            to: Signed,
            ..
        })
    ));
    let timeline = when_appending(&events, Suspended, "2016-11-23", false).unwrap();
    assert_eq!(
        timeline,
        vec![
            (date("2016-11-23"), InForce),
            (date("2016-11-23"), Suspended)
        ]
    );
}

#[test]
fn given_a_gap_in_history_when_a_backfill_fits_both_neighbours_then_it_takes_its_place() {
    let events = given(&[(InForce, "2016-11-23"), (Terminated, "2020-01-01")]);
    let timeline = when_appending(&events, TerminationNotified, "2019-08-23", false).unwrap();
    assert_eq!(
        timeline,
        vec![
            (date("2016-11-23"), InForce),
            (date("2019-08-23"), TerminationNotified),
            (date("2020-01-01"), Terminated),
        ]
    );
}

#[test]
fn given_a_later_status_when_a_backfill_would_break_it_then_the_next_status_is_named() {
    let events = given(&[(InForce, "2016-11-23"), (Terminated, "2020-01-01")]);
    assert_eq!(
        when_appending(&events, Withdrawn, "2018-01-01", false),
        Err(LifecycleError::BreaksNext {
            pact: "pact".into(),
            status: Withdrawn,
            on: date("2018-01-01"),
            next: Terminated,
            next_on: date("2020-01-01"),
        })
    );
}

#[test]
fn given_a_later_status_when_the_same_one_is_backfilled_before_it_then_it_is_refused_even_with_force()
 {
    let events = given(&[(InForce, "2016-11-23"), (Suspended, "2020-01-01")]);
    for force in [false, true] {
        assert_eq!(
            when_appending(&events, Suspended, "2019-01-01", force),
            Err(LifecycleError::RepeatsNext {
                pact: "pact".into(),
                status: Suspended,
                on: date("2019-01-01"),
                next_on: date("2020-01-01"),
            })
        );
    }
}

#[test]
fn given_a_first_status_when_an_earlier_one_is_backfilled_then_it_must_lead_to_it() {
    let events = given(&[(InForce, "2016-11-23")]);
    let timeline = when_appending(&events, Signed, "2016-01-01", false).unwrap();
    assert_eq!(
        timeline,
        vec![(date("2016-01-01"), Signed), (date("2016-11-23"), InForce)]
    );
    assert!(matches!(
        when_appending(&events, Suspended, "2016-01-01", false),
        Err(LifecycleError::NotAllowed { from: None, .. })
    ));
}

#[test]
fn notes_change_no_status() {
    let mut events = given(&[(InForce, "2016-11-23")]);
    events.push(event(
        3,
        EventBody::Note(pactlog::Note {
            on: date("2019-08-22"),
            text: "announced".into(),
            source: None,
            url: None,
            parties: Vec::new(),
            amends: None,
        }),
    ));
    assert_eq!(status_on(&events, "2020-01-01"), Some(InForce));
    assert_eq!(Timeline::new(&events).entries().len(), 1);
}

#[test]
fn given_a_scheduled_termination_when_it_is_retracted_then_it_counts_only_until_the_retraction() {
    let mut events = given(&[
        (InForce, "2016-11-23"),
        (TerminationNotified, "2019-08-23"),
        (Terminated, "2019-11-23"),
    ]);
    let seq = events.len() as u64 + 1;
    events.push(event(
        seq,
        status_body(ConditionallySuspended, date("2019-11-22"), false),
    ));
    when_retracting(&mut events, 4).unwrap();
    assert_eq!(status_on_as_of(&events, "2020-01-01", 4), Some(Terminated));
    assert_eq!(status_on_as_of(&events, "2020-01-01", 5), Some(Terminated));
    assert_eq!(
        status_on_as_of(&events, "2020-01-01", 6),
        Some(ConditionallySuspended)
    );
    assert_eq!(
        status_on(&events, "2020-01-01"),
        Some(ConditionallySuspended)
    );
    assert_eq!(status_on_as_of(&events, "2020-01-01", 1), None);
}

#[test]
fn given_a_backfill_when_a_later_status_is_retracted_afterwards_then_each_time_sees_its_own_history()
 {
    // recorded: in force (2), terminated (3); then a backfilled notice (4);
    // then the termination is retracted (5).
    let mut events = given(&[(InForce, "2016-11-23"), (Terminated, "2020-01-01")]);
    when_appending(&events, TerminationNotified, "2019-08-23", false).unwrap();
    events.push(event(
        4,
        status_body(TerminationNotified, date("2019-08-23"), false),
    ));
    when_retracting(&mut events, 3).unwrap();
    assert_eq!(status_on_as_of(&events, "2019-09-01", 3), Some(InForce));
    assert_eq!(
        status_on_as_of(&events, "2019-09-01", 4),
        Some(TerminationNotified)
    );
    assert_eq!(status_on_as_of(&events, "2021-01-01", 4), Some(Terminated));
    assert_eq!(
        status_on_as_of(&events, "2021-01-01", 5),
        Some(TerminationNotified)
    );
}

#[test]
fn given_two_statuses_on_one_day_when_the_later_is_retracted_then_the_earlier_holds_that_day() {
    let mut events = given(&[(Signed, "2016-11-23"), (InForce, "2016-11-23")]);
    when_retracting(&mut events, 3).unwrap();
    assert_eq!(status_on(&events, "2016-11-23"), Some(Signed));
    assert_eq!(status_on_as_of(&events, "2016-11-23", 3), Some(InForce));
}

#[test]
fn given_one_status_when_it_is_retracted_then_nothing_is_recorded_any_more() {
    let mut events = given(&[(InForce, "2016-11-23")]);
    when_retracting(&mut events, 2).unwrap();
    assert_eq!(status_on(&events, "2020-01-01"), None);
    assert!(Timeline::new(&events).entries().is_empty());
    assert_eq!(status_on_as_of(&events, "2020-01-01", 2), Some(InForce));
    // and a new first status may be recorded
    assert!(when_appending(&events, Signed, "2016-01-01", false).is_ok());
}

#[test]
fn given_a_middle_status_when_retracting_it_would_break_the_lifecycle_then_the_events_in_the_way_are_named()
 {
    let mut events = given(&[
        (Signed, "2015-01-01"),
        (InForce, "2016-01-01"),
        (TerminationNotified, "2019-01-01"),
    ]);
    match when_retracting(&mut events, 3) {
        Err(Error::Lifecycle(LifecycleError::RetractionBreaks { before, after, .. })) => {
            assert_eq!(
                before.as_deref(),
                Some(format!("signed on 2015-01-01 (event {})", Uuid::from_u128(2)).as_str())
            );
            assert_eq!(
                after,
                format!(
                    "termination notified on 2019-01-01 (event {})",
                    Uuid::from_u128(4)
                )
            );
        }
        other => panic!("expected the retraction to be refused, got {other:?}"),
    }
    assert_eq!(events.len(), 4, "nothing was appended");
    // a retraction that would leave a status repeated is refused too
    let mut events = given(&[
        (InForce, "2016-01-01"),
        (Suspended, "2019-01-01"),
        (InForce, "2020-01-01"),
    ]);
    assert!(when_retracting(&mut events, 3).is_err());
}

#[test]
fn registrations_retractions_unknown_and_retracted_events_cannot_be_retracted() {
    let mut events = given(&[(InForce, "2016-11-23"), (Suspended, "2019-01-01")]);
    let refused = |result: Result<(), Error>| match result {
        Err(Error::RetractionRefused { why, .. }) => why,
        other => panic!("expected the retraction to be refused, got {other:?}"),
    };
    assert_eq!(
        refused(when_retracting(&mut events, 1)),
        NotRetractable::Registration
    );
    assert_eq!(
        refused(when_retracting(&mut events, 99)),
        NotRetractable::NoSuchEvent
    );
    when_retracting(&mut events, 3).unwrap();
    assert!(matches!(
        refused(when_retracting(&mut events, 3)),
        NotRetractable::AlreadyRetracted { seq: 4, .. }
    ));
    assert_eq!(
        refused(when_retracting(&mut events, 4)),
        NotRetractable::Retraction
    );
}

/// Chains events into the bytes of a stream file, as the store writes them.
fn to_stream_bytes(events: &mut [Event]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut prev = None;
    for event in events.iter_mut() {
        event.prev = prev;
        let line = event.to_line();
        prev = Some(Hash::of(line.as_bytes()));
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
    }
    bytes
}

/// Appends that the checks allow, from random tries: `(status, day offset,
/// force)`, where a status index past the vocabulary tries to retract an
/// earlier event instead.
fn appended(tries: &[(usize, u16, bool)]) -> Vec<Event> {
    let mut events = given(&[]);
    let start = day("2000-01-01");
    for &(status, days, force) in tries {
        if status >= Status::ALL.len() {
            let target = 1 + u64::from(days) % events.len() as u64;
            let _ = when_retracting(&mut events, target);
            continue;
        }
        let status = Status::ALL[status];
        let on = EffectiveDate::day(start + chrono::Days::new(u64::from(days)));
        if Timeline::new(&events)
            .check(&id(), status, on, force)
            .is_ok()
        {
            let seq = events.len() as u64 + 1;
            events.push(event(seq, status_body(status, on, force)));
        }
    }
    events
}

fn tries() -> impl Strategy<Value = Vec<(usize, u16, bool)>> {
    prop::collection::vec((0..13usize, 0..3000u16, prop::bool::weighted(0.1)), 0..40)
}

proptest! {
    #[test]
    fn appends_the_check_allows_keep_the_lifecycle_whole(tries in tries()) {
        let events = appended(&tries);
        let timeline = Timeline::new(&events);
        for step in timeline.lifecycle_breaks() {
            prop_assert!(step.forced, "an unforced break: {:?}", step);
        }
        for pair in timeline.entries().windows(2) {
            prop_assert_ne!(pair[0].status(), pair[1].status());
        }
    }

    #[test]
    fn replay_as_of_the_latest_recorded_time_is_plain_replay(tries in tries()) {
        let events = appended(&tries);
        let latest = events.last().map(|e| e.recorded);
        let visible = as_of(&events, latest);
        prop_assert_eq!(Timeline::new(visible.iter()), Timeline::new(&events));
        let far_future = DateTime::<Utc>::from_timestamp(4_000_000_000, 0);
        let visible = as_of(&events, far_future);
        prop_assert_eq!(Timeline::new(visible.iter()), Timeline::new(&events));
    }

    #[test]
    fn as_of_answers_never_depend_on_events_recorded_later(tries in tries(), cut in any::<prop::sample::Index>(), days in 0..3200u16) {
        // What the full stream says as of the time of event k is what the
        // stream said when event k was its last.
        let events = appended(&tries);
        let k = cut.index(events.len());
        let then = &events[..=k];
        let on = day("2000-01-01") + chrono::Days::new(u64::from(days));
        let visible = as_of(&events, Some(events[k].recorded));
        let full = Timeline::new(visible.iter());
        prop_assert_eq!(&full, &Timeline::new(then));
        prop_assert_eq!(
            full.status_on(on).map(|e| e.event.id),
            Timeline::new(then).status_on(on).map(|e| e.event.id)
        );
    }

    #[test]
    fn replay_does_not_depend_on_the_order_events_are_folded(tries in tries(), seed in any::<u64>()) {
        // A retraction applies to the event it names, so it stays after it;
        // the rest may come in any order.
        let events = appended(&tries);
        let is_retraction = |e: &&Event| matches!(e.body, EventBody::Retraction(_));
        let mut shuffled: Vec<&Event> = events.iter().filter(|e| !is_retraction(e)).collect();
        let mut rng = seed;
        for i in (1..shuffled.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (rng >> 33) as usize % (i + 1));
        }
        shuffled.extend(events.iter().filter(is_retraction));
        prop_assert_eq!(Timeline::new(&events), Timeline::new(shuffled));
    }

    #[test]
    fn status_on_is_the_last_status_effective_by_that_day(tries in tries(), days in 0..3200u16) {
        let events = appended(&tries);
        let on = day("2000-01-01") + chrono::Days::new(u64::from(days));
        let retracted: Vec<Uuid> = events
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::Retraction(r) => Some(r.target),
                _ => None,
            })
            .collect();
        let naive = events
            .iter()
            .filter(|e| !retracted.contains(&e.id))
            .filter_map(|e| e.status_change().map(|c| ((c.on.earliest(), e.seq), c.status)))
            .filter(|((d, _), _)| *d <= on)
            .max_by_key(|(key, _)| *key)
            .map(|(_, s)| s);
        prop_assert_eq!(Timeline::new(&events).status_on(on).map(|e| e.status()), naive);
    }

    #[test]
    fn backfilling_in_any_order_gives_the_same_timeline(days in prop::collection::btree_set(0..5000u16, 1..12), seed in any::<u64>()) {
        // in force and suspended alternate by date; appended in a shuffled
        // order with --force (backfills may pass through states the
        // lifecycle forbids), the timeline is the same.
        let start = day("2000-01-01");
        let plan: Vec<(EffectiveDate, Status)> = days
            .iter()
            .enumerate()
            .map(|(i, d)| ((start + chrono::Days::new(u64::from(*d))).into(), if i % 2 == 0 { InForce } else { Suspended }))
            .collect();
        let mut order: Vec<usize> = (0..plan.len()).collect();
        let mut rng = seed;
        for i in (1..order.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (rng >> 33) as usize % (i + 1));
        }
        let mut events = given(&[]);
        for i in order {
            let (on, status) = plan[i];
            let seq = events.len() as u64 + 1;
            events.push(event(seq, status_body(status, on, true)));
        }
        prop_assert_eq!(dates_and_statuses(&Timeline::new(&events)), plan);
    }

    #[test]
    fn a_chained_stream_reads_back_as_written(tries in tries()) {
        let mut events = appended(&tries);
        let bytes = to_stream_bytes(&mut events);
        let stream = Stream::parse(&id(), &bytes).expect("a well-formed stream");
        prop_assert_eq!(stream.events, events);
    }

    #[test]
    fn any_one_change_to_a_valid_stream_is_refused(
        tries in tries(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        how in 0..3u8,
    ) {
        let mut events = appended(&tries);
        let mut bytes = to_stream_bytes(&mut events);
        let i = at.index(bytes.len());
        match how {
            0 => bytes[i] ^= byte.max(1),
            1 => bytes.insert(i, byte),
            _ => {
                bytes.remove(i);
            }
        }
        prop_assert!(Stream::parse(&id(), &bytes).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_reader(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Stream::parse(&id(), &bytes);
    }
}
