//! The decide layer: each write a person asks for (a registration, a
//! status change, a note, a retraction, an amendment) as a request, its
//! fields checked
//! against their limits when it is made, then decided under the lock
//! against what it depends on — a write against the stream as it stands,
//! a registration against the names the whole store holds: the event body
//! the store appends, or why not. The store gives the event its seq, id,
//! recorded time and hash link ([`Tail::next`](crate::log::store::Tail::next)).
//!
//! Depends on: [`crate::model`], [`crate::log`], [`crate::replay`].

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::log::store::{AppendOptions, Names, Store};
use crate::log::stream::Stream;
use crate::model::date::EffectiveDate;
use crate::model::error::{Error, LifecycleError, NotAmendable};
use crate::model::event::{Citation, Edit, Event, EventBody, Note, Retraction, StatusChange};
use crate::model::limits;
use crate::model::pact::{Pact, PactId, party_named};
use crate::model::status::Status;
use crate::replay::{
    Timeline, breaks, check_retraction, check_withdrawal, parties_with_statuses, retractions,
};

/// A write to one pact's stream, its fields checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// The pact entered a status.
    Status(StatusChange),
    /// A dated note that changes no status.
    Note(Note),
    /// An event recorded in error, withdrawn.
    Retraction(Retraction),
    /// A source added to an earlier status or note.
    Citation(Citation),
}

/// The text fields of a request: where it is reported, a link, a remark.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sourced<'a> {
    /// Where it is reported: outlet and title.
    pub source: Option<&'a str>,
    /// A link to the source.
    pub url: Option<&'a str>,
}

impl Write {
    /// A note of `text` about `on`.
    ///
    /// # Errors
    ///
    /// As [`status_change`].
    pub fn note(on: EffectiveDate, text: &str, sourced: Sourced<'_>) -> Result<Write, Error> {
        Ok(Write::Note(Note {
            on,
            text: limits::check_text("note text", text, limits::TEXT)?,
            source: source(sourced.source)?,
            url: sourced.url.map(limits::check_url).transpose()?,
            parties: Vec::new(),
            amends: None,
        }))
    }

    /// That event `target` was recorded in error, for `reason`.
    ///
    /// # Errors
    ///
    /// As [`status_change`].
    pub fn retraction(target: Uuid, reason: &str) -> Result<Write, Error> {
        Ok(Write::Retraction(Retraction {
            target,
            reason: limits::check_text("reason", reason, limits::TEXT)?,
        }))
    }

    /// A source added to event `target`: `official` when it confirms it.
    ///
    /// # Errors
    ///
    /// As [`status_change`].
    pub fn citation(
        target: Uuid,
        source: &str,
        url: Option<&str>,
        official: bool,
    ) -> Result<Write, Error> {
        Ok(Write::Citation(Citation {
            target,
            source: limits::check_text("source", source, limits::SOURCE)?,
            url: url.map(limits::check_url).transpose()?,
            official,
        }))
    }

    /// The write, concerning the named `parties` only (none: the pact as a
    /// whole); a retraction concerns no party.
    ///
    /// # Errors
    ///
    /// [`Error::Field`] for a party label that is empty, too long, given
    /// twice or holds control characters.
    pub fn for_parties(mut self, parties: &[String]) -> Result<Write, Error> {
        let checked = checked_parties(parties)?;
        match &mut self {
            Write::Status(change) => change.parties = checked,
            Write::Note(note) => note.parties = checked,
            Write::Retraction(_) | Write::Citation(_) => {}
        }
        Ok(self)
    }

