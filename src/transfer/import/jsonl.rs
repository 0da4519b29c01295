//! Importing JSON Lines: each pact's lines checked as a stream, and each
//! event as the command that recorded it checks it, the whole making a
//! [`Batch`].

use std::collections::HashMap;
use std::io::{BufRead, Read};

use chrono::{DateTime, Utc};

use crate::StreamProblem;
use crate::log::codec::Record;
use crate::log::store::{Lines, Staging, Store};
use crate::log::stream::{self, MAX_LINE};
use crate::model::error::{Error, ImportProblem, LifecycleError};
use crate::model::event::{Event, EventBody, Fact, What};
use crate::model::limits;
use crate::model::pact::PactId;
use crate::replay::{Staged, breaks};
use crate::transfer::import::timelines::Timelines;
use crate::transfer::import::{Batch, HOLD, known_names, lock_existing};

/// Plans a JSON Lines import: the lines of `export`, each stream recreated
/// byte for byte, or, for a stream the store holds, the lines after its own
/// added to it (its own must be the file's first); `progress` is told how
/// many lines are read. Each stream must check as a whole (chain, seq,
/// checksums), a new one with its names free, and each event as the command
/// that recorded it checks what it records.
///
/// The lines are checked as they are read, each pact's against those of
/// the pact before it, and a new pact's are written out of sight as they
/// pile up: what is held of a pact is what its checks need (some 40 bytes
/// an event), and for a stream the store holds, the lines to add to it.
///
/// # Errors
///
/// [`Error::Row`] naming the input line of the first problem: a line that
/// is not an event, wherever it is, before any other; then, pact by pact in
/// the order they first appear, the first problem of each.
pub fn plan_jsonl(
    store: &Store,
    file: &str,
    input: impl BufRead,
    progress: &dyn Fn(usize),
) -> Result<Batch, Error> {
    let mut dir_lock = lock_existing(store)?;
    let mut names = known_names(store, &dir_lock)?;
    let at = |line: u64, source: Error| Error::Row {
        file: file.to_owned(),
        line,
        source: Box::new(source),
    };
    // each pact's lines, in the order the pacts first appear, checked as
    // they come
    let mut pacts: Vec<Incoming> = Vec::new();
    let mut index: HashMap<PactId, usize> = HashMap::new();
    // the lines of new pacts not yet written out, and how many bytes
    let mut staging: Option<Staging> = None;
    let mut unwritten: Vec<usize> = Vec::new();
    let mut held = 0;
    // the stream of the pact whose lines came last stays open
    let mut open: Option<(usize, Lines)> = None;
    // a line recorded after this is looked at again once all are read
    let started = Utc::now();
    let mut input = input;
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        let n = (&mut input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(Error::io("read", file))?;
        if n == 0 {
            break;
        }
        number += 1;
        progress(number as usize);
        let mut body = line.strip_suffix(b"\n").unwrap_or(&line);
        if number == 1 {
            // a byte order mark, as some editors begin a file with, is no
            // part of a line
            body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            // a blank line, such as one left at the end by an editor
            continue;
        }
        if body.len() > MAX_LINE {
            return Err(at(
                number,
                stream_problem(crate::StreamProblem::LineTooLong),
            ));
        }
        let record = Record::parse(body).map_err(|p| at(number, stream_problem(p)))?;
        let id = PactId::parse(record.pact()).map_err(|e| {
            let problem = crate::StreamProblem::Malformed(e.to_string());
            at(number, stream_problem(problem))
        })?;
        let slot = match index.get(&id) {
            Some(&slot) => slot,
            None => {
                index.insert(id.clone(), pacts.len());
                pacts.push(Incoming::new(store, id, number));
                pacts.len() - 1
            }
        };
        let pact = &mut pacts[slot];
        let before = pact.lines.len();
        pact.take((number, body, record), started, (store, slot, &mut open));
        if pact.new && pact.lines.len() > before {
            if before == 0 {
                unwritten.push(slot);
            }
            held += pact.lines.len() - before;
            if held >= HOLD {
                let staging = match &mut staging {
                    Some(staging) => staging,
                    None => staging.insert(store.stage(dir_lock.take())?),
                };
                for slot in unwritten.drain(..) {
                    pacts[slot].write_out(staging)?;
                }
                held = 0;
            }
        }
    }
    let staging = match staging {
        Some(staging) => staging,
        None => store.stage(dir_lock.take())?,
    };
    // read once every line is: a line this machine wrote before it is not
    // ahead of it
    let now = Utc::now();
    let (mut events, mut skipped, mut created) = (0, 0, 0);
    let mut append = Vec::new();
    let mut per_pact = Vec::new();
    for mut pact in pacts {
        let first = pact.first;
        if let Some((line, problem)) = pact.broken {
            return Err(at(line, stream_problem(problem)));
        }
        let check = std::mem::replace(&mut pact.check, stream::Checker::new(&pact.id));
        let stream = check
            .finish(0)
            .map_err(|problem| at(first, stream_problem(problem)))?;
        // a stream the store holds takes the file's lines after its own, when
        // its own are the file's first: a backup restored again, or a copy
        // that went on; a file behind the store brings nothing
        let held = match pact.store.take() {
            None => 0,
            Some(Err(e)) => return Err(at(first, e)),
            Some(Ok(held)) if !held.parted && stream.events <= held.events => {
                skipped += stream.events;
                continue;
            }
            Some(Ok(held)) if held.parted => {
                return Err(at(
                    first,
                    ImportProblem::Parted {
                        pact: pact.id.to_string(),
                    }
                    .into(),
                ));
            }
            Some(Ok(held)) => held.events,
        };
        // the lines the store holds are its own, checked when they were
        // recorded; those after them are checked as their commands would
        if pact.refused.is_none()
            && let Err(unfilled) = pact.recorded.settle(None)
        {
            pact.refused = Some(unfilled);
        }
        if pact.refused.is_none()
            && let Err(broken) = pact.recorded.merged_lifecycle(&pact.id)
        {
            pact.refused = Some(broken);
        }
        if let Some((line, e)) = pact.refused {
            return Err(at(line, in_a_line(e)));
        }
        // recorded times never go back along a stream, so a time to come
        // would stamp every later append of the pact with it
        if let Some((line, recorded)) = pact.ahead.iter().find(|(_, t)| *t > now) {
            return Err(at(
                *line,
                ImportProblem::RecordedAhead {
                    recorded: *recorded,
                    now,
                }
                .into(),
            ));
        }
        if held > 0 {
            // the same registration as the one the store holds: its names
            // are its own
            skipped += held;
            events += stream.events - held;
            if stream.events > held {
                per_pact.push((pact.id.clone(), stream.events - held, false));
            }
            append.push((pact.id, pact.store_len, pact.lines));
        } else {
            names.check_free(&stream.pact).map_err(|e| at(first, e))?;
            names.add(&stream.pact);
            events += stream.events;
            created += 1;
            per_pact.push((pact.id.clone(), stream.events, true));
            pact.write_out(&staging)?;
        }
    }
    per_pact.sort_unstable();
    Ok(Batch {
        per_pact,
        pacts: created + append.len(),
        created,
        staging,
        append,
        events,
        skipped,
    })
}

