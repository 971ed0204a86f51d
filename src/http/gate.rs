//! What a sign-in must have shown before a page opens. Most pages need only a sign-in. The console needs
//! two factors within the hour, and so do a developer's credentials; the pages that change how an account is protected (passkeys, phone,
//! password, closing the account) need two factors within minutes, so that one stolen factor cannot be
//! turned into a second one. A sign-in that falls short is asked for what it lacks and comes back.

use super::error::AppError;
use super::session::{Browser, PartialLogin};
use crate::identity::LoginSession;
use crate::identity::amr::{Amr, proves_two_factors};
use crate::paths;
use axum::response::{IntoResponse, Redirect, Response};

/// How long a two-factor sign-in counts as recent for the console.
pub const CONSOLE_RECENT_SECS: i64 = 3_600;
/// How long a two-factor sign-in counts as recent for changing how the account is protected.
pub const SENSITIVE_RECENT_SECS: i64 = 600;

/// The pages behind the console gate.
fn is_console(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    path.starts_with("/admin/")
        || path == paths::DASHBOARD
        || path.starts_with("/dashboard/")
        || path == paths::AUDIT
        || path.starts_with("/audit/")
        || path == paths::DEVELOPER_CREDENTIALS
}

/// The pages that change how the account signs in or whether it exists.
fn is_sensitive(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    [paths::ACCOUNT_PASSKEYS, paths::ACCOUNT_PHONE, paths::ACCOUNT_PASSWORD, paths::ACCOUNT_CLOSE]
        .iter()
        .any(|page| path == *page || path.strip_prefix(page).is_some_and(|rest| rest.starts_with('/')))
}

/// How recent a two-factor sign-in must be to continue at `path`, or None when any sign-in will do.
pub fn two_factors_within(path: &str) -> Option<i64> {
    if is_sensitive(path) {
        Some(SENSITIVE_RECENT_SECS)
    } else if is_console(path) {
        Some(CONSOLE_RECENT_SECS)
    } else {
        None
    }
}

/// Whether `login` may continue at `path` at time `now`.
pub fn satisfied(login: &LoginSession, path: &str, now: i64) -> bool {
    match two_factors_within(path) {
        None => true,
        Some(within) => proves_two_factors(&login.amr) && now - login.auth_time <= within,
    }
}

/// The login page, returning to `here` afterwards.
pub fn to_login(here: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
    Redirect::to(&format!("{}?next={next}", paths::LOGIN)).into_response()
}

/// Where a sign-in that does not satisfy `here` goes: a recent password sign-in is asked only for its
/// second factor; any other (an old one, or one made with an SMS code, whose phone cannot also be the
/// second factor) signs in again with the password, and is then asked for the second factor.
pub async fn ask_for_more(
    browser: &Browser<'_>,
    login: &LoginSession,
    here: &str,
    now: i64,
) -> Result<Response, AppError> {
    let within = two_factors_within(here).unwrap_or(0);
    let recent = now - login.auth_time <= within;
    if recent && login.amr.contains(&Amr::Pwd) {
        let partial = PartialLogin {
            person_id: login.person_id.clone(),
            amr: login.amr.clone(),
            upstream: login.upstream.clone(),
            next: Some(here.to_owned()),
        };
        browser.put_partial_login(&partial).await?;
        return Ok(Redirect::to(paths::LOGIN_SECOND).into_response());
    }
    Ok(to_login(here))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_ask_for_what_they_protect() {
        assert_eq!(two_factors_within("/account/passkeys"), Some(SENSITIVE_RECENT_SECS));
        assert_eq!(two_factors_within("/account/passkeys/options"), Some(SENSITIVE_RECENT_SECS));
        assert_eq!(two_factors_within("/account/phone?x=1"), Some(SENSITIVE_RECENT_SECS));
        assert_eq!(two_factors_within("/account/close"), Some(SENSITIVE_RECENT_SECS));
        assert_eq!(two_factors_within("/audit/export.csv"), Some(CONSOLE_RECENT_SECS));
        assert_eq!(two_factors_within("/dashboard?department=x"), Some(CONSOLE_RECENT_SECS));
        assert_eq!(two_factors_within("/admin/catalog"), Some(CONSOLE_RECENT_SECS));
        assert_eq!(two_factors_within("/account"), None);
        assert_eq!(two_factors_within("/account/passkeysX"), None);
        assert_eq!(two_factors_within("/auditor"), None);
    }
}
