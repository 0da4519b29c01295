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
    /// Register a new pact, creating its stream.
    Register(Deferred<register::Args>),
    /// Record that a pact entered a status on a date.
    Append(Deferred<append::Args>),
    /// Record a dated note that changes no status.
    ///
    /// A press report, an announcement: sourced and dated, shown with the
    /// history.
    Note(Deferred<note::Args>),
    /// Withdraw an event recorded in error, with the reason.
    ///
    /// The event stays in the log, marked; from now on it no longer counts.
    /// Answers `--as-of` a time before the retraction still include it.
    Retract(Deferred<retract::Args>),
    /// Correct a status or note recorded with a mistake in it.
    ///
    /// The event is retracted, with the reason, and a corrected copy of it is
    /// recorded in its place, both in one write: the copy is the event with
    /// the fields given here instead of its own, and names the event it
    /// amends. It is checked as a new status is, in the timeline as it will
    /// be. Citations of the event are not carried over to the copy; cite the
    /// copy again. To make a party's status the pact's as a whole, retract it
    /// and append it anew.
    Amend(Deferred<amend::Args>),
    /// Add a source to an earlier status or note, without changing it.
    ///
    /// The event keeps its own source; answers list every source of it, its
    /// citations after its own. `--official` marks a source that confirms the
    /// event: from then on it is no longer known only from reports.
    Cite(Deferred<cite::Args>),
    /// Change a pact's metadata: its name, aliases, parties or kind.
    ///
    /// Its description, and the source its registration cites, too. The
    /// change is an event of its own: answers show the metadata as it
    /// stands, and `log` shows each change. Aliases stay unique across the
    /// store.
    Edit(Deferred<edit::Args>),
    /// Show a pact's status on a date (default: today).
    Status(Deferred<status::Args>),
    /// Show the status intervals of a pact, oldest first, with its notes.
    History(Deferred<history::Args>),
    /// Show a pact's raw events in append order.
    ///
    /// Retracted events are marked, with the reason, and so are events a git
    /// merge brought in from another branch (recorded there, so perhaps before
    /// the events above them).
    Log(Deferred<log::Args>),
    /// List every pact with its status on a date (default: today).
    List(Deferred<list::Args>),
    /// List the status changes of all pacts in a range of dates.
    ///
    /// Every change effective from --from to --to (both included), by date
    /// then pact, with the status before and after.
    Changes(Deferred<changes::Args>),
    /// Show how the recorded history changed between two recorded times.
    ///
    /// For each pact, how its history as recorded at --until (default: now)
    /// differs from its history as recorded at --since: intervals added,
    /// removed, changed or amended, and the events and reasons that caused it.
    Errata(Deferred<errata::Args>),
    /// Check streams and print their head hashes.
    ///
    /// Checks every stream (or those named): line format, checksums, seq, hash
    /// chain, retractions and lifecycle; and that the cache says what the
    /// streams say, rebuilding it where it does not. Exits 1 on any problem.
    Verify(Deferred<verify::Args>),
    /// Move a torn last line aside, into a file beside the stream.
    ///
    /// A write that was interrupted leaves a torn last line; its bytes move into
    /// a quarantine file beside the stream, which then verifies. Any other
    /// damage is refused and left for a person.
    Repair(Deferred<repair::Args>),
    /// Import statuses, notes and pacts from CSV, or streams from JSON Lines.
    ///
    /// CSV has a header row with `pact` and `on` and any of the columns
    /// `export --csv` writes (`kind,status,party,source,url,note,reported,
    /// forced,name,aliases,parties,pact_kind,description,event,recorded`). A
    /// row is a status (`kind` empty or `status`), a note (`kind` `note`, its
    /// text in `note`), or, with no kind, status or date, its pact's metadata
    /// alone; lists are joined by `;`. Rows may come in any order: each pact's
    /// rows are applied by effective date (rows of one date in file order),
    /// each checked exactly as `append` or `note` would check it. Metadata
    /// repeated on several rows of a pact must agree, and for a pact the store
    /// holds, agree with it. A row whose `event` is an event its pact already
    /// holds, the same in every column, is skipped: a sheet from `export
    /// --csv`, added to, records only the rows added. JSON Lines is what
    /// `export` writes: it recreates streams that do not exist yet, byte for
    /// byte, and adds to a stream the store holds the lines after its own
    /// (when its own are the file's first). Either way, if any row is bad,
    /// nothing is written and every bad row is named (the first 20, and how
    /// many more); an import cut short by a crash is finished by the next
    /// command that records. Other writers to the store wait while an import
    /// runs.
    Import(Deferred<import::Args>),
    /// Write every stream to standard output.
    ///
    /// As JSON Lines: the stored lines themselves, stream after stream, which
    /// `import` turns back into the same files byte for byte. With --csv: one
    /// row per status or note that stands (retracted ones left out), the
    /// statuses of named parties included, each with its pact's metadata as it
    /// stands now, and one row for a pact with nothing else to show; pact after
    /// pact, each pact's rows in date order, which `import` takes back. A cell
    /// a spreadsheet would run as a formula (=, +, -, @) goes out with a '
    /// before it, which `import` takes off.
    Export(Deferred<export::Args>),
    /// Draw the status intervals of pacts (default: all) as SVG or HTML.
    ///
    /// One band per pact, one coloured segment per status, notes as markers,
    /// scheduled statuses hatched; the HTML page adds a table of every event
    /// with its source as a link, and needs nothing from the network.
    Timeline(Deferred<timeline::Args>),
    /// Merge a stream that two git branches appended to: git's merge driver.
    ///
    /// git runs it when both branches of a merge appended to one stream, as
    /// `pactlog merge %O %A %B %P` (`pactlog git-setup` sets that up): BASE is
    /// the stream as the two branches last had it in common (empty when both
    /// began it), OURS as this branch has it, THEIRS as the branch merged in
    /// has it, and PATH where it lives in the work tree. The merge, written to
    /// OURS, is ours followed by the events only theirs has, each re-linked (a
    /// new seq and prev; its id, recorded time and content kept). When the
    /// branches recorded events that cannot stand together (on the merged
    /// timeline a status the lifecycle does not allow after another, one event
    /// withdrawn by both, two registrations of the pact that differ, ...), it
    /// names both events, leaves OURS as it was and exits 1: git shows a
    /// conflict.
    Merge(Deferred<merge::Args>),
    /// Set up the git repository the store is in to merge streams.
    ///
    /// Writes the store's `.gitattributes` line `*.jsonl merge=pactlog -text`
    /// (streams are kept byte for byte, and merged by `pactlog merge`), the
    /// store's `.gitignore` lines for the files pactlog derives (the cache, an
    /// import's journal and staged streams, torn lines `repair` moved aside),
    /// and the repository's git config for the merge driver
    /// (`merge.pactlog.driver` = `pactlog merge %O %A %B %P`, and its name).
    /// Commit the two files; the config is each clone's own, so run it in
    /// every clone. Running it again changes nothing.
    GitSetup(Deferred<git_setup::Args>),
    /// Print a shell completion script.
    Completions(Deferred<shell::Completions>),
    /// Print the manual page (roff) of pactlog, or of one of its commands.
    Man(Deferred<shell::Man>),
}

