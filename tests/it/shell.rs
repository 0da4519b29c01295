//! pactlog in a shell: `completions` and `man` as a user meets them
//! (written into a closed pipe or onto a full disk like any other command's
//! output, completions that bash loads and runs, a manual page for pactlog
//! and for each of its commands), and an example in every command's help.

use std::process::Stdio;

use insta::assert_snapshot;

use crate::harness::{Cmd, Run, pactlog, shell, subcommands};

/// What `pactlog completions` and `pactlog man` are asked for.
const PRINTS: [&[&str]; 7] = [
    &["completions", "bash"],
    &["completions", "zsh"],
    &["completions", "fish"],
    &["completions", "elvish"],
    &["completions", "powershell"],
    &["man"],
    &["man", "append"],
];

/// Runs `command` with its standard output on `stdout`.
fn writing_to(command: Cmd, stdout: impl Into<Stdio>) -> Run {
    command.stdout(stdout).run()
}

/// Runs `command` with its standard output a pipe whose reading end is
/// closed before the command starts, so that its first write fails.
fn into_closed_pipe(command: Cmd) -> Run {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    writing_to(command, writer)
}

/// Runs `command` with its standard output on a device that is always full.
#[cfg(target_os = "linux")]
fn into_full_disk(command: Cmd) -> Run {
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full opens");
    writing_to(command, full)
}

