//! Reading a stream's bytes into events, checking everything a reader must:
//! framing, format, seq, the hash chain, recorded time and ownership.
//!
//! This is pure: bytes in, events or the first problem (with its line) out.
//! [`crate::store`] does the file I/O around it.

use std::collections::HashMap;

use uuid::Uuid;

use crate::error::StreamProblem;
use crate::event::{Event, EventBody, Hash, Kind};
use crate::pact::{Pact, PactId};

/// A stream that was read and checked from end to end.
#[derive(Debug, Clone)]
pub struct Stream {
    /// The pact as registered by the first event.
    pub pact: Pact,
    /// Every event, in append order (`events[0]` is the registration).
    pub events: Vec<Event>,
    /// The SHA-256 of the last line: pin it to detect a changed last line.
    pub head: Hash,
}

impl Stream {
    /// The last event's seq.
    pub fn last_seq(&self) -> u64 {
        self.events.last().map_or(0, |e| e.seq)
    }

    /// Checks the bytes of the stream of pact `id`.
    ///
    /// # Errors
    ///
    /// The 1-based line of the first problem and what it is.
    pub fn parse(id: &PactId, bytes: &[u8]) -> Result<Stream, (usize, StreamProblem)> {
        let mut events: Vec<Event> = Vec::new();
        let mut seen = Seen::default();
        let mut prev_hash: Option<Hash> = None;
        let mut rest = bytes;
        let mut line_no = 0;
        if bytes.is_empty() {
            return Err((
                1,
                StreamProblem::TornTail {
                    why: "the file is empty",
                },
            ));
        }
        while !rest.is_empty() {
            line_no += 1;
            let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                return Err((
                    line_no,
                    StreamProblem::TornTail {
                        why: "no final newline",
                    },
                ));
            };
            let line = &rest[..end];
            rest = &rest[end + 1..];
            let last = rest.is_empty();
            let event = match Event::from_line(line) {
                Ok(event) => event,
                Err(StreamProblem::Malformed(_)) if last => {
                    return Err((
                        line_no,
                        StreamProblem::TornTail {
                            why: "it does not parse",
                        },
                    ));
                }
                Err(problem) => return Err((line_no, problem)),
            };
            check_line(id, &event, events.last(), prev_hash)
                .and_then(|()| seen.record(&event))
                .map_err(|problem| (line_no, problem))?;
            prev_hash = Some(Hash::of(line));
            events.push(event);
        }
        let pact = match events.first().map(|e| &e.body) {
            Some(EventBody::Registered(pact)) => pact.clone(),
            _ => return Err((1, StreamProblem::NotRegistered)),
        };
        match prev_hash {
            Some(head) => Ok(Stream { pact, events, head }),
            None => Err((1, StreamProblem::NotRegistered)),
        }
    }
}

/// The kind of every event id met so far, and whether it was retracted, to
/// refuse duplicate ids and retractions that do not fit.
#[derive(Default)]
struct Seen {
    events: HashMap<Uuid, (Kind, bool)>,
}

impl Seen {
    fn record(&mut self, event: &Event) -> Result<(), StreamProblem> {
        if let EventBody::Retraction(retraction) = &event.body {
            let bad = |why| Err(StreamProblem::BadRetraction(why));
            match self.events.get_mut(&retraction.target) {
                None => return bad("its target is not an earlier event of the stream"),
                Some((Kind::Registered, _)) => return bad("it retracts the registration"),
                Some((Kind::Retraction, _)) => return bad("it retracts a retraction"),
                Some((_, true)) => return bad("its target is already retracted"),
                Some((_, retracted)) => *retracted = true,
            }
        }
        match self.events.insert(event.id, (event.body.kind(), false)) {
            Some(_) => Err(StreamProblem::DuplicateId),
            None => Ok(()),
        }
    }
}

fn check_line(
    id: &PactId,
    event: &Event,
    before: Option<&Event>,
    prev_hash: Option<Hash>,
) -> Result<(), StreamProblem> {
    if &event.pact != id {
        return Err(StreamProblem::WrongPact {
            expected: id.to_string(),
            found: event.pact.to_string(),
        });
    }
    let expected_seq = before.map_or(1, |b| b.seq + 1);
    if event.seq != expected_seq {
        return Err(StreamProblem::SeqGap {
            expected: expected_seq,
            found: event.seq,
        });
    }
    if event.prev != prev_hash {
        return Err(StreamProblem::ChainBroken);
    }
    let registration = matches!(event.body, EventBody::Registered(_));
    match (before, registration) {
        (None, false) => return Err(StreamProblem::NotRegistered),
        (Some(_), true) => return Err(StreamProblem::RegisteredAgain),
        _ => {}
    }
    if before.is_some_and(|b| event.recorded < b.recorded) {
        return Err(StreamProblem::RecordedBackwards);
    }
    Ok(())
}
