//! GET /login/sms, POST /login/sms/code, POST /login/sms: signing in with a code sent to the account's
//! phone. The answer to "send a code" is the same whether or not the number is registered.

use super::complete_login::{Proven, complete_login};
use super::error::AppError;
use super::extract::parse_form;
use super::flow::{code_sent_notice, otp_message, recalled_phone, remember_phone, resend_wait};
use super::i18n::{Locale, Tr};
use super::login::{LoginContext, throttled_message};
use super::pages::{Chrome, CodeFlowPage, error_page, render};
use super::session::Browser;
use super::state::AppState;
use crate::http::client_ip::ClientIp;
use crate::identity::LoginError;
use crate::identity::otp::{OtpError, OtpPurpose};
use crate::identity::phone::PhoneNumber;
use crate::paths;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

const FLOW: &str = "sms-login";

#[derive(Deserialize)]
pub struct FlowQuery {
    rid: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct FlowForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rid: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    resend: String,
    /// "1": forget the number the code went to and ask for the number again.
    #[serde(default)]
    change: String,
}

pub async fn get_sms_login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<FlowQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let context =
        LoginContext::load(&state, &browser, &headers, query.rid.as_deref().unwrap_or_default(), query.next.as_deref())
            .await?;
    let phone = recalled_phone(&state, &browser, FLOW).await?;
    page(&state, &browser, &context, StatusCode::OK, phone.as_ref(), None, None).await
}

pub async fn post_send(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Some((form, context)) = checked_form(&state, &browser, &headers, &body).await? else {
        return Ok(error_page(StatusCode::FORBIDDEN, Locale::negotiate(None, &headers), "error.csrf", None));
    };
    let tr = Tr(context.locale);
    if form.change == "1" {
        let typed = recalled_phone(&state, &browser, FLOW).await?;
        browser.take_flow(FLOW).await?;
        let page = flow_page(&state, &browser, &context, typed.as_ref(), false, None, None).await?;
        return Ok(render(StatusCode::OK, &page));
    }
    let phone = if form.resend == "1" {
        recalled_phone(&state, &browser, FLOW).await?
    } else {
        PhoneNumber::parse(&form.phone).ok()
    };
    let Some(phone) = phone else {
        let message = tr.t("flow.bad_phone");
        let mut page = flow_page(&state, &browser, &context, None, false, Some(message), None).await?;
        page.phone = form.phone.trim().chars().take(40).collect();
        return Ok(render(StatusCode::BAD_REQUEST, &page));
    };
    let deliver = state.accounts.find_by_phone(&phone).await?.is_some_and(|p| p.can_sign_in());
    remember_phone(&state, &browser, FLOW, &phone).await?;
    match state.otp.send(OtpPurpose::Login, &phone, Some(&peer.to_string()), deliver).await {
        Ok(()) => {
            let notice = code_sent_notice(tr, &phone, state.otp.code_minutes(), true);
            page(&state, &browser, &context, StatusCode::OK, Some(&phone), None, Some(notice)).await
        }
        Err(error) => match otp_message(tr, &error) {
            Some(message) => {
                page(&state, &browser, &context, StatusCode::TOO_MANY_REQUESTS, Some(&phone), Some(message), None).await
            }
            None => Err(AppError(error.to_string())),
        },
    }
}

