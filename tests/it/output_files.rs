//! The files pactlog writes where it is told: never over a stream or
//! another file of the store, however the path is spelled or linked; and
//! the store's paths and counts in what it prints, as a person reads them.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use crate::harness::{Files, Run, Store, pactlog, pactlog_in};

/// What `timeline` says when it refuses to write over a store's file.
const HINT: &str = "hint: write it to a file outside the store directory\n";

/// A store with one pact, `p`, and a status.
fn one_pact() -> Store {
    let store = Store::new();
    store.ok(&["register", "p", "--name", "P"]);
    store.ok(&["append", "p", "in_force", "--on", "2020-01-01"]);
    store
}

fn arg(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn a_picture_is_not_written_over_a_stream_it_is_pointed_at() {
    let store = one_pact();
    let stream = arg(&store.stream("p"));
    for flag in ["--svg", "--html"] {
        let stderr = store.refuses(&["timeline", flag, &stream], 1);
        assert_eq!(
            stderr,
            format!("error: [store]/p.jsonl is a stream of the store\n{HINT}")
        );
    }
    // a name the store would take as a stream is not created either
    let new = arg(&store.stream("new"));
    let stderr = store.refuses(&["timeline", "--svg", &new], 1);
    assert_eq!(
        stderr,
        format!("error: [store]/new.jsonl would be a stream of the store\n{HINT}")
    );
    assert!(!store.stream("new").exists());
}

#[test]
fn neither_picture_is_written_when_one_of_them_would_replace_a_stream() {
    let store = one_pact();
    let files = Files::new();
    let svg = files.path("fine.svg");
    let stream = arg(&store.stream("p"));
    let stderr = store.refuses(&["timeline", "--svg", &svg, "--html", &stream], 1);
    assert!(stderr.contains("is a stream of the store"), "{stderr}");
    assert!(!Path::new(&svg).exists(), "the SVG was written");
}

#[test]
fn a_symbolic_link_to_a_stream_is_not_written_through() {
    let store = one_pact();
    let files = Files::new();
    let link = files.path("picture.svg");
    std::os::unix::fs::symlink(store.stream("p"), &link).expect("a symlink");
    let stderr = store.refuses(&["timeline", "--svg", &link], 1);
    assert_eq!(
        files.redact(&stderr),
        format!("error: picture.svg links to [store]/p.jsonl, a stream of the store\n{HINT}")
    );
    // nor a link to where a stream would be
    let dangling = files.path("page.html");
    std::os::unix::fs::symlink(store.stream("q"), &dangling).expect("a symlink");
    let stderr = store.refuses(&["timeline", "--html", &dangling], 1);
    assert_eq!(
        files.redact(&stderr),
        format!("error: page.html links to [store]/q.jsonl, a stream of the store\n{HINT}")
    );
    assert!(!store.stream("q").exists());
}

#[test]
fn a_hard_link_to_a_stream_is_not_written_over() {
    let store = one_pact();
    let files = Files::new();
    let link = files.path("picture.svg");
    if let Err(e) = fs::hard_link(store.stream("p"), &link) {
        eprintln!("skipped: no hard link from the store to its neighbour here: {e}");
        return;
    }
    let stderr = store.refuses(&["timeline", "--svg", &link], 1);
    assert_eq!(
        files.redact(&stderr),
        format!("error: picture.svg links to [store]/p.jsonl, a stream of the store\n{HINT}")
    );
}

#[test]
fn a_stream_spelled_with_dot_and_dot_dot_is_still_the_stream() {
    let store = one_pact();
    let above = store.path().parent().expect("a parent");
    let name = store
        .path()
        .file_name()
        .expect("a name")
        .to_str()
        .expect("UTF-8");
    let before = store.snapshot();
    let spelled = format!("./{name}/../{name}/./p.jsonl");
    let run = pactlog(&["--dir", &format!("./{name}"), "timeline", "--svg", &spelled])
        .current_dir(above)
        .run();
    let stderr = run.fails(1);
    assert_eq!(
        stderr,
        format!("error: {spelled} is a stream of the store\n{HINT}")
    );
    assert_eq!(store.snapshot(), before);
    // and through a link to the store directory
    let files = Files::new();
    let link = files.path("store");
    std::os::unix::fs::symlink(store.path(), &link).expect("a symlink");
    let through = format!("{link}/p.jsonl");
    let stderr = store.refuses(&["timeline", "--svg", &through], 1);
    assert_eq!(
        files.redact(&stderr),
        format!("error: store/p.jsonl is a stream of the store\n{HINT}")
    );
}

#[test]
fn the_cache_the_journal_and_a_moved_torn_line_are_not_written_over() {
    let store = one_pact();
    // `list` keeps the cache; a torn line moved aside is kept beside it
    store.ok(&["list"]);
    let cache = store.path().join(".pactlog-cache");
    assert!(cache.exists(), "list wrote no cache");
    let mut stream = store.appending("p");
    std::io::Write::write_all(&mut stream, b"{\"torn").expect("a torn line");
    store.ok(&["repair", "p"]);
    let torn = torn_files(store.path());
    assert_eq!(torn.len(), 1, "{torn:?}");
    let journal = store.path().join(".pactlog-journal");
    for (path, said) in [
        (cache, "is the cache of the store".to_owned()),
        (
            journal,
            "would be the import journal of the store".to_owned(),
        ),
        (
            torn[0].clone(),
            "is a torn line that repair moved aside in the store".to_owned(),
        ),
    ] {
        let stderr = store.refuses(&["timeline", "--svg", &arg(&path)], 1);
        let name = path.file_name().expect("a name").to_string_lossy();
        assert_eq!(stderr, format!("error: [store]/{name} {said}\n{HINT}"));
    }
}

fn torn_files(dir: &Path) -> Vec<PathBuf> {
    let mut torn: Vec<PathBuf> = fs::read_dir(dir)
        .expect("the store")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.to_string_lossy().contains(".jsonl.torn-"))
        .collect();
    torn.sort();
    torn
}

