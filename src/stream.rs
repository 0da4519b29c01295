//! Reading a stream's bytes into events, checking everything a reader must:
//! framing, format, seq, the hash chain, recorded time and ownership.
//!
//! Lines are read one at a time and no line longer than [`MAX_LINE`] is ever
//! held in memory, so a hostile file cannot make a reader load megabytes of
//! one line. [`crate::store`] opens the files; [`Stream::parse`] reads bytes
//! already in memory.

use std::collections::HashMap;
use std::io::{self, BufRead, Read};

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
        Stream::read(id, bytes).map_err(|e| match e {
            ReadError::At(line, problem) => (line, problem),
            // Reading from memory cannot fail.
            ReadError::Io(e) => (0, StreamProblem::Malformed(e.to_string())),
        })
    }

    /// Reads and checks the stream of pact `id` line by line, never holding
    /// more than one line of at most [`MAX_LINE`] bytes beyond the events.
    ///
    /// # Errors
    ///
    /// [`ReadError::At`] the 1-based line of the first problem, or
    /// [`ReadError::Io`] when reading fails.
    pub fn read(id: &PactId, mut input: impl BufRead) -> Result<Stream, ReadError> {
        let mut checker = Checker::new(id);
        let mut line = Vec::new();
        loop {
            line.clear();
            let limit = MAX_LINE as u64 + 1;
            let n = (&mut input).take(limit).read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            let at = checker.events.len() + 1;
            if line.last() == Some(&b'\n') {
                line.pop();
            } else if line.len() > MAX_LINE {
                return Err(ReadError::At(at, StreamProblem::LineTooLong));
            } else {
                let why = "no final newline";
                return Err(ReadError::At(at, StreamProblem::TornTail { why }));
            }
            let last = input.fill_buf()?.is_empty();
            checker
                .line(&line, last)
                .map_err(|problem| ReadError::At(at, problem))?;
        }
        checker
            .finish()
            .map_err(|problem| ReadError::At(1, problem))
    }
}

/// The longest line a reader accepts, in bytes. The limits on text fields
/// keep every line pactlog writes far below it.
pub const MAX_LINE: usize = 256 * 1024;

/// Why a stream could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// A problem at a 1-based line.
    At(usize, StreamProblem),
    /// Reading the file failed.
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Checks lines one after the other, keeping what the next line is checked
/// against.
struct Checker<'a> {
    id: &'a PactId,
    events: Vec<Event>,
    seen: Seen,
    prev_hash: Option<Hash>,
}

impl<'a> Checker<'a> {
    fn new(id: &'a PactId) -> Self {
        Checker {
            id,
            events: Vec::new(),
            seen: Seen::default(),
            prev_hash: None,
        }
    }

    /// Checks one line (without its LF); `last` says no bytes follow it.
    fn line(&mut self, line: &[u8], last: bool) -> Result<(), StreamProblem> {
        let event = match Event::from_line(line) {
            Ok(event) => event,
            Err(StreamProblem::Malformed(_)) if last => {
                let why = "it does not parse";
                return Err(StreamProblem::TornTail { why });
            }
            Err(problem) => return Err(problem),
        };
        check_line(self.id, &event, self.events.last(), self.prev_hash)?;
        self.seen.record(&event)?;
        self.prev_hash = Some(Hash::of(line));
        self.events.push(event);
        Ok(())
    }

    fn finish(self) -> Result<Stream, StreamProblem> {
        let Some(head) = self.prev_hash else {
            let why = "the file is empty";
            return Err(StreamProblem::TornTail { why });
        };
        match self.events.first().map(|e| &e.body) {
            Some(EventBody::Registered(pact)) => Ok(Stream {
                pact: pact.clone(),
                events: self.events,
                head,
            }),
            _ => Err(StreamProblem::NotRegistered),
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
