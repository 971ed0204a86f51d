//! GET/POST /developers/credentials: a department developer's own requests for a business system's
//! credentials — asking for them, seeing each decision, and seeing an approved client's secret once. In a
//! sandbox a request is granted at once. Behind the console's gate: two factors within the hour.

use super::account::{Signed, when};
use super::console::department::lines;
use super::error::AppError;
use super::guard::{CsrfForm, csrf_field};
use super::i18n::Tr;
use super::pages::{Chrome, error_page, render};
use super::session::Browser;
use super::state::AppState;
use crate::catalog::Scope;
use crate::catalog::integration::{Credentials, IntegrationError, NewRequest};
use crate::http::client_ip::ClientIp;
use crate::oidc::client::Protocol;
use crate::paths;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

struct RequestRow {
    id: String,
    system: String,
    name: String,
    protocol: &'static str,
    environment: String,
    created: String,
    status_code: String,
    status: String,
    note: Option<String>,
    can_reveal: bool,
    /// What the action column says when there is nothing to do.
    after: String,
}

struct Shown {
    client_id: String,
    secret: Option<String>,
    where_label: String,
    where_url: String,
}

#[derive(Template)]
#[template(path = "developer_credentials.html")]
struct CredentialsPage {
    chrome: Chrome,
    intro: String,
    submit: String,
    requests: Vec<RequestRow>,
    /// Each department's name and its systems (id, name).
    systems: Vec<(String, Vec<(String, String)>)>,
    shown: Option<Shown>,
    flash: Option<String>,
    error: Option<String>,
    csrf: String,
    /// Production linked to a sandbox: the developer chooses where.
    offers_sandbox: bool,
}

#[derive(Deserialize)]
pub struct CredentialsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    system_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    protocol: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default)]
    purpose: String,
    /// `sandbox` for credentials in the linked sandbox.
    #[serde(default)]
    environment: String,
}

csrf_field!(CredentialsForm);

pub async fn get_credentials(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
) -> Result<Response, AppError> {
    show(&state, &Browser(&session), &signed, StatusCode::OK, Outcome::default()).await
}

#[derive(Default)]
struct Outcome {
    shown: Option<Shown>,
    flash: Option<String>,
    error: Option<String>,
}

pub async fn post_credentials(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    ClientIp(peer): ClientIp,
    CsrfForm(form): CsrfForm<CredentialsForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = signed.tr();
    let origin = Some(peer.to_string());
    let person = &signed.person.id;
    let (status, outcome) = match form.action.as_str() {
        "request" => {
            let new = NewRequest {
                system_id: form.system_id.clone(),
                name: form.name.clone(),
                protocol: if form.protocol == "cas" { Protocol::Cas } else { Protocol::Oidc },
                redirect_uris: lines(&form.redirect_uris),
                post_logout_redirect_uris: lines(&form.post_logout_redirect_uris),
                purpose: form.purpose.clone(),
                for_sandbox: form.environment == "sandbox",
            };
            match state.integration.request(person, new, origin.clone()).await {
                Ok(row) if row.status == "approved" => {
                    let credentials = state.integration.reveal(person, &row.id, origin).await.map_err(internal)?;
                    (StatusCode::CREATED, Outcome { shown: Some(shown(tr, credentials)), ..Outcome::default() })
                }
                Ok(_) => {
                    (StatusCode::CREATED, Outcome { flash: Some(tr.t("credentials.requested")), ..Outcome::default() })
                }
                Err(error) => {
                    let status = match error {
                        IntegrationError::Sandbox(_) => StatusCode::SERVICE_UNAVAILABLE,
                        _ => StatusCode::UNPROCESSABLE_ENTITY,
                    };
                    (status, Outcome { error: Some(message(tr, &error)?), ..Outcome::default() })
                }
            }
        }
        "reveal" => match state.integration.reveal(person, &form.request_id, origin).await {
            Ok(credentials) => (StatusCode::OK, Outcome { shown: Some(shown(tr, credentials)), ..Outcome::default() }),
            Err(error) => (StatusCode::CONFLICT, Outcome { error: Some(message(tr, &error)?), ..Outcome::default() }),
        },
        _ => return Ok(error_page(StatusCode::BAD_REQUEST, signed.locale, "error.malformed", None)),
    };
    show(&state, &browser, &signed, status, outcome).await
}

