//! Editing a pact's metadata: an `edited` event, the metadata as it stands
//! in every answer, aliases unique across the store.

use serde_json::json;

use crate::harness::Store;

fn store() -> Store {
    let store = Store::new();
    store.ok(&[
        "register",
        "os",
        "--name",
        "Open Skies",
        "--party",
        "US",
        "--alias",
        "OST",
    ]);
    store.ok(&["register", "inf", "--name", "INF Treaty", "--alias", "INF"]);
    store.ok(&["append", "os", "in_force", "--on", "2002-01-01"]);
    store
}

#[test]
fn an_edit_changes_the_metadata_every_answer_shows() {
    let store = store();
    let out = store.ok(&[
        "edit",
        "os",
        "--name",
        "Treaty on Open Skies",
        "--add-alias",
        "Open Skies Treaty",
        "--remove-alias",
        "ost",
        "--add-party",
        "RU",
        "--kind",
        "agreement",
    ]);
    assert!(out.starts_with("os: edited (name Treaty on Open Skies; alias + Open Skies Treaty; alias - ost; party + RU; kind agreement), recorded as seq 3"), "{out}");
    // found by its new alias, no longer by the old one
    let status = store.json(&["status", "open skies treaty", "--on", "2010-01-01"]);
    assert_eq!(status["name"], json!("Treaty on Open Skies"));
    store.refuses(&["status", "OST"], 1);
    let list = store.json(&["list", "--on", "2010-01-01"]);
    assert_eq!(list[1]["name"], json!("Treaty on Open Skies"));
    // a party added by an edit is one of the pact's
    store.ok(&[
        "append",
        "os",
        "withdrawn",
        "--on",
        "2021-12-18",
        "--party",
        "RU",
    ]);
    let ru = store.json(&["status", "os", "--on", "2022-01-01", "--party", "RU"]);
    assert_eq!(ru["status"], json!("withdrawn"));
    // the line is of format version 2, the stream verifies, and it travels
    let edited = &store.lines("os")[2];
    assert!(edited.starts_with(r#"{"v":2,"#), "{edited}");
    assert!(edited.contains(r#""kind":"edited""#), "{edited}");
    assert!(store.ok(&["verify"]).contains("ok"));
    let files = crate::harness::Files::new();
    let export = files.write("all.jsonl", store.ok(&["export"]));
    let other = Store::new();
    other.ok(&["import", &export, "--create-pacts"]);
    assert_eq!(other.lines("os"), store.lines("os"));
}

#[test]
fn an_edit_that_does_not_fit_is_refused_and_changes_nothing() {
    let store = store();
    let before = store.snapshot();
    for (args, code, says) in [
        (
            &["edit", "os", "--add-alias", "inf"][..],
            1,
            "error: 'inf' is already a name of pact 'inf'",
        ),
        (
            &["edit", "os", "--add-alias", "INF"],
            1,
            "error: 'INF' is already a name of pact 'inf'",
        ),
        (
            &["edit", "os", "--add-alias", "ost"],
            1,
            "error: 'os': it has the alias 'ost' already",
        ),
        (
            &["edit", "os", "--remove-alias", "nope"],
            1,
            "error: 'os': it has no alias 'nope'",
        ),
        (
            &["edit", "os", "--remove-party", "FR"],
            1,
            "error: 'os': it has no party 'FR'",
        ),
        (
            &["edit", "os", "--add-party", "US"],
            1,
            "error: 'os': it has the party 'US' already",
        ),
        (&["edit", "os"], 2, "error: the edit changes nothing"),
        (
            &["edit", "os", "--add-party", "A", "--add-party", "a"],
            1,
            "given twice",
        ),
        (
            &["edit", "nope", "--name", "X"],
            1,
            "error: unknown pact 'nope'",
        ),
    ] {
        let stderr = store.refuses(args, code);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let long = "x".repeat(1001);
    store.refuses(&["edit", "os", "--name", &long], 1);
    assert_eq!(store.snapshot(), before);
    // an edit is not retracted: another edit changes it back
    let edit = store.json(&["edit", "os", "--add-alias", "OS2"]);
    let stderr = store.refuses(
        &[
            "retract",
            "os",
            edit["id"].as_str().unwrap(),
            "--reason",
            "x",
        ],
        1,
    );
    assert!(
        stderr.contains("is an edit of 'os', which cannot be retracted"),
        "{stderr}"
    );
}

#[test]
fn as_of_a_time_before_an_edit_the_metadata_is_as_it_stood_then() {
    let store = store();
    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    store.ok(&[
        "edit",
        "os",
        "--name",
        "Treaty on Open Skies",
        "--add-party",
        "RU",
    ]);
    let then = store.json(&["status", "os", "--on", "2010-01-01", "--as-of", &before]);
    assert_eq!(then["name"], json!("Open Skies"));
    assert_eq!(
        then["parties"],
        json!([{"party": "US", "status": "in_force", "since": "2002-01-01", "certain": true}])
    );
    let now = store.json(&["status", "os", "--on", "2010-01-01"]);
    assert_eq!(now["name"], json!("Treaty on Open Skies"));
    assert_eq!(now["parties"].as_array().unwrap().len(), 2);
    let history = store.json(&["history", "os", "--as-of", &before]);
    assert_eq!(history["name"], json!("Open Skies"));
    let list = store.json(&["list", "--on", "2010-01-01", "--as-of", &before]);
    assert_eq!(list[1]["name"], json!("Open Skies"));
    let list = store.json(&["list", "--on", "2010-01-01"]);
    assert_eq!(list[1]["name"], json!("Treaty on Open Skies"));
    let text = store.ok(&["history", "os", "--as-of", &before]);
    assert!(text.starts_with("os  Open Skies\n"), "{text}");
}

#[test]
fn an_import_into_a_stream_with_an_edit_knows_the_parties_it_added() {
    let store = store();
    store.ok(&["edit", "os", "--add-party", "RU"]);
    let files = crate::harness::Files::new();
    let first = files.write("first.jsonl", store.ok(&["export"]));
    let copy = Store::new();
    copy.ok(&["import", &first, "--create-pacts"]);
    // a status of the party the edit added, imported on top of the edit
    store.ok(&[
        "append",
        "os",
        "withdrawn",
        "--on",
        "2021-12-18",
        "--party",
        "RU",
    ]);
    let cited = store.json(&["status", "os", "--on", "2022-01-01", "--party", "RU"]);
    let event = cited["event"].as_str().unwrap().to_owned();
    store.ok(&[
        "cite",
        "os",
        &event,
        "--source",
        "TASS: Russia leaves",
        "--official",
    ]);
    let second = files.write("second.jsonl", store.ok(&["export"]));
    copy.ok(&["import", &second]);
    assert_eq!(copy.lines("os"), store.lines("os"));
    assert!(copy.ok(&["verify"]).contains("ok"));
}

#[test]
fn an_alias_may_change_its_case_in_one_edit() {
    let store = store();
    store.ok(&["edit", "os", "--remove-alias", "OST", "--add-alias", "Ost"]);
    let history = store.ok(&["history", "ost"]);
    assert!(history.contains("aliases Ost"), "{history}");
}

#[test]
fn an_import_refuses_an_edit_the_command_would_refuse() {
    let store = store();
    store.ok(&["edit", "os", "--add-party", "RU"]);
    let export = store.ok(&["export"]);
    // the edit, the last line of os, made to add a party the pact has
    let lines: Vec<&str> = export.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains(r#""add_parties":["RU"]"#))
        .unwrap();
    let changed = crate::harness::resealed(lines[at], r#"["RU"]"#, r#"["us"]"#);
    let mut file: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    file[at] = changed;
    let files = crate::harness::Files::new();
    let path = files.write("bad.jsonl", file.join("\n") + "\n");
    let other = Store::new();
    let before = other.snapshot();
    let stderr = other.refuses(&["import", &path, "--create-pacts"], 1);
    assert!(
        stderr.contains("'os': it has the party 'us' already"),
        "{stderr}"
    );
    assert_eq!(other.snapshot(), before);
}

#[test]
fn a_party_added_later_is_not_one_as_of_a_time_before() {
    let store = store();
    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    store.ok(&[
        "edit",
        "os",
        "--add-party",
        "RU",
        "--name",
        "Treaty on Open Skies",
    ]);
    store.ok(&[
        "append",
        "os",
        "withdrawn",
        "--on",
        "2021-12-18",
        "--party",
        "RU",
    ]);
    let on = ["--on", "2022-01-01"];
    // now RU is a party
    let list = store.json(&["list", on[0], on[1], "--party", "RU"]);
    assert_eq!(list[0]["name"], json!("Treaty on Open Skies"));
    // as of before the edit, it was not, and the name was the old one
    let stderr = store.refuses(
        &["list", on[0], on[1], "--party", "RU", "--as-of", &before],
        1,
    );
    assert!(stderr.contains("no pact has 'RU' as a party"), "{stderr}");
    store.refuses(&["history", "os", "--party", "RU", "--as-of", &before], 1);
    store.refuses(
        &[
            "changes",
            "--from",
            "2000-01-01",
            "--to",
            "2030-01-01",
            "--party",
            "RU",
            "--as-of",
            &before,
        ],
        1,
    );
    let us = store.json(&["list", on[0], on[1], "--party", "US", "--as-of", &before]);
    assert_eq!(us[0]["name"], json!("Open Skies"));
    let svg = store.ok(&[
        "timeline",
        "os",
        "--parties",
        "--as-of",
        &before,
        "--svg",
        "-",
    ]);
    assert!(!svg.contains("data-party=\"RU\""), "{svg}");
    assert!(svg.contains("data-party=\"US\""), "{svg}");
}

#[test]
fn a_party_spelled_anew_keeps_its_statuses() {
    let store = store();
    store.ok(&[
        "append",
        "os",
        "termination_notified",
        "--on",
        "2020-05-22",
        "--party",
        "US",
    ]);
    store.ok(&["edit", "os", "--remove-party", "US", "--add-party", "Us"]);
    let us = store.json(&["status", "os", "--on", "2020-06-01", "--party", "us"]);
    assert_eq!(us["party"], json!("Us"));
    assert_eq!(us["status"], json!("termination_notified"));
    store.ok(&[
        "append",
        "os",
        "withdrawn",
        "--on",
        "2020-11-22",
        "--party",
        "Us",
    ]);
    let history = store.json(&["history", "os", "--party", "US"]);
    assert_eq!(
        history["intervals"].as_array().unwrap().len(),
        3,
        "{history}"
    );
}

#[test]
fn a_stream_damaged_after_its_registration_keeps_its_names_taken() {
    let store = store();
    store.ok(&["append", "inf", "in_force", "--on", "1988-06-01"]);
    // its last line changed by hand: the stream is damaged, its
    // registration still reads
    let last = store
        .lines("inf")
        .last()
        .unwrap()
        .replace("1988-06-01", "1988-06-02");
    let mut lines = store.lines("inf");
    *lines.last_mut().unwrap() = last;
    std::fs::write(store.stream("inf"), lines.join("\n") + "\n").unwrap();
    let stderr = store.refuses(&["register", "x", "--name", "X", "--alias", "inf"], 1);
    assert!(
        stderr.starts_with("error: 'inf' is already a name of pact 'inf'"),
        "{stderr}"
    );
    let stderr = store.refuses(&["edit", "os", "--add-alias", "INF"], 1);
    assert!(
        stderr.starts_with("error: 'INF' is already a name of pact 'inf'"),
        "{stderr}"
    );
}

#[test]
fn an_edit_corrects_the_source_a_registration_cites() {
    let store = Store::new();
    store.ok(&[
        "register",
        "p",
        "--name",
        "P",
        "--source",
        "A paraphrase",
        "--url",
        "https://example.org/a",
    ]);
    let title = "Ministry: \u{201c}The exact title\u{201d}";
    let edited = store.json(&["edit", "p", "--source", title]);
    assert_eq!(edited["kind"], "edited");
    assert_eq!(edited["source"], title);
    assert_eq!(edited.get("url"), None);
    let log = store.ok(&["log", "p"]);
    assert!(log.contains(&format!("edits  source {title}")), "{log}");
    // the registration's source as it stands: in the CSV export, and the
    // same source again is refused
    let before = store.snapshot();
    assert_eq!(
        store.refuses(&["edit", "p", "--source", title], 1),
        "error: 'p': its source is that already\n\
         hint: `pactlog history p` shows its aliases and parties\n"
    );
    assert_eq!(
        store
            .refuses(&["edit", "p", "--url", "ftp://example.org"], 1)
            .lines()
            .next(),
        Some("error: url 'ftp://example.org' is not a web address")
    );
    assert_eq!(store.snapshot(), before);
    store.ok(&["edit", "p", "--url", "https://example.org/b"]);
    let lines = store.lines("p");
    let last: serde_json::Value = serde_json::from_str(&lines[2]).expect("a line");
    assert_eq!(last["url"], "https://example.org/b");
    store.ok(&["verify"]);
}
