//! `pactlog list`: every pact with its status on a date.

use chrono::NaiveDate;
use serde::Serialize;

use crate::cli::output::{Cell, Table, csv, dim, one_line};
use crate::cli::style;
use crate::cli::{AsOfArg, Context, read_streams, streams_failed};
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
        let (streams, failed) = read_streams(ctx, &ids);
        let mut rows = Vec::new();
        let mut heads = Vec::new();
        for stream in streams {
            let events = as_of(&stream.events, when.as_ref().map(|w| w.at));
            if events.is_empty() {
                // not registered yet as of then: the record did not know it
                continue;
            }
            let current = Timeline::new(events).status_on(on);
            heads.push(format!("{} {}", stream.pact.id, stream.head));
            let row = Row {
                status: current.map(|e| e.status()),
                since: current.map(|e| e.on()),
                scheduled: current.is_some_and(|e| e.on() > ctx.today),
                head: stream.head,
                pact: stream.pact.id,
                name: stream.pact.name,
            };
            if wanted.is_none() || row.status == wanted {
                rows.push(row);
            }
        }
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
