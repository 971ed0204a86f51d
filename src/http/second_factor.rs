//! GET /login/second and its actions: the second factor a client may require, after a first login. The
//! person confirms with a passkey, or with a code sent to the account's verified phone.

use super::complete_login::complete_login;
use super::error::AppError;
use super::flow::{code_refusal, code_sent_notice, otp_message};
use super::guard;
use super::i18n::{Locale, Tr};
use super::login::LoginContext;
use super::pages::{Chrome, CodeFlowPage, PasskeyButton, error_page, render};
use super::passkey_login::{PasskeyForm, json_error};
use super::session::{Browser, PartialLogin};
use super::state::AppState;
use crate::http::client_ip::ClientIp;
use crate::identity::Person;
use crate::identity::amr::Amr;
use crate::identity::login::Authenticated;
use crate::identity::otp::OtpPurpose;
use crate::paths;
use axum::Json;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

const SENT_FLOW: &str = "second-factor-sent";
const CEREMONY_FLOW: &str = "second-factor-passkey";

#[derive(Deserialize)]
pub struct FlowQuery {
    rid: Option<String>,
}

#[derive(Deserialize)]
pub struct FlowForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rid: String,
    #[serde(default)]
    code: String,
}

guard::csrf_field!(FlowForm);

pub async fn get_second(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<FlowQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let context =
        LoginContext::load(&state, &browser, &headers, query.rid.as_deref().unwrap_or_default(), None).await?;
    let Some(partial) = browser.partial_login().await? else {
        return Ok(Redirect::to(&format!("{}{}", paths::LOGIN, context.query())).into_response());
    };
    let sent = browser.flow(SENT_FLOW).await?.is_some();
    page(&state, &browser, &context, &partial, StatusCode::OK, sent, None, None).await
}

pub async fn post_send(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    SmsStep { context, partial, person, .. }: SmsStep,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = Tr(context.locale);
    let Some(phone) = person.phone.as_ref().filter(|_| person.phone_verified) else {
        return page(
            &state,
            &browser,
            &context,
            &partial,
            StatusCode::BAD_REQUEST,
            false,
            Some(tr.t("second.no_phone")),
            None,
        )
        .await;
    };
    match state.otp.send(OtpPurpose::SecondFactor, phone, Some(&peer.to_string()), true).await {
        Ok(()) => {
            browser.put_flow(SENT_FLOW, "1").await?;
            let notice = code_sent_notice(tr, phone, state.otp.code_minutes(), false);
            page(&state, &browser, &context, &partial, StatusCode::OK, true, None, Some(notice)).await
        }
        Err(error) => match otp_message(tr, &error) {
            Some(message) => {
                page(&state, &browser, &context, &partial, StatusCode::TOO_MANY_REQUESTS, true, Some(message), None)
                    .await
            }
            None => Err(AppError::from(error)),
        },
    }
}

pub async fn post_verify(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    SmsStep { form, context, partial, person }: SmsStep,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = Tr(context.locale);
    let Some(phone) = person.phone.as_ref() else {
        return page(
            &state,
            &browser,
            &context,
            &partial,
            StatusCode::BAD_REQUEST,
            false,
            Some(tr.t("second.no_phone")),
            None,
        )
        .await;
    };
    let ip = peer.to_string();
    let check =
        state.accounts.check_sms_code(&state.otp, OtpPurpose::SecondFactor, phone, &form.code, Some(&ip)).await?;
    if let Some((status, message)) = code_refusal(tr, &check) {
        return page(&state, &browser, &context, &partial, status, true, message, None).await;
    }
    browser.take_flow(SENT_FLOW).await?;
    let location = finish(&state, &browser, &headers, Some(ip), partial, Amr::Sms, &context.rid).await?;
    Ok(Redirect::to(&location).into_response())
}

pub async fn post_passkey_options(
    State(state): State<AppState>,
    session: Session,
    Json(form): Json<PasskeyForm>,
) -> Response {
    let browser = Browser(&session);
    let result = async {
        let Some(passkeys) = &state.passkeys else {
            return Ok(json_error(StatusCode::NOT_FOUND, "passkeys are not available here"));
        };
        if !browser.csrf_matches(&form.csrf).await? {
            return Ok(json_error(StatusCode::FORBIDDEN, "the page has expired; reload it"));
        }
        let Some(partial) = browser.partial_login().await? else {
            return Ok(json_error(StatusCode::BAD_REQUEST, "there is no login waiting for a second factor"));
        };
        match passkeys.start_second_factor(&partial.person_id).await {
            Ok((options, ceremony)) => {
                browser.put_flow(CEREMONY_FLOW, &ceremony).await?;
                Ok(Json(options).into_response())
            }
            Err(error) => Ok(json_error(StatusCode::BAD_REQUEST, &error.to_string())),
        }
    };
    result.await.unwrap_or_else(|error: AppError| error.into_response())
}

