//! Where a file pactlog is asked to write may go: anywhere but over one of
//! a store's own files.
//!
//! A picture written to `STORE/p.jsonl`, or to a link to it, would replace
//! a stream; one written to the cache or the journal would replace what the
//! store keeps beside its streams. A path is one of them when it names, in
//! the store directory (however the path is spelled: `./`, `..`, a link to
//! the directory), a file of the store or a name the store would take for
//! one; when it is a symbolic link to such a path; or when it is another
//! name (a hard link) of such a file.

use std::ffi::OsStr;
use std::fs::{self, File, Metadata};
use std::path::{Path, PathBuf};

use crate::log::journal;
use crate::log::store::{STREAM_EXTENSION, Store};
use crate::model::error::Error;
use crate::model::format::MAX_LINE;
use crate::replay::cache;

/// How many symbolic links a path is followed through, as the kernel does.
const MAX_LINKS: usize = 40;

/// What the files of a store are for: each refused as an output file in its
/// own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A pact's stream, `<pact>.jsonl`.
    Stream,
    /// The cache of what the streams say.
    Cache,
    /// The journal of an import.
    Journal,
    /// A torn line `repair` moved aside.
    Torn,
    /// A file being written, to be renamed over one of the others.
    Temporary,
}

impl Role {
    /// The role of the file the store keeps (or would keep) at `name` in
    /// its directory, if it is one of the store's.
    pub fn of(name: &OsStr) -> Option<Role> {
        let name = name.as_encoded_bytes();
        let stream = format!(".{STREAM_EXTENSION}");
        let stream = stream.as_bytes();
        let has = |part: &[u8]| name.windows(part.len()).any(|w| w == part);
        if name == cache::FILE.as_bytes() {
            Some(Role::Cache)
        } else if name == journal::FILE.as_bytes() {
            Some(Role::Journal)
        } else if name.ends_with(stream) {
            Some(Role::Stream)
        } else if has(&[stream, b".torn-"].concat()) {
            Some(Role::Torn)
        } else if name.starts_with(b".pactlog-")
            || (name.starts_with(b".") && (name.ends_with(b".tmp") || has(stream)))
        {
            Some(Role::Temporary)
        } else {
            None
        }
    }

    /// The file in words, as what it is in the store.
    fn words(self) -> &'static str {
        match self {
            Role::Stream => "a stream of the store",
            Role::Cache => "the cache of the store",
            Role::Journal => "the import journal of the store",
            Role::Torn => "a torn line that repair moved aside in the store",
            Role::Temporary => "a temporary file of the store",
        }
    }
}

/// One of a store's files that an output path would write over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// The file in the store.
    pub file: PathBuf,
    /// What it is.
    pub role: Role,
    /// Whether the output path reaches it through a link rather than by
    /// its own name.
    pub linked: bool,
    /// Whether the file exists (a path named like a stream that does not
    /// exist yet would become one).
    pub exists: bool,
}

impl Store {
    /// The store's file that writing `path` would write over: found by
    /// name in the store directory, following symbolic links, or as
    /// another name of `meta`'s file (the file at `path`, if there is one).
    /// `None` when the store directory does not exist.
    pub fn taken_by(&self, path: &Path, meta: Option<&Metadata>) -> Option<Taken> {
        let dir = self.dir().canonicalize().ok()?;
        let target = resolved(path);
        let in_store = parent(&target)
            .canonicalize()
            .is_ok_and(|parent| parent == dir);
        let by_name = target.file_name().filter(|_| in_store).and_then(|name| {
            Some(Taken {
                file: self.dir().join(name),
                role: Role::of(name)?,
                linked: target != path,
                exists: meta.is_some(),
            })
        });
        by_name.or_else(|| meta.and_then(|meta| self.other_name_of(meta)))
    }

    /// The store's file that is `meta`'s file under another name: a hard
    /// link. A file with one name is reached by that name, so only a file
    /// with more than one is looked for.
    fn other_name_of(&self, meta: &Metadata) -> Option<Taken> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            (meta.nlink() > 1).then(|| self.same_file(meta)).flatten()
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            None
        }
    }

    /// The store's file that is `meta`'s file, under whichever name.
    #[cfg(unix)]
    fn same_file(&self, meta: &Metadata) -> Option<Taken> {
        use std::os::unix::fs::MetadataExt;
        let entries = fs::read_dir(self.dir()).ok()?;
        entries.flatten().find_map(|entry| {
            let role = Role::of(&entry.file_name())?;
            // a link in the store is never one of its files
            let other = fs::symlink_metadata(entry.path()).ok()?;
            (other.dev() == meta.dev() && other.ino() == meta.ino()).then(|| Taken {
                file: entry.path(),
                role,
                linked: true,
                exists: true,
            })
        })
    }
}

