//! Logging out of the upstream too: a person who signed in with an upstream platform and logs out of
//! yimen is sent on to the upstream's end-session endpoint (with its ID token as the hint), which sends
//! them back to GET /login/upstream/{id}/logged-out, and from there to where the logout was going.

use super::error::AppError;
use super::i18n::Locale;
use super::session::Browser;
use super::state::AppState;
use crate::paths;
use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// The session entry of the upstream session behind this browser's sign-in.
const UPSTREAM_SESSION: &str = "upstream_session";
/// The session entry of a logout waiting for the upstream to send the browser back.
const UPSTREAM_LOGOUT: &str = "upstream_logout";

#[derive(Serialize, Deserialize)]
pub struct UpstreamSession {
    pub upstream: String,
    pub person_id: String,
    pub id_token: String,
}

#[derive(Serialize, Deserialize)]
struct Continuation {
    upstream: String,
    state: String,
    then: Option<String>,
}

#[derive(Deserialize)]
pub struct ReturnQuery {
    state: Option<String>,
}

pub async fn remember(browser: &Browser<'_>, session: &UpstreamSession) -> Result<(), AppError> {
    browser.put_flow(UPSTREAM_SESSION, &serde_json::to_string(session).map_err(anyhow::Error::from)?).await
}

/// Where a browser that `person_id` has just logged out of goes: through the upstream's end-session
/// endpoint when their sign-in came from an upstream that has one, else straight to `then`.
pub async fn through_upstream(
    state: &AppState,
    browser: &Browser<'_>,
    person_id: Option<&str>,
    then: Option<String>,
) -> Result<Option<String>, AppError> {
    let Some(text) = browser.take_flow(UPSTREAM_SESSION).await? else { return Ok(then) };
    let Ok(session) = serde_json::from_str::<UpstreamSession>(&text) else { return Ok(then) };
    // Left by an earlier sign-in of someone else in this browser: not this person's upstream session.
    if person_id != Some(session.person_id.as_str()) {
        return Ok(then);
    }
    let Ok(upstream) = state.federation.upstream(&session.upstream) else { return Ok(then) };
    let back = state.provider.endpoint(&paths::LOGIN_UPSTREAM_LOGGED_OUT.replace("{id}", &session.upstream));
    let continuation =
        Continuation { upstream: session.upstream.clone(), state: crate::crypto::random_token(16), then };
    let Some(url) = upstream.end_session_url(&session.id_token, &back, &continuation.state).await else {
        return Ok(continuation.then);
    };
    browser.put_flow(UPSTREAM_LOGOUT, &serde_json::to_string(&continuation).map_err(anyhow::Error::from)?).await?;
    Ok(Some(url.to_string()))
}

/// The upstream sends the browser back: on to where the logout was going, or yimen's logged-out page.
pub async fn get_logged_out(
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ReturnQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let continuation =
        browser.take_flow(UPSTREAM_LOGOUT).await?.and_then(|text| serde_json::from_str::<Continuation>(&text).ok());
    let presented = query.state.unwrap_or_default();
    // Only the state this browser was given continues to a relying party; anything else ends here.
    let then = continuation
        .filter(|c| c.upstream == id && crate::secret::SecretString::new(c.state.clone()).ct_eq(&presented))
        .and_then(|c| c.then);
    match then {
        Some(location) => Ok(Redirect::to(&location).into_response()),
        None => Ok(super::logout::logged_out_page(Locale::negotiate(None, &headers))),
    }
}
