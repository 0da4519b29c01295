//! The git merge driver: a pact's stream that two branches both appended
//! to, merged into one stream when their events can stand together, and
//! refused, naming the events in the way, when they cannot.
//!
//! The merged stream is ours, untouched, followed by the events only
//! theirs has, in their order there, each line re-linked
//! ([`relink`]): a new `seq` and `prev`, and
//! its id, recorded time and content kept byte for byte. So the merge only
//! appends to ours. Before a byte is written, the events of the two
//! branches are held against each other (no event withdrawn by both, none
//! cited by one and withdrawn by the other, no part of the metadata changed
//! by both, no party one takes away that the other's events are about, no
//! alias another pact of the store has), and the merged stream is read
//! whole as every reader reads it and its timelines held to the lifecycle
//! wherever the merge set two statuses side by side: what the merge writes
//! verifies.
//!
//! Which branch merges which does not change what the merged stream
//! answers: a timeline orders the statuses of one day by the time each was
//! recorded ([`Timeline`]), and as-of questions judge each event by its
//! own recorded time; and the checks are the same both ways.

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::path::Path;

use uuid::Uuid;

use crate::log::codec::{Record, relink};
use crate::log::store::{Names, Store, append_or_undo, open_stream, pact_of_name};
use crate::log::stream::{ReadError, Stream};
use crate::model::error::{Branch, Clash, Error, MergeSide, Said, StreamProblem, Unmergeable};
use crate::model::event::{Edit, Event, EventBody, Hash};
use crate::model::pact::PactId;
use crate::replay::{Entry, Timeline, retraction_breaks};

/// One of the files a git merge gives the driver: its path, and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// Where it is (for messages).
    pub path: &'a Path,
    /// What it holds.
    pub bytes: &'a [u8],
}

/// What a merge makes: the lines to add to ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The pact.
    pub pact: PactId,
    /// The lines to add after ours, each with its LF: theirs' new events,
    /// re-linked (or, when ours is where theirs began, theirs' lines after
    /// it as they are).
    pub lines: Vec<u8>,
    /// How many events of theirs the lines hold.
    pub added: usize,
    /// How many events ours recorded that theirs had not.
    pub ours: usize,
}

/// A side read whole: its events, and each one's line (without its LF).
struct Read<'a> {
    stream: Stream,
    lines: Vec<&'a [u8]>,
}