/// Refuses to write `path` when it is, or links to, one of `store`'s files.
/// Call it before writing anything, for every file a command writes.
///
/// # Errors
///
/// [`Error::Invalid`] naming the store's file.
pub fn check(store: &Store, path: &Path) -> Result<(), Error> {
    let meta = fs::metadata(path).ok();
    refuse(store, path, meta.as_ref())
}

/// Opens `path` for writing, creating it if need be, and refuses it, before
/// a byte of it changes, when it turned out to be one of `store`'s files
/// after [`check`]: it is truncated only once it is known not to be.
///
/// # Errors
///
/// [`Error::Invalid`] naming the store's file, [`Error::Io`] when it cannot
/// be opened or emptied.
pub fn create(store: &Store, path: &Path) -> Result<File, Error> {
    check(store, path)?;
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(Error::io("write", path))?;
    let meta = file.metadata().map_err(Error::io("write", path))?;
    refuse(store, path, Some(&meta))?;
    // the file opened, whatever its name leads to now: the name may have
    // been changed since it was looked at
    refuse_file(store, path, &file, &meta)?;
    // a pipe or a device has nothing to empty
    if meta.is_file() {
        file.set_len(0).map_err(Error::io("write", path))?;
    }
    Ok(file)
}

/// One of the standard streams a shell may redirect into a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Std {
    /// Standard output, file descriptor 1.
    Out,
    /// Standard error, file descriptor 2.
    Err,
}

impl Std {
    /// What the stream is called in messages.
    fn words(self) -> &'static str {
        match self {
            Std::Out => "standard output",
            Std::Err => "standard error",
        }
    }

    /// What is sent to it, in a hint.
    fn sent(self) -> &'static str {
        match self {
            Std::Out => "the output",
            Std::Err => "standard error",
        }
    }

    /// Its file descriptor's entry in /proc.
    fn proc_path(self) -> &'static str {
        match self {
            Std::Out => "/proc/self/fd/1",
            Std::Err => "/proc/self/fd/2",
        }
    }

    /// The metadata of the file it is open on.
    #[cfg(unix)]
    fn metadata(self) -> Option<Metadata> {
        use std::os::fd::AsFd;
        let fd = match self {
            Std::Out => std::io::stdout().as_fd().try_clone_to_owned(),
            Std::Err => std::io::stderr().as_fd().try_clone_to_owned(),
        };
        fd.map(File::from).and_then(|file| file.metadata()).ok()
    }
}

/// Refuses standard output or error (`which`) when a shell redirected it
/// into a file that a write must not reach (`>> STORE/p.jsonl`,
/// `2>> p.jsonl`): without a `store`, as before anything is printed
/// (`--help` and `--version` included), a file that holds a stream of any
/// store, its first line a registration; with the `store`, any file of it.
/// Anything but a regular file passes.
///
/// # Errors
///
/// [`Error::Invalid`] naming the file.
pub fn check_std(which: Std, store: Option<&Store>) -> Result<(), Error> {
    let Some((file, what, instead)) = refused_std(which, store) else {
        return Ok(());
    };
    Err(Error::Invalid {
        message: format!("{} is {}, {what}", which.words(), file.display()),
        hint: Some(format!(
            "send {} to {instead} (a shell's > empties its file even before pactlog \
             starts: `pactlog verify` shows whether it did)",
            which.sent()
        )),
    })
}

/// What [`check_std`] refuses `which` for: the file, what it is, and
/// where to send the output instead.
#[cfg(unix)]
fn refused_std(which: Std, store: Option<&Store>) -> Option<(PathBuf, &'static str, &'static str)> {
    let meta = which.metadata().filter(Metadata::is_file)?;
    // the name it was opened by, where the system tells it
    let named = fs::read_link(which.proc_path()).ok();
    match store {
        Some(store) => {
            let taken = match &named {
                Some(path) => store.taken_by(path, Some(&meta)),
                None => store.same_file(&meta),
            }?;
            Some((taken.file, taken.role.words(), "a file outside the store"))
        }
        None => {
            // it may be open for writing only: it is opened again to read,
            // through /proc's link to it, followed on purpose
            let file = File::open(which.proc_path()).ok()?;
            let holds = file.metadata().is_ok_and(|meta| meta.is_file()) && is_a_stream(&file);
            holds.then(|| {
                let file = named.unwrap_or_default();
                (file, "a pactlog stream", "a file that holds no stream")
            })
        }
    }
}

