//! `pactlog list`: every pact with its status on a date.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::cli::output::{Cell, Table, as_of_words, csv, dim, marks, one_line, path_text};
use crate::cli::style;
use crate::cli::{AsOfArg, Context, TableFormat, map_streams, party_of, reported, streams_failed};
use crate::log::stream::Stream;
use crate::model::date::EffectiveDate;
use crate::model::error::Error;
use crate::model::event::{Event, Hash};
use crate::model::pact::PactId;
use crate::model::status::Status;
use crate::model::time::parse_date;
use crate::replay::cache::{self, CacheFile};
use crate::replay::{Outline, Timeline, as_of};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pactlog list --on 2020-01-01\n  \
    pactlog list --status terminated --json")]
pub struct Args {
    /// The date to ask about: YYYY-MM-DD or today.
    #[arg(long, value_name = "DATE", default_value = "today")]
    on: String,
    /// Only pacts in this status on that date.
    #[arg(long, value_name = "STATUS")]
    status: Option<String>,
    /// Every pact this party is a party to, with the party's status: which
    /// agreements it was bound by on that date.
    #[arg(long, value_name = "P")]
    party: Option<String>,
    #[command(flatten)]
    as_of: AsOfArg,
    #[command(flatten)]
    format: TableFormat,
}

#[derive(Debug, Serialize)]
struct Row<'a> {
    /// Borrowed from the cache file where the cache answers.
    pact: Cow<'a, str>,
    /// Borrowed from the cache file where the cache answers.
    name: Cow<'a, str>,
    status: Option<Status>,
    since: Option<EffectiveDate>,
    scheduled: bool,
    head: Hash,
    /// Known only from reports: `null` when there is no status. Last, with
    /// `forced`, so that the CSV's columns before them stay where they were.
    reported: Option<bool>,
    /// Recorded with `--force`: `null` when there is no status.
    forced: Option<bool>,
    /// Whether the status is certain on that day: false when a date known
    /// only to the month or year, or a qualified one, leaves it open.
    certain: bool,
    /// The party whose status it is (`null`: the pact's own).
    party: Option<String>,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let on = parse_date(&self.on, ctx.today)?;
        let wanted = self.status.as_deref().map(Status::parse).transpose()?;
        let when = self.as_of.parse(ctx.now)?;
        // the store's streams are listed while the cache is read, unless
        // the cache says it knows them: the store directory has the stamp
        // it had when they were listed. The cache's file is kept out here,
        // so that the cache, which borrows from it, can come back from the
        // thread that read it
        let stamp = cache::listing_stamp(&ctx.store);
        let opening = CacheFile::open(&ctx.store);
        let known = stamp.is_some() && opening.listing() == stamp;
        let file = std::sync::OnceLock::new();
        let (ids, mut cache) = std::thread::scope(|scope| {
            let cache = scope.spawn(|| file.get_or_init(|| opening.read()).cache());
            let ids = (!known).then(|| ctx.store.ids());
            let cache = cache
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (ids, cache)
        });
        let at = when.as_ref().map(|w| w.at);
        if at.is_some() && self.party.is_none() {
            // as of a time, each status's recording time is asked for;
            // without them, every stream is read. (Read before the cache is
            // trusted to list the streams: entries forgotten for times that
            // cannot be read take the listing with them.)
            cache.read_times();
        }
        // the store's streams as listed, or none where the cache answers
        // for the streams it lists
        let ids = match ids {
            Some(ids) => Some(ids?),
            None if cache.lists(stamp) => None,
            // the cache read whole did not bear out its header: the store
            // is listed after all
            None => Some(ctx.store.ids()?),
        };
        let today = ctx.today;
        let (answers, failed) = match self.party.as_deref() {
            None => {
                let answers = cache.map(&ctx.store, ids.as_deref(), |summary| {
                    // a pact not registered yet then is not listed: the record did
                    // not know it
                    let (current, certain) = summary.status_on(on, at);
                    summary.registered_by(at).then(|| Row {
                        pact: summary.id_text(),
                        name: summary.name_text(),
                        status: current.map(|c| c.status),
                        since: current.map(|c| c.since),
                        reported: current.map(|c| c.reported),
                        forced: current.map(|c| c.forced),
                        scheduled: current.is_some_and(|c| c.since.is_after(today)),
                        certain,
                        party: None,
                        head: summary.head(),
                    })
                });
                let (answers, failed) = reported(ctx, answers);
                // streams the cache listed itself are its entries' own
                if let Some(ids) = &ids {
                    cache.retain(ids);
                    cache.listed(ids, stamp);
                }
                // a command that meets a broken stream fails, and changes
                // no file
                if failed == 0 {
                    cache.save(&ctx.store);
                }
                (answers, failed)
            }
            Some(party) => {
                let ids = match ids.or_else(|| cache.listed_ids(stamp)) {
                    Some(ids) => ids,
                    None => ctx.store.ids()?,
                };
                let (answers, failed) = party_rows(ctx, &ids, party, on, at);
                if failed == 0
                    && answers
                        .iter()
                        .all(|a| a.as_ref().is_none_or(|r| r.party.is_none()))
                {
                    return Err(Error::NoSuchParty {
                        party: party.to_owned(),
                    });
                }
                let answers = answers
                    .into_iter()
                    .filter(|a| a.as_ref().is_none_or(|r| r.party.is_some()))
                    .collect();
                (answers, failed)
            }
        };
        let later = answers.iter().filter(|answer| answer.is_none()).count();
        // (`flatten` would collect into fresh memory, this in place)
        #[expect(clippy::filter_map_identity, reason = "collected in place")]
        let mut rows: Vec<Row> = answers.into_iter().filter_map(|row| row).collect();
        // as of a time, each pact's name as it was then: the cache knows
        // the name as it stands, so each stream's edits are read again
        if at.is_some() && self.party.is_none() {
            let store = &ctx.store;
            let then = crate::log::par::map(&rows, |row| {
                let id = PactId::parse(&row.pact)?;
                Outline::of_stream(store, &id, at).map(|(_, _, o)| o.pact().cloned())
            });
            for (row, pact) in rows.iter_mut().zip(then) {
                if let Ok(Some(pact)) = pact {
                    row.name = Cow::Owned(pact.name);
                }
            }
        }
        let text = !self.format.json && !self.format.csv;
        let heads: Vec<String> = if text {
            rows.iter()
                .map(|r| format!("{} {}", r.pact, r.head))
                .collect()
        } else {
            Vec::new()
        };
        rows.retain(|row| wanted.is_none() || row.status == wanted);
        if self.format.json {
            ctx.json_array(&rows)?;
        } else if self.format.csv {
            let columns = [
                "pact",
                "name",
                "status",
                "since",
                "scheduled",
                "head",
                "reported",
                "forced",
                "certain",
                "party",
            ];
            csv(ctx.out, &columns, &rows)?;
        } else if rows.is_empty() {
            let known = as_of_words(when.as_ref());
            match wanted {
                Some(status) => writeln!(ctx.out, "no pact is {status} on {on}{known}")?,
                None => {
                    let dir = path_text(ctx.store.dir());
                    let later = match later {
                        0 => String::new(),
                        n => format!(" ({n} registered later)"),
                    };
                    writeln!(ctx.out, "no pacts registered in {dir}{known}{later}")?;
                }
            }
        } else {
            let mut table = Table::with_header(&["PACT", "STATUS", "SINCE", "NAME"]);
            for row in &rows {
                let marks = marks(&[
                    (row.scheduled, "scheduled"),
                    (row.reported == Some(true), "reported"),
                    (row.forced == Some(true), "forced"),
                    (!row.certain, "uncertain"),
                ]);
                table.row([
                    Cell::from(row.pact.to_string()),
                    // none yet, for certain or not
                    row.status.map_or(Cell::from(format!("-{marks}")), |s| {
                        Cell::styled(format!("{s}{marks}"), style::status(s))
                    }),
                    Cell::from(row.since.map_or("-".to_owned(), |d| d.to_string())),
                    Cell::from(one_line(&row.name)),
                ]);
            }
            table.print(ctx.out, "", ctx.color)?;
        }
        if text && !heads.is_empty() {
            let as_of = when
                .map(|w| format!(" (as of {})", w.input))
                .unwrap_or_default();
            // filtered by status, the answer still comes from every stream:
            // said as how many, rather than each beside rows not shown
            let line = match wanted {
                Some(_) => format!(
                    "heads{as_of}: of {} streams read (`pactlog verify` prints each)",
                    heads.len()
                ),
                None => format!("heads{as_of}: {}", heads.join(", ")),
            };
            writeln!(ctx.out, "{}", dim(ctx.color, &line))?;
        }
        streams_failed(failed)
    }
}

