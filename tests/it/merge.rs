//! `pactlog merge`, the git merge driver: a stream two branches appended
//! to merged into ours followed by theirs' new events re-linked, answering
//! alike whichever branch merges; a clean refusal naming both events when
//! they cannot stand together; bad input refused with ours left as it was.
//! Branches are stores here: git's own runs are in `git`.

use insta::assert_snapshot;
use pactlog::Hash;
use pactlog::log::codec::relink;
use serde_json::Value;

use crate::harness::{Files, Run, Store, pactlog};

/// A store as it was when two branches parted, and the store each branch
/// made of it since.
struct Parted {
    base: Store,
    ours: Store,
    theirs: Store,
}

/// A copy of every file of `store`: a branch of it.
fn branch(store: &Store) -> Store {
    let copy = Store::new();
    for (name, bytes) in store.snapshot() {
        std::fs::write(copy.path().join(name), bytes).expect("copy a file");
    }
    copy
}

impl Parted {
    /// Two branches of `base`, as it is now.
    fn from(base: Store) -> Parted {
        Parted {
            ours: branch(&base),
            theirs: branch(&base),
            base,
        }
    }

    /// Runs the driver as git does for the stream of `id`: the base's and
    /// theirs' streams in files of their own, ours in place (git's own
    /// file for it is a copy it puts in place after).
    fn merge(&self, id: &str) -> Run {
        merge_into(&self.base, &self.ours, &self.theirs, id)
    }
}

/// `pactlog merge` of `id`'s stream: `base`'s and `theirs`' into `ours`'s.
fn merge_into(base: &Store, ours: &Store, theirs: &Store, id: &str) -> Run {
    let files = Files::new();
    let bytes = |store: &Store| std::fs::read(store.stream(id)).unwrap_or_default();
    let base = files.write("base", bytes(base));
    let theirs = files.write("theirs", bytes(theirs));
    let ours = ours.stream(id);
    let ours = ours.to_str().expect("a path");
    pactlog(&["merge", &base, ours, &theirs, ours]).run()
}

/// A pact `p` with parties US and CA, signed and in force.
fn signed() -> Store {
    let store = Store::new();
    store.ok(&[
        "register", "p", "--name", "P", "--party", "US", "--party", "CA",
    ]);
    store.ok(&["append", "p", "signed", "--on", "2019-01-01"]);
    store.ok(&["append", "p", "in_force", "--on", "2019-06-01"]);
    store
}

#[test]
fn ours_is_followed_by_theirs_new_events_each_relinked_byte_for_byte() {
    let parted = Parted::from(signed());
    parted
        .theirs
        .ok(&["note", "p", "from theirs", "--on", "2020-01-01"]);
    parted
        .theirs
        .ok(&["append", "p", "suspended", "--on", "2020-02-01"]);
    parted
        .ours
        .ok(&["note", "p", "from ours", "--on", "2020-01-02"]);
    let (ours_before, theirs_lines) = (parted.ours.lines("p"), parted.theirs.lines("p"));
    let ours_ids = parted.ours.ids("p");

    let run = parted.merge("p");

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        parted.ours.redact(&run.stdout),
        "merged [store]/p.jsonl: 2 events of theirs after 1 new event of ours\n"
    );
    let merged = parted.ours.lines("p");
    assert_eq!(merged.len(), 6);
    assert_eq!(merged[..4], ours_before[..]);
    // each of theirs' lines, but for its version, seq, link and mark
    for (at, line) in theirs_lines[3..].iter().enumerate() {
        let seq = 5 + at as u64;
        let prev = Hash::of(merged[seq as usize - 2].as_bytes());
        let expected = relink(line.as_bytes(), seq, prev).expect("a line to re-link");
        assert_eq!(merged[seq as usize - 1].as_bytes(), expected.as_slice());
    }
    let log = parted.ours.json(&["log", "p"]);
    assert_eq!(
        log[4]["relinked"],
        Hash::of(theirs_lines[3].as_bytes()).to_string()
    );
    assert_eq!(
        (log[4]["v"].as_u64(), log[3]["relinked"].is_null()),
        (Some(3), true)
    );
    let text = parted.ours.ok(&["log", "p"]);
    assert!(text.contains("#5  note  recorded "), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("#5  note  recorded ") && l.ends_with(" (merged in)")),
        "{text}"
    );
    // every event of both, once
    let mut both = parted.ours.ids("p");
    both.sort();
    let mut expected = parted.theirs.ids("p");
    expected.extend(ours_ids);
    expected.sort();
    expected.dedup();
    assert_eq!(both, expected);
    assert!(parted.ours.ok(&["verify"]).contains("1 ok, 0 failed"));
    // merged again, theirs brings nothing more
    let bytes = std::fs::read(parted.ours.stream("p")).expect("the stream");
    let again = parted.merge("p");
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.ends_with(": theirs adds nothing to ours\n"),
        "{}",
        again.stdout
    );
    assert_eq!(
        std::fs::read(parted.ours.stream("p")).expect("the stream"),
        bytes
    );
}

