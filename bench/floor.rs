//! The least a warm `list` must do, as a program to time: take one `stat`
//! of every stream file of a store, on every core, and nothing else.
//!
//!     cargo run --release --example floor -- DIR
//!     cargo run --release --example floor -- DIR --names FILE
//!     cargo run --release --example floor -- DIR --cache
//!     cargo run --release --example floor -- DIR --names FILE --answer BYTES
//!
//! Without `--names` it lists DIR first (as `list` does, to find streams
//! added since the cache was written); with it, it takes the stream names
//! from FILE, one a line, and never lists DIR: the bound for a reader that
//! already knew every name. With `--cache` it also reads the store's cache
//! file whole and takes one keyed BLAKE3 hash of it, on a thread of its
//! own beside the `stat`s: the least a warm `list` that trusts no cache it
//! has not authenticated must add, before it answers anything. It prints
//! how many streams it saw and their total length (and the cache's), so
//! that its work can be checked against the store.
//!
//! With `--answer` it does the least any warm `list --json` could: with the
//! names known, it takes the `stat`s, reads and authenticates only the
//! first BYTES of the cache (the harness passes five bytes a status: each
//! one's day and kind, less than any cache that answers for every date can
//! hold), and writes the answer: a JSON array with a row for each stream,
//! with `list`'s fields and about its rows' length, each serialized by the
//! serializer `list` uses, on the core that took its stream's `stat`. It
//! answers nothing from what it read, and prints the array alone.
use std::io::Write;
use std::path::{Path, PathBuf};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, names, cache, answer) = match args.as_slice() {
        [dir] => (PathBuf::from(dir), None, None, false),
        [dir, flag] if flag == "--cache" => (PathBuf::from(dir), None, Some(u64::MAX), false),
        [dir, flag, file] if flag == "--names" => {
            (PathBuf::from(dir), Some(PathBuf::from(file)), None, false)
        }
        [dir, flag, file, answer, bytes] if flag == "--names" && answer == "--answer" => {
            let bytes = bytes.parse().unwrap_or_else(|_| usage());
            (
                PathBuf::from(dir),
                Some(PathBuf::from(file)),
                Some(bytes),
                true,
            )
        }
        _ => usage(),
    };
    // the cache is opened after the working directory becomes the store
    let dir = std::path::absolute(&dir).unwrap_or_else(|e| fail(&dir, &e));
    let cache = cache.map(|bytes| (dir.join(".pactlog-cache"), bytes));
    let names = match names {
        Some(file) => read_names(&file),
        None => list(&dir),
    };
    // each stat looks up one name, in the working directory, as `list` does
    // in the directory it holds open
    std::env::set_current_dir(&dir).unwrap_or_else(|e| fail(&dir, &e));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let share = names.len().div_ceil(cores).max(1);
    let (done, cached) = std::thread::scope(|scope| {
        let authenticated = cache.as_ref().map(|(path, most)| {
            scope.spawn(move || {
                let file = std::fs::File::open(path).unwrap_or_else(|e| fail(path, &e));
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(file, *most), &mut bytes)
                    .unwrap_or_else(|e| fail(path, &e));
                let tag = blake3::keyed_hash(&[7; 32], &bytes);
                (bytes.len(), tag)
            })
        });
        let handles: Vec<_> = names
            .chunks(share)
            .map(|part| {
                scope.spawn(move || {
                    let total = part
                        .iter()
                        .map(|name| {
                            std::fs::symlink_metadata(name)
                                .map_or_else(|e| fail(Path::new(name), &e), |m| m.len())
                        })
                        .sum::<u64>();
                    (total, answer.then(|| rows(part)))
                })
            })
            .collect();
        let done: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("a stat thread panicked"))
            .collect();
        let cached = authenticated.map(|h| h.join().expect("the cache thread panicked"));
        (done, cached)
    });
    let mut out = std::io::stdout().lock();
    let written = if answer {
        // each core's rows, in order, each after a comma: the first comma
        // opens the array instead
        let rows = done.iter().filter_map(|(_, rows)| rows.as_deref());
        let mut opened = false;
        rows.filter(|rows| !rows.is_empty())
            .try_for_each(|rows| {
                let rows = if opened { rows } else { &rows[1..] };
                out.write_all(if opened { b"" } else { b"[" })?;
                opened = true;
                out.write_all(rows)
            })
            .and_then(|()| out.write_all(if opened { b"]\n" } else { b"[]\n" }))
    } else {
        let total: u64 = done.iter().map(|(total, _)| total).sum();
        writeln!(out, "{} streams, {total} bytes", names.len()).and_then(|()| match cached {
            Some((len, tag)) => writeln!(out, "cache: {len} bytes, tag {}", &tag.to_hex()[..16]),
            None => Ok(()),
        })
    };
    written.unwrap_or_else(|e| fail(Path::new("standard output"), &e));
}

/// One row of `list --json`'s answer, with its fields in its order.
#[derive(serde::Serialize)]
struct Row<'a> {
    pact: &'a str,
    name: &'a str,
    status: Option<&'a str>,
    since: Option<&'a str>,
    scheduled: bool,
    head: &'a str,
    reported: Option<bool>,
    forced: Option<bool>,
    certain: bool,
    party: Option<&'a str>,
}

/// A row for each of the streams `names`, each after a comma, in one
/// buffer: its values made up, of about the length of the benchmark's (a
/// row of `list --json` on its store is about 316 bytes).
fn rows(names: &[String]) -> Vec<u8> {
    const NAME: &str =
        "Agreement 0 between the Government of State 1 and State 2 on fisheries cooperation";
    const HEAD: &str = "c3cd4b2444763ab83b6d8418e9bfa9608f6d45252f2f93a6bb2cde987de10f8b";
    let mut bytes = Vec::new();
    for name in names {
        let row = Row {
            pact: name.strip_suffix(".jsonl").unwrap_or(name),
            name: NAME,
            status: Some("termination_notified"),
            since: Some("2008-08-20"),
            scheduled: false,
            head: HEAD,
            reported: Some(false),
            forced: Some(false),
            certain: true,
            party: None,
        };
        bytes.push(b',');
        serde_json::to_writer(&mut bytes, &row).expect("a row serializes");
    }
    bytes
}

fn usage() -> ! {
    eprintln!("usage: floor DIR [--names FILE [--answer BYTES] | --cache]");
    std::process::exit(2);
}

/// The names of the stream files in `dir`.
fn list(dir: &Path) -> Vec<String> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| fail(dir, &e));
    entries
        .map(|entry| entry.unwrap_or_else(|e| fail(dir, &e)).file_name())
        .filter_map(|name| name.into_string().ok())
        .filter(|name| name.ends_with(".jsonl"))
        .collect()
}

/// The names in `file`, one a line.
fn read_names(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| fail(file, &e));
    text.lines().map(str::to_owned).collect()
}

fn fail(path: &Path, e: &std::io::Error) -> ! {
    eprintln!("floor: {}: {e}", path.display());
    std::process::exit(1);
}
