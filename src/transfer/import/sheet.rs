//! Reading a CSV sheet: its header, each row's cells into a checked
//! [`Row`], and the line each row begins on, for errors.

use std::collections::VecDeque;
use std::io::{self, Read};

use chrono::NaiveDate;
use csv::{ByteRecord, StringRecord};
use serde::Deserialize;
use uuid::Uuid;

use crate::command::{Sourced, status_change};
use crate::log::stream::MAX_LINE;
use crate::model::error::{CsvProblem, Error};
use crate::model::event::StatusChange;
use crate::model::status::Status;
use crate::model::time::parse_effective;
use crate::transfer::cell;

/// The columns a CSV import understands; `pact`, `status` and `on` are
/// required. `event` and `recorded` are what `export --csv` writes: a row
/// whose `event` is a status event its pact's stream already holds, the
/// same in every column, is that event, and is skipped; any other row is a
/// new event. `recorded` is read and ignored.
pub const CSV_COLUMNS: [&str; 11] = [
    "pact", "status", "on", "source", "url", "note", "reported", "forced", "name", "event",
    "recorded",
];

/// One row of an import CSV, as read; the pact cell is read when the row is
/// routed to its pact.
#[derive(Debug, Deserialize)]
struct CsvRecord<'a> {
    status: &'a str,
    on: &'a str,
    #[serde(default, borrow)]
    source: Option<&'a str>,
    #[serde(default, borrow)]
    url: Option<&'a str>,
    #[serde(default, borrow)]
    note: Option<&'a str>,
    #[serde(default, borrow)]
    reported: Option<&'a str>,
    #[serde(default, borrow)]
    forced: Option<&'a str>,
    #[serde(default, borrow)]
    name: Option<&'a str>,
    #[serde(default, borrow)]
    event: Option<&'a str>,
}

/// A checked CSV row.
#[derive(Debug)]
pub(super) struct Row {
    /// The name to register a new pact with.
    pub(super) name: Option<String>,
    /// The event it says it is, as `export --csv` gives it.
    pub(super) event: Option<Uuid>,
    /// The status change it records.
    pub(super) change: StatusChange,
}

/// Reads the header row and checks its columns. A spreadsheet's header may
/// say `Pact` or ` On `: names are taken in any case, without the spaces
/// around them.
pub(super) fn read_headers<R: Read>(reader: &mut csv::Reader<R>) -> Result<StringRecord, Error> {
    let headers: StringRecord = reader
        .headers()
        .map_err(|e| csv_error(&e))?
        .iter()
        .map(|column| column.trim().to_lowercase())
        .collect();
    for (at, column) in headers.iter().enumerate() {
        if headers.iter().take(at).any(|before| before == column) {
            return Err(CsvProblem::DuplicateColumn {
                column: column.to_owned(),
            }
            .into());
        }
    }
    for column in &headers {
        if !CSV_COLUMNS.contains(&column) {
            return Err(CsvProblem::UnknownColumn {
                column: column.to_owned(),
            }
            .into());
        }
    }
    for required in ["pact", "status", "on"] {
        if !headers.iter().any(|h| h == required) {
            return Err(CsvProblem::MissingColumn { column: required }.into());
        }
    }
    Ok(headers)
}

/// Reads and checks one row: its fields, not yet its place in a timeline.
pub(super) fn parse_row(
    record: &ByteRecord,
    headers: &ByteRecord,
    today: NaiveDate,
) -> Result<Row, Error> {
    // as a `StringRecord` checks it, field by field
    let utf8 =
        record.as_slice().is_ascii() || record.iter().all(|f| std::str::from_utf8(f).is_ok());
    if !utf8 {
        return Err(not_utf8());
    }
    let row: CsvRecord = record
        .deserialize(Some(headers))
        .map_err(|e| csv_error(&e))?;
    check_row(row.restored(), today)
}

