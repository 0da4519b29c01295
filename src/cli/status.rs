//! `pactlog status`: a pact's status on a date.

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::cli::output::{dim, head_line, one_line, source_text};
use crate::cli::{AsOfArg, Context, event_of, registered_by, style};
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::{Event, Hash};
use crate::model::pact::PactId;
use crate::model::status::Status;
use crate::model::time::{AsOf, parse_date};
use crate::replay::{Mark, Outline};

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
    since: Option<EffectiveDate>,
    /// False when a date known only to the month or year, or a qualified
    /// one, leaves the answer open.
    certain: bool,
    /// Every status the pact may have had on the day (`null`: none yet),
    /// oldest first: the one status when the answer is certain.
    possible: Vec<Option<Status>>,
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
    on: EffectiveDate,
    scheduled: bool,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let on = parse_date(&self.on, ctx.today)?;
        let when = self.as_of.parse(ctx.now)?;
        let id = ctx.store.resolve(&self.pact)?;
        // the stream is folded into its timeline's marks; the one event the
        // answer shows is read again
        let at = when.as_ref().map(|w| w.at);
        let (stream, mut lines, outline) = Outline::of_stream(&ctx.store, &id, at)?;
        registered_by(&stream.pact.id, &outline, when.as_ref())?;
        let answer_on = outline.timeline().answer_on(on);
        let current = answer_on.status;
        let next = outline.timeline().next_after(on);
        let status_of = |m: Option<&Mark>| m.and_then(Mark::status);
        let possible: Vec<Option<Status>> = match answer_on.certain {
            true => vec![status_of(current)],
            false => answer_on.possible.iter().map(|m| status_of(*m)).collect(),
        };
        // the date that leaves it open: the last that may have passed, or
        // the deciding one's own
        let open = (!answer_on.certain)
            .then(|| answer_on.possible.last().copied().flatten())
            .flatten()
            .map(|m| (status_of(Some(m)), m.on()));
        let event = current.map(|mark| event_of(&mut lines, mark)).transpose()?;
        let current = current.zip(event.as_ref());
        let change = event.as_ref().and_then(Event::status_change);
        let answer = Answer {
            pact: &stream.pact.id,
            name: &stream.pact.name,
            on,
            as_of: when.as_ref().map(AsOf::instant),
            status: change.map(|c| c.status),
            since: change.map(|c| c.on),
            certain: answer_on.certain,
            possible,
            event: event.as_ref().map(|e| e.id),
            source: change.and_then(|c| c.source.as_deref()),
            url: change.and_then(|c| c.url.as_deref()),
            note: change.and_then(|c| c.note.as_deref()),
            reported: change.map(|c| c.reported),
            forced: change.map(|c| c.forced),
            scheduled: change.is_some_and(|c| c.on.is_after(ctx.today)),
            next: next.map(|m| Next {
                status: m.status().expect("a timeline holds only statuses"),
                on: m.on(),
                scheduled: m.on().is_after(ctx.today),
            }),
            head: stream.head,
        };
        if self.json {
            return ctx.json(&answer);
        }
        if let Some((status, date)) = open {
            write_open(ctx.out, &answer, (status, date), ctx.color)?;
        } else {
            write_text(ctx.out, &answer, current, ctx.today, ctx.color)?;
        }
        let head = head_line(&answer.head, when.as_ref().map(|w| w.input.as_str()));
        writeln!(ctx.out, "{}", dim(ctx.color, &head))?;
        Ok(())
    }
}

/// An answer left open by a date known only to the month or year, or a
/// qualified one: each status the pact may have had, newest first, and the
/// date that leaves it open, in words.
fn write_open(
    out: &mut dyn Write,
    answer: &Answer<'_>,
    (status, date): (Option<Status>, EffectiveDate),
    color: bool,
) -> std::io::Result<()> {
    let words = |s: &Option<Status>| match s {
        Some(s) => style::paint(color, style::status(*s), s.words()),
        None => "not yet".to_owned(),
    };
    let may_be: Vec<String> = answer.possible.iter().rev().map(words).collect();
    let what = match status {
        Some(status) => status.words(),
        None => "no status",
    };
    writeln!(
        out,
        "{} on {}: {}: {what} {}",
        answer.pact,
        answer.on,
        may_be.join(", or "),
        date.words()
    )?;
    writeln!(out, "  name    {}", one_line(answer.name))?;
    Ok(())
}

fn write_text(
    out: &mut dyn Write,
    answer: &Answer<'_>,
    current: Option<(&Mark, &Event)>,
    today: NaiveDate,
    color: bool,
) -> std::io::Result<()> {
    let (pact, on) = (answer.pact, answer.on);
    let next = answer.next.as_ref();
    let ahead = match next.filter(|n| n.on.is_after(today)) {
        Some(n) => format!("; scheduled: {} on {}", n.status, n.on),
        None => String::new(),
    };
    let Some((current, event)) = current else {
        let first = match next {
            Some(n) if n.on.is_after(today) => {
                format!(" (the first, {}, is scheduled for {})", n.status, n.on)
            }
            Some(n) => format!(" (the first, {}, is on {})", n.status, n.on),
            None => String::new(),
        };
        return writeln!(out, "{pact} on {on}: no status recorded{first}");
    };
    let mut flags = Vec::new();
    if answer.scheduled {
        flags.push("scheduled");
    }
    if current.reported() {
        flags.push("reported");
    }
    if current.forced() {
        flags.push("forced");
    }
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!(" [{}]", flags.join(", "))
    };
    let status = current.status().expect("a timeline holds only statuses");
    let painted = style::paint(color, style::status(status), status.words());
    writeln!(
        out,
        "{pact} on {on}: {painted}{flags} since {}{ahead}",
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
    writeln!(out, "  event   {}", event.id)?;
    Ok(())
}
