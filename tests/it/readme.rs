//! The README's commands and examples still work: its two set-up commands
//! are the ones CI runs, and every `console` example, run in order by bash
//! against a copy of the shipped record, prints what the README says it
//! prints. A line `$ NAME=VALUE` sets a shell variable for the lines after
//! it, as it would in a reader's shell.

use std::collections::BTreeMap;
use std::path::Path;

use crate::harness::{Run, Store, copy_shipped, shell};

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md is readable")
}

/// The fenced blocks of `lang`, as lists of lines.
fn blocks(text: &str, lang: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in text.lines() {
        match &mut current {
            None if line == format!("```{lang}") => current = Some(Vec::new()),
            Some(block) if line == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => block.push(line.to_owned()),
            None => {}
        }
    }
    blocks
}

/// Whether `actual` matches `expected`, where `[..]` stands for any text
/// within the line.
fn line_matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split("[..]").collect();
    if parts.len() == 1 {
        return expected == actual;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !actual.starts_with(first) || !actual[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &actual[first.len()..actual.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn the_set_up_commands_are_two_and_ci_runs_the_test_one() {
    let text = readme();
    let set_up = &text[text.find("## Set up").expect("a set-up section")..];
    let commands = blocks(set_up, "sh").into_iter().next().expect("a sh block");
    assert_eq!(
        commands,
        vec![
            "cargo run --release --locked -- status gsomia --on 2020-01-01",
            "cargo test --locked",
        ]
    );
    let ci = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run"))
        .expect(".ci/run is readable");
    assert!(ci.lines().any(|l| l.trim() == commands[1]), "{ci}");
    let answer = Store::shipped().ok(&["status", "gsomia", "--on", "2020-01-01"]);
    assert!(
        answer.starts_with("gsomia on 2020-01-01: conditionally suspended since 2019-11-22\n"),
        "{answer}"
    );
}

#[test]
fn every_console_example_prints_what_the_readme_shows() {
    let work = tempfile::tempdir().expect("a work directory");
    let work = work.path();
    std::fs::create_dir(work.join("events")).expect("an events directory");
    copy_shipped(&work.join("events"));
    std::fs::create_dir(work.join("examples")).expect("an examples directory");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in std::fs::read_dir(examples).expect("examples/ is readable") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().expect("a name");
        std::fs::copy(&path, work.join("examples").join(name)).expect("copy an example");
    }
    let mut vars = BTreeMap::new();
    let examples = blocks(&readme(), "console");
    assert!(examples.len() >= 4, "the README has its examples");
    let mut ran = 0;
    for block in examples {
        let mut lines = block.iter().peekable();
        while let Some(line) = lines.next() {
            let command = line
                .strip_prefix("$ ")
                .unwrap_or_else(|| panic!("output without a command: {line}"));
            let mut expected = Vec::new();
            while let Some(out) = lines.next_if(|l| !l.starts_with("$ ")) {
                expected.push(out.as_str());
            }
            let assignment = command
                .split_once('=')
                .filter(|(name, _)| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            let script = match assignment {
                Some((name, _)) => format!("{command}; printf %s \"${name}\""),
                None => command.to_owned(),
            };
            let run = Run::from(
                shell("bash")
                    .args(["-c", &script])
                    .current_dir(work)
                    .envs(&vars)
                    .output()
                    .expect("bash runs"),
            );
            if let Some((name, _)) = assignment {
                assert_eq!(run.code, 0, "$ {command}: {}", run.stderr);
                assert!(expected.is_empty(), "$ {command} shows output");
                vars.insert(name.to_owned(), run.stdout);
                continue;
            }
            assert!(command.starts_with("pactlog "), "{command}");
            let printed = format!("{}{}", run.stdout, run.stderr);
            let actual: Vec<&str> = printed.lines().collect();
            let same = actual.len() == expected.len()
                && expected
                    .iter()
                    .zip(&actual)
                    .all(|(e, a)| line_matches(e, a));
            assert!(
                same,
                "$ {command}\n--- the README shows:\n{}\n--- pactlog printed:\n{printed}",
                expected.join("\n")
            );
            let fails = expected.iter().any(|l| l.starts_with("error: "));
            assert_eq!(run.code != 0, fails, "$ {command}: exit code {}", run.code);
            ran += 1;
        }
    }
    assert!(ran >= 10, "only {ran} README commands ran");
}
