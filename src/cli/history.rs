//! `pactlog history`: the status intervals of a pact, with its notes.

use std::cell::RefCell;
use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::cli::output::{
    Cell, Csv, Items, dim, head_line, indented, marks, one_line, print_row, source_text,
};
use crate::cli::style;
use crate::cli::{AsOfArg, Context, TableFormat, event_of, party_of, registered_by};
use crate::log::store::Lines;
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::{EventBody, Hash};
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;
use crate::model::time::AsOf;
use crate::replay::{Interval, Mark, Outline, Source};

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  pactlog history gsomia")]
pub struct Args {
    /// The pact: its id or an alias, in any case.
    pact: String,
    /// The party whose history to show: the pact's statuses and its own,
    /// the pact's notes and its own.
    #[arg(long, value_name = "P")]
    party: Option<String>,
    #[command(flatten)]
    as_of: AsOfArg,
    #[command(flatten)]
    format: TableFormat,
}

#[derive(Serialize)]
struct History<'a, I, N> {
    pact: &'a PactId,
    name: &'a str,
    /// The party whose history it is (`null`: the pact's).
    party: Option<&'a str>,
    as_of: Option<String>,
    intervals: I,
    notes: N,
    head: Hash,
    /// The stream's last seq, as it stands: what `--expect-seq` takes.
    seq: usize,
}

#[derive(Debug, Serialize)]
struct IntervalOut {
    status: Status,
    from: EffectiveDate,
    to: Option<EffectiveDate>,
    event: Uuid,
    source: Option<String>,
    url: Option<String>,
    note: Option<String>,
    reported: bool,
    forced: bool,
    scheduled: bool,
}

/// An interval or a note as `--json` gives it: with every source of its
/// event, its own and its citations'.
#[derive(Debug, Serialize)]
struct WithSources<T> {
    #[serde(flatten)]
    item: T,
    sources: Vec<Source>,
}

#[derive(Debug, Serialize)]
struct NoteOut {
    on: EffectiveDate,
    /// The parties it concerns: none when it concerns the pact as a whole.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parties: Vec<String>,
    text: String,
    source: Option<String>,
    url: Option<String>,
    event: Uuid,
    /// About a day after today.
    scheduled: bool,
}

/// The stream's timeline and notes, and its lines to read again the text
/// of each as it is written: a history is written as it is made, never
/// held whole.
struct Read {
    outline: Outline,
    lines: RefCell<Lines>,
    today: NaiveDate,
}

impl Read {
    /// Interval `i`, its event read again.
    fn interval(&self, i: usize) -> Result<IntervalOut, Error> {
        let statuses = self.outline.timeline().entries();
        let mark = &statuses[i];
        let event = event_of(&mut self.lines.borrow_mut(), mark)?;
        let id = event.id;
        let EventBody::Status(change) = event.body else {
            unreachable!("the mark of a status is the mark of a status event")
        };
        Ok(IntervalOut {
            status: change.status,
            from: change.on,
            to: statuses.get(i + 1).map(Mark::on),
            event: id,
            source: change.source,
            url: change.url,
            note: change.note,
            reported: mark.reported(),
            forced: change.forced,
            scheduled: change.on.is_after(self.today),
        })
    }

    /// Every source of the event of `mark`, read again: its own (`event`'s)
    /// and those its citations add.
    fn sources(&self, mark: &Mark, own: Option<Source>) -> Result<Vec<Source>, Error> {
        let mut lines = self.lines.borrow_mut();
        let cited = self.outline.cited(mark.line()).map(|c| c.read(&mut lines));
        own.into_iter().map(Ok).chain(cited).collect()
    }

    /// Interval `i` with its sources.
    fn interval_sourced(&self, i: usize) -> Result<WithSources<IntervalOut>, Error> {
        let item = self.interval(i)?;
        let own = (item.source.is_some() || item.url.is_some()).then(|| Source {
            source: item.source.clone(),
            url: item.url.clone(),
            official: !self.outline.timeline().entries()[i].recorded_as_reported(),
        });
        let sources = self.sources(&self.outline.timeline().entries()[i], own)?;
        Ok(WithSources { item, sources })
    }

    /// Note `i` with its sources.
    fn note_sourced(&self, i: usize) -> Result<WithSources<NoteOut>, Error> {
        let item = self.note(i)?;
        let own = (item.source.is_some() || item.url.is_some()).then(|| Source {
            source: item.source.clone(),
            url: item.url.clone(),
            official: true,
        });
        let sources = self.sources(&self.outline.notes()[i], own)?;
        Ok(WithSources { item, sources })
    }

    /// Note `i`, its event read again.
    fn note(&self, i: usize) -> Result<NoteOut, Error> {
        let mark = &self.outline.notes()[i];
        let event = event_of(&mut self.lines.borrow_mut(), mark)?;
        let id = event.id;
        let EventBody::Note(note) = event.body else {
            unreachable!("the mark of a note is the mark of a note event")
        };
        Ok(NoteOut {
            on: note.on,
            parties: note.parties,
            text: note.text,
            source: note.source,
            url: note.url,
            event: id,
            scheduled: note.on.is_after(self.today),
        })
    }
}

