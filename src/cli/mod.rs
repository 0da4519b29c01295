//! The command line: one module per subcommand, each turning its arguments
//! into a validated request, asking the store and replay, and handing a plain
//! result to a renderer (text or JSON). Built only with the `cli` feature.
//!
//! Depends on: [`crate::model`], [`crate::log`], [`crate::replay`],
//! [`crate::command`], [`crate::transfer`], [`crate::chart`].

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};

use crate::log::store::{Lines, Store};
use crate::log::stream::{FromRecord, Stream};
use crate::model::error::{Error, STDOUT};
use crate::model::event::Event;
use crate::model::pact::{Pact, PactId};
use crate::model::time::{AsOf, parse_when, shown};
use crate::replay::{Mark, Outline};

mod amend;
mod append;
mod changes;
mod cite;
pub mod destination;
mod edit;
mod errata;
mod export;
mod git_setup;
pub mod hint;
mod history;
mod import;
mod list;
mod log;
mod merge;
mod note;
mod output;
mod register;
mod repair;
mod retract;
mod shell;
mod status;
pub mod style;
mod timeline;
mod verify;

pub use output::report;

/// Keep a sourced, append-only record of the status of agreements and
/// policies, and ask what it was on any date.
#[derive(Debug, Parser)]
#[command(name = "pactlog", version, max_term_width = 100)]
pub struct Cli {
    /// The store directory (one stream file per pact). Without it, the
    /// PACTLOG_DIR environment variable names it (when set and not empty),
    /// else ./events.
    #[arg(long, global = true, value_name = "DIR")]
    dir: Option<PathBuf>,

    /// Indent JSON output for reading, instead of one compact line.
    #[arg(long, global = true)]
    pretty: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Register(register::Args),
    Append(append::Args),
    Note(note::Args),
    Retract(retract::Args),
    Amend(amend::Args),
    Cite(cite::Args),
    Edit(edit::Args),
    Status(status::Args),
    History(history::Args),
    Log(log::Args),
    List(list::Args),
    Changes(changes::Args),
    Errata(errata::Args),
    Verify(verify::Args),
    Repair(repair::Args),
    Import(import::Args),
    Export(export::Args),
    Timeline(timeline::Args),
    Merge(merge::Args),
    GitSetup(git_setup::Args),
    Completions(shell::Completions),
    Man(shell::Man),
}

/// `--as-of WHEN`, shared by the commands that read the past.
#[derive(Debug, clap::Args)]
pub(crate) struct AsOfArg {
    /// Answer from the events recorded at or before WHEN, with only the
    /// retractions recorded by then: an RFC 3339 time, or a date (the end of
    /// that day, UTC).
    #[arg(long = "as-of", value_name = "WHEN")]
    as_of: Option<String>,
}

impl AsOfArg {
    /// The parsed time, if one was given. `today` is the day in UTC that
    /// holds `now`, so that `--as-of today` takes in everything recorded so
    /// far, wherever the user is.
    pub(crate) fn parse(&self, now: DateTime<Utc>) -> Result<Option<AsOf>, Error> {
        self.as_of
            .as_deref()
            .map(|w| parse_when(w, now.date_naive()))
            .transpose()
    }
}

/// The event id a command is given for an event of `pact`.
///
/// # Errors
///
/// [`Error::Invalid`] when it is not a UUID, with a hint on where ids are.
pub(crate) fn event_id(text: &str, pact: &str) -> Result<uuid::Uuid, Error> {
    uuid::Uuid::parse_str(text.trim()).map_err(|_| Error::Invalid {
        message: format!("invalid event id '{text}'"),
        hint: Some(format!(
            "an event id is a UUID such as 01a225c3-2b0f-73e8-9031-a6a8d1d4c9a7; \
             `pactlog log {pact}` shows them"
        )),
    })
}

/// The pact's party named `name` (in any case), as the pact names it.
pub(crate) fn party_of<'p>(pact: &'p Pact, name: &str) -> Result<&'p str, Error> {
    crate::model::pact::party_named(&pact.id, &pact.parties, name)
}

