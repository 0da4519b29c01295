//! Moving a torn last line aside, into a quarantine file beside the
//! stream.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::log::layout::{stream_name, sync_dir};
use crate::log::stream::{ReadError, Stream};
use crate::model::error::{Error, Rollback, StreamProblem};
use crate::model::event::Fact;
use crate::model::pact::PactId;
use crate::model::time::to_recorded;

use super::Store;

/// What `repair` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// The stream was intact: nothing was changed.
    Intact {
        /// How many events it holds.
        events: usize,
    },
    /// A torn last line was moved into a quarantine file.
    Repaired {
        /// The line that was torn.
        line: usize,
        /// How many bytes were moved.
        bytes: u64,
        /// Where they are now.
        quarantine: PathBuf,
        /// Whether the moved line ended with a newline: a complete line that
        /// does not parse is more likely damage than an interrupted write.
        complete: bool,
        /// How many events the stream holds now; 0 when the torn line was
        /// the registration, and the empty stream file was removed.
        events: usize,
    },
}

impl Store {
    /// Repairs a stream whose last line was torn by an interrupted write:
    /// under the stream's lock, the torn bytes are written to a quarantine
    /// file beside the stream (`<id>.jsonl.torn-<time>`, never read as a
    /// stream) and synced, and only then cut from the stream. Any other
    /// damage is left for a person to look at.
    ///
    /// # Errors
    ///
    /// [`Error::NotRepairable`] when the damage is not a torn last line,
    /// [`Error::HardLinked`] when the stream file has other names,
    /// [`Error::WriteFailed`] when the quarantine file cannot be written
    /// (it is removed, and the stream left as it was), [`Error::Io`] when a
    /// file cannot be read or the stream cut.
    pub fn repair(&self, id: &PactId, now: DateTime<Utc>) -> Result<Repair, Error> {
        let path = self.stream_path(id);
        let open = self.lock_stream(&path, OpenOptions::new().read(true).write(true))?;
        let file = &open.file;
        #[cfg(unix)]
        {
            // a file with another name is not the stream's alone: cutting it
            // would cut that file, and its bytes would be copied out
            use std::os::unix::fs::MetadataExt;
            let meta = file.metadata().map_err(Error::io("read", &path))?;
            if meta.nlink() > 1 {
                return Err(Error::HardLinked {
                    path,
                    links: meta.nlink(),
                });
            }
        }
        let (line, problem) = match Stream::<Fact>::read(id, BufReader::new(file)) {
            Ok(stream) => {
                return Ok(Repair::Intact {
                    events: stream.events.len(),
                });
            }
            Err(ReadError::Io(e)) => return Err(Error::io("read", &path)(e)),
            Err(ReadError::At(line, problem)) => (line, problem),
        };
        if !matches!(problem, StreamProblem::TornTail { .. }) {
            return Err(Error::NotRepairable {
                path,
                line,
                problem,
            });
        }
        let keep = offset_of_line(file, line).map_err(Error::io("read", &path))?;
        let mut tail = Vec::new();
        let mut reader = file;
        reader
            .seek(SeekFrom::Start(keep))
            .and_then(|_| reader.read_to_end(&mut tail))
            .map_err(Error::io("read", &path))?;
        let quarantine = self.dir.join(format!(
            "{}.torn-{}",
            stream_name(id),
            to_recorded(now).format("%Y%m%dT%H%M%S%.6fZ")
        ));
        let mut kept = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&quarantine)
            .map_err(Error::io("create", &quarantine))?;
        if let Err(source) = kept.write_all(&tail).and_then(|()| kept.sync_all()) {
            // a quarantine file not written whole holds no one's bytes: the
            // stream still has them all
            drop(kept);
            let _ = fs::remove_file(&quarantine);
            return Err(Error::WriteFailed {
                action: "write the quarantine file",
                path: quarantine,
                source,
                rollback: Rollback::Done,
            });
        }
        file.set_len(keep)
            .and_then(|()| file.sync_all())
            .map_err(Error::io("truncate", &path))?;
        if keep == 0 {
            fs::remove_file(&path).map_err(Error::io("remove the empty", &path))?;
        }
        sync_dir(&self.dir)?;
        // the lines before the torn one were read and checked above, and
        // are all the stream holds now
        let events = line - 1;
        Ok(Repair::Repaired {
            line,
            bytes: tail.len() as u64,
            complete: tail.ends_with(b"\n"),
            quarantine,
            events,
        })
    }
}

/// The byte offset where 1-based line `line` starts.
fn offset_of_line(file: &File, line: usize) -> io::Result<u64> {
    let mut reader = BufReader::new(file);
    reader.seek(SeekFrom::Start(0))?;
    let mut offset = 0;
    for _ in 1..line {
        let mut skipped = Vec::new();
        offset += reader.read_until(b'\n', &mut skipped)? as u64;
    }
    Ok(offset)
}
