//! Dates as people type them on the command line.

use chrono::NaiveDate;

use crate::error::Error;

const DATE_FORMS: &str = "a date as YYYY-MM-DD (e.g. 2019-08-23) or 'today'";

/// Parses an effective date: `YYYY-MM-DD` or `today`.
///
/// ```
/// use chrono::NaiveDate;
/// let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
/// assert_eq!(pactlog::time::parse_date("today", today).unwrap(), today);
/// assert_eq!(
///     pactlog::time::parse_date("2019-08-23", today).unwrap(),
///     NaiveDate::from_ymd_opt(2019, 8, 23).unwrap()
/// );
/// assert!(pactlog::time::parse_date("2019-02-30", today).is_err());
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
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    let invalid = |reason: String| Error::InvalidTime {
        what: "date",
        input: input.to_owned(),
        reason,
        expected: DATE_FORMS,
    };
    if !shaped {
        return Err(invalid("not in the form YYYY-MM-DD".into()));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| invalid("there is no such day in the calendar".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
