//! The library's one error type.
//!
//! Every I/O error names its path and every stream problem its `FILE:LINE`.
//! Messages are lowercase with no trailing period and speak of the record,
//! not of a command line: what to do next, in the words of `pactlog`'s
//! commands and flags, is the command line's (`cli::hint`, with the default
//! `cli` feature). The binary turns an error into an exit code in exactly
//! one place.

use std::fmt;
use std::io;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::model::date::EffectiveDate;
use crate::model::format::{FORMAT_VERSION, MAX_LINE};
use crate::model::status::{Status, UnknownStatus};

/// Everything that can go wrong in pactlog.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done: "read", "create", "lock", ...
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A write failed part-way (a full disk, the file-size limit), and
    /// what it wrote was cut off again, or its new file removed, unless
    /// `rollback` says otherwise.
    #[error("could not {action} {}: {}; {rollback}", path.display(), write_failure(source))]
    WriteFailed {
        /// What was being done: "append to", "write", ...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why the write failed.
        source: io::Error,
        /// What became of the part written.
        rollback: Rollback,
    },
    /// A row of an import file is refused; nothing was written.
    #[error("{file}:{line}: {source}")]
    Row {
        /// The import file.
        file: String,
        /// The 1-based line of the row.
        line: u64,
        /// What is wrong with it.
        source: Box<Error>,
    },
    /// Several rows of an import file are bad: the first of them, in
    /// the order of the file, up to a limit.
    #[error("{} bad rows in {file}{}; nothing was imported", shown.len() + more, shown_of(shown.len(), *more))]
    Rows {
        /// The import file.
        file: String,
        /// The first bad rows: each row's line and what is wrong with it.
        shown: Vec<(u64, Error)>,
        /// How many more rows are bad.
        more: usize,
    },
    /// A stream file is damaged or not in the expected format.
    #[error("{}:{line}: {problem}", path.display())]
    Stream {
        /// The stream file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong there.
        problem: StreamProblem,
    },
    /// `repair` met damage that is not a torn last line.
    #[error("cannot repair {}:{line}: {problem}", path.display())]
    NotRepairable {
        /// The stream file.
        path: PathBuf,
        /// The line of the damage.
        line: usize,
        /// What is wrong there.
        problem: StreamProblem,
    },
    /// The journal of an import that did not finish is damaged (or from a
    /// newer pactlog): it is not acted on.
    #[error(
        "{}: the journal of an import that did not finish is damaged, or from a newer pactlog",
        path.display()
    )]
    Journal {
        /// The journal file.
        path: PathBuf,
    },
    /// An import that did not finish cannot be carried out to the end: a
    /// stream it writes to was changed since.
    #[error(
        "{}: an import that did not finish cannot be completed: {why}",
        path.display()
    )]
    JournalConflict {
        /// The stream file.
        path: PathBuf,
        /// What is not as the import left it.
        why: String,
    },
    /// An import passed its commit point, but writing it failed: the next
    /// command that records carries it out.
    #[error("the import is recorded, but not all of it is written yet: {source}")]
    ImportUnfinished {
        /// What failed.
        source: Box<Error>,
    },
    /// The store directory does not exist.
    #[error("no store at {}", dir.display())]
    NoStore {
        /// The directory that was looked for.
        dir: PathBuf,
    },
    /// The store path is there, but not a directory.
    #[error("the store {} is not a directory", dir.display())]
    NotADirectory {
        /// The store path.
        dir: PathBuf,
    },
    /// A stream's path in the store is a symbolic link, which pactlog does
    /// not follow: it could lead to a file outside the store.
    #[error("{} is a symbolic link", path.display())]
    LinkInStore {
        /// The stream's path.
        path: PathBuf,
    },
    /// A stream's path in the store is not a regular file (a FIFO, a
    /// device, a directory), which could block a reader.
    #[error("{} is not a regular file", path.display())]
    NotRegularFile {
        /// The stream's path.
        path: PathBuf,
    },
    /// A stream to repair has other names (hard links): cutting it would
    /// cut the file of each, and its torn line would be copied out of all.
    #[error("{} has {links} names (hard links): it is not repaired", path.display())]
    HardLinked {
        /// The stream file.
        path: PathBuf,
        /// How many names the file has.
        links: u64,
    },
    /// An import journal appeared while the store was locked, after the one
    /// there was carried out: something other than pactlog writes to the
    /// store.
    #[error(
        "{}: an import journal appeared while the store was locked",
        path.display()
    )]
    JournalAppeared {
        /// The journal file.
        path: PathBuf,
    },
    /// An event too long for a line that readers take.
    #[error(
        "the event would make a line of {len} bytes, and a line holds at most {} KiB",
        max / 1024
    )]
    LineTooLong {
        /// How long its line would be, in bytes.
        len: usize,
        /// The longest line, in bytes.
        max: usize,
    },
    /// New streams being staged were asked to add to a stream of a pact
    /// that was not begun among them.
    #[error("no stream of pact '{pact}' was begun to add to")]
    NotBegun {
        /// The pact.
        pact: String,
    },
    /// The store was created by another command while an import into it
    /// was checked, and holds a pact the import would create: nothing was
    /// imported.
    #[error(
        "the store {} was created by another command while this import was checked, \
         and it has pact '{pact}' already",
        dir.display()
    )]
    StoreCreatedMeanwhile {
        /// The store directory.
        dir: PathBuf,
        /// The pact both have.
        pact: String,
    },
    /// A stream an import adds to was changed while it was checked, by a
    /// writer that does not take the store's lock: nothing was imported.
    #[error(
        "{} changed during the import, written by something that does not take the store's lock",
        path.display()
    )]
    ChangedDuringImport {
        /// The stream file.
        path: PathBuf,
    },
    /// No pact has this id or alias.
    #[error("unknown pact '{query}'")]
    UnknownPact {
        /// What the user typed.
        query: String,
        /// The nearest id or alias, when one is close.
        suggestion: Option<String>,
        /// How many streams could not be read to look for it.
        unreadable: usize,
    },
    /// Not a pact id.
    #[error("invalid pact id '{input}': {reason}")]
    InvalidPactId {
        /// What the user typed.
        input: String,
        /// Why it is not an id.
        reason: &'static str,
    },
    /// Not a status of the vocabulary.
    #[error("unknown status '{input}'")]
    UnknownStatus {
        /// What the user typed.
        input: String,
        /// The nearest status, when one is close.
        suggestion: Option<Status>,
    },
    /// Not a date or time.
    #[error("invalid {what} '{input}': {reason}")]
    InvalidTime {
        /// "date" or "time".
        what: &'static str,
        /// What the user typed.
        input: String,
        /// Why it was refused.
        reason: String,
        /// The accepted forms.
        expected: &'static str,
    },
    /// A command recorded what it was asked to, but the output that says so
    /// could not be written (a full disk, say): run again, it would record
    /// it twice.
    #[error("{what} is recorded, but the output that says so could not be written: {output}")]
    Unreported {
        /// What was recorded: "the note", "the import".
        what: &'static str,
        /// Where to see it instead.
        hint: &'static str,
        /// Why the output could not be written.
        #[source]
        output: Box<Error>,
    },
    /// A value given on the command line is not acceptable, in a way only
    /// the command line checks (an option against another, an output file
    /// in the way of the store): made by `cli` alone, which words its
    /// message and hint. What the library refuses has a variant of its own.
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
        /// What to do about it.
        hint: Option<String>,
    },
    /// Options that cannot go together in a way the argument parser cannot
    /// see (they depend on a value): a usage error, as the parser's are.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do about it.
        hint: Option<String>,
    },
    /// The status would break the lifecycle.
    #[error("{0}")]
    Lifecycle(#[from] LifecycleError),
    /// A party's status would break the lifecycle of that party's
    /// timeline.
    #[error("for {party}: {source}")]
    PartyLifecycle {
        /// The party.
        party: String,
        /// What its timeline refuses.
        source: Box<LifecycleError>,
    },
    /// An edit of a pact's metadata that does not fit it.
    #[error("'{pact}': {why}")]
    EditRefused {
        /// The pact.
        pact: String,
        /// What does not fit.
        why: String,
    },
    /// A citation of an event it may not cite.
    #[error("'{pact}' has {why}")]
    CitationRefused {
        /// The pact.
        pact: String,
        /// What the event asked to be cited is: "no event ...", ...
        why: String,
    },
    /// A party that no pact of the store names.
    #[error("no pact has '{party}' as a party")]
    NoSuchParty {
        /// The party named.
        party: String,
    },
    /// A party named that is not one of the pact's.
    #[error("'{party}' is not a party to '{pact}'")]
    UnknownParty {
        /// The pact.
        pact: String,
        /// The party named.
        party: String,
        /// The pact's parties.
        parties: Vec<String>,
    },
    /// A CSV file to import is not as an import reads one: its header, the
    /// shape of a row, or a cell.
    #[error("{0}")]
    Csv(#[from] CsvProblem),
    /// A row or line to import is refused by what the store holds, or as
    /// the command that records its event would refuse it.
    #[error("{0}")]
    Import(#[from] ImportProblem),
    /// An event that cannot be retracted.
    #[error("{}", retraction_refused(pact, *target, why))]
    RetractionRefused {
        /// The pact.
        pact: String,
        /// The event asked to be retracted.
        target: uuid::Uuid,
        /// Why it cannot be.
        why: NotRetractable,
    },
    /// An event that cannot be amended as asked.
    #[error("{}", amend_refused(pact, *target, why))]
    AmendRefused {
        /// The pact.
        pact: String,
        /// The event asked to be amended.
        target: uuid::Uuid,
        /// Why it cannot be.
        why: NotAmendable,
    },
    /// A value typed into a field is not within its limits
    /// ([`crate::model::limits`]).
    #[error("{0}")]
    Field(#[from] FieldProblem),
    /// A pact with this id is already registered.
    #[error("pact '{id}' is already registered")]
    AlreadyRegistered {
        /// The id.
        id: String,
    },
    /// An alias (or id) is already taken by another pact, or claimed by
    /// several.
    #[error("'{name}' is already a name of {}", owned_by(owners))]
    NameTaken {
        /// The alias or id asked for.
        name: String,
        /// The pacts it belongs to: one, but for an alias that registrations
        /// made apart both claim.
        owners: Vec<String>,
    },
    /// An alias that more than one pact claims, as two registrations made
    /// apart can.
    #[error("'{name}' is an alias of more than one pact: {}", pacts.join(", "))]
    AmbiguousName {
        /// The alias as given.
        name: String,
        /// The pacts that claim it.
        pacts: Vec<String>,
    },
    /// `--expect-seq` did not match the stream's last seq.
    #[error("conflict: expected the last seq of '{pact}' to be {expected}, but it is {actual}")]
    Conflict {
        /// The pact.
        pact: String,
        /// What the caller expected.
        expected: u64,
        /// What the stream holds.
        actual: u64,
    },
    /// Some of several streams could not be read or verified; each was
    /// reported as it was met.
    #[error("{count} {} failed", if *count == 1 { "stream" } else { "streams" })]
    StreamsFailed {
        /// How many.
        count: usize,
    },
    /// `verify` found cache entries, authenticated under the user's key,
    /// that say something else than their streams; it rebuilt the cache.
    #[error(
        "the cache disagreed with {count} {}; answers now come from the streams",
        if *count == 1 { "stream" } else { "streams" }
    )]
    CacheDisagreed {
        /// With how many streams.
        count: usize,
    },
    /// A file a git merge gave the merge driver is not one it can merge:
    /// not a stream, a stream of another pact, or one that does not hold
    /// what the merge base holds.
    #[error("{side} ({}) {why}", path.display())]
    Unmergeable {
        /// Which of the three files it is.
        side: MergeSide,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: Unmergeable,
    },
    /// The two branches of a git merge recorded events that cannot stand
    /// together in one stream: the merge leaves ours as it was.
    #[error("merge conflict in '{pact}': {clash}")]
    MergeConflict {
        /// The pact.
        pact: String,
        /// The events in the way.
        clash: Box<Clash>,
    },
    /// The store is to be set up for git, but it is not in a git
    /// repository.
    #[error("{} is not in a git repository", dir.display())]
    NotInRepository {
        /// The store directory.
        dir: PathBuf,
    },
    /// git could not be run, or failed.
    #[error("{message}")]
    Git {
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// What `error` refuses in the timeline of `party`, or of the pact as
    /// a whole (none).
    pub(crate) fn in_timeline(party: Option<&str>, error: LifecycleError) -> Error {
        match party {
            None => Error::Lifecycle(error),
            Some(party) => Error::PartyLifecycle {
                party: party.to_owned(),
                source: Box::new(error),
            },
        }
    }

    /// Whether this error is stdout having been closed by its reader
    /// (`pactlog log x | head`), which is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    /// Wraps an I/O error with the action and path it came from.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

impl From<UnknownStatus> for Error {
    fn from(e: UnknownStatus) -> Error {
        Error::UnknownStatus {
            input: e.input,
            suggestion: e.suggestion,
        }
    }
}

/// What became of the part written by a write that failed part-way.
#[derive(Debug)]
pub enum Rollback {
    /// It was cut off, and the cut synced (or, written to a file of its
    /// own beside the stream, that file was removed): the stream is as it
    /// was.
    Done,
    /// It was in a new file, which is removed: nothing was recorded.
    Removed,
    /// Cutting it off failed too: the stream may end in a torn line.
    Failed(io::Error),
}

impl fmt::Display for Rollback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rollback::Done => write!(f, "the stream is as it was"),
            Rollback::Removed => write!(f, "nothing was recorded"),
            Rollback::Failed(e) => write!(
                f,
                "cutting off the part written failed too ({e}), so the stream may end in a torn \
                 line"
            ),
        }
    }
}

