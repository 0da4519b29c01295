//! One grammar of effective dates: what `append --on` refuses, a CSV row and
//! a JSON Lines line are refused too, in the same words, so that a store
//! holds no date that its own CSV export could not bring back.

use insta::assert_snapshot;

use crate::harness::{Files, Store, resealed};

/// Dates that chrono's general parser reads but `YYYY-MM-DD` is not.
const NOT_DATES: [&str; 4] = ["+10000-01-01", "-0001-01-01", "2016-1-1", " 2016-01-01"];

/// A store holding `x`, registered and signed on 2016-01-01.
fn signed() -> Store {
    let store = Store::new();
    store.ok(&["register", "x", "--name", "X"]);
    store.ok(&["append", "x", "signed", "--on", "2016-01-01"]);
    store
}

#[test]
fn a_json_lines_line_with_a_date_append_refuses_is_refused_naming_it_and_writes_nothing() {
    // a store holding the registration alone, which the file's lines go on from
    let registered = Store::new();
    registered.ok(&["register", "x", "--name", "X"]);
    let store = signed();
    let files = Files::new();
    let start = files.write("start.jsonl", registered.ok(&["export"]));
    let export = store.ok(&["export"]);
    let lines: Vec<&str> = export.lines().collect();
    let mut refusals = Vec::new();
    for (n, date) in NOT_DATES.iter().enumerate() {
        let line = resealed(
            lines[1],
            "\"on\":\"2016-01-01\"",
            &format!("\"on\":\"{date}\""),
        );
        let file = files.write(&format!("d{n}.jsonl"), format!("{}\n{line}\n", lines[0]));
        // into a new store, and into one the file would add a line to
        let fresh = Store::new();
        let stderr = files.redact(&fresh.refuses(&["import", &file], 1));
        assert!(fresh.snapshot().is_empty(), "nothing was written");
        let known = Store::new();
        known.ok(&["import", &start]);
        let again = files.redact(&known.refuses(&["import", &file], 1));
        assert_eq!(again, stderr);
        refusals.push(stderr);
    }
    assert_snapshot!(refusals.join("---\n"), @"
    error: d0.jsonl:2: malformed event: invalid date '+10000-01-01': not in the form YYYY-MM-DD, YYYY-MM or YYYY (column 164)
    ---
    error: d1.jsonl:2: malformed event: invalid date '-0001-01-01': not in the form YYYY-MM-DD, YYYY-MM or YYYY (column 163)
    ---
    error: d2.jsonl:2: malformed event: invalid date '2016-1-1': not in the form YYYY-MM-DD, YYYY-MM or YYYY (column 160)
    ---
    error: d3.jsonl:2: malformed event: invalid date ' 2016-01-01': not in the form YYYY-MM-DD, YYYY-MM or YYYY (column 163)
    ");
}

#[test]
fn append_on_and_a_csv_row_refuse_the_same_dates_in_the_same_words() {
    let store = signed();
    let files = Files::new();
    let mut refusals = Vec::new();
    for date in &NOT_DATES[..3] {
        let on = store.refuses(&["append", "x", "in_force", &format!("--on={date}")], 1);
        refusals.push(on.clone());
        let csv = files.write("rows.csv", format!("pact,status,on\nx,in_force,{date}\n"));
        let row = files.redact(&store.refuses(&["import", &csv], 1));
        // the same message and hint, after the row it is on
        assert_eq!(row, on.replacen("error: ", "error: rows.csv:2: ", 1));
    }
    assert_snapshot!(refusals.join("---\n"), @"
    error: invalid date '+10000-01-01': not in the form YYYY-MM-DD, YYYY-MM or YYYY
    hint: expected a date as YYYY-MM-DD or 'today', or YYYY-MM or YYYY when only that is known, perhaps followed by ? (unsure) or ~ (approximate): 2019-08-23, 2019-07, 2004~
    ---
    error: invalid date '-0001-01-01': not in the form YYYY-MM-DD, YYYY-MM or YYYY
    hint: expected a date as YYYY-MM-DD or 'today', or YYYY-MM or YYYY when only that is known, perhaps followed by ? (unsure) or ~ (approximate): 2019-08-23, 2019-07, 2004~
    ---
    error: invalid date '2016-1-1': not in the form YYYY-MM-DD, YYYY-MM or YYYY
    hint: expected a date as YYYY-MM-DD or 'today', or YYYY-MM or YYYY when only that is known, perhaps followed by ? (unsure) or ~ (approximate): 2019-08-23, 2019-07, 2004~
    ");
    // spaces a person typed around a date are no part of it: the line
    // holds the date alone
    store.ok(&["append", "x", "in_force", "--on", " 2017-01-01 "]);
    let csv = files.write("rows.csv", "pact,status,on\nx,suspended, 2018-01-01 \n");
    store.ok(&["import", &csv]);
    let lines = store.lines("x");
    assert!(lines[2].contains("\"on\":\"2017-01-01\""), "{}", lines[2]);
    assert!(lines[3].contains("\"on\":\"2018-01-01\""), "{}", lines[3]);
}

#[test]
fn dates_at_the_ends_of_the_grammar_go_out_and_come_back_by_either_export() {
    let store = Store::new();
    store.ok(&["register", "x", "--name", "X"]);
    for (status, on) in [
        ("signed", "0000-01-01"),
        ("in_force", "2020-02-29"),
        ("terminated", "9999-12-31"),
    ] {
        store.ok(&["append", "x", status, "--on", on]);
    }
    store.ok(&["note", "x", "a remark", "--on", "0001-01-01"]);
    let files = Files::new();
    let jsonl = files.write("all.jsonl", store.ok(&["export"]));
    let copy = Store::new();
    copy.ok(&["import", &jsonl]);
    assert_eq!(copy.snapshot(), store.snapshot());

    let csv = store.ok(&["export", "--csv"]);
    for on in ["0000-01-01", "2020-02-29", "9999-12-31"] {
        assert!(csv.contains(&format!(",{on},")), "{on} in {csv}");
    }
    let csv = files.write("all.csv", csv);
    let rows = Store::new();
    rows.ok(&["import", &csv, "--create-pacts"]);
    // the same statuses on the same days, recorded anew
    let history = |s: &Store| {
        let mut intervals = s.json(&["history", "x"])["intervals"].clone();
        for interval in intervals.as_array_mut().expect("intervals") {
            interval["event"] = serde_json::Value::Null;
        }
        intervals
    };
    assert_eq!(history(&rows), history(&store));
}
