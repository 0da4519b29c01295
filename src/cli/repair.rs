//! `pactlog repair`: move a torn last line aside, never deleting a byte.

use serde::Serialize;

use crate::cli::Context;
use crate::cli::output::{one_line, plural};
use crate::log::store::Repair;
use crate::model::error::Error;
use crate::model::pact::PactId;

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  pactlog repair gsomia")]
pub struct Args {
    /// The pact: its id (an alias works while the first line is readable).
    pact: String,
    /// Print what was done as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    pact: PactId,
    repaired: bool,
    line: Option<usize>,
    bytes: Option<u64>,
    quarantine: Option<String>,
    /// Whether the moved line was complete (ended with a newline).
    complete: Option<bool>,
    events: usize,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let id = match PactId::parse(&self.pact.trim().to_lowercase()) {
            Ok(id) if ctx.store.stream_path(&id).exists() => id,
            _ => ctx.store.resolve(&self.pact)?,
        };
        let outcome = ctx.store.repair(&id, ctx.now)?;
        let report = match &outcome {
            Repair::Intact { events } => Report {
                pact: id,
                repaired: false,
                line: None,
                bytes: None,
                quarantine: None,
                complete: None,
                events: *events,
            },
            Repair::Repaired {
                line,
                bytes,
                quarantine,
                complete,
                events,
            } => Report {
                pact: id,
                repaired: true,
                line: Some(*line),
                bytes: Some(*bytes),
                quarantine: Some(quarantine.display().to_string()),
                complete: Some(*complete),
                events: *events,
            },
        };
        if self.json {
            return ctx.json(&report);
        }
        let pact = &report.pact;
        let events = plural(report.events as u64, "event");
        match (&report.quarantine, report.line, report.bytes) {
            (Some(quarantine), Some(line), Some(bytes)) => {
                writeln!(
                    ctx.out,
                    "{pact}: moved the torn line {line} ({}) to {}",
                    plural(bytes, "byte"),
                    one_line(quarantine)
                )?;
                if report.complete == Some(true) {
                    writeln!(
                        ctx.out,
                        "{pact}: warning: that line ended with a newline, so it may be a damaged \
                         event rather than an interrupted write: look at it before you rely on the \
                         stream (git log -p shows what it was)"
                    )?;
                }
                if report.events == 0 {
                    writeln!(
                        ctx.out,
                        "{pact}: the stream held no complete event and was removed; register the pact again"
                    )?;
                } else {
                    writeln!(ctx.out, "{pact}: the stream verifies, {events}")?;
                }
            }
            _ => writeln!(ctx.out, "{pact}: intact, nothing to repair ({events})")?,
        }
        Ok(())
    }
}
