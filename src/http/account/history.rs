//! GET /account/history: recent logins with the system, the method and the network they came from.

use super::sessions::describe_agent;
use super::{AccountFrame, Signed, frame, when};
use crate::http::error::AppError;
use crate::http::i18n::Tr;
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::amr::Amr;
use crate::paths;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use tower_sessions::Session;

struct Row {
    time: String,
    system: String,
    method: String,
    network: String,
    device: String,
}

#[derive(Template)]
#[template(path = "account/history.html")]
struct HistoryPage {
    chrome: Chrome,
    frame: AccountFrame,
    rows: Vec<Row>,
}

pub async fn get_history(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = signed.tr();
    let (chrome, frame) = frame(&state, &browser, &signed, paths::ACCOUNT_HISTORY).await?;
    let mut rows = Vec::new();
    for event in state.history.recent(&signed.person.id, 100).await? {
        let system = match &event.client_id {
            Some(id) => state.provider.client_by_id(id).await?.map(|c| c.name).unwrap_or_else(|| id.clone()),
            None => tr.t("history.platform"),
        };
        rows.push(Row {
            time: when(event.created_at),
            system,
            method: methods(tr, &event.methods),
            network: event.ip_prefix.unwrap_or_else(|| "—".to_owned()),
            device: event.user_agent.as_deref().map(describe_agent).unwrap_or_else(|| "—".to_owned()),
        });
    }
    Ok(render(StatusCode::OK, &HistoryPage { chrome, frame, rows }))
}

/// The sign-in methods in words, from a stored list such as "pwd sms mfa".
pub fn methods(tr: Tr, amr: &str) -> String {
    crate::identity::amr::split(amr)
        .into_iter()
        .filter(|m| *m != Amr::Mfa)
        .map(|m| tr.t(&format!("amr.{}", m.as_str())))
        .collect::<Vec<_>>()
        .join(" + ")
}
