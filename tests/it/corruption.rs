//! Damaged streams: for each kind of damage, `verify` exits 1 naming
//! `FILE:LINE` and what is wrong, and the readers (`status`, `history`)
//! refuse to answer from the stream with the same `FILE:LINE`, changing
//! nothing.

use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::harness::{Store, line_range, resealed};

/// `with_gsomia`: 1 registered, 2 in force, 3 note, 4 termination notified,
/// 5 conditionally suspended.
const LINES: usize = 5;

/// Rewrites the stream of `gsomia` as `edit` changes its bytes.
fn damage(store: &Store, edit: impl FnOnce(&mut Vec<u8>)) {
    let path = store.stream("gsomia");
    let mut bytes = std::fs::read(&path).expect("the stream");
    edit(&mut bytes);
    std::fs::write(&path, bytes).expect("write the stream");
}

/// Replaces line `n` of `gsomia` (not its LF) with `line`.
fn replace_line(store: &Store, n: usize, line: &str) {
    damage(store, |bytes| {
        let range = line_range(bytes, n);
        bytes.splice(range, line.bytes());
    });
}

/// Asserts that `verify` fails naming `at` (`gsomia.jsonl:LINE: ...`), that
/// `status` and `history` refuse with the same `error:` line, and that none
/// of them changes the store. Returns verify's report and status's error.
fn refused_at(store: &Store, at: &str) -> (String, String) {
    let before = store.snapshot();
    let verify = store.run(&["verify"]);
    let report = store.redact(&verify.stdout);
    let stderr = verify.fails(1);
    assert!(
        report.contains(&format!("problem: [store]/{at}")),
        "verify should name {at}: {report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("FAILED") && l.contains("gsomia")),
        "{report}"
    );
    assert_eq!(stderr, "error: 1 stream failed\n");
    let status = store.refuses(&["status", "gsomia", "--on", "2020-01-01"], 1);
    assert!(
        status.starts_with(&format!("error: [store]/{at}")),
        "status should name {at}: {status}"
    );
    let history = store.refuses(&["history", "GSOMIA"], 1);
    assert_eq!(
        history, status,
        "history and status report the same problem"
    );
    assert_eq!(store.snapshot(), before);
    (report, status)
}

