//! Fuzzes the stream reader and replay: any bytes as the stream file of a
//! pact. Reading must return events or an error value, never panic, and
//! whatever it accepts must replay, answer and re-check without panicking.
//! Reading the same bytes as facts (events without their text) must give
//! the same verdict, and the cache's summary of them the same answers as
//! replaying the events, as of any time.

#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use pactlog::replay::cache::Summary;
use pactlog::replay::{as_of, check_retraction, notes, retractions};
use pactlog::log::stream::ReadError;
use pactlog::{Event, Fact, PactId, Status, Stream, Timeline};

fuzz_target!(|data: &[u8]| {
    // the pact the first line names, so that real streams make good seeds
    let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let id = match pactlog::Event::from_line(first) {
        Ok(event) => event.pact,
        Err(_) => match PactId::parse("fuzz") {
            Ok(id) => id,
            Err(_) => return,
        },
    };
    let parsed = Stream::parse(&id, data);
    let facts = Stream::<Fact>::read(&id, data);
    let (stream, facts) = match (parsed, facts) {
        (Ok(stream), Ok(facts)) => (stream, facts),
        (Err(e), Err(ReadError::At(line, problem))) => {
            assert_eq!(e, (line, problem), "events and facts fail alike");
            return;
        }
        (events, facts) => panic!("events {:?}, facts {:?}", events.is_ok(), facts.is_ok()),
    };
    let expected: Vec<Fact> = stream.events.iter().map(Event::fact).collect();
    assert_eq!(facts.events, expected);
    assert_eq!(facts.head, stream.head);
    // the summary `list` caches, folded from the bytes as it folds them
    let summary = Summary::fold(&id, data).expect("a stream every reader takes");
    let times = std::iter::once(None).chain(stream.events.iter().map(|e| Some(e.recorded)));
    for t in times {
        let seen = as_of(&stream.events, t);
        let timeline = Timeline::new(seen.iter());
        let dates = timeline.entries().iter().flat_map(|e| [e.on().earliest(), e.on().latest()]);
        for date in dates.chain([NaiveDate::MIN, NaiveDate::MAX]) {
            let replay = timeline.answer_on(date);
            let replayed = (
                replay.status.map(|e| (e.status(), e.on(), e.reported(), e.forced())),
                replay.certain,
            );
            let (found, certain) = summary.status_on(date, t);
            let cached = (found.map(|s| (s.status, s.since, s.reported, s.forced)), certain);
            assert_eq!(cached, replayed, "{date} as of {t:?}");
        }
    }
    for event in &stream.events {
        // a line we accepted writes back to a line we accept
        let line = event.to_line();
        assert!(pactlog::Event::from_line(line.as_bytes()).is_ok());
        let visible = as_of(&stream.events, Some(event.recorded));
        let timeline = Timeline::new(visible.iter());
        let _ = timeline.intervals();
        let _ = timeline.lifecycle_breaks();
        let _ = check_retraction(&id, &visible, event.id);
    }
    let timeline = Timeline::new(&stream.events);
    let _ = notes(&stream.events);
    let _ = retractions(&stream.events);
    for entry in timeline.entries() {
        let _ = timeline.status_on(entry.on().latest());
        let _ = timeline.next_after(entry.on().earliest());
        for status in Status::ALL {
            let _ = timeline.check(&id, status, entry.on(), false);
        }
    }
    for date in [NaiveDate::MIN, NaiveDate::MAX] {
        let _ = timeline.status_on(date);
        let _ = timeline.check(&id, Status::InForce, date.into(), true);
    }
});
