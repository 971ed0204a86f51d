//! What the page guards share as extractors: the page a request belongs to, and a form that passed its
//! CSRF check. The guards themselves ([`Signed`](super::account::Signed), [`AtDesk`](super::desk::AtDesk),
//! [`Console`](super::console::Console), …) live beside the pages they guard; each answers a request that
//! fails it with the page that says why, so a handler starts where its guard has passed.

use super::account::expired_form;
use super::error::AppError;
use super::session::Browser;
use super::state::AppState;
use crate::paths;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use tower_sessions::Session;

/// Forms that post to an action beneath their page, with that page: a guard that sends the browser to
/// sign in returns it to the page, which a browser can open, not to the action, which it cannot.
const ACTION_PAGES: &[(&str, &str)] = &[
    (paths::ACCOUNT_PHONE_CODE, paths::ACCOUNT_PHONE),
    (paths::ACCOUNT_PASSKEYS_OPTIONS, paths::ACCOUNT_PASSKEYS),
    (paths::ACCOUNT_PASSKEYS_REGISTER, paths::ACCOUNT_PASSKEYS),
    (paths::DESK_FIND, paths::DESK),
    (paths::DESK_PERSON_VERIFY, paths::DESK_PERSON),
    (paths::DESK_PERSON_RESET, paths::DESK_PERSON),
    (paths::DESK_PERSON_RESET_SETTLE, paths::DESK_PERSON),
    (paths::DESK_PERSON_REVOKE, paths::DESK_PERSON),
    (paths::DESK_ORG_SETTLE, paths::DESK_ORGS),
    (paths::ADMIN_CATALOG_IMPORT, paths::ADMIN_CATALOG_DEPARTMENT),
    (paths::STEP_UP_FACE, paths::STEP_UP),
];

/// The page a request belongs to, where a sign-in it lacks returns: the address itself for a page that is
/// read, the page of the form for one that is sent.
pub fn here(parts: &Parts) -> String {
    let path = parts.uri.path();
    if parts.method == Method::GET || parts.method == Method::HEAD {
        return parts.uri.path_and_query().map_or(path, |pq| pq.as_str()).to_owned();
    }
    let route = parts.extensions.get::<MatchedPath>().map(MatchedPath::as_str);
    match ACTION_PAGES.iter().find(|(action, _)| Some(*action) == route) {
        Some((_, page)) => leading_segments(path, page.matches('/').count()),
        None => path.to_owned(),
    }
}

/// The first `count` segments of `path`.
fn leading_segments(path: &str, count: usize) -> String {
    path.split('/').skip(1).take(count).fold(String::new(), |page, segment| page + "/" + segment)
}

/// The outcome of a guard as an extractor's: the guard's value, or the page (or error) that answers.
// The rejection is the page itself, as an extractor's rejection is; it is built once per refused request.
#[allow(clippy::result_large_err)]
pub fn settle<T>(outcome: Result<Result<T, Response>, AppError>) -> Result<T, Response> {
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(page)) => Err(page),
        Err(error) => Err(error.into_response()),
    }
}

/// The browser session of a request, which the session layer puts in front of every page.
pub async fn session(parts: &mut Parts, state: &AppState) -> Result<Session, Response> {
    Session::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)
}

/// A form request taken apart: its browser session, its headers and its body, read up to the body limit.
pub async fn form_parts(request: Request, state: &AppState) -> Result<(Session, HeaderMap, Bytes), Response> {
    let (mut parts, body) = request.into_parts();
    let session = session(&mut parts, state).await?;
    let headers = parts.headers.clone();
    let body =
        Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(IntoResponse::into_response)?;
    Ok((session, headers, body))
}

/// A form whose CSRF token matched the session's. A body that does not parse or whose token does not
/// match gets the "this form has expired" page, and the handler never sees it.
pub struct CsrfForm<T>(pub T);

/// A form that carries the CSRF token it was rendered with.
pub trait HasCsrf {
    fn csrf(&self) -> &str;
}

impl<T: DeserializeOwned + HasCsrf + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (session, headers, bytes) = form_parts(request, state).await?;
        match checked_form(&Browser(&session), &bytes).await {
            Ok(Some(form)) => Ok(CsrfForm(form)),
            Ok(None) => Err(expired_form(&headers)),
            Err(error) => Err(error.into_response()),
        }
    }
}

/// Parses a form body and checks its CSRF token; None when either fails. For the forms [`CsrfForm`] cannot
/// hold, whose handler reads the body again (repeated fields).
pub async fn checked_form<T: DeserializeOwned + HasCsrf>(
    browser: &Browser<'_>,
    body: &[u8],
) -> Result<Option<T>, AppError> {
    let Ok(form) = super::extract::parse_form::<T>(&String::from_utf8_lossy(body)) else { return Ok(None) };
    Ok(if browser.csrf_matches(form.csrf()).await? { Some(form) } else { None })
}

/// Implements [`HasCsrf`] for forms whose token is in a `csrf` field.
macro_rules! csrf_field {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::http::guard::HasCsrf for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use csrf_field;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_lies_beneath_its_page() {
        for (action, page) in ACTION_PAGES {
            assert!(action.starts_with(&format!("{page}/")), "{action} is not beneath {page}");
            let concrete = action.replace("{id}", "42").replace("{reset_id}", "7");
            assert_eq!(leading_segments(&concrete, page.matches('/').count()), page.replace("{id}", "42"));
        }
    }
}
