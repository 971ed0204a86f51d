//! POST /admin/api/sandbox/clients and GET /admin/api/sandbox/clients/{id}: how production, linked to
//! this sandbox (`catalog/sandbox_link.rs`), registers a developer's sandbox client at once and asks
//! whether it has signed anyone in. Only a sandbox answers, and only to a platform administrator.

use super::{ApiError, catalog_admin};
use crate::catalog::Scope;
use crate::http::state::AppState;
use crate::oidc::client::{ClientRegistration, Protocol};
use crate::oidc::provider::RegisterClientError;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct SandboxClientBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    protocol: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
}

/// A platform administrator of a sandbox; anywhere else the routes do not exist.
async fn sandbox_admin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if !state.provider.is_sandbox() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "this is not a sandbox"));
    }
    match catalog_admin(state, headers).await? {
        (_, Scope::All) => Ok(()),
        _ => Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "this needs the platform_admin role")),
    }
}

pub async fn post_client(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<SandboxClientBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    sandbox_admin(&state, &headers).await?;
    let Json(body) = body.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))?;
    let registration = ClientRegistration {
        name: body.name,
        protocol: Protocol::parse(&body.protocol).unwrap_or_default(),
        redirect_uris: body.redirect_uris,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        ..ClientRegistration::default()
    };
    let registered = match state.provider.register_client(registration).await {
        Ok(registered) => registered,
        Err(RegisterClientError::Invalid(reason)) => {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", reason.to_string()));
        }
        Err(error) => return Err(ApiError::internal(error)),
    };
    Ok((StatusCode::CREATED, Json(json!({ "client_id": registered.client.id, "client_secret": registered.secret }))))
}

pub async fn get_client(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    sandbox_admin(&state, &headers).await?;
    if state.provider.client_by_id(&id).await.map_err(ApiError::internal)?.is_none() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such client"));
    }
    let first_login = state.provider.first_login_of(&id).await.map_err(ApiError::internal)?;
    Ok(Json(json!({ "client_id": id, "first_login": first_login })))
}
