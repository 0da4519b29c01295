//! The log: bytes on disk. How an event is written as a line and read back
//! (the JSON, the hash chain, the CRC), the stream reader that checks
//! every line, the store directory with its locks, safe opening of its
//! files and temporary files, the import journal, and the pool that reads
//! streams on every core.
//!
//! Depends on: [`crate::model`].

pub mod codec;
pub mod files;
pub mod journal;
pub mod layout;
pub mod par;
pub mod store;
pub mod stream;