/// Merges theirs into ours, whose common ancestor is `base` (empty when the
/// branches began the stream apart): the lines to add to ours.
/// `pact` is the pact the stream is named for (when the path is known;
/// else the pact ours is of), and `names` reads those of the other pacts
/// of the store it is in, which an alias either branch gives it may not be
/// (read only when an event gives an alias: reading them reads every
/// stream of the store).
///
/// # Errors
///
/// [`Error::Unmergeable`] for a file that is not a stream of the pact that
/// reads whole (damaged, torn, empty but for the base), for a side that
/// does not hold every event of the base unchanged, and for theirs holding
/// an event ours holds too, changed; [`Error::MergeConflict`] naming the
/// events in the way when the two branches' events cannot stand together.
pub fn merge(
    base: Side<'_>,
    ours: Side<'_>,
    theirs: Side<'_>,
    pact: Option<&PactId>,
    names: &dyn Fn() -> Names,
) -> Result<Merged, Error> {
    let id = match pact {
        Some(id) => id.clone(),
        None => pact_of(&ours)?,
    };
    let ours_read = read(MergeSide::Ours, &ours, &id)?;
    let theirs_read = read(MergeSide::Theirs, &theirs, &id)?;
    let base_read = match base.bytes.is_empty() {
        true => None,
        false => Some(read(MergeSide::Base, &base, &id)?),
    };
    let index = |read: &Read<'_>| -> HashMap<Uuid, usize> {
        let events = read.stream.events.iter().enumerate();
        events.map(|(i, e)| (e.id, i)).collect()
    };
    let (in_ours, in_theirs) = (index(&ours_read), index(&theirs_read));
    // the base is where both began: each holds its every event as it was
    let mut in_base = HashSet::new();
    if let Some(base_read) = &base_read {
        in_base.extend(base_read.stream.events.iter().map(|e| e.id));
        for (which, side, read, at) in [
            (MergeSide::Ours, &ours, &ours_read, &in_ours),
            (MergeSide::Theirs, &theirs, &theirs_read, &in_theirs),
        ] {
            if side.bytes.starts_with(base.bytes) {
                continue;
            }
            for (line, event) in base_read.stream.events.iter().enumerate() {
                let held = at.get(&event.id).map(|&i| &read.stream.events[i]);
                if held.is_none_or(|held| !same(held, event)) {
                    return Err(Error::Unmergeable {
                        side: which,
                        path: side.path.to_owned(),
                        why: Unmergeable::LacksBase {
                            event: event.id,
                            line: line + 1,
                            changed: held.is_some(),
                        },
                    });
                }
            }
        }
    }
    // an event both hold (one brought it in from the other) is one event
    for event in &theirs_read.stream.events {
        if let Some(&i) = in_ours.get(&event.id)
            && !same(&ours_read.stream.events[i], event)
        {
            return Err(Error::Unmergeable {
                side: MergeSide::Theirs,
                path: theirs.path.to_owned(),
                why: Unmergeable::Differs { event: event.id },
            });
        }
    }
    // a stream both branches began: one registration, said alike by both
    let mut skipped = None;
    if base_read.is_none() {
        let (o, t) = (&ours_read.stream.events[0], &theirs_read.stream.events[0]);
        if o.id != t.id {
            if o.body != t.body {
                return Err(conflict(
                    &id,
                    Box::new(Clash::Registrations {
                        ours: said(o, Branch::Ours, &[]),
                        theirs: said(t, Branch::Theirs, &[]),
                    }),
                ));
            }
            skipped = Some(t.id);
        }
    }
    let ours_new: Vec<&Event> = ours_read
        .stream
        .events
        .iter()
        .filter(|e| !in_base.contains(&e.id) && !in_theirs.contains_key(&e.id))
        .collect();
    let added: Vec<usize> = (0..theirs_read.stream.events.len())
        .filter(|&i| {
            let event = &theirs_read.stream.events[i];
            !in_ours.contains_key(&event.id) && Some(event.id) != skipped
        })
        .collect();
    let merged = |lines: Vec<u8>| Merged {
        pact: id.clone(),
        lines,
        added: added.len(),
        ours: ours_new.len(),
    };
    if added.is_empty() {
        return Ok(merged(Vec::new()));
    }
    let theirs_new: Vec<&Event> = added
        .iter()
        .map(|&i| &theirs_read.stream.events[i])
        .collect();
    let refused = |clash| conflict(&id, clash);
    // theirs went on from ours: its lines after ours' follow as they are
    if theirs.bytes.starts_with(ours.bytes) {
        aliases(&id, &theirs_read.stream, &[], &theirs_new, names, false).map_err(refused)?;
        return Ok(merged(theirs.bytes[ours.bytes.len()..].to_vec()));
    }
    let branch_of = |event: Uuid| {
        if ours_new.iter().any(|e| e.id == event) {
            Branch::Ours
        } else if theirs_new.iter().any(|e| e.id == event) {
            Branch::Theirs
        } else {
            Branch::Both
        }
    };
    apart(&ours_new, &theirs_new).map_err(refused)?;
    members(&ours_read, &ours_new, &theirs_read, &theirs_new).map_err(refused)?;
    // theirs' new lines, re-linked after ours
    let mut lines = Vec::new();
    let mut prev = ours_read.stream.head;
    let mut seq = ours_read.stream.last_seq();
    for &i in &added {
        seq += 1;
        let line = relink(theirs_read.lines[i], seq, prev).map_err(|problem| {
            let event = said(&theirs_read.stream.events[i], Branch::Theirs, &[]);
            refused(Box::new(Clash::Line { event, problem }))
        })?;
        prev = Hash::of(&line);
        lines.extend_from_slice(&line);
        lines.push(b'\n');
    }
    // the merged stream, read whole as every reader reads it
    let mut whole = ours.bytes.to_vec();
    whole.extend_from_slice(&lines);
    let stream = Stream::<Event>::read(&id, whole.as_slice()).map_err(|e| match e {
        ReadError::At(line, problem) => {
            let at = line.saturating_sub(ours_read.stream.events.len() + 1);
            let event = theirs_new.get(at).copied().unwrap_or(theirs_new[0]);
            refused(Box::new(Clash::Line {
                event: said(event, Branch::Theirs, &theirs_new),
                problem,
            }))
        }
        ReadError::Io(e) => Error::io("read", ours.path)(e),
    })?;
    aliases(
        &id,
        &stream,
        &ours_new,
        &theirs_new,
        names,
        base_read.is_none(),
    )
    .map_err(refused)?;
    lifecycle(
        &stream.events,
        [&ours_read.stream.events, &theirs_read.stream.events],
        &branch_of,
    )
    .map_err(refused)?;
    Ok(merged(lines))
}

