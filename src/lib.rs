//! pactlog keeps an append-only, sourced record of the status of agreements
//! and policies, and answers "what was this pact's status on that date?".
//!
//! A tour of the library, in the order data flows through it:
//!
//! - [`PactId`] and [`Pact`]: a validated slug and the metadata a pact is
//!   registered with.
//! - [`Status`]: the vocabulary and the lifecycle of allowed transitions.
//! - [`Event`]: one immutable fact, one line of a stream on disk; a [`Fact`]
//!   is an event without its text, what whole-store questions read.
//! - [`Store`]: the directory of streams; reads check every line (into a
//!   [`Stream`] of events or of facts), appends lock, validate, write once
//!   and `fsync`.
//! - [`Timeline`]: the pure fold from events (or facts) to the status on any
//!   date;
//!   [`replay`] also answers as of a past recorded time and checks
//!   retractions.
//! - [`import`]: batches of CSV rows or JSON Lines, checked whole before a
//!   byte is written; [`journal`] makes one all or nothing across a crash;
//!   [`cell`] keeps a CSV cell from being run as a spreadsheet formula.
//! - [`chart`]: the timeline picture, as SVG or a self-contained HTML page.
//! - [`cache`]: each stream's timeline, kept beside the streams for
//!   whole-store questions; [`par`] spreads such work over the cores.
//! - `cli` (the default `cli` feature): the command line, a thin shell
//!   over the above; without the feature the library builds without clap,
//!   indicatif or terminal styling.
//!
//! ```
//! use chrono::{NaiveDate, Utc};
//! use pactlog::{AppendOptions, EventBody, Pact, PactId, Status, StatusChange, Store, Timeline};
//!
//! # fn main() -> Result<(), pactlog::Error> {
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::new(dir.path());
//! let id = PactId::parse("gsomia")?;
//! store.register(
//!     Pact {
//!         id: id.clone(),
//!         name: "GSOMIA".into(),
//!         aliases: vec![],
//!         parties: vec!["KR".into(), "JP".into()],
//!         kind: Some("agreement".into()),
//!         description: None,
//!         source: None,
//!         url: None,
//!     },
//!     Utc::now(),
//! )?;
//! let on = NaiveDate::from_ymd_opt(2016, 11, 23).unwrap();
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

pub mod cache;
pub mod cell;
pub mod chart;
#[cfg(feature = "cli")]
pub mod cli;
pub mod destination;
pub mod error;
pub mod event;
pub mod files;
pub mod import;
pub mod journal;
pub mod limits;
pub mod pact;
pub mod par;
pub mod replay;
pub mod status;
pub mod store;
pub mod stream;
pub mod time;

pub use error::{Error, LifecycleError, Rollback, StreamProblem};
pub use event::{Event, EventBody, Fact, Hash, Kind, Note, StatusChange, What};
pub use pact::{Pact, PactId};
pub use replay::{Entry, Interval, Timeline};
pub use status::Status;
pub use store::{AppendOptions, Store};
pub use stream::Stream;