#[test]
fn a_branch_that_went_on_from_ours_is_taken_as_it_is() {
    let parted = Parted::from(signed());
    parted
        .theirs
        .ok(&["append", "p", "suspended", "--on", "2020-02-01"]);
    let run = parted.merge("p");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read(parted.ours.stream("p")).unwrap(),
        std::fs::read(parted.theirs.stream("p")).unwrap()
    );
}

#[test]
fn as_of_a_time_between_the_branches_appends_is_what_the_team_had_recorded() {
    let parted = Parted::from(signed());
    // theirs records first, ours after: merged into ours, theirs' line
    // comes last but was recorded before ours'
    parted
        .theirs
        .ok(&["append", "p", "suspended", "--on", "2020-02-01"]);
    parted
        .ours
        .ok(&["note", "p", "recorded on ours", "--on", "2020-03-01"]);
    let recorded = |store: &Store| {
        let log = store.json(&["log", "p"]);
        log[3]["recorded"].as_str().unwrap().to_owned()
    };
    let (theirs_at, ours_at) = (recorded(&parted.theirs), recorded(&parted.ours));
    assert!(theirs_at < ours_at);
    assert_eq!(parted.merge("p").code, 0);
    let store = &parted.ours;
    assert!(store.ok(&["verify"]).contains("1 ok, 0 failed, 0 warnings"));
    let log = store.json(&["log", "p"]);
    assert_eq!(log[3]["recorded"], ours_at.as_str());
    assert_eq!(log[4]["recorded"], theirs_at.as_str());

    // as of theirs' append: theirs' status, not ours' note
    let status = |at: &str| store.json(&["status", "p", "--on", "2021-01-01", "--as-of", at]);
    assert_eq!(status(&theirs_at)["status"], "suspended");
    let history = store.json(&["history", "p", "--as-of", &theirs_at]);
    assert_eq!(history["intervals"].as_array().unwrap().len(), 3);
    assert_eq!(history["notes"].as_array().unwrap().len(), 0);
    let logged = store.json(&["log", "p", "--as-of", &theirs_at]);
    let kinds: Vec<&str> = logged
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["registered", "status", "status", "status"]);
    assert_eq!(logged[3]["recorded"], theirs_at.as_str());
    let text = store.ok(&["log", "p", "--as-of", &theirs_at]);
    assert!(!text.contains("recorded on ours"), "{text}");
    assert!(text.contains("#5  status  recorded"), "{text}");
    let list = store.json(&["list", "--on", "2021-01-01", "--as-of", &theirs_at]);
    assert_eq!(list[0]["status"], "suspended");
    let changes = store.json(&[
        "changes",
        "--from",
        "2020-01-01",
        "--to",
        "2020-12-31",
        "--as-of",
        &theirs_at,
    ]);
    assert_eq!(changes[0]["to_status"], "suspended");
    // each change names its own event, in a stream whose lines are read
    // twice for the order they were recorded in
    let changes = store.json(&["changes", "--from", "1900-01-01", "--to", "2100-12-31"]);
    let field = |e: &serde_json::Value, key: &str| e[key].as_str().unwrap().to_owned();
    let statuses: Vec<(String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "status")
        .map(|e| (field(e, "id"), field(e, "status")))
        .collect();
    let named: Vec<(String, String)> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (field(c, "event"), field(c, "to_status")))
        .collect();
    assert_eq!(named, statuses);
    assert_eq!(named.len(), 3);
    // as of ours' append: both
    let history = store.json(&["history", "p", "--as-of", &ours_at]);
    assert_eq!(history["notes"].as_array().unwrap().len(), 1);
    assert_eq!(status(&ours_at)["status"], "suspended");
    // what was recorded since just before theirs' append: both, in the
    // order they were recorded
    let before = store.json(&["log", "p"])[2]["recorded"]
        .as_str()
        .unwrap()
        .to_owned();
    let errata = store.json(&["errata", "--since", &before]);
    let events: Vec<&str> = errata["pacts"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["status", "note"]);
    // exported, the merged stream imports back byte for byte
    let export = store.ok(&["export"]);
    let files = Files::new();
    let file = files.write("export.jsonl", &export);
    let copy = Store::new();
    copy.ok(&["import", &file]);
    assert_eq!(
        std::fs::read(copy.stream("p")).unwrap(),
        std::fs::read(store.stream("p")).unwrap()
    );
}