impl<'a> CsvRecord<'a> {
    /// The record with each cell's text as it was exported, without the
    /// `'` that `export --csv` puts before a cell a spreadsheet would run
    /// as a formula.
    fn restored(self) -> CsvRecord<'a> {
        let text = |cell: Option<&'a str>| cell.map(cell::restore);
        CsvRecord {
            status: cell::restore(self.status),
            on: cell::restore(self.on),
            source: text(self.source),
            url: text(self.url),
            note: text(self.note),
            reported: text(self.reported),
            forced: text(self.forced),
            name: text(self.name),
            event: text(self.event),
        }
    }
}

fn check_row(row: CsvRecord<'_>, today: NaiveDate) -> Result<Row, Error> {
    fn present(v: Option<&str>) -> Option<&str> {
        v.filter(|s| !s.trim().is_empty())
    }
    Ok(Row {
        // checked when it registers a pact: for another, it must only be
        // that pact's name
        name: present(row.name).map(|name| name.trim().to_owned()),
        event: present(row.event)
            .map(|event| {
                Uuid::parse_str(event.trim()).map_err(|_| {
                    Error::from(CsvProblem::NotAnEventId {
                        value: event.to_owned(),
                    })
                })
            })
            .transpose()?,
        change: status_change(
            Status::parse(row.status)?,
            parse_effective(row.on, today)?,
            Sourced {
                source: present(row.source),
                url: present(row.url),
            },
            present(row.note),
            (flag("reported", row.reported)?, flag("forced", row.forced)?),
        )?,
    })
}

/// A yes/no cell: `true`/`false`, `yes`/`no`, `1`/`0`, in any case, or empty.
fn flag(column: &'static str, value: Option<&str>) -> Result<bool, Error> {
    let text = value.unwrap_or_default().trim();
    let is = |words: &[&str]| words.iter().any(|w| text.eq_ignore_ascii_case(w));
    if is(&["", "false", "no", "0"]) {
        Ok(false)
    } else if is(&["true", "yes", "1"]) {
        Ok(true)
    } else {
        Err(CsvProblem::NotABool {
            column,
            value: text.to_owned(),
        }
        .into())
    }
}

/// A row whose bytes are not text.
pub(super) fn not_utf8() -> Error {
    CsvProblem::NotUtf8.into()
}

pub(super) fn csv_error(e: &csv::Error) -> Error {
    if is_too_long(e) {
        return row_too_long();
    }
    let problem = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => CsvProblem::NotUtf8,
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => CsvProblem::FieldCount {
            expected: *expected_len,
            found: *len,
        },
        csv::ErrorKind::Deserialize { err, .. } => CsvProblem::Unreadable {
            why: err.to_string(),
        },
        _ => CsvProblem::Unreadable { why: e.to_string() },
    };
    problem.into()
}

/// The longest row of a CSV import, in bytes: far more than the longest
/// cells pactlog takes (a note of 4000 characters, a link of 2000, a
/// source of 500, a name of 200) can make, so that a row longer than this
/// is refused once this much of it is read, never read whole.
const ROW: u64 = MAX_LINE as u64;

/// The error a [`LineStarts`] stops the CSV reader with: the row is longer
/// than [`ROW`].
#[derive(Debug)]
struct TooLong;

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the row is too long")
    }
}

impl std::error::Error for TooLong {}

/// Whether the CSV reader stopped at a row longer than [`ROW`].
pub(super) fn is_too_long(e: &csv::Error) -> bool {
    match e.kind() {
        csv::ErrorKind::Io(e) => e.get_ref().is_some_and(|inner| inner.is::<TooLong>()),
        _ => false,
    }
}

/// A row longer than [`ROW`].
fn row_too_long() -> Error {
    CsvProblem::RowTooLong { max: ROW }.into()
}

