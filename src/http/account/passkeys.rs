//! GET/POST /account/passkeys and the registration ceremony (POST /account/passkeys/options, POST
//! /account/passkeys/register): list, name, add and remove passkeys. All of it needs a recent two-factor
//! sign-in ([`gate`](crate::http::gate)), except one case: a staff member or administrator without a
//! passkey, recently signed in, may add the first one with an enrolment code handed over in person. Every
//! passkey added or removed is audited and told to the account's phone.

use super::{AccountFrame, AnySignIn, Signed, frame, when};
use crate::audit::{Actor, ActorRole, Event};
use crate::http::client_ip::ClientIp;
use crate::http::error::AppError;
use crate::http::gate;
use crate::http::guard::{CsrfForm, csrf_field};
use crate::http::pages::{Chrome, Confirmation, render};
use crate::http::passkey_login::json_error;
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::passkeys::PasskeyError;
use crate::paths;
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
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
    /// A recent two-factor sign-in: passkeys can be added, renamed and removed.
    can_change: bool,
    /// The first passkey of a staff member or administrator, added with an enrolment code.
    enrolment: bool,
    passkeys: Vec<PasskeyView>,
    /// The removal of a passkey, waiting for the person's confirmation.
    confirm_remove: Option<Confirmation>,
}

#[derive(Deserialize)]
pub struct PasskeysQuery {
    /// Set by "confirm with a second factor instead" on the enrolment form.
    #[serde(default)]
    verify: Option<String>,
    /// Set by the redirect after a passkey was added, to say so.
    #[serde(default)]
    added: Option<String>,
}

#[derive(Deserialize)]
pub struct ManageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    action: String,
    /// "yes" once the person confirmed a removal.
    #[serde(default)]
    confirmed: String,
}

csrf_field!(ManageForm);

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    attachment: Option<String>,
    credential: Option<RegisterPublicKeyCredential>,
    #[serde(default)]
    enrolment_code: String,
}

pub async fn get_passkeys(
    State(state): State<AppState>,
    AnySignIn(signed): AnySignIn,
    session: Session,
    Query(query): Query<PasskeysQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let now = state.provider.now();
    // Short of two factors, the page opens only to enrol a first passkey with a code, or read-only to
    // confirm the one just enrolled that way.
    if !gate::satisfied(&signed.login, paths::ACCOUNT_PASSKEYS, now)
        && (query.verify.is_some() || (query.added.is_none() && !may_enrol_with_code(&state, &signed).await?))
    {
        return gate::ask_for_more(&browser, &signed.login, paths::ACCOUNT_PASSKEYS, now).await;
    }
    let flash = query.added.is_some().then(|| signed.tr().t("passkeys.added_done"));
    show(&state, &browser, &signed, StatusCode::OK, flash, None).await
}

/// Whether this sign-in may add a first passkey with an enrolment code instead of two factors: the person
/// holds a role, has no passkey yet, and signed in within the minutes a sensitive change allows.
async fn may_enrol_with_code(state: &AppState, signed: &Signed) -> Result<bool, AppError> {
    let Some(passkeys) = &state.passkeys else { return Ok(false) };
    let recent = state.provider.now() - signed.login.auth_time <= gate::SENSITIVE_RECENT_SECS;
    Ok(recent && !state.roles.of(&signed.person.id).await?.is_empty() && !passkeys.has_any(&signed.person.id).await?)
}

/// How a registration ceremony is allowed: by the sign-in itself, or by a live enrolment code.
enum Allowed {
    TwoFactors,
    EnrolmentCode(String),
}

/// Whether `signed` may add a passkey now, and on what grounds; None when neither holds.
async fn allowed_to_add(state: &AppState, signed: &Signed, code: &str) -> Result<Option<Allowed>, AppError> {
    if gate::satisfied(&signed.login, paths::ACCOUNT_PASSKEYS, state.provider.now()) {
        return Ok(Some(Allowed::TwoFactors));
    }
    if code.trim().is_empty() || !may_enrol_with_code(state, signed).await? {
        return Ok(None);
    }
    let live = state.enrolment.is_live(&signed.person.id, code).await?;
    Ok(live.then(|| Allowed::EnrolmentCode(code.to_owned())))
}

