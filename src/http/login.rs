//! GET/POST /login: the password login page. On success the browser gets a new session id bound to an
//! SSO login session, and the parked authorization request (if any) continues.

use super::authorize::current_login;
use super::error::AppError;
use super::extract::{parse_form, user_agent};
use super::i18n::Locale;
use super::pages::{Chrome, LoginPage, error_page, render};
use super::session::{Browser, LoginRef};
use super::state::AppState;
use crate::identity::{LoginError, LoginOrigin};
use crate::paths;
use crate::secret::SecretString;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use tower_sessions::Session;

/// The acr of a password login until assurance levels are computed from verification evidence.
pub const DEFAULT_ACR: &str = "urn:yimen:loa:1";

#[derive(Deserialize)]
pub struct LoginQuery {
    rid: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rid: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    password: String,
}

pub async fn get_login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let rid = query.rid.unwrap_or_default();
    let pending = browser.pending(&rid).await?;
    if pending.is_none() && current_login(&state, &browser).await?.is_some() {
        return Ok(Redirect::to(paths::HOME).into_response());
    }
    let context = LoginContext::load(&state, &browser, &headers, &rid).await?;
    let account = pending.and_then(|p| p.login_hint).unwrap_or_default();
    context.page(&browser, StatusCode::OK, None, account).await
}

pub async fn post_login(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let locale = Locale::negotiate(None, &headers);
    let Ok(form) = parse_form::<LoginForm>(&String::from_utf8_lossy(&body)) else {
        return Ok(error_page(
            StatusCode::BAD_REQUEST,
            locale,
            "error.malformed",
            None,
        ));
    };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            locale,
            "error.csrf",
            None,
        ));
    }
    let context = LoginContext::load(&state, &browser, &headers, &form.rid).await?;
    let tr = super::i18n::Tr(context.locale);
    if form.account.trim().is_empty() || form.password.is_empty() {
        return context
            .page(
                &browser,
                StatusCode::BAD_REQUEST,
                Some(tr.t("login.missing")),
                form.account,
            )
            .await;
    }
    let ip = peer.ip().to_string();
    let password = SecretString::new(form.password);
    let person = match state
        .accounts
        .password_login(&form.account, &password, Some(&ip))
        .await
    {
        Ok(person) => person,
        Err(LoginError::InvalidCredentials) => {
            state.metrics.login("pwd", "failure");
            return context
                .page(
                    &browser,
                    StatusCode::UNAUTHORIZED,
                    Some(tr.t("login.invalid")),
                    form.account,
                )
                .await;
        }
        Err(LoginError::Locked { retry_after_secs }) => {
            state.metrics.login("pwd", "locked");
            let minutes = (retry_after_secs + 59) / 60;
            let message = tr
                .t("login.locked")
                .replace("%{minutes}", &minutes.to_string());
            return context
                .page(
                    &browser,
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(message),
                    form.account,
                )
                .await;
        }
        Err(LoginError::Internal(error)) => return Err(AppError(error)),
    };

    let previous = current_login(&state, &browser).await?;
    if let Some(previous) = previous.as_ref().filter(|p| p.person_id != person.id) {
        state
            .provider
            .end_login_session(&previous.id, "another person logged in")
            .await?;
    }
    let origin = LoginOrigin {
        user_agent: user_agent(&headers),
        ip: Some(ip),
    };
    let login = state
        .provider
        .sessions()
        .start_or_renew(previous.as_ref(), &person.id, &["pwd"], DEFAULT_ACR, origin)
        .await?;
    browser
        .start_login(LoginRef {
            session_id: login.id.clone(),
            person_id: person.id.clone(),
        })
        .await?;
    state.metrics.login("pwd", "success");

    match browser.pending(&form.rid).await? {
        Some(mut request) => {
            request.authenticated_at = Some(login.auth_time);
            browser.put_pending(&request).await?;
            Ok(
                Redirect::to(&format!("{}?rid={}", paths::AUTHORIZE_CONTINUE, request.id))
                    .into_response(),
            )
        }
        None => Ok(Redirect::to(paths::HOME).into_response()),
    }
}

/// What the login page shows besides the form: the language and the system being signed in to.
struct LoginContext {
    locale: Locale,
    rid: String,
    client_name: Option<String>,
}

impl LoginContext {
    async fn load(
        state: &AppState,
        browser: &Browser<'_>,
        headers: &HeaderMap,
        rid: &str,
    ) -> Result<Self, AppError> {
        let pending = browser.pending(rid).await?;
        let locale = Locale::negotiate(
            pending.as_ref().and_then(|p| p.ui_locales.as_deref()),
            headers,
        );
        let client_name = match &pending {
            Some(request) => state
                .provider
                .find_client(&request.client_id)
                .await?
                .map(|c| c.name),
            None => None,
        };
        let rid = if pending.is_some() {
            rid.to_owned()
        } else {
            String::new()
        };
        Ok(Self {
            locale,
            rid,
            client_name,
        })
    }

    async fn page(
        self,
        browser: &Browser<'_>,
        status: StatusCode,
        error: Option<String>,
        account: String,
    ) -> Result<Response, AppError> {
        let here = if self.rid.is_empty() {
            paths::LOGIN.to_owned()
        } else {
            format!("{}?rid={}", paths::LOGIN, self.rid)
        };
        let page = LoginPage {
            chrome: Chrome::new(self.locale, &here),
            client_name: self.client_name,
            error,
            csrf: browser.csrf_token().await?,
            rid: self.rid,
            account,
        };
        Ok(render(status, &page))
    }
}
