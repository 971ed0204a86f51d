//! GET/POST /admin/catalog: the departments an administrator looks after. Platform administrators add
//! departments and grant the platform's roles (platform administrator, auditor, department
//! administrator); department administrators see their own departments and go on to their pages.

use super::{AtConsole, Console, ConsoleFrame, ConsoleRoles, grant_role};
use crate::audit::{Actor, ActorRole};
use crate::catalog::service::NewDepartment;
use crate::catalog::{CatalogError, DepartmentLevel, Scope};
use crate::http::account::expired_form;
use crate::http::error::AppError;
use crate::http::extract::parse_form;
use crate::http::i18n::Tr;
use crate::http::pages::{Chrome, error_page, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::roles::RoleKind;
use crate::paths;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

pub const CATALOG_ROLES: [RoleKind; 2] = [RoleKind::PlatformAdmin, RoleKind::DepartmentAdmin];
const GRANTABLE: [RoleKind; 3] = [RoleKind::PlatformAdmin, RoleKind::Auditor, RoleKind::DepartmentAdmin];

struct DepartmentRow {
    id: String,
    name: String,
    level: String,
    parent: String,
}

#[derive(Template)]
#[template(path = "console/catalog/index.html")]
struct CatalogPage {
    chrome: Chrome,
    console: ConsoleFrame,
    csrf: String,
    platform: bool,
    departments: Vec<DepartmentRow>,
    levels: Vec<(&'static str, String)>,
    roles: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

#[derive(Deserialize)]
struct CatalogForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department_id: String,
}

/// Whoever may change the catalog (within their scope).
pub struct CatalogAdmins;

impl ConsoleRoles for CatalogAdmins {
    const ALLOWED: &'static [RoleKind] = &CATALOG_ROLES;
}

/// The administrator and their catalog scope, or the page that says why not.
pub struct CatalogConsole(pub AtConsole, pub Scope);

impl FromRequestParts<AppState> for CatalogConsole {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Console(console, _) = Console::<CatalogAdmins>::from_request_parts(parts, state).await?;
        match state.catalog.scope_of(&console.signed.person.id).await {
            Ok(Some(scope)) => Ok(CatalogConsole(console, scope)),
            Ok(None) => Err(error_page(StatusCode::FORBIDDEN, console.signed.locale, "console.forbidden", None)),
            Err(error) => Err(AppError::from(error).into_response()),
        }
    }
}

/// The actor of a console change: platform administrator or department administrator.
pub fn actor_of(console: &AtConsole, scope: &Scope) -> Actor {
    let role = if *scope == Scope::All { ActorRole::PlatformAdmin } else { ActorRole::DepartmentAdmin };
    Actor::person(&console.signed.person.id, role, console.origin.clone())
}

pub async fn get_catalog(
    State(state): State<AppState>,
    CatalogConsole(console, scope): CatalogConsole,
    session: Session,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let flash = match done.done.as_deref() {
        Some(what @ ("department" | "granted")) => Some(console.tr().t(&format!("console.done.{what}"))),
        _ => None,
    };
    show(&state, &browser, &console, &scope, StatusCode::OK, flash, None).await
}

pub async fn post_catalog(
    State(state): State<AppState>,
    CatalogConsole(console, scope): CatalogConsole,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Ok(form) = parse_form::<CatalogForm>(&String::from_utf8_lossy(&body)) else {
        return Ok(expired_form(&headers));
    };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(expired_form(&headers));
    }
    let tr = console.tr();
    if scope != Scope::All {
        return show(
            &state,
            &browser,
            &console,
            &scope,
            StatusCode::FORBIDDEN,
            None,
            Some(tr.t("console.error.platform_only")),
        )
        .await;
    }
    let actor = actor_of(&console, &scope);
    let outcome = match form.action.as_str() {
        "add_department" => add_department(&state, tr, &scope, &form, &actor).await?,
        "grant" => grant(&state, tr, &scope, &form, &actor).await?,
        _ => Err(tr.t("error.malformed")),
    };
    match outcome {
        Ok(done) => Ok(Redirect::to(&format!("{}?done={done}", paths::ADMIN_CATALOG)).into_response()),
        Err(message) => {
            show(&state, &browser, &console, &scope, StatusCode::UNPROCESSABLE_ENTITY, None, Some(message)).await
        }
    }
}

async fn add_department(
    state: &AppState,
    tr: Tr,
    scope: &Scope,
    form: &CatalogForm,
    actor: &Actor,
) -> Result<Result<&'static str, String>, AppError> {
    let new = NewDepartment {
        name: form.name.clone(),
        level: form.level.clone(),
        parent_id: Some(form.parent_id.clone()),
        contact_name: Some(form.contact_name.clone()),
        contact_phone: Some(form.contact_phone.clone()),
    };
    match state.catalog.create_department(scope, new, actor).await {
        Ok(_) => Ok(Ok("department")),
        Err(error) => super::refusal::catalog_message(tr, &error).map(Err).ok_or_else(|| error.into()),
    }
}

async fn grant(
    state: &AppState,
    tr: Tr,
    scope: &Scope,
    form: &CatalogForm,
    actor: &Actor,
) -> Result<Result<&'static str, String>, AppError> {
    let Some(kind) = RoleKind::parse(&form.role).filter(|kind| GRANTABLE.contains(kind)) else {
        return Ok(Err(tr.t("console.error.role")));
    };
    let department = if kind == RoleKind::DepartmentAdmin {
        match state.catalog.department(scope, &form.department_id).await {
            Ok(department) => Some(department.id),
            Err(CatalogError::NotFound) => return Ok(Err(tr.t("console.error.choose_department"))),
            Err(error) => return Err(error.into()),
        }
    } else {
        None
    };
    Ok(grant_role(state, tr, &form.account, kind, department.as_deref(), actor).await?.map(|()| "granted"))
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    console: &AtConsole,
    scope: &Scope,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let tr = console.tr();
    let departments = state.catalog.departments(scope).await?;
    let rows = departments
        .iter()
        .map(|d| DepartmentRow {
            id: d.id.clone(),
            name: d.name.clone(),
            level: tr.t(&format!("catalog.level.{}", d.level.as_str())),
            parent: d
                .parent_id
                .as_ref()
                .and_then(|p| departments.iter().find(|x| &x.id == p))
                .map(|p| p.name.clone())
                .unwrap_or_default(),
        })
        .collect();
    let page = CatalogPage {
        chrome: Chrome::new(console.signed.locale, paths::ADMIN_CATALOG),
        console: ConsoleFrame::new(console, paths::ADMIN_CATALOG, flash, error),
        csrf: browser.csrf_token().await?,
        platform: *scope == Scope::All,
        departments: rows,
        levels: DepartmentLevel::ALL
            .iter()
            .map(|l| (l.as_str(), tr.t(&format!("catalog.level.{}", l.as_str()))))
            .collect(),
        roles: GRANTABLE.iter().map(|r| (r.as_str(), tr.t(&format!("role.{}", r.as_str())))).collect(),
    };
    Ok(render(status, &page))
}
