//! GET/POST /account/passkeys and the registration ceremony (POST /account/passkeys/options, POST
//! /account/passkeys/register): list, name, add and remove passkeys.

use super::{AccountFrame, checked_form, expired_form, frame, signed_in, when};
use crate::audit::{Actor, ActorRole, Event};
use crate::http::error::AppError;
use crate::http::pages::{Chrome, render};
use crate::http::passkey_login::json_error;
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::passkeys::PasskeyError;
use crate::paths;
use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use tower_sessions::Session;
use webauthn_rs::prelude::RegisterPublicKeyCredential;

const CEREMONY_FLOW: &str = "passkey-register";

struct PasskeyView {
    id: String,
    name: String,
    added: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "account/passkeys.html")]
struct PasskeysPage {
    chrome: Chrome,
    frame: AccountFrame,
    available: bool,
    passkeys: Vec<PasskeyView>,
}

#[derive(Deserialize)]
struct ManageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    action: String,
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    attachment: Option<String>,
    credential: Option<RegisterPublicKeyCredential>,
}

pub async fn get_passkeys(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    show(&state, &Browser(&session), &headers, StatusCode::OK, None, None).await
}

pub async fn post_manage(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let signed = match signed_in(&state, &browser, &headers, paths::ACCOUNT_PASSKEYS).await? {
        Ok(signed) => signed,
        Err(redirect) => return Ok(redirect),
    };
    let Some(form) = checked_form::<ManageForm>(&browser, &body, |f| &f.csrf).await? else {
        return Ok(expired_form(&headers));
    };
    let Some(passkeys) = &state.passkeys else {
        return show(&state, &browser, &headers, StatusCode::NOT_FOUND, None, None).await;
    };
    let tr = signed.tr();
    let person_id = &signed.person.id;
    let (done, action) = match form.action.as_str() {
        "remove" => {
            (passkeys.remove(person_id, &form.id).await.map_err(|e| AppError(e.to_string()))?, "account.passkey.remove")
        }
        _ => (
            passkeys.rename(person_id, &form.id, &form.name).await.map_err(|e| AppError(e.to_string()))?,
            "account.passkey.rename",
        ),
    };
    if !done {
        return show(&state, &browser, &headers, StatusCode::BAD_REQUEST, None, Some(tr.t("passkeys.not_changed")))
            .await;
    }
    let actor = Actor::person(person_id, ActorRole::Citizen, Some(peer.ip().to_string()));
    state
        .audit
        .record(
            &actor,
            Event { action, subject_type: "passkey", subject_id: Some(form.id), detail: serde_json::json!({}) },
        )
        .await?;
    show(&state, &browser, &headers, StatusCode::OK, Some(tr.t("passkeys.saved")), None).await
}

pub async fn post_options(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Json(form): Json<RegisterForm>,
) -> Response {
    let browser = Browser(&session);
    let result = async {
        let Some(passkeys) = &state.passkeys else {
            return Ok(json_error(StatusCode::NOT_FOUND, "passkeys are not available here"));
        };
        let signed = match signed_in(&state, &browser, &headers, paths::ACCOUNT_PASSKEYS).await? {
            Ok(signed) => signed,
            Err(_) => return Ok(json_error(StatusCode::UNAUTHORIZED, "sign in again")),
        };
        if !browser.csrf_matches(&form.csrf).await? {
            return Ok(json_error(StatusCode::FORBIDDEN, "the page has expired; reload it"));
        }
        let person = &signed.person;
        match passkeys.start_registration(&person.id, &person.name, &person.name).await {
            Ok((options, ceremony)) => {
                browser.put_flow(CEREMONY_FLOW, &ceremony).await?;
                Ok(Json(options).into_response())
            }
            Err(error) => Ok(json_error(StatusCode::BAD_REQUEST, &error.to_string())),
        }
    };
    result.await.unwrap_or_else(|error: AppError| error.into_response())
}

pub async fn post_register(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(form): Json<RegisterForm>,
) -> Response {
    let browser = Browser(&session);
    let result = async {
        let Some(passkeys) = &state.passkeys else {
            return Ok(json_error(StatusCode::NOT_FOUND, "passkeys are not available here"));
        };
        let signed = match signed_in(&state, &browser, &headers, paths::ACCOUNT_PASSKEYS).await? {
            Ok(signed) => signed,
            Err(_) => return Ok(json_error(StatusCode::UNAUTHORIZED, "sign in again")),
        };
        if !browser.csrf_matches(&form.csrf).await? {
            return Ok(json_error(StatusCode::FORBIDDEN, "the page has expired; reload it"));
        }
        let (Some(ceremony), Some(credential)) = (browser.take_flow(CEREMONY_FLOW).await?, form.credential.as_ref())
        else {
            return Ok(json_error(StatusCode::BAD_REQUEST, "start adding the passkey again"));
        };
        let person_id = &signed.person.id;
        match passkeys
            .finish_registration(person_id, &ceremony, credential, &form.name, form.attachment.as_deref())
            .await
        {
            Ok(summary) => {
                let actor = Actor::person(person_id, ActorRole::Citizen, Some(peer.ip().to_string()));
                let detail = serde_json::json!({ "name": summary.name, "attachment": summary.attachment });
                state
                    .audit
                    .record(
                        &actor,
                        Event {
                            action: "account.passkey.add",
                            subject_type: "passkey",
                            subject_id: Some(summary.id),
                            detail,
                        },
                    )
                    .await?;
                Ok(Json(serde_json::json!({ "redirect": paths::ACCOUNT_PASSKEYS })).into_response())
            }
            Err(error @ (PasskeyError::AlreadyRegistered | PasskeyError::CeremonyGone | PasskeyError::Rejected(_))) => {
                Ok(json_error(StatusCode::BAD_REQUEST, &error.to_string()))
            }
            Err(error) => Err(AppError(error.to_string())),
        }
    };
    result.await.unwrap_or_else(|error: AppError| error.into_response())
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let signed = match signed_in(state, browser, headers, paths::ACCOUNT_PASSKEYS).await? {
        Ok(signed) => signed,
        Err(redirect) => return Ok(redirect),
    };
    let (chrome, mut frame) = frame(state, browser, &signed, paths::ACCOUNT_PASSKEYS).await?;
    frame.flash = flash;
    frame.error = error;
    let passkeys = match &state.passkeys {
        Some(passkeys) => passkeys.list(&signed.person.id).await.map_err(|e| AppError(e.to_string()))?,
        None => Vec::new(),
    };
    let tr = signed.tr();
    let views = passkeys
        .into_iter()
        .map(|p| PasskeyView {
            id: p.id,
            name: p.name,
            added: when(p.created_at),
            last_used: p.last_used_at.map(when).unwrap_or_else(|| tr.t("passkeys.never")),
        })
        .collect();
    let page = PasskeysPage { chrome, frame, available: state.passkeys.is_some(), passkeys: views };
    Ok(render(status, &page))
}
