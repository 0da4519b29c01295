//! What an event is: one immutable fact about one pact, the in-memory
//! value that one line of a stream holds. How a line is written and read is
//! [`crate::log::codec`]'s; the line format (`docs/FORMAT.md`) is the
//! contract with other tools, these types are not.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::model::date::EffectiveDate;
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;

pub use crate::model::format::FORMAT_VERSION;

/// One immutable fact in a pact's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The pact whose stream holds the event.
    pub pact: PactId,
    /// Its position in the stream: 1, 2, 3, ... with no gaps.
    pub seq: u64,
    /// A UUID v7, unique in the stream.
    pub id: Uuid,
    /// When it was appended (transaction time), to the microsecond.
    pub recorded: DateTime<Utc>,
    /// What happened.
    pub body: EventBody,
    /// The SHA-256 of the previous line's bytes; `None` on the first line.
    pub prev: Option<Hash>,
    /// For a line a git merge re-linked (gave a new `seq` and `prev`, as
    /// it came from the other branch), the SHA-256 of the line as it was
    /// there; `None` for a line appended here.
    pub relinked: Option<Hash>,
}

/// What an event says, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventBody {
    /// The pact was registered: the first event of every stream.
    Registered(Pact),
    /// The pact entered a status on an effective date.
    Status(StatusChange),
    /// A dated, sourced annotation that changes no status.
    Note(Note),
    /// An earlier event of the stream is withdrawn as recorded in error.
    Retraction(Retraction),
    /// A source is added to an earlier status or note, perhaps confirming
    /// it officially.
    Citation(Citation),
    /// The pact's metadata changes: from this event on it is the
    /// registration's with the edits so far applied in order.
    Edited(Edit),
}

/// The payload of an `edited` event: what changes, each part optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Edit {
    /// A new name.
    pub name: Option<String>,
    /// Aliases added.
    pub add_aliases: Vec<String>,
    /// Aliases taken away.
    pub remove_aliases: Vec<String>,
    /// Parties added.
    pub add_parties: Vec<String>,
    /// Parties taken away.
    pub remove_parties: Vec<String>,
    /// A new kind.
    pub kind: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// A new source for the pact's registration: outlet and title.
    pub source: Option<String>,
    /// A new link to that source.
    pub url: Option<String>,
}

impl Edit {
    /// Applies the edit to `pact`: the metadata from this event on.
    pub fn apply(&self, pact: &mut Pact) {
        if let Some(name) = &self.name {
            pact.name.clone_from(name);
        }
        changed(&mut pact.aliases, &self.remove_aliases, &self.add_aliases);
        self.apply_to_parties(&mut pact.parties);
        if let Some(kind) = &self.kind {
            pact.kind = Some(kind.clone());
        }
        if let Some(description) = &self.description {
            pact.description = Some(description.clone());
        }
        if let Some(source) = &self.source {
            pact.source = Some(source.clone());
        }
        if let Some(url) = &self.url {
            pact.url = Some(url.clone());
        }
    }

    /// Applies the edit to `parties`, a pact's parties: what a reader that
    /// keeps no more of the pact needs.
    pub fn apply_to_parties(&self, parties: &mut Vec<String>) {
        changed(parties, &self.remove_parties, &self.add_parties);
    }

    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Edit::default()
    }
}

/// A pact's edits as a stream's lines give them, to be applied in the order
/// they were recorded: the order of their lines, but after a git merge,
/// whose edits of two branches then apply alike on either. Edits are few,
/// and kept whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edits(Vec<(DateTime<Utc>, u64, Edit)>);

impl Edits {
    /// Takes in the edit of line `seq`, recorded at `recorded`.
    pub fn add(&mut self, recorded: DateTime<Utc>, seq: u64, edit: Edit) {
        let at = self
            .0
            .partition_point(|(t, s, _)| (*t, *s) <= (recorded, seq));
        self.0.insert(at, (recorded, seq, edit));
    }

    /// `registered`, the pact as its registration gives it, with every edit
    /// applied in the order they were recorded.
    pub fn applied(&self, mut registered: Pact) -> Pact {
        for (_, _, edit) in &self.0 {
            edit.apply(&mut registered);
        }
        registered
    }
}

