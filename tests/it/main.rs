//! pactlog's integration tests: one binary, driving the real `pactlog`
//! binary (and the library, for the domain tests) in temporary stores.

mod amend;
mod architecture;
mod bad_input;
mod cache;
mod cache_binding;
mod citations;
mod commands;
mod corruption;
mod csv_cells;
mod date_grammar;
mod domain;
mod edits;
mod git;
mod harness;
mod hostile_files;
mod memory;
mod merge;
mod output_files;
mod output_formats;
mod parties;

mod pictures;
mod precision;
mod readme;
mod reliability;
mod sheets;
mod shell;
mod time;
mod torn_writes;
mod transfer;