/// Merges the stream files `base`, `ours` and `theirs`, as git gives them
/// to the driver, and adds the merge to `ours`: [`merge`], of the pact
/// `path` is the stream of (where the stream lives in the work tree; the
/// other streams of its directory give the names an alias may not be).
/// Ours is only appended to, in one write, synced; when the merge is
/// refused, or the write fails, it is as it was.
///
/// # Errors
///
/// As [`merge`]; [`Error::Unmergeable`] when `path` is not named as a
/// stream is; [`Error::Io`] when a file cannot be read, and
/// [`Error::WriteFailed`] when ours cannot be written.
pub fn merge_files(
    base: &Path,
    ours: &Path,
    theirs: &Path,
    path: Option<&Path>,
) -> Result<Merged, Error> {
    let read = |path: &Path| std::fs::read(path).map_err(Error::io("read", path));
    let (base_bytes, ours_bytes, theirs_bytes) = (read(base)?, read(ours)?, read(theirs)?);
    let (pact, dir) = match path {
        None => (None, None),
        Some(path) => {
            let Some(id) = path.file_name().and_then(pact_of_name) else {
                return Err(Error::Unmergeable {
                    side: MergeSide::Ours,
                    path: path.to_owned(),
                    why: Unmergeable::NotAStreamName,
                });
            };
            let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty());
            (Some(id), Some(dir.unwrap_or(Path::new("."))))
        }
    };
    // the names that can be read: a stream being merged may not be
    let names = || {
        dir.and_then(|dir| Store::new(dir).readable_names().ok())
            .unwrap_or_default()
    };
    let side = |path, bytes| Side { path, bytes };
    let merged = merge(
        side(base, &base_bytes),
        side(ours, &ours_bytes),
        side(theirs, &theirs_bytes),
        pact.as_ref(),
        &names,
    )?;
    if merged.lines.is_empty() {
        return Ok(merged);
    }
    let file = open_stream(ours, OpenOptions::new().append(true))?;
    let len = file.metadata().map_err(Error::io("read", ours))?.len();
    if len != ours_bytes.len() as u64 {
        return Err(Error::Unmergeable {
            side: MergeSide::Ours,
            path: ours.to_owned(),
            why: Unmergeable::NotAStream {
                line: ours_bytes.iter().filter(|&&b| b == b'\n').count(),
                problem: StreamProblem::Malformed("the file changed while it was merged".into()),
            },
        });
    }
    append_or_undo(&file, ours, &merged.lines, true)?;
    Ok(merged)
}

/// The error of a merge refused for `clash`.
fn conflict(pact: &PactId, clash: Box<Clash>) -> Error {
    Error::MergeConflict {
        pact: pact.to_string(),
        clash,
    }
}

/// The pact whose stream `side` is, as its first line says.
fn pact_of(side: &Side<'_>) -> Result<PactId, Error> {
    let refuse = |why| Error::Unmergeable {
        side: MergeSide::Ours,
        path: side.path.to_owned(),
        why,
    };
    if side.bytes.is_empty() {
        return Err(refuse(Unmergeable::Empty));
    }
    let first = side.bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let record = Record::parse(first)
        .map_err(|problem| refuse(Unmergeable::NotAStream { line: 1, problem }))?;
    PactId::parse(record.pact()).map_err(|e| {
        let problem = StreamProblem::Malformed(e.to_string());
        refuse(Unmergeable::NotAStream { line: 1, problem })
    })
}