#[cfg(not(unix))]
fn refused_std(_: Std, _: Option<&Store>) -> Option<(PathBuf, &'static str, &'static str)> {
    None
}

/// The error for an output `path` that would write over `store`'s files.
/// Refuses the open `file` at `path` if it is one of the store's files
/// under any name, or a stream of any store (its first line a pactlog
/// registration).
fn refuse_file(store: &Store, path: &Path, file: &File, meta: &Metadata) -> Result<(), Error> {
    #[cfg(unix)]
    if let Some(taken) = store.same_file(meta) {
        return Err(Error::Invalid {
            message: format!(
                "{} is {}, {}",
                path.display(),
                taken.file.display(),
                taken.role.words()
            ),
            hint: Some("write it to a file outside the store directory".into()),
        });
    }
    #[cfg(not(unix))]
    let _ = (store, meta);
    if is_a_stream(file) {
        return Err(Error::Invalid {
            message: format!("{} is a pactlog stream", path.display()),
            hint: Some("write it to a file that holds no stream".into()),
        });
    }
    Ok(())
}

/// Whether the open `file` begins as a stream does: with a whole, sound
/// registration line. It is read where it is, from its start.
pub fn is_a_stream(file: &File) -> bool {
    // read up to the first line's end, which is at most a line's length
    // away, a little at a time: most files are told apart by their start
    let mut first = Vec::new();
    let mut chunk = [0; 4096];
    let end = loop {
        let read = match read_at(file, &mut chunk, first.len() as u64) {
            Ok(0) | Err(_) => return false,
            Ok(n) => &chunk[..n],
        };
        let seen = first.len();
        first.extend_from_slice(read);
        if !first.starts_with(b"{") || first.len() > MAX_LINE + 1 {
            return false;
        }
        if let Some(at) = read.iter().position(|&b| b == b'\n') {
            break seen + at;
        }
    };
    crate::Event::from_line(&first[..end])
        .is_ok_and(|event| event.seq == 1 && matches!(event.body, crate::EventBody::Registered(_)))
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_at(mut file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.read(buf)
}

fn refuse(store: &Store, path: &Path, meta: Option<&Metadata>) -> Result<(), Error> {
    let Some(taken) = store.taken_by(path, meta) else {
        return Ok(());
    };
    let role = taken.role.words();
    let message = match (taken.linked, taken.exists) {
        (true, _) => format!(
            "{} links to {}, {role}",
            path.display(),
            taken.file.display()
        ),
        (false, true) => format!("{} is {role}", path.display()),
        (false, false) => format!("{} would be {role}", path.display()),
    };
    Err(Error::Invalid {
        message,
        hint: Some("write it to a file outside the store directory".into()),
    })
}

/// `path` with the symbolic links at its end followed, each relative to the
/// directory of the link, as far as they go: the path a write would create
/// or replace.
fn resolved(path: &Path) -> PathBuf {
    let mut target = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::read_link(&target) {
            Ok(link) => target = parent(&target).join(link),
            Err(_) => break,
        }
    }
    target
}

/// The directory `path` is in (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn the_store_knows_its_files_by_name() {
        for (name, role) in [
            ("gsomia.jsonl", Some(Role::Stream)),
            ("not an id.jsonl", Some(Role::Stream)),
            (".pactlog-cache", Some(Role::Cache)),
            (".pactlog-journal", Some(Role::Journal)),
            (".pactlog-cache.4242.tmp", Some(Role::Temporary)),
            (".pactlog-journal.4242.tmp", Some(Role::Temporary)),
            (".gsomia.jsonl.4242.tmp", Some(Role::Temporary)),
            (".gsomia.jsonl.Xy7pQ", Some(Role::Temporary)),
            (
                "gsomia.jsonl.torn-20240101T000000.000000Z",
                Some(Role::Torn),
            ),
            ("timeline.svg", None),
            ("gsomia.jsonl.svg", None),
            ("gsomia.html", None),
            ("jsonl", None),
        ] {
            assert_eq!(Role::of(name.as_ref()), role, "{name}");
        }
    }
}
