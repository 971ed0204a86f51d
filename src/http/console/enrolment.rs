//! GET/POST /admin/enrolment: a platform administrator or hall supervisor issues a passkey enrolment code
//! for a staff member or administrator, to hand over in person (see `counter::enrolment`).

use super::{AtConsole, Console, ConsoleFrame, ConsoleRoles};
use crate::audit::{Actor, ActorRole};
use crate::counter::enrolment::ENROLMENT_CODE_SECS;
use crate::counter::{EnrolmentError, Issuer};
use crate::http::account::when;
use crate::http::error::AppError;
use crate::http::guard::{CsrfForm, csrf_field};
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::roles::RoleKind;
use crate::paths;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

/// Who may issue enrolment codes here.
pub const ISSUERS: [RoleKind; 2] = [RoleKind::PlatformAdmin, RoleKind::HallSupervisor];

#[derive(Template)]
#[template(path = "console/enrolment.html")]
struct EnrolmentPage {
    chrome: Chrome,
    console: ConsoleFrame,
    csrf: String,
    account: String,
}

#[derive(Deserialize)]
pub struct EnrolmentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account: String,
}

csrf_field!(EnrolmentForm);

/// Whoever may hand out enrolment codes.
pub struct Issuers;

impl ConsoleRoles for Issuers {
    const ALLOWED: &'static [RoleKind] = &ISSUERS;
}

pub async fn get_enrolment(Console(console, _): Console<Issuers>, session: Session) -> Result<Response, AppError> {
    let browser = Browser(&session);
    show(&browser, &console, StatusCode::OK, None, None, String::new()).await
}

pub async fn post_enrolment(
    State(state): State<AppState>,
    Console(console, _): Console<Issuers>,
    session: Session,
    CsrfForm(form): CsrfForm<EnrolmentForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = console.tr();
    let account = form.account.trim().to_owned();
    let refuse = |key: &str| Some(tr.t(key));
    let Some(person) = state.accounts.find_by_login_identifier(&account).await? else {
        return show(&browser, &console, StatusCode::NOT_FOUND, None, refuse("console.error.no_person"), account).await;
    };
    let issuer_id = console.signed.person.id.clone();
    let role =
        if console.held.contains(&RoleKind::PlatformAdmin) { ActorRole::PlatformAdmin } else { ActorRole::Supervisor };
    let actor = Actor::person(&issuer_id, role, console.origin.clone());
    match state.enrolment.issue(&person.id, Issuer::Person(&issuer_id), &actor).await {
        Ok(code) => {
            let until = when(state.provider.now() + ENROLMENT_CODE_SECS);
            let flash = tr
                .t("console.enrolment_issued")
                .replace("%{name}", &person.name)
                .replace("%{code}", &code)
                .replace("%{until}", &until);
            show(&browser, &console, StatusCode::CREATED, Some(flash), None, String::new()).await
        }
        Err(EnrolmentError::NoRole) => {
            show(&browser, &console, StatusCode::UNPROCESSABLE_ENTITY, None, refuse("console.error.not_staff"), account)
                .await
        }
        Err(EnrolmentError::NotTheirStaff | EnrolmentError::NotAnIssuer) => {
            show(&browser, &console, StatusCode::FORBIDDEN, None, refuse("console.error.not_their_staff"), account)
                .await
        }
        Err(error) => Err(AppError::from(error)),
    }
}

async fn show(
    browser: &Browser<'_>,
    console: &AtConsole,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    account: String,
) -> Result<Response, AppError> {
    let page = EnrolmentPage {
        chrome: Chrome::new(console.signed.locale, paths::ADMIN_ENROLMENT),
        console: ConsoleFrame::new(console, paths::ADMIN_ENROLMENT, flash, error),
        csrf: browser.csrf_token().await?,
        account,
    };
    Ok(render(status, &page))
}
