//! GET /stepup and its actions: when a system needs a higher assurance level than the person has, they
//! can raise it online (register match, then a face check) or get a code for a counter visit; after
//! raising it, the original authorization request continues. Declining sends the client the standard
//! error instead of a silent lower level.

use super::authorize::{current_login, expired, pending_with_client};
use super::error::AppError;
use super::extract::parse_form;
use super::i18n::{Locale, Tr};
use super::pages::{Chrome, error_page, render};
use super::session::Browser;
use super::state::AppState;
use crate::assurance::AssuranceError;
use crate::assurance::register::RegisterAnswer;
use crate::counter::CodePurpose;
use crate::oidc::OAuthError;
use crate::oidc::error::ErrorCode;
use crate::paths;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

#[derive(Template)]
#[template(path = "stepup.html")]
struct StepUpPage {
    chrome: Chrome,
    explanation: String,
    error: Option<String>,
    csrf: String,
    rid: String,
    offer_register: bool,
    offer_face: bool,
    counter_code: Option<String>,
    counter_valid: String,
}

#[derive(Deserialize)]
pub struct RidQuery {
    rid: Option<String>,
}

#[derive(Deserialize)]
struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rid: String,
}

pub async fn get_stepup(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<RidQuery>,
) -> Result<Response, AppError> {
    show(&state, &Browser(&session), &headers, query.rid.as_deref().unwrap_or_default(), StatusCode::OK, None, false)
        .await
}

/// "Done at the counter, continue": continues when the counter has recorded the visit; otherwise says
/// so, with the same code still shown.
pub async fn get_done(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<RidQuery>,
) -> Result<Response, AppError> {
    show(&state, &Browser(&session), &headers, query.rid.as_deref().unwrap_or_default(), StatusCode::OK, None, true)
        .await
}

pub async fn get_cancel(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<RidQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Some((request, _)) = pending_with_client(&state, &browser, query.rid.as_deref()).await? else {
        return Ok(expired(&headers));
    };
    browser.remove_pending(&request.id).await?;
    let error = OAuthError::new(
        ErrorCode::UnmetAuthenticationRequirements,
        "the person did not reach the required assurance level",
    );
    Ok(super::authorize::refuse(&state, &request, &error, &headers))
}

pub async fn post_register(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Ok(form) = parse_form::<StepForm>(&String::from_utf8_lossy(&body)) else { return Ok(forbidden(&headers)) };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(forbidden(&headers));
    }
    let Some(login) = current_login(&state, &browser).await? else { return Ok(to_continue(&form.rid)) };
    let Some(person) = state.accounts.find(&login.person_id).await? else { return Ok(to_continue(&form.rid)) };
    let tr = Tr(Locale::negotiate(None, &headers));
    let message = match state.assurance.check_register(&person).await {
        Ok(RegisterAnswer::Match) => return Ok(to_continue(&form.rid)),
        Ok(RegisterAnswer::Mismatch) => tr.t("stepup.mismatch"),
        Ok(RegisterAnswer::NotFound) => tr.t("stepup.not_found"),
        Err(error) => assurance_message(tr, error)?,
    };
    show(&state, &browser, &headers, &form.rid, StatusCode::OK, Some(message), false).await
}

pub async fn post_face(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = Tr(Locale::negotiate(None, &headers));
    let (mut csrf, mut rid, mut photo) = (String::new(), String::new(), None::<Bytes>);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                return show(
                    &state,
                    &browser,
                    &headers,
                    &rid,
                    StatusCode::BAD_REQUEST,
                    Some(tr.t("stepup.bad_photo")),
                    false,
                )
                .await;
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("rid") => rid = field.text().await.unwrap_or_default(),
            Some("photo") => photo = field.bytes().await.ok(),
            _ => {}
        }
    }
    if !browser.csrf_matches(&csrf).await? {
        return Ok(forbidden(&headers));
    }
    let Some(photo) = photo.filter(|p| !p.is_empty() && p.len() <= MAX_PHOTO_BYTES) else {
        return show(&state, &browser, &headers, &rid, StatusCode::BAD_REQUEST, Some(tr.t("stepup.bad_photo")), false)
            .await;
    };
    let Some(login) = current_login(&state, &browser).await? else { return Ok(to_continue(&rid)) };
    let Some(person) = state.accounts.find(&login.person_id).await? else { return Ok(to_continue(&rid)) };
    let message = match state.assurance.check_face(&person, &photo).await {
        Ok(RegisterAnswer::Match) => return Ok(to_continue(&rid)),
        Ok(_) => tr.t("stepup.face_mismatch"),
        Err(error) => assurance_message(tr, error)?,
    };
    show(&state, &browser, &headers, &rid, StatusCode::OK, Some(message), false).await
}

pub async fn post_counter(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Ok(form) = parse_form::<StepForm>(&String::from_utf8_lossy(&body)) else { return Ok(forbidden(&headers)) };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(forbidden(&headers));
    }
    let Some(login) = current_login(&state, &browser).await? else { return Ok(to_continue(&form.rid)) };
    // Asking again shows the code already given, while it lives: one person, one live visit code.
    if live_counter_code(&state, &browser, &login.person_id).await?.is_none() {
        let code = state.codes.issue(&login.person_id, CodePurpose::CounterVisit, state.counter_code_days).await?;
        let expires_at = state.provider.now() + state.counter_code_days * 86_400;
        let sealed = crate::crypto::b64url(&state.keyring.encrypt_pii(CODE_FIELD, &code));
        browser.put_flow(COUNTER_FLOW, &format!("{expires_at}:{sealed}")).await?;
    }
    show(&state, &browser, &headers, &form.rid, StatusCode::OK, None, false).await
}

