//! What to do next after an error: the hints the command line prints
//! under it, in its own words (its commands and flags), which the
//! library's errors do not carry.

use std::io;

use crate::model::error::{
    CsvProblem, Error, FieldProblem, NotRetractable, Rollback, StreamProblem, crlf_hint, merge_hint,
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
        Error::Stream { problem, .. } => problem.hint(),
        // in a file, --force is a column
        Error::Row { source, .. } => hint(source)
            .map(|h| h.replace("add --force", "set the row's forced column to true")),
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
        Error::Csv(CsvProblem::UnknownColumn { .. }) => Some(format!(
            "the columns are: {}",
            crate::transfer::import::CSV_COLUMNS.join(", ")
        )),
        Error::Csv(CsvProblem::MissingColumn { .. }) => Some(
            "the first row names the columns: pact,status,on and optionally \
             source,url,note,reported,forced,name,event,recorded"
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
        Error::Field(FieldProblem::NotAWebAddress { .. }) => {
            Some("give a full address such as https://example.org/article".into())
        }
        Error::Invalid { hint, .. } | Error::Usage { hint, .. } => hint.clone(),
        Error::Unreported { hint, .. } => Some((*hint).to_owned()),
        Error::Lifecycle(e) => Some(
            e.hint_forcing("add --force: the event is stored as forced and `verify` lists it"),
        ),
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