/// A pact's lines of a JSON Lines import, checked as they come.
struct Incoming {
    id: PactId,
    /// The input line of its first line.
    first: u64,
    /// Whether the store has no stream of it.
    new: bool,
    /// Its lines, checked as a stream.
    check: stream::Checker,
    /// The first problem of the stream, at an input line: no line after
    /// it is checked.
    broken: Option<(u64, StreamProblem)>,
    /// For a pact the store holds, how the file's lines go along with its
    /// stream, or why that cannot be read.
    store: Option<Result<Held, Error>>,
    /// The length of the stream the store holds.
    store_len: u64,
    /// Its events checked as the commands that record them check them.
    recorded: AsRecorded,
    /// The first event those would refuse, at an input line.
    refused: Option<(u64, Error)>,
    /// The lines to write: for a new pact, those not yet written out; for
    /// one the store holds, those after its own.
    lines: Vec<u8>,
    /// Whether its staged file was begun.
    staged: bool,
    /// The lines recorded after the import began, where their recording
    /// time changes: perhaps still to come once all are read.
    ahead: Vec<(u64, DateTime<Utc>)>,
}

/// How a pact's lines go along with the stream the store holds of it.
struct Held {
    /// How many bytes of it were checked.
    len: u64,
    /// How many events it holds.
    events: usize,
    /// Where its next line begins.
    offset: u64,
    /// Whether a line of the file was not the store's line in its place.
    parted: bool,
}

