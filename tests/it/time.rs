//! Time travel and corrections through the binary: retractions, `--as-of`
//! on every command that reads the past, `changes`, `errata`, scheduled
//! statuses and the head hashes that make an answer reproducible.

use std::time::Duration;

use chrono::{Days, Local, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::harness::{Store, resealed};

/// The current time as `--as-of` takes it, strictly between the appends
/// before and after it.
fn between() -> String {
    std::thread::sleep(Duration::from_millis(20));
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    std::thread::sleep(Duration::from_millis(20));
    now
}

fn id_of(event: &Value) -> String {
    event["id"].as_str().expect("an event id").to_owned()
}

/// A store holding GSOMIA as recorded in 2019, over recorded time: in force;
/// (t1) the notice recorded with the termination it schedules; (t2) the
/// suspension, then the retraction of the termination; (t3) a backfill of
/// the signature.
struct Scenario {
    store: Store,
    t0: String,
    t1: String,
    t2: String,
    t3: String,
    terminated: String,
    retraction: String,
}

fn scenario() -> Scenario {
    let store = Store::new();
    store.ok(&[
        "register", "gsomia", "--name", "GSOMIA", "--alias", "GSOMIA",
    ]);
    store.ok(&["append", "gsomia", "in_force", "--on", "2016-11-23"]);
    let t0 = between();
    store.ok(&[
        "append",
        "gsomia",
        "termination_notified",
        "--on",
        "2019-08-23",
    ]);
    let terminated = id_of(&store.json(&["append", "gsomia", "terminated", "--on", "2019-11-23"]));
    let t1 = between();
    store.ok(&[
        "append",
        "gsomia",
        "conditionally_suspended",
        "--on",
        "2019-11-22",
    ]);
    let retraction = id_of(&store.json(&[
        "retract",
        "gsomia",
        &terminated,
        "--reason",
        "notice suspended",
    ]));
    let t2 = between();
    store.ok(&[
        "append",
        "gsomia",
        "signed",
        "--on",
        "2016-11-01",
        "--source",
        "backfill",
    ]);
    let t3 = between();
    Scenario {
        store,
        t0,
        t1,
        t2,
        t3,
        terminated,
        retraction,
    }
}

fn status_as_of(s: &Store, on: &str, as_of: Option<&str>) -> Value {
    let mut args = vec!["status", "gsomia", "--on", on];
    if let Some(when) = as_of {
        args.extend(["--as-of", when]);
    }
    s.json(&args)
}

#[test]
fn status_as_of_each_recorded_time_gives_what_the_record_said_then() {
    let s = scenario();
    let status = |on, when: Option<&str>| status_as_of(&s.store, on, when)["status"].clone();
    assert_eq!(status("2020-01-01", Some(&s.t0)), json!("in_force"));
    assert_eq!(status("2020-01-01", Some(&s.t1)), json!("terminated"));
    assert_eq!(
        status("2020-01-01", Some(&s.t2)),
        json!("conditionally_suspended")
    );
    assert_eq!(status("2020-01-01", None), json!("conditionally_suspended"));
    assert_eq!(status("2016-11-10", Some(&s.t2)), Value::Null);
    assert_eq!(status("2016-11-10", Some(&s.t3)), json!("signed"));
    assert_eq!(status("2016-11-10", None), json!("signed"));
    // a date means the end of that day, UTC: everything recorded today
    let today = Utc::now().date_naive().to_string();
    assert_eq!(status("2016-11-10", Some(&today)), json!("signed"));
    // before the pact was registered, the record did not know it
    let stderr = s
        .store
        .run(&["status", "gsomia", "--as-of", "2020-01-01"])
        .fails(1);
    assert!(
        stderr.starts_with(
            "error: 'gsomia' was not registered yet as of 2020-01-01\nhint: it was registered at "
        ),
        "{stderr}"
    );
    assert_eq!(
        s.store.json(&["list", "--as-of", "2020-01-01"]),
        serde_json::json!([])
    );
    // `log` asks of one pact, as `status` and `history` do
    for command in ["history", "log"] {
        let stderr = s
            .store
            .run(&[command, "gsomia", "--as-of", "2020-01-01"])
            .fails(1);
        assert!(
            stderr.starts_with("error: 'gsomia' was not registered yet as of 2020-01-01\n"),
            "{command}: {stderr}"
        );
    }
    // the commands that ask of every pact say why they list none
    assert_eq!(
        s.store
            .redact(&s.store.ok(&["list", "--as-of", "2020-01-01"])),
        "no pacts registered in [store] as of 2020-01-01 (1 registered later)\n"
    );
    let in_force = ["list", "--on", "2020-01-01", "--status", "in_force"];
    assert_eq!(
        s.store
            .ok(&[&in_force[..], &["--as-of", "2020-01-01"]].concat()),
        "no pact is in force on 2020-01-01 as of 2020-01-01\n"
    );
    let changes = ["changes", "--from", "2016-01-01", "--to", "2024-01-01"];
    assert_eq!(
        s.store
            .ok(&[&changes[..], &["--as-of", "2020-01-01"]].concat()),
        "no status changes from 2016-01-01 to 2024-01-01 as of 2020-01-01\n"
    );
    let answer = status_as_of(&s.store, "2020-01-01", Some(&s.t1));
    assert_eq!(answer["as_of"], json!(s.t1));
    assert_eq!(answer["since"], json!("2019-11-23"));
    assert_eq!(answer["event"], json!(s.terminated));
    assert_eq!(
        status_as_of(&s.store, "2020-01-01", None)["as_of"],
        Value::Null
    );
}

#[test]
fn history_list_changes_and_log_take_as_of_too() {
    let s = scenario();
    let history = s.store.json(&["history", "gsomia", "--as-of", &s.t1]);
    assert_eq!(history["as_of"], json!(s.t1));
    let intervals: Vec<(Value, Value, Value)> = history["intervals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["status"].clone(), i["from"].clone(), i["to"].clone()))
        .collect();
    assert_eq!(
        intervals,
        vec![
            (json!("in_force"), json!("2016-11-23"), json!("2019-08-23")),
            (
                json!("termination_notified"),
                json!("2019-08-23"),
                json!("2019-11-23")
            ),
            (json!("terminated"), json!("2019-11-23"), Value::Null),
        ]
    );

    let list = s
        .store
        .json(&["list", "--on", "2020-01-01", "--as-of", &s.t1]);
    assert_eq!(list[0]["status"], json!("terminated"));
    let list = s.store.json(&["list", "--on", "2020-01-01"]);
    assert_eq!(list[0]["status"], json!("conditionally_suspended"));

    let changes = |as_of: Option<&str>| {
        let mut args = vec!["changes", "--from", "2019-01-01", "--to", "2019-12-31"];
        if let Some(w) = as_of {
            args.extend(["--as-of", w]);
        }
        s.store.json(&args)
    };
    let then = changes(Some(&s.t1));
    assert_eq!(
        then,
        json!([
            {"pact": "gsomia", "on": "2019-08-23", "from_status": "in_force", "to_status": "termination_notified", "event": then[0]["event"], "scheduled": false, "reported": false, "forced": false, "only_overlaps": false, "party": null},
            {"pact": "gsomia", "on": "2019-11-23", "from_status": "termination_notified", "to_status": "terminated", "event": s.terminated, "scheduled": false, "reported": false, "forced": false, "only_overlaps": false, "party": null},
        ])
    );
    let now = changes(None);
    let steps: Vec<(&str, &str)> = now
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["on"].as_str().unwrap(), c["to_status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("2019-08-23", "termination_notified"),
            ("2019-11-22", "conditionally_suspended")
        ]
    );

    let log = s.store.json(&["log", "gsomia", "--as-of", &s.t1]);
    assert_eq!(log.as_array().unwrap().len(), 4);
    assert_eq!(log[3]["retracted"], json!(false), "not retracted yet then");
    let log = s.store.json(&["log", "gsomia"]);
    assert_eq!(log[3]["id"], json!(s.terminated));
    assert_eq!(log[3]["retracted"], json!(true));
    assert_eq!(log[5]["kind"], json!("retraction"));
    assert_eq!(log[5]["target"], json!(s.terminated));
    assert_eq!(log[5]["reason"], json!("notice suspended"));
}

#[test]
fn log_marks_a_retracted_event_with_the_reason() {
    let s = scenario();
    let text = s.store.ok(&["log", "gsomia"]);
    let block = text
        .split("\n\n")
        .find(|b| b.contains(&s.terminated) && b.starts_with("#4"))
        .expect("the terminated event's block");
    assert!(block.starts_with("#4  status  recorded "), "{block}");
    assert!(
        block.lines().next().unwrap().ends_with("RETRACTED by #6"),
        "{block}"
    );
    assert!(block.contains("retracted  notice suspended"), "{block}");
    let retraction = text.split("\n\n").find(|b| b.starts_with("#6")).unwrap();
    assert!(
        retraction.contains(&format!("retracts  {}", s.terminated)),
        "{retraction}"
    );
    assert!(retraction.contains(&s.retraction), "{retraction}");
}

#[test]
fn errata_lists_what_changed_between_two_recorded_times_and_why() {
    let s = scenario();
    let errata = s
        .store
        .json(&["errata", "--since", &s.t1, "--until", &s.t2]);
    assert_eq!(errata["since"], json!(s.t1));
    assert_eq!(errata["until"], json!(s.t2));
    let pact = &errata["pacts"][0];
    assert_eq!(pact["pact"], json!("gsomia"));
    assert_eq!(pact["removed"].as_array().unwrap().len(), 1);
    assert_eq!(pact["removed"][0]["status"], json!("terminated"));
    assert_eq!(pact["removed"][0]["event"], json!(s.terminated));
    assert_eq!(pact["added"][0]["status"], json!("conditionally_suspended"));
    assert_eq!(pact["added"][0]["from"], json!("2019-11-22"));
    assert_eq!(pact["changed"][0]["status"], json!("termination_notified"));
    assert_eq!(pact["changed"][0]["to_before"], json!("2019-11-23"));
    assert_eq!(pact["changed"][0]["to_after"], json!("2019-11-22"));
    let kinds: Vec<&str> = pact["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["status", "retraction"]);
    assert_eq!(pact["events"][1]["reason"], json!("notice suspended"));

    let text = s.store.ok(&["errata", "--since", &s.t1, "--until", &s.t2]);
    // the statuses line up
    assert!(
        text.contains("  removed  2019-11-23 → …           terminated\n"),
        "{text}"
    );
    assert!(
        text.contains("  added    2019-11-22 → …           conditionally suspended\n"),
        "{text}"
    );
    assert!(text.contains(": notice suspended\n"), "{text}");

    // nothing recorded after t3
    let quiet = s.store.json(&["errata", "--since", &s.t3]);
    assert_eq!(quiet["pacts"], json!([]));
    assert!(
        s.store
            .ok(&["errata", "--since", &s.t3])
            .starts_with("nothing was recorded between")
    );
}

#[test]
fn a_note_about_a_day_ahead_is_marked_scheduled_as_a_status_is() {
    let store = Store::new();
    let ahead = (Local::now().date_naive() + Days::new(30)).to_string();
    store.ok(&["register", "fta", "--name", "An FTA"]);
    store.ok(&["note", "fta", "talks held", "--on", "2020-01-01"]);
    let noted = store.ok(&["note", "fta", "summit planned", "--on", &ahead]);
    assert!(
        noted.contains(&format!("note on {ahead} (scheduled)")),
        "{noted}"
    );
    let history = store.json(&["history", "fta"]);
    assert_eq!(history["notes"][0]["scheduled"], json!(false));
    assert_eq!(history["notes"][1]["scheduled"], json!(true));
    let text = store.ok(&["history", "fta"]);
    assert!(
        text.contains(&format!("{ahead}  summit planned [scheduled]")),
        "{text}"
    );
    assert!(text.contains("2020-01-01  talks held\n"), "{text}");
    let log = store.ok(&["log", "fta"]);
    assert!(
        log.contains(&format!("on {ahead} [scheduled]: summit planned")),
        "{log}"
    );
    assert!(log.contains("on 2020-01-01: talks held"), "{log}");
}

#[test]
fn a_future_status_is_scheduled_and_status_today_mentions_it() {
    let store = Store::new();
    let ahead = (Local::now().date_naive() + Days::new(400)).to_string();
    store.ok(&["register", "fta", "--name", "An FTA"]);
    store.ok(&["append", "fta", "in_force", "--on", "2012-03-15"]);
    let appended = store.ok(&["append", "fta", "expired", "--on", &ahead]);
    assert!(
        appended.contains(&format!("expired on {ahead} (scheduled)")),
        "{appended}"
    );
    let today = store.ok(&["status", "fta"]);
    assert!(
        today.lines().next().unwrap().ends_with(&format!(
            "in force since 2012-03-15; scheduled: expired on {ahead}"
        )),
        "{today}"
    );
    let answer = store.json(&["status", "fta"]);
    assert_eq!(answer["status"], json!("in_force"));
    assert_eq!(answer["scheduled"], json!(false));
    assert_eq!(
        answer["next"],
        json!({"status": "expired", "on": ahead, "scheduled": true})
    );
    let later = store.json(&["status", "fta", "--on", &ahead]);
    assert_eq!(later["status"], json!("expired"));
    assert_eq!(later["scheduled"], json!(true));
    let history = store.json(&["history", "fta"]);
    assert_eq!(history["intervals"][1]["scheduled"], json!(true));
    assert_eq!(history["intervals"][0]["scheduled"], json!(false));
    assert!(
        store
            .ok(&["history", "fta"])
            .contains("expired [scheduled]")
    );

    // the scheduled change does not happen: retract it
    let id = history["intervals"][1]["event"]
        .as_str()
        .unwrap()
        .to_owned();
    store.ok(&["retract", "fta", &id, "--reason", "notice withdrawn"]);
    let answer = store.json(&["status", "fta"]);
    assert_eq!(answer["next"], Value::Null);
    assert!(!store.ok(&["status", "fta"]).contains("scheduled"));
}

#[test]
fn answers_carry_the_head_hash_of_every_stream_they_read() {
    let store = Store::shipped();
    for pact in ["gsomia", "jp-kr-white-list"] {
        let head = store.head(pact);
        let status = store.json(&["status", pact, "--on", "2020-01-01"]);
        assert_eq!(status["head"], json!(head));
        let history = store.json(&["history", pact]);
        assert_eq!(history["head"], json!(head));
        let text = store.ok(&["status", pact, "--on", "2020-01-01"]);
        assert_eq!(text.lines().last(), Some(format!("head {head}").as_str()));
        let text = store.ok(&["history", pact, "--as-of", "2030-01-01"]);
        assert_eq!(
            text.lines().last(),
            Some(format!("head {head} (as of 2030-01-01)").as_str())
        );
    }
    let list = store.json(&["list"]);
    for row in list.as_array().unwrap() {
        assert_eq!(
            row["head"],
            json!(store.head(row["pact"].as_str().unwrap()))
        );
    }
    let text = store.ok(&["list"]);
    let heads = text.lines().last().unwrap();
    assert!(heads.starts_with("heads: gsomia "), "{heads}");
    assert!(heads.contains(&format!(
        "jp-kr-white-list {}",
        store.head("jp-kr-white-list")
    )));
}

#[test]
fn bad_time_travel_input_is_refused_and_changes_nothing() {
    let s = scenario();
    let store = &s.store;
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "retract",
                "gsomia",
                "01a225c3-2b0f-73e8-9031-a6a8d1d4c9a7",
                "--reason",
                "x",
            ],
            "error: 'gsomia' has no event 01a225c3-2b0f-73e8-9031-a6a8d1d4c9a7",
        ),
        (
            vec!["retract", "gsomia", &s.terminated, "--reason", "again"],
            "is already retracted, by event",
        ),
        (
            vec!["retract", "gsomia", &s.retraction, "--reason", "undo"],
            "is itself a retraction, which cannot be retracted",
        ),
        (
            vec!["retract", "gsomia", "not-a-uuid", "--reason", "x"],
            "error: invalid event id 'not-a-uuid'",
        ),
        (
            vec!["retract", "gsomia", &s.terminated, "--reason", "  "],
            "error: reason is empty",
        ),
        (
            vec!["status", "gsomia", "--as-of", "yesterday"],
            "error: invalid time 'yesterday'",
        ),
        (
            vec!["history", "gsomia", "--as-of", "2026-13-01T00:00:00Z"],
            "error: invalid time '2026-13-01T00:00:00Z'",
        ),
        (
            vec!["changes", "--from", "2020-01-01", "--to", "2019-01-01"],
            "error: --from 2020-01-01 is after --to 2019-01-01",
        ),
        (
            vec!["errata", "--since", &s.t2, "--until", &s.t1],
            "is after --until",
        ),
    ];
    for (args, message) in cases {
        let before = store.snapshot();
        let stderr = store.run(&args).fails(1);
        assert!(stderr.contains(message), "pactlog {args:?}: {stderr}");
        assert_eq!(
            store.snapshot(),
            before,
            "pactlog {args:?} changed the store"
        );
    }
    let registration = store.json(&["log", "gsomia"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = store.snapshot();
    let stderr = store
        .run(&["retract", "gsomia", &registration, "--reason", "x"])
        .fails(1);
    assert!(
        stderr.contains("is the registration of 'gsomia'"),
        "{stderr}"
    );
    assert_eq!(store.snapshot(), before);
}

#[test]
fn a_retraction_that_would_break_the_lifecycle_names_the_events_in_the_way() {
    let store = Store::new();
    store.ok(&["register", "p", "--name", "P"]);
    store.ok(&["append", "p", "signed", "--on", "2015-01-01"]);
    let in_force = id_of(&store.json(&["append", "p", "in_force", "--on", "2016-01-01"]));
    let notified =
        id_of(&store.json(&["append", "p", "termination_notified", "--on", "2019-01-01"]));
    let before = store.snapshot();
    let stderr = store
        .run(&["retract", "p", &in_force, "--reason", "wrong"])
        .fails(1);
    assert!(
        stderr.starts_with(&format!(
            "error: retracting event {in_force} would leave termination notified on 2019-01-01 (event {notified}) right after signed on 2015-01-01 (event "
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: retract the later event first"),
        "{stderr}"
    );
    assert_eq!(store.snapshot(), before);
}

#[test]
fn verify_refuses_a_hand_written_retraction_of_the_registration() {
    let store = Store::new().with_gsomia();
    let log = store.json(&["log", "gsomia"]);
    let registration = log[0]["id"].as_str().unwrap();
    let last = store.lines("gsomia").last().unwrap().clone();
    let line = json!({
        "v": 1, "pact": "gsomia", "seq": log.as_array().unwrap().len() + 1,
        "id": "01a225c3-2b0f-73e8-9031-a6a8d1d4c9a7", "kind": "retraction",
        "recorded": "2030-01-01T00:00:00.000000Z", "target": registration, "reason": "x",
        "prev": pactlog::Hash::of(last.as_bytes()).to_string(),
    });
    let line = pactlog::log::codec::seal(&line.to_string());
    let mut bytes = std::fs::read(store.stream("gsomia")).unwrap();
    bytes.extend_from_slice(format!("{line}\n").as_bytes());
    // one more line after it, so it is not the (forgivable) torn tail
    let next = json!({
        "v": 1, "pact": "gsomia", "seq": log.as_array().unwrap().len() + 2,
        "id": "01a225c3-2b0f-73e8-9031-a6a8d1d4c9a8", "kind": "note",
        "recorded": "2030-01-01T00:00:00.000000Z", "on": "2020-01-01", "text": "x",
        "prev": pactlog::Hash::of(line.as_bytes()).to_string(),
    });
    let next = pactlog::log::codec::seal(&next.to_string());
    bytes.extend_from_slice(format!("{next}\n").as_bytes());
    std::fs::write(store.stream("gsomia"), bytes).unwrap();
    let run = store.run(&["verify"]);
    assert_eq!(run.code, 1);
    let seq = log.as_array().unwrap().len() + 1;
    assert!(
        run.stdout.contains(&format!(
            "gsomia.jsonl:{seq}: invalid retraction: it retracts the registration"
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn as_of_in_json_is_the_instant_used_whatever_form_was_typed() {
    let store = Store::shipped();
    let today = chrono::Local::now().date_naive();
    for (typed, instant) in [
        ("today", format!("{today}T23:59:59.999999Z")),
        ("2030-01-01", "2030-01-01T23:59:59.999999Z".to_owned()),
        (
            "2030-01-01T09:00:00+09:00",
            "2030-01-01T00:00:00.000000Z".to_owned(),
        ),
        (
            "2030-01-01t00:00:00.5z",
            "2030-01-01T00:00:00.500000Z".to_owned(),
        ),
    ] {
        let status = store.json(&["status", "gsomia", "--as-of", typed]);
        assert_eq!(status["as_of"], json!(instant), "{typed}");
        let history = store.json(&["history", "gsomia", "--as-of", typed]);
        assert_eq!(history["as_of"], json!(instant), "{typed}");
        let errata = store.json(&["errata", "--since", typed, "--until", typed]);
        assert_eq!(errata["since"], json!(instant), "{typed}");
        assert_eq!(errata["until"], json!(instant), "{typed}");
        // people see what they typed
        let text = store.ok(&["history", "gsomia", "--as-of", typed]);
        let last = text.lines().last().expect("a head line");
        assert!(last.ends_with(&format!("(as of {typed})")), "{last}");
    }
}

#[test]
fn as_of_today_counts_everything_recorded_so_far_in_any_time_zone() {
    let store = Store::shipped();
    store.ok(&["note", "gsomia", "just now", "--on", "2024-01-01"]);
    let seq = store.lines("gsomia").len();
    // twelve hours behind UTC, and fourteen ahead: the local date is the
    // day before UTC's, or after it, for half of each day
    for tz in ["Etc/GMT+12", "Etc/GMT-14", "UTC"] {
        let before = Utc::now().date_naive();
        let run = store.run_with_env(
            &["log", "gsomia", "--as-of", "today", "--json"],
            &[("TZ", tz)],
        );
        let after = Utc::now().date_naive();
        assert_eq!(run.code, 0, "{tz}: {}", run.stderr);
        let log: Value = serde_json::from_str(&run.stdout).expect("JSON");
        assert_eq!(log.as_array().map(Vec::len), Some(seq), "{tz}");
        let run = store.run_with_env(
            &["status", "gsomia", "--as-of", "today", "--json"],
            &[("TZ", tz)],
        );
        let status: Value = serde_json::from_str(&run.stdout).expect("JSON");
        let as_of = status["as_of"].as_str().expect("as_of");
        assert!(
            [before, after]
                .iter()
                .any(|d| as_of == format!("{d}T23:59:59.999999Z")),
            "{tz}: {as_of}"
        );
    }
}

#[test]
fn an_as_of_in_a_leap_second_gets_one_answer_from_every_command() {
    // a stream whose events were recorded on whole seconds, made by
    // re-sealing an export's lines with those times
    let store = Store::new();
    store.ok(&["register", "n", "--name", "N"]);
    store.ok(&["append", "n", "in_force", "--on", "2000-01-01"]);
    store.ok(&["append", "n", "suspended", "--on", "2001-01-01"]);
    let mut lines = Vec::new();
    for (line, time) in store
        .lines("n")
        .iter()
        .zip(["09:00:00", "09:30:00", "10:00:00"])
    {
        let mut event = pactlog::Event::from_line(line.as_bytes()).expect("a line");
        event.recorded = chrono::DateTime::parse_from_rfc3339(&format!("2026-01-05T{time}Z"))
            .expect("a time")
            .with_timezone(&Utc);
        event.prev = lines
            .last()
            .map(|l: &String| pactlog::Hash::of(l.as_bytes()));
        lines.push(event.to_line());
    }
    let copy = Store::new();
    let files = crate::harness::Files::new();
    copy.ok(&["import", &files.write("n.jsonl", lines.join("\n") + "\n")]);
    // 09:59:60 comes before 10:00:00, when the suspension was recorded
    for when in ["2026-01-05T09:59:60Z", "2026-01-05T09:59:60.5Z"] {
        let answer = copy.json(&["status", "n", "--on", "2002-01-01", "--as-of", when]);
        assert_eq!(answer["status"], "in_force", "{when}");
        for _ in 0..2 {
            // from the streams, then from the cache
            let list = copy.json(&["list", "--on", "2002-01-01", "--as-of", when]);
            assert_eq!(list[0]["status"], "in_force", "{when}");
        }
        let _ = std::fs::remove_file(copy.path().join(".pactlog-cache"));
    }
    let at = copy.json(&[
        "list",
        "--on",
        "2002-01-01",
        "--as-of",
        "2026-01-05T10:00:00Z",
    ]);
    assert_eq!(at[0]["status"], "suspended");
}

#[test]
fn a_recorded_time_finer_than_a_microsecond_is_refused_before_anything_is_appended() {
    // a line sealed by another tool with nanoseconds, which pactlog would
    // write back, and compare, as microseconds
    let store = Store::new();
    store.ok(&["register", "n", "--name", "N"]);
    store.ok(&["append", "n", "in_force", "--on", "2000-01-01"]);
    let lines = store.lines("n");
    let recorded = lines[1].split("\"recorded\":\"").nth(1).expect("recorded");
    let recorded = &recorded[..recorded.find('"').expect("a closing quote")];
    let sealed = resealed(&lines[1], recorded, &recorded.replace('Z', "7Z"));
    std::fs::write(store.stream("n"), format!("{}\n{sealed}\n", lines[0])).expect("write");
    let before = store.snapshot();
    let stderr = store.refuses(&["append", "n", "suspended", "--on", "2001-01-01"], 1);
    assert!(
        stderr.contains("n.jsonl:2: malformed event: recorded time"),
        "{stderr}"
    );
    assert!(stderr.contains("finer than a microsecond"), "{stderr}");
    assert_eq!(store.snapshot(), before);
}
