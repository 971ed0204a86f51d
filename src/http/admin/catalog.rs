//! /admin/api/catalog/… and /admin/api/connection-rate: the catalog for scripts, with an administrator's
//! API token. Platform administrators reach every department; a department administrator only their
//! own — anything else answers 404, as if it did not exist.

use super::{ApiError, catalog_admin};
use crate::audit::{Actor, ActorRole};
use crate::catalog::import::ImportFormat;
use crate::catalog::report::Dimension;
use crate::catalog::report_query::{ReportParams, ReportQuery};
use crate::catalog::service::{NewDepartment, NewSystem};
use crate::catalog::{CatalogError, Scope};
use crate::http::client_ip::ClientIp;
use crate::http::state::AppState;
use crate::oidc::client::{ClientRegistration, Protocol};
use crate::oidc::provider::RegisterClientError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::IpAddr;

#[derive(Deserialize)]
pub struct DepartmentBody {
    name: String,
    #[serde(default = "city")]
    level: String,
    parent_id: Option<String>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
}

fn city() -> String {
    "city".to_owned()
}

#[derive(Deserialize)]
pub struct SystemBody {
    name: String,
    #[serde(default)]
    vertical: String,
    #[serde(default)]
    portal: String,
    contact_name: Option<String>,
    contact_phone: Option<String>,
}

#[derive(Deserialize)]
pub struct ClientBody {
    #[serde(default)]
    name: String,
    /// "oidc" (the default) or "cas".
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    /// A CAS service's URLs.
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    public: bool,
}

#[derive(Deserialize)]
pub struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Deserialize)]
pub struct RateQuery {
    by: Option<String>,
}

fn actor(person_id: &str, scope: &Scope, peer: IpAddr) -> Actor {
    let role = if *scope == Scope::All { ActorRole::PlatformAdmin } else { ActorRole::DepartmentAdmin };
    Actor::person(person_id, role, Some(peer.to_string()))
}

fn catalog_error(error: CatalogError) -> ApiError {
    match error {
        CatalogError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such department or system"),
        CatalogError::PlatformOnly => ApiError::new(StatusCode::FORBIDDEN, "forbidden", error.to_string()),
        CatalogError::BadName(_)
        | CatalogError::BadLevel
        | CatalogError::UnknownParent
        | CatalogError::DuplicateDepartment(_)
        | CatalogError::BadVertical
        | CatalogError::BadPortal
        | CatalogError::DuplicateSystem(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", error.to_string())
        }
        CatalogError::Client(RegisterClientError::Invalid(reason)) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", reason.to_string())
        }
        CatalogError::Import(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_rows", "the import has errors")
        }
        other => ApiError::internal(other),
    }
}

fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(value)| value).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))
}

pub async fn get_departments(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let (_, scope) = catalog_admin(&state, &headers).await?;
    let departments = state.catalog.departments(&scope).await.map_err(catalog_error)?;
    Ok(Json(json!({ "departments": departments })))
}

pub async fn post_department(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    new: Result<Json<DepartmentBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (admin, scope) = catalog_admin(&state, &headers).await?;
    let new = body(new)?;
    let department = NewDepartment {
        name: new.name,
        level: new.level,
        parent_id: new.parent_id,
        contact_name: new.contact_name,
        contact_phone: new.contact_phone,
    };
    let created = state
        .catalog
        .create_department(&scope, department, &actor(&admin, &scope, peer))
        .await
        .map_err(catalog_error)?;
    Ok((StatusCode::CREATED, Json(json!(created))))
}

pub async fn get_systems(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (_, scope) = catalog_admin(&state, &headers).await?;
    let systems = state.catalog.systems(&scope, &id).await.map_err(catalog_error)?;
    let clients = state.catalog.clients(&scope, &id).await.map_err(catalog_error)?;
    let list: Vec<Value> = systems
        .iter()
        .map(|s| {
            let ids: Vec<&str> = clients.iter().filter(|c| c.system_id.as_deref() == Some(s.id.as_str())).map(|c| c.id.as_str()).collect();
            json!({ "id": s.id, "name": s.name, "vertical": s.vertical, "portal": s.portal, "contact_name": s.contact_name, "contact_phone": s.contact_phone, "client_ids": ids })
        })
        .collect();
    Ok(Json(json!({ "systems": list })))
}

