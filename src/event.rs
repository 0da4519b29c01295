//! What one line of a stream holds, and how it is written and read.
//!
//! An [`Event`] is an immutable fact about one pact. On disk it is one line
//! of JSON with its keys in a fixed order (see `docs/FORMAT.md`), written by
//! [`Event::to_line`] and read back by [`Event::from_line`]. The line format
//! is the contract with other tools; the in-memory types are not.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::StreamProblem;
use crate::pact::{Pact, PactId};
use crate::status::Status;

/// The format version this program writes, and the newest it reads.
pub const FORMAT_VERSION: u64 = 1;

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
}

/// The payload of a `status` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The status entered.
    pub status: Status,
    /// The date it took effect (valid time).
    pub on: NaiveDate,
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
}

/// The payload of a `note` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The date the note is about.
    pub on: NaiveDate,
    /// What happened.
    pub text: String,
    /// Where it is reported.
    pub source: Option<String>,
    /// A link to the source.
    pub url: Option<String>,
}

/// The payload of a `retraction` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retraction {
    /// The id of the event withdrawn.
    pub target: Uuid,
    /// Why it is withdrawn.
    pub reason: String,
}

impl EventBody {
    /// The kind as stored: `registered`, `status`, `note` or `retraction`.
    pub fn kind(&self) -> Kind {
        match self {
            EventBody::Registered(_) => Kind::Registered,
            EventBody::Status(_) => Kind::Status,
            EventBody::Note(_) => Kind::Note,
            EventBody::Retraction(_) => Kind::Retraction,
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
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Kind::Registered => "registered",
            Kind::Status => "status",
            Kind::Note => "note",
            Kind::Retraction => "retraction",
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
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut bytes = [0; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Hash(bytes))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&hex::encode(self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut text = [0; 64];
        hex::encode_to_slice(self.0, &mut text).expect("32 bytes are 64 hex digits");
        serializer.serialize_str(std::str::from_utf8(&text).expect("hex digits are ASCII"))
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        Hash::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("a hash must be 64 hex digits"))
    }
}

/// Truncates a clock reading to what a line stores: microseconds.
pub fn to_recorded(now: DateTime<Utc>) -> DateTime<Utc> {
    now.trunc_subsecs(6)
}

mod recorded {
    //! `recorded` is written as RFC 3339 UTC with exactly six fractional
    //! digits, so that lines of one store all look alike.
    use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        let (year, nanos) = (t.year(), t.nanosecond());
        if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
            // a year of more than four digits, or a leap second
            return s.collect_str(&t.to_rfc3339_opts(SecondsFormat::Micros, true));
        }
        // what `to_rfc3339_opts` writes, without formatting machinery
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |end: usize, width: usize, mut value: u32| {
            for digit in text[end - width..end].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(4, 4, year.unsigned_abs());
        put(7, 2, t.month());
        put(10, 2, t.day());
        put(13, 2, t.hour());
        put(16, 2, t.minute());
        put(19, 2, t.second());
        put(26, 6, nanos / 1000);
        s.serialize_str(std::str::from_utf8(&text).expect("digits are ASCII"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = super::Text::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| serde::de::Error::custom(format!("recorded time '{}': {e}", &*text)))
    }
}

/// Text read from a line: borrowed from it when it holds no escapes, so
/// that reading a stream copies no text it does not keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text<'a>(Cow<'a, str>);

impl Text<'_> {
    fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(text: &'a str) -> Self {
        Text(Cow::Borrowed(text))
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Text<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

/// The line as stored: every field of every kind, in the order they are
/// written. Optional fields are left out when absent.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record<'a> {
    v: u64,
    #[serde(borrow)]
    pact: Text<'a>,
    seq: u64,
    id: Uuid,
    kind: Kind,
    #[serde(with = "recorded")]
    recorded: DateTime<Utc>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    name: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aliases: Option<Cow<'a, [String]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parties: Option<Cow<'a, [String]>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pact_kind: Option<Text<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    description: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on: Option<NaiveDate>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    text: Option<Text<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    source: Option<Text<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    url: Option<Text<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    note: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reported: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    forced: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<Uuid>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    reason: Option<Text<'a>>,
    #[serde(default)]
    prev: Option<Hash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crc: Option<Crc>,
}

/// The CRC-32 of a line without its `crc` member, shown as 8 lowercase hex
/// digits. It catches a changed byte anywhere in the line, the last line
/// included, which the hash chain alone cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Crc(u32);

/// Every line ends with this and 8 hex digits and `"}`.
const CRC_KEY: &str = ",\"crc\":\"";
/// The length of the `,"crc":"xxxxxxxx"}` that ends every line.
const CRC_SUFFIX_LEN: usize = CRC_KEY.len() + 8 + 2;

impl Crc {
    /// The CRC of a line's JSON without its `crc` member: `body` is the line
    /// up to the member, and the object's closing brace follows it.
    fn of(body: &[u8]) -> Crc {
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(body);
        hasher.update(b"}");
        Crc(hasher.finalize())
    }
}

impl Serialize for Crc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:08x}", self.0))
    }
}

