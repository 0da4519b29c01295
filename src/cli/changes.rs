//! `pactlog changes`: the status changes of every pact effective in a range
//! of dates.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::cli::output::{Cell, Table, as_of_words, csv, dim, marks};
use crate::cli::style;
use crate::cli::{AsOfArg, Context, TableFormat, map_streams, party_of, streams_failed};
use crate::log::stream::Stream;
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::{Event, Fact};
use crate::model::pact::PactId;
use crate::model::status::Status;
use crate::model::time::parse_date;
use crate::replay::{Entry, Replayable, Timeline, as_of};

/// List the status changes of all pacts in a range of dates.
///
/// Every change effective from --from to --to (both included), by date
/// then pact, with the status before and after.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pactlog changes --from 2019-01-01 --to 2019-12-31\n  \
    pactlog changes --from 2019-01-01 --to 2023-12-31 --as-of 2026-01-31 --json"
)]
pub struct Args {
    /// The first day: YYYY-MM-DD or today.
    #[arg(long, value_name = "DATE")]
    from: String,
    /// The last day: YYYY-MM-DD or today.
    #[arg(long, value_name = "DATE")]
    to: String,
    /// The changes of this party, in every pact it is a party to: the
    /// pacts' own and its own. Without it, the pacts' own changes.
    #[arg(long, value_name = "P")]
    party: Option<String>,
    #[command(flatten)]
    as_of: AsOfArg,
    #[command(flatten)]
    format: TableFormat,
}

#[derive(Debug, Serialize)]
struct Change {
    pact: PactId,
    on: EffectiveDate,
    from_status: Option<Status>,
    to_status: Status,
    event: Uuid,
    scheduled: bool,
    /// The change is known only from reports. Last, with `forced`, so that
    /// the CSV's columns before them stay where they were.
    reported: bool,
    /// The change was recorded with `--force`, against the lifecycle.
    forced: bool,
    /// Its date is known only to the month or year, and only some of the
    /// days it may be fall in the range asked for.
    only_overlaps: bool,
    /// The party whose change it is (`null`: the pact's own).
    party: Option<String>,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let from = parse_date(&self.from, ctx.today)?;
        let to = parse_date(&self.to, ctx.today)?;
        if from > to {
            return Err(Error::Invalid {
                message: format!("--from {from} is after --to {to}"),
                hint: Some("give the earlier date as --from".into()),
            });
        }
        let when = self.as_of.parse(ctx.now)?;
        let ids = ctx.store.ids()?;
        let (today, at) = (ctx.today, when.as_ref().map(|w| w.at));
        let party = self.party.as_deref();
        // one stream at a time per core, keeping only its changes
        let (per_stream, failed) = match party {
            None => map_streams(ctx, &ids, |stream: Stream<Fact>| {
                let events = as_of(&stream.events, at);
                let timeline = Timeline::new(events.iter());
                Some(changes_in(
                    &stream.pact.id,
                    &timeline,
                    (from, to),
                    today,
                    None,
                ))
            }),
            // a party's changes need the parties each event names
            Some(name) => map_streams(ctx, &ids, |stream: Stream<Event>| {
                let events = as_of(&stream.events, at);
                // a party of the pact as it stood then
                let pact = crate::replay::pact_of(&events)?;
                let party = party_of(&pact, name).ok()?;
                let timeline = Timeline::of_party(events.iter(), party);
                Some(changes_in(
                    &stream.pact.id,
                    &timeline,
                    (from, to),
                    today,
                    Some(party),
                ))
            }),
        };
        if let Some(party) = party
            && failed == 0
            && per_stream.iter().all(Option::is_none)
        {
            return Err(Error::NoSuchParty {
                party: party.to_owned(),
            });
        }
        let mut changes: Vec<Change> = per_stream.into_iter().flatten().flatten().collect();
        // each pact's changes are in the order of its timeline already
        changes.sort_by(|a, b| (a.on.earliest(), &a.pact).cmp(&(b.on.earliest(), &b.pact)));
        if self.format.json {
            ctx.json_array(&changes)?;
        } else if self.format.csv {
            let columns = [
                "pact",
                "on",
                "from_status",
                "to_status",
                "event",
                "scheduled",
                "reported",
                "forced",
                "only_overlaps",
                "party",
            ];
            csv(ctx.out, &columns, &changes)?;
        } else if changes.is_empty() {
            // (the streams that could not be read are named on stderr)
            let readable = if failed > 0 {
                " in the streams that could be read"
            } else {
                ""
            };
            let known = as_of_words(when.as_ref());
            writeln!(
                ctx.out,
                "no status changes from {from} to {to}{known}{readable}"
            )?;
        } else {
            let mut table = Table::with_header(&["ON", "PACT", "FROM", "TO"]);
            for c in &changes {
                let marks = marks(&[
                    (c.scheduled, "scheduled"),
                    (c.reported, "reported"),
                    (c.forced, "forced"),
                    (c.only_overlaps, "date only partly in the range"),
                ]);
                table.row([
                    Cell::from(c.on.to_string()),
                    Cell::from(match &c.party {
                        Some(party) => format!("{} ({party})", c.pact),
                        None => c.pact.to_string(),
                    }),
                    c.from_status.map_or(Cell::from("-"), |s| {
                        Cell::styled(s.to_string(), style::status(s))
                    }),
                    Cell::styled(
                        format!("{}{marks}", c.to_status),
                        style::status(c.to_status),
                    ),
                ]);
            }
            table.print(ctx.out, "", ctx.color)?;
            if let Some(when) = &when {
                writeln!(
                    ctx.out,
                    "{}",
                    dim(ctx.color, &format!("as of {}", when.input))
                )?;
            }
        }
        streams_failed(failed)
    }
}

/// The changes of `timeline` (the pact's, or `party`'s) whose dates overlap
/// [`from`, `to`].
fn changes_in<E: Replayable>(
    pact: &PactId,
    timeline: &Timeline<Entry<'_, E>>,
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
    party: Option<&str>,
) -> Vec<Change> {
    let mut before = None;
    let mut changes = Vec::new();
    for entry in timeline.entries() {
        let on = entry.on();
        if on.earliest() <= to && from <= on.latest() {
            changes.push(Change {
                pact: pact.clone(),
                on,
                from_status: before,
                to_status: entry.status(),
                event: entry.event.fact().id,
                reported: entry.reported(),
                forced: entry.forced(),
                scheduled: on.is_after(today),
                only_overlaps: on.earliest() < from || to < on.latest(),
                party: party.map(str::to_owned),
            });
        }
        before = Some(entry.status());
    }
    changes
}
