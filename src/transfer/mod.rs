//! Transfer: batches into and out of a store. Imports of CSV sheets and
//! JSON Lines, checked whole before a byte is written and committed
//! through the journal, and the CSV cell guard that keeps a spreadsheet
//! from running a cell as a formula.
//!
//! Depends on: [`crate::model`], [`crate::log`], [`crate::replay`],
//! [`crate::command`].

pub mod cell;
pub mod import;
