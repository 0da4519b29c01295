//! Spreadsheets in and out: CSV rows in any order, notes, parties and
//! metadata, every bad row named at once, and a sheet exported and
//! imported back.

use serde_json::{Value, json};

use crate::harness::{Files, Store};

/// A record of two pacts as a sheet holds it, in date order: statuses of
/// the pacts and of parties, notes, dates known to the year or month, two
/// statuses on one day (whose order is the file's), and metadata given on
/// some rows only, or repeated.
const SHEET: &str = "\
pact,kind,status,on,party,source,url,note,reported,forced,name,aliases,parties,pact_kind,description
skies,,signed,1992-03-24,,OSCE,https://www.osce.org/who/timeline/1990s/06,Signed in Helsinki,,,Treaty on Open Skies,open-skies,US;RU,treaty,
skies,,ratified,1993,US,,,,,,,,,,
skies,,in_force,2002-01-01,,OSCE,,,no,,Treaty on Open Skies,,,,
skies,note,,2020-05-21,US,State Department,,The United States announces it will withdraw,,,,,,,
skies,,withdrawn,2020-11-22,US,,,,,,,,US;RU,,
skies,,withdrawn,2021-12-18,RU,,,,yes,,,,,,
draft,,proposed,2001-06,,,,,,,A draft,,,,Proposed and withdrawn the same day
draft,,withdrawn,2001-06-15,,,,,,,,,,,
draft,,signed,2001-06-15,,,,Signed after all,,,,,,,
draft,note,,2001-06-15,,,,Talks end,,,,,,,
";

/// The rows of `sheet` after its header.
fn rows(sheet: &str) -> (&str, Vec<&str>) {
    let mut lines = sheet.lines();
    let header = lines.next().expect("a header");
    (header, lines.collect())
}

/// A sheet of `header` and `rows`.
fn sheet(header: &str, rows: &[&str]) -> String {
    let mut sheet = format!("{header}\n");
    for row in rows {
        sheet.push_str(row);
        sheet.push('\n');
    }
    sheet
}

/// Everything the record answers of `pacts`, but for event ids and
/// heads: each history (the pact's and each party's), with notes.
fn answers(store: &Store, pacts: &[(&str, &[&str])]) -> Vec<Value> {
    let mut answers = Vec::new();
    for (pact, parties) in pacts {
        let asked = std::iter::once(None).chain(parties.iter().map(Some));
        for party in asked {
            let mut args = vec!["history", pact];
            if let Some(party) = party {
                args.extend(["--party", party]);
            }
            let mut history = store.json(&args);
            strip(&mut history);
            answers.push(history);
        }
    }
    answers
}

/// `value` without its event ids, heads and seqs, which differ from store
/// to store.
fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in ["event", "head", "seq"] {
                map.remove(key);
            }
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

const PACTS: [(&str, &[&str]); 2] = [("skies", &["US", "RU"]), ("draft", &[])];

