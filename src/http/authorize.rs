//! GET/POST /authorize, GET /authorize/continue and GET /authorize/cancel: the browser side of the
//! authorization code flow. The request is validated, parked in the browser session, and advanced until
//! a code (or an error) goes back to the client.

use super::error::AppError;
use super::extract::{is_form, parse_form};
use super::i18n::Locale;
use super::pages::error_page;
use super::session::{Browser, PartialLogin};
use super::state::AppState;
use crate::identity::LoginSession;
use crate::oidc::OAuthError;
use crate::oidc::authorize::{AuthorizationRequest, AuthorizeParams, AuthorizeRejection, NextStep, PageReason};
use crate::oidc::client::Client;
use crate::oidc::error::ErrorCode;
use crate::paths;
use axum::body::Bytes;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

pub async fn get_authorize(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    begin(&state, &session, &headers, parse_form(query.as_deref().unwrap_or_default())).await
}

pub async fn post_authorize(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    if !is_form(&headers) {
        let locale = Locale::negotiate(None, &headers);
        return Ok(error_page(
            StatusCode::BAD_REQUEST,
            locale,
            "error.malformed",
            Some("POST requests must be application/x-www-form-urlencoded".into()),
        ));
    }
    let text = String::from_utf8_lossy(&body);
    begin(&state, &session, &headers, parse_form(&text)).await
}

async fn begin(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    params: Result<AuthorizeParams, String>,
) -> Result<Response, AppError> {
    let params = match params {
        Ok(params) => params,
        Err(detail) => {
            return Ok(error_page(
                StatusCode::BAD_REQUEST,
                Locale::negotiate(None, headers),
                "error.malformed",
                Some(detail),
            ));
        }
    };
    let locale = Locale::negotiate(params.ui_locales.as_deref(), headers);
    match state.provider.validate_authorization(params).await {
        Err(AuthorizeRejection::Page { reason, detail }) => {
            let (status, key) = match reason {
                PageReason::MalformedRequest => (StatusCode::BAD_REQUEST, "error.malformed"),
                PageReason::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "error.unavailable"),
                PageReason::UnknownClient => (StatusCode::BAD_REQUEST, "error.unknown_client"),
                PageReason::BadRedirectUri => (StatusCode::BAD_REQUEST, "error.bad_redirect"),
            };
            Ok(error_page(status, locale, key, Some(detail)))
        }
        Err(AuthorizeRejection::Redirect { location, .. }) => Ok(Redirect::to(&location).into_response()),
        Ok((request, client)) => {
            let browser = Browser(session);
            if browser.login().await?.is_none() && !admit_anonymous(state).await? {
                return Ok(error_page(StatusCode::SERVICE_UNAVAILABLE, locale, "error.busy", None));
            }
            browser.put_pending(&request).await?;
            advance(state, &browser, request, &client).await
        }
    }
}

/// Whether the server may keep one more sign-in request for a browser nobody is signed in to: at most
/// `http.max_anonymous_requests` per ten minutes, counted in the ephemeral store (so across instances).
pub(super) async fn admit_anonymous(state: &AppState) -> Result<bool, AppError> {
    const WINDOW_SECS: i64 = 600;
    let window = state.provider.now() / WINDOW_SECS;
    let count = state.ephemeral.incr(&format!("anonymous-requests:{window}"), 2 * WINDOW_SECS * 1000).await?;
    if count > state.max_anonymous_requests {
        state.metrics.anonymous_refused();
        return Ok(false);
    }
    Ok(true)
}

#[derive(Deserialize)]
pub struct RidQuery {
    pub rid: Option<String>,
}

pub async fn get_continue(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<RidQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Some((request, client)) = pending_with_client(&state, &browser, query.rid.as_deref()).await? else {
        return Ok(expired(&headers));
    };
    advance(&state, &browser, request, &client).await
}

pub async fn get_cancel(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<RidQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Some(request) = browser.pending(query.rid.as_deref().unwrap_or_default()).await? else {
        return Ok(expired(&headers));
    };
    browser.remove_pending(&request.id).await?;
    let error = OAuthError::new(ErrorCode::AccessDenied, "the person cancelled the sign-in");
    Ok(refuse(&state, &request, &error, &headers))
}

/// Ends a request the person declined or could not complete: back to the client with the error, or, for a
/// CAS service (whose protocol has no way to carry one), a page saying what happened.
pub fn refuse(state: &AppState, request: &AuthorizationRequest, error: &OAuthError, headers: &HeaderMap) -> Response {
    if request.cas {
        let locale = Locale::negotiate(request.ui_locales.as_deref(), headers);
        return error_page(StatusCode::FORBIDDEN, locale, "error.cas_not_completed", Some(error.description.clone()));
    }
    Redirect::to(&state.provider.error_location(&request.redirect_uri, request.state.as_ref(), error)).into_response()
}

