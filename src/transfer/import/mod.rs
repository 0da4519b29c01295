//! Importing many events at once: rows of a spreadsheet's CSV, appended as
//! status events, or the JSON Lines that `export` writes, recreated byte for
//! byte.
//!
//! An import is all-or-nothing: every row is validated exactly as `append`
//! would, against the timelines as the earlier rows leave them, and nothing
//! is put in place unless every row passes. New streams are written as their
//! rows are checked, out of sight in a [`Staging`], and removed if a row is
//! refused; lines for existing streams are held until [`Batch::commit`]. An
//! import holds the store directory's exclusive lock throughout, which every
//! other writer waits for, so no stream changes between what was validated
//! and what is written; it opens each stream only to read it, and again to
//! write it, so it can touch any number of streams.
//!
//! Each job has its file: `sheet` reads a CSV sheet (its header, the
//! cells of each row, the line each row begins on); `check` checks a
//! sheet's rows on a pool of workers, each building and checking the
//! streams of its pacts; `jsonl` checks the lines of a JSON Lines import.
//! Both make a [`Batch`], which this module holds, with how it is
//! committed and the store's lock it is planned under.

mod check;
mod jsonl;
mod sheet;
mod timelines;

pub use check::{CsvOptions, SHOWN_ROWS, plan_csv};
pub use jsonl::plan_jsonl;
pub use sheet::CSV_COLUMNS;

use std::fs::File;
use std::io;

use crate::log::journal::{self, Entry};
use crate::log::store::{Names, Staging, Store};
use crate::model::error::Error;
use crate::model::pact::PactId;

/// What an import will write, fully validated, with the store's lock that
/// keeps it valid until [`Batch::commit`] (held by its staging).
#[derive(Debug)]
pub struct Batch {
    /// The new streams, written but not yet in place.
    staging: Staging,
    /// Lines for existing streams, with each stream's pact and its length
    /// when it was read.
    append: Vec<(PactId, u64, Vec<u8>)>,
    /// How many events the batch records.
    pub events: usize,
    /// How many pacts it touches, and how many of them it creates.
    pub pacts: usize,
    /// How many of the pacts are new.
    pub created: usize,
    /// How many rows were skipped as events already recorded.
    pub skipped: usize,
    /// Each pact it writes to, by id: how many events it records there (a
    /// new pact's registration included), and whether the pact is new.
    pub per_pact: Vec<(PactId, usize, bool)>,
}

impl Batch {
    /// Writes the batch, all or nothing even across a crash, and durable
    /// before it returns. Into a store that does not exist yet, the store
    /// appears by one rename (or, when it was made meanwhile, the new
    /// streams go in through a journal, as below). Into one that does, the
    /// batch is first written down in the store's [`journal`] (with one
    /// file system sync, which also makes the staged new streams durable),
    /// and put in place by a rename, its commit point; then each existing
    /// stream gets its lines in one write, the new streams are linked in,
    /// one more sync makes it all durable, and the journal is removed. If
    /// that is cut short, the next command that records carries it out.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a file cannot be written before the commit point
    /// (nothing is recorded), [`Error::ImportUnfinished`] when one cannot
    /// after it (the import is recorded, and the next command that records
    /// writes what is missing).
    pub fn commit(self, store: &Store) -> Result<(), Error> {
        let Batch {
            mut staging,
            append,
            ..
        } = self;
        if staging.is_whole() {
            return staging.commit(store);
        }
        // the staging holds the store's lock until the journal is ended:
        // no pactlog writer changes a stream meanwhile, and one that does
        // not take the lock is caught here, before anything is written
        let mut entries = Vec::with_capacity(append.len());
        for (pact, at, lines) in append {
            let path = store.stream_path(&pact);
            let len = std::fs::symlink_metadata(&path)
                .map_err(Error::io("read", &path))?
                .len();
            if len != at {
                return Err(Error::ChangedDuringImport { path });
            }
            // every line was made from text, so this copies nothing
            let lines = String::from_utf8(lines).map_err(|e| {
                Error::io("append to", &path)(io::Error::new(io::ErrorKind::InvalidData, e))
            })?;
            entries.push(Entry::Append { pact, at, lines });
        }
        entries.extend(
            staging
                .staged()
                .into_iter()
                .map(|(pact, staged)| Entry::Link { pact, staged }),
        );
        if entries.is_empty() {
            return Ok(());
        }
        // each staged file as it is to be linked: the journal's sync makes
        // the cut durable with the rest
        staging.seal()?;
        // the staged files are the journal's from here on, to put in place
        // or, if it never is, to remove
        staging.keep();
        journal::commit(store.dir(), &entries)
    }
}

/// The store directory's lock, when the directory exists; an import into a
/// store that does not exist yet creates it only when it commits.
fn lock_existing(store: &Store) -> Result<Option<File>, Error> {
    if store.dir().exists() {
        store.lock_for_writing().map(Some)
    } else {
        Ok(None)
    }
}

/// The names taken in the store: none when it does not exist yet.
fn known_names(store: &Store, dir_lock: &Option<File>) -> Result<Names, Error> {
    match dir_lock {
        Some(_) => store.names(),
        None => Ok(Names::default()),
    }
}

