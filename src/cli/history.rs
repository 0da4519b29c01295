//! `pactlog history`: the status intervals of a pact, with its notes.

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::cli::output::{Cell, Table, csv, dim, head_line, marks, one_line, source_text};
use crate::cli::style;
use crate::cli::{AsOfArg, Context, TableFormat, visible};
use crate::error::Error;
use crate::event::Hash;
use crate::pact::{Pact, PactId};
use crate::replay::{Timeline, notes};
use crate::status::Status;
use crate::time::AsOf;

/// Show the status intervals of a pact, oldest first, with its notes.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  pactlog history gsomia")]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
    #[command(flatten)]
    as_of: AsOfArg,
    #[command(flatten)]
    format: TableFormat,
}

#[derive(Debug, Serialize)]
struct History<'a> {
    pact: &'a PactId,
    name: &'a str,
    as_of: Option<String>,
    intervals: Vec<IntervalOut<'a>>,
    notes: Vec<NoteOut<'a>>,
    head: Hash,
}

#[derive(Debug, Serialize)]
struct IntervalOut<'a> {
    status: Status,
    from: NaiveDate,
    to: Option<NaiveDate>,
    event: Uuid,
    source: Option<&'a str>,
    url: Option<&'a str>,
    note: Option<&'a str>,
    reported: bool,
    forced: bool,
    scheduled: bool,
}

#[derive(Debug, Serialize)]
struct NoteOut<'a> {
    on: NaiveDate,
    text: &'a str,
    source: Option<&'a str>,
    url: Option<&'a str>,
    event: Uuid,
    /// About a day after today.
    scheduled: bool,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let when = self.as_of.parse(ctx.now)?;
        let id = ctx.store.resolve(&self.pact)?;
        let stream = ctx.store.read(&id)?;
        let events = visible(&stream, when.as_ref())?;
        let timeline = Timeline::new(events);
        let history = History {
            pact: &stream.pact.id,
            name: &stream.pact.name,
            as_of: when.as_ref().map(AsOf::instant),
            intervals: timeline
                .intervals()
                .into_iter()
                .map(|i| IntervalOut {
                    status: i.entry.status(),
                    from: i.from,
                    to: i.to,
                    event: i.entry.event.id,
                    source: i.entry.change().source.as_deref(),
                    url: i.entry.change().url.as_deref(),
                    note: i.entry.change().note.as_deref(),
                    reported: i.entry.change().reported,
                    forced: i.entry.change().forced,
                    scheduled: i.from > ctx.today,
                })
                .collect(),
            notes: notes(events)
                .into_iter()
                .map(|(event, note)| NoteOut {
                    on: note.on,
                    text: &note.text,
                    source: note.source.as_deref(),
                    url: note.url.as_deref(),
                    event: event.id,
                    scheduled: note.on > ctx.today,
                })
                .collect(),
            head: stream.head,
        };
        if self.format.json {
            return ctx.json(&history);
        }
        if self.format.csv {
            let columns = [
                "status",
                "from",
                "to",
                "event",
                "source",
                "url",
                "note",
                "reported",
                "forced",
                "scheduled",
            ];
            return csv(ctx.out, &columns, &history.intervals);
        }
        write_text(ctx.out, &stream.pact, &history, ctx.color)?;
        let head = head_line(&history.head, when.as_ref().map(|w| w.input.as_str()));
        writeln!(ctx.out, "\n{}", dim(ctx.color, &head))?;
        Ok(())
    }
}

fn write_text(
    out: &mut dyn Write,
    pact: &Pact,
    history: &History<'_>,
    color: bool,
) -> std::io::Result<()> {
    writeln!(out, "{}  {}", pact.id, one_line(&pact.name))?;
    let mut about = Vec::new();
    if !pact.aliases.is_empty() {
        about.push(format!("aliases {}", one_line(&pact.aliases.join(", "))));
    }
    if !pact.parties.is_empty() {
        about.push(format!("parties {}", one_line(&pact.parties.join(", "))));
    }
    if let Some(kind) = &pact.kind {
        about.push(one_line(kind));
    }
    if !about.is_empty() {
        writeln!(out, "{}", about.join(" · "))?;
    }
    writeln!(out)?;
    if history.intervals.is_empty() {
        writeln!(out, "no status recorded")?;
    } else {
        let mut table = Table::with_header(&["FROM", "TO", "STATUS", "SOURCE"]);
        for i in &history.intervals {
            let status = i.status.to_string()
                + &marks(&[
                    (i.scheduled, "scheduled"),
                    (i.reported, "reported"),
                    (i.forced, "forced"),
                ]);
            table.row([
                Cell::from(i.from.to_string()),
                Cell::from(i.to.map_or_else(|| "…".to_owned(), |d| d.to_string())),
                Cell::styled(status, style::status(i.status)),
                Cell::from(source_text(i.source, i.url)),
            ]);
        }
        table.print(out, "", color)?;
    }
    let remarks: Vec<_> = history
        .intervals
        .iter()
        .filter(|i| i.note.is_some())
        .collect();
    if !remarks.is_empty() {
        writeln!(out, "\n{}", style::paint(color, style::HEADER, "REMARKS"))?;
        for i in remarks {
            let note = one_line(i.note.unwrap_or_default());
            writeln!(out, "{}  {}: {note}", i.from, i.status)?;
        }
    }
    if !history.notes.is_empty() {
        writeln!(out, "\n{}", style::paint(color, style::HEADER, "NOTES"))?;
        for n in &history.notes {
            let scheduled = if n.scheduled { " [scheduled]" } else { "" };
            writeln!(out, "{}  {}{scheduled}", n.on, one_line(n.text))?;
            let source = source_text(n.source, n.url);
            if !source.is_empty() {
                writeln!(out, "{:10}  {source}", "")?;
            }
        }
    }
    Ok(())
}