    /// Decides the write against `stream`, the stream of `pact` as it
    /// stands: the event body to append.
    ///
    /// # Errors
    ///
    /// [`Error::Lifecycle`] for a status the lifecycle does not allow
    /// between its neighbours (unless forced), and for a retraction of an
    /// event the stream does not hold, has withdrawn, or whose withdrawal
    /// would break the timeline.
    pub fn decide(self, pact: &PactId, stream: &Stream) -> Result<EventBody, Error> {
        // a copy that amends an event goes only with the event's retraction
        let unpaired = |target| Error::AmendRefused {
            pact: pact.to_string(),
            target,
            why: NotAmendable::Unpaired,
        };
        Ok(match self {
            Write::Status(mut change) => {
                if let Some(target) = change.amends {
                    return Err(unpaired(target));
                }
                change.parties = parties_of(pact, stream, &change.parties)?;
                check_status(pact, &stream.events, &change)?;
                EventBody::Status(change)
            }
            Write::Note(mut note) => {
                if let Some(target) = note.amends {
                    return Err(unpaired(target));
                }
                note.parties = parties_of(pact, stream, &note.parties)?;
                EventBody::Note(note)
            }
            Write::Retraction(retraction) => {
                check_retraction(pact, &stream.events, retraction.target)?;
                EventBody::Retraction(retraction)
            }
            Write::Citation(citation) => {
                check_citation(pact, &stream.events, &citation)?;
                EventBody::Citation(citation)
            }
        })
    }

    /// Records the write in the stream of `pact`: decided under the
    /// stream's lock, appended and synced.
    ///
    /// # Errors
    ///
    /// As [`Store::append`] and [`Write::decide`].
    pub fn record(
        self,
        store: &Store,
        pact: &PactId,
        options: AppendOptions,
        now: DateTime<Utc>,
    ) -> Result<Event, Error> {
        store.append(pact, options, now, |stream| self.decide(pact, stream))
    }
}

/// What an amendment corrects of the status or note it amends: each part
/// given replaces the event's own, the rest is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Correction {
    /// The status (a status only).
    pub status: Option<Status>,
    /// The effective date, or the date a note is about.
    pub on: Option<EffectiveDate>,
    /// The parties it concerns, which replace the event's; none (an empty
    /// list) makes it the pact's as a whole.
    pub parties: Option<Vec<String>>,
    /// Where it is reported.
    pub source: Option<String>,
    /// A link to the source.
    pub url: Option<String>,
    /// A status's remark, or a note's text.
    pub note: Option<String>,
    /// Whether it is known only from reports (a status only).
    pub reported: Option<bool>,
    /// Record the copy though the lifecycle does not allow it, marked
    /// forced (a status only). The copy is forced only so: it does not
    /// inherit the mark.
    pub force: bool,
}

/// An amendment of an earlier status or note, its fields checked: the
/// event's retraction, for a reason, and its corrected copy, which names
/// it, appended together in one write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amending {
    target: Uuid,
    reason: String,
    correction: Correction,
}

/// What an amendment recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amended {
    /// The retraction of the event amended.
    pub retraction: Event,
    /// The corrected copy, which names the event it amends.
    pub copy: Event,
    /// How many citations of the event amended stood: they stay with it,
    /// and do not cite the copy.
    pub citations: usize,
}

impl Amending {
    /// The amendment of event `target`, for `reason`, with `correction`:
    /// its fields trimmed and checked.
    ///
    /// # Errors
    ///
    /// [`Error::Field`] for a field past its limit or empty, a URL that is
    /// not http(s), a party given twice; [`Error::Usage`] for a correction
    /// that gives nothing to change.
    pub fn new(target: Uuid, reason: &str, correction: Correction) -> Result<Amending, Error> {
        let reason = limits::check_text("reason", reason, limits::TEXT)?;
        let given = Correction {
            force: false,
            ..correction.clone()
        };
        if given == Correction::default() {
            return Err(Error::Usage {
                message: "the amendment changes nothing: no field to correct is given".into(),
                hint: None,
            });
        }
        let correction = Correction {
            source: source(correction.source.as_deref())?,
            url: correction
                .url
                .as_deref()
                .map(limits::check_url)
                .transpose()?,
            note: correction
                .note
                .as_deref()
                .map(|n| limits::check_text("note", n, limits::TEXT))
                .transpose()?,
            parties: correction
                .parties
                .as_deref()
                .map(checked_parties)
                .transpose()?,
            ..correction
        };
        Ok(Amending {
            target,
            reason,
            correction,
        })
    }

