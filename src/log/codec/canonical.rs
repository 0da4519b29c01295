//! Reading a line laid out exactly as pactlog writes it, without serde_json's
//! general parser: every member in the fixed order of [`Record`], no space
//! between tokens, no escape in any string. Nearly every line of a store is
//! in that layout, and about two fifths of the time spent checking a stream
//! went to the general parser finding its way through it.
//!
//! Anything else (a member out of order, a space, an escape, a value that
//! is not of its member's type) gives `None`, and serde_json then reads the
//! line or says what is wrong with it. Each string is read by the very
//! `Deserialize` code serde_json would call for it, and numbers, booleans,
//! `null` and lists only in the one spelling JSON gives each (anything
//! else is left to serde_json), so this path changes nothing in what a
//! line may hold or what it means; debug builds read every line both ways
//! and compare.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::value::BorrowedStrDeserializer;

use super::{Record, on, recorded};

/// A member's key as it follows the one before it.
macro_rules! key {
    ($name:literal) => {
        concat!(",\"", $name, "\":").as_bytes()
    };
}

/// The record `line` holds, if it is laid out as pactlog writes lines.
pub(super) fn record(line: &str) -> Option<Record<'_>> {
    // With no backslash and no control character anywhere, every string
    // ends at the next quote: one pass over whole vectors of bytes.
    let plain = line
        .bytes()
        .fold(true, |plain, b| plain & (b >= 0x20) & (b != b'\\'));
    if !plain {
        return None;
    }
    let mut at = Cursor { line, at: 0 };
    at.expect(b"{\"v\":")?;
    let v = at.number()?;
    at.expect(key!("pact"))?;
    let pact = at.value()?;
    at.expect(key!("seq"))?;
    let seq = at.number()?;
    at.expect(key!("id"))?;
    let id = at.value()?;
    at.expect(key!("kind"))?;
    let kind = at.value()?;
    at.expect(key!("recorded"))?;
    let recorded = recorded::deserialize(at.string()?).ok()?;
    let name = at.optional(key!("name"), Cursor::value)?;
    let aliases = at.optional(key!("aliases"), Cursor::strings)?;
    let parties = at.optional(key!("parties"), Cursor::strings)?;
    let add_aliases = at.optional(key!("add_aliases"), Cursor::strings)?;
    let remove_aliases = at.optional(key!("remove_aliases"), Cursor::strings)?;
    let add_parties = at.optional(key!("add_parties"), Cursor::strings)?;
    let remove_parties = at.optional(key!("remove_parties"), Cursor::strings)?;
    let pact_kind = at.optional(key!("pact_kind"), Cursor::value)?;
    let description = at.optional(key!("description"), Cursor::value)?;
    let status = at.optional(key!("status"), Cursor::value)?;
    let on = at
        .optional(key!("on"), |at| on::deserialize(at.string()?).ok())?
        .flatten();
    let text = at.optional(key!("text"), Cursor::value)?;
    let source = at.optional(key!("source"), Cursor::value)?;
    let url = at.optional(key!("url"), Cursor::value)?;
    let note = at.optional(key!("note"), Cursor::value)?;
    let reported = at.optional(key!("reported"), Cursor::boolean)?;
    let forced = at.optional(key!("forced"), Cursor::boolean)?;
    let amends = at.optional(key!("amends"), Cursor::value)?;
    let target = at.optional(key!("target"), Cursor::value)?;
    let official = at.optional(key!("official"), Cursor::boolean)?;
    let reason = at.optional(key!("reason"), Cursor::value)?;
    let relinked = at.optional(key!("relinked"), Cursor::value)?;
    // the one optional member written as `null` when absent
    let prev = at
        .optional(key!("prev"), |at| match at.expect(b"null") {
            Some(()) => Some(None),
            None => at.value().map(Some),
        })?
        .flatten();
    let crc = at.optional(key!("crc"), Cursor::value)?;
    // (made where it is returned, not moved there: it is some 500 bytes)
    if at.rest() != b"}" {
        return None;
    }
    Some(Record {
        v,
        pact,
        seq,
        id,
        kind,
        recorded,
        name,
        aliases,
        parties,
        add_aliases,
        remove_aliases,
        add_parties,
        remove_parties,
        pact_kind,
        description,
        status,
        on,
        text,
        source,
        url,
        note,
        reported,
        forced,
        amends,
        target,
        official,
        reason,
        relinked,
        prev,
        crc,
    })
}

