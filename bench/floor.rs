//! The least a warm `list` must do, as a program to time: take one `stat`
//! of every stream file of a store, on every core, and nothing else.
//!
//!     cargo run --release --example floor -- DIR
//!     cargo run --release --example floor -- DIR --names FILE
//!     cargo run --release --example floor -- DIR --cache
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

use std::path::{Path, PathBuf};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, names, cache) = match args.as_slice() {
        [dir] => (PathBuf::from(dir), None, false),
        [dir, flag] if flag == "--cache" => (PathBuf::from(dir), None, true),
        [dir, flag, file] if flag == "--names" => {
            (PathBuf::from(dir), Some(PathBuf::from(file)), false)
        }
        _ => {
            eprintln!("usage: floor DIR [--names FILE | --cache]");
            std::process::exit(2);
        }
    };
    let cache = cache.then(|| dir.join(".pactlog-cache"));
    let names = match names {
        Some(file) => read_names(&file),
        None => list(&dir),
    };
    // each stat looks up one name, in the working directory, as `list` does
    // in the directory it holds open
    std::env::set_current_dir(&dir).unwrap_or_else(|e| fail(&dir, &e));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let share = names.len().div_ceil(cores).max(1);
    let (total, cached) = std::thread::scope(|scope| {
        let authenticated = cache.as_deref().map(|path| {
            scope.spawn(move || {
                let bytes = std::fs::read(path).unwrap_or_else(|e| fail(path, &e));
                let tag = blake3::keyed_hash(&[7; 32], &bytes);
                (bytes.len(), tag)
            })
        });
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
        let total: u64 = handles
            .into_iter()
            .map(|h| h.join().expect("a stat thread panicked"))
            .sum();
        let cached = authenticated.map(|h| h.join().expect("the cache thread panicked"));
        (total, cached)
    });
    println!("{} streams, {total} bytes", names.len());
    if let Some((len, tag)) = cached {
        println!("cache: {len} bytes, tag {}", &tag.to_hex()[..16]);
    }
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
