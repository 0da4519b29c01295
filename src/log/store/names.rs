//! The names pacts answer to: ids and aliases.

use std::collections::HashMap;

use crate::model::error::Error;
use crate::model::pact::{Pact, PactId};

/// The names that pacts answer to, lowercased, with the pact that has each.
///
/// A pact's id always names it. Aliases are unique across a store, but two
/// registrations made apart (on two branches of a repository, say) can
/// claim the same one: such an alias names no pact, and is kept with the
/// pacts that claim it.
#[derive(Debug, Clone, Default)]
pub struct Names {
    owners: HashMap<String, PactId>,
    shared: HashMap<String, Vec<PactId>>,
}

impl Names {
    /// The names of `pacts`.
    pub fn of(pacts: &[Pact]) -> Names {
        let mut names = Names::default();
        for pact in pacts {
            names.add(pact);
        }
        names
    }

    /// Adds a pact's id and aliases.
    pub fn add(&mut self, pact: &Pact) {
        let id = pact.id.as_str();
        self.shared.remove(id);
        self.owners.insert(id.to_owned(), pact.id.clone());
        for alias in pact.names().skip(1) {
            match self.owners.get(&alias) {
                None => {
                    self.owners.insert(alias, pact.id.clone());
                }
                Some(owner) if *owner == pact.id || owner.as_str() == alias => {}
                Some(owner) => {
                    let owner = owner.clone();
                    let claims = self.shared.entry(alias).or_insert_with(|| vec![owner]);
                    if !claims.contains(&pact.id) {
                        claims.push(pact.id.clone());
                    }
                }
            }
        }
    }

    /// The pact that `query` names, in any case; none for an alias that
    /// more than one pact claims.
    pub fn get(&self, query: &str) -> Option<&PactId> {
        let query = query.trim().to_lowercase();
        if self.shared.contains_key(&query) {
            return None;
        }
        self.owners.get(&query)
    }

    /// The pacts that claim `query` as an alias, when more than one does.
    pub fn claims(&self, query: &str) -> Option<&[PactId]> {
        if self.shared.is_empty() {
            return None;
        }
        self.shared
            .get(&query.trim().to_lowercase())
            .map(Vec::as_slice)
    }

    /// [`Error::AmbiguousName`] when `query` is an alias that more than one
    /// pact claims.
    pub fn ambiguous(&self, query: &str) -> Option<Error> {
        self.claims(query).map(|pacts| Error::AmbiguousName {
            name: query.trim().to_owned(),
            pacts: pacts.iter().map(ToString::to_string).collect(),
        })
    }

    /// The name nearest to `query`, when one is close: for "did you mean".
    pub fn nearest(&self, query: &str) -> Option<String> {
        let query = query.trim().to_lowercase();
        self.owners
            .iter()
            .map(|(name, id)| (strsim::jaro_winkler(&query, name), id))
            .filter(|(score, _)| *score >= 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, id)| id.to_string())
    }

    /// Checks that none of a new pact's names is taken.
    ///
    /// # Errors
    ///
    /// [`Error::NameTaken`] with the name as given and its owner, or every
    /// pact that claims it.
    pub fn check_free(&self, pact: &Pact) -> Result<(), Error> {
        let names =
            std::iter::once(pact.id.as_str()).chain(pact.aliases.iter().map(String::as_str));
        for name in names {
            let owners = match self.get(name) {
                Some(owner) => std::slice::from_ref(owner),
                None => self.claims(name).unwrap_or_default(),
            };
            if !owners.is_empty() {
                return Err(Error::NameTaken {
                    name: name.to_owned(),
                    owners: owners.iter().map(PactId::to_string).collect(),
                });
            }
        }
        Ok(())
    }
}
