//! Every command through the real binary, in temporary stores: what it
//! writes, what it prints for people, and the JSON shapes scripts rely on.

use std::io::{BufRead, BufReader, Read};

use chrono::{DateTime, Duration, NaiveDate};
use insta::assert_snapshot;
use pactlog::{Event, EventBody, Hash, Note};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Cmd, Store, pactlog, pactlog_in, resealed, sealed_crc};

/// `with_gsomia`, then its normalization with every option an append takes.
fn normalized_gsomia() -> (Store, Value) {
    let store = Store::new().with_gsomia();
    let event = store.json(&[
        "append",
        "gsomia",
        "normalized",
        "--on",
        "2023-03-21",
        "--source",
        "MOFA: withdrawal of the 2019 notes",
        "--url",
        "https://www.mofa.go.jp/a_o/na/kr/page1e_000001.html",
        "--note",
        "both notes withdrawn in writing",
        "--reported",
        "--expect-seq",
        "5",
    ]);
    (store, event)
}

fn parse_line(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

/// Asserts `id` is a UUID v7, as every event id must be.
fn assert_uuid_v7(id: &Value) {
    let id = id.as_str().expect("an id is a string");
    let uuid = Uuid::parse_str(id).unwrap_or_else(|e| panic!("{id} is not a UUID: {e}"));
    assert_eq!(uuid.get_version_num(), 7, "{id}");
}

#[test]
fn register_json_prints_the_stored_line_with_every_field() {
    let store = Store::new();
    let stdout = store.ok(&[
        "register",
        "gsomia",
        "--name",
        "Korea-Japan GSOMIA",
        "--alias",
        "GSOMIA",
        "--alias",
        "Korea-Japan GSOMIA",
        "--party",
        "KR",
        "--party",
        "JP",
        "--kind",
        "agreement",
        "--description",
        "Military information sharing",
        "--source",
        "UPI",
        "--url",
        "https://www.upi.com/x",
        "--json",
    ]);
    let lines = store.lines("gsomia");
    assert_eq!(lines.len(), 1);
    assert_eq!(
        stdout,
        format!("{}\n", lines[0]),
        "stdout is the line stored"
    );
    let event = parse_line(&lines[0]);
    assert_uuid_v7(&event["id"]);
    let recorded = event["recorded"].as_str().expect("recorded is text");
    DateTime::parse_from_rfc3339(recorded).expect("recorded is RFC 3339");
    assert!(recorded.ends_with('Z'), "recorded is UTC: {recorded}");
    assert_eq!(
        event,
        json!({
            "v": 1,
            "pact": "gsomia",
            "seq": 1,
            "id": event["id"],
            "kind": "registered",
            "recorded": recorded,
            "name": "Korea-Japan GSOMIA",
            "aliases": ["GSOMIA", "Korea-Japan GSOMIA"],
            "parties": ["KR", "JP"],
            "pact_kind": "agreement",
            "description": "Military information sharing",
            "source": "UPI",
            "url": "https://www.upi.com/x",
            "prev": null,
            "crc": sealed_crc(&lines[0]),
        })
    );
}

#[test]
fn register_says_where_the_stream_is() {
    let store = Store::new();
    let stdout = store.ok(&["register", "gsomia", "--name", "Korea-Japan GSOMIA"]);
    assert_snapshot!(store.redact(&stdout), @"registered gsomia in [store]/gsomia.jsonl");
    let files: Vec<String> = store.snapshot().into_keys().collect();
    assert_eq!(files, ["gsomia.jsonl"], "the stream, and no temporary file");
}

#[test]
fn append_json_prints_the_stored_line_with_every_option() {
    let (store, event) = normalized_gsomia();
    let lines = store.lines("gsomia");
    assert_eq!(lines.len(), 6);
    assert_eq!(event, parse_line(&lines[5]), "stdout is the line stored");
    assert_uuid_v7(&event["id"]);
    assert_eq!(
        event,
        json!({
            "v": 1,
            "pact": "gsomia",
            "seq": 6,
            "id": event["id"],
            "kind": "status",
            "recorded": event["recorded"],
            "status": "normalized",
            "on": "2023-03-21",
            "source": "MOFA: withdrawal of the 2019 notes",
            "url": "https://www.mofa.go.jp/a_o/na/kr/page1e_000001.html",
            "note": "both notes withdrawn in writing",
            "reported": true,
            "forced": false,
            "prev": Hash::of(lines[4].as_bytes()).to_string(),
            "crc": sealed_crc(&lines[5]),
        })
    );
}

#[test]
fn append_json_is_byte_for_byte_the_line_in_the_file() {
    let store = Store::new().with_gsomia();
    let stdout = store.ok(&[
        "append",
        "gsomia",
        "normalized",
        "--on",
        "2023-03-21",
        "--json",
    ]);
    let lines = store.lines("gsomia");
    assert_eq!(stdout, format!("{}\n", lines[lines.len() - 1]));
}

#[test]
fn append_says_what_it_recorded_in_words() {
    let store = Store::new().with_gsomia();
    let stdout = store.ok(&[
        "append",
        "GSOMIA",
        "Normalized",
        "--on",
        "2023-03-21",
        "--expect-seq",
        "5",
    ]);
    assert_snapshot!(
        store.redact(&stdout),
        @"gsomia: normalized on 2023-03-21, recorded as seq 6 ([id])"
    );
}

#[test]
fn note_json_prints_the_stored_line_and_changes_no_status() {
    let store = Store::new().with_gsomia();
    let stdout = store.ok(&[
        "note",
        "gsomia",
        "Yomiuri: Seoul decides to normalize GSOMIA",
        "--on",
        "2023-03-09",
        "--source",
        "Korea Times",
        "--url",
        "https://www.koreatimes.co.kr/x",
        "--expect-seq",
        "5",
        "--json",
    ]);
    let lines = store.lines("gsomia");
    assert_eq!(
        stdout,
        format!("{}\n", lines[5]),
        "stdout is the line stored"
    );
    let event = parse_line(&lines[5]);
    assert_uuid_v7(&event["id"]);
    assert_eq!(
        event,
        json!({
            "v": 1,
            "pact": "gsomia",
            "seq": 6,
            "id": event["id"],
            "kind": "note",
            "recorded": event["recorded"],
            "on": "2023-03-09",
            "text": "Yomiuri: Seoul decides to normalize GSOMIA",
            "source": "Korea Times",
            "url": "https://www.koreatimes.co.kr/x",
            "prev": Hash::of(lines[4].as_bytes()).to_string(),
            "crc": sealed_crc(&lines[5]),
        })
    );
    let status = store.json(&["status", "gsomia", "--on", "2023-12-31"]);
    assert_eq!(status["status"], "conditionally_suspended");
}

#[test]
fn note_says_what_it_recorded() {
    let store = Store::new().with_gsomia();
    let stdout = store.ok(&["note", "gsomia", "Summit in Tokyo", "--on", "2023-03-16"]);
    assert_snapshot!(
        store.redact(&stdout),
        @"gsomia: note on 2023-03-16, recorded as seq 6 ([id])"
    );
}

#[test]
fn force_stores_a_lifecycle_break_as_forced_and_status_shows_it() {
    let store = Store::new().with_gsomia();
    store.ok(&["append", "gsomia", "terminated", "--on", "2020-01-01"]);
    let event = store.json(&[
        "append",
        "gsomia",
        "in_force",
        "--on",
        "2021-01-01",
        "--force",
    ]);
    assert_eq!(event["forced"], true);
    assert_eq!(event["status"], "in_force");
    let stdout = store.ok(&["status", "gsomia", "--on", "2021-06-01"]);
    let first = stdout.lines().next().expect("a line");
    assert_eq!(
        first,
        "gsomia on 2021-06-01: in force [forced] since 2021-01-01"
    );
}

#[test]
fn status_json_has_every_field_with_real_values() {
    let (store, event) = normalized_gsomia();
    let status = store.json(&["status", "gsomia", "--on", "2023-06-01"]);
    assert_eq!(status["pact"], "gsomia");
    assert_eq!(status["name"], "Korea-Japan GSOMIA");
    assert_eq!(status["on"], "2023-06-01");
    assert_eq!(status["as_of"], Value::Null);
    assert_eq!(status["status"], "normalized");
    assert_eq!(status["since"], "2023-03-21");
    assert_eq!(status["event"], event["id"]);
    assert_eq!(status["source"], "MOFA: withdrawal of the 2019 notes");
    assert_eq!(
        status["url"],
        "https://www.mofa.go.jp/a_o/na/kr/page1e_000001.html"
    );
    assert_eq!(status["reported"], true);
}

#[test]
fn status_before_the_first_event_is_null_in_json_and_said_in_text() {
    let store = Store::new().with_gsomia();
    let status = store.json(&["status", "gsomia", "--on", "2016-11-22"]);
    assert_eq!(status["pact"], "gsomia");
    assert_eq!(status["on"], "2016-11-22");
    assert_eq!(status["status"], Value::Null);
    assert_eq!(status["since"], Value::Null);
    assert_eq!(status["event"], Value::Null);
    let stdout = store.ok(&["status", "gsomia", "--on", "2016-11-22"]);
    assert_snapshot!(store.redact(&stdout), @r"
    gsomia on 2016-11-22: no status recorded (the first, in force, is on 2016-11-23)
    head [hash]
    ");
}

#[test]
fn a_status_takes_effect_on_its_own_date() {
    let store = Store::new().with_gsomia();
    let status = |on: &str| store.json(&["status", "gsomia", "--on", on]);
    assert_eq!(status("2016-11-23")["status"], "in_force");
    assert_eq!(status("2019-08-22")["status"], "in_force");
    let notified = status("2019-08-23");
    assert_eq!(notified["status"], "termination_notified");
    assert_eq!(notified["since"], "2019-08-23");
    assert_eq!(status("2019-11-21")["status"], "termination_notified");
    assert_eq!(status("2019-11-22")["status"], "conditionally_suspended");
}

#[test]
fn statuses_on_the_same_day_count_in_the_order_they_were_appended() {
    let store = Store::new();
    store.ok(&["register", "gsomia", "--name", "GSOMIA"]);
    store.ok(&["append", "gsomia", "signed", "--on", "2016-11-23"]);
    let in_force = store.json(&["append", "gsomia", "in_force", "--on", "2016-11-23"]);
    let status = store.json(&["status", "gsomia", "--on", "2016-11-23"]);
    assert_eq!(status["status"], "in_force");
    assert_eq!(status["event"], in_force["id"]);
    let history = store.json(&["history", "gsomia"]);
    let intervals: Vec<_> = history["intervals"]
        .as_array()
        .expect("intervals")
        .iter()
        .map(|i| (i["status"].clone(), i["from"].clone(), i["to"].clone()))
        .collect();
    assert_eq!(
        intervals,
        [
            (json!("signed"), json!("2016-11-23"), json!("2016-11-23")),
            (json!("in_force"), json!("2016-11-23"), Value::Null),
        ]
    );
}

#[test]
fn status_text_is_in_words_with_iso_dates_and_the_source() {
    let (store, _) = normalized_gsomia();
    let stdout = store.ok(&["status", "gsomia", "--on", "2023-06-01"]);
    assert_snapshot!(store.redact(&stdout), @r"
    gsomia on 2023-06-01: normalized [reported] since 2023-03-21
      name    Korea-Japan GSOMIA
      source  MOFA: withdrawal of the 2019 notes <https://www.mofa.go.jp/a_o/na/kr/page1e_000001.html>
      note    both notes withdrawn in writing
      event   [id]
    head [hash]
    ");
    let stdout = store.ok(&["status", "gsomia", "--on", "2020-01-01"]);
    assert_snapshot!(store.redact(&stdout), @r"
    gsomia on 2020-01-01: conditionally suspended since 2019-11-22
      name    Korea-Japan GSOMIA
      event   [id]
    head [hash]
    ");
}

#[test]
fn status_is_asked_about_today_unless_on_says_otherwise() {
    let store = Store::new().with_gsomia();
    let default = store.json(&["status", "gsomia"]);
    let today = store.json(&["status", "gsomia", "--on", "today"]);
    assert_eq!(default["on"], today["on"]);
    let on = NaiveDate::parse_from_str(today["on"].as_str().expect("a date"), "%Y-%m-%d")
        .expect("on is an ISO date");
    assert!(
        on > NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date"),
        "{on}"
    );
    assert_eq!(today["status"], "conditionally_suspended");
}

#[test]
fn a_future_effective_date_is_marked_scheduled() {
    let store = Store::new();
    store.ok(&["register", "treaty", "--name", "A treaty"]);
    store.ok(&["append", "treaty", "signed", "--on", "2020-01-01"]);
    let stdout = store.ok(&["append", "treaty", "in_force", "--on", "2099-01-01"]);
    assert!(
        stdout.starts_with("treaty: in force on 2099-01-01 (scheduled), recorded as seq 3"),
        "{stdout}"
    );
    let status = store.json(&["status", "treaty", "--on", "2099-06-01"]);
    assert_eq!(status["status"], "in_force");
    assert_eq!(status["scheduled"], true);
    let stdout = store.ok(&["status", "treaty", "--on", "2099-06-01"]);
    let first = stdout.lines().next().expect("a line");
    assert_eq!(
        first,
        "treaty on 2099-06-01: in force [scheduled] since 2099-01-01"
    );
    let history = store.ok(&["history", "treaty"]);
    assert!(
        history.contains("2099-01-01  …           in force [scheduled]"),
        "{history}"
    );
}

#[test]
fn history_json_has_every_interval_and_note_with_real_values() {
    let (store, normalized) = normalized_gsomia();
    let ids: Vec<Value> = store
        .lines("gsomia")
        .iter()
        .map(|line| parse_line(line)["id"].clone())
        .collect();
    let history = store.json(&["history", "GSOMIA"]);
    assert_eq!(history["pact"], "gsomia");
    assert_eq!(history["name"], "Korea-Japan GSOMIA");
    let intervals = history["intervals"].as_array().expect("intervals");
    let expected = [
        (
            "in_force",
            "2016-11-23",
            json!("2019-08-23"),
            &ids[1],
            json!("Kyodo"),
            false,
        ),
        (
            "termination_notified",
            "2019-08-23",
            json!("2019-11-22"),
            &ids[3],
            Value::Null,
            false,
        ),
        (
            "conditionally_suspended",
            "2019-11-22",
            json!("2023-03-21"),
            &ids[4],
            Value::Null,
            false,
        ),
        (
            "normalized",
            "2023-03-21",
            Value::Null,
            &normalized["id"],
            json!("MOFA: withdrawal of the 2019 notes"),
            true,
        ),
    ];
    assert_eq!(intervals.len(), expected.len());
    for (interval, (status, from, to, event, source, reported)) in intervals.iter().zip(expected) {
        assert_eq!(interval["status"], status, "{interval}");
        assert_eq!(interval["from"], from, "{interval}");
        assert_eq!(interval["to"], to, "{interval}");
        assert_eq!(&interval["event"], event, "{interval}");
        assert_eq!(interval["source"], source, "{interval}");
        assert_eq!(interval["reported"], reported, "{interval}");
    }
    assert_eq!(
        history["notes"],
        json!([{
            "on": "2019-08-22",
            "text": "Seoul announces termination",
            "source": null,
            "url": null,
            "event": ids[2],
            "scheduled": false,
            "sources": [],
        }])
    );
}

#[test]
fn history_text_is_an_aligned_table_in_words_with_notes() {
    let (store, _) = normalized_gsomia();
    store.ok(&[
        "note",
        "gsomia",
        "Yoon declares complete normalization",
        "--on",
        "2023-03-16",
        "--source",
        "Yonhap",
    ]);
    let stdout = store.ok(&["history", "gsomia"]);
    assert_snapshot!(store.redact(&stdout), @r"
    gsomia  Korea-Japan GSOMIA
    aliases GSOMIA · parties KR, JP · agreement

    FROM        TO          STATUS                   SOURCE
    2016-11-23  2019-08-23  in force                 Kyodo
    2019-08-23  2019-11-22  termination notified
    2019-11-22  2023-03-21  conditionally suspended
    2023-03-21  …           normalized [reported]    MOFA: withdrawal of the 2019 notes <https://www.mofa.go.jp/a_o/na/kr/page1e_000001.html>

    REMARKS
    2023-03-21  normalized: both notes withdrawn in writing

    NOTES
    2019-08-22  Seoul announces termination
    2023-03-16  Yoon declares complete normalization
                Yonhap

    head [hash]
    ");
}

#[test]
fn log_json_holds_every_stored_field_of_every_line_and_retracted() {
    let (store, _) = normalized_gsomia();
    let note = parse_line(&store.lines("gsomia")[2]);
    assert_eq!(note["kind"], "note");
    let note_id = note["id"].as_str().expect("an id");
    store.ok(&[
        "retract",
        "gsomia",
        note_id,
        "--reason",
        "recorded in error",
    ]);
    let log = store.json(&["log", "gsomia"]);
    let entries = log.as_array().expect("log --json is an array");
    let lines = store.lines("gsomia");
    assert_eq!(entries.len(), lines.len());
    assert_eq!(lines.len(), 7, "the retraction is the last line");
    for (entry, line) in entries.iter().zip(&lines) {
        let mut entry = entry.clone();
        let retracted = entry
            .as_object_mut()
            .expect("an entry is an object")
            .remove("retracted");
        let stored = parse_line(line);
        assert_eq!(retracted, Some(json!(stored["id"] == note_id)), "{line}");
        assert_eq!(entry, stored);
    }
}

#[test]
fn log_text_shows_each_event_in_append_order() {
    let store = Store::new().with_gsomia();
    store.ok(&[
        "append",
        "gsomia",
        "normalized",
        "--on",
        "2023-03-21",
        "--source",
        "MOFA",
        "--url",
        "https://www.mofa.go.jp/x",
        "--note",
        "notes withdrawn",
        "--reported",
    ]);
    let stdout = store.ok(&["log", "gsomia"]);
    assert_snapshot!(store.redact(&stdout), @r"
    #1  registered  recorded [recorded]
        id       [id]
        name     Korea-Japan GSOMIA
        aliases  GSOMIA
        parties  KR, JP
        kind     agreement

    #2  status  recorded [recorded]
        id      [id]
        status  in force on 2016-11-23
        source  Kyodo

    #3  note  recorded [recorded]
        id    [id]
        note  on 2019-08-22: Seoul announces termination

    #4  status  recorded [recorded]
        id      [id]
        status  termination notified on 2019-08-23

    #5  status  recorded [recorded]
        id      [id]
        status  conditionally suspended on 2019-11-22

    #6  status  recorded [recorded]
        id      [id]
        status  normalized on 2023-03-21 [reported]
        source  MOFA
        url     https://www.mofa.go.jp/x
        note    notes withdrawn
    ");
}

/// Three pacts registered out of order: gsomia, a policy suspended in 2019,
/// and one with no status.
fn three_pacts() -> Store {
    let store = Store::new();
    store.ok(&[
        "register",
        "white-list",
        "--name",
        "White list",
        "--kind",
        "policy",
    ]);
    store.ok(&["append", "white-list", "in_force", "--on", "2019-07-01"]);
    store.ok(&["append", "white-list", "suspended", "--on", "2019-08-28"]);
    store.ok(&["append", "white-list", "normalized", "--on", "2023-07-21"]);
    let store = store.with_gsomia();
    store.ok(&["register", "apec", "--name", "APEC pledge"]);
    store
}

#[test]
fn list_json_is_sorted_by_pact_id_with_the_status_on_the_date() {
    let store = three_pacts();
    let list = store.json(&["list", "--on", "2020-01-01"]);
    let rows: Vec<Value> = list
        .as_array()
        .expect("list --json is an array")
        .iter()
        .map(|row| {
            json!({
                "pact": row["pact"],
                "name": row["name"],
                "status": row["status"],
                "since": row["since"],
            })
        })
        .collect();
    assert_eq!(
        rows,
        [
            json!({"pact": "apec", "name": "APEC pledge", "status": null, "since": null}),
            json!({
                "pact": "gsomia",
                "name": "Korea-Japan GSOMIA",
                "status": "conditionally_suspended",
                "since": "2019-11-22",
            }),
            json!({
                "pact": "white-list",
                "name": "White list",
                "status": "suspended",
                "since": "2019-08-28",
            }),
        ]
    );
    let later = store.json(&["list", "--on", "2023-07-21"]);
    assert_eq!(later[2]["status"], "normalized");
    assert_eq!(later[2]["since"], "2023-07-21");
}

#[test]
fn reported_and_forced_statuses_are_marked_in_list_and_changes() {
    let store = Store::new();
    store.ok(&["register", "p", "--name", "P"]);
    store.ok(&["append", "p", "in-force", "--on", "2020-01-01"]);
    store.ok(&[
        "append",
        "p",
        "terminated",
        "--on",
        "2025-10-18",
        "--reported",
    ]);
    let marked_on = |on: &str| {
        let list = store.json(&["list", "--on", on]);
        let row = &list[0];
        (
            row["status"].clone(),
            row["reported"].clone(),
            row["forced"].clone(),
        )
    };
    // once the stream has settled (two seconds after its last write), the
    // first list writes the cache with the stream's stamp, and the next
    // answers from the cache without reading the stream: both tell it
    std::thread::sleep(std::time::Duration::from_millis(2200));
    let cache = || std::fs::read(store.path().join(".pactlog-cache")).expect("the cache");
    let none = (Value::Null, Value::Null, Value::Null);
    assert_eq!(marked_on("2019-01-01"), none);
    let written = cache();
    for _ in 0..2 {
        let in_force = (json!("in_force"), json!(false), json!(false));
        assert_eq!(marked_on("2021-01-01"), in_force);
        let terminated = (json!("terminated"), json!(true), json!(false));
        assert_eq!(marked_on("2026-01-01"), terminated);
    }
    assert_eq!(
        cache(),
        written,
        "the stamp kept is the one seen: answered from the cache"
    );
    let text = store.ok(&["list", "--on", "2026-01-01"]);
    assert!(
        text.contains("  terminated [reported]  2025-10-18  P\n"),
        "{text}"
    );
    let csv = store.ok(&["list", "--on", "2026-01-01", "--csv"]);
    assert!(csv.contains("\np,P,terminated,2025-10-18,false,"), "{csv}");
    assert!(csv.ends_with(",true,false,true,\n"), "{csv}");

    // a step against the lifecycle, recorded with --force, is marked too
    store.ok(&["append", "p", "signed", "--on", "2025-12-01", "--force"]);
    let signed = (json!("signed"), json!(false), json!(true));
    assert_eq!(marked_on("2026-01-01"), signed);
    let text = store.ok(&["list", "--on", "2026-01-01"]);
    assert!(
        text.contains("  signed [forced]  2025-12-01  P\n"),
        "{text}"
    );
    let range = ["changes", "--from", "2020-01-01", "--to", "2025-12-31"];
    let changes = store.json(&range);
    let marks: Vec<_> = changes
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            let mark = |key: &str| c[key].as_bool().expect("a flag");
            (c["to_status"].clone(), mark("reported"), mark("forced"))
        })
        .collect();
    assert_eq!(
        marks,
        [
            (json!("in_force"), false, false),
            (json!("terminated"), true, false),
            (json!("signed"), false, true),
        ]
    );
    let text = store.ok(&range);
    assert!(
        text.contains("  in force    terminated [reported]\n"),
        "{text}"
    );
    assert!(text.contains("  terminated  signed [forced]\n"), "{text}");
}

#[test]
fn list_status_keeps_only_pacts_in_that_status_on_the_date() {
    let store = three_pacts();
    let list = store.json(&[
        "list",
        "--on",
        "2020-01-01",
        "--status",
        "Conditionally Suspended",
    ]);
    let pacts: Vec<&Value> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|row| &row["pact"])
        .collect();
    assert_eq!(pacts, [&json!("gsomia")]);
    let stdout = store.ok(&["list", "--on", "2020-01-01", "--status", "suspended"]);
    assert_snapshot!(store.redact(&stdout), @"
    PACT        STATUS     SINCE       NAME
    white-list  suspended  2019-08-28  White list
    heads: of 3 streams read (`pactlog verify` prints each)
    ");
    let stdout = store.ok(&["list", "--on", "2010-01-01", "--status", "terminated"]);
    assert_snapshot!(store.redact(&stdout), @"
    no pact is terminated on 2010-01-01
    heads: of 3 streams read (`pactlog verify` prints each)
    ");
}

#[test]
fn list_text_is_an_aligned_table_in_words() {
    let store = three_pacts();
    let stdout = store.ok(&["list", "--on", "2020-01-01"]);
    assert_snapshot!(store.redact(&stdout), @r"
    PACT        STATUS                   SINCE       NAME
    apec        -                        -           APEC pledge
    gsomia      conditionally suspended  2019-11-22  Korea-Japan GSOMIA
    white-list  suspended                2019-08-28  White list
    heads: apec [hash], gsomia [hash], white-list [hash]
    ");
}

#[test]
fn verify_prints_each_head_the_sha256_of_its_last_line() {
    let store = three_pacts();
    let stdout = store.ok(&["verify"]);
    for (pact, events) in [
        ("apec", "1 event "),
        ("gsomia", "5 events"),
        ("white-list", "4 events"),
    ] {
        let line = format!("{events}  head {}", store.head(pact));
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("ok") && l.contains(pact) && l.ends_with(&line)),
            "{pact}: {stdout}"
        );
    }
    assert_snapshot!(store.redact(&stdout), @r"
    ok  apec        1 event   head [hash]
    ok  gsomia      5 events  head [hash]
    ok  white-list  4 events  head [hash]
    3 streams checked, 3 ok, 0 failed, 0 warnings
    ");
    let report = store.json(&["verify", "gsomia"]);
    assert_eq!(report["ok"], true);
    assert_eq!(report["streams"][0]["head"], store.head("gsomia"));
}

#[test]
fn verify_lists_a_forced_event_as_a_warning_and_exits_0() {
    let store = Store::new().with_gsomia();
    store.ok(&["append", "gsomia", "terminated", "--on", "2020-01-01"]);
    store.ok(&[
        "append",
        "gsomia",
        "in_force",
        "--on",
        "2021-01-01",
        "--force",
    ]);
    let run = store.run(&["verify"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert_snapshot!(store.redact(&run.stdout), @r"
    ok  gsomia  7 events  head [hash]
    warning: [store]/gsomia.jsonl:7: in force on 2021-01-01 was recorded as forced, against the lifecycle
    1 stream checked, 1 ok, 0 failed, 1 warning
    ");
}

#[test]
fn verify_head_pins_the_last_line_which_the_chain_cannot_cover() {
    let store = Store::new().with_gsomia();
    let head = store.head("gsomia");
    store.ok(&["verify", "gsomia", "--head", &head]);
    // a deliberate edit of the last line, checksum redone: the chain and the
    // checksum cannot tell, only the pinned head can
    let mut lines = store.lines("gsomia");
    let last = lines.last_mut().expect("a last line");
    *last = resealed(last, "2019-11-22", "2019-11-21");
    std::fs::write(store.stream("gsomia"), lines.join("\n") + "\n").expect("write the stream");
    assert_eq!(
        store.json(&["verify", "gsomia"])["ok"],
        true,
        "a resealed last line keeps the chain"
    );
    let run = store.run(&["verify", "gsomia", "--head", &head]);
    let said = format!("{}{}", run.stdout, run.stderr);
    run.fails(1);
    assert!(
        said.contains("gsomia.jsonl") && said.contains(&head),
        "{said}"
    );
}

#[test]
fn an_alias_or_the_id_in_any_case_names_the_pact_everywhere() {
    let store = Store::new();
    store.ok(&[
        "register",
        "jp-kr-white-list",
        "--name",
        "South Korea on Japan's white list",
        "--alias",
        "White-List",
        "--alias",
        "Group A",
    ]);
    let check = |name: &str, event: Value| {
        assert_eq!(event["pact"], "jp-kr-white-list", "{name}");
    };
    check(
        "WHITE-LIST",
        store.json(&["append", "WHITE-LIST", "in force", "--on", "2019-07-01"]),
    );
    check(
        "group a",
        store.json(&["note", "group a", "METI review", "--on", "2019-07-01"]),
    );
    check(
        "JP-KR-White-List",
        store.json(&[
            "append",
            "JP-KR-White-List",
            "SUSPENDED",
            "--on",
            "2019-08-28",
        ]),
    );
    let retracted = store.json(&[
        "note",
        "Jp-Kr-WHITE-list",
        "a mistake",
        "--on",
        "2019-07-02",
    ]);
    check(
        "Group A",
        store.json(&[
            "retract",
            "GROUP A",
            retracted["id"].as_str().expect("an id"),
            "--reason",
            "recorded in error",
        ]),
    );
    assert_eq!(store.lines("jp-kr-white-list").len(), 6);
    for name in [
        "white-list",
        "WHITE-LIST",
        "Group A",
        "GROUP a",
        "Jp-Kr-White-List",
    ] {
        let status = store.json(&["status", name, "--on", "2020-01-01"]);
        assert_eq!(status["pact"], "jp-kr-white-list", "{name}");
        assert_eq!(status["status"], "suspended", "{name}");
        let history = store.json(&["history", name]);
        assert_eq!(
            history["intervals"].as_array().map(Vec::len),
            Some(2),
            "{name}"
        );
        let log = store.json(&["log", name]);
        assert_eq!(log.as_array().map(Vec::len), Some(6), "{name}");
        let errata = store.json(&["errata", "--since", "2020-01-01", name]);
        assert_eq!(errata["pacts"][0]["pact"], "jp-kr-white-list", "{name}");
        let report = store.json(&["verify", name]);
        assert_eq!(report["streams"][0]["pact"], "jp-kr-white-list", "{name}");
    }
    // named twice, by two of its names: checked and shown once
    let both = ["white-list", "JP-KR-WHITE-LIST"];
    let report = store.json(&["verify", both[0], both[1]]);
    assert_eq!(report["streams"].as_array().map(Vec::len), Some(1));
    let errata = store.json(&["errata", "--since", "2020-01-01", both[0], both[1]]);
    assert_eq!(errata["pacts"].as_array().map(Vec::len), Some(1));
}

#[test]
fn control_characters_in_free_text_are_shown_escaped_never_sent_to_the_terminal() {
    let store = Store::new();
    let name = "Pact\u{1b}[2J\nsecond line";
    store.ok(&["register", "pact", "--name", name]);
    store.ok(&[
        "append",
        "pact",
        "in_force",
        "--on",
        "2020-01-01",
        "--source",
        "Wire\u{1b}[31m\nred",
    ]);
    store.ok(&["note", "pact", "one\ntwo\u{7}", "--on", "2020-01-02"]);
    let mut raw = Vec::new();
    for args in [
        &["list", "--on", "2021-01-01"][..],
        &["status", "pact", "--on", "2021-01-01"],
        &["history", "pact"],
        &["log", "pact"],
    ] {
        let stdout = store.ok(args);
        let escaped = stdout.contains(r"Pact\u{1b}[2J\nsecond line");
        if !escaped || stdout.chars().any(|c| c.is_control() && c != '\n') {
            raw.push(format!("{args:?} printed {stdout:?}"));
        }
    }
    assert!(
        raw.is_empty(),
        "control characters sent raw:\n{}",
        raw.join("\n")
    );
}

/// A stream of `gsomia` with `notes` notes after its registration, written
/// directly (as many appends would write it) to keep the test fast.
fn long_stream(store: &Store, notes: usize) {
    store.ok(&["register", "gsomia", "--name", "Korea-Japan GSOMIA"]);
    let first = store.lines("gsomia").remove(0);
    let registration = Event::from_line(first.as_bytes()).expect("the registration reads");
    let mut text = format!("{first}\n");
    let mut prev = first;
    for seq in 2..(notes as u64 + 2) {
        let event = Event {
            pact: registration.pact.clone(),
            seq,
            id: Uuid::now_v7(),
            recorded: registration.recorded + Duration::microseconds(seq as i64),
            body: EventBody::Note(Note {
                on: NaiveDate::from_ymd_opt(2019, 8, 22).expect("a date").into(),
                text: format!("report number {seq} on the termination"),
                source: Some("Yonhap".into()),
                url: None,
                parties: Vec::new(),
                amends: None,
            }),
            prev: Some(Hash::of(prev.as_bytes())),
            relinked: None,
        };
        prev = event.to_line();
        text.push_str(&prev);
        text.push('\n');
    }
    std::fs::write(store.stream("gsomia"), text).expect("write the stream");
    assert_eq!(store.json(&["verify", "gsomia"])["ok"], true);
}

#[test]
fn a_reader_that_closes_the_pipe_early_is_not_an_error() {
    let store = Store::new();
    long_stream(&store, 3000);
    for json in [false, true] {
        let args: &[&str] = if json {
            &["log", "gsomia", "--json"]
        } else {
            &["log", "gsomia"]
        };
        let mut child = store.cmd(args).spawn();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = vec![0; 40];
        if json {
            stdout.read_exact(&mut first).expect("some output");
        } else {
            first.clear();
            stdout.read_until(b'\n', &mut first).expect("a line");
        }
        drop(stdout);
        let output = child.wait_with_output().expect("pactlog ends");
        let first = String::from_utf8_lossy(&first);
        assert!(
            first.starts_with(if json { "[{\"v\":1" } else { "#1  registered" }),
            "{first}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(0),
            "json: {json}; stderr: {stderr}"
        );
        assert_eq!(stderr, "", "json: {json}");
    }
}

#[test]
fn dir_and_pactlog_dir_select_the_store_and_dir_wins() {
    let chosen = Store::new().with_gsomia();
    let other = Store::new();
    let elsewhere = Store::new();
    let status = |command: Cmd| {
        let output = command
            .args(&["status", "gsomia", "--on", "2020-01-01"])
            .current_dir(elsewhere.path())
            .output();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
        )
    };
    let expected = "gsomia on 2020-01-01: conditionally suspended since 2019-11-22";

    let (code, stdout, stderr) = status(pactlog_in(chosen.path(), &[]));
    assert_eq!(code, Some(0), "--dir: {stderr}");
    assert!(stdout.starts_with(expected), "--dir: {stdout}");

    let (code, stdout, stderr) = status(pactlog(&[]).env("PACTLOG_DIR", chosen.path()));
    assert_eq!(code, Some(0), "PACTLOG_DIR: {stderr}");
    assert!(stdout.starts_with(expected), "PACTLOG_DIR: {stdout}");

    let (code, stdout, stderr) =
        status(pactlog_in(chosen.path(), &[]).env("PACTLOG_DIR", other.path()));
    assert_eq!(code, Some(0), "--dir over PACTLOG_DIR: {stderr}");
    assert!(
        stdout.starts_with(expected),
        "--dir over PACTLOG_DIR: {stdout}"
    );

    let (code, _, stderr) = status(pactlog_in(other.path(), &[]).env("PACTLOG_DIR", other.path()));
    assert_eq!(code, Some(1), "a store without the pact: {stderr}");
    assert!(
        stderr.starts_with("error: unknown pact 'gsomia'"),
        "{stderr}"
    );

    let output = pactlog(&["register", "apec", "--name", "APEC"])
        .env("PACTLOG_DIR", other.path())
        .current_dir(elsewhere.path())
        .output();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        other.stream("apec").is_file(),
        "PACTLOG_DIR is where register writes"
    );
    assert!(!elsewhere.path().join("events").exists());

    // an empty PACTLOG_DIR counts as unset: the store is ./events
    let project = Store::new();
    crate::harness::copy_shipped(&{
        let events = project.path().join("events");
        std::fs::create_dir(&events).expect("mkdir events");
        events
    });
    let output = pactlog(&["status", "gsomia", "--on", "2020-01-01"])
        .env("PACTLOG_DIR", "")
        .current_dir(project.path())
        .output();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).starts_with(expected));
}

#[test]
fn without_dir_or_pactlog_dir_the_store_is_events_in_the_working_directory() {
    let project = Store::new();
    let output = pactlog(&["register", "gsomia", "--name", "GSOMIA"])
        .current_dir(project.path())
        .output();
    assert_eq!(output.status.code(), Some(0));
    assert!(project.path().join("events/gsomia.jsonl").is_file());
}

#[test]
fn status_and_history_give_the_last_seq_for_a_guarded_append() {
    let store = Store::new().with_gsomia();
    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let seq = store.json(&["status", "gsomia"])["seq"].as_u64().unwrap();
    assert_eq!(
        store.json(&["history", "gsomia"])["seq"].as_u64(),
        Some(seq)
    );
    // the seq a read gave guards the next append
    let expect = seq.to_string();
    store.ok(&[
        "note",
        "gsomia",
        "a note",
        "--on",
        "2024-01-01",
        "--expect-seq",
        &expect,
    ]);
    store.refuses(
        &[
            "note",
            "gsomia",
            "a note",
            "--on",
            "2024-01-02",
            "--expect-seq",
            &expect,
        ],
        3,
    );
    // as of an earlier time, still the stream's last seq as it stands
    let then = store.json(&["status", "gsomia", "--as-of", &before]);
    assert_eq!(then["seq"].as_u64(), Some(seq + 1));
}
