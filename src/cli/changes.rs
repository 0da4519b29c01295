//! `pactlog changes`: the status changes of every pact effective in a range
//! of dates.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::cli::output::{Cell, Table, as_of_words, csv, dim, marks};
use crate::cli::style;
use crate::cli::{AsOfArg, Context, TableFormat, party_of, reported, streams_failed};
use crate::log::store::Store;
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::What;
use crate::model::pact::PactId;
use crate::model::status::Status;
use crate::model::time::parse_date;
use crate::replay::Outline;

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
        let asked = Asked {
            range: (from, to),
            today: ctx.today,
            at: when.as_ref().map(|w| w.at),
            // the party's statuses are found by its name without the
            // spaces around it, in any case, as the pact's parties are
            party: self.party.as_deref().map(str::trim),
        };
        // one stream at a time per core, folded into its timeline's marks,
        // keeping only its changes
        let store = &ctx.store;
        let per_stream = crate::log::par::map(&ids, |id| asked.changes_of(store, id));
        let (per_stream, failed) = reported(ctx, per_stream);
        if let Some(party) = &self.party
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

/// What is asked of each stream: the changes effective from `range.0` to
/// `range.1`, of the pact's timeline or `party`'s, as recorded by `at`.
struct Asked<'a> {
    range: (NaiveDate, NaiveDate),
    today: NaiveDate,
    at: Option<DateTime<Utc>>,
    party: Option<&'a str>,
}

impl Asked<'_> {
    /// The changes of the stream of `id` whose dates overlap the range;
    /// none when a party is asked about that was not one of the pact's
    /// parties then (or the pact was not registered then).
    fn changes_of(&self, store: &Store, id: &PactId) -> Result<Option<Vec<Change>>, Error> {
        let (from, to) = self.range;
        let overlaps = |on: EffectiveDate| on.earliest() <= to && from <= on.latest();
        // the ids of the statuses in the range, by line: what a mark does
        // not keep. A stream a git merge re-linked lines into is folded
        // again for the order they were recorded in; the ids are kept from
        // the fold the marks are made by, so that they are of the same
        // file even if it was replaced in between.
        let mut ids: Vec<(usize, Uuid)> = Vec::new();
        let mut folds = 0;
        let (_, outline) = Outline::fold(self.at, self.party, |visit| {
            folds += 1;
            let first = folds == 1;
            store.fold(id, |line| {
                visit(&line);
                if let What::Status { on, .. } = line.fact.what
                    && first
                    && overlaps(on)
                {
                    ids.push((line.number, line.fact.id));
                }
                Ok(())
            })
        })?;
        // a party of the pact as it stood then
        let party = match (self.party, outline.pact()) {
            (None, _) => None,
            (Some(name), Some(pact)) => match party_of(pact, name) {
                Ok(party) => Some(party.to_owned()),
                Err(_) => return Ok(None),
            },
            (Some(_), None) => return Ok(None),
        };
        let mut before = None;
        let mut changes = Vec::new();
        for mark in outline.timeline().entries() {
            let (on, status) = (mark.on(), mark.status().expect("a timeline of statuses"));
            if overlaps(on) {
                let at = ids.binary_search_by_key(&mark.line(), |(line, _)| *line);
                changes.push(Change {
                    pact: id.clone(),
                    on,
                    from_status: before,
                    to_status: status,
                    event: ids[at.expect("a status in the range has its id kept")].1,
                    reported: mark.reported(),
                    forced: mark.forced(),
                    scheduled: on.is_after(self.today),
                    only_overlaps: on.earliest() < from || to < on.latest(),
                    party: party.clone(),
                });
            }
            before = Some(status);
        }
        Ok(Some(changes))
    }
}
