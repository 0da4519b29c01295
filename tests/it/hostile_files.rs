//! What someone who can write a store directory may plant there: symbolic
//! links at the names pactlog's temporary files had, FIFOs named like its
//! files. pactlog writes through none of them, waits on none, and says
//! what it refused.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::harness::{Files, Run, Store, pactlog_in};

/// The process ids the next children are likely to get: the kernel hands
/// them out in order, from the last one given.
fn next_pids() -> std::ops::Range<u32> {
    let last = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok())
        .unwrap_or_else(|| {
            eprintln!(
                "note: no /proc/sys/kernel/ns_last_pid here: the links are planted \
                 at names guessed from this process's id, which may miss"
            );
            std::process::id()
        });
    last + 1..last + 400
}

/// Plants, at each name `name(pid)` for the likely next process ids, a
/// symbolic link to `victim`.
#[cfg(unix)]
fn plant(dir: &Path, victim: &Path, name: impl Fn(u32) -> String) {
    for pid in next_pids() {
        let _ = std::os::unix::fs::symlink(victim, dir.join(name(pid)));
    }
}

/// Runs `pactlog --dir DIR ARGS...` and fails the test, rather than hang
/// it, if it has not finished in 30 seconds.
fn run_bounded(dir: &Path, args: &[&str]) -> Run {
    pactlog_in(dir, args).timeout(Duration::from_secs(30)).run()
}

/// Makes a FIFO at `path`; false (with the reason printed) where `mkfifo`
/// cannot be run.
fn mkfifo(path: &Path) -> bool {
    match Command::new("mkfifo").arg(path).status() {
        Ok(status) if status.success() => true,
        other => {
            eprintln!(
                "skipped: mkfifo could not make {}: {other:?}",
                path.display()
            );
            false
        }
    }
}

const VICTIM: &str = "a file outside the store that must not change\n";

#[cfg(unix)]
#[test]
fn symlinks_at_the_old_temporary_names_write_nothing_outside_the_store() {
    let outside = Files::new();
    let victim = outside.write("victim.txt", VICTIM);
    let victim = Path::new(&victim);
    let store = Store::new().with_gsomia();
    let dir = store.path();
    plant(dir, victim, |pid| format!(".pactlog-cache.{pid}.tmp"));
    plant(dir, victim, |pid| format!(".pactlog-journal.{pid}.tmp"));
    for pact in ["nato", "csv-one", "jsonl-one"] {
        plant(dir, victim, |pid| format!(".{pact}.jsonl.{pid}.tmp"));
    }

    // a read-only command writes the cache
    assert!(store.ok(&["list", "--on", "2020-01-01"]).contains("gsomia"));
    store.ok(&["register", "nato", "--name", "North Atlantic Treaty"]);
    store.ok(&["append", "nato", "in_force", "--on", "1949-08-24"]);
    let sheet = outside.write(
        "rows.csv",
        "pact,status,on\ncsv-one,in_force,2001-01-01\ngsomia,terminated,2024-01-01\n",
    );
    store.ok(&["import", &sheet, "--create-pacts"]);
    store.ok(&["list"]);

    assert_eq!(std::fs::read_to_string(victim).unwrap(), VICTIM);
    // the streams are files of their own, not the planted links
    for pact in ["nato", "csv-one"] {
        let meta = std::fs::symlink_metadata(store.stream(pact)).unwrap();
        assert!(meta.is_file(), "{pact}.jsonl is {:?}", meta.file_type());
    }
    store.ok(&["verify"]);
    let cache = std::fs::symlink_metadata(dir.join(".pactlog-cache")).unwrap();
    assert!(cache.is_file());
}

