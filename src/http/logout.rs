//! GET/POST /logout (RP-Initiated Logout) and POST /logout/confirm. With a valid id_token_hint that names
//! this browser's session the person is logged out at once; otherwise they are asked first, so neither a
//! stray link nor someone else's ID token can log them out. Clients with a front-channel logout URI are
//! told through hidden frames of the page shown afterwards.

use super::CSP;
use super::authorize::current_login;
use super::error::AppError;
use super::extract::{is_form, parse_form};
use super::federated_logout::through_upstream;
use super::i18n::Locale;
use super::pages::{Chrome, LoggedOutPage, LogoutConfirmPage, error_page, render};
use super::session::{Browser, LogoutTicket};
use super::state::AppState;
use crate::oidc::frontchannel_logout;
use crate::oidc::logout::{EndSessionParams, EndSessionPlan};
use crate::paths;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

pub async fn get_end_session(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    // The page's language switch returns here, with the relying party's request intact.
    let here = match query.as_deref() {
        Some(query) if !query.is_empty() => format!("{}?{query}", paths::END_SESSION),
        _ => paths::END_SESSION.to_owned(),
    };
    end_session(&state, &session, &headers, parse_form(query.as_deref().unwrap_or_default()), &here).await
}

pub async fn post_end_session(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let params =
        if is_form(&headers) { parse_form(&String::from_utf8_lossy(&body)) } else { Ok(EndSessionParams::default()) };
    end_session(&state, &session, &headers, params, paths::END_SESSION).await
}

async fn end_session(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    params: Result<EndSessionParams, String>,
    here: &str,
) -> Result<Response, AppError> {
    let params = match params {
        Ok(params) => params,
        Err(detail) => {
            return Ok(error_page(
                StatusCode::BAD_REQUEST,
                Locale::negotiate(None, headers),
                "logout.rejected",
                Some(detail),
            ));
        }
    };
    let locale = Locale::negotiate(params.ui_locales.as_deref(), headers);
    let browser = Browser(session);
    let current = current_login(state, &browser).await?;
    match state.provider.plan_end_session(&params, current.as_ref()).await? {
        EndSessionPlan::Reject(detail) => {
            Ok(error_page(StatusCode::BAD_REQUEST, locale, "logout.rejected", Some(detail)))
        }
        EndSessionPlan::LogoutNow { session_id, redirect } => {
            // The plan names only this browser's session, so ending the browser's login ends exactly it.
            let out = match session_id {
                Some(_) => log_out_browser(state, &browser, "logged out by the relying party").await?,
                None => LoggedOut::default(),
            };
            let redirect = through_upstream(state, &browser, out.person_id.as_deref(), redirect).await?;
            Ok(finish(locale, redirect, out.frames))
        }
        EndSessionPlan::Confirm { redirect, client_name } => {
            confirm(&browser, current.is_some(), locale, here, redirect, client_name).await
        }
    }
}

/// Asks a signed-in person whether to log out (continuing to `redirect` afterwards); someone not signed in
/// goes on at once.
pub async fn confirm(
    browser: &Browser<'_>,
    signed_in: bool,
    locale: Locale,
    here: &str,
    redirect: Option<String>,
    client_name: Option<String>,
) -> Result<Response, AppError> {
    if !signed_in {
        return Ok(finish(locale, redirect, Vec::new()));
    }
    let ticket = LogoutTicket { ticket: crate::crypto::random_token(16), redirect };
    browser.put_logout_ticket(&ticket).await?;
    let page = LogoutConfirmPage {
        chrome: Chrome::new(locale, here),
        client_name,
        csrf: browser.csrf_token().await?,
        ticket: ticket.ticket,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    decision: String,
}

pub async fn post_confirm(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let locale = Locale::negotiate(None, &headers);
    let browser = Browser(&session);
    let Ok(form) = parse_form::<ConfirmForm>(&String::from_utf8_lossy(&body)) else {
        return Ok(error_page(StatusCode::BAD_REQUEST, locale, "error.malformed", None));
    };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(error_page(StatusCode::FORBIDDEN, locale, "error.csrf", None));
    }
    let Some(ticket) = browser.take_logout_ticket(&form.ticket).await? else {
        return Ok(error_page(StatusCode::BAD_REQUEST, locale, "error.expired", None));
    };
    if form.decision != "logout" {
        return Ok(Redirect::to(paths::HOME).into_response());
    }
    let out = log_out_browser(&state, &browser, "logged out").await?;
    let redirect = through_upstream(&state, &browser, out.person_id.as_deref(), ticket.redirect).await?;
    Ok(finish(locale, redirect, out.frames))
}

/// Who a browser's logout signed out, and the front-channel logout URIs of the clients that had a login in
/// that session.
#[derive(Default)]
struct LoggedOut {
    person_id: Option<String>,
    frames: Vec<String>,
}

/// Ends the browser's login session, if any, and forgets it.
async fn log_out_browser(state: &AppState, browser: &Browser<'_>, reason: &str) -> Result<LoggedOut, AppError> {
    let Some(login) = browser.login().await? else {
        return Ok(LoggedOut::default());
    };
    let frames = state.provider.frontchannel_logout_uris(&login.session_id).await?;
    state.provider.end_login_session(&login.session_id, reason).await?;
    browser.end_login().await?;
    Ok(LoggedOut { person_id: Some(login.person_id), frames })
}

/// yimen's own "you are logged out" page, with nowhere to continue to.
pub fn logged_out_page(locale: Locale) -> Response {
    finish(locale, None, Vec::new())
}

/// Where the person goes once logged out: straight to the relying party, or, when front-channel clients
/// are to be told, to a page that loads their logout URIs in hidden frames and then continues.
fn finish(locale: Locale, redirect: Option<String>, frames: Vec<String>) -> Response {
    if frames.is_empty()
        && let Some(location) = &redirect
    {
        return Redirect::to(location).into_response();
    }
    let frame_src = frontchannel_logout::frame_origins(&frames).join(" ");
    let page = LoggedOutPage { chrome: Chrome::new(locale, paths::END_SESSION), continue_href: redirect, frames };
    let mut response = render(StatusCode::OK, &page);
    if !frame_src.is_empty()
        && let Ok(csp) = HeaderValue::from_str(&format!("{CSP}; frame-src {frame_src}"))
    {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}
