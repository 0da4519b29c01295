//! The cache is bound to the user who wrote it: each part carries a tag
//! keyed with a key kept outside the store, so that a cache edited by
//! whoever can write the store, with every checksum redone, or written
//! under another user's key, is rebuilt and never served; and `verify`
//! holds the cache against the streams it reads.

use std::path::Path;
use std::time::Duration;

use pactlog::Status;

use crate::harness::{CACHE_KEY, Run, Store};

const CACHE: &str = ".pactlog-cache";

/// `pactlog list --on 2020-01-01 --json` with the cache key at `key`.
fn list_with_key(store: &Store, key: &Path) -> serde_json::Value {
    let run = run_with_key(store, key, &["list", "--on", "2020-01-01", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("JSON")
}

/// `pactlog --dir STORE ARGS...` with the cache key at `key`.
fn run_with_key(store: &Store, key: &Path, args: &[&str]) -> Run {
    store.cmd(args).env("PACTLOG_CACHE_KEY", key).run()
}

/// gsomia's status on 2020-01-01, as `list` gives it.
fn listed(store: &Store) -> serde_json::Value {
    store.json(&["list", "--on", "2020-01-01"])[0]["status"].clone()
}

/// A store with gsomia (conditionally suspended on 2020-01-01) and
/// another pact, whose streams have settled: past the two seconds after
/// which the cache keeps a stream's stamp and answers from it without
/// opening the stream.
fn settled_store() -> Store {
    let store = Store::new().with_gsomia();
    store.ok(&["register", "other", "--name", "Other"]);
    store.ok(&["append", "other", "signed", "--on", "2015-01-01"]);
    std::thread::sleep(Duration::from_millis(2200));
    store
}

fn read_varint(bytes: &[u8], at: &mut usize) -> u64 {
    let mut value = 0;
    for shift in (0..).step_by(7) {
        let byte = bytes[*at];
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    value
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// What checks a part of the cache file: a CRC-32 (format 11) or a tag
/// (a keyed BLAKE3 hash, format 12).
enum Check {
    Crc,
    Tag([u8; 32]),
}

/// The cache file `bytes` with gsomia's last status (conditionally
/// suspended on 2019-11-22) changed to `to`, and every check of the format
/// redone that can be without a key, or with the key at `key`: a CRC
/// always, a tag only with the key it was written under.
fn forge(bytes: &[u8], to: Status, key: Option<&Path>) -> Vec<u8> {
    // the header: the version, from format 17 the store directory's stamp
    // when it was listed (if it was noted: a flag, then seven numbers, from
    // format 20 their bytes, after their count), then each part's length
    // and check
    let mut at = 0;
    let version = read_varint(bytes, &mut at);
    let start = at;
    if version >= 17 && read_varint(bytes, &mut at) == 1 {
        if version >= 20 {
            let len = read_varint(bytes, &mut at);
            at += len as usize;
        } else {
            for _ in 0..7 {
                read_varint(bytes, &mut at);
            }
        }
    }
    let listing = bytes[start..at].to_vec();
    let count = read_varint(bytes, &mut at) as usize;
    let mut parts = Vec::new();
    for _ in 0..count {
        let len = read_varint(bytes, &mut at) as usize;
        let check = if version == 11 {
            read_varint(bytes, &mut at);
            Check::Crc
        } else {
            let tag = bytes[at..at + 32].try_into().expect("32 bytes");
            at += 32;
            Check::Tag(tag)
        };
        parts.push((len, check));
    }
    let mut body = bytes[at..].to_vec();
    assert_eq!(body.len(), parts.iter().map(|p| p.0).sum::<usize>());

    // gsomia's steps: 18 bytes, its three dates (days from 0001-01-01),
    // then its three statuses, then their date codes (their times are in
    // a part of their own)
    let day = |date: &str| {
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("a date");
        chrono::Datelike::num_days_from_ce(&date).to_le_bytes()
    };
    let mut steps = vec![3 * (4 + 1 + 1)];
    for date in ["2016-11-23", "2019-08-23", "2019-11-22"] {
        steps.extend(day(date));
    }
    let start = body
        .windows(steps.len())
        .position(|w| w == steps)
        .expect("gsomia's steps in the cache");
    let place = |status: Status| Status::ALL.iter().position(|s| *s == status).unwrap() as u8;
    let last = start + steps.len() + 2;
    assert_eq!(body[last], place(Status::ConditionallySuspended));
    body[last] = place(to);

    // the checks, redone where they can be
    let mut header = Vec::new();
    write_varint(&mut header, version);
    header.extend(&listing);
    write_varint(&mut header, count as u64);
    let mut offset = 0;
    let mut tags: Vec<[u8; 32]> = Vec::new();
    for (i, (len, check)) in parts.iter().enumerate() {
        let part = &body[offset..offset + len];
        write_varint(&mut header, *len as u64);
        match check {
            Check::Crc => write_varint(&mut header, u64::from(crc32fast::hash(part))),
            Check::Tag(tag) => match key {
                Some(key) => {
                    let mut hasher = blake3::Hasher::new_keyed(&key_at(key));
                    hasher.update(&(version as u32).to_le_bytes());
                    hasher.update(&(i as u64).to_le_bytes());
                    hasher.update(&(count as u64).to_le_bytes());
                    hasher.update(&listing);
                    // from format 16, the second half of the parts are the
                    // summaries' times, each bound to its part of summaries
                    if version >= 16 && i >= count / 2 {
                        hasher.update(&tags[i - count / 2]);
                    }
                    hasher.update(part);
                    let tag = *hasher.finalize().as_bytes();
                    header.extend(tag);
                    tags.push(tag);
                }
                None => header.extend(tag),
            },
        }
        offset += len;
    }
    header.extend(body);
    header
}

/// `pactlog verify` on `store`, whose cache failed its tags: it passes,
/// with a warning that the cache was rebuilt.
fn verify_rebuilds_the_cache(store: &Store) -> Run {
    let run = store.run(&["verify"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        store.redact(&run.stdout).contains(
            "warning: [store]/.pactlog-cache: not a cache written under this user's key \
             (of another version or another user's, or damaged or edited since); the cache \
             was rebuilt from the streams\n"
        ),
        "{}",
        run.stdout
    );
    run
}

/// The key at `path`.
fn key_at(path: &Path) -> [u8; 32] {
    std::fs::read(path)
        .expect("a key")
        .try_into()
        .expect("32 bytes")
}

#[test]
fn a_cache_edited_in_the_store_with_its_checksums_redone_is_not_served() {
    let store = settled_store();
    assert_eq!(listed(&store), "conditionally_suspended");
    let cache = store.path().join(CACHE);
    let forged = forge(
        &std::fs::read(&cache).expect("the cache"),
        Status::Terminated,
        None,
    );
    std::fs::write(&cache, &forged).expect("forge");

    let answer = &store.json(&["list", "--on", "2020-01-01"])[0];
    assert_eq!(answer["status"], "conditionally_suspended");
    assert_eq!(answer["head"], store.head("gsomia"));
    assert_ne!(std::fs::read(&cache).expect("the cache"), forged, "rebuilt");
    assert_eq!(listed(&store), "conditionally_suspended");

    // verify says it was rebuilt: a warning, not a failure, since such a
    // cache was never served
    std::fs::write(&cache, &forged).expect("forge");
    let run = verify_rebuilds_the_cache(&store);
    assert!(
        run.stdout
            .ends_with("2 streams checked, 2 ok, 0 failed, 1 warning\n"),
        "{}",
        run.stdout
    );
    assert_ne!(std::fs::read(&cache).expect("the cache"), forged, "rebuilt");
    assert_eq!(listed(&store), "conditionally_suspended");
    let report = store.json(&["verify"]);
    assert_eq!(report["ok"], true);
    assert_eq!(report["cache"]["warnings"], serde_json::json!([]));
    assert_eq!(report["cache"]["checked"], 2, "{report}");
}

#[test]
fn a_cache_whose_recording_times_are_damaged_is_rebuilt_by_verify_and_never_served() {
    let store = settled_store();
    assert_eq!(listed(&store), "conditionally_suspended");
    let cache = store.path().join(CACHE);
    // the file ends with the recording times, which a list as of now does
    // not read: the last byte is one of them
    let mut damaged = std::fs::read(&cache).expect("the cache");
    *damaged.last_mut().expect("a byte") ^= 0x01;
    std::fs::write(&cache, &damaged).expect("damage");
    let as_of = |store: &Store| {
        let answer = &store.json(&["list", "--on", "2020-01-01", "--as-of", "2100-01-01"])[0];
        (answer["status"].clone(), answer["head"].clone())
    };
    let head = serde_json::Value::from(store.head("gsomia"));
    assert_eq!(
        as_of(&store),
        ("conditionally_suspended".into(), head.clone())
    );

    std::fs::write(&cache, &damaged).expect("damage");
    verify_rebuilds_the_cache(&store);
    assert_ne!(
        std::fs::read(&cache).expect("the cache"),
        damaged,
        "rebuilt"
    );
    assert_eq!(as_of(&store), ("conditionally_suspended".into(), head));
    let report = store.json(&["verify"]);
    assert_eq!(report["cache"]["warnings"], serde_json::json!([]));
    assert_eq!(report["cache"]["checked"], 2, "{report}");
}

#[test]
fn a_cache_written_under_another_users_key_is_rebuilt_and_answers_stay_true() {
    let store = settled_store();
    let elsewhere = tempfile::tempdir().expect("a directory");
    let theirs = elsewhere.path().join("cache-key");
    // another user lists the store, and makes the cache say what they like,
    // with every check redone under their own key
    assert_eq!(
        list_with_key(&store, &theirs)[0]["status"],
        "conditionally_suspended"
    );
    let cache = store.path().join(CACHE);
    let forged = forge(
        &std::fs::read(&cache).expect("the cache"),
        Status::Terminated,
        Some(&theirs),
    );
    std::fs::write(&cache, &forged).expect("forge");
    assert_eq!(
        list_with_key(&store, &theirs)[0]["status"],
        "terminated",
        "a cache that authenticates is used: under their key, this one does"
    );

    // under this user's key it does not
    let answer = &store.json(&["list", "--on", "2020-01-01"])[0];
    assert_eq!(answer["status"], "conditionally_suspended");
    assert_eq!(answer["head"], store.head("gsomia"));
    let rebuilt = std::fs::read(&cache).expect("the cache");
    assert_ne!(rebuilt, forged);
    assert_eq!(listed(&store), "conditionally_suspended");
    assert_eq!(
        std::fs::read(&cache).expect("the cache"),
        rebuilt,
        "answered from the rebuilt cache, which stands"
    );
    // nor is this user's cache theirs
    assert_eq!(
        list_with_key(&store, &theirs)[0]["status"],
        "conditionally_suspended"
    );
    assert_ne!(std::fs::read(&cache).expect("the cache"), rebuilt);
}

#[test]
fn verify_finds_a_cache_entry_that_disagrees_with_its_stream_and_rebuilds_the_cache() {
    let store = settled_store();
    assert_eq!(listed(&store), "conditionally_suspended");
    let cache = store.path().join(CACHE);
    let good = std::fs::read(&cache).expect("the cache");
    // made with this user's key (as a fault in pactlog, or a copy of the
    // key, would): list answers from it, and only verify can tell
    let forged = forge(&good, Status::Terminated, Some(Path::new(CACHE_KEY)));
    std::fs::write(&cache, &forged).expect("forge");
    assert_eq!(listed(&store), "terminated");

    let run = store.run(&["verify"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let stdout = store.redact(&run.stdout);
    assert!(
        stdout.contains(
            "problem: [store]/.pactlog-cache: the cache entry for gsomia disagrees with its \
             stream; the cache was rebuilt from the streams\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "2 streams checked, 2 ok, 0 failed, 0 warnings; the cache disagreed with 1 stream\n"
        ),
        "{stdout}"
    );
    assert!(
        run.stderr.starts_with(
            "error: the cache disagreed with 1 stream; answers now come from the streams\n\
             hint: "
        ),
        "{}",
        run.stderr
    );
    assert_eq!(listed(&store), "conditionally_suspended", "rebuilt");
    let before = store.snapshot();
    assert_eq!(store.run(&["verify"]).code, 0, "nothing disagrees now");
    assert_eq!(
        store.snapshot(),
        before,
        "a cache that agrees is left as it is"
    );

    // the same, as JSON
    std::fs::write(&cache, &forged).expect("forge");
    let run = store.run(&["verify", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["ok"], false);
    assert_eq!(report["streams"][0]["ok"], true, "the stream is sound");
    assert_eq!(report["cache"]["checked"], 2);
    assert_eq!(report["cache"]["rebuilt"], true);
    assert_eq!(
        store.redact(report["cache"]["problems"][0].as_str().expect("a problem")),
        "[store]/.pactlog-cache: the cache entry for gsomia disagrees with its stream; \
         the cache was rebuilt from the streams"
    );
    assert_eq!(listed(&store), "conditionally_suspended");

    // verify of the other pact alone does not look at gsomia's entry
    std::fs::write(&cache, &forged).expect("forge");
    assert_eq!(store.run(&["verify", "other"]).code, 0);
    assert_eq!(store.run(&["verify", "gsomia"]).code, 1);
    assert_eq!(listed(&store), "conditionally_suspended");
}

#[test]
fn without_a_key_the_cache_is_neither_read_nor_written() {
    let store = settled_store();
    // no key can be made under a file
    let nowhere = Path::new("/dev/null/cache-key");
    assert_eq!(
        list_with_key(&store, nowhere)[0]["status"],
        "conditionally_suspended"
    );
    assert!(!store.path().join(CACHE).exists(), "no cache written");

    // a cache that would be used under this user's key is not read
    assert_eq!(listed(&store), "conditionally_suspended");
    let cache = store.path().join(CACHE);
    let forged = forge(
        &std::fs::read(&cache).expect("the cache"),
        Status::Terminated,
        Some(Path::new(CACHE_KEY)),
    );
    std::fs::write(&cache, &forged).expect("forge");
    let before = store.snapshot();
    assert_eq!(
        list_with_key(&store, nowhere)[0]["status"],
        "conditionally_suspended"
    );
    let run = run_with_key(&store, nowhere, &["verify", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        report["cache"],
        serde_json::Value::Null,
        "nothing to check it with"
    );
    assert_eq!(store.snapshot(), before, "nor written");
}