/// Why a write failed, in words: the common causes said plainly.
fn write_failure(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::FileTooLarge => "file too large (past the file-size limit)".into(),
        io::ErrorKind::StorageFull => "no space left on the device".into(),
        io::ErrorKind::QuotaExceeded => "the disk quota is used up".into(),
        _ => e.to_string(),
    }
}

/// The path an error writing command output names.
pub(crate) const STDOUT: &str = "<stdout>";

impl From<io::Error> for Error {
    /// Only for writing command output: stdout has no path of its own.
    fn from(source: io::Error) -> Self {
        Error::Io {
            action: "write",
            path: PathBuf::from(STDOUT),
            source,
        }
    }
}

/// What is wrong at one line of a stream file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamProblem {
    /// The line is not a valid event.
    Malformed(String),
    /// The last line was cut short: a write was interrupted.
    TornTail {
        /// Why the line counts as torn.
        why: &'static str,
    },
    /// The line's format version is newer than this program.
    FutureVersion {
        /// The version found.
        found: u64,
    },
    /// The seq does not follow the previous line's.
    SeqGap {
        /// The seq that should be here.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// The hash link does not match the previous line.
    ChainBroken,
    /// The first line is not the pact's registration.
    NotRegistered,
    /// A registration after the first line.
    RegisteredAgain,
    /// The event belongs to another pact.
    WrongPact {
        /// The pact the file is named for.
        expected: String,
        /// The pact the line names.
        found: String,
    },
    /// The recorded time is earlier than a line before, and the line is
    /// not one a merge re-linked.
    RecordedBackwards,
    /// Two events share an id.
    DuplicateId,
    /// A line longer than any pactlog writes.
    LineTooLong,
    /// The line's CRC does not match its bytes.
    ChecksumMismatch,
    /// The line ends in CR LF: its line ending was converted.
    CarriageReturn,
    /// The line is a marker git leaves where it could not merge two
    /// branches: both appended to the stream.
    MergeConflict,
    /// A retraction that does not withdraw an earlier, retractable event.
    BadRetraction(&'static str),
    /// A citation whose target is not an earlier status or note of the
    /// stream.
    BadCitation(&'static str),
    /// An amended copy whose target is not an earlier, retracted status or
    /// note of its kind, or that another copy amends too.
    BadAmendment(&'static str),
    /// A status follows one the lifecycle does not allow it after, and
    /// neither was recorded with `--force`.
    BreaksLifecycle {
        /// The status before (none: it is the first).
        from: Option<Status>,
        /// The status that may not follow it.
        to: Status,
    },
}

impl fmt::Display for StreamProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamProblem::Malformed(why) => write!(f, "malformed event: {why}"),
            StreamProblem::TornTail { why } => {
                write!(f, "the last line is torn ({why}): a write was interrupted")?;
                if why.contains("parse") {
                    write!(f, ", or the line was damaged")?;
                }
                Ok(())
            }
            StreamProblem::FutureVersion { found } => write!(
                f,
                "format version {found} is newer than this pactlog understands (version {})",
                FORMAT_VERSION
            ),
            StreamProblem::SeqGap { expected, found } => {
                write!(
                    f,
                    "seq {found} where {expected} was expected (a line is missing or out of place)"
                )
            }
            StreamProblem::ChainBroken => write!(
                f,
                "hash chain broken: 'prev' does not match the line before (it was changed, or a line was inserted or removed)"
            ),
            StreamProblem::NotRegistered => {
                write!(f, "the first event of a stream must be its registration")
            }
            StreamProblem::RegisteredAgain => write!(f, "a second registration in the same stream"),
            StreamProblem::WrongPact { expected, found } => write!(
                f,
                "the event belongs to pact '{found}', not '{expected}' as the file name says"
            ),
            StreamProblem::RecordedBackwards => write!(
                f,
                "recorded time is earlier than a line before, and the line is not one a merge \
                 re-linked"
            ),
            StreamProblem::DuplicateId => write!(f, "event id already used earlier in the stream"),
            StreamProblem::BadRetraction(why) => write!(f, "invalid retraction: {why}"),
            StreamProblem::BadCitation(why) => write!(f, "invalid citation: {why}"),
            StreamProblem::BadAmendment(why) => write!(f, "invalid amendment: {why}"),
            StreamProblem::ChecksumMismatch => write!(
                f,
                "checksum mismatch: the line was changed after it was written"
            ),
            StreamProblem::CarriageReturn => write!(
                f,
                "the line ends in CR LF, where pactlog writes LF alone: \
                 the file's line endings were converted"
            ),
            StreamProblem::MergeConflict => write!(
                f,
                "a git merge conflict: two branches appended to the stream, and git left \
                 both sides' lines in it between its markers"
            ),
            StreamProblem::LineTooLong => write!(
                f,
                "line longer than {} KiB: not written by pactlog, refused unread",
                MAX_LINE / 1024
            ),
            StreamProblem::BreaksLifecycle { from, to } => match from {
                Some(from) => write!(f, "{to} may not follow {from}, and neither was forced"),
                None => write!(f, "a pact may not start as {to}, and it was not forced"),
            },
        }
    }
}