    /// Decides the amendment against `stream`, the stream of `pact` as it
    /// stands: the retraction of the event and its corrected copy, to
    /// append in that order. The copy is checked as a new status or note
    /// is, in the timeline as it will be (the event withdrawn, the copy
    /// in), and the event's withdrawal as a retraction is, but for the
    /// statuses the copy will stand between.
    ///
    /// # Errors
    ///
    /// [`Error::AmendRefused`] for an event the stream does not hold, that
    /// is not a status or note, that is retracted, a correction a note
    /// cannot take, or one that changes nothing; [`Error::UnknownParty`]
    /// for a party not the pact's; [`Error::Lifecycle`] and
    /// [`Error::PartyLifecycle`] for a copy the lifecycle does not allow
    /// (unless forced), or a withdrawal that breaks it.
    pub fn decide(self, pact: &PactId, stream: &Stream) -> Result<[EventBody; 2], Error> {
        let target = self.target;
        let refused = |why| Error::AmendRefused {
            pact: pact.to_string(),
            target,
            why,
        };
        let Some(event) = stream.events.iter().find(|e| e.id == target) else {
            return Err(refused(NotAmendable::NoSuchEvent));
        };
        match &event.body {
            EventBody::Status(_) | EventBody::Note(_) => {}
            EventBody::Registered(_) => return Err(refused(NotAmendable::Registration)),
            EventBody::Retraction(_) => return Err(refused(NotAmendable::Retraction)),
            EventBody::Citation(_) => return Err(refused(NotAmendable::Citation)),
            EventBody::Edited(_) => return Err(refused(NotAmendable::Edit)),
        }
        if let Some((by, retraction)) = retractions(&stream.events).get(&target) {
            return Err(refused(NotAmendable::AlreadyRetracted {
                by: by.id,
                seq: by.seq,
                reason: retraction.reason.clone(),
            }));
        }
        let c = self.correction;
        let same_parties = |a: &[String], b: &[String]| {
            let sorted = |l: &[String]| {
                let mut l = l.to_vec();
                l.sort_unstable();
                l
            };
            sorted(a) == sorted(b)
        };
        let copy = match &event.body {
            EventBody::Status(was) => {
                let parties = c.parties.as_deref().unwrap_or(&was.parties);
                let copy = StatusChange {
                    status: c.status.unwrap_or(was.status),
                    on: c.on.unwrap_or(was.on),
                    source: c.source.or_else(|| was.source.clone()),
                    url: c.url.or_else(|| was.url.clone()),
                    note: c.note.or_else(|| was.note.clone()),
                    reported: c.reported.unwrap_or(was.reported),
                    forced: c.force,
                    parties: parties_of(pact, stream, parties)?,
                    amends: Some(target),
                };
                let unchanged = (copy.status, copy.on, &copy.source, &copy.url, &copy.note)
                    == (was.status, was.on, &was.source, &was.url, &was.note)
                    && copy.reported == was.reported
                    && same_parties(&copy.parties, &was.parties);
                if unchanged {
                    return Err(refused(NotAmendable::NoChange));
                }
                check_withdrawal(pact, &stream.events, event, Some(&copy))?;
                // the timeline as it will be: the event withdrawn, then the
                // copy checked as a new status
                let withdrawal = Event {
                    pact: pact.clone(),
                    seq: stream.last_seq() + 1,
                    id: Uuid::nil(),
                    recorded: event.recorded,
                    body: EventBody::Retraction(Retraction {
                        target,
                        reason: self.reason.clone(),
                    }),
                    prev: None,
                    relinked: None,
                };
                let after: Vec<&Event> = stream.events.iter().chain([&withdrawal]).collect();
                check_status(pact, after, &copy)?;
                EventBody::Status(copy)
            }
            EventBody::Note(was) => {
                let not_of_a_note = [
                    (c.status.is_some(), "status"),
                    (c.reported.is_some(), "reported mark"),
                    (c.force, "lifecycle to force"),
                ];
                if let Some((_, field)) = not_of_a_note.iter().find(|(given, _)| *given) {
                    return Err(refused(NotAmendable::NotOfANote(field)));
                }
                let parties = c.parties.as_deref().unwrap_or(&was.parties);
                let copy = Note {
                    on: c.on.unwrap_or(was.on),
                    text: c.note.unwrap_or_else(|| was.text.clone()),
                    source: c.source.or_else(|| was.source.clone()),
                    url: c.url.or_else(|| was.url.clone()),
                    parties: parties_of(pact, stream, parties)?,
                    amends: Some(target),
                };
                let unchanged = (copy.on, &copy.text, &copy.source, &copy.url)
                    == (was.on, &was.text, &was.source, &was.url)
                    && same_parties(&copy.parties, &was.parties);
                if unchanged {
                    return Err(refused(NotAmendable::NoChange));
                }
                EventBody::Note(copy)
            }
            _ => unreachable!("only a status or a note is amended"),
        };
        let retraction = EventBody::Retraction(Retraction {
            target,
            reason: self.reason,
        });
        Ok([retraction, copy])
    }