/// A subcommand's arguments `T`, defined only once it is the one given:
/// the arguments of every other subcommand are never built, which was
/// most of what parsing the command line cost at each start. What a
/// subcommand is for is said by its variant of [`Command`], so that
/// `pactlog --help` has it without building it.
#[derive(Debug)]
struct Deferred<T>(T);

impl<T: clap::Args> clap::Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(defined::<T, false>)
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(defined::<T, true>)
    }
}

/// The subcommand `cmd` with the arguments of `T` (as they are for an
/// update, with `UPDATE`), what it is for as its variant said: the doc
/// comment of a group of arguments it takes in (as [`FormatArgs`]) would
/// say otherwise.
fn defined<T: clap::Args, const UPDATE: bool>(cmd: clap::Command) -> clap::Command {
    use clap::builder::Resettable;
    let about = Resettable::from(cmd.get_about().cloned());
    let long = Resettable::from(cmd.get_long_about().cloned());
    let cmd = match UPDATE {
        true => T::augment_args_for_update(cmd),
        false => T::augment_args(cmd),
    };
    cmd.about(about).long_about(long)
}

impl<T: clap::FromArgMatches> clap::FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }
    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Deferred)
    }
    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
    fn update_from_arg_matches_mut(
        &mut self,
        matches: &mut clap::ArgMatches,
    ) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

impl<T> std::ops::Deref for Deferred<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
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