impl<'de> Deserialize<'de> for Crc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        // lowercase only: one value, one spelling, so no byte can change
        // unnoticed
        let valid = text.len() == 8
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid
            .then(|| u32::from_str_radix(&text, 16).ok())
            .flatten()
            .map(Crc)
            .ok_or_else(|| serde::de::Error::custom("a crc must be 8 lowercase hex digits"))
    }
}

/// Only the version, to tell "from the future" apart from "malformed".
#[derive(Deserialize)]
struct VersionProbe {
    v: Option<u64>,
}

impl<'a> Record<'a> {
    fn empty(event: &'a Event) -> Self {
        Record {
            v: FORMAT_VERSION,
            pact: Text::from(event.pact.as_str()),
            seq: event.seq,
            id: event.id,
            kind: event.body.kind(),
            recorded: event.recorded,
            name: None,
            aliases: None,
            parties: None,
            pact_kind: None,
            description: None,
            status: None,
            on: None,
            text: None,
            source: None,
            url: None,
            note: None,
            reported: None,
            forced: None,
            target: None,
            reason: None,
            prev: event.prev,
            crc: None,
        }
    }

    fn from_event(event: &'a Event) -> Self {
        let mut r = Record::empty(event);
        match &event.body {
            EventBody::Registered(p) => {
                r.name = Some(Text::from(p.name.as_str()));
                r.aliases = Some(Cow::Borrowed(&p.aliases));
                r.parties = Some(Cow::Borrowed(&p.parties));
                r.pact_kind = p.kind.as_deref().map(Text::from);
                r.description = p.description.as_deref().map(Text::from);
                r.source = p.source.as_deref().map(Text::from);
                r.url = p.url.as_deref().map(Text::from);
            }
            EventBody::Status(s) => {
                r.status = Some(s.status);
                r.on = Some(s.on);
                r.source = s.source.as_deref().map(Text::from);
                r.url = s.url.as_deref().map(Text::from);
                r.note = s.note.as_deref().map(Text::from);
                r.reported = Some(s.reported);
                r.forced = Some(s.forced);
            }
            EventBody::Note(n) => {
                r.on = Some(n.on);
                r.text = Some(Text::from(n.text.as_str()));
                r.source = n.source.as_deref().map(Text::from);
                r.url = n.url.as_deref().map(Text::from);
            }
            EventBody::Retraction(x) => {
                r.target = Some(x.target);
                r.reason = Some(Text::from(x.reason.as_str()));
            }
        }
        r
    }

