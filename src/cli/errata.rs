//! `pactlog errata`: how the recorded history of pacts changed between two
//! recorded times: the material for a correction note. The comparison is
//! the library's ([`crate::replay::errata`]); this parses the two times,
//! reads the streams named, and prints what changed as text or JSON.

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
use crate::replay::errata::{self, Errata};
use crate::replay::{Entry, Interval};

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

/// The errata, as `--json` prints them.
#[derive(Debug, Serialize)]
struct Report<'a> {
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
    /// The intervals whose status events were amended, each with its
    /// copy's interval.
    amended: Vec<Amended<'a>>,
    /// The events recorded between the two times, retractions with their
    /// reasons.
    events: Vec<&'a Event>,
    /// Every event of the stream, where the events amended are.
    #[serde(skip)]
    stream: &'a [Event],
}

/// An interval whose status event was amended, as the copy has it, with
/// the interval as it was.
#[derive(Debug, Serialize)]
struct Amended<'a> {
    #[serde(flatten)]
    copy: IntervalOut<'a>,
    was: IntervalOut<'a>,
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

impl<'a> From<&errata::Changed<'a>> for Changed {
    fn from(c: &errata::Changed<'a>) -> Self {
        Changed {
            status: c.after.entry.status(),
            from: c.after.from,
            to_before: c.before.to,
            to_after: c.after.to,
            event: c.after.entry.event.id,
        }
    }
}

impl<'a> From<&Interval<Entry<'a>>> for IntervalOut<'a> {
    fn from(i: &Interval<Entry<'a>>) -> Self {
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
        let until_at = until.as_ref().map(|u| u.at);
        let pacts = streams
            .iter()
            .filter_map(|stream| {
                let errata = Errata::between(&stream.events, since.at, until_at)?;
                Some(PactErrata {
                    pact: &stream.pact.id,
                    name: &stream.pact.name,
                    added: errata.added.iter().map(IntervalOut::from).collect(),
                    removed: errata.removed.iter().map(IntervalOut::from).collect(),
                    changed: errata.changed.iter().map(Changed::from).collect(),
                    amended: errata
                        .amended
                        .iter()
                        .map(|a| Amended {
                            copy: IntervalOut::from(&a.after),
                            was: IntervalOut::from(&a.before),
                        })
                        .collect(),
                    events: errata.recorded,
                    stream: &stream.events,
                })
            })
            .collect();
        let report = Report {
            since: since.instant(),
            until: until.as_ref().map(AsOf::instant),
            pacts,
        };
        if self.json {
            ctx.json(&report)?;
        } else {
            let until = until.as_ref().map_or("now", |u| &u.input);
            write_text(ctx, &report, (&since.input, until))?;
        }
        streams_failed(failed)
    }
}

