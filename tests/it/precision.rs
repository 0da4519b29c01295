//! Effective dates known only to the month or the year, or qualified with
//! `?` or `~`: recorded as written, ordered by their earliest day, and
//! answered with how sure the answer is.

use serde_json::json;

use crate::harness::{Files, Store};

/// A white list Korea joined in 2004 (the day unknown) and left on
/// 2019-08-28.
fn white_list() -> Store {
    let store = Store::new();
    store.ok(&["register", "wl", "--name", "White list", "--party", "JP"]);
    store.ok(&["append", "wl", "in_force", "--on", "2004"]);
    store.ok(&["append", "wl", "suspended", "--on", "2019-08-28"]);
    store
}

#[test]
fn a_year_is_stored_as_written_in_the_second_format_version() {
    let store = white_list();
    let lines = store.lines("wl");
    assert!(lines[1].starts_with(r#"{"v":2,"#), "{}", lines[1]);
    assert!(lines[1].contains(r#""on":"2004","#), "{}", lines[1]);
    // a line that needs nothing new stays in the first version
    assert!(lines[0].starts_with(r#"{"v":1,"#), "{}", lines[0]);
    assert!(lines[2].starts_with(r#"{"v":1,"#), "{}", lines[2]);
    assert!(store.ok(&["verify"]).contains("ok"));
}

#[test]
fn a_day_inside_the_year_is_uncertain_and_a_day_after_it_is_not() {
    let store = white_list();
    let inside = store.json(&["status", "wl", "--on", "2004-06-01"]);
    assert_eq!(inside["status"], json!(null));
    assert_eq!(inside["certain"], json!(false));
    assert_eq!(inside["possible"], json!([null, "in_force"]));
    let text = store.ok(&["status", "wl", "--on", "2004-06-01"]);
    assert!(
        text.starts_with(
            "wl on 2004-06-01: in force, or not yet: in force in 2004, month and day unknown\n"
        ),
        "{text}"
    );

    let after = store.json(&["status", "wl", "--on", "2005-01-01"]);
    assert_eq!(after["status"], json!("in_force"));
    assert_eq!(after["since"], json!("2004"));
    assert_eq!(after["certain"], json!(true));
    assert_eq!(after["possible"], json!(["in_force"]));
    let text = store.ok(&["status", "wl", "--on", "2005-01-01"]);
    assert!(
        text.starts_with("wl on 2005-01-01: in force since 2004"),
        "{text}"
    );

    let before = store.json(&["status", "wl", "--on", "2003-12-31"]);
    assert_eq!(before["status"], json!(null));
    assert_eq!(before["certain"], json!(true));
}

#[test]
fn list_answers_from_the_cache_as_status_does_from_the_stream() {
    let store = white_list();
    for on in [
        "2003-12-31",
        "2004-01-01",
        "2004-12-31",
        "2005-01-01",
        "2019-08-28",
    ] {
        let status = store.json(&["status", "wl", "--on", on]);
        // the first list writes the cache, the second reads it
        for _ in 0..2 {
            let list = store.json(&["list", "--on", on]);
            assert_eq!(list[0]["status"], status["status"], "{on}");
            assert_eq!(list[0]["since"], status["since"], "{on}");
            assert_eq!(list[0]["certain"], status["certain"], "{on}");
        }
    }
    let text = store.ok(&["list", "--on", "2004-06-01"]);
    assert!(text.contains("wl    - [uncertain]  -  "), "{text}");
}

#[test]
fn a_qualified_date_leaves_its_status_uncertain_until_the_next() {
    let store = Store::new();
    store.ok(&["register", "p", "--name", "P"]);
    store.ok(&["append", "p", "signed", "--on", "2010-03-01"]);
    store.ok(&["append", "p", "in_force", "--on", "2011-05-01?"]);
    let answer = store.json(&["status", "p", "--on", "2015-01-01"]);
    assert_eq!(answer["status"], json!("in_force"));
    assert_eq!(answer["certain"], json!(false));
    assert_eq!(answer["possible"], json!(["signed", "in_force"]));
    assert_eq!(answer["since"], json!("2011-05-01?"));
}

#[test]
fn a_month_orders_by_its_first_day_and_a_backfill_is_checked_against_it() {
    let store = Store::new();
    store.ok(&["register", "p", "--name", "P"]);
    store.ok(&["append", "p", "in_force", "--on", "2019-07"]);
    // a status later in the same month comes after it
    store.ok(&["append", "p", "suspended", "--on", "2019-07-20"]);
    let history = store.json(&["history", "p"]);
    let intervals: Vec<_> = history["intervals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["status"].clone(), i["from"].clone(), i["to"].clone()))
        .collect();
    assert_eq!(
        intervals,
        vec![
            (json!("in_force"), json!("2019-07"), json!("2019-07-20")),
            (json!("suspended"), json!("2019-07-20"), json!(null)),
        ]
    );
    // signed, backfilled before July, may not come after in force
    let before = store.snapshot();
    let stderr = store.refuses(&["append", "p", "signed", "--on", "2019-07-10"], 1);
    assert!(
        stderr.contains("cannot go from in force (since 2019-07)"),
        "{stderr}"
    );
    assert_eq!(store.snapshot(), before);
}

#[test]
fn changes_marks_a_change_whose_date_only_overlaps_the_range() {
    let store = white_list();
    let changes = store.json(&["changes", "--from", "2004-06-01", "--to", "2004-06-30"]);
    assert_eq!(changes.as_array().unwrap().len(), 1, "{changes}");
    assert_eq!(changes[0]["on"], json!("2004"));
    assert_eq!(changes[0]["only_overlaps"], json!(true));
    let whole = store.json(&["changes", "--from", "2004-01-01", "--to", "2019-12-31"]);
    assert_eq!(whole[0]["only_overlaps"], json!(false));
    assert_eq!(whole[1]["only_overlaps"], json!(false));
    let text = store.ok(&["changes", "--from", "2004-06-01", "--to", "2004-06-30"]);
    assert!(text.contains("date only partly in the range"), "{text}");
    let none = store.json(&["changes", "--from", "2005-01-01", "--to", "2005-12-31"]);
    assert_eq!(none, json!([]));
}

#[test]
fn dates_that_are_not_of_the_subset_are_refused_and_change_nothing() {
    let store = white_list();
    let before = store.snapshot();
    for (bad, why) in [
        ("2019-13", "there is no such month"),
        ("2019-02-30", "there is no such day in the calendar"),
        ("20191", "not in the form YYYY-MM-DD, YYYY-MM or YYYY"),
        ("2019%", "one mark at most after a date"),
        ("2019?~", "one mark at most after a date"),
        ("201X", "not in the form YYYY-MM-DD, YYYY-MM or YYYY"),
        ("2019-21", "there is no such month"),
    ] {
        let stderr = store.refuses(&["append", "wl", "normalized", "--on", bad], 1);
        assert!(
            stderr.starts_with(&format!("error: invalid date '{bad}': {why}")),
            "{bad}: {stderr}"
        );
        assert!(
            stderr.contains("hint: expected a date as YYYY-MM-DD"),
            "{stderr}"
        );
        let stderr = store.refuses(&["note", "wl", "a note", "--on", bad], 1);
        assert!(stderr.contains(why), "{bad}: {stderr}");
    }
    // a query date is a day
    store.refuses(&["status", "wl", "--on", "2004"], 1);
    assert_eq!(store.snapshot(), before);
}

#[test]
fn reduced_dates_travel_through_export_and_import() {
    let store = white_list();
    store.ok(&[
        "note",
        "wl",
        "Reported as joining in spring",
        "--on",
        "2004-04~",
    ]);
    let files = Files::new();
    let jsonl = files.write("wl.jsonl", store.ok(&["export"]));
    let other = Store::new();
    other.ok(&["import", &jsonl, "--create-pacts"]);
    assert_eq!(other.lines("wl"), store.lines("wl"));

    let csv = store.ok(&["export", "--csv"]);
    assert!(csv.contains(",2004,"), "{csv}");
    let sheet = files.write("wl.csv", csv);
    let third = Store::new();
    third.ok(&["import", &sheet, "--create-pacts"]);
    let history = third.json(&["history", "wl"]);
    assert_eq!(history["intervals"][0]["from"], json!("2004"));
    assert_eq!(history["intervals"][1]["from"], json!("2019-08-28"));
}

#[test]
fn a_timeline_fades_the_stretch_a_status_may_not_have_held_yet() {
    let store = white_list();
    let svg = store.ok(&["timeline", "wl", "--svg", "-"]);
    assert_eq!(svg.matches("class=\"uncertain\"").count(), 1, "{svg}");
    assert!(
        svg.contains("data-status=\"in_force\" data-from=\"2004\""),
        "{svg}"
    );
    assert!(svg.contains("date not known to the day"), "{svg}");
    let exact = Store::new();
    exact.ok(&["register", "p", "--name", "P"]);
    exact.ok(&["append", "p", "in_force", "--on", "2004-03-01"]);
    let svg = exact.ok(&["timeline", "p", "--svg", "-"]);
    assert!(!svg.contains("class=\"uncertain\""), "{svg}");
    assert!(!svg.contains("date not known to the day"), "{svg}");
}

#[test]
fn a_timeline_gives_the_end_of_a_stretch_as_precise_as_it_is_known() {
    let store = Store::new();
    store.ok(&["register", "p", "--name", "P", "--party", "US"]);
    store.ok(&["append", "p", "in_force", "--on", "2002"]);
    store.ok(&[
        "append",
        "p",
        "withdrawn",
        "--on",
        "2020-11",
        "--party",
        "US",
    ]);
    let svg = store.ok(&["timeline", "p", "--parties", "--svg", "-"]);
    assert!(
        svg.contains("data-from=\"2002\" data-to=\"2020-11\""),
        "{svg}"
    );
    assert!(svg.contains("in force from 2002 to 2020-11"), "{svg}");
    assert!(
        svg.contains("<title id=\"chart-title\">Status of p from"),
        "{svg}"
    );
}

#[test]
fn history_aligns_remarks_and_notes_whose_dates_are_known_to_the_year() {
    let store = Store::new();
    store.ok(&["register", "wl", "--name", "White list"]);
    store.ok(&[
        "append", "wl", "in_force", "--on", "2004", "--note", "added",
    ]);
    store.ok(&[
        "append",
        "wl",
        "suspended",
        "--on",
        "2019-08-28",
        "--note",
        "removed",
    ]);
    store.ok(&["note", "wl", "talks", "--on", "2019", "--source", "Kyodo"]);
    store.ok(&["note", "wl", "more talks", "--on", "2019-09-01"]);
    let history = store.ok(&["history", "wl"]);
    let tail: Vec<&str> = history
        .lines()
        .skip_while(|l| *l != "REMARKS")
        .take_while(|l| !l.starts_with("head "))
        .collect();
    assert_eq!(
        tail,
        [
            "REMARKS",
            "2004        in force: added",
            "2019-08-28  suspended: removed",
            "",
            "NOTES",
            "2019        talks",
            "            Kyodo",
            "2019-09-01  more talks",
            "",
        ],
        "{history}"
    );
}

#[test]
fn a_timeline_legend_gives_each_key_room_for_its_text() {
    let store = white_list();
    store.ok(&["note", "wl", "a note", "--on", "2010-01-01"]);
    let svg = store.ok(&["timeline", "wl", "--svg", "-"]);
    let doc = roxmltree::Document::parse(&svg).expect("an SVG");
    let legend = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("legend"))
        .expect("a legend");
    let mut keys: Vec<(f64, f64, usize)> = legend
        .children()
        .filter(|n| n.has_tag_name("text"))
        .map(|t| {
            let at = |a: &str| {
                t.attribute(a)
                    .expect("x and y")
                    .parse::<f64>()
                    .expect("a number")
            };
            (
                at("y"),
                at("x"),
                t.text().unwrap_or_default().chars().count(),
            )
        })
        .collect();
    keys.sort_by(|a, b| a.partial_cmp(b).expect("numbers"));
    assert!(
        keys.iter()
            .any(|k| k.2 == "date not known to the day".len())
    );
    for pair in keys.windows(2) {
        let ((y, x, letters), (next_y, next_x, _)) = (pair[0], pair[1]);
        if y == next_y {
            // about 6 units a letter at the legend's size
            assert!(next_x - x >= letters as f64 * 6.0, "{keys:?}");
        }
    }
}
