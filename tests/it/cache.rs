//! The derived cache behind `list`: a shortcut that never changes an answer.
//! A stale entry is noticed and recomputed, a damaged or missing cache is
//! rebuilt, and `verify` never relies on it.

use crate::harness::Store;

const CACHE: &str = ".pactlog-cache";

fn list(store: &Store, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["list", "--on", "2020-01-01"];
    args.extend_from_slice(extra);
    store.json(&args)
}

#[test]
fn list_keeps_a_cache_beside_the_streams_and_answers_the_same_with_it() {
    let store = Store::shipped();
    let cold = list(&store, &[]);
    let cache = store.path().join(CACHE);
    assert!(cache.exists(), "list writes the cache");
    let warm = list(&store, &[]);
    assert_eq!(cold, warm);
    std::fs::remove_file(&cache).expect("remove the cache");
    assert_eq!(
        list(&store, &[]),
        cold,
        "deleting the cache changes no answer"
    );
    assert!(
        !store.ok(&["verify"]).contains(CACHE),
        "the cache is not a stream"
    );
}

#[test]
fn a_stale_entry_is_noticed_and_recomputed() {
    let store = Store::new().with_gsomia();
    let before = list(&store, &[]);
    assert_eq!(before[0]["status"], "conditionally_suspended");
    store.ok(&["append", "gsomia", "normalized", "--on", "2019-12-01"]);
    let after = list(&store, &[]);
    assert_eq!(after[0]["status"], "normalized");
    assert_eq!(after[0]["since"], "2019-12-01");
    assert_eq!(after[0]["head"], store.head("gsomia"));
    // a retraction is an append too
    let id = store.json(&["status", "gsomia", "--on", "2020-01-01"])["event"]
        .as_str()
        .expect("an event id")
        .to_owned();
    store.ok(&["retract", "gsomia", &id, "--reason", "recorded in error"]);
    assert_eq!(list(&store, &[])[0]["status"], "conditionally_suspended");
}

#[test]
fn a_damaged_or_foreign_cache_is_ignored_and_rebuilt() {
    let store = Store::shipped();
    let truth = list(&store, &[]);
    let cache = store.path().join(CACHE);
    for garbage in [
        &b""[..],
        b"not a cache at all",
        &[0xff; 4096],
        &[3, 0, 0, 0, 1],
    ] {
        std::fs::write(&cache, garbage).expect("damage the cache");
        assert_eq!(list(&store, &[]), truth, "{garbage:?}");
        assert_ne!(
            std::fs::read(&cache).expect("the cache"),
            garbage,
            "rebuilt"
        );
    }
    // a cache that still decodes after a byte of it changed: the change is
    // found, wherever it is, and the cache is not used
    list(&store, &[]);
    let good = std::fs::read(&cache).expect("the cache");
    for at in (0..good.len()).step_by(good.len().div_ceil(40)) {
        let mut damaged = good.clone();
        damaged[at] ^= 0x02;
        std::fs::write(&cache, &damaged).expect("damage the cache");
        assert_eq!(list(&store, &[]), truth, "byte {at} changed");
    }
    // a cache copied from another store answers nothing for this one
    let other = Store::new().with_gsomia();
    list(&other, &[]);
    std::fs::copy(other.path().join(CACHE), &cache).expect("copy a foreign cache");
    assert_eq!(list(&store, &[]), truth);
}

