//! GET / (who is signed in), GET /lang (the language switch), the stylesheet, and the not-found page.

use super::authorize::current_login;
use super::error::AppError;
use super::i18n::{LANG_COOKIE, Locale};
use super::pages::{Chrome, FirstRun, HomePage, error_page, render};
use super::session::Browser;
use super::state::AppState;
use crate::identity::roles::RoleKind;
use crate::paths;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::sync::atomic::Ordering;
use tower_sessions::Session;

pub async fn get_home(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let person_name = match current_login(&state, &browser).await? {
        Some(login) => state.accounts.find(&login.person_id).await?.map(|person| person.name),
        None => None,
    };
    let first_run = first_run(&state).await?;
    let page = HomePage { chrome: Chrome::new(Locale::negotiate(None, &headers), paths::HOME), person_name, first_run };
    Ok(render(StatusCode::OK, &page))
}

/// What is left to set up: a registered system and a platform administrator. Once both exist the answer
/// cannot change back in a way that matters here, so it is remembered and never asked again.
async fn first_run(state: &AppState) -> Result<Option<FirstRun>, AppError> {
    if state.set_up.load(Ordering::Relaxed) {
        return Ok(None);
    }
    let has_client = state.provider.has_clients().await?;
    let has_admin = !state.roles.holders(&[RoleKind::PlatformAdmin]).await?.is_empty();
    if has_client && has_admin {
        state.set_up.store(true, Ordering::Relaxed);
        return Ok(None);
    }
    Ok(Some(FirstRun { has_client, has_admin }))
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: Option<String>,
    back: Option<String>,
}

pub async fn get_lang(Query(query): Query<LangQuery>) -> Response {
    let locale = query.to.as_deref().and_then(Locale::from_tag).unwrap_or_default();
    // Only a local path: the switch must not become an open redirector.
    let back = query.back.as_deref().and_then(super::redirect::local_path).unwrap_or_else(|| paths::HOME.to_owned());
    let mut response = Redirect::to(&back).into_response();
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", locale.tag());
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

pub async fn get_stylesheet() -> Response {
    let mut response = include_str!("../../static/yimen.css").into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    response
}

pub async fn get_script() -> Response {
    let mut response = include_str!("../../static/yimen.js").into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    response
}

pub async fn not_found(headers: HeaderMap) -> Response {
    error_page(StatusCode::NOT_FOUND, Locale::negotiate(None, &headers), "error.not_found", None)
}
