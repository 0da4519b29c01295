//! Sharing a store through git, as a team does: `pactlog git-setup` in
//! each clone of a bare repository, analysts appending to one pact on two
//! clones, and pulls that merge with no conflict, or with a clean one when
//! the two truly disagree.

use std::path::{Path, PathBuf};

use crate::harness::{Run, git, git_in, pactlog};

/// `pactlog ARGS...` in the clone `dir`, whose store is `./events`.
fn pactlog_at(dir: &Path, args: &[&str]) -> Run {
    pactlog(args)
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir))
        .run()
}

/// `pactlog ARGS...` in `dir`, which must succeed: its standard output.
fn ok(dir: &Path, args: &[&str]) -> String {
    let run = pactlog_at(dir, args);
    assert_eq!(run.code, 0, "pactlog {args:?}: {}", run.stderr);
    run.stdout
}

/// A bare repository, `origin`, in a directory of its own.
struct Team {
    dir: tempfile::TempDir,
}

impl Team {
    fn new() -> Team {
        let dir = tempfile::tempdir().expect("a directory");
        git(
            dir.path(),
            &["init", "-q", "--bare", "-b", "main", "origin.git"],
        );
        Team { dir }
    }

    /// A clone of origin, named `name`, set up with `git-setup`.
    fn clone(&self, name: &str) -> PathBuf {
        git(self.dir.path(), &["clone", "-q", "origin.git", name]);
        let clone = self.dir.path().join(name);
        git(&clone, &["checkout", "-q", "-B", "main"]);
        ok(&clone, &["git-setup"]);
        clone
    }
}

/// The value of `key` of event `at` of `p`'s log in the clone `dir`.
fn logged(dir: &Path, at: usize, key: &str) -> String {
    let log: serde_json::Value =
        serde_json::from_str(&ok(dir, &["log", "p", "--json"])).expect("JSON");
    log[at][key].as_str().expect("a string").to_owned()
}

