//! GET /dashboard: the connection rate against the target for the officials who answer for it — the
//! headline, the trend, a bar per department with the target line, every breakdown, the usage
//! indicators, and the items still missing grouped by department with whom to call. Platform
//! administrators and auditors see everything; a department administrator sees their own departments.

pub mod charts;
pub mod export;

use super::console::{AtConsole, Console, ConsoleFrame, ConsoleRoles};
use super::error::AppError;
use super::guard;
use super::i18n::{Locale, Tr};
use super::pages::{Chrome, render};
use super::state::AppState;
use crate::catalog::dimension::{DIMENSIONS, Source};
use crate::catalog::report::{Dimension, Line, Report};
use crate::catalog::report_query::{ReportParams, ReportQuery};
use crate::catalog::{Department, Scope, themes};
use crate::identity::roles::RoleKind;
use crate::paths;
use crate::store::connections::MissingRow;
use askama::Template;
use axum::extract::{FromRequestParts, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;

/// Missing items listed on the page; the CSV export has them all.
const MISSING_ON_PAGE: i64 = 300;
/// Days of snapshots in the trend.
const TREND_DAYS: i64 = 90;
pub const VIEWERS: [RoleKind; 3] = [RoleKind::PlatformAdmin, RoleKind::DepartmentAdmin, RoleKind::Auditor];

pub struct RateRow {
    pub label: String,
    pub rate: String,
    pub connected: i64,
    pub active_items: i64,
    pub registered: i64,
    pub recently_used: i64,
    pub meets_target: bool,
}

pub struct Breakdown {
    pub title: String,
    pub rows: Vec<RateRow>,
}

pub struct MissingItem {
    pub code: String,
    pub name: String,
    pub system: String,
    pub reason: String,
}

pub struct MissingGroup {
    pub department: String,
    pub contact: String,
    pub items: Vec<MissingItem>,
}

pub struct UsageView {
    pub label: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct DashboardPage {
    chrome: Chrome,
    console: ConsoleFrame,
    raw_query: String,
    headline: RateRow,
    target: String,
    usage: Vec<UsageView>,
    trend_svg: String,
    departments_svg: String,
    departments: Vec<RateRow>,
    breakdowns: Vec<Breakdown>,
    missing: Vec<MissingGroup>,
    missing_total: i64,
    missing_shown: usize,
    filters: Vec<FilterSelect>,
}

/// One breakdown's select in the filter form: its parameter, label, values and the value chosen.
pub struct FilterSelect {
    pub param: &'static str,
    pub label: String,
    pub options: Vec<(String, String)>,
    pub selected: String,
}

pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// A service theme's name in the page's language.
pub fn theme_name(tr: Tr, code: &str) -> &str {
    match tr.0 {
        Locale::ZhCn => themes::name_of(code),
        Locale::En => themes::english_name_of(code),
    }
}

/// A breakdown key's label in the page's language (departments and themes carry their own names).
pub fn label(tr: Tr, dimension: Dimension, line: &Line) -> String {
    match dimension {
        Dimension::Department => line.label.clone(),
        Dimension::Theme => theme_name(tr, &line.key).to_owned(),
        _ => tr.t(&format!("catalog.{}.{}", dimension.as_str(), line.key)),
    }
}

fn row(tr: Tr, dimension: Dimension, line: &Line) -> RateRow {
    RateRow {
        label: label(tr, dimension, line),
        rate: percent(line.rate),
        connected: line.counts.connected,
        active_items: line.counts.active_items,
        registered: line.counts.registered,
        recently_used: line.counts.recently_used,
        meets_target: line.meets_target,
    }
}

/// Whoever may look at the connection rate.
pub struct Viewers;

impl ConsoleRoles for Viewers {
    const ALLOWED: &'static [RoleKind] = &VIEWERS;
}

/// Who is looking at the dashboard, and what they may see.
pub struct Viewer(pub AtConsole, pub Scope);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Console(console, _) = Console::<Viewers>::from_request_parts(parts, state).await?;
        guard::settle(scope_of(state, console).await)
    }
}

async fn scope_of(state: &AppState, console: AtConsole) -> Result<Result<Viewer, Response>, AppError> {
    // Platform administrators and auditors see the whole platform; anyone else sees what their roles
    // scope, and a scope that cannot be found shows nothing rather than everything.
    let scope = if console.held.iter().any(|role| matches!(role, RoleKind::PlatformAdmin | RoleKind::Auditor)) {
        Scope::All
    } else {
        match state.catalog.scope_of(&console.signed.person.id).await? {
            Some(scope) => scope,
            None => {
                let page = crate::http::pages::error_page(
                    StatusCode::FORBIDDEN,
                    console.signed.locale,
                    "console.not_for_role",
                    None,
                );
                return Ok(Err(page));
            }
        }
    };
    Ok(Ok(Viewer(console, scope)))
}