/// Checks that a pact was registered by `when`, as [`visible`] does for a
/// stream read whole, from the stream's outline: how many of its events
/// were recorded by then, and when the first was.
///
/// # Errors
///
/// [`Error::Invalid`] when the pact was not registered yet at `when`: the
/// record did not know it then.
pub(crate) fn registered_by(
    pact: &PactId,
    outline: &Outline,
    when: Option<&AsOf>,
) -> Result<(), Error> {
    seen_by(pact, outline.visible(), outline.registered(), when)
}

/// [`registered_by`], from how many events were recorded by `when`
/// (`visible`), and when the first was (`registered`).
pub(crate) fn seen_by(
    pact: &PactId,
    visible: usize,
    registered: Option<DateTime<Utc>>,
    when: Option<&AsOf>,
) -> Result<(), Error> {
    match (visible, when) {
        (0, Some(when)) => Err(Error::Invalid {
            message: format!("'{pact}' was not registered yet as of {}", when.input),
            hint: registered.map(|at| format!("it was registered at {}", shown(at))),
        }),
        _ => Ok(()),
    }
}

/// The event of `mark`, read again from the stream its outline was folded
/// from, and checked to be that event.
///
/// # Errors
///
/// [`Error::Stream`] when the line is not there as it was, [`Error::Io`]
/// when it cannot be read.
pub(crate) fn event_of(lines: &mut Lines, mark: &Mark) -> Result<Event, Error> {
    mark.read(lines)
}

/// Reads the streams of `ids`, reporting each that cannot be read on
/// standard error and going on with the rest. Returns the streams read and
/// how many failed.
pub(crate) fn read_streams(ctx: &mut Context<'_>, ids: &[PactId]) -> (Vec<Stream>, usize) {
    map_streams(ctx, ids, |stream: Stream| stream)
}

/// Reads the streams of `ids` on every core, one stream at a time per core,
/// and keeps only what `f` makes of each: so a command over a whole store
/// holds one stream per core in memory, never the store. Results come back
/// in the order of `ids`; each stream that cannot be read is reported on
/// standard error, in that order too, and counted.
pub(crate) fn map_streams<E: FromRecord, T: Send>(
    ctx: &mut Context<'_>,
    ids: &[PactId],
    f: impl Fn(Stream<E>) -> T + Sync,
) -> (Vec<T>, usize) {
    let store = &ctx.store;
    let slots = crate::log::par::map(ids, |id| store.read_as(id).map(&f));
    reported(ctx, slots)
}

/// The values of `results`, in order, with each error reported on standard
/// error and counted.
pub(crate) fn reported<T>(
    ctx: &mut Context<'_>,
    results: Vec<Result<T, Error>>,
) -> (Vec<T>, usize) {
    let mut failed = 0;
    // collected where the results lay (a value takes no more room than a
    // result), rather than into fresh memory
    let values = results
        .into_iter()
        .filter_map(|result| match result {
            Ok(value) => Some(value),
            Err(e) => {
                report(ctx.err, &e, ctx.err_color);
                failed += 1;
                None
            }
        })
        .collect();
    (values, failed)
}

/// The error that ends a command that went on past `failed` broken streams.
pub(crate) fn streams_failed(failed: usize) -> Result<(), Error> {
    match failed {
        0 => Ok(()),
        count => Err(Error::StreamsFailed { count }),
    }
}

/// `--json` or `--csv`, for the commands whose answer is a table.
#[derive(Debug, clap::Args)]
pub(crate) struct TableFormat {
    /// Print the answer as JSON.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print the answer as CSV, with a header row (RFC 4180 quoting).
    #[arg(long)]
    csv: bool,
}

/// Where to see what a command that appends to a stream recorded, when it
/// could not say so.
const LOG_HINT: &str = "do not run the command again: `pactlog log PACT` shows the pact's events";

