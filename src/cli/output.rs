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

    /// Writes one row.
    pub fn row<T: Serialize>(&mut self, row: &T) -> Result<(), Error> {
        // every cell a spreadsheet would run as a formula is defused
        Ok(self.writer.serialize(Defused(row)).map_err(csv_io)?)
    }

    /// Writes out what is buffered.
    pub fn finish(mut self) -> Result<(), Error> {
        Ok(self.writer.flush()?)
    }
}

/// CSV rows written into memory a cell at a time, quoted as [`Csv`] quotes
/// them (by the same writer underneath, as it is set up), each cell
/// defused alike; for rows made in batches on several cores, with the runs
/// of cells that every row of a batch repeats written once, as [`Cells`].
pub struct CsvBytes {
    writer: csv_core::Writer,
    /// The rows written, in the first `used` bytes, then room to write in.
    bytes: Vec<u8>,
    used: usize,
    /// The cells of the row being written, so far.
    cells: usize,
}

/// A run of cells as [`CsvBytes`] writes them within a row, written once:
/// each quoted where it must be, between delimiters.
pub struct Cells {
    bytes: Vec<u8>,
    cells: usize,
}

impl Cells {
    /// The run of `cells`, each defused.
    pub fn of(cells: &[&str]) -> Cells {
        let mut run = CsvBytes::new();
        for cell in cells {
            run.cell(cell);
        }
        // the last cell ended as the next would end it (its quote closed),
        // without the delimiter that would follow it
        run.delimit();
        let mut bytes = run.into_bytes();
        bytes.pop();
        // (a command may hold a run for each of many streams: none keeps
        // the room it was written in)
        bytes.shrink_to_fit();
        Cells {
            bytes,
            cells: cells.len(),
        }
    }
}

impl CsvBytes {
    /// No rows yet.
    pub fn new() -> CsvBytes {
        CsvBytes {
            writer: csv_core::Writer::new(),
            bytes: Vec::new(),
            used: 0,
            cells: 0,
        }
    }

    /// Writes the next cell of the row, defused.
    pub fn cell(&mut self, text: &str) {
        if self.cells > 0 {
            self.delimit();
        }
        let text = crate::transfer::cell::defuse(text);
        let field = text.as_bytes();
        // (a field quoted whole, each of its bytes a quote, at most)
        let room = room(&mut self.bytes, self.used, 2 * field.len() + 2);
        let (done, _, wrote) = self.writer.field(field, room);
        debug_assert!(matches!(done, csv_core::WriteResult::InputEmpty));
        self.used += wrote;
        self.cells += 1;
    }

    /// Writes the run of cells `run` as the row's next.
    pub fn cells(&mut self, run: &Cells) {
        if self.cells > 0 {
            self.delimit();
        }
        let room = room(&mut self.bytes, self.used, run.bytes.len());
        room[..run.bytes.len()].copy_from_slice(&run.bytes);
        self.used += run.bytes.len();
        self.cells += run.cells;
    }

    /// Ends the row: `cells` are how many it must have.
    pub fn end_row(&mut self, cells: usize) {
        debug_assert_eq!(self.cells, cells, "a row of every column");
        let room = room(&mut self.bytes, self.used, 3);
        let (done, wrote) = self.writer.terminator(room);
        debug_assert!(matches!(done, csv_core::WriteResult::InputEmpty));
        self.used += wrote;
        self.cells = 0;
    }

    /// The rows written.
    pub fn into_bytes(mut self) -> Vec<u8> {
        self.bytes.truncate(self.used);
        self.bytes
    }

    /// Ends the cell before: its closing quote, if it has one, and the
    /// delimiter.
    fn delimit(&mut self) {
        let room = room(&mut self.bytes, self.used, 2);
        let (done, wrote) = self.writer.delimiter(room);
        debug_assert!(matches!(done, csv_core::WriteResult::InputEmpty));
        self.used += wrote;
    }
}

impl Default for CsvBytes {
    fn default() -> Self {
        CsvBytes::new()
    }
}

/// At least `need` bytes of `bytes` to write in, from `used` on: the bytes
/// are made longer, twice as long at least, when they have fewer (so that
/// room is set to zero once, not each time it is asked for).
fn room(bytes: &mut Vec<u8>, used: usize, need: usize) -> &mut [u8] {
    if bytes.len() - used < need {
        let len = (used + need).max(2 * bytes.len()).max(1 << 12);
        bytes.resize(len, 0);
    }
    &mut bytes[used..]
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
    use proptest::prelude::*;

    /// Rows of cells as [`super::Csv`] writes them: the rows themselves,
    /// the header being `columns`.
    fn by_csv(columns: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut csv = super::Csv::new(&mut bytes, columns).unwrap();
        for row in rows {
            csv.row(row).unwrap();
        }
        csv.finish().unwrap();
        let header = memchr::memchr(b'\n', &bytes).unwrap() + 1;
        bytes.split_off(header)
    }

    proptest! {
        /// Whatever the cells (quotes, delimiters, line breaks, formulas,
        /// nothing), and whichever of them are written as runs, the rows
        /// are those the CSV writer of every other table writes.
        #[test]
        fn rows_in_memory_are_written_as_csv_writes_them(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-c,\"\r\n =+@'-]{0,4}", 5),
                1..4,
            ),
            runs in proptest::collection::vec(0_usize..5, 0..3),
        ) {
            let columns = ["a", "b", "c", "d", "e"];
            let mut bytes = super::CsvBytes::new();
            for row in &rows {
                // cells from `at` on, up to the next place a run begins, as one run
                let mut at = 0;
                let mut starts: Vec<usize> = runs.clone();
                starts.sort_unstable();
                starts.dedup();
                for start in starts.into_iter().chain([5]) {
                    while at < start {
                        bytes.cell(&row[at]);
                        at += 1;
                    }
                    if at == 5 {
                        break;
                    }
                    let end = (at + 2).min(5);
                    let cells: Vec<&str> = row[at..end].iter().map(String::as_str).collect();
                    bytes.cells(&super::Cells::of(&cells));
                    at = end;
                }
                bytes.end_row(5);
            }
            let ours = String::from_utf8(bytes.into_bytes()).unwrap();
            let theirs = String::from_utf8(by_csv(&columns, &rows)).unwrap();
            prop_assert_eq!(ours, theirs);
        }
    }

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