const COLUMNS: [&str; 10] = [
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

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let when = self.as_of.parse(ctx.now)?;
        let id = ctx.store.resolve(&self.pact)?;
        let at = when.as_ref().map(|w| w.at);
        // the pact's timeline, or the party's (matched in any case)
        let asked = self.party.as_deref().map(str::trim);
        let (stream, lines, outline) = Outline::of_party_stream(&ctx.store, &id, at, asked)?;
        registered_by(&stream.pact.id, &outline, when.as_ref())?;
        // the metadata as it stood then, the party one of its parties then
        let pact = outline
            .pact()
            .cloned()
            .unwrap_or_else(|| stream.pact.clone());
        let party = asked
            .map(|p| party_of(&pact, p).map(str::to_owned))
            .transpose()?;
        let read = Read {
            outline,
            lines: RefCell::new(lines),
            today: ctx.today,
        };
        let (intervals, notes) = (
            read.outline.timeline().entries().len(),
            read.outline.notes().len(),
        );
        if self.format.json {
            let failed = RefCell::new(None);
            let history = History {
                pact: &stream.pact.id,
                name: &pact.name,
                party: party.as_deref(),
                as_of: when.as_ref().map(AsOf::instant),
                intervals: Items::new(intervals, |i| read.interval_sourced(i), &failed),
                notes: Items::new(notes, |i| read.note_sourced(i), &failed),
                head: stream.head,
                seq: stream.events,
            };
            let written = ctx.json(&history);
            return match failed.into_inner() {
                Some(e) => Err(e),
                None => written,
            };
        }
        if self.format.csv {
            let mut csv = Csv::new(ctx.out, &COLUMNS)?;
            for i in 0..intervals {
                csv.row(&read.interval(i)?)?;
            }
            return csv.finish();
        }
        write_text(ctx.out, &pact, party.as_deref(), &read, ctx.color)?;
        let head = head_line(&stream.head, when.as_ref().map(|w| w.input.as_str()));
        writeln!(ctx.out, "\n{}", dim(ctx.color, &head))?;
        Ok(())
    }
}

/// A status in text: its words, and how it is qualified.
fn status_text(mark: &Mark, today: NaiveDate) -> String {
    let status = mark.status().expect("a timeline holds only statuses");
    status.to_string()
        + &marks(&[
            (mark.on().is_after(today), "scheduled"),
            (mark.reported(), "reported"),
            (mark.forced(), "forced"),
        ])
}

fn write_text(
    out: &mut dyn Write,
    pact: &Pact,
    party: Option<&str>,
    read: &Read,
    color: bool,
) -> Result<(), Error> {
    let of = party.map(|p| format!(" (for {p})")).unwrap_or_default();
    writeln!(out, "{}{of}  {}", pact.id, one_line(&pact.name))?;
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
    let outline = &read.outline;
    if outline.timeline().entries().is_empty() {
        writeln!(out, "no status recorded")?;
    } else {
        // the table's widths from the marks, then its rows, each event read
        // again for its source as its row is printed
        let header = ["FROM", "TO", "STATUS", "SOURCE"];
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for Interval {
            entry: mark, to, ..
        } in outline.timeline().intervals()
        {
            let to = to.map_or(1, |d| d.to_string().chars().count());
            let cells = [
                mark.on().to_string().chars().count(),
                to,
                status_text(mark, read.today).chars().count(),
            ];
            for (width, cell) in widths.iter_mut().zip(cells) {
                *width = (*width).max(cell);
            }
        }
        let header = header.map(|h| Cell::styled(h, style::HEADER));
        print_row(out, &header, &widths, "", color)?;
        for (
            i,
            Interval {
                entry: mark, to, ..
            },
        ) in outline.timeline().intervals().enumerate()
        {
            let interval = read.interval(i)?;
            let status = interval.status;
            let row = [
                Cell::from(interval.from.to_string()),
                Cell::from(to.map_or_else(|| "…".to_owned(), |d| d.to_string())),
                Cell::styled(status_text(mark, read.today), style::status(status)),
                Cell::from(source_text(
                    interval.source.as_deref(),
                    interval.url.as_deref(),
                )),
            ];
            print_row(out, &row, &widths, "", color)?;
        }
    }
    let mut remarks = outline
        .timeline()
        .entries()
        .iter()
        .enumerate()
        .filter(|(_, m)| m.noted())
        .peekable();
    // dates known only to the month or year are padded to the others
    let widest = |marks: &mut dyn Iterator<Item = &Mark>| {
        marks.map(|m| m.on().to_string().len()).max().unwrap_or(0)
    };
    let entries = outline.timeline().entries();
    let width = widest(&mut entries.iter().filter(|m| m.noted()));
    if remarks.peek().is_some() {
        writeln!(out, "\n{}", style::paint(color, style::HEADER, "REMARKS"))?;
        for (i, _) in remarks {
            let interval = read.interval(i)?;
            let lead = format!("{:width$}  {}: ", interval.from, interval.status);
            let note = indented(interval.note.as_deref().unwrap_or_default(), lead.len());
            writeln!(out, "{lead}{note}")?;
        }
    }
    let width = widest(&mut outline.notes().iter());
    if !outline.notes().is_empty() {
        writeln!(out, "\n{}", style::paint(color, style::HEADER, "NOTES"))?;
        for i in 0..outline.notes().len() {
            let n = read.note(i)?;
            let scheduled = if n.scheduled { " [scheduled]" } else { "" };
            let parties = match n.parties.is_empty() {
                true => String::new(),
                false => format!(" [{}]", one_line(&n.parties.join(", "))),
            };
            let on = n.on.to_string();
            let text = indented(&n.text, width + 2);
            writeln!(out, "{on:width$}  {text}{scheduled}{parties}")?;
            let source = source_text(n.source.as_deref(), n.url.as_deref());
            if !source.is_empty() {
                writeln!(out, "{:width$}  {source}", "")?;
            }
        }
    }
    Ok(())
}
