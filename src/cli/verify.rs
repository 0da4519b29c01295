//! `pactlog verify`: check every stream's framing, format, seq, hash chain
//! and lifecycle, and print each stream's head hash; and hold the cache
//! against what the streams say.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cli::Context;
use crate::cli::output::{Cell, Table, one_line, plural};
use crate::cli::style;
use crate::log::journal;
use crate::log::par;
use crate::log::store::{Names, Store};
use crate::model::error::{Error, StreamProblem};
use crate::model::event::Hash;
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;
use crate::model::time::shown;
use crate::replay::breaks;
use crate::replay::cache::{self, Audit, Audited, CacheFile, Found, Summing};

/// Check streams and print their head hashes.
///
/// Checks every stream (or those named): line format, checksums, seq, hash
/// chain, retractions and lifecycle; and that the cache says what the
/// streams say, rebuilding it where it does not. Exits 1 on any problem.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pactlog verify\n  pactlog verify gsomia --json\n  \
    pactlog verify gsomia --head 1e099d6537319d8e9403a92b73ab10e6ffd77a3868c9080c3833eb4741ef610c"
)]
pub struct Args {
    /// The pacts to check (ids or aliases); all when none is given.
    pacts: Vec<String>,
    /// The head hash that `verify` printed earlier for the one stream
    /// checked: it must still be the hash of a line of it, which covers the
    /// last line the chain cannot.
    #[arg(long, value_name = "HASH")]
    head: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// The report, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Report {
    ok: bool,
    streams: Vec<StreamReport>,
    /// The journal of an import that did not finish, if one is left.
    unfinished_import: Option<String>,
    /// Whether that journal is damaged (or not a file pactlog wrote), so
    /// that every command that records stops until a person looks.
    journal_damaged: bool,
    /// The cache, when there is one to check.
    cache: Option<CacheReport>,
}

/// What became of the cache.
#[derive(Debug, Serialize)]
struct CacheReport {
    file: String,
    /// How many of its entries were current for their streams, and so
    /// held against them.
    checked: usize,
    problems: Vec<String>,
    warnings: Vec<String>,
    /// Whether it was replaced by one made from the streams.
    rebuilt: bool,
}

#[derive(Debug, Serialize)]
struct StreamReport {
    pact: PactId,
    file: String,
    ok: bool,
    events: Option<usize>,
    head: Option<Hash>,
    problems: Vec<String>,
    warnings: Vec<String>,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let pinned = self.head.as_deref().map(parse_head).transpose()?;
        let ids = ctx.store.select(&self.pacts)?;
        if pinned.is_some() && ids.len() != 1 {
            return Err(Error::Usage {
                message: format!("--head pins one stream, but {} are checked", ids.len()),
                hint: Some("name the pact: pactlog verify PACT --head HASH".into()),
            });
        }
        let store = &ctx.store;
        let cache_file = CacheFile::read(store);
        let audit = Audit::new(store, &cache_file);
        let checked: Vec<(StreamReport, Option<Pact>, Option<cache::Checked>)> =
            par::map(&ids, |id| check(store, id.clone(), pinned, &audit));
        let failed_ids: Vec<PactId> = checked
            .iter()
            .filter(|(report, ..)| !report.ok)
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
        let cache = cache_report(store, audit.finish(store, summaries, &failed_ids));
        // aliases are unique across the store: every registration that can
        // be read counts. When all streams were checked, those read already,
        // and the registrations of those that failed; else the store's.
        let names = if self.pacts.is_empty() {
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
        } else {
            store.readable_names()?
        };
        let streams: Vec<StreamReport> = checked
            .into_iter()
            .map(|(mut report, pact)| {
                if let Some(pact) = pact {
                    alias_clashes(&pact, &names, &report.file, &mut report.warnings);
                }
                report
            })
            .collect();
        let failed = streams.iter().filter(|s| !s.ok).count();
        let disagreed = cache.as_ref().map_or(0, |c| c.problems.len());
        let report = Report {
            ok: failed == 0 && disagreed == 0,
            streams,
            unfinished_import: journal::pending(store.dir())
                .then(|| journal::path(store.dir()).display().to_string()),
            journal_damaged: journal::check(store.dir()).is_err(),
            cache,
        };
        if self.json {
            ctx.json(&report)?;
        } else {
            write_text(ctx.out, &report, ctx.color)?;
        }
        match (failed, disagreed) {
            (0, 0) => Ok(()),
            (0, count) => Err(Error::CacheDisagreed { count }),
            (count, _) => Err(Error::StreamsFailed { count }),
        }
    }
}

