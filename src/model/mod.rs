//! The model: pure values, no I/O. What a pact is (its id and metadata),
//! the status vocabulary and its lifecycle, effective dates and recorded
//! times, the events that record them, the limits on what a person types,
//! and the library's error type.
//!
//! Depends on: nothing else in the crate. Every other layer builds on it.

pub mod date;
pub mod error;
pub mod event;
pub mod format;
pub mod limits;
pub mod pact;
pub mod status;
pub mod time;
