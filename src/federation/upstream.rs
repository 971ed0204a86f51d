//! yimen as a relying party of one upstream platform: the authorization request (with state, nonce and
//! PKCE), and the redemption of its answer into the person's claims — through a validated ID token and
//! UserInfo for `oidc`, through the token-information endpoint for `oauth2-userinfo`.

use super::FederationError;
use super::id_token::KeyCache;
use crate::clock::SharedClock;
use crate::config::{TokenAuthMethod, UpstreamConfig, UpstreamProtocol, UserinfoStyle};
use crate::secret::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

/// The endpoints in use: configured ones, the rest from discovery.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoints {
    #[serde(default)]
    pub issuer: Option<String>,
    pub authorization_endpoint: url::Url,
    pub token_endpoint: url::Url,
    #[serde(default)]
    pub userinfo_endpoint: Option<url::Url>,
    #[serde(default)]
    pub jwks_uri: Option<url::Url>,
    #[serde(default)]
    pub end_session_endpoint: Option<url::Url>,
}

/// What the browser carries from the authorization request to the callback; kept in its session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub upstream: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// What a redeemed answer yields: the person's claims, and for `oidc` the ID token (kept as the hint for
/// ending the upstream's session at logout).
#[derive(Debug)]
pub struct Redeemed {
    pub claims: Map<String, Value>,
    pub id_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    access_token: SecretString,
    #[serde(default)]
    id_token: Option<String>,
}

#[derive(Clone)]
pub struct Upstream {
    pub config: UpstreamConfig,
    http: reqwest::Client,
    clock: SharedClock,
    /// Discovery, kept for an hour.
    endpoints: moka::future::Cache<(), Arc<Endpoints>>,
    keys: KeyCache,
    /// The key of `private_key_jwt`, read once at start.
    assertion_key: Option<Arc<jsonwebtoken::EncodingKey>>,
    /// What the last probe or sign-in found: [`UNKNOWN`], [`UP`] or [`DOWN`].
    health: Arc<AtomicU8>,
    /// Why the upstream was last found unreachable, for the console.
    problem: Arc<std::sync::Mutex<Option<String>>>,
}

pub const UNKNOWN: u8 = 0;
pub const UP: u8 = 1;
pub const DOWN: u8 = 2;

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("id", &self.config.id).finish_non_exhaustive()
    }
}

impl Upstream {
    pub fn new(config: UpstreamConfig, clock: SharedClock) -> Result<Self, FederationError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .connect_timeout(Duration::from_millis(config.timeout_ms.min(2000)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FederationError::Internal(e.into()))?;
        let endpoints = moka::future::Cache::builder().time_to_live(Duration::from_secs(3600)).build();
        let keys = KeyCache::new(http.clone());
        let assertion_key = match config.token_auth {
            TokenAuthMethod::PrivateKeyJwt => {
                Some(Arc::new(config.assertion_key().map_err(|e| FederationError::Internal(e.into()))?))
            }
            _ => None,
        };
        Ok(Self {
            config,
            http,
            clock,
            endpoints,
            keys,
            assertion_key,
            health: Arc::default(),
            problem: Arc::default(),
        })
    }

    /// Whether the upstream answered the last time it was asked: [`UNKNOWN`], [`UP`] or [`DOWN`].
    pub fn health(&self) -> u8 {
        self.health.load(Ordering::Relaxed)
    }

    /// Why the upstream was last found unreachable, if it ever was.
    pub fn last_problem(&self) -> Option<String> {
        self.problem.lock().ok().and_then(|problem| problem.clone())
    }

    /// Asks the upstream whether it is there: its discovery document, or for a platform without one its
    /// authorization endpoint (any answer below 500 will do).
    pub async fn probe(&self) {
        let url = match (&self.config.protocol, &self.config.issuer) {
            (UpstreamProtocol::Oidc, Some(issuer)) => {
                format!("{}/.well-known/openid-configuration", issuer.as_str().trim_end_matches('/'))
            }
            _ => self.config.authorization_endpoint.as_ref().map(url::Url::to_string).unwrap_or_default(),
        };
        let result = match self.http.get(&url).send().await {
            Ok(response) if !response.status().is_server_error() => Ok(()),
            Ok(response) => Err(FederationError::Unreachable(format!("{url} answered {}", response.status()))),
            Err(error) => Err(FederationError::Unreachable(error.to_string())),
        };
        self.note(&result);
    }

