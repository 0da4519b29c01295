//! The status vocabulary and the lifecycle that says which status may follow
//! which.
//!
//! Statuses are stored in snake_case (`in_force`) and shown to people in
//! words ("in force"). The command line accepts any case with `-`, `_` or a
//! space between the words, so `In-Force`, `in force` and `IN_FORCE` are all
//! [`Status::InForce`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The status of a pact on some date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Proposed or under negotiation.
    Proposed,
    /// Signed, not yet in force.
    Signed,
    /// Ratified (or accepted, approved): consent to be bound expressed,
    /// not yet in force.
    Ratified,
    /// Applied provisionally, pending entry into force.
    ProvisionallyApplied,
    /// In force.
    InForce,
    /// A party has notified termination; the pact is still in force until the
    /// notice takes effect.
    TerminationNotified,
    /// The effect of a termination notice (or of the pact) is suspended on
    /// conditions.
    ConditionallySuspended,
    /// Back to normal after a suspension or a notice.
    Normalized,
    /// Suspended.
    Suspended,
    /// Terminated: final.
    Terminated,
    /// Expired: final.
    Expired,
    /// Withdrawn by a party.
    Withdrawn,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 12] = [
        Status::Proposed,
        Status::Signed,
        Status::Ratified,
        Status::ProvisionallyApplied,
        Status::InForce,
        Status::TerminationNotified,
        Status::ConditionallySuspended,
        Status::Normalized,
        Status::Suspended,
        Status::Terminated,
        Status::Expired,
        Status::Withdrawn,
    ];

    /// The statuses a pact may start with, before any status is recorded.
    pub const INITIAL: &'static [Status] = &[
        Status::Proposed,
        Status::Signed,
        Status::Ratified,
        Status::ProvisionallyApplied,
        Status::InForce,
    ];

    /// The stored spelling, e.g. `termination_notified`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Proposed => "proposed",
            Status::Signed => "signed",
            Status::Ratified => "ratified",
            Status::ProvisionallyApplied => "provisionally_applied",
            Status::InForce => "in_force",
            Status::TerminationNotified => "termination_notified",
            Status::ConditionallySuspended => "conditionally_suspended",
            Status::Normalized => "normalized",
            Status::Suspended => "suspended",
            Status::Terminated => "terminated",
            Status::Expired => "expired",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// The status in words for people, e.g. `termination notified`.
    pub fn words(self) -> &'static str {
        match self {
            Status::Proposed => "proposed",
            Status::Signed => "signed",
            Status::Ratified => "ratified",
            Status::ProvisionallyApplied => "provisionally applied",
            Status::InForce => "in force",
            Status::TerminationNotified => "termination notified",
            Status::ConditionallySuspended => "conditionally suspended",
            Status::Normalized => "normalized",
            Status::Suspended => "suspended",
            Status::Terminated => "terminated",
            Status::Expired => "expired",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// The statuses allowed to follow `from` (`None`: nothing recorded yet).
    ///
    /// ```
    /// use pactlog::Status;
    /// assert!(Status::allowed_after(Some(Status::InForce)).contains(&Status::TerminationNotified));
    /// assert!(Status::allowed_after(Some(Status::Terminated)).is_empty());
    /// assert_eq!(Status::allowed_after(None), Status::INITIAL);
    /// ```
    pub fn allowed_after(from: Option<Status>) -> &'static [Status] {
        use Status::*;
        match from {
            None => Status::INITIAL,
            Some(Proposed) => &[Signed, Ratified, InForce, Withdrawn, Expired],
            Some(Signed) => &[
                Ratified,
                ProvisionallyApplied,
                InForce,
                Suspended,
                Withdrawn,
                Expired,
            ],
            Some(Ratified) => &[ProvisionallyApplied, InForce, Suspended, Withdrawn, Expired],
            Some(ProvisionallyApplied) => {
                &[Ratified, InForce, Suspended, Terminated, Withdrawn, Expired]
            }
            Some(InForce) => &[
                TerminationNotified,
                ConditionallySuspended,
                Suspended,
                Terminated,
                Expired,
                Withdrawn,
            ],
            Some(TerminationNotified) => &[
                ConditionallySuspended,
                Suspended,
                InForce,
                Normalized,
                Terminated,
                Expired,
                Withdrawn,
            ],
            Some(ConditionallySuspended) => &[
                Normalized,
                InForce,
                TerminationNotified,
                Suspended,
                Terminated,
                Withdrawn,
            ],
            Some(Suspended) => &[
                InForce,
                Normalized,
                TerminationNotified,
                Terminated,
                Expired,
                Withdrawn,
            ],
            Some(Normalized) => &[
                TerminationNotified,
                ConditionallySuspended,
                Suspended,
                Terminated,
                Expired,
                Withdrawn,
            ],
            Some(Withdrawn) => &[InForce, Signed, Ratified],
            Some(Terminated | Expired) => &[],
        }
    }

    /// Whether format version 1 of the line format knew the status: the
    /// others need version 2.
    pub fn in_first_version(self) -> bool {
        !matches!(self, Status::Ratified | Status::ProvisionallyApplied)
    }

    /// Whether the lifecycle allows `to` right after `from`.
    pub fn may_follow(from: Option<Status>, to: Status) -> bool {
        Status::allowed_after(from).contains(&to)
    }

    /// Parses a status as a person types it: any case, words separated by
    /// `-`, `_` or spaces.
    ///
    /// # Errors
    ///
    /// [`UnknownStatus`], with the nearest status as a suggestion when one
    /// is close.
    pub fn parse(input: &str) -> Result<Status, UnknownStatus> {
        // as stored, the way most input writes it: nothing to normalize
        if let Some(status) = Status::ALL.into_iter().find(|s| s.as_str() == input) {
            return Ok(status);
        }
        let normalized = normalize(input);
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == normalized)
            .ok_or_else(|| UnknownStatus {
                input: input.to_owned(),
                suggestion: nearest(&normalized),
            })
    }
}

