//! The columnar layout of a summary's status events ([`Steps`]): how it
//! is made, written, read back and checked, and what an answer reads of it.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::model::date::EffectiveDate;
use crate::model::status::Status;

/// A summary's status events, in timeline order, as four columns of
/// little-endian numbers: every effective date's earliest day (days from
/// 0001-01-01, an `i32`), then every status (a byte: its place in
/// [`Status::ALL`], with [`REPORTED`] set when it is known only from reports
/// and [`FORCED`] when it was recorded with `--force`), then every date's
/// precision and qualifier (a byte: [`EffectiveDate::code`]); and apart
/// from them, every recording time (microseconds since 1970, UTC, an
/// `i64`), which only a question as of a time asks for ([`Times`]).
///
/// Nothing is decoded when the cache is loaded but a check that each
/// status byte names a status; an answer bisects the dates and reads the
/// few steps it needs where they lie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Steps<'a> {
    /// The dates, statuses and date codes.
    pub(super) bytes: Cow<'a, [u8]>,
    /// The recording times.
    pub(super) times: Times<'a>,
    /// How many steps there are.
    pub(super) len: usize,
}

/// A summary's recording times: kept in the cache file apart from the
/// rest of its summary, in parts of their own, so that a `list` that asks
/// nothing as of a time reads none of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Times<'a> {
    /// The times, 8 bytes each.
    Here(Cow<'a, [u8]>),
    /// Not read yet: they begin `at` bytes into the cache file's times
    /// part `part`.
    Elsewhere { part: usize, at: usize },
}

/// One step, as the tests make one.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Step {
    /// The effective date, in days from 0001-01-01.
    pub(super) on: i32,
    /// Its precision and qualifier.
    pub(super) date: u8,
    pub(super) status: Status,
    /// Known only from reports.
    pub(super) reported: bool,
    /// Recorded with `--force`.
    pub(super) forced: bool,
    /// When it was recorded, in microseconds since 1970 (UTC).
    pub(super) recorded: i64,
}

/// The bit of a step's status byte that says it is known only from reports.
pub(super) const REPORTED: u8 = 0x80;
/// The bit of a step's status byte that says it was recorded with `--force`.
pub(super) const FORCED: u8 = 0x40;

/// The bytes of one step but its time: its date, status and date code.
pub(super) const STEP: usize = 4 + 1 + 1;

/// The bytes of one step's recording time.
pub(super) const TIME: usize = 8;

impl Steps<'_> {
    /// `steps`, in their order.
    #[cfg(test)]
    pub(super) fn of<'s>(steps: impl ExactSizeIterator<Item = &'s Step> + Clone) -> Steps<'static> {
        let len = steps.len();
        let mut bytes = Vec::with_capacity(len * STEP);
        bytes.extend(steps.clone().flat_map(|s| s.on.to_le_bytes()));
        bytes.extend(steps.clone().map(|s| {
            let mark = |flag: bool, bit: u8| if flag { bit } else { 0 };
            s.status as u8 | mark(s.reported, REPORTED) | mark(s.forced, FORCED)
        }));
        bytes.extend(steps.clone().map(|s| s.date));
        let times = steps.flat_map(|s| s.recorded.to_le_bytes()).collect();
        Steps {
            bytes: Cow::Owned(bytes),
            times: Times::Here(Cow::Owned(times)),
            len,
        }
    }

    /// The steps held in `bytes`, if they are whole steps whose statuses
    /// all name one.
    fn checked(bytes: Cow<'_, [u8]>) -> Option<Steps<'_>> {
        if !bytes.len().is_multiple_of(STEP) {
            return None;
        }
        let len = bytes.len() / STEP;
        let statuses = &bytes[4 * len..5 * len];
        let dates = &bytes[5 * len..6 * len];
        let days: &[[u8; 4]] = bytes[..4 * len].as_chunks().0;
        // every day is a date's; a date known to the day (as nearly all
        // are) is one for any day, so only the others are made, to see
        // that the day begins their month or year
        let (first, last) = (NaiveDate::MIN, NaiveDate::MAX);
        let span = first.num_days_from_ce()..=last.num_days_from_ce();
        // every step is looked at, with no early exit, so that the checks
        // run on whole vectors of steps: a summary is checked each time it
        // is decoded
        let named = statuses.iter().fold(true, |ok, &b| {
            ok & (usize::from(b & !(REPORTED | FORCED)) < Status::ALL.len())
        });
        let to_the_day = days.iter().zip(dates).fold(true, |ok, (d, &code)| {
            let day = i32::from_le_bytes(*d);
            ok & (*span.start() <= day) & (day <= *span.end()) & EffectiveDate::is_to_the_day(code)
        });
        let whole = named
            && (to_the_day
                || days.iter().zip(dates).all(|(d, &code)| {
                    let day = i32::from_le_bytes(*d);
                    span.contains(&day)
                        && (EffectiveDate::is_to_the_day(code)
                            || NaiveDate::from_num_days_from_ce_opt(day)
                                .and_then(|d| EffectiveDate::from_code(d, code))
                                .is_some())
                }));
        // where the times are is set as the summary is read from its part
        let times = Times::Elsewhere { part: 0, at: 0 };
        whole.then_some(Steps { bytes, times, len })
    }

    /// Every effective date, in days from 0001-01-01.
    fn days(&self) -> &[[u8; 4]] {
        self.bytes[..4 * self.len].as_chunks().0
    }

    /// How many steps are effective by `day` (days from 0001-01-01): the
    /// steps are in date order, so these are the first ones.
    pub(super) fn effective_by(&self, day: i32) -> usize {
        self.days()
            .partition_point(|d| i32::from_le_bytes(*d) <= day)
    }

    /// The effective date of step `i`, in days from 0001-01-01.
    pub(super) fn day(&self, i: usize) -> i32 {
        i32::from_le_bytes(self.days()[i])
    }

    /// The status of step `i`.
    pub(super) fn status(&self, i: usize) -> Status {
        // checked when the steps were made or read
        Status::ALL[usize::from(self.bytes[4 * self.len + i] & !(REPORTED | FORCED))]
    }

    /// Whether step `i` is known only from reports.
    pub(super) fn reported(&self, i: usize) -> bool {
        self.bytes[4 * self.len + i] & REPORTED != 0
    }

    /// Whether step `i` was recorded with `--force`.
    pub(super) fn forced(&self, i: usize) -> bool {
        self.bytes[4 * self.len + i] & FORCED != 0
    }

    /// The effective date of step `i`, as precise as it is known.
    pub(super) fn date(&self, i: usize) -> EffectiveDate {
        let day = NaiveDate::from_num_days_from_ce_opt(self.day(i)).unwrap_or(NaiveDate::MIN);
        // checked when the steps were made or read
        EffectiveDate::from_code(day, self.bytes[5 * self.len + i]).unwrap_or(day.into())
    }

    /// When step `i` was recorded, in microseconds since 1970 (UTC).
    ///
    /// # Panics
    ///
    /// If the times of a summary read from the cache file were not read
    /// ([`super::Cache::read_times`]) before a question as of a time.
    pub(super) fn recorded(&self, i: usize) -> i64 {
        let Times::Here(times) = &self.times else {
            panic!("a cached summary's times asked for before they were read");
        };
        let times: &[[u8; TIME]] = times.as_chunks().0;
        i64::from_le_bytes(times[i])
    }

    /// The bytes of the recording times, if they are here.
    pub(super) fn times(&self) -> Option<&[u8]> {
        match &self.times {
            Times::Here(times) => Some(times),
            Times::Elsewhere { .. } => None,
        }
    }
}

