//! CSV cells a spreadsheet would run as formulas: every CSV pactlog writes
//! puts a `'` before such a cell, and `import` takes it off, so that a
//! sheet from `export --csv` imports back exactly what was exported.

use serde_json::Value;

use crate::harness::{Files, Store};

/// The characters a spreadsheet begins a formula with.
const FORMULA: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A pact name, as a hostile hand would give it.
const NAME: &str = "=HYPERLINK(\"https://example.org\",\"click\")";

/// A status, its date, source and note.
type Step = (&'static str, &'static str, &'static str, &'static str);

/// Each pact's id, name and statuses. The names, sources and notes begin
/// formulas, begin with `'` before one (as `export --csv` writes them), or
/// are plain numbers and text that need nothing.
const STEPS: [(&str, &str, &[Step]); 3] = [
    (
        "hostile",
        NAME,
        &[
            ("signed", "2001-01-01", "+cmd|' /C calc'!A0", "@SUM(A1)"),
            ("in_force", "2002-01-01", "'-already quoted", "-5"),
            ("suspended", "2003-01-01", "''@twice quoted", "+3.2"),
            ("terminated", "2004-01-01", "-2+3", "'Tis the season"),
        ],
    ),
    (
        "quoted",
        "'=quoted already",
        &[("signed", "2005-06-07", "Kyodo", "'=SUM(A1)")],
    ),
    ("number", "-5", &[("proposed", "2006-01-01", "=1", "-")]),
];

/// A store holding the pacts of [`STEPS`].
fn hostile() -> Store {
    let store = Store::new();
    for (id, name, steps) in STEPS {
        store.ok(&["register", id, &format!("--name={name}")]);
        for (status, on, source, note) in steps {
            store.ok(&[
                "append",
                id,
                status,
                "--on",
                on,
                &format!("--source={source}"),
                &format!("--note={note}"),
            ]);
        }
    }
    store
}

/// Whether `text` is a plain number, such as `-5` or `+3.2`.
fn plain_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    unsigned.chars().any(|c| c.is_ascii_digit())
        && unsigned.chars().all(|c| c.is_ascii_digit() || c == '.')
        && unsigned.matches('.').count() <= 1
}

