//! The account centre: what a signed-in person sees and changes about their own account. Every page
//! needs a login (else the login page, returning here), is never cached, and shows personal numbers
//! masked.

pub mod close;
pub mod connections;
pub mod data;
pub mod history;
pub mod organisations;
pub mod overview;
pub mod passkeys;
pub mod password;
pub mod phone;
pub mod sessions;
pub mod upstreams;

use super::authorize::current_login;
use super::error::AppError;
use super::gate;
use super::guard;
use super::i18n::{Locale, Tr};
use super::pages::Chrome;
use super::session::Browser;
use super::state::AppState;
use crate::identity::{LoginSession, Person};
use crate::paths;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Response;

pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// What every account page shares besides the chrome: navigation, the acting organisation, flash, error.
pub struct AccountFrame {
    pub nav: Vec<NavItem>,
    pub acting: Option<String>,
    pub flash: Option<String>,
    pub error: Option<String>,
    pub csrf: String,
}

/// The signed-in person behind an account page.
pub struct Signed {
    pub login: LoginSession,
    pub person: Person,
    pub locale: Locale,
}

impl Signed {
    pub fn tr(&self) -> Tr {
        Tr(self.locale)
    }

    /// The same sign-in with the person as stored now, after a change to their account.
    pub async fn reread(mut self, state: &AppState) -> Result<Self, AppError> {
        if let Some(person) = state.accounts.find(&self.person.id).await? {
            self.person = person;
        }
        Ok(self)
    }
}

/// The signed-in person, with a sign-in recent and strong enough for the page ([`gate`]); else the login
/// page or the step that asks for what is missing, returning to the page afterwards.
impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = guard::session(parts, state).await?;
        guard::settle(signed_in(state, &Browser(&session), &parts.headers, &guard::here(parts)).await)
    }
}

/// The signed-in person however they signed in: for the steps that add the factor a sign-in lacks.
pub struct AnySignIn(pub Signed);

impl FromRequestParts<AppState> for AnySignIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = guard::session(parts, state).await?;
        guard::settle(signed_in_any(state, &Browser(&session), &parts.headers, &guard::here(parts)).await)
            .map(AnySignIn)
    }
}

const NAV: &[(&str, &str)] = &[
    (paths::ACCOUNT, "account.nav.overview"),
    (paths::ACCOUNT_PHONE, "account.nav.phone"),
    (paths::ACCOUNT_PASSWORD, "account.nav.password"),
    (paths::ACCOUNT_PASSKEYS, "account.nav.passkeys"),
    (paths::ACCOUNT_SESSIONS, "account.nav.sessions"),
    (paths::ACCOUNT_HISTORY, "account.nav.history"),
    (paths::ACCOUNT_CONNECTIONS, "account.nav.connections"),
    (paths::ACCOUNT_UPSTREAMS, "account.nav.upstreams"),
    (paths::ACCOUNT_ORGANISATIONS, "account.nav.organisations"),
    (paths::ACCOUNT_CLOSE, "account.nav.close"),
];

/// The signed-in person, or the login page (coming back to `here` afterwards). A page that wants a recent
/// two-factor sign-in ([`gate`](super::gate)) asks for what this sign-in lacks.
pub(in crate::http) async fn signed_in(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
    here: &str,
) -> Result<Result<Signed, Response>, AppError> {
    let signed = match signed_in_any(state, browser, headers, here).await? {
        Ok(signed) => signed,
        Err(redirect) => return Ok(Err(redirect)),
    };
    let now = state.provider.now();
    if !gate::satisfied(&signed.login, here, now) {
        return Ok(Err(gate::ask_for_more(browser, &signed.login, here, now).await?));
    }
    Ok(Ok(signed))
}

/// The signed-in person however they signed in, or the login page (coming back to `here` afterwards).
pub(in crate::http) async fn signed_in_any(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
    here: &str,
) -> Result<Result<Signed, Response>, AppError> {
    let Some(login) = current_login(state, browser).await? else { return Ok(Err(gate::to_login(here))) };
    let Some(person) = state.accounts.find(&login.person_id).await?.filter(|p| p.can_sign_in()) else {
        browser.end_login().await?;
        return Ok(Err(gate::to_login(here)));
    };
    Ok(Ok(Signed { login, person, locale: Locale::negotiate(None, headers) }))
}

/// The frame of an account page at `here` (its path, which the language switch returns to).
pub async fn frame(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    here: &str,
) -> Result<(Chrome, AccountFrame), AppError> {
    let tr = signed.tr();
    let path = here.split('?').next().unwrap_or(here);
    let current = |href: &str| path == href || (href != paths::ACCOUNT && path.starts_with(&format!("{href}/")));
    let nav = NAV.iter().map(|(href, key)| NavItem { href, label: tr.t(key), current: current(href) }).collect();
    let acting = match browser.acting().await? {
        Some(org_id) => state.orgs.find(&org_id).await?.map(|org| org.name),
        None => None,
    };
    let frame = AccountFrame { nav, acting, flash: None, error: None, csrf: browser.csrf_token().await? };
    Ok((Chrome::new(signed.locale, here), frame))
}

/// Checks the current password before an account change, through the same throttle as signing in; the
/// status and message for the form when it does not pass.
pub async fn current_password_refusal(
    state: &AppState,
    person: &Person,
    current: String,
    ip: &str,
    tr: Tr,
) -> Result<Option<(axum::http::StatusCode, String)>, AppError> {
    use crate::identity::LoginError;
    match state.accounts.check_current_password(person, &crate::secret::SecretString::new(current), Some(ip)).await {
        Ok(true) => Ok(None),
        Ok(false) => Ok(Some((axum::http::StatusCode::UNAUTHORIZED, tr.t("password.current_wrong")))),
        Err(LoginError::Throttled { retry_after_secs, locked }) => Ok(Some((
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            super::login::throttled_message(tr, retry_after_secs, locked),
        ))),
        Err(error) => Err(AppError::from(error)),
    }
}

/// The page for a form that failed its CSRF check.
pub fn expired_form(headers: &HeaderMap) -> Response {
    super::pages::error_page(axum::http::StatusCode::FORBIDDEN, Locale::negotiate(None, headers), "error.csrf", None)
}

/// Formats unix seconds as a date and time in China Standard Time.
pub fn when(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.to_offset(time::macros::offset!(+8)).format(&format).unwrap_or_default())
        .unwrap_or_default()
}
