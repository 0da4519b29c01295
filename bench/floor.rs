//! The least a warm `list` must do, as a program to time: take one `stat`
//! of every stream file of a store, on every core, and nothing else.
//!
//!     cargo run --release --example floor -- DIR
//!     cargo run --release --example floor -- DIR --names FILE
//!
//! Without `--names` it lists DIR first (as `list` does, to find streams
//! added since the cache was written); with it, it takes the stream names
//! from FILE, one a line, and never lists DIR: the bound for a reader that
//! already knew every name. It prints how many streams it saw and their
//! total length, so that its work can be checked against the store.

use std::path::{Path, PathBuf};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, names) = match args.as_slice() {
        [dir] => (PathBuf::from(dir), None),
        [dir, flag, file] if flag == "--names" => (PathBuf::from(dir), Some(PathBuf::from(file))),
        _ => {
            eprintln!("usage: floor DIR [--names FILE]");
            std::process::exit(2);
        }
    };
    let names = match names {
        Some(file) => read_names(&file),
        None => list(&dir),
    };
    // each stat looks up one name, in the working directory, as `list` does
    // in the directory it holds open
    std::env::set_current_dir(&dir).unwrap_or_else(|e| fail(&dir, &e));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let share = names.len().div_ceil(cores).max(1);
    let total: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .chunks(share)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|name| {
                            std::fs::symlink_metadata(name)
                                .map_or_else(|e| fail(Path::new(name), &e), |m| m.len())
                        })
                        .sum::<u64>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a stat thread panicked"))
            .sum()
    });
    println!("{} streams, {total} bytes", names.len());
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