pub async fn post_system(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    new: Result<Json<SystemBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (admin, scope) = catalog_admin(&state, &headers).await?;
    let new = body(new)?;
    let system = NewSystem {
        name: new.name,
        vertical: new.vertical,
        portal: new.portal,
        contact_name: new.contact_name,
        contact_phone: new.contact_phone,
    };
    let created =
        state.catalog.create_system(&scope, &id, system, &actor(&admin, &scope, peer)).await.map_err(catalog_error)?;
    Ok((StatusCode::CREATED, Json(json!(created))))
}

pub async fn post_client(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    new: Result<Json<ClientBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (admin, scope) = catalog_admin(&state, &headers).await?;
    let new = body(new)?;
    let protocol = match new.protocol.as_deref() {
        None => Protocol::Oidc,
        Some(text) => Protocol::parse(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("protocol must be \"oidc\" or \"cas\", not {text:?}"),
            )
        })?,
    };
    let redirect_uris = match protocol {
        Protocol::Oidc => new.redirect_uris,
        Protocol::Cas => new.services,
    };
    let registration = ClientRegistration {
        name: new.name,
        protocol,
        redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        public: new.public,
        ..ClientRegistration::default()
    };
    let registered = state
        .catalog
        .register_client(&scope, &id, registration, &actor(&admin, &scope, peer))
        .await
        .map_err(catalog_error)?;
    let client = &registered.client;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "client_id": client.id,
            "protocol": client.protocol.as_str(),
            "client_secret": registered.secret,
            "system_id": client.system_id,
            "redirect_uris": client.redirect_uris,
            "token_endpoint_auth_method": client.auth_method.as_str(),
            "scope": client.allowed_scopes.to_string(),
            "issuer": state.provider.issuer(),
            "discovery": state.provider.endpoint(crate::paths::DISCOVERY),
        })),
    ))
}

pub async fn get_items(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let (_, scope) = catalog_admin(&state, &headers).await?;
    let (items, total) = state
        .catalog
        .items(&scope, &id, page.limit.unwrap_or(100), page.offset.unwrap_or(0))
        .await
        .map_err(catalog_error)?;
    Ok(Json(json!({ "total": total, "items": items })))
}

/// Imports items: `text/csv` bodies as CSV, anything else as JSON.
pub async fn post_items(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    payload: Bytes,
) -> Result<Json<Value>, ApiError> {
    let (admin, scope) = catalog_admin(&state, &headers).await?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let format = if content_type.starts_with("text/csv") { ImportFormat::Csv } else { ImportFormat::Json };
    let text = std::str::from_utf8(&payload)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", "the body must be UTF-8"))?;
    match state.catalog.import(&scope, &id, format, text, &actor(&admin, &scope, peer)).await {
        Ok(summary) => Ok(Json(json!(summary))),
        Err(CatalogError::Import(rows)) => {
            let message = format!("{} problem(s) in the file; nothing was imported", rows.len());
            Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_rows", message).with_details(json!(rows)))
        }
        Err(error) => Err(catalog_error(error)),
    }
}

pub async fn get_connection_rate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ReportParams>,
    Query(rate): Query<RateQuery>,
) -> Result<Json<Value>, ApiError> {
    let (_, scope) = catalog_admin(&state, &headers).await?;
    let dimensions: Vec<Dimension> = match rate.by.as_deref() {
        Some(by) => vec![Dimension::parse(by).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "by must be department, level, type, audience, theme or vertical",
            )
        })?],
        None => Vec::new(),
    };
    let departments = state.catalog.departments(&Scope::All).await.map_err(ApiError::internal)?;
    let filter = ReportQuery::parse(&params, &scope).filter(&departments);
    let report = state.reports.report(&filter, &dimensions).await.map_err(ApiError::internal)?;
    let mut value = serde_json::to_value(&report).map_err(ApiError::internal)?;
    value["usage"] =
        serde_json::to_value(state.reports.usage().await.map_err(ApiError::internal)?).map_err(ApiError::internal)?;
    Ok(Json(value))
}
