//! Pact ids and the metadata a pact is registered with.
//!
//! A [`PactId`] is validated once, where it enters the program, so that every
//! later use (a file name in the store above all) can rely on it being a
//! short lowercase slug that cannot name a path outside the store.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::model::error::{Error, FieldProblem};
use crate::model::limits;

/// The longest pact id, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// A pact's id: a slug matching `^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`.
///
/// ```
/// use pactlog::PactId;
/// assert_eq!(PactId::parse("gsomia").unwrap().as_str(), "gsomia");
/// assert!(PactId::parse("../x").is_err());
/// assert!(PactId::parse("A B").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PactId(String);

impl PactId {
    /// Validates `input` as a pact id.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPactId`] saying what is wrong with it.
    pub fn parse(input: &str) -> Result<PactId, Error> {
        match PactId::problem(input) {
            Some(reason) => Err(Error::InvalidPactId {
                input: input.to_owned(),
                reason,
            }),
            None => Ok(PactId(input.to_owned())),
        }
    }

    /// Whether `input` is a pact id, as [`PactId::parse`] would take it,
    /// without making one.
    pub fn is_valid(input: &str) -> bool {
        PactId::problem(input).is_none()
    }

    /// What is wrong with `input` as a pact id, if anything.
    fn problem(input: &str) -> Option<&'static str> {
        if input.is_empty() {
            Some("it is empty")
        } else if input.len() > MAX_ID_LEN {
            Some("it is longer than 64 characters")
        } else if !input
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            Some("only lowercase letters, digits and '-' are allowed")
        } else if input.starts_with('-') || input.ends_with('-') {
            Some("it must start and end with a letter or digit")
        } else {
            None
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl<'de> Deserialize<'de> for PactId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        PactId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What a pact is registered with: the payload of its first event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pact {
    /// The pact's id, which is also its stream's file name.
    pub id: PactId,
    /// Its name, as a person would write it.
    pub name: String,
    /// Other names it is known by (e.g. `GSOMIA`); matched case-insensitively.
    pub aliases: Vec<String>,
    /// The parties (e.g. `KR`, `JP`).
    pub parties: Vec<String>,
    /// What kind of pact it is (`agreement`, `policy`, ...).
    pub kind: Option<String>,
    /// A longer description.
    pub description: Option<String>,
    /// Where the name and description come from: outlet and title.
    pub source: Option<String>,
    /// A link to that source.
    pub url: Option<String>,
}

/// The party of a pact's `parties` that `name` names, in any case, as the
/// pact spells it: how every command and import reads a party given to it.
///
/// # Errors
///
/// [`Error::UnknownParty`] for a name that is not one of them.
pub fn party_named<'p>(pact: &PactId, parties: &'p [String], name: &str) -> Result<&'p str, Error> {
    parties
        .iter()
        .find(|p| p.eq_ignore_ascii_case(name.trim()))
        .map(String::as_str)
        .ok_or_else(|| Error::UnknownParty {
            pact: pact.to_string(),
            party: name.to_owned(),
            parties: parties.to_vec(),
        })
}

impl Pact {
    /// A pact with an id and a name, and nothing more.
    pub fn named(id: PactId, name: impl Into<String>) -> Pact {
        Pact {
            id,
            name: name.into(),
            aliases: Vec::new(),
            parties: Vec::new(),
            kind: None,
            description: None,
            source: None,
            url: None,
        }
    }

    /// Checks what a registration may hold beyond [`Pact::validated`]: at
    /// most [`limits::ALIASES`] aliases and [`limits::PARTIES`] parties, so
    /// that its line stays one that readers take. `register` checks it;
    /// streams recorded before these limits, or by other tools, may hold
    /// more, and are read and imported as they are.
    ///
    /// # Errors
    ///
    /// [`FieldProblem::TooMany`] naming the labels there are too many of.
    pub fn counted(&self) -> Result<(), Error> {
        limits::check_count("aliases", self.aliases.len(), limits::ALIASES)?;
        limits::check_count("parties", self.parties.len(), limits::PARTIES)
    }

    /// Checks the metadata a person typed: a name, and aliases, parties and
    /// kind that are short single-line labels, and no alias given twice
    /// (compared case-insensitively).
    ///
    /// # Errors
    ///
    /// [`Error::Field`] naming the field that is wrong.
    pub fn validated(mut self) -> Result<Pact, Error> {
        self.name = limits::check_text("name", &self.name, limits::NAME)?;
        for alias in &mut self.aliases {
            *alias = limits::check_label("alias", alias)?;
        }
        for party in &mut self.parties {
            *party = limits::check_label("party", party)?;
        }
        if let Some(kind) = &mut self.kind {
            *kind = limits::check_label("kind", kind)?;
        }
        if let Some(description) = &mut self.description {
            *description = limits::check_text("description", description, limits::DESCRIPTION)?;
        }
        if let Some(source) = &mut self.source {
            *source = limits::check_text("source", source, limits::SOURCE)?;
        }
        if let Some(url) = &mut self.url {
            *url = limits::check_url(url)?;
        }
        let mut seen = Vec::new();
        for alias in &self.aliases {
            let folded = alias.to_lowercase();
            if seen.contains(&folded) {
                return Err(FieldProblem::GivenTwice {
                    field: "alias".into(),
                    value: alias.clone(),
                }
                .into());
            }
            seen.push(folded);
        }
        Ok(self)
    }

    /// Whether `query` names this pact: its id or one of its aliases, compared
    /// case-insensitively.
    pub fn answers_to(&self, query: &str) -> bool {
        let query = query.trim().to_lowercase();
        self.id.as_str() == query || self.aliases.iter().any(|a| a.to_lowercase() == query)
    }

    /// Every name this pact answers to, lowercased: the id, then the aliases.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        std::iter::once(self.id.as_str().to_owned())
            .chain(self.aliases.iter().map(|a| a.to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_could_escape_the_store_are_rejected() {
        for bad in [
            "", "../x", "a/b", "A", "A B", "-a", "a-", ".", "..", "a.jsonl", "a b", "é",
        ] {
            assert!(PactId::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(PactId::parse(&"a".repeat(65)).is_err());
        for good in ["a", "0", "gsomia", "jp-kr-white-list", &"a".repeat(64)] {
            assert!(PactId::parse(good).is_ok(), "{good:?} should be accepted");
        }
    }

    #[test]
    fn a_pact_answers_to_its_id_and_aliases_in_any_case() {
        let pact = Pact {
            id: PactId::parse("gsomia").unwrap(),
            name: "GSOMIA".into(),
            aliases: vec!["GSOMIA".into(), "Korea-Japan GSOMIA".into()],
            parties: vec![],
            kind: None,
            description: None,
            source: None,
            url: None,
        };
        assert!(pact.answers_to("gsomia"));
        assert!(pact.answers_to("Gsomia"));
        assert!(pact.answers_to("korea-japan gsomia"));
        assert!(!pact.answers_to("gsomi"));
    }
}
