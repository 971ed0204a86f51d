//! Page structs, one per template, and the response wrapper every page goes through.

use super::i18n::{Locale, Tr};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// What every page shares: the translator and the language switch.
/// A question asked before a destructive action (`confirm.html`): the form that does it, with its hidden
/// fields besides the CSRF token, and the way back to the page it was asked on (`action` itself).
pub struct Confirmation {
    pub question: String,
    pub explanation: String,
    pub action: &'static str,
    pub fields: Vec<(&'static str, String)>,
    pub confirm_label: String,
    pub keep_label: String,
}

pub struct Chrome {
    pub tr: Tr,
    pub switch_href: String,
    pub other_lang: &'static str,
}

impl Chrome {
    /// `here` is the path and query of the current page, which the language switch returns to.
    pub fn new(locale: Locale, here: &str) -> Self {
        let other = locale.other();
        let back: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
        Self {
            tr: Tr(locale),
            switch_href: format!("{}?to={}&back={back}", crate::paths::LANG, other.tag()),
            other_lang: other.tag(),
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub client_name: Option<String>,
    pub error: Option<String>,
    pub csrf: String,
    pub rid: String,
    pub next: String,
    pub account: String,
    /// Passkeys work on this deployment (the issuer's host is a domain name).
    pub passkeys: bool,
    /// `?rid=…&next=…`, carried to the other sign-in pages.
    pub query: String,
    /// Upstream platforms to sign in with.
    pub upstreams: Vec<UpstreamButton>,
    /// Why the person is asked to sign in here (an upstream identity waits to be linked).
    pub notice: Option<String>,
}

/// A button that signs in with an upstream platform.
pub struct UpstreamButton {
    pub href: String,
    pub name: String,
}

/// A passkey button on a page, with where its ceremony starts and finishes.
pub struct PasskeyButton {
    pub options: String,
    pub finish: String,
    pub rid: String,
}

/// The SMS-code pages: ask for the phone (unless known), send a code, take the code (and, for a reset, a
/// new password).
#[derive(Template)]
#[template(path = "code_flow.html")]
pub struct CodeFlowPage {
    pub chrome: Chrome,
    pub title: String,
    pub intro: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub csrf: String,
    pub hidden: Vec<(String, String)>,
    pub send_action: String,
    pub verify_action: String,
    pub phone_input: bool,
    pub phone: String,
    pub code_stage: bool,
    /// Seconds before the resend button works again (counted down by the page's script).
    pub resend_wait: i64,
    pub new_password: bool,
    pub submit_label: String,
    pub passkey: Option<PasskeyButton>,
    pub back_href: String,
}

#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage {
    pub chrome: Chrome,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub csrf: String,
    pub rid: String,
    pub next: String,
    pub query: String,
    /// The phone number the code went to (code step), or as typed (number step).
    pub phone: String,
    pub code_stage: bool,
    /// Seconds before the resend button works again.
    pub resend_wait: i64,
    pub document_types: Vec<(&'static str, String)>,
    pub form_name: String,
    pub form_document_type: String,
    pub form_document_number: String,
    /// The code as typed, kept when another field is in error.
    pub form_code: String,
    /// The field the error is about ("name", "document_number", "password", "password2", "code"), or ""
    /// for an error about the whole form.
    pub error_field: &'static str,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage {
    pub chrome: Chrome,
    pub intro: String,
    pub items: Vec<String>,
    pub csrf: String,
    pub rid: String,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub message: String,
    pub detail: Option<String>,
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage {
    pub chrome: Chrome,
    pub client_name: Option<String>,
    pub csrf: String,
    pub ticket: String,
}

/// What just happened, with the one way on: shown after an action whose next page would not say it.
#[derive(Template)]
#[template(path = "notice.html")]
pub struct NoticePage {
    pub chrome: Chrome,
    pub title: String,
    pub body: String,
    pub continue_href: String,
    pub continue_label: String,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
pub struct LoggedOutPage {
    pub chrome: Chrome,
    /// Where to continue once the front-channel frames had their moment.
    pub continue_href: Option<String>,
    /// Front-channel logout URIs, loaded in hidden frames.
    pub frames: Vec<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub chrome: Chrome,
    pub person_name: Option<String>,
    /// On a server not yet set up, what is left to do.
    pub first_run: Option<FirstRun>,
}

/// A server without a registered system or without a platform administrator: the commands that set it up.
pub struct FirstRun {
    pub has_client: bool,
    pub has_admin: bool,
}

/// Renders a page. Pages are never cached: they carry CSRF tokens and personal data.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = (status, html).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => {
            tracing::error!(%error, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// An error page in the given language.
pub fn error_page(status: StatusCode, locale: Locale, message_key: &str, detail: Option<String>) -> Response {
    let chrome = Chrome::new(locale, "/");
    let message = chrome.tr.t(message_key);
    render(status, &ErrorPage { chrome, message, detail })
}
