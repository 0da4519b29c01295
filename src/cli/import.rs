//! `pactlog import`: a spreadsheet's CSV, or the JSON Lines of `export`, in
//! one all-or-nothing batch.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::cli::Context;
use crate::cli::output::one_line;
use crate::model::error::Error;
use crate::transfer::import::{CsvOptions, plan_csv, plan_jsonl};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pactlog import treaties.csv --create-pacts\n  \
    pactlog --dir copy import backup.jsonl\n  cat rows.csv | pactlog import - --format csv"
)]
pub struct Args {
    /// The file to import, or - for standard input.
    file: String,
    /// Register the pacts a CSV names that do not exist yet (name: the
    /// `name` column, or the id).
    #[arg(long)]
    create_pacts: bool,
    /// The input format; by default from the file's extension (.csv, .jsonl)
    /// or its first byte.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Check everything and say what would be written (the pacts created,
    /// the events for each pact), writing nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print what was imported as JSON.
    #[arg(long)]
    json: bool,
}

/// What an import writes to one pact.
#[derive(Debug, Serialize)]
struct ToPact {
    pact: String,
    /// Its events, a new pact's registration included.
    events: usize,
    created: bool,
}

/// The formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Csv,
    Jsonl,
}

#[derive(Debug, Serialize)]
struct Summary {
    file: String,
    format: &'static str,
    events: usize,
    pacts: usize,
    created: usize,
    /// Rows that are events already recorded, skipped.
    skipped: usize,
    /// Whether nothing was written: a dry run.
    dry_run: bool,
    /// Each pact written to, by id.
    by_pact: Vec<ToPact>,
}

/// A JSON Lines import's progress moves on every this many lines.
const PROGRESS_FROM: usize = 10_000;

/// CSV files of more bytes than this show progress on a terminal.
const PROGRESS_BYTES: u64 = 1 << 20;

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let mut input: Box<dyn BufRead> = if self.file == "-" {
            Box::new(BufReader::new(std::io::stdin().lock()))
        } else {
            let file = File::open(&self.file).map_err(Error::io("open", &self.file))?;
            Box::new(BufReader::with_capacity(1 << 16, file))
        };
        let format = match self.format {
            Some(format) => format,
            None => sniff(&self.file, &mut input)?,
        };
        let label = if self.file == "-" {
            "<stdin>"
        } else {
            &self.file
        };
        let batch = match format {
            Format::Jsonl => {
                // the number of lines is not known ahead: a counter
                let bar = std::io::stderr().is_terminal().then(|| {
                    let bar = ProgressBar::new_spinner();
                    if let Ok(style) =
                        ProgressStyle::with_template("checking {spinner} {pos} lines")
                    {
                        bar.set_style(style);
                    }
                    bar
                });
                let tick = |done: usize| {
                    if let Some(bar) = &bar
                        && done.is_multiple_of(PROGRESS_FROM)
                    {
                        bar.set_position(done as u64);
                    }
                };
                let batch = plan_jsonl(&ctx.store, label, input, &tick);
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                batch?
            }
            Format::Csv => {
                // the rows are checked as they are read: progress in bytes
                let size = || {
                    (self.file != "-")
                        .then(|| std::fs::metadata(&self.file).ok())
                        .flatten()
                        .map(|m| m.len())
                };
                let bar = std::io::stderr()
                    .is_terminal()
                    .then(size)
                    .and_then(progress_bar);
                let tick = |bytes: u64| {
                    if let Some(bar) = &bar {
                        bar.set_position(bytes);
                    }
                };
                let batch = plan_csv(
                    &ctx.store,
                    label,
                    input,
                    CsvOptions {
                        create_pacts: self.create_pacts,
                        dry_run: self.dry_run,
                    },
                    ctx.now,
                    ctx.today,
                    &tick,
                );
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                batch?
            }
        };
        let summary = Summary {
            file: label.to_owned(),
            format: match format {
                Format::Csv => "csv",
                Format::Jsonl => "jsonl",
            },
            events: batch.events,
            pacts: batch.pacts,
            created: batch.created,
            skipped: batch.skipped,
            dry_run: self.dry_run,
            by_pact: batch
                .per_pact
                .iter()
                .map(|(pact, events, created)| ToPact {
                    pact: pact.to_string(),
                    events: *events,
                    created: *created,
                })
                .collect(),
        };
        if self.dry_run {
            // the staged streams go with the batch: nothing is written
            drop(batch);
            if self.json {
                return ctx.json(&summary);
            }
            return write_dry_run(ctx, &summary);
        }
        batch.commit(&ctx.store)?;
        if self.json {
            return ctx.json(&summary);
        }
        let (row, rows) = match format {
            Format::Csv => ("row", "rows"),
            Format::Jsonl => ("line", "lines"),
        };
        let skipped = match summary.skipped {
            0 => String::new(),
            1 => format!("; 1 {row} was an event recorded already, and is skipped"),
            n => format!("; {n} {rows} were events recorded already, and are skipped"),
        };
        writeln!(
            ctx.out,
            "imported {} {} into {} {} ({} new) from {}{skipped}",
            summary.events,
            if summary.events == 1 {
                "event"
            } else {
                "events"
            },
            summary.pacts,
            if summary.pacts == 1 { "pact" } else { "pacts" },
            summary.created,
            one_line(&summary.file)
        )?;
        Ok(())
    }
}

