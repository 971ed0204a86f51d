//! An upstream platform for the tests, on a real port: an OpenID Connect provider (discovery, JWKS, an
//! authorization endpoint where the person is already signed in, a token endpoint that checks the client,
//! the code, the redirect URI and PKCE, UserInfo), and the token-information style of platforms built
//! before OpenID Connect (`/oauth2/authorize`, `/oauth2/access_token`, `/oauth2/tokeninfo` with the person
//! in `userobj`, as the Guangdong platform's published department integrations use it). A test sets who is
//! signed in and which fault the next ID token carries.

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "city";
pub const CLIENT_SECRET: &str = "city-secret";

/// What is wrong with the next ID token, or with the answer to the next authorization request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fault {
    #[default]
    None,
    /// Signed with a key that is not the published one (under the published key's id).
    BadSignature,
    WrongIssuer,
    WrongAudience,
    WrongNonce,
    Expired,
    /// The person declines at the upstream.
    Declined,
    /// UserInfo speaks of another subject than the ID token.
    OtherUserinfoSubject,
}

struct Grant {
    redirect_uri: String,
    nonce: Option<String>,
    challenge: Option<String>,
}

#[derive(Default)]
struct Inner {
    person: Value,
    fault: Fault,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, Value>,
    authorize_queries: Vec<HashMap<String, String>>,
    logout_queries: Vec<HashMap<String, String>>,
    /// The public key of the city's client assertions (private_key_jwt), when it uses them.
    client_key: Option<Arc<jsonwebtoken::DecodingKey>>,
}

#[derive(Clone)]
struct Shared {
    issuer: String,
    /// The signing key, its id and its public half; replaced by `rotate_key`.
    key: Arc<Mutex<(Arc<EncodingKey>, String, Value)>>,
    impostor: Arc<EncodingKey>,
    inner: Arc<Mutex<Inner>>,
}

pub struct FakeUpstream {
    pub base: String,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl FakeUpstream {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (key, jwk) = es256_key("upstream-1");
        let (impostor, _) = es256_key("upstream-1");
        let shared = Shared {
            issuer: base.clone(),
            key: Arc::new(Mutex::new((Arc::new(key), "upstream-1".to_owned(), jwk))),
            impostor: Arc::new(impostor),
            inner: Arc::default(),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .route("/logout", get(logout))
            .route("/oauth2/authorize", get(authorize))
            .route("/oauth2/access_token", post(token))
            .route("/oauth2/tokeninfo", get(tokeninfo))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { base, shared, server }
    }

    /// The person signed in at the upstream: their claims as UserInfo or the token-information endpoint
    /// gives them (`sub` and `acr` also go into the ID token).
    pub fn sign_in_as(&self, person: Value) {
        self.shared.inner.lock().unwrap().person = person;
    }

    /// Accepts client assertions (private_key_jwt) signed with the key whose public half this is (PEM).
    pub fn accept_client_key(&self, public_pem: &str) {
        let key = jsonwebtoken::DecodingKey::from_ec_pem(public_pem.as_bytes()).unwrap();
        self.shared.inner.lock().unwrap().client_key = Some(Arc::new(key));
    }

    /// Signs from now on with a new key under a new id, and publishes only that one.
    pub fn rotate_key(&self, kid: &str) {
        let (key, jwk) = es256_key(kid);
        *self.shared.key.lock().unwrap() = (Arc::new(key), kid.to_owned(), jwk);
    }

    pub fn fault(&self, fault: Fault) {
        self.shared.inner.lock().unwrap().fault = fault;
    }

    /// The queries of the logout requests so far.
    pub fn logout_queries(&self) -> Vec<HashMap<String, String>> {
        self.shared.inner.lock().unwrap().logout_queries.clone()
    }

    /// The query of the last authorization request.
    pub fn last_authorize_query(&self) -> HashMap<String, String> {
        self.shared.inner.lock().unwrap().authorize_queries.last().cloned().unwrap_or_default()
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn es256_key(kid: &str) -> (EncodingKey, Value) {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::EncodePrivateKey;
    let secret = p256::SecretKey::random(&mut rand::thread_rng());
    let pem = secret.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap();
    let point = secret.public_key().to_encoded_point(false);
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
        "x": yimen::crypto::b64url(point.x().unwrap()),
        "y": yimen::crypto::b64url(point.y().unwrap()),
    });
    (EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(), jwk)
}

async fn discovery(State(shared): State<Shared>) -> Json<Value> {
    let base = &shared.issuer;
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/jwks"),
        "end_session_endpoint": format!("{base}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    }))
}

async fn jwks(State(shared): State<Shared>) -> Json<Value> {
    Json(json!({ "keys": [shared.key.lock().unwrap().2] }))
}

async fn authorize(State(shared): State<Shared>, Query(query): Query<HashMap<String, String>>) -> Response {
    let redirect_uri = query.get("redirect_uri").cloned().unwrap_or_default();
    let Ok(mut back) = url::Url::parse(&redirect_uri) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is missing").into_response();
    };
    let mut inner = shared.inner.lock().unwrap();
    inner.authorize_queries.push(query.clone());
    if let Some(state) = query.get("state") {
        back.query_pairs_mut().append_pair("state", state);
    }
    if inner.fault == Fault::Declined {
        back.query_pairs_mut().append_pair("error", "access_denied");
        return Redirect::to(back.as_str()).into_response();
    }
    let code = yimen::crypto::random_token(16);
    let grant =
        Grant { redirect_uri, nonce: query.get("nonce").cloned(), challenge: query.get("code_challenge").cloned() };
    inner.codes.insert(code.clone(), grant);
    back.query_pairs_mut().append_pair("code", &code);
    Redirect::to(back.as_str()).into_response()
}

async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let refuse = |error: &str| (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response();
    let basic = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Basic "));
    let client_key = shared.inner.lock().unwrap().client_key.clone();
    let credentials = match (form.get("client_assertion"), client_key) {
        (Some(assertion), Some(key)) => {
            let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
            validation.set_audience(&[format!("{}/token", shared.issuer)]);
            validation.set_issuer(&[CLIENT_ID]);
            match jsonwebtoken::decode::<Value>(assertion, &key, &validation) {
                Ok(data) if data.claims["sub"] == CLIENT_ID => Some((CLIENT_ID.to_owned(), CLIENT_SECRET.to_owned())),
                _ => None,
            }
        }
        _ => client_secret_credentials(basic, &form),
    };
    if credentials != Some((CLIENT_ID.to_owned(), CLIENT_SECRET.to_owned())) {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_client" }))).into_response();
    }
    let mut inner = shared.inner.lock().unwrap();
    let Some(grant) = inner.codes.remove(form.get("code").map(String::as_str).unwrap_or_default()) else {
        return refuse("invalid_grant");
    };
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return refuse("invalid_grant");
    }
    if let Some(challenge) = &grant.challenge {
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        if &yimen::crypto::b64url(&yimen::crypto::sha256(verifier.as_bytes())) != challenge {
            return refuse("invalid_grant");
        }
    }
    let access_token = yimen::crypto::random_token(16);
    let person = inner.person.clone();
    let mut told = person.clone();
    if inner.fault == Fault::OtherUserinfoSubject {
        told["sub"] = json!("someone-else");
    }
    inner.tokens.insert(access_token.clone(), told);
    let mut answer = json!({ "access_token": access_token, "token_type": "Bearer", "expires_in": 300 });
    if let Some(nonce) = grant.nonce {
        answer["id_token"] = Value::String(id_token(&shared, inner.fault, &person, &nonce));
    }
    Json(answer).into_response()
}