pub async fn post_verify(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Some((form, context)) = checked_form(&state, &browser, &headers, &body).await? else {
        return Ok(error_page(StatusCode::FORBIDDEN, Locale::negotiate(None, &headers), "error.csrf", None));
    };
    let tr = Tr(context.locale);
    let Some(phone) = recalled_phone(&state, &browser, FLOW).await? else {
        return page(&state, &browser, &context, StatusCode::BAD_REQUEST, None, Some(tr.t("flow.code_expired")), None)
            .await;
    };
    let ip = peer.to_string();
    let keys = state.accounts.throttle_keys("sms", phone.as_str(), Some(&ip));
    match state.accounts.check_throttle(&keys).await {
        Ok(()) => {}
        Err(LoginError::Throttled { retry_after_secs, locked }) => {
            let message = throttled_message(tr, retry_after_secs, locked);
            return page(&state, &browser, &context, StatusCode::TOO_MANY_REQUESTS, Some(&phone), Some(message), None)
                .await;
        }
        Err(error) => return Err(AppError(error.to_string())),
    }
    let verified = state.otp.verify(OtpPurpose::Login, &phone, &form.code).await;
    let person = match verified {
        Ok(()) => state.accounts.find_by_phone(&phone).await?.filter(|p| p.can_sign_in()),
        Err(OtpError::Store(error)) => return Err(AppError(error.to_string())),
        Err(error) => {
            state.accounts.count_failure(&keys).await.map_err(|e| AppError(e.to_string()))?;
            state.metrics.login("sms", "failure");
            let message = otp_message(tr, &error);
            return page(&state, &browser, &context, StatusCode::UNAUTHORIZED, Some(&phone), message, None).await;
        }
    };
    // A code was sent only to registered numbers, so a right code means the account exists.
    let Some(person) = person else {
        return page(
            &state,
            &browser,
            &context,
            StatusCode::UNAUTHORIZED,
            Some(&phone),
            Some(tr.t("flow.code_expired")),
            None,
        )
        .await;
    };
    state.accounts.clear_failures(&keys).await.map_err(|e| AppError(e.to_string()))?;
    browser.take_flow(FLOW).await?;
    let next = Some(context.next.as_str()).filter(|n| !n.is_empty());
    let location =
        complete_login(&state, &browser, &headers, Some(ip), Proven::new(&person.id, &["sms"]), &context.rid, next)
            .await?;
    Ok(Redirect::to(&location).into_response())
}

async fn checked_form(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<(FlowForm, LoginContext)>, AppError> {
    let Ok(form) = parse_form::<FlowForm>(&String::from_utf8_lossy(body)) else { return Ok(None) };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(None);
    }
    let context = LoginContext::load(state, browser, headers, &form.rid, Some(&form.next)).await?;
    Ok(Some((form, context)))
}

async fn page(
    state: &AppState,
    browser: &Browser<'_>,
    context: &LoginContext,
    status: StatusCode,
    phone: Option<&PhoneNumber>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let page = flow_page(state, browser, context, phone, phone.is_some(), error, notice).await?;
    Ok(render(status, &page))
}

/// The page at the number step (`phone` prefilled, when it is being changed) or the code step.
async fn flow_page(
    state: &AppState,
    browser: &Browser<'_>,
    context: &LoginContext,
    phone: Option<&PhoneNumber>,
    code_stage: bool,
    error: Option<String>,
    notice: Option<String>,
) -> Result<CodeFlowPage, AppError> {
    let tr = Tr(context.locale);
    let resend_wait = resend_wait(state, OtpPurpose::Login, phone.filter(|_| code_stage)).await?;
    let query = context.query();
    let page = CodeFlowPage {
        chrome: Chrome::new(context.locale, &format!("{}{query}", paths::LOGIN_SMS)),
        title: tr.t("sms_login.title"),
        intro: context
            .client_name
            .as_ref()
            .map(|name| format!("{} {name}", tr.t("login.to_continue")))
            .unwrap_or_default(),
        error,
        notice,
        csrf: browser.csrf_token().await?,
        hidden: vec![("rid".into(), context.rid.clone()), ("next".into(), context.next.clone())],
        send_action: paths::LOGIN_SMS_CODE.to_owned(),
        verify_action: paths::LOGIN_SMS.to_owned(),
        phone_input: true,
        phone: phone.map(|p| p.as_str().to_owned()).unwrap_or_default(),
        code_stage,
        resend_wait,
        new_password: false,
        submit_label: tr.t("sms_login.submit"),
        passkey: None,
        back_href: format!("{}{query}", paths::LOGIN),
    };
    Ok(page)
}
