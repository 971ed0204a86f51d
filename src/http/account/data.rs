//! GET /account/data and /account/data.json: everything the platform holds about the person — as a page
//! in their language, and as a JSON download with ISO 8601 times and a description of every section. It
//! is their own data, so numbers are shown in full here (and only here).

use super::{AccountFrame, Signed, frame, when};
use crate::http::error::AppError;
use crate::http::i18n::Tr;
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::Person;
use crate::paths;
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tower_sessions::Session;

/// The sections of both forms, in order; each has a title and a description in the locales.
const SECTIONS: [&str; 7] =
    ["account", "verifications", "connected_systems", "organisations", "passkeys", "sessions", "login_history"];

/// Login events listed on the page (the download has up to a thousand).
const HISTORY_ON_PAGE: usize = 50;

/// One section of the page: a title, what it is, column headings, and rows of text.
struct Section {
    id: &'static str,
    title: String,
    about: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "account/data.html")]
struct DataPage {
    chrome: Chrome,
    frame: AccountFrame,
    sections: Vec<Section>,
}

/// What is held, read once for both forms.
struct Held {
    passkeys: Vec<crate::identity::passkeys::PasskeySummary>,
    sessions: Vec<crate::store::login_sessions::LoginSessionRow>,
    history: Vec<crate::store::login_events::LoginEventRow>,
    consents: Vec<(String, String, i64)>,
    memberships: Vec<(crate::identity::organisation::Membership, crate::identity::organisation::Organisation)>,
    evidence: Vec<crate::store::evidence::EvidenceRow>,
    /// Client ids and the names of their systems.
    systems: std::collections::HashMap<String, String>,
}

async fn gather(state: &AppState, person: &Person) -> Result<Held, AppError> {
    let passkeys = match &state.passkeys {
        Some(passkeys) => passkeys.list(&person.id).await?,
        None => Vec::new(),
    };
    let history = state.history.recent(&person.id, 1000).await?;
    let consents = state.provider.consents_of(&person.id).await?;
    let mut systems = std::collections::HashMap::new();
    for client_id in history.iter().filter_map(|e| e.client_id.clone()).chain(consents.iter().map(|c| c.0.clone())) {
        if !systems.contains_key(&client_id)
            && let Some(client) = state.provider.client_by_id(&client_id).await?
        {
            systems.insert(client_id, client.name);
        }
    }
    Ok(Held {
        passkeys,
        sessions: state.provider.active_sessions(&person.id).await?,
        history,
        consents,
        memberships: state.orgs.memberships_of(&person.id).await?,
        evidence: state.evidence.of(&person.id).await?,
        systems,
    })
}

/// A time as ISO 8601 in China Standard Time.
fn iso(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.to_offset(time::macros::offset!(+8)).format(&time::format_description::well_known::Rfc3339).ok()
        })
        .unwrap_or_default()
}

