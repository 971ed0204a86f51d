//! The one place a login finishes, whatever proved it (password, SMS code, passkey, second factor,
//! registration): a client that needs two factors gets asked for the second, the SSO session is started
//! or renewed, the browser gets a new session id, the login is recorded, and the flow continues.

use super::authorize::current_login;
use super::error::AppError;
use super::session::{Browser, LoginRef, PartialLogin};
use super::state::AppState;
use crate::identity::LoginOrigin;
use crate::identity::amr::{Amr, proves_two_factors};
use crate::identity::login_history::LoginRecord;
use crate::paths;
use axum::http::HeaderMap;

/// Where the browser goes after a login that has no authorization request behind it.
pub fn after_login(next: Option<&str>) -> String {
    next.and_then(super::redirect::local_path).unwrap_or_else(|| paths::ACCOUNT.to_owned())
}

/// Who proved themselves, and with which factors (RFC 8176 `amr` values).
pub struct Proven<'a> {
    pub person_id: &'a str,
    pub amr: Vec<Amr>,
}

impl<'a> Proven<'a> {
    pub fn new(person_id: &'a str, amr: &[Amr]) -> Self {
        Self { person_id, amr: amr.to_vec() }
    }
}

/// Finishes a login proved with the factors in `amr` and returns where the browser goes next. When the
/// parked request's client needs two factors and only one was shown, that is the second-factor page.
pub async fn complete_login(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
    ip: Option<String>,
    proven: Proven<'_>,
    rid: &str,
    next: Option<&str>,
) -> Result<String, AppError> {
    let Proven { person_id, amr } = proven;
    let pending = browser.pending(rid).await?;
    let client = match &pending {
        Some(request) => state.provider.find_client(&request.client_id).await?,
        None => None,
    };
    let wanted = client.as_ref().is_some_and(|c| c.require_mfa)
        || (pending.is_none() && next.is_some_and(|next| super::gate::two_factors_within(next).is_some()));
    if wanted && !proves_two_factors(&amr) {
        let partial = PartialLogin { person_id: person_id.to_owned(), amr, next: next.map(str::to_owned) };
        browser.put_partial_login(&partial).await?;
        return Ok(format!("{}?rid={rid}", paths::LOGIN_SECOND));
    }

    let previous = current_login(state, browser).await?;
    if let Some(previous) = previous.as_ref().filter(|p| p.person_id != person_id) {
        state.provider.end_login_session(&previous.id, "another person logged in").await?;
        browser.clear_acting().await?;
    }
    let origin = LoginOrigin { user_agent: super::extract::user_agent(headers), ip: ip.clone() };
    let login = state.provider.sessions().start_or_renew(previous.as_ref(), person_id, &amr, origin).await?;
    browser.clear_partial_login().await?;
    browser.start_login(LoginRef { session_id: login.id.clone(), person_id: person_id.to_owned() }).await?;
    state.metrics.login(&amr.iter().map(|m| m.as_str()).collect::<Vec<_>>().join("+"), "success");
    let agent = super::extract::user_agent(headers);
    let record = LoginRecord {
        person_id,
        client_id: client.as_ref().map(|c| c.id.as_str()),
        methods: &amr,
        ip: ip.as_deref(),
        user_agent: agent.as_deref(),
    };
    state.history.record(record).await?;

    if state.orgs.memberships_of(person_id).await?.is_empty() {
        browser.clear_acting().await?;
    } else if pending.as_ref().is_none_or(|request| request.scope_set().contains("org")) {
        // People who act for organisations choose in whose name they continue.
        let back = match &pending {
            Some(request) => format!("{}?rid={}", paths::AUTHORIZE_CONTINUE, request.id),
            None => after_login(next),
        };
        let encoded: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
        return Ok(format!("{}?next={encoded}", paths::ACCOUNT_ACTING));
    }
    match pending {
        Some(mut request) => {
            request.authenticated_at = Some(login.auth_time);
            browser.put_pending(&request).await?;
            Ok(format!("{}?rid={}", paths::AUTHORIZE_CONTINUE, request.id))
        }
        None => Ok(after_login(next)),
    }
}
