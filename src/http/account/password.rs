//! GET/POST /account/password: changing the password, proving the current one first. Every other
//! session of the person ends, since whoever knew the old password may be signed in.

use super::{AccountFrame, Signed, current_password_refusal, frame};
use crate::audit::{Actor, ActorRole, Event};
use crate::http::client_ip::ClientIp;
use crate::http::error::AppError;
use crate::http::guard::{CsrfForm, csrf_field};
use crate::http::pages::{Chrome, render};
use crate::http::password_reset::policy_message;
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::AccountError;
use crate::paths;
use crate::secret::SecretString;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    chrome: Chrome,
    frame: AccountFrame,
    has_password: bool,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

csrf_field!(PasswordForm);

pub async fn get_password(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
) -> Result<Response, AppError> {
    show(&state, &Browser(&session), &signed, StatusCode::OK, None, None).await
}

pub async fn post_password(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    ClientIp(peer): ClientIp,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = signed.tr();
    let fail = |status, message: String| show(&state, &browser, &signed, status, None, Some(message));
    if form.password != form.password2 {
        return fail(StatusCode::BAD_REQUEST, tr.t("flow.passwords_differ")).await;
    }
    let ip = peer.to_string();
    if let Some((status, message)) =
        current_password_refusal(&state, &signed.person, form.current.clone(), &ip, tr).await?
    {
        return fail(status, message).await;
    }
    match state.accounts.set_password(&signed.person, &SecretString::new(form.password)).await {
        Ok(()) => {}
        Err(AccountError::Policy(reason)) => return fail(StatusCode::BAD_REQUEST, policy_message(tr, &reason)).await,
        Err(error) => return Err(AppError::from(error)),
    }
    state.provider.end_sessions_except(&signed.person.id, Some(&signed.login.id), "password changed").await?;
    let actor = Actor::person(&signed.person.id, ActorRole::Citizen, Some(ip));
    let event = Event {
        action: "account.password.change",
        subject_type: "person",
        subject_id: Some(signed.person.id.clone()),
        detail: serde_json::json!({}),
    };
    state.audit.record(&actor, event).await?;
    let signed = signed.reread(&state).await?;
    show(&state, &browser, &signed, StatusCode::OK, Some(tr.t("password.changed")), None).await
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (chrome, mut frame) = frame(state, browser, signed, paths::ACCOUNT_PASSWORD).await?;
    frame.flash = flash;
    frame.error = error;
    let page = PasswordPage { chrome, frame, has_password: signed.person.password_hash.is_some() };
    Ok(render(status, &page))
}