#[test]
fn a_sheet_in_any_order_imports_to_the_same_histories() {
    let files = Files::new();
    let (header, in_order) = rows(SHEET);
    let original = Store::new();
    original.ok(&[
        "import",
        &files.write("in-order.csv", SHEET),
        "--create-pacts",
    ]);
    let expected = answers(&original, &PACTS);
    // each pact's rows keep their order among themselves where they share
    // a day: only rows of different days move
    let newest_first: Vec<&str> = {
        let by_pact: Vec<Vec<&str>> = vec![in_order[..6].to_vec(), in_order[6..].to_vec()];
        let mut rows = Vec::new();
        for pact in &by_pact {
            // the last day's rows, in file order, first
            let days: Vec<&str> = pact.iter().map(|r| r.split(',').nth(3).unwrap()).collect();
            let mut order: Vec<usize> = (0..pact.len()).collect();
            order.sort_by(|&a, &b| days[b].cmp(days[a]).then(a.cmp(&b)));
            rows.extend(order.into_iter().map(|i| pact[i]));
        }
        rows
    };
    let interleaved: Vec<&str> = (0..6)
        .flat_map(|i| [in_order.get(6 + i), in_order.get(i)])
        .flatten()
        .copied()
        .collect();
    // a fixed shuffle that keeps the draft's three 2001-06-15 rows in order
    let shuffled: Vec<&str> = [4, 7, 0, 9, 2, 6, 5, 1, 8, 3]
        .iter()
        .map(|&i| in_order[i])
        .collect();
    for (name, rows) in [
        ("newest-first.csv", newest_first),
        ("interleaved.csv", interleaved),
        ("shuffled.csv", shuffled),
    ] {
        assert_eq!(rows.len(), in_order.len(), "{name}");
        let path = files.write(name, sheet(header, &rows));
        let store = Store::new();
        let imported = store.json(&["import", &path, "--create-pacts"]);
        assert_eq!(imported["events"], 10, "{name}");
        assert_eq!(answers(&store, &PACTS), expected, "{name}");
        store.ok(&["verify"]);
    }
    // the party's withdrawal is there, after the treaty entered into force
    let us = original.json(&["status", "skies", "--party", "US", "--on", "2021-01-01"]);
    assert_eq!(us["status"], "withdrawn");
    let ru = original.json(&["status", "skies", "--party", "RU", "--on", "2021-01-01"]);
    assert_eq!(ru["status"], "in_force");
    // and the draft's day kept the file's order: withdrawn, then signed
    let draft = original.json(&["status", "draft", "--on", "2001-06-30"]);
    assert_eq!(draft["status"], "signed");
    assert_eq!(draft["since"], "2001-06-15");
}

#[test]
fn rows_of_one_day_keep_the_order_of_the_file() {
    let files = Files::new();
    let store = Store::new();
    // reversed, the second try comes before the withdrawal: proposed twice
    let sheet =
        "pact,status,on\nd,proposed,2001-06-01\nd,proposed,2001-06-15\nd,withdrawn,2001-06-15\n";
    let stderr = files.redact(&store.refuses(
        &["import", &files.write("day.csv", sheet), "--create-pacts"],
        1,
    ));
    assert!(
        stderr.starts_with("error: day.csv:3: 'd' is already proposed on 2001-06-15"),
        "{stderr}"
    );
    assert!(store.snapshot().is_empty());
}

/// Rows of 200 new pacts (named by `id`), ten each in date order with
/// long notes, each row ending in `rest`: enough lines that an import
/// writes them out while it reads the sheet.
fn written_out_early(id: impl Fn(usize) -> String, rest: &str) -> String {
    let note = "n".repeat(3000);
    let mut rows = String::new();
    for p in 0..200 {
        for year in 2002..2012 {
            let status = if year % 2 == 0 {
                "in_force"
            } else {
                "suspended"
            };
            rows.push_str(&format!("{},{status},{year}-01-01,{note}{rest}\n", id(p)));
        }
    }
    rows
}

#[test]
fn a_pact_whose_rows_are_held_after_its_lines_were_staged_comes_out_whole() {
    // many new pacts with long notes, each of ten rows in date order, so
    // that their lines are written out while the sheet is read; then a row
    // for the first pact, dated before its others: its stream is made
    // again from the start, the lines written out taken back
    let files = Files::new();
    let mut csv = String::from("pact,status,on,note\n");
    csv.push_str(&written_out_early(|p| format!("p{p}"), ""));
    csv.push_str("p0,signed,2001-01-01,the signature\n");
    let store = Store::new();
    let sheet = files.write("late.csv", csv);
    // a dry run sets the lines aside and takes them back as well, and
    // writes nothing
    let dry = store.json(&["import", &sheet, "--create-pacts", "--dry-run"]);
    assert_eq!(
        (&dry["events"], &dry["created"]),
        (&json!(2001), &json!(200))
    );
    let p0 = dry["by_pact"]
        .as_array()
        .expect("pacts")
        .iter()
        .find(|p| p["pact"] == "p0");
    assert_eq!(p0.expect("p0")["events"], 12);
    assert!(store.snapshot().is_empty(), "nothing written");
    let imported = store.json(&["import", &sheet, "--create-pacts"]);
    assert_eq!(imported["events"], 2001);
    let history = store.json(&["history", "p0"]);
    let statuses: Vec<&Value> = history["intervals"]
        .as_array()
        .expect("intervals")
        .iter()
        .map(|i| &i["status"])
        .collect();
    assert_eq!(statuses.len(), 11);
    assert_eq!(statuses[..3], ["signed", "in_force", "suspended"]);
    assert_eq!(store.lines("p0").len(), 12);
    assert_eq!(store.lines("p1").len(), 11);
    store.ok(&["verify"]);
}