/// The credentials with where to point the system: the CAS server, or the discovery document, of the
/// deployment the client lives in.
fn shown(tr: Tr, credentials: Credentials) -> Shown {
    let (where_label, where_url) = match credentials.protocol {
        Protocol::Cas => (tr.t("catalog.cas_server"), format!("{}{}/", credentials.issuer, paths::CAS_PREFIX)),
        Protocol::Oidc => (tr.t("catalog.discovery"), format!("{}{}", credentials.issuer, paths::DISCOVERY)),
    };
    Shown { client_id: credentials.client_id, secret: credentials.secret, where_label, where_url }
}

/// A refusal the developer can act on, in their language; the server's own failures are errors.
fn message(tr: Tr, error: &IntegrationError) -> Result<String, AppError> {
    Ok(match error {
        IntegrationError::UnknownSystem => tr.t("credentials.error.unknown_system"),
        IntegrationError::BadPurpose => tr.t("credentials.error.purpose"),
        IntegrationError::TooManyPending => tr.t("credentials.error.too_many"),
        IntegrationError::Invalid(reason) => super::console::department::registration_message(tr, reason),
        IntegrationError::NotFound => tr.t("credentials.error.not_found"),
        IntegrationError::AlreadyShown => tr.t("credentials.error.already_shown"),
        IntegrationError::NotPending | IntegrationError::OwnRequest => tr.t("credentials.error.not_found"),
        IntegrationError::NoSandbox => tr.t("credentials.error.no_sandbox"),
        IntegrationError::Sandbox(link) => {
            tracing::warn!(error = %link, "the sandbox could not register a developer's client");
            tr.t("credentials.error.sandbox_down")
        }
        IntegrationError::Catalog(_) | IntegrationError::Store(_) => {
            return Err(anyhow::anyhow!("credentials request failed: {error}").into());
        }
    })
}

fn internal(error: IntegrationError) -> AppError {
    anyhow::Error::new(error).into()
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    status: StatusCode,
    outcome: Outcome,
) -> Result<Response, AppError> {
    let tr = signed.tr();
    if let Err(error) = state.integration.refresh_sandbox_use(Some(&signed.person.id)).await {
        tracing::warn!(%error, "could not ask the sandbox whether a developer's clients have signed in");
    }
    let mut names = std::collections::HashMap::new();
    let mut systems = Vec::new();
    for department in state.catalog.departments(&Scope::All).await? {
        let list: Vec<(String, String)> = state
            .catalog
            .systems(&Scope::All, &department.id)
            .await?
            .into_iter()
            .map(|s| {
                names.insert(s.id.clone(), format!("{} · {}", department.name, s.name));
                (s.id, s.name)
            })
            .collect();
        if !list.is_empty() {
            systems.push((department.name, list));
        }
    }
    let requests = state
        .integration
        .requests_of(&signed.person.id)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|row| {
            let can_reveal = row.status == "approved" && row.secret_shown_at.is_none();
            let after = match row.secret_shown_at {
                Some(at) => tr.t("credentials.shown_at").replace("%{time}", &when(at)),
                None => String::new(),
            };
            let note = match row.sandbox_used_at {
                Some(at) => Some(tr.t("credentials.sandbox_used").replace("%{time}", &when(at))),
                None => row.decision_note,
            };
            RequestRow {
                system: names.get(&row.system_id).cloned().unwrap_or_else(|| row.system_id.clone()),
                name: row.name,
                protocol: if row.protocol == "cas" { "CAS" } else { "OIDC" },
                environment: tr.t(&format!("credentials.environment.{}", row.environment)),
                created: when(row.created_at),
                status: tr.t(&format!("credentials.status.{}", row.status)),
                status_code: row.status,
                note,
                can_reveal,
                after,
                id: row.id,
            }
        })
        .collect();
    let at_once = state.integration.grants_at_once();
    let offers_sandbox = state.integration.offers_sandbox();
    let page = CredentialsPage {
        chrome: Chrome::new(signed.locale, paths::DEVELOPER_CREDENTIALS),
        intro: tr.t(if at_once { "credentials.intro_sandbox" } else { "credentials.intro" }),
        submit: tr.t(if at_once { "credentials.submit_sandbox" } else { "credentials.submit" }),
        requests,
        systems,
        shown: outcome.shown,
        flash: outcome.flash,
        error: outcome.error,
        csrf: browser.csrf_token().await?,
        offers_sandbox,
    };
    Ok(render(status, &page))
}
