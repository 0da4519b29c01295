//! Reading a CSV sheet: its header, each row's cells into a checked
//! [`Row`], and the line each row begins on, for errors.

use std::collections::VecDeque;
use std::io::{self, Read};

use chrono::NaiveDate;
use csv::{ByteRecord, StringRecord};
use serde::Deserialize;
use uuid::Uuid;

use crate::command::{Sourced, Write, status_change};
use crate::log::stream::MAX_LINE;
use crate::model::error::{CsvProblem, Error};
use crate::model::event::EventBody;
use crate::model::limits;
use crate::model::status::Status;
use crate::model::time::parse_effective;
use crate::transfer::cell;

/// The columns of a CSV sheet, in the order `export --csv` writes them;
/// an import needs `pact` and `on`, and reads any of the others.
///
/// A row is a status event (`kind` empty or `status`), a note (`kind`
/// `note`, its text in `note`), or, with no kind, status, date or text, a
/// row that only gives its pact's metadata (`name`, `aliases`, `parties`,
/// `pact_kind`, `description`), which every row may give. Lists (`party`,
/// `aliases`, `parties`) are joined by `;`. A row whose `event` is an event
/// its pact's stream already holds, the same in every column, is that
/// event, and is skipped; any other row is a new event. `recorded` is read
/// and ignored.
pub const CSV_COLUMNS: [&str; 17] = [
    "pact",
    "kind",
    "status",
    "on",
    "party",
    "source",
    "url",
    "note",
    "reported",
    "forced",
    "name",
    "aliases",
    "parties",
    "pact_kind",
    "description",
    "event",
    "recorded",
];

/// The columns a sheet must have.
const REQUIRED: [&str; 2] = ["pact", "on"];

/// One row of an import CSV, as read; the pact cell is read when the row is
/// routed to its pact.
#[derive(Debug, Deserialize)]
struct CsvRecord<'a> {
    #[serde(default, borrow)]
    kind: Option<&'a str>,
    #[serde(default, borrow)]
    status: Option<&'a str>,
    #[serde(borrow)]
    on: &'a str,
    #[serde(default, borrow)]
    party: Option<&'a str>,
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
    aliases: Option<&'a str>,
    #[serde(default, borrow)]
    parties: Option<&'a str>,
    #[serde(default, borrow)]
    pact_kind: Option<&'a str>,
    #[serde(default, borrow)]
    description: Option<&'a str>,
    #[serde(default, borrow)]
    event: Option<&'a str>,
}

/// A pact's metadata as one row gives it: each part the row leaves empty
/// is `None`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Meta {
    /// The pact's name.
    pub(super) name: Option<String>,
    /// Its aliases.
    pub(super) aliases: Option<Vec<String>>,
    /// Its parties.
    pub(super) parties: Option<Vec<String>>,
    /// Its kind (the `pact_kind` column).
    pub(super) kind: Option<String>,
    /// Its description.
    pub(super) description: Option<String>,
}

/// A checked CSV row.
#[derive(Debug)]
pub(super) struct Row {
    /// The pact's metadata, as far as the row gives it.
    pub(super) meta: Meta,
    /// The event it says it is, as `export --csv` gives it.
    pub(super) event: Option<Uuid>,
    /// The status change or note it records, its parties as the row names
    /// them; `None` for a row that only gives metadata.
    pub(super) body: Option<EventBody>,
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
    for required in REQUIRED {
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
            kind: text(self.kind),
            status: text(self.status),
            on: cell::restore(self.on),
            party: text(self.party),
            source: text(self.source),
            url: text(self.url),
            note: text(self.note),
            reported: text(self.reported),
            forced: text(self.forced),
            name: text(self.name),
            aliases: text(self.aliases),
            parties: text(self.parties),
            pact_kind: text(self.pact_kind),
            description: text(self.description),
            event: text(self.event),
        }
    }
}

/// A cell with something in it besides spaces.
fn present(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.trim().is_empty())
}

