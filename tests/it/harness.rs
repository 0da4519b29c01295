//! A small fluent harness: a fresh temporary store per test, arguments in,
//! exact stdout, stderr and exit code out.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use pactlog::Hash;

/// The cache key `pactlog` runs with here, never the user's own.
pub const CACHE_KEY: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/cache-key");

/// A temporary store directory that `pactlog` runs against.
pub struct Store {
    dir: tempfile::TempDir,
}

/// What one run of `pactlog` printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Store {
    /// An empty store (the directory exists, with no streams).
    pub fn new() -> Store {
        Store {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// A store holding a copy of the shipped `events/`.
    pub fn shipped() -> Store {
        let store = Store::new();
        copy_shipped(store.path());
        store
    }

    /// The store directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The stream file of a pact.
    pub fn stream(&self, id: &str) -> PathBuf {
        self.path().join(format!("{id}.jsonl"))
    }

    /// Sets up `pactlog --dir STORE ARGS...`, for a run that needs more
    /// than its arguments: every run against the store starts here.
    pub fn cmd(&self, args: &[&str]) -> Cmd {
        pactlog_in(self.path(), args)
    }

    /// Runs `pactlog --dir STORE ARGS...`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.cmd(args).run()
    }

    /// The stream of pact `id`, open for appending, as a shell's `>>`
    /// opens it.
    pub fn appending(&self, id: &str) -> std::fs::File {
        std::fs::OpenOptions::new()
            .append(true)
            .open(self.stream(id))
            .expect("the stream")
    }

    /// Runs a command that must succeed, and returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "pactlog {args:?} failed: {}", run.stderr);
        run.stdout
    }

    /// Runs a command that must succeed with `--json`, and returns the JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut args = args.to_vec();
        args.push("--json");
        let stdout = self.ok(&args);
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("pactlog {args:?} printed no JSON ({e}): {stdout}"))
    }

    /// Every file in the store with its bytes, to compare before and after.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(self.path())
            .expect("the store is readable")
            .map(|entry| {
                let path = entry.expect("an entry").path();
                let name = path
                    .file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned();
                (name, std::fs::read(&path).expect("a readable file"))
            })
            .collect()
    }

    /// The ids of every event of a pact's stream, in order.
    pub fn ids(&self, pact: &str) -> Vec<String> {
        self.json(&["log", pact])
            .as_array()
            .expect("a JSON array")
            .iter()
            .map(|e| e["id"].as_str().expect("an id").to_owned())
            .collect()
    }

    /// The lines of a pact's stream, without their LFs.
    pub fn lines(&self, id: &str) -> Vec<String> {
        let text = std::fs::read_to_string(self.stream(id)).expect("a readable stream");
        text.lines().map(str::to_owned).collect()
    }

    /// The SHA-256 of a stream's last line (without its LF): its head.
    pub fn head(&self, id: &str) -> String {
        let lines = self.lines(id);
        let last = lines.last().expect("a stream has a line");
        Hash::of(last.as_bytes()).to_string()
    }

    /// Runs a command that must fail with `code`, print nothing on stdout
    /// and leave every file of the store as it was; returns its stderr with
    /// [`Store::redact`].
    pub fn refuses(&self, args: &[&str], code: i32) -> String {
        let before = self.snapshot();
        let run = self.run(args);
        assert!(
            run.stdout.is_empty(),
            "pactlog {args:?} printed: {}",
            run.stdout
        );
        let stderr = run.fails(code);
        assert_eq!(
            self.snapshot(),
            before,
            "pactlog {args:?} changed the store"
        );
        self.redact(&stderr)
    }

    /// `text` with what varies from run to run replaced: the store's path
    /// by `[store]`, event ids by `[id]`, hashes by `[hash]` and recorded
    /// times by `[recorded]`.
    pub fn redact(&self, text: &str) -> String {
        redact(&text.replace(&self.path().display().to_string(), "[store]"))
    }

    /// Registers `gsomia` (alias GSOMIA) and records its history up to the
    /// conditional suspension.
    pub fn with_gsomia(self) -> Store {
        self.ok(&[
            "register",
            "gsomia",
            "--name",
            "Korea-Japan GSOMIA",
            "--alias",
            "GSOMIA",
            "--party",
            "KR",
            "--party",
            "JP",
            "--kind",
            "agreement",
        ]);
        self.ok(&[
            "append",
            "gsomia",
            "in_force",
            "--on",
            "2016-11-23",
            "--source",
            "Kyodo",
        ]);
        self.ok(&[
            "note",
            "gsomia",
            "Seoul announces termination",
            "--on",
            "2019-08-22",
        ]);
        self.ok(&[
            "append",
            "gsomia",
            "termination_notified",
            "--on",
            "2019-08-23",
        ]);
        self.ok(&[
            "append",
            "gsomia",
            "conditionally_suspended",
            "--on",
            "2019-11-22",
        ]);
        self
    }
}

