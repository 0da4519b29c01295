//! The fixed facts of the format on disk (`docs/FORMAT.md`), which every
//! layer may need to name: the version of a line, the longest line a reader
//! takes, and the names of the files a store keeps beside its streams.
//!
//! Depends on: nothing.

/// The newest version of the line format, which this pactlog writes when a
/// line needs it and reads with every older one: a line a git merge
/// re-linked (`relinked`) is written in it.
pub const FORMAT_VERSION: u64 = 3;

/// The second version of the line format: dates known to the month or
/// year, the later statuses, parties and amendments on a status or note,
/// citations and edits.
pub const SECOND_VERSION: u64 = 2;

/// The first version of the line format: a line that needs nothing newer
/// is written in it, so that an older pactlog still reads it.
pub const FIRST_VERSION: u64 = 1;

/// The longest line a reader accepts, in bytes. The limits on text fields
/// keep every line pactlog writes far below it.
pub const MAX_LINE: usize = 256 * 1024;

/// The import journal's name in the store directory.
pub const JOURNAL: &str = ".pactlog-journal";

/// The cache's name in the store directory.
pub const CACHE: &str = ".pactlog-cache";