fn check_row(row: CsvRecord<'_>, today: NaiveDate) -> Result<Row, Error> {
    let meta = Meta {
        name: present(row.name)
            .map(|name| limits::check_text("name", name, limits::NAME))
            .transpose()?,
        aliases: list("aliases", "alias", row.aliases)?,
        parties: list("parties", "party", row.parties)?,
        kind: present(row.pact_kind)
            .map(|kind| limits::check_label("kind", kind))
            .transpose()?,
        description: present(row.description)
            .map(|d| limits::check_text("description", d, limits::DESCRIPTION))
            .transpose()?,
    };
    let event = present(row.event)
        .map(|event| {
            Uuid::parse_str(event.trim()).map_err(|_| {
                Error::from(CsvProblem::NotAnEventId {
                    value: event.to_owned(),
                })
            })
        })
        .transpose()?;
    let (reported, forced) = (flag("reported", row.reported)?, flag("forced", row.forced)?);
    let kind = present(row.kind).map(|k| k.trim().to_lowercase());
    let status = present(row.status);
    let on = present(Some(row.on));
    let sourced = Sourced {
        source: present(row.source),
        url: present(row.url),
    };
    let party = list("party", "party", row.party)?.unwrap_or_default();
    let only_metadata = kind.is_none()
        && status.is_none()
        && on.is_none()
        && present(row.note).is_none()
        && sourced.source.is_none()
        && sourced.url.is_none()
        && party.is_empty()
        && event.is_none()
        && !reported
        && !forced;
    if only_metadata {
        return Ok(Row {
            meta,
            event,
            body: None,
        });
    }
    let kind = kind.as_deref().unwrap_or("status");
    let needs = |column: &'static str| CsvProblem::MissingCell {
        kind: "status",
        column,
    };
    let write = match kind {
        "status" => {
            let status = status.ok_or_else(|| needs("status"))?;
            let on = on.ok_or_else(|| needs("on"))?;
            Write::Status(status_change(
                Status::parse(status)?,
                parse_effective(on, today)?,
                sourced,
                present(row.note),
                (reported, forced),
            )?)
        }
        "note" => {
            let needs = |column: &'static str| CsvProblem::MissingCell {
                kind: "note",
                column,
            };
            let text = present(row.note).ok_or_else(|| needs("note"))?;
            let on = on.ok_or_else(|| needs("on"))?;
            let not_for_a_note = [
                ("status", status.is_some()),
                ("reported", reported),
                ("forced", forced),
            ];
            if let Some((column, _)) = not_for_a_note.into_iter().find(|(_, given)| *given) {
                return Err(CsvProblem::NotForANote { column }.into());
            }
            Write::note(parse_effective(on, today)?, text, sourced)?
        }
        other => {
            return Err(CsvProblem::UnknownKind {
                value: other.to_owned(),
            }
            .into());
        }
    };
    let body = match write.for_parties(&party)? {
        Write::Status(change) => EventBody::Status(change),
        Write::Note(note) => EventBody::Note(note),
        Write::Retraction(_) | Write::Citation(_) => unreachable!("a row is a status or a note"),
    };
    Ok(Row {
        meta,
        event,
        body: Some(body),
    })
}

/// A list cell: its items, separated by `;`, each a label (an alias or a
/// party); `None` when the cell is empty.
fn list(
    column: &'static str,
    item: &'static str,
    value: Option<&str>,
) -> Result<Option<Vec<String>>, Error> {
    let Some(value) = present(value) else {
        return Ok(None);
    };
    value
        .split(';')
        .map(|label| {
            if label.trim().is_empty() {
                return Err(CsvProblem::EmptyItem {
                    column,
                    value: value.to_owned(),
                }
                .into());
            }
            limits::check_label(item, label)
        })
        .collect::<Result<Vec<_>, Error>>()
        .map(Some)
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
    /// Whether the bytes so far hold an odd number of quotes: a quoted cell
    /// is open (a quote within one is written twice).
    quoted: bool,
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
            quoted: false,
            starts: VecDeque::new(),
            row: 0,
        }
    }

    /// Whether a quoted cell is open where the bytes so far end: at the
    /// end of the input, a quote left unclosed.
    pub(super) fn in_quotes(&self) -> bool {
        self.quoted
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
        let quotes = memchr::memchr_iter(b'"', bytes).count();
        self.quoted ^= quotes % 2 == 1;
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
