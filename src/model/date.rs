//! Effective dates (valid time) as sources give them: to the day, or only
//! to the month or the year, and perhaps unsure (`?`) or approximate (`~`).
//!
//! An effective date is written in EDTF (ISO 8601-2) reduced precision —
//! `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, optionally followed by `?` or `~` —
//! and denotes the days from its earliest to its latest: `2004` is
//! 2004-01-01 to 2004-12-31. It is stored in its canonical form, exactly as
//! [`EffectiveDate`]'s `Display` writes it. The `edtf-core` crate parses
//! and bounds the forms; this module keeps to the subset above.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use edtf_core::{Bound, Edtf, Precision as EdtfPrecision};

/// How much of an effective date is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// The day.
    Day,
    /// The month, not the day.
    Month,
    /// The year only.
    Year,
}

/// What a source says of its own date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `?`: the source is unsure of it.
    Uncertain,
    /// `~`: the date is approximate.
    Approximate,
}

/// The date a status took effect, or a note is about: a day, a month or a
/// year, perhaps qualified.
///
/// ```
/// use pactlog::model::date::{EffectiveDate, Precision};
/// let year = EffectiveDate::parse("2004").unwrap();
/// assert_eq!(year.precision(), Precision::Year);
/// assert_eq!(year.earliest().to_string(), "2004-01-01");
/// assert_eq!(year.latest().to_string(), "2004-12-31");
/// assert_eq!(EffectiveDate::parse("2019-07~").unwrap().to_string(), "2019-07~");
/// assert!(EffectiveDate::parse("2019-02-30").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EffectiveDate {
    earliest: NaiveDate,
    precision: Precision,
    qualifier: Option<Qualifier>,
}

/// Why a text is not an effective date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotADate(pub &'static str);

impl EffectiveDate {
    /// An exact day.
    pub fn day(day: NaiveDate) -> EffectiveDate {
        EffectiveDate {
            earliest: day,
            precision: Precision::Day,
            qualifier: None,
        }
    }

    /// The date `earliest` known to `precision`, qualified or not; `None`
    /// when `earliest` is not the first day of its month or year.
    pub fn new(
        earliest: NaiveDate,
        precision: Precision,
        qualifier: Option<Qualifier>,
    ) -> Option<EffectiveDate> {
        let first = match precision {
            Precision::Day => true,
            Precision::Month => earliest.day() == 1,
            Precision::Year => earliest.ordinal() == 1,
        };
        first.then_some(EffectiveDate {
            earliest,
            precision,
            qualifier,
        })
    }

    /// Parses an effective date in its canonical form, as a stream line
    /// holds it and as a person types it (once trimmed).
    ///
    /// # Errors
    ///
    /// [`NotADate`] saying what is wrong: a form outside the subset, a
    /// month or day that does not exist.
    pub fn parse(text: &str) -> Result<EffectiveDate, NotADate> {
        // the common form, read without the general parser
        if text.len() == 10
            && let Some(day) = ymd(text.as_bytes())
        {
            return Ok(EffectiveDate::day(day));
        }
        let shape = text.trim_end_matches(['?', '~', '%']);
        let well_shaped = matches!(shape.len(), 4 | 7 | 10)
            && shape.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !well_shaped {
            return Err(NotADate("not in the form YYYY-MM-DD, YYYY-MM or YYYY"));
        }
        if text.ends_with('%') || text.len() > shape.len() + 1 {
            return Err(NotADate(
                "one mark at most after a date: ? (the source is unsure) or ~ (approximately)",
            ));
        }
        let Ok(Edtf::Date(date)) = Edtf::parse(text) else {
            return Err(NotADate(match shape.len() {
                10 => "there is no such day in the calendar",
                _ => "there is no such month",
            }));
        };
        let precision = match date.precision() {
            EdtfPrecision::Day => Precision::Day,
            EdtfPrecision::Month => Precision::Month,
            EdtfPrecision::Year => Precision::Year,
            EdtfPrecision::Season => return Err(NotADate("there is no such month")),
        };
        let qualifier = match (date.is_uncertain(), date.is_approximate()) {
            (false, false) => None,
            (true, false) => Some(Qualifier::Uncertain),
            (false, true) => Some(Qualifier::Approximate),
            (true, true) => return Err(NotADate("one qualifier at most")),
        };
        let Bound::Date(first) = date_bounds(&date) else {
            return Err(NotADate("a year this pactlog cannot place"));
        };
        let earliest = NaiveDate::from_ymd_opt(
            i32::try_from(first.year).map_err(|_| NotADate("a year out of range"))?,
            first.month.into(),
            first.day.into(),
        )
        .ok_or(NotADate("no such day"))?;
        let date = EffectiveDate {
            earliest,
            precision,
            qualifier,
        };
        // a whole date is qualified, never a part of it
        match date.to_string() == text {
            true => Ok(date),
            false => Err(NotADate("not in canonical form")),
        }
    }

