//! GET/POST /admin/api/organisations: platform administrators list organisations and create one with its
//! legal representative bound, until in-person verification at a counter does it.

use super::{ApiError, administrator};
use crate::audit::{Actor, ActorRole};
use crate::http::client_ip::ClientIp;
use crate::http::state::AppState;
use crate::identity::organisation::{MemberRole, OrgError, OrgKind};
use crate::identity::roles::RoleKind;
use crate::identity::uscc::Uscc;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct NewOrganisation {
    uscc: String,
    name: String,
    #[serde(default = "default_kind")]
    kind: String,
    representative_id_number: String,
}

fn default_kind() -> String {
    "enterprise".to_owned()
}

pub async fn get_organisations(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    administrator(&state, &headers, RoleKind::PlatformAdmin).await?;
    let mut list = Vec::new();
    for org in state.orgs.list().await.map_err(ApiError::internal)? {
        let members = state.orgs.members(&org.id).await.map_err(ApiError::internal)?;
        let representative =
            members.iter().find(|m| m.role == MemberRole::LegalRepresentative).map(|m| m.person_id.clone());
        list.push(json!({ "id": org.id, "uscc": org.uscc, "name": org.name, "kind": org.kind.as_str(), "representative_id": representative, "members": members.len() }));
    }
    Ok(Json(json!({ "organisations": list })))
}

pub async fn post_organisation(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    body: Result<Json<NewOrganisation>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let admin = administrator(&state, &headers, RoleKind::PlatformAdmin).await?;
    let Json(new) = body.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))?;
    let invalid = |field: &str, message: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", format!("{field}: {message}"))
    };
    let uscc = Uscc::parse(&new.uscc).map_err(|e| invalid("uscc", e.to_string()))?;
    let kind = OrgKind::parse(&new.kind).ok_or_else(|| invalid("kind", "unknown kind".into()))?;
    if new.name.trim().is_empty() {
        return Err(invalid("name", "must not be empty".into()));
    }
    let representative = state
        .accounts
        .find_by_login_identifier(&new.representative_id_number)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| invalid("representative_id_number", "no account has this resident ID number".into()))?;
    let actor = Actor::person(&admin, ActorRole::PlatformAdmin, Some(peer.to_string()));
    let org = match state.orgs.create(&uscc, &new.name, kind, &actor).await {
        Ok(org) => org,
        Err(OrgError::Duplicate) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "duplicate",
                "an organisation with this credit code exists",
            ));
        }
        Err(error) => return Err(ApiError::internal(error)),
    };
    state.orgs.bind_representative(&org.id, &representative.id, &actor).await.map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "id": org.id, "uscc": org.uscc, "name": org.name, "kind": org.kind.as_str(), "representative_id": representative.id }),
        ),
    ))
}
