//! Colour, only where it helps: statuses, headers and errors, and only when
//! the output is a terminal. `NO_COLOR` turns it off, `CLICOLOR_FORCE` turns
//! it on for pipes too; with both set, `NO_COLOR` wins.

use std::ffi::OsStr;

use anstyle::{AnsiColor, Style};

use crate::model::status::Status;

/// Whether to colour a stream, from whether it is a terminal and the values
/// of `NO_COLOR` and `CLICOLOR_FORCE`.
///
/// ```
/// use pactlog::cli::style::wants_color;
/// use std::ffi::OsStr;
/// assert!(wants_color(true, None, None));
/// assert!(!wants_color(false, None, None));
/// assert!(!wants_color(true, Some(OsStr::new("1")), None));
/// assert!(wants_color(false, None, Some(OsStr::new("1"))));
/// assert!(!wants_color(false, None, Some(OsStr::new("0"))));
/// ```
pub fn wants_color(is_terminal: bool, no_color: Option<&OsStr>, force: Option<&OsStr>) -> bool {
    let set = |v: Option<&OsStr>| v.is_some_and(|v| !v.is_empty() && v != "0");
    if no_color.is_some_and(|v| !v.is_empty()) {
        return false;
    }
    set(force) || is_terminal
}

/// The colour of a status: green while it holds, yellow while in doubt,
/// red when it has ended, blue before it begins.
pub fn status(status: Status) -> Style {
    let color = match status {
        Status::InForce | Status::Normalized => AnsiColor::Green,
        Status::TerminationNotified | Status::ConditionallySuspended => AnsiColor::Yellow,
        Status::Suspended => AnsiColor::Magenta,
        Status::Terminated | Status::Expired | Status::Withdrawn => AnsiColor::Red,
        Status::Proposed | Status::Signed | Status::Ratified => AnsiColor::Blue,
        Status::ProvisionallyApplied => AnsiColor::Cyan,
    };
    Style::new().fg_color(Some(color.into()))
}

/// Column headers.
pub const HEADER: Style = Style::new().bold();
/// Secondary text: head hashes, as-of notes.
pub const DIM: Style = Style::new().dimmed();
/// `error:` on standard error.
pub const ERROR: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
/// `warning:` and `hint:`.
pub const HINT: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));

/// `text` in `style` when `color` is on, plain otherwise.
pub fn paint(color: bool, style: Style, text: &str) -> String {
    if color && style != Style::new() {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_owned()
    }
}