impl Incoming {
    fn new(store: &Store, id: PactId, first: u64) -> Incoming {
        let exists = store.stream_path(&id).exists();
        let mut store_len = 0;
        let held = exists.then(|| {
            // (its file is let go: a restore may name thousands of pacts,
            // and each is opened again as its lines come)
            store.fold_indexed(&id, |_| Ok(())).map(|(folded, ..)| {
                store_len = folded.len;
                Held {
                    len: folded.len,
                    events: folded.events,
                    offset: 0,
                    parted: false,
                }
            })
        });
        // the pact's lines are checked again as they come: room for the
        // ids and statuses of as many as the store holds, made once (grown
        // a doubling at a time, a long stream's took twice the room)
        let mut check = stream::Checker::new(&id);
        let mut recorded = AsRecorded::new();
        if let Some(Ok(held)) = &held {
            check.reserve(held.events);
            recorded.steps.reserve(held.events);
        }
        Incoming {
            check,
            id,
            first,
            new: !exists,
            broken: None,
            store: held,
            store_len,
            recorded,
            refused: None,
            lines: Vec::new(),
            staged: false,
            ahead: Vec::new(),
        }
    }

    /// Takes the pact's next line, input line `number`, read as `record`.
    /// `open` is the one stream of the store held open, with the place of
    /// its pact among the file's: this pact's is `slot`.
    fn take(
        &mut self,
        (number, body, record): (u64, &[u8], Record<'_>),
        started: DateTime<Utc>,
        (store_of, slot, open): (&Store, usize, &mut Option<(usize, Lines)>),
    ) {
        if self.broken.is_some() {
            return;
        }
        let line = self.check.events() + 1;
        // a line of a stream the store holds is its own line, while they
        // go along, and after its last, a line to add
        let mut held = false;
        if let Some(Ok(store)) = &mut self.store
            && !store.parted
            && line <= store.events
        {
            let lines = match open {
                Some((at, lines)) if *at == slot => Ok(lines),
                _ => store_of
                    .lines(&self.id, store.len)
                    .map(|lines| &mut open.insert((slot, lines)).1),
            };
            match lines.and_then(|lines| lines.bytes(line, store.offset)) {
                Ok(own) if own == body => {
                    store.offset += body.len() as u64 + 1;
                    held = true;
                }
                Ok(_) => store.parted = true,
                Err(e) => self.store = Some(Err(e)),
            }
        }
        let checking = self.refused.is_none()
            && match &self.store {
                None => true,
                Some(Ok(store)) => !store.parted,
                Some(Err(_)) => false,
            };
        let fact = match record.fact() {
            Ok(fact) => fact,
            Err(why) => {
                self.broken = Some((number, StreamProblem::Malformed(why)));
                return;
            }
        };
        let mut taken = None;
        let read = stream::Parsed::of_record(body, &record, fact);
        let checked = self.check.checked(read, 0, &mut |line| {
            // what a held line says of the parties: those it names, or, for
            // an edit, what it changes
            let parties = (checking && held).then(|| match line.fact.what {
                What::Edited => OfParties::Edit(line.record().edit()),
                _ => OfParties::Named(line.parties()),
            });
            let event = (checking && !held).then(|| line.record().to_event());
            taken = Some((line.fact, line.target, event, parties));
            Ok(())
        });
        if let Err(problem) = checked {
            self.broken = Some((number, problem));
            return;
        }
        let Some((fact, target, event, parties)) = taken else {
            return;
        };
        if fact.recorded > started && self.ahead.last().is_none_or(|(_, t)| *t != fact.recorded) {
            self.ahead.push((number, fact.recorded));
        }
        if checking {
            let checked = match event {
                None => {
                    let parties = parties.unwrap_or(OfParties::Named(Vec::new()));
                    self.recorded.held(line, &fact, target, parties);
                    Ok(())
                }
                Some(Ok(event)) => match self.recorded.settle(Some(&event)) {
                    Err((at, e)) => {
                        self.refused = Some((at, e));
                        Ok(())
                    }
                    Ok(()) => {
                        let at = (line, number);
                        self.recorded
                            .check(&self.id, at, &event, target, &self.check)
                    }
                },
                Some(Err(why)) => Err(ImportProblem::Line(StreamProblem::Malformed(why)).into()),
            };
            if let Err(e) = checked {
                self.refused = Some((number, e));
            }
        }
        if !held {
            self.lines.extend_from_slice(body);
            self.lines.push(b'\n');
        }
    }

    /// Writes a new pact's lines not yet written to its staged file.
    fn write_out(&mut self, staging: &Staging) -> Result<(), Error> {
        if self.lines.is_empty() && self.staged {
            return Ok(());
        }
        staging.write(&self.id, &self.lines, !self.staged)?;
        // let go of the buffer, not just its lines: a store's worth of pacts
        // each keeping one would hold the whole file
        self.lines = Vec::new();
        self.staged = true;
        Ok(())
    }
}

/// Checks a stream's events, in order, as `register`, `append`, `note` and
/// `retract` check what they record: every field within its limits, each
/// status against its neighbours in the timeline the events before it make,
/// and each retraction against that timeline without its target (and the
/// copy of an amendment right after it, as `amend` records them). A stream
/// those commands wrote passes; one they would have refused does not, even
/// when its lines chain and check. The events the store holds already are
/// taken as they stand. The timeline is kept as each status's date, line
/// and whether it was forced.
/// What a line the store holds already says of the pact's parties.
enum OfParties {
    /// The parties it names: a registration's, or a status's or note's.
    Named(Vec<String>),
    /// The edit it makes.
    Edit(crate::model::event::Edit),
}

/// A pact's timelines as the lines checked so far leave them.
struct AsRecorded {
    /// The pact's own timeline, its parties and theirs.
    timelines: Timelines<()>,
    /// A retraction whose withdrawal leaves two statuses side by side that
    /// may not be, as `retract` refuses it: it stands only if the next line
    /// is the copy of an amendment that goes between them.
    unfilled: Option<Unfilled>,
    /// The input line of the first line a git merge re-linked, if one did.
    merged: Option<u64>,
}

/// A withdrawal that leaves two statuses side by side that may not be.
struct Unfilled {
    /// The input line of the retraction.
    number: u64,
    /// The event it withdraws.
    target: uuid::Uuid,
    /// The earliest days of the statuses either side of it.
    between: (Option<chrono::NaiveDate>, chrono::NaiveDate),
    /// The party whose timeline it breaks (none: the pact's own).
    party: Option<String>,
    /// Why `retract` refuses it.
    error: Error,
}

impl std::ops::Deref for AsRecorded {
    type Target = Timelines<()>;
    fn deref(&self) -> &Timelines<()> {
        &self.timelines
    }
}

impl std::ops::DerefMut for AsRecorded {
    fn deref_mut(&mut self) -> &mut Timelines<()> {
        &mut self.timelines
    }
}

impl AsRecorded {
    fn new() -> Self {
        AsRecorded {
            timelines: Timelines::default(),
            unfilled: None,
            merged: None,
        }
    }

