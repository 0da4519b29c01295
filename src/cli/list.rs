//! `pactlog list`: every pact with its status on a date.

use chrono::NaiveDate;
use serde::Serialize;

use crate::cli::output::{Cell, Table, csv, dim, one_line};
use crate::cli::style;
use crate::cli::{AsOfArg, Context, map_streams, streams_failed};
use crate::error::Error;
use crate::event::Hash;
use crate::pact::PactId;
use crate::replay::{Timeline, as_of};
use crate::status::Status;
use crate::time::parse_date;

/// List every pact with its status on a date (default: today).
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
    #[command(flatten)]
    as_of: AsOfArg,
    /// Print the list as JSON.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print the list as CSV, with a header row.
    #[arg(long)]
    csv: bool,
}

#[derive(Debug, Serialize)]
struct Row {
    pact: PactId,
    name: String,
    status: Option<Status>,
    since: Option<NaiveDate>,
    scheduled: bool,
    head: Hash,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let on = parse_date(&self.on, ctx.today)?;
        let wanted = self.status.as_deref().map(Status::parse).transpose()?;
        let when = self.as_of.parse(ctx.today)?;
        let ids = ctx.store.ids()?;
        let today = ctx.today;
        let at = when.as_ref().map(|w| w.at);
        let (answers, failed) = map_streams(ctx, &ids, |stream| {
            let events = as_of(&stream.events, at);
            // a pact not registered yet then is not listed: the record did
            // not know it
            let registered = !events.is_empty();
            let current = Timeline::new(events).status_on(on);
            let row = Row {
                status: current.map(|e| e.status()),
                since: current.map(|e| e.on()),
                scheduled: current.is_some_and(|e| e.on() > today),
                head: stream.head,
                pact: stream.pact.id,
                name: stream.pact.name,
            };
            (registered, row)
        });
        let heads: Vec<String> = answers
            .iter()
            .filter(|(registered, _)| *registered)
            .map(|(_, row)| format!("{} {}", row.pact, row.head))
            .collect();
        let rows: Vec<Row> = answers
            .into_iter()
            .filter(|(registered, row)| *registered && (wanted.is_none() || row.status == wanted))
            .map(|(_, row)| row)
            .collect();
        if self.json {
            ctx.json(&rows)?;
        } else if self.csv {
            let columns = ["pact", "name", "status", "since", "scheduled", "head"];
            csv(ctx.out, &columns, &rows)?;
        } else if rows.is_empty() {
            match wanted {
                Some(status) => writeln!(ctx.out, "no pact is {status} on {on}")?,
                None => writeln!(
                    ctx.out,
                    "no pacts registered in {}",
                    ctx.store.dir().display()
                )?,
            }
        } else {
            let mut table = Table::with_header(&["PACT", "STATUS", "SINCE", "NAME"]);
            for row in &rows {
                let scheduled = if row.scheduled { " [scheduled]" } else { "" };
                table.row([
                    Cell::from(row.pact.to_string()),
                    row.status.map_or(Cell::from("-"), |s| {
                        Cell::styled(format!("{s}{scheduled}"), style::status(s))
                    }),
                    Cell::from(row.since.map_or("-".to_owned(), |d| d.to_string())),
                    Cell::from(one_line(&row.name)),
                ]);
            }
            table.print(ctx.out, "", ctx.color)?;
        }
        if !self.json && !self.csv && !heads.is_empty() {
            let as_of = when
                .map(|w| format!(" (as of {})", w.input))
                .unwrap_or_default();
            let line = format!("heads{as_of}: {}", heads.join(", "));
            writeln!(ctx.out, "{}", dim(ctx.color, &line))?;
        }
        streams_failed(failed)
    }
}
