//! The command line: one module per subcommand, each turning its arguments
//! into a validated request, asking the store and replay, and handing a plain
//! result to a renderer (text or JSON).

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};

use crate::error::Error;
use crate::store::Store;

mod append;
mod history;
mod list;
mod log;
mod note;
mod output;
mod register;
mod status;
mod verify;

pub use output::report;

/// Keep a sourced, append-only record of the status of agreements and
/// policies, and ask what it was on any date.
#[derive(Debug, Parser)]
#[command(name = "pactlog", version, max_term_width = 100)]
pub struct Cli {
    /// The store directory (one stream file per pact).
    #[arg(
        long,
        global = true,
        env = "PACTLOG_DIR",
        default_value = "./events",
        value_name = "DIR"
    )]
    dir: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Register(register::Args),
    Append(append::Args),
    Note(note::Args),
    Status(status::Args),
    History(history::Args),
    Log(log::Args),
    List(list::Args),
    Verify(verify::Args),
}

/// What a command runs with: the store, the clock, and where output goes.
pub struct Context<'a> {
    /// The store the command works on.
    pub store: Store,
    /// Today's date, for `--on today` and scheduled statuses.
    pub today: NaiveDate,
    /// The time an append records.
    pub now: DateTime<Utc>,
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error, for reports on streams that a command skips.
    pub err: &'a mut dyn Write,
}

impl Cli {
    /// The store directory the arguments name.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Runs the command.
    ///
    /// # Errors
    ///
    /// Whatever stopped the command; the caller reports it and turns it into
    /// an exit code.
    pub fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        match &self.command {
            Command::Register(args) => args.run(ctx),
            Command::Append(args) => args.run(ctx),
            Command::Note(args) => args.run(ctx),
            Command::Status(args) => args.run(ctx),
            Command::History(args) => args.run(ctx),
            Command::Log(args) => args.run(ctx),
            Command::List(args) => args.run(ctx),
            Command::Verify(args) => args.run(ctx),
        }
    }
}
