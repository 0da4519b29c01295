//! Reading again, from a stream folded once, the lines an answer shows.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::PathBuf;

use crate::log::codec::Record;
use crate::log::stream::MAX_LINE;
use crate::model::error::{Error, StreamProblem};
use crate::model::event::Event;
#[cfg(feature = "cli")]
use crate::model::event::Fact;
use crate::model::pact::PactId;

/// A stream file after a fold of the stream, open, to read again the lines an
/// answer shows: each is read where the fold found it, within the bytes the
/// fold checked, and checked again as a line alone is (its format and its
/// checksum) and as that line of that stream (its pact and seq). Lines read
/// one after the other are read a window of bytes at a time.
#[derive(Debug)]
pub struct Lines {
    pub(super) id: PactId,
    pub(super) path: PathBuf,
    pub(super) file: File,
    /// How many bytes the fold checked: no line after them is read.
    pub(super) len: u64,
    /// The file's metadata when it was opened, before any line was read.
    pub(super) meta: fs::Metadata,
    /// Bytes read ahead, from `start` in the file.
    pub(super) window: Vec<u8>,
    pub(super) start: u64,
}

/// How many bytes [`Lines`] reads at a time.
const WINDOW: usize = 64 * 1024;

impl Lines {
    /// Writes the bytes the fold checked, every line of the stream as it
    /// was read, to `out`, a window at a time.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the stream when it cannot be read, and what
    /// writing to `out` returns.
    pub fn copy_to(&mut self, out: &mut dyn Write) -> Result<(), Error> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(0))
            .map_err(Error::io("read", &self.path))?;
        let mut left = self.len;
        self.window.resize(WINDOW, 0);
        while left > 0 {
            let want = left.min(WINDOW as u64) as usize;
            let n = file
                .read(&mut self.window[..want])
                .map_err(Error::io("read", &self.path))?;
            if n == 0 {
                let cut = io::Error::new(io::ErrorKind::UnexpectedEof, "the file was cut short");
                return Err(Error::io("read", &self.path)(cut));
            }
            out.write_all(&self.window[..n])?;
            left -= n as u64;
        }
        // what the window holds is not where `start` says
        self.window.clear();
        Ok(())
    }

    /// The stream file's metadata when it was opened, before the fold read
    /// any line of it.
    pub(crate) fn meta(&self) -> &fs::Metadata {
        &self.meta
    }

    /// The error for line `number` read again and found to be another than
    /// the one the fold read: the file was changed in place meanwhile.
    pub fn changed(&self, number: usize) -> Error {
        Error::Stream {
            path: self.path.clone(),
            line: number,
            problem: StreamProblem::Malformed(
                "the line is not the one read a moment before: the file was changed in place"
                    .into(),
            ),
        }
    }

    /// The event of line `number`, which the fold found at `offset`, read
    /// again and checked.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`] when the line is not there as it was, [`Error::Io`]
    /// when it cannot be read.
    pub(crate) fn event(&mut self, number: usize, offset: u64) -> Result<Event, Error> {
        self.event_and_end(number, offset).map(|(event, _)| event)
    }

    /// What `then` makes of line `number`, which the fold found at `offset`,
    /// read again and checked as [`Lines::event`] reads it, and lent as it
    /// was read, with its event's fact: what `export --csv` writes its rows
    /// from, copying nothing.
    ///
    /// # Errors
    ///
    /// As [`Lines::event`].
    #[cfg(feature = "cli")]
    pub(crate) fn lent<T>(
        &mut self,
        number: usize,
        offset: u64,
        then: impl FnOnce(&Record<'_>, Fact) -> T,
    ) -> Result<T, Error> {
        let read = self.again(number, offset, |record| {
            let fact = record.fact().map_err(StreamProblem::Malformed)?;
            Ok(then(record, fact))
        });
        read.map(|(made, _)| made)
    }

    /// [`Lines::event`], and where the line after it begins.
    pub(crate) fn event_and_end(
        &mut self,
        number: usize,
        offset: u64,
    ) -> Result<(Event, u64), Error> {
        self.again(number, offset, |record| {
            let event = record.to_event();
            event.map_err(StreamProblem::Malformed)
        })
    }

    /// What `then` makes of line `number`, which the fold found at `offset`,
    /// read again and its pact and seq checked, and where the line after it
    /// begins.
    fn again<T>(
        &mut self,
        number: usize,
        offset: u64,
        then: impl FnOnce(&Record<'_>) -> Result<T, StreamProblem>,
    ) -> Result<(T, u64), Error> {
        let found = self.line(offset);
        let at = |problem| Error::Stream {
            path: self.path.clone(),
            line: number,
            problem,
        };
        let (line, end) = match found {
            Ok(Some(range)) => (&self.window[range.clone()], offset + range.len() as u64 + 1),
            Ok(None) => {
                let why = "no final newline";
                return Err(at(StreamProblem::TornTail { why }));
            }
            Err(e) => return Err(Error::io("read", &self.path)(e)),
        };
        let made = Record::inspect(line, |record| {
            if record.pact() != self.id.as_str() {
                return Err(StreamProblem::WrongPact {
                    expected: self.id.to_string(),
                    found: record.pact().to_owned(),
                });
            }
            if record.seq() != number as u64 {
                let (expected, found) = (number as u64, record.seq());
                return Err(StreamProblem::SeqGap { expected, found });
            }
            then(record)
        });
        made.and_then(|made| made)
            .map(|made| (made, end))
            .map_err(at)
    }

    /// The bytes of line `number` (without its LF), which begins at
    /// `offset`, as the fold checked them.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`] when no line ends there within the bytes checked,
    /// [`Error::Io`] when it cannot be read.
    pub(crate) fn bytes(&mut self, number: usize, offset: u64) -> Result<&[u8], Error> {
        match self.line(offset) {
            Ok(Some(range)) => Ok(&self.window[range]),
            Ok(None) => Err(Error::Stream {
                path: self.path.clone(),
                line: number,
                problem: StreamProblem::TornTail {
                    why: "no final newline",
                },
            }),
            Err(e) => Err(Error::io("read", &self.path)(e)),
        }
    }

    /// The same stream file, open again, to read lines from elsewhere in it
    /// without moving this reader's window.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be opened again.
    pub fn another(&self) -> Result<Lines, Error> {
        Ok(Lines {
            id: self.id.clone(),
            path: self.path.clone(),
            file: self
                .file
                .try_clone()
                .map_err(Error::io("read", &self.path))?,
            len: self.len,
            meta: self.meta.clone(),
            window: Vec::new(),
            start: 0,
        })
    }

    /// Where the line (without its LF) that begins at `offset` lies in the
    /// window, once read into it; `None` when no LF ends it within the bytes
    /// checked and [`MAX_LINE`].
    fn line(&mut self, offset: u64) -> io::Result<Option<Range<usize>>> {
        let end = self.start + self.window.len() as u64;
        let ahead = (self.start..end).contains(&offset).then(|| {
            let from = (offset - self.start) as usize;
            memchr::memchr(b'\n', &self.window[from..]).map(|n| (from, n))
        });
        let (from, n) = match ahead.flatten() {
            Some(found) => found,
            None => {
                self.window.clear();
                self.start = offset;
                let most = self.len.saturating_sub(offset).min(MAX_LINE as u64 + 1);
                let mut file = &self.file;
                file.seek(SeekFrom::Start(offset))?;
                file.take(most.min(WINDOW as u64))
                    .read_to_end(&mut self.window)?;
                let mut found = memchr::memchr(b'\n', &self.window);
                if found.is_none() && most > WINDOW as u64 {
                    let read = self.window.len() as u64;
                    file.take(most - read).read_to_end(&mut self.window)?;
                    found = memchr::memchr(b'\n', &self.window);
                }
                match found {
                    Some(n) => (0, n),
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(from..from + n))
    }
}