/// Reads `side`, the `which` of a merge, as a stream of pact `id`.
fn read<'a>(which: MergeSide, side: &Side<'a>, id: &PactId) -> Result<Read<'a>, Error> {
    let refuse = |why| Error::Unmergeable {
        side: which,
        path: side.path.to_owned(),
        why,
    };
    if side.bytes.is_empty() {
        return Err(refuse(Unmergeable::Empty));
    }
    // a file whose first line is no event is no stream at all
    let first = side.bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    match Record::parse(first) {
        Ok(record) if record.pact() != id.as_str() => {
            return Err(refuse(Unmergeable::OtherPact {
                found: record.pact().to_owned(),
                expected: id.to_string(),
            }));
        }
        Err(problem) if !matches!(problem, StreamProblem::MergeConflict) => {
            return Err(refuse(Unmergeable::NotAStream { line: 1, problem }));
        }
        _ => {}
    }
    let stream = Stream::<Event>::read(id, side.bytes).map_err(|e| match e {
        ReadError::At(line, problem) => refuse(Unmergeable::NotAStream { line, problem }),
        ReadError::Io(e) => Error::io("read", side.path)(e),
    })?;
    let lines = side
        .bytes
        .split(|&b| b == b'\n')
        .take(stream.events.len())
        .collect();
    Ok(Read { stream, lines })
}

/// Whether two events are the same event: the same id, time and content,
/// wherever each stands in its stream.
fn same(a: &Event, b: &Event) -> bool {
    a.id == b.id && a.pact == b.pact && a.recorded == b.recorded && a.body == b.body
}

/// `event` of `branch`, named in a conflict. A retraction among `events`
/// (its branch's) that the next of them amends is said as the amendment.
fn said(event: &Event, branch: Branch, events: &[&Event]) -> Said {
    let what = match &event.body {
        EventBody::Registered(pact) => format!("the registration of \"{}\"", pact.name),
        EventBody::Status(change) => {
            let mut what = format!("{} on {}", change.status, change.on);
            if !change.parties.is_empty() {
                what.push_str(&format!(" for {}", change.parties.join(", ")));
            }
            what
        }
        EventBody::Note(note) => format!("the note on {}", note.on),
        EventBody::Retraction(retraction) => {
            let amended = events.iter().any(|e| amends(e) == Some(retraction.target));
            match amended {
                true => format!("the amendment of {}", retraction.target),
                false => format!("the retraction of {}", retraction.target),
            }
        }
        EventBody::Citation(citation) => format!("the citation of {}", citation.target),
        EventBody::Edited(edit) => {
            let parts: Vec<String> = parts(edit).into_iter().map(|(_, part)| part).collect();
            format!("the edit of its {}", parts.join(", "))
        }
    };
    Said {
        what,
        id: event.id,
        branch,
    }
}

/// The event a status or note amends, if it is an amended copy.
fn amends(event: &Event) -> Option<Uuid> {
    match &event.body {
        EventBody::Status(change) => change.amends,
        EventBody::Note(note) => note.amends,
        _ => None,
    }
}

/// A part of the pact's metadata an edit changes.
#[derive(PartialEq)]
enum Part<'e> {
    /// A field, given this value.
    Field(&'static str, &'e str),
    /// An alias or a party (its label in lower case), added or taken away.
    Label(&'static str, String),
}

impl Part<'_> {
    /// Whether two edits on two branches may not both change this: a
    /// field given two values, or one label changed by both.
    fn clashes(&self, other: &Part<'_>) -> bool {
        match (self, other) {
            (Part::Field(field, value), Part::Field(other_field, other_value)) => {
                field == other_field && value != other_value
            }
            (Part::Label(..), Part::Label(..)) => self == other,
            _ => false,
        }
    }
}

/// The parts of the pact's metadata `edit` changes, each with how it is
/// said.
fn parts(edit: &Edit) -> Vec<(Part<'_>, String)> {
    let mut parts = Vec::new();
    for (field, value) in [
        ("name", &edit.name),
        ("kind", &edit.kind),
        ("description", &edit.description),
        ("source", &edit.source),
        ("link", &edit.url),
    ] {
        if let Some(value) = value {
            parts.push((Part::Field(field, value), field.to_owned()));
        }
    }
    let labels = [
        ("alias", &edit.add_aliases),
        ("alias", &edit.remove_aliases),
        ("party", &edit.add_parties),
        ("party", &edit.remove_parties),
    ];
    for (kind, list) in labels {
        for label in list {
            let part = Part::Label(kind, label.to_lowercase());
            parts.push((part, format!("{kind} '{label}'")));
        }
    }
    parts
}