/// The rows of the pacts `party` is a party to, each with the party's
/// status on `on`, as the record stood at `at`: read from the streams
/// whole, as a party's timeline needs the parties each event names. A pact
/// not registered by `at` is `None`; one the party is not a party to, a row
/// without a party.
fn party_rows(
    ctx: &mut Context<'_>,
    ids: &[PactId],
    party: &str,
    on: NaiveDate,
    at: Option<DateTime<Utc>>,
) -> (Vec<Option<Row<'static>>>, usize) {
    let today = ctx.today;
    map_streams(ctx, ids, |stream: Stream<Event>| {
        let events = as_of(&stream.events, at);
        if events.is_empty() {
            return None;
        }
        // a party of the pact as it stood then, named as it was
        let pact = crate::replay::pact_of(&events).unwrap_or_else(|| stream.pact.clone());
        let mut row = Row {
            pact: Cow::Owned(stream.pact.id.as_str().to_owned()),
            name: Cow::Owned(pact.name.clone()),
            status: None,
            since: None,
            scheduled: false,
            head: stream.head,
            reported: None,
            forced: None,
            certain: true,
            party: None,
        };
        let Ok(party) = party_of(&pact, party) else {
            return Some(row);
        };
        let timeline = Timeline::of_party(events.iter(), party);
        let answer = timeline.answer_on(on);
        let current = answer.status;
        row.status = current.map(|e| e.status());
        row.since = current.map(|e| e.on());
        row.reported = current.map(|e| e.reported());
        row.forced = current.map(|e| e.forced());
        row.scheduled = current.is_some_and(|e| e.on().is_after(today));
        row.certain = answer.certain;
        row.party = Some(party.to_owned());
        Some(row)
    })
}
