//! Torn writes and the readers beside them: a write that fails part-way (a
//! file-size limit here; a full disk takes the same path) leaves every
//! stream as it was and never kills pactlog, and a line being appended is
//! never reported as damage by a reader that meets it half written.
//!
//! A full disk cannot be made here: a small tmpfs needs mount rights the
//! tests cannot assume. The limit `ulimit -f` sets makes a write fail with
//! EFBIG where a full disk makes it fail with ENOSPC, part-way through the
//! same `write`, and pactlog undoes both alike, so the limit stands for both.

use std::fs;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{Files, Run, Store, pactlog_in};

/// The unit of `ulimit -f` in `/bin/sh` (512 bytes in dash and in POSIX
/// shells, 1024 in bash run as bash), found by letting a write run into a
/// limit of one unit; `None` when the limit cannot be set here.
fn limit_unit() -> Option<u64> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let probe = dir.path().join("probe");
    // the shell ignores SIGXFSZ, so its write stops at the limit
    Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 1 && printf '%4096s' x > \"$0\"")
        .arg(&probe)
        .stderr(Stdio::null())
        .status()
        .expect("sh runs");
    let unit = fs::metadata(&probe).map(|m| m.len()).ok()?;
    [512, 1024].contains(&unit).then_some(unit)
}

/// The unit of `ulimit -f`, or a note on standard error that the test
/// cannot run here.
fn unit_or_skip(test: &str) -> Option<u64> {
    let unit = limit_unit();
    if unit.is_none() {
        eprintln!("skipped: {test}: `ulimit -f` cannot limit a file's size in /bin/sh here");
    }
    unit
}

