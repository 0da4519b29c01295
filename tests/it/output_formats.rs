//! What pactlog prints for programs and terminals: JSON from every read
//! command, CSV that parses back, indented JSON on request, and colour only
//! where it helps (never in piped output).

use serde_json::Value;

use crate::harness::{Files, subcommands};
use crate::pictures::pictured;

#[test]
fn every_read_command_takes_json() {
    let store = pictured();
    let files = Files::new();
    let svg = files.path("t.svg");
    // every command that reads, with what else it needs; those that write
    // the record or print a shell's or man's file are left out
    let writes = [
        "register",
        "append",
        "note",
        "retract",
        "amend",
        "cite",
        "edit",
        "repair",
        "import",
        "merge",
        "git-setup",
        "completions",
        "man",
    ];
    let reads: [(&str, &[&str]); 9] = [
        ("status", &["gsomia"]),
        ("history", &["gsomia"]),
        ("log", &["gsomia"]),
        ("list", &[]),
        ("changes", &["--from", "2015-01-01", "--to", "2030-12-31"]),
        ("errata", &["--since", "2000-01-01"]),
        ("verify", &[]),
        ("export", &[]),
        ("timeline", &["--svg", &svg]),
    ];
    for command in subcommands() {
        if writes.contains(&command.as_str()) {
            continue;
        }
        let (_, rest) = reads
            .iter()
            .find(|(name, _)| *name == command)
            .unwrap_or_else(|| panic!("a new read command, {command}: add it here"));
        let mut args = vec![command.as_str()];
        args.extend_from_slice(rest);
        args.push("--json");
        let out = store.ok(&args);
        assert!(!out.trim().is_empty(), "{args:?}");
        // one JSON value, or JSON Lines for export
        let values: Vec<&str> = match command.as_str() {
            "export" => out.lines().collect(),
            _ => vec![out.as_str()],
        };
        for value in values {
            serde_json::from_str::<serde_json::Value>(value)
                .unwrap_or_else(|e| panic!("{args:?}: {e}: {value}"));
        }
    }
}

#[test]
fn history_list_and_changes_print_csv_that_parses_back() {
    let store = pictured();
    let tricky = "Comma, \"quote\"\nand a second line";
    store.ok(&["register", "tricky", "--name", tricky]);
    store.ok(&[
        "append",
        "tricky",
        "proposed",
        "--on",
        "2015-01-01",
        "--source",
        tricky,
        "--note",
        "x,\"y\"\r\nz",
    ]);
    let read = |out: &str| -> (Vec<String>, Vec<Vec<String>>) {
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        let headers = reader
            .headers()
            .expect("a header row")
            .iter()
            .map(str::to_owned)
            .collect();
        let records = reader
            .records()
            .map(|r| {
                r.expect("an RFC 4180 record")
                    .iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        (headers, records)
    };
    let cell = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };

    // history: one row per interval, the fields of --json
    let columns = [
        "status",
        "from",
        "to",
        "event",
        "source",
        "url",
        "note",
        "reported",
        "forced",
        "scheduled",
    ];
    for pact in ["tricky", "gsomia", "jp-kr-white-list"] {
        let (headers, records) = read(&store.ok(&["history", pact, "--csv"]));
        assert_eq!(headers, columns);
        let json = store.json(&["history", pact]);
        let expected: Vec<Vec<String>> = json["intervals"]
            .as_array()
            .expect("intervals")
            .iter()
            .map(|i| columns.iter().map(|c| cell(&i[c])).collect())
            .collect();
        assert_eq!(records, expected, "{pact}");
    }
    let (_, records) = read(&store.ok(&["history", "tricky", "--csv"]));
    assert_eq!(records[0][4], tricky);
    assert_eq!(records[0][6], "x,\"y\"\r\nz");

    // list: one row per pact
    let columns = [
        "pact",
        "name",
        "status",
        "since",
        "scheduled",
        "head",
        "reported",
        "forced",
        "certain",
        "party",
    ];
    for on in ["2020-01-01", "today"] {
        let (headers, records) = read(&store.ok(&["list", "--on", on, "--csv"]));
        assert_eq!(headers, columns);
        let json = store.json(&["list", "--on", on]);
        let expected: Vec<Vec<String>> = json
            .as_array()
            .expect("pacts")
            .iter()
            .map(|p| columns.iter().map(|c| cell(&p[c])).collect())
            .collect();
        assert_eq!(records, expected, "{on}");
        assert!(records.iter().any(|r| r[1] == tricky), "{records:?}");
    }
    // a filter that matches nothing still prints the header
    assert_eq!(
        store.ok(&["list", "--status", "terminated", "--csv"]),
        "pact,name,status,since,scheduled,head,reported,forced,certain,party\n"
    );

    // changes: one row per change
    let columns = [
        "pact",
        "on",
        "from_status",
        "to_status",
        "event",
        "scheduled",
        "reported",
        "forced",
        "only_overlaps",
        "party",
    ];
    let (headers, records) = read(&store.ok(&[
        "changes",
        "--from",
        "2015-01-01",
        "--to",
        "2030-12-31",
        "--csv",
    ]));
    assert_eq!(headers, columns);
    let json = store.json(&["changes", "--from", "2015-01-01", "--to", "2030-12-31"]);
    let expected: Vec<Vec<String>> = json
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| columns.iter().map(|k| cell(&c[k])).collect())
        .collect();
    assert_eq!(records, expected);
    assert!(records.len() > 10);
}