/// The `pactlog` binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_pactlog");

/// `command` without what it would inherit that changes what pactlog does:
/// a store named by `PACTLOG_DIR`, colour asked for or refused.
pub fn clean_env(command: &mut Command) -> &mut Command {
    command
        .env_remove("PACTLOG_DIR")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        // the cache's key, never the user's own
        .env("PACTLOG_CACHE_KEY", CACHE_KEY)
}

/// A shell `program` (`sh`, `bash`) whose `PATH` finds the `pactlog` under
/// test first, in a [`clean_env`].
pub fn shell(program: &str) -> Command {
    let bin = Path::new(BIN).parent().expect("the binary's directory");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(program);
    clean_env(&mut command).env("PATH", path);
    command
}

/// Sets up `pactlog ARGS...`, with no `--dir`: for tests of how the store
/// is chosen, and of what needs no store.
pub fn pactlog(args: &[&str]) -> Cmd {
    Cmd {
        args: args.iter().map(OsString::from).collect(),
        env: Vec::new(),
        dir: None,
        input: None,
        stdout: None,
        stderr: None,
        ulimit: None,
        timeout: None,
    }
}

/// Sets up `pactlog --dir DIR ARGS...`, for a store directory that is no
/// [`Store`] (one that does not exist yet, or is not a directory).
pub fn pactlog_in(dir: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Cmd {
    pactlog(&["--dir"]).arg(dir).args(args)
}

/// A run of `pactlog` being set up, by [`pactlog`], [`pactlog_in`] or
/// [`Store::cmd`]: its arguments, environment, standard streams and limits;
/// then [`Cmd::run`], [`Cmd::output`] or [`Cmd::spawn`]. Its standard
/// input is empty unless given, and its output is captured unless sent
/// elsewhere.
#[must_use]
pub struct Cmd {
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    dir: Option<PathBuf>,
    input: Option<Vec<u8>>,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
    ulimit: Option<String>,
    timeout: Option<Duration>,
}

impl Cmd {
    /// One more argument.
    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// More arguments.
    pub fn args(mut self, args: &[&str]) -> Cmd {
        self.args.extend(args.iter().map(OsString::from));
        self
    }

    /// An environment variable, over the [`clean_env`].
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.env.push((key.into(), value.as_ref().to_owned()));
        self
    }

    /// The working directory.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.dir = Some(dir.as_ref().to_owned());
        self
    }

    /// `input` on standard input.
    pub fn stdin(mut self, input: &[u8]) -> Cmd {
        self.input = Some(input.to_owned());
        self
    }

    /// Standard output sent to `to` rather than captured.
    pub fn stdout(mut self, to: impl Into<Stdio>) -> Cmd {
        self.stdout = Some(to.into());
        self
    }

    /// Standard error sent to `to` rather than captured.
    pub fn stderr(mut self, to: impl Into<Stdio>) -> Cmd {
        self.stderr = Some(to.into());
        self
    }

    /// Runs under a limit that `sh` sets first: `ulimit LIMIT`, such as
    /// `-f 8` or `-n 40`.
    pub fn ulimit(mut self, limit: &str) -> Cmd {
        self.ulimit = Some(limit.to_owned());
        self
    }

    /// Fails the test, rather than hang it, if pactlog has not finished
    /// within `limit`.
    pub fn timeout(mut self, limit: Duration) -> Cmd {
        self.timeout = Some(limit);
        self
    }

    /// The one place a test's `pactlog` process is made: the binary (under
    /// `sh` for a [`Cmd::ulimit`]), its arguments, a [`clean_env`] with
    /// the variables given over it, and its working directory.
    fn command(&self) -> Command {
        let mut command = match &self.ulimit {
            None => Command::new(BIN),
            Some(limit) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit {limit} && exec \"$0\" \"$@\""))
                    .arg(BIN);
                sh
            }
        };
        command.args(&self.args);
        clean_env(&mut command).envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        command
    }

    /// Starts pactlog without waiting for it, its output captured unless
    /// sent elsewhere, its standard input empty.
    pub fn spawn(mut self) -> Child {
        assert!(self.input.is_none(), "a started pactlog is given no input");
        self.start()
    }

    /// Starts pactlog with its standard streams set up.
    fn start(&mut self) -> Child {
        let stdin = match self.input {
            Some(_) => Stdio::piped(),
            None => Stdio::null(),
        };
        self.command()
            .stdin(stdin)
            .stdout(self.stdout.take().unwrap_or_else(Stdio::piped))
            .stderr(self.stderr.take().unwrap_or_else(Stdio::piped))
            .spawn()
            .expect("pactlog starts")
    }

    /// Runs pactlog to its end and returns how it ended, as it is.
    pub fn output(mut self) -> Output {
        let mut child = self.start();
        let feeder = child.stdin.take().map(|mut pipe| {
            let input = self.input.take().unwrap_or_default();
            std::thread::spawn(move || pipe.write_all(&input))
        });
        let output = match self.timeout {
            None => child.wait_with_output().expect("pactlog ends"),
            Some(limit) => self.wait_within(child, limit),
        };
        if let Some(feeder) = feeder {
            let fed = feeder.join().expect("the input's writer");
            fed.expect("pactlog reads its input");
        }
        output
    }

    /// Runs pactlog to its end: what it printed and how it exited.
    pub fn run(self) -> Run {
        Run::from(self.output())
    }

    /// Waits for `child` and its output, killing it and failing the test
    /// once `limit` has passed.
    fn wait_within(&self, mut child: Child, limit: Duration) -> Output {
        fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    pipe.read_to_end(&mut bytes).expect("pactlog's output");
                }
                bytes
            })
        }
        let (stdout, stderr) = (drain(child.stdout.take()), drain(child.stderr.take()));
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("pactlog can be waited on") {
                break status;
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "pactlog {:?} was still running after {limit:?}: it hangs",
                    self.args
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Output {
            status,
            stdout: stdout.join().expect("pactlog's output"),
            stderr: stderr.join().expect("pactlog's output"),
        }
    }
}