#[cfg(unix)]
#[test]
fn a_symlinked_cache_is_replaced_never_written_through() {
    let outside = Files::new();
    let victim = outside.write("victim.txt", VICTIM);
    let store = Store::new().with_gsomia();
    std::os::unix::fs::symlink(&victim, store.path().join(".pactlog-cache")).unwrap();

    let list = store.ok(&["list", "--on", "2020-01-01"]);
    assert!(list.contains("conditionally suspended"), "{list}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), VICTIM);
    let cache = std::fs::symlink_metadata(store.path().join(".pactlog-cache")).unwrap();
    assert!(
        cache.is_file(),
        "the link was replaced by a cache of pactlog's own"
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_planted_beside_a_new_store_is_not_followed() {
    let outside = Files::new();
    let victim = outside.write("victim.txt", VICTIM);
    let parent = tempfile::tempdir().unwrap();
    let new_store = parent.path().join("fresh");
    // the staging directory's old name
    plant(parent.path(), Path::new(&victim), |pid| {
        format!(".fresh.pactlog-import-{pid}")
    });
    let sheet = outside.write("rows.csv", "pact,status,on\nabc,in_force,2001-01-01\n");
    let run = run_bounded(&new_store, &["import", &sheet, "--create-pacts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), VICTIM);
    assert_eq!(run_bounded(&new_store, &["verify"]).code, 0);
}

#[test]
fn an_import_into_a_new_store_with_a_name_of_250_bytes_works() {
    let outside = Files::new();
    let parent = tempfile::tempdir().unwrap();
    let long = "s".repeat(250);
    let new_store = parent.path().join(&long);
    let sheet = outside.write("rows.csv", "pact,status,on\nabc,in_force,2001-01-01\n");
    let run = run_bounded(&new_store, &["import", &sheet, "--create-pacts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let status = run_bounded(&new_store, &["status", "abc", "--on", "2002-01-01"]);
    assert!(status.stdout.contains("in force"), "{}", status.stdout);
    // nothing of the staging is left beside it
    let left: Vec<_> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, [std::ffi::OsString::from(long)]);
}

#[test]
fn a_fifo_named_like_a_stream_is_reported_by_name_and_never_waited_on() {
    let store = Store::new().with_gsomia();
    if !mkfifo(&store.stream("x")) {
        return;
    }
    let list = run_bounded(store.path(), &["list", "--on", "2020-01-01"]);
    assert_eq!(list.code, 1, "{}", list.stderr);
    assert!(
        list.stdout.contains("gsomia"),
        "the rest is answered: {}",
        list.stdout
    );
    assert!(
        list.stderr.contains("x.jsonl is not a regular file"),
        "{}",
        list.stderr
    );

    let verify = run_bounded(store.path(), &["verify"]);
    assert_eq!(verify.code, 1);
    assert!(
        format!("{}{}", verify.stdout, verify.stderr).contains("x.jsonl is not a regular file"),
        "{verify:?}"
    );
    let status = run_bounded(store.path(), &["status", "x"]);
    assert_eq!(status.code, 1);
    assert!(
        status.stderr.contains("not a regular file"),
        "{}",
        status.stderr
    );

    // an append elsewhere is not held up by it
    let append = run_bounded(
        store.path(),
        &["note", "gsomia", "a note", "--on", "2020-02-02"],
    );
    assert_eq!(append.code, 0, "{}", append.stderr);
}

#[test]
fn a_fifo_named_like_the_cache_is_replaced_by_a_cache() {
    let store = Store::new().with_gsomia();
    let cache = store.path().join(".pactlog-cache");
    if !mkfifo(&cache) {
        return;
    }
    let list = run_bounded(store.path(), &["list", "--on", "2020-01-01"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains("conditionally suspended"));
    assert!(std::fs::symlink_metadata(&cache).unwrap().is_file());
    assert_eq!(run_bounded(store.path(), &["verify"]).code, 0);
}

#[test]
fn a_fifo_named_like_the_journal_is_refused_by_writers_without_waiting() {
    let store = Store::new().with_gsomia();
    if !mkfifo(&store.path().join(".pactlog-journal")) {
        return;
    }
    // (no snapshot of the store: reading the FIFO would wait)
    let before = std::fs::read(store.stream("gsomia")).unwrap();
    let append = run_bounded(
        store.path(),
        &["append", "gsomia", "normalized", "--on", "2023-03-21"],
    );
    assert_eq!(append.code, 1);
    assert!(
        append.stderr.contains(".pactlog-journal"),
        "the journal is named: {}",
        append.stderr
    );
    assert_eq!(std::fs::read(store.stream("gsomia")).unwrap(), before);
    let register = run_bounded(store.path(), &["register", "b", "--name", "B"]);
    assert_eq!(register.code, 1);
    assert!(
        register.stderr.contains(".pactlog-journal"),
        "the journal is named: {}",
        register.stderr
    );
    assert_eq!(std::fs::read(store.stream("gsomia")).unwrap(), before);
    assert!(!store.stream("b").exists());
    // reading still answers
    let status = run_bounded(store.path(), &["status", "gsomia", "--on", "2020-01-01"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
}

#[cfg(unix)]
#[test]
fn repair_leaves_a_stream_with_another_name_alone() {
    let outside = Files::new();
    let secret = outside.write("secret.txt", "a secret with no final newline");
    let store = Store::new().with_gsomia();
    std::fs::hard_link(&secret, store.stream("x")).unwrap();
    let run = run_bounded(store.path(), &["repair", "x"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("hard links"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "a secret with no final newline"
    );
    let copied = std::fs::read_dir(store.path())
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy().contains("torn"));
    assert!(!copied, "no quarantine file was made");
}

#[cfg(unix)]
#[test]
fn verify_calls_a_journal_writers_refuse_damaged_not_unfinished() {
    let outside = Files::new();
    let elsewhere = outside.write("journal", "[]");
    type Plant = fn(&Path, &Path) -> bool;
    let cases: [(&str, Plant); 3] = [
        ("bytes that are no journal", |journal, _| {
            std::fs::write(journal, "not a journal\n").unwrap();
            true
        }),
        ("a symbolic link", |journal, target| {
            std::os::unix::fs::symlink(target, journal).unwrap();
            true
        }),
        ("a FIFO", |journal, _| mkfifo(journal)),
    ];
    for (what, plant) in cases {
        let store = Store::new().with_gsomia();
        let journal = store.path().join(".pactlog-journal");
        if !plant(&journal, Path::new(&elsewhere)) {
            continue;
        }
        let verify = run_bounded(store.path(), &["verify"]);
        assert_eq!(verify.code, 0, "{what}: {verify:?}");
        let said = format!("{}{}", verify.stdout, verify.stderr);
        assert!(
            said.contains("the journal of an import that did not finish is damaged")
                && !said.contains("carries it out to the end"),
            "{what}: {said}"
        );
        let json = run_bounded(store.path(), &["verify", "--json"]);
        let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(report["journal_damaged"], true, "{what}");
        // as writers find it
        let append = run_bounded(
            store.path(),
            &["append", "gsomia", "normalized", "--on", "2023-03-21"],
        );
        assert_eq!(append.code, 1, "{what}");
        assert!(
            append.stderr.contains("is damaged"),
            "{what}: {}",
            append.stderr
        );
    }
}
