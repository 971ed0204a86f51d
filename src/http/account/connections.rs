//! GET/POST /account/connections: the systems the person allowed to receive their information, what each
//! receives, and withdrawing that consent (which also revokes the system's tokens).

use super::{AccountFrame, Signed, frame, when};
use crate::audit::{Actor, ActorRole, Event};
use crate::http::client_ip::ClientIp;
use crate::http::error::AppError;
use crate::http::guard::{CsrfForm, csrf_field};
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::paths;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

struct Row {
    client_id: String,
    system: String,
    since: String,
    items: Vec<String>,
}

#[derive(Template)]
#[template(path = "account/connections.html")]
struct ConnectionsPage {
    chrome: Chrome,
    frame: AccountFrame,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    client_id: String,
}

csrf_field!(RevokeForm);

pub async fn get_connections(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
) -> Result<Response, AppError> {
    show(&state, &Browser(&session), &signed, None).await
}

pub async fn post_revoke(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    ClientIp(peer): ClientIp,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let person_id = &signed.person.id;
    if state.provider.withdraw_consent(person_id, &form.client_id).await? {
        let actor = Actor::person(person_id, ActorRole::Citizen, Some(peer.to_string()));
        let detail = serde_json::json!({ "client_id": form.client_id });
        state
            .audit
            .record(
                &actor,
                Event {
                    action: "account.consent.withdraw",
                    subject_type: "person",
                    subject_id: Some(person_id.clone()),
                    detail,
                },
            )
            .await?;
    }
    show(&state, &browser, &signed, Some(signed.tr().t("connections.revoked"))).await
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    flash: Option<String>,
) -> Result<Response, AppError> {
    let tr = signed.tr();
    let (chrome, mut frame) = frame(state, browser, signed, paths::ACCOUNT_CONNECTIONS).await?;
    frame.flash = flash;
    let mut rows = Vec::new();
    for (client_id, scopes, granted_at) in state.provider.consents_of(&signed.person.id).await? {
        let system =
            state.provider.client_by_id(&client_id).await?.map(|c| c.name).unwrap_or_else(|| client_id.clone());
        let items =
            scopes.split(' ').filter(|s| !s.is_empty()).map(|scope| tr.t(&format!("consent.scope.{scope}"))).collect();
        rows.push(Row { client_id, system, since: when(granted_at), items });
    }
    Ok(render(StatusCode::OK, &ConnectionsPage { chrome, frame, rows }))
}
