//! `pactlog list`: every pact with its status on a date.

use chrono::NaiveDate;
use serde::Serialize;

use crate::cli::Context;
use crate::cli::output::{Table, json, report};
use crate::error::Error;
use crate::pact::PactId;
use crate::replay::Timeline;
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
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Row {
    pact: PactId,
    name: String,
    status: Option<Status>,
    since: Option<NaiveDate>,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let on = parse_date(&self.on, ctx.today)?;
        let wanted = self.status.as_deref().map(Status::parse).transpose()?;
        let mut rows = Vec::new();
        let mut failed = 0;
        for id in ctx.store.ids()? {
            let stream = match ctx.store.read(&id) {
                Ok(stream) => stream,
                Err(e) => {
                    report(ctx.err, &e);
                    failed += 1;
                    continue;
                }
            };
            let current = Timeline::new(&stream.events).status_on(on);
            let row = Row {
                status: current.map(|e| e.status()),
                since: current.map(|e| e.on()),
                pact: stream.pact.id,
                name: stream.pact.name,
            };
            if wanted.is_none() || row.status == wanted {
                rows.push(row);
            }
        }
        if self.json {
            json(ctx.out, &rows)?;
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
            let mut table = Table::default();
            table.row(["PACT", "STATUS", "SINCE", "NAME"]);
            for row in &rows {
                table.row([
                    row.pact.to_string(),
                    row.status.map_or("-".to_owned(), |s| s.to_string()),
                    row.since.map_or("-".to_owned(), |d| d.to_string()),
                    row.name.clone(),
                ]);
            }
            table.print(ctx.out, "")?;
        }
        match failed {
            0 => Ok(()),
            count => Err(Error::StreamsFailed { count }),
        }
    }
}
