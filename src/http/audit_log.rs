//! GET /audit and its exports (/audit/export.csv, /audit/export.xlsx): the read-only audit log for auditors
//! and platform administrators, in the console frame, filtered by person, staff member, hall, kind or event
//! and time, a page at a time. Events are named and their details read in the page's language, with people,
//! halls, systems and organisations named instead of their ids. Personal numbers are never shown: details
//! were masked when written.

use super::console::{Auditors, Console, ConsoleFrame};
use super::download::{Format, download};
use super::error::AppError;
use super::i18n::Tr;
use super::pages::{Chrome, error_page, render};
use super::state::AppState;
use crate::catalog::service::{CatalogError, Scope};
use crate::paths;
use crate::spreadsheet::{Cell, Sheet};
use crate::store::audit::{AuditFilter, AuditRow};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

const KINDS: &[&str] = &["account", "org", "counter", "role", "hall", "catalog", "api_token", "passkey"];
/// Every event the platform records; each has a name in both locales (`event.*`).
const EVENTS: &[&str] = &[
    "account.register",
    "account.activate",
    "account.password.change",
    "account.password.reset",
    "account.phone.change",
    "account.passkey.add",
    "account.passkey.rename",
    "account.passkey.remove",
    "account.sessions.end",
    "account.consent.withdraw",
    "account.close.request",
    "account.close.cancel",
    "account.erase",
    "account.reclaim",
    "federation.account_created",
    "federation.linked",
    "federation.unlinked",
    "federation.org_refused",
    "counter.verify",
    "counter.register",
    "counter.revoke",
    "counter.reset.record",
    "counter.reset.confirm",
    "counter.reset.reject",
    "counter.org.record",
    "counter.org.confirm",
    "counter.org.reject",
    "org.create",
    "org.representative.bind",
    "org.administrator.appoint",
    "org.agent.authorise",
    "org.member.vouched",
    "org.member.revoke",
    "role.grant",
    "role.revoke",
    "passkey.enrolment_code.issue",
    "hall.create",
    "catalog.department.create",
    "catalog.system.create",
    "catalog.client.register",
    "integration.request",
    "integration.approve",
    "integration.reject",
    "integration.secret_shown",
    "catalog.items.import",
    "api_token.issue",
];
const PAGE_ROWS: i64 = 50;
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
    event: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// Paging: events older than this sequence number.
    #[serde(default)]
    before: Option<i64>,
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
    console: ConsoleFrame,
    filters: Filters,
    /// The filters as a query string, without paging, for the exports and the paging links.
    query: String,
    halls: Vec<(String, String)>,
    kinds: Vec<(&'static str, String)>,
    events: Vec<(&'static str, String)>,
    rows: Vec<Row>,
    /// The link to the next (older) page, when there is one.
    older: Option<String>,
}

pub async fn get_audit(
    State(state): State<AppState>,
    Console(console, _): Console<Auditors>,
    Query(filters): Query<Filters>,
) -> Result<Response, AppError> {
    let tr = console.tr();
    let (filter, error) = match to_filter(&state, &filters, PAGE_ROWS).await? {
        Ok(filter) => (Some(filter), None),
        Err(message) => (None, Some(tr.t(message))),
    };
    let rows = match &filter {
        Some(filter) => state.audit.search(filter).await?,
        None => Vec::new(),
    };
    let halls = state.halls.list().await?;
    let query = filters_query(&filters);
    let older = match rows.last() {
        Some(last) if rows.len() as i64 == PAGE_ROWS => Some(format!("{}?{query}&before={}", paths::AUDIT, last.seq)),
        _ => None,
    };
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        views.push(view(&state, tr, &halls, row).await?);
    }
    let page = AuditPage {
        chrome: Chrome::new(console.signed.locale, paths::AUDIT),
        console: ConsoleFrame::new(&console, paths::AUDIT, None, error),
        filters,
        query,
        halls: halls.iter().map(|h| (h.id.clone(), h.name.clone())).collect(),
        kinds: KINDS.iter().map(|k| (*k, tr.t(&format!("audit.kind.{k}")))).collect(),
        events: EVENTS.iter().map(|e| (*e, event_name(tr, e))).collect(),
        rows: views,
        older,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The filters as a query string (no paging), every value encoded.
fn filters_query(filters: &Filters) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("person", filters.person.as_str()),
            ("staff", filters.staff.as_str()),
            ("hall", filters.hall.as_str()),
            ("kind", filters.kind.as_str()),
            ("event", filters.event.as_str()),
            ("from", filters.from.as_str()),
            ("to", filters.to.as_str()),
        ])
        .finish()
}

/// An event's name in the page's language; an event without one shows its key.
fn event_name(tr: Tr, action: &str) -> String {
    let key = format!("event.{action}");
    let name = tr.t(&key);
    if name.ends_with(&key) { action.to_owned() } else { name }
}

pub async fn get_csv(
    state: State<AppState>,
    console: Console<Auditors>,
    filters: Query<Filters>,
) -> Result<Response, AppError> {
    export(state, console, filters, Format::Csv).await
}

pub async fn get_xlsx(
    state: State<AppState>,
    console: Console<Auditors>,
    filters: Query<Filters>,
) -> Result<Response, AppError> {
    export(state, console, filters, Format::Xlsx).await
}

