//! GET/POST /admin/halls: platform administrators keep the tree of service halls and say who works at
//! each (staff or supervisor), and remove them again. The same operations as /admin/api/halls and
//! /admin/api/roles, for people rather than scripts.

use super::{AtConsole, Console, ConsoleFrame, PlatformAdmins};
use crate::audit::{Actor, ActorRole};
use crate::counter::{Hall, HallKind};
use crate::http::account::expired_form;
use crate::http::error::AppError;
use crate::http::extract::parse_form;
use crate::http::i18n::Tr;
use crate::http::pages::{Chrome, Confirmation, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::roles::{RoleError, RoleKind};
use crate::paths;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

const HALL_ROLES: [RoleKind; 2] = [RoleKind::HallStaff, RoleKind::HallSupervisor];

/// One hall in the tree, indented by its depth, with the people who work there.
struct HallView {
    id: String,
    name: String,
    kind: String,
    depth: usize,
    staff: Vec<StaffView>,
}

struct StaffView {
    role_id: String,
    name: String,
    phone: String,
    role: String,
}

#[derive(Template)]
#[template(path = "console/halls.html")]
struct HallsPage {
    chrome: Chrome,
    console: ConsoleFrame,
    csrf: String,
    halls: Vec<HallView>,
    kinds: Vec<(&'static str, String)>,
    roles: Vec<(&'static str, String)>,
    /// The removal of a staff role, waiting for confirmation.
    confirm_revoke: Option<Confirmation>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

#[derive(Deserialize)]
struct HallsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    hall_id: String,
    #[serde(default)]
    role_id: String,
    /// "yes" once the administrator confirmed a removal.
    #[serde(default)]
    confirmed: String,
}

pub async fn get_halls(
    State(state): State<AppState>,
    Console(console, _): Console<PlatformAdmins>,
    session: Session,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let flash = match done.done.as_deref() {
        Some(what @ ("hall" | "granted" | "revoked")) => Some(console.tr().t(&format!("console.done.{what}"))),
        _ => None,
    };
    show(&state, &browser, &console, StatusCode::OK, flash, None).await
}

pub async fn post_halls(
    State(state): State<AppState>,
    Console(console, _): Console<PlatformAdmins>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Ok(form) = parse_form::<HallsForm>(&String::from_utf8_lossy(&body)) else { return Ok(expired_form(&headers)) };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(expired_form(&headers));
    }
    let tr = console.tr();
    let actor = Actor::person(&console.signed.person.id, ActorRole::PlatformAdmin, console.origin.clone());
    if form.action == "revoke" && form.confirmed != "yes" {
        return show_with(&state, &browser, &console, StatusCode::OK, None, None, Some(&form.role_id)).await;
    }
    let outcome = match form.action.as_str() {
        "add_hall" => add_hall(&state, tr, &form, &actor).await?,
        "grant" => grant(&state, tr, &form, &actor).await?,
        "revoke" => revoke(&state, tr, &form, &actor).await?,
        _ => Err(tr.t("error.malformed")),
    };
    match outcome {
        Ok(done) => Ok(Redirect::to(&format!("{}?done={done}", paths::ADMIN_HALLS)).into_response()),
        Err(message) => show(&state, &browser, &console, StatusCode::UNPROCESSABLE_ENTITY, None, Some(message)).await,
    }
}

async fn add_hall(
    state: &AppState,
    tr: Tr,
    form: &HallsForm,
    actor: &Actor,
) -> Result<Result<&'static str, String>, AppError> {
    let Some(kind) = HallKind::parse(&form.kind) else { return Ok(Err(tr.t("console.error.kind"))) };
    let parent = Some(form.parent_id.trim()).filter(|p| !p.is_empty());
    match state.halls.create(&form.name, kind, parent, actor).await {
        Ok(_) => Ok(Ok("hall")),
        Err(error) => super::refusal::hall_message(tr, &error).map(Err).ok_or_else(|| AppError::from(error)),
    }
}

async fn grant(
    state: &AppState,
    tr: Tr,
    form: &HallsForm,
    actor: &Actor,
) -> Result<Result<&'static str, String>, AppError> {
    let Some(kind) = RoleKind::parse(&form.role).filter(|kind| HALL_ROLES.contains(kind)) else {
        return Ok(Err(tr.t("console.error.role")));
    };
    if state.halls.find(&form.hall_id).await?.is_none() {
        return Ok(Err(tr.t("console.error.unknown_hall")));
    }
    Ok(super::grant_role(state, tr, &form.account, kind, Some(&form.hall_id), actor).await?.map(|()| "granted"))
}

