//! Parties: a status or note of named parties, each party's timeline made
//! of the pact's statuses and its own, and the answers for a party.

use serde_json::json;

use crate::harness::Store;

/// A multilateral treaty in force since 2002, which the United States left
/// in 2020 and Russia in 2021, each after a notice.
fn open_skies() -> Store {
    let store = Store::new();
    store.ok(&[
        "register",
        "open-skies",
        "--name",
        "Treaty on Open Skies",
        "--party",
        "US",
        "--party",
        "RU",
        "--party",
        "CA",
    ]);
    for args in [
        &["signed", "--on", "1992-03-24"][..],
        &["in_force", "--on", "2002-01-01"],
        &[
            "termination_notified",
            "--on",
            "2020-05-22",
            "--party",
            "us",
        ],
        &["withdrawn", "--on", "2020-11-22", "--party", "US"],
        &[
            "termination_notified",
            "--on",
            "2021-06-18",
            "--party",
            "RU",
        ],
        &["withdrawn", "--on", "2021-12-18", "--party", "RU"],
    ] {
        let mut all = vec!["append", "open-skies"];
        all.extend(args);
        store.ok(&all);
    }
    store
}

/// The `keys` of each object of a JSON array, as strings.
fn fields<'a, const N: usize>(array: &'a serde_json::Value, keys: [&str; N]) -> Vec<[&'a str; N]> {
    let objects = array.as_array().expect("an array");
    objects
        .iter()
        .map(|o| keys.map(|k| o[k].as_str().expect("a string")))
        .collect()
}

#[test]
fn a_party_leaving_does_not_change_the_pacts_own_status() {
    let store = open_skies();
    let pact = store.json(&["status", "open-skies", "--on", "2022-01-01"]);
    assert_eq!(pact["status"], json!("in_force"));
    assert_eq!(pact["party"], json!(null));
    assert_eq!(
        pact["parties"],
        json!([
            {"party": "US", "status": "withdrawn", "since": "2020-11-22", "certain": true},
            {"party": "RU", "status": "withdrawn", "since": "2021-12-18", "certain": true},
            {"party": "CA", "status": "in_force", "since": "2002-01-01", "certain": true},
        ])
    );
    let text = store.ok(&["status", "open-skies", "--on", "2022-01-01"]);
    assert!(
        text.contains("  parties US: withdrawn since 2020-11-22; RU: withdrawn since 2021-12-18; CA: in force since 2002-01-01\n"),
        "{text}"
    );
}

#[test]
fn a_partys_status_comes_from_the_pacts_statuses_and_its_own() {
    let store = open_skies();
    let us = |on: &str| store.json(&["status", "open-skies", "--on", on, "--party", "us"]);
    assert_eq!(us("2010-01-01")["status"], json!("in_force"));
    assert_eq!(us("2020-06-01")["status"], json!("termination_notified"));
    assert_eq!(us("2021-01-01")["status"], json!("withdrawn"));
    assert_eq!(us("2021-01-01")["party"], json!("US"));
    let text = store.ok(&[
        "status",
        "open-skies",
        "--on",
        "2021-01-01",
        "--party",
        "US",
    ]);
    assert!(
        text.starts_with("open-skies for US on 2021-01-01: withdrawn since 2020-11-22"),
        "{text}"
    );
    // a party with no statuses of its own has the pact's
    let ca = store.json(&[
        "status",
        "open-skies",
        "--on",
        "2022-01-01",
        "--party",
        "CA",
    ]);
    assert_eq!(ca["status"], json!("in_force"));

    let history = store.json(&["history", "open-skies", "--party", "RU"]);
    let steps: Vec<_> = history["intervals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["status"].as_str().unwrap(), i["from"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("signed", "1992-03-24"),
            ("in_force", "2002-01-01"),
            ("termination_notified", "2021-06-18"),
            ("withdrawn", "2021-12-18"),
        ]
    );
    assert_eq!(history["party"], json!("RU"));
    // the pact's history holds its own statuses only
    let pact = store.json(&["history", "open-skies"]);
    assert_eq!(pact["intervals"].as_array().unwrap().len(), 2);
}

