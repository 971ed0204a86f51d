//! GET/POST /admin/api/halls and POST /admin/api/roles: platform administrators manage the tree of
//! service halls and give people roles (hall staff and supervisors among them).

use super::{ApiError, administrator};
use crate::audit::{Actor, ActorRole};
use crate::counter::HallKind;
use crate::counter::halls::HallError;
use crate::http::client_ip::ClientIp;
use crate::http::state::AppState;
use crate::identity::roles::{RoleError, RoleKind};
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct NewHall {
    name: String,
    kind: String,
    parent_id: Option<String>,
}

#[derive(Deserialize)]
pub struct NewRole {
    /// The person's resident ID number or phone number.
    account: String,
    role: String,
    scope: Option<String>,
}

pub async fn get_halls(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    administrator(&state, &headers, RoleKind::PlatformAdmin).await?;
    let halls = state.halls.list().await.map_err(ApiError::internal)?;
    let list: Vec<Value> = halls
        .iter()
        .map(|h| json!({ "id": h.id, "name": h.name, "kind": h.kind.as_str(), "parent_id": h.parent_id }))
        .collect();
    Ok(Json(json!({ "halls": list })))
}

pub async fn post_hall(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    body: Result<Json<NewHall>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let admin = administrator(&state, &headers, RoleKind::PlatformAdmin).await?;
    let Json(new) = body.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))?;
    let kind = HallKind::parse(&new.kind).ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", "kind: city, district, town or village")
    })?;
    let actor = Actor::person(&admin, ActorRole::PlatformAdmin, Some(peer.to_string()));
    match state.halls.create(&new.name, kind, new.parent_id.as_deref(), &actor).await {
        Ok(hall) => Ok((
            StatusCode::CREATED,
            Json(json!({ "id": hall.id, "name": hall.name, "kind": hall.kind.as_str(), "parent_id": hall.parent_id })),
        )),
        Err(HallError::Store(error)) => Err(ApiError::internal(error)),
        Err(error) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", error.to_string())),
    }
}

pub async fn post_role(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    body: Result<Json<NewRole>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let admin = administrator(&state, &headers, RoleKind::PlatformAdmin).await?;
    let Json(new) = body.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))?;
    let invalid = |message: &str| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message.to_owned());
    let kind = RoleKind::parse(&new.role)
        .ok_or_else(|| invalid("role: platform_admin, department_admin, auditor, hall_staff or hall_supervisor"))?;
    let person = state
        .accounts
        .find_by_login_identifier(&new.account)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| invalid("account: no such person"))?;
    if matches!(kind, RoleKind::HallStaff | RoleKind::HallSupervisor) {
        let hall = new.scope.as_deref().unwrap_or_default();
        if state.halls.find(hall).await.map_err(ApiError::internal)?.is_none() {
            return Err(invalid("scope: hall roles need the id of an existing hall"));
        }
    }
    let actor = Actor::person(&admin, ActorRole::PlatformAdmin, Some(peer.to_string()));
    match state.roles.grant(&person.id, kind, new.scope.as_deref(), &actor).await {
        Ok(role) => Ok((
            StatusCode::CREATED,
            Json(json!({ "id": role.id, "person_id": person.id, "role": kind.as_str(), "scope": role.scope_id })),
        )),
        Err(RoleError::Store(error)) => Err(ApiError::internal(error)),
        Err(error) => Err(invalid(&error.to_string())),
    }
}