/// What is wrong with a value typed into a field, or with how many of a
/// label are given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldProblem {
    /// The value is empty, or only spaces.
    #[error("{field} is empty")]
    Empty {
        /// The field: "name", "note", ...
        field: String,
    },
    /// The value is longer than the field takes.
    #[error("{field} is {len} characters long; at most {max} are allowed")]
    TooLong {
        /// The field.
        field: String,
        /// How many characters the value has, spaces around it left out.
        len: usize,
        /// How many the field takes.
        max: usize,
    },
    /// More labels are given than a pact may have.
    #[error("{count} {field} are given; at most {max} are allowed")]
    TooMany {
        /// The labels, in the plural: "aliases", "parties".
        field: String,
        /// How many are given.
        count: usize,
        /// How many are allowed.
        max: usize,
    },
    /// A label holds a control character or a line break.
    #[error("{field} '{}' contains a control character or line break", value.escape_debug())]
    ControlCharacter {
        /// The field: "alias", "party" or "kind".
        field: String,
        /// The label.
        value: String,
    },
    /// A URL that is not an `http` or `https` address without spaces.
    #[error("url '{}' is not a web address", value.escape_debug())]
    NotAWebAddress {
        /// The URL.
        value: String,
    },
    /// The same label given twice, compared case-insensitively.
    #[error("{field} '{value}' is given twice")]
    GivenTwice {
        /// The field: "alias".
        field: String,
        /// The label, as given the second time.
        value: String,
    },
}