/// The log for the same filters, with headers in the reader's language and the events as the page shows
/// them; the raw columns (role, subject, origin, hash) stay, for whoever checks the chain.
async fn export(
    State(state): State<AppState>,
    Console(console, _): Console<Auditors>,
    Query(filters): Query<Filters>,
    format: Format,
) -> Result<Response, AppError> {
    let tr = console.tr();
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
        let shown = view(&state, tr, &halls, row).await?;
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
        action_prefix: match EVENTS.iter().find(|e| **e == filters.event) {
            Some(event) => Some((*event).to_owned()),
            None => Some(filters.kind.clone()).filter(|k| KINDS.contains(&k.as_str())).map(|k| format!("{k}.")),
        },
        from: day(&filters.from),
        until: day(&filters.to).map(|t| t + 86_400),
        before_seq: filters.before,
        limit,
    }))
}

async fn view(state: &AppState, tr: Tr, halls: &[crate::counter::Hall], row: AuditRow) -> Result<Row, AppError> {
    let actor = match &row.actor_id {
        Some(id) => {
            state.accounts.find(id).await?.map(|p| p.name).filter(|n| !n.is_empty()).unwrap_or_else(|| id.clone())
        }
        None => {
            let key = format!("audit.role.{}", row.actor_role);
            let name = tr.t(&key);
            if name.ends_with(&key) { row.actor_role.clone() } else { name }
        }
    };
    let hall = row
        .hall_id
        .as_ref()
        .and_then(|id| halls.iter().find(|h| &h.id == id))
        .map(|h| h.name.clone())
        .unwrap_or_default();
    let detail = readable_detail(state, tr, halls, &row.subject_type, row.subject_id.as_deref(), &row.detail).await?;
    Ok(Row { seq: row.seq, at: super::account::when(row.at), actor, hall, action: event_name(tr, &row.action), detail })
}

/// The event's subject and detail as "field: value" pairs in the page's language, ids replaced by names.
async fn readable_detail(
    state: &AppState,
    tr: Tr,
    halls: &[crate::counter::Hall],
    subject_type: &str,
    subject_id: Option<&str>,
    detail: &str,
) -> Result<String, AppError> {
    let mut parts = Vec::new();
    if let Some(id) = subject_id.filter(|_| !OPAQUE_SUBJECTS.contains(&subject_type)) {
        parts.push(format!(
            "{}{}{}",
            label(tr, subject_type),
            tr.colon(),
            name_of(state, tr, halls, subject_type, id).await?
        ));
    }
    if let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(detail) {
        for (key, value) in fields {
            let text = match &value {
                serde_json::Value::String(text) => match value_label(tr, &key, text) {
                    Some(label) => label,
                    None => name_of(state, tr, halls, key.trim_end_matches("_id"), text).await?,
                },
                serde_json::Value::Null => continue,
                serde_json::Value::Bool(yes) => tr.t(if *yes { "export.yes" } else { "export.no" }),
                other => other.to_string(),
            };
            parts.push(format!("{}{}{}", label(tr, &key), tr.colon(), text));
        }
    } else if !detail.is_empty() && detail != "{}" {
        parts.push(detail.to_owned());
    }
    Ok(parts.join(tr.separator()))
}

/// Subjects whose id is a record of ours that tells a reader nothing; the event's detail says what it was.
const OPAQUE_SUBJECTS: [&str; 4] = ["api_token", "org_member", "passkey", "role"];

/// Fields whose values are codes with a name in the catalogs: the field and the prefix of its keys.
const CODED_FIELDS: [(&str, &str); 8] = [
    ("role", "role."),
    ("level", "catalog.level."),
    ("vertical", "catalog.vertical."),
    ("portal", "catalog.portal."),
    ("kind", "hall."),
    ("document", "doc."),
    ("document_type", "doc."),
    ("method", "method."),
];

/// The name of a coded value, when the field is coded and the catalogs know the code.
fn value_label(tr: Tr, field: &str, value: &str) -> Option<String> {
    let (_, prefix) = CODED_FIELDS.iter().find(|(name, _)| *name == field)?;
    let key = format!("{prefix}{value}");
    let label = tr.t(&key);
    (!label.ends_with(&key)).then_some(label)
}

/// The name of a field of an event, or the field itself when it has none.
fn label(tr: Tr, field: &str) -> String {
    let named = |field: &str| {
        let key = format!("audit.field.{field}");
        let name = tr.t(&key);
        (!name.ends_with(&key)).then_some(name)
    };
    named(field).or_else(|| named(field.trim_end_matches("_id"))).unwrap_or_else(|| field.to_owned())
}

/// A catalog lookup where "not found" is an answer, not an error.
fn known<T>(found: Result<T, CatalogError>) -> Result<Option<T>, AppError> {
    match found {
        Ok(found) => Ok(Some(found)),
        Err(CatalogError::NotFound) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// What an id names, when it names something the platform knows: a person, a hall, a client or an
/// organisation; otherwise the value itself.
async fn name_of(
    state: &AppState,
    tr: Tr,
    halls: &[crate::counter::Hall],
    kind: &str,
    value: &str,
) -> Result<String, AppError> {
    let named = match kind {
        "person" | "representative" | "recorded_by" | "actor" | "member" | "staff" => {
            state.accounts.find(value).await?.map(|p| p.name)
        }
        "hall" | "parent" => halls.iter().find(|h| h.id == value).map(|h| h.name.clone()),
        "client" => state.provider.client_by_id(value).await?.map(|c| c.name),
        "department" => known(state.catalog.department(&Scope::All, value).await)?.map(|d| d.name),
        "system" => known(state.catalog.system(&Scope::All, value).await)?.map(|s| s.name),
        "org" | "organisation" => state.orgs.find(value).await?.map(|o| format!("{}{}", o.name, tr.paren(&o.uscc))),
        _ => None,
    };
    Ok(named.unwrap_or_else(|| value.to_owned()))
}
