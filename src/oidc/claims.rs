//! Which claims a person's data yields, which scope covers each, and the `claims` request parameter
//! (OpenID Connect Core §5.5).

use super::scope::ScopeSet;
use crate::identity::Person;
use crate::identity::resident_id::Sex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Each releasable claim and the scope that covers it. Consent is asked per scope.
pub const CLAIM_SCOPES: &[(&str, &str)] = &[
    ("name", "profile"),
    ("gender", "profile"),
    ("birthdate", "profile"),
    ("updated_at", "profile"),
    ("phone_number", "phone"),
    ("phone_number_verified", "phone"),
    ("id_type", "identity"),
    ("id_number", "identity"),
];

/// Claims of the ID token itself, always answered by the protocol rather than from the person's data.
pub const PROTOCOL_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "at_hash",
    "azp",
    "org",
    "idp",
    "sandbox",
];

pub fn covering_scope(claim: &str) -> Option<&'static str> {
    CLAIM_SCOPES.iter().find(|(name, _)| *name == claim).map(|(_, scope)| *scope)
}

pub fn claims_of_scope(scope: &str) -> impl Iterator<Item = &'static str> + '_ {
    CLAIM_SCOPES.iter().filter(move |(_, s)| *s == scope).map(|(name, _)| *name)
}

/// One entry of the claims request: `null` or `{"essential": …, "value": …, "values": […]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimSpec {
    #[serde(default)]
    pub essential: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    #[serde(default)]
    pub userinfo: BTreeMap<String, Option<ClaimSpec>>,
    #[serde(default)]
    pub id_token: BTreeMap<String, Option<ClaimSpec>>,
}

impl ClaimsRequest {
    pub fn parse(input: &str) -> Result<Self, String> {
        serde_json::from_str(input).map_err(|error| {
            format!("the claims parameter is not valid JSON of the form in OpenID Connect Core 5.5: {error}")
        })
    }

    /// Scopes that cover the individually requested claims; consent must include them.
    pub fn covering_scopes(&self) -> ScopeSet {
        let names = self.userinfo.keys().chain(self.id_token.keys());
        let scopes: Vec<&str> = names.filter_map(|name| covering_scope(name)).collect();
        ScopeSet::parse(&scopes.join(" ")).unwrap_or_default()
    }

    /// The subject a `sub` entry with a value names (§5.5.1): the answer may be only for that person.
    pub fn requested_subject(&self) -> Option<&str> {
        self.id_token.get("sub").or_else(|| self.userinfo.get("sub"))?.as_ref()?.value.as_ref()?.as_str()
    }

    /// The essential `acr` values asked for in the ID token, if any.
    pub fn essential_acr_values(&self) -> Option<Vec<String>> {
        let spec = self.id_token.get("acr")?.as_ref()?;
        if !spec.essential {
            return None;
        }
        let values: Vec<String> = spec
            .values
            .iter()
            .flatten()
            .chain(spec.value.iter())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        Some(values)
    }
}

/// The claims released about `person` for the names given, limited to what `permitted` scopes cover.
pub fn release<'a>(
    person: &Person,
    names: impl IntoIterator<Item = &'a str>,
    permitted: &ScopeSet,
) -> Map<String, Value> {
    let mut claims = Map::new();
    for name in names {
        let Some(scope) = covering_scope(name) else {
            continue;
        };
        if !permitted.contains(scope) || claims.contains_key(name) {
            continue;
        }
        if let Some(value) = claim_value(person, name) {
            claims.insert(name.to_owned(), value);
        }
    }
    claims
}

/// Claim names for a scope set, followed by individually requested ones.
pub fn requested_names<'a>(scopes: &'a ScopeSet, individually: impl IntoIterator<Item = &'a String>) -> Vec<&'a str> {
    let mut names: Vec<&str> = scopes.iter().flat_map(claims_of_scope).collect();
    names.extend(individually.into_iter().map(String::as_str));
    names
}

fn claim_value(person: &Person, name: &str) -> Option<Value> {
    // Absent data yields no claim rather than null: a JSON null is a conformance failure.
    Some(match name {
        "name" => json!(person.name),
        "gender" => json!(match person.document.sex()? {
            Sex::Male => "male",
            Sex::Female => "female",
        }),
        "birthdate" => json!(person.document.birth_date()?),
        "updated_at" => json!(person.updated_at),
        "phone_number" => json!(person.phone.as_ref()?.e164()),
        "phone_number_verified" => {
            person.phone.as_ref()?;
            json!(person.phone_verified)
        }
        "id_type" => json!(person.document.kind().as_str()),
        "id_number" => json!(person.document.number()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_claims_requests_and_their_scopes() {
        let request = ClaimsRequest::parse(
            r#"{"userinfo":{"name":{"essential":true},"phone_number":null},"id_token":{"acr":{"essential":true,"values":["urn:yimen:loa:2"]}}}"#,
        )
        .unwrap();
        assert_eq!(request.covering_scopes().to_string(), "phone profile");
        assert_eq!(request.essential_acr_values(), Some(vec!["urn:yimen:loa:2".to_owned()]));
        assert!(ClaimsRequest::parse("[1]").is_err());
        assert!(ClaimsRequest::parse(r#"{"userinfo":{"name":{"essential":"yes"}}}"#).is_err());
    }
}
