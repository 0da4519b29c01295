//! How an event is written as one line of a stream and read back.
//!
//! On disk an [`Event`] is one line of JSON with its keys in a fixed order
//! (see `docs/FORMAT.md`), written by [`Event::to_line`] and read back by
//! [`Event::from_line`], sealed by the CRC-32 of the rest of the line.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::model::date::EffectiveDate;
use crate::model::error::StreamProblem;
use crate::model::event::{
    Citation, Edit, Event, EventBody, FORMAT_VERSION, Fact, Hash, Kind, Note, Retraction,
    StatusChange, What, lower_hex,
};
use crate::model::format::{FIRST_VERSION, SECOND_VERSION};
use crate::model::pact::{Pact, PactId};
use crate::model::status::Status;

mod canonical;

mod recorded {
    //! `recorded` is written as RFC 3339 UTC with exactly six fractional
    //! digits, so that lines of one store all look alike.
    use chrono::{DateTime, SecondsFormat, Timelike, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        match crate::model::time::written(*t) {
            Some(text) => s.serialize_str(std::str::from_utf8(&text).expect("digits are ASCII")),
            // a year of more than four digits, or a leap second
            None => s.collect_str(&t.to_rfc3339_opts(SecondsFormat::Micros, true)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = super::Text::deserialize(d)?;
        if let Some(t) = super::written::time(text.as_bytes()) {
            return Ok(t);
        }
        let t = DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| serde::de::Error::custom(format!("recorded time '{}': {e}", &*text)))?;
        // pactlog records microseconds, and no leap second: a finer time
        // would compare otherwise than it is written back and shown
        if t.nanosecond() % 1000 != 0 || t.nanosecond() >= 1_000_000_000 {
            return Err(serde::de::Error::custom(format!(
                "recorded time '{}' is finer than a microsecond, or a leap second, \
                 which pactlog never records",
                &*text
            )));
        }
        Ok(t)
    }
}

mod on {
    //! `on` is an effective date in its canonical EDTF form (`YYYY-MM-DD`,
    //! `YYYY-MM` or `YYYY`, perhaps followed by `?` or `~`): read by the
    //! parser that reads every date a person gives, so that a line holds no
    //! date that `append --on` would refuse.
    use serde::{Deserialize, Deserializer};

    use crate::model::date::EffectiveDate;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<EffectiveDate>, D::Error> {
        let text = super::Text::deserialize(d)?;
        EffectiveDate::parse(&text).map(Some).map_err(|why| {
            serde::de::Error::custom(format!("invalid date '{}': {}", &*text, why.0))
        })
    }
}

mod written {
    //! Reading recorded times in exactly the layout pactlog writes them,
    //! which is what nearly every line holds: a quick path that builds them
    //! with chrono's constructors. Any other spelling (or an impossible day
    //! or time) returns `None`, and chrono's own parser then reads it or says
    //! what is wrong, so the path changes what is accepted in nothing.
    use chrono::{DateTime, NaiveTime, Utc};

    use crate::model::date::{digits as number, ymd};

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the form of `recorded`.
    pub fn time(text: &[u8]) -> Option<DateTime<Utc>> {
        let [
            _,
            _,
            _,
            _,
            _,
            _,
            _,
            _,
            _,
            _,
            b'T',
            _,
            _,
            b':',
            _,
            _,
            b':',
            _,
            _,
            b'.',
            _,
            _,
            _,
            _,
            _,
            _,
            b'Z',
        ] = text
        else {
            return None;
        };
        let day = ymd(&text[..10])?;
        let time = NaiveTime::from_hms_micro_opt(
            number(&text[11..13])?,
            number(&text[14..16])?,
            number(&text[17..19])?,
            number(&text[20..26])?,
        )?;
        Some(day.and_time(time).and_utc())
    }
}

// A hash is written as 64 lowercase hex digits.
impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.to_hex(&mut [0; 64]))
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        Hash::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("a hash must be 64 lowercase hex digits"))
    }
}

/// Text read from a line: borrowed from it when it holds no escapes, so
/// that reading a stream copies no text it does not keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text<'a>(Cow<'a, str>);

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Record<'a> {
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    add_aliases: Option<Cow<'a, [String]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remove_aliases: Option<Cow<'a, [String]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    add_parties: Option<Cow<'a, [String]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remove_parties: Option<Cow<'a, [String]>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pact_kind: Option<Text<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    description: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    #[serde(
        default,
        deserialize_with = "on::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    on: Option<EffectiveDate>,
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
    amends: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    official: Option<bool>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    reason: Option<Text<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    relinked: Option<Hash>,
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

/// Whether `line` ends with a `crc` member that matches the rest of it: the
/// line was written whole, whatever it says. A torn write cannot leave one.
pub(crate) fn sealed_whole(line: &[u8]) -> bool {
    let Some(body_len) = line.len().checked_sub(CRC_SUFFIX_LEN) else {
        return false;
    };
    let (body, suffix) = line.split_at(body_len);
    let Some(hex) = suffix
        .strip_prefix(CRC_KEY.as_bytes())
        .and_then(|rest| rest.strip_suffix(b"\"}"))
        .and_then(|hex| std::str::from_utf8(hex).ok())
    else {
        return false;
    };
    lower_hex(hex, 8) && u32::from_str_radix(hex, 16).is_ok_and(|crc| Crc::of(body) == Crc(crc))
}

impl Serialize for Crc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:08x}", self.0))
    }
}

impl<'de> Deserialize<'de> for Crc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        lower_hex(&text, 8)
            .then(|| u32::from_str_radix(&text, 16).ok())
            .flatten()
            .map(Crc)
            .ok_or_else(|| serde::de::Error::custom("a crc must be 8 lowercase hex digits"))
    }
}