/// What a command runs with: the store, the clock, and where output goes.
pub struct Context<'a> {
    /// The store the command works on.
    pub store: Store,
    /// Today's date, for `--on today` and scheduled statuses.
    pub today: NaiveDate,
    /// The time an append records.
    pub now: DateTime<Utc>,
    /// Whether standard output takes colour and dim text.
    pub color: bool,
    /// Whether standard error takes colour.
    pub err_color: bool,
    /// Whether JSON is indented for people rather than one compact line.
    pub pretty: bool,
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error, for reports on streams that a command skips.
    pub err: &'a mut dyn Write,
}

impl Context<'_> {
    /// Writes `value` as JSON to standard output, compact or `--pretty`.
    pub(crate) fn json(&mut self, value: &impl serde::Serialize) -> Result<(), Error> {
        output::json(self.out, value, self.pretty)
    }

    /// Writes `items` as a JSON array to standard output: compact, a long
    /// one serialized on every core, or `--pretty`.
    pub(crate) fn json_array<T: serde::Serialize + Sync>(
        &mut self,
        items: &[T],
    ) -> Result<(), Error> {
        output::json_array(self.out, items, self.pretty)
    }
}

impl Cli {
    /// The store directory: `--dir`, else `$PACTLOG_DIR` when it is set and
    /// not empty (an empty variable counts as unset, as shells leave it),
    /// else `./events`.
    pub fn dir(&self) -> PathBuf {
        self.dir
            .clone()
            .or_else(|| {
                std::env::var_os("PACTLOG_DIR")
                    .filter(|dir| !dir.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from("./events"))
    }

    /// Whether `--pretty` was given.
    pub fn pretty(&self) -> bool {
        self.pretty
    }

    /// Runs the command.
    ///
    /// # Errors
    ///
    /// Whatever stopped the command; the caller reports it and turns it into
    /// an exit code.
    pub fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        // a command that records has recorded by the time it writes its
        // output: should that fail, the error must say so, lest it be run
        // again and record twice (a reader closing the output is no failure)
        let (what, hint) = match &self.command {
            Command::Register(_) => ("the registration", LOG_HINT),
            Command::Append(_) => ("the status", LOG_HINT),
            Command::Note(_) => ("the note", LOG_HINT),
            Command::Retract(_) => ("the retraction", LOG_HINT),
            Command::Amend(_) => ("the amendment", LOG_HINT),
            Command::Cite(_) => ("the citation", LOG_HINT),
            Command::Edit(_) => ("the edit", LOG_HINT),
            Command::Import(_) => (
                "the import",
                "do not import the file again: `pactlog list` shows the pacts",
            ),
            _ => return self.answer(ctx),
        };
        let answered = self.answer(ctx).and_then(|()| Ok(ctx.out.flush()?));
        answered.map_err(|e| match e {
            Error::Io { ref path, .. } if path.as_os_str() == STDOUT && !e.is_broken_pipe() => {
                Error::Unreported {
                    what,
                    hint,
                    output: Box::new(e),
                }
            }
            e => e,
        })
    }

    fn answer(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        match &self.command {
            Command::Register(args) => args.run(ctx),
            Command::Append(args) => args.run(ctx),
            Command::Note(args) => args.run(ctx),
            Command::Retract(args) => args.run(ctx),
            Command::Amend(args) => args.run(ctx),
            Command::Cite(args) => args.run(ctx),
            Command::Edit(args) => args.run(ctx),
            Command::Status(args) => args.run(ctx),
            Command::History(args) => args.run(ctx),
            Command::Log(args) => args.run(ctx),
            Command::List(args) => args.run(ctx),
            Command::Changes(args) => args.run(ctx),
            Command::Errata(args) => args.run(ctx),
            Command::Verify(args) => args.run(ctx),
            Command::Repair(args) => args.run(ctx),
            Command::Import(args) => args.run(ctx),
            Command::Export(args) => args.run(ctx),
            Command::Timeline(args) => args.run(ctx),
            Command::Merge(args) => args.run(ctx),
            Command::GitSetup(args) => args.run(ctx),
            Command::Completions(args) => args.run(ctx),
            Command::Man(args) => args.run(ctx),
        }
    }
}
