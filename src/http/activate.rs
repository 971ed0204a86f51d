//! GET/POST /activate: a person given an activation code at a counter (assisted registration, or a
//! credential reset) proves it with the code and their document number and sets a password.

use super::complete_login::complete_login;
use super::error::AppError;
use super::extract::parse_form;
use super::i18n::{Locale, Tr};
use super::login::throttled_message;
use super::pages::{Chrome, error_page, render};
use super::password_reset::policy_message;
use super::session::Browser;
use super::state::AppState;
use crate::audit::{Actor, ActorRole, Event};
use crate::counter::CodePurpose;
use crate::http::client_ip::ClientIp;
use crate::identity::amr::Amr;
use crate::identity::login::Authenticated;
use crate::identity::{AccountError, LoginError};
use crate::paths;
use crate::secret::SecretString;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivatePage {
    chrome: Chrome,
    error: Option<String>,
    csrf: String,
}

#[derive(Deserialize)]
struct ActivateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    document_number: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

pub async fn get_activate(session: Session, headers: HeaderMap) -> Result<Response, AppError> {
    page(&Browser(&session), Locale::negotiate(None, &headers), StatusCode::OK, None).await
}

pub async fn post_activate(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let locale = Locale::negotiate(None, &headers);
    let tr = Tr(locale);
    let Ok(form) = parse_form::<ActivateForm>(&String::from_utf8_lossy(&body)) else {
        return Ok(error_page(StatusCode::BAD_REQUEST, locale, "error.malformed", None));
    };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(error_page(StatusCode::FORBIDDEN, locale, "error.csrf", None));
    }
    if form.password != form.password2 {
        return page(&browser, locale, StatusCode::BAD_REQUEST, Some(tr.t("flow.passwords_differ"))).await;
    }
    let ip = peer.to_string();
    let keys = state.accounts.throttle_keys("activate", &form.document_number, Some(&ip));
    match state.accounts.check_throttle(&keys).await {
        Ok(()) => {}
        Err(LoginError::Throttled { retry_after_secs, locked }) => {
            return page(
                &browser,
                locale,
                StatusCode::TOO_MANY_REQUESTS,
                Some(throttled_message(tr, retry_after_secs, locked)),
            )
            .await;
        }
        Err(error) => return Err(AppError::from(error)),
    }
    let holder = state.codes.holder(&form.code, CodePurpose::Activation).await?;
    let person = match holder {
        Some(id) => state.accounts.find(&id).await?,
        None => None,
    };
    let typed = form.document_number.trim().to_ascii_uppercase();
    let Some(person) = person.filter(|p| p.document.number() == typed && p.can_sign_in()) else {
        state.accounts.count_failure(&keys).await?;
        return page(&browser, locale, StatusCode::UNAUTHORIZED, Some(tr.t("activate.wrong"))).await;
    };
    if let Err(reason) = crate::identity::password_context::check_password_for(&form.password, &person.facts()) {
        return page(&browser, locale, StatusCode::BAD_REQUEST, Some(policy_message(tr, &reason))).await;
    }
    // The code is used up before the password changes, so two simultaneous activations cannot both win.
    if !state.codes.consume(&form.code).await? {
        return page(&browser, locale, StatusCode::UNAUTHORIZED, Some(tr.t("activate.wrong"))).await;
    }
    match state.accounts.set_password(&person, &SecretString::new(form.password)).await {
        Ok(()) => {}
        Err(AccountError::Policy(reason)) => {
            return page(&browser, locale, StatusCode::BAD_REQUEST, Some(policy_message(tr, &reason))).await;
        }
        Err(error) => return Err(AppError::from(error)),
    }
    state.accounts.clear_failures(&keys).await?;
    let actor = Actor::person(&person.id, ActorRole::Citizen, Some(ip.clone()));
    state
        .audit
        .record(
            &actor,
            Event {
                action: "account.activate",
                subject_type: "person",
                subject_id: Some(person.id.clone()),
                detail: serde_json::json!({}),
            },
        )
        .await?;
    let location =
        complete_login(&state, &browser, &headers, Some(ip), Authenticated::new(&person.id, &[Amr::Otp]), "", None)
            .await?;
    Ok(Redirect::to(&location).into_response())
}

async fn page(
    browser: &Browser<'_>,
    locale: Locale,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let page = ActivatePage { chrome: Chrome::new(locale, paths::ACTIVATE), error, csrf: browser.csrf_token().await? };
    Ok(render(status, &page))
}
