//! GET /login/upstream/{id} and its callback: signing in with an upstream platform. The start sends the
//! browser to the upstream with a fresh state, nonce and PKCE verifier kept in its session; the callback
//! takes them back (once), redeems the upstream's answer, and signs the person in, creates their account,
//! or asks them to sign in to the account their ID number already has so that it can be linked. Every
//! refusal comes back to the login page with what went wrong, and writes nothing.

use super::client_ip::ClientIp;
use super::complete_login::FEDERATION_LINK;
use super::error::AppError;
use super::federated_logout::{self, UpstreamSession};
use super::i18n::{Locale, Tr};
use super::login::LoginContext;
use super::session::Browser;
use super::state::AppState;
use crate::federation::{Attempt, FederationError, Outcome};
use crate::identity::amr::Amr;
use crate::identity::login::Authenticated;
use crate::paths;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// The session entry that carries an attempt from the start to the callback.
const ATTEMPT: &str = "federation";

#[derive(Deserialize)]
pub struct StartQuery {
    rid: Option<String>,
    next: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Journey {
    attempt: Attempt,
    rid: String,
    next: String,
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn get_start(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<StartQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let rid = query.rid.unwrap_or_default();
    let context = LoginContext::load(&state, &browser, &headers, &rid, query.next.as_deref()).await?;
    let Ok(upstream) = state.federation.upstream(&id) else {
        return refuse(&state, &browser, context, &id, FederationError::UnknownUpstream).await;
    };
    match upstream.authorization_url(&callback_uri(&state, &id)).await {
        Ok((url, attempt)) => {
            let journey = Journey { attempt, rid: context.rid, next: context.next };
            browser.put_flow(ATTEMPT, &serde_json::to_string(&journey).map_err(anyhow::Error::from)?).await?;
            Ok(Redirect::to(url.as_str()).into_response())
        }
        Err(error) => refuse(&state, &browser, context, &id, error).await,
    }
}

pub async fn get_callback(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    // Taken, not read: an answer is used once, and a second arrival (a reload, a replay) finds nothing.
    let journey = browser.take_flow(ATTEMPT).await?.and_then(|text| serde_json::from_str::<Journey>(&text).ok());
    let presented = query.state.unwrap_or_default();
    let journey = journey.filter(|j| {
        j.attempt.upstream == id && crate::secret::SecretString::new(j.attempt.state.clone()).ct_eq(&presented)
    });
    let Some(journey) = journey else {
        let context = LoginContext::load(&state, &browser, &headers, "", None).await?;
        let message = Tr(context.locale).t("federation.stale");
        return context.page(&state, &browser, StatusCode::BAD_REQUEST, Some(message), String::new()).await;
    };
    let context = LoginContext::load(&state, &browser, &headers, &journey.rid, Some(&journey.next)).await?;
    if let Some(error) = query.error {
        state.metrics.login(Amr::Fed.as_str(), "failure");
        let reason = if error == "access_denied" { "federation.cancelled" } else { "federation.refused" };
        let message = Tr(context.locale).t(reason).replace("%{name}", &upstream_name(&state, &id, context.locale));
        return context.page(&state, &browser, StatusCode::BAD_REQUEST, Some(message), String::new()).await;
    }
    let code = query.code.unwrap_or_default();
    let redeemed = match state.federation.upstream(&id) {
        Ok(upstream) => match upstream.redeem(&code, &journey.attempt, &callback_uri(&state, &id)).await {
            Ok(redeemed) => state.federation.read(upstream, &redeemed.claims).map(|asserted| (asserted, redeemed)),
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    let (asserted, redeemed) = match redeemed {
        Ok(both) => both,
        Err(error) => return refuse(&state, &browser, context, &id, error).await,
    };
    let ip = peer.to_string();
    match state.federation.sign_in(&asserted, Some(ip.clone())).await {
        Ok(Outcome::SignedIn { person_id, .. }) => {
            let who = Authenticated::through_upstream(&person_id, &id, asserted.two_factors);
            let location = context.finish(&state, &browser, &headers, ip, who).await?;
            if let Some(id_token) = redeemed.id_token {
                let upstream_session = UpstreamSession { upstream: id.clone(), person_id, id_token };
                federated_logout::remember(&browser, &upstream_session).await?;
            }
            Ok(Redirect::to(&location).into_response())
        }
        Ok(Outcome::ProveControl(link)) => {
            browser.put_flow(FEDERATION_LINK, &serde_json::to_string(&link).map_err(anyhow::Error::from)?).await?;
            context.page(&state, &browser, StatusCode::OK, None, String::new()).await
        }
        Err(error) => refuse(&state, &browser, context, &id, error).await,
    }
}

/// Where the upstream sends the browser back: registered with the upstream as this platform's redirect URI.
pub fn callback_uri(state: &AppState, id: &str) -> String {
    state.provider.endpoint(&paths::LOGIN_UPSTREAM_CALLBACK.replace("{id}", id))
}

fn upstream_name(state: &AppState, id: &str, locale: Locale) -> String {
    state.federation.name_of(id, locale == Locale::En)
}

/// The login page again, saying why the upstream sign-in did not work; unexpected failures are errors.
async fn refuse(
    state: &AppState,
    browser: &Browser<'_>,
    context: LoginContext,
    id: &str,
    error: FederationError,
) -> Result<Response, AppError> {
    let (status, key) = match &error {
        FederationError::UnknownUpstream => (StatusCode::NOT_FOUND, "federation.unknown"),
        FederationError::Unreachable(_) => (StatusCode::SERVICE_UNAVAILABLE, "federation.down"),
        FederationError::Refused(_) | FederationError::InvalidIdToken(_) => {
            (StatusCode::BAD_GATEWAY, "federation.invalid")
        }
        FederationError::MissingClaim(_) => (StatusCode::BAD_GATEWAY, "federation.missing"),
        FederationError::InvalidIdNumber => (StatusCode::BAD_GATEWAY, "federation.bad_id_number"),
        FederationError::IdNumberConflict => (StatusCode::CONFLICT, "federation.conflict"),
        FederationError::AccountUnusable => (StatusCode::FORBIDDEN, "federation.unusable"),
        FederationError::LastWayIn
        | FederationError::NotLinked
        | FederationError::Store(_)
        | FederationError::Internal(_) => {
            return Err(anyhow::Error::new(error).context(format!("upstream sign-in with {id}")).into());
        }
    };
    tracing::warn!(upstream = id, %error, "an upstream sign-in was refused");
    state.metrics.login(Amr::Fed.as_str(), "failure");
    let message = Tr(context.locale).t(key).replace("%{name}", &upstream_name(state, id, context.locale));
    context.page(state, browser, status, Some(message), String::new()).await
}