#[test]
fn csv_with_json_is_a_usage_error() {
    let store = pictured();
    for args in [
        &["history", "gsomia", "--csv", "--json"][..],
        &["list", "--json", "--csv"],
        &[
            "changes",
            "--from",
            "2019-01-01",
            "--to",
            "2019-12-31",
            "--csv",
            "--json",
        ],
    ] {
        let stderr = store.refuses(args, 2);
        assert!(
            stderr.contains("'--csv' cannot be used with '--json'")
                || stderr.contains("'--json' cannot be used with '--csv'"),
            "{args:?}: {stderr}"
        );
    }
}

/// Commands across the CLI, reads and renderings, in a store `pictured`.
const READS: [&[&str]; 14] = [
    &["list"],
    &["list", "--json"],
    &["list", "--csv"],
    &["status", "gsomia"],
    &["status", "gsomia", "--json"],
    &["history", "gsomia"],
    &["history", "gsomia", "--csv"],
    &["log", "gsomia"],
    &["changes", "--from", "2015-01-01", "--to", "2030-12-31"],
    &["errata", "--since", "2000-01-01"],
    &["verify"],
    &["export"],
    &["export", "--csv"],
    &["timeline", "--svg", "-"],
];

const ESC: &str = "\x1b[";

#[test]
fn piped_output_has_no_escape_codes() {
    let store = pictured();
    for args in READS {
        let run = store.run_with_env(args, &[]);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(!run.stdout.contains(ESC), "{args:?}: {}", run.stdout);
        assert!(!run.stderr.contains(ESC), "{args:?}: {}", run.stderr);
    }
    let run = store.run_with_env(&["status", "gsomi"], &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(!run.stderr.contains(ESC), "{}", run.stderr);
    let run = store.run_with_env(&["status"], &[]);
    assert_eq!(run.code, 2);
    assert!(!run.stderr.contains(ESC), "{}", run.stderr);
}

#[test]
fn clicolor_force_colours_statuses_and_errors_unless_no_color_is_set() {
    let store = pictured();
    let force = [("CLICOLOR_FORCE", "1")];
    for args in [&["list"][..], &["status", "gsomia"], &["history", "gsomia"]] {
        let run = store.run_with_env(args, &force);
        assert_eq!(run.code, 0, "{args:?}");
        assert!(run.stdout.contains(ESC), "{args:?}: {}", run.stdout);
        // the colour never changes the words
        assert_eq!(
            strip(&run.stdout),
            store.run_with_env(args, &[]).stdout,
            "{args:?}"
        );
        let run = store.run_with_env(args, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
        assert!(!run.stdout.contains(ESC), "{args:?}: {}", run.stdout);
    }
    // what scripts and other programs read stays plain
    for args in READS.iter().filter(|a| {
        a.iter()
            .any(|w| ["--json", "--csv", "export", "timeline"].contains(w))
    }) {
        let run = store.run_with_env(args, &force);
        assert!(!run.stdout.contains(ESC), "{args:?}: {}", run.stdout);
    }

    let run = store.run_with_env(&["status", "gsomi"], &force);
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with(ESC), "{:?}", run.stderr);
    let (label, rest) = run.stderr.split_once("error:").expect("an error label");
    assert!(
        label.starts_with(ESC) && rest.starts_with(ESC),
        "{:?}",
        run.stderr
    );
    assert_eq!(
        strip(&run.stderr),
        store.run_with_env(&["status", "gsomi"], &[]).stderr
    );
    let run = store.run_with_env(
        &["status", "gsomi"],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    );
    assert!(!run.stderr.contains(ESC), "{:?}", run.stderr);
}

/// `text` without its ANSI SGR sequences.
fn strip(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(ESC) {
        out.push_str(&rest[..at]);
        let after = &rest[at + ESC.len()..];
        let end = after.find('m').expect("an SGR sequence ends with m");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn pretty_json_is_indented_and_the_same_value_as_compact_json() {
    let store = pictured();
    for args in [
        &["list", "--json"][..],
        &["status", "gsomia", "--json"],
        &["history", "gsomia", "--json"],
        &["log", "gsomia", "--json"],
        &[
            "changes",
            "--from",
            "2015-01-01",
            "--to",
            "2030-12-31",
            "--json",
        ],
    ] {
        let compact = store.ok(args);
        assert_eq!(compact.lines().count(), 1, "{args:?}");
        let mut pretty_args = vec!["--pretty"];
        pretty_args.extend_from_slice(args);
        let pretty = store.ok(&pretty_args);
        assert!(pretty.lines().count() > 3, "{args:?}: {pretty}");
        assert!(
            pretty.lines().nth(1).is_some_and(|l| l.starts_with("  ")),
            "{args:?}"
        );
        let parse = |s: &str| serde_json::from_str::<Value>(s).expect("JSON");
        assert_eq!(parse(&pretty), parse(&compact), "{args:?}");
        // --pretty is global: after the subcommand too
        let mut after = args.to_vec();
        after.push("--pretty");
        assert_eq!(store.ok(&after), pretty, "{args:?}");
    }
}