/// Runs `pactlog --dir DIR ARGS...` with its files limited to `bytes`, a
/// multiple of the unit of `ulimit -f`, and checks it exited rather than
/// being killed by SIGXFSZ.
fn run_limited(dir: &std::path::Path, unit: u64, bytes: u64, args: &[&str]) -> Run {
    assert_eq!(bytes % unit, 0, "{bytes} is not a whole number of units");
    let output = pactlog_in(dir, args)
        .ulimit(&format!("-f {}", bytes / unit))
        .output();
    if let Some(signal) = output.status.signal() {
        panic!(
            "pactlog {} was killed by signal {signal} (SIGXFSZ is {}); stderr: {}",
            shown(args),
            libc::SIGXFSZ,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Run::from(output)
}

/// The arguments of a command, the long ones cut short, for messages.
fn shown(args: &[&str]) -> String {
    let args: Vec<String> = args
        .iter()
        .map(|arg| match arg.char_indices().nth(24) {
            Some((at, _)) => format!("{}...", &arg[..at]),
            None => (*arg).to_owned(),
        })
        .collect();
    args.join(" ")
}

/// The smallest limit above `len` bytes: a write that starts at `len` can
/// write at least one byte and at most one unit before it meets it.
fn limit_above(len: u64, unit: u64) -> u64 {
    (len / unit + 1) * unit
}

/// A text of `n` letters: a line longer than any unit of `ulimit -f`.
fn long(n: usize) -> String {
    "n".repeat(n)
}

/// Runs `args` with a limit that the line it appends to `pact` runs into,
/// and checks that it fails with a clear error, leaves every file of the
/// store as it was, and that the stream still verifies. Returns stderr.
fn refused_at_the_limit(store: &Store, unit: u64, pact: &str, args: &[&str]) -> String {
    let len = fs::metadata(store.stream(pact)).expect("the stream").len();
    refused_under(store, unit, limit_above(len, unit), pact, args)
}

/// [`refused_at_the_limit`], under the file-size limit `limit` (bytes).
fn refused_under(store: &Store, unit: u64, limit: u64, pact: &str, args: &[&str]) -> String {
    let before = store.snapshot();
    let run = run_limited(store.path(), unit, limit, args);
    let command = shown(args);
    assert!(run.stdout.is_empty(), "{command} printed: {}", run.stdout);
    let stderr = store.redact(&run.fails(1));
    assert!(
        stderr.starts_with(&format!(
            "error: could not append to [store]/{pact}.jsonl: file too large (past the \
             file-size limit); the stream is as it was\nhint: "
        )),
        "{command}: {stderr}"
    );
    assert!(stderr.contains("ulimit -f"), "{stderr}");
    assert_eq!(store.snapshot(), before, "{command} changed the store");
    store.ok(&["verify"]);
    stderr
}

#[test]
fn an_append_note_or_retraction_past_the_file_size_limit_leaves_the_stream_as_it_was() {
    let Some(unit) = unit_or_skip("appends past the file-size limit") else {
        return;
    };
    let store = Store::new().with_gsomia();
    let note = long(3000);
    let stderr = refused_at_the_limit(
        &store,
        unit,
        "gsomia",
        &[
            "append",
            "gsomia",
            "in_force",
            "--on",
            "2019-11-23",
            "--note",
            &note,
        ],
    );
    assert_eq!(
        stderr.lines().nth(1),
        Some(
            "hint: the file would pass the file-size limit (`ulimit -f`): raise the limit, \
             then run the command again"
        )
    );
    refused_at_the_limit(
        &store,
        unit,
        "gsomia",
        &["note", "gsomia", &note, "--on", "2019-11-23"],
    );
    let last = store.json(&["log", "gsomia"])[4]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    refused_at_the_limit(
        &store,
        unit,
        "gsomia",
        &["retract", "gsomia", &last, "--reason", &note],
    );
    // the limit raised, the same command records
    store.ok(&["note", "gsomia", &note, "--on", "2019-11-23"]);
    assert_eq!(
        store.json(&["log", "gsomia"]).as_array().map(Vec::len),
        Some(6)
    );
}

#[test]
fn an_amendment_past_the_file_size_limit_leaves_neither_of_its_lines() {
    let Some(unit) = unit_or_skip("an amendment past the file-size limit") else {
        return;
    };
    let store = Store::new().with_gsomia();
    let in_force = store.json(&["log", "gsomia"])[1]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let note = long(3000);
    let args = [
        "amend", "gsomia", &in_force, "--note", &note, "--reason", "r",
    ];
    // room for the retraction's line, not for the copy's after it: the
    // write stops between the two, and is cut back whole
    let len = fs::metadata(store.stream("gsomia"))
        .expect("the stream")
        .len();
    refused_under(&store, unit, limit_above(len + 300, unit), "gsomia", &args);
    store.ok(&args);
    assert_eq!(
        store.json(&["log", "gsomia"]).as_array().map(Vec::len),
        Some(7)
    );
}

#[test]
fn a_stream_already_at_the_file_size_limit_takes_no_byte_and_stays_readable() {
    let Some(unit) = unit_or_skip("a stream at the file-size limit") else {
        return;
    };
    let store = Store::new().with_gsomia();
    let len = fs::metadata(store.stream("gsomia"))
        .expect("the stream")
        .len();
    // a limit at or below the file's length: the first byte is refused
    refused_under(
        &store,
        unit,
        len / unit * unit,
        "gsomia",
        &["note", "gsomia", "one more", "--on", "2020-01-01"],
    );
    // reading needs no room
    let run = run_limited(store.path(), unit, len / unit * unit, &["verify"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_registration_past_the_file_size_limit_leaves_no_file() {
    let Some(unit) = unit_or_skip("a registration past the file-size limit") else {
        return;
    };
    let store = Store::new().with_gsomia();
    let before = store.snapshot();
    let description = long(3000);
    let run = run_limited(
        store.path(),
        unit,
        unit,
        &[
            "register",
            "inf",
            "--name",
            "INF Treaty",
            "--description",
            &description,
        ],
    );
    let stderr = store.redact(&run.fails(1));
    assert!(
        stderr.starts_with("error: could not write [store]/")
            && stderr.contains(": file too large (past the file-size limit); nothing was recorded"),
        "{stderr}"
    );
    assert_eq!(store.snapshot(), before, "a staged file was left");
    store.ok(&[
        "register",
        "inf",
        "--name",
        "INF Treaty",
        "--description",
        &description,
    ]);
    store.ok(&["verify"]);
}

/// A sheet of one row for pact `pact`, named `name`, with a long note.
fn sheet(pact: &str, name: &str, note: &str) -> String {
    format!("pact,name,status,on,note\n{pact},{name},signed,1987-12-08,{note}\n")
}

#[test]
fn an_import_whose_new_streams_pass_the_file_size_limit_leaves_no_file() {
    let Some(unit) = unit_or_skip("an import past the file-size limit") else {
        return;
    };
    let files = Files::new();
    let csv = files.write("inf.csv", sheet("inf", "INF Treaty", &long(3000)));

    // into a store that exists: the new stream is staged in it
    let store = Store::new().with_gsomia();
    let before = store.snapshot();
    let run = run_limited(
        store.path(),
        unit,
        unit,
        &["import", &csv, "--create-pacts"],
    );
    let stderr = store.redact(&run.fails(1));
    assert!(
        stderr.contains("could not write [store]/")
            && stderr.contains("file too large (past the file-size limit); nothing was recorded"),
        "{stderr}"
    );
    assert_eq!(store.snapshot(), before, "a staged file was left");

    // into a new store: the streams are staged in a directory beside it
    let new = files.path("new-store");
    let run = run_limited(
        std::path::Path::new(&new),
        unit,
        unit,
        &["import", &csv, "--create-pacts"],
    );
    let stderr = run.fails(1);
    assert!(stderr.contains("nothing was recorded"), "{stderr}");
    let left: Vec<_> = fs::read_dir(files.path(""))
        .expect("the directory")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(left, ["inf.csv"], "the import left files behind");
}

#[test]
fn an_import_whose_journalled_append_passes_the_file_size_limit_is_written_later() {
    let Some(unit) = unit_or_skip("a journalled append past the file-size limit") else {
        return;
    };
    let store = Store::new().with_gsomia();
    // a stream longer than the journal will be, so that the journal fits
    // under a limit the stream's new lines run into
    for day in ["2019-11-24", "2019-11-25", "2019-11-26"] {
        store.ok(&["note", "gsomia", &long(3000), "--on", day]);
    }
    let stream = fs::read(store.stream("gsomia")).expect("the stream");
    let files = Files::new();
    let csv = files.write(
        "more.csv",
        format!(
            "pact,status,on,note\ngsomia,in_force,2019-11-27,{}\n",
            long(1500)
        ),
    );
    let len = stream.len() as u64;
    let run = run_limited(
        store.path(),
        unit,
        limit_above(len, unit),
        &["import", &csv],
    );
    let stderr = store.redact(&run.fails(1));
    assert!(
        stderr.starts_with(
            "error: the import is recorded, but not all of it is written yet: could not append \
             to [store]/gsomia.jsonl: file too large (past the file-size limit); the stream is \
             as it was\nhint: its journal (.pactlog-journal)"
        ),
        "{stderr}"
    );
    // the stream holds no part of the failed write: it reads and verifies,
    // and the journal waits for the next command that records
    assert_eq!(
        fs::read(store.stream("gsomia")).expect("the stream"),
        stream
    );
    assert!(store.path().join(".pactlog-journal").exists());
    let verify = store.ok(&["verify"]);
    assert!(verify.contains("an import did not finish"), "{verify}");
    store.ok(&[
        "note",
        "gsomia",
        "the limit is raised",
        "--on",
        "2019-11-28",
    ]);
    assert!(!store.path().join(".pactlog-journal").exists());
    let log = store.json(&["log", "gsomia"]);
    let kinds: Vec<&str> = log
        .as_array()
        .expect("an array")
        .iter()
        .map(|e| e["kind"].as_str().expect("a kind"))
        .collect();
    assert_eq!(kinds[8..], ["status", "note"], "{kinds:?}");
    store.ok(&["verify"]);
}

#[test]
fn repair_that_cannot_write_its_quarantine_file_leaves_none_and_the_stream_as_it_was() {
    let Some(unit) = unit_or_skip("repair past the file-size limit") else {
        return;
    };
    let store = Store::new().with_gsomia();
    store.ok(&["note", "gsomia", &long(3000), "--on", "2019-11-24"]);
    // an append cut short: its line lost its last bytes
    let mut bytes = fs::read(store.stream("gsomia")).expect("the stream");
    bytes.truncate(bytes.len() - 40);
    fs::write(store.stream("gsomia"), &bytes).expect("tear the stream");
    let before = store.snapshot();

    // the torn line is longer than the limit: its quarantine file would be
    // cut short at it
    let run = run_limited(store.path(), unit, unit, &["repair", "gsomia"]);
    let stderr = store.redact(&run.fails(1));
    assert!(
        stderr.starts_with("error: could not write the quarantine file [store]/gsomia.jsonl.torn-")
            && stderr.contains(
                ": file too large (past the file-size limit); the stream is as it was\nhint: "
            ),
        "{stderr}"
    );
    assert_eq!(
        store.snapshot(),
        before,
        "repair left a file or changed one"
    );

    let report = store.json(&["repair", "gsomia"]);
    assert_eq!(report["repaired"], true);
    assert_eq!(report["events"], 5);
    store.ok(&["verify"]);
}

/// Whether process `pid` waits for a lock, as `/proc/locks` shows it.
fn waits_for_a_lock(pid: u32) -> bool {
    let pid = pid.to_string();
    fs::read_to_string("/proc/locks").is_ok_and(|locks| {
        locks.lines().any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(1) == Some(&"->") && fields.get(5) == Some(&pid.as_str())
        })
    })
}

/// Starts `pactlog --dir STORE ARGS...` with its output piped.
fn start(store: &Store, args: &[&str]) -> Child {
    store.cmd(args).spawn()
}

#[test]
fn readers_meeting_a_line_half_written_wait_for_it_and_report_no_damage() {
    if fs::read_to_string("/proc/locks").is_err() {
        eprintln!("skipped: readers meeting a line half written: no /proc/locks to see waiters");
        return;
    }
    let store = Store::new().with_gsomia();
    // the line an append would write next: made in a copy of the store
    let copy = Store::new();
    fs::copy(store.stream("gsomia"), copy.stream("gsomia")).expect("copy the stream");
    copy.ok(&["note", "gsomia", &long(3000), "--on", "2019-11-24"]);
    let line = copy.lines("gsomia").pop().expect("the new line") + "\n";
    let (first, rest) = line.as_bytes().split_at(line.len() / 2);

    // as an append does: the stream's exclusive lock, then the line; here
    // the line is left half written while the readers start
    let mut appending = store.appending("gsomia");
    appending.lock().expect("the stream's lock");
    appending.write_all(first).expect("half the line");
    let timeline = Files::new();
    let svg = timeline.path("t.svg");
    let picture = ["timeline", "--svg", &svg];
    let readers: Vec<(&[&str], Child)> = [
        &["verify"][..],
        &["status", "gsomia"],
        &["history", "gsomia"],
        &["log", "gsomia", "--json"],
        &["list"],
        &["export"],
        &["changes", "--from", "2016-01-01", "--to", "2020-01-01"],
        &picture,
    ]
    .into_iter()
    .map(|args| (args, start(&store, args)))
    .collect();
    // each reader has met the half line when it waits for the lock (or, as
    // before, has given up on the stream and exited)
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut readers: Vec<(&[&str], Child)> = readers
        .into_iter()
        .map(|(args, mut child)| {
            while !waits_for_a_lock(child.id()) && child.try_wait().expect("a reader").is_none() {
                assert!(Instant::now() < deadline, "{args:?} neither waits nor ends");
                std::thread::sleep(Duration::from_millis(5));
            }
            (args, child)
        })
        .collect();
    appending.write_all(rest).expect("the rest of the line");
    appending.sync_data().expect("sync");
    drop(appending);

    for (args, child) in readers.drain(..) {
        let output: Output = child.wait_with_output().expect("a reader");
        let run = Run::from(output);
        assert_eq!(run.code, 0, "{args:?} raised a false alarm: {}", run.stderr);
        assert!(run.stderr.is_empty(), "{args:?}: {}", run.stderr);
        for alarm in ["torn", "corrupt", "FAILED"] {
            assert!(!run.stdout.contains(alarm), "{args:?}: {}", run.stdout);
        }
        if args[0] == "log" {
            // read once the line was whole: it has it
            assert!(run.stdout.contains(&long(3000)), "the log lacks the line");
        }
    }
    store.ok(&["verify"]);
}

/// The total length of the streams of `pacts`.
fn total_len(store: &Store, pacts: &[&str]) -> u64 {
    pacts
        .iter()
        .map(|p| fs::metadata(store.stream(p)).expect("a stream").len())
        .sum()
}

#[test]
fn verify_status_and_list_beside_writers_in_a_loop_raise_no_false_alarm() {
    const PACTS: [&str; 3] = ["aa", "bb", "cc"];
    const WRITERS: usize = 3;
    let store = Arc::new(Store::new());
    for pact in PACTS {
        store.ok(&["register", pact, "--name", &format!("Pact {pact}")]);
    }
    // a note of control characters, each stored as six bytes: a line of
    // several pages, which a reader can meet half written
    let note: Arc<str> = "\u{1}".repeat(1500).into();
    let stop = Arc::new(AtomicBool::new(false));
    let appended = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, stop, appended, note) = (
                Arc::clone(&store),
                Arc::clone(&stop),
                Arc::clone(&appended),
                Arc::clone(&note),
            );
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                // bounded by a count too, should the readers never stop them
                for i in 0..2000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let pact = PACTS[(w + i) % PACTS.len()];
                    let run = store.run(&["note", pact, &note, "--on", "2020-01-01"]);
                    if run.code == 0 {
                        appended.fetch_add(1, Ordering::SeqCst);
                    } else {
                        failures.push(run.stderr);
                    }
                }
                failures
            })
        })
        .collect();
    // the readers start once the writers have
    let deadline = Instant::now() + Duration::from_secs(120);
    while appended.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no writer appended");
        std::thread::sleep(Duration::from_millis(5));
    }

    let mut alarms = Vec::new();
    let (mut reads, mut overlapped) = (0, 0);
    // bounded by a count: enough reads beside appends, or at most 150 rounds
    for _ in 0..150 {
        for args in [&["verify"][..], &["status", "bb"], &["list"]] {
            let before = (appended.load(Ordering::SeqCst), total_len(&store, &PACTS));
            let run = store.run(args);
            let after = (appended.load(Ordering::SeqCst), total_len(&store, &PACTS));
            reads += 1;
            if before != after {
                overlapped += 1;
            }
            let said = format!("{}{}", run.stdout, run.stderr);
            if run.code != 0
                || ["torn", "corrupt", "FAILED"]
                    .iter()
                    .any(|w| said.contains(w))
            {
                alarms.push(format!("{args:?} exited {}: {said}", run.code));
            }
        }
        if overlapped >= 60 {
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    let failures: Vec<String> = writers
        .into_iter()
        .flat_map(|w| w.join().expect("a writer"))
        .collect();
    assert!(
        alarms.is_empty(),
        "{} false alarms: {alarms:#?}",
        alarms.len()
    );
    assert!(failures.is_empty(), "writers failed: {failures:#?}");
    assert!(
        overlapped > 0,
        "none of {reads} reads ran beside an append: the test showed nothing"
    );
    eprintln!(
        "{reads} reads, {overlapped} beside appends, {} appends",
        appended.load(Ordering::SeqCst)
    );
    store.ok(&["verify"]);
}
