//! `import` and `export`: a spreadsheet's CSV in, all or nothing, and the
//! store out again as JSON Lines (recreated byte for byte) or as CSV.

use insta::assert_snapshot;
use pactlog::Event;
use serde_json::{Value, json};

use crate::harness::{Files, Run, Store, pactlog_in, resealed, shell};

/// Two independent arms-control histories, as an analyst's spreadsheet
/// would hold them: a `name` column, quoted fields with commas and quotes,
/// `reported` as yes/no in any case, statuses written for people, and the
/// two pacts' rows interleaved.
const TREATIES_CSV: &str = r#"pact,name,status,on,source,url,note,reported
inf,"Treaty on the Elimination of Intermediate-Range and Shorter-Range Missiles (""INF Treaty"")",signed,1987-12-08,"U.S. State Department, ""INF Treaty"": text and history",https://2009-2017.state.gov/t/avc/trty/102360.htm,"Signed in Washington by Reagan and Gorbachev, at the summit",no
inf,,in force,1988-06-01,"State Department, ""Moscow summit""",,instruments of ratification exchanged in Moscow,no
new-start,"Treaty on Measures for the Further Reduction and Limitation of Strategic Offensive Arms (""New START"")",signed,2010-04-08,"White House, ""Signing of the New START Treaty""",https://obamawhitehouse.archives.gov/the-press-office/2010/04/08/,"Prague, by Obama and Medvedev",No
new-start,,In-Force,2011-02-05,"U.S. State Department, New START",,,NO
inf,,termination_notified,2019-02-02,"Pompeo, ""U.S. Intends to Withdraw from the INF Treaty""",https://2017-2021.state.gov/u-s-intends-to-withdraw-from-the-inf-treaty-february-2-2019/,six months' notice under Article XV,yes
inf,,Terminated,2019-08-02,"Reuters, ""U.S. exits Cold War-era nuclear treaty""",,,Yes
new-start,,suspended,2023-02-21,"Putin, address to the Federal Assembly",,Russia suspends its participation; it does not withdraw,YES
"#;

/// The pacts of the shipped record.
const SHIPPED: [&str; 5] = [
    "gsomia",
    "jp-kr-three-materials",
    "jp-kr-white-list",
    "kr-jp-white-list",
    "wto-ds590",
];

/// What `history --json` gives for each interval: status, from, to, source,
/// url, note and reported.
fn intervals(store: &Store, pact: &str) -> Vec<Value> {
    store.json(&["history", pact])["intervals"]
        .as_array()
        .expect("intervals")
        .iter()
        .map(|i| {
            json!({
                "status": i["status"], "from": i["from"], "to": i["to"],
                "source": i["source"], "url": i["url"], "note": i["note"],
                "reported": i["reported"],
            })
        })
        .collect()
}

#[test]
fn a_spreadsheet_of_two_treaties_imports_with_create_pacts() {
    let store = Store::new();
    let files = Files::new();
    let csv = files.write("treaties.csv", TREATIES_CSV);
    let summary = store.json(&["import", &csv, "--create-pacts"]);
    assert_eq!(
        summary,
        json!({"file": csv, "format": "csv", "events": 7, "pacts": 2, "created": 2, "skipped": 0,
        "dry_run": false, "by_pact": [
            {"pact": "inf", "events": 5, "created": true},
            {"pact": "new-start", "events": 4, "created": true},
        ]})
    );

    let inf = store.json(&["history", "inf"]);
    assert_eq!(
        inf["name"],
        "Treaty on the Elimination of Intermediate-Range and Shorter-Range Missiles (\"INF Treaty\")"
    );
    assert_eq!(
        intervals(&store, "inf"),
        [
            json!({"status": "signed", "from": "1987-12-08", "to": "1988-06-01",
                "source": "U.S. State Department, \"INF Treaty\": text and history",
                "url": "https://2009-2017.state.gov/t/avc/trty/102360.htm",
                "note": "Signed in Washington by Reagan and Gorbachev, at the summit",
                "reported": false}),
            json!({"status": "in_force", "from": "1988-06-01", "to": "2019-02-02",
                "source": "State Department, \"Moscow summit\"", "url": null,
                "note": "instruments of ratification exchanged in Moscow", "reported": false}),
            json!({"status": "termination_notified", "from": "2019-02-02", "to": "2019-08-02",
                "source": "Pompeo, \"U.S. Intends to Withdraw from the INF Treaty\"",
                "url": "https://2017-2021.state.gov/u-s-intends-to-withdraw-from-the-inf-treaty-february-2-2019/",
                "note": "six months' notice under Article XV", "reported": true}),
            json!({"status": "terminated", "from": "2019-08-02", "to": null,
                "source": "Reuters, \"U.S. exits Cold War-era nuclear treaty\"", "url": null,
                "note": null, "reported": true}),
        ]
    );
    assert_eq!(
        store.json(&["history", "new-start"])["name"],
        "Treaty on Measures for the Further Reduction and Limitation of Strategic Offensive Arms (\"New START\")"
    );
    assert_eq!(
        intervals(&store, "new-start"),
        [
            json!({"status": "signed", "from": "2010-04-08", "to": "2011-02-05",
                "source": "White House, \"Signing of the New START Treaty\"",
                "url": "https://obamawhitehouse.archives.gov/the-press-office/2010/04/08/",
                "note": "Prague, by Obama and Medvedev", "reported": false}),
            json!({"status": "in_force", "from": "2011-02-05", "to": "2023-02-21",
                "source": "U.S. State Department, New START", "url": null, "note": null,
                "reported": false}),
            json!({"status": "suspended", "from": "2023-02-21", "to": null,
                "source": "Putin, address to the Federal Assembly", "url": null,
                "note": "Russia suspends its participation; it does not withdraw",
                "reported": true}),
        ]
    );

    // each pact's rows are its stream, in file order, after its registration
    let kinds: Vec<_> = store
        .json(&["log", "inf"])
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().expect("seq"),
                e["kind"].as_str().expect("kind").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (1, "registered"),
            (2, "status"),
            (3, "status"),
            (4, "status"),
            (5, "status")
        ]
        .map(|(seq, kind)| (seq, kind.to_owned()))
    );
    assert_eq!(
        store.json(&["status", "inf", "--on", "2019-05-01"])["status"],
        "termination_notified"
    );
    assert_eq!(
        store.json(&["status", "new-start", "--on", "2023-02-21"])["status"],
        "suspended"
    );
    let verify = store.run(&["verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    assert!(
        verify
            .stdout
            .contains("2 streams checked, 2 ok, 0 failed, 0 warnings"),
        "{}",
        verify.stdout
    );
}

#[test]
fn import_prints_what_it_did_for_people() {
    let store = Store::new();
    let files = Files::new();
    let csv = files.write("treaties.csv", TREATIES_CSV);
    let stdout = store.ok(&["import", &csv, "--create-pacts"]);
    assert_eq!(
        files.redact(&stdout),
        "imported 7 events into 2 pacts (2 new) from treaties.csv\n"
    );
}

/// `inf-treaty` (alias INF), signed and in force.
fn registered_inf() -> Store {
    let store = Store::new();
    store.ok(&[
        "register",
        "inf-treaty",
        "--name",
        "INF Treaty",
        "--alias",
        "INF",
    ]);
    store.ok(&["append", "inf-treaty", "signed", "--on", "1987-12-08"]);
    store.ok(&["append", "inf-treaty", "in_force", "--on", "1988-06-01"]);
    store
}

