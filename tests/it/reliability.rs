//! Reliability: concurrent writers, processes killed mid-append, tampering
//! at every kind of position, hostile input, and errors that are never
//! panics. Every loop is bounded by a count and a time.

use std::collections::HashSet;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Run, Store, pactlog_in};

/// A small deterministic generator for pauses and positions.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// `writers` threads, each making `attempts` appends of statuses that
/// alternate legally (suspended, in force) to the pacts in turn, all at
/// once. Returns the ids of the appends that were acknowledged (exit 0).
fn race(store: &Arc<Store>, pacts: &[&str], writers: usize, attempts: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let store = Arc::clone(store);
            let pacts: Vec<String> = pacts.iter().map(|p| (*p).to_owned()).collect();
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for k in 0..attempts {
                    if Instant::now() > deadline {
                        break;
                    }
                    let pact = &pacts[(w + k) % pacts.len()];
                    // Whichever of the two is not the current status lands,
                    // unless another writer got there first: then try again.
                    for status in ["suspended", "in_force"].iter().cycle().take(40) {
                        let run =
                            store.run(&["append", pact, status, "--on", "2020-01-01", "--json"]);
                        if run.code == 0 {
                            let event: Value = serde_json::from_str(&run.stdout).expect("JSON");
                            acknowledged.push(event["id"].as_str().expect("an id").to_owned());
                            break;
                        }
                        assert!(
                            run.code == 1 && run.stderr.contains("is already"),
                            "an append failed for another reason: {}",
                            run.stderr
                        );
                    }
                }
                acknowledged
            })
        })
        .collect();
    threads
        .into_iter()
        .flat_map(|t| t.join().expect("a writer thread"))
        .collect()
}

fn registered_in_force(store: &Store, pact: &str) {
    store.ok(&["register", pact, "--name", pact]);
    store.ok(&["append", pact, "in_force", "--on", "2020-01-01"]);
}

/// Checks a stream after a race: every line parses and chains (`verify`),
/// seq is 1..=n, and the events are the two set-up ones plus exactly the
/// acknowledged ones, none twice.
fn assert_holds_exactly(store: &Store, pact: &str, acknowledged: &HashSet<String>) {
    let verify = store.run(&["verify", pact]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    let log = store.json(&["log", pact]);
    let events = log.as_array().expect("an array");
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["seq"], Value::from(i + 1));
    }
    let appended: Vec<&str> = events[2..]
        .iter()
        .map(|e| e["id"].as_str().expect("an id"))
        .collect();
    let unique: HashSet<&str> = appended.iter().copied().collect();
    assert_eq!(unique.len(), appended.len(), "no event twice");
    let expected: HashSet<&str> = acknowledged.iter().map(String::as_str).collect();
    assert_eq!(unique, expected, "exactly the acknowledged appends");
    // statuses alternate: none repeats the one before it
    let statuses: Vec<&str> = events[1..]
        .iter()
        .map(|e| e["status"].as_str().expect("a status"))
        .collect();
    assert!(statuses.windows(2).all(|w| w[0] != w[1]), "{statuses:?}");
}

#[test]
fn eight_writers_on_one_stream_lose_and_duplicate_nothing() {
    let store = Arc::new(Store::new());
    registered_in_force(&store, "p");
    let acknowledged = race(&store, &["p"], 8, 30);
    assert_eq!(
        acknowledged.len(),
        8 * 30,
        "every attempt lands one way or the other"
    );
    let set: HashSet<String> = acknowledged.into_iter().collect();
    assert_holds_exactly(&store, "p", &set);
}

#[test]
fn eight_writers_across_four_streams_lose_and_duplicate_nothing() {
    let store = Arc::new(Store::new());
    let pacts = ["a", "b", "c", "d"];
    for pact in pacts {
        registered_in_force(&store, pact);
    }
    let acknowledged: HashSet<String> = race(&store, &pacts, 8, 24).into_iter().collect();
    let mut seen = 0;
    for pact in pacts {
        let mine: HashSet<String> = store.ids(pact)[2..]
            .iter()
            .filter(|id| acknowledged.contains(*id))
            .cloned()
            .collect();
        seen += mine.len();
        assert_holds_exactly(&store, pact, &mine);
    }
    assert_eq!(
        seen,
        acknowledged.len(),
        "every acknowledged append is in some stream"
    );
}

#[test]
fn of_eight_writers_expecting_the_same_seq_exactly_one_wins() {
    let store = Arc::new(Store::new());
    registered_in_force(&store, "p");
    let before = std::fs::read(store.stream("p")).expect("the stream");
    let runs: Vec<Run> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                store.run(&[
                    "note",
                    "p",
                    "a race",
                    "--on",
                    "2020-01-02",
                    "--expect-seq",
                    "2",
                ])
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().expect("a thread"))
        .collect();
    assert_eq!(runs.iter().filter(|r| r.code == 0).count(), 1);
    for run in runs.into_iter().filter(|r| r.code != 0) {
        run.fails(3);
    }
    let after = std::fs::read(store.stream("p")).expect("the stream");
    assert!(after.starts_with(&before));
    assert_eq!(store.lines("p").len(), 3, "one line more, not eight");
}

