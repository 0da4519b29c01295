//! `pactlog verify`: check every stream's framing, format, seq, hash chain
//! and lifecycle, and print each stream's head hash; and hold the cache
//! against what the streams say. The checks are the library's
//! ([`crate::replay::verify`]); this resolves the pacts named, says each
//! problem and warning in words, and turns the report into an exit code.

use std::io::Write;

use serde::Serialize;

use crate::cli::Context;
use crate::cli::hint::hint;
use crate::cli::output::{Cell, Table, one_line, plural};
use crate::cli::style;
use crate::log::store::Store;
use crate::model::error::{Error, StreamProblem};
use crate::model::event::Hash;
use crate::model::pact::PactId;
use crate::model::status::Status;
use crate::model::time::shown;
use crate::replay::cache::{self, Audited, Found};
use crate::replay::verify::{self, Problem, Warning, verify};

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
        // without a pact named, every stream; a pinned head needs the one
        let ids = match (self.pacts.is_empty(), pinned) {
            (true, None) => None,
            _ => Some(ctx.store.select(&self.pacts)?),
        };
        if let (Some(_), Some(ids)) = (pinned, &ids)
            && ids.len() != 1
        {
            return Err(Error::Usage {
                message: format!("--head pins one stream, but {} are checked", ids.len()),
                hint: Some("name the pact: pactlog verify PACT --head HASH".into()),
            });
        }
        let verified = verify(&ctx.store, ids.as_deref(), pinned)?;
        let counts = (verified.failed(), verified.cache.disagreed.len());
        let report = Report::of(&ctx.store, verified);
        if self.json {
            ctx.json(&report)?;
        } else {
            write_text(ctx.out, &report, ctx.color)?;
        }
        match counts {
            (0, 0) => Ok(()),
            (0, count) => Err(Error::CacheDisagreed { count }),
            (count, _) => Err(Error::StreamsFailed { count }),
        }
    }
}

impl Report {
    /// The report of `verified`, in words, each stream's in place of the
    /// one it is made from.
    fn of(store: &Store, verified: verify::Report) -> Report {
        let streams: Vec<StreamReport> =
            verified.streams.into_iter().map(StreamReport::of).collect();
        let cache = cache_report(store, &verified.cache);
        let failed = streams.iter().filter(|s| !s.ok).count();
        let disagreed = cache.as_ref().map_or(0, |c| c.problems.len());
        Report {
            ok: failed == 0 && disagreed == 0,
            streams,
            unfinished_import: verified
                .unfinished_import
                .map(|path| path.display().to_string()),
            journal_damaged: verified.journal_damaged,
            cache,
        }
    }
}

impl StreamReport {
    /// The report of one stream, each problem and warning a line that
    /// names its file and line.
    fn of(stream: verify::StreamReport) -> StreamReport {
        let file = stream.path.display().to_string();
        StreamReport {
            ok: stream.ok(),
            events: stream.events,
            head: stream.head,
            problems: stream.problems.iter().map(|p| problem(&file, p)).collect(),
            warnings: stream.warnings.iter().map(|w| warning(&file, w)).collect(),
            pact: stream.pact,
            file,
        }
    }
}

/// A problem of the stream `file`, in words.
fn problem(file: &str, problem: &Problem) -> String {
    match problem {
        Problem::Unreadable(e) => match hint(e) {
            Some(hint) => format!("{e} (hint: {hint})"),
            None => e.to_string(),
        },
        Problem::BreaksLifecycle { line, from, to } => {
            let problem = StreamProblem::BreaksLifecycle {
                from: *from,
                to: *to,
            };
            format!("{file}:{line}: {problem}")
        }
        Problem::PartyBreaksLifecycle {
            line,
            party,
            from,
            to,
        } => {
            let problem = StreamProblem::BreaksLifecycle {
                from: *from,
                to: *to,
            };
            format!("{file}:{line}: for {party}: {problem}")
        }
        Problem::NotAParty { line, party } => {
            format!("{file}:{line}: '{party}' is not one of the pact's parties there")
        }
        Problem::HeadNotFound { line, pinned } => format!(
            "{file}:{line}: the pinned head {pinned} is not the hash of any line: \
             the line it pinned was changed or removed"
        ),
    }
}

/// A warning of the stream `file`, in words.
fn warning(file: &str, warning: &Warning) -> String {
    match warning {
        Warning::Forced { line, status, on } => {
            // `append --force`, a sheet's forced column or a line's
            // "forced":true: the event says it was forced, not how
            format!(
                "{file}:{line}: {status} {} was recorded as forced, against the lifecycle",
                on.on_or_in()
            )
        }
        Warning::RecordedAhead { line, recorded } => format!(
            "{file}:{line}: recorded at {}, which is still to come: a clock was ahead, and \
             events appended to the stream before then are stamped with that time",
            shown(*recorded)
        ),
        Warning::HeadBehind { line, appended } => format!(
            "{file}:{line}: the pinned head is this line; {} appended after it",
            match appended {
                1 => "1 event was".to_owned(),
                n => format!("{n} events were"),
            }
        ),
        Warning::AliasShared { alias, others } => {
            let others: Vec<&str> = others.iter().map(PactId::as_str).collect();
            format!(
                "{file}:1: alias '{alias}' is claimed by {} too, so it names neither \
                 (aliases are unique across the store; name these pacts by their ids)",
                others.join(", ")
            )
        }
        Warning::AliasIsId { alias, owner } => format!(
            "{file}:1: alias '{alias}' is the id of pact '{owner}', which it names instead \
             (aliases are unique across the store)"
        ),
    }
}

/// What to say of the cache: nothing when there is none to check; a
/// problem for each entry, current for its stream and authenticated under
/// this user's key, that disagrees with it (a fault in pactlog, or a key
/// that others have); a warning for a file that is not a cache written
/// under this user's key.
fn cache_report(store: &Store, audited: &Audited) -> Option<CacheReport> {
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
