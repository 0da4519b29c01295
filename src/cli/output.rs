//! Rendering helpers shared by the commands: aligned tables, sources, JSON,
//! and the one format of an error report.

use std::io::{self, Write};

use serde::Serialize;

use anstyle::Style;

use crate::cli::style;
use crate::model::error::Error;
use crate::model::event::Hash;
use crate::model::time::AsOf;
use crate::transfer::cell::Defused;

/// Writes `error: ...` and, where one helps, `hint: ...` to `w`, the labels
/// in colour when `color` is on.
pub fn report(w: &mut dyn Write, error: &Error, color: bool) {
    if let Error::Rows { file, shown, .. } = error {
        // each bad row as if it were the only one, then how many in all;
        // a hint said for the row before is not said again
        let mut said = None;
        for (line, e) in shown {
            let message = one_line(&format!("{file}:{line}: {e}"));
            let _ = writeln!(
                w,
                "{} {message}",
                style::paint(color, style::ERROR, "error:")
            );
            let hint = crate::cli::hint::row_hint(e);
            if hint.is_some() && hint != said {
                let text = one_line(hint.as_deref().unwrap_or_default());
                let _ = writeln!(w, "{} {text}", style::paint(color, style::HINT, "hint:"));
            }
            said = hint;
        }
    }
    // What the user typed may be in the message: it is shown, not acted on.
    // If stderr itself is gone there is nowhere left to say so.
    let message = one_line(&error.to_string());
    let _ = writeln!(
        w,
        "{} {message}",
        style::paint(color, style::ERROR, "error:")
    );
    if let Some(hint) = crate::cli::hint::hint(error) {
        let hint = one_line(&hint);
        let _ = writeln!(w, "{} {hint}", style::paint(color, style::HINT, "hint:"));
    }
}

/// Writes `value` as JSON: one compact line, or indented when `pretty`.
pub fn json(out: &mut dyn Write, value: &impl Serialize, pretty: bool) -> Result<(), Error> {
    // a buffer of a known type in front of `out`, so that the many small
    // writes of serializing are not each a call through `out`
    let mut buffer = io::BufWriter::with_capacity(64 * 1024, &mut *out);
    if pretty {
        serde_json::to_writer_pretty(&mut buffer, value).map_err(io::Error::from)?;
    } else {
        serde_json::to_writer(&mut buffer, value).map_err(io::Error::from)?;
    }
    writeln!(buffer)?;
    buffer.flush()?;
    Ok(())
}

/// Writes `items` as one JSON array, exactly as [`json`] would; compact, a
/// long array is serialized a run of items per core, a few runs at a time,
/// each batch written in order before the next is made, into the buffers
/// the batch before was written from.
pub fn json_array<T: Serialize + Sync>(
    out: &mut dyn Write,
    items: &[T],
    pretty: bool,
) -> Result<(), Error> {
    /// Items serialized at a time by one core.
    const RUN: usize = 1024;
    /// Runs serialized before they are written.
    const BATCH: usize = 4;
    if pretty || items.len() <= RUN {
        return json(out, &items, pretty);
    }
    let runs: Vec<&[T]> = items.chunks(RUN).collect();
    // buffers written out, to serialize into again: fresh memory is paged
    // in a page at a time
    let spare = std::sync::Mutex::new(Vec::<Vec<u8>>::new());
    let take = || spare.lock().ok().and_then(|mut spare| spare.pop());
    out.write_all(b"[")?;
    for (b, batch) in runs.chunks(BATCH).enumerate() {
        let written = crate::log::par::map(batch, |run| {
            let mut bytes = take().unwrap_or_default();
            for (i, item) in run.iter().enumerate() {
                bytes.push(b',');
                serde_json::to_writer(&mut bytes, item)?;
                if i == 0 {
                    // room for as many more items as long as the first (up
                    // to a megabyte), made once rather than the buffer
                    // growing and being copied again and again
                    bytes.reserve((bytes.len() * run.len()).min(1 << 20));
                }
            }
            Ok::<_, serde_json::Error>(bytes)
        });
        for (r, run) in written.into_iter().enumerate() {
            let mut run = run.map_err(io::Error::from)?;
            // every item is written after a comma but the first
            let first = b == 0 && r == 0;
            out.write_all(if first { &run[1..] } else { &run })?;
            run.clear();
            if let Ok(mut spare) = spare.lock() {
                spare.push(run);
            }
        }
    }
    out.write_all(b"]\n")?;
    out.flush()?;
    Ok(())
}

/// One cell of a [`Table`]: its text and the style it is shown in.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    text: String,
    style: Style,
}

