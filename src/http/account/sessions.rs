//! GET/POST /account/sessions: where the person is signed in, and signing out elsewhere.

use super::{AccountFrame, Signed, frame, when};
use crate::audit::{Actor, ActorRole, Event};
use crate::http::client_ip::ClientIp;
use crate::http::error::AppError;
use crate::http::guard::{CsrfForm, csrf_field};
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::login_history::network_prefix;
use crate::paths;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

struct SessionView {
    id: String,
    device: String,
    since: String,
    network: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    frame: AccountFrame,
    sessions: Vec<SessionView>,
}

#[derive(Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    action: String,
}

csrf_field!(SessionForm);

pub async fn get_sessions(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
) -> Result<Response, AppError> {
    show(&state, &Browser(&session), &signed, None).await
}

pub async fn post_sessions(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    ClientIp(peer): ClientIp,
    CsrfForm(form): CsrfForm<SessionForm>,
) -> Result<Response, AppError> {
    let person_id = &signed.person.id;
    let ended = if form.action == "end_others" {
        state.provider.end_sessions_except(person_id, Some(&signed.login.id), "signed out elsewhere").await?
    } else {
        let own = state
            .provider
            .active_sessions(person_id)
            .await?
            .into_iter()
            .any(|s| s.id == form.id && s.id != signed.login.id);
        if own {
            state.provider.end_login_session(&form.id, "signed out from another device").await?;
        }
        usize::from(own)
    };
    let actor = Actor::person(person_id, ActorRole::Citizen, Some(peer.to_string()));
    let detail = serde_json::json!({ "ended": ended });
    state
        .audit
        .record(
            &actor,
            Event {
                action: "account.sessions.end",
                subject_type: "person",
                subject_id: Some(person_id.clone()),
                detail,
            },
        )
        .await?;
    let message = signed.tr().t("sessions.ended").replace("%{count}", &ended.to_string());
    show(&state, &Browser(&session), &signed, Some(message)).await
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    flash: Option<String>,
) -> Result<Response, AppError> {
    let (chrome, mut frame) = frame(state, browser, signed, paths::ACCOUNT_SESSIONS).await?;
    frame.flash = flash;
    let sessions = state
        .provider
        .active_sessions(&signed.person.id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.id == signed.login.id,
            device: s.user_agent.as_deref().map(describe_agent).unwrap_or_else(|| "—".to_owned()),
            since: when(s.auth_time),
            network: s.ip.as_deref().and_then(network_prefix).unwrap_or_else(|| "—".to_owned()),
            id: s.id,
        })
        .collect();
    Ok(render(StatusCode::OK, &SessionsPage { chrome, frame, sessions }))
}

/// A short description of a user agent: the browser and the system it runs on.
pub fn describe_agent(agent: &str) -> String {
    let browser = ["Edg/", "Firefox/", "Chrome/", "Safari/", "MicroMessenger/"]
        .iter()
        .find(|marker| agent.contains(*marker))
        .map(|marker| match *marker {
            "Edg/" => "Edge",
            "Firefox/" => "Firefox",
            "Chrome/" => "Chrome",
            "MicroMessenger/" => "WeChat",
            _ => "Safari",
        })
        .unwrap_or("Browser");
    let system = ["Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux", "HarmonyOS"]
        .iter()
        .find(|marker| agent.contains(*marker))
        .copied()
        .unwrap_or("");
    format!("{browser} {system}").trim().to_owned()
}
