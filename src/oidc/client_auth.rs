//! Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3, OpenID
//! Connect Core §9): client_secret_basic, client_secret_post, private_key_jwt (RFC 7523) and, for public
//! clients, none.

use super::client::{AuthMethod, Client};
use super::error::OAuthError;
use super::provider::Provider;
use crate::crypto::b64_decode;
use crate::secret::SecretString;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const MAX_ASSERTION_LIFETIME_SECS: i64 = 3600;

/// The credential-bearing parts of a request, as received.
#[derive(Debug, Default, Clone)]
pub struct PresentedCredentials {
    pub authorization_header: Option<SecretString>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<SecretString>,
}

/// An authenticated client and how it proved itself.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub client: Client,
    pub method: AuthMethod,
}

#[derive(Deserialize)]
struct AssertionClaims {
    jti: Option<String>,
    exp: i64,
}

fn failed() -> OAuthError {
    OAuthError::invalid_client("client authentication failed")
}

impl Provider {
    /// Authenticates the client of a request. `endpoint_url` is the URL the request was sent to, an
    /// acceptable assertion audience beside the token endpoint and the issuer.
    pub async fn authenticate_client(
        &self,
        presented: &PresentedCredentials,
        endpoint_url: &str,
    ) -> Result<AuthenticatedClient, OAuthError> {
        let basic = match presented.authorization_header.as_ref().map(SecretString::expose) {
            Some(header) if header.len() > 6 && header[..6].eq_ignore_ascii_case("basic ") => {
                Some(parse_basic(&header[6..])?)
            }
            _ => None,
        };
        let methods_used = [basic.is_some(), presented.client_secret.is_some(), presented.client_assertion.is_some()]
            .iter()
            .filter(|used| **used)
            .count();
        if methods_used > 1 {
            return Err(OAuthError::invalid_request("use exactly one client authentication method"));
        }
        if let Some((id, secret)) = basic {
            if presented.client_id.as_deref().is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::invalid_request("client_id in the body differs from the Basic credentials"));
            }
            return self.check_secret(&id, &secret, AuthMethod::ClientSecretBasic).await;
        }
        if let Some(secret) = &presented.client_secret {
            let id = presented
                .client_id
                .as_deref()
                .ok_or_else(|| OAuthError::invalid_request("client_secret needs client_id"))?;
            return self.check_secret(id, secret.expose(), AuthMethod::ClientSecretPost).await;
        }
        if let Some(assertion) = &presented.client_assertion {
            if presented.client_assertion_type.as_deref() != Some(JWT_BEARER_ASSERTION) {
                return Err(OAuthError::invalid_request(format!(
                    "client_assertion_type must be {JWT_BEARER_ASSERTION}"
                )));
            }
            return self.check_assertion(assertion.expose(), presented.client_id.as_deref(), endpoint_url).await;
        }
        let id = presented
            .client_id
            .as_deref()
            .ok_or_else(|| OAuthError::invalid_client("the client did not authenticate and sent no client_id"))?;
        let client = self.find_client(id).await?.ok_or_else(failed)?;
        if client.auth_method != AuthMethod::None {
            return Err(OAuthError::invalid_client("this client must authenticate"));
        }
        Ok(AuthenticatedClient { client, method: AuthMethod::None })
    }

    async fn check_secret(
        &self,
        client_id: &str,
        secret: &str,
        method: AuthMethod,
    ) -> Result<AuthenticatedClient, OAuthError> {
        let client = self.find_client(client_id).await?.ok_or_else(failed)?;
        let Some(hash) = client.secret_hash.as_deref().filter(|_| client.auth_method.uses_secret()) else {
            return Err(failed());
        };
        if !self.keyring.verify_client_secret(secret, hash) {
            return Err(failed());
        }
        // The registered method is the only one (OIDC Registration §2, token_endpoint_auth_method): a secret
        // meant for the Authorization header is not accepted in the body, nor the other way round.
        if client.auth_method != method {
            return Err(OAuthError::invalid_client(format!(
                "this client is registered for {}; it authenticated with {}",
                client.auth_method.as_str(),
                method.as_str()
            )));
        }
        Ok(AuthenticatedClient { client, method })
    }

    async fn check_assertion(
        &self,
        assertion: &str,
        claimed_id: Option<&str>,
        endpoint_url: &str,
    ) -> Result<AuthenticatedClient, OAuthError> {
        let header = jsonwebtoken::decode_header(assertion)
            .map_err(|_| OAuthError::invalid_client("client_assertion is not a JWT"))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 | Algorithm::EdDSA) {
            return Err(OAuthError::invalid_client(
                "client_assertion must be signed with RS256, PS256, ES256 or EdDSA",
            ));
        }
        let issuer =
            unverified_issuer(assertion).ok_or_else(|| OAuthError::invalid_client("client_assertion has no iss"))?;
        if claimed_id.is_some_and(|id| id != issuer) {
            return Err(OAuthError::invalid_client("client_id differs from the assertion's issuer"));
        }
        let client = self.find_client(&issuer).await?.ok_or_else(failed)?;
        if client.auth_method != AuthMethod::PrivateKeyJwt {
            return Err(OAuthError::invalid_client("this client is not registered for private_key_jwt"));
        }
        let keys = client_keys(&client, header.kid.as_deref(), header.alg);
        if keys.is_empty() {
            return Err(OAuthError::invalid_client(
                "no registered key of the client matches the assertion's kid and alg",
            ));
        }
        let audiences = [self.endpoint(crate::paths::TOKEN), self.issuer.clone(), endpoint_url.to_owned()];
        let mut validation = Validation::new(header.alg);
        validation.leeway = 60;
        // An assertion made for later (nbf in the future) is not valid yet (RFC 7519 §4.1.5).
        validation.validate_nbf = true;
        validation.set_issuer(&[&client.id]);
        validation.sub = Some(client.id.clone());
        validation.set_audience(&audiences);
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        let mut last_error = None;
        for key in keys {
            match jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation) {
                Ok(data) => return self.accept_assertion(client, data.claims).await,
                Err(error) => last_error = Some(error),
            }
        }
        let reason = last_error.map(|e| e.to_string()).unwrap_or_default();
        Err(OAuthError::invalid_client(format!("client_assertion is invalid: {reason}")))
    }

    /// RFC 7523 §3: the assertion must carry a `jti`, and a `jti` is accepted once.
    async fn accept_assertion(
        &self,
        client: Client,
        claims: AssertionClaims,
    ) -> Result<AuthenticatedClient, OAuthError> {
        let now = self.now();
        if claims.exp - now > MAX_ASSERTION_LIFETIME_SECS {
            return Err(OAuthError::invalid_client("client_assertion lives too long; keep exp within an hour"));
        }
        let jti = claims
            .jti
            .filter(|j| !j.is_empty() && j.len() <= 256)
            .ok_or_else(|| OAuthError::invalid_client("client_assertion needs a jti"))?;
        let ttl_ms = (claims.exp - now + 120).max(60) * 1000;
        let fresh = self.ephemeral.put_new(&format!("jti:{}:{jti}", client.id), b"1", ttl_ms).await.map_err(|e| {
            tracing::error!(error = %e, "replay cache unavailable");
            OAuthError::server_error()
        })?;
        if !fresh {
            return Err(OAuthError::invalid_client("client_assertion was already used (jti replay)"));
        }
        Ok(AuthenticatedClient { client, method: AuthMethod::PrivateKeyJwt })
    }
}