/// What is wrong with a CSV file to import, before what it says is
/// checked against the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvProblem {
    /// The header names a column twice (compared in any case, without the
    /// spaces around it).
    #[error("the header names the column '{column}' twice")]
    DuplicateColumn {
        /// The column, lowercased.
        column: String,
    },
    /// The header names a column an import does not read.
    #[error("unknown column '{column}'")]
    UnknownColumn {
        /// The column, lowercased.
        column: String,
    },
    /// The header lacks a column every row needs.
    #[error("the header has no '{column}' column")]
    MissingColumn {
        /// The column: "pact" or "on".
        column: &'static str,
    },
    /// A row has another number of cells than the header.
    #[error(
        "the row has {found} {} where the header has {expected}",
        if *found == 1 { "field" } else { "fields" }
    )]
    FieldCount {
        /// How many the header has.
        expected: u64,
        /// How many the row has.
        found: u64,
    },
    /// A quoted cell that runs on to the end of the file.
    #[error("a quote opened on this row is not closed by the end of the file")]
    UnclosedQuote,
    /// The CSV reader could not read the row.
    #[error("{why}")]
    Unreadable {
        /// What the reader says.
        why: String,
    },
    /// A row whose bytes are not UTF-8 text.
    #[error("the row is not valid UTF-8")]
    NotUtf8,
    /// A row longer than its cells can hold, not read further.
    #[error(
        "the row is longer than {} KiB, more than its cells can hold; it was not read further",
        max / 1024
    )]
    RowTooLong {
        /// The longest row read, in bytes.
        max: u64,
    },
    /// A yes/no cell holds something else.
    #[error("'{column}' is '{}', not yes or no", value.to_lowercase())]
    NotABool {
        /// The column: "reported" or "forced".
        column: &'static str,
        /// The cell, without the spaces around it.
        value: String,
    },
    /// The event cell holds something other than an event id.
    #[error("'event' is '{}', not an event id", value.escape_debug())]
    NotAnEventId {
        /// The cell.
        value: String,
    },
    /// The kind cell holds something other than a kind of row.
    #[error("'kind' is '{}', not status or note", value.escape_debug())]
    UnknownKind {
        /// The cell, lowercased.
        value: String,
    },
    /// A cell a row of its kind needs is empty.
    #[error("the '{column}' cell is empty, and a {kind} row needs it")]
    MissingCell {
        /// The row's kind: "status" or "note".
        kind: &'static str,
        /// The empty cell's column.
        column: &'static str,
    },
    /// A note row gives a cell only a status has.
    #[error("a note has no '{column}': leave the cell empty, or make the row a status")]
    NotForANote {
        /// The column: "status", "reported" or "forced".
        column: &'static str,
    },
    /// A list cell has an empty item.
    #[error(
        "'{column}' is '{}', which has an empty item (items are separated by ';')",
        value.escape_debug()
    )]
    EmptyItem {
        /// The column.
        column: &'static str,
        /// The cell.
        value: String,
    },
}