/// What to say of the cache: nothing when there is none to check; a
/// problem for each entry, current for its stream and authenticated under
/// this user's key, that disagrees with it (a fault in pactlog, or a key
/// that others have); a warning for a file that is not a cache written
/// under this user's key.
fn cache_report(store: &Store, audited: Audited) -> Option<CacheReport> {
    let file = store.dir().join(cache::FILE).display().to_string();
    let then = if audited.rebuilt {
        "the cache was rebuilt from the streams"
    } else {
        "the cache could not be replaced: delete it"
    };
    let mut report = CacheReport {
        file,
        checked: audited.compared,
        problems: Vec::new(),
        warnings: Vec::new(),
        rebuilt: audited.rebuilt,
    };
    match audited.found {
        Found::Nothing | Found::NoKey => return None,
        Found::Unusable => report.warnings.push(format!(
            "{}: not a cache written under this user's key (of another version or \
             another user's, or damaged or edited since); {then}",
            report.file
        )),
        Found::Cache => {}
    }
    for pact in &audited.disagreed {
        report.problems.push(format!(
            "{}: the cache entry for {pact} disagrees with its stream; {then}",
            report.file
        ));
    }
    Some(report)
}

fn parse_head(text: &str) -> Result<Hash, Error> {
    Hash::from_hex(&text.trim().to_ascii_lowercase()).ok_or_else(|| Error::Invalid {
        message: format!("invalid head hash '{text}'"),
        hint: Some("a head hash is the 64 hex digits that `pactlog verify` prints".into()),
    })
}

/// A warning for each of the pact's aliases that names another pact, or
/// none, because registrations made apart (on two branches, say) claim it
/// too. No event can take an alias back, so this is a warning: the record
/// is sound, and commands refuse the alias rather than guess.
fn alias_clashes(pact: &Pact, names: &Names, file: &str, warnings: &mut Vec<String>) {
    for alias in &pact.aliases {
        if let Some(pacts) = names.claims(alias) {
            let others: Vec<&str> = pacts
                .iter()
                .filter(|p| **p != pact.id)
                .map(PactId::as_str)
                .collect();
            warnings.push(format!(
                "{file}:1: alias '{alias}' is claimed by {} too, so it names neither \
                 (aliases are unique across the store; name these pacts by their ids)",
                others.join(", ")
            ));
        } else if let Some(owner) = names.get(alias).filter(|owner| **owner != pact.id) {
            warnings.push(format!(
                "{file}:1: alias '{alias}' is the id of pact '{owner}', which it names instead \
                 (aliases are unique across the store)"
            ));
        }
    }
}