/// The signed-in person for a step of the ceremony, which the page's script calls: without a sign-in it
/// answers in JSON, which the script shows, rather than with the login page.
#[allow(clippy::result_large_err)]
fn signed_in_for_json(signed: Result<AnySignIn, Response>) -> Result<Signed, Response> {
    match signed {
        Ok(AnySignIn(signed)) => Ok(signed),
        Err(page) if page.status().is_redirection() => Err(json_error(StatusCode::UNAUTHORIZED, "sign in again")),
        Err(page) => Err(page),
    }
}

const CONFIRM_FIRST: &str = "confirm it is you first: reload the page, or check the enrolment code";

pub async fn post_manage(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    ClientIp(peer): ClientIp,
    CsrfForm(form): CsrfForm<ManageForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Some(passkeys) = &state.passkeys else {
        return show(&state, &browser, &signed, StatusCode::NOT_FOUND, None, None).await;
    };
    let tr = signed.tr();
    let person_id = &signed.person.id;
    if form.action == "remove" && form.confirmed != "yes" {
        return show_with(&state, &browser, &signed, StatusCode::OK, None, None, Some(&form.id)).await;
    }
    let (done, action) = match form.action.as_str() {
        "remove" => (passkeys.remove(person_id, &form.id).await?, "account.passkey.remove"),
        _ => (passkeys.rename(person_id, &form.id, &form.name).await?, "account.passkey.rename"),
    };
    if !done {
        return show(&state, &browser, &signed, StatusCode::BAD_REQUEST, None, Some(tr.t("passkeys.not_changed")))
            .await;
    }
    let actor = Actor::person(person_id, ActorRole::Citizen, Some(peer.to_string()));
    state
        .audit
        .record(
            &actor,
            Event { action, subject_type: "passkey", subject_id: Some(form.id), detail: serde_json::json!({}) },
        )
        .await?;
    if action == "account.passkey.remove"
        && let Some(phone) = &signed.person.phone
    {
        crate::sms::send_account_notice(
            state.sms.as_ref(),
            phone,
            "您的账号删除了一个通行密钥。如非本人操作，请立即修改密码。",
        )
        .await;
    }
    let done = if action == "account.passkey.remove" { "passkeys.removed" } else { "passkeys.saved" };
    show(&state, &browser, &signed, StatusCode::OK, Some(tr.t(done)), None).await
}

