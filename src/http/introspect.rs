//! POST /introspect: RFC 7662 token introspection for authenticated clients.

use super::error::{OAuthJson, no_store};
use super::extract::{authorization, is_form, parse_form};
use super::state::AppState;
use crate::oidc::OAuthError;
use crate::oidc::introspection::TokenOnlyParams;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

pub async fn post_introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthJson> {
    let authorization = authorization(&headers);
    let basic_attempted = authorization.is_some();
    let fail = |error: OAuthError| OAuthJson { error, basic_attempted };
    if !is_form(&headers) {
        return Err(fail(OAuthError::invalid_request("the request must be application/x-www-form-urlencoded")));
    }
    let params: TokenOnlyParams =
        parse_form(&String::from_utf8_lossy(&body)).map_err(|e| fail(OAuthError::invalid_request(e)))?;
    let answer = state.provider.introspect(params, authorization).await.map_err(fail)?;
    let mut response = Json(answer).into_response();
    no_store(response.headers_mut());
    Ok(response)
}