// The upstream keeps its own time, as a real one would.
#[allow(clippy::disallowed_methods)]
fn id_token(shared: &Shared, fault: Fault, person: &Value, nonce: &str) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let mut claims = json!({
        "iss": if fault == Fault::WrongIssuer { "https://impostor.example" } else { shared.issuer.as_str() },
        "aud": if fault == Fault::WrongAudience { "another-city" } else { CLIENT_ID },
        "sub": person["sub"],
        "iat": now,
        "exp": if fault == Fault::Expired { now - 3600 } else { now + 300 },
        "nonce": if fault == Fault::WrongNonce { "not-the-nonce" } else { nonce },
    });
    for name in ["acr", "amr"] {
        if let Some(value) = person.get(name) {
            claims[name] = value.clone();
        }
    }
    let (key, kid, _) = shared.key.lock().unwrap().clone();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid);
    let key = if fault == Fault::BadSignature { shared.impostor.clone() } else { key };
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

async fn userinfo(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    person_of(&shared, token.unwrap_or_default())
}

async fn tokeninfo(State(shared): State<Shared>, Query(query): Query<HashMap<String, String>>) -> Response {
    person_of(&shared, query.get("access_token").map(String::as_str).unwrap_or_default())
}

fn person_of(shared: &Shared, token: &str) -> Response {
    match shared.inner.lock().unwrap().tokens.get(token) {
        Some(person) => Json(person.clone()).into_response(),
        None => (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_token" }))).into_response(),
    }
}

/// RP-initiated logout: ends the (pretend) session and returns to the relying party with its state.
async fn logout(State(shared): State<Shared>, Query(query): Query<HashMap<String, String>>) -> Response {
    shared.inner.lock().unwrap().logout_queries.push(query.clone());
    let Some(Ok(mut back)) = query.get("post_logout_redirect_uri").map(|uri| url::Url::parse(uri)) else {
        return "You are logged out.".into_response();
    };
    if let Some(state) = query.get("state") {
        back.query_pairs_mut().append_pair("state", state);
    }
    Redirect::to(back.as_str()).into_response()
}

/// The client's id and secret, from HTTP Basic or the form.
fn client_secret_credentials(basic: Option<&str>, form: &HashMap<String, String>) -> Option<(String, String)> {
    match basic {
        Some(encoded) => {
            let decoded = String::from_utf8(yimen::crypto::b64_decode(encoded).unwrap_or_default()).unwrap_or_default();
            decoded.split_once(':').map(|(id, secret)| (id.to_owned(), secret.to_owned()))
        }
        None => Some((
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        )),
    }
}