    /// The kind-specific fields that are present, by name.
    fn present_fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("aliases", self.aliases.is_some()),
            ("parties", self.parties.is_some()),
            ("pact_kind", self.pact_kind.is_some()),
            ("description", self.description.is_some()),
            ("status", self.status.is_some()),
            ("on", self.on.is_some()),
            ("text", self.text.is_some()),
            ("source", self.source.is_some()),
            ("url", self.url.is_some()),
            ("note", self.note.is_some()),
            ("reported", self.reported.is_some()),
            ("forced", self.forced.is_some()),
            ("target", self.target.is_some()),
            ("reason", self.reason.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
        .collect()
    }

    fn into_event(self) -> Result<Event, String> {
        let pact = PactId::parse(&self.pact).map_err(|e| e.to_string())?;
        let allowed: &[&str] = match self.kind {
            Kind::Registered => &[
                "name",
                "aliases",
                "parties",
                "pact_kind",
                "description",
                "source",
                "url",
            ],
            Kind::Status => &[
                "status", "on", "source", "url", "note", "reported", "forced",
            ],
            Kind::Note => &["on", "text", "source", "url"],
            Kind::Retraction => &["target", "reason"],
        };
        if let Some(field) = self
            .present_fields()
            .into_iter()
            .find(|f| !allowed.contains(f))
        {
            return Err(format!(
                "field '{field}' does not belong on a {} event",
                self.kind
            ));
        }
        let body = match self.kind {
            Kind::Registered => EventBody::Registered(Pact {
                id: pact.clone(),
                name: required(self.name, "name")?.into_owned(),
                aliases: self.aliases.map(Cow::into_owned).unwrap_or_default(),
                parties: self.parties.map(Cow::into_owned).unwrap_or_default(),
                kind: self.pact_kind.map(Text::into_owned),
                description: self.description.map(Text::into_owned),
                source: self.source.map(Text::into_owned),
                url: self.url.map(Text::into_owned),
            }),
            Kind::Status => EventBody::Status(StatusChange {
                status: required(self.status, "status")?,
                on: required(self.on, "on")?,
                source: self.source.map(Text::into_owned),
                url: self.url.map(Text::into_owned),
                note: self.note.map(Text::into_owned),
                reported: self.reported.unwrap_or(false),
                forced: self.forced.unwrap_or(false),
            }),
            Kind::Note => EventBody::Note(Note {
                on: required(self.on, "on")?,
                text: required(self.text, "text")?.into_owned(),
                source: self.source.map(Text::into_owned),
                url: self.url.map(Text::into_owned),
            }),
            Kind::Retraction => EventBody::Retraction(Retraction {
                target: required(self.target, "target")?,
                reason: required(self.reason, "reason")?.into_owned(),
            }),
        };
        Ok(Event {
            pact,
            seq: self.seq,
            id: self.id,
            recorded: self.recorded,
            body,
            prev: self.prev,
        })
    }
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field '{field}'"))
}

impl Event {
    /// The event as one line of JSON, without the final LF: the record's
    /// members in their fixed order, then its `crc`.
    pub fn to_line(&self) -> String {
        let mut line = Vec::with_capacity(512);
        self.write_line(&mut line);
        String::from_utf8(line).expect("JSON is UTF-8")
    }