#[test]
fn a_picture_is_written_to_any_other_file_whole() {
    let store = one_pact();
    let picture = store.ok(&["timeline", "--svg", "-"]);
    let files = Files::new();
    // a longer file it replaces keeps none of its bytes
    let older = files.write("t.svg", "x".repeat(picture.len() * 2));
    // another name of the same file is no concern of the store's
    fs::hard_link(&older, files.path("also.svg")).expect("a hard link");
    let stdout = store.ok(&["timeline", "--svg", &older]);
    assert_eq!(files.redact(&stdout), "wrote t.svg\n");
    assert_eq!(files.read("t.svg"), picture);
    // nor is a file in the store's directory named as none of its own
    let beside = arg(&store.path().join("timeline.svg"));
    let stdout = store.ok(&["timeline", "--svg", &beside]);
    assert_eq!(store.redact(&stdout), "wrote [store]/timeline.svg\n");
    assert_eq!(
        store.ok(&["verify"]).lines().last(),
        Some("1 stream checked, 1 ok, 0 failed, 0 warnings")
    );
}

#[test]
fn standard_output_redirected_into_a_stream_is_refused() {
    let store = one_pact();
    // --help and --version too: standard output is checked before the
    // arguments are parsed
    let commands = [
        &["export"][..],
        &["list"],
        &["completions", "bash"],
        &["--version"],
        &["help"],
        &["list", "--help"],
    ];
    for command in commands {
        let before = store.snapshot();
        // as `pactlog export >> STORE/p.jsonl` runs it
        let stream = store.appending("p");
        let stderr = store.cmd(command).stdout(stream).run().fails(1);
        assert_eq!(
            store.redact(&stderr),
            "error: standard output is [store]/p.jsonl, a pactlog stream\n\
             hint: send the output to a file that holds no stream (a shell's > empties its \
             file even before pactlog starts: `pactlog verify` shows whether it did)\n",
            "{command:?}"
        );
        assert_eq!(store.snapshot(), before, "{command:?} changed the store");
    }
    // standard output to a file anywhere else is output as ever
    let files = Files::new();
    let out = fs::File::create(files.path("export.jsonl")).expect("a file");
    let status = store.cmd(&["export"]).stdout(out).output().status;
    assert!(status.success());
    assert_eq!(
        files.read("export.jsonl"),
        fs::read_to_string(store.stream("p")).expect("the stream")
    );
}