/// Moves a parked request one step: to the login page, the consent page, or back to the client.
pub async fn advance(
    state: &AppState,
    browser: &Browser<'_>,
    request: AuthorizationRequest,
    client: &Client,
) -> Result<Response, AppError> {
    let login = current_login(state, browser).await?;
    let (consented, rank) = match &login {
        Some(login) => (
            state.provider.consented_scopes(&login.person_id, &client.id).await?,
            state.assurance.rank_of(&login.person_id).await?,
        ),
        None => (Default::default(), 0),
    };
    match state.provider.next_step(&request, client, login.as_ref(), rank, &consented) {
        NextStep::Login => {
            // idp_hint names an upstream platform to sign in with; an unknown one is ignored (the page
            // still offers every way in).
            let upstream = request.idp_hint.as_deref().filter(|id| state.federation.upstream(id).is_ok());
            let page = match upstream {
                Some(id) => paths::LOGIN_UPSTREAM.replace("{id}", id),
                None => paths::LOGIN.to_owned(),
            };
            Ok(Redirect::to(&format!("{page}?rid={}", request.id)).into_response())
        }
        NextStep::SecondFactor => {
            let login = login.expect("a second factor is asked only with a login");
            browser
                .put_partial_login(&PartialLogin {
                    person_id: login.person_id.clone(),
                    amr: login.amr.clone(),
                    upstream: login.upstream.clone(),
                    next: None,
                })
                .await?;
            Ok(Redirect::to(&format!("{}?rid={}", paths::LOGIN_SECOND, request.id)).into_response())
        }
        NextStep::StepUp => Ok(Redirect::to(&format!("{}?rid={}", paths::STEP_UP, request.id)).into_response()),
        NextStep::Consent => Ok(Redirect::to(&format!("{}?rid={}", paths::CONSENT, request.id)).into_response()),
        NextStep::Issue => {
            let login = login.expect("next_step issues only with a login");
            let person = state.accounts.find(&login.person_id).await?;
            if person.is_none_or(|p| !p.is_active()) {
                // A closing account cannot sign in to systems; the account page explains and offers to reopen.
                return Ok(Redirect::to(paths::ACCOUNT_CLOSE).into_response());
            }
            let acting = browser.acting().await?;
            let essential = request.claims.as_ref().and_then(|c| c.essential_acr_values()).unwrap_or_default();
            let acr = state.assurance.ladder().acr_for(rank, &essential).to_owned();
            let location = if request.cas {
                state.provider.issue_service_ticket(&request, &login, acr, acting).await?
            } else {
                state.provider.issue_code(&request, &login, acr, acting).await?
            };
            browser.remove_pending(&request.id).await?;
            Ok(Redirect::to(&location).into_response())
        }
        // A CAS request fails only in gateway mode (prompt=none), which returns to the service without a
        // ticket (CAS 3.0 §2.1.1).
        NextStep::Fail(_) if request.cas => {
            browser.remove_pending(&request.id).await?;
            Ok(Redirect::to(request.redirect_uri.as_str()).into_response())
        }
        NextStep::Fail(error) => {
            browser.remove_pending(&request.id).await?;
            Ok(Redirect::to(&state.provider.error_location(&request.redirect_uri, request.state.as_ref(), &error))
                .into_response())
        }
    }
}

/// The browser's SSO login session if it is still active; a stale reference is dropped.
pub async fn current_login(state: &AppState, browser: &Browser<'_>) -> Result<Option<LoginSession>, AppError> {
    let Some(login) = browser.login().await? else {
        return Ok(None);
    };
    match state.provider.sessions().find_active(&login.session_id).await? {
        Some(session) => Ok(Some(session)),
        None => {
            browser.end_login().await?;
            Ok(None)
        }
    }
}

/// A parked request and its client, if both still exist.
pub async fn pending_with_client(
    state: &AppState,
    browser: &Browser<'_>,
    rid: Option<&str>,
) -> Result<Option<(AuthorizationRequest, Client)>, AppError> {
    let Some(request) = browser.pending(rid.unwrap_or_default()).await? else {
        return Ok(None);
    };
    let Some(client) = state.provider.find_client(&request.client_id).await? else {
        return Ok(None);
    };
    Ok(Some((request, client)))
}

pub fn expired(headers: &HeaderMap) -> Response {
    error_page(StatusCode::BAD_REQUEST, Locale::negotiate(None, headers), "error.expired", None)
}
