//! `pactlog log`: a stream's raw events in append order.

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use crate::cli::output::{Table, one_line};
use crate::cli::{AsOfArg, Context, visible};
use crate::error::Error;
use crate::event::{Event, EventBody, Retraction};
use crate::replay::retractions;
use crate::time::shown;

/// Show a pact's raw events in append order.
///
/// Retracted events are marked, with the reason.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pactlog log gsomia\n  pactlog log gsomia --as-of 2026-01-31")]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
    #[command(flatten)]
    as_of: AsOfArg,
    /// Print the events as a JSON array.
    #[arg(long)]
    json: bool,
}

/// One event as `--json` prints it: every stored field, and whether it is
/// retracted.
#[derive(Debug, Serialize)]
struct LogEntry<'a> {
    #[serde(flatten)]
    event: &'a Event,
    retracted: bool,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let when = self.as_of.parse(ctx.now)?;
        let id = ctx.store.resolve(&self.pact)?;
        let stream = ctx.store.read(&id)?;
        let events = visible(&stream, when.as_ref())?;
        let retracted = retractions(events);
        if self.json {
            let entries: Vec<LogEntry> = events
                .iter()
                .map(|event| LogEntry {
                    event,
                    retracted: retracted.contains_key(&event.id),
                })
                .collect();
            return ctx.json(&entries);
        }
        for (i, event) in events.iter().enumerate() {
            if i > 0 {
                writeln!(ctx.out)?;
            }
            write_event(ctx.out, event, retracted.get(&event.id), ctx.today)?;
        }
        Ok(())
    }
}

fn write_event(
    out: &mut dyn Write,
    event: &Event,
    retracted_by: Option<&(&Event, &Retraction)>,
    today: NaiveDate,
) -> std::io::Result<()> {
    let mark = match retracted_by {
        Some((by, _)) => format!("  RETRACTED by #{}", by.seq),
        None => String::new(),
    };
    writeln!(
        out,
        "#{}  {}  recorded {}{mark}",
        event.seq,
        event.body.kind(),
        shown(event.recorded)
    )?;
    let mut fields = Table::default();
    fields.row(["id".to_owned(), event.id.to_string()]);
    let mut optional = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            fields.row([name.to_owned(), one_line(value)]);
        }
    };
    match &event.body {
        EventBody::Registered(pact) => {
            optional("name", Some(&pact.name));
            let (aliases, parties) = (pact.aliases.join(", "), pact.parties.join(", "));
            optional("aliases", Some(aliases.as_str()).filter(|s| !s.is_empty()));
            optional("parties", Some(parties.as_str()).filter(|s| !s.is_empty()));
            optional("kind", pact.kind.as_deref());
            optional("about", pact.description.as_deref());
            optional("source", pact.source.as_deref());
            optional("url", pact.url.as_deref());
        }
        EventBody::Status(change) => {
            let mut status = format!("{} on {}", change.status, change.on);
            if change.on > today {
                status.push_str(" [scheduled]");
            }
            if change.reported {
                status.push_str(" [reported]");
            }
            if change.forced {
                status.push_str(" [forced]");
            }
            optional("status", Some(&status));
            optional("source", change.source.as_deref());
            optional("url", change.url.as_deref());
            optional("note", change.note.as_deref());
        }
        EventBody::Note(note) => {
            let scheduled = if note.on > today { " [scheduled]" } else { "" };
            optional(
                "note",
                Some(&format!("on {}{scheduled}: {}", note.on, note.text)),
            );
            optional("source", note.source.as_deref());
            optional("url", note.url.as_deref());
        }
        EventBody::Retraction(retraction) => {
            optional("retracts", Some(&retraction.target.to_string()));
            optional("reason", Some(&retraction.reason));
        }
    }
    if let Some((_, retraction)) = retracted_by {
        optional("retracted", Some(&retraction.reason));
    }
    fields.print(out, "    ", false)
}