    /// Checks the timelines a git merge made, once every line is in, as
    /// `verify` does: no status may follow the one before it where the
    /// lifecycle does not allow it (unless one was forced), in the pact's
    /// timeline, or in a party's at its own statuses. The merge checked its
    /// re-linked lines where it set them; one at a time in the order of its
    /// lines, a status can be refused that a retraction after it takes out.
    ///
    /// # Errors
    ///
    /// The input line of the first re-linked line, and the step that may
    /// not be.
    fn merged_lifecycle(&self, id: &PactId) -> Result<(), (u64, Error)> {
        let Some(number) = self.merged else {
            return Ok(());
        };
        let pact_steps: std::collections::HashSet<u64> =
            self.steps.entries().iter().map(|s| s.seq).collect();
        let timelines = std::iter::once((None, &self.steps))
            .chain(self.parties.iter().map(|(party, t)| (Some(party), t)));
        for (party, timeline) in timelines {
            let own = |s: &Staged<()>| party.is_none() || !pact_steps.contains(&s.seq);
            let steps = timeline.entries();
            for (at, step) in steps.iter().enumerate() {
                let before = at.checked_sub(1).map(|i| &steps[i]);
                let side = |s: &Staged<()>| (s.status, s.forced);
                if !own(step) || !breaks(before.map(side), side(step)) {
                    continue;
                }
                let pact = id.to_string();
                let breaks = match before {
                    Some(b) if b.status == step.status => LifecycleError::Repeat {
                        pact,
                        status: step.status,
                        on: step.on,
                        since: b.on,
                    },
                    _ => LifecycleError::NotAllowed {
                        pact,
                        from: before.map(|b| b.status),
                        since: before.map(|b| b.on),
                        to: step.status,
                        on: step.on,
                    },
                };
                return Err((
                    number,
                    Error::in_timeline(party.map(String::as_str), breaks),
                ));
            }
        }
        Ok(())
    }

