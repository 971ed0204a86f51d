//! The browser's side of finishing a login, whatever proved it (password, SMS code, passkey, second
//! factor, registration): a client or page that needs two factors gets asked for the second; otherwise
//! [`Logins::finish`](crate::identity::login::Logins::finish) starts the SSO session and records it, the
//! browser gets a new session id, and the flow continues where it was going.

use super::authorize::current_login;
use super::error::AppError;
use super::session::{Browser, LoginRef, PartialLogin};
use super::state::AppState;
use crate::audit::{Actor, ActorRole};
use crate::identity::LoginOrigin;
use crate::identity::amr::proves_two_factors;
use crate::identity::login::Authenticated;
use crate::paths;
use axum::http::HeaderMap;

/// The session entry of an upstream identity waiting to be linked to the account its ID number has, once
/// that account's holder signs in.
pub const FEDERATION_LINK: &str = "federation_link";

/// Where the browser goes after a login that has no authorization request behind it.
pub fn after_login(next: Option<&str>) -> String {
    next.and_then(super::redirect::local_path).unwrap_or_else(|| paths::ACCOUNT.to_owned())
}

/// Finishes a login proved with the factors in `amr` and returns where the browser goes next. When the
/// parked request's client needs two factors and only one was shown, that is the second-factor page.
pub async fn complete_login(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
    ip: Option<String>,
    who: Authenticated,
    rid: &str,
    next: Option<&str>,
) -> Result<String, AppError> {
    let pending = browser.pending(rid).await?;
    let client = match &pending {
        Some(request) => state.provider.find_client(&request.client_id).await?,
        None => None,
    };
    let wanted = client.as_ref().is_some_and(|c| c.require_mfa)
        || (pending.is_none() && next.is_some_and(|next| super::gate::two_factors_within(next).is_some()));
    if wanted && !proves_two_factors(&who.amr) {
        let partial = PartialLogin {
            person_id: who.person_id,
            amr: who.amr,
            upstream: who.upstream,
            next: next.map(str::to_owned),
        };
        browser.put_partial_login(&partial).await?;
        return Ok(format!("{}?rid={rid}", paths::LOGIN_SECOND));
    }

    let previous = current_login(state, browser).await?;
    let origin_ip = ip.clone();
    let origin = LoginOrigin { user_agent: super::extract::user_agent(headers), ip };
    let client_id = client.as_ref().map(|c| c.id.as_str());
    let finished = state.logins.finish(&who, previous.as_ref(), client_id, origin).await?;
    let login = finished.session;
    link_upstream_identity(state, browser, &who, origin_ip).await?;
    browser.clear_partial_login().await?;
    browser.start_login(LoginRef { session_id: login.id.clone(), person_id: who.person_id.clone() }).await?;
    state.metrics.login(&who.amr.iter().map(|m| m.as_str()).collect::<Vec<_>>().join("+"), "success");

    if finished.replaced_another_person || !finished.acts_for_organisations {
        browser.clear_acting().await?;
    }
    if !finished.acts_for_organisations {
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

/// Links the upstream identity this browser brought, now that the account it names has been signed in
/// to; a sign-in to any other account drops it.
async fn link_upstream_identity(
    state: &AppState,
    browser: &Browser<'_>,
    who: &Authenticated,
    ip: Option<String>,
) -> Result<(), AppError> {
    let Some(text) = browser.take_flow(FEDERATION_LINK).await? else { return Ok(()) };
    let Ok(pending) = serde_json::from_str::<crate::federation::PendingLink>(&text) else { return Ok(()) };
    let actor = Actor::person(&who.person_id, ActorRole::Citizen, ip);
    state.federation.link(&pending, &who.person_id, &actor, "proved_control").await.map_err(anyhow::Error::new)?;
    Ok(())
}