    /// Keeps what a request to the upstream showed of its health, logging each change once.
    fn note<T>(&self, result: &Result<T, FederationError>) {
        let now = match result {
            Err(FederationError::Unreachable(_)) => DOWN,
            Err(_) | Ok(_) => UP,
        };
        if let Err(FederationError::Unreachable(reason)) = result
            && let Ok(mut problem) = self.problem.lock()
        {
            *problem = Some(reason.clone());
        }
        let before = self.health.swap(now, Ordering::Relaxed);
        match (before, now, result) {
            (UP | UNKNOWN, DOWN, Err(error)) => {
                tracing::warn!(upstream = %self.config.id, %error, "an upstream platform cannot be reached")
            }
            (DOWN, UP, _) => tracing::info!(upstream = %self.config.id, "an upstream platform answers again"),
            _ => {}
        }
    }

    pub fn id(&self) -> &str {
        &self.config.id
    }

    /// The endpoints, reading the discovery document when the configuration leaves any out.
    pub async fn endpoints(&self) -> Result<Arc<Endpoints>, FederationError> {
        let config = &self.config;
        if let (Some(authorization), Some(token)) = (&config.authorization_endpoint, &config.token_endpoint)
            && (config.protocol == UpstreamProtocol::Oauth2Userinfo || config.jwks_uri.is_some())
        {
            return Ok(Arc::new(Endpoints {
                issuer: config.issuer.as_ref().map(|i| i.as_str().trim_end_matches('/').to_owned()),
                authorization_endpoint: authorization.clone(),
                token_endpoint: token.clone(),
                userinfo_endpoint: config.userinfo_endpoint.clone(),
                jwks_uri: config.jwks_uri.clone(),
                end_session_endpoint: config.end_session_endpoint.clone(),
            }));
        }
        self.endpoints
            .try_get_with((), self.discover())
            .await
            .map_err(|error: Arc<FederationError>| FederationError::Unreachable(error.to_string()))
    }