    /// Settles a withdrawal left unfilled by the line before `next` (none:
    /// the pact has no more lines): it stands if `next` is the copy that
    /// amends its target and goes between the statuses it leaves, as
    /// `amend` records the two.
    ///
    /// # Errors
    ///
    /// The retraction's input line and why `retract` refuses it, otherwise.
    fn settle(&mut self, next: Option<&Event>) -> Result<(), (u64, Error)> {
        let Some(unfilled) = self.unfilled.take() else {
            return Ok(());
        };
        let (before, after) = unfilled.between;
        let filled = next.and_then(Event::status_change).is_some_and(|copy| {
            let day = copy.on.earliest();
            // in the timeline it leaves a gap in: the pact's copies go in
            // every party's, a party's in that party's
            let party = unfilled.party.as_deref();
            let in_timeline = copy.parties.is_empty()
                || party.is_some_and(|p| copy.parties.iter().any(|c| c.eq_ignore_ascii_case(p)));
            copy.amends == Some(unfilled.target)
                && in_timeline
                && before.is_none_or(|b| b <= day)
                && day < after
        });
        match filled {
            true => Ok(()),
            false => Err((unfilled.number, unfilled.error)),
        }
    }

    /// Takes line `line`, an event the store holds already, as it stands:
    /// the events after it were checked against it. `parties` are those
    /// the line names.
    fn held(&mut self, line: usize, fact: &Fact, target: Option<usize>, said: OfParties) {
        let parties = match said {
            OfParties::Named(parties) => parties,
            OfParties::Edit(edit) => {
                self.edit(&edit);
                return;
            }
        };
        match fact.what {
            What::Status {
                status, on, forced, ..
            } => {
                let step = Staged {
                    on,
                    recorded: fact.recorded.timestamp_micros(),
                    seq: line as u64,
                    status,
                    forced,
                    key: (),
                };
                self.place(step, &parties);
            }
            What::Retraction { .. } => self.withdraw_line(target),
            What::Registered => self.members = parties,
            What::Note { .. } | What::Citation { .. } | What::Edited => {}
        }
    }