/// Holds the new events of the two branches against each other: none
/// withdraws an event the other withdrew (by a retraction, or an
/// amendment), none cites one the other withdrew, and no part of the
/// pact's metadata is changed by both (but to the same value).
fn apart(ours: &[&Event], theirs: &[&Event]) -> Result<(), Box<Clash>> {
    let withdrawn = |events: &[&Event]| -> HashMap<Uuid, Uuid> {
        let targets = events.iter().filter_map(|e| match &e.body {
            EventBody::Retraction(r) => Some((r.target, e.id)),
            _ => None,
        });
        targets.collect()
    };
    let (ours_withdrawn, theirs_withdrawn) = (withdrawn(ours), withdrawn(theirs));
    fn find<'e>(events: &[&'e Event], id: Uuid) -> &'e Event {
        events
            .iter()
            .find(|e| e.id == id)
            .expect("an event of its own branch")
    }
    for event in theirs {
        if let EventBody::Retraction(r) = &event.body
            && let Some(&by) = ours_withdrawn.get(&r.target)
        {
            return Err(Box::new(Clash::Withdrawn {
                target: r.target,
                ours: said(find(ours, by), Branch::Ours, ours),
                theirs: said(event, Branch::Theirs, theirs),
            }));
        }
    }
    for (events, branch, other, other_withdrawn, other_branch) in [
        (theirs, Branch::Theirs, ours, &ours_withdrawn, Branch::Ours),
        (
            ours,
            Branch::Ours,
            theirs,
            &theirs_withdrawn,
            Branch::Theirs,
        ),
    ] {
        for event in events {
            if let EventBody::Citation(c) = &event.body
                && let Some(&by) = other_withdrawn.get(&c.target)
            {
                return Err(Box::new(Clash::CitesWithdrawn {
                    citation: said(event, branch, events),
                    retraction: said(find(other, by), other_branch, other),
                }));
            }
        }
    }
    fn edits<'e>(events: &[&'e Event]) -> Vec<(&'e Event, Vec<(Part<'e>, String)>)> {
        let edits = events.iter().filter_map(|e| match &e.body {
            EventBody::Edited(edit) => Some((*e, parts(edit))),
            _ => None,
        });
        edits.collect()
    }
    let ours_edits = edits(ours);
    for (edit, parts) in edits(theirs) {
        for (part, said_as) in &parts {
            let clashes = |(mine, _): &(Part<'_>, String)| part.clashes(mine);
            if let Some((mine, _)) = ours_edits.iter().find(|(_, p)| p.iter().any(clashes)) {
                return Err(Box::new(Clash::Edits {
                    part: said_as.clone(),
                    ours: said(mine, Branch::Ours, ours),
                    theirs: said(edit, Branch::Theirs, theirs),
                }));
            }
        }
    }
    Ok(())
}

/// Holds the statuses and notes each branch recorded about parties
/// against the parties the other branch took away: each must still be a
/// party of the pact the other leaves.
fn members(
    ours_read: &Read<'_>,
    ours: &[&Event],
    theirs_read: &Read<'_>,
    theirs: &[&Event],
) -> Result<(), Box<Clash>> {
    for (events, branch, other_read, other, other_branch) in [
        (theirs, Branch::Theirs, ours_read, ours, Branch::Ours),
        (ours, Branch::Ours, theirs_read, theirs, Branch::Theirs),
    ] {
        let kept = &other_read.stream.pact.parties;
        for event in events {
            let named = match &event.body {
                EventBody::Status(change) => &change.parties,
                EventBody::Note(note) => &note.parties,
                _ => continue,
            };
            for party in named {
                if kept.iter().any(|p| p.eq_ignore_ascii_case(party)) {
                    continue;
                }
                let removed = other.iter().rev().find(|e| match &e.body {
                    EventBody::Edited(edit) => edit
                        .remove_parties
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(party)),
                    _ => false,
                });
                if let Some(edit) = removed {
                    return Err(Box::new(Clash::PartyRemoved {
                        party: party.clone(),
                        event: said(event, branch, events),
                        edit: said(edit, other_branch, other),
                    }));
                }
            }
        }
    }
    Ok(())
}