/// The subcommands `pactlog --help` lists, `help` aside.
pub fn subcommands() -> Vec<String> {
    let help = pactlog(&["--help"]).run().stdout;
    let list = help
        .split("Commands:\n")
        .nth(1)
        .expect("a list of commands")
        .split("\n\n")
        .next()
        .expect("the list");
    let names: Vec<String> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 17, "{names:?}");
    names
}

/// `text` with event ids (UUIDs) replaced by `[id]`, SHA-256 hex digests by
/// `[hash]` and recorded times by `[recorded]`.
pub fn redact(text: &str) -> String {
    // In a shape, `h` is a lowercase hex digit, `d` a decimal digit, and any
    // other character stands for itself.
    const SHAPES: [(&str, &str); 3] = [
        ("hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh", "[id]"),
        (
            "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh",
            "[hash]",
        ),
        ("dddd-dd-ddTdd:dd:dd.ddddddZ", "[recorded]"),
    ];
    let fits = |b: u8, shape: u8| match shape {
        b'h' => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        b'd' => b.is_ascii_digit(),
        _ => b == shape,
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    'scan: while at < bytes.len() {
        let after_word = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        for (shape, placeholder) in SHAPES {
            let end = at + shape.len();
            if after_word
                && end <= bytes.len()
                && bytes[at..end]
                    .iter()
                    .zip(shape.bytes())
                    .all(|(&b, s)| fits(b, s))
                && bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric())
            {
                out.push_str(placeholder);
                at = end;
                continue 'scan;
            }
        }
        let len = text[at..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[at..at + len]);
        at += len;
    }
    out
}