    /// Appends the event's line, without the final LF, to `out`: what
    /// [`Event::to_line`] returns, without allocating a line of its own.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        let start = out.len();
        serde_json::to_writer(&mut *out, &Record::from_event(self))
            .expect("a record of strings, numbers and dates always serializes");
        // sealed in place, as `seal` does
        let closing = out.pop();
        debug_assert_eq!(closing, Some(b'}'));
        let crc = Crc::of(&out[start..]);
        write!(out, "{CRC_KEY}{:08x}\"}}", crc.0).expect("writing to memory cannot fail");
    }

    /// Reads one line (without its LF).
    ///
    /// # Errors
    ///
    /// [`StreamProblem::FutureVersion`] for a line of a newer format,
    /// [`StreamProblem::Malformed`] for anything else that is not an event.
    pub fn from_line(line: &[u8]) -> Result<Event, StreamProblem> {
        let record: Record = match serde_json::from_slice(line) {
            Ok(record) => record,
            Err(e) => {
                if let Ok(VersionProbe { v: Some(v) }) = serde_json::from_slice(line)
                    && v > FORMAT_VERSION
                {
                    return Err(StreamProblem::FutureVersion { found: v });
                }
                return Err(StreamProblem::Malformed(json_error(&e)));
            }
        };
        match record.v {
            FORMAT_VERSION => {
                check_crc(line, record.crc)?;
                record.into_event().map_err(StreamProblem::Malformed)
            }
            v if v > FORMAT_VERSION => Err(StreamProblem::FutureVersion { found: v }),
            v => Err(StreamProblem::Malformed(format!(
                "unknown format version {v}"
            ))),
        }
    }

    /// The status change this event records, if it is one.
    pub fn status_change(&self) -> Option<&StatusChange> {
        match &self.body {
            EventBody::Status(change) => Some(change),
            _ => None,
        }
    }

    /// The note this event records, if it is one.
    pub fn note(&self) -> Option<&Note> {
        match &self.body {
            EventBody::Note(note) => Some(note),
            _ => None,
        }
    }
}

impl Serialize for Event {
    /// Serializes the event exactly as a stream line holds it, `crc`
    /// included.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut record = Record::from_event(self);
        let line = serde_json::to_string(&record).map_err(serde::ser::Error::custom)?;
        record.crc = Some(Crc::of(&line.as_bytes()[..line.len() - 1]));
        record.serialize(serializer)
    }
}

/// Ends a line: takes the JSON object of an event without its `crc` member
/// (compact, ending in `}`) and adds the member, with the CRC-32 of the
/// object as given. Tools that write streams can use it.
///
/// ```
/// let line = pactlog::event::seal(r#"{"v":1}"#);
/// // the CRC-32 (IEEE) of `{"v":1}`
/// assert_eq!(line, r#"{"v":1,"crc":"84dbe73d"}"#);
/// ```
pub fn seal(object: &str) -> String {
    let body = object.strip_suffix('}').unwrap_or(object);
    let crc = Crc::of(body.as_bytes());
    format!("{body}{CRC_KEY}{:08x}\"}}", crc.0)
}

/// Checks that the line ends with its `crc` member and that the CRC matches
/// the rest of the line.
fn check_crc(line: &[u8], crc: Option<Crc>) -> Result<(), StreamProblem> {
    let Some(crc) = crc else {
        return Err(StreamProblem::Malformed("missing field 'crc'".into()));
    };
    let body_len = line.len().saturating_sub(CRC_SUFFIX_LEN);
    if !line[body_len..].starts_with(CRC_KEY.as_bytes()) || !line.ends_with(b"\"}") {
        return Err(StreamProblem::Malformed(
            "'crc' must be the last member, with no space around it".into(),
        ));
    }
    if Crc::of(&line[..body_len]) != crc {
        return Err(StreamProblem::ChecksumMismatch);
    }
    Ok(())
}

