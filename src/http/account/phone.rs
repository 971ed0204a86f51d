//! GET/POST /account/phone and POST /account/phone/code: changing the phone number. The new number is
//! proven with a code sent to it, and the person's current password (when they have one) is asked too.

use super::{AccountFrame, Signed, current_password_refusal, frame};
use crate::audit::{Actor, ActorRole, Event};
use crate::http::client_ip::ClientIp;
use crate::http::error::AppError;
use crate::http::flow::{
    SendRequest, code_sent_notice, otp_message, recalled_phone, remember_phone, resend_wait, send_request,
};
use crate::http::guard::{CsrfForm, csrf_field};
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::AccountError;
use crate::identity::otp::{OtpError, OtpPurpose};
use crate::paths;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

const FLOW: &str = "phone-change";

#[derive(Template)]
#[template(path = "account/phone.html")]
struct PhonePage {
    chrome: Chrome,
    frame: AccountFrame,
    current: String,
    /// The number the code went to; empty at the number step.
    new_phone: String,
    /// What the person typed at the number step (kept after an error or a change of number).
    typed: String,
    resend_wait: i64,
    has_password: bool,
}

#[derive(Deserialize)]
pub struct PhoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    resend: String,
    /// "1": forget the number the code went to and ask for the number again.
    #[serde(default)]
    change: String,
}

csrf_field!(PhoneForm);

pub async fn get_phone(State(state): State<AppState>, signed: Signed, session: Session) -> Result<Response, AppError> {
    show(&state, &Browser(&session), &signed, StatusCode::OK, None, None).await
}

pub async fn post_send(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    ClientIp(peer): ClientIp,
    CsrfForm(form): CsrfForm<PhoneForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = signed.tr();
    let (change, resend) = (form.change == "1", form.resend == "1");
    let phone = match send_request(&state, &browser, FLOW, change, resend, &form.phone).await? {
        SendRequest::ChangeNumber(previous) => {
            let previous = previous.map(|p| p.as_str().to_owned()).unwrap_or_default();
            return show_with(&state, &browser, &signed, StatusCode::OK, None, None, &previous).await;
        }
        SendRequest::CodeTo(phone) => phone,
    };
    let Some(phone) = phone else {
        let message = Some(tr.t("flow.bad_phone"));
        return show_with(&state, &browser, &signed, StatusCode::BAD_REQUEST, None, message, &form.phone).await;
    };
    if signed.person.phone.as_ref() == Some(&phone) {
        let message = Some(tr.t("phone.same"));
        return show_with(&state, &browser, &signed, StatusCode::BAD_REQUEST, None, message, &form.phone).await;
    }
    remember_phone(&state, &browser, FLOW, &phone).await?;
    match state.otp.send(OtpPurpose::ChangePhone, &phone, Some(&peer.to_string()), true).await {
        Ok(()) => {
            let notice = code_sent_notice(tr, &phone, state.otp.code_minutes(), false);
            show(&state, &browser, &signed, StatusCode::OK, Some(notice), None).await
        }
        Err(error) => match otp_message(tr, &error) {
            Some(message) => show(&state, &browser, &signed, StatusCode::TOO_MANY_REQUESTS, None, Some(message)).await,
            None => Err(AppError::from(error)),
        },
    }
}

pub async fn post_phone(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    ClientIp(peer): ClientIp,
    CsrfForm(form): CsrfForm<PhoneForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = signed.tr();
    let Some(phone) = recalled_phone(&state, &browser, FLOW).await? else {
        return show(&state, &browser, &signed, StatusCode::BAD_REQUEST, None, Some(tr.t("flow.code_expired"))).await;
    };
    if let Some((status, message)) =
        current_password_refusal(&state, &signed.person, form.current.clone(), &peer.to_string(), tr).await?
    {
        return show(&state, &browser, &signed, status, None, Some(message)).await;
    }
    match state.otp.verify(OtpPurpose::ChangePhone, &phone, &form.code).await {
        Ok(()) => {}
        Err(OtpError::Store(error)) => return Err(AppError::from(error)),
        Err(error) => {
            return show(&state, &browser, &signed, StatusCode::UNAUTHORIZED, None, otp_message(tr, &error)).await;
        }
    }
    match state.accounts.change_phone(&signed.person, &phone).await {
        Ok(()) => {}
        Err(AccountError::DuplicatePhone) => {
            return show(&state, &browser, &signed, StatusCode::CONFLICT, None, Some(tr.t("phone.taken"))).await;
        }
        Err(error) => return Err(AppError::from(error)),
    }
    browser.take_flow(FLOW).await?;
    let actor = Actor::person(&signed.person.id, ActorRole::Citizen, Some(peer.to_string()));
    let detail = serde_json::json!({ "new_phone": phone.masked() });
    state
        .audit
        .record(
            &actor,
            Event {
                action: "account.phone.change",
                subject_type: "person",
                subject_id: Some(signed.person.id.clone()),
                detail,
            },
        )
        .await?;
    let signed = signed.reread(&state).await?;
    show(&state, &browser, &signed, StatusCode::OK, Some(tr.t("phone.changed")), None).await
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    show_with(state, browser, signed, status, flash, error, "").await
}

async fn show_with(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    typed: &str,
) -> Result<Response, AppError> {
    let (chrome, mut frame) = frame(state, browser, signed, paths::ACCOUNT_PHONE).await?;
    frame.flash = flash;
    frame.error = error;
    let new_phone = recalled_phone(state, browser, FLOW).await?;
    let resend_wait = resend_wait(state, OtpPurpose::ChangePhone, new_phone.as_ref()).await?;
    let page = PhonePage {
        chrome,
        frame,
        current: signed.person.phone.as_ref().map(|p| p.masked()).unwrap_or_default(),
        new_phone: new_phone.map(|p| p.as_str().to_owned()).unwrap_or_default(),
        typed: typed.trim().chars().take(40).collect(),
        resend_wait,
        has_password: signed.person.password_hash.is_some(),
    };
    Ok(render(status, &page))
}