/// RFC 6749 §2.3.1: the id and secret are form-urlencoded before being joined and base64-encoded.
fn parse_basic(encoded: &str) -> Result<(String, String), OAuthError> {
    let malformed = || OAuthError::invalid_client("malformed Basic credentials");
    let decoded = b64_decode(encoded.trim()).ok_or_else(malformed)?;
    let text = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
    let decode = |part: &str| form_decode(part).ok_or_else(malformed);
    Ok((decode(id)?, decode(secret)?))
}

fn form_decode(part: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={part}")).ok()?;
    pairs.into_iter().next().map(|(_, value)| value)
}

fn unverified_issuer(assertion: &str) -> Option<String> {
    let payload = assertion.split('.').nth(1)?;
    let bytes = crate::crypto::b64url_decode(payload)?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

fn client_keys(client: &Client, kid: Option<&str>, alg: Algorithm) -> Vec<DecodingKey> {
    let Some(jwks) = client.jwks.as_ref().and_then(|value| serde_json::from_value::<JwkSet>(value.clone()).ok()) else {
        return Vec::new();
    };
    jwks.keys
        .iter()
        .filter(|jwk| kid.is_none() || jwk.common.key_id.as_deref() == kid)
        .filter(|jwk| key_fits(jwk, alg))
        .filter_map(|jwk| DecodingKey::from_jwk(jwk).ok())
        .collect()
}

fn key_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    use jsonwebtoken::jwk::AlgorithmParameters as P;
    matches!(
        (&jwk.algorithm, alg),
        (P::RSA(_), Algorithm::RS256 | Algorithm::PS256)
            | (P::EllipticCurve(_), Algorithm::ES256)
            | (P::OctetKeyPair(_), Algorithm::EdDSA)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        // "my%20client:p%40ss" in base64
        let (id, secret) = parse_basic("bXklMjBjbGllbnQ6cCU0MHNz").unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("my client", "p@ss"));
        assert!(parse_basic("not base64!").is_err());
        assert!(parse_basic("bm9jb2xvbg==").is_err());
    }
}