async fn revoke(
    state: &AppState,
    tr: Tr,
    form: &HallsForm,
    actor: &Actor,
) -> Result<Result<&'static str, String>, AppError> {
    let hall_roles = state.roles.holders(&HALL_ROLES).await.map_err(role_error)?;
    if !hall_roles.iter().any(|(_, role)| role.id == form.role_id) {
        return Ok(Err(tr.t("console.error.no_role")));
    }
    state.roles.revoke(&form.role_id, actor).await.map_err(role_error)?;
    Ok(Ok("revoked"))
}

fn role_error(error: RoleError) -> AppError {
    AppError::from(error)
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    console: &AtConsole,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    show_with(state, browser, console, status, flash, error, None).await
}

/// The page, asking to confirm the removal of the hall role `confirm_revoke` when given.
async fn show_with(
    state: &AppState,
    browser: &Browser<'_>,
    console: &AtConsole,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    confirm_revoke: Option<&str>,
) -> Result<Response, AppError> {
    let tr = console.tr();
    let mut question = None;
    let halls = state.halls.list().await?;
    let holders = state.roles.holders(&HALL_ROLES).await.map_err(role_error)?;
    let mut views = Vec::with_capacity(halls.len());
    for (hall, depth) in tree_order(&halls) {
        let mut staff = Vec::new();
        for (person_id, role) in holders.iter().filter(|(_, role)| role.scope_id.as_deref() == Some(hall.id.as_str())) {
            let Some(person) = state.accounts.find(person_id).await? else { continue };
            if confirm_revoke == Some(role.id.as_str()) {
                let text = tr
                    .t("console.confirm_remove_staff")
                    .replace("%{name}", &person.name)
                    .replace("%{hall}", &hall.name)
                    .replace("%{role}", &tr.t(&format!("role.{}", role.kind.as_str())));
                question = Some(Confirmation {
                    question: text,
                    explanation: tr.t("console.confirm_remove_staff_body"),
                    action: paths::ADMIN_HALLS,
                    fields: vec![("action", "revoke".to_owned()), ("role_id", role.id.clone())],
                    confirm_label: tr.t("console.remove_confirmed"),
                    keep_label: tr.t("console.keep"),
                });
            }
            staff.push(StaffView {
                role_id: role.id.clone(),
                name: person.name,
                phone: person.phone.map(|p| p.masked()).unwrap_or_default(),
                role: tr.t(&format!("role.{}", role.kind.as_str())),
            });
        }
        views.push(HallView {
            id: hall.id.clone(),
            name: hall.name.clone(),
            kind: tr.t(&format!("hall.{}", hall.kind.as_str())),
            depth,
            staff,
        });
    }
    let page = HallsPage {
        chrome: Chrome::new(console.signed.locale, paths::ADMIN_HALLS),
        console: ConsoleFrame::new(console, paths::ADMIN_HALLS, flash, error),
        csrf: browser.csrf_token().await?,
        halls: views,
        kinds: HallKind::ALL.iter().map(|kind| (kind.as_str(), tr.t(&format!("hall.{}", kind.as_str())))).collect(),
        roles: HALL_ROLES.iter().map(|kind| (kind.as_str(), tr.t(&format!("role.{}", kind.as_str())))).collect(),
        confirm_revoke: question,
    };
    Ok(render(status, &page))
}

/// The halls depth first from each city hall, each with its depth below the root.
fn tree_order(halls: &[Hall]) -> Vec<(&Hall, usize)> {
    let mut ordered = Vec::with_capacity(halls.len());
    let mut stack: Vec<(&Hall, usize)> = halls.iter().filter(|h| h.parent_id.is_none()).rev().map(|h| (h, 0)).collect();
    while let Some((hall, depth)) = stack.pop() {
        ordered.push((hall, depth));
        stack.extend(
            halls.iter().filter(|h| h.parent_id.as_deref() == Some(hall.id.as_str())).rev().map(|h| (h, depth + 1)),
        );
    }
    ordered
}
