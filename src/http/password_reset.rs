//! GET /password/reset, POST /password/reset/code, POST /password/reset: a forgotten password, reset with
//! a code sent to the account's verified phone. Other sessions end, since the old password may be known
//! to someone else. Without the phone, the page says to visit a counter.

use super::error::AppError;
use super::flow::{code_refusal, recalled_phone};
use super::i18n::Tr;
use super::login::{LoginContext, SignInForm};
use super::pages::{Chrome, NoticePage, render};
use super::phone_code_flow::{FlowForm, FlowQuery, PhoneCodeFlow};
use super::session::Browser;
use super::state::AppState;
use crate::audit::{Actor, ActorRole, Event};
use crate::http::client_ip::ClientIp;
use crate::identity::AccountError;
use crate::identity::amr::Amr;
use crate::identity::login::Authenticated;
use crate::identity::otp::OtpPurpose;
use crate::paths;
use crate::secret::SecretString;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use tower_sessions::Session;

/// Resetting a forgotten password with a code sent to the account's phone.
pub const FLOW: PhoneCodeFlow = PhoneCodeFlow {
    name: "password-reset",
    purpose: OtpPurpose::ResetPassword,
    path: paths::PASSWORD_RESET,
    send_path: paths::PASSWORD_RESET_CODE,
    title_key: "reset.title",
    intro: reset_intro,
    submit_key: "reset.submit",
    new_password: true,
};

fn reset_intro(tr: Tr, _: &LoginContext) -> String {
    tr.t("reset.intro")
}

pub async fn get_reset(
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

pub async fn post_reset(
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
    if form.password != form.password2 {
        return FLOW
            .page(
                &state,
                &browser,
                &context,
                StatusCode::BAD_REQUEST,
                Some(&phone),
                Some(tr.t("flow.passwords_differ")),
                None,
            )
            .await;
    }
    // Only the phone is known to this page before the code is checked: the rest of what the password
    // must not contain is checked when it is set, so that this answer reveals nothing about the account.
    let facts = crate::identity::password_context::PersonalFacts {
        name: "",
        document_number: None,
        phone: Some(phone.as_str()),
    };
    if let Err(reason) = crate::identity::password_context::check_password_for(&form.password, &facts) {
        return FLOW
            .page(
                &state,
                &browser,
                &context,
                StatusCode::BAD_REQUEST,
                Some(&phone),
                Some(policy_message(tr, &reason)),
                None,
            )
            .await;
    }
    let ip = peer.to_string();
    let check =
        state.accounts.check_sms_code(&state.otp, OtpPurpose::ResetPassword, &phone, &form.code, Some(&ip)).await?;
    if let Some((status, message)) = code_refusal(tr, &check) {
        return FLOW.page(&state, &browser, &context, status, Some(&phone), message, None).await;
    }
    let Some(person) = state.accounts.find_by_phone(&phone).await?.filter(|p| p.can_sign_in()) else {
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
    match state.accounts.set_password(&person, &SecretString::new(form.password)).await {
        Ok(()) => {}
        Err(AccountError::Policy(reason)) => {
            return FLOW
                .page(
                    &state,
                    &browser,
                    &context,
                    StatusCode::BAD_REQUEST,
                    Some(&phone),
                    Some(policy_message(tr, &reason)),
                    None,
                )
                .await;
        }
        Err(error) => return Err(AppError::from(error)),
    }
    state.provider.end_all_sessions(&person.id, "password reset").await?;
    let actor = Actor::person(&person.id, ActorRole::Citizen, Some(ip.clone()));
    let event = Event {
        action: "account.password.reset",
        subject_type: "person",
        subject_id: Some(person.id.clone()),
        detail: serde_json::json!({ "method": Amr::Sms.as_str() }),
    };
    state.audit.record(&actor, event).await?;
    browser.take_flow(FLOW.name).await?;
    let location = context.finish(&state, &browser, &headers, ip, Authenticated::new(&person.id, &[Amr::Sms])).await?;
    // The next page (the account, or the system being signed in to) would not say what happened.
    let page = NoticePage {
        chrome: Chrome::new(context.locale, paths::PASSWORD_RESET),
        title: tr.t("reset.done_title"),
        body: tr.t("reset.done_body"),
        continue_href: location,
        continue_label: tr.t(if context.client_name.is_some() { "reset.continue_to_system" } else { "reset.continue" }),
    };
    Ok(render(StatusCode::OK, &page))
}

pub fn policy_message(tr: Tr, reason: &crate::identity::password::PasswordPolicyError) -> String {
    use crate::identity::password::PasswordPolicyError as P;
    tr.t(match reason {
        P::TooShort => "password.too_short",
        P::TooLong => "password.too_long",
        P::TooCommon => "password.too_common",
        P::PersonalInfo => "password.personal_info",
        P::TooGuessable => "password.too_guessable",
    })
}