#[test]
fn printing_into_a_closed_pipe_is_not_an_error() {
    for args in PRINTS {
        let run = into_closed_pipe(pactlog(args));
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{args:?}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn printing_onto_a_full_disk_is_an_error() {
    for args in PRINTS {
        let stderr = into_full_disk(pactlog(args)).fails(1);
        assert_eq!(
            stderr, "error: cannot write <stdout>: No space left on device (os error 28)\n",
            "{args:?}"
        );
    }
}

/// The roff page that `pactlog man ARGS...` prints.
fn page(args: &[&str]) -> String {
    let run = pactlog(&["man"]).args(args).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

/// The text of one section of a roff page as a reader sees it, a line of
/// the page to a line: the heading and the markup left out.
fn section(page: &str, heading: &str) -> String {
    let mut lines = page.lines().skip_while(|l| {
        l.strip_prefix(".SH ")
            .is_none_or(|h| h.trim_matches('"') != heading)
    });
    assert!(lines.next().is_some(), "no section {heading}:\n{page}");
    let mut text = String::new();
    for line in lines.take_while(|l| !l.starts_with(".SH ")) {
        if !line.starts_with('.') {
            text.push_str(&unescape(line));
            text.push('\n');
        }
    }
    text
}

/// A roff text line without its font changes and escapes.
fn unescape(line: &str) -> String {
    [
        ("\\fB", ""),
        ("\\fI", ""),
        ("\\fR", ""),
        ("\\&", ""),
        ("\\-", "-"),
        ("\\*(Aq", "'"),
        ("\\\\", "\\"),
    ]
    .iter()
    .fold(line.to_owned(), |text, (escape, plain)| {
        text.replace(escape, plain)
    })
}

#[test]
fn the_man_page_gives_the_exit_codes_and_the_environment() {
    let page = page(&[]);
    assert!(page.contains("\n.TH pactlog 1 "), "{page}");
    assert_snapshot!(section(&page, "EXIT STATUS"), @"
    0
    Success; output cut short by its reader (| head) counts as success too
    1
    Failure: bad input, an invalid transition, a broken stream, problems found by verify, or a merge conflict
    2
    A command-line usage error
    3
    A conflict: the stream's last seq is not the one --expect-seq gave
    ");
    assert_snapshot!(section(&page, "ENVIRONMENT"), @r"
    PACTLOG_DIR
    The store directory when --dir is not given; with neither, ./events
    NO_COLOR
    When set and not empty, no colour in any output
    CLICOLOR_FORCE
    When set and neither empty nor 0, colour even where output is not a terminal; NO_COLOR wins
    ");
    let commands = section(&page, "SUBCOMMANDS");
    assert!(commands.contains("pactlog-append(1)\n"), "{commands}");
    assert!(!commands.contains("pactlog-help(1)"), "{commands}");
    assert!(
        commands.ends_with("Each command has a page of its own: pactlog man COMMAND prints it\n"),
        "{commands}"
    );
}

#[test]
fn man_append_prints_the_page_of_append() {
    let page = page(&["append"]);
    assert!(
        page.contains("\n.TH pactlog-append 1 \"\" \"pactlog "),
        "{page}"
    );
    assert_eq!(
        section(&page, "NAME"),
        "pactlog-append - Record that a pact entered a status on a date\n"
    );
    let synopsis = section(&page, "SYNOPSIS");
    assert!(synopsis.starts_with("pactlog append ["), "{synopsis}");
    assert!(synopsis.contains("[--expect-seq]"), "{synopsis}");
    assert!(
        synopsis.ends_with(" <--on> <PACT> <STATUS> \n"),
        "{synopsis}"
    );
    let options = section(&page, "OPTIONS");
    assert!(
        options.contains(
            "--expect-seq <N>\nFail with exit code 3 unless the stream's last seq is N\n"
        ),
        "{options}"
    );
    assert!(
        options.contains("--dir <DIR>\nThe store directory (one stream file per pact). Without it, the PACTLOG_DIR environment variable names it (when set and not empty), else ./events\n"),
        "{options}"
    );
    assert_snapshot!(section(&page, "EXAMPLES"), @r"
    pactlog append gsomia termination-notified --on 2019-08-23 \
      --source 'Yonhap: Seoul notifies Tokyo of GSOMIA termination' --url https://en.yna.co.kr/...
    ");
    assert_eq!(section(&page, "SEE ALSO"), "pactlog(1)\n");
    assert_eq!(
        section(&page, "EXIT STATUS"),
        section(&self::page(&[]), "EXIT STATUS")
    );
}

#[test]
fn every_command_is_described_in_the_list_as_its_own_help_describes_it() {
    let help = pactlog(&["--help"]).run().stdout;
    for command in subcommands() {
        // `  name   What it does`, as the list of commands has it
        let listed = help
            .lines()
            .find_map(|line| line.trim_start().strip_prefix(&format!("{command} ")))
            .map(str::trim)
            .unwrap_or_default();
        assert!(
            !listed.is_empty(),
            "{command} is listed without a word: {help}"
        );
        let own = pactlog(&[&command, "-h"]).run().stdout;
        assert_eq!(own.lines().next(), Some(listed), "{command}");
        // and its arguments are there when it is the one asked about
        assert!(own.contains("--dir <DIR>"), "{command}: {own}");
    }
}

#[test]
fn every_command_the_man_page_lists_has_a_page() {
    let top = section(&page(&[]), "SUBCOMMANDS");
    for command in subcommands() {
        assert!(
            top.contains(&format!("pactlog-{command}(1)\n")),
            "{command}"
        );
        let page = page(&[&command]);
        assert!(
            page.contains(&format!("\n.TH pactlog-{command} 1 ")),
            "{command}"
        );
        assert!(
            section(&page, "SYNOPSIS").starts_with(&format!("pactlog {command} ")),
            "{command}"
        );
        let examples = section(&page, "EXAMPLES");
        assert!(
            examples.contains(&format!("pactlog {command}"))
                || examples.contains(&format!("pactlog --dir copy {command}")),
            "{command}: {examples}"
        );
        for heading in ["DESCRIPTION", "OPTIONS", "EXIT STATUS", "ENVIRONMENT"] {
            assert!(!section(&page, heading).is_empty(), "{command}: {heading}");
        }
    }
}

#[test]
fn man_of_an_unknown_command_is_a_usage_error_listing_the_commands() {
    let run = pactlog(&["man", "apend"]).run();
    assert!(run.stdout.is_empty());
    assert_snapshot!(run.fails(2), @"
    error: invalid value 'apend' for '[COMMAND]'
      [possible values: register, append, note, retract, amend, cite, edit, status, history, log, list, changes, errata, verify, repair, import, export, timeline, merge, git-setup, completions, man]

      tip: a similar value exists: 'append'

    For more information, try '--help'.
    ");
}

#[test]
fn the_fish_script_offers_the_shells_and_the_commands_man_takes() {
    let run = pactlog(&["completions", "fish"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let offered = |command: &str| {
        let start = format!(
            "complete -c pactlog -n \"__fish_pactlog_using_subcommand {command}\" -f -a \""
        );
        let line = run
            .stdout
            .lines()
            .find(|l| l.starts_with(&start))
            .unwrap_or_else(|| panic!("no values for {command}"));
        line[start.len()..line.len() - 1].to_owned()
    };
    assert_eq!(offered("completions"), "bash elvish fish powershell zsh");
    assert_eq!(offered("man"), subcommands().join(" "));
}

#[test]
fn completions_for_every_shell_mention_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = pactlog(&["completions", shell]).run();
        assert_eq!(run.code, 0, "{shell}");
        let script = run.stdout;
        assert!(!script.trim().is_empty(), "{shell}");
        // as a word of its own: `log` is in every "pactlog"
        let words: Vec<&str> = script
            .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
            .collect();
        for command in subcommands() {
            assert!(words.contains(&command.as_str()), "{shell}: {command}");
        }
    }
    assert_eq!(pactlog(&["completions", "tcsh"]).run().code, 2);
}

#[test]
fn bash_completion_loads_and_completes_subcommands_and_flags() {
    let bash = |script: &str| -> String {
        let out = shell("bash")
            .arg("--norc")
            .arg("-c")
            .arg(script)
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let registered = bash("source <(pactlog completions bash); complete -p pactlog");
    assert!(registered.contains("-F _pactlog"), "{registered}");
    assert!(registered.trim_end().ends_with(" pactlog"), "{registered}");

    let complete = |words: &str, current: usize, cur: &str, prev: &str| -> Vec<String> {
        let out = bash(&format!(
            "source <(pactlog completions bash)\n\
             COMP_WORDS=({words}); COMP_CWORD={current}\n\
             COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}\n\
             _pactlog pactlog '{cur}' '{prev}'\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        ));
        out.lines().map(str::to_owned).collect()
    };
    assert_eq!(complete("pactlog sta", 1, "sta", "pactlog"), ["status"]);
    let shells = complete("pactlog completions ''", 2, "", "completions");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(shells.contains(&shell.to_owned()), "{shell}: {shells:?}");
    }
    assert_eq!(
        complete("pactlog import --cr", 2, "--cr", "import"),
        ["--create-pacts"]
    );
}

#[test]
fn every_subcommand_help_shows_an_example() {
    for command in subcommands() {
        let run = pactlog(&[command.as_str(), "--help"]).run();
        assert_eq!(run.code, 0, "{command}");
        let help = run.stdout;
        let example = help
            .split_once("Example")
            .unwrap_or_else(|| panic!("{command} --help has no example:\n{help}"))
            .1;
        assert!(
            example.contains(&format!("pactlog {command}"))
                || example.contains(&format!("pactlog --dir copy {command}")),
            "{command}: {help}"
        );
    }
}
