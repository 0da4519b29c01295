//! `pactlog log`: a stream's raw events in append order.

use std::cell::RefCell;
use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use crate::cli::output::{Items, Table, one_line};
use crate::cli::{AsOfArg, Context, seen_by};
use crate::model::error::Error;
use crate::model::event::{Event, EventBody, Retraction, What};
use crate::model::time::shown;

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
struct LogEntry {
    #[serde(flatten)]
    event: Event,
    retracted: bool,
}

/// A retraction, as the events it withdraws are shown with it.
struct Withdrawal {
    /// The line it withdraws.
    target: usize,
    /// Its own line, and where that begins.
    line: usize,
    offset: u64,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let when = self.as_of.parse(ctx.now)?;
        let id = ctx.store.resolve(&self.pact)?;
        // the stream folded to learn what is visible and what is retracted,
        // then read again, an event at a time as each is written
        let at = when.as_ref().map(|w| w.at);
        let (mut visible, mut registered) = (0, None);
        // each event counts by its own recorded time: after a git merge,
        // lines recorded by then may follow lines recorded after, the runs
        // of lines `hidden` (first and last)
        let mut hidden: Vec<(usize, usize)> = Vec::new();
        let mut withdrawn = Vec::new();
        let (stream, mut lines) = ctx.store.fold(&id, |line| {
            registered.get_or_insert(line.fact.recorded);
            if at.is_some_and(|at| line.fact.recorded > at) {
                match hidden.last_mut() {
                    Some((_, end)) if *end + 1 == line.number => *end = line.number,
                    _ => hidden.push((line.number, line.number)),
                }
                return Ok(());
            }
            visible += 1;
            // a citation names its target too, and withdraws nothing
            if let (Some(target), What::Retraction { .. }) = (line.target, &line.fact.what) {
                withdrawn.push(Withdrawal {
                    target,
                    line: line.number,
                    offset: line.offset,
                });
            }
            Ok(())
        })?;
        seen_by(&stream.pact.id, visible, registered, when.as_ref())?;
        withdrawn.sort_unstable_by_key(|w| w.target);
        let by = |line: usize| {
            let at = withdrawn.binary_search_by_key(&line, |w| w.target).ok();
            at.map(|at| &withdrawn[at])
        };
        // the retractions are read where they lie, apart from the walk
        let mut elsewhere = match withdrawn.is_empty() {
            true => None,
            false => Some(lines.another()?),
        };
        // the lines hidden before the last visible one are passed over
        let shown = |number: usize| {
            let run = hidden.partition_point(|(first, _)| *first <= number);
            run == 0 || hidden[run - 1].1 < number
        };
        let (mut offset, mut number) = (0, 0);
        // the next visible event, and its line
        let mut next = || loop {
            number += 1;
            let (event, end) = lines.event_and_end(number, offset)?;
            offset = end;
            if shown(number) {
                return Ok::<_, Error>((number, event));
            }
        };
        if self.json {
            let failed = RefCell::new(None);
            let make = |_| {
                let (number, event) = next()?;
                let retracted = by(number).is_some();
                Ok(LogEntry { event, retracted })
            };
            let written = ctx.json(&Items::new(visible, make, &failed));
            return match failed.into_inner() {
                Some(e) => Err(e),
                None => written,
            };
        }
        for shown in 0..visible {
            if shown > 0 {
                writeln!(ctx.out)?;
            }
            let (number, event) = next()?;
            let retraction = match (by(number), &mut elsewhere) {
                (Some(w), Some(elsewhere)) => Some(elsewhere.event(w.line, w.offset)?),
                _ => None,
            };
            let retracted_by = retraction.as_ref().and_then(|by| match &by.body {
                EventBody::Retraction(retraction) => Some((by, retraction)),
                _ => None,
            });
            write_event(ctx.out, &event, retracted_by.as_ref(), ctx.today)?;
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
    let mut mark = match retracted_by {
        Some((by, _)) => format!("  RETRACTED by #{}", by.seq),
        None => String::new(),
    };
    // a line a git merge brought from another branch, where it was
    // recorded: its time may be before the lines above it
    if event.relinked.is_some() {
        mark.insert_str(0, " (merged in)");
    }
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
            if change.on.is_after(today) {
                status.push_str(" [scheduled]");
            }
            if change.reported {
                status.push_str(" [reported]");
            }
            if change.forced {
                status.push_str(" [forced]");
            }
            optional("status", Some(&status));
            let parties = change.parties.join(", ");
            optional("parties", Some(parties.as_str()).filter(|p| !p.is_empty()));
            optional("source", change.source.as_deref());
            optional("url", change.url.as_deref());
            optional("note", change.note.as_deref());
            let amends = change.amends.map(|id| id.to_string());
            optional("amends", amends.as_deref());
        }
        EventBody::Note(note) => {
            let scheduled = if note.on.is_after(today) {
                " [scheduled]"
            } else {
                ""
            };
            optional(
                "note",
                Some(&format!("on {}{scheduled}: {}", note.on, note.text)),
            );
            let parties = note.parties.join(", ");
            optional("parties", Some(parties.as_str()).filter(|p| !p.is_empty()));
            optional("source", note.source.as_deref());
            optional("url", note.url.as_deref());
            let amends = note.amends.map(|id| id.to_string());
            optional("amends", amends.as_deref());
        }
        EventBody::Retraction(retraction) => {
            optional("retracts", Some(&retraction.target.to_string()));
            optional("reason", Some(&retraction.reason));
        }
        EventBody::Edited(edit) => {
            optional("edits", Some(&crate::cli::errata::edit_words(edit)));
        }
        EventBody::Citation(citation) => {
            optional("cites", Some(&citation.target.to_string()));
            let official = if citation.official { " [official]" } else { "" };
            optional("source", Some(&format!("{}{official}", citation.source)));
            optional("url", citation.url.as_deref());
        }
    }
    if let Some((_, retraction)) = retracted_by {
        optional("retracted", Some(&retraction.reason));
    }
    fields.print(out, "    ", false)
}
