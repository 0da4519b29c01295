//! `pactlog status`: a pact's status on a date.

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::cli::output::{dim, head_line, indented, one_line, source_text};
use crate::cli::{AsOfArg, Context, event_of, party_of, registered_by, style};
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::{Event, Hash};
use crate::model::pact::PactId;
use crate::model::status::Status;
use crate::model::time::{AsOf, parse_date};
use crate::replay::{self, OnDay, Outline, Source, Step, Timeline};

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  pactlog status gsomia --on 2020-01-01")]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
    /// The date to ask about: YYYY-MM-DD or today.
    #[arg(long, value_name = "DATE", default_value = "today")]
    on: String,
    /// The party to ask about: its status, from the pact's statuses and its
    /// own.
    #[arg(long, value_name = "P")]
    party: Option<String>,
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
    /// The party asked about (`null`: the pact as a whole).
    party: Option<&'a str>,
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
    /// Every source of the deciding event: its own, then its citations.
    sources: Vec<Source>,
    source: Option<&'a str>,
    url: Option<&'a str>,
    note: Option<&'a str>,
    reported: Option<bool>,
    forced: Option<bool>,
    scheduled: bool,
    next: Option<Next>,
    /// Each party's status (asked about the pact as a whole).
    parties: Vec<PartyAnswer>,
    head: Hash,
    /// The stream's last seq, as it stands: what `--expect-seq` takes.
    seq: usize,
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
        // the pact's timeline, or the party's (matched in any case)
        let asked = self.party.as_deref().map(str::trim);
        let (stream, mut lines, outline) = Outline::of_party_stream(&ctx.store, &id, at, asked)?;
        registered_by(&stream.pact.id, &outline, when.as_ref())?;
        // the metadata as it stood then, the party one of its parties then
        let pact = outline.pact().unwrap_or(&stream.pact);
        let party = asked.map(|p| party_of(pact, p)).transpose()?;
        let found = found(outline.timeline(), on, |m| event_of(&mut lines, m))?;
        // every source of the deciding event: its own, then its citations
        let sources = match &found.event {
            None => Vec::new(),
            Some(event) => {
                let cited = outline.cited(event.seq as usize);
                let cited: Vec<Source> = cited
                    .map(|c| c.read(&mut lines))
                    .collect::<Result<_, _>>()?;
                replay::own_source(event).into_iter().chain(cited).collect()
            }
        };
        // each party's own timeline, for the pact's answer, needs the
        // events whole (those the outline saw), once a party has statuses
        let whole = match party.is_none() && outline.of_parties() {
            true => Some(ctx.store.read(&id)?),
            false => None,
        };
        let events = whole.as_ref().map(|w| replay::as_of(&w.events, at));
        let parties = pact
            .parties
            .iter()
            .filter(|_| party.is_none())
            .map(|p| {
                let answer = |t: &Timeline<_>| PartyAnswer::of(p, t.answer_on(on));
                match &events {
                    Some(events) => answer(&Timeline::of_party(events.iter(), p)),
                    None => PartyAnswer::of(p, outline.timeline().answer_on(on)),
                }
            })
            .collect();
        let change = found.event.as_ref().and_then(Event::status_change);
        let answer = Answer {
            pact: &stream.pact.id,
            name: &pact.name,
            party,
            on,
            as_of: when.as_ref().map(AsOf::instant),
            status: change.map(|c| c.status),
            since: change.map(|c| c.on),
            certain: found.certain,
            possible: found.possible,
            event: found.event.as_ref().map(|e| e.id),
            sources,
            source: change.and_then(|c| c.source.as_deref()),
            url: change.and_then(|c| c.url.as_deref()),
            note: change.and_then(|c| c.note.as_deref()),
            reported: found.reported,
            forced: change.map(|c| c.forced),
            scheduled: change.is_some_and(|c| c.on.is_after(ctx.today)),
            next: found.next.map(|(status, on)| Next {
                status,
                on,
                scheduled: on.is_after(ctx.today),
            }),
            parties,
            head: stream.head,
            seq: stream.events,
        };
        if self.json {
            return ctx.json(&answer);
        }
        if let Some(open) = found.open {
            write_open(ctx.out, &answer, open, ctx.color)?;
        } else {
            write_text(ctx.out, &answer, found.event.as_ref(), ctx.today, ctx.color)?;
        }
        write_parties(ctx.out, &answer, outline.of_parties())?;
        let head = head_line(&answer.head, when.as_ref().map(|w| w.input.as_str()));
        writeln!(ctx.out, "{}", dim(ctx.color, &head))?;
        Ok(())
    }
}