pub async fn get_dashboard(
    State(state): State<AppState>,
    Viewer(console, scope): Viewer,
    Query(params): Query<ReportParams>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let tr = console.tr();
    let query = ReportQuery::parse(&params, &scope);
    let departments = state.catalog.departments(&Scope::All).await?;
    let filter = query.filter(&departments);
    let report = state.reports.report(&filter, &Dimension::ALL).await?;
    let missing = state.reports.missing(&filter, MISSING_ON_PAGE).await?;
    let missing_shown = missing.len();
    let page = DashboardPage {
        chrome: Chrome::new(console.signed.locale, paths::DASHBOARD),
        console: ConsoleFrame::new(&console, paths::DASHBOARD, None, None),
        headline: row(tr, Dimension::Department, &report.overall),
        target: percent(Some(report.target)),
        usage: usage(&state, tr).await?,
        trend_svg: trend(&state, tr, &query, &report).await?,
        departments_svg: department_chart(tr, &report),
        departments: lines(&report, Dimension::Department).iter().map(|l| row(tr, Dimension::Department, l)).collect(),
        breakdowns: Dimension::ALL
            .into_iter()
            .filter(|d| *d != Dimension::Department)
            .map(|d| Breakdown {
                title: tr.t(&format!("dashboard.by.{}", d.as_str())),
                rows: lines(&report, d).iter().map(|l| row(tr, d, l)).collect(),
            })
            .collect(),
        missing: group_missing(tr, &departments, missing),
        missing_total: report.overall.counts.active_items - report.overall.counts.connected,
        missing_shown,
        filters: filters(tr, &scope, &departments, &params),
        raw_query: raw.unwrap_or_default(),
    };
    Ok(render(StatusCode::OK, &page))
}

fn lines(report: &Report, dimension: Dimension) -> &[Line] {
    report.breakdowns.get(&dimension).map(Vec::as_slice).unwrap_or_default()
}

fn department_chart(tr: Tr, report: &Report) -> String {
    let bars: Vec<(String, f64)> =
        lines(report, Dimension::Department).iter().map(|l| (l.label.clone(), l.rate.unwrap_or(0.0) * 100.0)).collect();
    if bars.is_empty() {
        return String::new();
    }
    charts::department_bars(&tr.t("dashboard.chart_departments"), &bars, report.target)
}

async fn trend(state: &AppState, tr: Tr, query: &ReportQuery, report: &Report) -> Result<String, AppError> {
    let points: Vec<(String, f64)> = state
        .reports
        .trend(query, report.overall.rate, TREND_DAYS)
        .await?
        .into_iter()
        .map(|(day, rate)| (day, rate * 100.0))
        .collect();
    if points.len() < 2 {
        return Ok(String::new());
    }
    Ok(charts::trend_line(&tr.t("dashboard.chart_trend"), &points, report.target))
}

async fn usage(state: &AppState, tr: Tr) -> Result<Vec<UsageView>, AppError> {
    let usage = state.reports.usage().await?;
    let view = |key: &str, indicator: &crate::catalog::report::Indicator| UsageView {
        label: tr.t(key),
        text: match indicator.share {
            Some(share) => tr
                .t("dashboard.usage_value")
                .replace("%{share}", &percent(Some(share)))
                .replace("%{users}", &indicator.users.to_string())
                .replace("%{denominator}", &indicator.denominator.to_string())
                .replace("%{target}", &percent(Some(indicator.target))),
            None => tr.t("dashboard.usage_unset").replace("%{users}", &indicator.users.to_string()),
        },
    };
    Ok(vec![view("dashboard.usage_enterprise", &usage.enterprise), view("dashboard.usage_citizen", &usage.citizen)])
}

fn group_missing(tr: Tr, departments: &[Department], missing: Vec<MissingRow>) -> Vec<MissingGroup> {
    let mut groups: Vec<MissingGroup> = Vec::new();
    for item in missing {
        let department = departments.iter().find(|d| d.id == item.department_id);
        let name = department.map_or_else(|| item.department_id.clone(), |d| d.name.clone());
        if groups.last().is_none_or(|g| g.department != name) {
            let contact = department.map(Department::contact).unwrap_or_default();
            groups.push(MissingGroup { department: name, contact, items: Vec::new() });
        }
        let system = match (&item.system_name, &item.contact_name, &item.contact_phone) {
            (Some(system), contact, phone) => [Some(system.clone()), contact.clone(), phone.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            (None, _, _) => String::new(),
        };
        if let Some(group) = groups.last_mut() {
            group.items.push(MissingItem {
                code: item.code,
                name: item.name,
                system,
                reason: tr.t(&format!("dashboard.reason.{}", item.reason)),
            });
        }
    }
    groups
}

/// A select per breakdown, from the table of breakdowns; the department select only when there is a choice.
fn filters(tr: Tr, scope: &Scope, departments: &[Department], params: &ReportParams) -> Vec<FilterSelect> {
    DIMENSIONS
        .iter()
        .filter_map(|info| {
            let options: Vec<(String, String)> = match info.source {
                Source::Department => {
                    departments.iter().filter(|d| scope.allows(&d.id)).map(|d| (d.id.clone(), d.name.clone())).collect()
                }
                Source::Themes => themes::all()
                    .iter()
                    .map(|t| (t.code.clone(), format!("{} {}", t.code, theme_name(tr, &t.code))))
                    .collect(),
                _ => info
                    .values
                    .iter()
                    .map(|(value, _)| ((*value).to_owned(), tr.t(&format!("catalog.{}.{value}", info.name))))
                    .collect(),
            };
            (options.len() > 1).then(|| FilterSelect {
                param: info.param,
                label: tr.t(&format!("dashboard.by.{}", info.name)),
                options,
                selected: params.get(info.param).to_owned(),
            })
        })
        .collect()
}