/// A place in a line that holds no backslash and no control character.
struct Cursor<'a> {
    line: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a [u8] {
        &self.line.as_bytes()[self.at..]
    }

    /// Steps over `token`, if it comes next.
    #[inline(always)]
    fn expect(&mut self, token: &[u8]) -> Option<()> {
        self.rest()
            .starts_with(token)
            .then(|| self.at += token.len())
    }

    /// The value `read` reads after `key`, if `key` comes next: `Some(None)`
    /// when it does not, `None` when its value is not what `read` takes.
    #[inline(always)]
    fn optional<T>(
        &mut self,
        key: &[u8],
        read: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.expect(key) {
            Some(()) => read(self).map(Some),
            None => Some(None),
        }
    }

    /// A string, ready for a `Deserialize` that reads one: serde_json hands
    /// such a value to it as this hands it, borrowed from the line.
    fn string(&mut self) -> Option<BorrowedStrDeserializer<'a, serde_json::Error>> {
        self.expect(b"\"")?;
        let len = memchr::memchr(b'"', self.rest())?;
        let text = &self.line[self.at..self.at + len];
        self.at += len + 1;
        Some(BorrowedStrDeserializer::new(text))
    }

    /// A value written as a string, read by its own `Deserialize`.
    fn value<T: Deserialize<'a>>(&mut self) -> Option<T> {
        T::deserialize(self.string()?).ok()
    }

    /// A list of strings, which serde_json reads into an owned list.
    fn strings(&mut self) -> Option<Cow<'a, [String]>> {
        self.expect(b"[")?;
        let mut items = Vec::new();
        if self.expect(b"]").is_some() {
            return Some(items.into());
        }
        loop {
            items.push(self.value::<String>()?);
            if self.expect(b"]").is_some() {
                return Some(items.into());
            }
            self.expect(b",")?;
        }
    }

    fn boolean(&mut self) -> Option<bool> {
        if self.expect(b"true").is_some() {
            return Some(true);
        }
        self.expect(b"false").map(|()| false)
    }

    /// An unsigned integer as JSON writes one: no sign, no leading zero, no
    /// fraction or exponent (the member after it must follow), within u64.
    fn number(&mut self) -> Option<u64> {
        let rest = self.rest();
        let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let digits = &rest[..len];
        if digits.is_empty() || (digits[0] == b'0' && len > 1) {
            return None;
        }
        let value = digits.iter().try_fold(0_u64, |value, &digit| {
            value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
        })?;
        self.at += len;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::codec::seal;

    /// Lines with every member somewhere: the shipped record, and lines of
    /// what it lacks (lists, parties, a re-linked line).
    fn lines() -> Vec<String> {
        let shipped = [
            include_str!("../../../events/gsomia.jsonl"),
            include_str!("../../../events/jp-kr-three-materials.jsonl"),
            include_str!("../../../events/jp-kr-white-list.jsonl"),
            include_str!("../../../events/kr-jp-white-list.jsonl"),
            include_str!("../../../events/wto-ds590.jsonl"),
        ];
        let id = "\"id\":\"01a2424c-d9ec-7343-a0bc-6f17b6a14ecc\"";
        let at = "\"recorded\":\"2026-12-04T18:24:22.507835Z\"";
        let prev = "\"prev\":\"7c7cb48dd19ec442683d37d9bc5207e5578dac0b5503e1688323d9441661d10a\"";
        let built = [
            format!(
                "{{\"v\":2,\"pact\":\"p\",\"seq\":1,{id},\"kind\":\"registered\",{at},\
                 \"name\":\"Pact é “x”\",\"aliases\":[\"a\",\"b=c\"],\"parties\":[\"KR\",\"JP\"],\
                 \"pact_kind\":\"treaty\",\"description\":\"d\",\"source\":\"s\",\
                 \"url\":\"https://example.org/\",\"prev\":null}}"
            ),
            format!(
                "{{\"v\":2,\"pact\":\"p\",\"seq\":2,{id},\"kind\":\"status\",{at},\
                 \"parties\":[\"KR\"],\"status\":\"withdrawn\",\"on\":\"2019-11~\",\
                 \"note\":\"n\",\"reported\":true,\"forced\":true,\
                 \"amends\":\"01a2424c-d9ec-7343-a0bc-6f17b6a14ecd\",{prev}}}"
            ),
            format!(
                "{{\"v\":2,\"pact\":\"p\",\"seq\":3,{id},\"kind\":\"edited\",{at},\
                 \"name\":\"n\",\"add_aliases\":[\"x\"],\"remove_aliases\":[\"a\"],\
                 \"add_parties\":[\"US\"],\"remove_parties\":[\"JP\"],{prev}}}"
            ),
            format!(
                "{{\"v\":3,\"pact\":\"p\",\"seq\":4,{id},\"kind\":\"citation\",{at},\
                 \"source\":\"s\",\"target\":\"01a2424c-d9ec-7343-a0bc-6f17b6a14ecd\",\
                 \"official\":false,\"relinked\":\"{}\",{prev}}}",
                "0".repeat(64)
            ),
        ];
        let mut lines: Vec<String> = shipped
            .iter()
            .flat_map(|file| file.lines())
            .map(String::from)
            .collect();
        lines.extend(built.iter().map(|object| seal(object)));
        lines
    }

    fn general(line: &str) -> Option<Record<'_>> {
        serde_json::from_str(line).ok()
    }

    #[test]
    fn every_line_as_pactlog_writes_it_reads_as_serde_json_reads_it() {
        let mut escaped = 0;
        for line in lines() {
            // and the whole check passes, either way
            Record::parse(line.as_bytes()).unwrap();
            if line.contains('\\') {
                // a text with a quote in it: serde_json reads what it means
                assert!(record(&line).is_none(), "{line}");
                escaped += 1;
                continue;
            }
            let read = record(&line).unwrap_or_else(|| panic!("not read: {line}"));
            assert_eq!(Some(read), general(&line), "{line}");
        }
        assert!(escaped > 0);
    }

    #[test]
    fn a_line_of_another_layout_is_left_to_serde_json() {
        let line = lines().pop().unwrap();
        let others = [
            line.replacen("\"seq\":4", "\"seq\": 4", 1),
            line.replacen("\"source\":\"s\"", "\"source\":\"\\u0073\"", 1),
            line.replacen(",\"official\":false", "", 1).replacen(
                "\"target\"",
                "\"official\":false,\"target\"",
                1,
            ),
            line.replacen("\"prev\":\"", "\"pact_kind\":null,\"prev\":\"", 1),
            format!("{line} "),
        ];
        for other in &others {
            assert!(record(other).is_none(), "{other}");
            // every one of them is JSON serde_json reads into the same record
            assert!(general(other).is_some(), "{other}");
        }
        // what JSON does not allow is left to serde_json to say so
        let bad = [
            line.replacen("\"seq\":4", "\"seq\":04", 1),
            line.replacen("\"seq\":4", "\"seq\":4.0", 1),
            line.replacen("\"seq\":4", "\"seq\":18446744073709551616", 1),
            line.replacen("\"source\":\"s\"", "\"source\":\"\u{1}\"", 1),
            line.replacen("\"official\":false", "\"official\":False", 1),
            line.replacen("\"kind\":\"citation\"", "\"kind\":\"Citation\"", 1),
        ];
        for other in &bad {
            assert!(record(other).is_none(), "{other}");
            assert!(general(other).is_none(), "{other}");
        }
    }

    /// Whatever a changed byte makes of a line, this path reads it only as
    /// serde_json would, or leaves it to serde_json.
    #[test]
    fn no_changed_byte_makes_the_two_readers_differ() {
        let mut read_alike = 0;
        let lines = lines();
        let some = lines.iter().step_by(9).chain(lines.iter().rev().take(4));
        for line in some {
            for at in 0..line.len() {
                let bytes = line.as_bytes();
                let mut changed: Vec<Vec<u8>> = b"\"\\,:}]{[ 0179aefnlu\x01"
                    .iter()
                    .map(|&b| [&bytes[..at], &[b], &bytes[at + 1..]].concat())
                    .collect();
                changed.push([&bytes[..at], &bytes[at + 1..]].concat());
                changed.push([&bytes[..at], b"0", &bytes[at..]].concat());
                for other in changed.iter().filter_map(|b| std::str::from_utf8(b).ok()) {
                    if let Some(fast) = record(other) {
                        assert_eq!(Some(fast), general(other), "{other}");
                        read_alike += 1;
                    }
                }
            }
        }
        // the changes that leave a line pactlog could have written: a digit
        // of a hash or of a number, a letter of a text
        assert!(read_alike > 1000, "{read_alike}");
    }
}
