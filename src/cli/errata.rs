//! `pactlog errata`: how the recorded history of pacts changed between two
//! recorded times: the material for a correction note.

use std::collections::HashMap;

use serde::Serialize;
use uuid::Uuid;

use crate::cli::output::{dim, one_line};
use crate::cli::{Context, read_streams, streams_failed};
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::{Event, EventBody};
use crate::model::pact::PactId;
use crate::model::status::Status;
use crate::model::time::{AsOf, parse_when};
use crate::replay::{Entry, Interval, Timeline, as_of};

/// Show how the recorded history changed between two recorded times.
///
/// For each pact, how its history as recorded at --until (default: now)
/// differs from its history as recorded at --since: intervals added,
/// removed or changed, and the events and reasons that caused it.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pactlog errata --since 2026-01-31\n  \
    pactlog errata --since 2026-01-31T12:00:00Z --until 2026-02-28 gsomia --json")]
pub struct Args {
    /// The pacts to compare (ids or aliases); all when none is given.
    pacts: Vec<String>,
    /// The earlier recorded time: RFC 3339, or a date (the end of that day,
    /// UTC).
    #[arg(long, value_name = "WHEN")]
    since: String,
    /// The later recorded time (default: now).
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    /// Print the errata as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Errata<'a> {
    since: String,
    until: Option<String>,
    pacts: Vec<PactErrata<'a>>,
}

#[derive(Debug, Serialize)]
struct PactErrata<'a> {
    pact: &'a PactId,
    name: &'a str,
    added: Vec<IntervalOut<'a>>,
    removed: Vec<IntervalOut<'a>>,
    changed: Vec<Changed>,
    /// The events recorded between the two times, retractions with their
    /// reasons.
    events: Vec<&'a Event>,
}

#[derive(Debug, Serialize)]
struct IntervalOut<'a> {
    status: Status,
    from: EffectiveDate,
    to: Option<EffectiveDate>,
    event: Uuid,
    source: Option<&'a str>,
}

/// An interval opened by the same event both times, that ends differently.
#[derive(Debug, Serialize)]
struct Changed {
    status: Status,
    from: EffectiveDate,
    to_before: Option<EffectiveDate>,
    to_after: Option<EffectiveDate>,
    event: Uuid,
}

impl<'a> From<&Interval<&Entry<'a>>> for IntervalOut<'a> {
    fn from(i: &Interval<&Entry<'a>>) -> Self {
        IntervalOut {
            status: i.entry.status(),
            from: i.from,
            to: i.to,
            event: i.entry.event.id,
            source: i.entry.change().source.as_deref(),
        }
    }
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let since = parse_when(&self.since, ctx.now.date_naive())?;
        let until = self
            .until
            .as_deref()
            .map(|w| parse_when(w, ctx.now.date_naive()))
            .transpose()?;
        if let Some(until) = until.as_ref().filter(|u| u.at < since.at) {
            return Err(Error::Invalid {
                message: format!("--since {} is after --until {}", since.input, until.input),
                hint: Some("give the earlier recorded time as --since".into()),
            });
        }
        let ids = ctx.store.select(&self.pacts)?;
        let (streams, failed) = read_streams(ctx, &ids);
        let pacts = streams
            .iter()
            .filter_map(|stream| {
                let before = as_of(&stream.events, Some(since.at));
                let after = as_of(&stream.events, until.as_ref().map(|u| u.at));
                compare(&stream.pact.id, &stream.pact.name, before, after)
            })
            .collect();
        let errata = Errata {
            since: since.instant(),
            until: until.as_ref().map(AsOf::instant),
            pacts,
        };
        if self.json {
            ctx.json(&errata)?;
        } else {
            let until = until.as_ref().map_or("now", |u| &u.input);
            write_text(ctx, &errata, (&since.input, until))?;
        }
        streams_failed(failed)
    }
}