    /// The first day it may be.
    pub fn earliest(&self) -> NaiveDate {
        self.earliest
    }

    /// The last day it may be.
    pub fn latest(&self) -> NaiveDate {
        let last_of_month = |d: NaiveDate| {
            let next = d
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(NaiveDate::MAX);
            next.pred_opt().unwrap_or(d)
        };
        match self.precision {
            Precision::Day => self.earliest,
            Precision::Month => last_of_month(self.earliest),
            Precision::Year => {
                NaiveDate::from_ymd_opt(self.earliest.year(), 12, 31).unwrap_or(self.earliest)
            }
        }
    }

    /// How much of it is known.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Whether the source is unsure (`?`) or it is approximate (`~`).
    pub fn qualifier(&self) -> Option<Qualifier> {
        self.qualifier
    }

    /// Whether it is one day, unqualified: what format version 1 holds.
    pub fn is_exact(&self) -> bool {
        self.precision == Precision::Day && self.qualifier.is_none()
    }

    /// The date after a preposition, as a sentence says it: "on
    /// 2019-08-23" for a day, "in 2004" or "in 2019-07~" otherwise.
    pub fn on_or_in(&self) -> String {
        match self.precision {
            Precision::Day if self.qualifier.is_none() => format!("on {self}"),
            _ => format!("in {self}"),
        }
    }

    /// Whether it begins after `day`: a scheduled change, when `day` is
    /// today.
    pub fn is_after(&self, day: NaiveDate) -> bool {
        self.earliest > day
    }

    /// Whether `day` is on or after its earliest day and on or before its
    /// latest: the date may be that day.
    pub fn may_be(&self, day: NaiveDate) -> bool {
        self.earliest <= day && day <= self.latest()
    }

    /// Its precision and qualifier in one byte, for the compact forms that
    /// keep the earliest day beside it.
    pub fn code(&self) -> u8 {
        let precision = match self.precision {
            Precision::Day => 0,
            Precision::Month => 1,
            Precision::Year => 2,
        };
        let qualifier = match self.qualifier {
            None => 0,
            Some(Qualifier::Uncertain) => 1,
            Some(Qualifier::Approximate) => 2,
        };
        precision | qualifier << 2
    }

    /// The date whose earliest day and [`code`](Self::code) these are;
    /// `None` for a code no date has, or a day that does not begin the
    /// month or year it names.
    pub fn from_code(earliest: NaiveDate, code: u8) -> Option<EffectiveDate> {
        let (precision, qualifier) = EffectiveDate::decoded(code)?;
        EffectiveDate::new(earliest, precision, qualifier)
    }

    /// Whether `code` is that of a date known to the day, which
    /// [`EffectiveDate::from_code`] makes of any day.
    pub(crate) fn is_to_the_day(code: u8) -> bool {
        EffectiveDate::decoded(code).is_some_and(|(precision, _)| precision == Precision::Day)
    }

    /// The precision and qualifier a [`code`](Self::code) says; `None` for
    /// a code no date has.
    fn decoded(code: u8) -> Option<(Precision, Option<Qualifier>)> {
        let precision = match code & 3 {
            0 => Precision::Day,
            1 => Precision::Month,
            2 => Precision::Year,
            _ => return None,
        };
        let qualifier = match code >> 2 {
            0 => None,
            1 => Some(Qualifier::Uncertain),
            2 => Some(Qualifier::Approximate),
            _ => return None,
        };
        Some((precision, qualifier))
    }