    /// Records the amendment in the stream of `pact`: decided under the
    /// stream's lock, its two events appended in one write and synced.
    ///
    /// # Errors
    ///
    /// As [`Store::append_all`] and [`Amending::decide`].
    pub fn record(
        self,
        store: &Store,
        pact: &PactId,
        options: AppendOptions,
        now: DateTime<Utc>,
    ) -> Result<Amended, Error> {
        let target = self.target;
        let mut citations = 0;
        let events = store.append_all(pact, options, now, |stream| {
            let retracted = retractions(&stream.events);
            citations = stream
                .events
                .iter()
                .filter(|e| matches!(&e.body, EventBody::Citation(c) if c.target == target))
                .filter(|e| !retracted.contains_key(&e.id))
                .count();
            Ok(self.decide(pact, stream)?.into())
        })?;
        let [retraction, copy]: [Event; 2] =
            events.try_into().expect("an amendment appends two events");
        Ok(Amended {
            retraction,
            copy,
            citations,
        })
    }
}

/// A new pact, its metadata checked: the first event of its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration(Pact);

impl Registration {
    /// The registration of `pact`, its metadata trimmed and checked.
    ///
    /// # Errors
    ///
    /// As [`Pact::validated`].
    pub fn new(pact: Pact) -> Result<Registration, Error> {
        pact.validated().map(Registration)
    }

    /// Decides the registration against `names`, the names the store
    /// holds: the event body that begins the stream.
    ///
    /// # Errors
    ///
    /// As [`Pact::counted`] for too many aliases or parties, and
    /// [`Error::NameTaken`] when the id or an alias is a name of another
    /// pact.
    pub fn decide(self, names: &Names) -> Result<EventBody, Error> {
        self.0.counted()?;
        names.check_free(&self.0)?;
        Ok(EventBody::Registered(self.0))
    }

    /// Records the registration: the pact's stream created, under the
    /// store's lock, with it as its first line.
    ///
    /// # Errors
    ///
    /// As [`Store::create`] and [`Registration::decide`].
    pub fn record(self, store: &Store, now: DateTime<Utc>) -> Result<Event, Error> {
        let id = self.0.id.clone();
        store.create(&id, now, |names| self.decide(names))
    }
}

/// A change of a pact's metadata, its fields checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editing(Edit);

