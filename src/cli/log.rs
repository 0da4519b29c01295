//! `pactlog log`: a stream's raw events in append order.

use std::io::Write;

use serde::Serialize;

use crate::cli::Context;
use crate::cli::output::{Table, json, one_line};
use crate::error::Error;
use crate::event::{Event, EventBody};

/// Show a pact's raw events in the order they were appended.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  pactlog log gsomia")]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
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
        let id = ctx.store.resolve(&self.pact)?;
        let stream = ctx.store.read(&id)?;
        if self.json {
            let entries: Vec<LogEntry> = stream
                .events
                .iter()
                .map(|event| LogEntry {
                    event,
                    retracted: false,
                })
                .collect();
            return json(ctx.out, &entries);
        }
        for (i, event) in stream.events.iter().enumerate() {
            if i > 0 {
                writeln!(ctx.out)?;
            }
            write_event(ctx.out, event)?;
        }
        Ok(())
    }
}

fn write_event(out: &mut dyn Write, event: &Event) -> std::io::Result<()> {
    writeln!(
        out,
        "#{}  {}  recorded {}",
        event.seq,
        event.body.kind(),
        event.recorded.format("%Y-%m-%dT%H:%M:%S%.6fZ")
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
            optional("note", Some(&format!("on {}: {}", note.on, note.text)));
            optional("source", note.source.as_deref());
            optional("url", note.url.as_deref());
        }
    }
    fields.print(out, "    ")
}