#[test]
fn killing_appends_at_random_moments_loses_no_acknowledged_event() {
    let store = Store::new();
    registered_in_force(&store, "p");
    let mut rng = Lcg(0x5eed);
    let mut acknowledged = Vec::new();
    let (mut repaired, mut killed) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(20);
    for round in 0..150 {
        if Instant::now() > deadline {
            break;
        }
        let text = format!("note {round} {}", "x".repeat(rng.next(3000) as usize));
        let mut child = store
            .cmd(&["note", "p", &text, "--on", "2020-01-02", "--json"])
            .spawn();
        std::thread::sleep(Duration::from_micros(rng.next(10_000)));
        let _ = child.kill();
        let output = child.wait_with_output().expect("pactlog ends");
        // the kill landed only if pactlog was still running: it died of it
        if output.status.signal() == Some(libc::SIGKILL) {
            killed += 1;
        }
        if output.status.success() {
            let event: Value = serde_json::from_slice(&output.stdout).expect("JSON");
            acknowledged.push(event["id"].as_str().expect("an id").to_owned());
        }
        let verify = store.run(&["verify", "p"]);
        if verify.code != 0 {
            assert!(
                verify.stdout.contains("the last line is torn"),
                "{}",
                verify.stdout
            );
            let repair = store.ok(&["repair", "p"]);
            assert!(repair.contains("moved the torn line"), "{repair}");
            repaired += 1;
            assert_eq!(store.run(&["verify", "p"]).code, 0);
        }
    }
    assert_eq!(store.run(&["verify", "p"]).code, 0);
    let present: HashSet<String> = store.ids("p").into_iter().collect();
    for id in &acknowledged {
        assert!(present.contains(id), "acknowledged event {id} is missing");
    }
    assert!(
        !acknowledged.is_empty(),
        "some appends finished before the kill"
    );
    assert!(
        killed > 0,
        "no kill landed while pactlog ran: the test showed nothing"
    );
    eprintln!(
        "{} acknowledged, {killed} killed, {repaired} torn tails repaired",
        acknowledged.len()
    );
}

#[test]
fn repair_moves_a_torn_tail_aside_and_keeps_every_byte() {
    let store = Store::new().with_gsomia();
    let intact = std::fs::read(store.stream("gsomia")).expect("the stream");
    let said = store.ok(&["repair", "gsomia"]);
    assert_eq!(said, "gsomia: intact, nothing to repair (5 events)\n");
    assert_eq!(
        std::fs::read(store.stream("gsomia")).expect("the stream"),
        intact
    );

    let torn = br#"{"v":1,"pact":"gsomia","seq":6,"id":"01a2"#;
    let mut damaged = intact.clone();
    damaged.extend_from_slice(torn);
    std::fs::write(store.stream("gsomia"), &damaged).expect("write");
    let report = store.json(&["repair", "gsomia"]);
    assert_eq!(report["repaired"], true);
    assert_eq!(report["line"], 6);
    assert_eq!(report["bytes"], torn.len());
    assert_eq!(report["events"], 5);
    let quarantine = report["quarantine"].as_str().expect("a path");
    assert!(
        quarantine.starts_with(
            &store
                .path()
                .join("gsomia.jsonl.torn-")
                .display()
                .to_string()
        )
    );
    assert_eq!(std::fs::read(quarantine).expect("the quarantine"), torn);
    assert_eq!(
        std::fs::read(store.stream("gsomia")).expect("the stream"),
        intact
    );
    // the quarantine file is never read as a stream
    assert_eq!(store.run(&["verify"]).code, 0);
    assert_eq!(store.json(&["list"]).as_array().expect("a list").len(), 1);
    store.ok(&["note", "gsomia", "appends go on", "--on", "2020-01-01"]);
}

#[test]
fn repair_refuses_damage_that_is_not_a_torn_tail_and_changes_nothing() {
    let store = Store::new().with_gsomia();
    let mut lines = store.lines("gsomia");
    lines[2] = lines[2].replacen("Seoul", "Tokyo", 1);
    std::fs::write(store.stream("gsomia"), lines.join("\n") + "\n").expect("write");
    let stderr = store.refuses(&["repair", "gsomia"], 1);
    assert!(
        stderr.starts_with("error: cannot repair [store]/gsomia.jsonl:3: checksum mismatch"),
        "{stderr}"
    );
    assert!(stderr.contains("this damage needs a person"), "{stderr}");
}

/// What a tamperer does to one line of a stream.
#[derive(Debug, Clone, Copy)]
enum Tamper {
    FlipByte,
    InsertByte,
    DeleteByte,
    DuplicateLine,
    DeleteLine,
}

fn tamper(bytes: &[u8], line: usize, how: Tamper) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    let target = &mut lines[line - 1];
    let middle = target.len() / 2;
    match how {
        Tamper::FlipByte => target[middle] ^= 0x04,
        Tamper::InsertByte => target.insert(middle, b'7'),
        Tamper::DeleteByte => {
            target.remove(middle);
        }
        Tamper::DuplicateLine => {
            let copy = target.clone();
            lines.insert(line, copy);
        }
        Tamper::DeleteLine => {
            lines.remove(line - 1);
        }
    }
    lines.concat()
}