#[test]
fn every_kind_of_bad_row_is_named_and_nothing_is_written() {
    let files = Files::new();
    let store = Store::new();
    store.ok(&["register", "known", "--name", "Known", "--party", "US"]);
    let before = store.snapshot();
    // a bad row of each kind, among good ones, in one sheet
    let sheet = "\
pact,kind,status,on,party,note,parties,name
known,,signed,2001-01-01,,,,
known,,in_force,2002-01-01,,,,,too many
known,letter,,2002-02-01,,,,
known,note,,2002-03-01,,,,
known,note,,2002-04-01,UK,a note,,
fresh,,signed,2003-01-01,,,A;;B,
fresh,,signed,2004-01-01,,,,Fresh
fresh,,in_force,2005-01-01,,,,Stale
known,,in_force,2002-01-01,,,,
known,,signed,2006-01-01,,\"unterminated
";
    let path = files.write("bad.csv", sheet);
    for dry_run in [false, true] {
        let mut args = vec!["import", path.as_str(), "--create-pacts"];
        if dry_run {
            args.push("--dry-run");
        }
        let stderr = files.redact(&store.refuses(&args, 1));
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(
            errors,
            [
                "error: bad.csv:3: the row has 9 fields where the header has 8",
                "error: bad.csv:4: 'kind' is 'letter', not status or note",
                "error: bad.csv:5: the 'note' cell is empty, and a note row needs it",
                "error: bad.csv:6: 'UK' is not a party to 'known'",
                "error: bad.csv:7: 'parties' is 'A;;B', which has an empty item (items are \
                 separated by ';')",
                "error: bad.csv:9: the row gives 'fresh' name \"Stale\", but line 8 gives \"Fresh\"",
                "error: bad.csv:11: a quote opened on this row is not closed by the end of the \
                 file",
                "error: 7 bad rows in bad.csv; nothing was imported",
            ],
            "dry run: {dry_run}\n{stderr}"
        );
        assert_eq!(store.snapshot(), before, "nothing written");
    }
}

#[test]
fn a_sheet_without_a_pact_or_on_column_is_refused_on_its_header() {
    let files = Files::new();
    let store = Store::new();
    for (header, column) in [("status,on", "pact"), ("pact,status", "on")] {
        let path = files.write("header.csv", format!("{header}\nx,signed\n"));
        let stderr = files.redact(&store.refuses(&["import", &path, "--create-pacts"], 1));
        assert!(
            stderr.starts_with(&format!(
                "error: header.csv:1: the header has no '{column}' column\n\
                 hint: the first row names the columns: pact and on, and any of the others"
            )),
            "{stderr}"
        );
    }
    assert!(store.snapshot().is_empty());
}

#[test]
fn metadata_a_sheet_gives_must_be_what_the_store_holds() {
    let files = Files::new();
    let store = Store::new();
    store.ok(&[
        "register", "known", "--name", "Known", "--party", "US", "--party", "RU",
    ]);
    // the same parties, in another order and case: agreed
    let agreed = "pact,status,on,parties\nknown,signed,2001-01-01,ru;US\n";
    store.ok(&["import", &files.write("agreed.csv", agreed)]);
    let before = store.snapshot();
    let other = "pact,status,on,parties\nknown,in_force,2002-01-01,US\n";
    let stderr = files.redact(&store.refuses(&["import", &files.write("other.csv", other)], 1));
    assert_eq!(
        stderr,
        "error: other.csv:2: the row gives 'known' parties \"US\", but the pact's are \"US;RU\"\n\
         hint: a sheet does not change a pact's metadata: change it with `pactlog edit`, or \
         leave the cell empty\n"
    );
    assert_eq!(store.snapshot(), before);
}

