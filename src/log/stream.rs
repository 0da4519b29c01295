//! Reading a stream's bytes into events, checking everything a reader must:
//! framing, format, seq, the hash chain, recorded time and ownership.
//!
//! Recorded times never go back along a stream, but at a line a git merge
//! re-linked (one with `relinked`), which came from another branch and may
//! have been recorded there before lines of this one.
//!
//! Lines are read one at a time and no line longer than [`MAX_LINE`] is ever
//! held in memory, so a hostile file cannot make a reader load megabytes of
//! one line. [`crate::log::store`] opens the files; [`Stream::parse`] reads bytes
//! already in memory.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufRead, Read};

use uuid::Uuid;

use crate::log::codec::{Record, sealed_whole};
use crate::model::error::StreamProblem;
use crate::model::event::{Edits, Event, Fact, Hash, Kind, What};
use crate::model::pact::{Pact, PactId};

#[cfg(unix)]
pub(crate) mod split;

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
    use crate::model::event::{Event, Fact};

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
    pub fn read(id: &PactId, input: impl BufRead) -> Result<Stream<E>, ReadError> {
        let mut events = Vec::new();
        let folded = fold(id, input, |line| {
            let fact = line.fact;
            let event = || line.record().to_event();
            events.push(E::build(fact, event).map_err(StreamProblem::Malformed)?);
            Ok(())
        })?;
        Ok(Stream {
            pact: folded.pact,
            events,
            head: folded.head,
        })
    }
}

/// One line of a stream, checked against every line before it: what
/// [`fold`] hands on.
pub(crate) struct Line<'l> {
    /// Its 1-based number, which is its event's seq.
    pub number: usize,
    /// Where it begins in the stream, in bytes.
    pub offset: u64,
    /// Its event without the text.
    pub fact: Fact,
    /// For a retraction, the number of the line it withdraws.
    pub target: Option<usize>,
    /// The line as it was read alone.
    read: &'l Parsed<'l>,
}

impl<'l> Line<'l> {
    /// The line as read, its text borrowed from it.
    pub(crate) fn record(&self) -> Cow<'l, Record<'l>> {
        self.read.record()
    }

    /// Whether a status event has a note: a remark on the status.
    pub(crate) fn has_note(&self) -> bool {
        self.read.alone.has_note
    }

    /// Whether a status or note event names parties: it concerns them, not
    /// the pact as a whole.
    pub(crate) fn names_parties(&self) -> bool {
        self.read.alone.names_parties
    }

    /// Whether a status or note event names `party` among the parties it
    /// concerns.
    pub(crate) fn names_party(&self, party: &str) -> bool {
        self.names_parties()
            && self
                .party_list()
                .iter()
                .any(|p| p.eq_ignore_ascii_case(party))
    }

    /// The parties the line names: a registration's, the pact's parties; a
    /// status's or note's, those it concerns.
    pub(crate) fn parties(&self) -> Vec<String> {
        self.party_list().to_vec()
    }

    /// The parties the line names, as written, where the fold holds them.
    fn party_list(&self) -> &'l [String] {
        match self.read.said {
            Said::Here(record) => record.party_list(),
            Said::Elsewhere { parties } => parties,
        }
    }
}

/// A line (without its LF) read alone: everything that can be checked of
/// it without the lines before it has been.
pub(crate) struct Parsed<'l> {
    bytes: &'l [u8],
    alone: Alone,
    said: Said<'l>,
}

/// What of a line's text a fold holds beside its bytes.
#[derive(Clone, Copy)]
enum Said<'l> {
    /// The line as read here.
    Here(&'l Record<'l>),
    /// For a line read on another core, the parties it names, which folds
    /// ask of many lines; it is read again from its bytes for the few lines
    /// whose text is asked for.
    Elsewhere { parties: &'l [String] },
}

/// What reading a line alone learns of it besides its text: all that
/// checking it against the lines before it needs, and what the folds of
/// long streams ask of every line.
#[derive(Debug, Clone, Copy)]
struct Alone {
    fact: Fact,
    /// The SHA-256 of the line, which the next line links to.
    hash: Hash,
    /// Whether a git merge re-linked the line.
    relinked: bool,
    /// The event an amended copy amends.
    amends: Option<Uuid>,
    has_note: bool,
    names_parties: bool,
}