/// The payload of a `status` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The status entered.
    pub status: Status,
    /// The date it took effect (valid time), as precise as it is known.
    pub on: EffectiveDate,
    /// Where it is reported: outlet and title.
    pub source: Option<String>,
    /// A link to the source.
    pub url: Option<String>,
    /// A remark.
    pub note: Option<String>,
    /// Known only from reports, not official confirmation.
    pub reported: bool,
    /// Recorded with `--force` against the lifecycle.
    pub forced: bool,
    /// The parties it concerns, as the pact names them; empty when it
    /// concerns the pact as a whole.
    pub parties: Vec<String>,
    /// The earlier status it corrects, which its retraction, recorded with
    /// it, withdrew: it is that status amended.
    pub amends: Option<Uuid>,
}

/// The payload of a `note` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The date the note is about, as precise as it is known.
    pub on: EffectiveDate,
    /// What happened.
    pub text: String,
    /// Where it is reported.
    pub source: Option<String>,
    /// A link to the source.
    pub url: Option<String>,
    /// The parties it concerns; empty when it concerns the pact as a whole.
    pub parties: Vec<String>,
    /// The earlier note it corrects, which its retraction, recorded with
    /// it, withdrew: it is that note amended.
    pub amends: Option<Uuid>,
}

/// The payload of a `retraction` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retraction {
    /// The id of the event withdrawn.
    pub target: Uuid,
    /// Why it is withdrawn.
    pub reason: String,
}

/// The payload of a `citation` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// The id of the status or note event it adds a source to.
    pub target: Uuid,
    /// Where it is reported: outlet and exact title.
    pub source: String,
    /// A link to the source.
    pub url: Option<String>,
    /// An official source: it confirms the event, which is then no longer
    /// known only from reports.
    pub official: bool,
}

/// `labels` with those `removed` names taken away (in any case), then those
/// `added` appended.
fn changed(labels: &mut Vec<String>, removed: &[String], added: &[String]) {
    labels.retain(|l| !removed.iter().any(|r| r.eq_ignore_ascii_case(l)));
    labels.extend(added.iter().cloned());
}

/// What replay and the checks of a stream need of an event: everything but
/// its text. Reading a whole store builds these rather than [`Event`]s, so
/// that no text is copied that no answer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    /// The event's position in the stream.
    pub seq: u64,
    /// Its id.
    pub id: Uuid,
    /// When it was appended.
    pub recorded: DateTime<Utc>,
    /// The SHA-256 of the previous line; `None` on the first line.
    pub prev: Option<Hash>,
    /// What it does to the timeline.
    pub what: What,
}

/// An event's kind, with the fields replay reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// The registration.
    Registered,
    /// A status entered on a date, perhaps with `--force`.
    Status {
        /// The status entered.
        status: Status,
        /// The effective date.
        on: EffectiveDate,
        /// Recorded with `--force` against the lifecycle.
        forced: bool,
        /// Known only from reports (`--reported`), not confirmed.
        reported: bool,
        /// It concerns named parties, not the pact as a whole: it is in
        /// their timelines, not the pact's.
        of_parties: bool,
    },
    /// A note about a date.
    Note {
        /// The date the note is about.
        on: EffectiveDate,
    },
    /// The withdrawal of the event `target`.
    Retraction {
        /// The id of the event withdrawn.
        target: Uuid,
    },
    /// A change of the pact's metadata.
    Edited,
    /// A source added to the event `target`.
    Citation {
        /// The id of the event cited.
        target: Uuid,
        /// Whether the source is official, confirming the event.
        official: bool,
    },
}

impl What {
    /// The date a status or note is effective, or about.
    pub fn on(&self) -> Option<EffectiveDate> {
        match self {
            What::Status { on, .. } | What::Note { on } => Some(*on),
            What::Registered | What::Retraction { .. } | What::Citation { .. } | What::Edited => {
                None
            }
        }
    }

    /// The kind as stored.
    pub fn kind(&self) -> Kind {
        match self {
            What::Registered => Kind::Registered,
            What::Status { .. } => Kind::Status,
            What::Note { .. } => Kind::Note,
            What::Retraction { .. } => Kind::Retraction,
            What::Citation { .. } => Kind::Citation,
            What::Edited => Kind::Edited,
        }
    }
}