pub async fn post_passkey(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    Json(form): Json<PasskeyForm>,
) -> Response {
    let browser = Browser(&session);
    let result = async {
        let Some(passkeys) = &state.passkeys else {
            return Ok(json_error(StatusCode::NOT_FOUND, "passkeys are not available here"));
        };
        if !browser.csrf_matches(&form.csrf).await? {
            return Ok(json_error(StatusCode::FORBIDDEN, "the page has expired; reload it"));
        }
        let (Some(partial), Some(ceremony), Some(credential)) =
            (browser.partial_login().await?, browser.take_flow(CEREMONY_FLOW).await?, form.credential)
        else {
            return Ok(json_error(StatusCode::BAD_REQUEST, "start the passkey check again"));
        };
        let proof = match passkeys.finish_authentication(&ceremony, &credential).await {
            Ok(proof) if proof.person_id == partial.person_id => proof,
            Ok(_) => return Ok(json_error(StatusCode::UNAUTHORIZED, "this passkey belongs to another account")),
            Err(error) => return Ok(json_error(StatusCode::UNAUTHORIZED, &error.to_string())),
        };
        let location =
            finish(&state, &browser, &headers, Some(peer.to_string()), partial, proof.amr, &form.rid).await?;
        Ok(Json(serde_json::json!({ "redirect": location })).into_response())
    };
    result.await.unwrap_or_else(|error: AppError| error.into_response())
}

/// Completes the login with both factors: the first's methods, the second's, and `mfa`.
async fn finish(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
    ip: Option<String>,
    partial: PartialLogin,
    second: Amr,
    rid: &str,
) -> Result<String, AppError> {
    let mut amr = partial.amr.clone();
    for method in [second, Amr::Mfa] {
        if !amr.contains(&method) {
            amr.push(method);
        }
    }
    let proven = Authenticated { person_id: partial.person_id.clone(), amr, upstream: partial.upstream.clone() };
    complete_login(state, browser, headers, ip, proven, rid, partial.next.as_deref()).await
}

/// A second-factor form sent by SMS: its CSRF token matched, with the login it continues, its context and
/// the person behind it. A first factor that was itself an SMS code is refused here, since a second code to
/// the same phone proves nothing more; a form without a waiting login gets the "page expired" page.
pub struct SmsStep {
    form: FlowForm,
    context: LoginContext,
    partial: PartialLogin,
    person: Person,
}

impl FromRequest<AppState> for SmsStep {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (session, headers, body) = guard::form_parts(request, state).await?;
        let browser = Browser(&session);
        let step = async {
            let expired = || error_page(StatusCode::FORBIDDEN, Locale::negotiate(None, &headers), "error.csrf", None);
            let Some(form) = guard::checked_form::<FlowForm>(&browser, &body).await? else { return Ok(Err(expired())) };
            let Some(partial) = browser.partial_login().await? else { return Ok(Err(expired())) };
            let context = LoginContext::load(state, &browser, &headers, &form.rid, None).await?;
            if partial.amr.contains(&Amr::Sms) {
                let message = Some(Tr(context.locale).t("second.sms_twice"));
                let refusal = page(state, &browser, &context, &partial, StatusCode::BAD_REQUEST, false, message, None);
                return Ok(Err(refusal.await?));
            }
            let person = state
                .accounts
                .find(&partial.person_id)
                .await?
                .ok_or_else(|| AppError::msg("partial login without a person"))?;
            Ok(Ok(SmsStep { form, context, partial, person }))
        };
        guard::settle(step.await)
    }
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    browser: &Browser<'_>,
    context: &LoginContext,
    partial: &PartialLogin,
    status: StatusCode,
    code_stage: bool,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let tr = Tr(context.locale);
    let person = state.accounts.find(&partial.person_id).await?;
    let masked = person.as_ref().and_then(|p| p.phone.as_ref()).map(|p| p.masked()).unwrap_or_default();
    // Without a phone (an account an upstream platform made) there is nothing to send a code to: say so at
    // once rather than after a click.
    let no_phone = person.as_ref().is_some_and(|p| p.phone.is_none() || !p.phone_verified);
    let error = error.or_else(|| no_phone.then(|| tr.t("second.no_phone")));
    let notice = if no_phone {
        notice
    } else {
        notice.or_else(|| (!code_stage).then(|| tr.t("second.sms_to").replace("%{phone}", &masked)))
    };
    let has_passkey = match &state.passkeys {
        Some(passkeys) => passkeys.has_any(&partial.person_id).await?,
        None => false,
    };
    let query = context.query();
    let page = CodeFlowPage {
        chrome: Chrome::new(context.locale, &format!("{}{query}", paths::LOGIN_SECOND)),
        title: tr.t("second.title"),
        intro: tr.t(match partial.next.as_deref() {
            Some(next) if super::gate::two_factors_within(next) == Some(super::gate::SENSITIVE_RECENT_SECS) => {
                "second.intro_sensitive"
            }
            Some(_) => "second.intro_console",
            None => "second.intro",
        }),
        error,
        notice,
        csrf: browser.csrf_token().await?,
        hidden: vec![("rid".into(), context.rid.clone())],
        send_action: paths::LOGIN_SECOND_CODE.to_owned(),
        verify_action: paths::LOGIN_SECOND.to_owned(),
        phone_input: false,
        phone: String::new(),
        code_stage,
        resend_wait: super::flow::resend_wait(
            state,
            crate::identity::otp::OtpPurpose::SecondFactor,
            person.as_ref().and_then(|p| p.phone.as_ref()).filter(|_| code_stage),
        )
        .await?,
        new_password: false,
        submit_label: tr.t("second.submit"),
        passkey: has_passkey.then(|| PasskeyButton {
            options: paths::LOGIN_SECOND_PASSKEY_OPTIONS.to_owned(),
            finish: paths::LOGIN_SECOND_PASSKEY.to_owned(),
            rid: context.rid.clone(),
        }),
        back_href: format!("{}{query}", paths::LOGIN),
    };
    Ok(render(status, &page))
}