/// Whether `line` is one of the markers git leaves around the two sides of
/// a conflict it could not merge: seven `<`, `|`, `=` or `>`, alone or
/// followed by a space and a name.
fn merge_marker(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    [b'<', b'|', b'=', b'>'].iter().any(|&mark| {
        line.len() >= 7
            && line[..7].iter().all(|&b| b == mark)
            && (line.len() == 7 || line[7] == b' ')
    })
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
            add_aliases: None,
            remove_aliases: None,
            add_parties: None,
            remove_parties: None,
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
            amends: None,
            target: None,
            official: None,
            reason: None,
            relinked: event.relinked,
            prev: event.prev,
            crc: None,
        }
    }

    fn from_event(event: &'a Event) -> Self {
        let mut r = Record::empty(event);
        r.v = match event.relinked {
            Some(_) => FORMAT_VERSION,
            None => version(&event.body),
        };
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
                r.parties = (!s.parties.is_empty()).then_some(Cow::Borrowed(&s.parties));
                r.amends = s.amends;
            }
            EventBody::Note(n) => {
                r.on = Some(n.on);
                r.text = Some(Text::from(n.text.as_str()));
                r.source = n.source.as_deref().map(Text::from);
                r.url = n.url.as_deref().map(Text::from);
                r.parties = (!n.parties.is_empty()).then_some(Cow::Borrowed(&n.parties));
                r.amends = n.amends;
            }
            EventBody::Retraction(x) => {
                r.target = Some(x.target);
                r.reason = Some(Text::from(x.reason.as_str()));
            }
            EventBody::Edited(e) => {
                let list = |l: &'a Vec<String>| (!l.is_empty()).then_some(Cow::Borrowed(&l[..]));
                r.name = e.name.as_deref().map(Text::from);
                r.add_aliases = list(&e.add_aliases);
                r.remove_aliases = list(&e.remove_aliases);
                r.add_parties = list(&e.add_parties);
                r.remove_parties = list(&e.remove_parties);
                r.pact_kind = e.kind.as_deref().map(Text::from);
                r.description = e.description.as_deref().map(Text::from);
                r.source = e.source.as_deref().map(Text::from);
                r.url = e.url.as_deref().map(Text::from);
            }
            EventBody::Citation(c) => {
                r.target = Some(c.target);
                r.source = Some(Text::from(c.source.as_str()));
                r.url = c.url.as_deref().map(Text::from);
                r.official = Some(c.official);
            }
        }
        r
    }

    /// Reads a line (without its LF) as a record, checking all that can be
    /// checked of one line alone: JSON, version, checksum, and that the
    /// kind has its fields and no others.
    ///
    /// # Errors
    ///
    /// [`StreamProblem::FutureVersion`] for a line of a newer format,
    /// [`StreamProblem::ChecksumMismatch`] for a line whose `crc` does not
    /// match, [`StreamProblem::Malformed`] for anything else that is not an
    /// event.
    #[inline]
    pub(crate) fn parse(line: &'a [u8]) -> Result<Record<'a>, StreamProblem> {
        let text = Record::text(line)?;
        // (a record is some 500 bytes: it is moved as little as can be)
        let record = match canonical::record(text) {
            Some(record) => Record::laid_out(text, record),
            None => Record::general(line, text)?,
        };
        record.check(line)?;
        Ok(record)
    }

    /// Reads a line as [`Record::parse`] does, and hands the record to
    /// `then` where it was read, to learn what is asked of it without
    /// moving it.
    ///
    /// # Errors
    ///
    /// As [`Record::parse`].
    #[inline]
    pub(crate) fn inspect<T>(
        line: &'a [u8],
        then: impl FnOnce(&Record<'a>) -> T,
    ) -> Result<T, StreamProblem> {
        let text = Record::text(line)?;
        match canonical::record(text) {
            Some(ref record) => {
                record.check(line)?;
                Ok(then(Record::laid_out(text, record)))
            }
            None => {
                let record = Record::general(line, text)?;
                record.check(line)?;
                Ok(then(&record))
            }
        }
    }

    /// The line's text: one pass checks the whole line's UTF-8, so that
    /// no string need be checked again.
    fn text(line: &'a [u8]) -> Result<&'a str, StreamProblem> {
        std::str::from_utf8(line).map_err(|e| {
            let at = e.valid_up_to() + 1;
            let why = format!("the line is not valid UTF-8 (column {at})");
            unreadable(line, why)
        })
    }

    /// `record`, read from `text` laid out as pactlog writes lines; debug
    /// builds read it in general too and check that it reads alike.
    #[inline]
    fn laid_out<R: std::borrow::Borrow<Record<'a>>>(text: &str, record: R) -> R {
        debug_assert!(
            serde_json::from_str::<Record>(text).is_ok_and(|slow| &slow == record.borrow()),
            "a line read as pactlog writes it reads alike in general: {text}"
        );
        record
    }

    /// Reads `text`, the line `line`, as any JSON.
    #[cold]
    fn general(line: &'a [u8], text: &'a str) -> Result<Record<'a>, StreamProblem> {
        serde_json::from_str::<Record>(text).map_err(|e| unreadable(line, json_error(&e)))
    }

    /// Checks what can be checked of the line `self` was read from alone:
    /// its version, its checksum and the fields of its kind.
    fn check(&self, line: &[u8]) -> Result<(), StreamProblem> {
        match self.v {
            FIRST_VERSION..=FORMAT_VERSION => {
                check_crc(line, self.crc)?;
                self.check_fields().map_err(StreamProblem::Malformed)?;
                self.check_version().map_err(StreamProblem::Malformed)
            }
            v if v > FORMAT_VERSION => Err(StreamProblem::FutureVersion { found: v }),
            v => Err(StreamProblem::Malformed(format!(
                "unknown format version {v}"
            ))),
        }
    }

    /// The line's seq, as written.
    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }

    /// The pact id the line names, as written.
    pub(crate) fn pact(&self) -> &str {
        &self.pact
    }

    /// For a line a merge re-linked, the hash of the line as it was on the
    /// branch it came from.
    pub(crate) fn relinked(&self) -> Option<Hash> {
        self.relinked
    }

    /// Checks that the kind's required fields are present, and no field of
    /// another kind.
    fn check_fields(&self) -> Result<(), String> {
        // one bit per kind-specific field, in the order of `FIELDS`
        let present = [
            self.name.is_some(),
            self.aliases.is_some(),
            self.parties.is_some(),
            self.add_aliases.is_some(),
            self.remove_aliases.is_some(),
            self.add_parties.is_some(),
            self.remove_parties.is_some(),
            self.pact_kind.is_some(),
            self.description.is_some(),
            self.status.is_some(),
            self.on.is_some(),
            self.text.is_some(),
            self.source.is_some(),
            self.url.is_some(),
            self.note.is_some(),
            self.reported.is_some(),
            self.forced.is_some(),
            self.amends.is_some(),
            self.target.is_some(),
            self.official.is_some(),
            self.reason.is_some(),
        ]
        .iter()
        .enumerate()
        .fold(0_u32, |mask, (bit, &there)| {
            mask | (u32::from(there) << bit)
        });
        let (allowed, required) = match self.kind {
            Kind::Registered => (
                const {
                    fields(&[
                        "name",
                        "aliases",
                        "parties",
                        "pact_kind",
                        "description",
                        "source",
                        "url",
                    ])
                },
                const { fields(&["name"]) },
            ),
            Kind::Status => (
                const {
                    fields(&[
                        "status", "on", "source", "url", "note", "reported", "forced", "parties",
                        "amends",
                    ])
                },
                const { fields(&["status", "on"]) },
            ),
            Kind::Note => (
                const { fields(&["on", "text", "source", "url", "parties", "amends"]) },
                const { fields(&["on", "text"]) },
            ),
            Kind::Retraction => (
                const { fields(&["target", "reason"]) },
                const { fields(&["target", "reason"]) },
            ),
            Kind::Citation => (
                const { fields(&["target", "source", "url", "official"]) },
                const { fields(&["target", "source", "official"]) },
            ),
            Kind::Edited => (
                const {
                    fields(&[
                        "name",
                        "add_aliases",
                        "remove_aliases",
                        "add_parties",
                        "remove_parties",
                        "pact_kind",
                        "description",
                        "source",
                        "url",
                    ])
                },
                0,
            ),
        };
        let first = |mask: u32| FIELDS[mask.trailing_zeros() as usize];
        if present & !allowed != 0 {
            return Err(format!(
                "field '{}' does not belong on a {} event",
                first(present & !allowed),
                self.kind
            ));
        }
        if required & !present != 0 {
            return Err(format!("missing field '{}'", first(required & !present)));
        }
        if self.kind == Kind::Edited {
            let lists = [
                ("add_aliases", &self.add_aliases),
                ("remove_aliases", &self.remove_aliases),
                ("add_parties", &self.add_parties),
                ("remove_parties", &self.remove_parties),
            ];
            if let Some((field, _)) = lists
                .iter()
                .find(|(_, l)| l.as_deref().is_some_and(<[_]>::is_empty))
            {
                return Err(format!(
                    "field '{field}' is empty: leave it out when nothing is"
                ));
            }
            if present == 0 {
                return Err("the edit changes nothing".into());
            }
        }
        // an event of the pact as a whole names no parties: none is not []
        if self.kind != Kind::Registered && self.parties.as_deref().is_some_and(<[_]>::is_empty) {
            return Err(format!(
                "field 'parties' is empty on a {} event: leave it out for the pact as a whole",
                self.kind
            ));
        }
        Ok(())
    }

    /// Checks that a line of an older version uses nothing newer: an older
    /// pactlog would misread it.
    fn check_version(&self) -> Result<(), String> {
        if self.relinked.is_some() && self.v < FORMAT_VERSION {
            return Err(format!(
                "'relinked' needs format version {FORMAT_VERSION}, and the line says {}",
                self.v
            ));
        }
        if self.v >= SECOND_VERSION {
            return Ok(());
        }
        let needs = SECOND_VERSION;
        if let Some(on) = self.on.filter(|on| !on.is_exact()) {
            return Err(format!(
                "the date '{on}' needs format version {needs}, and the line says {}",
                self.v
            ));
        }
        if self.parties.is_some() && self.kind != Kind::Registered {
            return Err(format!(
                "parties on a {} event need format version {needs}, and the line says {}",
                self.kind, self.v
            ));
        }
        if self.amends.is_some() {
            return Err(format!(
                "'amends' on a {} event needs format version {needs}, and the line says {}",
                self.kind, self.v
            ));
        }
        if matches!(self.kind, Kind::Citation | Kind::Edited) {
            return Err(format!(
                "an event of kind {} needs format version {needs}, and the line says {}",
                self.kind, self.v
            ));
        }
        if let Some(status) = self.status.filter(|s| !s.in_first_version()) {
            return Err(format!(
                "the status '{}' needs format version {needs}, and the line says {}",
                status.as_str(),
                self.v
            ));
        }
        Ok(())
    }

    /// Whether a status or note event names parties: it concerns them, not
    /// the pact as a whole.
    pub(crate) fn names_parties(&self) -> bool {
        self.kind != Kind::Registered && self.parties.is_some()
    }

    /// The status or note a status or note amends, if it is an amended
    /// copy.
    pub(crate) fn amends(&self) -> Option<Uuid> {
        self.amends
    }

    /// The parties the line names, as written: a registration's, the
    /// pact's parties; a status's or note's, those it concerns.
    pub(crate) fn party_list(&self) -> &[String] {
        self.parties.as_deref().unwrap_or_default()
    }

    /// A status's or note's source, as written.
    #[cfg(feature = "cli")]
    pub(crate) fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// A status's or note's link, as written.
    #[cfg(feature = "cli")]
    pub(crate) fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// A status's remark, or a note's text, as written.
    #[cfg(feature = "cli")]
    pub(crate) fn remark(&self) -> Option<&str> {
        match self.kind {
            Kind::Note => self.text.as_deref(),
            _ => self.note.as_deref(),
        }
    }

    /// Whether a status event has a note: a remark on the status.
    pub(crate) fn has_note(&self) -> bool {
        self.note.is_some()
    }

    /// An `edited` line's edit, its text copied.
    pub(crate) fn edit(&self) -> Edit {
        let list = |l: &Option<Cow<'_, [String]>>| l.as_deref().map(<[String]>::to_vec);
        Edit {
            name: self.name.as_deref().map(str::to_owned),
            add_aliases: list(&self.add_aliases).unwrap_or_default(),
            remove_aliases: list(&self.remove_aliases).unwrap_or_default(),
            add_parties: list(&self.add_parties).unwrap_or_default(),
            remove_parties: list(&self.remove_parties).unwrap_or_default(),
            kind: self.pact_kind.as_deref().map(str::to_owned),
            description: self.description.as_deref().map(str::to_owned),
            source: self.source.as_deref().map(str::to_owned),
            url: self.url.as_deref().map(str::to_owned),
        }
    }

    /// The registration's pact, with its text copied.
    pub(crate) fn registered_pact(&self, id: PactId) -> Result<Pact, String> {
        Ok(Pact {
            id,
            name: required(self.name.as_deref(), "name")?.to_owned(),
            aliases: self
                .aliases
                .as_deref()
                .map(<[String]>::to_vec)
                .unwrap_or_default(),
            parties: self
                .parties
                .as_deref()
                .map(<[String]>::to_vec)
                .unwrap_or_default(),
            kind: self.pact_kind.as_deref().map(str::to_owned),
            description: self.description.as_deref().map(str::to_owned),
            source: self.source.as_deref().map(str::to_owned),
            url: self.url.as_deref().map(str::to_owned),
        })
    }

    /// The event without its text. [`Record::parse`] has checked that the
    /// kind's fields are there.
    pub(crate) fn fact(&self) -> Result<Fact, String> {
        let what = match self.kind {
            Kind::Registered => What::Registered,
            Kind::Status => What::Status {
                status: required(self.status, "status")?,
                on: required(self.on, "on")?,
                forced: self.forced.unwrap_or(false),
                reported: self.reported.unwrap_or(false),
                of_parties: self.parties.is_some(),
            },
            Kind::Note => What::Note {
                on: required(self.on, "on")?,
            },
            Kind::Retraction => What::Retraction {
                target: required(self.target, "target")?,
            },
            Kind::Citation => What::Citation {
                target: required(self.target, "target")?,
                official: required(self.official, "official")?,
            },
            Kind::Edited => What::Edited,
        };
        Ok(Fact {
            seq: self.seq,
            id: self.id,
            recorded: self.recorded,
            prev: self.prev,
            what,
        })
    }

    /// The whole event, its text copied. [`Record::parse`] has checked that
    /// the kind's fields are there.
    pub(crate) fn to_event(&self) -> Result<Event, String> {
        let text = |text: &Option<Text<'_>>| text.as_deref().map(str::to_owned);
        let parties = || self.party_list().to_vec();
        let pact = PactId::parse(&self.pact).map_err(|e| e.to_string())?;
        let body = match self.kind {
            Kind::Registered => EventBody::Registered(self.registered_pact(pact.clone())?),
            Kind::Status => EventBody::Status(StatusChange {
                status: required(self.status, "status")?,
                on: required(self.on, "on")?,
                source: text(&self.source),
                url: text(&self.url),
                note: text(&self.note),
                reported: self.reported.unwrap_or(false),
                forced: self.forced.unwrap_or(false),
                parties: parties(),
                amends: self.amends,
            }),
            Kind::Note => EventBody::Note(Note {
                on: required(self.on, "on")?,
                text: required(text(&self.text), "text")?,
                source: text(&self.source),
                url: text(&self.url),
                parties: parties(),
                amends: self.amends,
            }),
            Kind::Retraction => EventBody::Retraction(Retraction {
                target: required(self.target, "target")?,
                reason: required(text(&self.reason), "reason")?,
            }),
            Kind::Edited => EventBody::Edited(self.edit()),
            Kind::Citation => EventBody::Citation(Citation {
                target: required(self.target, "target")?,
                source: required(text(&self.source), "source")?,
                url: text(&self.url),
                official: required(self.official, "official")?,
            }),
        };
        Ok(Event {
            pact,
            seq: self.seq,
            id: self.id,
            recorded: self.recorded,
            body,
            prev: self.prev,
            relinked: self.relinked,
        })
    }
}