#[test]
fn list_and_changes_answer_for_a_party_across_pacts() {
    let store = open_skies();
    store.ok(&[
        "register",
        "inf",
        "--name",
        "INF Treaty",
        "--party",
        "US",
        "--party",
        "RU",
    ]);
    store.ok(&["append", "inf", "in_force", "--on", "1988-06-01"]);
    store.ok(&["append", "inf", "terminated", "--on", "2019-08-02"]);
    store.ok(&[
        "register", "gsomia", "--name", "GSOMIA", "--party", "KR", "--party", "JP",
    ]);
    store.ok(&["append", "gsomia", "in_force", "--on", "2016-11-23"]);

    // which agreements was the United States bound by on 2019-01-01?
    let list = store.json(&["list", "--on", "2019-01-01", "--party", "us"]);
    let rows = fields(&list, ["pact", "party", "status"]);
    assert_eq!(
        rows,
        [["inf", "US", "in_force"], ["open-skies", "US", "in_force"]]
    );
    let list = store.json(&["list", "--on", "2021-01-01", "--party", "US"]);
    assert_eq!(list[0]["status"], json!("terminated"));
    assert_eq!(list[1]["status"], json!("withdrawn"));

    let changes = store.json(&[
        "changes",
        "--from",
        "2020-01-01",
        "--to",
        "2020-12-31",
        "--party",
        "US",
    ]);
    let rows = fields(&changes, ["pact", "party", "to_status"]);
    assert_eq!(
        rows,
        [
            ["open-skies", "US", "termination_notified"],
            ["open-skies", "US", "withdrawn"]
        ]
    );
    // without --party, the pacts' own changes
    let own = store.json(&["changes", "--from", "2020-01-01", "--to", "2021-12-31"]);
    assert_eq!(own, json!([]));
}