    /// Takes out the status a retraction withdraws, at line `target`.
    fn withdraw_line(&mut self, target: Option<usize>) {
        if let Some(target) = target {
            self.withdraw(target as u64);
        }
    }

    /// Takes in an edit: the parties from it on are the pact's as edited.
    fn edit(&mut self, edit: &crate::model::event::Edit) {
        edit.apply_to_parties(&mut self.members);
    }

    /// Checks an edit's parties as `edit` would: each it takes away is the
    /// pact's, each it adds is not.
    fn check_edit(&self, id: &PactId, edit: &crate::model::event::Edit) -> Result<(), Error> {
        let has = |p: &String| self.members.iter().any(|m| m.eq_ignore_ascii_case(p));
        let refused = |why: String| Error::EditRefused {
            pact: id.to_string(),
            why,
        };
        if let Some(p) = edit.remove_parties.iter().find(|p| !has(p)) {
            return Err(refused(format!("it has no party '{p}'")));
        }
        let kept: Vec<&String> = self
            .members
            .iter()
            .filter(|m| {
                !edit
                    .remove_parties
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(m))
            })
            .collect();
        if let Some(p) = edit
            .add_parties
            .iter()
            .find(|p| kept.iter().any(|m| m.eq_ignore_ascii_case(p)))
        {
            return Err(refused(format!("it has the party '{p}' already")));
        }
        Ok(())
    }