/// The ids of `p`'s events in the clone `dir`, sorted.
fn ids(dir: &Path) -> Vec<String> {
    let log: serde_json::Value =
        serde_json::from_str(&ok(dir, &["log", "p", "--json"])).expect("JSON");
    let mut ids: Vec<String> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn two_clones_that_appended_to_one_pact_pull_each_other_with_no_conflict() {
    let team = Team::new();
    let a = team.clone("a");
    ok(
        &a,
        &[
            "register", "p", "--name", "P", "--party", "US", "--party", "CA",
        ],
    );
    ok(&a, &["append", "p", "signed", "--on", "2019-01-01"]);
    git(&a, &["add", "-A"]);
    git(&a, &["commit", "-qm", "register p"]);
    git(&a, &["push", "-q", "origin", "main"]);
    let b = team.clone("b");
    // the files came with the clone: only the config was set
    let again = ok(&b, &["git-setup"]);
    assert!(again.starts_with("nothing to change"), "{again}");

    // a records first, b after; b pushes first, a pulls
    ok(&a, &["append", "p", "in_force", "--on", "2019-06-01"]);
    ok(&a, &["note", "p", "from a", "--on", "2019-06-01"]);
    let a_recorded = logged(&a, 2, "recorded");
    git(&a, &["commit", "-qam", "a: in force"]);
    ok(&b, &["note", "p", "from b", "--on", "2019-03-01"]);
    ok(&b, &["append", "p", "ratified", "--on", "2019-03-01"]);
    let b_recorded = logged(&b, 3, "recorded");
    assert!(a_recorded < b_recorded);
    git(&b, &["commit", "-qam", "b: ratified"]);
    git(&b, &["push", "-q", "origin", "main"]);
    let mut both = ids(&a);
    both.extend(ids(&b));
    both.sort();
    both.dedup();
    git(&a, &["fetch", "-q", "origin"]);
    let merged = git_in(&a, &["merge", "-m", "merge b", "origin/main"]);
    let said = String::from_utf8_lossy(&merged.stderr).into_owned()
        + &String::from_utf8_lossy(&merged.stdout);
    assert!(merged.status.success(), "{said}");
    assert!(!said.contains("CONFLICT"), "{said}");
    assert!(git(&a, &["status", "--porcelain"]).is_empty());

    // it verifies, holds every event of both, and answers by each event's
    // own recorded time
    assert!(ok(&a, &["verify"]).contains("1 ok, 0 failed, 0 warnings"));
    assert_eq!(ids(&a), both);
    assert_eq!(ids(&a).len(), 6);
    let status = |dir: &Path, as_of: &str| {
        let out = ok(
            dir,
            &[
                "status",
                "p",
                "--on",
                "2019-12-31",
                "--as-of",
                as_of,
                "--json",
            ],
        );
        let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        json["status"].as_str().unwrap_or("none").to_owned()
    };
    // between a's append and b's: what a had recorded
    assert_eq!(status(&a, &a_recorded), "in_force");
    let history = ok(&a, &["history", "p", "--as-of", &a_recorded]);
    assert!(!history.contains("ratified"), "{history}");
    assert!(!history.contains("from b"), "{history}");
    // once b's was recorded: both, b's ratification before a's entry into
    // force
    assert_eq!(status(&a, &b_recorded), "in_force");
    let history = ok(&a, &["history", "p", "--as-of", &b_recorded]);
    assert!(history.contains("ratified"), "{history}");

    // a pushes the merge; b pulls it, with nothing to merge
    git(&a, &["push", "-q", "origin", "main"]);
    git(&b, &["pull", "-q", "--no-rebase", "origin", "main"]);
    assert_eq!(
        std::fs::read(a.join("events/p.jsonl")).unwrap(),
        std::fs::read(b.join("events/p.jsonl")).unwrap()
    );
    // the derived files stay out of git
    ok(&b, &["list"]);
    assert!(b.join("events/.pactlog-cache").exists());
    assert!(git(&b, &["status", "--porcelain"]).is_empty());
}

#[test]
fn two_clones_that_truly_disagree_get_a_clean_conflict() {
    let team = Team::new();
    let a = team.clone("a");
    ok(&a, &["register", "p", "--name", "P"]);
    ok(&a, &["append", "p", "in_force", "--on", "2019-01-01"]);
    git(&a, &["add", "-A"]);
    git(&a, &["commit", "-qm", "register p"]);
    git(&a, &["push", "-q", "origin", "main"]);
    let b = team.clone("b");
    ok(&a, &["append", "p", "terminated", "--on", "2021-01-01"]);
    git(&a, &["commit", "-qam", "a: terminated"]);
    ok(&b, &["append", "p", "suspended", "--on", "2021-06-01"]);
    git(&b, &["commit", "-qam", "b: suspended"]);
    git(&b, &["push", "-q", "origin", "main"]);
    let before = std::fs::read(a.join("events/p.jsonl")).unwrap();

    git(&a, &["fetch", "-q", "origin"]);
    let merged = git_in(&a, &["merge", "-m", "merge b", "origin/main"]);
    assert!(!merged.status.success());
    let said = String::from_utf8_lossy(&merged.stderr).into_owned()
        + &String::from_utf8_lossy(&merged.stdout);
    assert!(
        said.contains("CONFLICT (content): Merge conflict in events/p.jsonl"),
        "{said}"
    );
    assert!(
        said.contains(
            "error: merge conflict in 'p': on the merged timeline, suspended on 2021-06-01"
        ),
        "{said}"
    );
    assert_eq!(git(&a, &["status", "--porcelain"]), "UU events/p.jsonl\n");
    // not a mangled file: ours, as it was, which every command reads
    assert_eq!(std::fs::read(a.join("events/p.jsonl")).unwrap(), before);
    assert!(ok(&a, &["verify"]).contains("1 ok, 0 failed"));

    // resolved as the README says: abort, withdraw a's status, merge again
    git(&a, &["merge", "--abort"]);
    let terminated = logged(&a, 2, "id");
    ok(
        &a,
        &["retract", "p", &terminated, "--reason", "only announced"],
    );
    git(&a, &["commit", "-qam", "a: retract the termination"]);
    git(&a, &["merge", "-q", "-m", "merge b", "origin/main"]);
    assert!(ok(&a, &["verify"]).contains("1 ok, 0 failed"));
    let status = ok(&a, &["status", "p", "--on", "2022-01-01"]);
    assert!(
        status.starts_with("p on 2022-01-01: suspended since 2021-06-01"),
        "{status}"
    );
}

#[test]
fn git_setup_writes_once_and_says_so_and_needs_a_repository() {
    let dir = tempfile::tempdir().expect("a directory");
    let root = dir.path();
    // outside a repository
    let run = pactlog_at(root, &["git-setup"]);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let stderr = run.fails(1);
    assert_eq!(
        stderr,
        "error: ./events is not in a git repository\n\
         hint: run it in a clone of the repository that keeps the store (or `git init` one \
         first), or give --dir the store in it\n"
    );
    assert!(!root.join("events").exists());

    git(root, &["init", "-q", "-b", "main"]);
    std::fs::create_dir(root.join("events")).unwrap();
    std::fs::write(root.join("events/.gitignore"), "notes.txt").unwrap();
    let first = ok(root, &["git-setup"]);
    let top = git(root, &["rev-parse", "--show-toplevel"]);
    let top = top.trim_end();
    assert_eq!(
        first,
        format!(
            "wrote to ./events/.gitattributes: *.jsonl merge=pactlog -text\n\
             wrote to ./events/.gitignore: .pactlog-cache*, .pactlog-journal*, .*.jsonl.*.tmp, \
             *.jsonl.torn-*\n\
             set git config merge.pactlog.name = pactlog: merge a stream two branches appended to\n\
             set git config merge.pactlog.driver = pactlog merge %O %A %B %P\n\
             the repository {top} merges its streams with `pactlog merge`; commit \
             .gitattributes and .gitignore, and run `pactlog git-setup` in every clone\n"
        )
    );
    assert_eq!(
        std::fs::read_to_string(root.join("events/.gitignore")).unwrap(),
        "notes.txt\n.pactlog-cache*\n.pactlog-journal*\n.*.jsonl.*.tmp\n*.jsonl.torn-*\n"
    );
    assert_eq!(
        git(root, &["config", "merge.pactlog.driver"]),
        "pactlog merge %O %A %B %P\n"
    );
    assert_eq!(
        git(
            root,
            &["check-attr", "merge", "text", "--", "events/p.jsonl"]
        ),
        "events/p.jsonl: merge: pactlog\nevents/p.jsonl: text: unset\n"
    );
    // and again: nothing changes
    let files = |root: &Path| {
        ["events/.gitattributes", "events/.gitignore", ".git/config"]
            .map(|f| std::fs::read(root.join(f)).unwrap())
    };
    let before = files(root);
    let second = ok(root, &["git-setup"]);
    assert_eq!(
        second,
        format!("nothing to change: the repository {top} is set up to merge its streams\n")
    );
    assert_eq!(files(root), before);
    // with --json, what it found
    let json: serde_json::Value =
        serde_json::from_str(&ok(root, &["git-setup", "--json"])).expect("JSON");
    assert_eq!(json["repository"], top);
    assert!(
        json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["added"] == serde_json::json!([]))
    );
}
