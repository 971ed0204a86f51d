//! GET /login/sms, POST /login/sms/code, POST /login/sms: signing in with a code sent to the account's
//! phone. The answer to "send a code" is the same whether or not the number is registered.

use super::error::AppError;
use super::flow::{code_refusal, recalled_phone};
use super::i18n::Tr;
use super::login::{LoginContext, SignInForm};
use super::phone_code_flow::{FlowForm, FlowQuery, PhoneCodeFlow};
use super::session::Browser;
use super::state::AppState;
use crate::http::client_ip::ClientIp;
use crate::identity::amr::Amr;
use crate::identity::login::Authenticated;
use crate::identity::otp::OtpPurpose;
use crate::identity::sms_code_check::CodeCheck;
use crate::paths;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// Signing in with a code sent to the account's phone.
pub const FLOW: PhoneCodeFlow = PhoneCodeFlow {
    name: "sms-login",
    purpose: OtpPurpose::Login,
    path: paths::LOGIN_SMS,
    send_path: paths::LOGIN_SMS_CODE,
    title_key: "sms_login.title",
    intro: to_continue,
    submit_key: "sms_login.submit",
    new_password: false,
};

fn to_continue(tr: Tr, context: &LoginContext) -> String {
    context.client_name.as_ref().map(|name| format!("{} {name}", tr.t("login.to_continue"))).unwrap_or_default()
}

pub async fn get_sms_login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<FlowQuery>,
) -> Result<Response, AppError> {
    FLOW.get(&state, &Browser(&session), &headers, query).await
}

pub async fn post_send(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    SignInForm(form, context): SignInForm<FlowForm>,
) -> Result<Response, AppError> {
    FLOW.send(&state, &Browser(&session), peer, form, context).await
}

pub async fn post_verify(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    SignInForm(form, context): SignInForm<FlowForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = Tr(context.locale);
    let Some(phone) = recalled_phone(&state, &browser, FLOW.name).await? else {
        return FLOW
            .page(&state, &browser, &context, StatusCode::BAD_REQUEST, None, Some(tr.t("flow.code_expired")), None)
            .await;
    };
    let ip = peer.to_string();
    let check = state.accounts.check_sms_code(&state.otp, OtpPurpose::Login, &phone, &form.code, Some(&ip)).await?;
    if let Some((status, message)) = code_refusal(tr, &check) {
        if matches!(check, CodeCheck::Refused(_)) {
            state.metrics.login(Amr::Sms.as_str(), "failure");
        }
        return FLOW.page(&state, &browser, &context, status, Some(&phone), message, None).await;
    }
    let person = state.accounts.find_by_phone(&phone).await?.filter(|p| p.can_sign_in());
    // A code was sent only to registered numbers, so a right code means the account exists.
    let Some(person) = person else {
        return FLOW
            .page(
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
    browser.take_flow(FLOW.name).await?;
    let location = context.finish(&state, &browser, &headers, ip, Authenticated::new(&person.id, &[Amr::Sms])).await?;
    Ok(Redirect::to(&location).into_response())
}
