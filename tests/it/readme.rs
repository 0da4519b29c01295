//! The README's commands and examples still work.