#[test]
fn a_partys_status_is_held_to_its_own_timeline() {
    let store = open_skies();
    let before = store.snapshot();
    // withdrawn may not repeat for the United States, even forced
    let stderr = store.refuses(
        &[
            "append",
            "open-skies",
            "withdrawn",
            "--on",
            "2021-01-01",
            "--party",
            "US",
            "--force",
        ],
        1,
    );
    assert!(
        stderr.starts_with("error: for US: 'open-skies' is already withdrawn"),
        "{stderr}"
    );
    // signed may not follow in force for Canada
    let stderr = store.refuses(
        &[
            "append",
            "open-skies",
            "signed",
            "--on",
            "2022-01-01",
            "--party",
            "CA",
        ],
        1,
    );
    assert!(
        stderr.starts_with("error: for CA: 'open-skies' cannot go from in force"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: allowed after in force"), "{stderr}");
    assert_eq!(store.snapshot(), before);
    // a suspension of one party after another's is not a repeat: each has
    // its own timeline
    store.ok(&[
        "append",
        "open-skies",
        "suspended",
        "--on",
        "2023-01-01",
        "--party",
        "CA",
    ]);
}

#[test]
fn a_party_that_is_not_the_pacts_is_refused_with_its_parties() {
    let store = open_skies();
    let before = store.snapshot();
    let stderr = store.refuses(
        &[
            "append",
            "open-skies",
            "withdrawn",
            "--on",
            "2021-01-01",
            "--party",
            "FR",
        ],
        1,
    );
    assert_eq!(
        stderr,
        "error: 'FR' is not a party to 'open-skies'\n\
         hint: the parties of 'open-skies' are US, RU, CA; add one with `pactlog edit open-skies --add-party P`\n"
    );
    store.refuses(
        &[
            "note",
            "open-skies",
            "a note",
            "--on",
            "2021-01-01",
            "--party",
            "FR",
        ],
        1,
    );
    store.refuses(&["status", "open-skies", "--party", "FR"], 1);
    store.refuses(&["history", "open-skies", "--party", "FR"], 1);
    let stderr = store.refuses(&["list", "--party", "FR"], 1);
    assert!(
        stderr.starts_with("error: no pact has 'FR' as a party"),
        "{stderr}"
    );
    // the name as it was given
    let stderr = store.refuses(
        &[
            "changes",
            "--from",
            "2020-01-01",
            "--to",
            "2020-12-31",
            "--party",
            " FR ",
        ],
        1,
    );
    assert!(
        stderr.starts_with("error: no pact has ' FR ' as a party"),
        "{stderr}"
    );
    // the same party twice
    let stderr = store.refuses(
        &[
            "append",
            "open-skies",
            "suspended",
            "--on",
            "2023-01-01",
            "--party",
            "CA",
            "--party",
            "ca",
        ],
        1,
    );
    assert!(stderr.contains("given twice"), "{stderr}");
    assert_eq!(store.snapshot(), before);
}

#[test]
fn a_party_event_is_a_version_2_line_and_travels_through_export() {
    let store = open_skies();
    let lines = store.lines("open-skies");
    assert!(lines[3].starts_with(r#"{"v":2,"#), "{}", lines[3]);
    assert!(lines[3].contains(r#""parties":["US"]"#), "{}", lines[3]);
    assert!(lines[2].starts_with(r#"{"v":1,"#), "{}", lines[2]);
    store.ok(&[
        "note",
        "open-skies",
        "Moscow announces its exit",
        "--on",
        "2021-01-15",
        "--party",
        "RU",
    ]);
    let history = store.json(&["history", "open-skies", "--party", "RU"]);
    assert_eq!(
        history["notes"][0]["text"],
        json!("Moscow announces its exit")
    );
    let us = store.json(&["history", "open-skies", "--party", "US"]);
    assert_eq!(us["notes"], json!([]));

    let files = crate::harness::Files::new();
    let export = files.write("all.jsonl", store.ok(&["export"]));
    let other = Store::new();
    other.ok(&["import", &export, "--create-pacts"]);
    assert_eq!(other.lines("open-skies"), store.lines("open-skies"));
    assert!(store.ok(&["verify"]).contains("ok"));
}

#[test]
fn a_timeline_with_parties_draws_one_band_per_party_under_the_pact() {
    let store = open_skies();
    let svg = store.ok(&["timeline", "open-skies", "--parties", "--svg", "-"]);
    let bands: Vec<&str> = svg
        .split("<g class=\"band")
        .skip(1)
        .map(|band| band.split('>').next().unwrap())
        .collect();
    assert_eq!(
        bands,
        [
            "\" data-pact=\"open-skies\"",
            " party\" data-pact=\"open-skies\" data-party=\"US\"",
            " party\" data-pact=\"open-skies\" data-party=\"RU\"",
            " party\" data-pact=\"open-skies\" data-party=\"CA\"",
        ]
    );
    // the United States' band ends withdrawn; the pact's stays in force
    let us = svg.split("data-party=\"US\"").nth(1).unwrap();
    let us = us.split("</g><g class=\"band").next().unwrap();
    assert!(
        us.contains("data-status=\"withdrawn\" data-from=\"2020-11-22\""),
        "{us}"
    );
    let pact = svg.split("data-party=\"US\"").next().unwrap();
    assert!(!pact.contains("data-status=\"withdrawn\""), "{pact}");
    // without --parties, the pact's band alone
    let svg = store.ok(&["timeline", "open-skies", "--svg", "-"]);
    assert!(!svg.contains("data-party"), "{svg}");
}

#[test]
fn retracting_a_partys_status_is_held_to_that_partys_timeline() {
    let store = open_skies();
    let suspended = store.json(&[
        "append",
        "open-skies",
        "suspended",
        "--on",
        "2023-01-01",
        "--party",
        "CA",
    ]);
    store.ok(&[
        "append",
        "open-skies",
        "normalized",
        "--on",
        "2024-01-01",
        "--party",
        "CA",
    ]);
    let before = store.snapshot();
    let id = suspended["id"].as_str().unwrap();
    let stderr = store.refuses(&["retract", "open-skies", id, "--reason", "in error"], 1);
    assert!(
        stderr.starts_with(
            "error: for CA: retracting event [id] would leave normalized on 2024-01-01 \
             (event [id]) right after in force on 2002-01-01"
        ),
        "{stderr}"
    );
    assert_eq!(store.snapshot(), before);
    // the United States' notice may go: withdrawn may follow in force
    let us = store.json(&["history", "open-skies", "--party", "US"]);
    let notice = us["intervals"][2]["event"].as_str().unwrap().to_owned();
    store.ok(&["retract", "open-skies", &notice, "--reason", "in error"]);
    let us = store.json(&[
        "status",
        "open-skies",
        "--on",
        "2020-06-01",
        "--party",
        "US",
    ]);
    assert_eq!(us["status"], json!("in_force"));
}

#[test]
fn a_status_of_the_pact_is_checked_in_its_own_timeline_and_verify_agrees() {
    let store = open_skies();
    // the treaty ends for all: after the United States' withdrawal, a
    // status of the pact, checked against the pact's own timeline
    store.ok(&["append", "open-skies", "terminated", "--on", "2030-01-01"]);
    let verify = store.run(&["verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
}

#[test]
fn a_backfilled_status_of_the_pact_is_held_to_the_parties_own_statuses_after_it() {
    let store = open_skies();
    // ended for all in 2019: then the United States' notice of 2020
    // would follow a termination, in its timeline
    let said = store.refuses(
        &["append", "open-skies", "terminated", "--on", "2019-01-01"],
        1,
    );
    assert!(
        said.starts_with(
            "error: for US: 'open-skies' cannot have terminated on 2019-01-01: the next \
             recorded status, termination notified on 2020-05-22, may not follow it"
        ),
        "{said}"
    );
    assert!(said.contains("--force"), "{said}");
    // a sheet's row is refused alike
    let files = crate::harness::Files::new();
    let sheet = files.write(
        "ended.csv",
        "pact,status,on\nopen-skies,terminated,2019-01-01\n",
    );
    let said = store.refuses(&["import", &sheet], 1);
    assert!(
        said.contains(":2: for US: 'open-skies' cannot have terminated"),
        "{said}"
    );
    // and a stream's line that says so, brought in whole
    let later = store.json(&["append", "open-skies", "terminated", "--on", "2030-01-01"]);
    assert!(later["id"].is_string());
    let mut lines = store.lines("open-skies");
    let last = lines.last_mut().expect("a last line");
    *last = crate::harness::resealed(last, "2030-01-01", "2019-01-01");
    let file = files.write("ended.jsonl", lines.join("\n") + "\n");
    let restored = Store::new();
    let said = restored.refuses(&["import", &file, "--format", "jsonl"], 1);
    assert!(
        said.contains(":8: for US: 'open-skies' cannot have terminated"),
        "{said}"
    );
    assert!(
        said.contains(r#"its line must say "forced":true"#),
        "a line's hint, not a row's: {said}"
    );
    // recorded as forced, it stands, and verify warns of it
    let forced = open_skies();
    forced.ok(&[
        "append",
        "open-skies",
        "terminated",
        "--on",
        "2019-01-01",
        "--force",
    ]);
    let verify = forced.run(&["verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    assert!(verify.stdout.contains("1 warning"), "{}", verify.stdout);
}

/// A pact of parties A and B, in force since 2000.
fn in_force_with_a_and_b() -> Store {
    let store = Store::new();
    store.ok(&[
        "register", "r", "--name", "R", "--party", "A", "--party", "B",
    ]);
    store.ok(&["append", "r", "in_force", "--on", "2000-01-01"]);
    store
}

/// [`in_force_with_a_and_b`], suspended in 2005 (the id of that status
/// is returned) and in force again for A alone in 2006.
fn suspended_before_a_in_force() -> (Store, String) {
    let store = in_force_with_a_and_b();
    let suspended = store.json(&["append", "r", "suspended", "--on", "2005-01-01"]);
    store.ok(&[
        "append",
        "r",
        "in_force",
        "--on",
        "2006-01-01",
        "--party",
        "A",
    ]);
    let id = suspended["id"].as_str().expect("the status's id");
    (store, id.to_owned())
}

#[test]
fn retracting_a_status_of_the_pact_is_held_to_the_parties_own_statuses() {
    let (store, suspended) = suspended_before_a_in_force();
    let before = store.snapshot();
    let id = suspended.as_str();
    // A's in force would follow the pact's in force: a repeat
    let stderr = store.refuses(&["retract", "r", id, "--reason", "x"], 1);
    assert!(
        stderr.starts_with("error: for A: retracting event [id] would leave"),
        "{stderr}"
    );
    assert_eq!(store.snapshot(), before);
    assert_eq!(store.run(&["verify"]).code, 0);
}

#[test]
fn a_restored_retraction_is_held_to_the_parties_own_statuses() {
    let (store, suspended) = suspended_before_a_in_force();
    let note = store.json(&["note", "r", "talks", "--on", "2007-01-01"]);
    let note = note["id"].as_str().expect("the note's id");
    store.ok(&["retract", "r", note, "--reason", "not so"]);
    // the last line made to withdraw the pact's suspension instead, which
    // `retract` refuses: A's in force would follow the pact's in force
    let mut lines = store.lines("r");
    let last = lines.last_mut().expect("a last line");
    *last = crate::harness::resealed(last, note, &suspended);
    let files = crate::harness::Files::new();
    let file = files.write("r.jsonl", lines.join("\n") + "\n");
    let restored = Store::new();
    let said = restored.refuses(&["import", &file, "--format", "jsonl"], 1);
    assert!(
        said.contains(":6: for A: retracting event [id] would leave"),
        "{said}"
    );
    assert!(
        said.contains("`retract` refuses such a retraction"),
        "{said}"
    );
}

#[test]
fn a_restored_amendment_of_a_partys_status_fills_its_place() {
    // the retraction alone would leave A's normalized right after the
    // pact's in force; the copy, A's again, stands between them
    let store = in_force_with_a_and_b();
    let held = store.json(&[
        "append",
        "r",
        "conditionally_suspended",
        "--on",
        "2005-01-01",
        "--party",
        "A",
    ]);
    store.ok(&[
        "append",
        "r",
        "normalized",
        "--on",
        "2006-01-01",
        "--party",
        "A",
    ]);
    let held = held["id"].as_str().expect("the status's id");
    store.ok(&[
        "amend",
        "r",
        held,
        "--on",
        "2005-06-01",
        "--reason",
        "wrong day",
    ]);
    let files = crate::harness::Files::new();
    let file = files.write("r.jsonl", store.ok(&["export"]));
    let restored = Store::new();
    restored.ok(&["import", &file, "--format", "jsonl"]);
    assert_eq!(
        std::fs::read(restored.stream("r")).expect("the restored stream"),
        std::fs::read(store.stream("r")).expect("the stream")
    );
}

#[test]
fn log_and_history_say_which_parties_an_event_concerns() {
    let store = open_skies();
    store.ok(&[
        "note",
        "open-skies",
        "Moscow announces its exit",
        "--on",
        "2021-01-15",
        "--party",
        "RU",
    ]);
    let log = store.ok(&["log", "open-skies"]);
    assert!(log.contains("    parties  US\n"), "{log}");
    assert!(log.contains("    parties  RU\n"), "{log}");
    let history = store.ok(&["history", "open-skies"]);
    assert!(
        history.contains("2021-01-15  Moscow announces its exit [RU]\n"),
        "{history}"
    );
    let json = store.json(&["history", "open-skies"]);
    assert_eq!(json["notes"][0]["parties"], json!(["RU"]));
}
