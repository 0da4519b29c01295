//! pactlog keeps an append-only, sourced record of the status of agreements
//! and policies, and answers "what was this pact's status on that date?".
//!
//! The library is in layers, each a module that uses only the layers
//! below it (a test, `tests/it/architecture.rs`, holds them to it). A tour,
//! in the order data flows through it:
//!
//! - [`model`]: pure values, no I/O. [`PactId`] and [`Pact`], a validated
//!   slug and the metadata a pact is registered with; [`Status`], the
//!   vocabulary and the lifecycle of allowed transitions; [`Event`], one
//!   immutable fact, and [`Fact`], an event without its text, what
//!   whole-store questions read; dates and [`Error`].
//! - [`log`]: bytes on disk. The line [`codec`](log::codec) (JSON, hash
//!   chain, CRC); [`Store`], the directory of streams, whose reads check
//!   every line (into a [`Stream`] of events or of facts) and whose appends
//!   lock, validate, write once and `fsync`; the import
//!   [`journal`](log::journal) that makes an import all or nothing across a
//!   crash; [`par`](log::par), which spreads reads over the cores.
//! - [`replay`]: the folds from events to answers. [`Timeline`] gives the
//!   status on any date, as of a past recorded time, with retractions
//!   checked; [`errata`](replay::errata) compare the history as recorded at
//!   two times; the [`cache`](replay::cache) keeps each stream's timeline
//!   beside the streams for whole-store questions; [`verify`](replay::verify)
//!   checks every stream, its timeline, the cache and the journal, and
//!   reports on each.
//! - [`command`]: the decide layer. A status change, a note or a
//!   retraction is a [`Write`](command::Write), its fields checked when it
//!   is made and decided against the stream under its lock; the store
//!   gives the event its seq, id, time and link.
//! - [`transfer`]: batches of CSV rows or JSON Lines, checked whole before
//!   a byte is written ([`import`](transfer::import)); the
//!   [`cell`](transfer::cell) guard keeps a CSV cell from being run as a
//!   spreadsheet formula; [`merge`](transfer::merge), git's merge driver,
//!   merges a stream two branches appended to.
//! - [`chart`]: the timeline picture, as SVG or a self-contained HTML page.
//! - `cli` (the default `cli` feature): the command line, a thin shell
//!   over the above; without the feature the library builds without clap,
//!   indicatif or terminal styling.
//!
//! ```
//! use chrono::{NaiveDate, Utc};
//! use pactlog::command::Registration;
//! use pactlog::model::date::EffectiveDate;
//! use pactlog::{AppendOptions, EventBody, Pact, PactId, Status, StatusChange, Store, Timeline};
//!
//! # fn main() -> Result<(), pactlog::Error> {
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::new(dir.path());
//! let id = PactId::parse("gsomia")?;
//! Registration::new(Pact {
//!         id: id.clone(),
//!         name: "GSOMIA".into(),
//!         aliases: vec![],
//!         parties: vec!["KR".into(), "JP".into()],
//!         kind: Some("agreement".into()),
//!         description: None,
//!         source: None,
//!         url: None,
//! })?
//! .record(&store, Utc::now())?;
//! let on = EffectiveDate::parse("2016-11-23").unwrap();
//! store.append(&id, AppendOptions::default(), Utc::now(), |stream| {
//!     Timeline::new(&stream.events).check(&id, Status::InForce, on, false)?;
//!     Ok(EventBody::Status(StatusChange {
//!         status: Status::InForce,
//!         on,
//!         source: Some("Yonhap".into()),
//!         url: None,
//!         note: None,
//!         reported: false,
//!         forced: false,
//!         parties: vec![],
//!         amends: None,
//!     }))
//! })?;
//!
//! let stream = store.read(&id)?;
//! let timeline = Timeline::new(&stream.events);
//! let day = NaiveDate::from_ymd_opt(2017, 1, 1).unwrap();
//! assert_eq!(timeline.status_on(day).map(|e| e.status()), Some(Status::InForce));
//! # Ok(())
//! # }
//! ```

pub mod chart;
#[cfg(feature = "cli")]
pub mod cli;
pub mod command;
pub mod log;
pub mod model;
pub mod replay;
pub mod transfer;

pub use log::store::{AppendOptions, Store};
pub use log::stream::Stream;
pub use model::error::{
    CsvProblem, Error, FieldProblem, ImportProblem, LifecycleError, NotAmendable, NotRetractable,
    Rollback, StreamProblem,
};
pub use model::event::{Event, EventBody, Fact, Hash, Kind, Note, StatusChange, What};
pub use model::pact::{Pact, PactId};
pub use model::status::Status;
pub use replay::{Entry, Interval, Timeline};
