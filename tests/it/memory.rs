//! Memory that does not grow with a stream: a long stream is answered, and
//! a line or a CSV row far over its limit refused, in a few MiB, each
//! command's peak resident set measured by GNU time.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Days, NaiveDate};
use pactlog::{Event, EventBody, Hash, Pact, PactId, Status, StatusChange};
use uuid::Uuid;

use crate::harness::{Run, Store, clean_env, line_range};

/// GNU time, which measures a command's peak resident set.
const TIME: &str = "/usr/bin/time";

/// Runs `pactlog --dir STORE ARGS...` under GNU time: how it ran, and its
/// peak resident set in MiB. `None`, said on standard error, where GNU time
/// is not installed.
fn measured(store: &Path, args: &[&str]) -> Option<(Run, f64)> {
    if !Path::new(TIME).exists() {
        eprintln!("skipped: {TIME} (GNU time) is not installed, so peak memory is not measured");
        return None;
    }
    let report = tempfile::NamedTempFile::new().expect("a temporary file");
    let output = clean_env(&mut Command::new(TIME))
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report.path())
        .arg(env!("CARGO_BIN_EXE_pactlog"))
        .arg("--dir")
        .arg(store)
        .args(args)
        .output()
        .expect("GNU time runs pactlog");
    let report = std::fs::read_to_string(report.path()).expect("GNU time's report");
    // after "Command exited with non-zero status N", for a refusal
    let kib: f64 = report
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("GNU time reported {report:?}"));
    Some((Run::from(output), kib / 1024.0))
}

/// Writes the registration of `id` as the first line of its stream in
/// `store`, and returns the stream file, open for more lines, and the
/// registration's hash.
fn begun(store: &Store, id: &str) -> (BufWriter<File>, Hash) {
    let mut file = BufWriter::new(File::create(store.stream(id)).expect("a new stream file"));
    let pact = PactId::parse(id).expect("an id");
    let line = Event {
        pact: pact.clone(),
        seq: 1,
        id: Uuid::now_v7(),
        recorded: DateTime::UNIX_EPOCH,
        body: EventBody::Registered(Pact::named(pact, "A pact of many events")),
        prev: None,
        relinked: None,
    }
    .to_line();
    writeln!(file, "{line}").expect("a line written");
    (file, Hash::of(line.as_bytes()))
}

#[test]
fn export_as_csv_holds_little_for_each_pact_of_a_store() {
    // the peak of the export of a store of `pacts` pacts, each registered
    let peak = |pacts: usize| {
        let store = Store::new();
        for n in 0..pacts {
            let (mut file, _) = begun(&store, &format!("p{n:05}"));
            file.flush().unwrap();
        }
        let (run, peak) = measured(store.path(), &["export", "--csv"])?;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout.lines().count(), pacts + 1, "a row for each pact");
        Some(peak)
    };
    let (Some(few), Some(many)) = (peak(1000), peak(5000)) else {
        return;
    };
    // every pact's rows are made before any is written: what each holds
    // until then is its metadata, not room to write it in
    let each = (many - few) * 1024.0 / 4000.0;
    eprintln!("{few:.1} MiB for 1000 pacts, {many:.1} MiB for 5000: {each:.2} KiB a pact");
    assert!(each < 2.0, "{each:.2} KiB a pact");
}

#[test]
fn a_line_over_its_limit_is_refused_having_read_no_more_than_the_limit() {
    let store = Store::new();
    let (mut file, _) = begun(&store, "long");
    // 64 MB on one line, which no reader must hold
    let chunk = vec![b'x'; 1 << 20];
    file.write_all(b"{\"v\":1,\"note\":\"").unwrap();
    for _ in 0..64 {
        file.write_all(&chunk).unwrap();
    }
    file.write_all(b"\"}\n").unwrap();
    drop(file);
    for args in [&["export"][..], &["status", "long"], &["verify"], &["list"]] {
        let Some((run, peak)) = measured(store.path(), args) else {
            return;
        };
        // (verify reports problems on standard output)
        let said = run.stdout + &run.stderr;
        assert_eq!(run.code, 1, "{args:?}: {said}");
        assert!(
            said.contains("long.jsonl:2: line longer than 256 KiB: not written by pactlog"),
            "{args:?}: {said}"
        );
        eprintln!("{args:?} took {peak:.1} MiB");
        assert!(peak < 16.0, "{args:?} took {peak:.1} MiB for a 64 MiB line");
    }
}