    /// Checks that each of `named` is one of the pact's parties, spelled
    /// as it is.
    fn members(&self, id: &PactId, named: &[String]) -> Result<(), Error> {
        match named.iter().find(|p| !self.members.contains(p)) {
            Some(party) => Err(Error::UnknownParty {
                pact: id.to_string(),
                party: party.clone(),
                parties: self.members.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Checks `event`, of line `line`, as the command that records it would.
    /// `check` has checked the stream up to it, and knows each line's id.
    fn check(
        &mut self,
        id: &PactId,
        (line, number): (usize, u64),
        event: &Event,
        target: Option<usize>,
        check: &stream::Checker,
    ) -> Result<(), Error> {
        fn text(field: &str, value: &str, max: usize) -> Result<(), Error> {
            as_stored(field, value, limits::check_text(field, value, max))
        }
        fn sourced(source: Option<&str>, url: Option<&str>) -> Result<(), Error> {
            if let Some(source) = source {
                text("source", source, limits::SOURCE)?;
            }
            if let Some(url) = url {
                as_stored("url", url, limits::check_url(url))?;
            }
            Ok(())
        }
        match &event.body {
            EventBody::Registered(pact) => {
                self.members.clone_from(&pact.parties);
                pact.clone().validated().and_then(|valid| {
                    (valid == *pact).then_some(()).ok_or_else(|| {
                        ImportProblem::UntrimmedRegistration {
                            pact: id.to_string(),
                        }
                        .into()
                    })
                })
            }
            EventBody::Status(change) => sourced(change.source.as_deref(), change.url.as_deref())
                .and_then(|()| match &change.note {
                    Some(note) => text("note", note, limits::TEXT),
                    None => Ok(()),
                })
                .and_then(|()| {
                    let step = Staged {
                        on: change.on,
                        recorded: event.recorded.timestamp_micros(),
                        seq: line as u64,
                        status: change.status,
                        forced: change.forced,
                        key: (),
                    };
                    self.members(id, &change.parties)?;
                    // a line a merge re-linked is checked where the merge
                    // set it, once every line is in
                    if event.relinked.is_some() {
                        self.merged.get_or_insert(number);
                        self.place(step, &change.parties);
                        return Ok(());
                    }
                    self.status(id, step, &change.parties, false)
                }),
            EventBody::Note(note) => text("note text", &note.text, limits::TEXT)
                .and_then(|()| sourced(note.source.as_deref(), note.url.as_deref()))
                .and_then(|()| self.members(id, &note.parties)),
            EventBody::Retraction(retraction) if event.relinked.is_some() => {
                text("reason", &retraction.reason, limits::TEXT)?;
                self.merged.get_or_insert(number);
                self.withdraw_line(target);
                Ok(())
            }
            EventBody::Retraction(retraction) => {
                text("reason", &retraction.reason, limits::TEXT)?;
                // the stream's checks found the target, an earlier status or
                // note not retracted yet: what is left is whether the
                // statuses either side of it may stand side by side
                let target_line = target.map(|t| t as u64);
                let is_target = |s: &Staged<()>| Some(s.seq) == target_line;
                // the pact's timeline, then each party's, at the party's
                // own statuses (the target, the pact's or a party's, is in
                // each timeline that holds it), as `retract` checks them
                let pact_steps = &self.timelines.steps;
                let parties = self.timelines.parties.iter().map(|(p, t)| (Some(p), t));
                let breaks = std::iter::once((None, pact_steps)).chain(parties).find_map(
                    |(party, timeline)| {
                        let (before, after) = timeline.check_withdrawal(is_target).err()?;
                        let own = party.is_none() || !pact_steps.holds(after);
                        own.then_some((party, (before, after)))
                    },
                );
                if let Some((party, (before, after))) = breaks {
                    let said = |s: &Staged<()>| {
                        let id = check.id_at(s.seq as usize).unwrap_or_default();
                        format!("{} on {} (event {id})", s.status, s.on)
                    };
                    let error = LifecycleError::RetractionBreaks {
                        pact: id.to_string(),
                        target: retraction.target,
                        before: before.map(said),
                        after: said(after),
                    };
                    let error = Error::in_timeline(party.map(String::as_str), error);
                    self.unfilled = Some(Unfilled {
                        number,
                        target: retraction.target,
                        between: (before.map(|b| b.on.earliest()), after.on.earliest()),
                        party: party.cloned(),
                        error,
                    });
                }
                self.withdraw_line(target);
                Ok(())
            }
            // the stream's checks found the target, an earlier status or
            // note not retracted
            EventBody::Citation(citation) => {
                text("source", &citation.source, limits::SOURCE)?;
                sourced(None, citation.url.as_deref())
            }
            EventBody::Edited(edit) => {
                self.check_edit(id, edit)?;
                self.edit(edit);
                Ok(())
            }
        }
    }
}

/// `e` as said of an event line: where the command line says `--force`, a
/// line says `"forced":true`; and no command wrote a retraction that
/// `retract` refuses.
fn in_a_line(e: Error) -> Error {
    match e {
        Error::Lifecycle(lifecycle) => ImportProblem::BreaksLifecycle(lifecycle).into(),
        Error::PartyLifecycle { party, source } => {
            ImportProblem::PartyBreaksLifecycle { party, source }.into()
        }
        e => e,
    }
}

/// Checks a stored value as the command that records it would: it must
/// pass `checked`, and be what that command stores (values are trimmed).
fn as_stored(field: &str, value: &str, checked: Result<String, Error>) -> Result<(), Error> {
    if checked? == value {
        return Ok(());
    }
    Err(ImportProblem::Untrimmed {
        field: field.to_owned(),
        value: value.to_owned(),
    }
    .into())
}

/// A line of the file that is not as a stream's lines must be.
fn stream_problem(problem: StreamProblem) -> Error {
    ImportProblem::Line(problem).into()
}