/// Why a row or a line to import is refused: by what the store holds (or
/// the rows above it), or as the command that records its event would
/// refuse it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportProblem {
    /// A row names a pact the store does not have, and the import does
    /// not create pacts.
    #[error("unknown pact '{query}'")]
    UnknownPact {
        /// The pact cell.
        query: String,
        /// The nearest id or alias, when one is close.
        suggestion: Option<String>,
    },
    /// A row's name is not the name its pact was registered with.
    #[error(
        "the row names '{pact}' \"{}\", but its name is \"{}\"",
        given.escape_debug(),
        registered.escape_debug()
    )]
    NameDiffers {
        /// The pact.
        pact: String,
        /// The row's name.
        given: String,
        /// The pact's name.
        registered: String,
    },
    /// A row gives a part of its pact's metadata otherwise than a row
    /// before it in the sheet.
    #[error(
        "the row gives '{pact}' {column} \"{}\", but line {line} gives \"{}\"",
        given.escape_debug(),
        before.escape_debug()
    )]
    MetadataDisagrees {
        /// The pact.
        pact: String,
        /// The column: "name", "aliases", "parties", "pact_kind" or
        /// "description".
        column: &'static str,
        /// The row's cell, as written.
        given: String,
        /// The line of the row that gave it first.
        line: u64,
        /// What that row gave.
        before: String,
    },
    /// A row gives a part of its pact's metadata otherwise than the store
    /// holds it.
    #[error(
        "the row gives '{pact}' {column} \"{}\", but the pact's are \"{}\"",
        given.escape_debug(),
        recorded.escape_debug()
    )]
    RecordedDiffers {
        /// The pact.
        pact: String,
        /// The column: "aliases", "parties", "pact_kind" or "description".
        column: &'static str,
        /// The row's cell, as written.
        given: String,
        /// What the store holds, as a sheet writes it.
        recorded: String,
    },
    /// A row says it is an event of its pact that is not a status or a
    /// note.
    #[error("the row is event {event} of '{pact}', which is not a status or a note")]
    NotAStatusEvent {
        /// The pact.
        pact: String,
        /// The event the row names.
        event: uuid::Uuid,
    },
    /// A row says it is an event recorded already, but a column says
    /// something else than the event.
    #[error(
        "the row is event {event}, recorded already, but its {column} is '{given}' where \
         the event's is '{recorded}'"
    )]
    EventDiffers {
        /// The event the row names.
        event: uuid::Uuid,
        /// The first column that differs.
        column: &'static str,
        /// The event's value, as a sheet writes it.
        recorded: String,
        /// The row's value.
        given: String,
    },
    /// A row's status is refused where it would fall, and the pact has
    /// that status on that date already: the sheet was imported before,
    /// or a row above gives it too.
    #[error("{}", held_already(refused, pact, *status, *on, *in_store))]
    HeldAlready {
        /// Why the lifecycle refuses the row.
        refused: Box<LifecycleError>,
        /// The pact.
        pact: String,
        /// The row's status.
        status: Status,
        /// The row's date.
        on: EffectiveDate,
        /// Whether the store held it before the import (else a row above
        /// gives it).
        in_store: bool,
    },
    /// A stream the store holds and the file's stream of the same pact
    /// have parted: neither begins with the other.
    #[error(
        "pact '{pact}' has a stream in the store that the file's neither begins with nor is \
         the beginning of: the two have parted"
    )]
    Parted {
        /// The pact.
        pact: String,
    },
    /// A line recorded at a time still to come: every later event of its
    /// pact would be stamped with that time.
    #[error(
        "the line was recorded at {}, which is still to come (it is {} now)",
        shown(recorded),
        shown(now)
    )]
    RecordedAhead {
        /// When the line says it was recorded.
        recorded: DateTime<Utc>,
        /// The time of the import.
        now: DateTime<Utc>,
    },
    /// A line of the file is damaged or not in the format of a stream.
    #[error("{0}")]
    Line(StreamProblem),
    /// A line's event breaks the lifecycle where it falls, which no
    /// command records without its line saying it was forced, or is a
    /// retraction that none records.
    #[error("{0}")]
    BreaksLifecycle(LifecycleError),
    /// A line's event breaks the lifecycle of a party's timeline where it
    /// falls, as [`ImportProblem::BreaksLifecycle`] does the pact's.
    #[error("for {party}: {source}")]
    PartyBreaksLifecycle {
        /// The party.
        party: String,
        /// What its timeline refuses.
        source: Box<LifecycleError>,
    },
    /// A registration whose name, an alias, a party or a text has spaces
    /// around it, which no command records.
    #[error(
        "the registration of '{pact}' has a name, alias, party or text with spaces around \
         it, which pactlog trims when it records one"
    )]
    UntrimmedRegistration {
        /// The pact.
        pact: String,
    },
    /// A value of an event with spaces around it, which no command records.
    #[error(
        "{field} '{}' has spaces around it, which pactlog trims when it records one",
        value.escape_debug()
    )]
    Untrimmed {
        /// The field: "source", "note", ...
        field: String,
        /// The value.
        value: String,
    },
}

