//! Bounds on what a person may type into a field, so that one event line
//! stays small and readable and a label stays a label.
//!
//! Free text (names, notes, sources) may hold any character, control
//! characters included: JSON escapes them, so they can never break the one
//! event per line framing. Labels (aliases, parties, kinds) are single-line.

use crate::model::error::{Error, FieldProblem};

/// The longest pact name, in characters (Unicode scalar values): real
/// treaty names reach 242.
pub const NAME: usize = 1000;
/// The longest pact description.
pub const DESCRIPTION: usize = 4000;
/// The longest label: alias, party or kind.
pub const LABEL: usize = 64;
/// The longest source (outlet and title).
pub const SOURCE: usize = 500;
/// The longest URL.
pub const URL: usize = 2000;
/// The longest note text or free-text remark.
pub const TEXT: usize = 4000;
/// The most aliases a pact may have.
pub const ALIASES: usize = 50;
/// The most parties a pact may have: more than the states of the world, for
/// the widest multilateral treaty.
pub const PARTIES: usize = 250;

/// Checks that at most `max` labels are given; `field` names them in the
/// plural.
///
/// # Errors
///
/// [`FieldProblem::TooMany`] naming `field`.
pub fn check_count(field: &str, count: usize, max: usize) -> Result<(), Error> {
    if count > max {
        return Err(FieldProblem::TooMany {
            field: field.to_owned(),
            count,
            max,
        }
        .into());
    }
    Ok(())
}

/// Trims `value` and checks it is non-empty and at most `max` characters.
///
/// # Errors
///
/// [`FieldProblem::Empty`] or [`FieldProblem::TooLong`] naming `field`.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldProblem::Empty {
            field: field.to_owned(),
        }
        .into());
    }
    let len = value.chars().count();
    if len > max {
        return Err(FieldProblem::TooLong {
            field: field.to_owned(),
            len,
            max,
        }
        .into());
    }
    Ok(value.to_owned())
}

/// Checks a label: like [`check_text`] with [`LABEL`], and on one line with no
/// control characters.
///
/// # Errors
///
/// As [`check_text`], and [`FieldProblem::ControlCharacter`] naming
/// `field`.
pub fn check_label(field: &str, value: &str) -> Result<String, Error> {
    let value = check_text(field, value, LABEL)?;
    if value.chars().any(char::is_control) {
        return Err(FieldProblem::ControlCharacter {
            field: field.to_owned(),
            value,
        }
        .into());
    }
    Ok(value)
}

/// Checks a source URL: an `http` or `https` address with no spaces.
///
/// # Errors
///
/// As [`check_text`], and [`FieldProblem::NotAWebAddress`].
pub fn check_url(value: &str) -> Result<String, Error> {
    let value = check_text("url", value, URL)?;
    let has_scheme = ["http://", "https://"].iter().any(|scheme| {
        value.len() > scheme.len()
            && value
                .get(..scheme.len())
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme))
    });
    if !has_scheme || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FieldProblem::NotAWebAddress { value }.into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(check_text("name", "  GSOMIA ", NAME).unwrap(), "GSOMIA");
        assert!(matches!(
            check_text("name", "   ", NAME),
            Err(Error::Field(FieldProblem::Empty { field })) if field == "name"
        ));
        assert!(matches!(
            check_text("name", &"x".repeat(NAME + 1), NAME),
            Err(Error::Field(FieldProblem::TooLong {
                len: 1001,
                max: NAME,
                ..
            }))
        ));
        assert_eq!(check_text("note", "a\u{7}b", TEXT).unwrap(), "a\u{7}b");
    }

    #[test]
    fn labels_are_counted() {
        assert!(check_count("parties", PARTIES, PARTIES).is_ok());
        let error = check_count("parties", PARTIES + 1, PARTIES).unwrap_err();
        assert_eq!(
            error.to_string(),
            "251 parties are given; at most 250 are allowed"
        );
    }

    #[test]
    fn labels_stay_on_one_line() {
        assert!(check_label("alias", "GSOMIA").is_ok());
        let error = check_label("alias", "a\nb").unwrap_err();
        assert_eq!(
            error.to_string(),
            "alias 'a\\nb' contains a control character or line break"
        );
    }

    #[test]
    fn urls_must_be_web_addresses() {
        assert!(check_url("https://www.mofa.go.jp/").is_ok());
        assert!(check_url("HTTP://example.org").is_ok());
        for bad in [
            "example.org",
            "https://",
            "https://a b",
            "javascript:alert(1)",
        ] {
            assert!(
                matches!(
                    check_url(bad),
                    Err(Error::Field(FieldProblem::NotAWebAddress { .. }))
                ),
                "{bad}"
            );
        }
    }
}
