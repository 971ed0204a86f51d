//! GET /account/data: everything the platform holds about the person, as a JSON download. It is their
//! own data, so numbers are shown in full here (and only here).

use super::signed_in;
use crate::http::error::AppError;
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::paths;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower_sessions::Session;

pub async fn get_data(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let signed = match signed_in(&state, &browser, &headers, paths::ACCOUNT_DATA).await? {
        Ok(signed) => signed,
        Err(redirect) => return Ok(redirect),
    };
    let person = &signed.person;
    let passkeys = match &state.passkeys {
        Some(passkeys) => passkeys.list(&person.id).await.map_err(|e| AppError(e.to_string()))?,
        None => Vec::new(),
    };
    let sessions = state.provider.active_sessions(&person.id).await?;
    let history = state.history.recent(&person.id, 1000).await?;
    let consents = state.provider.consents_of(&person.id).await?;
    let memberships = state.orgs.memberships_of(&person.id).await?;
    let evidence = state.evidence.of(&person.id).await?;
    let document = json!({
        "exported_at": state.provider.now(),
        "account": {
            "id": person.id,
            "name": person.name,
            "document_type": person.document.kind().as_str(),
            "document_number": person.document.number(),
            "phone": person.phone.as_ref().map(|p| p.e164()),
            "phone_verified": person.phone_verified,
            "status": person.status.as_str(),
            "created_at": person.created_at,
            "updated_at": person.updated_at,
            "has_password": person.password_hash.is_some(),
        },
        "passkeys": passkeys.iter().map(|p| json!({ "name": p.name, "created_at": p.created_at, "last_used_at": p.last_used_at })).collect::<Vec<_>>(),
        "sessions": sessions.iter().map(|s| json!({ "auth_time": s.auth_time, "methods": s.amr, "user_agent": s.user_agent })).collect::<Vec<_>>(),
        "login_history": history.iter().map(|e| json!({ "at": e.created_at, "client_id": e.client_id, "methods": e.methods, "network": e.ip_prefix })).collect::<Vec<_>>(),
        "connected_systems": consents.iter().map(|(client, scopes, at)| json!({ "client_id": client, "scopes": scopes, "granted_at": at })).collect::<Vec<_>>(),
        "organisations": memberships.iter().map(|(m, o)| json!({ "organisation": o.name, "uscc": o.uscc, "role": m.role.as_str(), "valid_until": m.valid_until })).collect::<Vec<_>>(),
        "verifications": evidence.iter().map(|e| json!({ "method": e.method, "outcome": e.outcome, "at": e.created_at, "revoked_at": e.revoked_at })).collect::<Vec<_>>(),
    });
    let mut response = Json(document).into_response();
    let headers = response.headers_mut();
    headers
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"yimen-my-data.json\""));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