/// What [`ImportProblem::HeldAlready`] says.
fn held_already(
    refused: &LifecycleError,
    pact: &str,
    status: Status,
    on: EffectiveDate,
    in_store: bool,
) -> String {
    let refused = match refused {
        LifecycleError::Repeat { .. } => refused.to_string(),
        _ => format!("{refused}; and '{pact}' has {status} on {on} already"),
    };
    let question = if in_store {
        "was the row imported before?"
    } else {
        "another row gives it too"
    };
    format!("{refused}: {question}")
}

/// How many of a file's bad rows are shown, when not all are.
fn shown_of(shown: usize, more: usize) -> String {
    if more == 0 {
        String::new()
    } else {
        format!(" (the first {shown} shown)")
    }
}

/// A recorded time as events and `model::time::shown` write it.
fn shown(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Why an event cannot be retracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRetractable {
    /// The stream has no event with that id.
    NoSuchEvent,
    /// It is the pact's registration.
    Registration,
    /// It is itself a retraction.
    Retraction,
    /// It is an edit of the pact's metadata, which another edit changes.
    Edit,
    /// A retraction withdrew it already.
    AlreadyRetracted {
        /// That retraction's id.
        by: uuid::Uuid,
        /// Its seq.
        seq: u64,
        /// Its reason.
        reason: String,
    },
}

/// What [`Error::RetractionRefused`] says.
fn retraction_refused(pact: &str, target: uuid::Uuid, why: &NotRetractable) -> String {
    match why {
        NotRetractable::NoSuchEvent => format!("'{pact}' has no event {target}"),
        NotRetractable::Registration => {
            format!("event {target} is the registration of '{pact}', which cannot be retracted")
        }
        NotRetractable::Retraction => {
            format!("event {target} is itself a retraction, which cannot be retracted")
        }
        NotRetractable::Edit => {
            format!("event {target} is an edit of '{pact}', which cannot be retracted")
        }
        NotRetractable::AlreadyRetracted { by, seq, reason } => {
            format!("event {target} is already retracted, by event {by} (seq {seq}): {reason}")
        }
    }
}

/// Why an event cannot be amended as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAmendable {
    /// The stream has no event with that id.
    NoSuchEvent,
    /// It is the pact's registration.
    Registration,
    /// It is a retraction.
    Retraction,
    /// It is a citation.
    Citation,
    /// It is an edit of the pact's metadata.
    Edit,
    /// A retraction withdrew it already.
    AlreadyRetracted {
        /// That retraction's id.
        by: uuid::Uuid,
        /// Its seq.
        seq: u64,
        /// Its reason.
        reason: String,
    },
    /// It is a note, which has no such field: "status", "reported mark",
    /// "lifecycle to force".
    NotOfANote(&'static str),
    /// The corrected copy would be the event itself: every field the same.
    NoChange,
    /// A status or note that names the event it amends, but is not recorded
    /// with that event's retraction, as one amendment.
    Unpaired,
}

/// What [`Error::AmendRefused`] says.
fn amend_refused(pact: &str, target: uuid::Uuid, why: &NotAmendable) -> String {
    let not_amendable = |what: &str| {
        format!(
            "event {target} is {what} '{pact}', which cannot be amended: only a status or a note \
             can"
        )
    };
    match why {
        NotAmendable::NoSuchEvent => format!("'{pact}' has no event {target}"),
        NotAmendable::Registration => not_amendable("the registration of"),
        NotAmendable::Retraction => not_amendable("a retraction in"),
        NotAmendable::Citation => not_amendable("a citation in"),
        NotAmendable::Edit => not_amendable("an edit of"),
        NotAmendable::AlreadyRetracted { by, seq, reason } => {
            format!("event {target} is already retracted, by event {by} (seq {seq}): {reason}")
        }
        NotAmendable::NotOfANote(field) => {
            format!("event {target} is a note, which has no {field}")
        }
        NotAmendable::NoChange => format!(
            "the amendment of event {target} changes nothing: every field is the event's already"
        ),
        NotAmendable::Unpaired => format!(
            "a status or note that amends event {target} is recorded only together with the \
             retraction of that event, as one amendment"
        ),
    }
}

/// Why a status may not be recorded where it would fall in the timeline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The status is already the one in force on that date.
    #[error("'{pact}' is already {status} on {on} (since {since})")]
    Repeat {
        /// The pact.
        pact: String,
        /// The status.
        status: Status,
        /// The date asked for.
        on: EffectiveDate,
        /// When that status took effect.
        since: EffectiveDate,
    },
    /// The status may not follow the one before it.
    #[error("'{pact}' cannot go from {} to {to} on {on}", from_words(*from, *since))]
    NotAllowed {
        /// The pact.
        pact: String,
        /// The status before (none: nothing recorded yet).
        from: Option<Status>,
        /// Since when that status was in force.
        since: Option<EffectiveDate>,
        /// The new status.
        to: Status,
        /// Its effective date.
        on: EffectiveDate,
    },
    /// A backfilled status equals the status recorded after it.
    #[error(
        "'{pact}' cannot have {status} on {on}: the next recorded status is {status} too, on {next_on}"
    )]
    RepeatsNext {
        /// The pact.
        pact: String,
        /// The status.
        status: Status,
        /// The date asked for.
        on: EffectiveDate,
        /// The next status's date.
        next_on: EffectiveDate,
    },
    /// Retracting an event would leave two neighbours the lifecycle does not
    /// allow together.
    #[error("retracting event {target} would leave {after} right after {}", before.as_deref().unwrap_or("nothing"))]
    RetractionBreaks {
        /// The pact.
        pact: String,
        /// The event to retract.
        target: uuid::Uuid,
        /// The status before it, described.
        before: Option<String>,
        /// The status after it, described.
        after: String,
    },
    /// A backfilled status would break the transition to the status after it.
    #[error(
        "'{pact}' cannot have {status} on {on}: the next recorded status, {next} on {next_on}, may not follow it"
    )]
    BreaksNext {
        /// The pact.
        pact: String,
        /// The new status.
        status: Status,
        /// Its effective date.
        on: EffectiveDate,
        /// The status recorded after it.
        next: Status,
        /// That status's effective date.
        next_on: EffectiveDate,
    },
}