impl Alone {
    /// Reads the line `bytes` of the stream of pact `id` alone, keeping
    /// nothing of its text; `last` says no bytes follow it.
    fn read(id: &PactId, bytes: &[u8], last: bool) -> Result<Alone, StreamProblem> {
        Record::inspect(bytes, |record| Alone::of(id, bytes, last, record))
            .map_err(|problem| unread(bytes, last, problem))?
    }

    /// The parties the line `bytes` names, once [`Alone::read`] has read it
    /// as this: read again for a line that names any (a status or note of
    /// parties, a registration), none for any other.
    fn parties(&self, bytes: &[u8]) -> Vec<String> {
        if !self.names_parties && self.fact.what != What::Registered {
            return Vec::new();
        }
        // (a line is read again rather than every line's parties kept,
        // which slows the reading of every line)
        Record::inspect(bytes, |record| record.party_list().to_vec())
            .expect("a line read once reads again")
    }

    /// What the line `bytes`, read as `record`, is alone, once it is seen
    /// to be an event of the stream of pact `id`.
    fn of(id: &PactId, bytes: &[u8], last: bool, record: &Record) -> Result<Alone, StreamProblem> {
        let fact = record
            .fact()
            .map_err(|why| unread(bytes, last, StreamProblem::Malformed(why)))?;
        if record.pact() != id.as_str() {
            PactId::parse(record.pact())
                .map_err(|e| unread(bytes, last, StreamProblem::Malformed(e.to_string())))?;
            return Err(StreamProblem::WrongPact {
                expected: id.to_string(),
                found: record.pact().to_owned(),
            });
        }
        Ok(Alone::known(bytes, record, fact))
    }

    /// What the line `bytes`, read as `record` with the event `fact`, is
    /// alone.
    fn known(bytes: &[u8], record: &Record, fact: Fact) -> Alone {
        Alone {
            fact,
            hash: Hash::of(bytes),
            relinked: record.relinked().is_some(),
            amends: record.amends(),
            has_note: record.has_note(),
            names_parties: record.names_parties(),
        }
    }
}

/// What a problem of the line `bytes` is taken for: a line that is not an
/// event (its pact not even an id) is taken for a torn write when it is
/// the `last`; a line that ends with a CRC that matches it was written
/// whole: it is malformed, not torn.
fn unread(bytes: &[u8], last: bool, problem: StreamProblem) -> StreamProblem {
    match problem {
        StreamProblem::Malformed(_) if last && !sealed_whole(bytes) => {
            let why = "it does not parse";
            StreamProblem::TornTail { why }
        }
        problem => problem,
    }
}