#[test]
fn a_csv_row_over_its_limit_is_refused_having_read_no_more_than_the_limit() {
    let store = Store::new();
    let dir = tempfile::tempdir().unwrap();
    let chunk = vec![b'x'; 1 << 20];
    // a 64 MB note on one line, and one over a million lines
    let sheets = [("wide.csv", &chunk[..]), ("tall.csv", &b"x\n"[..])];
    for (name, piece) in sheets {
        let path = dir.path().join(name);
        let mut sheet = BufWriter::new(File::create(&path).unwrap());
        sheet
            .write_all(b"pact,status,on,note\nq,signed,2001-01-01,\"")
            .unwrap();
        for _ in 0..(64 << 20) / piece.len() {
            sheet.write_all(piece).unwrap();
        }
        sheet.write_all(b"\"\n").unwrap();
        drop(sheet);
        let path = path.to_str().unwrap();
        let args = ["import", path, "--create-pacts"];
        let Some((run, peak)) = measured(store.path(), &args) else {
            return;
        };
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (
                1,
                format!(
                    "error: {path}:2: the row is longer than 256 KiB, more than its cells can \
                     hold; it was not read further\n"
                )
                .as_str()
            )
        );
        eprintln!("{name} took {peak:.1} MiB");
        assert!(peak < 16.0, "{name} took {peak:.1} MiB for a 64 MiB cell");
        assert!(store.snapshot().is_empty(), "nothing imported");
    }
}

/// How many status events a long stream has in these tests: enough that
/// holding them takes several times the memory a command needs without.
const LONG: usize = 40_000;

/// A stream of `statuses` status events, each with a source, a link and a
/// remark, a note every thousand and a retraction of every other note:
/// written here, line by line, as pactlog writes them. Returns the last
/// status and its date.
fn long_stream(store: &Store, id: &str, statuses: usize) -> (Status, NaiveDate) {
    let cycle = [
        Status::InForce,
        Status::TerminationNotified,
        Status::ConditionallySuspended,
        Status::Normalized,
        Status::Suspended,
    ];
    let (mut file, mut prev) = begun(store, id);
    let pact = PactId::parse(id).unwrap();
    let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
    let mut seq = 1;
    let mut last = (Status::Signed, first);
    let mut note = None;
    let mut write = |body: EventBody, seq: &mut u64| {
        *seq += 1;
        let event = Event {
            pact: pact.clone(),
            seq: *seq,
            id: Uuid::now_v7(),
            recorded: DateTime::UNIX_EPOCH,
            body,
            prev: Some(prev),
            relinked: None,
        };
        let line = event.to_line();
        writeln!(file, "{line}").unwrap();
        prev = Hash::of(line.as_bytes());
        event.id
    };
    for i in 0..statuses {
        let on = first + Days::new(i as u64);
        let status = match i {
            0 => Status::Signed,
            _ => cycle[(i - 1) % cycle.len()],
        };
        write(
            EventBody::Status(StatusChange {
                status,
                on: on.into(),
                source: Some(format!("Official Gazette: notice no. {i} on the agreement")),
                url: Some(format!("https://www.example.org/gazette/{i}.html")),
                note: Some("Confirmed by the other party the same day.".into()),
                reported: false,
                forced: false,
                parties: Vec::new(),
                amends: None,
            }),
            &mut seq,
        );
        last = (status, on);
        if i % 1000 == 999 {
            let text = format!("Talks held on the agreement, round {i}");
            let body = EventBody::Note(pactlog::Note {
                on: on.into(),
                text,
                source: None,
                url: None,
                parties: Vec::new(),
                amends: None,
            });
            let id = write(body, &mut seq);
            match note.take() {
                Some(target) => {
                    let reason = "recorded in error".into();
                    let body =
                        EventBody::Retraction(pactlog::model::event::Retraction { target, reason });
                    write(body, &mut seq);
                }
                None => note = Some(id),
            }
        }
    }
    file.flush().unwrap();
    last
}

