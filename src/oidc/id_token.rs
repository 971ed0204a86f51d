//! ID tokens (OpenID Connect Core §2, §3.1.3.6): the claims, `at_hash`, and signing with the client's
//! chosen algorithm.

use super::claims::{self, ClaimsRequest};
use super::client::Client;
use super::provider::{Provider, ProviderError};
use super::values::Nonce;
use crate::crypto::b64url;
use crate::identity::Person;
use crate::keys::SigningAlg;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};

#[derive(Debug, Serialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Nonce>,
    pub acr: String,
    pub amr: Vec<crate::identity::amr::Amr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What an ID token is about, whichever grant produced it.
pub struct IdTokenSubject<'a> {
    pub client: &'a Client,
    pub person: &'a Person,
    /// The organisation claim, when the person acts for one this client may see.
    pub org: Option<Value>,
    pub claims: Option<&'a ClaimsRequest>,
    pub nonce: Option<Nonce>,
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<crate::identity::amr::Amr>,
    /// The upstream platform that vouched for the person (amr `fed`): the `idp` claim.
    pub upstream: Option<String>,
    pub session_id: Option<String>,
    pub access_token: &'a str,
    /// The sandbox's injected expiry: an ID token whose `exp` has already passed.
    pub expired: bool,
}

/// The left half of the hash of the access token, with the hash of the signing algorithm (§3.1.3.6);
/// Ed25519 signs with SHA-512.
pub fn at_hash(access_token: &str, alg: SigningAlg) -> String {
    let digest: Vec<u8> = match alg {
        SigningAlg::Rs256 | SigningAlg::Es256 => Sha256::digest(access_token.as_bytes()).to_vec(),
        SigningAlg::EdDsa => Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    b64url(&digest[..digest.len() / 2])
}

impl Provider {
    pub(super) fn sign_id_token(&self, subject: IdTokenSubject<'_>) -> Result<String, ProviderError> {
        let now = self.now();
        let alg = subject.client.id_token_alg;
        // Scope claims go to UserInfo when an access token is issued (§5.4); the ID token carries only the
        // claims asked for in its own section of the claims request.
        let mut extra = match subject.claims {
            Some(request) => claims::release(
                subject.person,
                request.id_token.keys().map(String::as_str),
                &subject.client.allowed_scopes,
            ),
            None => Map::new(),
        };
        if let Some(org) = subject.org {
            extra.insert("org".to_owned(), org);
        }
        if let Some(upstream) = subject.upstream {
            extra.insert("idp".to_owned(), Value::String(upstream));
        }
        if self.sandbox {
            extra.insert("sandbox".to_owned(), Value::Bool(true));
        }
        let ttl = self.tokens.id_token_ttl_secs;
        // An expired token as a clock-skewed client would see it: issued a lifetime ago, expired a
        // minute ago, beyond the usual leeway of a few seconds.
        let iat = if subject.expired { now - ttl - 60 } else { now };
        let claims = IdTokenClaims {
            iss: self.issuer.clone(),
            sub: self.subject_for(subject.client, &subject.person.id),
            aud: subject.client.id.clone(),
            exp: iat + ttl,
            iat,
            auth_time: subject.auth_time,
            nonce: subject.nonce,
            acr: subject.acr,
            amr: subject.amr,
            sid: subject.session_id,
            at_hash: Some(at_hash(subject.access_token, alg)),
            extra,
        };
        self.keys.sign(alg, "JWT", &claims).map_err(|e| ProviderError::Internal(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_openid_example() {
        // OpenID Connect Core, Appendix A.3: access token and at_hash of an RS256 ID token.
        assert_eq!(at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", SigningAlg::Rs256), "77QmUPtjPfzWtF2AnpK9RQ");
    }
}