fn normalize(input: &str) -> String {
    input
        .trim()
        .split(|c: char| c == '-' || c == '_' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

fn nearest(normalized: &str) -> Option<Status> {
    Status::ALL
        .into_iter()
        .map(|s| (strsim::jaro_winkler(normalized, s.as_str()), s))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, s)| s)
}

impl fmt::Display for Status {
    /// Shows the status in words; use [`Status::as_str`] for the stored form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.words())
    }
}

/// Text that names no status of the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status '{input}'")]
pub struct UnknownStatus {
    /// What the user typed.
    pub input: String,
    /// The nearest status, when one is close.
    pub suggestion: Option<Status>,
}

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::parse(s)
    }
}

/// Lists statuses in words, comma separated: "signed, in force".
pub fn list_words(statuses: &[Status]) -> String {
    if statuses.is_empty() {
        return "none".to_owned();
    }
    statuses
        .iter()
        .map(|s| s.words())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_spelling_a_person_types() {
        for input in [
            "in_force",
            "in-force",
            "In Force",
            "IN_FORCE",
            "  in   force ",
            "in-Force",
        ] {
            assert_eq!(Status::parse(input).unwrap(), Status::InForce, "{input}");
        }
        assert_eq!(
            Status::parse("Conditionally-Suspended").unwrap(),
            Status::ConditionallySuspended
        );
    }

    #[test]
    fn every_status_round_trips_through_its_stored_and_spoken_forms() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()).unwrap(), status);
            assert_eq!(Status::parse(status.words()).unwrap(), status);
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }

    #[test]
    fn an_unknown_status_suggests_the_nearest_one() {
        match Status::parse("in forse") {
            Err(UnknownStatus { suggestion, .. }) => {
                assert_eq!(suggestion, Some(Status::InForce))
            }
            other => panic!("expected an unknown status error, got {other:?}"),
        }
        match Status::parse("banana") {
            Err(UnknownStatus { suggestion, .. }) => assert_eq!(suggestion, None),
            other => panic!("expected an unknown status error, got {other:?}"),
        }
    }

    /// The contract's table, as it is written there: each status with the
    /// statuses allowed next.
    const TABLE: &str = "\
        (none) | proposed, signed, ratified, provisionally_applied, in_force
        proposed | signed, ratified, in_force, withdrawn, expired
        signed | ratified, provisionally_applied, in_force, suspended, withdrawn, expired
        ratified | provisionally_applied, in_force, suspended, withdrawn, expired
        provisionally_applied | ratified, in_force, suspended, terminated, withdrawn, expired
        in_force | termination_notified, conditionally_suspended, suspended, terminated, expired, withdrawn
        termination_notified | conditionally_suspended, suspended, in_force, normalized, terminated, expired, withdrawn
        conditionally_suspended | normalized, in_force, termination_notified, suspended, terminated, withdrawn
        suspended | in_force, normalized, termination_notified, terminated, expired, withdrawn
        normalized | termination_notified, conditionally_suspended, suspended, terminated, expired, withdrawn
        withdrawn | in_force, signed, ratified
        terminated |
        expired |";

    #[test]
    fn the_lifecycle_is_the_contract_table_in_its_order() {
        let mut seen = Vec::new();
        for row in TABLE.lines() {
            let (from, next) = row.split_once('|').unwrap();
            let from = match from.trim() {
                "(none)" => None,
                word => Some(Status::parse(word).unwrap()),
            };
            let next: Vec<Status> = next
                .split(',')
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(|w| Status::parse(w).unwrap())
                .collect();
            assert_eq!(
                Status::allowed_after(from),
                next.as_slice(),
                "after {from:?}"
            );
            seen.push(from);
        }
        let every = std::iter::once(None).chain(Status::ALL.map(Some));
        assert!(every.into_iter().all(|s| seen.contains(&s)));
    }

    #[test]
    fn the_lifecycle_matches_the_contract_table() {
        use Status::*;
        assert!(Status::may_follow(None, Signed));
        assert!(!Status::may_follow(None, Terminated));
        assert!(Status::may_follow(Some(InForce), TerminationNotified));
        assert!(Status::may_follow(
            Some(TerminationNotified),
            ConditionallySuspended
        ));
        assert!(Status::may_follow(Some(ConditionallySuspended), Normalized));
        assert!(!Status::may_follow(Some(ConditionallySuspended), Expired));
        assert!(Status::may_follow(Some(Withdrawn), Signed));
        for s in Status::ALL {
            assert!(!Status::may_follow(Some(s), s), "{s} may not repeat");
            assert!(!Status::may_follow(Some(Terminated), s));
            assert!(!Status::may_follow(Some(Expired), s));
        }
    }
}