/// The format version a line of `body` is written in: the first, unless it
/// uses a date form or a status that came later. (A line a merge re-linked
/// is in the newest.)
fn version(body: &EventBody) -> u64 {
    let newer = match body {
        EventBody::Status(s) => {
            !s.on.is_exact()
                || !s.status.in_first_version()
                || !s.parties.is_empty()
                || s.amends.is_some()
        }
        EventBody::Note(n) => !n.on.is_exact() || !n.parties.is_empty() || n.amends.is_some(),
        EventBody::Citation(_) | EventBody::Edited(_) => true,
        EventBody::Registered(_) | EventBody::Retraction(_) => false,
    };
    if newer { SECOND_VERSION } else { FIRST_VERSION }
}

/// The kind-specific fields, in the order they are written.
const FIELDS: [&str; 21] = [
    "name",
    "aliases",
    "parties",
    "add_aliases",
    "remove_aliases",
    "add_parties",
    "remove_parties",
    "pact_kind",
    "description",
    "status",
    "on",
    "text",
    "source",
    "url",
    "note",
    "reported",
    "forced",
    "amends",
    "target",
    "official",
    "reason",
];

/// The mask of the named fields, one bit each in the order of [`FIELDS`]:
/// computed when compiled.
const fn fields(names: &[&str]) -> u32 {
    let mut mask = 0;
    let mut i = 0;
    while i < names.len() {
        let mut bit = 0;
        while !same(FIELDS[bit], names[i]) {
            bit += 1;
        }
        mask |= 1 << bit;
        i += 1;
    }
    mask
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
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
        seal_in_place(out, start);
    }

    /// Reads one line (without its LF).
    ///
    /// # Errors
    ///
    /// [`StreamProblem::FutureVersion`] for a line of a newer format,
    /// [`StreamProblem::Malformed`] for anything else that is not an event.
    pub fn from_line(line: &[u8]) -> Result<Event, StreamProblem> {
        Record::parse(line)?
            .to_event()
            .map_err(StreamProblem::Malformed)
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
/// let line = pactlog::log::codec::seal(r#"{"v":1}"#);
/// // the CRC-32 (IEEE) of `{"v":1}`
/// assert_eq!(line, r#"{"v":1,"crc":"84dbe73d"}"#);
/// ```
pub fn seal(object: &str) -> String {
    let mut line = object.as_bytes().to_vec();
    seal_in_place(&mut line, 0);
    String::from_utf8(line).expect("the object was text, and the member is ASCII")
}

/// [`seal`], on the object that `out[start..]` holds.
fn seal_in_place(out: &mut Vec<u8>, start: usize) {
    if out.last() == Some(&b'}') {
        out.pop();
    }
    let crc = Crc::of(&out[start..]);
    write!(out, "{CRC_KEY}{:08x}\"}}", crc.0).expect("writing to memory cannot fail");
}

/// The line `line` (without its LF), an event line a reader took, re-linked
/// by a merge into line `seq` of another stream, after a line whose hash is
/// `prev`: the same bytes but for its `v` (the newest version), `seq`,
/// `prev`, the `relinked` member that gives the hash of `line` (added
/// before `prev`, or replaced) and the `crc` that seals it all. Its id,
/// recorded time and every other member are kept as they were written,
/// byte for byte and in their order.
///
/// ```
/// use pactlog::Hash;
/// use pactlog::log::codec::{relink, seal};
///
/// let line = seal(r#"{"v":1,"pact":"p","seq":2,"id":"x","prev":"aa"}"#);
/// let prev = Hash::of(b"the line before");
/// let relinked = relink(line.as_bytes(), 5, prev).unwrap();
/// let expected = seal(&format!(
///     r#"{{"v":3,"pact":"p","seq":5,"id":"x","relinked":"{}","prev":"{prev}"}}"#,
///     Hash::of(line.as_bytes()),
/// ));
/// assert_eq!(relinked, expected.as_bytes());
/// ```
///
/// # Errors
///
/// [`StreamProblem::Malformed`] when `line` is not a JSON object sealed by
/// its `crc`, with a `v`, `seq` and `prev` (every line a reader takes is).
pub fn relink(line: &[u8], seq: u64, prev: Hash) -> Result<Vec<u8>, StreamProblem> {
    let malformed = |why: &str| StreamProblem::Malformed(format!("cannot re-link the line: {why}"));
    let body_len = line
        .len()
        .checked_sub(CRC_SUFFIX_LEN)
        .filter(|&len| line[len..].starts_with(CRC_KEY.as_bytes()))
        .ok_or_else(|| malformed("it does not end with its 'crc'"))?;
    let object = &line[..body_len];
    let members = members(object).ok_or_else(|| malformed("it is not a JSON object"))?;
    let find = |key: &str| members.iter().find(|m| m.key == key);
    let (Some(_), Some(_), Some(prev_member)) = (find("v"), find("seq"), find("prev")) else {
        return Err(malformed("it has no 'v', 'seq' or 'prev'"));
    };
    let hex = |hash: Hash| format!("\"{hash}\"");
    let mut out = Vec::with_capacity(line.len() + 80);
    let mut at = 0;
    let mut replaced = Vec::new();
    for member in &members {
        let value = match member.key.as_str() {
            "v" => FORMAT_VERSION.to_string(),
            "seq" => seq.to_string(),
            "prev" => hex(prev),
            "relinked" => hex(Hash::of(line)),
            _ => continue,
        };
        replaced.push((member.value.clone(), value));
    }
    if find("relinked").is_none() {
        let start = prev_member.start;
        let member = format!("\"relinked\":{},", hex(Hash::of(line)));
        replaced.push((start..start, member));
    }
    replaced.sort_by_key(|(range, _)| range.start);
    for (range, value) in replaced {
        out.extend_from_slice(&object[at..range.start]);
        out.extend_from_slice(value.as_bytes());
        at = range.end;
    }
    out.extend_from_slice(&object[at..]);
    out.push(b'}');
    seal_in_place(&mut out, 0);
    Ok(out)
}

/// One member of a JSON object, as [`members`] finds it.
struct Member {
    /// Its key, unescaped.
    key: String,
    /// Where the member begins: its key's opening quote.
    start: usize,
    /// Where its value lies.
    value: std::ops::Range<usize>,
}

/// The members of the JSON object `object` (given without its closing
/// brace), in order: a reader of the line has checked that it is one.
fn members(object: &[u8]) -> Option<Vec<Member>> {
    let space = |at: &mut usize| {
        while object.get(*at).is_some_and(u8::is_ascii_whitespace) {
            *at += 1;
        }
    };
    // the end of the string that begins at `at`
    let string_end = |mut at: usize| -> Option<usize> {
        at += 1;
        loop {
            match object.get(at)? {
                b'\\' => at += 2,
                b'"' => return Some(at + 1),
                _ => at += 1,
            }
        }
    };
    let mut at = 0;
    space(&mut at);
    if object.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    let mut members = Vec::new();
    loop {
        space(&mut at);
        if at >= object.len() {
            return Some(members);
        }
        if object[at] == b',' {
            at += 1;
            space(&mut at);
        }
        let start = at;
        if object.get(at) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(at)?;
        let key: String = serde_json::from_slice(&object[at..key_end]).ok()?;
        at = key_end;
        space(&mut at);
        if object.get(at) != Some(&b':') {
            return None;
        }
        at += 1;
        space(&mut at);
        let value_start = at;
        // a value: a string, or anything up to the next comma outside
        // strings and brackets
        let mut depth = 0_usize;
        while let Some(&b) = object.get(at) {
            match b {
                b'"' => {
                    at = string_end(at)?;
                    continue;
                }
                b'[' | b'{' => depth += 1,
                b']' | b'}' => depth = depth.checked_sub(1)?,
                b',' if depth == 0 => break,
                _ => {}
            }
            at += 1;
        }
        let mut value_end = at;
        while value_end > value_start && object[value_end - 1].is_ascii_whitespace() {
            value_end -= 1;
        }
        members.push(Member {
            key,
            start,
            value: value_start..value_end,
        });
    }
}

/// What is wrong with a line that does not read as a record at all, `why`
/// serde_json (or the UTF-8 check) said: a conflict git left, a line of a
/// newer format, or a malformed line.
#[cold]
fn unreadable(line: &[u8], why: String) -> StreamProblem {
    if merge_marker(line) {
        return StreamProblem::MergeConflict;
    }
    if let Ok(VersionProbe { v: Some(v) }) = serde_json::from_slice(line)
        && v > FORMAT_VERSION
    {
        return StreamProblem::FutureVersion { found: v };
    }
    StreamProblem::Malformed(why)
}

/// Checks that the line ends with its `crc` member and that the CRC matches
/// the rest of the line.
fn check_crc(line: &[u8], crc: Option<Crc>) -> Result<(), StreamProblem> {
    let Some(crc) = crc else {
        return Err(StreamProblem::Malformed("missing field 'crc'".into()));
    };
    if line.ends_with(b"\"}\r") {
        return Err(StreamProblem::CarriageReturn);
    }
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
                on: chrono::NaiveDate::from_ymd_opt(2016, 11, 23)
                    .unwrap()
                    .into(),
                source: Some("Yonhap \"quoted\"".into()),
                url: None,
                note: Some("line\nbreak and \u{1b} escape".into()),
                reported: false,
                forced: false,
                parties: Vec::new(),
                amends: None,
            }),
            prev: Some(Hash::of(b"previous line")),
            relinked: None,
        }
    }

    /// Whatever a person types within the limits, the line written stays
    /// one that readers take: no writer can make a stream unreadable.
    #[test]
    fn the_largest_registration_the_limits_allow_is_a_line_readers_take() {
        use crate::model::limits;
        // the widest characters JSON can be made to hold: a control
        // character is escaped to six bytes, and labels and URLs, which
        // refuse those, take four-byte characters
        let escaped = |n: usize| "\u{1}".repeat(n);
        let wide = |n: usize| "\u{1d54f}".repeat(n);
        let labels = |n: usize| -> Vec<String> {
            (0..n)
                .map(|i| format!("{i:03}{}", wide(limits::LABEL - 3)))
                .collect()
        };
        let pact = Pact {
            id: PactId::parse(&"p".repeat(64)).unwrap(),
            name: escaped(limits::NAME),
            aliases: labels(limits::ALIASES),
            parties: labels(limits::PARTIES),
            kind: Some(wide(limits::LABEL)),
            description: Some(escaped(limits::DESCRIPTION)),
            source: Some(escaped(limits::SOURCE)),
            url: Some(format!("https://{}", wide(limits::URL - 8))),
        };
        let pact = pact.validated().expect("every field is within its limit");
        pact.counted().expect("the labels are within their count");
        let mut event = status_event();
        event.pact = pact.id.clone();
        event.seq = 1;
        event.prev = None;
        event.body = EventBody::Registered(pact.clone());
        let line = event.to_line();
        assert!(
            line.len() <= crate::log::stream::MAX_LINE,
            "{} bytes",
            line.len()
        );
        assert_eq!(Event::from_line(line.as_bytes()).unwrap(), event);
        // one label more is refused before anything is written
        let mut more = pact.clone();
        more.aliases.push("one more".into());
        assert!(more.counted().is_err());
        let mut more = pact;
        more.parties.push("one more".into());
        assert!(more.counted().is_err());
    }

    #[test]
    fn git_conflict_markers_are_told_from_other_bad_lines() {
        for marker in [
            "<<<<<<< HEAD",
            "|||||||",
            "||||||| base",
            "=======",
            ">>>>>>> other",
        ] {
            let problem = Event::from_line(marker.as_bytes()).unwrap_err();
            assert_eq!(problem, StreamProblem::MergeConflict, "{marker}");
        }
        for other in ["<<<<<<<x", "<<<<<<", "======== ", "=======>", "{\"v\":1}"] {
            let problem = Event::from_line(other.as_bytes()).unwrap_err();
            assert!(
                matches!(problem, StreamProblem::Malformed(_)),
                "{other}: {problem:?}"
            );
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
            chrono::NaiveDate::from_ymd_opt(y, mo, d)
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
            let prev = const_hex::encode(event.prev.unwrap().to_bytes());
            assert!(line.contains(&format!("\"prev\":\"{prev}\",")), "{line}");
        }
    }

    #[test]
    fn every_shipped_line_is_written_back_byte_for_byte() {
        let shipped = [
            include_str!("../../events/gsomia.jsonl"),
            include_str!("../../events/jp-kr-three-materials.jsonl"),
            include_str!("../../events/jp-kr-white-list.jsonl"),
        ];
        for line in shipped.iter().flat_map(|file| file.lines()) {
            let event = Event::from_line(line.as_bytes()).unwrap();
            assert_eq!(event.to_line(), line);
        }
    }

    #[test]
    fn a_newer_format_version_is_named_not_dropped() {
        let line = status_event().to_line().replace("\"v\":1", "\"v\":4");
        assert_eq!(
            Event::from_line(line.as_bytes()),
            Err(StreamProblem::FutureVersion { found: 4 })
        );
        let line = line.replace("\"kind\":\"status\"", "\"kind\":\"hologram\"");
        assert_eq!(
            Event::from_line(line.as_bytes()),
            Err(StreamProblem::FutureVersion { found: 4 })
        );
    }

    #[test]
    fn a_relinked_line_keeps_every_byte_but_its_link_and_says_what_it_was() {
        let event = status_event();
        let line = event.to_line();
        let prev = Hash::of(b"the line before, here");
        let relinked = relink(line.as_bytes(), 9, prev).unwrap();
        let relinked = String::from_utf8(relinked).unwrap();
        // the same line but for its version, seq, link and mark
        let expected = edited(&line, "\"v\":1", "\"v\":3")
            .replace("\"seq\":2", "\"seq\":9")
            .replace(
                &format!("\"prev\":\"{}\"", event.prev.unwrap()),
                &format!(
                    "\"relinked\":\"{}\",\"prev\":\"{prev}\"",
                    Hash::of(line.as_bytes())
                ),
            );
        assert_eq!(relinked, edited(&expected, "", ""));
        let read = Event::from_line(relinked.as_bytes()).unwrap();
        assert_eq!(read.relinked, Some(Hash::of(line.as_bytes())));
        assert_eq!((read.seq, read.prev), (9, Some(prev)));
        assert_eq!(
            Event {
                seq: event.seq,
                prev: event.prev,
                relinked: None,
                ..read.clone()
            },
            event
        );
        // written back as it reads
        assert_eq!(read.to_line(), relinked);
        // re-linked again, its mark says what it was on the branch before
        let again = relink(relinked.as_bytes(), 4, Hash::of(b"x")).unwrap();
        let again = Event::from_line(&again).unwrap();
        assert_eq!(again.relinked, Some(Hash::of(relinked.as_bytes())));
        assert_eq!(again.body, event.body);
        // a line of another spelling keeps it: keys in another order,
        // spaces, another spelling of the same time
        let other = seal(&format!(
            "{{ \"pact\" : \"gsomia\", \"id\":\"{}\", \"v\":1, \"seq\" :2,\"kind\":\"note\",\
             \"recorded\":\"2026-11-29T14:00:00.123456+09:00\",\"on\":\"2016-11-23\",\
             \"text\":\"a, \\\"quoted\\\" [note]\",\"prev\":\"{}\"}}",
            event.id,
            event.prev.unwrap()
        ));
        let read = Event::from_line(other.as_bytes()).unwrap();
        let relinked = relink(other.as_bytes(), 3, prev).unwrap();
        let relinked = String::from_utf8(relinked).unwrap();
        assert!(
            relinked.starts_with("{ \"pact\" : \"gsomia\""),
            "{relinked}"
        );
        assert!(relinked.contains("\"v\":3, \"seq\" :3,"), "{relinked}");
        assert!(relinked.contains("+09:00"), "{relinked}");
        let again = Event::from_line(relinked.as_bytes()).unwrap();
        assert_eq!((again.body, again.recorded), (read.body, read.recorded));
    }

    #[test]
    fn a_relinked_mark_needs_the_third_version() {
        let line = status_event().to_line();
        let marked = edited(
            &line,
            "\"prev\"",
            &format!("\"relinked\":\"{}\",\"prev\"", Hash::of(b"x")),
        );
        for v in ["1", "2"] {
            let old = edited(&marked, "\"v\":1", &format!("\"v\":{v}"));
            match Event::from_line(old.as_bytes()) {
                Err(StreamProblem::Malformed(m)) => {
                    assert!(m.contains("'relinked' needs format version 3"), "{m}")
                }
                got => panic!("{v}: {got:?}"),
            }
        }
        let new = edited(&marked, "\"v\":1", "\"v\":3");
        assert!(Event::from_line(new.as_bytes()).is_ok());
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

    proptest::proptest! {
        /// A date in the layout pactlog writes reads as chrono's parser
        /// reads it, as lines were once read: the one grammar of dates
        /// refuses none that a command could have recorded.
        #[test]
        fn written_dates_read_as_chrono_reads_them(
            y in 0_u32..10_000, m in 0_u32..14, d in 0_u32..33,
        ) {
            let text = format!("{y:04}-{m:02}-{d:02}");
            let day = crate::model::time::parse_day(&text).ok();
            proptest::prop_assert_eq!(day, text.parse::<chrono::NaiveDate>().ok());
            proptest::prop_assert_eq!(crate::model::date::ymd(text.as_bytes()), day);
        }

        #[test]
        fn written_times_read_as_chrono_reads_them(
            day in 0_i32..3_000_000,
            h in 0_u32..26, mi in 0_u32..62, s in 0_u32..62, micros in 0_u32..1_000_000,
        ) {
            let date = chrono::NaiveDate::from_num_days_from_ce_opt(day).unwrap();
            let text = format!("{date}T{h:02}:{mi:02}:{s:02}.{micros:06}Z");
            let chrono = DateTime::parse_from_rfc3339(&text).ok().map(|t| t.with_timezone(&Utc));
            match written::time(text.as_bytes()) {
                Some(quick) => proptest::prop_assert_eq!(Some(quick), chrono),
                // a leap second, or no time at all: chrono decides
                None => proptest::prop_assert!(chrono.is_none() || s == 60),
            }
        }
    }

    #[test]
    fn a_recorded_time_in_another_rfc_3339_spelling_still_reads() {
        let line = status_event().to_line();
        let other = edited(
            &line,
            "2026-11-29T05:00:00.123456Z",
            "2026-11-29T14:00:00.123456+09:00",
        );
        let event = Event::from_line(other.as_bytes()).unwrap();
        assert_eq!(event.recorded, status_event().recorded);
        for finer in [
            "2026-11-29T05:00:00.1234567Z",
            "2026-11-29T05:00:00.123456001Z",
            "2026-11-29T05:00:60.123456Z",
        ] {
            let line = edited(&line, "2026-11-29T05:00:00.123456Z", finer);
            match Event::from_line(line.as_bytes()) {
                Err(StreamProblem::Malformed(m)) => assert!(m.contains("finer"), "{m}"),
                other => panic!("{finer}: {other:?}"),
            }
        }
        let bad = edited(&line, "2016-11-23", "2016-02-30");
        match Event::from_line(bad.as_bytes()) {
            Err(StreamProblem::Malformed(m)) => assert!(m.contains("2016-02-30"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_effective_date_reads_only_as_append_on_takes_it() {
        let line = status_event().to_line();
        for (other, reason) in [
            (
                "+10000-01-01",
                "not in the form YYYY-MM-DD, YYYY-MM or YYYY",
            ),
            ("-0001-01-01", "not in the form YYYY-MM-DD, YYYY-MM or YYYY"),
            ("2016-1-1", "not in the form YYYY-MM-DD, YYYY-MM or YYYY"),
            (" 2016-01-01", "not in the form YYYY-MM-DD, YYYY-MM or YYYY"),
            ("2016-01-01 ", "not in the form YYYY-MM-DD, YYYY-MM or YYYY"),
            ("2016-02-30", "there is no such day in the calendar"),
            ("2016-13", "there is no such month"),
            ("20161", "not in the form YYYY-MM-DD, YYYY-MM or YYYY"),
            (
                "2016?~",
                "one mark at most after a date: ? (the source is unsure) or ~ (approximately)",
            ),
        ] {
            let bad = edited(&line, "2016-11-23", other);
            match Event::from_line(bad.as_bytes()) {
                Err(StreamProblem::Malformed(m)) => assert!(
                    m.starts_with(&format!("invalid date '{other}': {reason} (column ")),
                    "{m}"
                ),
                got => panic!("{other}: {got:?}"),
            }
        }
        for year in ["0000", "0001", "9999"] {
            let good = edited(&line, "2016", year);
            assert!(Event::from_line(good.as_bytes()).is_ok(), "{year}");
        }
    }

    #[test]
    fn a_line_is_written_in_the_first_version_unless_it_needs_the_second() {
        let mut event = status_event();
        assert!(event.to_line().starts_with("{\"v\":1,"));
        let EventBody::Status(change) = &mut event.body else {
            unreachable!()
        };
        change.on = EffectiveDate::parse("2016-11").unwrap();
        let line = event.to_line();
        assert!(line.starts_with("{\"v\":2,"), "{line}");
        assert!(line.contains("\"on\":\"2016-11\""), "{line}");
        assert_eq!(Event::from_line(line.as_bytes()).unwrap(), event);
        // an amended copy names the event it amends, after `forced`
        let mut copy = status_event();
        let EventBody::Status(change) = &mut copy.body else {
            unreachable!()
        };
        change.amends = Some(Uuid::from_u128(7));
        let line = copy.to_line();
        assert!(line.starts_with("{\"v\":2,"), "{line}");
        assert!(
            line.contains(
                "\"forced\":false,\"amends\":\"00000000-0000-0000-0000-000000000007\",\"prev\""
            ),
            "{line}"
        );
        assert_eq!(Event::from_line(line.as_bytes()).unwrap(), copy);
        // a first-version line that holds what only the second knows is
        // refused: an older pactlog would misread it
        for (field, from, to) in [
            ("date", "\"on\":\"2016-11-23\"", "\"on\":\"2016?\""),
            (
                "status",
                "\"status\":\"in_force\"",
                "\"status\":\"ratified\"",
            ),
            (
                "amends",
                "\"forced\":false,",
                "\"forced\":false,\"amends\":\"0193a0c4-1f00-7000-8000-000000000000\",",
            ),
        ] {
            let old = edited(&status_event().to_line(), from, to);
            match Event::from_line(old.as_bytes()) {
                Err(StreamProblem::Malformed(m)) => {
                    assert!(m.contains("needs format version 2"), "{field}: {m}")
                }
                got => panic!("{field}: {got:?}"),
            }
        }
    }
}
