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
use crate::event::{Event, Fact, Hash, Kind, Record, What, sealed_whole};
use crate::pact::{Pact, PactId};

/// A stream that was read and checked from end to end: its events as
/// [`Event`]s, or as [`Fact`]s (the events without their text) for
/// questions about a whole store. Both are checked alike.
#[derive(Debug, Clone)]
pub struct Stream<E = Event> {
    /// The pact as registered by the first event.
    pub pact: Pact,
    /// Every event, in append order (`events[0]` is the registration).
    pub events: Vec<E>,
    /// The SHA-256 of the last line: pin it to detect a changed last line.
    pub head: Hash,
}

/// What a stream's events are read as: [`Event`] or [`Fact`].
pub trait FromRecord: sealed::FromRecord {}

impl FromRecord for Event {}
impl FromRecord for Fact {}

mod sealed {
    use crate::event::{Event, Fact};

    /// Builds an event of a line that was checked: from its fact, or by
    /// copying its text (`event`).
    pub trait FromRecord: Sized {
        fn build(fact: Fact, event: impl FnOnce() -> Result<Event, String>)
        -> Result<Self, String>;
    }

    impl FromRecord for Event {
        fn build(_: Fact, event: impl FnOnce() -> Result<Event, String>) -> Result<Self, String> {
            event()
        }
    }

    impl FromRecord for Fact {
        fn build(fact: Fact, _: impl FnOnce() -> Result<Event, String>) -> Result<Self, String> {
            Ok(fact)
        }
    }
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
        Stream::<Event>::read(id, bytes).map_err(|e| match e {
            ReadError::At(line, problem) => (line, problem),
            // Reading from memory cannot fail.
            ReadError::Io(e) => (0, StreamProblem::Malformed(e.to_string())),
        })
    }
}