#[test]
fn tampering_at_the_first_middle_and_last_line_is_found_and_named() {
    use Tamper::*;
    let pristine = Store::new().with_gsomia();
    let bytes = std::fs::read(pristine.stream("gsomia")).expect("the stream");
    let count = pristine.lines("gsomia").len();
    let head = pristine.head("gsomia");
    for line in [1, count / 2, count] {
        for how in [FlipByte, InsertByte, DeleteByte, DuplicateLine, DeleteLine] {
            let store = Store::new().with_gsomia();
            std::fs::write(store.stream("gsomia"), tamper(&bytes, line, how)).expect("write");
            let pinned = store.run(&["verify", "gsomia", "--head", &head]);
            let case = format!("{how:?} at line {line}");
            assert_eq!(pinned.code, 1, "{case}: {}", pinned.stdout);
            if matches!(how, DeleteLine) && line == count {
                // a removed last line leaves a shorter, valid stream: only the
                // pinned head tells
                assert_eq!(store.run(&["verify", "gsomia"]).code, 0, "{case}");
                assert!(
                    pinned.stdout.contains("is not the hash of any line"),
                    "{case}"
                );
                continue;
            }
            // the line named is the tampered one, or the one after a
            // duplicated line
            let named = match how {
                DuplicateLine => line + 1,
                _ => line,
            };
            let at = format!("gsomia.jsonl:{named}: ");
            let verify = store.run(&["verify", "gsomia"]);
            assert_eq!(verify.code, 1, "{case}");
            assert!(verify.stdout.contains(&at), "{case}: {}", verify.stdout);
            let status = store.run(&["status", "gsomia", "--on", "2020-01-01"]);
            assert_eq!(status.code, 1, "{case}");
            assert!(status.stderr.contains(&at), "{case}: {}", status.stderr);
        }
    }
}

#[test]
fn text_fields_have_limits_with_clear_errors() {
    let store = Store::new().with_gsomia();
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "note".into(),
                "gsomia".into(),
                long(4001),
                "--on".into(),
                "2020-01-01".into(),
            ],
            "error: note text is 4001 characters long; at most 4000 are allowed",
        ),
        (
            vec!["register".into(), "x".into(), "--name".into(), long(1001)],
            "error: name is 1001 characters long; at most 1000 are allowed",
        ),
        (
            vec![
                "register".into(),
                "x".into(),
                "--name".into(),
                "X".into(),
                "--alias".into(),
                long(65),
            ],
            "error: alias is 65 characters long; at most 64 are allowed",
        ),
        (
            vec![
                "append".into(),
                "gsomia".into(),
                "normalized".into(),
                "--on".into(),
                "2023-03-21".into(),
                "--source".into(),
                long(501),
            ],
            "error: source is 501 characters long; at most 500 are allowed",
        ),
        (
            vec![
                "append".into(),
                "gsomia".into(),
                "normalized".into(),
                "--on".into(),
                "2023-03-21".into(),
                "--url".into(),
                format!("https://{}", long(2000)),
            ],
            "error: url is 2008 characters long; at most 2000 are allowed",
        ),
        (
            vec![
                "retract".into(),
                "gsomia".into(),
                "01a225c3-2b0f-73e8-9031-a6a8d1d4c9a7".into(),
                "--reason".into(),
                long(4001),
            ],
            "error: reason is 4001 characters long; at most 4000 are allowed",
        ),
        (
            vec![
                "register".into(),
                "x".into(),
                "--name".into(),
                "X".into(),
                "--party".into(),
                "K\nR".into(),
            ],
            "error: party 'K\\nR' contains a control character or line break",
        ),
        (
            ["register", "x", "--name", "X"]
                .map(String::from)
                .into_iter()
                .chain((0..251).flat_map(|i| ["--party".into(), format!("P{i}")]))
                .collect(),
            "error: 251 parties are given; at most 250 are allowed",
        ),
        (
            ["register", "x", "--name", "X"]
                .map(String::from)
                .into_iter()
                .chain((0..51).flat_map(|i| ["--alias".into(), format!("A{i}")]))
                .collect(),
            "error: 51 aliases are given; at most 50 are allowed",
        ),
    ];
    for (args, message) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let stderr = store.refuses(&args, 1);
        assert!(stderr.starts_with(message), "{stderr}");
    }
}

#[test]
fn a_multi_megabyte_line_is_refused_unread() {
    let store = Store::new().with_gsomia();
    let mut bytes = std::fs::read(store.stream("gsomia")).expect("the stream");
    let at = bytes
        .iter()
        .position(|&b| b == b'\n')
        .expect("a first line")
        + 1;
    let mut huge = vec![b'a'; 8 * 1024 * 1024];
    huge.push(b'\n');
    bytes.splice(at..at, huge);
    std::fs::write(store.stream("gsomia"), bytes).expect("write");
    let stderr = store.refuses(&["status", "gsomia"], 1);
    assert!(
        stderr.starts_with("error: [store]/gsomia.jsonl:2: line longer than 256 KiB"),
        "{stderr}"
    );
    let stderr = store.refuses(&["repair", "gsomia"], 1);
    assert!(stderr.starts_with("error: cannot repair"), "{stderr}");
}