#[test]
fn two_new_pacts_of_a_sheet_may_not_share_a_name() {
    let files = Files::new();
    let store = Store::new();
    let sheet = "pact,status,on,aliases\na,signed,2001-01-01,shared\nb,signed,2001-01-01,Shared\nc,signed,2001-01-01,a\n";
    let stderr = files.redact(&store.refuses(
        &["import", &files.write("names.csv", sheet), "--create-pacts"],
        1,
    ));
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors,
        [
            "error: names.csv:3: 'Shared' is already a name of pact 'a'",
            "error: names.csv:4: 'a' is already a name of pact 'a'",
            "error: 2 bad rows in names.csv; nothing was imported",
        ],
        "{stderr}"
    );
    assert!(store.snapshot().is_empty());
}

#[test]
fn a_record_exported_as_csv_imports_back_to_the_same_answers_and_sheet() {
    let files = Files::new();
    let original = Store::new();
    original.ok(&[
        "import",
        &files.write("record.csv", SHEET),
        "--create-pacts",
    ]);
    // a pact with no status yet, an edit, and a retraction
    original.ok(&[
        "register",
        "empty",
        "--name",
        "Nothing yet",
        "--alias",
        "nil",
        "--party",
        "X",
    ]);
    original.ok(&["edit", "skies", "--add-alias", "OST"]);
    let log = original.json(&["log", "draft"]);
    let note = log
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "note")
        .expect("the note");
    original.ok(&[
        "retract",
        "draft",
        note["id"].as_str().expect("an id"),
        "--reason",
        "not so",
    ]);
    let exported = original.ok(&["export", "--csv"]);
    let copy = Store::new();
    copy.ok(&[
        "import",
        &files.write("exported.csv", &exported),
        "--create-pacts",
    ]);
    let pacts: [(&str, &[&str]); 3] = [("skies", &["US", "RU"]), ("draft", &[]), ("empty", &[])];
    assert_eq!(answers(&copy, &pacts), answers(&original, &pacts));
    // the copy's sheet is the original's but for the ids and times
    let cells = |sheet: &str| -> Vec<Vec<String>> {
        csv::Reader::from_reader(sheet.as_bytes())
            .records()
            .map(|r| {
                let r = r.expect("a row");
                r.iter().take(15).map(str::to_owned).collect()
            })
            .collect()
    };
    assert_eq!(cells(&copy.ok(&["export", "--csv"])), cells(&exported));
    assert!(
        exported.contains("empty,,,,,,,,,,Nothing yet,nil,X,,,,\n"),
        "{exported}"
    );
    assert!(exported.contains("open-skies;OST"), "{exported}");
    assert!(!exported.contains("Talks end"), "{exported}");
    // and imported into the store it came from, every row is skipped
    let again = original.json(&["import", &files.write("again.csv", &exported)]);
    assert_eq!(again["events"], 0);
    assert_eq!(again["skipped"], 9);
}