impl<E: FromRecord> Stream<E> {
    /// Reads and checks the stream of pact `id` line by line, never holding
    /// more than one line of at most [`MAX_LINE`] bytes beyond the events.
    ///
    /// # Errors
    ///
    /// [`ReadError::At`] the 1-based line of the first problem, or
    /// [`ReadError::Io`] when reading fails.
    pub fn read(id: &PactId, mut input: impl BufRead) -> Result<Stream<E>, ReadError> {
        let mut checker = Checker::new(id);
        let mut line = Vec::new();
        loop {
            // A line that ends inside the reader's buffer, with more bytes
            // after it, is checked where it lies, without a copy.
            let buffered = input.fill_buf()?;
            if let Some(end) = memchr::memchr(b'\n', buffered)
                && end + 1 < buffered.len()
                && end <= MAX_LINE
            {
                let at = checker.events.len() + 1;
                checker
                    .line(&buffered[..end], false)
                    .map_err(|problem| ReadError::At(at, problem))?;
                input.consume(end + 1);
                continue;
            }
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
struct Checker<'a, E> {
    id: &'a PactId,
    pact: Option<Pact>,
    events: Vec<E>,
    last: Option<Fact>,
    seen: Seen,
    prev_hash: Option<Hash>,
}

impl<'a, E: FromRecord> Checker<'a, E> {
    fn new(id: &'a PactId) -> Self {
        Checker {
            id,
            pact: None,
            events: Vec::new(),
            last: None,
            seen: Seen::default(),
            prev_hash: None,
        }
    }

    /// Checks one line (without its LF); `last` says no bytes follow it.
    fn line(&mut self, line: &[u8], last: bool) -> Result<(), StreamProblem> {
        // a line that is not an event (its pact not even an id) is taken for
        // a torn write when it is the last
        let parsed = Record::parse(line).and_then(|record| {
            let fact = record.fact().map_err(StreamProblem::Malformed)?;
            if record.pact() != self.id.as_str() {
                PactId::parse(record.pact())
                    .map_err(|e| StreamProblem::Malformed(e.to_string()))?;
                return Err(StreamProblem::WrongPact {
                    expected: self.id.to_string(),
                    found: record.pact().to_owned(),
                });
            }
            Ok((record, fact))
        });
        let (record, fact) = match parsed {
            Ok(parsed) => parsed,
            // a line that ends with a CRC that matches it was written
            // whole: it is malformed, not torn
            Err(StreamProblem::Malformed(_)) if last && !sealed_whole(line) => {
                let why = "it does not parse";
                return Err(StreamProblem::TornTail { why });
            }
            Err(problem) => return Err(problem),
        };
        check_line(&fact, self.last.as_ref(), self.prev_hash)?;
        self.seen.record(&fact)?;
        if fact.what == What::Registered {
            let pact = record.registered_pact(self.id.clone());
            self.pact = Some(pact.map_err(StreamProblem::Malformed)?);
        }
        self.events
            .push(E::build(fact, || record.into_event()).map_err(StreamProblem::Malformed)?);
        self.prev_hash = Some(Hash::of(line));
        self.last = Some(fact);
        Ok(())
    }

    fn finish(self) -> Result<Stream<E>, StreamProblem> {
        let Some(head) = self.prev_hash else {
            let why = "the file is empty";
            return Err(StreamProblem::TornTail { why });
        };
        match self.pact {
            Some(pact) => Ok(Stream {
                pact,
                events: self.events,
                head,
            }),
            None => Err(StreamProblem::NotRegistered),
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
    fn record(&mut self, fact: &Fact) -> Result<(), StreamProblem> {
        if let What::Retraction { target } = fact.what {
            let bad = |why| Err(StreamProblem::BadRetraction(why));
            match self.events.get_mut(&target) {
                None => return bad("its target is not an earlier event of the stream"),
                Some((Kind::Registered, _)) => return bad("it retracts the registration"),
                Some((Kind::Retraction, _)) => return bad("it retracts a retraction"),
                Some((_, true)) => return bad("its target is already retracted"),
                Some((_, retracted)) => *retracted = true,
            }
        }
        match self.events.insert(fact.id, (fact.what.kind(), false)) {
            Some(_) => Err(StreamProblem::DuplicateId),
            None => Ok(()),
        }
    }
}

fn check_line(
    fact: &Fact,
    before: Option<&Fact>,
    prev_hash: Option<Hash>,
) -> Result<(), StreamProblem> {
    let expected_seq = before.map_or(1, |b| b.seq + 1);
    if fact.seq != expected_seq {
        return Err(StreamProblem::SeqGap {
            expected: expected_seq,
            found: fact.seq,
        });
    }
    if fact.prev != prev_hash {
        return Err(StreamProblem::ChainBroken);
    }
    let registration = fact.what == What::Registered;
    match (before, registration) {
        (None, false) => return Err(StreamProblem::NotRegistered),
        (Some(_), true) => return Err(StreamProblem::RegisteredAgain),
        _ => {}
    }
    if before.is_some_and(|b| fact.recorded < b.recorded) {
        return Err(StreamProblem::RecordedBackwards);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use proptest::prelude::*;

    use super::*;

    const GSOMIA: &[u8] = include_bytes!("../events/gsomia.jsonl");

    /// What a read gives, in a form two reads can be compared by.
    fn outcome<E: std::fmt::Debug>(read: Result<Stream<E>, ReadError>) -> String {
        match read {
            Ok(stream) => format!("{:?} {:?} {}", stream.pact, stream.events, stream.head),
            Err(ReadError::At(line, problem)) => format!("line {line}: {problem:?}"),
            Err(ReadError::Io(e)) => format!("io: {e}"),
        }
    }

    proptest! {
        /// Lines are checked in the reader's buffer when they fit and copied
        /// when they do not: the answer, or the first problem and its line,
        /// must not depend on where the buffer's edges fall.
        #[test]
        fn a_read_does_not_depend_on_the_buffer_size(
            capacity in 1_usize..2048,
            cut in GSOMIA.len() / 2..=GSOMIA.len(),
            flip in proptest::option::of((0..GSOMIA.len(), 1_u8..=255)),
        ) {
            let id = PactId::parse("gsomia").unwrap();
            let mut bytes = GSOMIA[..cut].to_vec();
            if let Some((at, mask)) = flip && at < bytes.len() {
                bytes[at] ^= mask;
            }
            let events = Stream::<Event>::read(&id, bytes.as_slice());
            let whole = outcome(Stream::<Event>::read(&id, bytes.as_slice()));
            let small = outcome(Stream::<Event>::read(
                &id,
                BufReader::with_capacity(capacity, bytes.as_slice()),
            ));
            prop_assert_eq!(&whole, &small);
            let facts = Stream::<Fact>::read(&id, BufReader::with_capacity(capacity, bytes.as_slice()));
            match (facts, events) {
                (Ok(facts), Ok(events)) => {
                    let expected: Vec<Fact> = events.events.iter().map(Event::fact).collect();
                    prop_assert_eq!(facts.events, expected);
                    prop_assert_eq!(facts.head, events.head);
                }
                (Ok(_), Err(_)) => prop_assert!(false, "facts took what events refused: {}", whole),
                (Err(e), _) => prop_assert_eq!(&whole, &outcome::<Event>(Err(e))),
            }
        }
    }

    #[test]
    fn a_last_line_that_does_not_parse_is_torn_unless_its_crc_holds() {
        let id = PactId::parse("gsomia").unwrap();
        let lines: Vec<&str> = std::str::from_utf8(GSOMIA).unwrap().lines().collect();
        let object = |line: &str| line[..line.rfind(",\"crc\"").unwrap()].to_owned() + "}";
        // a line that names no pact, sealed with its CRC: written whole
        let bad = crate::event::seal(&object(lines[2]).replacen("\"gsomia\"", "\"GSOMIA\"", 1));
        let malformed = |text: &str| match Stream::<Fact>::read(&id, text.as_bytes()) {
            Err(ReadError::At(3, StreamProblem::Malformed(m))) => {
                assert!(m.contains("GSOMIA"), "{m}")
            }
            other => panic!("{:?}", other.map(|s| s.events.len())),
        };
        let ends = format!("{}\n{}\n{}\n", lines[0], lines[1], bad);
        malformed(&ends);
        malformed(&format!("{ends}{}\n", lines[3]));
        // the same line cut short, as an interrupted write leaves it
        let cut = format!(
            "{}\n{}\n{}\n",
            lines[0],
            lines[1],
            &lines[2][..lines[2].len() - 3]
        );
        match Stream::<Fact>::read(&id, cut.as_bytes()) {
            Err(ReadError::At(3, StreamProblem::TornTail { .. })) => {}
            other => panic!("{:?}", other.map(|s| s.events.len())),
        }
    }

    #[test]
    fn a_line_ending_in_cr_lf_is_said_to_be_converted() {
        let id = PactId::parse("gsomia").unwrap();
        let crlf = std::str::from_utf8(GSOMIA).unwrap().replace('\n', "\r\n");
        match Stream::<Fact>::read(&id, crlf.as_bytes()) {
            Err(ReadError::At(1, StreamProblem::CarriageReturn)) => {}
            other => panic!("{:?}", other.map(|s| s.events.len())),
        }
    }

    #[test]
    fn facts_are_the_events_without_their_text() {
        let id = PactId::parse("gsomia").unwrap();
        let events = Stream::<Event>::read(&id, GSOMIA).unwrap();
        let facts = Stream::<Fact>::read(&id, GSOMIA).unwrap();
        assert_eq!(events.head, facts.head);
        assert_eq!(events.pact, facts.pact);
        let expected: Vec<Fact> = events.events.iter().map(Event::fact).collect();
        assert_eq!(facts.events, expected);
        assert!(facts.events.len() > 5);
    }
}