#[test]
fn answers_as_of_a_past_time_come_out_the_same_from_the_cache() {
    let store = Store::new().with_gsomia();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let then = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let wrong = store.json(&["append", "gsomia", "normalized", "--on", "2019-12-01"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let between = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    std::thread::sleep(std::time::Duration::from_millis(20));
    store.ok(&[
        "retract",
        "gsomia",
        wrong["id"].as_str().expect("an id"),
        "--reason",
        "too early",
    ]);
    store.ok(&["append", "gsomia", "normalized", "--on", "2023-03-21"]);
    let seen = store.json(&[
        "status",
        "gsomia",
        "--on",
        "2019-12-15",
        "--as-of",
        &between,
    ]);
    assert_eq!(
        seen["status"], "normalized",
        "the wrong event, not yet retracted"
    );
    // settled, so that the cache answers without opening the stream
    std::thread::sleep(std::time::Duration::from_millis(2200));
    for when in [then.as_str(), between.as_str(), "2100-01-01"] {
        for on in ["2019-12-15", "2024-01-01"] {
            let from_streams = store.json(&["status", "gsomia", "--on", on, "--as-of", when]);
            for _ in 0..2 {
                // once building the cache, once from it
                let listed = store.json(&["list", "--on", on, "--as-of", when]);
                assert_eq!(
                    listed[0]["status"], from_streams["status"],
                    "{on} as of {when}"
                );
                assert_eq!(
                    listed[0]["since"], from_streams["since"],
                    "{on} as of {when}"
                );
            }
        }
    }
}

#[test]
fn a_failing_list_writes_no_cache_and_verify_never_trusts_it() {
    let store = Store::new().with_gsomia();
    store.ok(&["register", "other", "--name", "Other"]);
    let mut lines = store.lines("other");
    lines[0].push_str(" damaged");
    std::fs::write(store.stream("other"), lines.join("\n") + "\n").expect("damage");
    let before = store.snapshot();
    assert_eq!(store.run(&["list"]).code, 1);
    assert_eq!(
        store.snapshot(),
        before,
        "nothing written, not even the cache"
    );

    // an edit in the middle that keeps the length and the last line: the
    // cache's key cannot see it, verify does
    let store = Store::new().with_gsomia();
    list(&store, &[]);
    let mut bytes = std::fs::read(store.stream("gsomia")).expect("the stream");
    let at = bytes
        .windows(5)
        .position(|w| w == b"Seoul")
        .expect("the note");
    bytes[at] = b's';
    std::fs::write(store.stream("gsomia"), bytes).expect("edit");
    let verify = store.run(&["verify"]);
    assert_eq!(verify.code, 1);
    assert!(
        verify.stdout.contains("gsomia.jsonl:3: checksum mismatch"),
        "{}",
        verify.stdout
    );
    assert_eq!(
        store.run(&["status", "gsomia"]).code,
        1,
        "single-stream reads read the stream"
    );
}

/// Once a stream has gone unchanged for a while, the cache keeps its
/// stamp (length, inode and times) and stops reading its last line; any
/// write after that changes the stamp, and the stream is looked at again.
#[test]
fn a_settled_stream_written_again_is_looked_at_again() {
    let store = Store::new().with_gsomia();
    // past the two seconds after which a stream's stamp is kept
    std::thread::sleep(std::time::Duration::from_millis(2200));
    let stamped = list(&store, &[]);
    assert_eq!(stamped[0]["status"], "conditionally_suspended");
    let cache = std::fs::read(store.path().join(CACHE)).expect("the cache");
    assert_eq!(list(&store, &[]), stamped, "answered from the stamp");
    assert_eq!(
        std::fs::read(store.path().join(CACHE)).expect("the cache"),
        cache,
        "the stamp one stat sees is the stamp kept: nothing to rewrite"
    );

    // the last line changed in place, its length kept: the stamp differs,
    // the stream is read whole, and the damage is found
    let mut lines = store.lines("gsomia");
    let last = lines.last_mut().expect("a last line");
    let at = last.find("\"crc\":\"").expect("a crc") + 7;
    let digit = if &last[at..=at] == "0" { "1" } else { "0" };
    last.replace_range(at..=at, digit);
    std::fs::write(store.stream("gsomia"), lines.join("\n") + "\n").expect("edit");
    let run = store.run(&["list", "--on", "2020-01-01", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("gsomia.jsonl"), "{}", run.stderr);
}

#[test]
fn a_settled_stream_edited_in_the_middle_is_read_whole_again_and_refused() {
    let store = Store::new().with_gsomia();
    if !pactlog::replay::cache::keeps_stamps(&pactlog::Store::new(store.path())) {
        // on this file system the key is the length and last line, which
        // this edit keeps (README says so); verify still finds it
        eprintln!(
            "skipped: the cache keeps no stamps on this file system; its key, \
             a stream's length and last line, is one this edit keeps"
        );
        return;
    }
    std::thread::sleep(std::time::Duration::from_millis(2200));
    assert_eq!(list(&store, &[])[0]["status"], "conditionally_suspended");
    assert!(store.path().join(CACHE).exists());
    // the termination notice's date, a day later: same length, same last
    // line, so the length and head hash are the ones the cache keeps
    let path = store.stream("gsomia");
    let before = std::fs::read_to_string(&path).expect("the stream");
    let after = before.replacen("\"on\":\"2019-08-23\"", "\"on\":\"2019-08-24\"", 1);
    assert_ne!(after, before);
    assert_eq!(after.len(), before.len());
    std::fs::write(&path, &after).expect("edit");
    let run = store.run(&["list", "--on", "2019-08-23", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        store
            .redact(&run.stderr)
            .contains("[store]/gsomia.jsonl:4: checksum mismatch"),
        "{}",
        run.stderr
    );
}

/// The stores of these tests, with a stream of each of `ids`, and a cache
/// written of them; `None` (the test skipped, saying why) where the cache
/// keeps no stamps, so that the store is listed every time.
fn listed_store(ids: &[&str]) -> Option<Store> {
    let store = Store::new().with_gsomia();
    if !pactlog::replay::cache::keeps_stamps(&pactlog::Store::new(store.path())) {
        eprintln!("skipped: the cache keeps no stamps on this file system, nor a listing");
        return None;
    }
    for id in ids {
        store.ok(&["register", id, "--name", id]);
    }
    list(&store, &[]);
    Some(store)
}

/// The pacts a `list` on `store` lists.
fn listed(store: &Store) -> Vec<String> {
    pacts(&list(store, &[]))
}

/// The pacts of the rows of a `list --json`.
fn pacts(rows: &serde_json::Value) -> Vec<String> {
    let rows = rows.as_array().expect("rows");
    rows.iter()
        .map(|row| row["pact"].as_str().expect("a pact").to_owned())
        .collect()
}

/// [`listed_store`], left past the two seconds after which the store
/// directory's stamp is noted, and listed once more, which notes it: the
/// next `list` takes the streams from the cache.
fn noted_store(ids: &[&str]) -> Option<Store> {
    let store = listed_store(ids)?;
    std::thread::sleep(std::time::Duration::from_millis(2200));
    let mut all: Vec<&str> = ids.iter().copied().chain(["gsomia"]).collect();
    all.sort_unstable();
    assert_eq!(listed(&store), all, "the listing noted");
    Some(store)
}

/// Once the store directory has gone unchanged for a while, `list` notes
/// its stamp in the cache, which it writes over in place so that the
/// directory keeps it, and lists the store no more while it does; a
/// stream created after that changes the stamp, and is listed.
#[test]
fn a_stream_created_after_the_store_was_last_listed_is_listed() {
    use std::os::unix::fs::MetadataExt;
    let Some(store) = listed_store(&[]) else {
        return;
    };
    // past the two seconds after which the directory's stamp is noted
    std::thread::sleep(std::time::Duration::from_millis(2200));
    let cache = store.path().join(CACHE);
    let seen = || {
        let (file, dir) = (std::fs::metadata(&cache), std::fs::metadata(store.path()));
        let (file, dir) = (file.expect("the cache"), dir.expect("the store"));
        (file.ino(), dir.ctime(), dir.ctime_nsec())
    };
    let before = seen();
    let noted = std::fs::read(&cache).expect("the cache");
    assert_eq!(listed(&store), ["gsomia"]);
    let written = std::fs::read(&cache).expect("the cache");
    assert_ne!(written, noted, "the listing is noted");
    assert_eq!(
        seen(),
        before,
        "written over in place: the directory unchanged"
    );
    assert_eq!(listed(&store), ["gsomia"]);
    assert_eq!(
        std::fs::read(&cache).expect("the cache"),
        written,
        "nothing more to note"
    );

    store.ok(&["register", "treaty", "--name", "A treaty"]);
    assert_eq!(listed(&store), ["gsomia", "treaty"]);
}

/// A stream removed after the store's listing was noted is not looked for.
#[test]
fn a_stream_removed_after_the_store_was_last_listed_is_not_listed() {
    let Some(store) = noted_store(&["treaty"]) else {
        return;
    };
    std::fs::remove_file(store.stream("treaty")).expect("remove the stream");
    let run = store.run(&["list", "--on", "2020-01-01", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(listed(&store), ["gsomia"]);
}

/// A `list` as of a time, on a store whose streams the cache lists, whose
/// cache's recording times are damaged: the entries whose times cannot be
/// read are forgotten, and with them the listing, so every stream is read
/// and every pact listed.
#[test]
fn a_list_as_of_a_time_whose_cached_times_are_damaged_lists_every_pact() {
    let Some(store) = noted_store(&["treaty"]) else {
        return;
    };
    // the cache's last byte is a recording time's: written over in place,
    // which leaves the directory's stamp, and so the listing, as it was
    let cache = store.path().join(CACHE);
    let mut bytes = std::fs::read(&cache).expect("the cache");
    *bytes.last_mut().expect("a byte") ^= 1;
    std::fs::write(&cache, &bytes).expect("damage the cache");
    let rows = list(&store, &["--as-of", "2030-01-01T00:00:00Z"]);
    assert_eq!(pacts(&rows), ["gsomia", "treaty"]);
}

/// A stream appended to, or removed, after the store's listing was noted:
/// the cache's entries of the other streams are kept, not rebuilt.
#[test]
fn a_stream_changed_after_the_listing_leaves_the_other_entries_in_the_cache() {
    let Some(store) = noted_store(&["accord", "treaty"]) else {
        return;
    };
    // entries current for their streams, as verify compares them
    let compared = |store: &Store| {
        let run = store.json(&["verify"]);
        run["cache"]["checked"].as_u64().expect("a count")
    };
    assert_eq!(compared(&store), 3);
    store.ok(&["append", "treaty", "signed", "--on", "2015-01-01"]);
    assert_eq!(list(&store, &[])[2]["status"], "signed");
    // the entry just learned is not yet settled, and not compared
    assert_eq!(compared(&store), 2, "the other entries kept");
    std::fs::remove_file(store.stream("accord")).expect("remove the stream");
    assert_eq!(listed(&store), ["gsomia", "treaty"]);
    assert_eq!(compared(&store), 1, "gsomia's entry kept");
}

/// A cache file that has another name besides is not written through:
/// the cache is replaced, and the other name keeps what it had.
#[test]
fn a_cache_file_with_another_name_is_replaced_not_written_through() {
    let store = Store::new().with_gsomia();
    list(&store, &[]);
    let cache = store.path().join(CACHE);
    let other = store.path().join("kept");
    std::fs::hard_link(&cache, &other).expect("a second name");
    let kept = std::fs::read(&other).expect("the file");
    store.ok(&["append", "gsomia", "normalized", "--on", "2019-12-01"]);
    assert_eq!(list(&store, &[])[0]["status"], "normalized");
    assert_ne!(std::fs::read(&cache).expect("the cache"), kept, "rewritten");
    assert_eq!(std::fs::read(&other).expect("the file"), kept);
}
