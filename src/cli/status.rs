//! `pactlog status`: a pact's status on a date.

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::cli::output::{dim, head_line, one_line, source_text};
use crate::cli::{AsOfArg, Context, style, visible};
use crate::error::Error;
use crate::event::Hash;
use crate::pact::PactId;
use crate::replay::{Entry, Timeline};
use crate::status::Status;
use crate::time::{AsOf, parse_date};

/// Show a pact's status on a date (default: today).
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  pactlog status gsomia --on 2020-01-01")]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
    /// The date to ask about: YYYY-MM-DD or today.
    #[arg(long, value_name = "DATE", default_value = "today")]
    on: String,
    #[command(flatten)]
    as_of: AsOfArg,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
}

/// The answer, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Answer<'a> {
    pact: &'a PactId,
    name: &'a str,
    on: NaiveDate,
    as_of: Option<String>,
    status: Option<Status>,
    since: Option<NaiveDate>,
    event: Option<Uuid>,
    source: Option<&'a str>,
    url: Option<&'a str>,
    note: Option<&'a str>,
    reported: Option<bool>,
    forced: Option<bool>,
    scheduled: bool,
    next: Option<Next>,
    head: Hash,
}

/// The first change after the date asked about.
#[derive(Debug, Serialize)]
struct Next {
    status: Status,
    on: NaiveDate,
    scheduled: bool,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let on = parse_date(&self.on, ctx.today)?;
        let when = self.as_of.parse(ctx.now)?;
        let id = ctx.store.resolve(&self.pact)?;
        let stream = ctx.store.read(&id)?;
        let timeline = Timeline::new(visible(&stream, when.as_ref())?);
        let current = timeline.status_on(on);
        let next = timeline.next_after(on);
        let change = current.map(|e| e.change());
        let answer = Answer {
            pact: &stream.pact.id,
            name: &stream.pact.name,
            on,
            as_of: when.as_ref().map(AsOf::instant),
            status: current.map(|e| e.status()),
            since: current.map(|e| e.on()),
            event: current.map(|e| e.event.id),
            source: change.and_then(|c| c.source.as_deref()),
            url: change.and_then(|c| c.url.as_deref()),
            note: change.and_then(|c| c.note.as_deref()),
            reported: change.map(|c| c.reported),
            forced: change.map(|c| c.forced),
            scheduled: current.is_some_and(|e| e.on() > ctx.today),
            next: next.map(|e| Next {
                status: e.status(),
                on: e.on(),
                scheduled: e.on() > ctx.today,
            }),
            head: stream.head,
        };
        if self.json {
            return ctx.json(&answer);
        }
        write_text(ctx.out, &answer, current, next, ctx.today, ctx.color)?;
        let head = head_line(&answer.head, when.as_ref().map(|w| w.input.as_str()));
        writeln!(ctx.out, "{}", dim(ctx.color, &head))?;
        Ok(())
    }
}

fn write_text(
    out: &mut dyn Write,
    answer: &Answer<'_>,
    current: Option<Entry<'_>>,
    next: Option<Entry<'_>>,
    today: NaiveDate,
    color: bool,
) -> std::io::Result<()> {
    let (pact, on) = (answer.pact, answer.on);
    let ahead = match next.filter(|n| n.on() > today) {
        Some(n) => format!("; scheduled: {} on {}", n.status(), n.on()),
        None => String::new(),
    };
    let Some(current) = current else {
        let first = match next {
            Some(n) if n.on() > today => {
                format!(" (the first, {}, is scheduled for {})", n.status(), n.on())
            }
            Some(n) => format!(" (the first, {}, is on {})", n.status(), n.on()),
            None => String::new(),
        };
        return writeln!(out, "{pact} on {on}: no status recorded{first}");
    };
    let mut flags = Vec::new();
    if answer.scheduled {
        flags.push("scheduled");
    }
    if current.change().reported {
        flags.push("reported");
    }
    if current.change().forced {
        flags.push("forced");
    }
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!(" [{}]", flags.join(", "))
    };
    let status = style::paint(
        color,
        style::status(current.status()),
        current.status().words(),
    );
    writeln!(
        out,
        "{pact} on {on}: {status}{flags} since {}{ahead}",
        current.on()
    )?;
    writeln!(out, "  name    {}", one_line(answer.name))?;
    let source = source_text(answer.source, answer.url);
    if !source.is_empty() {
        writeln!(out, "  source  {source}")?;
    }
    if let Some(note) = answer.note {
        writeln!(out, "  note    {}", one_line(note))?;
    }
    writeln!(out, "  event   {}", current.event.id)?;
    Ok(())
}
