//! GET /.well-known/openid-configuration and GET /jwks: served from memory, cacheable by clients.

use super::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

fn json_response(body: Bytes, max_age: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(max_age));
    response
}

pub async fn get_discovery(State(state): State<AppState>) -> Response {
    json_response(state.discovery.clone(), "public, max-age=3600")
}

pub async fn get_jwks(State(state): State<AppState>) -> Response {
    // Short enough that a rotated-in key is seen well before it signs (keys are published days ahead).
    json_response(state.provider.keys().jwks(), "public, max-age=600")
}