/// "pact 'a'", or "pacts 'a' and 'b'".
fn owned_by(owners: &[String]) -> String {
    let quoted: Vec<String> = owners.iter().map(|o| format!("'{o}'")).collect();
    match quoted.as_slice() {
        [one] => format!("pact {one}"),
        [rest @ .., last] => format!("pacts {} and {last}", rest.join(", ")),
        [] => "another pact".into(),
    }
}

fn from_words(from: Option<Status>, since: Option<EffectiveDate>) -> String {
    match (from, since) {
        (Some(s), Some(d)) => format!("{s} (since {d})"),
        (Some(s), None) => s.to_string(),
        (None, _) => "no status yet".into(),
    }
}

/// One of the three files a git merge gives the merge driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeSide {
    /// The stream as the two branches last had it in common.
    Base,
    /// The stream as this branch has it, which the merge is written to.
    Ours,
    /// The stream as the branch merged in has it.
    Theirs,
}

impl fmt::Display for MergeSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            MergeSide::Base => "the merge base",
            MergeSide::Ours => "ours",
            MergeSide::Theirs => "theirs",
        })
    }
}

/// Why a file given to the merge driver cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmergeable {
    /// It is not a stream that reads whole: damaged, torn, or not a stream
    /// at all.
    NotAStream {
        /// Its 1-based line where the problem is.
        line: usize,
        /// What is wrong there.
        problem: StreamProblem,
    },
    /// It is empty: only the merge base may be, for a stream both branches
    /// began.
    Empty,
    /// Its name is not that of a stream (`PACT.jsonl`).
    NotAStreamName,
    /// It is a stream of another pact than the others.
    OtherPact {
        /// The pact it is of.
        found: String,
        /// The pact the others are of.
        expected: String,
    },
    /// It no longer holds an event of the merge base, or holds it changed:
    /// the base is not where it began, so lines were changed or removed.
    LacksBase {
        /// The event of the base.
        event: uuid::Uuid,
        /// Its line in the base.
        line: usize,
        /// Whether it holds the event, changed.
        changed: bool,
    },
    /// It holds an event ours holds too, but says something else of it.
    Differs {
        /// The event.
        event: uuid::Uuid,
    },
}

