//! Dates and times as people type them on the command line: effective
//! dates (valid time) and the recorded times that `--as-of` takes
//! (transaction time).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

use crate::model::date::{EffectiveDate, day, put_digits};
use crate::model::error::Error;

const DATE_FORMS: &str = "a date as YYYY-MM-DD (e.g. 2019-08-23) or 'today'";
const DAY_FORM: &str = "a date as YYYY-MM-DD (e.g. 2019-08-23)";
const EFFECTIVE_FORMS: &str = "a date as YYYY-MM-DD or 'today', or YYYY-MM or YYYY when only \
     that is known, perhaps followed by ? (unsure) or ~ (approximate): 2019-08-23, 2019-07, 2004~";

/// Parses an effective date: `YYYY-MM-DD` or `today`.
///
/// ```
/// use chrono::NaiveDate;
/// let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
/// assert_eq!(pactlog::model::time::parse_date("today", today).unwrap(), today);
/// assert_eq!(
///     pactlog::model::time::parse_date("2019-08-23", today).unwrap(),
///     NaiveDate::from_ymd_opt(2019, 8, 23).unwrap()
/// );
/// assert!(pactlog::model::time::parse_date("2019-02-30", today).is_err());
/// ```
///
/// # Errors
///
/// [`Error::InvalidTime`] saying whether the text is not shaped like a date
/// or names a day that does not exist.
pub fn parse_date(input: &str, today: NaiveDate) -> Result<NaiveDate, Error> {
    let text = input.trim();
    if text.eq_ignore_ascii_case("today") {
        return Ok(today);
    }
    day(text.as_bytes()).map_err(|reason| Error::InvalidTime {
        what: "date",
        input: input.to_owned(),
        reason: reason.to_owned(),
        expected: DATE_FORMS,
    })
}

/// Parses the effective date of an event as a person gives it: a day
/// (`YYYY-MM-DD` or `today`), or a month (`YYYY-MM`) or year (`YYYY`) when
/// only that is known, each perhaps followed by `?` (the source is unsure)
/// or `~` (approximately). Spaces around it are ignored.
///
/// ```
/// use chrono::NaiveDate;
/// use pactlog::model::time::parse_effective;
/// let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
/// assert_eq!(parse_effective(" 2004 ", today).unwrap().to_string(), "2004");
/// assert_eq!(parse_effective("today", today).unwrap().to_string(), "2026-11-29");
/// assert!(parse_effective("2019-13", today).is_err());
/// ```
///
/// # Errors
///
/// [`Error::InvalidTime`] saying what is wrong and naming the forms taken.
pub fn parse_effective(input: &str, today: NaiveDate) -> Result<EffectiveDate, Error> {
    let text = input.trim();
    if text.eq_ignore_ascii_case("today") {
        return Ok(EffectiveDate::day(today));
    }
    EffectiveDate::parse(text).map_err(|why| Error::InvalidTime {
        what: "date",
        input: input.to_owned(),
        reason: why.0.to_owned(),
        expected: EFFECTIVE_FORMS,
    })
}

/// Parses an effective date exactly as a stream line holds it: `YYYY-MM-DD`
/// with nothing around it. It is the date [`parse_date`] takes once what a
/// person typed is trimmed, so that every date a store holds is one that
/// `append --on` takes and `export --csv` writes back the same.
///
/// ```
/// use chrono::NaiveDate;
/// assert_eq!(
///     pactlog::model::time::parse_day("2019-08-23").unwrap(),
///     NaiveDate::from_ymd_opt(2019, 8, 23).unwrap()
/// );
/// for other in ["+10000-01-01", "-0001-01-01", "2016-1-1", " 2016-01-01", "2019-02-30"] {
///     assert!(pactlog::model::time::parse_day(other).is_err(), "{other}");
/// }
/// ```
///
/// # Errors
///
/// [`Error::InvalidTime`] saying whether the text is not shaped like a date
/// or names a day that does not exist.
pub fn parse_day(text: &str) -> Result<NaiveDate, Error> {
    day(text.as_bytes()).map_err(|reason| Error::InvalidTime {
        what: "date",
        input: text.to_owned(),
        reason: reason.to_owned(),
        expected: DAY_FORM,
    })
}

const WHEN_FORMS: &str = "an RFC 3339 time such as 2026-02-05T09:30:00Z, \
    or a date as YYYY-MM-DD (meaning the end of that day, UTC)";

/// A recorded time to replay as of, with the text it was given as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsOf {
    /// What the user typed, echoed in text for people.
    pub input: String,
    /// The instant: events recorded at or before it count.
    pub at: DateTime<Utc>,
}

impl AsOf {
    /// The instant as JSON gives it: RFC 3339 in UTC with microseconds,
    /// like every recorded time, whatever form the user typed.
    pub fn instant(&self) -> String {
        shown(self.at)
    }
}

/// A recorded time as pactlog shows it, in text and JSON alike: RFC 3339
/// in UTC with six fractional digits, as stream lines hold it.
pub fn shown(t: DateTime<Utc>) -> String {
    match written(t) {
        Some(text) => std::str::from_utf8(&text)
            .expect("digits are ASCII")
            .to_owned(),
        None => t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    }
}

