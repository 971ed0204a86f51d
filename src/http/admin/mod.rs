//! The administration API under /admin/api: JSON in and out, authenticated with an administrator's API
//! token (`yimen role token`) as a Bearer token. Each endpoint states the role it needs.

pub mod halls;
pub mod organisations;

use super::extract::bearer_token;
use super::state::AppState;
use crate::identity::roles::RoleKind;
use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// An API failure: a status, a stable code and a message for the script's author.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "admin API failure");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server could not complete the request")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, Json(serde_json::json!({ "error": self.code, "message": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"yimen-admin\""),
            );
        }
        response
    }
}

/// The administrator behind the request, who must hold `role`.
pub async fn administrator(state: &AppState, headers: &HeaderMap, role: RoleKind) -> Result<String, ApiError> {
    let token = bearer_token(headers).ok_or_else(|| {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "send an administrator API token as a Bearer token")
    })?;
    let person_id = state.roles.api_token_holder(&token).await.map_err(ApiError::internal)?.ok_or_else(|| {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "the API token is unknown, expired or revoked")
    })?;
    if !state.roles.has(&person_id, role).await.map_err(ApiError::internal)? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this needs the {} role", role.as_str()),
        ));
    }
    Ok(person_id)
}
