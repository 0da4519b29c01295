//! `pactlog completions` and `pactlog man`: what a shell and `man` need,
//! generated from the same definition as the command line itself.

use std::ffi::OsStr;
use std::io::{self, Write};

use clap::CommandFactory;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap_complete::Shell;
use clap_mangen::roff::{Roff, bold, italic, roman};

use crate::cli::{Cli, Context};
use crate::model::error::Error;

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
        if self.shell == Shell::Fish {
            fish_positionals(&mut script);
        }
        ctx.out.write_all(&script)?;
        Ok(())
    }
}

/// Adds to a fish script the values of the arguments that are not options,
/// which the generator leaves out: the shells `completions` takes and the
/// commands `man` takes.
fn fish_positionals(script: &mut Vec<u8>) {
    let words = |values: Vec<PossibleValue>| {
        let names: Vec<&str> = values.iter().map(PossibleValue::get_name).collect();
        names.join(" ")
    };
    let shells = <Shell as clap::ValueEnum>::value_variants()
        .iter()
        .filter_map(clap::ValueEnum::to_possible_value)
        .collect();
    for (command, values) in [
        ("completions", words(shells)),
        ("man", words(CommandName::names())),
    ] {
        let _ = writeln!(
            script,
            "complete -c pactlog -n \"__fish_pactlog_using_subcommand {command}\" -f -a \"{values}\""
        );
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pactlog man | man -l -\n  \
    pactlog man append | man -l -\n  \
    pactlog man > ~/.local/share/man/man1/pactlog.1\n  \
    pactlog man append > ~/.local/share/man/man1/pactlog-append.1")]
pub struct Man {
    /// The command whose page, pactlog-COMMAND(1), to print; without one,
    /// pactlog's own page.
    #[arg(value_name = "COMMAND", value_parser = CommandName)]
    command: Option<String>,
}

impl Man {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let page = page(self.command.as_deref())?;
        ctx.out.write_all(&page)?;
        Ok(())
    }
}

/// The exit codes, on every page.
const EXIT_STATUS: [(&str, &str); 4] = [
    (
        "0",
        "Success; output cut short by its reader (| head) counts as success too",
    ),
    (
        "1",
        "Failure: bad input, an invalid transition, a broken stream, problems found by verify, \
         or a merge conflict",
    ),
    ("2", "A command-line usage error"),
    (
        "3",
        "A conflict: the stream's last seq is not the one --expect-seq gave",
    ),
];

/// The environment variables pactlog reads, on every page.
const ENVIRONMENT: [(&str, &str); 3] = [
    (
        "PACTLOG_DIR",
        "The store directory when --dir is not given; with neither, ./events",
    ),
    (
        "NO_COLOR",
        "When set and not empty, no colour in any output",
    ),
    (
        "CLICOLOR_FORCE",
        "When set and neither empty nor 0, colour even where output is not a terminal; \
         NO_COLOR wins",
    ),
];

/// The manual page of pactlog, or of its command `name`, in roff.
fn page(name: Option<&str>) -> io::Result<Vec<u8>> {
    let mut pactlog = Cli::command().disable_help_subcommand(true);
    // gives each command its title, pactlog-NAME, and its synopsis,
    // pactlog NAME, and every page the global options
    pactlog.build();
    let command = match name {
        Some(name) => pactlog
            .find_subcommand(name)
            .cloned()
            .expect("COMMAND's value parser accepts only command names"),
        None => pactlog,
    };
    let examples = examples(&command);
    let title = command
        .get_display_name()
        .unwrap_or(command.get_name())
        .to_owned();
    let man = clap_mangen::Man::new(command);
    let mut page = Page::new()?;
    let mut heading = Roff::new();
    // the date is left out as "", so that the source after it stays the
    // source (a bare empty argument would vanish and shift it into the date)
    let source = format!("pactlog {}", env!("CARGO_PKG_VERSION"));
    heading.control("TH", [title.as_str(), "1", "\"\"", source.as_str()]);
    page.add(|w| heading.to_writer(w))?;
    page.add(|w| man.render_name_section(w))?;
    page.add(|w| man.render_synopsis_section(w))?;
    page.add(|w| man.render_description_section(w))?;
    page.add(|w| man.render_options_section(w))?;
    if name.is_none() {
        page.add(|w| man.render_subcommands_section(w))?;
        let mut roff = Roff::new();
        roff.control("PP", []).text([
            roman("Each command has a page of its own: "),
            bold("pactlog man"),
            roman(" "),
            italic("COMMAND"),
            roman(" prints it"),
        ]);
        page.add(|w| roff.to_writer(w))?;
    }
    page.add(|w| definitions("EXIT STATUS", &EXIT_STATUS).to_writer(w))?;
    page.add(|w| definitions("ENVIRONMENT", &ENVIRONMENT).to_writer(w))?;
    if let Some(examples) = examples {
        page.add(|w| examples.to_writer(w))?;
    }
    match name {
        None => page.add(|w| man.render_version_section(w))?,
        Some(_) => {
            let mut roff = Roff::new();
            roff.control("SH", ["SEE ALSO"])
                .text([bold("pactlog"), roman("(1)")]);
            page.add(|w| roff.to_writer(w))?;
        }
    }
    Ok(page.roff)
}

/// A section of terms and what each means.
fn definitions(heading: &str, items: &[(&str, &str)]) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", [heading]);
    for (term, meaning) in items {
        roff.control("TP", [])
            .text([bold(*term)])
            .text([roman(*meaning)]);
    }
    roff
}

/// The EXAMPLES section of a command: the indented lines of its after-help,
/// as typed, without the heading above them.
fn examples(command: &clap::Command) -> Option<Roff> {
    let text = command.get_after_help()?.to_string();
    let mut roff = Roff::new();
    roff.control("SH", ["EXAMPLES"])
        .control("RS", ["4"])
        .control("nf", []);
    for line in text.lines().filter_map(|l| l.strip_prefix("  ")) {
        roff.text([roman(line)]);
    }
    roff.control("fi", []).control("RE", []);
    Some(roff)
}

/// A roff page put together from sections rendered one at a time: each
/// rendering starts with the same preamble, which the page keeps once.
struct Page {
    roff: Vec<u8>,
    preamble: Vec<u8>,
}

impl Page {
    fn new() -> io::Result<Page> {
        let mut preamble = Vec::new();
        Roff::new().to_writer(&mut preamble)?;
        Ok(Page {
            roff: preamble.clone(),
            preamble,
        })
    }

    fn add(&mut self, render: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
        let mut section = Vec::new();
        render(&mut section)?;
        let body = section.strip_prefix(self.preamble.as_slice());
        self.roff.extend_from_slice(body.unwrap_or(&section));
        Ok(())
    }
}

/// The name of one of pactlog's commands: checked, listed in help and
/// offered by completions like any other choice of values. The names are
/// read from the command line's definition when they are needed, since this
/// argument is part of that definition.
#[derive(Debug, Clone, Copy)]
struct CommandName;

impl CommandName {
    fn names() -> Vec<PossibleValue> {
        Cli::command()
            .get_subcommands()
            .map(|c| PossibleValue::new(c.get_name().to_owned()))
            .collect()
    }
}

impl TypedValueParser for CommandName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        PossibleValuesParser::new(CommandName::names()).parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(CommandName::names().into_iter()))
    }
}