impl Cell {
    /// A cell shown in `style` when colour is on.
    pub fn styled(text: impl Into<String>, style: Style) -> Cell {
        Cell {
            text: text.into(),
            style,
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell {
            text,
            style: Style::new(),
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::from(text.to_owned())
    }
}

/// Writes `rows` as CSV (RFC 4180 quoting) under the header `columns`, which
/// names the rows' fields in order. The header is written even when there
/// are no rows. Every cell is [`Defused`]: one that would begin a
/// spreadsheet formula goes out with a `'` before it, which `import` takes
/// off.
pub fn csv<T: Serialize>(out: &mut dyn Write, columns: &[&str], rows: &[T]) -> Result<(), Error> {
    let mut writer = Csv::new(out, columns)?;
    for row in rows {
        writer.row(row)?;
    }
    writer.finish()
}

/// CSV written a row at a time, as [`csv`] writes it, for rows made as
/// they are written.
pub struct Csv<'w> {
    writer: csv::Writer<&'w mut dyn Write>,
}

impl<'w> Csv<'w> {
    /// Writes the header `columns`, which names the rows' fields in order.
    pub fn new(out: &'w mut dyn Write, columns: &[&str]) -> Result<Csv<'w>, Error> {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        writer.write_record(columns).map_err(csv_io)?;
        Ok(Csv { writer })
    }

    /// Rows to follow a header written before, as [`Csv::new`] writes them.
    pub fn continued(out: &'w mut dyn Write) -> Csv<'w> {
        let writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        Csv { writer }
    }

    /// Writes one row.
    pub fn row<T: Serialize>(&mut self, row: &T) -> Result<(), Error> {
        // every cell a spreadsheet would run as a formula is defused
        Ok(self.writer.serialize(Defused(row)).map_err(csv_io)?)
    }

    /// Writes one row of `cells`, in the columns' order: what [`Csv::row`]
    /// writes of a row of these strings, each defused alike, without
    /// serializing a row.
    pub fn cells<'c>(&mut self, cells: impl IntoIterator<Item = &'c str>) -> Result<(), Error> {
        for cell in cells {
            let cell = crate::transfer::cell::defuse(cell);
            self.writer.write_field(cell.as_bytes()).map_err(csv_io)?;
        }
        Ok(self.writer.write_record(None::<&[u8]>).map_err(csv_io)?)
    }

    /// Writes out what is buffered.
    pub fn finish(mut self) -> Result<(), Error> {
        Ok(self.writer.flush()?)
    }
}

/// A CSV writer's error, as the I/O error it is.
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Rows of cells printed with every column but the last padded to the
/// widest cell, two spaces apart. Widths count the text, never the colour.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table whose first row is `header`, shown bold.
    pub fn with_header(header: &[&str]) -> Table {
        let mut table = Table::default();
        table.row(header.iter().map(|h| Cell::styled(*h, style::HEADER)));
        table
    }

    /// Adds a row.
    pub fn row<I, C>(&mut self, cells: I)
    where
        I: IntoIterator<Item = C>,
        C: Into<Cell>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Prints the rows, each line prefixed by `indent`, in colour when
    /// `color` is on.
    pub fn print(&self, out: &mut dyn Write, indent: &str, color: bool) -> io::Result<()> {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.text.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            print_row(out, row, &widths, indent, color)?;
        }
        Ok(())
    }
}

/// Prints one row of a table whose columns are `widths` wide, as
/// [`Table::print`] prints each: for a table too long to hold, whose rows
/// are made as they are printed, once the widths are known.
pub fn print_row(
    out: &mut dyn Write,
    row: &[Cell],
    widths: &[usize],
    indent: &str,
    color: bool,
) -> io::Result<()> {
    let mut line = String::from(indent);
    let last = row
        .iter()
        .rposition(|c| !c.text.is_empty())
        .map_or(0, |i| i + 1);
    for (c, cell) in row[..last].iter().enumerate() {
        line.push_str(&style::paint(color, cell.style, &cell.text));
        if c + 1 < last {
            let pad = widths[c] - cell.text.chars().count() + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    writeln!(out, "{line}")
}

/// The items of a JSON array made one at a time as the array is written,
/// so that a long answer is never held whole: item `i` is `make(i)`. An
/// item that cannot be made stops the writing, and its error is kept in
/// `failed`, for the command to report rather than the writer's.
pub struct Items<'a, F> {
    len: usize,
    make: std::cell::RefCell<F>,
    failed: &'a std::cell::RefCell<Option<Error>>,
}

impl<'a, F> Items<'a, F> {
    /// `len` items, made by `make`, an error kept in `failed`.
    pub fn new(len: usize, make: F, failed: &'a std::cell::RefCell<Option<Error>>) -> Self {
        Items {
            len,
            make: std::cell::RefCell::new(make),
            failed,
        }
    }
}

impl<F, T> Serialize for Items<'_, F>
where
    F: FnMut(usize) -> Result<T, Error>,
    T: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.len))?;
        let mut make = self.make.borrow_mut();
        for i in 0..self.len {
            match make(i) {
                Ok(item) => seq.serialize_element(&item)?,
                Err(e) => {
                    let message = e.to_string();
                    *self.failed.borrow_mut() = Some(e);
                    return Err(S::Error::custom(message));
                }
            }
        }
        seq.end()
    }
}

