//! `completions` and `man` as a user meets them: written into a closed pipe
//! or onto a full disk like any other command's output.

use std::process::{Command, Stdio};

use crate::harness::{Run, pactlog};

/// What `pactlog completions` and `pactlog man` are asked for.
const PRINTS: [&[&str]; 6] = [
    &["completions", "bash"],
    &["completions", "zsh"],
    &["completions", "fish"],
    &["completions", "elvish"],
    &["completions", "powershell"],
    &["man"],
];

/// Runs `command` with its standard output a pipe whose reading end is
/// closed before the command starts, so that its first write fails.
fn into_closed_pipe(mut command: Command) -> Run {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let output = command
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("pactlog runs");
    Run::from(output)
}

/// Runs `command` with its standard output on a device that is always full.
#[cfg(target_os = "linux")]
fn into_full_disk(mut command: Command) -> Run {
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full opens");
    let output = command
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .expect("pactlog runs");
    Run::from(output)
}

#[test]
fn printing_into_a_closed_pipe_is_not_an_error() {
    for args in PRINTS {
        let mut command = pactlog();
        command.args(args);
        let run = into_closed_pipe(command);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{args:?}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn printing_onto_a_full_disk_is_an_error() {
    for args in PRINTS {
        let mut command = pactlog();
        command.args(args);
        let stderr = into_full_disk(command).fails(1);
        assert_eq!(
            stderr, "error: cannot write <stdout>: No space left on device (os error 28)\n",
            "{args:?}"
        );
    }
}