impl Event {
    /// The event without its text.
    pub fn fact(&self) -> Fact {
        let what = match &self.body {
            EventBody::Registered(_) => What::Registered,
            EventBody::Status(s) => What::Status {
                status: s.status,
                on: s.on,
                forced: s.forced,
                reported: s.reported,
                of_parties: !s.parties.is_empty(),
            },
            EventBody::Note(n) => What::Note { on: n.on },
            EventBody::Retraction(r) => What::Retraction { target: r.target },
            EventBody::Citation(c) => What::Citation {
                target: c.target,
                official: c.official,
            },
            EventBody::Edited(_) => What::Edited,
        };
        Fact {
            seq: self.seq,
            id: self.id,
            recorded: self.recorded,
            prev: self.prev,
            what,
        }
    }
}

impl EventBody {
    /// The kind as stored: `registered`, `status`, `note` or `retraction`.
    pub fn kind(&self) -> Kind {
        match self {
            EventBody::Registered(_) => Kind::Registered,
            EventBody::Status(_) => Kind::Status,
            EventBody::Note(_) => Kind::Note,
            EventBody::Retraction(_) => Kind::Retraction,
            EventBody::Citation(_) => Kind::Citation,
            EventBody::Edited(_) => Kind::Edited,
        }
    }
}

/// The kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The first event of every stream.
    Registered,
    /// A status change.
    Status,
    /// An annotation.
    Note,
    /// The withdrawal of an earlier event.
    Retraction,
    /// A source added to an earlier event.
    Citation,
    /// A change of the pact's metadata.
    Edited,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Kind::Registered => "registered",
            Kind::Status => "status",
            Kind::Note => "note",
            Kind::Retraction => "retraction",
            Kind::Citation => "citation",
            Kind::Edited => "edited",
        })
    }
}

/// A SHA-256 digest, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hash([u8; 32]);

impl Hash {
    /// The SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Hash {
        Hash(Sha256::digest(bytes).into())
    }

    /// The digest's bytes.
    pub fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// A digest from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Hash {
        Hash(bytes)
    }

    /// Parses 64 lowercase hex digits, the one way a hash is written.
    pub fn from_hex(text: &str) -> Option<Hash> {
        if !lower_hex(text, 64) {
            return None;
        }
        let mut bytes = [0; 32];
        const_hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Hash(bytes))
    }

    /// The 64 hex digits, written into `text`.
    pub(crate) fn to_hex(self, text: &mut [u8; 64]) -> &str {
        const_hex::encode_to_slice(self.0, text).expect("32 bytes are 64 hex digits");
        std::str::from_utf8(text).expect("hex digits are ASCII")
    }
}

/// Whether `text` is exactly `len` lowercase hex digits: hashes and CRCs have
/// one spelling each, so that no byte of a line can change unnoticed (no
/// uppercase, no `0x`).
pub(crate) fn lower_hex(text: &str, len: usize) -> bool {
    // every byte is looked at, with no early exit, so that the check runs
    // on whole vectors of bytes
    text.len() == len
        && text.bytes().fold(true, |ok, b| {
            ok & (b.is_ascii_digit() | (b'a'..=b'f').contains(&b))
        })
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.to_hex(&mut [0; 64]))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_the_order_they_were_recorded_whatever_their_lines() {
        let at = |s| DateTime::UNIX_EPOCH + chrono::TimeDelta::seconds(s);
        let aliases = |alias: &str| Edit {
            add_aliases: vec![alias.to_owned()],
            ..Edit::default()
        };
        let pact = Pact::named(PactId::parse("p").unwrap(), "P");
        // two branches' edits, merged either way: lines in another order
        let (mut one, mut other) = (Edits::default(), Edits::default());
        one.add(at(5), 2, aliases("ours"));
        one.add(at(3), 3, aliases("theirs"));
        other.add(at(3), 2, aliases("theirs"));
        other.add(at(5), 3, aliases("ours"));
        let (one, other) = (one.applied(pact.clone()), other.applied(pact));
        assert_eq!(one, other);
        assert_eq!(one.aliases, ["theirs", "ours"]);
    }
}