/// The line that lets a reader reproduce an answer later: the head hash of
/// the stream it came from, and the recorded time it was asked as of.
pub fn head_line(head: &Hash, as_of: Option<&str>) -> String {
    match as_of {
        Some(when) => format!("head {head} (as of {when})"),
        None => format!("head {head}"),
    }
}

/// `text` dimmed when `color` is on.
pub fn dim(color: bool, text: &str) -> String {
    style::paint(color, style::DIM, text)
}

/// A source as one piece of text: the source, then the URL in angle
/// brackets, or an empty string.
pub fn source_text(source: Option<&str>, url: Option<&str>) -> String {
    match (source, url) {
        (Some(s), Some(u)) => format!("{} <{}>", one_line(s), one_line(u)),
        (Some(s), None) => one_line(s),
        (None, Some(u)) => format!("<{}>", one_line(u)),
        (None, None) => String::new(),
    }
}

/// How a status is qualified in text: ` [scheduled]`, ` [reported]` and so
/// on, for each flag that is set, in the order given.
pub fn marks(flags: &[(bool, &str)]) -> String {
    flags
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, word)| format!(" [{word}]"))
        .collect()
}

/// ` as of WHEN`, as typed, for an answer asked as of a past time; nothing
/// for one about the record as it stands.
pub fn as_of_words(when: Option<&AsOf>) -> String {
    when.map(|w| format!(" as of {}", w.input))
        .unwrap_or_default()
}

/// A path as text shown to a person: its odd bytes replaced, and escaped as
/// [`one_line`] escapes free text, so that a control character or a
/// direction mark in a directory's name is shown, never acted on.
pub fn path_text(path: &std::path::Path) -> String {
    one_line(&path.display().to_string())
}

/// `count` and `word`, in the plural unless the count is one: `1 event`,
/// `2 events`, `0 bytes`.
pub fn plural(count: u64, word: &str) -> String {
    match count {
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    }
}

/// Free text shown on one line of a table: line breaks and other control
/// characters, and the marks that turn the direction of text around (which
/// can make what follows them read backwards), are shown escaped, never
/// acted on by the terminal.
pub fn one_line(text: &str) -> String {
    fn hidden(c: char) -> bool {
        c.is_control()
            || matches!(
                c,
                '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            )
    }
    if text.chars().any(hidden) {
        text.chars()
            .map(|c| {
                if hidden(c) {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        text.to_owned()
    }
}

/// A note or remark for people: its line breaks (LF, CR LF or CR) kept,
/// each line after the first indented by `indent` spaces to stand under
/// the first, every other control character shown escaped as
/// [`one_line`] shows it.
pub fn indented(text: &str, indent: usize) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let pad = format!("\n{:indent$}", "");
    text.split('\n')
        .map(one_line)
        .collect::<Vec<_>>()
        .join(&pad)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_note_keeps_its_line_breaks_indented_and_escapes_the_rest() {
        assert_eq!(
            super::indented("one\r\ntwo\nthree\rfour", 2),
            "one\n  two\n  three\n  four"
        );
        assert_eq!(super::indented("bell\u{7} tab\t", 4), "bell\\u{7} tab\\t");
    }

    #[test]
    fn text_that_would_act_on_the_terminal_is_shown_escaped() {
        assert_eq!(super::one_line("GSOMIA 지소미아"), "GSOMIA 지소미아");
        assert_eq!(super::one_line("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
        // a right-to-left override would show what follows it backwards
        assert_eq!(
            super::one_line("Reuters\u{202e}gro.elpmaxe"),
            "Reuters\\u{202e}gro.elpmaxe"
        );
        assert_eq!(super::one_line("\u{2067}x\u{2069}"), "\\u{2067}x\\u{2069}");
    }

    #[test]
    fn an_array_written_a_run_per_core_is_the_array_serde_writes() {
        #[derive(serde::Serialize)]
        struct Row {
            n: usize,
            text: String,
        }
        for len in [0, 1, 1024, 1025, 3000, 16 * 1024 + 1, 40_000] {
            let rows: Vec<Row> = (0..len)
                .map(|n| Row {
                    n,
                    text: format!("\"{n}\"\n"),
                })
                .collect();
            for pretty in [false, true] {
                let mut ours = Vec::new();
                super::json_array(&mut ours, &rows, pretty).unwrap();
                let mut whole = Vec::new();
                super::json(&mut whole, &rows, pretty).unwrap();
                assert!(ours == whole, "{len} rows, pretty {pretty}");
            }
        }
    }
}
