//! GET /audit and GET /audit/export.csv: the read-only audit log for auditors and platform
//! administrators, filtered by person, staff member, hall, kind and time, exportable as CSV. Personal
//! numbers are never shown: people are named, details were masked when written.

use super::account::signed_in;
use super::download::{Format, download};
use super::error::AppError;
use super::i18n::Tr;
use super::pages::{Chrome, error_page, render};
use super::session::Browser;
use super::state::AppState;
use crate::identity::roles::RoleKind;
use crate::paths;
use crate::spreadsheet::{Cell, Sheet};
use crate::store::audit::{AuditFilter, AuditRow};
use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

const KINDS: &[&str] = &["account", "org", "counter", "role", "hall", "api_token"];
const PAGE_ROWS: i64 = 200;
const EXPORT_ROWS: i64 = 10_000;

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    person: String,
    #[serde(default)]
    staff: String,
    #[serde(default)]
    hall: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

struct Row {
    seq: i64,
    at: String,
    actor: String,
    hall: String,
    action: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    filters: Filters,
    query: String,
    halls: Vec<(String, String)>,
    kinds: Vec<(&'static str, String)>,
    rows: Vec<Row>,
    error: Option<String>,
}

pub async fn get_audit(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = match auditor(&state, &browser, &headers).await? {
        Ok(tr) => tr,
        Err(response) => return Ok(response),
    };
    let (filter, error) = match to_filter(&state, &filters, PAGE_ROWS).await? {
        Ok(filter) => (Some(filter), None),
        Err(message) => (None, Some(tr.t(message))),
    };
    let rows = match &filter {
        Some(filter) => state.audit.search(filter).await?,
        None => Vec::new(),
    };
    let halls = state.halls.list().await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        views.push(view(&state, &halls, row).await?);
    }
    let page = AuditPage {
        chrome: Chrome::new(tr.0, paths::AUDIT),
        filters,
        query: raw.unwrap_or_default(),
        halls: halls.iter().map(|h| (h.id.clone(), h.name.clone())).collect(),
        kinds: KINDS.iter().map(|k| (*k, tr.t(&format!("audit.kind.{k}")))).collect(),
        rows: views,
        error,
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn get_csv(
    state: State<AppState>,
    session: Session,
    headers: HeaderMap,
    filters: Query<Filters>,
) -> Result<Response, AppError> {
    export(state, session, headers, filters, Format::Csv).await
}

pub async fn get_xlsx(
    state: State<AppState>,
    session: Session,
    headers: HeaderMap,
    filters: Query<Filters>,
) -> Result<Response, AppError> {
    export(state, session, headers, filters, Format::Xlsx).await
}

/// The log for the same filters, with headers in the reader's language and the events as the page shows
/// them; the raw columns (role, subject, origin, hash) stay, for whoever checks the chain.
async fn export(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
    format: Format,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = match auditor(&state, &browser, &headers).await? {
        Ok(tr) => tr,
        Err(response) => return Ok(response),
    };
    let filter = match to_filter(&state, &filters, EXPORT_ROWS).await? {
        Ok(filter) => filter,
        Err(message) => return Ok(error_page(StatusCode::BAD_REQUEST, tr.0, message, None)),
    };
    let halls = state.halls.list().await?;
    let headers =
        ["seq", "time", "actor", "role", "hall", "action", "subject_type", "subject_id", "detail", "origin", "hash"]
            .iter()
            .map(|key| tr.t(&format!("export.audit.{key}")))
            .collect();
    let mut rows = Vec::new();
    for row in state.audit.search(&filter).await? {
        let (seq, role, subject_type, subject_id, origin, hash) = (
            row.seq,
            row.actor_role.clone(),
            row.subject_type.clone(),
            row.subject_id.clone(),
            row.origin.clone(),
            row.hash.clone(),
        );
        let shown = view(&state, &halls, row).await?;
        rows.push(vec![
            Cell::from(seq),
            Cell::from(shown.at),
            Cell::from(shown.actor),
            Cell::from(role),
            Cell::from(shown.hall),
            Cell::from(shown.action),
            Cell::from(subject_type),
            Cell::from(subject_id.unwrap_or_default()),
            Cell::from(shown.detail),
            Cell::from(origin.unwrap_or_default()),
            Cell::from(hash),
        ]);
    }
    download(&Sheet { name: tr.t("audit.title"), headers, rows }, format, "yimen-audit")
}

/// The auditor's translator, or the page that says why they may not read the log.
async fn auditor(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
) -> Result<Result<Tr, Response>, AppError> {
    let signed = match signed_in(state, browser, headers, paths::AUDIT).await? {
        Ok(signed) => signed,
        Err(redirect) => return Ok(Err(redirect)),
    };
    let roles = state.roles.of(&signed.person.id).await.map_err(|e| AppError(e.to_string()))?;
    if !roles.iter().any(|r| matches!(r.kind, RoleKind::Auditor | RoleKind::PlatformAdmin)) {
        return Ok(Err(error_page(StatusCode::FORBIDDEN, signed.locale, "audit.forbidden", None)));
    }
    Ok(Ok(signed.tr()))
}

/// The store filter for the page's filters; people are given by identity number and found here.
async fn to_filter(
    state: &AppState,
    filters: &Filters,
    limit: i64,
) -> Result<Result<AuditFilter, &'static str>, AppError> {
    let person_id = |number: &str| {
        let number = number.trim().to_owned();
        async move {
            if number.is_empty() {
                return Ok::<_, AppError>(Ok(None));
            }
            Ok(match state.accounts.find_by_login_identifier(&number).await? {
                Some(person) => Ok(Some(person.id)),
                None => Err("desk.not_found"),
            })
        }
    };
    let subject_id = match person_id(&filters.person).await? {
        Ok(id) => id,
        Err(message) => return Ok(Err(message)),
    };
    let actor_id = match person_id(&filters.staff).await? {
        Ok(id) => id,
        Err(message) => return Ok(Err(message)),
    };
    let day = |text: &str| -> Option<i64> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = time::Date::parse(text, &format).ok()?;
        Some(date.midnight().assume_offset(time::macros::offset!(+8)).unix_timestamp())
    };
    Ok(Ok(AuditFilter {
        actor_id,
        subject_id,
        hall_id: Some(filters.hall.clone()).filter(|h| !h.is_empty()),
        action_prefix: Some(filters.kind.clone()).filter(|k| KINDS.contains(&k.as_str())).map(|k| format!("{k}.")),
        from: day(&filters.from),
        until: day(&filters.to).map(|t| t + 86_400),
        before_seq: None,
        limit,
    }))
}

async fn view(state: &AppState, halls: &[crate::counter::Hall], row: AuditRow) -> Result<Row, AppError> {
    let actor = match &row.actor_id {
        Some(id) => {
            state.accounts.find(id).await?.map(|p| p.name).filter(|n| !n.is_empty()).unwrap_or_else(|| id.clone())
        }
        None => row.actor_role.clone(),
    };
    let hall = row
        .hall_id
        .as_ref()
        .and_then(|id| halls.iter().find(|h| &h.id == id))
        .map(|h| h.name.clone())
        .unwrap_or_default();
    Ok(Row { seq: row.seq, at: super::account::when(row.at), actor, hall, action: row.action, detail: row.detail })
}