impl fmt::Display for Unmergeable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unmergeable::NotAStream { line, problem } => {
                write!(
                    f,
                    "is not a stream pactlog can merge: line {line}: {problem}"
                )
            }
            Unmergeable::Empty => write!(f, "is empty: there is no stream to merge"),
            Unmergeable::NotAStreamName => write!(
                f,
                "is not a pactlog stream: a stream is named for its pact, PACT.jsonl"
            ),
            Unmergeable::OtherPact { found, expected } => write!(
                f,
                "is a stream of '{found}', where '{expected}' was to be merged"
            ),
            Unmergeable::LacksBase {
                event,
                line,
                changed: false,
            } => write!(
                f,
                "does not hold event {event} (line {line} of the merge base): the base is not \
                 where its stream began, so a line was changed or removed"
            ),
            Unmergeable::LacksBase {
                event,
                line,
                changed: true,
            } => write!(
                f,
                "holds event {event} (line {line} of the merge base) changed: the base is not \
                 where its stream began"
            ),
            Unmergeable::Differs { event } => write!(
                f,
                "holds event {event}, which ours holds too, changed: one of them was edited"
            ),
        }
    }
}

/// Which branch of a merge an event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    /// This branch: ours.
    Ours,
    /// The branch merged in: theirs.
    Theirs,
    /// Both: it was there before they parted, or each brought it in.
    Both,
}

/// An event named in a merge conflict: what it records, its id and the
/// branch it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// What it records, in words: "terminated on 2020-01-01", "a note on
    /// 2019-08-22", "the retraction of ...".
    pub what: String,
    /// Its id.
    pub id: uuid::Uuid,
    /// The branch it comes from.
    pub branch: Branch,
}

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let branch = match self.branch {
            Branch::Ours => "ours",
            Branch::Theirs => "theirs",
            Branch::Both => "on both branches",
        };
        write!(f, "{} (event {}, {branch})", self.what, self.id)
    }
}

/// Two events of the branches of a merge that cannot stand together in
/// one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clash {
    /// On the merged timeline (the pact's, or a party's), a status may not
    /// follow the one before it: it repeats it, or the lifecycle does not
    /// allow it and neither was forced.
    Lifecycle {
        /// The party whose timeline it is; none for the pact's.
        party: Option<String>,
        /// The status before (none: it would be the first).
        before: Option<Said>,
        /// The status that may not follow it.
        after: Said,
        /// Whether it repeats the status before.
        repeat: bool,
        /// A status that stood between them on a branch, and that the other
        /// withdrew.
        withdrawn: Option<Said>,
    },
    /// Both branches registered the pact, with other metadata.
    Registrations {
        /// Ours.
        ours: Said,
        /// Theirs.
        theirs: Said,
    },
    /// Both branches withdrew one event (each by a retraction or an
    /// amendment).
    Withdrawn {
        /// The event.
        target: uuid::Uuid,
        /// Ours.
        ours: Said,
        /// Theirs.
        theirs: Said,
    },
    /// One branch cites an event the other withdrew.
    CitesWithdrawn {
        /// The citation.
        citation: Said,
        /// The retraction.
        retraction: Said,
    },
    /// Both branches changed one part of the pact's metadata.
    Edits {
        /// The part: "name", "kind", "the alias 'X'", ...
        part: String,
        /// Ours.
        ours: Said,
        /// Theirs.
        theirs: Said,
    },
    /// A status or note of one branch names a party that an edit of the
    /// other took away.
    PartyRemoved {
        /// The party.
        party: String,
        /// The status or note.
        event: Said,
        /// The edit.
        edit: Said,
    },
    /// An alias a branch gives the pact is a name of another pact in the
    /// store.
    AliasTaken {
        /// The alias.
        alias: String,
        /// The registration or edit that gives it.
        event: Said,
        /// The pact it names.
        owner: String,
    },
    /// An event of theirs cannot follow ours in one stream.
    Line {
        /// The event.
        event: Said,
        /// Why.
        problem: StreamProblem,
    },
}

impl fmt::Display for Clash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clash::Lifecycle {
                party,
                before,
                after,
                repeat,
                withdrawn,
            } => {
                let timeline = match party {
                    Some(party) => format!("the merged timeline of {party}"),
                    None => "the merged timeline".to_owned(),
                };
                match (before, repeat) {
                    (Some(before), true) => write!(f, "on {timeline}, {after} repeats {before}")?,
                    (Some(before), false) => {
                        write!(f, "on {timeline}, {after} may not follow {before}")?
                    }
                    (None, _) => write!(f, "on {timeline}, {after} may not come first")?,
                }
                if let Some(withdrawn) = withdrawn {
                    write!(f, "; {withdrawn} stood between them, and was withdrawn")?;
                }
                Ok(())
            }
            Clash::Registrations { ours, theirs } => write!(
                f,
                "both branches registered it, with other metadata: {ours}, and {theirs}"
            ),
            Clash::Withdrawn {
                target,
                ours,
                theirs,
            } => write!(
                f,
                "both branches withdrew event {target}: {ours}, and {theirs}"
            ),
            Clash::CitesWithdrawn {
                citation,
                retraction,
            } => write!(f, "{citation} cites the event that {retraction} withdrew"),
            Clash::Edits { part, ours, theirs } => {
                write!(f, "both branches changed its {part}: {ours}, and {theirs}")
            }
            Clash::PartyRemoved { party, event, edit } => write!(
                f,
                "{event} is about '{party}', whom {edit} took away as a party"
            ),
            Clash::AliasTaken {
                alias,
                event,
                owner,
            } => write!(
                f,
                "{event} gives it the alias '{alias}', which names '{owner}' in the store"
            ),
            Clash::Line { event, problem } => write!(f, "{event} cannot follow ours: {problem}"),
        }
    }
}