/// The errata of one pact, or `None` when nothing was recorded in between.
fn compare<'a>(
    pact: &'a PactId,
    name: &'a str,
    before: &'a [Event],
    after: &'a [Event],
) -> Option<PactErrata<'a>> {
    let recorded_between = &after[before.len().min(after.len())..];
    if recorded_between.is_empty() {
        return None;
    }
    let (old, new) = (Timeline::new(before), Timeline::new(after));
    let old: Vec<_> = old.intervals().collect();
    let new: Vec<_> = new.intervals().collect();
    let old_by_event: HashMap<Uuid, &Interval<_>> =
        old.iter().map(|i| (i.entry.event.id, i)).collect();
    let new_by_event: HashMap<Uuid, &Interval<_>> =
        new.iter().map(|i| (i.entry.event.id, i)).collect();
    let added = new
        .iter()
        .filter(|i| !old_by_event.contains_key(&i.entry.event.id))
        .map(IntervalOut::from)
        .collect();
    let removed = old
        .iter()
        .filter(|i| !new_by_event.contains_key(&i.entry.event.id))
        .map(IntervalOut::from)
        .collect();
    let changed = new
        .iter()
        .filter_map(|i| {
            let was = old_by_event.get(&i.entry.event.id)?;
            (was.to != i.to).then(|| Changed {
                status: i.entry.status(),
                from: i.from,
                to_before: was.to,
                to_after: i.to,
                event: i.entry.event.id,
            })
        })
        .collect();
    Some(PactErrata {
        pact,
        name,
        added,
        removed,
        changed,
        events: recorded_between.iter().collect(),
    })
}

/// The errata for people, between the two times as typed.
fn write_text(
    ctx: &mut Context<'_>,
    errata: &Errata<'_>,
    (since, until): (&str, &str),
) -> std::io::Result<()> {
    if errata.pacts.is_empty() {
        return writeln!(ctx.out, "nothing was recorded between {since} and {until}");
    }
    let today = ctx.today;
    let scheduled = |from: EffectiveDate| {
        if from.is_after(today) {
            " [scheduled]"
        } else {
            ""
        }
    };
    let span = |from: EffectiveDate, to: Option<EffectiveDate>| {
        format!("{from} → {}", to.map_or("…".to_owned(), |d| d.to_string()))
    };
    // as wide as the widest span, two dates and the arrow, so that the
    // statuses line up
    let column = |from: EffectiveDate, to: Option<EffectiveDate>| format!("{:<23}", span(from, to));
    for (n, p) in errata.pacts.iter().enumerate() {
        if n > 0 {
            writeln!(ctx.out)?;
        }
        writeln!(ctx.out, "{}  {}", p.pact, one_line(p.name))?;
        for i in &p.removed {
            let mark = scheduled(i.from);
            writeln!(
                ctx.out,
                "  removed  {}  {}{mark}",
                column(i.from, i.to),
                i.status
            )?;
        }
        for i in &p.added {
            let mark = scheduled(i.from);
            writeln!(
                ctx.out,
                "  added    {}  {}{mark}",
                column(i.from, i.to),
                i.status
            )?;
        }
        for c in &p.changed {
            writeln!(
                ctx.out,
                "  changed  {}  {} (was {})",
                column(c.from, c.to_after),
                c.status,
                span(c.from, c.to_before)
            )?;
        }
        if p.removed.is_empty() && p.added.is_empty() && p.changed.is_empty() {
            writeln!(ctx.out, "  the status intervals are unchanged")?;
        }
        writeln!(ctx.out, "  recorded between {since} and {until}:")?;
        for e in &p.events {
            writeln!(
                ctx.out,
                "    #{} {}  {}",
                e.seq,
                e.recorded.format("%Y-%m-%dT%H:%M:%SZ"),
                summary(e)
            )?;
        }
    }
    writeln!(
        ctx.out,
        "{}",
        dim(
            ctx.color,
            &format!("history as recorded at {since} compared with {until}")
        )
    )
}

/// One line saying what an event records.
fn summary(event: &Event) -> String {
    match &event.body {
        EventBody::Registered(p) => format!("registered {}", one_line(&p.name)),
        EventBody::Status(c) => format!("status {} on {}", c.status, c.on),
        EventBody::Note(n) => format!("note on {}: {}", n.on, one_line(&n.text)),
        EventBody::Retraction(r) => {
            format!("retracted {}: {}", r.target, one_line(&r.reason))
        }
    }
}
