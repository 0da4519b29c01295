//! Transfer: batches into and out of a store. Imports of CSV sheets and
//! JSON Lines, checked whole before a byte is written and committed
//! through the journal; the CSV cell guard that keeps a spreadsheet from
//! running a cell as a formula; and the git merge driver, which merges a
//! stream two branches appended to.
//!
//! Depends on: [`crate::model`], [`crate::log`], [`crate::replay`],
//! [`crate::command`].

pub mod cell;
pub mod import;
pub mod merge;
