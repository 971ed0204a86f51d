//! While the ephemeral store (Redis) is away, requests that need it are answered at once with 503 and
//! Retry-After instead of waiting for it: a readable page for people, the RFC 6749 error
//! `temporarily_unavailable` for systems. A request that finds it away halfway gets the same answer in
//! place of the generic 500.

use super::error::OAuthJson;
use super::i18n::Locale;
use super::pages::error_page;
use super::state::AppState;
use crate::oidc::{ErrorCode, OAuthError};
use crate::paths;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Seconds a client is asked to wait: the store is probed four times a second, so it is usually back.
const RETRY_AFTER_SECS: &str = "5";

/// Endpoints that never touch the ephemeral store and keep answering while it is away.
const INDEPENDENT: [&str; 2] = [paths::DISCOVERY, paths::JWKS];

/// Endpoints that systems call; the rest are pages for people.
const PROTOCOL: [&str; 4] = [paths::TOKEN, paths::USERINFO, paths::INTROSPECT, paths::REVOKE];

pub async fn while_store_is_away(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if INDEPENDENT.contains(&path.as_str()) {
        return next.run(request).await;
    }
    let locale = Locale::negotiate(None, request.headers());
    if !state.ephemeral.available() {
        return unavailable(&path, locale);
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR && !state.ephemeral.available() {
        return unavailable(&path, locale);
    }
    response
}

fn unavailable(path: &str, locale: Locale) -> Response {
    let mut response = if PROTOCOL.contains(&path) || path.starts_with("/admin/api/") {
        let description = "the service is briefly unavailable; retry in a few seconds";
        OAuthJson { error: OAuthError::new(ErrorCode::TemporarilyUnavailable, description), basic_attempted: false }
            .into_response()
    } else {
        error_page(StatusCode::SERVICE_UNAVAILABLE, locale, "error.unavailable", None)
    };
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
    response
}