    /// The date in words for a sentence, as precise as it is: "on
    /// 2019-08-23", "in July 2019", "in 2004"; then ", uncertain" or ",
    /// approximately".
    pub fn words(&self) -> String {
        let mut words = match self.precision {
            Precision::Day => format!("on {}", self.earliest.format("%Y-%m-%d")),
            Precision::Month => format!("in {}", self.earliest.format("%B %Y")),
            Precision::Year => format!("in {}", self.earliest.format("%Y")),
        };
        match self.precision {
            Precision::Day => {}
            Precision::Month => words.push_str(", day unknown"),
            Precision::Year => words.push_str(", month and day unknown"),
        }
        match self.qualifier {
            None => {}
            Some(Qualifier::Uncertain) => words.push_str(" (the source is unsure)"),
            Some(Qualifier::Approximate) => words.push_str(" (approximately)"),
        }
        words
    }
}

/// The one grammar of an effective date, wherever one comes from (a flag, a
/// CSV cell, a stream line): exactly `YYYY-MM-DD`, a year of four ASCII
/// digits and a month and day of two, naming a day of the calendar; or why
/// `text` is not one.
pub(crate) fn day(text: &[u8]) -> Result<NaiveDate, &'static str> {
    let (year, month, day) = ymd_digits(text).ok_or("not in the form YYYY-MM-DD")?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or("there is no such day in the calendar")
}

/// The year, month and day of exactly `YYYY-MM-DD` (ASCII digits), not yet
/// checked against the calendar.
fn ymd_digits(text: &[u8]) -> Option<(i32, u32, u32)> {
    let [_, _, _, _, b'-', _, _, b'-', _, _] = text else {
        return None;
    };
    let year = i32::try_from(digits(&text[..4])?).ok()?;
    Some((year, digits(&text[5..7])?, digits(&text[8..])?))
}

/// The day that exactly `YYYY-MM-DD` names, if it is one: the date part of
/// a recorded time as pactlog writes it.
pub(crate) fn ymd(text: &[u8]) -> Option<NaiveDate> {
    day(text).ok()
}

/// The number `text` writes, when it is all ASCII digits.
pub(crate) fn digits(text: &[u8]) -> Option<u32> {
    text.iter().try_fold(0_u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// The earliest day of a parsed date.
fn date_bounds(date: &edtf_core::Date) -> Bound {
    Edtf::Date(*date).bounds().earliest
}

impl fmt::Display for NotADate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for NotADate {}

impl std::str::FromStr for EffectiveDate {
    type Err = NotADate;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EffectiveDate::parse(text)
    }
}

impl From<NaiveDate> for EffectiveDate {
    fn from(day: NaiveDate) -> Self {
        EffectiveDate::day(day)
    }
}

/// Writes `value` into `text` as decimal digits, as many as `text` is
/// long, padded with zeros: how dates and recorded times are written, with
/// no formatting machinery (every line written and every row exported
/// writes some).
pub(crate) fn put_digits(text: &mut [u8], mut value: u32) {
    for digit in text.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

impl EffectiveDate {
    /// The canonical form, written into `text` when its year has four
    /// digits, as nearly every one has (without chrono's formatting
    /// machinery: every line written and every row read, to check that a
    /// date is written as it is stored, comes here); `None` for a year
    /// outside 0 to 9999.
    fn text(self, text: &mut [u8; 11]) -> Option<&str> {
        let day = self.earliest;
        if !(0..=9999).contains(&day.year()) {
            return None;
        }
        *text = *b"0000-00-00?";
        put_digits(&mut text[..4], day.year().unsigned_abs());
        put_digits(&mut text[5..7], day.month());
        put_digits(&mut text[8..10], day.day());
        let len = match self.precision {
            Precision::Day => 10,
            Precision::Month => 7,
            Precision::Year => 4,
        };
        let qualifier = self.qualifier_text();
        text[len..len + qualifier.len()].copy_from_slice(qualifier.as_bytes());
        let text = &text[..len + qualifier.len()];
        Some(std::str::from_utf8(text).expect("digits, - and the qualifier are ASCII"))
    }

    /// The qualifier as written after a date.
    fn qualifier_text(self) -> &'static str {
        match self.qualifier {
            None => "",
            Some(Qualifier::Uncertain) => "?",
            Some(Qualifier::Approximate) => "~",
        }
    }
}

impl fmt::Display for EffectiveDate {
    /// The canonical form, as stored: `2019-08-23`, `2019-07`, `2004?`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = self.text(&mut [0; 11]) {
            return f.pad(text);
        }
        // a year of other than four digits, as `%Y` writes it
        let day = self.earliest;
        let text = match self.precision {
            Precision::Day => day.format("%Y-%m-%d"),
            Precision::Month => day.format("%Y-%m"),
            Precision::Year => day.format("%Y"),
        };
        f.pad(&format!("{text}{}", self.qualifier_text()))
    }
}

