//! Verify: every check there is of a store's streams, and of what lies
//! beside them, gathered in one [`Report`] for a caller to render.
//!
//! Each stream is read whole, a line at a time, through the store's
//! checking reader (framing, format, checksums, seq, hash chain,
//! retractions), and folded as it is read into the summary the
//! [`cache`] keeps: its timeline, which is then held
//! to the lifecycle, and which the cache's entry for the stream, when one
//! is current, must match ([`Audit`]). A head hash pinned earlier must
//! still be the hash of a line of the stream; an alias that other pacts
//! claim too is named; and the import journal is looked at. Streams are
//! read on every core, and each is held in a few bytes an event, never
//! whole.
//!
//! It belongs to replay because what it checks of a stream beyond its lines
//! is the stream's timeline, folded as the cache folds it; like the cache,
//! it reads the store through [`crate::log`], and through the cache's
//! audit it replaces a cache that disagrees. It refuses nothing and prints
//! nothing: a stream that cannot be read is a [`Problem`] of that stream,
//! and the others are checked all the same.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::log::journal;
use crate::log::par;
use crate::log::store::{Names, Store};
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::{Hash, What};
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;
use crate::replay::cache::{self, Audit, Audited, CacheFile, Summing};
use crate::replay::{Staged, Timeline, breaks};

/// What [`verify`] found of a store.
#[derive(Debug)]
pub struct Report {
    /// Each stream checked, in the order they were asked for (by id, for
    /// the whole store).
    pub streams: Vec<StreamReport>,
    /// What was found of the cache, and done with it: its
    /// [`found`](Audited::found) is [`Nothing`](cache::Found::Nothing) or
    /// [`NoKey`](cache::Found::NoKey) when there was no cache to check.
    pub cache: Audited,
    /// The journal of an import that did not finish, if one is left: the
    /// next write carries the import out to the end, unless the journal is
    /// damaged.
    pub unfinished_import: Option<PathBuf>,
    /// Whether the journal is damaged, not a file pactlog wrote, or from a
    /// newer pactlog, so that nothing more is recorded until a person looks.
    pub journal_damaged: bool,
}

impl Report {
    /// How many streams failed: have a [`Problem`].
    pub fn failed(&self) -> usize {
        self.streams.iter().filter(|s| !s.ok()).count()
    }

    /// Whether the store verifies: no stream failed, and no cache entry
    /// disagreed with its stream. Warnings do not count.
    pub fn ok(&self) -> bool {
        self.failed() == 0 && self.cache.disagreed.is_empty()
    }
}

/// What [`verify`] found of one stream.
#[derive(Debug)]
pub struct StreamReport {
    /// The pact.
    pub pact: PactId,
    /// Its stream file.
    pub path: PathBuf,
    /// How many events the stream holds; `None` when it could not be read.
    pub events: Option<usize>,
    /// The hash of its last line, which a later `verify` can be given to
    /// pin it; `None` when it could not be read.
    pub head: Option<Hash>,
    /// What is wrong with it, in the order found: a stream that cannot be
    /// read has that one problem.
    pub problems: Vec<Problem>,
    /// What is sound but worth a look, in the order found.
    pub warnings: Vec<Warning>,
}

