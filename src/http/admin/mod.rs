//! The administration API under /admin/api: JSON in and out, authenticated with an administrator's API
//! token (`yimen role token`) as a Bearer token. Each endpoint states the role it needs.

pub mod catalog;
pub mod halls;
pub mod openapi;
pub mod organisations;
pub mod sandbox;

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
    /// Structured detail, such as the rows of a refused import.
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: None }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "admin API failure");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server could not complete the request")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.code, "message": self.message });
        if let Some(details) = self.details {
            body["rows"] = details;
        }
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"yimen-admin\""),
            );
        }
        response
    }
}

/// The administrator behind the request and what of the catalog they may reach: platform administrators
/// all of it, department administrators their departments.
pub async fn catalog_admin(state: &AppState, headers: &HeaderMap) -> Result<(String, crate::catalog::Scope), ApiError> {
    let person_id = token_holder(state, headers).await?;
    match state.catalog.scope_of(&person_id).await.map_err(ApiError::internal)? {
        Some(scope) => Ok((person_id, scope)),
        None => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this needs the platform_admin or department_admin role",
        )),
    }
}

/// Refuses a request to the administrators' API without a valid API token before its body is read.
pub async fn authenticated(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match token_holder(&state, request.headers()).await {
        Ok(_) => next.run(request).await,
        Err(error) => axum::response::IntoResponse::into_response(error),
    }
}

async fn token_holder(state: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    let token = bearer_token(headers).ok_or_else(|| {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "send an administrator API token as a Bearer token")
    })?;
    state.roles.api_token_holder(&token).await.map_err(ApiError::internal)?.ok_or_else(|| {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "the API token is unknown, expired or revoked")
    })
}

/// The administrator behind the request, who must hold `role`.
pub async fn administrator(state: &AppState, headers: &HeaderMap, role: RoleKind) -> Result<String, ApiError> {
    let person_id = token_holder(state, headers).await?;
    if !state.roles.has(&person_id, role).await.map_err(ApiError::internal)? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this needs the {} role", role.as_str()),
        ));
    }
    Ok(person_id)
}