/// The CSV input, passed through to the CSV reader, noting where each line
/// that is not blank begins. The reader takes a row's line number before it
/// skips the CR LF that ends the line before, so in a file with CR LF line
/// ends (as spreadsheets write them) it would name the line before each row;
/// and it does not count a CR alone (as older Mac spreadsheets end lines)
/// as a line end, though it ends a row.
pub(super) struct LineStarts<R> {
    input: R,
    /// The bytes passed through so far.
    read: u64,
    /// The number of the line the next byte is on.
    line: u64,
    /// Whether the next byte begins a line.
    at_start: bool,
    /// Whether the last byte was a CR: an LF next is the same line end.
    after_cr: bool,
    /// The offset and number of each line not blank begun since the row
    /// last asked about: the reader reads ahead by a buffer at most.
    starts: VecDeque<(u64, u64)>,
    /// Where the row being read begins: no more than [`ROW`] bytes after
    /// it are passed on.
    row: u64,
}

impl<R> LineStarts<R> {
    pub(super) fn new(input: R) -> Self {
        LineStarts {
            input,
            read: 0,
            line: 1,
            at_start: true,
            after_cr: false,
            starts: VecDeque::new(),
            row: 0,
        }
    }

    /// Notes that the next row begins at byte `start`.
    pub(super) fn row_from(&mut self, start: u64) {
        self.row = start;
    }

    /// The line of the row that begins at byte `start`, as [`line_of`]
    /// finds it.
    ///
    /// [`line_of`]: LineStarts::line_of
    pub(super) fn line_at(&mut self, start: u64) -> u64 {
        while self.starts.front().is_some_and(|&(at, _)| at < start) {
            self.starts.pop_front();
        }
        self.starts.front().map_or(self.line, |&(_, line)| line)
    }

    /// The line a row begins on, from where the CSV reader says it does: the
    /// first line not blank at or after that byte, which is where the
    /// reader's own count would be but for line ends it had not skipped yet.
    pub(super) fn line_of(&mut self, at: &csv::Position) -> u64 {
        while self
            .starts
            .front()
            .is_some_and(|&(start, _)| start < at.byte())
        {
            self.starts.pop_front();
        }
        self.starts.front().map_or(at.line(), |&(_, line)| line)
    }
}

impl<R: Read> Read for LineStarts<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // the reader asks for more only once it has taken all it was given:
        // so much of the row is read
        if self.read - self.row.min(self.read) > ROW {
            return Err(io::Error::other(TooLong));
        }
        let n = self.input.read(buf)?;
        let bytes = &buf[..n];
        let mut at = 0;
        while at < n {
            if std::mem::take(&mut self.after_cr) && bytes[at] == b'\n' {
                // the LF of a CR LF: the line ended at the CR
                at += 1;
                continue;
            }
            if self.at_start {
                if !matches!(bytes[at], b'\r' | b'\n') {
                    self.starts.push_back((self.read + at as u64, self.line));
                }
                self.at_start = false;
            }
            let Some(end) = memchr::memchr2(b'\r', b'\n', &bytes[at..]) else {
                break;
            };
            at += end;
            self.after_cr = bytes[at] == b'\r';
            at += 1;
            self.line += 1;
            self.at_start = true;
        }
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line each row of `text` begins on, read `chunk` bytes at a time.
    fn row_lines(text: &str, chunk: usize) -> Vec<u64> {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let input = LineStarts::new(Chunks(text.as_bytes(), chunk));
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let mut record = ByteRecord::new();
        let mut lines = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let at = record.position().unwrap().clone();
            lines.push(reader.get_mut().line_of(&at));
        }
        lines
    }

    #[test]
    fn rows_are_named_by_the_line_they_begin_on() {
        // rows on lines 2, 4 (after a blank line), 5 (over two lines) and 8
        // (after a blank line with spaces, which is a row of one empty field
        // the CSV reader keeps as a row of its own, on line 7)
        let lines = ["a,b", "1,2", "", "3,4", "5,\"x", "y\"", " ", "6,7"];
        for end in ["\n", "\r\n", "\r"] {
            let text: String = lines.iter().map(|l| format!("{l}{end}")).collect();
            for chunk in [1, 2, 3, 7, 4096] {
                let got = row_lines(&text, chunk);
                assert_eq!(got, [2, 4, 5, 7, 8], "{end:?} read {chunk} at a time");
            }
        }
    }
}
