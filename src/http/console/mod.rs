//! The administration console: pages for administrators. Every page needs one of the roles it names and
//! a recent sign-in with two factors (a passkey, or a password with a second factor): a one-factor
//! sign-in is asked for its second factor, an old one for a new sign-in, and then the page continues.

pub mod catalog;
pub mod department;
pub mod enrolment;
pub mod halls;
pub mod import;
pub mod integration_requests;
pub mod refusal;
pub mod upstreams;

use super::account::{Signed, signed_in_any};
use super::client_ip::ClientIp;
use super::error::AppError;
use super::gate;
use super::guard;
use super::i18n::Tr;
use super::pages::error_page;
use super::session::Browser;
use super::state::AppState;
use crate::identity::roles::RoleKind;
use crate::paths;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::marker::PhantomData;

/// An administrator at the console.
pub struct AtConsole {
    pub signed: Signed,
    pub origin: Option<String>,
    /// The kinds of role the person holds, which decide the pages the navigation offers.
    pub held: Vec<RoleKind>,
}

impl AtConsole {
    pub fn tr(&self) -> Tr {
        self.signed.tr()
    }
}

/// The console's pages, in the order of its navigation, with the roles that may open them.
const NAV: [(&str, &str, &[RoleKind]); 6] = [
    (paths::DASHBOARD, "console.nav.dashboard", &super::dashboard::VIEWERS),
    (paths::ADMIN_CATALOG, "console.nav.catalog", &catalog::CATALOG_ROLES),
    (paths::ADMIN_HALLS, "console.nav.halls", &[RoleKind::PlatformAdmin]),
    (paths::ADMIN_ENROLMENT, "console.nav.enrolment", &enrolment::ISSUERS),
    (paths::ADMIN_UPSTREAMS, "console.nav.upstreams", &[RoleKind::PlatformAdmin]),
    (paths::AUDIT, "console.nav.audit", &[RoleKind::Auditor, RoleKind::PlatformAdmin]),
];

/// What every console page shows around its task.
pub struct ConsoleFrame {
    pub admin_name: String,
    pub current: &'static str,
    /// The pages this administrator may open: path and label key.
    pub nav: Vec<(&'static str, &'static str)>,
    pub flash: Option<String>,
    pub error: Option<String>,
}

impl ConsoleFrame {
    pub fn new(console: &AtConsole, current: &'static str, flash: Option<String>, error: Option<String>) -> Self {
        let nav = NAV
            .iter()
            .filter(|(_, _, roles)| roles.iter().any(|role| console.held.contains(role)))
            .map(|(path, key, _)| (*path, *key))
            .collect();
        Self { admin_name: console.signed.person.name.clone(), current, nav, flash, error }
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
    let held = state.roles.of(&person.id).await?;
    if held.iter().any(|role| role.kind == kind && role.scope_id.as_deref() == scope_id) {
        return Ok(Err(tr.t("console.error.already_holds")));
    }
    match state.roles.grant(&person.id, kind, scope_id, actor).await {
        Ok(_) => Ok(Ok(())),
        Err(error) => refusal::role_message(tr, &error).map(Err).ok_or_else(|| AppError::from(error)),
    }
}

/// Who may open a group of console pages.
pub trait ConsoleRoles {
    const ALLOWED: &'static [RoleKind];
}

/// The platform's administrators.
pub struct PlatformAdmins;

impl ConsoleRoles for PlatformAdmins {
    const ALLOWED: &'static [RoleKind] = &[RoleKind::PlatformAdmin];
}

/// Whoever may read the audit trail.
pub struct Auditors;

impl ConsoleRoles for Auditors {
    const ALLOWED: &'static [RoleKind] = &[RoleKind::Auditor, RoleKind::PlatformAdmin];
}

/// An administrator holding one of `R`'s roles, signed in with two factors recently enough for the page;
/// else the step that asks for what the sign-in lacks, or the page that says why they cannot come in.
pub struct Console<R>(pub AtConsole, pub PhantomData<R>);

impl<R: ConsoleRoles> FromRequestParts<AppState> for Console<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = guard::session(parts, state).await?;
        let ClientIp(peer) = ClientIp::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let here = guard::here(parts);
        let browser = Browser(&session);
        guard::settle(at_console(state, &browser, &parts.headers, &here, Some(peer.to_string()), R::ALLOWED).await)
            .map(|console| Console(console, PhantomData))
    }
}

/// The administrator behind a console request, or the page that says why they cannot use it.
async fn at_console(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
    here: &str,
    origin: Option<String>,
    allowed: &[RoleKind],
) -> Result<Result<AtConsole, Response>, AppError> {
    let signed = match signed_in_any(state, browser, headers, here).await? {
        Ok(signed) => signed,
        Err(redirect) => return Ok(Err(redirect)),
    };
    let refuse = |key: &str| Ok(Err(error_page(StatusCode::FORBIDDEN, signed.locale, key, None)));
    let roles = state.roles.of(&signed.person.id).await?;
    if !roles.iter().any(|role| allowed.contains(&role.kind)) {
        return refuse(if roles.is_empty() { "console.forbidden" } else { "console.not_for_role" });
    }
    let now = state.provider.now();
    if !gate::satisfied(&signed.login, here, now) {
        return Ok(Err(gate::ask_for_more(browser, &signed.login, here, now).await?));
    }
    let held = roles.iter().map(|role| role.kind).collect();
    Ok(Ok(AtConsole { signed, origin, held }))
}