#[test]
fn standard_error_redirected_into_a_stream_is_refused_and_said_on_standard_output() {
    let store = one_pact();
    // as `pactlog status nope 2>> STORE/p.jsonl` runs it: the error it
    // would print must not become a line of the stream
    for command in [&["status", "nope"][..], &["list"], &["--help"]] {
        let before = store.snapshot();
        let run = store.cmd(command).stderr(store.appending("p")).run();
        assert_eq!(run.code, 1, "{command:?}");
        assert_eq!(
            store.redact(&run.stdout),
            "error: standard error is [store]/p.jsonl, a pactlog stream\n\
             hint: send standard error to a file that holds no stream (a shell's > empties \
             its file even before pactlog starts: `pactlog verify` shows whether it did)\n",
            "{command:?}"
        );
        assert_eq!(store.snapshot(), before, "{command:?} changed the store");
    }
    // `&>> STORE/p.jsonl`: both into the stream, and nothing is written
    let before = store.snapshot();
    let run = store
        .cmd(&["timeline", "--svg", "-"])
        .stdout(store.appending("p"))
        .stderr(store.appending("p"))
        .run();
    assert_eq!(run.code, 1);
    assert_eq!(store.snapshot(), before, "the stream was written");
    // the store's other files are refused by name too: the cache, here
    store.ok(&["list"]);
    let cache = store.path().join(".pactlog-cache");
    let before = fs::read(&cache).expect("list wrote the cache");
    let into_cache = OpenOptions::new()
        .append(true)
        .open(&cache)
        .expect("the cache");
    let run = store.cmd(&["status", "nope"]).stderr(into_cache).run();
    assert_eq!(run.code, 1);
    assert_eq!(
        store.redact(&run.stdout),
        "error: standard error is [store]/.pactlog-cache, the cache of the store\n\
         hint: send standard error to a file outside the store (a shell's > empties its \
         file even before pactlog starts: `pactlog verify` shows whether it did)\n"
    );
    assert_eq!(fs::read(&cache).expect("the cache"), before);
    // standard error to a file anywhere else takes errors as ever
    let files = Files::new();
    let err = fs::File::create(files.path("errors.txt")).expect("a file");
    let run = store.cmd(&["status", "nope"]).stderr(err).run();
    assert_eq!(run.code, 1);
    assert!(files.read("errors.txt").starts_with("error: "));
}

/// A directory name with a line break, an escape sequence that would turn
/// a terminal's text red, and a mark that would show what follows it
/// backwards.
const ODD: &str = "odd\nname\u{1b}[31m\u{202e}txt";

/// How [`ODD`] is shown.
const ODD_SHOWN: &str = "odd\\nname\\u{1b}[31m\\u{202e}txt";

/// Runs `pactlog --dir DIR ARGS...`.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    pactlog_in(dir, args).run()
}

/// Asserts that `run` printed the odd store path only escaped.
fn shows_escaped(run: &Run, what: &str) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        for raw in ['\u{1b}', '\u{202e}'] {
            assert!(!text.contains(raw), "{what} {name} holds {raw:?}: {text:?}");
        }
        assert!(!text.contains("odd\nname"), "{what} {name}: {text:?}");
    }
    assert!(
        run.stdout.contains(ODD_SHOWN),
        "{what} did not show the path escaped: {:?}",
        run.stdout
    );
}

