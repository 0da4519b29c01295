//! The `pactlog` binary: parse the arguments, run the command, and turn an
//! error into an exit code, here and nowhere else.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
#[cfg(unix)]
use std::sync::atomic::AtomicBool;

use chrono::{Local, Utc};
use clap::Parser;
use pactlog::cli::destination::{self, Std};
use pactlog::cli::style::wants_color;
use pactlog::cli::{Cli, Context, report};
use pactlog::{Error, Store};

/// Where the handler of SIGXFSZ notes the signal. Nothing reads it: the
/// write that passed the file-size limit fails with its own error.
#[cfg(unix)]
static FILE_TOO_LARGE: AtomicBool = AtomicBool::new(false);

fn main() -> ExitCode {
    // a write past the file-size limit sends SIGXFSZ, whose default action
    // kills the process part-way through the write; caught, the write fails
    // with EFBIG instead, and what it wrote of a line is cut off again
    #[cfg(unix)]
    let _ = signal_hook::flag::register(signal_hook::consts::SIGXFSZ, &FILE_TOO_LARGE);
    let no_color = std::env::var_os("NO_COLOR");
    let force = std::env::var_os("CLICOLOR_FORCE");
    let color = |terminal: bool| wants_color(terminal, no_color.as_deref(), force.as_deref());
    let err_color = color(io::stderr().is_terminal());
    // before the arguments are parsed: --help and --version print then
    if !std_streams_allowed(None, err_color) {
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    let store = Store::new(cli.dir());
    if !std_streams_allowed(Some(&store), err_color) {
        return ExitCode::FAILURE;
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let mut err = io::stderr().lock();
    let mut ctx = Context {
        store,
        today: Local::now().date_naive(),
        now: Utc::now(),
        color: color(io::stdout().is_terminal()),
        err_color,
        pretty: cli.pretty(),
        out: &mut out,
        err: &mut err,
    };
    let result = cli.run(&mut ctx).and_then(|()| Ok(out.flush()?));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            // Whatever was printed before the error still goes out.
            let _ = out.flush();
            report(&mut io::stderr(), &e, err_color);
            ExitCode::from(exit_code(&e))
        }
    }
}

/// Whether standard error and output may be written, as
/// [`destination::check_std`] sees them (with the `store`, once it is
/// known); if not, says why where that is safe: an error about standard
/// error on standard output.
fn std_streams_allowed(store: Option<&Store>, err_color: bool) -> bool {
    if let Err(e) = destination::check_std(Std::Err, store) {
        if destination::check_std(Std::Out, store).is_ok() {
            report(&mut io::stdout(), &e, false);
        }
        return false;
    }
    if let Err(e) = destination::check_std(Std::Out, store) {
        report(&mut io::stderr(), &e, err_color);
        return false;
    }
    true
}

/// 3 for a conflict with another writer, 2 for a usage error the argument
/// parser cannot see (its own exit with 2 too), 1 for every other failure.
fn exit_code(error: &Error) -> u8 {
    match error {
        Error::Conflict { .. } => 3,
        Error::Usage { .. } => 2,
        _ => 1,
    }
}