/// serde_json's message without its "at line 1 column N" (the caller knows
/// the line), but with the column.
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(message) => format!("{message} (column {})", e.column()),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_event() -> Event {
        Event {
            pact: PactId::parse("gsomia").unwrap(),
            seq: 2,
            id: Uuid::parse_str("0193a0c4-1f00-7000-8000-000000000001").unwrap(),
            recorded: DateTime::parse_from_rfc3339("2026-11-29T05:00:00.123456Z")
                .unwrap()
                .with_timezone(&Utc),
            body: EventBody::Status(StatusChange {
                status: Status::InForce,
                on: NaiveDate::from_ymd_opt(2016, 11, 23).unwrap(),
                source: Some("Yonhap \"quoted\"".into()),
                url: None,
                note: Some("line\nbreak and \u{1b} escape".into()),
                reported: false,
                forced: false,
            }),
            prev: Some(Hash::of(b"previous line")),
        }
    }

    #[test]
    fn a_line_has_its_keys_in_the_documented_order_and_reads_back() {
        let event = status_event();
        let line = event.to_line();
        assert!(
            !line.contains('\n'),
            "control characters are escaped: {line}"
        );
        let keys = [
            "v", "pact", "seq", "id", "kind", "recorded", "status", "on", "source", "note",
            "reported", "forced", "prev",
        ];
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| line.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
        assert!(
            line.contains("\"recorded\":\"2026-11-29T05:00:00.123456Z\""),
            "{line}"
        );
        assert_eq!(Event::from_line(line.as_bytes()).unwrap(), event);
    }

    #[test]
    fn a_line_writes_times_and_hashes_as_chrono_and_hex_do() {
        // lines are written without chrono's formatting, hex's String or a
        // String of their own: the bytes must not change
        let mut event = status_event();
        let at = |y, mo, d, h, mi, s, micro| {
            NaiveDate::from_ymd_opt(y, mo, d)
                .and_then(|d| d.and_hms_micro_opt(h, mi, s, micro))
                .unwrap()
                .and_utc()
        };
        let times = [
            at(2026, 11, 29, 5, 0, 0, 123_456),
            at(1, 2, 3, 4, 5, 6, 0),
            at(9999, 12, 31, 23, 59, 59, 999_999),
            // five digits of year, and a leap second: as chrono writes them
            at(10000, 1, 1, 0, 0, 0, 1),
            at(2016, 12, 31, 23, 59, 59, 1_250_000),
        ];
        for recorded in times {
            event.recorded = recorded;
            let line = event.to_line();
            let time = recorded.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            assert!(
                line.contains(&format!("\"recorded\":\"{time}\",")),
                "{line}"
            );
            let prev = hex::encode(event.prev.unwrap().to_bytes());
            assert!(line.contains(&format!("\"prev\":\"{prev}\",")), "{line}");
            let object = serde_json::to_string(&Record::from_event(&event)).unwrap();
            assert_eq!(line, seal(&object));
        }
    }

    #[test]
    fn a_newer_format_version_is_named_not_dropped() {
        let line = status_event().to_line().replace("\"v\":1", "\"v\":2");
        assert_eq!(
            Event::from_line(line.as_bytes()),
            Err(StreamProblem::FutureVersion { found: 2 })
        );
        let line = line.replace("\"kind\":\"status\"", "\"kind\":\"hologram\"");
        assert_eq!(
            Event::from_line(line.as_bytes()),
            Err(StreamProblem::FutureVersion { found: 2 })
        );
    }

    /// A line edited in a test, with its crc made right again.
    fn edited(line: &str, from: &str, to: &str) -> String {
        let object = &line[..line.len() - CRC_SUFFIX_LEN];
        seal(&format!("{}}}", object.replace(from, to)))
    }

    #[test]
    fn a_changed_byte_anywhere_fails_the_checksum() {
        let line = status_event().to_line();
        let changed = line.replacen("2016-11-23", "2016-11-24", 1);
        assert_eq!(
            Event::from_line(changed.as_bytes()),
            Err(StreamProblem::ChecksumMismatch)
        );
        let resealed = edited(&line, "2016-11-23", "2016-11-24");
        assert!(Event::from_line(resealed.as_bytes()).is_ok());
    }

    #[test]
    fn fields_of_another_kind_are_refused() {
        let line = edited(
            &status_event().to_line(),
            "\"prev\"",
            "\"text\":\"x\",\"prev\"",
        );
        match Event::from_line(line.as_bytes()) {
            Err(StreamProblem::Malformed(m)) => {
                assert_eq!(m, "field 'text' does not belong on a status event")
            }
            other => panic!("{other:?}"),
        }
        let line = edited(&status_event().to_line(), "\"status\":\"in_force\",", "");
        match Event::from_line(line.as_bytes()) {
            Err(StreamProblem::Malformed(m)) => assert_eq!(m, "missing field 'status'"),
            other => panic!("{other:?}"),
        }
    }
}