#[test]
fn whichever_branch_merges_the_answers_are_the_same() {
    let base = signed();
    base.ok(&["note", "p", "before they parted", "--on", "2020-01-01"]);
    let parted = Parted::from(base);
    // statuses and notes of both on the same days, recorded in turn
    parted
        .ours
        .ok(&["append", "p", "suspended", "--on", "2020-01-01"]);
    parted
        .theirs
        .ok(&["append", "p", "termination_notified", "--on", "2020-01-01"]);
    parted.ours.ok(&["note", "p", "ours", "--on", "2020-01-01"]);
    parted
        .theirs
        .ok(&["note", "p", "theirs", "--on", "2020-01-01"]);
    parted.theirs.ok(&[
        "append",
        "p",
        "suspended",
        "--on",
        "2020-05-01",
        "--party",
        "US",
    ]);
    // merged on each branch
    let theirs_merged = branch(&parted.theirs);
    assert_eq!(parted.merge("p").code, 0);
    let run = merge_into(&parted.base, &theirs_merged, &parted.ours, "p");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_ne!(parted.ours.lines("p"), theirs_merged.lines("p"));
    let answer = |store: &Store, args: &[&str]| {
        let mut json = store.json(args);
        for key in ["head", "seq"] {
            json.as_object_mut().map(|o| o.remove(key));
        }
        json
    };
    for args in [
        &["history", "p"][..],
        &["history", "p", "--party", "US"],
        &["status", "p", "--on", "2020-01-01"],
        &["status", "p", "--on", "2020-06-01", "--party", "us"],
    ] {
        assert_eq!(
            answer(&parted.ours, args),
            answer(&theirs_merged, args),
            "{args:?}"
        );
    }
    let history = answer(&parted.ours, &["history", "p"]);
    let statuses: Vec<&str> = history["intervals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["signed", "in_force", "suspended", "termination_notified"]
    );
    let notes: Vec<&str> = history["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    assert_eq!(notes, ["before they parted", "ours", "theirs"]);
    assert_eq!(
        parted.ours.ok(&["export", "--csv"]),
        theirs_merged.ok(&["export", "--csv"])
    );
    for store in [&parted.ours, &theirs_merged] {
        assert!(store.ok(&["verify"]).contains("1 ok, 0 failed"));
    }
}

#[test]
fn a_branch_merged_twice_merges_again_though_the_base_was_relinked() {
    let parted = Parted::from(signed());
    parted
        .theirs
        .ok(&["note", "p", "theirs, first", "--on", "2020-01-01"]);
    parted
        .ours
        .ok(&["note", "p", "ours, first", "--on", "2020-01-02"]);
    assert_eq!(parted.merge("p").code, 0);
    // the next merge's base is theirs as it was merged
    let base = branch(&parted.theirs);
    parted
        .theirs
        .ok(&["note", "p", "theirs, second", "--on", "2020-02-01"]);
    parted
        .ours
        .ok(&["note", "p", "ours, second", "--on", "2020-02-02"]);
    let run = merge_into(&base, &parted.ours, &parted.theirs, "p");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains(": 1 event of theirs after 2 new events of ours"),
        "{}",
        run.stdout
    );
    // and theirs, pulling ours back, gets ours' two
    let run = merge_into(&base, &parted.theirs, &parted.ours, "p");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.ends_with(": 2 events of theirs added\n"),
        "{}",
        run.stdout
    );
    let notes = |store: &Store| store.json(&["history", "p"])["notes"].clone();
    assert_eq!(notes(&parted.ours), notes(&parted.theirs));
    assert_eq!(notes(&parted.ours).as_array().unwrap().len(), 4);
}

#[test]
fn a_stream_both_branches_registered_alike_merges_under_ours_registration() {
    let (ours, theirs) = (Store::new(), Store::new());
    for store in [&ours, &theirs] {
        store.ok(&["register", "p", "--name", "P", "--alias", "PP"]);
    }
    ours.ok(&["append", "p", "signed", "--on", "2019-01-01"]);
    theirs.ok(&["note", "p", "from theirs", "--on", "2019-02-01"]);
    let run = merge_into(&Store::new(), &ours, &theirs, "p");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let merged = ours.ids("p");
    assert_eq!(merged.len(), 3);
    assert_eq!(merged[2], theirs.ids("p")[1]);
    assert!(ours.ok(&["verify"]).contains("1 ok, 0 failed"));
}

/// Runs the merge, which must be refused as a conflict with ours left as
/// it was: its message, redacted.
fn conflict(parted: &Parted, id: &str) -> String {
    let before = parted.ours.snapshot();
    let run = parted.merge(id);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let stderr = run.fails(1);
    assert_eq!(parted.ours.snapshot(), before, "ours was changed");
    parted.ours.redact(&stderr)
}