#[test]
fn control_characters_are_stored_safely_and_read_back_exactly() {
    let store = Store::new().with_gsomia();
    let lines = store.lines("gsomia").len();
    let text = "line one\nline two\r\n\u{1b}[31mred\u{1b}[0m \u{2028} tab\t\u{7f}end";
    store.ok(&[
        "note",
        "gsomia",
        text,
        "--on",
        "2020-01-01",
        "--source",
        "a\u{7}bell",
    ]);
    assert_eq!(
        store.lines("gsomia").len(),
        lines + 1,
        "one event, one line"
    );
    let log = store.json(&["log", "gsomia"]);
    let note = log
        .as_array()
        .expect("an array")
        .last()
        .expect("the note")
        .clone();
    assert_eq!(note["text"], text);
    assert_eq!(note["source"], "a\u{7}bell");
    let shown = store.ok(&["history", "gsomia"]);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
    // a line break is kept, the line after it indented under the first
    assert!(shown.contains("line one\n            line two"), "{shown}");
    assert_eq!(store.run(&["verify"]).code, 0);
}

#[test]
fn a_symlinked_stream_and_a_store_that_is_not_a_directory_are_clear_errors() {
    let store = Store::new().with_gsomia();
    let elsewhere = tempfile::tempdir().expect("a directory");
    let outside = elsewhere.path().join("secret.jsonl");
    std::fs::copy(store.stream("gsomia"), &outside).expect("copy");
    std::os::unix::fs::symlink(&outside, store.path().join("linked.jsonl")).expect("a link");
    let stderr = store.refuses(&["status", "linked"], 1);
    assert!(
        stderr.starts_with("error: [store]/linked.jsonl is a symbolic link"),
        "{stderr}"
    );
    let stderr = store.refuses(&["note", "linked", "x", "--on", "2020-01-01"], 1);
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    let before = std::fs::read(&outside).expect("the outside file");
    let list = store.run(&["list"]);
    assert_eq!(list.code, 1);
    assert!(
        list.stderr.contains("linked.jsonl is a symbolic link"),
        "{}",
        list.stderr
    );
    assert!(list.stdout.contains("gsomia"), "{}", list.stdout);
    assert_eq!(std::fs::read(&outside).expect("the outside file"), before);

    let file = store.stream("gsomia");
    let dir = file.display().to_string();
    for args in [
        vec!["list"],
        vec!["register", "x", "--name", "X"],
        vec!["status", "x"],
    ] {
        let stderr = pactlog_in(&dir, &args).run().fails(1);
        assert!(
            stderr.contains(&dir) && stderr.contains("ot a directory"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn every_subcommand_fails_bad_arguments_with_an_error_never_a_panic() {
    let store = Store::new().with_gsomia();
    let log = store.json(&["log", "gsomia"]);
    let gsomia_note = log[2]["id"].as_str().expect("the note's id").to_owned();
    let gsomia_note = gsomia_note.as_str();
    let snapshot = store.snapshot();
    let cases: &[(&[&str], i32)] = &[
        (&["register"], 2),
        (&["register", "A B", "--name", "x"], 1),
        (&["register", "x", "--name", ""], 1),
        (&["register", "x", "--name", "x", "--url", "nope"], 1),
        (&["register", &"a".repeat(65), "--name", "x"], 1),
        (&["append", "gsomia"], 2),
        (&["append", "gsomia", "nostatus", "--on", "2020-01-01"], 1),
        (&["append", "gsomia", "in_force", "--on", "x"], 1),
        (&["append", "gsomia", "in_force", "--on", "99999-01-01"], 1),
        (&["append", "nope", "in_force", "--on", "2020-01-01"], 1),
        (
            &[
                "append",
                "gsomia",
                "normalized",
                "--on",
                "2023-03-21",
                "--expect-seq",
                "-1",
            ],
            2,
        ),
        (
            &[
                "append",
                "gsomia",
                "normalized",
                "--on",
                "2023-03-21",
                "--expect-seq",
                "18446744073709551615",
            ],
            3,
        ),
        (
            &[
                "append",
                "gsomia",
                "normalized",
                "--on",
                "2023-03-21",
                "--expect-seq",
                "99999999999999999999",
            ],
            2,
        ),
        (&["note", "gsomia"], 2),
        (&["note", "gsomia", "", "--on", "2020-01-01"], 1),
        (&["note", "gsomia", "x", "--on", "2020-02-30"], 1),
        (&["retract", "gsomia", "x", "--reason", "y"], 1),
        (&["retract", "gsomia"], 2),
        (
            &[
                "amend",
                "gsomia",
                "x",
                "--on",
                "2020-01-01",
                "--reason",
                "y",
            ],
            1,
        ),
        (&["amend", "gsomia", gsomia_note, "--reason", "y"], 2),
        (&["amend", "gsomia", gsomia_note, "--on", "2020-01-01"], 2),
        (
            &[
                "amend",
                "gsomia",
                gsomia_note,
                "--status",
                "in_force",
                "--reason",
                "y",
            ],
            1,
        ),
        (
            &["amend", "gsomia", gsomia_note, "--on", "x", "--reason", "y"],
            1,
        ),
        (&["status", "gsomia", "--on", "tomorrow"], 1),
        (&["status", "gsomia", "--as-of", "2020-01-01T25:00:00Z"], 1),
        (&["status", "../../etc/passwd"], 1),
        (&["status", "\u{1b}[2J"], 1),
        (&["history", "nope"], 1),
        (&["history", "gsomia", "--as-of", ""], 1),
        (&["log", "nope"], 1),
        (&["list", "--status", "sideways"], 1),
        (&["list", "--on", "2020-1-1"], 1),
        (&["changes", "--from", "2020-01-01"], 2),
        (
            &["changes", "--from", "2021-01-01", "--to", "2020-01-01"],
            1,
        ),
        (&["errata"], 2),
        (&["errata", "--since", "x"], 1),
        (&["verify", "nope"], 1),
        (&["verify", "gsomia", "--head", "zz"], 1),
        (&["repair", "nope"], 1),
        (&["merge"], 2),
        (&["merge", "nope", "nope", "nope"], 1),
        (&["merge", "nope", "nope", "nope", "nope.jsonl", "extra"], 2),
        (&["git-setup", "--no-such-flag"], 2),
        (&["no-such-command"], 2),
        (&["status", "gsomia", "--no-such-flag"], 2),
    ];
    for (args, code) in cases {
        let run = store.run(args);
        assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
        assert_eq!(run.code, *code, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: "),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(
        store.snapshot(),
        snapshot,
        "no bad command changed the store"
    );
    let missing = store.path().join("missing");
    let run = pactlog_in(&missing, &["list"]).run();
    assert!(run.fails(1).starts_with("error: no store at"));
}

/// A store as an import into it is left when it is cut short just after
/// its commit point: the journal written, the first stream's lines
/// appended, the second's only begun (a write cut short), the new stream
/// staged but not linked. Returns it, with every file as the store was
/// before the import, and as the import leaves it when it runs to the end.
fn import_cut_short() -> (Store, Snapshot, Snapshot) {
    let before = Store::new().with_gsomia();
    before.ok(&["register", "aa", "--name", "A"]);
    before.ok(&["append", "aa", "signed", "--on", "2001-01-01"]);
    let rows = "pact,status,on\ngsomia,termination_notified,2025-01-01\n\
                aa,in_force,2002-02-02\naa,suspended,2003-03-03\ncc,signed,2004-04-04\n";
    let whole = Store::new();
    let crashed = Store::new();
    for (name, bytes) in before.snapshot() {
        std::fs::write(whole.path().join(&name), &bytes).expect("copy");
        std::fs::write(crashed.path().join(&name), &bytes).expect("copy");
    }
    let files = crate::harness::Files::new();
    let csv = files.write("rows.csv", rows);
    whole.ok(&["import", &csv, "--create-pacts"]);
    let done = whole.snapshot();
    let was = before.snapshot();
    let lines = |id: &str| {
        let (old, new) = (&was[&format!("{id}.jsonl")], &done[&format!("{id}.jsonl")]);
        assert!(new.starts_with(old), "{id} only grew");
        (
            old.len(),
            String::from_utf8(new[old.len()..].to_vec()).expect("text"),
        )
    };
    let (gsomia_at, gsomia) = lines("gsomia");
    let (aa_at, aa) = lines("aa");
    let staged = ".cc.jsonl.4242.tmp";
    let journal = serde_json::json!({
        "version": 1,
        "entries": [
            {"append": {"pact": "gsomia", "at": gsomia_at, "lines": gsomia}},
            {"append": {"pact": "aa", "at": aa_at, "lines": aa}},
            {"link": {"pact": "cc", "staged": staged}},
        ],
    });
    write_journal(&crashed, &journal);
    let append = |id: &str, bytes: &[u8]| {
        let mut file = crashed.appending(id);
        std::io::Write::write_all(&mut file, bytes).expect("append");
    };
    append("gsomia", gsomia.as_bytes());
    append("aa", &aa.as_bytes()[..10]);
    std::fs::write(crashed.path().join(staged), &done["cc.jsonl"]).expect("stage");
    (crashed, was, done)
}

/// A store's files with their bytes.
type Snapshot = std::collections::BTreeMap<String, Vec<u8>>;

/// Writes `document` as the store's import journal, as FORMAT.md says: the
/// document on one line, then its CRC-32 in hex.
fn write_journal(store: &Store, document: &Value) {
    let line = serde_json::to_string(document).expect("JSON");
    let crc = crc32fast::hash(line.as_bytes());
    std::fs::write(
        store.path().join(".pactlog-journal"),
        format!("{line}\n{crc:08x}\n"),
    )
    .expect("write the journal");
}

#[test]
fn an_import_cut_short_after_its_commit_point_is_carried_out_by_the_next_writer() {
    let (store, _, done) = import_cut_short();
    // until then, verify says so (and finds the stream the write left torn)
    let verify = store.run(&["verify"]);
    assert_eq!(verify.code, 1, "{}", verify.stdout);
    assert!(
        store.redact(&verify.stdout).contains(
            "warning: [store]/.pactlog-journal: an import did not finish; the next command that records"
        ),
        "{}",
        verify.stdout
    );
    assert!(verify.stdout.contains("aa.jsonl:"), "{}", verify.stdout);

    // a note to another stream finishes the import first
    store.ok(&["note", "gsomia", "after the crash", "--on", "2025-06-01"]);
    let now = store.snapshot();
    for id in ["aa", "cc"] {
        let name = format!("{id}.jsonl");
        assert_eq!(
            now[&name], done[&name],
            "{id} as the whole import leaves it"
        );
    }
    let gsomia = &now["gsomia.jsonl"];
    assert!(gsomia.starts_with(&done["gsomia.jsonl"]));
    assert_eq!(
        store
            .lines("gsomia")
            .last()
            .map(|l| l.contains("after the crash")),
        Some(true)
    );
    assert_eq!(
        now.keys().filter(|name| name.starts_with('.')).count(),
        0,
        "journal and staged file gone: {:?}",
        now.keys()
    );
    let verify = store.run(&["verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    assert!(
        verify
            .stdout
            .ends_with("3 streams checked, 3 ok, 0 failed, 0 warnings\n"),
        "{}",
        verify.stdout
    );
}

#[test]
fn each_kind_of_writer_finishes_an_import_cut_short_first() {
    for args in [
        vec!["append", "aa", "in_force", "--on", "2010-01-01"],
        vec!["register", "dd", "--name", "D"],
        vec!["repair", "aa"],
        vec!["import", "-"],
    ] {
        let (store, _, done) = import_cut_short();
        let run = if args[0] == "import" {
            store.run_with_stdin(&args, b"pact,status,on\naa,in_force,2010-01-01\n")
        } else {
            store.run(&args)
        };
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let now = store.snapshot();
        assert!(now.contains_key("cc.jsonl"), "{args:?}");
        assert!(now["aa.jsonl"].starts_with(&done["aa.jsonl"]), "{args:?}");
        assert!(!now.contains_key(".pactlog-journal"), "{args:?}");
        assert_eq!(store.run(&["verify"]).code, 0, "{args:?}");
    }
}

#[test]
fn an_import_journal_that_no_longer_fits_its_streams_or_is_damaged_is_left_for_a_person() {
    // aa was changed by hand since: it holds other bytes where the import's
    // go. gsomia, before it in the journal, lacks its lines too, but gets
    // none of them: nothing is written unless all of the journal can be
    let (store, was, _) = import_cut_short();
    std::fs::write(store.stream("gsomia"), &was["gsomia.jsonl"]).expect("undo");
    let mut file = store.appending("aa");
    std::io::Write::write_all(&mut file, b"XYZ").expect("append");
    let refused = store.refuses(&["note", "gsomia", "after", "--on", "2025-06-01"], 1);
    assert!(
        refused.starts_with(
            "error: [store]/aa.jsonl: an import that did not finish cannot be completed: \
             the stream was changed since\n\
             hint: nothing more is recorded until a person looks: the journal (.pactlog-journal)"
        ),
        "{refused}"
    );
    assert_eq!(
        std::fs::read(store.stream("gsomia")).expect("gsomia"),
        was["gsomia.jsonl"]
    );

    // the new stream's staged file gone: refused before anything is written
    let (store, was, _) = import_cut_short();
    std::fs::write(store.stream("gsomia"), &was["gsomia.jsonl"]).expect("undo");
    std::fs::remove_file(store.path().join(".cc.jsonl.4242.tmp")).expect("remove");
    let refused = store.refuses(&["append", "aa", "in_force", "--on", "2010-01-01"], 1);
    assert!(
        refused.starts_with(
            "error: [store]/cc.jsonl: an import that did not finish cannot be completed: \
             its staged file .cc.jsonl.4242.tmp is missing\n"
        ),
        "{refused}"
    );

    // a journal whose bytes no longer match its CRC is not acted on, even
    // when it still reads as JSON
    let (store, _, _) = import_cut_short();
    let path = store.path().join(".pactlog-journal");
    let text = std::fs::read_to_string(&path).expect("the journal");
    std::fs::write(&path, text.replacen("\"at\":", "\"at\": ", 1)).expect("damage");
    let refused = store.refuses(&["register", "dd", "--name", "D"], 1);
    assert!(
        refused.starts_with(
            "error: [store]/.pactlog-journal: the journal of an import that did not finish \
             is damaged, or from a newer pactlog\n"
        ),
        "{refused}"
    );

    // nor is anything that is not a file, such as a link to nowhere
    #[cfg(unix)]
    {
        let store = Store::new().with_gsomia();
        std::os::unix::fs::symlink("nowhere", store.path().join(".pactlog-journal"))
            .expect("a link");
        let before = std::fs::read(store.stream("gsomia")).expect("gsomia");
        let run = store.run(&["note", "gsomia", "after", "--on", "2025-06-01"]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("is damaged, or from a newer pactlog"),
            "{}",
            run.stderr
        );
        assert_eq!(
            std::fs::read(store.stream("gsomia")).expect("gsomia"),
            before
        );
    }
}

#[test]
fn killing_imports_at_random_moments_leaves_each_all_there_or_not_at_all() {
    let store = Store::new();
    let files = crate::harness::Files::new();
    let pacts: Vec<String> = (0..200).map(|i| format!("p{i:03}")).collect();
    let first = files.write("first.csv", rows(&pacts, "signed", "2001-01-01"));
    store.ok(&["import", &first, "--create-pacts"]);
    let mut rng = Lcg(0x1a9b);
    let (mut whole, mut none, mut finished, mut killed) = (0, 0, 0, 0);
    // the kills aim at the end of an import, where it commits: the first
    // round runs whole, to time it; then each kill comes later after one
    // that came before the commit point, and sooner after an import that
    // finished, with a little jitter
    let mut delay = 0_u64;
    let deadline = Instant::now() + Duration::from_secs(20);
    for round in 0..40 {
        if Instant::now() > deadline {
            break;
        }
        let now = statuses(&store);
        assert_eq!(
            now.len(),
            1,
            "round {round}: every pact in one status: {now:?}"
        );
        let status = if now.contains("in_force") {
            "suspended"
        } else {
            "in_force"
        };
        let csv = files.write("round.csv", rows(&pacts, status, &nth_day(round)));
        let mut child = store
            .cmd(&["import", &csv])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let began = Instant::now();
        if round > 0 {
            let jitter = rng.next(delay / 10 + 1);
            std::thread::sleep(Duration::from_micros(delay * 95 / 100 + jitter));
            let _ = child.kill();
        }
        let exit = child.wait().expect("pactlog ends");
        // the kill landed only if pactlog was still running: it died of it
        if exit.signal() == Some(libc::SIGKILL) {
            killed += 1;
        }
        let acknowledged = exit.success();
        if round == 0 {
            delay = began.elapsed().as_micros() as u64;
        }
        // any writer carries out what the import committed to
        store.ok(&["repair", "p000"]);
        let after = statuses(&store);
        assert_eq!(
            after.len(),
            1,
            "round {round}: all of the import or none: {after:?}"
        );
        if acknowledged {
            assert!(
                after.contains(status),
                "round {round}: acknowledged, so there"
            );
            whole += 1;
            delay = delay * 85 / 100;
        } else if after.contains(status) {
            finished += 1;
        } else {
            none += 1;
            delay = delay * 115 / 100;
        }
        assert_eq!(store.run(&["verify"]).code, 0, "round {round}");
    }
    assert!(
        killed > 0,
        "no kill landed while an import ran: the test showed nothing"
    );
    eprintln!(
        "{whole} imports acknowledged, {none} killed before their commit point, \
         {finished} after it ({killed} kills landed)"
    );
}

/// An import into many existing streams holds none of them open: it runs
/// under a limit of open files far below the number of streams it touches.
#[cfg(unix)]
#[test]
fn an_import_touching_more_streams_than_files_may_be_open_runs() {
    let store = Store::new();
    let files = crate::harness::Files::new();
    // each core reads a stream at a time: the limit leaves room for that,
    // and for 40 more, and the import touches a hundred more than that
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let limit = 2 * cores + 40;
    let pacts: Vec<String> = (0..limit + 100).map(|i| format!("p{i:04}")).collect();
    let first = files.write("first.csv", rows(&pacts, "signed", "2001-01-01"));
    store.ok(&["import", &first, "--create-pacts"]);
    let second = files.write("second.csv", rows(&pacts, "in_force", "2002-02-02"));
    let run = store
        .cmd(&["import", &second])
        .ulimit(&format!("-n {limit}"))
        .output();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(statuses(&store), HashSet::from(["in_force".to_owned()]));
}

/// Imports and appends to the same streams at once: appends wait while an
/// import runs (it holds the store's lock), and neither breaks the other's
/// chain or loses a line.
#[test]
fn imports_and_appends_racing_on_the_same_streams_lose_and_break_nothing() {
    let store = Arc::new(Store::new());
    let files = crate::harness::Files::new();
    let pacts: Vec<String> = (0..40).map(|i| format!("p{i:02}")).collect();
    store.ok(&[
        "import",
        &files.write("first.csv", rows(&pacts, "signed", "2001-01-01")),
        "--create-pacts",
    ]);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (store, stop, pacts) = (Arc::clone(&store), Arc::clone(&stop), pacts.clone());
            std::thread::spawn(move || {
                let mut acknowledged = 0;
                let mut k = w;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && k < 3000 {
                    let run = store.run(&[
                        "note",
                        &pacts[k % pacts.len()],
                        "racing",
                        "--on",
                        "2001-06-01",
                    ]);
                    assert_eq!(run.code, 0, "{}", run.stderr);
                    acknowledged += 1;
                    k += 3;
                }
                acknowledged
            })
        })
        .collect();
    // imports go on until some note has landed between two of them
    let mut rounds = 0;
    while rounds < 6 || (!interleaved(&store, &pacts) && rounds < 30) {
        let status = if rounds % 2 == 0 {
            "in_force"
        } else {
            "suspended"
        };
        let csv = files.write("round.csv", rows(&pacts, status, &nth_day(rounds)));
        store.ok(&["import", &csv]);
        rounds += 1;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acknowledged: usize = writers
        .into_iter()
        .map(|t| t.join().expect("a writer"))
        .sum();
    assert!(
        interleaved(&store, &pacts),
        "appends ran between the imports"
    );
    let verify = store.run(&["verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    let mut notes = 0;
    for pact in &pacts {
        let log = store.json(&["log", pact]);
        let events = log.as_array().expect("an array");
        notes += events.iter().filter(|e| e["kind"] == "note").count();
        let statuses = events.iter().filter(|e| e["kind"] == "status").count();
        assert_eq!(
            statuses,
            1 + rounds,
            "{pact}: the first import's row and one a round"
        );
    }
    assert_eq!(
        notes, acknowledged,
        "every acknowledged note is there, once"
    );
}

/// Whether some stream has a note recorded after its second status event
/// and before its last: written between two imports.
fn interleaved(store: &Store, pacts: &[String]) -> bool {
    pacts.iter().any(|pact| {
        let kinds: Vec<String> = store
            .lines(pact)
            .iter()
            .map(|line| {
                let event: Value = serde_json::from_str(line).expect("JSON");
                event["kind"].as_str().expect("a kind").to_owned()
            })
            .collect();
        let statuses: Vec<usize> = (0..kinds.len()).filter(|&i| kinds[i] == "status").collect();
        statuses.len() >= 3
            && (statuses[1]..*statuses.last().expect("a last")).any(|i| kinds[i] == "note")
    })
}

/// An import CSV with one row for each of `pacts`: `status` on `on`.
fn rows(pacts: &[String], status: &str, on: &str) -> String {
    let mut csv = String::from("pact,status,on\n");
    for pact in pacts {
        csv += &format!("{pact},{status},{on}\n");
    }
    csv
}

/// The statuses `list` shows today, each once.
fn statuses(store: &Store) -> HashSet<String> {
    store
        .json(&["list"])
        .as_array()
        .expect("an array")
        .iter()
        .map(|row| row["status"].as_str().expect("a status").to_owned())
        .collect()
}

/// The `n`th day from 2002-01-01 on (28 a month): a date a round, all in
/// the past, so that `list` shows each.
fn nth_day(n: usize) -> String {
    format!("2002-{:02}-{:02}", 1 + n / 28, 1 + n % 28)
}

#[test]
fn a_record_whose_output_cannot_be_written_says_that_it_is_recorded() {
    let store = Store::new();
    // /dev/full takes no byte: each write fails as on a full disk
    let run = |args: &[&str]| {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        store.cmd(args).stdout(full).run().fails(1)
    };
    for (args, what) in [
        (&["register", "p", "--name", "P"][..], "the registration"),
        (
            &["note", "p", "hi", "--on", "2020-01-01", "--json"],
            "the note",
        ),
        (
            &["append", "p", "signed", "--on", "2020-01-01"],
            "the status",
        ),
    ] {
        let stderr = run(args);
        assert_eq!(
            stderr.lines().collect::<Vec<_>>(),
            [
                format!(
                    "error: {what} is recorded, but the output that says so could not be \
                     written: cannot write <stdout>: No space left on device (os error 28)"
                )
                .as_str(),
                "hint: do not run the command again: `pactlog log PACT` shows the pact's events",
            ],
        );
    }
    assert_eq!(store.lines("p").len(), 3, "each is recorded once");
    // a command that records nothing says only what failed
    assert_eq!(
        run(&["status", "p"]),
        "error: cannot write <stdout>: No space left on device (os error 28)\n"
    );
}

#[test]
fn a_library_caller_cannot_write_a_line_that_readers_refuse() {
    let store = Store::new();
    store.ok(&["register", "p", "--name", "P"]);
    let before = store.snapshot();
    let lib = pactlog::Store::new(store.path());
    let id = pactlog::PactId::parse("p").expect("an id");
    let now = chrono::Utc::now();
    // past the limits a command line keeps to, and past what a line holds
    let note = pactlog::Note {
        on: "2020-01-01".parse().expect("a date"),
        text: "x".repeat(300 * 1024),
        source: None,
        url: None,
        parties: Vec::new(),
        amends: None,
    };
    let error = lib
        .append(&id, pactlog::AppendOptions::default(), now, |_| {
            Ok(pactlog::EventBody::Note(note))
        })
        .expect_err("a line of 300 KiB");
    assert!(
        error
            .to_string()
            .starts_with("the event would make a line of ")
            && error
                .to_string()
                .ends_with(" bytes, and a line holds at most 256 KiB"),
        "{error}"
    );
    let mut pact = pactlog::Pact::named(pactlog::PactId::parse("q").expect("an id"), "Q");
    pact.parties = (0..251).map(|i| format!("P{i}")).collect();
    let error = pactlog::command::Registration::new(pact)
        .and_then(|r| r.record(&lib, now))
        .expect_err("too many parties");
    assert_eq!(
        error.to_string(),
        "251 parties are given; at most 250 are allowed"
    );
    assert_eq!(store.snapshot(), before);
}

#[test]
fn a_name_of_a_thousand_characters_of_any_script_is_taken_whole() {
    let store = Store::new();
    // counted as characters, not bytes: 1,000 of them, three bytes each
    let name = "条".repeat(1000);
    store.ok(&["register", "long", "--name", &name]);
    assert_eq!(
        store.json(&["status", "long"])["name"],
        serde_json::json!(name)
    );
    let stderr = store.refuses(&["register", "longer", "--name", &format!("{name}x")], 1);
    assert!(
        stderr.starts_with("error: name is 1001 characters long; at most 1000 are allowed"),
        "{stderr}"
    );
}
