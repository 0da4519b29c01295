//! The decide layer: each write a person asks for (a registration, a
//! status change, a note, a retraction) as a request, its fields checked
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
use crate::model::error::Error;
use crate::model::event::{Citation, Edit, Event, EventBody, Note, Retraction, StatusChange};
use crate::model::limits;
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;
use crate::replay::{Timeline, check_retraction};

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
        Ok(match self {
            Write::Status(mut change) => {
                change.parties = parties_of(pact, stream, &change.parties)?;
                let (status, on, forced) = (change.status, change.on, change.forced);
                if change.parties.is_empty() {
                    Timeline::new(&stream.events).check(pact, status, on, forced)?;
                }
                for party in &change.parties {
                    Timeline::of_party(&stream.events, party)
                        .check(pact, status, on, forced)
                        .map_err(|e| Error::PartyLifecycle {
                            party: party.clone(),
                            source: Box::new(e),
                        })?;
                }
                EventBody::Status(change)
            }
            Write::Note(mut note) => {
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

/// The parties `named`, each as the pact names it (a party is matched in
/// any case).
///
/// # Errors
///
/// [`Error::UnknownParty`] for a name that is not one of the pact's.
fn parties_of(pact: &PactId, stream: &Stream, named: &[String]) -> Result<Vec<String>, Error> {
    let parties = &stream.pact.parties;
    named
        .iter()
        .map(|name| {
            parties
                .iter()
                .find(|p| p.eq_ignore_ascii_case(name))
                .cloned()
                .ok_or_else(|| Error::UnknownParty {
                    pact: pact.to_string(),
                    party: name.clone(),
                    parties: parties.clone(),
                })
        })
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
}
