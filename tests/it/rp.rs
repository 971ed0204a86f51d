//! A real relying party: the `openidconnect` crate, configured from the provider's discovery document.

use crate::helpers::{RP, TestApp};
use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, RedirectUrl};

pub type Rp =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// An HTTP client for back-channel calls; redirects off, as openidconnect recommends.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The status UserInfo answers for a bearer token.
pub async fn userinfo_status(app: &TestApp, token: &str) -> u16 {
    http().get(app.url("/userinfo")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

/// What UserInfo answers for the access token of a token response.
pub async fn userinfo(app: &TestApp, tokens: &serde_json::Value) -> serde_json::Value {
    let token = tokens["access_token"].as_str().expect("the response has an access token");
    http().get(app.url("/userinfo")).bearer_auth(token).send().await.unwrap().json().await.unwrap()
}

pub async fn discover(app: &TestApp, client_id: &str, secret: Option<&str>) -> Rp {
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http())
        .await
        .expect("discovery");
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.to_owned()),
        secret.map(|s| ClientSecret::new(s.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(RP.to_owned()).unwrap())
}

/// The payload of a JWT, unverified (the claims openidconnect does not expose, such as `sid`).
pub fn jwt_claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// An authorization request built by hand, for what openidconnect would not send: the client, the test
/// relying party's redirect URI, `response_type=code` and `scope=openid` unless the test says otherwise.
pub struct AuthRequest {
    params: Vec<(String, String)>,
}

impl AuthRequest {
    pub fn new(client_id: &str) -> Self {
        let params = [("client_id", client_id), ("redirect_uri", RP), ("response_type", "code"), ("scope", "openid")];
        Self { params: params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect() }
    }

    pub fn scope(self, scope: &str) -> Self {
        self.with("scope", scope)
    }

    /// Sets a parameter, in place of one of the same name.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        match self.params.iter_mut().find(|(k, _)| k == name) {
            Some(param) => param.1 = value.to_owned(),
            None => self.params.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    pub fn url(&self, app: &TestApp) -> String {
        let pairs: Vec<(&str, &str)> = self.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        authorize_url(app, &pairs)
    }
}

/// Builds an authorization URL from exactly these parameters, for malformed requests.
pub fn authorize_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    app.url(&format!("/authorize?{query}"))
}

/// A PKCE pair: (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    use sha2::Digest;
    let verifier = yimen::crypto::random_token(32);
    let challenge = yimen::crypto::b64url(&sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// POSTs to the token endpoint with optional Basic credentials; returns status, JSON body and headers.
pub async fn token_request(
    app: &TestApp,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    post_form(app, "/token", basic, form).await
}

/// Redeems a code from `code_for` (redirect URI `RP`, its PKCE verifier) with HTTP Basic credentials.
pub async fn redeem_code(
    app: &TestApp,
    basic: (&str, &str),
    code: &str,
    verifier: &str,
) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let form =
        [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", RP), ("code_verifier", verifier)];
    token_request(app, Some(basic), &form).await
}

pub async fn post_form(
    app: &TestApp,
    path: &str,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let mut request = http().post(app.url(path)).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    (status, body, headers)
}

/// Runs the browser part of a code flow for a confidential client with PKCE and returns
/// (code, verifier).
pub async fn code_for(
    app: &TestApp,
    browser: &crate::helpers::Browser,
    client_id: &str,
    scope: &str,
) -> (String, String) {
    let (verifier, challenge) = pkce();
    let url = AuthRequest::new(client_id)
        .scope(scope)
        .with("state", "s1")
        .with("nonce", "n1")
        .with("code_challenge", &challenge)
        .with("code_challenge_method", "S256")
        .url(app);
    let callback = browser.authorize(&url).await;
    let code = crate::helpers::param(&callback, "code").unwrap_or_else(|| panic!("no code in {callback}"));
    (code, verifier)
}
