//! Bad input is refused with a clear `error: ...` (and a hint where one
//! helps), a non-zero exit code, no panic, and the store left byte for byte
//! as it was.

use std::process::Child;

use insta::assert_snapshot;

use crate::harness::{Run, Store, pactlog_in};

/// Every command that takes a PACT, with the rest of a valid command line.
const PACT_COMMANDS: [&[&str]; 8] = [
    &["status"],
    &["history"],
    &["log"],
    &["verify"],
    &["append", "{}", "normalized", "--on", "2023-03-21"],
    &["note", "{}", "Summit in Tokyo", "--on", "2023-03-16"],
    &[
        "retract",
        "{}",
        "01a225d1-dfb2-7784-bf09-bc0cdb8e0396",
        "--reason",
        "recorded in error",
    ],
    &["errata", "--since", "2020-01-01"],
];

/// `command` with `pact` as its PACT.
fn with_pact<'a>(command: &[&'a str], pact: &'a str) -> Vec<&'a str> {
    if command.contains(&"{}") {
        command
            .iter()
            .map(|arg| if *arg == "{}" { pact } else { arg })
            .collect()
    } else {
        let mut args = command.to_vec();
        args.push(pact);
        args
    }
}

#[test]
fn an_unknown_pact_is_refused_with_the_nearest_name() {
    let store = Store::new().with_gsomia();
    assert_snapshot!(store.refuses(&["status", "gsomi"], 1), @r"
    error: unknown pact 'gsomi'
    hint: did you mean 'gsomia'? (`pactlog list` shows every pact)
    ");
    for command in PACT_COMMANDS {
        let args = with_pact(command, "GSOMIAA");
        let stderr = store.refuses(&args, 1);
        assert_eq!(
            stderr,
            "error: unknown pact 'GSOMIAA'\n\
             hint: did you mean 'gsomia'? (`pactlog list` shows every pact)\n",
            "{args:?}"
        );
    }
}

#[test]
fn a_store_that_does_not_exist_is_named_with_what_to_do() {
    let store = Store::new();
    let missing = store.path().join("missing");
    let run = |args: &[&str]| -> Run { pactlog_in(&missing, args).run() };
    let stderr = run(&["status", "gsomia"]).fails(1);
    assert_snapshot!(store.redact(&stderr), @r"
    error: no store at [store]/missing
    hint: register a pact to create it, or point --dir (or PACTLOG_DIR) at a store
    ");
    for args in [&["list"][..], &["verify"], &["history", "gsomia"]] {
        assert_eq!(run(args).fails(1), stderr, "{args:?}");
    }
    assert!(!missing.exists(), "a reader creates no store");
}

#[test]
fn an_unknown_pact_far_from_every_name_gets_no_guess() {
    let store = Store::new().with_gsomia();
    assert_snapshot!(store.refuses(&["history", "white-list"], 1), @r"
    error: unknown pact 'white-list'
    hint: `pactlog list` shows every pact
    ");
}

#[test]
fn a_day_that_is_not_in_the_calendar_is_refused() {
    let store = Store::new().with_gsomia();
    assert_snapshot!(
        store.refuses(&["append", "gsomia", "normalized", "--on", "2019-02-30"], 1),
        @"
    error: invalid date '2019-02-30': there is no such day in the calendar
    hint: expected a date as YYYY-MM-DD or 'today', or YYYY-MM or YYYY when only that is known, perhaps followed by ? (unsure) or ~ (approximate): 2019-08-23, 2019-07, 2004~
    "
    );
    for args in [
        &["note", "gsomia", "x", "--on", "2019-02-30"][..],
        &["status", "gsomia", "--on", "2019-02-30"],
        &["list", "--on", "2019-02-30"],
        &["append", "gsomia", "normalized", "--on", "2019-13-01"],
        &["append", "gsomia", "normalized", "--on", "2023-02-29"],
    ] {
        let stderr = store.refuses(args, 1);
        assert!(
            stderr.contains("': there is no such day in the calendar\n"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_date_not_written_as_yyyy_mm_dd_is_refused() {
    let store = Store::new().with_gsomia();
    assert_snapshot!(
        store.refuses(&["append", "gsomia", "normalized", "--on", "21/03/2023"], 1),
        @"
    error: invalid date '21/03/2023': not in the form YYYY-MM-DD, YYYY-MM or YYYY
    hint: expected a date as YYYY-MM-DD or 'today', or YYYY-MM or YYYY when only that is known, perhaps followed by ? (unsure) or ~ (approximate): 2019-08-23, 2019-07, 2004~
    "
    );
    for date in ["2023-3-21", "2023-03-21T00:00", "yesterday", "", "March 21"] {
        // an event's date may be a month or a year; a query's is a day
        let event = "not in the form YYYY-MM-DD, YYYY-MM or YYYY\n";
        let query = "not in the form YYYY-MM-DD\n";
        for (args, form) in [
            (&["append", "gsomia", "normalized", "--on", date][..], event),
            (&["note", "gsomia", "x", "--on", date], event),
            (&["status", "gsomia", "--on", date], query),
            (&["list", "--on", date], query),
        ] {
            let stderr = store.refuses(args, 1);
            assert!(
                stderr.starts_with(&format!("error: invalid date '{date}': {form}")),
                "{args:?}: {stderr}"
            );
        }
    }
}

#[test]
fn an_unknown_status_is_refused_with_the_nearest_one_and_the_list() {
    let store = Store::new().with_gsomia();
    assert_snapshot!(
        store.refuses(&["append", "gsomia", "normalised", "--on", "2023-03-21"], 1),
        @r"
    error: unknown status 'normalised'
    hint: did you mean 'normalized'? statuses: proposed, signed, ratified, provisionally applied, in force, termination notified, conditionally suspended, normalized, suspended, terminated, expired, withdrawn
    "
    );
    assert_snapshot!(
        store.refuses(&["list", "--status", "banana"], 1),
        @r"
    error: unknown status 'banana'
    hint: statuses: proposed, signed, ratified, provisionally applied, in force, termination notified, conditionally suspended, normalized, suspended, terminated, expired, withdrawn
    "
    );
}

#[test]
fn a_source_url_that_is_not_a_web_address_or_an_empty_source_is_refused() {
    let store = Store::new().with_gsomia();
    let append = ["append", "gsomia", "normalized", "--on", "2023-03-21"];
    assert_snapshot!(store.refuses(&[&append[..], &["--url", "mofa.go.jp"]].concat(), 1), @r"
    error: url 'mofa.go.jp' is not a web address
    hint: give a full address such as https://example.org/article
    ");
    assert_snapshot!(
        store.refuses(&[&append[..], &["--source", "  "]].concat(), 1),
        @"error: source is empty"
    );
}

#[test]
fn a_transition_the_lifecycle_does_not_allow_names_the_current_status_and_the_next_ones() {
    let store = Store::new().with_gsomia();
    assert_snapshot!(
        store.refuses(&["append", "gsomia", "signed", "--on", "2020-01-01"], 1),
        @r"
    error: 'gsomia' cannot go from conditionally suspended (since 2019-11-22) to signed on 2020-01-01
    hint: allowed after conditionally suspended: normalized, in force, termination notified, suspended, terminated, withdrawn; if the record really is so, add --force: the event is stored as forced and `verify` lists it
    "
    );
}

#[test]
fn a_first_status_the_lifecycle_does_not_allow_names_the_allowed_first_ones() {
    let store = Store::new();
    store.ok(&["register", "gsomia", "--name", "GSOMIA"]);
    assert_snapshot!(
        store.refuses(&["append", "gsomia", "terminated", "--on", "2020-01-01"], 1),
        @r"
    error: 'gsomia' cannot go from no status yet to terminated on 2020-01-01
    hint: allowed first: proposed, signed, ratified, provisionally applied, in force; if the record really is so, add --force: the event is stored as forced and `verify` lists it
    "
    );
}

#[test]
fn repeating_the_status_in_force_is_refused_with_a_pointer_to_note() {
    let store = Store::new().with_gsomia();
    assert_snapshot!(
        store.refuses(
            &["append", "gsomia", "Conditionally Suspended", "--on", "2020-01-01"],
            1
        ),
        @r"
    error: 'gsomia' is already conditionally suspended on 2020-01-01 (since 2019-11-22)
    hint: a status cannot follow itself; to record news that changes no status, use `pactlog note`
    "
    );
    let stderr = store.refuses(
        &[
            "append",
            "gsomia",
            "in_force",
            "--on",
            "2017-01-01",
            "--force",
        ],
        1,
    );
    assert!(stderr.contains("use `pactlog note`"), "{stderr}");
}

#[test]
fn a_backfill_that_breaks_the_next_status_is_refused() {
    let store = Store::new().with_gsomia();
    assert_snapshot!(
        store.refuses(&["append", "gsomia", "withdrawn", "--on", "2018-01-01"], 1),
        @r"
    error: 'gsomia' cannot have withdrawn on 2018-01-01: the next recorded status, termination notified on 2019-08-23, may not follow it
    hint: allowed after withdrawn: in force, signed, ratified; if the record really is so, add --force: the event is stored as forced and `verify` lists it
    "
    );
}

#[test]
fn register_refuses_an_id_that_is_not_a_slug() {
    let store = Store::new().with_gsomia();
    assert_snapshot!(store.refuses(&["register", "../x", "--name", "X"], 1), @r"
    error: invalid pact id '../x': only lowercase letters, digits and '-' are allowed
    hint: a pact id is 1 to 64 lowercase letters, digits and inner dashes, e.g. 'gsomia'
    ");
    assert_snapshot!(store.refuses(&["register", "A B", "--name", "X"], 1), @r"
    error: invalid pact id 'A B': only lowercase letters, digits and '-' are allowed
    hint: a pact id is 1 to 64 lowercase letters, digits and inner dashes, e.g. 'gsomia'
    ");
    for id in ["", "x-", "x/y", "x.jsonl", "GSOMIA2", &"x".repeat(65)] {
        let stderr = store.refuses(&["register", id, "--name", "X"], 1);
        assert!(
            stderr.starts_with(&format!("error: invalid pact id '{id}': ")),
            "{stderr}"
        );
    }
}

#[test]
fn queries_with_a_path_for_a_pact_never_reach_outside_the_store() {
    // outside/x.jsonl is a valid stream; the store is outside/store.
    let outside = Store::new();
    outside.ok(&["register", "x", "--name", "X"]);
    outside.ok(&["append", "x", "in_force", "--on", "2020-01-01"]);
    let before = std::fs::read(outside.stream("x")).expect("x.jsonl");
    let store = outside.path().join("store");
    std::fs::create_dir(&store).expect("the store directory");
    let in_store = |args: &[&str]| -> Run { pactlog_in(&store, args).run() };
    for command in PACT_COMMANDS {
        for pact in ["../x", "A B"] {
            let args = with_pact(command, pact);
            let stderr = in_store(&args).fails(1);
            assert_eq!(
                stderr,
                format!("error: unknown pact '{pact}'\nhint: `pactlog list` shows every pact\n"),
                "{args:?}"
            );
        }
    }
    assert_eq!(std::fs::read(outside.stream("x")).expect("x.jsonl"), before);
    assert_eq!(
        std::fs::read_dir(&store).expect("the store").count(),
        0,
        "nothing was written to the store"
    );
}

#[test]
fn registering_a_pact_twice_is_refused() {
    let store = Store::new().with_gsomia();
    assert_snapshot!(store.refuses(&["register", "gsomia", "--name", "Again"], 1), @r"
    error: pact 'gsomia' is already registered
    hint: `pactlog history gsomia` shows what is recorded for it
    ");
}

#[test]
fn an_alias_two_registrations_claim_after_a_merge_names_neither_and_verify_says_so() {
    // two branches each register a pact with the alias; git merges them
    let (left, right) = (Store::new(), Store::new());
    left.ok(&["register", "aa", "--name", "A", "--alias", "DUP"]);
    right.ok(&[
        "register", "bb", "--name", "B", "--alias", "dup", "--alias", "bee",
    ]);
    let merged = Store::new();
    for (store, id) in [(&left, "aa"), (&right, "bb")] {
        std::fs::copy(store.stream(id), merged.stream(id)).expect("copy a stream");
    }
    let before = merged.snapshot();

    assert_snapshot!(merged.refuses(&["status", "DUP"], 1), @r"
    error: 'DUP' is an alias of more than one pact: aa, bb
    hint: aliases are unique across the store, but these registrations were made apart (on two branches, say): name the pact by its id; `pactlog verify` lists the clash
    ");
    // each pact is still named by its id, and by an alias it alone has
    assert_eq!(merged.json(&["status", "aa"])["pact"], "aa");
    assert_eq!(merged.json(&["status", "BEE"])["pact"], "bb");
    // nor can a third pact take it, nor a CSV row use it
    assert_snapshot!(
        merged.refuses(&["register", "cc", "--name", "C", "--alias", "Dup"], 1),
        @r"
        error: 'Dup' is already a name of pacts 'aa' and 'bb'
        hint: aliases are unique across the store: choose another (`pactlog verify` lists the pacts that claim it)
        "
    );
    let files = crate::harness::Files::new();
    let csv = files.write("rows.csv", "pact,status,on\ndup,signed,2001-01-01\n");
    assert_snapshot!(files.redact(&merged.refuses(&["import", &csv], 1)), @r"
    error: rows.csv:2: 'dup' is an alias of more than one pact: aa, bb
    hint: aliases are unique across the store, but these registrations were made apart (on two branches, say): name the pact by its id; `pactlog verify` lists the clash
    ");

    // verify warns of the clash in both streams, whichever are checked: no
    // event can take an alias back, and the record itself is sound
    let all = merged.run(&["verify"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert_snapshot!(merged.redact(&all.stdout), @r"
    ok  aa  1 event  head [hash]
    ok  bb  1 event  head [hash]
    warning: [store]/aa.jsonl:1: alias 'DUP' is claimed by bb too, so it names neither (aliases are unique across the store; name these pacts by their ids)
    warning: [store]/bb.jsonl:1: alias 'dup' is claimed by aa too, so it names neither (aliases are unique across the store; name these pacts by their ids)
    2 streams checked, 2 ok, 0 failed, 2 warnings
    ");
    let one = merged.run(&["verify", "bb", "--json"]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    let report: serde_json::Value = serde_json::from_str(&one.stdout).expect("JSON");
    assert_eq!(report["ok"], true);
    let warnings = report["streams"][0]["warnings"].to_string();
    assert!(
        warnings.contains("alias 'dup' is claimed by aa too"),
        "{warnings}"
    );
    assert_eq!(
        merged.snapshot(),
        before,
        "nothing refused or checked writes"
    );
    // an alias that another branch registered as a pact's id names that
    // pact, and verify says so
    let ids = Store::new();
    ids.ok(&["register", "bee", "--name", "Bee"]);
    std::fs::copy(ids.stream("bee"), merged.stream("bee")).expect("copy a stream");
    assert_eq!(merged.json(&["status", "BEE"])["pact"], "bee");
    let report = merged.json(&["verify", "bb"]);
    let warnings = report["streams"][0]["warnings"].to_string();
    assert!(
        warnings.contains("alias 'bee' is the id of pact 'bee', which it names instead"),
        "{warnings}"
    );
}

#[test]
fn an_alias_that_is_already_a_name_of_another_pact_is_refused_in_any_case() {
    let store = Store::new().with_gsomia();
    store.ok(&[
        "register",
        "jp-kr-white-list",
        "--name",
        "White list",
        "--alias",
        "White-List",
    ]);
    assert_snapshot!(
        store.refuses(&["register", "other", "--name", "O", "--alias", "GSOMIA"], 1),
        @"
    error: 'GSOMIA' is already a name of pact 'gsomia'
    hint: aliases are unique across the store: choose another (`pactlog history gsomia` shows the pact that has it)
    "
    );
    for (args, owner) in [
        (
            &["register", "other", "--name", "O", "--alias", "Gsomia"][..],
            "gsomia",
        ),
        (
            &["register", "other", "--name", "O", "--alias", "gsomia"],
            "gsomia",
        ),
        (
            &["register", "other", "--name", "O", "--alias", "WHITE-list"],
            "jp-kr-white-list",
        ),
        (
            &[
                "register",
                "other",
                "--name",
                "O",
                "--alias",
                "JP-KR-White-List",
            ],
            "jp-kr-white-list",
        ),
        (
            &["register", "white-list", "--name", "O"],
            "jp-kr-white-list",
        ),
    ] {
        let stderr = store.refuses(args, 1);
        assert!(
            stderr.starts_with("error: '")
                && stderr.contains(&format!("' is already a name of pact '{owner}'")),
            "{args:?}: {stderr}"
        );
    }
    assert_snapshot!(
        store.refuses(&["register", "other", "--name", "O", "--alias", "OT", "--alias", "ot"], 1),
        @"error: alias 'ot' is given twice"
    );
}

#[test]
fn an_expect_seq_that_does_not_match_exits_3_and_writes_nothing() {
    let store = Store::new().with_gsomia();
    assert_snapshot!(
        store.refuses(
            &["append", "gsomia", "normalized", "--on", "2023-03-21", "--expect-seq", "4"],
            3
        ),
        @r"
    error: conflict: expected the last seq of 'gsomia' to be 4, but it is 5
    hint: someone else appended first: read the stream again (`pactlog log`) and retry
    "
    );
    let stderr = store.refuses(
        &[
            "note",
            "gsomia",
            "Summit",
            "--on",
            "2023-03-16",
            "--expect-seq",
            "6",
        ],
        3,
    );
    assert!(
        stderr.starts_with(
            "error: conflict: expected the last seq of 'gsomia' to be 6, but it is 5\n"
        ),
        "{stderr}"
    );
}

#[test]
fn of_racing_appends_expecting_the_same_seq_exactly_one_wins() {
    let store = Store::new().with_gsomia();
    let append = [
        "append",
        "gsomia",
        "normalized",
        "--on",
        "2023-03-21",
        "--expect-seq",
        "5",
        "--json",
    ];
    let racers = (0..8).map(|_| start(&store, &append)).collect();
    let (won, lost) = finish(racers);
    assert_eq!(won.len(), 1, "{lost:?}");
    assert_eq!(lost.len(), 7);
    for run in lost {
        let stderr = run.fails(3);
        assert!(
            stderr.starts_with(
                "error: conflict: expected the last seq of 'gsomia' to be 5, but it is 6\n"
            ),
            "{stderr}"
        );
    }
    let lines = store.lines("gsomia");
    assert_eq!(lines.len(), 6);
    assert_eq!(won[0].stdout, format!("{}\n", lines[5]));
    assert_eq!(store.json(&["verify"])["ok"], true);
}

/// Starts `pactlog --dir STORE ARGS...` without waiting for it.
fn start(store: &Store, args: &[&str]) -> Child {
    store.cmd(args).spawn()
}

/// Waits for every racer, and splits the runs into winners and losers.
fn finish(racers: Vec<Child>) -> (Vec<Run>, Vec<Run>) {
    racers
        .into_iter()
        .map(|child| Run::from(child.wait_with_output().expect("pactlog ends")))
        .partition(|run| run.code == 0)
}

#[test]
fn of_racing_registrations_of_one_alias_exactly_one_wins() {
    let store = Store::new();
    let ids: Vec<String> = (1..=8).map(|i| format!("pact-{i}")).collect();
    let racers = ids
        .iter()
        .map(|id| start(&store, &["register", id, "--name", "P", "--alias", "Same"]))
        .collect();
    let (won, lost) = finish(racers);
    assert_eq!(won.len(), 1, "{lost:?}");
    for run in lost {
        let stderr = run.fails(1);
        assert!(
            stderr.contains("is already a name of pact 'pact-"),
            "{stderr}"
        );
    }
    assert_eq!(store.snapshot().len(), 1, "one stream and no leftovers");
}

#[test]
fn of_racing_registrations_of_one_id_exactly_one_wins() {
    let store = Store::new();
    let racers = (1..=8)
        .map(|i| {
            start(
                &store,
                &["register", "gsomia", "--name", &format!("Name {i}")],
            )
        })
        .collect();
    let (won, lost) = finish(racers);
    assert_eq!(won.len(), 1, "{lost:?}");
    for run in lost {
        let stderr = run.fails(1);
        assert!(
            stderr.starts_with("error: pact 'gsomia' is already registered\n"),
            "{stderr}"
        );
    }
    assert_eq!(store.snapshot().len(), 1, "one stream and no leftovers");
    assert_eq!(store.lines("gsomia").len(), 1);
}

#[test]
fn a_usage_error_exits_2_and_writes_nothing() {
    let store = Store::new().with_gsomia();
    let stderr = store.refuses(&["append", "gsomia", "normalized"], 2);
    assert!(stderr.contains("--on <DATE>"), "{stderr}");
    let stderr = store.refuses(
        &[
            "append",
            "gsomia",
            "normalized",
            "--on",
            "2023-03-21",
            "--expect-seq",
            "five",
        ],
        2,
    );
    assert!(stderr.contains("'five'"), "{stderr}");
    store.refuses(&["status", "gsomia", "--bogus"], 2);
}

#[test]
fn what_the_user_typed_is_shown_escaped_in_an_error() {
    let store = Store::shipped();
    // an escape sequence that would turn the terminal red, and a mark that
    // would show what follows it backwards
    let stderr = store.refuses(&["status", "gs\u{1b}[31momia\u{202e}x"], 1);
    assert!(
        stderr.starts_with("error: unknown pact 'gs\\u{1b}[31momia\\u{202e}x'\n"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}') && !stderr.contains('\u{202e}'));
}

#[test]
fn a_csv_row_of_one_field_says_field() {
    let store = Store::new();
    let files = crate::harness::Files::new();
    let sheet = files.write("rows.csv", "pact,status,on\nx\n");
    let stderr = store.refuses(&["import", &sheet, "--create-pacts"], 1);
    assert!(
        stderr.contains("the row has 1 field where the header has 3"),
        "{stderr}"
    );
}