/// The errata for people, between the two times as typed.
fn write_text(
    ctx: &mut Context<'_>,
    errata: &Report<'_>,
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
        for a in &p.amended {
            let (copy, was) = (&a.copy, &a.was);
            let status = match copy.status == was.status {
                true => String::new(),
                false => format!("{}, ", was.status),
            };
            writeln!(
                ctx.out,
                "  amended  {}  {}{} (was {status}{})",
                column(copy.from, copy.to),
                copy.status,
                scheduled(copy.from),
                span(was.from, was.to)
            )?;
        }
        let unchanged = [
            p.removed.len(),
            p.added.len(),
            p.changed.len(),
            p.amended.len(),
        ];
        if unchanged.iter().all(|n| *n == 0) {
            writeln!(ctx.out, "  the status intervals are unchanged")?;
        }
        writeln!(ctx.out, "  recorded between {since} and {until}:")?;
        let mut events = p.events.iter().peekable();
        while let Some(e) = events.next() {
            let time = e.recorded.format("%Y-%m-%dT%H:%M:%SZ");
            // a retraction and the copy right after it that amends its
            // target are one correction
            let amendment = match (&e.body, events.peek()) {
                (EventBody::Retraction(r), Some(&copy)) if amends(copy) == Some(r.target) => {
                    let original = p.stream.iter().find(|o| o.id == r.target);
                    original.map(|original| (r, copy, original))
                }
                _ => None,
            };
            match amendment {
                Some((retraction, copy, original)) => {
                    events.next();
                    writeln!(
                        ctx.out,
                        "    #{}-{} {time}  amended {}: {}; reason: {}",
                        e.seq,
                        copy.seq,
                        retraction.target,
                        one_line(&amendment_words(original, copy)),
                        one_line(&retraction.reason)
                    )?;
                }
                None => writeln!(ctx.out, "    #{} {time}  {}", e.seq, summary(e))?,
            }
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

/// The event a status or note amends, if it is an amended copy.
fn amends(event: &Event) -> Option<Uuid> {
    match &event.body {
        EventBody::Status(c) => c.amends,
        EventBody::Note(n) => n.amends,
        _ => None,
    }
}

/// What an amended copy corrects of the event it amends, in words: each
/// field that differs, as it was and as it is.
pub(crate) fn amendment_words(original: &Event, copy: &Event) -> String {
    let text = |value: &Option<String>| value.clone().unwrap_or_else(|| "none".into());
    let parties = |parties: &[String]| match parties {
        [] => "the pact as a whole".to_owned(),
        parties => parties.join(", "),
    };
    let yes = |flag: bool| if flag { "yes" } else { "no" }.to_owned();
    let fields: Vec<(&str, String, String)> = match (&original.body, &copy.body) {
        (EventBody::Status(was), EventBody::Status(now)) => vec![
            ("status", was.status.to_string(), now.status.to_string()),
            ("on", was.on.to_string(), now.on.to_string()),
            ("parties", parties(&was.parties), parties(&now.parties)),
            ("source", text(&was.source), text(&now.source)),
            ("url", text(&was.url), text(&now.url)),
            ("note", text(&was.note), text(&now.note)),
            ("reported", yes(was.reported), yes(now.reported)),
            ("forced", yes(was.forced), yes(now.forced)),
        ],
        (EventBody::Note(was), EventBody::Note(now)) => vec![
            ("on", was.on.to_string(), now.on.to_string()),
            ("parties", parties(&was.parties), parties(&now.parties)),
            ("text", was.text.clone(), now.text.clone()),
            ("source", text(&was.source), text(&now.source)),
            ("url", text(&was.url), text(&now.url)),
        ],
        _ => Vec::new(),
    };
    let said: Vec<String> = fields
        .into_iter()
        .filter(|(_, was, now)| was != now)
        .map(|(field, was, now)| format!("{field} {was} → {now}"))
        .collect();
    match said.is_empty() {
        true => "the same fields".into(),
        false => said.join("; "),
    }
}

/// One line saying what an event records.
fn summary(event: &Event) -> String {
    match &event.body {
        EventBody::Registered(p) => format!("registered {}", one_line(&p.name)),
        EventBody::Status(c) => {
            let amending = c.amends.map(|t| format!(", amending {t}"));
            format!(
                "status {} on {}{}",
                c.status,
                c.on,
                amending.unwrap_or_default()
            )
        }
        EventBody::Note(n) => {
            let amending = n.amends.map(|t| format!(", amending {t}"));
            let text = one_line(&n.text);
            format!("note on {}{}: {text}", n.on, amending.unwrap_or_default())
        }
        EventBody::Retraction(r) => {
            format!("retracted {}: {}", r.target, one_line(&r.reason))
        }
        EventBody::Citation(c) => {
            let official = if c.official { " (official)" } else { "" };
            format!("cited {}: {}{official}", c.target, one_line(&c.source))
        }
        EventBody::Edited(e) => format!("edited: {}", one_line(&edit_words(e))),
    }
}

/// What an edit changes, in words.
pub(crate) fn edit_words(edit: &crate::model::event::Edit) -> String {
    let mut said = Vec::new();
    if let Some(name) = &edit.name {
        said.push(format!("name {name}"));
    }
    for (words, list) in [
        ("alias + ", &edit.add_aliases),
        ("alias - ", &edit.remove_aliases),
        ("party + ", &edit.add_parties),
        ("party - ", &edit.remove_parties),
    ] {
        said.extend(list.iter().map(|l| format!("{words}{l}")));
    }
    if let Some(kind) = &edit.kind {
        said.push(format!("kind {kind}"));
    }
    if let Some(description) = &edit.description {
        said.push(format!("description {description}"));
    }
    if let Some(source) = &edit.source {
        said.push(format!("source {source}"));
    }
    if let Some(url) = &edit.url {
        said.push(format!("url {url}"));
    }
    said.join("; ")
}