/// The bytes of new streams' lines a worker holds before it writes them out.
const HOLD: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::command::Registration;
    use crate::model::pact::Pact;

    /// The batch of a CSV import of `rows`, registering the pacts it names.
    fn planned(store: &Store, rows: &str) -> Batch {
        let now = Utc::now();
        plan_csv(
            store,
            "rows.csv",
            rows.as_bytes(),
            CsvOptions {
                create_pacts: true,
                dry_run: false,
            },
            now,
            now.date_naive(),
            &|_| {},
        )
        .unwrap()
    }

    /// A stream written by something that skips the store's lock while an
    /// import is checked: the import is refused at commit, before its
    /// commit point, and leaves nothing behind.
    #[test]
    fn a_stream_changed_behind_the_stores_lock_stops_the_import_before_it_commits() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        planned(&store, "pact,status,on\naa,signed,2001-01-01\n")
            .commit(&store)
            .unwrap();
        let rows = "pact,status,on\naa,in_force,2002-02-02\nbb,signed,2003-03-03\n";
        let batch = planned(&store, rows);
        let path = store.stream_path(&PactId::parse("aa").unwrap());
        let mut stream = std::fs::read(&path).unwrap();
        stream.extend_from_slice(b"{}\n");
        std::fs::write(&path, &stream).unwrap();

        let e = batch.commit(&store).unwrap_err();
        assert!(
            e.to_string().contains("aa.jsonl changed during the import"),
            "{e}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), stream, "nothing appended");
        assert_eq!(
            files_in(dir.path()),
            ["aa.jsonl"],
            "no bb, no staged file for it, no journal"
        );
    }

    /// A batch of two new pacts, `aa` and `bb`, planned for a store that
    /// does not exist yet, which is then created by the registration of
    /// `zz` with `aliases`, before the batch commits.
    fn planned_before_the_store_was_made(
        aliases: &[&str],
    ) -> (tempfile::TempDir, Store, Result<(), Error>) {
        let above = tempfile::tempdir().unwrap();
        let store = Store::new(above.path().join("store"));
        let batch = planned(
            &store,
            "pact,status,on\naa,signed,2001-01-01\nbb,signed,2003-03-03\n",
        );
        let mut zz = Pact::named(PactId::parse("zz").unwrap(), "Z");
        zz.aliases = aliases.iter().map(|a| (*a).to_owned()).collect();
        Registration::new(zz)
            .unwrap()
            .record(&store, Utc::now())
            .unwrap();
        let committed = batch.commit(&store);
        (above, store, committed)
    }

    /// The names of the files in `dir`, sorted.
    fn files_in(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    /// A store that did not exist when the import began, but was created
    /// before it ended: its new streams still go in all together, through
    /// a journal, beside the stream made meanwhile.
    #[test]
    fn an_import_into_a_store_created_meanwhile_goes_in_through_a_journal() {
        let (above, store, committed) = planned_before_the_store_was_made(&[]);
        committed.unwrap();
        for id in ["aa", "bb"] {
            let stream = store.read(&PactId::parse(id).unwrap()).unwrap();
            assert_eq!(stream.events.len(), 2, "{id}");
        }
        assert_eq!(
            files_in(store.dir()),
            ["aa.jsonl", "bb.jsonl", "zz.jsonl"],
            "no journal, no staged file"
        );
        assert_eq!(files_in(above.path()), ["store"], "staging gone");
    }

    /// A store made meanwhile, by another import say, with one of the new
    /// pacts in it: refused, saying so, and nothing is left behind.
    #[test]
    fn an_import_into_a_store_created_meanwhile_with_one_of_its_pacts_is_refused() {
        let above = tempfile::tempdir().unwrap();
        let store = Store::new(above.path().join("store"));
        let batch = planned(&store, "pact,status,on\naa,signed,2001-01-01\n");
        let aa = Pact::named(PactId::parse("aa").unwrap(), "A");
        Registration::new(aa)
            .unwrap()
            .record(&store, Utc::now())
            .unwrap();
        let e = batch.commit(&store).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "the store {} was created by another command while this import was checked, \
                 and it has pact 'aa' already",
                store.dir().display()
            )
        );
        assert!(
            matches!(&e, Error::StoreCreatedMeanwhile { dir, pact } if dir == store.dir() && pact == "aa"),
            "{e:?}"
        );
        assert_eq!(files_in(store.dir()), ["aa.jsonl"]);
        assert_eq!(files_in(above.path()), ["store"], "staging gone");
    }

    /// The names of a store made meanwhile count: a new pact whose id is an
    /// alias taken there is refused, and nothing is left behind.
    #[test]
    fn an_import_into_a_store_created_meanwhile_is_refused_a_name_taken_there() {
        let (above, store, committed) = planned_before_the_store_was_made(&["BB"]);
        let e = committed.unwrap_err();
        assert_eq!(e.to_string(), "'bb' is already a name of pact 'zz'");
        assert_eq!(files_in(store.dir()), ["zz.jsonl"]);
        assert_eq!(files_in(above.path()), ["store"], "staging gone");
    }
}
