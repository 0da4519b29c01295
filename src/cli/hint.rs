//! What to do next after an error: the hints the command line prints
//! under it, in its own words (its commands and flags), which the
//! library's errors do not carry.

use std::io;

use crate::model::error::{
    Clash, CsvProblem, Error, FieldProblem, ImportProblem, LifecycleError, NotAmendable,
    NotRetractable, Rollback, StreamProblem, Unmergeable,
};
use crate::model::status::{Status, list_words};

/// What to do next after `error`, when that is known.
pub fn hint(error: &Error) -> Option<String> {
    match error {
        Error::Stream {
            path,
            problem: StreamProblem::TornTail { .. },
            ..
        } => {
            let pact = path.file_stem().map(|s| s.to_string_lossy());
            Some(format!(
                "the lines before it are intact: `pactlog repair {}` moves the torn line \
                 into a file beside the stream",
                pact.as_deref().unwrap_or("PACT")
            ))
        }
        Error::Stream {
            path,
            problem: StreamProblem::CarriageReturn,
            ..
        } => Some(crlf_hint(&path.display().to_string())),
        Error::Stream {
            path,
            problem: StreamProblem::MergeConflict,
            ..
        } => Some(merge_hint(&path.display().to_string())),
        Error::Stream { problem, .. } => stream_hint(problem),
        Error::Row { source, .. } => row_hint(source),
        Error::Journal { .. } | Error::JournalConflict { .. } => Some(format!(
            "nothing more is recorded until a person looks: the journal ({}) holds the lines \
             the import was adding to existing streams and names the hidden files its new \
             streams are staged in (keep those); `pactlog errata --since TIME` shows what \
             reached the record; once the streams are as they should be, move the journal aside",
            crate::model::format::JOURNAL
        )),
        Error::WriteFailed {
            path,
            rollback: Rollback::Failed(_),
            ..
        } => {
            let pact = path.file_stem().map(|s| s.to_string_lossy());
            Some(format!(
                "once the cause is mended, `pactlog repair {}` moves a torn last line into \
                 a file beside the stream",
                pact.as_deref().unwrap_or("PACT")
            ))
        }
        Error::WriteFailed { source, .. } => Some(
            match source.kind() {
                io::ErrorKind::FileTooLarge => {
                    "the file would pass the file-size limit (`ulimit -f`): raise the limit, \
                     then run the command again"
                }
                io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                    "free some space on the disk, then run the command again"
                }
                _ => "mend the cause, then run the command again",
            }
            .into(),
        ),
        Error::ImportUnfinished { .. } => Some(format!(
            "its journal ({}) and the hidden files it names hold the rest; the next command \
             that records (`pactlog repair PACT`, say) writes what is missing, once the cause \
             is mended; do not delete those files",
            crate::model::format::JOURNAL
        )),
        Error::NotRepairable { .. } => Some(
            "repair only moves a torn last line aside; this damage needs a person: \
             compare the file with its history in git (git log -p)"
                .into(),
        ),
        Error::NotADirectory { .. } => {
            Some("point --dir (or PACTLOG_DIR) at the store directory".into())
        }
        Error::LinkInStore { .. } => Some(
            "pactlog does not follow links in the store; put the stream file itself there".into(),
        ),
        Error::NotRegularFile { .. } => Some(
            "a stream is a plain file; move whatever has this name (a FIFO, a device, \
             a directory) out of the store"
                .into(),
        ),
        Error::HardLinked { .. } => Some(
            "a stream is a file of its own; find the file's other names \
             (`find / -samefile` it) before doing anything with it"
                .into(),
        ),
        Error::JournalAppeared { .. } => Some(
            "something other than pactlog is writing to the store; \
             stop it, then look at the journal"
                .into(),
        ),
        Error::StoreCreatedMeanwhile { .. } => {
            Some("nothing was imported: import again into the store as it is now".into())
        }
        Error::ChangedDuringImport { .. } => {
            Some("nothing was imported; run the import again".into())
        }
        Error::NoStore { .. } => Some(
            "register a pact to create it, or point --dir (or PACTLOG_DIR) at a store".into(),
        ),
        Error::UnknownPact {
            suggestion,
            unreadable,
            ..
        } => {
            let mut hint = match suggestion {
                Some(s) => format!("did you mean '{s}'? (`pactlog list` shows every pact)"),
                None => "`pactlog list` shows every pact".into(),
            };
            if *unreadable > 0 {
                hint.push_str(&format!(
                    "; {unreadable} damaged {} could not be searched: run `pactlog verify`",
                    if *unreadable == 1 {
                        "stream"
                    } else {
                        "streams"
                    }
                ));
            }
            Some(hint)
        }
        Error::InvalidPactId { .. } => Some(
            "a pact id is 1 to 64 lowercase letters, digits and inner dashes, e.g. 'gsomia'"
                .into(),
        ),
        Error::UnknownStatus { suggestion, .. } => {
            let all = list_words(&Status::ALL);
            Some(match suggestion {
                Some(s) => format!("did you mean '{s}'? statuses: {all}"),
                None => format!("statuses: {all}"),
            })
        }
        Error::InvalidTime { expected, .. } => Some(format!("expected {expected}")),
        Error::RetractionRefused {
            pact,
            why: NotRetractable::NoSuchEvent,
            ..
        } => Some(format!(
            "`pactlog log {pact}` lists its events with their ids"
        )),
        Error::RetractionRefused {
            why: NotRetractable::Retraction,
            ..
        } => Some("record what really happened as a new event instead".into()),
        Error::AmendRefused { pact, why, .. } => amend_hint(pact, why),
        Error::Csv(CsvProblem::UnknownColumn { .. }) => Some(format!(
            "the columns are: {}",
            crate::transfer::import::CSV_COLUMNS.join(", ")
        )),
        Error::Csv(CsvProblem::MissingColumn { .. }) => Some(format!(
            "the first row names the columns: pact and on, and any of the others ({})",
            crate::transfer::import::CSV_COLUMNS[1..]
                .iter()
                .filter(|c| **c != "on")
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Error::Csv(CsvProblem::UnclosedQuote) => Some(
            "a cell that begins with \" ends with \" (a quote within it is written \"\"): \
             close the cell's quote"
                .into(),
        ),
        Error::Csv(CsvProblem::UnknownKind { .. }) => Some(
            "leave kind empty or say status for a status row; say note for a note, its text \
             in the note column"
                .into(),
        ),
        Error::Csv(CsvProblem::MissingCell { kind: "note", .. }) => {
            Some("a note row gives its date in on and its text in note".into())
        }
        Error::Csv(CsvProblem::MissingCell { .. }) => Some(
            "a status row gives its status and its date in on; a row with neither (and no \
             kind) only gives its pact's metadata"
                .into(),
        ),
        Error::Csv(CsvProblem::NotABool { .. }) => {
            Some("use true/false, yes/no or 1/0, or leave it empty for no".into())
        }
        Error::Csv(CsvProblem::NotAnEventId { .. }) => Some(
            "the event column holds the id of an event already recorded, as \
             `export --csv` writes it; leave it empty for a new row"
                .into(),
        ),
        Error::Import(problem) => import_hint(problem),
        Error::MergeConflict { clash, .. } => Some(conflict_hint(clash)),
        Error::Unmergeable { why, .. } => Some(unmergeable_hint(why)),
        Error::NotInRepository { .. } => Some(
            "run it in a clone of the repository that keeps the store (or `git init` one \
             first), or give --dir the store in it"
                .into(),
        ),
        Error::Git { .. } => Some(
            "pactlog runs git to set it up: install git, or set the repository up by hand \
             (README.md, \"Working with git\")"
                .into(),
        ),
        Error::Field(FieldProblem::NotAWebAddress { .. }) => {
            Some("give a full address such as https://example.org/article".into())
        }
        Error::Invalid { hint, .. } | Error::Usage { hint, .. } => hint.clone(),
        Error::Unreported { hint, .. } => Some((*hint).to_owned()),
        Error::Lifecycle(e) => Some(lifecycle_hint(
            e,
            "add --force: the event is stored as forced and `verify` lists it",
        )),
        Error::PartyLifecycle { source, .. } => Some(lifecycle_hint(
            source,
            "add --force: the event is stored as forced and `verify` lists it",
        )),
        Error::EditRefused { pact, .. } => Some(format!(
            "`pactlog history {pact}` shows its aliases and parties"
        )),
        Error::CitationRefused { pact, .. } => Some(format!(
            "a citation adds a source to a status or a note not retracted; `pactlog log {pact}` \
             lists the events with their ids"
        )),
        Error::NoSuchParty { .. } => Some(
            "`pactlog history PACT` lists a pact's parties; a party is named as its pact \
             names it, in any case"
                .into(),
        ),
        Error::UnknownParty { pact, parties, .. } => Some(match parties.as_slice() {
            [] => format!(
                "'{pact}' names no parties; a status of the pact as a whole takes no --party"
            ),
            parties => format!(
                "the parties of '{pact}' are {}; add one with `pactlog edit {pact} --add-party P`",
                parties.join(", ")
            ),
        }),
        Error::NameTaken { owners, .. } => Some(match owners.as_slice() {
            [owner] => format!(
                "aliases are unique across the store: choose another (`pactlog history {owner}` shows the pact that has it)"
            ),
            _ => "aliases are unique across the store: choose another (`pactlog verify` lists the pacts that claim it)".into(),
        }),
        Error::AmbiguousName { .. } => Some(
            "aliases are unique across the store, but these registrations were made apart \
             (on two branches, say): name the pact by its id; `pactlog verify` lists the clash"
                .into(),
        ),
        Error::AlreadyRegistered { id } => Some(format!(
            "`pactlog history {id}` shows what is recorded for it"
        )),
        Error::Conflict { .. } => Some(
            "someone else appended first: read the stream again (`pactlog log`) and retry"
                .into(),
        ),
        Error::CacheDisagreed { .. } => Some(
            "the streams are the record, and they verify; a cache written under this user's \
             key disagrees with them only when a stream was changed without its change time \
             moving (through a shared memory map, by someone who can write the stream \
             file), when someone else has the key, or when pactlog has a fault: look at \
             who can write the store, and if the key may be known, delete the key file \
             (pactlog/cache-key in the user's state directory) and a new one is made"
                .into(),
        ),
        _ => None,
    }
}

/// What to do next about a bad row of a sheet.
pub fn row_hint(error: &Error) -> Option<String> {
    // in a sheet, --force is a column
    hint(error).map(|h| h.replace("add --force", "set the row's forced column to true"))
}

/// What to do next about an amendment refused.
fn amend_hint(pact: &str, why: &NotAmendable) -> Option<String> {
    Some(match why {
        NotAmendable::NoSuchEvent => {
            format!("`pactlog log {pact}` lists its events with their ids")
        }
        NotAmendable::Registration | NotAmendable::Edit => {
            format!("`pactlog edit {pact}` changes the pact's name, aliases, parties and more")
        }
        NotAmendable::Citation => {
            "retract the citation, then cite the event again with the right source".into()
        }
        NotAmendable::Retraction => "record what really happened as a new event instead".into(),
        NotAmendable::AlreadyRetracted { .. } => format!(
            "it no longer counts; amend what replaced it, or record what really happened anew \
             (`pactlog log {pact}` shows both)"
        ),
        NotAmendable::NotOfANote(_) => {
            "a note's date, parties, source, url and text (--note) can be amended".into()
        }
        NotAmendable::NoChange => "give the fields that are corrected a new value".into(),
        NotAmendable::Unpaired => return None,
    })
}

/// What to do next about a row or line an import refuses.
fn import_hint(problem: &ImportProblem) -> Option<String> {
    match problem {
        ImportProblem::UnknownPact { suggestion, .. } => Some(match suggestion {
            Some(near) => format!(
                "did you mean '{near}'? or pass --create-pacts to register the pacts the file \
                 names"
            ),
            None => "register it first, or pass --create-pacts to register the pacts the file \
                     names"
                .into(),
        }),
        ImportProblem::NameDiffers { .. } => Some(
            "a sheet does not rename a pact: rename it with `pactlog edit --name`, or leave \
             the name cell empty"
                .into(),
        ),
        ImportProblem::MetadataDisagrees { .. } => Some(
            "a pact's metadata may be repeated on several of its rows, but must be the same on \
             each: leave the cell empty on all but one, or make them agree"
                .into(),
        ),
        ImportProblem::RecordedDiffers { .. } => Some(
            "a sheet does not change a pact's metadata: change it with `pactlog edit`, or \
             leave the cell empty"
                .into(),
        ),
        ImportProblem::NotAStatusEvent { .. } => Some(
            "a row of a sheet is a status or a note: clear its event cell to record it as a \
             new one"
                .into(),
        ),
        ImportProblem::EventDiffers { .. } => Some(
            "a recorded event is never changed: to record something else, clear the row's \
             event cell to make it a new event (and retract the old one with `pactlog \
             retract`, if it stands), or give the row as it was exported"
                .into(),
        ),
        // the lifecycle's hint (force it) would record it twice
        ImportProblem::HeldAlready { in_store: true, .. } => Some(
            "leave out the rows recorded already; the rows of a sheet from `export --csv` say \
             which event each is, and those recorded already are skipped"
                .into(),
        ),
        ImportProblem::HeldAlready {
            in_store: false, ..
        } => Some("leave out the row given twice".into()),
        ImportProblem::Parted { .. } => Some(
            "a JSON Lines import adds to a stream only the lines after the ones it holds; to \
             bring in a stream that went its own way, see README.md, \"Working with git\""
                .into(),
        ),
        ImportProblem::RecordedAhead { .. } => Some(
            "the clock of the machine that recorded it was ahead: import the file once that \
             time has passed"
                .into(),
        ),
        // the hints for lines of a store would mislead about a file to
        // import, but for one whose line endings were converted
        ImportProblem::Line(StreamProblem::CarriageReturn) => Some(crlf_hint("FILE")),
        ImportProblem::Line(_) => None,
        ImportProblem::BreaksLifecycle(lifecycle) => Some(line_lifecycle_hint(lifecycle)),
        ImportProblem::PartyBreaksLifecycle { source, .. } => Some(line_lifecycle_hint(source)),
        ImportProblem::UntrimmedRegistration { .. } | ImportProblem::Untrimmed { .. } => None,
    }
}

/// What to do next about damage at a line of a stream, said of any file
/// (`FILE`); [`hint`] names the stream where that is known.
fn stream_hint(problem: &StreamProblem) -> Option<String> {
    match problem {
        StreamProblem::MergeConflict => Some(merge_hint("FILE")),
        StreamProblem::FutureVersion { .. } => Some("upgrade pactlog to read this store".into()),
        StreamProblem::CarriageReturn => Some(crlf_hint("FILE")),
        StreamProblem::Malformed(_)
        | StreamProblem::ChecksumMismatch
        | StreamProblem::ChainBroken
        | StreamProblem::SeqGap { .. } => Some(
            "event lines are never edited by hand; compare the file with its history in git".into(),
        ),
        _ => None,
    }
}

/// How to mend a stream whose line endings were converted to CR LF.
fn crlf_hint(file: &str) -> String {
    format!(
        "convert them back (for example `sed -i 's/\\r$//' {file}`), and keep git from \
         converting streams with a `.gitattributes` line `*.jsonl -text`"
    )
}

/// How to mend a stream that two branches appended to.
fn merge_hint(file: &str) -> String {
    format!(
        "git merged the stream as text, as it does when pactlog's merge driver is not set up: \
         `git merge --abort`, run `pactlog git-setup`, and merge again; or keep one side \
         (`git checkout --ours {file}`, or --theirs) and record again the events only the \
         other has (`git log --merge -p {file}` shows each side's; README.md, \
         \"Working with git\")"
    )
}

/// What to do next about a merge refused for `clash`: ours is as it was.
fn conflict_hint(clash: &Clash) -> String {
    let how = match clash {
        Clash::Lifecycle { .. } => {
            "`git merge --abort`; on the branch whose status is wrong, withdraw or correct it \
             (`pactlog retract`, `pactlog amend`) and commit; then merge again"
        }
        Clash::PartyRemoved { .. } => {
            "`git merge --abort`; on the branch that took the party away, add it back \
             (`pactlog edit PACT --add-party P`) and commit; then merge again"
        }
        Clash::AliasTaken { .. } => {
            "`git merge --abort`; take the alias away from one of the two pacts \
             (`pactlog edit PACT --remove-alias A`) and commit; then merge again"
        }
        Clash::Registrations { .. }
        | Clash::Withdrawn { .. }
        | Clash::CitesWithdrawn { .. }
        | Clash::Edits { .. }
        | Clash::Line { .. } => {
            "a recorded event is never taken back, so the stream takes one side: keep ours, \
             which the file holds (`git add` it), and record again the events of theirs you \
             keep"
        }
    };
    format!(
        "the stream is left as ours, and git shows it as a conflict: {how} (README.md, \
         \"Working with git\")"
    )
}

/// What to do next about a file the merge driver cannot merge.
fn unmergeable_hint(why: &Unmergeable) -> String {
    match why {
        Unmergeable::NotAStream {
            problem: StreamProblem::TornTail { .. },
            ..
        } => "a write was cut short on that branch: `pactlog repair PACT` there, commit, and \
              merge again"
            .into(),
        Unmergeable::NotAStream { .. } | Unmergeable::Empty => {
            "mend the stream on that branch (`pactlog verify` there says what is wrong), \
             commit, and merge again; the stream is left as ours"
                .into()
        }
        Unmergeable::NotAStreamName => "pactlog merges streams (PACT.jsonl in a store); set \
             `merge=pactlog` for the store's files alone, as `pactlog git-setup` does in the \
             store directory, and merge this file otherwise"
            .into(),
        Unmergeable::OtherPact { .. } => {
            "the three files must be one pact's stream: the file holds another pact's, so \
             mend it on its branch"
                .into()
        }
        Unmergeable::LacksBase { .. } | Unmergeable::Differs { .. } => {
            "pactlog merges streams that were only appended to; `git log -p PATH` shows where a \
             line was changed or removed: mend that, or keep one side"
                .into()
        }
    }
}

/// What to do next about a line of a file to import whose event the
/// lifecycle refuses, in the pact's timeline or a party's.
fn line_lifecycle_hint(error: &LifecycleError) -> String {
    match error {
        LifecycleError::RetractionBreaks { .. } => {
            "`retract` refuses such a retraction, so no pactlog command wrote this line".into()
        }
        lifecycle => lifecycle_hint(
            lifecycle,
            "its line must say \"forced\":true, as `append --force` writes it",
        ),
    }
}

/// What to do next about a status the lifecycle refuses, saying `force`
/// where it tells how to record one it does not allow.
fn lifecycle_hint(error: &LifecycleError, force: &str) -> String {
    let force = format!("if the record really is so, {force}");
    match error {
        LifecycleError::Repeat { .. } | LifecycleError::RepeatsNext { .. } => {
            "a status cannot follow itself; to record news that changes no status, use `pactlog note`".into()
        }
        LifecycleError::NotAllowed { from, .. } => {
            let allowed = Status::allowed_after(*from);
            let what = match from {
                Some(s) => format!("after {s}"),
                None => "first".into(),
            };
            format!("allowed {what}: {}; {force}", list_words(allowed))
        }
        LifecycleError::RetractionBreaks { .. } => {
            "retract the later event first, or record what really happened as a new status".into()
        }
        LifecycleError::BreaksNext { status, .. } => format!(
            "allowed after {status}: {}; {force}",
            list_words(Status::allowed_after(Some(*status)))
        ),
    }
}
