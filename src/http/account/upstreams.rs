//! GET/POST /account/upstreams: the upstream platforms (the provincial one, say) that sign the person in
//! here, and unlinking one — never the account's last way in.

use super::{AccountFrame, Signed, frame, when};
use crate::audit::{Actor, ActorRole};
use crate::federation::FederationError;
use crate::http::client_ip::ClientIp;
use crate::http::error::AppError;
use crate::http::guard::{CsrfForm, csrf_field};
use crate::http::i18n::Locale;
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::paths;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

struct Row {
    upstream: String,
    name: String,
    since: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "account/upstreams.html")]
struct UpstreamsPage {
    chrome: Chrome,
    frame: AccountFrame,
    rows: Vec<Row>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct UnlinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    upstream: String,
}

csrf_field!(UnlinkForm);

pub async fn get_upstreams(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
) -> Result<Response, AppError> {
    show(&state, &Browser(&session), &signed, StatusCode::OK, None, None).await
}

pub async fn post_unlink(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    ClientIp(peer): ClientIp,
    CsrfForm(form): CsrfForm<UnlinkForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let actor = Actor::person(&signed.person.id, ActorRole::Citizen, Some(peer.to_string()));
    let tr = signed.tr();
    match state.federation.unlink(&signed.person, &form.upstream, &actor).await {
        // Unlinked already (a second click, another tab): the outcome the person asked for.
        Ok(()) | Err(FederationError::NotLinked) => {
            show(&state, &browser, &signed, StatusCode::OK, Some(tr.t("upstreams.unlinked")), None).await
        }
        Err(FederationError::LastWayIn) => {
            let error = Some(tr.t("upstreams.last_way_in"));
            show(&state, &browser, &signed, StatusCode::CONFLICT, None, error).await
        }
        Err(error) => Err(anyhow::Error::new(error).into()),
    }
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (chrome, mut frame) = frame(state, browser, signed, paths::ACCOUNT_UPSTREAMS).await?;
    frame.flash = flash;
    let english = chrome.tr.0 == Locale::En;
    let links = state.federation.links_of(&signed.person.id).await.map_err(anyhow::Error::new)?;
    let rows = links
        .into_iter()
        .map(|link| Row {
            name: state.federation.name_of(&link.upstream, english),
            upstream: link.upstream,
            since: when(link.created_at),
            last_used: when(link.last_used_at),
        })
        .collect();
    Ok(render(status, &UpstreamsPage { chrome, frame, rows, error }))
}
