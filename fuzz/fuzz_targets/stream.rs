//! Fuzzes the stream reader and replay: any bytes as the stream file of a
//! pact. Reading must return events or an error value, never panic, and
//! whatever it accepts must replay, answer and re-check without panicking.

#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use pactlog::replay::{as_of, check_retraction, notes, retractions};
use pactlog::{PactId, Status, Stream, Timeline};

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
    let Ok(stream) = Stream::parse(&id, data) else {
        return;
    };
    for event in &stream.events {
        // a line we accepted writes back to a line we accept
        let line = event.to_line();
        assert!(pactlog::Event::from_line(line.as_bytes()).is_ok());
        let visible = as_of(&stream.events, Some(event.recorded));
        let timeline = Timeline::new(visible);
        let _ = timeline.intervals();
        let _ = timeline.lifecycle_breaks();
        let _ = check_retraction(&id, visible, event.id);
    }
    let timeline = Timeline::new(&stream.events);
    let _ = notes(&stream.events);
    let _ = retractions(&stream.events);
    for entry in timeline.entries() {
        let _ = timeline.status_on(entry.on());
        let _ = timeline.next_after(entry.on());
        for status in Status::ALL {
            let _ = timeline.check(&id, status, entry.on(), false);
        }
    }
    for date in [NaiveDate::MIN, NaiveDate::MAX] {
        let _ = timeline.status_on(date);
        let _ = timeline.check(&id, Status::InForce, date, true);
    }
});