pub async fn get_data(State(state): State<AppState>, signed: Signed, session: Session) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = signed.tr();
    let person = &signed.person;
    let held = gather(&state, person).await?;
    let system = |id: &Option<String>| match id {
        Some(id) => held.systems.get(id).cloned().unwrap_or_else(|| id.clone()),
        None => tr.t("data.platform"),
    };
    let section = |id: &'static str, columns: &[&str], rows: Vec<Vec<String>>| Section {
        id,
        title: tr.t(&format!("data.{id}")),
        about: tr.t(&format!("data.{id}_about")),
        columns: columns.iter().map(|c| tr.t(&format!("data.col.{c}"))).collect(),
        rows,
    };
    let sections = vec![
        section(
            "account",
            &["field", "value"],
            vec![
                vec![tr.t("account.name"), person.name.clone()],
                vec![tr.t(&format!("doc.{}", person.document.kind().as_str())), person.document.number().to_owned()],
                vec![tr.t("account.phone"), person.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default()],
                vec![tr.t("account.created"), when(person.created_at)],
                vec![tr.t("data.has_password"), yes_no(tr, person.password_hash.is_some())],
            ],
        ),
        section(
            "verifications",
            &["method", "outcome", "at", "revoked_at"],
            held.evidence
                .iter()
                .map(|e| {
                    vec![
                        tr.t(&format!("method.{}", e.method)),
                        tr.t(&format!("data.outcome.{}", e.outcome)),
                        when(e.created_at),
                        e.revoked_at.map(when).unwrap_or_default(),
                    ]
                })
                .collect(),
        ),
        section(
            "connected_systems",
            &["system", "scopes", "at"],
            held.consents
                .iter()
                .map(|(id, scopes, at)| vec![system(&Some(id.clone())), scopes.clone(), when(*at)])
                .collect(),
        ),
        section(
            "organisations",
            &["organisation", "role", "valid_until"],
            held.memberships
                .iter()
                .map(|(m, o)| {
                    vec![
                        format!("{}{}", o.name, tr.paren(&o.uscc)),
                        tr.t(&format!("role.{}", m.role.as_str())),
                        m.valid_until.map(when).unwrap_or_else(|| "—".to_owned()),
                    ]
                })
                .collect(),
        ),
        section(
            "passkeys",
            &["name", "at", "last_used_at"],
            held.passkeys
                .iter()
                .map(|p| vec![p.name.clone(), when(p.created_at), p.last_used_at.map(when).unwrap_or_default()])
                .collect(),
        ),
        section(
            "sessions",
            &["at", "methods", "device"],
            held.sessions
                .iter()
                .map(|s| vec![when(s.auth_time), s.amr.clone(), s.user_agent.clone().unwrap_or_default()])
                .collect(),
        ),
        section(
            "login_history",
            &["at", "system", "methods", "network"],
            held.history
                .iter()
                .take(HISTORY_ON_PAGE)
                .map(|e| {
                    vec![
                        when(e.created_at),
                        system(&e.client_id),
                        e.methods.clone(),
                        e.ip_prefix.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        ),
    ];
    let (chrome, frame) = frame(&state, &browser, &signed, paths::ACCOUNT_DATA).await?;
    Ok(render(StatusCode::OK, &DataPage { chrome, frame, sections }))
}

pub async fn get_data_json(State(state): State<AppState>, signed: Signed) -> Result<Response, AppError> {
    let tr = signed.tr();
    let person = &signed.person;
    let held = gather(&state, person).await?;
    let about: serde_json::Map<String, Value> =
        SECTIONS.iter().map(|id| ((*id).to_owned(), Value::String(tr.t(&format!("data.{id}_about"))))).collect();
    let system = |id: &str| held.systems.get(id).cloned();
    let document = json!({
        "exported_at": iso(state.provider.now()),
        "about": about,
        "times": tr.t("data.times_about"),
        "account": {
            "id": person.id,
            "name": person.name,
            "document_type": person.document.kind().as_str(),
            "document_number": person.document.number(),
            "phone": person.phone.as_ref().map(|p| p.e164()),
            "phone_verified": person.phone_verified,
            "status": person.status.as_str(),
            "created_at": iso(person.created_at),
            "updated_at": iso(person.updated_at),
            "has_password": person.password_hash.is_some(),
        },
        "verifications": held.evidence.iter().map(|e| json!({ "method": e.method, "outcome": e.outcome, "at": iso(e.created_at), "revoked_at": e.revoked_at.map(iso) })).collect::<Vec<_>>(),
        "connected_systems": held.consents.iter().map(|(client, scopes, at)| json!({ "client_id": client, "system": system(client), "scopes": scopes, "granted_at": iso(*at) })).collect::<Vec<_>>(),
        "organisations": held.memberships.iter().map(|(m, o)| json!({ "organisation": o.name, "uscc": o.uscc, "role": m.role.as_str(), "valid_until": m.valid_until.map(iso) })).collect::<Vec<_>>(),
        "passkeys": held.passkeys.iter().map(|p| json!({ "name": p.name, "created_at": iso(p.created_at), "last_used_at": p.last_used_at.map(iso) })).collect::<Vec<_>>(),
        "sessions": held.sessions.iter().map(|s| json!({ "auth_time": iso(s.auth_time), "methods": s.amr, "user_agent": s.user_agent })).collect::<Vec<_>>(),
        "login_history": held.history.iter().map(|e| json!({ "at": iso(e.created_at), "client_id": e.client_id, "system": e.client_id.as_deref().and_then(system), "methods": e.methods, "network": e.ip_prefix })).collect::<Vec<_>>(),
    });
    let mut response = Json(document).into_response();
    let headers = response.headers_mut();
    headers
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"yimen-my-data.json\""));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn yes_no(tr: Tr, yes: bool) -> String {
    tr.t(if yes { "export.yes" } else { "export.no" })
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_iso_8601_in_china_standard_time() {
        assert_eq!(super::iso(0), "1970-01-01T08:00:00+08:00");
    }
}