#[test]
fn a_long_stream_is_answered_in_memory_that_does_not_grow_with_it() {
    // each command held every event, some 30 to 60 MiB of them; a stream
    // this long is read on several cores, each holding two blocks of half a
    // MiB and what it learnt of their lines, a few MiB whatever its length
    let store = Store::new();
    let (status, on) = long_stream(&store, "long", LONG);
    let bytes = std::fs::read(store.stream("long")).unwrap();
    let commands: [&[&str]; 6] = [
        &["status", "long", "--on", "2100-01-01", "--json"],
        &["export"],
        &["export", "--csv"],
        &["history", "long", "--json"],
        &["verify"],
        &[
            "changes",
            "--from",
            "1900-01-01",
            "--to",
            "1900-12-31",
            "--json",
        ],
    ];
    // two at a time, on two cores
    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = commands
            .chunks(3)
            .map(|some| {
                scope.spawn(|| {
                    some.iter()
                        .map(|args| (*args, measured(store.path(), args)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    for (args, measured) in runs {
        let Some((run, peak)) = measured else { return };
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        eprintln!("{args:?} took {peak:.1} MiB");
        assert!(peak < 20.0, "{args:?} took {peak:.1} MiB");
        match args[0] {
            "status" => {
                let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
                assert_eq!(answer["status"], status.as_str());
                assert_eq!(answer["since"], on.to_string());
                assert_eq!(answer["note"], "Confirmed by the other party the same day.");
            }
            "export" if args.len() == 1 => assert!(run.stdout.as_bytes() == bytes),
            "export" => {
                // a row for each status and each note, in date order
                // across the batches the cores made them in
                let notes = LONG / 1000 / 2;
                let mut sheet = csv::Reader::from_reader(run.stdout.as_bytes());
                let headers = sheet.headers().unwrap().clone();
                let column = |name| headers.iter().position(|c| c == name).unwrap();
                let (day, said) = (column("on"), column("status"));
                let rows: Vec<csv::StringRecord> = sheet.records().map(Result::unwrap).collect();
                assert_eq!(rows.len(), LONG + notes, "rows");
                let days: Vec<&str> = rows.iter().map(|r| &r[day]).collect();
                assert!(days.is_sorted(), "rows in date order");
                let last = rows.iter().rfind(|r| !r[said].is_empty());
                assert_eq!(last.map(|r| &r[said]), Some(status.as_str()));
                assert_eq!(days.last().copied(), Some(on.to_string().as_str()));
            }
            "changes" => {
                // a status a day from the first, on 1900-01-01
                let changes: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
                let changes = changes.as_array().unwrap();
                assert_eq!(changes.len(), 365);
                assert_eq!(changes[0]["from_status"], serde_json::Value::Null);
                assert_eq!(changes[364]["on"], "1900-12-31");
            }
            "history" => {
                assert_eq!(run.stdout.matches("\"status\":").count(), LONG);
                let notes = LONG / 1000 / 2;
                assert_eq!(
                    run.stdout.matches("\"text\":").count(),
                    notes,
                    "the notes left"
                );
            }
            _ => assert!(
                run.stdout
                    .ends_with("1 stream checked, 1 ok, 0 failed, 0 warnings\n")
            ),
        }
    }
}

#[test]
fn damage_deep_in_a_long_stream_is_found_at_its_line() {
    // a stream this long is read on several cores, each line where it lies
    // in the blocks they read: the first problem is still named at its line
    let store = Store::new();
    long_stream(&store, "long", LONG);
    let path = store.stream("long");
    let sound = std::fs::read(&path).unwrap();
    let flipped = |n: usize| {
        let mut bytes = sound.clone();
        let line = line_range(&bytes, n);
        let at = line.start
            + bytes[line]
                .windows(9)
                .position(|w| w == b"agreement")
                .unwrap();
        bytes[at] ^= 0x20;
        bytes
    };
    let without = |n: usize| {
        let mut bytes = sound.clone();
        let line = line_range(&sound, n);
        bytes.drain(line.start..=line.end);
        bytes
    };
    let lines = sound.iter().filter(|&&b| b == b'\n').count();
    let torn = sound[..line_range(&sound, lines).start + 40].to_vec();
    for (bytes, problem) in [
        (
            flipped(25_001),
            "long.jsonl:25001: checksum mismatch".to_owned(),
        ),
        (flipped(3), "long.jsonl:3: checksum mismatch".to_owned()),
        (
            without(30_000),
            "long.jsonl:30000: seq 30001 where 30000 was expected".to_owned(),
        ),
        (torn, format!("long.jsonl:{lines}: the last line is torn")),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        let verify = store.run(&["verify"]);
        let report = store.redact(&verify.stdout);
        assert_eq!(verify.code, 1, "{report}");
        assert!(
            report.contains(&format!("problem: [store]/{problem}")),
            "{problem}: {report}"
        );
        let status = store.refuses(&["status", "long", "--on", "2100-01-01"], 1);
        assert!(
            status.starts_with(&format!("error: [store]/{problem}")),
            "{problem}: {status}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "the stream is left as it was"
        );
    }
}

#[test]
fn a_long_stream_is_imported_in_memory_that_does_not_grow_with_it() {
    let store = Store::new();
    long_stream(&store, "long", LONG);
    // the stream file is what `export` writes of it
    let file = store.stream("long");
    let into = Store::new();
    let new = into.path().join("new");
    let Some((run, peak)) = measured(&new, &["import", file.to_str().unwrap()]) else {
        return;
    };
    eprintln!("the import took {peak:.1} MiB");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // (it held the whole file, and then every event)
    assert!(peak < 24.0, "the import took {peak:.1} MiB");
    let imported = std::fs::read(new.join("long.jsonl")).unwrap();
    assert!(imported == std::fs::read(&file).unwrap(), "byte for byte");
}