/// What an answer shows of a timeline on a day: the deciding event, read,
/// how sure it is, and the change ahead.
struct Found {
    event: Option<Event>,
    certain: bool,
    possible: Vec<Option<Status>>,
    /// When uncertain: the status and date that leave it open.
    open: Option<(Option<Status>, EffectiveDate)>,
    next: Option<(Status, EffectiveDate)>,
    /// Whether the deciding status is known only from reports, unconfirmed.
    reported: Option<bool>,
}

/// The answer of `timeline` on `on`, the deciding event read by `read`.
fn found<S: Step>(
    timeline: &Timeline<S>,
    on: NaiveDate,
    read: impl FnOnce(&S) -> Result<Event, Error>,
) -> Result<Found, Error> {
    let answer = timeline.answer_on(on);
    let status_of = |s: Option<&S>| s.map(Step::status);
    let possible = match answer.certain {
        true => vec![status_of(answer.status)],
        false => answer.possible.iter().map(|s| status_of(*s)).collect(),
    };
    // the date that leaves it open: the last that may have passed, or the
    // deciding one's own
    let open = (!answer.certain)
        .then(|| answer.possible.last().copied().flatten())
        .flatten()
        .map(|s| (Some(s.status()), s.on()));
    Ok(Found {
        event: answer.status.map(read).transpose()?,
        certain: answer.certain,
        possible,
        open,
        next: timeline.next_after(on).map(|s| (s.status(), s.on())),
        reported: answer.status.map(Step::reported),
    })
}

/// One party's status, in a pact's answer.
#[derive(Debug, Serialize)]
struct PartyAnswer {
    party: String,
    status: Option<Status>,
    since: Option<EffectiveDate>,
    certain: bool,
}

impl PartyAnswer {
    fn of<S: Step>(party: &str, answer: OnDay<&S>) -> PartyAnswer {
        PartyAnswer {
            party: party.to_owned(),
            status: answer.status.map(Step::status),
            since: answer.status.map(Step::on),
            certain: answer.certain,
        }
    }
}

/// " for P" when the answer is party P's.
fn for_party(answer: &Answer<'_>) -> String {
    answer
        .party
        .map(|p| format!(" for {p}"))
        .unwrap_or_default()
}

/// Each party's status, when a party's own statuses make them differ from
/// the pact's.
fn write_parties(out: &mut dyn Write, answer: &Answer<'_>, differ: bool) -> std::io::Result<()> {
    if !differ || answer.parties.is_empty() {
        return Ok(());
    }
    let each: Vec<String> = answer
        .parties
        .iter()
        .map(|p| {
            let status = match (p.status, p.since) {
                (Some(status), Some(since)) => format!("{status} since {since}"),
                _ => "no status".to_owned(),
            };
            let unsure = if p.certain { "" } else { " (uncertain)" };
            format!("{}: {status}{unsure}", p.party)
        })
        .collect();
    writeln!(out, "  parties {}", one_line(&each.join("; ")))
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
        "{}{} on {}: {}: {what} {}",
        answer.pact,
        for_party(answer),
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
    event: Option<&Event>,
    today: NaiveDate,
    color: bool,
) -> std::io::Result<()> {
    let (pact, on) = (format!("{}{}", answer.pact, for_party(answer)), answer.on);
    let next = answer.next.as_ref();
    let ahead = match next.filter(|n| n.on.is_after(today)) {
        Some(n) => format!("; scheduled: {} on {}", n.status, n.on),
        None => String::new(),
    };
    let Some((event, current)) = event.and_then(|e| e.status_change().map(|c| (e, c))) else {
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
    if answer.reported == Some(true) {
        flags.push("reported");
    }
    if current.forced {
        flags.push("forced");
    }
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!(" [{}]", flags.join(", "))
    };
    let status = current.status;
    let painted = style::paint(color, style::status(status), status.words());
    writeln!(
        out,
        "{pact} on {on}: {painted}{flags} since {}{ahead}",
        current.on
    )?;
    writeln!(out, "  name    {}", one_line(answer.name))?;
    let source = source_text(answer.source, answer.url);
    if !source.is_empty() {
        writeln!(out, "  source  {source}")?;
    }
    // the sources citations added, after the event's own
    let own = usize::from(answer.source.is_some() || answer.url.is_some());
    for cited in answer.sources.iter().skip(own) {
        let official = if cited.official { " [official]" } else { "" };
        let source = source_text(cited.source.as_deref(), cited.url.as_deref());
        writeln!(out, "  cited   {source}{official}")?;
    }
    if let Some(note) = answer.note {
        writeln!(out, "  note    {}", indented(note, 10))?;
    }
    writeln!(out, "  event   {}", event.id)?;
    Ok(())
}