/// What a dry run would write, for people.
fn write_dry_run(ctx: &mut Context<'_>, summary: &Summary) -> Result<(), Error> {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    writeln!(
        ctx.out,
        "would import {} into {} ({} new) from {}; nothing was written",
        plural(summary.events, "event", "events"),
        plural(summary.pacts, "pact", "pacts"),
        summary.created,
        one_line(&summary.file)
    )?;
    let width = summary
        .by_pact
        .iter()
        .map(|to| to.pact.chars().count())
        .max()
        .unwrap_or(0);
    for to in &summary.by_pact {
        let new = if to.created {
            " (new, registration included)"
        } else {
            ""
        };
        writeln!(
            ctx.out,
            "  {:width$}  {}{new}",
            one_line(&to.pact),
            plural(to.events, "event", "events")
        )?;
    }
    if summary.skipped > 0 {
        writeln!(
            ctx.out,
            "  {} recorded already would be skipped",
            plural(summary.skipped, "event", "events")
        )?;
    }
    Ok(())
}

/// The format from the file's extension, or else from its first byte that is
/// not white space: `{` starts JSON Lines.
fn sniff(file: &str, input: &mut Box<dyn BufRead>) -> Result<Format, Error> {
    match Path::new(file).extension().and_then(|e| e.to_str()) {
        Some("csv") => return Ok(Format::Csv),
        Some("jsonl" | "ndjson") => return Ok(Format::Jsonl),
        _ => {}
    }
    let buffer = input.fill_buf().map_err(Error::io("read", file))?;
    let buffer = buffer.strip_prefix("\u{feff}".as_bytes()).unwrap_or(buffer);
    let first = buffer.iter().find(|b| !b.is_ascii_whitespace());
    Ok(if first == Some(&b'{') {
        Format::Jsonl
    } else {
        Format::Csv
    })
}

/// A bar over the input's size, or a counter of bytes when the size is not
/// known; none for an input too small to wait for.
fn progress_bar(size: Option<u64>) -> Option<ProgressBar> {
    let (bar, template) = match size {
        Some(size) if size < PROGRESS_BYTES => return None,
        Some(size) => (
            ProgressBar::new(size),
            "checking {bar:30} {bytes}/{total_bytes} {eta}",
        ),
        None => (ProgressBar::new_spinner(), "checking {spinner} {bytes}"),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    Some(bar)
}
