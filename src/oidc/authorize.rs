//! The authorization endpoint (OpenID Connect Core §3.1.2): validating the request, deciding whether the
//! person must log in or consent, and issuing the authorization code.

use super::claims::ClaimsRequest;
use super::client::{Client, GrantType};
use super::code::CodeRecord;
use super::error::{ErrorCode, OAuthError};
use super::provider::{Provider, ProviderError};
use super::redirect_uri::with_query;
use super::scope::ScopeSet;
use super::values::{CodeChallenge, Nonce, RedirectUri, State};
use crate::identity::LoginSession;
use serde::{Deserialize, Serialize};

/// The parameters as they arrive, by query or form. Unknown parameters are ignored (§3.1.2.1); a
/// repeated parameter fails parsing, as RFC 6749 §3.1 requires.
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    /// An upstream platform to sign in with at once (`kc_idp_hint` is Keycloak's name for it).
    #[serde(alias = "kc_idp_hint")]
    pub idp_hint: Option<String>,
    pub id_token_hint: Option<String>,
    pub ui_locales: Option<String>,
    pub claims: Option<String>,
    pub acr_values: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
}

/// Why a request cannot proceed. A `Page` is shown to the person and never redirected: the client or
/// redirect URI could not be trusted (RFC 6749 §4.1.2.1). A `Redirect` goes back to the client.
#[derive(Debug)]
pub enum AuthorizeRejection {
    Page { reason: PageReason, detail: String },
    Redirect { location: String, error: OAuthError },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageReason {
    MalformedRequest,
    /// The request could not be checked (the database did not answer): nothing is wrong with it.
    Unavailable,
    UnknownClient,
    BadRedirectUri,
}

/// Kept in the browser session while the person signs in, so it is serialised without its empty fields:
/// an anonymous visitor's request should cost as little memory as it can.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub id: String,
    pub client_id: String,
    pub redirect_uri: RedirectUri,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Nonce>,
    /// Requested scopes the client may have.
    pub scopes: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<CodeChallenge>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompt: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp_hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_hint_sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_locales: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<ClaimsRequest>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acr_values: Vec<String>,
    /// The assurance level the request needs (a rank on the ladder): the client's minimum, the lowest
    /// of `acr_values`, or the essential `acr` claim, whichever is highest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_rank: Option<usize>,
    pub created_at: i64,
    /// Set when the person logged in while handling this request; satisfies prompt=login and max_age.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticated_at: Option<i64>,
    /// Set when the person consented while handling this request; satisfies prompt=consent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub consented: bool,
    /// A CAS login (`/cas/login`): it ends in a service ticket, and `redirect_uri` is the service.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cas: bool,
    /// In the sandbox, what the developer chose to happen to the tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_outcome: Option<super::sandbox::Outcome>,
}

impl AuthorizationRequest {
    pub fn scope_set(&self) -> ScopeSet {
        ScopeSet::parse(&self.scopes).unwrap_or_default()
    }

    pub fn prompts(&self, value: &str) -> bool {
        self.prompt.iter().any(|p| p == value)
    }

    /// Scopes the person must have consented to: the requested ones (openid included, so that every new
    /// system is confirmed once) plus those covering individually requested claims, all within what the
    /// client may have.
    pub fn consent_scopes(&self, client: &Client) -> ScopeSet {
        let mut scopes = self.scope_set();
        if let Some(claims) = &self.claims {
            scopes = scopes.union(&claims.covering_scopes().intersect(&client.allowed_scopes));
        }
        scopes
    }
}

/// What the person must do next for the request to complete.
#[derive(Debug, PartialEq, Eq)]
pub enum NextStep {
    Login,
    /// Logged in with one factor; the client requires two.
    SecondFactor,
    /// The person's assurance level is below what the request needs.
    StepUp,
    Consent,
    Issue,
    Fail(OAuthError),
}

const MAX_STATE_LEN: usize = 2048;
const MAX_NONCE_LEN: usize = 512;

