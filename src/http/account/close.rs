//! GET/POST /account/close: closing the account. It stops working for every system at once; after the
//! grace period its personal data is erased (the audit trail stays). Until then it can be reopened.

use super::{AccountFrame, Signed, current_password_refusal, frame, when};
use crate::audit::{Actor, ActorRole, Event};
use crate::http::client_ip::ClientIp;
use crate::http::error::AppError;
use crate::http::guard::{CsrfForm, csrf_field};
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::person::PersonStatus;
use crate::paths;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "account/close.html")]
struct ClosePage {
    chrome: Chrome,
    frame: AccountFrame,
    explanation: String,
    closing_on: Option<String>,
    has_password: bool,
}

#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    current: String,
}

csrf_field!(CloseForm);

pub async fn get_close(State(state): State<AppState>, signed: Signed, session: Session) -> Result<Response, AppError> {
    show(&state, &Browser(&session), &signed, StatusCode::OK, None, None).await
}

pub async fn post_close(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    ClientIp(peer): ClientIp,
    CsrfForm(form): CsrfForm<CloseForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = signed.tr();
    let person = &signed.person;
    let actor = Actor::person(&person.id, ActorRole::Citizen, Some(peer.to_string()));
    if form.action == "reopen" {
        if person.status == PersonStatus::Closing {
            state.accounts.cancel_closure(person).await?;
            state
                .audit
                .record(
                    &actor,
                    Event {
                        action: "account.close.cancel",
                        subject_type: "person",
                        subject_id: Some(person.id.clone()),
                        detail: serde_json::json!({}),
                    },
                )
                .await?;
        }
        let signed = signed.reread(&state).await?;
        return show(&state, &browser, &signed, StatusCode::OK, Some(tr.t("close.reopened")), None).await;
    }
    if form.confirm != "yes" {
        return show(&state, &browser, &signed, StatusCode::BAD_REQUEST, None, Some(tr.t("close.confirm_needed")))
            .await;
    }
    if let Some((status, message)) =
        current_password_refusal(&state, person, form.current, &peer.to_string(), tr).await?
    {
        return show(&state, &browser, &signed, status, None, Some(message)).await;
    }
    let close_after = state.accounts.request_closure(person, state.close_grace_days).await?;
    state.provider.revoke_person_grants(&person.id, None, "account closed").await?;
    state.provider.end_sessions_except(&person.id, Some(&signed.login.id), "account closed").await?;
    let detail = serde_json::json!({ "erase_after": close_after });
    state
        .audit
        .record(
            &actor,
            Event {
                action: "account.close.request",
                subject_type: "person",
                subject_id: Some(person.id.clone()),
                detail,
            },
        )
        .await?;
    let signed = signed.reread(&state).await?;
    show(&state, &browser, &signed, StatusCode::OK, None, None).await
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let tr = signed.tr();
    let (chrome, mut frame) = frame(state, browser, signed, paths::ACCOUNT_CLOSE).await?;
    frame.flash = flash;
    frame.error = error;
    let person = &signed.person;
    let closing_on = (person.status == PersonStatus::Closing)
        .then(|| tr.t("account.closing").replace("%{date}", &when(person.close_after.unwrap_or_default())));
    let explanation = tr.t("close.explanation").replace("%{days}", &state.close_grace_days.to_string());
    let page = ClosePage { chrome, frame, explanation, closing_on, has_password: person.password_hash.is_some() };
    Ok(render(status, &page))
}