/// The records of a CSV, the header row first.
fn records(csv: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes())
        .records()
        .map(|r| {
            r.expect("an RFC 4180 record")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// The cells of `column` in a CSV's records.
fn column(records: &[Vec<String>], name: &str) -> Vec<String> {
    let at = records[0]
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", records[0]));
    records[1..].iter().map(|r| r[at].clone()).collect()
}

/// Checks that no cell of a CSV would begin a formula, but a plain number.
fn runs_nothing(csv: &str) {
    for record in records(csv) {
        for cell in record {
            let runs = cell.starts_with(FORMULA) && !plain_number(&cell);
            assert!(!runs, "{cell:?} in {csv}");
        }
    }
}

#[test]
fn the_rule_quotes_what_a_spreadsheet_would_run_and_leaves_numbers_and_dates() {
    for (text, cell) in [
        ("=1", "'=1"),
        ("'=1", "''=1"),
        ("-2+3", "'-2+3"),
        ("-", "'-"),
        ("-5", "-5"),
        ("+3.2", "+3.2"),
        ("2019-08-23", "2019-08-23"),
        ("'Tis", "'Tis"),
    ] {
        assert_eq!(pactlog::transfer::cell::defuse(text), cell);
    }
}

#[test]
fn export_csv_puts_a_quote_before_a_name_source_or_note_that_begins_a_formula() {
    let store = hostile();
    let csv = store.ok(&["export", "--csv"]);
    runs_nothing(&csv);
    let rows = records(&csv);
    // the pacts in id order: hostile, number, quoted
    let hyperlink = format!("'{NAME}");
    assert_eq!(
        column(&rows, "name"),
        [
            &hyperlink,
            &hyperlink,
            &hyperlink,
            &hyperlink,
            "-5",
            "''=quoted already"
        ]
    );
    assert_eq!(
        column(&rows, "source"),
        [
            "'+cmd|' /C calc'!A0",
            "''-already quoted",
            "'''@twice quoted",
            "'-2+3",
            "'=1",
            "Kyodo"
        ]
    );
    assert_eq!(
        column(&rows, "note"),
        [
            "'@SUM(A1)",
            "-5",
            "+3.2",
            "'Tis the season",
            "'-",
            "''=SUM(A1)"
        ]
    );
}

#[test]
fn history_list_and_changes_csv_quote_the_same_cells() {
    let store = hostile();
    let history = store.ok(&["history", "hostile", "--csv"]);
    runs_nothing(&history);
    let rows = records(&history);
    assert_eq!(
        column(&rows, "source"),
        [
            "'+cmd|' /C calc'!A0",
            "''-already quoted",
            "'''@twice quoted",
            "'-2+3"
        ]
    );
    assert_eq!(
        column(&rows, "note"),
        ["'@SUM(A1)", "-5", "+3.2", "'Tis the season"]
    );

    let list = store.ok(&["list", "--csv"]);
    runs_nothing(&list);
    assert_eq!(
        column(&records(&list), "name"),
        [format!("'{NAME}"), "-5".into(), "''=quoted already".into()]
    );

    let changes = store.ok(&[
        "changes",
        "--from",
        "2000-01-01",
        "--to",
        "2010-01-01",
        "--csv",
    ]);
    runs_nothing(&changes);
    assert_eq!(records(&changes).len(), 1 + 4 + 1 + 1);
}

/// What `history --json` says of a pact, but the ids of its events.
fn history(store: &Store, id: &str) -> Value {
    let mut history = store.json(&["history", id]);
    for interval in history["intervals"].as_array_mut().expect("intervals") {
        interval["event"] = Value::Null;
    }
    history["head"] = Value::Null;
    history
}

#[test]
fn a_csv_export_imports_into_a_new_store_as_exactly_what_was_exported() {
    let store = hostile();
    let files = Files::new();
    let csv = files.write("hostile.csv", store.ok(&["export", "--csv"]));
    let copy = Store::new();
    copy.ok(&["import", &csv, "--create-pacts"]);
    for (id, name, steps) in STEPS {
        let history = history(&copy, id);
        assert_eq!(history, self::history(&store, id), "{id}");
        // and what that is, spelled out
        assert_eq!(history["name"], name);
        let intervals = history["intervals"].as_array().expect("intervals");
        for (interval, (_, _, source, note)) in intervals.iter().zip(steps) {
            assert_eq!(
                (&interval["source"], &interval["note"]),
                (&Value::from(*source), &Value::from(*note))
            );
        }
    }
    copy.ok(&["verify"]);
    // and back into the store it came from, every row is an event it holds
    let before = store.snapshot();
    let run = store.ok(&["import", &csv, "--json"]);
    let report: Value = serde_json::from_str(&run).expect("JSON");
    assert_eq!(
        (&report["events"], &report["skipped"]),
        (&0.into(), &6.into())
    );
    assert_eq!(store.snapshot(), before);
}

#[test]
fn a_hand_made_csv_may_quote_a_cell_as_a_spreadsheet_shows_it() {
    let store = Store::new();
    let files = Files::new();
    let csv = files.write(
        "sheet.csv",
        "pact,name,status,on,source,note\n\
         x,'=X,signed,2001-01-01,'+wire,'Tis\n",
    );
    store.ok(&["import", &csv, "--create-pacts"]);
    let history = store.json(&["history", "x"]);
    assert_eq!(history["name"], "=X");
    let interval = &history["intervals"][0];
    assert_eq!(interval["source"], "+wire");
    // a quote before anything but a formula is the cell's own
    assert_eq!(interval["note"], "'Tis");
}
