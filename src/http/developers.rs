//! GET /developers: what a department system's developer needs to connect, read from what this server
//! does (its issuer and endpoints, the claims each scope releases, the levels and what reaches them, the
//! error codes it answers and what to do about each, the CAS endpoints for legacy systems), so the page
//! cannot drift from the server.

use super::i18n::{Locale, Tr};
use super::pages::{Chrome, render};
use super::state::AppState;
use crate::oidc::ErrorCode;
use crate::oidc::claims::claims_of_scope;
use crate::oidc::scope::KNOWN_SCOPES;
use crate::paths;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

struct Endpoint {
    name: &'static str,
    url: String,
}

struct ScopeRow {
    scope: &'static str,
    meaning: String,
    claims: Vec<&'static str>,
}

struct LevelRow {
    acr: String,
    label: String,
    /// Each way to reach the level, its methods named in the page's language.
    ways: Vec<String>,
}

struct ErrorRow {
    code: &'static str,
    advice: String,
}

#[derive(Template)]
#[template(path = "developers.html")]
struct DevelopersPage {
    chrome: Chrome,
    issuer: String,
    discovery: String,
    endpoints: Vec<Endpoint>,
    cas_endpoints: Vec<Endpoint>,
    scopes: Vec<ScopeRow>,
    levels: Vec<LevelRow>,
    errors: Vec<ErrorRow>,
}

pub async fn get_developers(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let locale = Locale::negotiate(None, &headers);
    let tr = Tr(locale);
    let endpoint = |name: &'static str, path: &str| Endpoint { name, url: state.provider.endpoint(path) };
    let endpoints = vec![
        endpoint("authorization_endpoint", paths::AUTHORIZE),
        endpoint("token_endpoint", paths::TOKEN),
        endpoint("userinfo_endpoint", paths::USERINFO),
        endpoint("jwks_uri", paths::JWKS),
        endpoint("end_session_endpoint", paths::END_SESSION),
        endpoint("introspection_endpoint", paths::INTROSPECT),
        endpoint("revocation_endpoint", paths::REVOKE),
    ];
    let cas_endpoints = vec![
        endpoint("login", paths::CAS_LOGIN),
        endpoint("p3/serviceValidate", paths::CAS_P3_SERVICE_VALIDATE),
        endpoint("serviceValidate", paths::CAS_SERVICE_VALIDATE),
        endpoint("validate", paths::CAS_VALIDATE),
        endpoint("logout", paths::CAS_LOGOUT),
    ];
    let scopes = KNOWN_SCOPES
        .iter()
        .map(|scope| ScopeRow {
            scope,
            meaning: tr.t(&format!("consent.scope.{scope}")),
            claims: claims_of_scope(scope).collect(),
        })
        .collect();
    let levels = state
        .assurance
        .ladder()
        .requirements()
        .enumerate()
        .map(|(rank, (acr, sets))| LevelRow {
            acr: acr.to_owned(),
            label: tr.t(&format!("level.{}", rank + 1)),
            ways: sets
                .iter()
                .map(|set| set.iter().map(|method| tr.t(&format!("method.{method}"))).collect::<Vec<_>>().join(" + "))
                .collect(),
        })
        .collect();
    let errors = ErrorCode::ALL
        .iter()
        .map(|code| ErrorRow { code: code.as_str(), advice: tr.t(&format!("developers.error.{}", code.as_str())) })
        .collect();
    let issuer = state.provider.endpoint("");
    let page = DevelopersPage {
        chrome: Chrome::new(locale, paths::DEVELOPERS),
        discovery: state.provider.endpoint(paths::DISCOVERY),
        issuer,
        endpoints,
        cas_endpoints,
        scopes,
        levels,
        errors,
    };
    render(StatusCode::OK, &page)
}