impl StreamReport {
    /// Whether the stream verifies: it has no problem.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Something wrong with a stream, which fails it.
#[derive(Debug)]
pub enum Problem {
    /// The stream could not be read whole, or a line of it failed a check
    /// (its framing, format, checksum, seq, hash link or retraction): the
    /// error names the file, and the line where there is one.
    Unreadable(Error),
    /// A status of the timeline may not follow the one before it, and
    /// neither was recorded with force.
    BreaksLifecycle {
        /// The line of the status, which is its event's seq.
        line: usize,
        /// The status before it (none: it is the first).
        from: Option<Status>,
        /// The status that may not follow it.
        to: Status,
    },
    /// A party's status may not follow the one before it in that party's
    /// timeline (the pact's statuses and its own), and neither was
    /// recorded with force.
    PartyBreaksLifecycle {
        /// The line of the status that may not follow.
        line: usize,
        /// The party.
        party: String,
        /// The status before it (none: it is the first).
        from: Option<Status>,
        /// The status that may not follow it.
        to: Status,
    },
    /// A status or note names a party the pact did not have then.
    NotAParty {
        /// The line of the event.
        line: usize,
        /// The party it names.
        party: String,
    },
    /// The pinned head is the hash of no line of the stream: the line it
    /// pinned was changed or removed.
    HeadNotFound {
        /// The stream's last line.
        line: usize,
        /// The head pinned.
        pinned: Hash,
    },
}

/// Something sound but worth a look, which does not fail a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A status recorded with force, which the lifecycle did not hold it
    /// to: every one is listed.
    Forced {
        /// Its line.
        line: usize,
        /// The status entered.
        status: Status,
        /// Its effective date.
        on: EffectiveDate,
    },
    /// The first line recorded at a time still to come when the stream had
    /// been read: a clock was ahead, and every event appended before then
    /// is stamped with that time, since recorded times never go back.
    RecordedAhead {
        /// The line.
        line: usize,
        /// When it says it was recorded.
        recorded: DateTime<Utc>,
    },
    /// The pinned head is the hash of a line before the last: events were
    /// appended since it was pinned.
    HeadBehind {
        /// The line whose hash it is.
        line: usize,
        /// How many events were appended after it.
        appended: usize,
    },
    /// An alias of the pact that other pacts claim too, in registrations
    /// made apart (on two branches, say), so that it names none of them.
    AliasShared {
        /// The alias.
        alias: String,
        /// The other pacts that claim it.
        others: Vec<PactId>,
    },
    /// An alias of the pact that is the id of another pact, which it names
    /// instead.
    AliasIsId {
        /// The alias.
        alias: String,
        /// The pact whose id it is.
        owner: PactId,
    },
}

/// Verifies the streams of `pacts` (every stream of the store, for `None`):
/// reads each whole and checks every line of it and its timeline's
/// lifecycle; holds the cache against each stream it has a current entry
/// for, rebuilding a cache that disagrees or fails its tags; and looks at
/// the import journal. `head`, a head hash a report gave earlier, pins the
/// streams checked: it must be the hash of one of their lines. It is meant
/// for one stream; held against several, it is a problem of each it is
/// not a line of.
///
/// A stream that cannot be read is a problem in the report, not an error:
/// every stream is checked.
///
/// ```
/// use chrono::Utc;
/// use pactlog::command::Registration;
/// use pactlog::replay::verify::verify;
/// use pactlog::{Pact, PactId, Store};
///
/// # fn main() -> Result<(), pactlog::Error> {
/// let dir = tempfile::tempdir().unwrap();
/// let store = Store::new(dir.path());
/// let id = PactId::parse("gsomia")?;
/// Registration::new(Pact::named(id.clone(), "GSOMIA"))?.record(&store, Utc::now())?;
///
/// let report = verify(&store, None, None)?;
/// assert!(report.ok());
/// assert_eq!(report.streams[0].pact, id);
/// assert_eq!(report.streams[0].events, Some(1));
///
/// // the head it gives pins the stream: it must stay a line of it
/// let head = report.streams[0].head.unwrap();
/// assert!(verify(&store, Some(&[id]), Some(head))?.ok());
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`Error::NoStore`] when there is no store, and [`Error::Io`] when its
/// directory cannot be listed: for `None`, to find its streams, and for
/// pacts named, to read every registration, against which their aliases
/// are checked.
pub fn verify(
    store: &Store,
    pacts: Option<&[PactId]>,
    head: Option<Hash>,
) -> Result<Report, Error> {
    let every;
    let ids = match pacts {
        Some(ids) => ids,
        None => {
            every = store.ids()?;
            &every
        }
    };
    let cache_file = CacheFile::read(store);
    let audit = Audit::new(store, &cache_file);
    let checked: Vec<(StreamReport, Option<Pact>, Option<cache::Checked>)> =
        par::map(ids, |id| check(store, id.clone(), head, &audit));
    let failed: Vec<PactId> = checked
        .iter()
        .filter(|(report, ..)| !report.ok())
        .map(|(report, ..)| report.pact.clone())
        .collect();
    let mut summaries = Vec::new();
    let checked: Vec<(StreamReport, Option<Pact>)> = checked
        .into_iter()
        .map(|(report, pact, summary)| {
            summaries.extend(summary);
            (report, pact)
        })
        .collect();
    let cache = audit.finish(store, summaries, &failed);
    // aliases are unique across the store: every registration that can
    // be read counts. When all streams were checked, those read already,
    // and the registrations of those that failed; else the store's.
    let names = match pacts {
        None => {
            let mut names = Names::default();
            for (report, pact) in &checked {
                match pact {
                    Some(pact) => names.add(pact),
                    None => store
                        .registration(&report.pact)
                        .into_iter()
                        .for_each(|pact| names.add(&pact)),
                }
            }
            names
        }
        Some(_) => store.readable_names()?,
    };
    let streams = checked
        .into_iter()
        .map(|(mut report, pact)| {
            if let Some(pact) = pact {
                report.warnings.extend(alias_clashes(&pact, &names));
            }
            report
        })
        .collect();
    Ok(Report {
        streams,
        cache,
        unfinished_import: journal::pending(store.dir()).then(|| journal::path(store.dir())),
        journal_damaged: journal::check(store.dir()).is_err(),
    })
}