impl Editing {
    /// The edit `edit`, its fields trimmed and checked.
    ///
    /// # Errors
    ///
    /// [`Error::Field`] for a field past its limit or empty, a label with
    /// control characters or given twice; [`Error::Usage`] for an edit that
    /// changes nothing.
    pub fn new(edit: Edit) -> Result<Editing, Error> {
        let labels = |field: &str, list: &[String]| -> Result<Vec<String>, Error> {
            let mut checked: Vec<String> = Vec::with_capacity(list.len());
            for label in list {
                let label = limits::check_label(field, label)?;
                if checked.iter().any(|c| c.eq_ignore_ascii_case(&label)) {
                    return Err(crate::model::error::FieldProblem::GivenTwice {
                        field: field.into(),
                        value: label,
                    }
                    .into());
                }
                checked.push(label);
            }
            Ok(checked)
        };
        let edit = Edit {
            name: edit
                .name
                .map(|n| limits::check_text("name", &n, limits::NAME))
                .transpose()?,
            add_aliases: labels("alias", &edit.add_aliases)?,
            remove_aliases: labels("alias", &edit.remove_aliases)?,
            add_parties: labels("party", &edit.add_parties)?,
            remove_parties: labels("party", &edit.remove_parties)?,
            kind: edit
                .kind
                .map(|k| limits::check_label("kind", &k))
                .transpose()?,
            description: edit
                .description
                .map(|d| limits::check_text("description", &d, limits::TEXT))
                .transpose()?,
            source: source(edit.source.as_deref())?,
            url: edit.url.as_deref().map(limits::check_url).transpose()?,
        };
        if edit.is_empty() {
            return Err(Error::Usage {
                message: "the edit changes nothing".into(),
                hint: None,
            });
        }
        Ok(Editing(edit))
    }

    /// Decides the edit against `pact`, the pact's metadata as it stands,
    /// and `names`, the names of the store's pacts: the event body.
    ///
    /// # Errors
    ///
    /// [`Error::EditRefused`] for an alias or party to take away that the
    /// pact does not have, or to add that it has; [`Error::NameTaken`] for an
    /// alias another pact answers to; [`Error::Field`] for too many aliases
    /// or parties.
    pub fn decide(self, pact: &Pact, names: &Names) -> Result<EventBody, Error> {
        let refused = |why: String| Error::EditRefused {
            pact: pact.id.to_string(),
            why,
        };
        let has = |list: &[String], label: &str| list.iter().any(|l| l.eq_ignore_ascii_case(label));
        let edit = &self.0;
        for (field, now, asked) in [
            ("name", Some(&pact.name), &edit.name),
            ("kind", pact.kind.as_ref(), &edit.kind),
            ("description", pact.description.as_ref(), &edit.description),
            ("source", pact.source.as_ref(), &edit.source),
            ("url", pact.url.as_ref(), &edit.url),
        ] {
            if asked.is_some() && asked.as_ref() == now {
                return Err(refused(format!("its {field} is that already")));
            }
        }
        if let Some(alias) = edit
            .add_aliases
            .iter()
            .find(|a| a.eq_ignore_ascii_case(pact.id.as_str()))
        {
            return Err(refused(format!(
                "'{alias}' is its id, which always names it"
            )));
        }
        // what is taken away goes first: an alias may come back in another
        // case
        let kept = |held: &[String], removed: &[String]| -> Vec<String> {
            let gone = |l: &String| removed.iter().any(|r| r.eq_ignore_ascii_case(l));
            held.iter().filter(|l| !gone(l)).cloned().collect()
        };
        let aliases_kept = kept(&pact.aliases, &edit.remove_aliases);
        let parties_kept = kept(&pact.parties, &edit.remove_parties);
        for (list, field, held, adding) in [
            (&edit.remove_aliases, "alias", &pact.aliases, false),
            (&edit.add_aliases, "alias", &aliases_kept, true),
            (&edit.remove_parties, "party", &pact.parties, false),
            (&edit.add_parties, "party", &parties_kept, true),
        ] {
            for label in list {
                match (adding, has(held, label)) {
                    (true, true) => {
                        return Err(refused(format!("it has the {field} '{label}' already")));
                    }
                    (false, false) => return Err(refused(format!("it has no {field} '{label}'"))),
                    _ => {}
                }
            }
        }
        for alias in &edit.add_aliases {
            if let Some(owner) = names.get(alias).filter(|owner| **owner != pact.id) {
                return Err(Error::NameTaken {
                    name: alias.clone(),
                    owners: vec![owner.to_string()],
                });
            }
        }
        let mut after = pact.clone();
        edit.apply(&mut after);
        after.counted()?;
        Ok(EventBody::Edited(self.0))
    }