/// What [`shown`] writes of `t`, written without chrono's formatting
/// machinery (every line written and every row of an export comes here):
/// none for a year of more than four digits or a leap second, which
/// chrono writes.
pub(crate) fn written(t: DateTime<Utc>) -> Option<[u8; 27]> {
    use chrono::Datelike;
    let (year, nanos) = (t.year(), t.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    put_digits(&mut text[..4], year.unsigned_abs());
    put_digits(&mut text[5..7], t.month());
    put_digits(&mut text[8..10], t.day());
    put_digits(&mut text[11..13], t.hour());
    put_digits(&mut text[14..16], t.minute());
    put_digits(&mut text[17..19], t.second());
    put_digits(&mut text[20..26], nanos / 1000);
    Some(text)
}

/// Parses a WHEN: an RFC 3339 timestamp, or a date (`YYYY-MM-DD` or
/// `today`), which means the end of that day, UTC.
///
/// ```
/// let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
/// let when = pactlog::model::time::parse_when("2020-01-01", today).unwrap();
/// assert_eq!(when.at.to_rfc3339(), "2020-01-01T23:59:59.999999+00:00");
/// let when = pactlog::model::time::parse_when("2020-01-01T09:00:00+09:00", today).unwrap();
/// assert_eq!(when.at.to_rfc3339(), "2020-01-01T00:00:00+00:00");
/// ```
///
/// # Errors
///
/// [`Error::InvalidTime`] naming the accepted forms.
pub fn parse_when(input: &str, today: NaiveDate) -> Result<AsOf, Error> {
    let text = input.trim();
    let at = if text.len() > 10 {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                // a time of day with no zone says nothing of which day's
                // hour it is: the most common slip, so said plainly
                let zoneless = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                    .iter()
                    .any(|form| NaiveDateTime::parse_from_str(text, form).is_ok());
                let reason = if zoneless {
                    "it has no time zone: end it with Z for UTC, or with an offset such as +09:00"
                        .to_owned()
                } else {
                    e.to_string()
                };
                Error::InvalidTime {
                    what: "time",
                    input: input.to_owned(),
                    reason,
                    expected: WHEN_FORMS,
                }
            })?
    } else {
        let date = parse_date(text, today).map_err(|_| Error::InvalidTime {
            what: "time",
            input: input.to_owned(),
            reason: "neither an RFC 3339 time nor a date".into(),
            expected: WHEN_FORMS,
        })?;
        let end = NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).expect("a valid time");
        date.and_time(end).and_utc()
    };
    Ok(AsOf {
        input: text.to_owned(),
        // to the microsecond, as recorded times are, so that every answer
        // compares the same instant with them, however it compares them
        at: to_recorded(at),
    })
}

/// Truncates a time to what a line stores: microseconds. A leap second
/// (which chrono keeps as a second that runs past its end, and which no
/// line holds) becomes the last microsecond of its second.
pub fn to_recorded(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.nanosecond().min(999_999_999);
    t.with_nanosecond(nanos / 1000 * 1000).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_shown_as_chrono_writes_it() {
        let micros = [
            0,
            1,
            1_480_000_000_123_456,
            253_402_300_799_999_999,
            253_402_300_800_000_000,
            -1,
            -62_167_219_200_000_000,
            -62_167_219_200_000_001,
        ];
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .map(|t| t.and_utc());
        let times = micros
            .iter()
            .filter_map(|&m| DateTime::from_timestamp_micros(m))
            .chain(leap);
        for t in times {
            let chrono = t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            assert_eq!(shown(t), chrono, "{t:?}");
        }
    }

    #[test]
    fn a_time_without_a_zone_is_refused_saying_so() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        for zoneless in ["2026-11-29 16:27:52", "2026-11-29T16:27:52.5"] {
            let error = parse_when(zoneless, today).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "invalid time '{zoneless}': it has no time zone: end it with Z for UTC, or \
                     with an offset such as +09:00"
                )
            );
        }
        assert!(parse_when("2026-11-29 16:27:52Z", today).is_ok());
        let other = parse_when("2026-11-29T25:00:00Z", today).unwrap_err();
        assert!(!other.to_string().contains("time zone"), "{other}");
    }

    #[test]
    fn when_is_a_timestamp_or_the_end_of_a_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(
            parse_when("today", today).unwrap().at.to_rfc3339(),
            "2026-11-29T23:59:59.999999+00:00"
        );
        assert_eq!(
            parse_when("2026-11-29T05:00:00.5Z", today)
                .unwrap()
                .at
                .to_rfc3339(),
            "2026-11-29T05:00:00.500+00:00"
        );
        // to the microsecond, as recorded times are
        for (finer, kept) in [
            (
                "2026-11-29T05:00:00.0000005Z",
                "2026-11-29T05:00:00.000000Z",
            ),
            (
                "2026-11-29T05:00:00.123456999Z",
                "2026-11-29T05:00:00.123456Z",
            ),
            ("2026-11-29T05:00:60Z", "2026-11-29T05:00:59.999999Z"),
            ("2026-11-29T05:00:60.5Z", "2026-11-29T05:00:59.999999Z"),
        ] {
            let at = parse_when(finer, today).unwrap().at;
            assert_eq!(shown(at), kept);
            assert_eq!(chrono::Timelike::nanosecond(&at) % 1000, 0, "{finer}");
        }
        for bad in [
            "yesterday",
            "2026-11-29 05:00",
            "2026-11-29T25:00:00Z",
            "2026-02-30",
            "1700000000",
        ] {
            assert!(parse_when(bad, today).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_real_days_in_iso_form_are_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert!(parse_date("2020-02-29", today).is_ok());
        for bad in [
            "2019-02-30",
            "2019-13-01",
            "2019-2-3",
            "23/08/2019",
            "",
            "2019-08-23T00:00",
        ] {
            assert!(parse_date(bad, today).is_err(), "{bad}");
        }
        assert_eq!(parse_date("TODAY", today).unwrap(), today);
    }
}
