//! Amending: an event recorded with a mistake in it corrected in one step,
//! its retraction and the corrected copy written together.

use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::harness::{Files, Store, resealed};

/// Japan's licensing of three materials, whose suspension was recorded on
/// the day it was announced rather than the day it took effect; and the
/// suspension's id.
fn given() -> (Store, String) {
    let store = Store::new();
    store.ok(&[
        "register",
        "tm",
        "--name",
        "Japan's bulk export licensing of three materials",
        "--party",
        "JP",
        "--party",
        "KR",
    ]);
    store.ok(&["append", "tm", "in_force", "--on", "2004-01-01"]);
    let suspended = store.json(&[
        "append",
        "tm",
        "suspended",
        "--on",
        "2019-07-01",
        "--source",
        "Kyodo: Japan to tighten export controls on South Korea",
    ]);
    store.ok(&["append", "tm", "normalized", "--on", "2023-03-23"]);
    (store, suspended["id"].as_str().unwrap().to_owned())
}

fn amend<'a>(id: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["amend", "tm", id];
    args.extend_from_slice(rest);
    args
}

#[test]
fn an_amendment_retracts_the_event_and_records_its_copy_in_one_step() {
    let (store, suspended) = given();
    let out = store.ok(&amend(
        &suspended,
        &["--on", "2019-07-04", "--reason", "it took effect on 4 July"],
    ));
    assert_snapshot!(store.redact(&out), @r"
    tm: retracted event [id], recorded as seq 5 ([id])
    tm: suspended on 2019-07-04 in its place, recorded as seq 6 ([id])
    ");
    // two lines: the retraction, then the copy, which names the event it
    // amends and keeps the event's source
    let lines = store.lines("tm");
    assert_eq!(lines.len(), 6);
    let line = |n: usize| serde_json::from_str::<Value>(&lines[n]).unwrap();
    let (retraction, copy) = (line(4), line(5));
    assert_eq!(retraction["kind"], json!("retraction"));
    assert_eq!(retraction["target"], json!(suspended));
    assert_eq!(retraction["reason"], json!("it took effect on 4 July"));
    assert_eq!(copy["v"], json!(2));
    assert_eq!(copy["kind"], json!("status"));
    assert_eq!(copy["status"], json!("suspended"));
    assert_eq!(copy["on"], json!("2019-07-04"));
    assert_eq!(copy["amends"], json!(suspended));
    assert_eq!(
        copy["source"],
        json!("Kyodo: Japan to tighten export controls on South Korea")
    );
    assert_eq!(retraction["recorded"], copy["recorded"]);
    assert!(
        lines[5].contains(r#""forced":false,"amends":""#),
        "{}",
        lines[5]
    );
    // the answers: in force until 4 July, suspended from then on
    let on = |day: &str| store.json(&["status", "tm", "--on", day]);
    assert_eq!(on("2019-07-03")["status"], json!("in_force"));
    assert_eq!(on("2019-07-04")["status"], json!("suspended"));
    assert_eq!(on("2019-07-04")["event"], copy["id"]);
    let history = store.json(&["history", "tm"]);
    assert_eq!(history["intervals"][1]["from"], json!("2019-07-04"));
    assert_eq!(history["intervals"][1]["event"], copy["id"]);
    assert!(store.ok(&["verify"]).starts_with("ok  tm  6 events"));
}

#[test]
fn json_prints_the_two_stored_events_and_expect_seq_guards_them() {
    let (store, suspended) = given();
    let stderr = store.refuses(
        &amend(
            &suspended,
            &[
                "--on",
                "2019-07-04",
                "--reason",
                "wrong day",
                "--expect-seq",
                "3",
            ],
        ),
        3,
    );
    assert_snapshot!(stderr, @r"
    error: conflict: expected the last seq of 'tm' to be 3, but it is 4
    hint: someone else appended first: read the stream again (`pactlog log`) and retry
    ");
    let printed = store.json(&amend(
        &suspended,
        &[
            "--on",
            "2019-07-04",
            "--reason",
            "wrong day",
            "--expect-seq",
            "4",
        ],
    ));
    let lines = store.lines("tm");
    let stored: Vec<Value> = lines[4..]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(printed, Value::Array(stored));
}

#[test]
fn what_cannot_be_amended_is_refused_and_changes_nothing() {
    let (store, suspended) = given();
    store.ok(&["register", "other", "--name", "Another pact"]);
    let log = store.json(&["log", "tm"]);
    let registration = log[0]["id"].as_str().unwrap().to_owned();
    let note = store.json(&["note", "tm", "METI announces it", "--on", "2019-07-01"]);
    let note = note["id"].as_str().unwrap().to_owned();
    let cited = store.json(&["cite", "tm", &suspended, "--source", "NHK"]);
    let cited = cited["id"].as_str().unwrap().to_owned();
    let edited = store.json(&["edit", "tm", "--kind", "policy"]);
    let edited = edited["id"].as_str().unwrap().to_owned();
    let fixed = store.json(&amend(
        &note,
        &["--on", "2019-06-30", "--reason", "a day early"],
    ));
    let (retraction, copy) = (
        fixed[0]["id"].as_str().unwrap().to_owned(),
        fixed[1]["id"].as_str().unwrap().to_owned(),
    );
    let on = ["--on", "2019-07-04", "--reason", "r"];
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            amend("01a241f8-8b44-7570-9d30-81672f4be650", &on),
            1,
            "error: 'tm' has no event [id]\nhint: `pactlog log tm` lists its events with their ids",
        ),
        (
            vec![
                "amend",
                "other",
                &suspended,
                "--on",
                "2019-07-04",
                "--reason",
                "r",
            ],
            1,
            "error: 'other' has no event [id]",
        ),
        (
            amend(&registration, &on),
            1,
            "is the registration of 'tm', which cannot be amended: only a status or a note can\n\
             hint: `pactlog edit tm` changes",
        ),
        (amend(&edited, &on), 1, "is an edit of 'tm', which cannot"),
        (amend(&cited, &on), 1, "is a citation in 'tm', which cannot"),
        (
            amend(&retraction, &on),
            1,
            "is a retraction in 'tm', which cannot",
        ),
        (
            amend(&note, &on),
            1,
            "is already retracted, by event [id] (seq 8): a day early\nhint: it no longer counts",
        ),
        (
            amend(&copy, &["--status", "in_force", "--reason", "r"]),
            1,
            "is a note, which has no status\nhint: a note's date, parties, source, url and text \
             (--note) can be amended",
        ),
        (
            amend(&copy, &["--reported", "--reason", "r"]),
            1,
            "is a note, which has no reported mark",
        ),
        (
            amend(&copy, &["--on", "2019-07-02", "--force", "--reason", "r"]),
            1,
            "is a note, which has no lifecycle to force",
        ),
        (
            amend(&suspended, &["--on", "2019-07-01", "--reason", "r"]),
            1,
            "error: the amendment of event [id] changes nothing: every field is the event's \
             already",
        ),
        (
            amend(&suspended, &["--reason", "r"]),
            2,
            "error: the amendment changes nothing: no field to correct is given\nhint: give what \
             is corrected: --on, --status, --party, --source, --url, --note or --reported",
        ),
        (amend(&suspended, &["--on", "2019-07-04"]), 2, "--reason"),
        (
            amend(&suspended, &["--on", "July", "--reason", "r"]),
            1,
            "invalid date 'July'",
        ),
        (
            amend(&suspended, &["--status", "asleep", "--reason", "r"]),
            1,
            "unknown status",
        ),
        (
            amend(&suspended, &["--url", "ftp://x", "--reason", "r"]),
            1,
            "not a web address",
        ),
        (
            amend(&suspended, &["--on", "2019-07-04", "--reason", " "]),
            1,
            "reason is empty",
        ),
        (
            amend(&suspended, &["--party", "US", "--reason", "r"]),
            1,
            "error: 'US' is not a party to 'tm'",
        ),
        (
            amend("not-an-id", &on),
            1,
            "error: invalid event id 'not-an-id'",
        ),
    ];
    for (args, code, expected) in cases {
        let stderr = store.refuses(&args, code);
        assert!(stderr.contains(expected), "{args:?}:\n{stderr}");
    }
}

#[test]
fn a_copy_that_breaks_the_lifecycle_is_refused_unless_forced() {
    let (store, suspended) = given();
    let args = amend(
        &suspended,
        &["--status", "signed", "--reason", "not suspended"],
    );
    assert_snapshot!(store.refuses(&args, 1), @r"
    error: 'tm' cannot go from in force (since 2004-01-01) to signed on 2019-07-01
    hint: allowed after in force: termination notified, conditionally suspended, suspended, terminated, expired, withdrawn; if the record really is so, add --force: the event is stored as forced and `verify` lists it
    ");
    let mut forced = args.clone();
    forced.push("--force");
    let out = store.ok(&forced);
    assert!(
        out.contains("signed on 2019-07-01 in its place, recorded as seq 6, forced"),
        "{out}"
    );
    let copy: Value = serde_json::from_str(store.lines("tm").last().unwrap()).unwrap();
    assert_eq!(copy["forced"], json!(true));
    let verify = store.ok(&["verify"]);
    assert!(
        verify.contains("tm.jsonl:6: signed on 2019-07-01 was recorded as forced"),
        "{verify}"
    );

    // moved past the normalization, the suspension would leave nothing
    // between being in force and normalized: no force excuses that
    let (store, suspended) = given();
    let moved = amend(
        &suspended,
        &["--on", "2024-01-01", "--reason", "r", "--force"],
    );
    assert_snapshot!(store.refuses(&moved, 1), @r"
    error: retracting event [id] would leave normalized on 2023-03-23 (event [id]) right after in force on 2004-01-01 (event [id])
    hint: retract the later event first, or record what really happened as a new status
    ");
}

#[test]
fn a_party_status_is_amended_in_each_party_timeline() {
    let store = Store::new();
    store.ok(&[
        "register",
        "os",
        "--name",
        "Open Skies",
        "--party",
        "US",
        "--party",
        "RU",
    ]);
    store.ok(&["append", "os", "in_force", "--on", "2002-01-01"]);
    let withdrawn = store.json(&[
        "append",
        "os",
        "withdrawn",
        "--on",
        "2020-11-22",
        "--party",
        "US",
    ]);
    let withdrawn = withdrawn["id"].as_str().unwrap();
    // recorded for the wrong party
    let out = store.ok(&[
        "amend",
        "os",
        withdrawn,
        "--party",
        "ru",
        "--reason",
        "it was Russia",
    ]);
    assert!(
        out.contains("os: withdrawn for RU on 2020-11-22 in its place"),
        "{out}"
    );
    let party = |p: &str| store.json(&["status", "os", "--on", "2021-01-01", "--party", p]);
    assert_eq!(party("US")["status"], json!("in_force"));
    assert_eq!(party("RU")["status"], json!("withdrawn"));
    let copy: Value = serde_json::from_str(store.lines("os").last().unwrap()).unwrap();
    assert_eq!(copy["parties"], json!(["RU"]));
    // the same parties in another case and order are no change
    let copy = copy["id"].as_str().unwrap();
    let same = ["amend", "os", copy, "--party", "ru", "--reason", "r"];
    assert!(store.refuses(&same, 1).contains("changes nothing"));
    // the copy is checked in the timeline of its party
    let stderr = store.refuses(
        &["amend", "os", copy, "--status", "signed", "--reason", "r"],
        1,
    );
    assert_snapshot!(stderr, @r"
    error: for RU: 'os' cannot go from in force (since 2002-01-01) to signed on 2020-11-22
    hint: allowed after in force: termination notified, conditionally suspended, suspended, terminated, expired, withdrawn; if the record really is so, add --force: the event is stored as forced and `verify` lists it
    ");
    assert!(store.ok(&["verify"]).starts_with("ok  os"));
}

#[test]
fn a_note_is_amended_in_its_text_and_date() {
    let (store, _) = given();
    let note = store.json(&["note", "tm", "METI anounces a reveiw", "--on", "2019-07-02"]);
    let note = note["id"].as_str().unwrap();
    let out = store.ok(&amend(
        note,
        &[
            "--note",
            "METI announces a review",
            "--on",
            "2019-07-01",
            "--reason",
            "typos",
        ],
    ));
    assert!(
        out.contains("tm: note on 2019-07-01 in its place, recorded as seq 7"),
        "{out}"
    );
    let history = store.json(&["history", "tm"]);
    assert_eq!(history["notes"].as_array().unwrap().len(), 1);
    assert_eq!(
        history["notes"][0]["text"],
        json!("METI announces a review")
    );
    assert_eq!(history["notes"][0]["on"], json!("2019-07-01"));
}

#[test]
fn log_shows_what_a_copy_amends() {
    let (store, suspended) = given();
    store.ok(&amend(
        &suspended,
        &["--on", "2019-07-04", "--reason", "wrong day"],
    ));
    let log = store.json(&["log", "tm"]);
    assert_eq!(log[2]["retracted"], json!(true));
    assert_eq!(log[5]["amends"], json!(suspended));
    assert_eq!(log[5]["retracted"], json!(false));
    let text = store.ok(&["log", "tm"]);
    let copy = text.split("\n\n").last().unwrap();
    assert_snapshot!(store.redact(copy), @r"
    #6  status  recorded [recorded]
        id      [id]
        status  suspended on 2019-07-04
        source  Kyodo: Japan to tighten export controls on South Korea
        amends  [id]
    ");
    assert!(copy.ends_with(&format!("amends  {suspended}\n")), "{copy}");
}

#[test]
fn citations_of_the_event_are_not_carried_to_the_copy_and_it_says_so() {
    let (store, suspended) = given();
    store.ok(&["cite", "tm", &suspended, "--source", "NHK"]);
    store.ok(&["cite", "tm", &suspended, "--source", "METI", "--official"]);
    let out = store.ok(&amend(
        &suspended,
        &["--on", "2019-07-04", "--reason", "wrong day"],
    ));
    assert!(
        out.ends_with(
            "note: 2 citations of the original are not carried over; cite the copy again\n"
        ),
        "{out}"
    );
    let status = store.json(&["status", "tm", "--on", "2020-01-01"]);
    assert_eq!(
        status["sources"],
        json!([{
            "source": "Kyodo: Japan to tighten export controls on South Korea",
            "url": null,
            "official": true,
        }])
    );
}

#[test]
fn verify_refuses_an_amends_that_names_no_retracted_event_of_its_kind() {
    let (store, suspended) = given();
    // the last line, made by hand to amend the suspension it follows
    let mut lines = store.lines("tm");
    let last = lines.pop().unwrap();
    let by_hand = resealed(
        &last.replacen(r#"{"v":1,"#, r#"{"v":2,"#, 1),
        r#""forced":false,"#,
        &format!(r#""forced":false,"amends":"{suspended}","#),
    );
    lines.push(by_hand);
    std::fs::write(store.stream("tm"), lines.join("\n") + "\n").unwrap();
    let run = store.run(&["verify"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let said = store.redact(&format!("{}{}", run.stdout, run.stderr));
    assert!(
        said.contains("tm.jsonl:4: invalid amendment: its target is not retracted before it"),
        "{said}"
    );
    store.refuses(&["status", "tm"], 1);
}

#[test]
fn errata_show_an_amendment_as_one_correction() {
    let (store, suspended) = given();
    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    store.ok(&amend(
        &suspended,
        &[
            "--on",
            "2019-07-04",
            "--source",
            "METI: Update of export control policy",
            "--reason",
            "it took effect on 4 July",
        ],
    ));
    let out = store.ok(&["errata", "--since", &before]);
    // the recorded time, to the second, as errata lists events
    let copy: Value = serde_json::from_str(store.lines("tm").last().unwrap()).unwrap();
    let second = format!("{}Z", &copy["recorded"].as_str().unwrap()[..19]);
    assert_snapshot!(store.redact(&out).replace(&second, "[second]"), @"
    tm  Japan's bulk export licensing of three materials
      changed  2004-01-01 → 2019-07-04  in force (was 2004-01-01 → 2019-07-01)
      amended  2019-07-04 → 2023-03-23  suspended (was 2019-07-01 → 2023-03-23)
      recorded between [recorded] and now:
        #5-6 [second]  amended [id]: on 2019-07-01 → 2019-07-04; source Kyodo: Japan to tighten export controls on South Korea → METI: Update of export control policy; reason: it took effect on 4 July
    history as recorded at [recorded] compared with now
    ");
    let json = store.json(&["errata", "--since", &before]);
    let pact = &json["pacts"][0];
    assert_eq!(pact["added"], json!([]));
    assert_eq!(pact["removed"], json!([]));
    assert_eq!(pact["amended"][0]["from"], json!("2019-07-04"));
    assert_eq!(pact["amended"][0]["was"]["from"], json!("2019-07-01"));
    assert_eq!(pact["amended"][0]["was"]["event"], json!(suspended));
}

#[test]
fn a_json_lines_import_takes_an_amendment_and_checks_it_as_verify_does() {
    // moved within its neighbours: the retraction alone would leave
    // normalized right after in force, which the copy stands between
    let (store, suspended) = given();
    store.ok(&amend(
        &suspended,
        &["--on", "2019-07-04", "--reason", "wrong day"],
    ));
    let exported = store.ok(&["export"]);
    let files = Files::new();
    let whole = files.write("whole.jsonl", &exported);
    let restored = Store::new();
    restored.ok(&["import", &whole]);
    assert_eq!(
        std::fs::read(restored.stream("tm")).unwrap(),
        std::fs::read(store.stream("tm")).unwrap()
    );

    // the retraction without its copy, as `retract` would refuse it
    let lines: Vec<&str> = exported.lines().collect();
    let alone = files.write("alone.jsonl", lines[..5].join("\n") + "\n");
    let empty = Store::new();
    let stderr = files.redact(&empty.refuses(&["import", &alone], 1));
    assert!(
        stderr.starts_with("error: alone.jsonl:5: retracting event [id] would leave normalized"),
        "{stderr}"
    );

    // a copy that names an event not retracted
    let by_hand = resealed(
        &lines[3].replacen(r#"{"v":1,"#, r#"{"v":2,"#, 1),
        r#""forced":false,"#,
        &format!(r#""forced":false,"amends":"{suspended}","#),
    );
    let bad = files.write(
        "bad.jsonl",
        [lines[0], lines[1], lines[2], &by_hand].join("\n") + "\n",
    );
    let stderr = files.redact(&empty.refuses(&["import", &bad], 1));
    assert!(
        stderr.starts_with(
            "error: bad.jsonl:4: invalid amendment: its target is not retracted before it"
        ),
        "{stderr}"
    );
}