    /// Records the edit in the stream of `pact`, decided under the stream's
    /// lock against the store's names.
    ///
    /// # Errors
    ///
    /// As [`Store::append`] and [`Editing::decide`].
    pub fn record(
        self,
        store: &Store,
        pact: &PactId,
        options: AppendOptions,
        now: DateTime<Utc>,
    ) -> Result<Event, Error> {
        store.append(pact, options, now, |stream| {
            let names = store.names()?;
            self.decide(&stream.pact, &names)
        })
    }
}

/// That the pact entered `status` on `on`, with a `note`; `forced` when it
/// is to be recorded though the lifecycle does not allow it: what
/// [`Write::Status`] holds, and what an import checks each row's cells
/// into.
///
/// # Errors
///
/// [`Error::Field`] for a field past its limit or empty, or a URL that
/// is not http(s).
pub fn status_change(
    status: Status,
    on: EffectiveDate,
    sourced: Sourced<'_>,
    note: Option<&str>,
    (reported, forced): (bool, bool),
) -> Result<StatusChange, Error> {
    Ok(StatusChange {
        status,
        on,
        source: source(sourced.source)?,
        url: sourced.url.map(limits::check_url).transpose()?,
        note: note
            .map(|n| limits::check_text("note", n, limits::TEXT))
            .transpose()?,
        reported,
        forced,
        parties: Vec::new(),
        amends: None,
    })
}

/// Checks that status `change` may be added to the timelines of the
/// stream whose events are `events` (the pact's own, or each of its
/// parties'), between its neighbours, as a new status: unless forced, it
/// must keep the lifecycle.
///
/// # Errors
///
/// [`Error::Lifecycle`], or [`Error::PartyLifecycle`] for a party's.
fn check_status<'e>(
    pact: &PactId,
    events: impl IntoIterator<Item = &'e Event> + Clone,
    change: &StatusChange,
) -> Result<(), Error> {
    let (status, on, forced) = (change.status, change.on, change.forced);
    if change.parties.is_empty() {
        Timeline::new(events.clone()).check(pact, status, on, forced)?;
        party_after(pact, events.clone(), change)?;
    }
    for party in &change.parties {
        Timeline::of_party(events.clone(), party)
            .check(pact, status, on, forced)
            .map_err(|e| Error::in_timeline(Some(party), e))?;
    }
    Ok(())
}

/// Checks that status `change` of the pact as a whole, which goes into
/// each party's timeline too, leaves each party's own status after it
/// there to the lifecycle: `verify` holds a party's own statuses to the
/// status before them in the party's timeline, the pact's or its own.
///
/// # Errors
///
/// [`Error::PartyLifecycle`] naming the party and its status in the way.
fn party_after<'e>(
    pact: &PactId,
    events: impl IntoIterator<Item = &'e Event> + Clone,
    change: &StatusChange,
) -> Result<(), Error> {
    // in the order first named, as an import meets them
    for party in parties_with_statuses(events.clone()) {
        let timeline = Timeline::of_party(events.clone(), party);
        // a new status is recorded after every event of its day
        let Some(next) = timeline.next_after(change.on.earliest()) else {
            continue;
        };
        let own = next
            .change()
            .parties
            .iter()
            .any(|p| p.eq_ignore_ascii_case(party));
        let after = (next.status(), next.forced());
        if own && breaks(Some((change.status, change.forced)), after) {
            let breaks = LifecycleError::BreaksNext {
                pact: pact.to_string(),
                status: change.status,
                on: change.on,
                next: next.status(),
                next_on: next.on(),
            };
            return Err(Error::in_timeline(Some(party), breaks));
        }
    }
    Ok(())
}

