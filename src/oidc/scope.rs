//! Scope sets (RFC 6749 §3.3): space-separated, order-insensitive, each token of the allowed characters.

use std::collections::BTreeSet;
use std::fmt;

/// Scopes yimen understands. `identity`, `assurance` and `org` are released only to clients approved for
/// them (their `allowed_scopes` list them).
pub const KNOWN_SCOPES: &[&str] = &["openid", "profile", "phone", "offline_access", "identity", "assurance", "org"];

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeSet(BTreeSet<String>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scope contains a character RFC 6749 §3.3 does not allow")]
pub struct ScopeError;

impl ScopeSet {
    pub fn parse(input: &str) -> Result<Self, ScopeError> {
        let mut set = BTreeSet::new();
        for token in input.split(' ').filter(|token| !token.is_empty()) {
            let valid = token.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
            if !valid {
                return Err(ScopeError);
            }
            set.insert(token.to_owned());
        }
        Ok(Self(set))
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes of `self` that `allowed` also has.
    pub fn intersect(&self, allowed: &ScopeSet) -> ScopeSet {
        Self(self.0.intersection(&allowed.0).cloned().collect())
    }

    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.union(&other.0).cloned().collect())
    }

    pub fn with(mut self, scope: &str) -> ScopeSet {
        self.0.insert(scope.to_owned());
        self
    }

    pub fn without(mut self, scope: &str) -> ScopeSet {
        self.0.remove(scope);
        self
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let joined: Vec<&str> = self.iter().collect();
        f.write_str(&joined.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_repeats_do_not_matter() {
        let a = ScopeSet::parse("profile openid  openid").unwrap();
        let b = ScopeSet::parse("openid profile").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "openid profile");
    }

    #[test]
    fn rejects_forbidden_characters() {
        assert_eq!(ScopeSet::parse("openid \"quoted\""), Err(ScopeError));
        assert_eq!(ScopeSet::parse("back\\slash"), Err(ScopeError));
    }

    #[test]
    fn intersects_with_what_the_client_may_have() {
        let asked = ScopeSet::parse("openid profile identity").unwrap();
        let allowed = ScopeSet::parse("openid profile phone").unwrap();
        assert_eq!(asked.intersect(&allowed).to_string(), "openid profile");
    }
}