const COUNTER_FLOW: &str = "stepup-counter-code";
const CODE_FIELD: &str = "stepup.counter_code";

/// The counter-visit code this browser was given for this person, with its expiry, while it is unused
/// and unexpired.
async fn live_counter_code(
    state: &AppState,
    browser: &Browser<'_>,
    person_id: &str,
) -> Result<Option<(String, i64)>, AppError> {
    let Some(stored) = browser.flow(COUNTER_FLOW).await? else { return Ok(None) };
    let Some((expires_at, sealed)) = stored.split_once(':') else { return Ok(None) };
    let Some(code) = crate::crypto::b64url_decode(sealed).and_then(|b| state.keyring.decrypt_pii(CODE_FIELD, &b).ok())
    else {
        return Ok(None);
    };
    let holder = state.codes.holder(&code, CodePurpose::CounterVisit).await?;
    Ok((holder.as_deref() == Some(person_id)).then(|| (code, expires_at.parse().unwrap_or_default())))
}

fn to_continue(rid: &str) -> Response {
    Redirect::to(&format!("{}?rid={rid}", paths::AUTHORIZE_CONTINUE)).into_response()
}

fn forbidden(headers: &HeaderMap) -> Response {
    error_page(StatusCode::FORBIDDEN, Locale::negotiate(None, headers), "error.csrf", None)
}

/// A person-facing message for a failed online check; store failures stay the server's.
fn assurance_message(tr: Tr, error: AssuranceError) -> Result<String, AppError> {
    Ok(match error {
        AssuranceError::Unavailable(_) => tr.t("stepup.unavailable"),
        AssuranceError::TooManyChecks => tr.t("stepup.too_many"),
        AssuranceError::NotCheckable => tr.t("stepup.not_checkable"),
        AssuranceError::NeedsRegisterMatch => tr.t("stepup.mismatch"),
        AssuranceError::Store(error) => return Err(AppError::from(error)),
    })
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
    rid: &str,
    status: StatusCode,
    error: Option<String>,
    after_counter: bool,
) -> Result<Response, AppError> {
    let Some((request, client)) = pending_with_client(state, browser, Some(rid)).await? else {
        return Ok(expired(headers));
    };
    let Some(login) = current_login(state, browser).await? else { return Ok(to_continue(rid)) };
    let locale = Locale::negotiate(request.ui_locales.as_deref(), headers);
    let tr = Tr(locale);
    let ladder = state.assurance.ladder();
    let evidence = state.assurance.evidence().of(&login.person_id).await?;
    let rank = ladder.rank_of(&evidence);
    let required = request.required_rank.unwrap_or(rank);
    if after_counter && rank >= required {
        return Ok(to_continue(rid));
    }
    let counter_code = live_counter_code(state, browser, &login.person_id).await?;
    let error = match error {
        None if after_counter => Some(tr.t("stepup.not_recorded")),
        error => error,
    };
    let level = |rank: usize| tr.t(&format!("level.{}", ladder.acr_at(rank).rsplit(':').next().unwrap_or("1")));
    let matched =
        evidence.iter().any(|e| e.method == "register_match" && e.outcome == "passed" && e.revoked_at.is_none());
    let explanation = tr
        .t("stepup.explanation")
        .replace("%{client}", &client.name)
        .replace("%{required}", &level(required))
        .replace("%{current}", &level(rank));
    let page = StepUpPage {
        chrome: Chrome::new(locale, &format!("{}?rid={rid}", paths::STEP_UP)),
        explanation,
        error,
        csrf: browser.csrf_token().await?,
        rid: rid.to_owned(),
        offer_register: !matched && required <= 2,
        offer_face: matched && required == 2,
        counter_valid: counter_code
            .as_ref()
            .map(|(_, expires_at)| {
                tr.t("stepup.counter_valid_until").replace("%{until}", &crate::http::account::when(*expires_at))
            })
            .unwrap_or_default(),
        counter_code: counter_code.map(|(code, _)| code),
    };
    Ok(render(status, &page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assurance::register::RegisterError;

    #[test]
    fn every_refused_online_check_reads_in_the_persons_language() {
        let all = [
            AssuranceError::Unavailable(RegisterError::Timeout),
            AssuranceError::Unavailable(RegisterError::Refused("x".into())),
            AssuranceError::TooManyChecks,
            AssuranceError::NotCheckable,
            AssuranceError::NeedsRegisterMatch,
        ];
        for error in all {
            let zh = assurance_message(Tr(Locale::ZhCn), error).expect("a message for the person");
            assert!(!zh.is_ascii() && !zh.contains("stepup."), "in Chinese: {zh}");
        }
        let store = AssuranceError::Store(crate::store::StoreError::Corrupt("x".into()));
        assert!(assurance_message(Tr(Locale::ZhCn), store).is_err(), "a store failure is the server's");
    }
}