/// A warning for each of the pact's aliases that names another pact, or
/// none, because registrations made apart (on two branches, say) claim it
/// too. No event can take an alias back, so this is a warning: the record
/// is sound, and commands refuse the alias rather than guess.
fn alias_clashes(pact: &Pact, names: &Names) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for alias in &pact.aliases {
        if let Some(pacts) = names.claims(alias) {
            let others = pacts.iter().filter(|p| **p != pact.id).cloned().collect();
            warnings.push(Warning::AliasShared {
                alias: alias.clone(),
                others,
            });
        } else if let Some(owner) = names.get(alias).filter(|owner| **owner != pact.id) {
            warnings.push(Warning::AliasIsId {
                alias: alias.clone(),
                owner: owner.clone(),
            });
        }
    }
    warnings
}

/// Checks one stream; returns the report and, when the stream could be
/// read, its pact and what the cache says of it.
fn check(
    store: &Store,
    id: PactId,
    pinned: Option<Hash>,
    audit: &Audit<'_>,
) -> (StreamReport, Option<Pact>, Option<cache::Checked>) {
    let mut report = StreamReport {
        path: store.stream_path(&id),
        pact: id,
        events: None,
        head: None,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let mut pact = None;
    let mut cached = None;
    // the lines recorded after the clock read now, which may still be to
    // come once the stream is read: where their recording time changes
    let before = Utc::now();
    let mut ahead: Vec<(usize, DateTime<Utc>)> = Vec::new();
    // the line whose hash the pinned head is, the one before the first
    // line that links to it
    let mut pinned_line = None;
    // the stream's timeline, held to the lifecycle, and what the cache
    // should say of the stream
    let mut summing = Summing::default();
    // the statuses of named parties, and the lines retractions withdraw
    let mut of_parties = PartySteps::default();
    let folded = store.fold(&report.pact, |line| {
        summing.visit(&line);
        of_parties.visit(&line);
        let recorded = line.fact.recorded;
        if recorded > before && ahead.last().is_none_or(|(_, last)| *last != recorded) {
            ahead.push((line.number, recorded));
        }
        if pinned_line.is_none() && pinned.is_some() && line.fact.prev == pinned {
            pinned_line = Some(line.number - 1);
        }
        Ok(())
    });
    match folded {
        Ok((folded, lines)) => {
            lifecycle(&summing, &mut report);
            of_parties.lifecycle(&summing, &mut report);
            cached = audit.check(
                &report.pact,
                &folded.pact,
                folded.head,
                summing,
                lines.meta(),
            );
            // recorded times never go back along a stream, so a time to come
            // stamps every later append until it passes; the clock is read
            // after the stream, so that no line this machine wrote meanwhile
            // is ahead of it
            let now = Utc::now();
            if let Some(&(line, recorded)) = ahead.iter().find(|(_, recorded)| *recorded > now) {
                report
                    .warnings
                    .push(Warning::RecordedAhead { line, recorded });
            }
            if let Some(pinned) = pinned {
                check_pinned(folded.head, folded.events, pinned_line, pinned, &mut report);
            }
            report.events = Some(folded.events);
            report.head = Some(folded.head);
            pact = Some(folded.pact);
        }
        Err(e) => report.problems.push(Problem::Unreadable(e)),
    }
    (report, pact, cached)
}

/// The pinned head must be the hash of a line of the stream: the last one
/// (`head`, of `events` lines), or an earlier one when events were appended
/// since it was pinned (`line`, found as the `prev` of the line after it,
/// which the chain has checked).
fn check_pinned(
    head: Hash,
    events: usize,
    line: Option<usize>,
    pinned: Hash,
    report: &mut StreamReport,
) {
    if head == pinned {
        return;
    }
    match line {
        Some(line) => report.warnings.push(Warning::HeadBehind {
            line,
            appended: events - line,
        }),
        None => report.problems.push(Problem::HeadNotFound {
            line: events,
            pinned,
        }),
    }
}

/// The statuses of named parties of a stream, as it is read, for their
/// timelines to be held to the lifecycle: few, in most streams none.
#[derive(Default)]
struct PartySteps {
    /// Each status of named parties: its line, date, status, whether it was
    /// forced, the parties, and when it was recorded.
    steps: Vec<(usize, EffectiveDate, Status, bool, Vec<String>, i64)>,
    /// The lines retractions withdraw.
    withdrawn: Vec<usize>,
    /// The pact's parties at the line being read.
    members: Vec<String>,
    /// The lines that name a party the pact did not have then, with it.
    strangers: Vec<(usize, String)>,
}

impl PartySteps {
    fn visit(&mut self, line: &crate::log::stream::Line<'_>) {
        let named = |parties: &[String], members: &[String]| {
            parties.iter().find(|p| !members.contains(p)).cloned()
        };
        match line.fact.what {
            What::Status {
                status,
                on,
                forced,
                of_parties: true,
                ..
            } => {
                let parties = line.parties();
                if let Some(party) = named(&parties, &self.members) {
                    self.strangers.push((line.number, party));
                }
                let recorded = line.fact.recorded.timestamp_micros();
                self.steps
                    .push((line.number, on, status, forced, parties, recorded));
            }
            What::Note { .. } => {
                // (a note of the pact as a whole names none)
                if line.names_parties()
                    && let Some(party) = named(&line.parties(), &self.members)
                {
                    self.strangers.push((line.number, party));
                }
            }
            What::Retraction { .. } => self.withdrawn.extend(line.target),
            // the pact's parties as they stand at each line
            What::Registered => self.members = line.parties(),
            What::Edited => line.record().edit().apply_to_parties(&mut self.members),
            What::Citation { .. } | What::Status { .. } => {}
        }
    }

    /// Holds each party's timeline, the pact's statuses (as `summing`
    /// walks them) and the party's own, to the lifecycle at every status
    /// that is the party's own, against the one before it, as `append
    /// --party` checked it; a forced one is a warning.
    fn lifecycle(&self, summing: &Summing, report: &mut StreamReport) {
        for (line, party) in &self.strangers {
            report.problems.push(Problem::NotAParty {
                line: *line,
                party: party.clone(),
            });
        }
        let steps: Vec<_> = self
            .steps
            .iter()
            .filter(|s| !self.withdrawn.contains(&s.0))
            .collect();
        if steps.is_empty() {
            return;
        }
        let mut pact = Vec::new();
        summing.walk(|line, on, status, forced, recorded| {
            pact.push(Staged {
                on,
                recorded,
                seq: line as u64,
                status,
                forced,
                key: false,
            });
        });
        let mut parties: Vec<&String> = steps.iter().flat_map(|s| &s.4).collect();
        parties.sort();
        parties.dedup();
        for party in parties {
            let own = steps
                .iter()
                .filter(|s| s.4.contains(party))
                .map(|s| Staged {
                    on: s.1,
                    recorded: s.5,
                    seq: s.0 as u64,
                    status: s.2,
                    forced: s.3,
                    key: true,
                });
            let timeline = Timeline::of(pact.iter().copied().chain(own).collect());
            let mut before: Option<&Staged<bool>> = None;
            for step in timeline.entries() {
                let side = |s: &Staged<bool>| (s.status, s.forced);
                // a party's own status was checked against the one before
                // it in the party's timeline; the pact's own statuses, in
                // the pact's
                if step.key && breaks(before.map(side), side(step)) {
                    report.problems.push(Problem::PartyBreaksLifecycle {
                        line: step.seq as usize,
                        party: party.clone(),
                        from: before.map(|b| b.status),
                        to: step.status,
                    });
                }
                before = Some(step);
            }
        }
        for &(line, on, status, forced, ..) in &steps {
            if *forced {
                report.warnings.push(Warning::Forced {
                    line: *line,
                    status: *status,
                    on: *on,
                });
            }
        }
    }
}

/// Lifecycle steps that no forced event explains are problems; every forced
/// event is a warning. A line number equals the event's seq.
fn lifecycle(summing: &Summing, report: &mut StreamReport) {
    let mut before: Option<(Status, bool)> = None;
    summing.walk(|line, on, status, forced, _| {
        if breaks(before, (status, forced)) {
            let from = before.map(|(status, _)| status);
            report.problems.push(Problem::BreaksLifecycle {
                line,
                from,
                to: status,
            });
        }
        if forced {
            report.warnings.push(Warning::Forced { line, status, on });
        }
        before = Some((status, forced));
    });
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::command::Registration;

    use super::*;
    use crate::command::{Sourced, Write, status_change};
    use crate::log::store::AppendOptions;

    fn day(text: &str) -> EffectiveDate {
        text.parse().unwrap()
    }

    /// Writes the stream of `id`, of events with `bodies`, as another tool
    /// might have: chained and sealed, each checked by nothing.
    fn written(
        dir: &std::path::Path,
        id: &PactId,
        bodies: impl IntoIterator<Item = crate::model::event::EventBody>,
    ) {
        let mut bytes = Vec::new();
        let mut prev = None;
        for (i, body) in bodies.into_iter().enumerate() {
            let event = crate::model::event::Event {
                pact: id.clone(),
                seq: i as u64 + 1,
                id: uuid::Uuid::now_v7(),
                recorded: Utc::now(),
                body,
                prev,
                relinked: None,
            };
            let line = event.to_line();
            prev = Some(Hash::of(line.as_bytes()));
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        fs::write(dir.join(format!("{id}.jsonl")), bytes).unwrap();
    }

    /// A store with the pacts `ids`, each registered and then signed and in
    /// force, sourced to Yonhap.
    fn store(ids: &[&str]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        for id in ids {
            let id = PactId::parse(id).unwrap();
            Registration::new(Pact::named(id.clone(), "P"))
                .and_then(|r| r.record(&store, Utc::now()))
                .unwrap();
            for (status, on) in [
                (Status::Signed, "2016-11-23"),
                (Status::InForce, "2016-11-24"),
            ] {
                record(&store, &id, status, on);
            }
        }
        (dir, store)
    }

    fn record(store: &Store, id: &PactId, status: Status, on: &str) {
        let sourced = Sourced {
            source: Some("Yonhap"),
            url: None,
        };
        let change = status_change(status, day(on), sourced, None, (false, false)).unwrap();
        Write::Status(change)
            .record(store, id, AppendOptions::default(), Utc::now())
            .unwrap();
    }

    #[test]
    fn a_sound_store_verifies_and_gives_each_stream_its_head() {
        let (_dir, store) = store(&["a", "b"]);
        let report = verify(&store, None, None).unwrap();
        assert!(report.ok());
        let ids: Vec<&str> = report.streams.iter().map(|s| s.pact.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        for stream in &report.streams {
            assert_eq!(stream.events, Some(3));
            let bytes = fs::read(&stream.path).unwrap();
            let last = bytes
                .trim_ascii_end()
                .rsplit(|&b| b == b'\n')
                .next()
                .unwrap();
            assert_eq!(stream.head, Some(Hash::of(last)));
            assert!(stream.warnings.is_empty(), "{:?}", stream.warnings);
        }
        assert_eq!(report.unfinished_import, None);
        assert!(!report.journal_damaged);
    }

    #[test]
    fn a_tampered_line_fails_its_stream_naming_the_line_and_the_rest_are_checked() {
        // given a store of two pacts, one with its second line edited
        let (_dir, store) = store(&["a", "b"]);
        let a = PactId::parse("a").unwrap();
        let path = store.stream_path(&a);
        let text = fs::read_to_string(&path).unwrap();
        let (first, rest) = text.split_once('\n').unwrap();
        let tampered = rest.replacen("Yonhap", "Yonhaq", 1);
        fs::write(&path, format!("{first}\n{tampered}")).unwrap();

        // when the store is verified
        let report = verify(&store, None, None).unwrap();

        // then that stream fails at line 2, and the other verifies
        assert!(!report.ok());
        assert_eq!(report.failed(), 1);
        let failed = &report.streams[0];
        assert_eq!((&failed.pact, &failed.path), (&a, &path));
        assert_eq!((failed.events, failed.head), (None, None));
        match failed.problems.as_slice() {
            [Problem::Unreadable(Error::Stream { path: at, line, .. })] => {
                assert_eq!((at, *line), (&path, 2));
            }
            problems => panic!("expected line 2 to be named: {problems:?}"),
        }
        assert!(report.streams[1].ok());
        assert_eq!(report.streams[1].events, Some(3));
    }

    #[test]
    fn a_partys_step_the_lifecycle_refuses_is_a_problem_naming_the_party() {
        use crate::model::event::{EventBody, StatusChange};
        // given a stream, written by another tool, where the United States
        // withdraws and then terminates, unforced: its own timeline breaks,
        // while the pact's stays whole
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let id = PactId::parse("p").unwrap();
        let mut pact = Pact::named(id.clone(), "P");
        pact.parties = vec!["US".into(), "CA".into()];
        let status = |status, on: &str, parties: &[&str]| {
            EventBody::Status(StatusChange {
                status,
                on: day(on),
                source: None,
                url: None,
                note: None,
                reported: false,
                forced: false,
                parties: parties.iter().map(|p| (*p).to_owned()).collect(),
                amends: None,
            })
        };
        let bodies = [
            EventBody::Registered(pact),
            status(Status::InForce, "2002-01-01", &[]),
            status(Status::Withdrawn, "2020-11-22", &["US"]),
            status(Status::Terminated, "2021-01-01", &["US"]),
        ];
        written(dir.path(), &id, bodies);

        let report = verify(&store, None, None).unwrap();

        match report.streams[0].problems.as_slice() {
            [
                Problem::PartyBreaksLifecycle {
                    line,
                    party,
                    from,
                    to,
                },
            ] => assert_eq!(
                (*line, party.as_str(), *from, *to),
                (4, "US", Some(Status::Withdrawn), Status::Terminated)
            ),
            problems => panic!("expected the party's step to break: {problems:?}"),
        }
    }
    #[test]
    fn a_party_the_pact_did_not_have_is_a_problem() {
        use crate::model::event::{EventBody, StatusChange};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let id = PactId::parse("p").unwrap();
        let mut pact = Pact::named(id.clone(), "P");
        pact.parties = vec!["US".into()];
        let bodies = [
            EventBody::Registered(pact),
            EventBody::Status(StatusChange {
                status: Status::InForce,
                on: day("2002-01-01"),
                source: None,
                url: None,
                note: None,
                reported: false,
                forced: false,
                parties: vec!["ZZ".into()],
                amends: None,
            }),
        ];
        written(dir.path(), &id, bodies);
        let report = verify(&store, None, None).unwrap();
        match report.streams[0].problems.as_slice() {
            [Problem::NotAParty { line, party }] => assert_eq!((*line, party.as_str()), (2, "ZZ")),
            problems => panic!("expected the stranger to be named: {problems:?}"),
        }
    }

    #[test]
    fn a_step_the_lifecycle_refuses_is_a_problem_and_a_forced_one_a_warning() {
        // given a stream, written by another tool, that starts as
        // terminated, unforced, and then has a forced expiry
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let (terminated, expired) = (9, 10);
        assert_eq!(Status::ALL[terminated], Status::Terminated);
        assert_eq!(Status::ALL[expired], Status::Expired);
        // (days 2 and 23 of 2000 are exact days)
        let steps = [(0, 2, terminated, false, 0), (0, 23, expired, true, 0)];
        let bytes = crate::replay::tests::stream(&steps);
        fs::write(dir.path().join("p.jsonl"), bytes).unwrap();

        let report = verify(&store, None, None).unwrap();

        let stream = &report.streams[0];
        assert_eq!(stream.events, Some(3));
        match stream.problems.as_slice() {
            [Problem::BreaksLifecycle { line, from, to }] => {
                assert_eq!((*line, *from, *to), (2, None, Status::Terminated));
            }
            problems => panic!("expected the first status to break: {problems:?}"),
        }
        assert_eq!(
            stream.warnings,
            [Warning::Forced {
                line: 3,
                status: Status::Expired,
                on: day("2000-01-24"),
            }]
        );
        assert_eq!(report.failed(), 1);
    }

    #[test]
    fn a_pinned_head_must_be_a_line_of_the_stream() {
        let (_dir, store) = store(&["a"]);
        let a = PactId::parse("a").unwrap();
        let pinned = verify(&store, None, None).unwrap().streams[0].head;
        record(&store, &a, Status::Suspended, "2019-08-23");

        // a line since followed by one more
        let report = verify(&store, Some(std::slice::from_ref(&a)), pinned).unwrap();
        assert!(report.ok());
        assert_eq!(
            report.streams[0].warnings,
            [Warning::HeadBehind {
                line: 3,
                appended: 1,
            }]
        );

        // the hash of no line
        let unknown = Hash::of(b"a line never written");
        let report = verify(&store, Some(&[a]), Some(unknown)).unwrap();
        assert!(!report.ok());
        match report.streams[0].problems.as_slice() {
            [Problem::HeadNotFound { line, pinned }] => assert_eq!((*line, *pinned), (4, unknown)),
            problems => panic!("expected the head not to be found: {problems:?}"),
        }
    }
}
