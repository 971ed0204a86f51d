//! POST /token: the token endpoint. Every answer, success or error, carries `Cache-Control: no-store`.

use super::error::{OAuthJson, no_store};
use super::extract::{authorization, is_form, parse_form};
use super::state::AppState;
use crate::oidc::OAuthError;
use crate::oidc::grant::TokenParams;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

pub async fn post_token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, OAuthJson> {
    let authorization = authorization(&headers);
    let basic_attempted = authorization.as_deref().is_some_and(|h| h.len() > 5 && h[..5].eq_ignore_ascii_case("basic"));
    let fail = |error: OAuthError| OAuthJson { error, basic_attempted };
    if !is_form(&headers) {
        return Err(fail(OAuthError::invalid_request("the token request must be application/x-www-form-urlencoded")));
    }
    let params: TokenParams =
        parse_form(&String::from_utf8_lossy(&body)).map_err(|e| fail(OAuthError::invalid_request(e)))?;
    let response = state.provider.token(params, authorization).await.map_err(fail)?;
    let mut response = Json(response).into_response();
    no_store(response.headers_mut());
    Ok(response)
}
