//! `pactlog git-setup`: set up the git repository a store is in, so that
//! streams two branches appended to merge with `pactlog merge`.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::cli::Context;
use crate::cli::output::one_line;
use crate::log::store::open_stream;
use crate::log::store::{STAGED_SUFFIX, STREAM_EXTENSION};
use crate::model::error::Error;
use crate::model::format::{CACHE, JOURNAL};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  pactlog git-setup\n  pactlog --dir data/events git-setup")]
pub struct Args {
    /// Print what was done as JSON.
    #[arg(long)]
    json: bool,
}

/// The attributes line: streams are byte-exact, merged by the driver.
const ATTRIBUTES: &str = "*.jsonl merge=pactlog -text";

/// The merge driver's command, as git's config holds it.
const DRIVER: &str = "pactlog merge %O %A %B %P";

/// The merge driver's name, as git's config holds it.
const DRIVER_NAME: &str = "pactlog: merge a stream two branches appended to";

/// What `git-setup` found and did.
#[derive(Debug, Serialize)]
struct Report {
    /// The repository's top directory.
    repository: String,
    /// Each file or setting, and whether it was changed.
    changes: Vec<Change>,
}

#[derive(Debug, Serialize)]
struct Change {
    /// The file, or the git config key.
    what: String,
    /// The lines added, or the value set; empty when it was there already.
    added: Vec<String>,
}

impl Args {
    pub(crate) fn run(&self, ctx: &mut Context<'_>) -> Result<(), Error> {
        let dir = ctx.store.dir().to_owned();
        let top = repository(&dir)?;
        std::fs::create_dir_all(&dir).map_err(Error::io("create", &dir))?;
        let ignored = [
            format!("{CACHE}*"),
            format!("{JOURNAL}*"),
            format!(".*.{STREAM_EXTENSION}.*{STAGED_SUFFIX}"),
            format!("*.{STREAM_EXTENSION}.torn-*"),
        ];
        let mut changes = vec![
            lines_in(&dir.join(".gitattributes"), &[ATTRIBUTES.to_owned()])?,
            lines_in(&dir.join(".gitignore"), &ignored)?,
        ];
        for (key, value) in [
            ("merge.pactlog.name", DRIVER_NAME),
            ("merge.pactlog.driver", DRIVER),
        ] {
            let set = git(&dir, &["config", "--local", "--get", key])?;
            let added = match set.as_deref().map(str::trim_end) == Some(value) {
                true => Vec::new(),
                false => {
                    git(&dir, &["config", "--local", key, value])?;
                    vec![value.to_owned()]
                }
            };
            changes.push(Change {
                what: format!("git config {key}"),
                added,
            });
        }
        let report = Report {
            repository: top,
            changes,
        };
        if self.json {
            return ctx.json(&report);
        }
        let mut changed = false;
        for change in &report.changes {
            if change.added.is_empty() {
                continue;
            }
            changed = true;
            let what = one_line(&change.what);
            match change.what.starts_with("git config ") {
                true => writeln!(ctx.out, "set {what} = {}", change.added.join(" "))?,
                false => writeln!(ctx.out, "wrote to {what}: {}", change.added.join(", "))?,
            }
        }
        let repository = one_line(&report.repository);
        match changed {
            true => writeln!(
                ctx.out,
                "the repository {repository} merges its streams with `pactlog merge`; \
                 commit .gitattributes and .gitignore, and run `pactlog git-setup` in every clone"
            )?,
            false => writeln!(
                ctx.out,
                "nothing to change: the repository {repository} is set up to merge its streams"
            )?,
        }
        Ok(())
    }
}

/// The top directory of the git repository `dir` is in (or would be in,
/// once made).
///
/// # Errors
///
/// [`Error::Git`] when git cannot be run, [`Error::NotInRepository`] when
/// `dir` is not in a repository.
fn repository(dir: &Path) -> Result<String, Error> {
    // the store may not be made yet: ask where it will be
    let mut at = dir.to_owned();
    while !at.is_dir() {
        match at.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => at = parent.to_owned(),
            _ => at = PathBuf::from("."),
        }
    }
    let top =
        git(&at, &["rev-parse", "--show-toplevel"])?.ok_or_else(|| Error::NotInRepository {
            dir: dir.to_owned(),
        })?;
    Ok(top.trim_end().to_owned())
}

/// Runs git in `dir` with `args`: its output when it succeeds, none when it
/// exits 1 (a key not set; not a repository, for rev-parse, which exits
/// 128 then).
///
/// # Errors
///
/// [`Error::Git`] when git cannot be run, or fails otherwise.
fn git(dir: &Path, args: &[&str]) -> Result<Option<String>, Error> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| Error::Git {
            message: format!("git could not be run: {e}"),
        })?;
    match output.status.code() {
        Some(0) => Ok(Some(String::from_utf8_lossy(&output.stdout).into_owned())),
        Some(1) => Ok(None),
        Some(128) if args.first() == Some(&"rev-parse") => Ok(None),
        _ => Err(Error::Git {
            message: format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        }),
    }
}

/// Adds to the file at `path` each of `lines` it does not hold yet (as a
/// line of its own), making it if there is none: what was added.
///
/// # Errors
///
/// [`Error::Io`] when it cannot be read or written, and
/// [`Error::LinkInStore`] or [`Error::NotRegularFile`] when it is a
/// symbolic link or not a regular file, which are not written through.
fn lines_in(path: &Path, lines: &[String]) -> Result<Change, Error> {
    // (opened as a stream is: never through a link, only a regular file)
    let mut file = open_stream(
        path,
        OpenOptions::new().read(true).append(true).create(true),
    )?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(Error::io("read", path))?;
    let added: Vec<String> = lines
        .iter()
        .filter(|line| !text.lines().any(|held| held.trim() == line.as_str()))
        .cloned()
        .collect();
    if !added.is_empty() {
        let mut more = String::new();
        if !text.is_empty() && !text.ends_with('\n') {
            more.push('\n');
        }
        for line in &added {
            more.push_str(line);
            more.push('\n');
        }
        file.write_all(more.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(Error::io("write", path))?;
    }
    Ok(Change {
        what: path.display().to_string(),
        added,
    })
}