impl Provider {
    pub async fn validate_authorization(
        &self,
        params: AuthorizeParams,
    ) -> Result<(AuthorizationRequest, Client), AuthorizeRejection> {
        let page = |reason, detail: &str| AuthorizeRejection::Page { reason, detail: detail.to_owned() };
        let client_id = params.client_id.as_deref().unwrap_or_default();
        if client_id.is_empty() {
            return Err(page(PageReason::MalformedRequest, "the request has no client_id"));
        }
        let client = self
            .find_client(client_id)
            .await
            .map_err(|e| page(PageReason::Unavailable, &log_internal(e)))?
            .ok_or_else(|| page(PageReason::UnknownClient, "no enabled client has this client_id"))?;
        let Some(redirect_uri) = params.redirect_uri.clone() else {
            return Err(page(PageReason::BadRedirectUri, "the request has no redirect_uri"));
        };
        if !client.has_redirect_uri(&redirect_uri) {
            return Err(page(PageReason::BadRedirectUri, "the redirect_uri is not registered for this client"));
        }
        if !client.allows_grant(GrantType::AuthorizationCode) {
            return Err(page(
                PageReason::UnknownClient,
                "this client is not registered for the authorization code flow",
            ));
        }
        let redirect_uri = RedirectUri::new(redirect_uri);
        let state = params.state.clone().filter(|s| !s.is_empty()).map(State::new);
        if state.as_ref().is_some_and(|s| s.as_str().len() > MAX_STATE_LEN) {
            // Too long to echo back, and a client that sends it cannot be answered in its own terms.
            return Err(page(
                PageReason::MalformedRequest,
                &format!("state is longer than {MAX_STATE_LEN} characters"),
            ));
        }
        let fail = |error: OAuthError| AuthorizeRejection::Redirect {
            location: self.error_location(&redirect_uri, state.as_ref(), &error),
            error,
        };
        let invalid = |description: &str| fail(OAuthError::invalid_request(description));

        if let Some(problem) = oversized(&params) {
            return Err(invalid(&problem));
        }
        if params.request.is_some() {
            return Err(fail(OAuthError::new(
                ErrorCode::RequestNotSupported,
                "request objects are not supported; send the parameters directly",
            )));
        }
        if params.request_uri.is_some() {
            return Err(fail(OAuthError::new(
                ErrorCode::RequestUriNotSupported,
                "request_uri is not supported; send the parameters directly",
            )));
        }
        match params.response_type.as_deref() {
            None | Some("") => {
                return Err(invalid("response_type is required; yimen supports 'code'"));
            }
            Some("code") => {}
            Some(_) => {
                return Err(fail(OAuthError::new(
                    ErrorCode::UnsupportedResponseType,
                    "only response_type=code is supported",
                )));
            }
        }
        if let Some(mode) = params.response_mode.as_deref()
            && mode != "query"
        {
            return Err(invalid("only response_mode=query is supported"));
        }
        let requested = ScopeSet::parse(params.scope.as_deref().unwrap_or_default())
            .map_err(|e| fail(OAuthError::new(ErrorCode::InvalidScope, e.to_string())))?;
        if !requested.contains("openid") {
            return Err(fail(OAuthError::new(ErrorCode::InvalidScope, "scope must include openid")));
        }
        let scopes = requested.intersect(&client.allowed_scopes);
        let nonce = params.nonce.clone().filter(|n| !n.is_empty()).map(Nonce::new);
        if nonce.as_ref().is_some_and(|n| n.as_str().len() > MAX_NONCE_LEN) {
            return Err(invalid("nonce is too long"));
        }
        let code_challenge = match (params.code_challenge.as_deref(), params.code_challenge_method.as_deref()) {
            (None, None) if client.is_public() => {
                return Err(invalid(
                    "public clients must use PKCE: send code_challenge with code_challenge_method=S256",
                ));
            }
            (None, None) => None,
            (None, Some(_)) => {
                return Err(invalid("code_challenge_method was sent without code_challenge"));
            }
            (Some(_), Some(method)) if method != "S256" => {
                return Err(invalid("code_challenge_method must be S256; plain is not accepted"));
            }
            (Some(_), None) => {
                return Err(invalid("code_challenge_method is required and must be S256"));
            }
            (Some(challenge), Some(_)) => {
                if !super::pkce::is_valid_challenge(challenge) {
                    return Err(invalid(
                        "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
                    ));
                }
                Some(CodeChallenge::new(challenge))
            }
        };
        let prompt: Vec<String> = params
            .prompt
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(unknown) =
            prompt.iter().find(|p| !matches!(p.as_str(), "none" | "login" | "consent" | "select_account"))
        {
            return Err(invalid(&format!("prompt value '{unknown}' is not supported")));
        }
        if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
            return Err(invalid("prompt=none cannot be combined with other prompt values"));
        }
        let max_age = match params.max_age.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                text.parse::<i64>()
                    .ok()
                    .filter(|age| *age >= 0)
                    .ok_or_else(|| invalid("max_age must be a non-negative integer"))?,
            ),
        };
        let claims = match params.claims.as_deref() {
            None | Some("") => None,
            Some(text) => Some(ClaimsRequest::parse(text).map_err(|e| invalid(&e))?),
        };
        let id_token_hint_sub = match params.id_token_hint.as_deref() {
            None | Some("") => None,
            Some(hint) => Some(
                self.id_token_hint_subject(hint, &client)
                    .ok_or_else(|| invalid("id_token_hint is not an ID token this provider issued to this client"))?,
            ),
        };
        let acr_values: Vec<String> = params
            .acr_values
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        let ladder = self.assurance.ladder();
        let essential =
            claims.as_ref().and_then(|c| c.essential_acr_values()).and_then(|values| ladder.requirement(&values));
        let minimum = client.min_acr.as_deref().and_then(|acr| ladder.rank(acr));
        let required_rank = [minimum, ladder.requirement(&acr_values), essential].into_iter().flatten().max();
        let request = AuthorizationRequest {
            id: crate::crypto::random_token(16),
            client_id: client.id.clone(),
            redirect_uri,
            state,
            nonce,
            scopes: scopes.to_string(),
            code_challenge,
            prompt,
            max_age,
            login_hint: params.login_hint.filter(|h| !h.is_empty()),
            idp_hint: params.idp_hint.filter(|h| !h.is_empty()),
            id_token_hint_sub,
            ui_locales: params.ui_locales,
            claims,
            acr_values,
            required_rank,
            created_at: self.now(),
            authenticated_at: None,
            consented: false,
            cas: false,
            sandbox_outcome: None,
        };
        Ok((request, client))
    }

    /// Decides what the request still needs, given the browser's login session (if any) and the scopes
    /// the person has already consented to for this client.
    pub fn next_step(
        &self,
        request: &AuthorizationRequest,
        client: &Client,
        login: Option<&LoginSession>,
        rank: usize,
        consented: &ScopeSet,
    ) -> NextStep {
        let silent = request.prompts("none");
        let needs_login = |why: &str| {
            if silent { NextStep::Fail(OAuthError::new(ErrorCode::LoginRequired, why)) } else { NextStep::Login }
        };
        let Some(login) = login else {
            return needs_login("the person is not logged in");
        };
        if request.authenticated_at.is_none() {
            if request.prompts("login") || request.prompts("select_account") {
                return NextStep::Login;
            }
            // Times are whole seconds: a login in the same second may be up to a second old, so an age equal
            // to max_age already counts as too old, and max_age=0 always asks for a new login (as
            // prompt=login does), never letting an older login through.
            if let Some(max_age) = request.max_age
                && self.now() - login.auth_time >= max_age
            {
                return needs_login("the login is older than max_age");
            }
            if let Some(hinted) = &request.id_token_hint_sub
                && *hinted != self.subject_for(client, &login.person_id)
            {
                return needs_login("a different person is logged in than id_token_hint names");
            }
        }
        // A claims request naming a subject is answered only for that subject (OIDC Core §5.5.1): another
        // person signed in is asked to sign in again; after a sign-in in this request, it is an error.
        if let Some(wanted) = request.claims.as_ref().and_then(|claims| claims.requested_subject())
            && wanted != self.subject_for(client, &login.person_id)
        {
            if request.authenticated_at.is_none() {
                return needs_login("a different person is logged in than the claims request's sub names");
            }
            return NextStep::Fail(OAuthError::new(
                ErrorCode::LoginRequired,
                "the person who signed in is not the subject the claims request names",
            ));
        }
        if client.require_mfa && !login.amr.contains(&crate::identity::amr::Amr::Mfa) {
            return if silent {
                NextStep::Fail(OAuthError::new(ErrorCode::InteractionRequired, "this system requires a second factor"))
            } else {
                NextStep::SecondFactor
            };
        }
        if request.required_rank.is_some_and(|required| required > rank) {
            return if silent {
                NextStep::Fail(OAuthError::new(
                    ErrorCode::UnmetAuthenticationRequirements,
                    "the person's assurance level is below the level this request needs",
                ))
            } else {
                NextStep::StepUp
            };
        }
        let must_ask =
            (request.prompts("consent") && !request.consented) || !request.consent_scopes(client).is_subset(consented);
        if must_ask {
            return if silent {
                NextStep::Fail(OAuthError::new(
                    ErrorCode::ConsentRequired,
                    "the person has not consented to this client and scope",
                ))
            } else {
                NextStep::Consent
            };
        }
        NextStep::Issue
    }

    pub async fn consented_scopes(&self, person_id: &str, client_id: &str) -> Result<ScopeSet, ProviderError> {
        let stored = self.db.find_consent(person_id, client_id).await?;
        Ok(stored.and_then(|text| ScopeSet::parse(&text).ok()).unwrap_or_default())
    }

    /// Every system a person consented to: (client id, scopes, granted at).
    pub async fn consents_of(&self, person_id: &str) -> Result<Vec<(String, String, i64)>, ProviderError> {
        Ok(self.db.consents_of(person_id).await?)
    }

    /// Withdraws consent for a client and revokes everything it holds for the person.
    pub async fn withdraw_consent(&self, person_id: &str, client_id: &str) -> Result<bool, ProviderError> {
        let removed = self.db.delete_consent(person_id, client_id).await?;
        self.revoke_person_grants(person_id, Some(client_id), "consent withdrawn").await?;
        Ok(removed)
    }

    /// Remembers consent for these scopes (adding to what was granted before).
    pub async fn record_consent(
        &self,
        person_id: &str,
        client: &Client,
        scopes: &ScopeSet,
    ) -> Result<(), ProviderError> {
        let merged = self.consented_scopes(person_id, &client.id).await?.union(scopes);
        self.db.save_consent(person_id, &client.id, &merged.to_string(), self.now()).await?;
        Ok(())
    }

    /// Issues a single-use code and returns the redirect back to the client.
    pub async fn issue_code(
        &self,
        request: &AuthorizationRequest,
        login: &LoginSession,
        acr: String,
        acting_org_id: Option<String>,
    ) -> Result<String, ProviderError> {
        let code = crate::crypto::random_token(32);
        let now = self.now();
        let record = CodeRecord {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            person_id: login.person_id.clone(),
            session_id: login.id.clone(),
            scopes: request.scopes.clone(),
            claims: request.claims.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            auth_time: login.auth_time,
            acr,
            amr: login.amr.clone(),
            upstream: login.upstream.clone(),
            acting_org_id,
            expires_at: now + self.tokens.authorization_code_ttl_secs,
            sandbox_outcome: request.sandbox_outcome.filter(|_| self.sandbox),
        };
        self.store_code(&code, &record).await?;
        let mut params = vec![("code", code.as_str())];
        if let Some(state) = &request.state {
            params.push(("state", state.as_str()));
        }
        params.push(("iss", &self.issuer));
        Ok(with_query(request.redirect_uri.as_str(), &params))
    }

    /// The redirect carrying an error back to the client (with `state` and, per RFC 9207, `iss`).
    pub fn error_location(&self, redirect_uri: &RedirectUri, state: Option<&State>, error: &OAuthError) -> String {
        let mut params = vec![("error", error.code.as_str()), ("error_description", error.description.as_str())];
        if let Some(state) = state {
            params.push(("state", state.as_str()));
        }
        params.push(("iss", &self.issuer));
        with_query(redirect_uri.as_str(), &params)
    }

    /// The subject of an ID token this provider issued to `client`; expiry is not checked (§3.1.2.1).
    fn id_token_hint_subject(&self, hint: &str, client: &Client) -> Option<String> {
        let claims: serde_json::Value = self
            .keys
            .verify(hint, |v| {
                v.validate_exp = false;
                v.set_issuer(&[&self.issuer]);
                v.set_audience(&[&client.id]);
                v.set_required_spec_claims(&["sub", "iss", "aud"]);
            })
            .ok()?;
        claims.get("sub")?.as_str().map(str::to_owned)
    }
}

