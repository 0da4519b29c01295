//! Rendering helpers shared by the commands: aligned tables, sources, JSON,
//! and the one format of an error report.

use std::io::{self, Write};

use serde::Serialize;

use crate::error::Error;
use crate::event::Hash;

/// Writes `error: ...` and, where one helps, `hint: ...` to `w`.
pub fn report(w: &mut dyn Write, error: &Error) {
    // If stderr itself is gone there is nowhere left to say so.
    let _ = writeln!(w, "error: {error}");
    if let Some(hint) = error.hint() {
        let _ = writeln!(w, "hint: {hint}");
    }
}

/// Writes `value` as one line of compact JSON.
pub fn json(out: &mut dyn Write, value: &impl Serialize) -> Result<(), Error> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

/// Rows of cells printed with every column but the last padded to the
/// widest cell, two spaces apart.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Adds a row.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Prints the rows, each line prefixed by `indent`.
    pub fn print(&self, out: &mut dyn Write, indent: &str) -> io::Result<()> {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let mut line = String::from(indent);
            for (c, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if c + 1 < row.len() {
                    let pad = widths[c] - cell.chars().count() + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
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

/// `text` dimmed with an ANSI escape when `color` is on.
pub fn dim(color: bool, text: &str) -> String {
    if color {
        format!("\x1b[2m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// A source as one piece of text: the source, then the URL in angle
/// brackets, or an empty string.
pub fn source_text(source: Option<&str>, url: Option<&str>) -> String {
    match (source, url) {
        (Some(s), Some(u)) => format!("{} <{u}>", one_line(s)),
        (Some(s), None) => one_line(s),
        (None, Some(u)) => format!("<{u}>"),
        (None, None) => String::new(),
    }
}

/// Free text shown on one line of a table: line breaks and other control
/// characters are shown escaped, never acted on by the terminal.
pub fn one_line(text: &str) -> String {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| {
                if c.is_control() {
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