#[test]
fn rows_append_to_existing_pacts_named_by_id_or_alias_in_any_case_and_may_backfill() {
    let store = registered_inf();
    let files = Files::new();
    // the termination first, then the notice before it: a backfill between
    // the stored in_force and the row above it
    let csv = files.write(
        "later.csv",
        "pact,status,on,source\n\
         Inf,terminated,2019-08-02,Reuters\n\
         INF-TREATY,termination notified,2019-02-02,State Department\n",
    );
    let summary = store.json(&["import", &csv]);
    assert_eq!(summary["events"], 2);
    assert_eq!(summary["pacts"], 1);
    assert_eq!(summary["created"], 0);
    let statuses: Vec<_> = intervals(&store, "inf")
        .iter()
        .map(|i| (i["status"].clone(), i["from"].clone(), i["to"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (json!("signed"), json!("1987-12-08"), json!("1988-06-01")),
            (json!("in_force"), json!("1988-06-01"), json!("2019-02-02")),
            (
                json!("termination_notified"),
                json!("2019-02-02"),
                json!("2019-08-02")
            ),
            (json!("terminated"), json!("2019-08-02"), Value::Null),
        ]
    );
    // appended in date order, whatever the order of the file, to the
    // stream that was there
    let log = store.json(&["log", "INF"]);
    let seqs: Vec<_> = log
        .as_array()
        .expect("events")
        .iter()
        .map(|e| (e["seq"].as_u64().expect("seq"), e["status"].clone()))
        .collect();
    assert_eq!(seqs[3], (4, json!("termination_notified")));
    assert_eq!(seqs[4], (5, json!("terminated")));
    assert_eq!(store.run(&["verify"]).code, 0);
    // the alias did not become a pact of its own
    assert_eq!(store.json(&["list"]).as_array().expect("pacts").len(), 1);
}

#[test]
fn a_row_is_validated_against_the_rows_before_it_not_only_the_store() {
    // each last row is fine against the store alone (in force since 1988),
    // and wrong only after the rows above it
    let cases = [
        (
            "inf,signed,2019-05-01",
            "error: backfill.csv:4: 'inf-treaty' cannot go from termination notified (since 2019-02-02) to signed on 2019-05-01\n\
             hint: allowed after termination notified: conditionally suspended, suspended, in force, normalized, terminated, expired, withdrawn; if the record really is so, set the row's forced column to true: the event is stored as forced and `verify` lists it\n",
        ),
        (
            "inf,withdrawn,2019-05-01",
            // applied in date order: the termination, after it, is refused
            "error: backfill.csv:2: 'inf-treaty' cannot go from withdrawn (since 2019-05-01) to terminated on 2019-08-02\n\
             hint: allowed after withdrawn: in force, signed, ratified; if the record really is so, set the row's forced column to true: the event is stored as forced and `verify` lists it\n",
        ),
        (
            "INF,terminated,2019-09-01",
            "error: backfill.csv:4: 'inf-treaty' is already terminated on 2019-09-01 (since 2019-08-02)\n\
             hint: a status cannot follow itself; to record news that changes no status, use `pactlog note`\n",
        ),
    ];
    for (last, expected) in cases {
        let store = registered_inf();
        let files = Files::new();
        let good = "pact,status,on\n\
                    Inf,terminated,2019-08-02\n\
                    INF-TREATY,termination notified,2019-02-02\n";
        let csv = files.write("backfill.csv", format!("{good}{last}\n"));
        let stderr = store.refuses(&["import", &csv], 1);
        assert_eq!(files.redact(&stderr), expected, "{last}");
        // a transition the lifecycle forbids is taken when the row says it
        // is forced, and verify lists it; a repeated status never is
        let forced = files.write(
            "forced.csv",
            format!(
                "pact,status,on,forced\n\
                 Inf,terminated,2019-08-02,\n\
                 INF-TREATY,termination notified,2019-02-02,no\n\
                 {last},true\n"
            ),
        );
        if last.contains("terminated") {
            store.refuses(&["import", &forced], 1);
        } else {
            store.ok(&["import", &forced]);
            let verify = store.run(&["verify"]);
            assert!(
                verify.stdout.contains(", 1 warning"),
                "{last}: {}",
                verify.stdout
            );
        }
    }
}

/// Rows that are fine: they register `new-start` (with --create-pacts) and
/// take `inf-treaty` up to its termination notice. Lines 2 to 4.
const GOOD_ROWS: &str = "pact,status,on,source,reported\n\
                         new-start,signed,2010-04-08,\"White House, \"\"Prague\"\"\",no\n\
                         inf,in_force,1988-06-01,State Department,no\n\
                         INF,termination_notified,2019-02-02,Pompeo,yes\n";

/// `inf-treaty` (alias INF), only signed.
fn signed_inf() -> Store {
    let store = Store::new();
    store.ok(&[
        "register",
        "inf-treaty",
        "--name",
        "INF Treaty",
        "--alias",
        "INF",
    ]);
    store.ok(&["append", "inf-treaty", "signed", "--on", "1987-12-08"]);
    store
}

#[test]
fn a_file_whose_last_row_is_bad_changes_nothing_and_names_that_row() {
    let long_source = "x".repeat(501);
    let cases: Vec<(String, String)> = vec![
        (
            "inf,signed,2019-08-02,Reuters,no".into(),
            "error: rows.csv:5: 'inf-treaty' cannot go from termination notified (since 2019-02-02) to signed on 2019-08-02\n\
             hint: allowed after termination notified: conditionally suspended, suspended, in force, normalized, terminated, expired, withdrawn; if the record really is so, set the row's forced column to true: the event is stored as forced and `verify` lists it\n".into(),
        ),
        (
            "inf,dissolved,2019-08-02,Reuters,no".into(),
            "error: rows.csv:5: unknown status 'dissolved'\n\
             hint: statuses: proposed, signed, ratified, provisionally applied, in force, termination notified, conditionally suspended, normalized, suspended, terminated, expired, withdrawn\n".into(),
        ),
        (
            "inf,terminated,2019-02-30,Reuters,no".into(),
            "error: rows.csv:5: invalid date '2019-02-30': there is no such day in the calendar\n\
             hint: expected a date as YYYY-MM-DD or 'today', or YYYY-MM or YYYY when only that is known, perhaps followed by ? (unsure) or ~ (approximate): 2019-08-23, 2019-07, 2004~\n".into(),
        ),
        (
            "inf,terminated,2019-08-02,Reuters,maybe".into(),
            "error: rows.csv:5: 'reported' is 'maybe', not yes or no\n\
             hint: use true/false, yes/no or 1/0, or leave it empty for no\n".into(),
        ),
        (
            "inf,terminated,2019-08-02,Reuters".into(),
            "error: rows.csv:5: the row has 4 fields where the header has 5\n".into(),
        ),
        (
            "inf,terminated,2019-08-02,Reuters,no,extra".into(),
            "error: rows.csv:5: the row has 6 fields where the header has 5\n".into(),
        ),
        (
            format!("inf,terminated,2019-08-02,{long_source},no"),
            "error: rows.csv:5: source is 501 characters long; at most 500 are allowed\n".into(),
        ),
        (
            "inf,terminated,2019-08-02,Reuters,no,".into(),
            "error: rows.csv:5: the row has 6 fields where the header has 5\n".into(),
        ),
        (
            "Bad Name!,signed,2019-08-02,Reuters,no".into(),
            "error: rows.csv:5: invalid pact id 'bad name!': only lowercase letters, digits and '-' are allowed\n\
             hint: a pact id is 1 to 64 lowercase letters, digits and inner dashes, e.g. 'gsomia'\n".into(),
        ),
    ];
    for (last, expected) in cases {
        let store = signed_inf();
        let files = Files::new();
        let good = files.write("good.csv", GOOD_ROWS);
        let rows = files.write("rows.csv", format!("{GOOD_ROWS}{last}\n"));
        let stderr = store.refuses(&["import", &rows, "--create-pacts"], 1);
        assert_eq!(files.redact(&stderr), expected, "{last}");
        assert!(!store.stream("new-start").exists(), "{last}");
        // without the last row, the same file is taken
        store.ok(&["import", &good, "--create-pacts"]);
        assert_eq!(
            store.json(&["status", "inf"])["status"],
            "termination_notified"
        );
    }
}

#[test]
fn a_bad_row_after_a_quoted_field_spanning_lines_is_named_by_its_own_line() {
    let store = signed_inf();
    let files = Files::new();
    let rows = files.write(
        "rows.csv",
        "pact,status,on,note\n\
         inf,in_force,1988-06-01,\"ratified,\nthen \"\"exchanged\"\"\nin Moscow\"\n\
         inf,signed,2019-02-02,\n",
    );
    let stderr = store.refuses(&["import", &rows], 1);
    assert!(
        files.redact(&stderr).starts_with(
            "error: rows.csv:5: 'inf-treaty' cannot go from in force (since 1988-06-01) to signed"
        ),
        "{stderr}"
    );
}

#[test]
fn a_bad_row_is_named_by_its_own_line_whatever_ends_the_lines() {
    let store = signed_inf();
    let files = Files::new();
    // a blank line, a quoted field spanning lines, then the bad row on line 6
    let lines = [
        "pact,status,on,note",
        "",
        "inf,in_force,1988-06-01,\"ratified,",
        "then exchanged\"",
        "inf,termination_notified,2019-02-02,",
    ];
    let bad_rows = [
        ("inf,signed,2019-08-02,", "'inf-treaty' cannot go from"),
        ("inf,ended,2019-08-02,", "unknown status 'ended'"),
        ("inf,terminated,2019-08-02", "the row has 3 fields"),
    ];
    for (bad, error) in bad_rows {
        for end in ["\n", "\r\n", "\r"] {
            let text: String = lines
                .iter()
                .chain([&bad])
                .map(|l| format!("{l}{end}"))
                .collect();
            let rows = files.write("rows.csv", text);
            let stderr = files.redact(&store.refuses(&["import", &rows], 1));
            assert!(
                stderr.starts_with(&format!("error: rows.csv:6: {error}")),
                "{end:?}: {stderr}"
            );
        }
    }
}

#[test]
fn an_unknown_pact_without_create_pacts_is_refused_on_its_row() {
    let store = signed_inf();
    let files = Files::new();
    let rows = files.write(
        "rows.csv",
        "pact,status,on\n\
         inf,in_force,1988-06-01\n\
         INF,termination_notified,2019-02-02\n\
         new-start,signed,2010-04-08\n",
    );
    assert_snapshot!(files.redact(&store.refuses(&["import", &rows], 1)), @r"
    error: rows.csv:4: unknown pact 'new-start'
    hint: register it first, or pass --create-pacts to register the pacts the file names
    ");
    let rows = files.write(
        "near.csv",
        "pact,status,on\n\
         inf,in_force,1988-06-01\n\
         inf-treat,termination_notified,2019-02-02\n",
    );
    let stderr = files.redact(&store.refuses(&["import", &rows], 1));
    assert!(
        stderr.starts_with(
            "error: near.csv:3: unknown pact 'inf-treat'\nhint: did you mean 'inf-treaty'?"
        ),
        "{stderr}"
    );
}

#[test]
fn a_header_without_a_required_column_or_with_an_unknown_one_is_refused_on_line_1() {
    let store = signed_inf();
    let files = Files::new();
    let unknown = files.write(
        "unknown.csv",
        "pact,status,on,colour\ninf,in_force,1988-06-01,red\n",
    );
    assert_snapshot!(files.redact(&store.refuses(&["import", &unknown], 1)), @"
    error: unknown.csv:1: unknown column 'colour'
    hint: the columns are: pact, kind, status, on, party, source, url, note, reported, forced, name, aliases, parties, pact_kind, description, event, recorded
    ");
    let missing = files.write("missing.csv", "pact,status,source\ninf,in_force,State\n");
    assert_snapshot!(files.redact(&store.refuses(&["import", &missing], 1)), @"
    error: missing.csv:1: the header has no 'on' column
    hint: the first row names the columns: pact and on, and any of the others (kind, status, party, source, url, note, reported, forced, name, aliases, parties, pact_kind, description, event, recorded)
    ");
    let twice = files.write(
        "twice.csv",
        "pact,status,on,Note,note\ninf,in_force,1988-06-01,a,b\n",
    );
    assert_snapshot!(files.redact(&store.refuses(&["import", &twice], 1)), @"error: twice.csv:1: the header names the column 'note' twice");
}

#[test]
fn a_row_that_names_its_pact_otherwise_is_refused() {
    let store = signed_inf();
    let files = Files::new();
    // a new pact: named on its first row, then otherwise
    let new = files.write(
        "new.csv",
        "pact,name,status,on\nabm,ABM Treaty,signed,1972-05-26\nabm,,in force,1972-10-03\nabm,Anti-Ballistic Missile Treaty,terminated,2002-06-13\n",
    );
    assert_snapshot!(files.redact(&store.refuses(&["import", &new, "--create-pacts"], 1)), @r#"
    error: new.csv:4: the row gives 'abm' name "Anti-Ballistic Missile Treaty", but line 2 gives "ABM Treaty"
    hint: a pact's metadata may be repeated on several of its rows, but must be the same on each: leave the cell empty on all but one, or make them agree
    "#);
    // an existing pact, named as registered or not at all, then otherwise
    let name = store.json(&["status", "inf"])["name"]
        .as_str()
        .expect("a name")
        .to_owned();
    let same = files.write(
        "same.csv",
        format!(
            "pact,name,status,on\ninf,\"{}\",in force,1988-06-01\n",
            name.replace('"', "\"\"")
        ),
    );
    let before = store.snapshot();
    let other = files.write(
        "other.csv",
        "pact,name,status,on\ninf,INF,in force,1988-06-01\n",
    );
    assert_snapshot!(files.redact(&store.refuses(&["import", &other], 1)), @r#"
    error: other.csv:2: the row names 'inf-treaty' "INF", but its name is "INF Treaty"
    hint: a sheet does not rename a pact: rename it with `pactlog edit --name`, or leave the name cell empty
    "#);
    assert_eq!(store.snapshot(), before);
    store.ok(&["import", &same]);
}

#[test]
fn a_row_may_name_a_pact_registered_elsewhere_with_spaces_around_its_name() {
    // a stream another tool wrote, its name untrimmed: a CSV cell cannot
    // hold the spaces, and need not
    let store = Store::new();
    store.ok(&["register", "x", "--name", "Spaced"]);
    let line = store.lines("x").remove(0);
    let spaced = resealed(&line, "\"name\":\"Spaced\"", "\"name\":\" Spaced \"");
    std::fs::write(store.stream("x"), spaced + "\n").expect("write");
    let files = Files::new();
    let csv = files.write("x.csv", "pact,name,status,on\nx,Spaced,signed,2001-01-01\n");
    store.ok(&["import", &csv]);
    assert_eq!(store.json(&["status", "x"])["status"], "signed");
}

#[test]
fn header_names_are_taken_in_any_case_without_the_spaces_around_them() {
    let store = signed_inf();
    let files = Files::new();
    let csv = files.write(
        "titled.csv",
        "Pact , STATUS,On,Source\ninf,in_force,1988-06-01,State\n",
    );
    store.ok(&["import", &csv]);
    let got = intervals(&store, "inf");
    assert_eq!(got.len(), 2);
    assert_eq!(got[1]["status"], "in_force");
    assert_eq!(got[1]["source"], "State");
}

#[test]
fn a_spreadsheet_csv_with_a_byte_order_mark_and_crlf_lines_imports() {
    let store = Store::new();
    let files = Files::new();
    let csv = files.write(
        "excel.csv",
        "\u{feff}pact,status,on,source\r\ninf,signed,1987-12-08,\"State, US\"\r\ninf,in_force,1988-06-01,State\r\n",
    );
    store.ok(&["import", &csv, "--create-pacts"]);
    let got = intervals(&store, "inf");
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["source"], "State, US");
    assert_eq!(got[1]["source"], "State");
}

/// The shipped record, plus a note on GSOMIA and the retraction of the
/// white list's last status.
fn shipped_with_a_retraction_and_a_note() -> Store {
    let store = Store::shipped();
    store.ok(&[
        "note",
        "gsomia",
        "Seoul and Tokyo hold their first \"2+2\" talks, in a while",
        "--on",
        "2024-01-10",
        "--source",
        "Yonhap",
    ]);
    // the restoration: the status that takes effect last
    let log = store.json(&["log", "jp-kr-white-list"]);
    let last_status = log
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "status" && e["retracted"] == false)
        .max_by_key(|e| e["on"].as_str().expect("a date").to_owned())
        .expect("a status event")["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    store.ok(&[
        "retract",
        "jp-kr-white-list",
        &last_status,
        "--reason",
        "recorded in error",
    ]);
    store
}

#[test]
fn export_then_import_into_an_empty_store_recreates_every_stream_byte_for_byte() {
    let store = shipped_with_a_retraction_and_a_note();
    let export = store.ok(&["export"]);
    // --json, as every read command takes it, names the same output
    assert_eq!(store.ok(&["export", "--json"]), export);
    let both = store.run(&["export", "--json", "--csv"]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    let lines: usize = SHIPPED.iter().map(|id| store.lines(id).len()).sum();
    assert_eq!(export.lines().count(), lines);
    let files = Files::new();
    let jsonl = files.write("backup.jsonl", &export);

    let copy = Store::new();
    let summary = copy.json(&["import", &jsonl]);
    assert_eq!(
        summary,
        json!({"file": jsonl, "format": "jsonl", "events": lines, "pacts": 5, "created": 5, "skipped": 0,
        "dry_run": false, "by_pact": SHIPPED.iter().map(|id| json!(
            {"pact": id, "events": store.lines(id).len(), "created": true}
        )).collect::<Vec<_>>()})
    );
    // the same files, byte for byte, and nothing else
    assert_eq!(copy.snapshot(), store.snapshot());
    assert_eq!(copy.run(&["verify"]).code, 0);
    for id in SHIPPED {
        assert_eq!(copy.head(id), store.head(id));
        assert_eq!(copy.json(&["history", id]), store.json(&["history", id]));
    }

    // again: every line is there already, and nothing changes
    let before = copy.snapshot();
    let again = copy.json(&["import", &jsonl]);
    assert_eq!(
        (&again["events"], &again["skipped"]),
        (&json!(0), &json!(lines))
    );
    assert_eq!(copy.snapshot(), before);
}

#[test]
fn a_json_lines_import_adds_to_a_stream_the_lines_after_its_own_and_refuses_one_that_parted() {
    let behind = Store::shipped();
    let ahead = Store::shipped();
    ahead.ok(&["note", "gsomia", "a later note", "--on", "2024-01-10"]);
    ahead.ok(&[
        "append",
        "jp-kr-white-list",
        "suspended",
        "--on",
        "2025-01-01",
    ]);
    let files = Files::new();
    let export = files.write("ahead.jsonl", ahead.ok(&["export"]));
    let held: usize = SHIPPED.iter().map(|id| behind.lines(id).len()).sum();
    assert_eq!(
        files.redact(&behind.ok(&["import", &export])),
        format!(
            "imported 2 events into 2 pacts (0 new) from ahead.jsonl; {held} lines were events \
             recorded already, and are skipped\n"
        )
    );
    // the copy that was behind is the one ahead now, byte for byte
    let without_cache = |store: &Store| {
        let mut files = store.snapshot();
        files.retain(|name, _| !name.starts_with(".pactlog-cache"));
        files
    };
    assert_eq!(without_cache(&behind), without_cache(&ahead));

    // a file behind the store brings nothing, and changes nothing
    let old = files.write("old.jsonl", Store::shipped().ok(&["export"]));
    let before = ahead.snapshot();
    let summary = ahead.json(&["import", &old]);
    assert_eq!(
        (&summary["events"], &summary["skipped"]),
        (&json!(0), &json!(held))
    );
    assert_eq!(ahead.snapshot(), before);

    // a file whose own lines are out of order says so, whatever the store
    // holds
    let shipped = Store::shipped().ok(&["export"]);
    let mut lines: Vec<&str> = shipped.lines().collect();
    lines.swap(1, 2);
    let swapped = files.write("swapped.jsonl", lines.join("\n") + "\n");
    let stderr = files.redact(&behind.refuses(&["import", &swapped], 1));
    assert!(
        stderr.starts_with("error: swapped.jsonl:2: seq 3 where 2 was expected"),
        "{stderr}"
    );

    // a stream that went its own way is refused, and nothing is written
    let parted = Store::shipped();
    parted.ok(&["note", "gsomia", "another note", "--on", "2024-02-01"]);
    assert_snapshot!(files.redact(&parted.refuses(&["import", &export], 1)), @r#"
    error: ahead.jsonl:1: pact 'gsomia' has a stream in the store that the file's neither begins with nor is the beginning of: the two have parted
    hint: a JSON Lines import adds to a stream only the lines after the ones it holds; to bring in a stream that went its own way, see README.md, "Working with git"
    "#);
}

#[test]
fn the_lines_a_store_holds_are_taken_as_they_stand_when_a_json_lines_import_adds_to_them() {
    // a registration written by another tool, with spaces around its name:
    // readers take it, an import of a new stream would not
    let store = Store::new();
    store.ok(&["register", "sp", "--name", "Spaced"]);
    let line = &store.lines("sp")[0];
    let mut event = Event::from_line(line.as_bytes()).expect("a registration");
    let pactlog::EventBody::Registered(pact) = &mut event.body else {
        panic!("a registration");
    };
    pact.name = " Spaced ".into();
    std::fs::write(store.stream("sp"), event.to_line() + "\n").expect("write the stream");
    let copy = Store::new();
    std::fs::copy(store.stream("sp"), copy.stream("sp")).expect("copy the stream");
    store.ok(&["append", "sp", "signed", "--on", "2020-01-01"]);
    let files = Files::new();
    let export = files.write("sp.jsonl", store.ok(&["export"]));
    let summary = copy.json(&["import", &export]);
    assert_eq!(
        (&summary["events"], &summary["skipped"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(copy.lines("sp"), store.lines("sp"));
}

#[test]
fn a_json_lines_import_may_hold_the_streams_in_any_order_and_interleaved() {
    let store = shipped_with_a_retraction_and_a_note();
    let export = store.ok(&["export"]);
    // the streams back to front, and one pact's lines between another's
    let mut lines: Vec<&str> = export.lines().collect();
    lines.reverse();
    let mut by_pact: Vec<Vec<&str>> = Vec::new();
    for line in lines {
        let event = Event::from_line(line.as_bytes()).expect("an exported line");
        match by_pact
            .iter_mut()
            .find(|p| Event::from_line(p[0].as_bytes()).expect("a line").pact == event.pact)
        {
            Some(pact) => pact.insert(0, line),
            None => by_pact.push(vec![line]),
        }
    }
    let mut mixed = Vec::new();
    let longest = by_pact.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        for pact in &by_pact {
            if let Some(line) = pact.get(i) {
                mixed.push(*line);
            }
        }
    }
    assert_ne!(mixed.join("\n") + "\n", export);
    let files = Files::new();
    let jsonl = files.write("mixed.jsonl", mixed.join("\n") + "\n");
    let copy = Store::new();
    copy.ok(&["import", &jsonl]);
    assert_eq!(copy.snapshot(), store.snapshot());
}

#[test]
fn a_json_lines_file_with_a_changed_or_misplaced_line_is_refused_naming_it() {
    let store = shipped_with_a_retraction_and_a_note();
    let export = store.ok(&["export"]);
    let lines: Vec<&str> = export.lines().collect();
    assert!(lines[3].contains("\"pact\":\"gsomia\"") && lines[4].contains("\"pact\":\"gsomia\""));
    let files = Files::new();
    let copy = Store::new();

    // one flipped byte in line 5: a digit of its seq
    let mut flipped = export.clone().into_bytes();
    let start: usize = lines[..4].iter().map(|l| l.len() + 1).sum();
    let at = start + lines[4].find("\"seq\":").expect("a seq") + 6;
    flipped[at] ^= 0x01;
    let flipped = files.write("flipped.jsonl", flipped);
    assert_snapshot!(files.redact(&copy.refuses(&["import", &flipped], 1)), @"error: flipped.jsonl:5: checksum mismatch: the line was changed after it was written");

    // a middle line edited with its checksum made good: the chain breaks at
    // the line after it
    let mut event = Event::from_line(lines[4].as_bytes()).expect("an exported line");
    event.recorded += chrono::Duration::microseconds(1);
    let mut edited: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    edited[4] = event.to_line();
    let edited = files.write("edited.jsonl", edited.join("\n") + "\n");
    let stderr = files.redact(&copy.refuses(&["import", &edited], 1));
    assert!(stderr.starts_with("error: edited.jsonl:6: "), "{stderr}");

    // two lines of one pact swapped
    let mut swapped = lines.clone();
    swapped.swap(3, 4);
    let swapped = files.write("swapped.jsonl", swapped.join("\n") + "\n");
    assert_snapshot!(files.redact(&copy.refuses(&["import", &swapped], 1)), @"error: swapped.jsonl:4: seq 5 where 4 was expected (a line is missing or out of place)");

    assert!(copy.snapshot().is_empty(), "nothing was written");
}

#[test]
fn a_json_lines_import_refuses_events_that_chain_but_that_append_would_have_refused() {
    // a stream with a forced step, a note and a retraction, as the
    // commands record them: it imports as it is
    let store = Store::new();
    store.ok(&["register", "x", "--name", "X"]);
    store.ok(&["append", "x", "signed", "--on", "2000-01-01"]);
    store.ok(&["append", "x", "in_force", "--on", "2001-01-01"]);
    store.ok(&["append", "x", "termination_notified", "--on", "2002-01-01"]);
    store.ok(&["append", "x", "proposed", "--on", "2003-01-01", "--force"]);
    store.ok(&[
        "note",
        "x",
        "a remark",
        "--on",
        "2003-06-01",
        "--url",
        "https://example.org/a",
    ]);
    let export = store.ok(&["export"]);
    let files = Files::new();
    let good = files.write("good.jsonl", &export);
    let copy = Store::new();
    copy.ok(&["import", &good]);
    assert_eq!(copy.snapshot(), store.snapshot());

    // the same lines with one event changed and its line sealed again; the
    // stream still chains, because each changed event is the last line
    let lines: Vec<&str> = export.lines().collect();
    let sealed_again = |keep: usize, change: &dyn Fn(&mut Event)| {
        let mut event = Event::from_line(lines[keep].as_bytes()).expect("an exported line");
        change(&mut event);
        let mut out: Vec<String> = lines[..keep].iter().map(|l| (*l).to_owned()).collect();
        out.push(event.to_line());
        out.join("\n") + "\n"
    };
    let status = |event: &mut Event| match &mut event.body {
        pactlog::EventBody::Status(change) => change.clone(),
        _ => panic!("line 5 is a status"),
    };
    let mut cases: Vec<(&str, String)> = vec![
        // the forced step, no longer forced
        (
            "unforced.jsonl",
            sealed_again(4, &|e| {
                let mut change = status(e);
                change.forced = false;
                e.body = pactlog::EventBody::Status(change);
            }),
        ),
        // a repeat of the status in force, which not even --force records
        (
            "repeat.jsonl",
            sealed_again(4, &|e| {
                let mut change = status(e);
                change.status = pactlog::Status::TerminationNotified;
                e.body = pactlog::EventBody::Status(change);
            }),
        ),
        // a note whose text has spaces around it, which `note` trims
        (
            "spaces.jsonl",
            sealed_again(5, &|e| match &mut e.body {
                pactlog::EventBody::Note(note) => note.text = format!(" {} ", note.text),
                _ => panic!("line 6 is a note"),
            }),
        ),
        // a note whose link is not a web address
        (
            "link.jsonl",
            sealed_again(5, &|e| match &mut e.body {
                pactlog::EventBody::Note(note) => note.url = Some("javascript:alert(1)".into()),
                _ => panic!("line 6 is a note"),
            }),
        ),
    ];
    // a retraction of the step into force, which `retract` refuses: it
    // would leave termination notified right after signed
    let note = Event::from_line(lines[5].as_bytes()).expect("an exported line");
    let in_force = Event::from_line(lines[2].as_bytes()).expect("an exported line");
    let retraction = Event {
        seq: note.seq + 1,
        id: uuid::Uuid::now_v7(),
        body: pactlog::EventBody::Retraction(pactlog::model::event::Retraction {
            target: in_force.id,
            reason: "in error".into(),
        }),
        prev: Some(pactlog::Hash::of(lines[5].as_bytes())),
        ..note
    };
    cases.push((
        "retraction.jsonl",
        format!("{export}{}\n", retraction.to_line()),
    ));
    let mut refusals = Vec::new();
    let empty = Store::new();
    for (name, text) in cases {
        let path = files.write(name, text);
        refusals.push(files.redact(&empty.refuses(&["import", &path], 1)));
    }
    // the export with its line endings converted
    let crlf = files.write("crlf.jsonl", export.replace('\n', "\r\n"));
    refusals.push(files.redact(&empty.refuses(&["import", &crlf], 1)));
    assert!(empty.snapshot().is_empty(), "nothing was written");
    assert_snapshot!(refusals.join("\n---\n"), @r#"
    error: unforced.jsonl:5: 'x' cannot go from termination notified (since 2002-01-01) to proposed on 2003-01-01
    hint: allowed after termination notified: conditionally suspended, suspended, in force, normalized, terminated, expired, withdrawn; if the record really is so, its line must say "forced":true, as `append --force` writes it

    ---
    error: repeat.jsonl:5: 'x' is already termination notified on 2003-01-01 (since 2002-01-01)
    hint: a status cannot follow itself; to record news that changes no status, use `pactlog note`

    ---
    error: spaces.jsonl:6: note text ' a remark ' has spaces around it, which pactlog trims when it records one

    ---
    error: link.jsonl:6: url 'javascript:alert(1)' is not a web address
    hint: give a full address such as https://example.org/article

    ---
    error: retraction.jsonl:7: retracting event [id] would leave termination notified on 2002-01-01 (event [id]) right after signed on 2000-01-01 (event [id])
    hint: `retract` refuses such a retraction, so no pactlog command wrote this line

    ---
    error: crlf.jsonl:1: the line ends in CR LF, where pactlog writes LF alone: the file's line endings were converted
    hint: convert them back (for example `sed -i 's/\r$//' FILE`), and keep git from converting streams with a `.gitattributes` line `*.jsonl -text`
    "#);
}

#[test]
fn export_csv_has_one_row_per_status_in_force_in_the_record_with_the_pact_name() {
    let store = shipped_with_a_retraction_and_a_note();
    let name = "Hostile, \"quoted\"\nand multi-line name";
    store.ok(&[
        "register",
        "hostile",
        "--name",
        name,
        "--alias",
        "HS",
        "--party",
        "A",
        "--party",
        "B",
        "--kind",
        "treaty",
        "--description",
        "A pact, \"hostile\" to sheets",
    ]);
    store.ok(&["edit", "hostile", "--add-alias", "H2"]);
    store.ok(&[
        "append",
        "hostile",
        "signed",
        "--on",
        "2001-02-03",
        "--source",
        "A, \"B\"\nC",
        "--note",
        "line one\r\nline two",
        "--reported",
    ]);
    // a forced backfill, which the status after it in date order could
    // not follow but for it
    for (status, on, force) in [
        ("in-force", "2002-01-01", None),
        ("suspended", "2004-01-01", None),
        ("terminated", "2003-01-01", Some("--force")),
    ] {
        let args = ["append", "hostile", status, "--on", on];
        store.ok(&[&args[..], force.as_slice()].concat());
    }
    let out = store.ok(&["export", "--csv"]);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let headers = reader.headers().expect("a header row").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "pact",
            "kind",
            "status",
            "on",
            "party",
            "source",
            "url",
            "note",
            "reported",
            "forced",
            "name",
            "aliases",
            "parties",
            "pact_kind",
            "description",
            "event",
            "recorded"
        ]
    );
    let records: Vec<csv::StringRecord> = reader
        .records()
        .map(|r| r.expect("an RFC 4180 record"))
        .collect();
    let ids = [
        "gsomia",
        "hostile",
        "jp-kr-three-materials",
        "jp-kr-white-list",
        "kr-jp-white-list",
        "wto-ds590",
    ];
    let mut expected = Vec::new();
    for id in ids {
        let name = store.json(&["history", id])["name"].clone();
        // pact after pact, each pact's statuses and notes that stand in
        // date order (of one date, in the order recorded)
        let log = store.json(&["log", id]);
        let mut standing: Vec<&Value> = log
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| (e["kind"] == "status" || e["kind"] == "note") && e["retracted"] == false)
            .collect();
        standing.sort_by_key(|e| e["on"].as_str().expect("a date").to_owned());
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        for e in standing {
            let status = e["kind"] == "status";
            let flag = |v: &Value| if status { v.to_string() } else { String::new() };
            expected.push(vec![
                id.to_owned(),
                text(&e["kind"]),
                text(&e["status"]),
                text(&e["on"]),
                "".to_owned(),
                text(&e["source"]),
                text(&e["url"]),
                text(if status { &e["note"] } else { &e["text"] }),
                flag(&e["reported"]),
                flag(&e["forced"]),
                text(&name),
                text(&e["id"]),
            ]);
        }
    }
    let got: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let cells: Vec<&str> = r.iter().collect();
            [&cells[..11], &cells[15..16]]
                .concat()
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
        .collect();
    assert_eq!(got, expected);
    // the retracted white-list restoration is not there
    assert!(
        !got.iter()
            .any(|r| r[0] == "jp-kr-white-list" && r[3] == "2023-07-21")
    );
    let hostile = got
        .iter()
        .find(|r| r[0] == "hostile")
        .expect("the hostile row");
    assert_eq!(hostile[10], name);
    assert_eq!(hostile[5], "A, \"B\"\nC");
    assert_eq!(hostile[7], "line one\r\nline two");
    assert_eq!(hostile[8], "true");

    // and the CSV imports into an empty store, reproducing every pact's
    // statuses, notes, dates, sources and metadata
    let files = Files::new();
    let csv = files.write("statuses.csv", &out);
    let copy = Store::new();
    copy.ok(&["import", &csv, "--create-pacts"]);
    for id in ids {
        assert_eq!(intervals(&copy, id), intervals(&store, id), "{id}");
        let (copied, original) = (copy.json(&["history", id]), store.json(&["history", id]));
        assert_eq!(copied["name"], original["name"]);
        let notes = |h: &Value| {
            let notes = h["notes"].as_array().expect("notes").iter();
            notes
                .map(|n| (n["on"].clone(), n["text"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(notes(&copied), notes(&original), "{id}");
    }
    // the metadata as it stands, edits included: each row's name, aliases,
    // parties, kind and description
    let metadata = |s: &Store| {
        let out = s.ok(&["export", "--csv"]);
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| {
                let r = r.expect("a row");
                r.iter().skip(10).take(5).map(str::to_owned).collect()
            })
            .collect();
        rows
    };
    assert_eq!(metadata(&copy), metadata(&store));
    assert!(
        metadata(&copy).contains(&vec![
            name.to_owned(),
            "HS;H2".to_owned(),
            "A;B".to_owned(),
            "treaty".to_owned(),
            "A pact, \"hostile\" to sheets".to_owned()
        ]),
        "{:?}",
        metadata(&copy)
    );
    assert_eq!(copy.run(&["verify"]).code, 0);
}

#[test]
fn import_dash_reads_standard_input() {
    let store = Store::new();
    let run = store.run_with_stdin(
        &["import", "-", "--format", "csv", "--create-pacts"],
        b"pact,status,on\nnew-start,signed,2010-04-08\nnew-start,in_force,2011-02-05\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "imported 2 events into 1 pact (1 new) from <stdin>\n"
    );
    // with no name column, the name is the id
    assert_eq!(store.json(&["history", "new-start"])["name"], "new-start");

    // a bad row on standard input is named as <stdin>
    let before = store.snapshot();
    let run = store.run_with_stdin(
        &["import", "-", "--format", "csv"],
        b"pact,status,on\nnew-start,suspended,2023-02-21\nnew-start,signed,2024-01-01\n",
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: <stdin>:3: 'new-start' cannot go from suspended"),
        "{}",
        run.stderr
    );
    assert_eq!(store.snapshot(), before);
}

#[test]
fn the_format_is_sniffed_from_the_extension_or_the_first_byte() {
    let source = shipped_with_a_retraction_and_a_note();
    let export = source.ok(&["export"]);
    let csv = "pact,status,on\nnew-start,signed,2010-04-08\n";
    let files = Files::new();
    for (name, contents, format) in [
        ("backup.jsonl", export.as_str(), "jsonl"),
        ("backup.ndjson", export.as_str(), "jsonl"),
        ("backup", export.as_str(), "jsonl"),
        ("backup.txt", export.as_str(), "jsonl"),
        ("rows.csv", csv, "csv"),
        ("rows", csv, "csv"),
        ("rows.txt", csv, "csv"),
    ] {
        let store = Store::new();
        let path = files.write(name, contents);
        let summary = store.json(&["import", &path, "--create-pacts"]);
        assert_eq!(summary["format"], format, "{name}");
    }
    // from standard input, by the first byte
    let store = Store::new();
    let run = store.run_with_stdin(&["import", "-", "--json"], export.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(summary["format"], "jsonl");
    assert_eq!(store.snapshot(), source.snapshot());
    let store = Store::new();
    let run = store.run_with_stdin(&["import", "-", "--json", "--create-pacts"], csv.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(summary["format"], "csv");
    // --format overrides the extension
    let store = Store::new();
    let odd = files.write("odd.csv", &export);
    assert_eq!(
        store.json(&["import", &odd, "--format", "jsonl"])["format"],
        "jsonl"
    );
}

#[test]
fn a_refused_import_into_a_store_that_does_not_exist_leaves_no_store_behind() {
    let files = Files::new();
    let store = Store::new();
    let missing = store.path().join("typo");
    // a lifecycle error on line 3, and a stream without its registration
    let csv = files.write(
        "rows.csv",
        "pact,status,on\ninf,signed,1987-12-08\ninf,signed,1988-01-01\n",
    );
    let export = Store::shipped().ok(&["export"]);
    let jsonl = files.write(
        "backup.jsonl",
        export.lines().skip(1).collect::<Vec<_>>().join("\n") + "\n",
    );
    for (args, line) in [
        ([csv.as_str(), "--create-pacts"], 3),
        ([jsonl.as_str(), "--"], 1),
    ] {
        let stderr = pactlog_in(&missing, &["import"]).args(&args).run().fails(1);
        assert!(stderr.contains(&format!(":{line}: ")), "{stderr}");
        // neither the store nor its hidden staging directory beside it
        let beside: Vec<_> = std::fs::read_dir(store.path())
            .expect("the parent is readable")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        assert!(beside.is_empty(), "left behind: {beside:?}");
    }
}

#[test]
fn every_bad_row_in_every_pact_is_named_in_the_order_of_the_file() {
    // pacts are checked side by side; the errors are still in file order,
    // each row's hint under it unless the row before had the same
    let store = Store::new();
    store.ok(&["register", "a", "--name", "A"]);
    let files = Files::new();
    let lifecycle = "hint: allowed after signed: ratified, provisionally applied, in force, suspended, withdrawn, expired; if the record really is so, set the row's forced column to true: the event is stored as forced and `verify` lists it";
    let unknown =
        "hint: register it first, or pass --create-pacts to register the pacts the file names";
    let cases = [
        // new pacts b and c, besides a
        (
            "rows.csv",
            &["--create-pacts"][..],
            "pact,status,on\n\
             a,signed,2000-01-01\n\
             b,signed,2000-01-01\n\
             b,terminated,2001-01-01\n\
             a,terminated,2001-01-01\n\
             c,in_force,2002-01-01\n\
             zz z,in_force,2002-01-01\n",
            vec![
                "error: rows.csv:4: 'b' cannot go from signed (since 2000-01-01) to terminated on 2001-01-01".to_owned(),
                lifecycle.to_owned(),
                "error: rows.csv:5: 'a' cannot go from signed (since 2000-01-01) to terminated on 2001-01-01".to_owned(),
                "error: rows.csv:7: invalid pact id 'zz z': only lowercase letters, digits and '-' are allowed".to_owned(),
                "hint: a pact id is 1 to 64 lowercase letters, digits and inner dashes, e.g. 'gsomia'".to_owned(),
                "error: 3 bad rows in rows.csv; nothing was imported".to_owned(),
            ],
        ),
        (
            "mixed.csv",
            &[][..],
            "pact,status,on\n\
             a,signed,2000-01-01\n\
             nope,signed,2000-01-01\n\
             a,terminated,2001-01-01\n\
             nope,in_force,2001-01-01\n",
            vec![
                "error: mixed.csv:3: unknown pact 'nope'".to_owned(),
                unknown.to_owned(),
                "error: mixed.csv:4: 'a' cannot go from signed (since 2000-01-01) to terminated on 2001-01-01".to_owned(),
                lifecycle.to_owned(),
                "error: mixed.csv:5: unknown pact 'nope'".to_owned(),
                unknown.to_owned(),
                "error: 3 bad rows in mixed.csv; nothing was imported".to_owned(),
            ],
        ),
    ];
    for (name, flags, rows, expected) in cases {
        let before = store.snapshot();
        let rows = files.write(name, rows);
        let args: Vec<&str> = ["import", rows.as_str()]
            .into_iter()
            .chain(flags.iter().copied())
            .collect();
        let stderr = files.redact(&store.refuses(&args, 1));
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines, expected, "{stderr}");
        assert_eq!(store.snapshot(), before, "nothing written");
    }
}

#[test]
fn past_the_limit_bad_rows_are_counted_not_named() {
    let store = Store::new();
    let files = Files::new();
    // 45 bad rows, in three pacts, in the file's order 2..=46
    let mut csv = String::from("pact,status,on\n");
    for i in 0..45 {
        csv.push_str(&format!("p{},sgned,2000-01-01\n", i % 3));
    }
    let sheet = files.write("many.csv", csv);
    let stderr = files.redact(&store.refuses(&["import", &sheet, "--create-pacts"], 1));
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 21, "{stderr}");
    for (at, error) in errors[..20].iter().enumerate() {
        assert!(
            error.starts_with(&format!(
                "error: many.csv:{}: unknown status 'sgned'",
                at + 2
            )),
            "{error}"
        );
    }
    assert_eq!(
        errors[20],
        "error: 45 bad rows in many.csv (the first 20 shown); nothing was imported"
    );
    assert!(store.snapshot().is_empty(), "nothing written");
}

#[test]
fn a_refused_import_removes_the_new_streams_it_had_begun_writing() {
    // megabytes of new streams, written out while the rows are checked, and
    // a bad row at the very end
    let files = Files::new();
    let note = "n".repeat(1000);
    let mut csv = String::from("pact,status,on,note\n");
    for i in 0..2500 {
        csv += &format!("p{i},signed,2000-01-01,{note}\np{i},in_force,2001-01-01,{note}\n");
    }
    let good = files.write("good.csv", &csv);
    csv += "p0,signed,2002-01-01,\n";
    let bad = files.write("bad.csv", &csv);
    // into a store that exists: every file as it was, no hidden ones
    let store = Store::new().with_gsomia();
    let stderr = files.redact(&store.refuses(&["import", &bad, "--create-pacts"], 1));
    let refused = "error: bad.csv:5002: 'p0' cannot go from in force (since 2001-01-01) to signed on 2002-01-01\n";
    assert!(stderr.starts_with(refused), "{stderr}");
    // into a store that does not exist, even its parent directories:
    // nothing at its path, nothing beside it
    let names = |dir: &std::path::Path| -> Vec<_> {
        std::fs::read_dir(dir)
            .expect("a readable directory")
            .map(|e| e.expect("an entry").file_name())
            .collect()
    };
    for (path, top) in [(&["new"][..], "new"), (&["a", "b", "store"][..], "a")] {
        let parent = Store::new();
        let target = path
            .iter()
            .fold(parent.path().to_owned(), |p, part| p.join(part));
        let import = |file: &str| pactlog_in(&target, &["import", file, "--create-pacts"]).run();
        let stderr = files.redact(&import(&bad).fails(1));
        assert!(stderr.starts_with(refused), "{stderr}");
        assert!(
            names(parent.path()).is_empty(),
            "left behind: {:?}",
            names(parent.path())
        );
        // and without the bad row, the store is there whole, with nothing else
        let run = import(&good);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            run.stdout,
            format!("imported 5000 events into 2500 pacts (2500 new) from {good}\n")
        );
        assert_eq!(names(parent.path()), [top]);
        assert_eq!(names(&target).len(), 2500);
    }
}

/// Each pact's statuses, dates and forced marks, as `history` gives them.
fn steps(store: &Store, pact: &str) -> Vec<(String, String, bool)> {
    let history = store.json(&["history", pact]);
    let intervals = history["intervals"].as_array().expect("intervals");
    intervals
        .iter()
        .map(|i| {
            let text = |key: &str| i[key].as_str().expect("text").to_owned();
            (text("status"), text("from"), i["forced"] == true)
        })
        .collect()
}

/// Records `steps` (status, date, forced) into `pact`, then retracts the
/// status recorded `retract`-th (counting from 0), if any.
fn record(store: &Store, pact: &str, steps: &[(&str, &str, bool)], retract: Option<usize>) {
    store.ok(&["register", pact, "--name", pact]);
    let mut ids = Vec::new();
    for &(status, on, forced) in steps {
        let args = ["append", pact, status, "--on", on];
        let force = if forced { &["--force"][..] } else { &[] };
        let event = store.json(&[&args[..], force].concat());
        ids.push(event["id"].as_str().expect("an id").to_owned());
    }
    if let Some(k) = retract {
        store.ok(&["retract", pact, &ids[k], "--reason", "recorded in error"]);
    }
}

#[test]
fn export_csv_imports_back_after_forced_backfills_and_retractions() {
    let store = Store::new();
    // after the forced backfill, terminated could not follow signed: only
    // the order recorded takes it back
    let forced = [
        ("in-force", "2016-01-01", false),
        ("terminated", "2020-01-01", false),
        ("signed", "2018-01-01", true),
    ];
    record(&store, "forced", &forced, None);
    // the backfill was checked against the suspension retracted since, and
    // in force cannot go straight to normalized: only date order takes it
    let retracted = [
        ("in-force", "2016-01-01", false),
        ("suspended", "2018-01-01", false),
        ("normalized", "2020-01-01", false),
        ("termination-notified", "2019-01-01", false),
    ];
    record(&store, "retracted", &retracted, Some(1));
    let run = store.run(&["export", "--csv"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let files = Files::new();
    let csv = files.write("statuses.csv", &run.stdout);
    let copy = Store::new();
    copy.ok(&["import", &csv, "--create-pacts"]);
    for pact in ["forced", "retracted"] {
        assert_eq!(steps(&copy, pact), steps(&store, pact), "{pact}");
    }
    copy.ok(&["verify"]);
}

#[test]
fn export_csv_of_retracted_neighbours_of_forced_backfills_imports_back() {
    let store = Store::new();
    // normalized was let in after suspended, which is retracted since; the
    // forced backfill stands before it now: in date order, normalized comes
    // right after a forced status, as `verify` lets it
    let steps_in = [
        ("in-force", "2016-01-01", false),
        ("suspended", "2018-01-01", false),
        ("normalized", "2020-01-01", false),
        ("signed", "2019-01-01", true),
    ];
    record(&store, "stuck", &steps_in, Some(1));
    let mixed = [
        ("in-force", "2016-01-01", false),
        ("suspended", "2018-01-01", false),
        ("normalized", "2020-01-01", false),
        ("termination-notified", "2019-01-01", false),
        ("terminated", "2025-01-01", false),
        ("signed", "2023-01-01", true),
    ];
    record(&store, "mixed", &mixed, Some(1));
    let run = store.run(&["export", "--csv"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let rows: Vec<&str> = run.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), steps_in.len() - 1 + mixed.len() - 1);
    let files = Files::new();
    let csv = files.write("both.csv", &run.stdout);
    let copy = Store::new();
    copy.ok(&["import", &csv, "--create-pacts"]);
    for pact in ["stuck", "mixed"] {
        assert_eq!(steps(&copy, pact), steps(&store, pact), "{pact}");
    }
    copy.ok(&["verify"]);
}

#[test]
fn a_json_lines_file_recorded_in_time_to_come_is_refused_and_verify_warns_of_one() {
    let store = Store::new();
    store.ok(&["register", "p", "--name", "P"]);
    store.ok(&["append", "p", "signed", "--on", "2020-01-01"]);
    let export = store.ok(&["export"]);
    let mut lines: Vec<String> = export.lines().map(str::to_owned).collect();
    let mut event = Event::from_line(lines[1].as_bytes()).expect("an exported line");
    event.recorded = "2999-01-01T00:00:00Z".parse().expect("a time");
    lines[1] = event.to_line();
    let ahead = lines.join("\n") + "\n";
    let files = Files::new();
    let file = files.write("ahead.jsonl", &ahead);
    let copy = Store::new();
    let before = copy.snapshot();
    let stderr = copy.run(&["import", &file]).fails(1);
    assert_eq!(copy.snapshot(), before);
    assert!(
        stderr.starts_with(&format!(
            "error: {file}:2: the line was recorded at 2999-01-01T00:00:00.000000Z, which is \
             still to come (it is "
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nhint: the clock of the machine that recorded it was ahead"),
        "{stderr}"
    );
    // the same stream in a store verifies, with a warning
    std::fs::write(store.stream("p"), &ahead).expect("write the stream");
    let out = store.ok(&["verify"]);
    assert!(
        out.contains(&format!(
            "\nwarning: {}:2: recorded at 2999-01-01T00:00:00.000000Z, which is still to come: \
             a clock was ahead",
            store.stream("p").display()
        )),
        "{out}"
    );
    assert!(out.ends_with(", 0 failed, 1 warning\n"), "{out}");
}

#[test]
fn a_json_lines_file_that_begins_with_a_byte_order_mark_imports() {
    let store = Store::shipped();
    let export = store.ok(&["export"]);
    let files = Files::new();
    // named without an extension, so that its format is told from its bytes
    let file = files.write("export", format!("\u{feff}{export}"));
    let copy = Store::new();
    copy.ok(&["import", &file]);
    assert_eq!(copy.snapshot(), store.snapshot());
}

#[test]
fn an_export_recorded_after_its_import_started_imports() {
    // the import starts first and waits for lines recorded after it began:
    // they are not still to come when it checks them
    let (from, to) = (Store::new(), Store::new());
    let script = format!(
        "(sleep 0.3; pactlog --dir '{from}' register w --name W >/dev/null; \
         pactlog --dir '{from}' export) | pactlog --dir '{to}' import -",
        from = from.path().display(),
        to = to.path().display(),
    );
    let output = shell("sh").args(["-c", &script]).output().expect("sh runs");
    let run = Run::from(output);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(to.snapshot(), from.snapshot());
}

#[test]
fn a_registration_with_more_labels_than_register_now_takes_exports_and_imports_back() {
    // a stream recorded before the limits on how many aliases and parties a
    // pact has, or by another tool: read, exported and imported as it is
    let store = Store::new();
    store.ok(&["register", "wide", "--name", "Wide"]);
    let line = &store.lines("wide")[0];
    let mut event = Event::from_line(line.as_bytes()).expect("a registration");
    let pactlog::EventBody::Registered(pact) = &mut event.body else {
        panic!("a registration");
    };
    pact.parties = (0..300).map(|i| format!("P{i}")).collect();
    std::fs::write(store.stream("wide"), event.to_line() + "\n").expect("write the stream");
    store.ok(&["append", "wide", "signed", "--on", "2020-01-01"]);
    let verified = store.ok(&["verify"]);
    assert!(verified.ends_with(", 0 failed, 0 warnings\n"), "{verified}");
    let files = Files::new();
    let export = files.write("wide.jsonl", store.ok(&["export"]));
    let copy = Store::new();
    copy.ok(&["import", &export]);
    assert_eq!(copy.snapshot(), store.snapshot());
}

#[test]
fn an_exported_csv_with_rows_added_imports_back_into_its_store_adding_only_those() {
    let store = Store::shipped();
    store.ok(&["register", "multi", "--name", "Multi"]);
    let note = "a note\non two lines";
    store.ok(&[
        "append",
        "multi",
        "in-force",
        "--on",
        "2020-01-01",
        "--note",
        note,
    ]);
    let export = store.ok(&["export", "--csv"]);
    assert!(export.contains(note), "{export}");
    let files = Files::new();
    // as it was: every row is an event recorded already, and nothing changes
    // (saved with CR LF line ends, in the cells that span lines too, as a
    // spreadsheet on Windows saves it)
    let same = files.write("same.csv", export.replace('\n', "\r\n"));
    let before = store.snapshot();
    let rows = csv::Reader::from_reader(export.as_bytes())
        .records()
        .count();
    assert_eq!(
        files.redact(&store.ok(&["import", &same])),
        format!(
            "imported 0 events into 0 pacts (0 new) from same.csv; {rows} rows were events \
             recorded already, and are skipped\n"
        )
    );
    assert_eq!(store.snapshot(), before);
    // with a row added at the end, as in a spreadsheet
    let added = files.write(
        "added.csv",
        format!("{export}gsomia,status,terminated,2030-01-01,,Yonhap,,,true,false,,,,,,,\n"),
    );
    let held = store.lines("gsomia").len();
    let summary = store.json(&["import", &added]);
    assert_eq!(summary["events"], 1);
    assert_eq!(summary["skipped"], rows);
    let lines = store.lines("gsomia");
    assert_eq!(lines.len(), held + 1, "one line more");
    let last = Event::from_line(lines[held].as_bytes()).expect("the new event");
    assert!(matches!(
        last.body,
        pactlog::EventBody::Status(ref s) if s.status == pactlog::Status::Terminated && s.reported
    ));
}

#[test]
fn a_row_of_a_recorded_event_that_says_something_else_is_refused() {
    let store = Store::shipped();
    let export = store.ok(&["export", "--csv"]);
    let files = Files::new();
    // the second row (gsomia in force on 2016-11-23) with another source
    let mut reader = csv::Reader::from_reader(export.as_bytes());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(reader.headers().expect("a header"))
        .expect("write");
    for (i, record) in reader.records().enumerate() {
        let record = record.expect("a row");
        let record: csv::StringRecord = if i == 1 {
            assert_eq!(&record[2], "in_force");
            let cells = record.iter().enumerate();
            cells
                .map(|(k, c)| if k == 5 { "Another outlet" } else { c })
                .collect()
        } else {
            record
        };
        writer.write_record(&record).expect("write");
    }
    let changed = String::from_utf8(writer.into_inner().expect("flush")).expect("text");
    let file = files.write("changed.csv", changed);
    let stderr = store.refuses(&["import", &file], 1);
    assert!(
        files.redact(&stderr).starts_with(
            "error: changed.csv:3: the row is event [id], recorded already, but its source is \
             'Another outlet' where the event's is 'Kyodo: "
        ),
        "{stderr}"
    );
    // an event cell that names a note
    let log = store.json(&["log", "gsomia"]);
    let note = log
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "note")
        .expect("a note")["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let row = format!("pact,status,on,event\ngsomia,terminated,2030-01-01,{note}\n");
    let noted = files.write("noted.csv", row);
    assert_eq!(
        files.redact(&store.refuses(&["import", &noted], 1)),
        "error: noted.csv:2: the row is event [id], recorded already, but its kind is 'status' \
         where the event's is 'note'\n\
         hint: a recorded event is never changed: to record something else, clear the row's \
         event cell to make it a new event (and retract the old one with `pactlog retract`, if \
         it stands), or give the row as it was exported\n"
    );
    // an event cell that names the registration
    let registration = log[0]["id"].as_str().expect("an id");
    let row = format!("pact,status,on,event\ngsomia,terminated,2030-01-01,{registration}\n");
    let registered = files.write("registered.csv", row);
    assert_eq!(
        files.redact(&store.refuses(&["import", &registered], 1)),
        "error: registered.csv:2: the row is event [id] of 'gsomia', which is not a status or a \
         note\n\
         hint: a row of a sheet is a status or a note: clear its event cell to record it as a \
         new one\n"
    );
    // an event cell that names no event
    let bad = files.write(
        "bad.csv",
        "pact,status,on,event\ngsomia,terminated,2030-01-01,not-an-id\n",
    );
    assert_eq!(
        files.redact(&store.refuses(&["import", &bad], 1)),
        "error: bad.csv:2: 'event' is 'not-an-id', not an event id\nhint: the event column holds \
         the id of an event already recorded, as `export --csv` writes it; leave it empty for a \
         new row\n"
    );
}

#[test]
fn a_sheet_that_gives_a_row_twice_says_so() {
    let store = Store::new();
    let files = Files::new();
    let sheet = files.write(
        "sheet.csv",
        "pact,status,on\nzz,signed,2020-01-01\nzz,in force,2020-01-01\nzz,in force,2020-01-01\n",
    );
    assert_eq!(
        files.redact(&store.refuses(&["import", &sheet, "--create-pacts"], 1)),
        "error: sheet.csv:4: 'zz' is already in force on 2020-01-01 (since 2020-01-01): another \
         row gives it too\nhint: leave out the row given twice\n"
    );
}

#[test]
fn a_sheet_imported_twice_is_refused_asking_whether_it_was_imported_before() {
    let store = Store::new();
    let files = Files::new();
    // the second time, the first row meets the day's withdrawal after it,
    // which the lifecycle forbids, and whose hint (force it) would record it
    // twice
    let sheet = files.write(
        "sheet.csv",
        "pact,status,on\nx,proposed,1954-05-02\nx,withdrawn,1954-05-02\nx,signed,1960-01-01\n",
    );
    store.ok(&["import", &sheet, "--create-pacts"]);
    let stderr = files.redact(&store.refuses(&["import", &sheet, "--create-pacts"], 1));
    assert_eq!(
        stderr,
        "error: sheet.csv:2: 'x' cannot go from withdrawn (since 1954-05-02) to proposed on \
         1954-05-02; and 'x' has proposed on 1954-05-02 already: was the row imported before?\n\
         hint: leave out the rows recorded already; the rows of a sheet from `export --csv` say \
         which event each is, and those recorded already are skipped\n\
         error: sheet.csv:3: 'x' is already withdrawn on 1954-05-02 (since 1954-05-02): was the \
         row imported before?\n\
         error: sheet.csv:4: 'x' is already signed on 1960-01-01 (since 1960-01-01): was the row \
         imported before?\n\
         error: 3 bad rows in sheet.csv; nothing was imported\n"
    );
}

#[test]
fn a_backup_of_many_pacts_imports_back_with_few_files_open() {
    // 300 pacts, each a stream the store holds: a restore reads them in
    // turn, holding one open at a time, under a limit of 64 open files
    let files = Files::new();
    let mut csv = String::from("pact,name,status,on\n");
    for i in 0..300 {
        csv.push_str(&format!("p{i:03},Pact {i},signed,2001-01-01\n"));
        csv.push_str(&format!("p{i:03},,in_force,2002-01-01\n"));
    }
    let sheet = files.write("pacts.csv", csv);
    let store = Store::new();
    store.ok(&["import", &sheet, "--create-pacts"]);
    let backup = files.write("backup.jsonl", store.ok(&["export"]));
    let before = store.snapshot();
    let run = store
        .cmd(&["import", &backup, "--format", "jsonl"])
        .ulimit("-n 64")
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("imported 0 events"),
        "every line is recorded already: {}",
        run.stdout
    );
    assert_eq!(store.snapshot(), before);
    // a backup taken later, of one line more, adds that line to a copy
    // of the store as it was
    let copy = files.path("copy");
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(store.path())
        .arg(&copy)
        .status()
        .expect("cp runs");
    assert!(copied.success());
    store.ok(&["note", "p299", "a remark", "--on", "2003-01-01"]);
    let grown = files.write("grown.jsonl", store.ok(&["export"]));
    let run = pactlog_in(&copy, &["import", &grown, "--format", "jsonl"])
        .ulimit("-n 64")
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("imported 1 event "),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read(std::path::Path::new(&copy).join("p299.jsonl")).expect("the stream"),
        std::fs::read(store.stream("p299")).expect("the stream")
    );
}

#[test]
fn a_dry_run_checks_everything_says_what_it_would_write_and_writes_nothing() {
    let store = Store::new().with_gsomia();
    let files = Files::new();
    let csv = files.write(
        "rows.csv",
        "pact,status,on\ngsomia,terminated,2030-01-01\nnew-one,signed,2000-01-01\n",
    );
    let before = store.snapshot();
    let out = store.ok(&["import", &csv, "--create-pacts", "--dry-run"]);
    assert!(
        out.starts_with("would import 2 events into 2 pacts (1 new) from "),
        "{out}"
    );
    assert!(out.contains("\n  gsomia   1 event\n"), "{out}");
    assert!(
        out.contains("\n  new-one  2 events (new, registration included)\n"),
        "{out}"
    );
    let json = store.json(&["import", &csv, "--create-pacts", "--dry-run"]);
    assert_eq!(json["dry_run"], json!(true));
    assert_eq!(
        json["by_pact"][1],
        json!({"pact": "new-one", "events": 2, "created": true})
    );
    assert_eq!(store.snapshot(), before, "a dry run writes nothing");
    // a bad row fails the dry run as it fails the import
    let bad = files.write("bad.csv", "pact,status,on\ngsomia,signed,2030-01-01\n");
    store.refuses(&["import", &bad, "--dry-run"], 1);
    assert_eq!(store.snapshot(), before);
    // JSON Lines too, into a store that does not exist yet
    let export = files.write("all.jsonl", store.ok(&["export"]));
    let empty = Files::new();
    let dir = empty.path("nowhere");
    let out = crate::harness::pactlog(&["--dir", &dir, "import", &export, "--dry-run"]).run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("would import "), "{}", out.stdout);
    assert!(
        !std::path::Path::new(&dir).exists(),
        "a dry run made no store"
    );
    let left = std::fs::read_dir(empty.path("")).unwrap().count();
    assert_eq!(left, 0, "nothing staged is left beside it");
}