/// Checks one stream; returns the report and, when the stream could be
/// read, its pact and what the cache says of it.
fn check(
    store: &Store,
    id: PactId,
    pinned: Option<Hash>,
    audit: &Audit<'_>,
) -> (StreamReport, Option<Pact>, Option<cache::Checked>) {
    let path = store.stream_path(&id);
    let mut report = StreamReport {
        file: path.display().to_string(),
        pact: id,
        ok: false,
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
    let folded = store.fold(&report.pact, |line| {
        summing.visit(&line);
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
            lifecycle(
                &summing,
                &report.file,
                &mut report.problems,
                &mut report.warnings,
            );
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
            if let Some((seq, recorded)) = ahead.iter().find(|(_, recorded)| *recorded > now) {
                report.warnings.push(format!(
                    "{}:{seq}: recorded at {}, which is still to come: a clock was ahead, and \
                     events appended to the stream before then are stamped with that time",
                    report.file,
                    shown(*recorded)
                ));
            }
            if let Some(pinned) = pinned {
                let (problems, warnings) = (&mut report.problems, &mut report.warnings);
                let (head, events) = (folded.head, folded.events);
                check_pinned(
                    head,
                    events,
                    pinned_line,
                    pinned,
                    &report.file,
                    problems,
                    warnings,
                );
            }
            report.events = Some(folded.events);
            report.head = Some(folded.head);
            pact = Some(folded.pact);
        }
        Err(e) => {
            let mut problem = e.to_string();
            if let Some(hint) = crate::cli::hint::hint(&e) {
                problem.push_str(&format!(" (hint: {hint})"));
            }
            report.problems.push(problem);
        }
    }
    report.ok = report.problems.is_empty();
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
    file: &str,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) {
    if head == pinned {
        return;
    }
    match line {
        Some(line) => warnings.push(format!(
            "{file}:{line}: the pinned head is this line; {} appended after it",
            match events - line {
                1 => "1 event was".to_owned(),
                n => format!("{n} events were"),
            }
        )),
        None => problems.push(format!(
            "{file}:{events}: the pinned head {pinned} is not the hash of any line: \
             the line it pinned was changed or removed"
        )),
    }
}

/// Lifecycle steps that no forced event explains are problems; every forced
/// event is a warning. A line number equals the event's seq.
fn lifecycle(
    summing: &Summing,
    file: &str,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) {
    let mut forced_ones = Vec::new();
    let mut before: Option<(Status, bool)> = None;
    summing.walk(|line, on, status, forced| {
        if breaks(before, (status, forced)) {
            let from = before.map(|(status, _)| status);
            let problem = StreamProblem::BreaksLifecycle { from, to: status };
            problems.push(format!("{file}:{line}: {problem}"));
        }
        if forced {
            forced_ones.push(format!(
                "{file}:{line}: {status} on {on} was recorded with --force"
            ));
        }
        before = Some((status, forced));
    });
    warnings.extend(forced_ones);
}

fn write_text(out: &mut dyn Write, report: &Report, color: bool) -> std::io::Result<()> {
    let mut table = Table::default();
    for s in &report.streams {
        match (&s.head, s.events) {
            (Some(head), Some(events)) if s.ok => table.row([
                Cell::styled("ok", style::status(Status::InForce)),
                Cell::from(s.pact.to_string()),
                Cell::from(plural(events as u64, "event")),
                Cell::from(format!("head {head}")),
            ]),
            _ => table.row([
                Cell::styled("FAILED", style::ERROR),
                Cell::from(s.pact.to_string()),
            ]),
        }
    }
    table.print(out, "", color)?;
    // a line names its stream's path, and may quote what a line holds:
    // shown escaped, as one line
    for s in &report.streams {
        for problem in &s.problems {
            writeln!(out, "problem: {}", one_line(problem))?;
        }
        for warning in &s.warnings {
            writeln!(out, "warning: {}", one_line(warning))?;
        }
    }
    if let Some(cache) = &report.cache {
        for problem in &cache.problems {
            writeln!(out, "problem: {}", one_line(problem))?;
        }
        for warning in &cache.warnings {
            writeln!(out, "warning: {}", one_line(warning))?;
        }
    }
    if let Some(journal) = &report.unfinished_import {
        if report.journal_damaged {
            writeln!(
                out,
                "warning: {}: the journal of an import that did not finish is damaged, \
                 not a file pactlog wrote, or from a newer pactlog: every command that \
                 records stops until a person looks (it holds the lines the import was \
                 adding and names the hidden files its new streams are staged in)",
                one_line(journal)
            )?;
        } else {
            writeln!(
                out,
                "warning: {}: an import did not finish; the next command that records \
                 (an append, a note, or `pactlog repair PACT`) carries it out to the end",
                one_line(journal)
            )?;
        }
    }
    let failed = report.streams.iter().filter(|s| !s.ok).count();
    let warnings: usize = report
        .streams
        .iter()
        .map(|s| s.warnings.len())
        .sum::<usize>()
        + usize::from(report.unfinished_import.is_some())
        + report.cache.as_ref().map_or(0, |c| c.warnings.len());
    let disagreed = match report.cache.as_ref().map_or(0, |c| c.problems.len()) {
        0 => String::new(),
        n => format!("; the cache disagreed with {}", plural(n as u64, "stream")),
    };
    writeln!(
        out,
        "{} checked, {} ok, {failed} failed, {warnings} {}{disagreed}",
        plural(report.streams.len() as u64, "stream"),
        report.streams.len() - failed,
        if warnings == 1 { "warning" } else { "warnings" }
    )
}