/// Holds the aliases the branches gave the pact (by edits, or by the
/// registration of a stream both began) that it still has once merged
/// against the names of the other pacts of the store.
fn aliases(
    id: &PactId,
    merged: &Stream,
    ours: &[&Event],
    theirs: &[&Event],
    names: &dyn Fn() -> Names,
    begun_apart: bool,
) -> Result<(), Box<Clash>> {
    let mut known: Option<Names> = None;
    for (events, branch) in [(ours, Branch::Ours), (theirs, Branch::Theirs)] {
        for event in events {
            let given: &[String] = match &event.body {
                EventBody::Edited(edit) => &edit.add_aliases,
                EventBody::Registered(pact) if begun_apart => &pact.aliases,
                _ => continue,
            };
            for alias in given {
                let kept = merged
                    .pact
                    .aliases
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(alias));
                if !kept {
                    continue;
                }
                let names = known.get_or_insert_with(names);
                if let Some(owner) = names.get(alias).filter(|owner| *owner != id) {
                    return Err(Box::new(Clash::AliasTaken {
                        alias: alias.clone(),
                        event: said(event, branch, events),
                        owner: owner.to_string(),
                    }));
                }
            }
        }
    }
    Ok(())
}

/// Holds the merged stream's timelines (the pact's, and each party's
/// around its own statuses, as `append` holds them) to the lifecycle
/// wherever the merge set two statuses side by side that neither branch
/// had side by side: the later may not repeat the earlier, nor break the
/// lifecycle unless one was forced.
fn lifecycle(
    merged: &[Event],
    sides: [&[Event]; 2],
    branch_of: &dyn Fn(Uuid) -> Branch,
) -> Result<(), Box<Clash>> {
    let mut parties: Vec<&str> = merged
        .iter()
        .filter_map(Event::status_change)
        .flat_map(|c| c.parties.iter().map(String::as_str))
        .collect();
    parties.sort_unstable_by_key(|p| p.to_lowercase());
    parties.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let timelines = |party: Option<&str>| -> [Timeline<Entry<'_>>; 3] {
        let of = |events| match party {
            None => Timeline::new(events),
            Some(party) => Timeline::of_party(events, party),
        };
        [of(merged), of(sides[0]), of(sides[1])]
    };
    for party in std::iter::once(None).chain(parties.into_iter().map(Some)) {
        let [merged, ours, theirs] = timelines(party);
        let own = |e: &Entry<'_>| {
            party.is_none_or(|p| e.change().parties.iter().any(|c| c.eq_ignore_ascii_case(p)))
        };
        let pairs = |timeline: &Timeline<Entry<'_>>| -> HashSet<(Option<Uuid>, Uuid)> {
            let ids = timeline.entries().iter().map(|e| e.event.id);
            let before = std::iter::once(None).chain(ids.clone().map(Some));
            before.zip(ids).collect()
        };
        let (ours_pairs, theirs_pairs) = (pairs(&ours), pairs(&theirs));
        let entries = merged.entries();
        for (at, entry) in entries.iter().enumerate() {
            let before = at.checked_sub(1).map(|i| &entries[i]);
            let pair = (before.map(|b| b.event.id), entry.event.id);
            // in a party's timeline, a status of the party's own is held
            // to the one before it and the one after it, as `append
            // --party` holds it; those of the pact as a whole, to the pact's
            let party_own = own(entry) || before.is_some_and(&own);
            if !party_own || ours_pairs.contains(&pair) || theirs_pairs.contains(&pair) {
                continue;
            }
            let side = |e: &Entry<'_>| (e.status(), e.forced());
            if !retraction_breaks(before.map(side), side(entry)) {
                continue;
            }
            let named = |e: &Entry<'_>| said(e.event, branch_of(e.event.id), &[]);
            // a status a branch had between them, which the other withdrew
            let withdrawn = [&ours, &theirs].into_iter().find_map(|timeline| {
                let steps = timeline.entries();
                let from = match before {
                    Some(b) => steps.iter().position(|s| s.event.id == b.event.id)? + 1,
                    None => 0,
                };
                let to = steps.iter().position(|s| s.event.id == entry.event.id)?;
                steps
                    .get(from..to)?
                    .iter()
                    .find(|s| !entries.iter().any(|m| m.event.id == s.event.id))
            });
            return Err(Box::new(Clash::Lifecycle {
                party: party.map(str::to_owned),
                before: before.map(named),
                after: named(entry),
                repeat: before.is_some_and(|b| b.status() == entry.status()),
                withdrawn: withdrawn.map(named),
            }));
        }
    }
    Ok(())
}
