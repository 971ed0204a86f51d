//! POST /login/passkey/options and POST /login/passkey: passwordless login with a discoverable passkey.
//! The ceremony id stays in the browser session; the options and the answer travel as JSON.

use super::complete_login::complete_login;
use super::error::AppError;
use super::session::Browser;
use super::state::AppState;
use crate::http::client_ip::ClientIp;
use crate::identity::login::Authenticated;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;
use webauthn_rs::prelude::PublicKeyCredential;

const CEREMONY_FLOW: &str = "passkey-login";

#[derive(Deserialize)]
pub struct PasskeyForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub rid: String,
    #[serde(default)]
    pub next: String,
    pub credential: Option<PublicKeyCredential>,
}

/// A JSON error for the page's script to show.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "message": message }))).into_response()
}

pub async fn post_options(State(state): State<AppState>, session: Session, Json(form): Json<PasskeyForm>) -> Response {
    let browser = Browser(&session);
    let result = async {
        let Some(passkeys) = &state.passkeys else {
            return Ok(json_error(StatusCode::NOT_FOUND, "passkeys are not available here"));
        };
        if !browser.csrf_matches(&form.csrf).await? {
            return Ok(json_error(StatusCode::FORBIDDEN, "the page has expired; reload it"));
        }
        match passkeys.start_login().await {
            Ok((options, ceremony)) => {
                browser.put_flow(CEREMONY_FLOW, &ceremony).await?;
                Ok(Json(options).into_response())
            }
            Err(error) => Ok(json_error(StatusCode::BAD_REQUEST, &error.to_string())),
        }
    };
    result.await.unwrap_or_else(|error: AppError| error.into_response())
}

pub async fn post_finish(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    Json(form): Json<PasskeyForm>,
) -> Response {
    let browser = Browser(&session);
    let result = async {
        let Some(passkeys) = &state.passkeys else {
            return Ok(json_error(StatusCode::NOT_FOUND, "passkeys are not available here"));
        };
        if !browser.csrf_matches(&form.csrf).await? {
            return Ok(json_error(StatusCode::FORBIDDEN, "the page has expired; reload it"));
        }
        let (Some(ceremony), Some(credential)) = (browser.take_flow(CEREMONY_FLOW).await?, form.credential) else {
            return Ok(json_error(StatusCode::BAD_REQUEST, "start the passkey sign-in again"));
        };
        let proof = match passkeys.finish_authentication(&ceremony, &credential).await {
            Ok(proof) => proof,
            Err(error) => {
                state.metrics.login("passkey", "failure");
                return Ok(json_error(StatusCode::UNAUTHORIZED, &error.to_string()));
            }
        };
        let person = state.accounts.find(&proof.person_id).await?.filter(|p| p.can_sign_in());
        let Some(person) = person else {
            return Ok(json_error(StatusCode::UNAUTHORIZED, "this account cannot sign in"));
        };
        let next = Some(form.next.as_str()).filter(|n| !n.is_empty());
        let amr = vec![proof.amr, crate::identity::amr::Amr::Mfa];
        let location = complete_login(
            &state,
            &browser,
            &headers,
            Some(peer.to_string()),
            Authenticated { person_id: person.id.clone(), amr, upstream: None },
            &form.rid,
            next,
        )
        .await?;
        Ok(Json(serde_json::json!({ "redirect": location })).into_response())
    };
    result.await.unwrap_or_else(|error: AppError| error.into_response())
}