impl serde::Serialize for EffectiveDate {
    /// As shown, written as one string rather than through the
    /// formatting machinery: every row of a table's JSON has a date or two.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.text(&mut [0; 11]) {
            Some(text) => s.serialize_str(text),
            None => s.collect_str(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_written_in_its_canonical_form_and_pads() {
        let shown = |text: &str| format!("[{:<12}]", EffectiveDate::parse(text).unwrap());
        assert_eq!(shown("0987-06-05"), "[0987-06-05  ]");
        assert_eq!(shown("2019-07~"), "[2019-07~    ]");
        assert_eq!(shown("2004?"), "[2004?       ]");
        assert_eq!(shown("9999-12-31"), "[9999-12-31  ]");
        assert_eq!(shown("0001-01?"), "[0001-01?    ]");
        assert_eq!(shown("1900-02-28~"), "[1900-02-28~ ]");
    }

    #[test]
    fn a_date_is_serialized_as_it_is_shown() {
        let days = [
            NaiveDate::from_ymd_opt(2019, 8, 23).unwrap(),
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(-5, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(12345, 1, 1).unwrap(),
        ];
        for day in days {
            for code in 0..=10 {
                let Some(date) = EffectiveDate::from_code(day, code) else {
                    continue;
                };
                let json = serde_json::to_string(&date).unwrap();
                assert_eq!(json, format!("\"{date}\""), "{day} {code}");
                assert!(!json.contains('\\'), "{json}");
            }
        }
        let date = EffectiveDate::day(NaiveDate::from_ymd_opt(12345, 1, 1).unwrap());
        assert_eq!(date.to_string(), "+12345-01-01");
    }

    fn parsed(text: &str) -> Result<String, &'static str> {
        EffectiveDate::parse(text)
            .map(|d| format!("{d} {} {}", d.earliest(), d.latest()))
            .map_err(|e| e.0)
    }

    #[test]
    fn each_form_denotes_its_days_and_writes_back_as_read() {
        for (text, expected) in [
            ("2019-08-23", "2019-08-23 2019-08-23 2019-08-23"),
            ("2019-07", "2019-07 2019-07-01 2019-07-31"),
            ("2004", "2004 2004-01-01 2004-12-31"),
            ("2020-02", "2020-02 2020-02-01 2020-02-29"),
            ("2019-08-23?", "2019-08-23? 2019-08-23 2019-08-23"),
            ("2019-07~", "2019-07~ 2019-07-01 2019-07-31"),
            ("2004?", "2004? 2004-01-01 2004-12-31"),
        ] {
            assert_eq!(parsed(text).as_deref(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn what_is_not_a_date_of_the_subset_is_refused() {
        for text in [
            "2019-13",
            "2019-02-30",
            "20191",
            "2019-7",
            "2019-00",
            "2019-07-00",
            "2019%",
            "2019?~",
            "2019??",
            "201X",
            "2019-21",
            "?2019",
            "2019-07?-01",
            "",
            "Y20000",
            "2019/2020",
            " 2019",
            "2019-07-01T00:00",
        ] {
            assert!(parsed(text).is_err(), "{text}");
        }
    }

    #[test]
    fn the_code_keeps_precision_and_qualifier() {
        for text in [
            "2019-08-23",
            "2019-07",
            "2004",
            "2004?",
            "2019-07~",
            "2019-08-23?",
        ] {
            let date = EffectiveDate::parse(text).unwrap();
            assert_eq!(
                EffectiveDate::from_code(date.earliest(), date.code()),
                Some(date)
            );
        }
        let mid_year = NaiveDate::from_ymd_opt(2004, 3, 1).unwrap();
        assert_eq!(EffectiveDate::from_code(mid_year, 2), None);
        assert_eq!(EffectiveDate::from_code(mid_year, 3), None);
    }

    #[test]
    fn words_say_how_much_is_known() {
        let words = |t: &str| EffectiveDate::parse(t).unwrap().words();
        assert_eq!(words("2019-08-23"), "on 2019-08-23");
        assert_eq!(words("2019-07"), "in July 2019, day unknown");
        assert_eq!(words("2004"), "in 2004, month and day unknown");
        assert_eq!(
            words("2004~"),
            "in 2004, month and day unknown (approximately)"
        );
    }
}