pub async fn post_options(
    State(state): State<AppState>,
    signed: Result<AnySignIn, Response>,
    session: Session,
    Json(form): Json<RegisterForm>,
) -> Response {
    let browser = Browser(&session);
    let result = async {
        let Some(passkeys) = &state.passkeys else {
            return Ok(json_error(StatusCode::NOT_FOUND, "passkeys are not available here"));
        };
        let signed = match signed_in_for_json(signed) {
            Ok(signed) => signed,
            Err(answer) => return Ok(answer),
        };
        if !browser.csrf_matches(&form.csrf).await? {
            return Ok(json_error(StatusCode::FORBIDDEN, "the page has expired; reload it"));
        }
        if allowed_to_add(&state, &signed, &form.enrolment_code).await?.is_none() {
            return Ok(json_error(StatusCode::UNAUTHORIZED, CONFIRM_FIRST));
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
    signed: Result<AnySignIn, Response>,
    ClientIp(peer): ClientIp,
    Json(form): Json<RegisterForm>,
) -> Response {
    let browser = Browser(&session);
    let result = async {
        let Some(passkeys) = &state.passkeys else {
            return Ok(json_error(StatusCode::NOT_FOUND, "passkeys are not available here"));
        };
        let signed = match signed_in_for_json(signed) {
            Ok(signed) => signed,
            Err(answer) => return Ok(answer),
        };
        if !browser.csrf_matches(&form.csrf).await? {
            return Ok(json_error(StatusCode::FORBIDDEN, "the page has expired; reload it"));
        }
        let Some(allowed) = allowed_to_add(&state, &signed, &form.enrolment_code).await? else {
            return Ok(json_error(StatusCode::UNAUTHORIZED, CONFIRM_FIRST));
        };
        let (Some(ceremony), Some(credential)) = (browser.take_flow(CEREMONY_FLOW).await?, form.credential.as_ref())
        else {
            return Ok(json_error(StatusCode::BAD_REQUEST, "start adding the passkey again"));
        };
        let person_id = &signed.person.id;
        // An enrolment code is used up before the passkey is stored, so two racing requests cannot both use
        // it; it is given back if the ceremony then fails.
        if let Allowed::EnrolmentCode(code) = &allowed
            && !state.enrolment.redeem(person_id, code).await?
        {
            return Ok(json_error(StatusCode::UNAUTHORIZED, CONFIRM_FIRST));
        }
        let finished = passkeys
            .finish_registration(person_id, &ceremony, credential, &form.name, form.attachment.as_deref())
            .await;
        if finished.is_err()
            && let Allowed::EnrolmentCode(code) = &allowed
        {
            state.enrolment.give_back(code).await?;
        }
        match finished {
            Ok(summary) => {
                let actor = Actor::person(person_id, ActorRole::Citizen, Some(peer.to_string()));
                let via = match allowed {
                    Allowed::TwoFactors => "two_factor_sign_in",
                    Allowed::EnrolmentCode(_) => "enrolment_code",
                };
                let detail = serde_json::json!({ "name": summary.name, "attachment": summary.attachment, "via": via });
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
                if let Some(phone) = &signed.person.phone {
                    let text = format!("您的账号添加了通行密钥“{}”。如非本人操作，请立即修改密码。", summary.name);
                    crate::sms::send_account_notice(state.sms.as_ref(), phone, &text).await;
                }
                let done = format!("{}?added=1", paths::ACCOUNT_PASSKEYS);
                Ok(Json(serde_json::json!({ "redirect": done })).into_response())
            }
            Err(error @ (PasskeyError::AlreadyRegistered | PasskeyError::CeremonyGone | PasskeyError::Rejected(_))) => {
                Ok(json_error(StatusCode::BAD_REQUEST, &error.to_string()))
            }
            Err(error) => Err(AppError::from(error)),
        }
    };
    result.await.unwrap_or_else(|error: AppError| error.into_response())
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    show_with(state, browser, signed, status, flash, error, None).await
}

/// The page, asking to confirm the removal of `confirm_remove` (a passkey id) when given.
async fn show_with(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    confirm_remove: Option<&str>,
) -> Result<Response, AppError> {
    let can_change = gate::satisfied(&signed.login, paths::ACCOUNT_PASSKEYS, state.provider.now());
    let enrolment = !can_change && may_enrol_with_code(state, signed).await?;
    let (chrome, mut frame) = frame(state, browser, signed, paths::ACCOUNT_PASSKEYS).await?;
    frame.flash = flash;
    frame.error = error;
    let passkeys = match &state.passkeys {
        Some(passkeys) => passkeys.list(&signed.person.id).await?,
        None => Vec::new(),
    };
    let tr = signed.tr();
    let views: Vec<PasskeyView> = passkeys
        .into_iter()
        .map(|p| PasskeyView {
            id: p.id,
            name: p.name,
            added: when(p.created_at),
            last_used: p.last_used_at.map(when).unwrap_or_else(|| tr.t("passkeys.never")),
        })
        .collect();
    let confirm_remove =
        confirm_remove.filter(|_| can_change).and_then(|id| views.iter().find(|v| v.id == id)).map(|v| Confirmation {
            question: tr.t("passkeys.confirm_remove").replace("%{name}", &v.name),
            explanation: tr.t("passkeys.confirm_remove_body"),
            action: paths::ACCOUNT_PASSKEYS,
            fields: vec![("id", v.id.clone()), ("action", "remove".to_owned())],
            confirm_label: tr.t("passkeys.remove_confirmed"),
            keep_label: tr.t("passkeys.keep"),
        });
    let page = PasskeysPage {
        chrome,
        frame,
        available: state.passkeys.is_some(),
        can_change,
        enrolment,
        passkeys: views,
        confirm_remove,
    };
    Ok(render(status, &page))
}