impl Serialize for Steps<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.bytes)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Steps<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Steps<'a>, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = Cow<'de, [u8]>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the bytes of whole steps")
            }

            fn visit_borrowed_bytes<E>(self, bytes: &'de [u8]) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(bytes))
            }

            fn visit_bytes<E>(self, bytes: &[u8]) -> Result<Self::Value, E> {
                Ok(Cow::Owned(bytes.to_vec()))
            }
        }
        let bytes = d.deserialize_bytes(Bytes)?;
        Steps::checked(bytes).ok_or_else(|| serde::de::Error::custom("steps that are not whole"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_stored_as_its_place_in_the_list_of_all() {
        for (place, status) in Status::ALL.into_iter().enumerate() {
            assert_eq!(status as usize, place, "{status}");
        }
    }

    #[test]
    fn steps_that_are_not_whole_or_name_no_status_are_refused() {
        let step = |on, status, reported, recorded| Step {
            on,
            date: 0,
            status,
            reported,
            forced: !reported,
            recorded,
        };
        let steps = Steps::of(
            [
                step(1, Status::InForce, false, 2),
                step(3, Status::Expired, true, 4),
            ]
            .iter(),
        );
        let bytes = steps.bytes.to_vec();
        assert!(Steps::checked(Cow::Borrowed(&bytes)).is_some());
        assert!(Steps::checked(Cow::Borrowed(&bytes[1..])).is_none());
        let mut unknown = bytes.clone();
        unknown[2 * 4 + 1] = Status::ALL.len() as u8 | REPORTED | FORCED;
        assert!(Steps::checked(Cow::Borrowed(&unknown)).is_none());
        // each date's day and code: (day of the second step, its code)
        let with = |day: i32, code: u8| {
            let mut bytes = bytes.clone();
            bytes[4..8].copy_from_slice(&day.to_le_bytes());
            bytes[2 * 4 + 2 + 1] = code;
            Steps::checked(Cow::Owned(bytes)).is_some()
        };
        let first_of_2020 = NaiveDate::from_ymd_opt(2020, 1, 1)
            .unwrap()
            .num_days_from_ce();
        let month = EffectiveDate::parse("2020-01").unwrap().code();
        let year = EffectiveDate::parse("2020~").unwrap().code();
        let uncertain = EffectiveDate::parse("2020-01-05?").unwrap().code();
        assert!(with(first_of_2020, month) && with(first_of_2020, year));
        assert!(with(first_of_2020 + 4, 0) && with(first_of_2020 + 4, uncertain));
        assert!(
            !with(first_of_2020 + 4, month),
            "a month that begins mid-month"
        );
        assert!(
            !with(first_of_2020 + 31, year),
            "a year that begins in February"
        );
        assert!(
            !with(first_of_2020, 3) && !with(first_of_2020, 3 << 2),
            "no such code"
        );
        assert!(
            !with(NaiveDate::MAX.num_days_from_ce() + 1, 0),
            "past the last date"
        );
        assert!(
            !with(NaiveDate::MIN.num_days_from_ce() - 1, 0),
            "before the first"
        );
        assert!(with(NaiveDate::MAX.num_days_from_ce(), 0));
    }
}
