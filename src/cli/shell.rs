//! `pactlog completions` and `pactlog man`: what a shell and `man` need,
//! generated from the same definition as the command line itself.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, Context};
use crate::error::Error;

/// Print a shell completion script.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    pactlog completions bash > ~/.local/share/bash-completion/completions/pactlog\n  \
    pactlog completions zsh > ~/.zfunc/_pactlog\n  \
    pactlog completions fish > ~/.config/fish/completions/pactlog.fish")]
pub struct Completions {
    /// The shell: bash, zsh, fish, elvish or powershell.
    shell: Shell,
}

impl Completions {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        // clap_complete panics when its writer fails; made in memory, the
        // script is written like any other command's output, so a closed
        // pipe is success and a full disk an error
        let mut script = Vec::new();
        clap_complete::generate(self.shell, &mut Cli::command(), "pactlog", &mut script);
        ctx.out.write_all(&script)?;
        Ok(())
    }
}

/// Print the manual page (roff), e.g. for `man -l -`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pactlog man | man -l -\n  \
    pactlog man > ~/.local/share/man/man1/pactlog.1")]
pub struct Man {}

impl Man {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        clap_mangen::Man::new(Cli::command()).render(ctx.out)?;
        Ok(())
    }
}