/// The byte range of line `n` (1-based) of a stream's `bytes`, without
/// its LF.
pub fn line_range(bytes: &[u8], n: usize) -> std::ops::Range<usize> {
    let mut start = 0;
    for _ in 1..n {
        start += bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .expect("a line")
            + 1;
    }
    let end = bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |at| start + at);
    start..end
}

/// The `crc` of a stream line, after checking it is the CRC that
/// [`pactlog::log::codec::seal`] gives the rest of the line.
pub fn sealed_crc(line: &str) -> String {
    let (object, crc) = line
        .rsplit_once(",\"crc\":\"")
        .expect("a line ends with its crc");
    assert_eq!(pactlog::log::codec::seal(&format!("{object}}}")), line);
    crc.trim_end_matches("\"}").to_owned()
}

/// `line` with `from` replaced by `to` (which must change it), and its CRC
/// redone: an edit only the hash chain, or a check of the content, can see.
pub fn resealed(line: &str, from: &str, to: &str) -> String {
    let (object, _) = line
        .rsplit_once(",\"crc\":")
        .expect("a line ends with its crc");
    let edited = object.replace(from, to);
    assert_ne!(edited, object, "'{from}' is not in {line}");
    pactlog::log::codec::seal(&format!("{edited}}}"))
}

/// Copies the streams of the shipped `events/` into `dir`.
pub fn copy_shipped(dir: &Path) {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    for entry in std::fs::read_dir(shipped).expect("events/ is readable") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            std::fs::copy(&path, dir.join(path.file_name().expect("a name")))
                .expect("copy a stream");
        }
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
            code: output.status.code().expect("pactlog exited, not killed"),
        }
    }
}

impl Run {
    /// Asserts the run failed with `code`, printed an `error:` line and no
    /// panic, and returns its stderr.
    pub fn fails(self, code: i32) -> String {
        assert_eq!(
            self.code, code,
            "expected exit {code}; stderr: {}",
            self.stderr
        );
        assert!(self.stderr.starts_with("error: "), "{}", self.stderr);
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self.stderr
    }
}

impl Store {
    /// Runs `pactlog --dir STORE ARGS...` with `input` on its standard input.
    pub fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        self.cmd(args).stdin(input).run()
    }

    /// Runs `pactlog --dir STORE ARGS...` with extra environment variables.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        env.iter()
            .fold(self.cmd(args), |cmd, (key, value)| cmd.env(key, value))
            .run()
    }
}

/// Files a test hands to `pactlog` (CSV to import, pictures it writes), in
/// a temporary directory of their own, outside every store.
pub struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    /// An empty directory.
    pub fn new() -> Files {
        Files {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// The path of `name` in the directory, as an argument.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Writes `name` and returns its path, as an argument.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let path = self.path(name);
        std::fs::write(&path, bytes).expect("write an input file");
        path
    }

    /// Reads `name` as text.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("a readable file")
    }

    /// `text` with the directory's path (and its separator) removed, so that
    /// a file is named as `name`.
    pub fn redact(&self, text: &str) -> String {
        let dir = format!("{}{}", self.dir.path().display(), std::path::MAIN_SEPARATOR);
        text.replace(&dir, "")
    }
}

/// `git ARGS...` in `dir`: as an analyst, in the repository there
/// (whatever repository the tests themselves run in), finding the
/// `pactlog` under test on its `PATH`, as git's merge driver does.
pub fn git_in(dir: &Path, args: &[&str]) -> Output {
    shell("git")
        .args([
            "-c",
            "user.name=Analyst",
            "-c",
            "user.email=analyst@example.org",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_COMMON_DIR")
        // no repository above the test's own directory is found
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir))
        .output()
        .expect("git runs")
}

/// `git ARGS...` in `dir`, which must succeed: its standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_in(dir, args);
    assert!(
        output.status.success(),
        "git {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