#[test]
fn rows_for_a_pact_the_store_holds_go_in_date_order_among_its_statuses() {
    let files = Files::new();
    let store = Store::new();
    store.ok(&[
        "register", "inf", "--name", "INF", "--party", "US", "--party", "RU",
    ]);
    store.ok(&["append", "inf", "signed", "--on", "1987-12-08"]);
    store.ok(&["append", "inf", "in_force", "--on", "1988-06-01"]);
    // newest first, a backfill before the statuses held, a party's status
    // and a note
    let sheet = "pact,status,on,party,kind,note\n\
                 inf,terminated,2019-08-02,,,\n\
                 inf,,2019-02-01,,note,talks\n\
                 inf,termination notified,2019-02-02,,,\n\
                 inf,ratified,1988,US,,\n\
                 inf,withdrawn,2019-02-02,RU,,\n";
    let imported = store.json(&["import", &files.write("later.csv", sheet)]);
    assert_eq!(imported["events"], 5);
    let statuses = |party: Option<&str>| -> Vec<(String, String)> {
        let mut args = vec!["history", "inf"];
        args.extend(party.map(|p| ["--party", p]).into_iter().flatten());
        let history = store.json(&args);
        history["intervals"]
            .as_array()
            .expect("intervals")
            .iter()
            .map(|i| {
                (
                    i["status"].as_str().unwrap().to_owned(),
                    i["from"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(s, d)| ((*s).to_owned(), (*d).to_owned()))
            .collect()
    };
    assert_eq!(
        statuses(None),
        pairs(&[
            ("signed", "1987-12-08"),
            ("in_force", "1988-06-01"),
            ("termination_notified", "2019-02-02"),
            ("terminated", "2019-08-02"),
        ])
    );
    assert_eq!(
        statuses(Some("US")),
        pairs(&[
            ("signed", "1987-12-08"),
            ("ratified", "1988"),
            ("in_force", "1988-06-01"),
            ("termination_notified", "2019-02-02"),
            ("terminated", "2019-08-02"),
        ])
    );
    // the held statuses keep their lines; the new ones follow, in date order
    let log = store.json(&["log", "inf"]);
    let seqs: Vec<(u64, String)> = log
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().unwrap(),
                e["on"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seqs[3..].iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
        [
            "1988",
            "2019-02-01",
            "2019-02-02",
            "2019-02-02",
            "2019-08-02"
        ]
    );
    store.ok(&["verify"]);
}

#[test]
fn a_status_the_store_retracted_does_not_stand_in_a_rows_way() {
    let files = Files::new();
    let sheet = files.write(
        "again.csv",
        "pact,status,on,source\np,in_force,2001-01-01,Gazette\n",
    );
    let store = Store::new();
    store.ok(&["register", "p", "--name", "A pact"]);
    store.ok(&[
        "append",
        "p",
        "signed",
        "--on",
        "2000-01-01",
        "--source",
        "x",
    ]);
    let held = store.json(&[
        "append",
        "p",
        "in_force",
        "--on",
        "2001-01-01",
        "--source",
        "x",
    ]);
    // held: the row is the status recorded already
    let refused = store.refuses(&["import", &sheet], 1);
    assert!(
        refused.contains("already in force on 2001-01-01"),
        "{refused}"
    );
    // retracted: the row records it again
    let id = held["id"].as_str().expect("an id");
    store.ok(&["retract", "p", id, "--reason", "a wrong source"]);
    store.ok(&["import", &sheet]);
    let status = store.json(&["status", "p", "--on", "2001-06-01"]);
    assert_eq!(status["status"], "in_force");
    assert_eq!(status["sources"][0]["source"], "Gazette");
    store.ok(&["verify"]);
}

#[test]
fn a_staged_stream_made_again_shorter_is_whole_in_a_store_that_exists() {
    // new pacts of ten rows each, with long notes and no name, so that
    // their lines are written out while the sheet is read; then a row that
    // names the first pact and records nothing: its stream is made again
    // with a registration shorter than the one written out, and goes into
    // the store through its journal
    let files = Files::new();
    let id = |p: usize| format!("a-rather-long-pact-id-{p}");
    let mut csv = String::from("pact,status,on,note,name\n");
    csv.push_str(&written_out_early(id, ","));
    csv.push_str(&format!("{},,,,X\n", id(0)));
    let sheet = files.write("renamed.csv", csv);
    let store = Store::new();
    store.ok(&["register", "other", "--name", "Another pact"]);
    let imported = store.json(&["import", &sheet, "--create-pacts"]);
    assert_eq!(imported["events"], 2000);
    store.ok(&["verify"]);
    let lines = store.lines(&id(0));
    assert_eq!(lines.len(), 11);
    assert!(lines[0].contains(r#""name":"X""#), "{}", lines[0]);
    let history = store.json(&["history", &id(0)]);
    assert_eq!(history["intervals"].as_array().map(Vec::len), Some(10));
}