    async fn discover(&self) -> Result<Arc<Endpoints>, FederationError> {
        let issuer = self.config.issuer.as_ref().ok_or_else(|| FederationError::Unreachable("no issuer".into()))?;
        let url = format!("{}/.well-known/openid-configuration", issuer.as_str().trim_end_matches('/'));
        let mut found: Endpoints = self.get_json(&url).await?;
        let expected = issuer.as_str().trim_end_matches('/');
        // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
        if found.issuer.as_deref().map(|i| i.trim_end_matches('/')) != Some(expected) {
            return Err(FederationError::Unreachable(format!(
                "the discovery document names issuer {:?}, not {expected}",
                found.issuer.unwrap_or_default()
            )));
        }
        let config = &self.config;
        found.authorization_endpoint = config.authorization_endpoint.clone().unwrap_or(found.authorization_endpoint);
        found.token_endpoint = config.token_endpoint.clone().unwrap_or(found.token_endpoint);
        found.userinfo_endpoint = config.userinfo_endpoint.clone().or(found.userinfo_endpoint);
        found.jwks_uri = config.jwks_uri.clone().or(found.jwks_uri);
        found.end_session_endpoint = config.end_session_endpoint.clone().or(found.end_session_endpoint);
        Ok(Arc::new(found))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, FederationError> {
        let response = self.http.get(url).send().await.map_err(|e| FederationError::Unreachable(e.to_string()))?;
        if !response.status().is_success() {
            return Err(FederationError::Unreachable(format!("{url} answered {}", response.status())));
        }
        response.json().await.map_err(|e| FederationError::Unreachable(format!("{url}: {e}")))
    }

    /// The authorization request for a new attempt, and the attempt to keep until the browser returns.
    pub async fn authorization_url(&self, redirect_uri: &str) -> Result<(url::Url, Attempt), FederationError> {
        let endpoints = self.endpoints().await;
        self.note(&endpoints);
        let endpoints = endpoints?;
        let attempt = Attempt {
            upstream: self.config.id.clone(),
            state: crate::crypto::random_token(32),
            nonce: crate::crypto::random_token(32),
            verifier: crate::crypto::random_token(32),
        };
        let mut url = endpoints.authorization_endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &self.config.scopes.join(" "))
                .append_pair("state", &attempt.state);
            if self.config.protocol == UpstreamProtocol::Oidc {
                let challenge = crate::crypto::b64url(&crate::crypto::sha256(attempt.verifier.as_bytes()));
                query
                    .append_pair("nonce", &attempt.nonce)
                    .append_pair("code_challenge", &challenge)
                    .append_pair("code_challenge_method", "S256");
            }
            for (name, value) in &self.config.authorize_params {
                query.append_pair(name, value);
            }
        }
        Ok((url, attempt))
    }

    /// The address that ends the person's session at the upstream and comes back to
    /// `post_logout_redirect_uri` with `state`; None when the upstream has no end-session endpoint, is not
    /// to be told, or cannot be reached now (the person is logged out of yimen all the same).
    pub async fn end_session_url(
        &self,
        id_token: &str,
        post_logout_redirect_uri: &str,
        state: &str,
    ) -> Option<url::Url> {
        if !self.config.end_session {
            return None;
        }
        let mut url = self.endpoints().await.ok()?.end_session_endpoint.clone()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", &self.config.client_id)
            .append_pair("post_logout_redirect_uri", post_logout_redirect_uri)
            .append_pair("state", state);
        Some(url)
    }

    /// Redeems the code the upstream returned for `attempt` into the person's claims, every check passed.
    pub async fn redeem(&self, code: &str, attempt: &Attempt, redirect_uri: &str) -> Result<Redeemed, FederationError> {
        let redeemed = self.redeem_unnoted(code, attempt, redirect_uri).await;
        self.note(&redeemed);
        redeemed
    }

    async fn redeem_unnoted(
        &self,
        code: &str,
        attempt: &Attempt,
        redirect_uri: &str,
    ) -> Result<Redeemed, FederationError> {
        let endpoints = self.endpoints().await?;
        let answer = self.exchange(&endpoints, code, attempt, redirect_uri).await?;
        match self.config.protocol {
            UpstreamProtocol::Oidc => {
                let id_token = answer
                    .id_token
                    .ok_or_else(|| FederationError::InvalidIdToken("the token answer has no id_token".into()))?;
                let issuer = endpoints.issuer.clone().unwrap_or_default();
                let jwks_uri = endpoints
                    .jwks_uri
                    .as_ref()
                    .ok_or_else(|| FederationError::Unreachable("the upstream publishes no jwks_uri".into()))?;
                let expected = super::id_token::Expected {
                    issuer: &issuer,
                    audience: &self.config.client_id,
                    nonce: &attempt.nonce,
                    now: self.clock.now(),
                };
                let mut claims = self.keys.validate(jwks_uri, &id_token, &expected).await?;
                if let Some(userinfo) = &endpoints.userinfo_endpoint {
                    let extra = self.userinfo(userinfo, &answer.access_token).await?;
                    // OpenID Connect Core §5.3.2: UserInfo must be about the ID token's subject.
                    if extra.get("sub") != claims.get("sub") {
                        return Err(FederationError::InvalidIdToken(
                            "UserInfo names another subject than the ID token".into(),
                        ));
                    }
                    for (name, value) in extra {
                        claims.entry(name).or_insert(value);
                    }
                }
                Ok(Redeemed { claims, id_token: Some(id_token) })
            }
            UpstreamProtocol::Oauth2Userinfo => {
                let endpoint = endpoints
                    .userinfo_endpoint
                    .as_ref()
                    .ok_or_else(|| FederationError::Unreachable("no userinfo_endpoint".into()))?;
                let claims = self.userinfo(endpoint, &answer.access_token).await?;
                Ok(Redeemed { claims, id_token: None })
            }
        }
    }

    async fn exchange(
        &self,
        endpoints: &Endpoints,
        code: &str,
        attempt: &Attempt,
        redirect_uri: &str,
    ) -> Result<TokenAnswer, FederationError> {
        let config = &self.config;
        let secret = config.client_secret.as_ref().map(SecretString::expose).unwrap_or_default();
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", config.client_id.as_str()),
        ];
        if config.protocol == UpstreamProtocol::Oidc {
            form.push(("code_verifier", attempt.verifier.as_str()));
        }
        let mut request = self.http.post(endpoints.token_endpoint.clone());
        let assertion;
        match config.token_auth {
            TokenAuthMethod::ClientSecretBasic => {
                request = request.basic_auth(form_encode(&config.client_id), Some(form_encode(secret)))
            }
            TokenAuthMethod::ClientSecretPost => form.push(("client_secret", secret)),
            TokenAuthMethod::PrivateKeyJwt => {
                assertion = self.client_assertion(endpoints.token_endpoint.as_str())?;
                form.push(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
                form.push(("client_assertion", assertion.as_str()));
            }
        }
        let response = request.form(&form).send().await.map_err(|e| FederationError::Unreachable(e.to_string()))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(FederationError::Unreachable(format!("the token endpoint answered {status}")));
        }
        let body: Value = response
            .json()
            .await
            .map_err(|e| FederationError::Refused(format!("the token endpoint's answer is not JSON: {e}")))?;
        if !status.is_success() || body.get("error").is_some() {
            let error = body.get("error").and_then(Value::as_str).unwrap_or("error");
            let description = body.get("error_description").and_then(Value::as_str).unwrap_or_default();
            return Err(FederationError::Refused(format!("{error} {description}").trim().to_owned()));
        }
        serde_json::from_value(body)
            .map_err(|e| FederationError::Refused(format!("the token endpoint's answer has no access_token: {e}")))
    }

    /// A client assertion for the token endpoint (RFC 7523 §3): ours, for it, once, for a minute.
    fn client_assertion(&self, audience: &str) -> Result<String, FederationError> {
        let config = &self.config;
        let key = self.assertion_key.as_ref().ok_or_else(|| FederationError::Internal("no private_key_file".into()))?;
        let now = self.clock.now();
        let claims = serde_json::json!({
            "iss": config.client_id,
            "sub": config.client_id,
            "aud": audience,
            "jti": crate::crypto::random_token(16),
            "iat": now,
            "exp": now + 60,
        });
        let alg = match config.private_key_alg {
            crate::config::AssertionAlg::RS256 => jsonwebtoken::Algorithm::RS256,
            crate::config::AssertionAlg::ES256 => jsonwebtoken::Algorithm::ES256,
        };
        jsonwebtoken::encode(&jsonwebtoken::Header::new(alg), &claims, key)
            .map_err(|e| FederationError::Internal(e.into()))
    }

    async fn userinfo(&self, endpoint: &url::Url, token: &SecretString) -> Result<Map<String, Value>, FederationError> {
        let request = match self.config.userinfo_style {
            UserinfoStyle::Bearer => self.http.get(endpoint.clone()).bearer_auth(token.expose()),
            UserinfoStyle::Query => {
                let mut url = endpoint.clone();
                url.query_pairs_mut().append_pair(&self.config.access_token_param, token.expose());
                self.http.get(url)
            }
        };
        let response = request.send().await.map_err(|e| FederationError::Unreachable(e.to_string()))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(FederationError::Unreachable(format!("the user-information endpoint answered {status}")));
        }
        if !status.is_success() {
            return Err(FederationError::Refused(format!("the user-information endpoint answered {status}")));
        }
        match response.json::<Value>().await {
            Ok(Value::Object(claims)) => Ok(claims),
            _ => Err(FederationError::Refused("the user-information endpoint's answer is not a JSON object".into())),
        }
    }
}

/// RFC 6749 §2.3.1: the id and secret are form-urlencoded before they are joined for Basic.
fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