#[test]
fn a_store_path_with_control_characters_is_shown_escaped() {
    let files = Files::new();
    let dir = PathBuf::from(files.path(ODD));
    fs::create_dir(&dir).expect("a directory with an odd name");
    let list = run_in(&dir, &["list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    shows_escaped(&list, "list");
    let register = run_in(&dir, &["register", "p", "--name", "P"]);
    assert_eq!(register.code, 0, "{}", register.stderr);
    shows_escaped(&register, "register");
    assert_eq!(
        files.redact(&register.stdout),
        format!("registered p in {ODD_SHOWN}/p.jsonl\n")
    );
    // a torn last line: damage verify reports and repair moves aside
    let mut stream = OpenOptions::new()
        .append(true)
        .open(dir.join("p.jsonl"))
        .expect("the stream");
    std::io::Write::write_all(&mut stream, b"{\"torn").expect("a torn line");
    let verify = run_in(&dir, &["verify"]);
    assert_eq!(verify.code, 1, "{}", verify.stderr);
    shows_escaped(&verify, "verify");
    assert!(
        files.redact(&verify.stdout).contains(&format!(
            "problem: {ODD_SHOWN}/p.jsonl:2: the last line is torn"
        )),
        "{}",
        verify.stdout
    );
    let repair = run_in(&dir, &["repair", "p"]);
    assert_eq!(repair.code, 0, "{}", repair.stderr);
    shows_escaped(&repair, "repair");
    let timeline = run_in(
        &dir,
        &["timeline", "--svg", &format!("{}/t.svg", dir.display())],
    );
    assert_eq!(timeline.code, 0, "{}", timeline.stderr);
    shows_escaped(&timeline, "timeline");
    // a cache that is no cache: verify's warning names it, escaped
    fs::write(dir.join(".pactlog-cache"), "not a cache").expect("a file");
    let verify = run_in(&dir, &["verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    shows_escaped(&verify, "verify of the cache");
    assert!(
        files
            .redact(&verify.stdout)
            .contains(&format!("warning: {ODD_SHOWN}/.pactlog-cache: ")),
        "{}",
        verify.stdout
    );
}

#[test]
fn repair_counts_one_event_and_one_byte_in_the_singular() {
    let store = Store::new();
    store.ok(&["register", "p", "--name", "P"]);
    let mut stream = store.appending("p");
    std::io::Write::write_all(&mut stream, b"{").expect("a torn line");
    let said = store.redact(&store.ok(&["repair", "p"]));
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines.len(), 2, "{said}");
    assert!(
        lines[0].starts_with("p: moved the torn line 2 (1 byte) to [store]/p.jsonl.torn-"),
        "{said}"
    );
    assert_eq!(lines[1], "p: the stream verifies, 1 event");
    assert_eq!(
        store.ok(&["repair", "p"]),
        "p: intact, nothing to repair (1 event)\n"
    );
}

#[test]
fn a_stream_of_another_store_is_not_written_over() {
    let store = one_pact();
    let other = one_pact();
    let before = other.snapshot();
    for flag in ["--svg", "--html"] {
        let run = store.run(&["timeline", flag, &arg(&other.stream("p"))]);
        let stderr = run.fails(1);
        assert!(stderr.contains("is a pactlog stream"), "{stderr}");
    }
    let stream = other.appending("p");
    let stderr = store.cmd(&["export"]).stdout(stream).run().fails(1);
    assert!(stderr.contains("a pactlog stream"), "{stderr}");
    assert_eq!(other.snapshot(), before);
}

#[test]
fn a_stream_whose_registration_is_longer_than_64_kib_is_still_a_stream() {
    // 250 parties and a description of four-byte characters: a first line
    // of about 80 KB, within a line's limit of 256 KiB
    let wide = "\u{1f600}".repeat(60);
    let parties: Vec<String> = (0..250).map(|i| format!("p{i:03}{wide}")).collect();
    let description = format!("--description={}", "\u{1f600}".repeat(4000));
    let mut args = vec!["register", "big", "--name", "Big", description.as_str()];
    for party in &parties {
        args.extend(["--party", party.as_str()]);
    }
    let other = Store::new();
    other.ok(&args);
    let first = fs::read_to_string(other.stream("big")).expect("the stream");
    assert!(
        first.len() > 64 * 1024,
        "a first line of {} bytes",
        first.len()
    );
    // a copy of it outside any store, which a shell appends to
    let files = Files::new();
    let copy = files.write("big.jsonl", &first);
    let append = OpenOptions::new()
        .append(true)
        .open(&copy)
        .expect("the copy");
    let store = one_pact();
    let stderr = store.cmd(&["export"]).stdout(append).run().fails(1);
    assert!(stderr.contains("a pactlog stream"), "{stderr}");
    assert_eq!(files.read("big.jsonl"), first);
}
