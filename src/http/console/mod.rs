//! The administration console: pages for administrators. Every page needs one of the roles it names and
//! a recent sign-in with two factors (a passkey, or a password with a second factor); without them it
//! refuses with the reason.

pub mod catalog;
pub mod department;
pub mod halls;
pub mod import;

use super::account::{Signed, signed_in};
use super::error::AppError;
use super::i18n::Tr;
use super::pages::error_page;
use super::session::Browser;
use super::state::AppState;
use crate::identity::roles::RoleKind;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// How long a two-factor sign-in counts as recent for the console.
pub const RECENT_LOGIN_SECS: i64 = 3_600;

/// An administrator at the console.
pub struct AtConsole {
    pub signed: Signed,
    pub origin: Option<String>,
}

impl AtConsole {
    pub fn tr(&self) -> Tr {
        self.signed.tr()
    }
}

/// The console's pages, in the order of its navigation.
const NAV: [(&str, &str); 4] = [
    (crate::paths::DASHBOARD, "console.nav.dashboard"),
    (crate::paths::ADMIN_CATALOG, "console.nav.catalog"),
    (crate::paths::ADMIN_HALLS, "console.nav.halls"),
    (crate::paths::AUDIT, "console.nav.audit"),
];

/// What every console page shows around its task.
pub struct ConsoleFrame {
    pub admin_name: String,
    pub current: &'static str,
    pub nav: &'static [(&'static str, &'static str)],
    pub flash: Option<String>,
    pub error: Option<String>,
}

impl ConsoleFrame {
    pub fn new(console: &AtConsole, current: &'static str, flash: Option<String>, error: Option<String>) -> Self {
        Self { admin_name: console.signed.person.name.clone(), current, nav: &NAV, flash, error }
    }
}

/// Gives the person behind `account` (a document or phone number) a role, unless they hold it already;
/// the error is the message for the form.
pub async fn grant_role(
    state: &AppState,
    tr: Tr,
    account: &str,
    kind: RoleKind,
    scope_id: Option<&str>,
    actor: &crate::audit::Actor,
) -> Result<Result<(), String>, AppError> {
    let Some(person) = state.accounts.find_by_login_identifier(account.trim()).await? else {
        return Ok(Err(tr.t("console.error.no_person")));
    };
    let held = state.roles.of(&person.id).await.map_err(|e| AppError(e.to_string()))?;
    if held.iter().any(|role| role.kind == kind && role.scope_id.as_deref() == scope_id) {
        return Ok(Err(tr.t("console.error.already_holds")));
    }
    state.roles.grant(&person.id, kind, scope_id, actor).await.map_err(|e| AppError(e.to_string()))?;
    Ok(Ok(()))
}

/// The administrator behind a console request, or the page that says why they cannot use it.
pub async fn at_console(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
    here: &str,
    origin: Option<String>,
    allowed: &[RoleKind],
) -> Result<Result<AtConsole, Response>, AppError> {
    let signed = match signed_in(state, browser, headers, here).await? {
        Ok(signed) => signed,
        Err(redirect) => return Ok(Err(redirect)),
    };
    let refuse = |key: &str| Ok(Err(error_page(StatusCode::FORBIDDEN, signed.locale, key, None)));
    let roles = state.roles.of(&signed.person.id).await.map_err(|e| AppError(e.to_string()))?;
    if !roles.iter().any(|role| allowed.contains(&role.kind)) {
        return refuse("console.forbidden");
    }
    if !signed.login.amr.iter().any(|m| matches!(m.as_str(), "mfa" | "hwk" | "swk")) {
        return refuse("console.needs_two_factors");
    }
    if state.provider.now() - signed.login.auth_time > RECENT_LOGIN_SECS {
        return refuse("console.login_too_old");
    }
    Ok(Ok(AtConsole { signed, origin }))
}
