//! Validating an upstream's ID token (OpenID Connect Core §3.1.3.7): its signature against the upstream's
//! published keys (kept for an hour, fetched again when a token names a key not among them), the issuer,
//! the audience, the nonce of this attempt, and its lifetime by yimen's clock.

use super::FederationError;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// Tolerated difference between the upstream's clock and ours.
const LEEWAY_SECS: i64 = 60;

pub struct Expected<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub nonce: &'a str,
    pub now: i64,
}

#[derive(Clone)]
pub struct KeyCache {
    http: reqwest::Client,
    keys: moka::future::Cache<String, Arc<JwkSet>>,
}

impl KeyCache {
    pub fn new(http: reqwest::Client) -> Self {
        Self { http, keys: moka::future::Cache::builder().time_to_live(Duration::from_secs(3600)).build() }
    }

    pub async fn validate(
        &self,
        jwks_uri: &url::Url,
        token: &str,
        expected: &Expected<'_>,
    ) -> Result<Map<String, Value>, FederationError> {
        let invalid = |reason: String| FederationError::InvalidIdToken(reason);
        let header = jsonwebtoken::decode_header(token).map_err(|e| invalid(format!("not a signed JWT: {e}")))?;
        if !matches!(
            header.alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::ES256
                | Algorithm::EdDSA
        ) {
            return Err(invalid(format!("signed with {:?}, which an upstream's keys cannot be", header.alg)));
        }
        let mut keys = self.keys(jwks_uri, false).await?;
        if !keys.keys.iter().any(|jwk| fits(jwk, header.kid.as_deref(), header.alg)) {
            // A key the upstream began to sign with after we read its keys.
            keys = self.keys(jwks_uri, true).await?;
        }
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.set_issuer(&[expected.issuer]);
        validation.set_audience(&[expected.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let mut last_error = String::from("no published key fits the token's kid and algorithm");
        for jwk in keys.keys.iter().filter(|jwk| fits(jwk, header.kid.as_deref(), header.alg)) {
            let Ok(key) = DecodingKey::from_jwk(jwk) else { continue };
            match jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation) {
                Ok(data) => return check_claims(data.claims, expected),
                Err(error) => last_error = error.to_string(),
            }
        }
        Err(invalid(last_error))
    }

    async fn keys(&self, jwks_uri: &url::Url, refresh: bool) -> Result<Arc<JwkSet>, FederationError> {
        let key = jwks_uri.to_string();
        if refresh {
            self.keys.invalidate(&key).await;
        }
        let fetch = async {
            let response = self
                .http
                .get(jwks_uri.clone())
                .send()
                .await
                .map_err(|e| FederationError::Unreachable(e.to_string()))?;
            if !response.status().is_success() {
                return Err(FederationError::Unreachable(format!("{jwks_uri} answered {}", response.status())));
            }
            let keys: JwkSet =
                response.json().await.map_err(|e| FederationError::Unreachable(format!("{jwks_uri}: {e}")))?;
            Ok(Arc::new(keys))
        };
        self.keys
            .try_get_with(key, fetch)
            .await
            .map_err(|e: Arc<FederationError>| FederationError::Unreachable(e.to_string()))
    }
}

fn fits(jwk: &jsonwebtoken::jwk::Jwk, kid: Option<&str>, alg: Algorithm) -> bool {
    use jsonwebtoken::jwk::AlgorithmParameters as P;
    let kind_fits = matches!(
        (&jwk.algorithm, alg),
        (P::RSA(_), Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256)
            | (P::EllipticCurve(_), Algorithm::ES256)
            | (P::OctetKeyPair(_), Algorithm::EdDSA)
    );
    kind_fits && (kid.is_none() || jwk.common.key_id.as_deref() == kid)
}

fn check_claims(claims: Map<String, Value>, expected: &Expected<'_>) -> Result<Map<String, Value>, FederationError> {
    let invalid = |reason: &str| Err(FederationError::InvalidIdToken(reason.to_owned()));
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    if exp + LEEWAY_SECS < expected.now {
        return invalid("the ID token has expired");
    }
    if claims.get("iat").and_then(Value::as_i64).is_some_and(|iat| iat > expected.now + LEEWAY_SECS) {
        return invalid("the ID token was issued in the future");
    }
    let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or_default();
    if !crate::secret::SecretString::new(nonce).ct_eq(expected.nonce) {
        return invalid("the ID token's nonce is not this sign-in's");
    }
    // §3.1.3.7 (4, 5): with several audiences, the authorized party must be us.
    let several = claims.get("aud").and_then(Value::as_array).is_some_and(|a| a.len() > 1);
    if several && claims.get("azp").and_then(Value::as_str) != Some(expected.audience) {
        return invalid("the ID token has several audiences and azp is not this platform");
    }
    Ok(claims)
}
