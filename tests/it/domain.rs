//! Domain tests of the lifecycle and replay, as given / when / then: given
//! these events, when this status is appended, then this timeline or this
//! error. They use the library directly, with no files.

use chrono::{DateTime, NaiveDate, Utc};
use pactlog::{
    Event, EventBody, Hash, LifecycleError, Pact, PactId, Status, StatusChange, Stream, Timeline,
};
use proptest::prelude::*;
use uuid::Uuid;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a test date")
}

fn id() -> PactId {
    PactId::parse("pact").expect("a valid id")
}

/// A stream's events: the registration, then one status event per
/// `(status, date, forced)`, in append order.
fn given(statuses: &[(Status, &str)]) -> Vec<Event> {
    let mut events = vec![event(
        1,
        EventBody::Registered(Pact {
            id: id(),
            name: "A pact".into(),
            aliases: vec![],
            parties: vec![],
            kind: None,
            description: None,
            source: None,
            url: None,
        }),
    )];
    for (status, on) in statuses {
        let seq = events.len() as u64 + 1;
        events.push(event(seq, status_body(*status, date(on), false)));
    }
    events
}

fn status_body(status: Status, on: NaiveDate, forced: bool) -> EventBody {
    EventBody::Status(StatusChange {
        status,
        on,
        source: None,
        url: None,
        note: None,
        reported: false,
        forced,
    })
}

fn event(seq: u64, body: EventBody) -> Event {
    Event {
        pact: id(),
        seq,
        id: Uuid::from_u128(seq as u128),
        recorded: DateTime::<Utc>::from_timestamp(1_700_000_000 + seq as i64, 0)
            .expect("a valid time"),
        body,
        prev: None,
    }
}

/// When `status` on `on` is appended: the check, and the timeline after it
/// if it passed.
fn when_appending(
    events: &[Event],
    status: Status,
    on: &str,
    force: bool,
) -> Result<Vec<(NaiveDate, Status)>, LifecycleError> {
    Timeline::new(events).check(&id(), status, date(on), force)?;
    let mut after = events.to_vec();
    after.push(event(
        events.len() as u64 + 1,
        status_body(status, date(on), force),
    ));
    Ok(dates_and_statuses(&Timeline::new(&after)))
}

fn dates_and_statuses(timeline: &Timeline<'_>) -> Vec<(NaiveDate, Status)> {
    timeline
        .entries()
        .iter()
        .map(|e| (e.on(), e.status()))
        .collect()
}

fn status_on(events: &[Event], on: &str) -> Option<Status> {
    Timeline::new(events)
        .status_on(date(on))
        .map(|e| e.status())
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
    let message = pactlog::Error::from(error);
    assert_eq!(
        message.to_string(),
        "'pact' cannot go from no status yet to terminated on 2016-11-23"
    );
    assert!(
        message
            .hint()
            .unwrap()
            .starts_with("allowed first: proposed, signed, in force;")
    );
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
        .iter()
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
    let first = timeline.intervals()[0];
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
        }),
    ));
    assert_eq!(status_on(&events, "2020-01-01"), Some(InForce));
    assert_eq!(Timeline::new(&events).entries().len(), 1);
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

/// Appends that the check allows, from random `(status, day offset)` tries.
fn appended(tries: &[(usize, u16, bool)]) -> Vec<Event> {
    let mut events = given(&[]);
    let start = date("2000-01-01");
    for &(status, day, force) in tries {
        let status = Status::ALL[status % Status::ALL.len()];
        let on = start + chrono::Days::new(u64::from(day));
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
    prop::collection::vec((0..10usize, 0..3000u16, prop::bool::weighted(0.1)), 0..40)
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
    fn replay_does_not_depend_on_the_order_events_are_folded(tries in tries(), seed in any::<u64>()) {
        let events = appended(&tries);
        let mut shuffled: Vec<&Event> = events.iter().collect();
        let mut rng = seed;
        for i in (1..shuffled.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (rng >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(Timeline::new(&events), Timeline::new(shuffled));
    }

    #[test]
    fn status_on_is_the_last_status_effective_by_that_day(tries in tries(), day in 0..3200u16) {
        let events = appended(&tries);
        let on = date("2000-01-01") + chrono::Days::new(u64::from(day));
        let naive = events
            .iter()
            .filter_map(|e| e.status_change().map(|c| ((c.on, e.seq), c.status)))
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
        let start = date("2000-01-01");
        let plan: Vec<(NaiveDate, Status)> = days
            .iter()
            .enumerate()
            .map(|(i, d)| (start + chrono::Days::new(u64::from(*d)), if i % 2 == 0 { InForce } else { Suspended }))
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
    fn arbitrary_bytes_never_panic_the_reader(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Stream::parse(&id(), &bytes);
    }
}
