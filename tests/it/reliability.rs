//! Reliability: concurrent writers, processes killed mid-append, tampering
//! at every kind of position, hostile input, and errors that are never
//! panics. Every loop is bounded by a count and a time.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Run, Store};

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

/// The ids of every event of a pact's stream, in order.
fn ids(store: &Store, pact: &str) -> Vec<String> {
    store
        .json(&["log", pact])
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|e| e["id"].as_str().expect("an id").to_owned())
        .collect()
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
        let mine: HashSet<String> = ids(&store, pact)[2..]
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
    let mut repaired = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    for round in 0..150 {
        if Instant::now() > deadline {
            break;
        }
        let text = format!("note {round} {}", "x".repeat(rng.next(3000) as usize));
        let mut child = Command::new(env!("CARGO_BIN_EXE_pactlog"))
            .args(["--dir"])
            .arg(store.path())
            .args(["note", "p", &text, "--on", "2020-01-02", "--json"])
            .env_remove("PACTLOG_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pactlog starts");
        std::thread::sleep(Duration::from_micros(rng.next(10_000)));
        let _ = child.kill();
        let output = child.wait_with_output().expect("pactlog ends");
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
    let present: HashSet<String> = ids(&store, "p").into_iter().collect();
    for id in &acknowledged {
        assert!(present.contains(id), "acknowledged event {id} is missing");
    }
    assert!(
        !acknowledged.is_empty(),
        "some appends finished before the kill"
    );
    eprintln!(
        "{} acknowledged, {repaired} torn tails repaired",
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
            vec!["register".into(), "x".into(), "--name".into(), long(201)],
            "error: name is 201 characters long; at most 200 are allowed",
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
    assert!(shown.contains("line one\\nline two"), "{shown}");
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
        let mut full = vec!["--dir", dir.as_str()];
        full.extend(args.iter());
        let run = Run::from(
            Command::new(env!("CARGO_BIN_EXE_pactlog"))
                .args(&full)
                .env_remove("PACTLOG_DIR")
                .output()
                .expect("pactlog runs"),
        );
        let stderr = run.fails(1);
        assert!(
            stderr.contains(&dir) && stderr.contains("ot a directory"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn every_subcommand_fails_bad_arguments_with_an_error_never_a_panic() {
    let store = Store::new().with_gsomia();
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
    let run = Run::from(
        Command::new(env!("CARGO_BIN_EXE_pactlog"))
            .arg("--dir")
            .arg(&missing)
            .arg("list")
            .env_remove("PACTLOG_DIR")
            .output()
            .expect("pactlog runs"),
    );
    assert!(run.fails(1).starts_with("error: no store at"));
}