/// Party labels given for a write, each checked, none twice (in any case).
///
/// # Errors
///
/// [`Error::Field`] for a label that is empty, too long, given twice or
/// holds control characters.
fn checked_parties(parties: &[String]) -> Result<Vec<String>, Error> {
    let mut checked: Vec<String> = Vec::with_capacity(parties.len());
    for party in parties {
        let party = limits::check_label("party", party)?;
        if checked.iter().any(|p| p.eq_ignore_ascii_case(&party)) {
            return Err(crate::model::error::FieldProblem::GivenTwice {
                field: "party".into(),
                value: party,
            }
            .into());
        }
        checked.push(party);
    }
    Ok(checked)
}

/// The parties `named`, each as the pact names it (a party is matched in
/// any case).
///
/// # Errors
///
/// [`Error::UnknownParty`] for a name that is not one of the pact's.
fn parties_of(pact: &PactId, stream: &Stream, named: &[String]) -> Result<Vec<String>, Error> {
    named
        .iter()
        .map(|name| party_named(pact, &stream.pact.parties, name).map(str::to_owned))
        .collect()
}

/// Checks that event `target` of a stream may be cited: it is a status or
/// a note of the stream, not retracted.
///
/// # Errors
///
/// [`Error::CitationRefused`] saying why.
fn check_citation(pact: &PactId, events: &[Event], citation: &Citation) -> Result<(), Error> {
    let target = citation.target;
    let refused = |why: String| Error::CitationRefused {
        pact: pact.to_string(),
        why,
    };
    let Some(event) = events.iter().find(|e| e.id == target) else {
        return Err(refused(format!("no event {target}")));
    };
    if !matches!(event.body, EventBody::Status(_) | EventBody::Note(_)) {
        return Err(refused(format!(
            "event {target}, a {}, which is not a status or a note to cite",
            event.body.kind()
        )));
    }
    if crate::replay::retractions(events).contains_key(&target) {
        return Err(refused(format!(
            "event {target} retracted: it cannot be cited"
        )));
    }
    // the same source twice says nothing new, unless it now confirms
    let same = |s: &crate::replay::Source| {
        s.source.as_deref() == Some(citation.source.as_str())
            && s.url == citation.url
            && (s.official || !citation.official)
    };
    if crate::replay::sources(events, event).iter().any(same) {
        return Err(refused(format!(
            "event {target} with that source already: cite another"
        )));
    }
    Ok(())
}

