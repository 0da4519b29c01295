//! Citations: a source added to an earlier status or note, an official one
//! confirming a status known only from reports.

use serde_json::json;

use crate::harness::Store;

/// A pact whose entry into force is known only from a press report.
fn reported() -> (Store, String) {
    let store = Store::new();
    store.ok(&["register", "p", "--name", "P"]);
    let event = store.json(&[
        "append",
        "p",
        "in_force",
        "--on",
        "2020-01-01",
        "--reported",
        "--source",
        "Yonhap: the pact takes effect",
    ]);
    (store, event["id"].as_str().unwrap().to_owned())
}

#[test]
fn an_official_citation_confirms_a_reported_status_everywhere() {
    let (store, id) = reported();
    let reported = |store: &Store| {
        let status = store.json(&["status", "p", "--on", "2021-01-01"]);
        let list = store.json(&["list", "--on", "2021-01-01"]);
        let history = store.json(&["history", "p"]);
        let changes = store.json(&["changes", "--from", "2020-01-01", "--to", "2020-12-31"]);
        [
            status["reported"].clone(),
            list[0]["reported"].clone(),
            history["intervals"][0]["reported"].clone(),
            changes[0]["reported"].clone(),
        ]
    };
    assert_eq!(
        reported(&store),
        std::array::from_fn::<_, 4, _>(|_| json!(true))
    );
    // an unofficial source changes nothing
    store.ok(&["cite", "p", &id, "--source", "Kyodo: it took effect"]);
    assert_eq!(
        reported(&store),
        std::array::from_fn::<_, 4, _>(|_| json!(true))
    );
    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let cited = store.json(&[
        "cite",
        "p",
        &id,
        "--source",
        "Official Gazette: Notice no. 1",
        "--url",
        "https://example.org/gazette/1",
        "--official",
    ]);
    assert_eq!(cited["kind"], json!("citation"));
    assert_eq!(cited["official"], json!(true));
    assert_eq!(
        reported(&store),
        std::array::from_fn::<_, 4, _>(|_| json!(false))
    );
    // as the record stood before, it was reported
    let then = store.json(&["status", "p", "--on", "2021-01-01", "--as-of", &before]);
    assert_eq!(then["reported"], json!(true));
    // the line is of format version 2, and the stream verifies
    let lines = store.lines("p");
    assert!(lines.last().unwrap().starts_with(r#"{"v":2,"#));
    assert!(store.ok(&["verify"]).contains("ok"));
    // withdrawing the citation withdraws the confirmation
    let citation = cited["id"].as_str().unwrap();
    store.ok(&["retract", "p", citation, "--reason", "wrong notice"]);
    assert_eq!(
        reported(&store),
        std::array::from_fn::<_, 4, _>(|_| json!(true))
    );
}

#[test]
fn a_citation_of_what_cannot_be_cited_is_refused_and_changes_nothing() {
    let (store, id) = reported();
    let log = store.json(&["log", "p"]);
    let registration = log[0]["id"].as_str().unwrap().to_owned();
    let retraction = store.json(&["retract", "p", &id, "--reason", "in error"]);
    let before = store.snapshot();
    for (target, why) in [
        (
            "01a241f8-8b44-7570-9d30-81672f4be650",
            "error: 'p' has no event",
        ),
        (
            registration.as_str(),
            "a registered, which is not a status or a note to cite",
        ),
        (
            retraction["id"].as_str().unwrap(),
            "a retraction, which is not a status or a note",
        ),
        (id.as_str(), "retracted: it cannot be cited"),
    ] {
        let stderr = store.refuses(&["cite", "p", target, "--source", "S"], 1);
        assert!(stderr.contains(why), "{target}: {stderr}");
        assert!(
            stderr.contains("hint: a citation adds a source"),
            "{stderr}"
        );
    }
    store.refuses(&["cite", "p", "not-an-id", "--source", "S"], 1);
    store.refuses(&["cite", "p", &id, "--source", "  "], 1);
    store.refuses(&["cite", "p", &id, "--source", "S", "--url", "ftp://x"], 1);
    store.refuses(&["cite", "p", &id], 2);
    assert_eq!(store.snapshot(), before);
}

#[test]
fn answers_give_every_source_of_an_event_its_citations_after_its_own() {
    let (store, id) = reported();
    let note = store.json(&["note", "p", "Talks", "--on", "2020-02-01"]);
    let note = note["id"].as_str().unwrap();
    store.ok(&[
        "cite",
        "p",
        &id,
        "--source",
        "Official Gazette: Notice no. 1",
        "--url",
        "https://example.org/gazette/1",
        "--official",
    ]);
    store.ok(&["cite", "p", note, "--source", "Kyodo: talks held"]);
    let expected = json!([
        {"source": "Yonhap: the pact takes effect", "url": null, "official": false},
        {"source": "Official Gazette: Notice no. 1", "url": "https://example.org/gazette/1", "official": true},
    ]);
    let status = store.json(&["status", "p", "--on", "2021-01-01"]);
    assert_eq!(status["sources"], expected);
    // the first source stays in source and url
    assert_eq!(status["source"], json!("Yonhap: the pact takes effect"));
    let history = store.json(&["history", "p"]);
    assert_eq!(history["intervals"][0]["sources"], expected);
    assert_eq!(
        history["notes"][0]["sources"],
        json!([{"source": "Kyodo: talks held", "url": null, "official": false}])
    );
    let text = store.ok(&["status", "p", "--on", "2021-01-01"]);
    assert!(
        text.contains(
            "  cited   Official Gazette: Notice no. 1 <https://example.org/gazette/1> [official]\n"
        ),
        "{text}"
    );
    // the sheet of history --csv keeps its columns
    let csv = store.ok(&["history", "p", "--csv"]);
    assert!(
        csv.starts_with("status,from,to,event,source,url,note,reported,forced,scheduled\n"),
        "{csv}"
    );
}

#[test]
fn a_source_cited_already_is_refused_unless_it_now_confirms() {
    let (store, id) = reported();
    let cite = |official: bool| {
        let mut args = vec!["cite", "p", &id, "--source", "Kyodo: it took effect"];
        if official {
            args.push("--official");
        }
        store.run(&args)
    };
    assert_eq!(cite(false).code, 0);
    let before = store.snapshot();
    let again = cite(false);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("with that source already"),
        "{}",
        again.stderr
    );
    assert_eq!(store.snapshot(), before);
    // the same source, now as official, confirms the status
    assert_eq!(cite(true).code, 0);
    assert_eq!(cite(true).code, 1);
    let status = store.json(&["status", "p", "--on", "2021-01-01"]);
    assert_eq!(status["reported"], json!(false));
    // the event's own source is one of its sources
    let own = store.run(&[
        "cite",
        "p",
        &id,
        "--source",
        "Yonhap: the pact takes effect",
    ]);
    assert_eq!(own.code, 1, "{}", own.stderr);
}

#[test]
fn log_marks_a_cited_event_retracted_only_when_a_retraction_withdraws_it() {
    let (store, id) = reported();
    store.ok(&["cite", "p", &id, "--source", "Gazette: the text"]);
    let retracted = |store: &Store| -> Vec<(String, bool)> {
        let log = store.json(&["log", "p"]);
        log.as_array()
            .expect("events")
            .iter()
            .map(|e| {
                (
                    e["kind"].as_str().unwrap().to_owned(),
                    e["retracted"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let kinds = |list: &[(&str, bool)]| -> Vec<(String, bool)> {
        list.iter().map(|(k, r)| ((*k).to_owned(), *r)).collect()
    };
    assert_eq!(
        retracted(&store),
        kinds(&[
            ("registered", false),
            ("status", false),
            ("citation", false)
        ])
    );
    assert!(!store.ok(&["log", "p"]).contains("retracted"));
    // retracted after it was cited: the retraction, not the citation, says so
    store.ok(&["retract", "p", &id, "--reason", "not so"]);
    assert_eq!(
        retracted(&store),
        kinds(&[
            ("registered", false),
            ("status", true),
            ("citation", false),
            ("retraction", false)
        ])
    );
    let text = store.ok(&["log", "p"]);
    assert!(text.contains("retracted  not so"), "{text}");
}