impl<'l> Parsed<'l> {
    /// The line `bytes`, already read as `record` with the event `fact`.
    pub(crate) fn of_record(bytes: &'l [u8], record: &'l Record<'l>, fact: Fact) -> Parsed<'l> {
        Parsed {
            bytes,
            alone: Alone::known(bytes, record, fact),
            said: Said::Here(record),
        }
    }

    /// The line as read, read again when it was read on another core.
    fn record(&self) -> Cow<'l, Record<'l>> {
        match self.said {
            Said::Here(record) => Cow::Borrowed(record),
            // (the same bytes read the same: they were read once already)
            Said::Elsewhere { .. } => {
                Cow::Owned(Record::parse(self.bytes).expect("a line read once reads again"))
            }
        }
    }
}

/// What a fold of a stream learns of a whole stream besides what it hands on.
#[derive(Debug, Clone)]
pub struct Folded {
    /// The pact as registered by the first event, with the edits after it
    /// applied in the order they were recorded.
    pub pact: Pact,
    /// The SHA-256 of the last line.
    pub head: Hash,
    /// How many events the stream holds.
    pub events: usize,
    /// How many bytes were read: the stream's length when it was read.
    pub len: u64,
}

/// Reads and checks the stream of pact `id` line by line, exactly as
/// [`Stream::read`] does, and hands each line to `visit` once it has passed
/// every check a line can be put to in its place; nothing of it is kept.
/// No more than one line of at most [`MAX_LINE`] bytes is held, and, to
/// check the ids, each event's id, line and kind (21 bytes).
///
/// A line handed on may still be followed by one that makes the stream
/// unreadable: what `visit` makes of the lines stands only once the fold
/// returns `Ok`. A problem `visit` returns is the line's.
///
/// # Errors
///
/// [`ReadError::At`] the 1-based line of the first problem, or
/// [`ReadError::Io`] when reading fails.
pub(crate) fn fold(
    id: &PactId,
    input: impl BufRead,
    visit: impl FnMut(Line<'_>) -> Result<(), StreamProblem>,
) -> Result<Folded, ReadError> {
    fold_indexed(id, input, visit).map(|(folded, _)| folded)
}

/// [`fold`], and the [`Index`] of the stream's ids that checking them made.
///
/// # Errors
///
/// As [`fold`].
pub(crate) fn fold_indexed(
    id: &PactId,
    mut input: impl BufRead,
    mut visit: impl FnMut(Line<'_>) -> Result<(), StreamProblem>,
) -> Result<(Folded, Index), ReadError> {
    let mut checker = Checker::new(id);
    let mut line = Vec::new();
    let mut offset = 0_u64;
    loop {
        // A line that ends inside the reader's buffer, with more bytes
        // after it, is checked where it lies, without a copy.
        let buffered = input.fill_buf()?;
        if let Some(end) = memchr::memchr(b'\n', buffered)
            && end + 1 < buffered.len()
            && end <= MAX_LINE
        {
            let at = checker.events + 1;
            checker
                .line(&buffered[..end], offset, false, &mut visit)
                .map_err(|problem| ReadError::At(at, problem))?;
            input.consume(end + 1);
            offset += end as u64 + 1;
            continue;
        }
        line.clear();
        let limit = MAX_LINE as u64 + 1;
        let n = (&mut input).take(limit).read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        let at = checker.events + 1;
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
            .line(&line, offset, last, &mut visit)
            .map_err(|problem| ReadError::At(at, problem))?;
        offset += n as u64;
    }
    let ids = Index(std::mem::take(&mut checker.ids));
    let folded = checker
        .finish(offset)
        .map_err(|problem| ReadError::At(1, problem))?;
    Ok((folded, ids))
}

/// The ids of a stream's events, each with its line: what checking them
/// keeps (21 bytes an event), kept to find an event by its id.
pub(crate) struct Index(Ids);

impl Index {
    /// The line of the event `id`, if the stream holds it.
    pub(crate) fn line_of(&self, id: &Uuid) -> Option<usize> {
        self.0.line_of(id).map(|line| line as usize)
    }
}

pub use crate::model::format::MAX_LINE;

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
/// against: what [`fold`] reads a stream with, and what checks the lines of
/// a stream given a line at a time.
pub(crate) struct Checker {
    id: PactId,
    /// The pact as registered, and its edits so far.
    pact: Option<Pact>,
    edits: Edits,
    /// How many lines passed.
    events: usize,
    last: Option<Fact>,
    /// The latest time any line so far was recorded at.
    latest: Option<chrono::DateTime<chrono::Utc>>,
    ids: Ids,
    prev_hash: Option<Hash>,
}

impl Checker {
    /// A checker of the stream of pact `id`, before its first line.
    pub(crate) fn new(id: &PactId) -> Self {
        Checker {
            id: id.clone(),
            pact: None,
            edits: Edits::default(),
            events: 0,
            last: None,
            latest: None,
            ids: Ids::default(),
            prev_hash: None,
        }
    }

    /// Checks one line (without its LF), which begins at `offset`, and hands
    /// it to `visit`; `last` says no bytes follow it.
    fn line(
        &mut self,
        line: &[u8],
        offset: u64,
        last: bool,
        visit: &mut impl FnMut(Line<'_>) -> Result<(), StreamProblem>,
    ) -> Result<(), StreamProblem> {
        // (the record is read where it lies: it is large)
        Record::inspect(line, |record| {
            let read = Parsed {
                bytes: line,
                alone: Alone::of(&self.id, line, last, record)?,
                said: Said::Here(record),
            };
            self.checked(read, offset, visit)
        })
        .map_err(|problem| unread(line, last, problem))?
    }

    /// Checks the next line, read alone as a line of this stream's pact,
    /// against the lines before it, and hands it to `visit`.
    pub(crate) fn checked(
        &mut self,
        read: Parsed<'_>,
        offset: u64,
        visit: &mut impl FnMut(Line<'_>) -> Result<(), StreamProblem>,
    ) -> Result<(), StreamProblem> {
        let Alone { fact, hash, .. } = read.alone;
        check_line(&fact, self.last.as_ref(), self.prev_hash)?;
        // a line a merge re-linked came from another branch, where it may
        // have been recorded before lines of this one; any other line is
        // recorded no earlier than every line before it
        if !read.alone.relinked && self.latest.is_some_and(|t| fact.recorded < t) {
            return Err(StreamProblem::RecordedBackwards);
        }
        let number = self.events + 1;
        let target = self.ids.record(&fact, read.alone.amends, number)?;
        if fact.what == What::Registered {
            let pact = read.record().registered_pact(self.id.clone());
            self.pact = Some(pact.map_err(StreamProblem::Malformed)?);
        }
        // the metadata from an edit on
        if fact.what == What::Edited {
            self.edits
                .add(fact.recorded, fact.seq, read.record().edit());
        }
        visit(Line {
            number,
            offset,
            fact,
            target,
            read: &read,
        })?;
        self.events = number;
        self.prev_hash = Some(hash);
        self.last = Some(fact);
        self.latest = self.latest.max(Some(fact.recorded));
        Ok(())
    }

    /// Makes room for the ids of `lines` more lines: for a stream whose
    /// length is known, so that keeping them takes that room and no more.
    pub(crate) fn reserve(&mut self, lines: usize) {
        self.ids.rising.reserve(lines);
        self.ids.marks.reserve(lines);
    }

    /// How many lines have passed.
    pub(crate) fn events(&self) -> usize {
        self.events
    }

    /// The id of the event of line `number`, once it has passed.
    pub(crate) fn id_at(&self, number: usize) -> Option<Uuid> {
        let rising = &self.ids.rising;
        let at = rising.partition_point(|(_, line)| (*line as usize) < number);
        match rising.get(at) {
            Some((id, line)) if *line as usize == number => Some(*id),
            _ => self
                .ids
                .others
                .iter()
                .find(|(_, line)| **line as usize == number)
                .map(|(id, _)| *id),
        }
    }

    /// What the lines checked make, once the last has: the stream `len`
    /// bytes long that they are.
    pub(crate) fn finish(self, len: u64) -> Result<Folded, StreamProblem> {
        let Some(head) = self.prev_hash else {
            let why = "the file is empty";
            return Err(StreamProblem::TornTail { why });
        };
        match self.pact {
            Some(pact) => Ok(Folded {
                pact: self.edits.applied(pact),
                head,
                events: self.events,
                len,
            }),
            None => Err(StreamProblem::NotRegistered),
        }
    }
}

/// Every event id met so far, with its line, and each line's kind and
/// whether it was retracted: to refuse duplicate ids and retractions that
/// do not fit, and to find the line a retraction withdraws.
///
/// Ids that come in increasing order, as pactlog's time-ordered ids nearly
/// always do along a stream, are kept in a plain vector, 20 bytes each,
/// looked up by bisection; only an id below one before it goes into a map.
#[derive(Default)]
struct Ids {
    /// Ids each greater than every id before it, with their lines: sorted
    /// by id and by line alike.
    rising: Vec<(Uuid, u32)>,
    /// The other ids, with their lines.
    others: HashMap<Uuid, u32>,
    /// Each line's [`Kind`] (its place in `KINDS`), with [`RETRACTED`] set
    /// once a retraction withdrew it and [`AMENDED`] once a copy amended it.
    marks: Vec<u8>,
}

/// The kinds, in the order their marks number them.
const KINDS: [Kind; 6] = [
    Kind::Registered,
    Kind::Status,
    Kind::Note,
    Kind::Retraction,
    Kind::Citation,
    Kind::Edited,
];

/// The bit of a line's mark that says it was retracted.
const RETRACTED: u8 = 0x80;

/// The bit of a line's mark that says an amended copy names it.
const AMENDED: u8 = 0x40;

/// The bits of a line's mark that say its kind.
const KIND: u8 = 0x3f;

impl Ids {
    /// The line that holds event `id`, if one does.
    fn line_of(&self, id: &Uuid) -> Option<u32> {
        let at = self.rising.partition_point(|(seen, _)| seen < id);
        match self.rising.get(at) {
            Some((seen, line)) if seen == id => Some(*line),
            _ => self.others.get(id).copied(),
        }
    }

    /// Checks the event of line `number`, which amends the event `amends`
    /// if it is an amended copy, and keeps its id; returns the line a
    /// retraction withdraws.
    fn record(
        &mut self,
        fact: &Fact,
        amends: Option<Uuid>,
        number: usize,
    ) -> Result<Option<usize>, StreamProblem> {
        let number = u32::try_from(number).map_err(|_| {
            StreamProblem::Malformed("the stream has more lines than a reader counts".into())
        })?;
        let mut target = None;
        if let What::Retraction { target: id } = fact.what {
            let bad = |why| Err(StreamProblem::BadRetraction(why));
            let Some(line) = self.line_of(&id) else {
                return bad("its target is not an earlier event of the stream");
            };
            let mark = &mut self.marks[line as usize - 1];
            match KINDS[usize::from(*mark & KIND)] {
                Kind::Registered => return bad("it retracts the registration"),
                Kind::Retraction => return bad("it retracts a retraction"),
                _ if *mark & RETRACTED != 0 => return bad("its target is already retracted"),
                _ => *mark |= RETRACTED,
            }
            target = Some(line as usize);
        }
        if let What::Citation { target: id, .. } = fact.what {
            let bad = |why| Err(StreamProblem::BadCitation(why));
            let Some(line) = self.line_of(&id) else {
                return bad("its target is not an earlier event of the stream");
            };
            let mark = self.marks[line as usize - 1];
            match KINDS[usize::from(mark & KIND)] {
                Kind::Status | Kind::Note if mark & RETRACTED != 0 => {
                    return bad("its target is retracted");
                }
                Kind::Status | Kind::Note => {}
                _ => return bad("its target is not a status or a note"),
            }
            target = Some(line as usize);
        }
        if let Some(id) = amends {
            self.amend(fact.what.kind(), id)?;
        }
        if self.rising.last().is_none_or(|(last, _)| *last < fact.id) {
            // above every id before it: none of them is the same
            self.rising.push((fact.id, number));
        } else if self.line_of(&fact.id).is_some() {
            return Err(StreamProblem::DuplicateId);
        } else {
            self.others.insert(fact.id, number);
        }
        let kind = KINDS.iter().position(|k| *k == fact.what.kind());
        self.marks.push(kind.unwrap_or_default() as u8);
        Ok(target)
    }
}

impl Ids {
    /// Checks that a copy of kind `kind` may amend event `id`: an earlier
    /// status or note of the same kind, retracted, that no copy amended
    /// yet; and marks it amended.
    fn amend(&mut self, kind: Kind, id: Uuid) -> Result<(), StreamProblem> {
        let bad = |why| Err(StreamProblem::BadAmendment(why));
        let Some(line) = self.line_of(&id) else {
            return bad("its target is not an earlier event of the stream");
        };
        let mark = &mut self.marks[line as usize - 1];
        let amended = KINDS[usize::from(*mark & KIND)];
        if !matches!(amended, Kind::Status | Kind::Note) {
            return bad("its target is not a status or a note");
        }
        if amended != kind {
            return bad("its target is of another kind: a status amends a status, a note a note");
        }
        if *mark & RETRACTED == 0 {
            return bad("its target is not retracted before it");
        }
        if *mark & AMENDED != 0 {
            return bad("its target is amended already");
        }
        *mark |= AMENDED;
        Ok(())
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use proptest::prelude::*;

    use super::*;

    const GSOMIA: &[u8] = include_bytes!("../../events/gsomia.jsonl");

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

    /// The ids every event before has, by id: their kind and whether
    /// they were retracted, kept the plain way, to check [`Ids`] against.
    #[derive(Default)]
    struct Model(HashMap<Uuid, (Kind, bool, usize)>);

    impl Model {
        fn record(&mut self, fact: &Fact, number: usize) -> Result<Option<usize>, StreamProblem> {
            let mut target = None;
            if let What::Retraction { target: id } = fact.what {
                let bad = |why| Err(StreamProblem::BadRetraction(why));
                match self.0.get_mut(&id) {
                    None => return bad("its target is not an earlier event of the stream"),
                    Some((Kind::Registered, ..)) => return bad("it retracts the registration"),
                    Some((Kind::Retraction, ..)) => return bad("it retracts a retraction"),
                    Some((_, true, _)) => return bad("its target is already retracted"),
                    Some((_, retracted, line)) => {
                        *retracted = true;
                        target = Some(*line);
                    }
                }
            }
            match self.0.insert(fact.id, (fact.what.kind(), false, number)) {
                Some(_) => Err(StreamProblem::DuplicateId),
                None => Ok(target),
            }
        }
    }

    proptest! {
        /// Ids kept in a vector while they rise, and in a map when one does
        /// not, refuse and find exactly what a map of them all does.
        #[test]
        fn ids_are_checked_as_a_map_of_them_all_checks_them(
            events in proptest::collection::vec((0_u8..24, 0_u8..4, 0_u8..24), 1..60),
        ) {
            let id = |n: u8| Uuid::from_u128(u128::from(n) << 64 | 7);
            let (mut ids, mut model) = (Ids::default(), Model::default());
            for (i, &(n, kind, target)) in events.iter().enumerate() {
                let what = match (i, kind) {
                    (0, _) | (_, 0) => What::Registered,
                    (_, 1) => What::Note { on: chrono::NaiveDate::MIN.into() },
                    (_, 2) => What::Retraction { target: id(target) },
                    _ => What::Note { on: chrono::NaiveDate::MAX.into() },
                };
                let fact = Fact {
                    seq: i as u64 + 1,
                    id: id(n),
                    recorded: chrono::DateTime::UNIX_EPOCH,
                    prev: None,
                    what,
                };
                let expected = model.record(&fact, i + 1);
                prop_assert_eq!(ids.record(&fact, None, i + 1), expected.clone());
                if expected.is_err() {
                    break;
                }
            }
        }
    }

    #[test]
    fn a_last_line_that_does_not_parse_is_torn_unless_its_crc_holds() {
        let id = PactId::parse("gsomia").unwrap();
        let lines: Vec<&str> = std::str::from_utf8(GSOMIA).unwrap().lines().collect();
        let object = |line: &str| line[..line.rfind(",\"crc\"").unwrap()].to_owned() + "}";
        // a line that names no pact, sealed with its CRC: written whole
        let bad =
            crate::log::codec::seal(&object(lines[2]).replacen("\"gsomia\"", "\"GSOMIA\"", 1));
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

    /// The bytes of a stream of pact `p` whose events after its
    /// registration are `bodies`, each line linked to the one before.
    pub(super) fn written(bodies: Vec<crate::model::event::EventBody>) -> Vec<u8> {
        use crate::model::event::EventBody;
        let id = PactId::parse("p").unwrap();
        let registered = EventBody::Registered(Pact::named(id.clone(), "P"));
        let mut bytes = Vec::new();
        let mut prev = None;
        for (i, body) in std::iter::once(registered).chain(bodies).enumerate() {
            let event = Event {
                pact: id.clone(),
                seq: i as u64 + 1,
                id: Uuid::from_u128(i as u128 + 1),
                recorded: chrono::DateTime::UNIX_EPOCH,
                body,
                prev,
                relinked: None,
            };
            let line = event.to_line();
            prev = Some(Hash::of(line.as_bytes()));
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        bytes
    }

    #[test]
    fn an_amended_copy_names_an_earlier_retracted_event_of_its_kind_once() {
        use crate::model::event::{EventBody, Note, Retraction, StatusChange};
        use crate::model::status::Status;
        // the ids of `written`'s lines: line n has id n
        let line = |n: u128| Uuid::from_u128(n);
        let status = |amends: Option<u128>| {
            EventBody::Status(StatusChange {
                status: Status::InForce,
                on: chrono::NaiveDate::from_ymd_opt(2016, 11, 23)
                    .unwrap()
                    .into(),
                source: None,
                url: None,
                note: None,
                reported: false,
                forced: false,
                parties: Vec::new(),
                amends: amends.map(line),
            })
        };
        let note = |amends: Option<u128>| {
            EventBody::Note(Note {
                on: chrono::NaiveDate::from_ymd_opt(2016, 11, 23)
                    .unwrap()
                    .into(),
                text: "a note".into(),
                source: None,
                url: None,
                parties: Vec::new(),
                amends: amends.map(line),
            })
        };
        let retraction = |target: u128| {
            EventBody::Retraction(Retraction {
                target: line(target),
                reason: "in error".into(),
            })
        };
        let id = PactId::parse("p").unwrap();
        let read = |bodies| Stream::<Fact>::read(&id, written(bodies).as_slice()).map(|_| ());
        // a status retracted, then its copy; a note the same
        let amended = vec![status(None), retraction(2), status(Some(2))];
        assert!(read(amended).is_ok());
        assert!(read(vec![note(None), retraction(2), note(Some(2))]).is_ok());
        for (bodies, at, why) in [
            (
                vec![status(Some(9))],
                2,
                "its target is not an earlier event of the stream",
            ),
            (
                vec![status(Some(1))],
                2,
                "its target is not a status or a note",
            ),
            (
                vec![status(None), status(Some(2))],
                3,
                "its target is not retracted before it",
            ),
            (
                vec![status(None), retraction(2), note(Some(2))],
                4,
                "its target is of another kind: a status amends a status, a note a note",
            ),
            (
                vec![
                    status(None),
                    retraction(2),
                    status(Some(2)),
                    status(Some(2)),
                ],
                5,
                "its target is amended already",
            ),
        ] {
            match read(bodies) {
                Err(ReadError::At(line, StreamProblem::BadAmendment(found))) => {
                    assert_eq!((line, found), (at, why));
                }
                other => panic!("{why}: {other:?}"),
            }
        }
    }

    #[test]
    fn only_a_relinked_line_may_be_recorded_before_a_line_above_it() {
        use crate::log::codec::relink;
        use crate::model::event::{EventBody, Note};
        let id = PactId::parse("p").unwrap();
        let at = |seconds| chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::seconds(seconds);
        let note = |n: u128, recorded| Event {
            pact: id.clone(),
            seq: 0,
            id: Uuid::from_u128(n),
            recorded,
            body: EventBody::Note(Note {
                on: chrono::NaiveDate::from_ymd_opt(2016, 11, 23)
                    .unwrap()
                    .into(),
                text: format!("note {n}"),
                source: None,
                url: None,
                parties: Vec::new(),
                amends: None,
            }),
            prev: None,
            relinked: None,
        };
        // lines recorded at these seconds, those marked re-linked by a merge
        let read = |lines: &[(i64, bool)]| {
            let mut first = note(1, at(0));
            first.seq = 1;
            first.body = EventBody::Registered(Pact::named(id.clone(), "P"));
            let mut bytes = first.to_line().into_bytes();
            let mut prev = Hash::of(&bytes);
            bytes.push(b'\n');
            for (i, &(seconds, relinked)) in lines.iter().enumerate() {
                let mut event = note(i as u128 + 2, at(seconds));
                event.seq = i as u64 + 2;
                event.prev = Some(prev);
                let mut line = event.to_line().into_bytes();
                if relinked {
                    line = relink(&line, event.seq, prev).unwrap();
                }
                prev = Hash::of(&line);
                bytes.extend(line);
                bytes.push(b'\n');
            }
            Stream::<Event>::read(&id, bytes.as_slice()).map(|s| s.events.len())
        };
        assert!(matches!(read(&[(5, false), (3, true), (4, true)]), Ok(4)));
        // after them, a line is recorded no earlier than every line above
        assert!(matches!(read(&[(5, false), (3, true), (5, false)]), Ok(4)));
        for lines in [
            &[(5, false), (3, false)][..],
            &[(5, false), (3, true), (4, false)][..],
        ] {
            match read(lines) {
                Err(ReadError::At(line, StreamProblem::RecordedBackwards)) => {
                    assert_eq!(line, lines.len() + 1)
                }
                other => panic!("{lines:?}: {other:?}"),
            }
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
