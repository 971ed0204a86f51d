//! GET /dashboard/export.csv: the dashboard's figures as CSV for the same filters — the rate per
//! department (`what=departments`, the default) or every missing item with whom to call
//! (`what=missing`).

use super::{DashboardQuery, filter_for, label, percent, viewer};
use crate::catalog::Scope;
use crate::catalog::report::Dimension;
use crate::http::client_ip::ClientIp;
use crate::http::error::AppError;
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::paths;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

/// The most missing items one export holds.
const EXPORT_LIMIT: i64 = 200_000;

#[derive(Deserialize)]
pub struct What {
    #[serde(default)]
    what: String,
}

pub async fn get_export(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    Query(query): Query<DashboardQuery>,
    Query(what): Query<What>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let (console, scope) = match viewer(&state, &browser, &headers, paths::DASHBOARD, Some(peer.to_string())).await? {
        Ok(viewer) => viewer,
        Err(response) => return Ok(response),
    };
    let tr = console.tr();
    let filter = filter_for(&state, &scope, &query).await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let name = if what.what == "missing" {
        let departments = state.catalog.departments(&Scope::All).await.map_err(|e| AppError(e.to_string()))?;
        crate::spreadsheet::write_row(
            &mut writer,
            ["department", "department_contact", "code", "name", "system", "system_contact", "system_phone", "reason"],
        )?;
        for item in state.reports.missing(&filter, EXPORT_LIMIT).await? {
            let department = departments.iter().find(|d| d.id == item.department_id);
            crate::spreadsheet::write_row(
                &mut writer,
                [
                    department.map(|d| d.name.clone()).unwrap_or_default(),
                    department
                        .map(|d| {
                            [d.contact_name.clone(), d.contact_phone.clone()]
                                .into_iter()
                                .flatten()
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .unwrap_or_default(),
                    item.code,
                    item.name,
                    item.system_name.unwrap_or_default(),
                    item.contact_name.unwrap_or_default(),
                    item.contact_phone.unwrap_or_default(),
                    tr.t(&format!("dashboard.reason.{}", item.reason)),
                ],
            )?;
        }
        "yimen-missing-items.csv"
    } else {
        let report = state.reports.report(&filter, &[Dimension::Department]).await?;
        crate::spreadsheet::write_row(
            &mut writer,
            ["department", "active_items", "registered", "connected", "recently_used", "rate", "meets_target"],
        )?;
        for line in report.breakdowns.get(&Dimension::Department).into_iter().flatten() {
            crate::spreadsheet::write_row(
                &mut writer,
                [
                    label(tr, Dimension::Department, line),
                    line.counts.active_items.to_string(),
                    line.counts.registered.to_string(),
                    line.counts.connected.to_string(),
                    line.counts.recently_used.to_string(),
                    percent(line.rate),
                    line.meets_target.to_string(),
                ],
            )?;
        }
        "yimen-connection-rate.csv"
    };
    let bytes = writer.into_inner().map_err(|e| AppError(e.to_string()))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    let disposition = format!("attachment; filename=\"{name}\"");
    headers
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(|e| AppError(e.to_string()))?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
