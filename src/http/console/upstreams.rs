//! GET /admin/upstreams: the upstream platforms people sign in with, whether each answered the last time
//! it was asked (a probe every 30 seconds, and every sign-in), why not, and how many people are linked.

use super::{Console, ConsoleFrame, PlatformAdmins};
use crate::federation::{DOWN, UP};
use crate::http::error::AppError;
use crate::http::pages::{Chrome, render};
use crate::http::state::AppState;
use crate::paths;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

struct Row {
    id: String,
    name: String,
    protocol: &'static str,
    address: String,
    status_key: &'static str,
    problem: Option<String>,
    people: i64,
}

#[derive(Template)]
#[template(path = "console/upstreams.html")]
struct UpstreamsPage {
    chrome: Chrome,
    console: ConsoleFrame,
    rows: Vec<Row>,
}

pub async fn get_upstreams(
    State(state): State<AppState>,
    Console(console, _): Console<PlatformAdmins>,
) -> Result<Response, AppError> {
    let chrome = Chrome::new(console.signed.locale, paths::ADMIN_UPSTREAMS);
    let english = chrome.tr.0 == crate::http::i18n::Locale::En;
    let people = state.federation.people_linked().await.map_err(anyhow::Error::new)?;
    let rows = state
        .federation
        .upstreams()
        .iter()
        .map(|upstream| {
            let config = &upstream.config;
            let address = config.issuer.as_ref().or(config.authorization_endpoint.as_ref());
            Row {
                id: config.id.clone(),
                name: if english { config.name_en.clone() } else { config.name.clone() },
                protocol: match config.protocol {
                    crate::config::UpstreamProtocol::Oidc => "OpenID Connect",
                    crate::config::UpstreamProtocol::Oauth2Userinfo => "OAuth 2.0 + token information",
                },
                address: address.map(url::Url::to_string).unwrap_or_default(),
                status_key: match upstream.health() {
                    UP => "upstreams.status.up",
                    DOWN => "upstreams.status.down",
                    _ => "upstreams.status.unknown",
                },
                problem: (upstream.health() == DOWN).then(|| upstream.last_problem()).flatten(),
                people: people.get(&config.id).copied().unwrap_or(0),
            }
        })
        .collect();
    let console = ConsoleFrame::new(&console, paths::ADMIN_UPSTREAMS, None, None);
    Ok(render(StatusCode::OK, &UpstreamsPage { chrome, console, rows }))
}
