//! GET /dashboard/export.csv and /dashboard/export.xlsx: the dashboard's figures for the same filters — the
//! rate per department (`what=departments`, the default) or every missing item with whom to call
//! (`what=missing`) — with headers and values in the page's language.

use super::{Viewer, label, percent};
use crate::catalog::report::Dimension;
use crate::catalog::report_query::{ReportParams, ReportQuery};
use crate::catalog::{Department, Scope};
use crate::http::download::{Format, download};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::spreadsheet::{Cell, Sheet};
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

/// The most missing items one export holds.
const EXPORT_LIMIT: i64 = 200_000;

#[derive(Deserialize)]
pub struct What {
    #[serde(default)]
    what: String,
}

pub async fn get_csv(
    state: State<AppState>,
    viewer: Viewer,
    query: Query<ReportParams>,
    what: Query<What>,
) -> Result<Response, AppError> {
    export(state, viewer, query, what, Format::Csv).await
}

pub async fn get_xlsx(
    state: State<AppState>,
    viewer: Viewer,
    query: Query<ReportParams>,
    what: Query<What>,
) -> Result<Response, AppError> {
    export(state, viewer, query, what, Format::Xlsx).await
}

async fn export(
    State(state): State<AppState>,
    Viewer(console, scope): Viewer,
    Query(params): Query<ReportParams>,
    Query(what): Query<What>,
    format: Format,
) -> Result<Response, AppError> {
    let tr = console.tr();
    let departments = state.catalog.departments(&Scope::All).await?;
    let filter = ReportQuery::parse(&params, &scope).filter(&departments);
    let heading = |keys: &[&str]| keys.iter().map(|key| tr.t(&format!("export.{key}"))).collect::<Vec<_>>();
    let (sheet, name) = if what.what == "missing" {
        let mut rows = Vec::new();
        for item in state.reports.missing(&filter, EXPORT_LIMIT).await? {
            let department = departments.iter().find(|d| d.id == item.department_id);
            let contact = department.map(Department::contact).unwrap_or_default();
            rows.push(vec![
                Cell::from(department.map(|d| d.name.clone()).unwrap_or_default()),
                Cell::from(contact),
                Cell::from(item.code),
                Cell::from(item.name),
                Cell::from(item.system_name.unwrap_or_default()),
                Cell::from(item.contact_name.unwrap_or_default()),
                Cell::from(item.contact_phone.unwrap_or_default()),
                Cell::from(tr.t(&format!("dashboard.reason.{}", item.reason))),
            ]);
        }
        let headers = heading(&[
            "department",
            "department_contact",
            "item_code",
            "item_name",
            "system",
            "system_contact",
            "system_phone",
            "reason",
        ]);
        (Sheet { name: tr.t("export.missing_sheet"), headers, rows }, "yimen-missing-items")
    } else {
        let report = state.reports.report(&filter, &[Dimension::Department]).await?;
        let rows = report
            .breakdowns
            .get(&Dimension::Department)
            .into_iter()
            .flatten()
            .map(|line| {
                vec![
                    Cell::from(label(tr, Dimension::Department, line)),
                    Cell::from(line.counts.active_items),
                    Cell::from(line.counts.registered),
                    Cell::from(line.counts.connected),
                    Cell::from(line.counts.recently_used),
                    Cell::from(percent(line.rate)),
                    Cell::from(tr.t(if line.meets_target { "export.yes" } else { "export.no" })),
                ]
            })
            .collect();
        let headers = heading(&[
            "department",
            "active_items",
            "registered",
            "connected",
            "recently_used",
            "rate",
            "meets_target",
        ]);
        (Sheet { name: tr.t("export.rate_sheet"), headers, rows }, "yimen-connection-rate")
    };
    download(&sheet, format, name)
}