#[test]
fn a_line_that_is_not_json_in_the_middle() {
    let store = Store::new().with_gsomia();
    replace_line(&store, 3, "this is not JSON");
    let (report, status) = refused_at(&store, "gsomia.jsonl:3: malformed event");
    assert_snapshot!(report, @r"
    FAILED  gsomia
    problem: [store]/gsomia.jsonl:3: malformed event: expected ident (column 2) (hint: event lines are never edited by hand; compare the file with its history in git)
    1 stream checked, 0 ok, 1 failed, 0 warnings
    ");
    assert_snapshot!(status, @r"
    error: [store]/gsomia.jsonl:3: malformed event: expected ident (column 2)
    hint: event lines are never edited by hand; compare the file with its history in git
    ");
}

#[test]
fn one_flipped_byte_in_a_middle_line_fails_its_checksum() {
    let store = Store::new().with_gsomia();
    damage(&store, |bytes| {
        let line = line_range(bytes, 3);
        let text = &bytes[line.clone()];
        let at = line.start
            + text
                .windows(5)
                .position(|w| w == b"Seoul")
                .expect("the note's text");
        bytes[at] ^= 0x20; // "Seoul" becomes "seoul": still a valid event
    });
    let (_, status) = refused_at(&store, "gsomia.jsonl:3: checksum mismatch");
    assert_snapshot!(status, @r"
    error: [store]/gsomia.jsonl:3: checksum mismatch: the line was changed after it was written
    hint: event lines are never edited by hand; compare the file with its history in git
    ");
}

#[test]
fn a_middle_line_edited_with_its_checksum_redone_breaks_the_chain_at_the_next_line() {
    let store = Store::new().with_gsomia();
    let mut lines = store.lines("gsomia");
    lines[2] = resealed(&lines[2], "Seoul", "Tokyo");
    std::fs::write(store.stream("gsomia"), lines.join("\n") + "\n").expect("write");
    let (_, status) = refused_at(&store, "gsomia.jsonl:4: hash chain broken");
    assert_snapshot!(status, @r"
    error: [store]/gsomia.jsonl:4: hash chain broken: 'prev' does not match the line before (it was changed, or a line was inserted or removed)
    hint: event lines are never edited by hand; compare the file with its history in git
    ");
}

#[test]
fn a_removed_middle_line_is_a_gap_in_seq() {
    let store = Store::new().with_gsomia();
    damage(&store, |bytes| {
        let line = line_range(bytes, 3);
        bytes.drain(line.start..=line.end);
    });
    let (_, status) = refused_at(&store, "gsomia.jsonl:3: seq 4 where 3 was expected");
    assert_snapshot!(status, @r"
    error: [store]/gsomia.jsonl:3: seq 4 where 3 was expected (a line is missing or out of place)
    hint: event lines are never edited by hand; compare the file with its history in git
    ");
}

#[test]
fn a_torn_last_line_says_a_write_was_interrupted_and_how_to_recover() {
    let store = Store::new().with_gsomia();
    damage(&store, |bytes| {
        let last = line_range(bytes, LINES);
        bytes.truncate(last.start + (last.end - last.start) / 2);
    });
    let (_, status) = refused_at(&store, "gsomia.jsonl:5: the last line is torn");
    assert_snapshot!(status, @r"
    error: [store]/gsomia.jsonl:5: the last line is torn (no final newline): a write was interrupted
    hint: the lines before it are intact: `pactlog repair gsomia` moves the torn line into a file beside the stream
    ");
}

#[test]
fn a_last_line_without_its_final_newline_is_torn() {
    let store = Store::new().with_gsomia();
    damage(&store, |bytes| {
        assert_eq!(bytes.pop(), Some(b'\n'));
    });
    let (_, status) = refused_at(&store, "gsomia.jsonl:5: the last line is torn");
    assert!(status.contains("a write was interrupted"), "{status}");
}

#[test]
fn an_unparsable_last_line_is_torn() {
    let store = Store::new().with_gsomia();
    replace_line(&store, LINES, r#"{"v":1,"pact":"gsomia","seq":5,"id""#);
    let (_, status) = refused_at(&store, "gsomia.jsonl:5: the last line is torn");
    assert_snapshot!(status, @r"
    error: [store]/gsomia.jsonl:5: the last line is torn (it does not parse): a write was interrupted, or the line was damaged
    hint: the lines before it are intact: `pactlog repair gsomia` moves the torn line into a file beside the stream
    ");
}

#[test]
fn a_whole_last_line_that_says_something_invalid_is_malformed_not_torn() {
    // written whole (its CRC holds), so no write was interrupted: repair
    // has nothing to move, and the hint says so
    let store = Store::new().with_gsomia();
    let lines = store.lines("gsomia");
    let bogus = resealed(&lines[LINES - 1], "conditionally_suspended", "bogus");
    replace_line(&store, LINES, &bogus);
    let (_, status) = refused_at(&store, "gsomia.jsonl:5: malformed event");
    assert!(status.contains("bogus"), "{status}");
    let before = store.snapshot();
    let repair = store.refuses(&["repair", "gsomia"], 1);
    assert_snapshot!(store.redact(&repair), @r"
    error: cannot repair [store]/gsomia.jsonl:5: malformed event: unknown variant `bogus`, expected one of `proposed`, `signed`, `ratified`, `provisionally_applied`, `in_force`, `termination_notified`, `conditionally_suspended`, `normalized`, `suspended`, `terminated`, `expired`, `withdrawn` (column 148)
    hint: repair only moves a torn last line aside; this damage needs a person: compare the file with its history in git (git log -p)
    ");
    assert_eq!(store.snapshot(), before);
}

#[test]
fn a_stream_with_its_line_endings_converted_to_cr_lf_says_so() {
    let store = Store::new().with_gsomia();
    damage(&store, |bytes| {
        *bytes = String::from_utf8(std::mem::take(bytes))
            .expect("UTF-8")
            .replace('\n', "\r\n")
            .into_bytes();
    });
    let (_, status) = refused_at(&store, "gsomia.jsonl:1: the line ends in CR LF");
    assert_snapshot!(status, @r"
    error: [store]/gsomia.jsonl:1: the line ends in CR LF, where pactlog writes LF alone: the file's line endings were converted
    hint: convert them back (for example `sed -i 's/\r$//' [store]/gsomia.jsonl`), and keep git from converting streams with a `.gitattributes` line `*.jsonl -text`
    ");
}

#[test]
fn a_format_version_from_the_future_is_named_not_dropped() {
    let store = Store::new().with_gsomia();
    let last = store.lines("gsomia")[LINES - 1].replace(r#""v":1,"#, r#""v":4,"#);
    replace_line(&store, LINES, &last);
    let (_, status) = refused_at(&store, "gsomia.jsonl:5: format version 4");
    assert_snapshot!(status, @r"
    error: [store]/gsomia.jsonl:5: format version 4 is newer than this pactlog understands (version 3)
    hint: upgrade pactlog to read this store
    ");
}

#[test]
fn append_refuses_to_write_after_a_torn_last_line() {
    let store = Store::new().with_gsomia();
    damage(&store, |bytes| {
        bytes.truncate(bytes.len() - 20);
    });
    let stderr = store.refuses(&["append", "gsomia", "normalized", "--on", "2023-03-21"], 1);
    assert!(
        stderr.starts_with("error: [store]/gsomia.jsonl:5: the last line is torn"),
        "{stderr}"
    );
}

#[test]
fn verify_finds_one_flipped_byte_in_a_copy_of_the_shipped_record() {
    let store = Store::shipped();
    let healthy = store.run(&["verify"]);
    assert_eq!(
        healthy.code, 0,
        "the shipped record verifies: {}",
        healthy.stdout
    );
    let streams = healthy
        .stdout
        .lines()
        .filter(|l| l.starts_with("ok"))
        .count();
    damage(&store, |bytes| {
        let line = line_range(bytes, 2);
        let at = line.start
            + bytes[line]
                .windows(6)
                .position(|w| w == b"Signed")
                .expect("the signing note");
        bytes[at] ^= 0x20;
    });
    let run = store.run(&["verify"]);
    let report = store.redact(&run.stdout);
    run.fails(1);
    assert!(
        report.contains("problem: [store]/gsomia.jsonl:2: checksum mismatch"),
        "{report}"
    );
    assert_eq!(
        report.lines().filter(|l| l.starts_with("ok")).count(),
        streams - 1,
        "the other streams are still checked: {report}"
    );
    store.refuses(&["status", "gsomia", "--on", "2020-01-01"], 1);
}

#[test]
fn any_flipped_bit_in_any_line_of_the_shipped_record_is_found_at_that_line() {
    let pristine = Store::shipped();
    for name in pristine.snapshot().keys() {
        let id = name.trim_end_matches(".jsonl");
        let lines = pristine.lines(id).len();
        for n in 1..=lines {
            for offset in [0.0, 0.5, 0.97] {
                let store = Store::shipped();
                let mut bytes = std::fs::read(store.stream(id)).expect("the stream");
                let line = line_range(&bytes, n);
                let at = line.start + ((line.end - line.start) as f64 * offset) as usize;
                bytes[at] ^= 0x01;
                std::fs::write(store.stream(id), &bytes).expect("write");
                let run = store.run(&["verify"]);
                assert_eq!(run.code, 1, "{id} line {n} byte {at}: {}", run.stdout);
                assert!(
                    run.stdout.contains(&format!("{name}:{n}: ")),
                    "{id} line {n} byte {at}: {}",
                    run.stdout
                );
            }
        }
    }
}

#[test]
fn list_reports_a_broken_stream_on_stderr_and_still_lists_the_healthy_ones() {
    let store = Store::new().with_gsomia();
    store.ok(&["register", "white-list", "--name", "White list"]);
    store.ok(&["append", "white-list", "in_force", "--on", "2019-07-01"]);
    store.ok(&["register", "apec", "--name", "APEC pledge"]);
    replace_line(&store, 3, "this is not JSON");
    let before = store.snapshot();
    let run = store.run(&["list", "--on", "2020-01-01"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_snapshot!(store.redact(&run.stderr), @r"
    error: [store]/gsomia.jsonl:3: malformed event: expected ident (column 2)
    hint: event lines are never edited by hand; compare the file with its history in git
    error: 1 stream failed
    ");
    assert_snapshot!(store.redact(&run.stdout), @r"
    PACT        STATUS    SINCE       NAME
    apec        -         -           APEC pledge
    white-list  in force  2019-07-01  White list
    heads: apec [hash], white-list [hash]
    ");
    let json = store.run(&["list", "--on", "2020-01-01", "--json"]);
    assert_eq!(json.code, 1);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let pacts: Vec<&serde_json::Value> = rows
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| &r["pact"])
        .collect();
    assert_eq!(pacts, ["apec", "white-list"]);
    // no change among the streams read is not no change at all
    let changes = store.run(&["changes", "--from", "2019-08-01", "--to", "2019-12-31"]);
    assert_eq!(changes.code, 1);
    assert_eq!(
        changes.stdout,
        "no status changes from 2019-08-01 to 2019-12-31 in the streams that could be read\n"
    );
    assert_eq!(store.snapshot(), before);
}

#[test]
fn a_pinned_head_survives_appends_but_not_a_removed_last_line() {
    let store = Store::new().with_gsomia();
    let head = store.head("gsomia");
    store.ok(&["note", "gsomia", "later news", "--on", "2020-01-01"]);
    let run = store.run(&["verify", "gsomia", "--head", &head]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = store.lines("gsomia").len();
    assert!(
        run.stdout.contains(&format!(
            "gsomia.jsonl:{}: the pinned head is this line; 1 event was appended after it",
            lines - 1
        )),
        "{}",
        run.stdout
    );

    // remove the last two lines: the pinned line is gone
    let text = store.lines("gsomia")[..lines - 2].join("\n") + "\n";
    std::fs::write(store.stream("gsomia"), text).expect("write the stream");
    assert_eq!(
        store.run(&["verify", "gsomia"]).code,
        0,
        "the chain alone cannot tell"
    );
    let run = store.run(&["verify", "gsomia", "--head", &head]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains(&format!(
            "gsomia.jsonl:{}: the pinned head {head} is not the hash of any line",
            lines - 2
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn head_pins_exactly_one_stream_and_is_64_hex_digits() {
    let store = Store::shipped();
    let head = store.head("gsomia");
    // a usage error: --head goes with one PACT
    let stderr = store.refuses(&["verify", "--head", &head], 2);
    assert!(
        stderr.starts_with("error: --head pins one stream, but 5 are checked"),
        "{stderr}"
    );
    // typed in either case, but as the digits alone
    store.ok(&["verify", "gsomia", "--head", &head.to_uppercase()]);
    for spelled in ["abc".to_owned(), format!("0x{head}")] {
        let stderr = store.refuses(&["verify", "gsomia", "--head", &spelled], 1);
        assert!(
            stderr.starts_with(&format!("error: invalid head hash '{spelled}'")),
            "{stderr}"
        );
    }
}

#[test]
fn a_hash_link_spelled_any_other_way_is_a_malformed_line() {
    let store = Store::shipped();
    let original = store.lines("gsomia");
    let (_, after) = original[1].split_once("\"prev\":\"").expect("a prev");
    let prev = &after[..64];
    for spelled in [format!("0x{prev}"), prev.to_uppercase()] {
        let mut lines = original.clone();
        // the checksum redone, so that only the spelling is wrong
        lines[1] = resealed(&lines[1], prev, &spelled);
        std::fs::write(store.stream("gsomia"), lines.join("\n") + "\n").expect("write");
        let before = store.snapshot();
        let run = store.run(&["verify", "gsomia"]);
        let said = format!("{}{}", run.stdout, run.stderr);
        run.fails(1);
        assert!(said.contains("gsomia.jsonl:2:"), "{spelled}: {said}");
        assert!(
            said.contains("64 lowercase hex digits"),
            "{spelled}: {said}"
        );
        assert_eq!(store.snapshot(), before, "{spelled}");
    }
}

#[test]
fn a_damaged_registration_is_named_not_taken_for_a_free_alias() {
    let store = Store::shipped();
    let path = store.stream("jp-kr-white-list");
    let text = std::fs::read_to_string(&path).expect("the stream");
    std::fs::write(&path, text.replacen("\"v\":1", "\"v\":7", 1)).expect("write");
    let stderr = store.refuses(&["status", "White-List"], 1);
    assert!(
        stderr.starts_with("error: unknown pact 'White-List'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 damaged stream could not be searched: run `pactlog verify`"),
        "{stderr}"
    );
    let stderr = store.refuses(
        &["register", "other", "--name", "O", "--alias", "white-list"],
        1,
    );
    assert!(
        stderr.contains("jp-kr-white-list.jsonl:1: format version 7 is newer"),
        "{stderr}"
    );
}

#[test]
fn a_stream_two_git_branches_appended_to_is_refused_as_a_merge_conflict() {
    // the store is the repository
    let store = Store::new();
    let git = |args: &[&str]| crate::harness::git(store.path(), args);
    git(&["init", "-q", "-b", "main"]);
    store.ok(&["register", "p", "--name", "P"]);
    store.ok(&["append", "p", "proposed", "--on", "2019-01-01"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "register"]);
    git(&["checkout", "-qb", "other"]);
    store.ok(&["note", "p", "from the other branch", "--on", "2020-01-01"]);
    store.ok(&["append", "p", "signed", "--on", "2020-02-01"]);
    git(&["commit", "-qam", "other"]);
    git(&["checkout", "-q", "main"]);
    store.ok(&["note", "p", "from main", "--on", "2020-01-02"]);
    git(&["commit", "-qam", "main"]);
    // git merges the stream as text: a conflict, which it says by failing
    let merged = crate::harness::git_in(store.path(), &["merge", "-q", "other"]);
    assert!(!merged.status.success(), "git merged without a conflict");
    let stream = std::fs::read_to_string(store.stream("p")).expect("the stream");
    assert!(stream.contains("\n<<<<<<< HEAD\n"), "{stream}");

    let stderr = store.run(&["status", "p"]).fails(1);
    let file = store.stream("p").display().to_string();
    assert_eq!(
        stderr,
        format!(
            "error: {file}:3: a git merge conflict: two branches appended to the stream, and git \
             left both sides' lines in it between its markers\n\
             hint: git merged the stream as text, as it does when pactlog's merge driver is not \
             set up: `git merge --abort`, run `pactlog git-setup`, and merge again; or keep one \
             side (`git checkout --ours {file}`, or --theirs) and record again the events only \
             the other has (`git log --merge -p {file}` shows each side's; README.md, \
             \"Working with git\")\n"
        )
    );
    let verify = store.run(&["verify"]);
    assert!(
        verify.stdout.contains(":3: a git merge conflict"),
        "{}",
        verify.stdout
    );
    // what the hint says shows the other side's line, and mends the stream
    let sides = git(&["log", "--merge", "-p", "--", &file]);
    assert!(sides.contains("from the other branch"), "{sides}");
    let theirs = Store::new();
    let their_stream = git(&["show", "MERGE_HEAD:p.jsonl"]);
    std::fs::write(theirs.stream("p"), their_stream).expect("their side, as a store");
    git(&["checkout", "--ours", "--", &file]);
    let verified = store.ok(&["verify"]);
    assert!(
        verified.ends_with("1 ok, 0 failed, 0 warnings\n"),
        "{verified}"
    );
    // README's way to record their statuses again: their side's sheet,
    // imported into ours, where the row both hold is skipped
    let sheet = theirs.ok(&["export", "--csv"]);
    let run = store.run_with_stdin(&["import", "-"], sheet.as_bytes());
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (
            0,
            "imported 2 events into 1 pact (0 new) from <stdin>; 1 row was an event recorded \
             already, and is skipped\n"
        ),
        "{}",
        run.stderr
    );
    let history = store.json(&["history", "p"]);
    let statuses: Vec<&Value> = history["intervals"]
        .as_array()
        .expect("intervals")
        .iter()
        .map(|i| &i["status"])
        .collect();
    assert_eq!(statuses, ["proposed", "signed"]);
    let notes: Vec<&Value> = history["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| &n["text"])
        .collect();
    assert!(notes.contains(&&json!("from main")), "{notes:?}");
    assert!(
        notes.contains(&&json!("from the other branch")),
        "{notes:?}"
    );
}
