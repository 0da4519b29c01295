//! `pactlog merge`: the git merge driver for streams.

use std::path::PathBuf;

use serde::Serialize;

use crate::cli::Context;
use crate::cli::output::{one_line, plural};
use crate::model::error::Error;
use crate::model::pact::PactId;
use crate::transfer::merge::merge_files;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example (as git runs it, with its own temporary files):\n  \
    pactlog merge .merge_file_X1 .merge_file_X2 .merge_file_X3 events/gsomia.jsonl"
)]
pub struct Args {
    /// The stream as the two branches last had it in common (git's %O).
    base: PathBuf,
    /// The stream as this branch has it, which the merge is written to
    /// (git's %A).
    ours: PathBuf,
    /// The stream as the branch merged in has it (git's %B).
    theirs: PathBuf,
    /// Where the stream lives in the work tree (git's %P): its name is its
    /// pact's, and the other streams beside it hold the names an alias may
    /// not take.
    path: Option<PathBuf>,
    /// Print what was done as JSON.
    #[arg(long)]
    json: bool,
}

/// What a merge did.
#[derive(Debug, Serialize)]
struct Report {
    pact: PactId,
    /// The stream merged into.
    file: String,
    /// How many events of theirs were added after ours.
    added: usize,
    /// How many events ours had recorded that theirs had not.
    ours: usize,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let merged = merge_files(&self.base, &self.ours, &self.theirs, self.path.as_deref())?;
        let report = Report {
            pact: merged.pact,
            file: self
                .path
                .as_ref()
                .unwrap_or(&self.ours)
                .display()
                .to_string(),
            added: merged.added,
            ours: merged.ours,
        };
        if self.json {
            return ctx.json(&report);
        }
        let file = one_line(&report.file);
        let added = plural(report.added as u64, "event");
        match (report.added, report.ours) {
            (0, _) => writeln!(ctx.out, "merged {file}: theirs adds nothing to ours")?,
            (_, 0) => writeln!(ctx.out, "merged {file}: {added} of theirs added")?,
            (_, ours) => writeln!(
                ctx.out,
                "merged {file}: {added} of theirs after {} of ours",
                plural(ours as u64, "new event"),
            )?,
        }
        Ok(())
    }
}