fn log_internal(error: ProviderError) -> String {
    tracing::error!(%error, "authorization request failed");
    "the server could not check this request; try again later".to_owned()
}

/// The first parameter over its limit of characters or of space-separated values, described for the
/// client. The request is kept while the person signs in, so nothing in it may be large: an anonymous
/// visitor could otherwise make the server hold kilobytes per request.
fn oversized(params: &AuthorizeParams) -> Option<String> {
    let limits: [(&str, Option<&str>, usize, usize); 11] = [
        ("scope", params.scope.as_deref(), 1024, 30),
        ("nonce", params.nonce.as_deref(), MAX_NONCE_LEN, 1),
        ("prompt", params.prompt.as_deref(), 64, 4),
        ("max_age", params.max_age.as_deref(), 10, 1),
        ("login_hint", params.login_hint.as_deref(), 256, 1),
        ("idp_hint", params.idp_hint.as_deref(), 32, 1),
        ("ui_locales", params.ui_locales.as_deref(), 128, 10),
        ("acr_values", params.acr_values.as_deref(), 512, 10),
        ("claims", params.claims.as_deref(), 4096, 1),
        ("id_token_hint", params.id_token_hint.as_deref(), 8192, 1),
        ("code_challenge", params.code_challenge.as_deref(), 128, 1),
    ];
    limits.into_iter().find_map(|(name, value, max_len, max_values)| {
        let text = value?;
        if text.chars().count() > max_len {
            return Some(format!("{name} is longer than {max_len} characters"));
        }
        let values = text.split(' ').filter(|v| !v.is_empty()).count();
        (max_values > 1 && values > max_values).then(|| format!("{name} has more than {max_values} values"))
    })
}
