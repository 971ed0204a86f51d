//! GET/POST /userinfo: the token may come as a Bearer header or, on POST, as a form parameter
//! (RFC 6750 §2.1–2.2), but not both.

use super::error::{BearerError, no_store};
use super::extract::{bearer_token, is_form, parse_form};
use super::state::AppState;
use crate::oidc::OAuthError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
struct BodyToken {
    access_token: Option<String>,
}

pub async fn get_userinfo(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, BearerError> {
    let token = bearer_token(&headers).ok_or(BearerError::Missing)?;
    respond(&state, &token).await
}

pub async fn post_userinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, BearerError> {
    let header_token = bearer_token(&headers);
    let body_token = if is_form(&headers) {
        parse_form::<BodyToken>(&String::from_utf8_lossy(&body))
            .map_err(|e| BearerError::Rejected(OAuthError::invalid_request(e)))?
            .access_token
            .filter(|t| !t.is_empty())
    } else {
        None
    };
    let token = match (header_token, body_token) {
        (Some(_), Some(_)) => {
            return Err(BearerError::Rejected(OAuthError::invalid_request("send the access token in one place only")));
        }
        (Some(token), None) | (None, Some(token)) => token,
        (None, None) => return Err(BearerError::Missing),
    };
    respond(&state, &token).await
}

async fn respond(state: &AppState, token: &str) -> Result<Response, BearerError> {
    let claims = state.provider.userinfo(token).await.map_err(BearerError::Rejected)?;
    let mut response = Json(claims).into_response();
    no_store(response.headers_mut());
    Ok(response)
}