/// A source, checked against its limit.
fn source(value: Option<&str>) -> Result<Option<String>, Error> {
    value
        .map(|s| limits::check_text("source", s, limits::SOURCE))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> EffectiveDate {
        EffectiveDate::parse(text).unwrap()
    }

    #[test]
    fn a_write_is_checked_when_made_and_decided_against_the_stream() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let id = PactId::parse("p").unwrap();
        Registration::new(Pact::named(id.clone(), "P"))
            .unwrap()
            .record(&store, Utc::now())
            .unwrap();
        let record = |write: Write| write.record(&store, &id, AppendOptions::default(), Utc::now());

        // fields are checked when the write is made
        let long = "s".repeat(limits::SOURCE + 1);
        let sourced = Sourced {
            source: Some(&long),
            url: None,
        };
        let e = status_change(
            Status::Signed,
            day("2001-01-01"),
            sourced,
            None,
            (false, false),
        );
        assert!(e.unwrap_err().to_string().contains("source"));
        let sourced = Sourced {
            source: None,
            url: Some("ftp://example.org"),
        };
        assert!(Write::note(day("2001-01-01"), "a note", sourced).is_err());
        assert!(Write::retraction(Uuid::now_v7(), "  ").is_err());

        // and decided against the stream: terminated may not open a
        // timeline, unless forced, and the force is kept on the event
        let plain = Sourced::default();
        let terminated = |forced| {
            let on = day("2001-01-01");
            Write::Status(
                status_change(Status::Terminated, on, plain, None, (false, forced)).unwrap(),
            )
        };
        assert!(matches!(
            record(terminated(false)),
            Err(Error::Lifecycle(_))
        ));
        let event = record(terminated(true)).unwrap();
        assert_eq!(event.seq, 2);
        assert!(event.status_change().is_some_and(|c| c.forced));

        // a retraction names an event the stream holds
        let unknown = Write::retraction(Uuid::now_v7(), "in error").unwrap();
        assert!(record(unknown).is_err());
        let known = Write::retraction(event.id, "in error").unwrap();
        assert_eq!(record(known).unwrap().seq, 3);
    }

    #[test]
    fn an_amendment_is_decided_against_the_timeline_as_it_will_be() {
        // given: signed, in force, terminated
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let id = PactId::parse("p").unwrap();
        Registration::new(Pact::named(id.clone(), "P"))
            .unwrap()
            .record(&store, Utc::now())
            .unwrap();
        let status = |status, on: &str| {
            let change = status_change(status, day(on), Sourced::default(), None, (false, false));
            Write::Status(change.unwrap())
                .record(&store, &id, AppendOptions::default(), Utc::now())
                .unwrap()
                .id
        };
        status(Status::Signed, "2001-01-01");
        let in_force = status(Status::InForce, "2002-01-01");
        status(Status::Terminated, "2010-01-01");
        let amend = |target, correction| {
            Amending::new(target, "wrong day", correction)?.record(
                &store,
                &id,
                AppendOptions::default(),
                Utc::now(),
            )
        };
        let on = |text: &str| Correction {
            on: Some(day(text)),
            ..Correction::default()
        };

        // when the entry into force moves a year, it still stands between
        // the signature and the termination, which alone may not follow
        // each other: the amendment is the retraction and the copy
        let amended = amend(in_force, on("2003-01-01")).unwrap();
        assert_eq!((amended.retraction.seq, amended.copy.seq), (5, 6));
        let copy = amended.copy.status_change().unwrap();
        assert_eq!((copy.status, copy.on), (Status::InForce, day("2003-01-01")));
        assert_eq!(copy.amends, Some(in_force));
        assert_eq!(amended.retraction.recorded, amended.copy.recorded);

        // the event amended is retracted: it cannot be amended again
        let again = amend(in_force, on("2004-01-01")).unwrap_err();
        assert!(again.to_string().contains("already retracted"), "{again}");

        // moved past the termination, it would leave the termination right
        // after the signature, which no force can excuse
        let moved = amend(amended.copy.id, on("2011-01-01")).unwrap_err();
        assert!(
            matches!(
                moved,
                Error::Lifecycle(crate::model::error::LifecycleError::RetractionBreaks { .. })
            ),
            "{moved}"
        );
        // a copy that changes nothing, or gives nothing to change
        let same = amend(amended.copy.id, on("2003-01-01")).unwrap_err();
        assert!(matches!(
            same,
            Error::AmendRefused {
                why: NotAmendable::NoChange,
                ..
            }
        ));
        let nothing = amend(amended.copy.id, Correction::default()).unwrap_err();
        assert!(matches!(nothing, Error::Usage { .. }), "{nothing}");
        // a copy written alone, without the retraction, is refused
        let mut alone = copy.clone();
        alone.forced = true;
        let alone = Write::Status(alone).record(&store, &id, AppendOptions::default(), Utc::now());
        assert!(matches!(
            alone,
            Err(Error::AmendRefused {
                why: NotAmendable::Unpaired,
                ..
            })
        ));
        assert_eq!(store.read(&id).unwrap().last_seq(), 6);
    }
}