#[test]
fn a_status_the_merged_timeline_does_not_allow_is_a_conflict_naming_both() {
    let parted = Parted::from(signed());
    parted
        .ours
        .ok(&["append", "p", "terminated", "--on", "2021-01-01"]);
    parted
        .theirs
        .ok(&["append", "p", "suspended", "--on", "2021-06-01"]);
    assert_snapshot!(conflict(&parted, "p"), @r#"
    error: merge conflict in 'p': on the merged timeline, suspended on 2021-06-01 (event [id], theirs) may not follow terminated on 2021-01-01 (event [id], ours)
    hint: the stream is left as ours, and git shows it as a conflict: `git merge --abort`; on the branch whose status is wrong, withdraw or correct it (`pactlog retract`, `pactlog amend`) and commit; then merge again (README.md, "Working with git")
    "#);
    // withdrawn on one branch, it merges
    let ended = parted.ours.json(&["log", "p"])[3]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    parted
        .ours
        .ok(&["retract", "p", &ended, "--reason", "not so"]);
    assert_eq!(parted.merge("p").code, 0);
}

#[test]
fn the_same_change_recorded_on_both_branches_is_a_conflict() {
    let parted = Parted::from(signed());
    for store in [&parted.ours, &parted.theirs] {
        store.ok(&["append", "p", "terminated", "--on", "2021-01-01"]);
    }
    assert_snapshot!(conflict(&parted, "p"), @r#"
    error: merge conflict in 'p': on the merged timeline, terminated on 2021-01-01 (event [id], theirs) repeats terminated on 2021-01-01 (event [id], ours)
    hint: the stream is left as ours, and git shows it as a conflict: `git merge --abort`; on the branch whose status is wrong, withdraw or correct it (`pactlog retract`, `pactlog amend`) and commit; then merge again (README.md, "Working with git")
    "#);
}

#[test]
fn a_status_whose_neighbour_the_other_branch_withdrew_names_it() {
    let base = signed();
    base.ok(&["append", "p", "suspended", "--on", "2020-01-01"]);
    let parted = Parted::from(base);
    let suspended = parted.ours.json(&["log", "p"])[3]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    parted
        .ours
        .ok(&["retract", "p", &suspended, "--reason", "never happened"]);
    parted
        .theirs
        .ok(&["append", "p", "normalized", "--on", "2021-01-01"]);
    assert_snapshot!(conflict(&parted, "p"), @r#"
    error: merge conflict in 'p': on the merged timeline, normalized on 2021-01-01 (event [id], theirs) may not follow in force on 2019-06-01 (event [id], on both branches); suspended on 2020-01-01 (event [id], on both branches) stood between them, and was withdrawn
    hint: the stream is left as ours, and git shows it as a conflict: `git merge --abort`; on the branch whose status is wrong, withdraw or correct it (`pactlog retract`, `pactlog amend`) and commit; then merge again (README.md, "Working with git")
    "#);
}

#[test]
fn two_registrations_that_differ_are_a_conflict() {
    let (ours, theirs) = (Store::new(), Store::new());
    ours.ok(&["register", "p", "--name", "P"]);
    theirs.ok(&["register", "p", "--name", "The P"]);
    let parted = Parted {
        base: Store::new(),
        ours,
        theirs,
    };
    assert_snapshot!(conflict(&parted, "p"), @r#"
    error: merge conflict in 'p': both branches registered it, with other metadata: the registration of "P" (event [id], ours), and the registration of "The P" (event [id], theirs)
    hint: the stream is left as ours, and git shows it as a conflict: a recorded event is never taken back, so the stream takes one side: keep ours, which the file holds (`git add` it), and record again the events of theirs you keep (README.md, "Working with git")
    "#);
}

#[test]
fn a_retraction_of_an_event_the_other_branch_amended_is_a_conflict() {
    let parted = Parted::from(signed());
    let signed = parted.ours.json(&["log", "p"])[1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    parted
        .ours
        .ok(&["retract", "p", &signed, "--reason", "no signature"]);
    parted.theirs.ok(&[
        "amend",
        "p",
        &signed,
        "--on",
        "2019-01-02",
        "--reason",
        "a day later",
    ]);
    assert_snapshot!(conflict(&parted, "p"), @"
    error: merge conflict in 'p': both branches withdrew event [id]: the retraction of [id] (event [id], ours), and the amendment of [id] (event [id], theirs)
    hint: the stream is left as ours, and git shows it as a conflict: a recorded event is never taken back, so the stream takes one side: keep ours, which the file holds (`git add` it), and record again the events of theirs you keep (README.md, \"Working with git\")
    ");
}

#[test]
fn a_citation_of_an_event_the_other_branch_withdrew_is_a_conflict() {
    let parted = Parted::from(signed());
    let signed = parted.ours.json(&["log", "p"])[1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    parted
        .ours
        .ok(&["cite", "p", &signed, "--source", "The Gazette"]);
    parted
        .theirs
        .ok(&["retract", "p", &signed, "--reason", "no signature"]);
    let stderr = conflict(&parted, "p");
    assert!(
        stderr.starts_with(
            "error: merge conflict in 'p': the citation of [id] (event [id], ours) cites the \
             event that the retraction of [id] (event [id], theirs) withdrew\n"
        ),
        "{stderr}"
    );
}

#[test]
fn aliases_alike_but_after_an_equals_sign_are_two_aliases() {
    let parted = Parted::from(signed());
    parted.ours.ok(&["edit", "p", "--add-alias", "a=b"]);
    parted.theirs.ok(&["edit", "p", "--add-alias", "a=c"]);
    let run = parted.merge("p");
    assert_eq!(run.code, 0, "{}", run.stderr);
    for alias in ["a=b", "a=c"] {
        assert_eq!(parted.ours.json(&["status", alias])["pact"], "p");
    }
    // the same alias added by both is one change made twice
    let parted = Parted::from(signed());
    parted.ours.ok(&["edit", "p", "--add-alias", "a=b"]);
    parted.theirs.ok(&["edit", "p", "--add-alias", "A=B"]);
    let stderr = conflict(&parted, "p");
    assert!(stderr.contains("alias 'A=B'"), "{stderr}");
}

#[test]
fn both_branches_renaming_the_pact_is_a_conflict() {
    let parted = Parted::from(signed());
    parted.ours.ok(&["edit", "p", "--name", "Ours"]);
    parted
        .theirs
        .ok(&["edit", "p", "--name", "Theirs", "--add-alias", "T"]);
    let stderr = conflict(&parted, "p");
    assert!(
        stderr.starts_with(
            "error: merge conflict in 'p': both branches changed its name: the edit of its name \
             (event [id], ours), and the edit of its name, alias 'T' (event [id], theirs)\n"
        ),
        "{stderr}"
    );
    // to the same name, and other aliases, they merge
    let parted = Parted::from(signed());
    parted
        .ours
        .ok(&["edit", "p", "--name", "New", "--add-alias", "O"]);
    parted
        .theirs
        .ok(&["edit", "p", "--name", "New", "--add-alias", "T"]);
    assert_eq!(parted.merge("p").code, 0);
    let status = parted.ours.json(&["status", "p"]);
    assert_eq!(status["name"], "New");
    assert!(parted.ours.ok(&["status", "T"]).starts_with("p on "));
}

#[test]
fn a_status_about_a_party_the_other_branch_took_away_is_a_conflict() {
    let parted = Parted::from(signed());
    parted.ours.ok(&["edit", "p", "--remove-party", "CA"]);
    parted.theirs.ok(&[
        "append",
        "p",
        "withdrawn",
        "--on",
        "2021-01-01",
        "--party",
        "CA",
    ]);
    let stderr = conflict(&parted, "p");
    assert!(
        stderr.starts_with(
            "error: merge conflict in 'p': withdrawn on 2021-01-01 for CA (event [id], theirs) \
             is about 'CA', whom the edit of its party 'CA' (event [id], ours) took away as a \
             party\n"
        ),
        "{stderr}"
    );
    // the same, merged the other way
    let stderr = conflict(
        &Parted {
            base: branch(&parted.base),
            ours: branch(&parted.theirs),
            theirs: branch(&parted.ours),
        },
        "p",
    );
    assert!(stderr.contains("is about 'CA', whom the edit"), "{stderr}");
}

#[test]
fn an_alias_that_names_another_pact_of_the_store_is_a_conflict() {
    let parted = Parted::from(signed());
    parted
        .ours
        .ok(&["register", "q", "--name", "Q", "--alias", "QQ"]);
    parted.theirs.ok(&["edit", "p", "--add-alias", "qq"]);
    let stderr = conflict(&parted, "p");
    assert!(
        stderr.starts_with(
            "error: merge conflict in 'p': the edit of its alias 'qq' (event [id], theirs) gives \
             it the alias 'qq', which names 'q' in the store\n"
        ),
        "{stderr}"
    );
    // an alias no other pact has merges
    let parted = Parted::from(signed());
    parted
        .ours
        .ok(&["register", "q", "--name", "Q", "--alias", "QQ"]);
    parted.theirs.ok(&["edit", "p", "--add-alias", "PP"]);
    assert_eq!(parted.merge("p").code, 0);
    assert_eq!(parted.ours.json(&["status", "pp"])["pact"], "p");
}

/// Runs `pactlog merge` of files given as they are, into a copy of
/// `ours`: it must fail, leaving ours as it was; its message, with the
/// files named by name.
fn refused(base: &[u8], ours: &[u8], theirs: &[u8], path: &str) -> String {
    let files = Files::new();
    let (base, ours_path, theirs) = (
        files.write("base", base),
        files.write("ours", ours),
        files.write("theirs", theirs),
    );
    let run = pactlog(&["merge", &base, &ours_path, &theirs, path]).run();
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let stderr = run.fails(1);
    assert_eq!(
        std::fs::read(&ours_path).expect("ours"),
        ours,
        "ours was changed"
    );
    crate::harness::redact(&files.redact(&stderr))
}

#[test]
fn files_that_are_not_streams_of_one_pact_from_one_base_are_refused() {
    let store = signed();
    let stream = std::fs::read(store.stream("p")).expect("the stream");
    let base = &stream[..stream.iter().position(|&b| b == b'\n').unwrap() + 1];
    let mut ours = stream.clone();
    let theirs = branch(&store);
    theirs.ok(&["note", "p", "theirs", "--on", "2020-01-01"]);
    let theirs = std::fs::read(theirs.stream("p")).expect("theirs");
    store.ok(&["note", "p", "ours", "--on", "2020-01-02"]);
    ours.clone_from(&std::fs::read(store.stream("p")).expect("ours"));

    assert_snapshot!(refused(base, &ours, b"hello\n", "p.jsonl"), @"
    error: theirs (theirs) is not a stream pactlog can merge: line 1: malformed event: expected value (column 1)
    hint: mend the stream on that branch (`pactlog verify` there says what is wrong), commit, and merge again; the stream is left as ours
    ");
    let other = Store::new();
    other.ok(&["register", "q", "--name", "Q"]);
    let other = std::fs::read(other.stream("q")).expect("q");
    assert_snapshot!(refused(base, &ours, &other, "events/p.jsonl"), @"
    error: theirs (theirs) is a stream of 'q', where 'p' was to be merged
    hint: the three files must be one pact's stream: the file holds another pact's, so mend it on its branch
    ");
    assert_snapshot!(refused(&theirs, &ours, &theirs, "p.jsonl"), @"
    error: ours (ours) does not hold event [id] (line 4 of the merge base): the base is not where its stream began, so a line was changed or removed
    hint: pactlog merges streams that were only appended to; `git log -p PATH` shows where a line was changed or removed: mend that, or keep one side
    ");
    let torn = &theirs[..theirs.len() - 5];
    assert_snapshot!(refused(base, &ours, torn, "p.jsonl"), @"
    error: theirs (theirs) is not a stream pactlog can merge: line 4: the last line is torn (no final newline): a write was interrupted
    hint: a write was cut short on that branch: `pactlog repair PACT` there, commit, and merge again
    ");
    assert_snapshot!(refused(base, &ours, &theirs, "notes.txt"), @"
    error: ours (notes.txt) is not a pactlog stream: a stream is named for its pact, PACT.jsonl
    hint: pactlog merges streams (PACT.jsonl in a store); set `merge=pactlog` for the store's files alone, as `pactlog git-setup` does in the store directory, and merge this file otherwise
    ");
    assert_snapshot!(refused(base, b"", &theirs, "p.jsonl"), @"
    error: ours (ours) is empty: there is no stream to merge
    hint: mend the stream on that branch (`pactlog verify` there says what is wrong), commit, and merge again; the stream is left as ours
    ");
    // a line of theirs changed in place, sealed anew
    let text = String::from_utf8(theirs.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let changed = crate::harness::resealed(lines[1], "2019-01-01", "2018-01-01");
    let mut edited: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    edited[1] = changed;
    let edited = edited.join("\n") + "\n";
    let stderr = refused(&stream, &ours, edited.as_bytes(), "p.jsonl");
    assert!(
        stderr.starts_with(
            "error: theirs (theirs) is not a stream pactlog can merge: line 3: hash chain broken"
        ),
        "{stderr}"
    );
}

#[test]
fn merge_and_git_setup_say_what_they_do_in_their_help() {
    for (command, says) in [
        ("merge", "`pactlog merge %O %A %B %P`"),
        ("git-setup", "`*.jsonl merge=pactlog -text`"),
    ] {
        let help = pactlog(&[command, "--help"]).run();
        assert_eq!(help.code, 0);
        assert!(help.stdout.contains(says), "{}", help.stdout);
    }
    // --json says what was merged, into the file git gave
    let parted = Parted::from(signed());
    let json: Value = {
        parted.theirs.ok(&["note", "p", "x", "--on", "2020-01-01"]);
        parted.ours.ok(&["note", "p", "y", "--on", "2020-01-02"]);
        let files = Files::new();
        let base = files.write("base", std::fs::read(parted.base.stream("p")).unwrap());
        let theirs = files.write("theirs", std::fs::read(parted.theirs.stream("p")).unwrap());
        let ours = parted.ours.stream("p").display().to_string();
        let out = pactlog(&["merge", &base, &ours, &theirs, "--json"]).run();
        assert_eq!(out.code, 0, "{}", out.stderr);
        serde_json::from_str(&out.stdout).expect("JSON")
    };
    assert_eq!(
        (
            json["pact"].as_str(),
            json["added"].as_u64(),
            json["ours"].as_u64()
        ),
        (Some("p"), Some(1), Some(1))
    );
    let file = json["file"].as_str().unwrap_or_default();
    assert_eq!(file, parted.ours.stream("p").display().to_string());
    let theirs_note = parted.theirs.ids("p").pop();
    assert_eq!(parted.ours.ids("p").pop(), theirs_note, "written to ours");
}

/// Random divergent histories, recorded through the library's commands
/// (so that each branch is one they would write), merged both ways.
mod divergent {
    use std::collections::BTreeSet;
    use std::path::Path;

    use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
    use pactlog::command::{Amending, Correction, Editing, Registration, Write, status_change};
    use pactlog::log::store::Names;
    use pactlog::model::date::EffectiveDate;
    use pactlog::model::event::Edit;
    use pactlog::replay::cache::Summary;
    use pactlog::replay::{Outline, as_of, notes, pact_of};
    use pactlog::transfer::merge::{Side, merge};
    use pactlog::{AppendOptions, Error, Event, EventBody, Pact, PactId, Status, Store, Timeline};
    use proptest::prelude::*;

    /// One thing an analyst records: (kind, day, status, flag, target).
    type Step = (u8, u16, usize, bool, usize);

    fn steps(max: usize) -> impl Strategy<Value = Vec<Step>> {
        proptest::collection::vec(
            (
                0_u8..7,
                0_u16..60,
                0_usize..12,
                any::<bool>(),
                any::<usize>(),
            ),
            0..max,
        )
    }

    fn id() -> PactId {
        PactId::parse("p").unwrap()
    }

    /// Day `day` of 2000, or (for some) its month or year.
    fn date(day: u16) -> EffectiveDate {
        let exact = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + TimeDelta::days(day.into());
        let text = match day % 13 {
            0 => "2000".to_owned(),
            1 => exact.format("%Y-%m").to_string(),
            _ => exact.to_string(),
        };
        EffectiveDate::parse(&text).unwrap()
    }

    /// Records `step` in `store` at `now`, as the command that records it
    /// would, or nothing when that command refuses it.
    fn record(store: &Store, (kind, day, status, flag, target): Step, now: DateTime<Utc>) {
        let id = id();
        let events = store.read(&id).unwrap().events;
        let open: Vec<&Event> = events
            .iter()
            .filter(|e| matches!(e.body, EventBody::Status(_) | EventBody::Note(_)))
            .collect();
        let pick = || open.get(target % open.len().max(1)).map(|e| e.id);
        let parties = if flag {
            vec!["US".to_owned()]
        } else {
            Vec::new()
        };
        let write = match kind {
            0 | 1 => {
                let change = status_change(
                    Status::ALL[status % Status::ALL.len()],
                    date(day),
                    Default::default(),
                    None,
                    (false, false),
                );
                change
                    .map(Write::Status)
                    .and_then(|w| w.for_parties(&parties))
            }
            2 => Write::note(date(day), "a note", Default::default())
                .and_then(|w| w.for_parties(&parties)),
            3 => match pick() {
                Some(target) => Write::retraction(target, "in error"),
                None => return,
            },
            4 => match pick() {
                Some(target) => Write::citation(target, &format!("gazette {day}"), None, flag),
                None => return,
            },
            5 => {
                let Some(target) = pick() else { return };
                let correction = Correction {
                    on: Some(date(day)),
                    ..Correction::default()
                };
                if let Ok(amending) = Amending::new(target, "corrected", correction) {
                    let _ = amending.record(store, &id, AppendOptions::default(), now);
                }
                return;
            }
            _ => {
                let edit = match (flag, status % 3) {
                    (true, _) => Edit {
                        add_aliases: vec![format!("a{}", day % 4)],
                        ..Edit::default()
                    },
                    (false, 0) => Edit {
                        remove_parties: vec!["CA".into()],
                        ..Edit::default()
                    },
                    (false, _) => Edit {
                        name: Some(format!("N{}", day % 3)),
                        ..Edit::default()
                    },
                };
                if let Ok(editing) = Editing::new(edit) {
                    let _ = editing.record(store, &id, AppendOptions::default(), now);
                }
                return;
            }
        };
        if let Ok(write) = write {
            let _ = write.record(store, &id, AppendOptions::default(), now);
        }
    }

    /// A store holding `bytes` as the stream of `p`.
    fn store_of(bytes: &[u8]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.jsonl"), bytes).unwrap();
        let store = Store::new(dir.path());
        (dir, store)
    }

    /// Every answer of a merged stream that does not depend on its lines'
    /// order, as of `at`: for each day, the status of the pact and of US;
    /// the notes; the metadata.
    fn answers(events: &[Event], at: Option<DateTime<Utc>>) -> String {
        let seen = as_of(events, at);
        let pact = Timeline::new(seen.iter());
        let us = Timeline::of_party(seen.iter(), "US");
        let mut out = String::new();
        for day in
            (0..70).map(|d| NaiveDate::from_ymd_opt(1999, 12, 31).unwrap() + TimeDelta::days(d))
        {
            for timeline in [&pact, &us] {
                let answer = timeline.answer_on(day);
                let ids: Vec<_> = answer
                    .possible
                    .iter()
                    .map(|p| p.map(|e| e.event.id))
                    .collect();
                out += &format!(
                    "{day} {:?} {} {ids:?}\n",
                    answer.status.map(|e| e.event.id),
                    answer.certain
                );
            }
        }
        let notes: Vec<_> = notes(&seen).iter().map(|(e, _)| e.id).collect();
        out += &format!("{notes:?}\n{:?}\n", pact_of(&seen));
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Two branches that parted appended at random, recorded at times
        /// that interleave: merged either way, they merge (or conflict)
        /// alike; merged, every event of both is there once, the stream
        /// verifies, and what it answers, as of any time, is what a replay
        /// of its events answers, and the same whichever branch merged.
        #[test]
        fn a_merge_keeps_every_event_and_answers_as_replay_whoever_merges(
            base in steps(8), ours in steps(12), theirs in steps(12),
            times in proptest::collection::vec(0_i64..400, 24),
        ) {
            let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let store = Store::new(dir.path());
            let pact = Pact {
                parties: vec!["US".into(), "CA".into()],
                ..Pact::named(id(), "P")
            };
            Registration::new(pact).unwrap().record(&store, start).unwrap();
            for (i, step) in base.iter().enumerate() {
                record(&store, *step, start + TimeDelta::seconds(i as i64 + 1));
            }
            let base_bytes = std::fs::read(store.stream_path(&id())).unwrap();
            // each branch's times rise; ours' are even microseconds and
            // theirs' odd, so that none is at the same time as another
            let mut times = times;
            let (mut ours_times, mut theirs_times) = (times.split_off(12), times);
            ours_times.sort_unstable();
            theirs_times.sort_unstable();
            let forked = start + TimeDelta::seconds(100);
            let mut sides = Vec::new();
            for (steps, times, odd) in [(&ours, &ours_times, 0), (&theirs, &theirs_times, 1)] {
                let (dir, branch) = store_of(&base_bytes);
                for (step, t) in steps.iter().zip(times.iter()) {
                    record(&branch, *step, forked + TimeDelta::microseconds(2 * t * 1000 + odd));
                }
                sides.push((dir, std::fs::read(branch.stream_path(&id())).unwrap()));
            }
            let (ours_bytes, theirs_bytes) = (&sides[0].1, &sides[1].1);
            fn side(bytes: &[u8]) -> Side<'_> {
                Side { path: Path::new("x.jsonl"), bytes }
            }
            let names = Names::default;
            let one = merge(side(&base_bytes), side(ours_bytes), side(theirs_bytes), None, &names);
            let other = merge(side(&base_bytes), side(theirs_bytes), side(ours_bytes), None, &names);
            let (one, other) = match (one, other) {
                (Ok(one), Ok(other)) => (one, other),
                (Err(Error::MergeConflict { .. }), Err(Error::MergeConflict { .. })) => return Ok(()),
                (one, other) => {
                    prop_assert!(false, "merged one way, not the other: {one:?}\n{other:?}");
                    unreachable!()
                }
            };
            let merged = [[ours_bytes.clone(), one.lines].concat(), [theirs_bytes.clone(), other.lines].concat()];
            let read = |bytes: &[u8]| pactlog::Stream::parse(&id(), bytes).unwrap().events;
            let ids = |events: &[Event]| events.iter().map(|e| e.id).collect::<BTreeSet<_>>();
            let (ours_events, theirs_events) = (read(ours_bytes), read(theirs_bytes));
            let mut both = ids(&ours_events);
            both.extend(ids(&theirs_events));
            // (a branch that does not verify, as a pact-level status a
            // party's own repeats, which append lets in, does not make a
            // merge that does)
            let verifies = |bytes: &[u8]| {
                let (_dir, store) = store_of(bytes);
                let report = pactlog::replay::verify::verify(&store, None, None).unwrap();
                (report.ok(), format!("{:?}", report.streams[0].problems))
            };
            let sides_verify = verifies(ours_bytes).0 && verifies(theirs_bytes).0;
            let mut replays = Vec::new();
            for bytes in &merged {
                let events = read(bytes);
                prop_assert_eq!(ids(&events), both.clone());
                prop_assert_eq!(events.len(), both.len());
                let (_dir, merged_store) = store_of(bytes);
                let (ok, problems) = verifies(bytes);
                prop_assert!(ok || !sides_verify, "{}", problems);
                // every fast path answers as a replay of the merged events
                let summary = Summary::fold(&id(), bytes.as_slice()).unwrap();
                let times = events.iter().map(|e| Some(e.recorded));
                for at in std::iter::once(None).chain(times) {
                    let seen = as_of(&events, at);
                    let timeline = Timeline::new(seen.iter());
                    let (_, _, outline) = Outline::of_stream(&merged_store, &id(), at).unwrap();
                    for day in (0..70).map(|d| NaiveDate::from_ymd_opt(1999, 12, 31).unwrap() + TimeDelta::days(d)) {
                        let replayed = timeline.answer_on(day);
                        let outlined = outline.timeline().answer_on(day);
                        prop_assert_eq!(
                            outlined.status.map(|m| m.line() as u64),
                            replayed.status.map(|e| e.event.seq)
                        );
                        prop_assert_eq!(outlined.certain, replayed.certain);
                        let (cached, certain) = summary.status_on(day, at);
                        prop_assert_eq!(cached.map(|c| (c.status, c.since)), replayed.status.map(|e| (e.status(), e.on())));
                        prop_assert_eq!(certain, replayed.certain);
                    }
                }
                // its export imports back, byte for byte
                let into = tempfile::tempdir().unwrap();
                let fresh = Store::new(into.path().join("store"));
                let planned = pactlog::transfer::import::plan_jsonl(&fresh, "export", bytes.as_slice(), &|_| {});
                match planned {
                    Ok(batch) => batch.commit(&fresh).unwrap(),
                    Err(e) => prop_assert!(!sides_verify, "{e}"),
                }
                if sides_verify {
                    prop_assert_eq!(&std::fs::read(fresh.stream_path(&id())).unwrap(), bytes);
                }
                replays.push(events);
            }
            let times = replays[0].iter().map(|e| Some(e.recorded));
            for at in std::iter::once(None).chain(times) {
                prop_assert_eq!(answers(&replays[0], at), answers(&replays[1], at), "as of {:?}", at);
            }
        }
    }
}
