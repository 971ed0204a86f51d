//! GET/POST /login: the login page and password login. The page also offers the other ways in (SMS code,
//! passkey), registration and password reset; those live in their own files.

use super::authorize::current_login;
use super::complete_login::{after_login, complete_login};
use super::error::AppError;
use super::extract::parse_form;
use super::gate;
use super::guard::{self, HasCsrf};
use super::i18n::{Locale, Tr};
use super::pages::{Chrome, LoginPage, UpstreamButton, error_page, render};
use super::session::Browser;
use super::state::AppState;
use crate::http::client_ip::ClientIp;
use crate::identity::LoginError;
use crate::identity::LoginSession;
use crate::identity::amr::Amr;
use crate::identity::login::Authenticated;
use crate::paths;
use crate::secret::SecretString;
use axum::body::Bytes;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct LoginQuery {
    rid: Option<String>,
    next: Option<String>,
    /// In a sandbox: the ordinary sign-in rather than the picker.
    ordinary: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rid: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    password: String,
}

pub async fn get_login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    if state.provider.is_sandbox() && query.ordinary.is_none() {
        let mut to = url::form_urlencoded::Serializer::new(String::new());
        query.rid.as_deref().map(|rid| to.append_pair("rid", rid));
        query.next.as_deref().map(|next| to.append_pair("next", next));
        return Ok(Redirect::to(&format!("{}?{}", paths::SANDBOX_LOGIN, to.finish())).into_response());
    }
    let rid = query.rid.unwrap_or_default();
    let pending = browser.pending(&rid).await?;
    if pending.is_none() {
        // Signed in already: carry on, unless the page asks more of a sign-in than this one showed.
        let next = query.next.as_deref();
        let now = state.provider.now();
        let enough = |login: &LoginSession| next.is_none_or(|next| gate::satisfied(login, next, now));
        if current_login(&state, &browser).await?.is_some_and(|login| enough(&login)) {
            return Ok(Redirect::to(&after_login(next)).into_response());
        }
    }
    let context = LoginContext::load(&state, &browser, &headers, &rid, query.next.as_deref()).await?;
    let account = pending.and_then(|p| p.login_hint).unwrap_or_default();
    context.page(&state, &browser, StatusCode::OK, None, account).await
}

pub async fn post_login(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let locale = Locale::negotiate(None, &headers);
    let Ok(form) = parse_form::<LoginForm>(&String::from_utf8_lossy(&body)) else {
        return Ok(error_page(StatusCode::BAD_REQUEST, locale, "error.malformed", None));
    };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(error_page(StatusCode::FORBIDDEN, locale, "error.csrf", None));
    }
    let context = LoginContext::load(&state, &browser, &headers, &form.rid, Some(&form.next)).await?;
    let tr = Tr(context.locale);
    if form.account.trim().is_empty() || form.password.is_empty() {
        return context
            .page(&state, &browser, StatusCode::BAD_REQUEST, Some(tr.t("login.missing")), form.account)
            .await;
    }
    let ip = peer.to_string();
    let password = SecretString::new(form.password);
    let person = match state.accounts.password_login(&form.account, &password, Some(&ip)).await {
        Ok(person) => person,
        Err(LoginError::InvalidCredentials) => {
            state.metrics.login(Amr::Pwd.as_str(), "failure");
            let message = tr.t("login.invalid");
            return context.page(&state, &browser, StatusCode::UNAUTHORIZED, Some(message), form.account).await;
        }
        Err(LoginError::Throttled { retry_after_secs, locked }) => {
            state.metrics.login(Amr::Pwd.as_str(), "throttled");
            let message = throttled_message(tr, retry_after_secs, locked);
            return context.page(&state, &browser, StatusCode::TOO_MANY_REQUESTS, Some(message), form.account).await;
        }
        Err(LoginError::Internal(error)) => return Err(AppError::from(anyhow::anyhow!(error))),
    };
    let location = context.finish(&state, &browser, &headers, ip, Authenticated::new(&person.id, &[Amr::Pwd])).await?;
    Ok(Redirect::to(&location).into_response())
}

/// The message for a throttled attempt: a short wait, or a lockout counted in minutes.
pub fn throttled_message(tr: Tr, retry_after_secs: i64, locked: bool) -> String {
    if locked {
        let minutes = (retry_after_secs + 59) / 60;
        tr.t("login.locked").replace("%{minutes}", &minutes.to_string())
    } else {
        tr.t("login.wait").replace("%{seconds}", &retry_after_secs.max(1).to_string())
    }
}

/// A form of a sign-in flow: its CSRF token, and the authorization request (`rid`) and destination
/// (`next`) it carries through the flow.
pub trait FlowFields: HasCsrf {
    fn rid(&self) -> &str;
    fn next(&self) -> &str;
}

/// A sign-in flow's form whose CSRF token matched, with the login context it carries; a form that does not
/// parse or whose token does not match gets the "page expired" page.
pub struct SignInForm<F>(pub F, pub LoginContext);

impl<F: serde::de::DeserializeOwned + FlowFields + Send> FromRequest<AppState> for SignInForm<F> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (session, headers, body) = guard::form_parts(request, state).await?;
        let browser = Browser(&session);
        let form = match guard::checked_form::<F>(&browser, &body).await {
            Ok(Some(form)) => form,
            Ok(None) => {
                return Err(error_page(StatusCode::FORBIDDEN, Locale::negotiate(None, &headers), "error.csrf", None));
            }
            Err(error) => return Err(error.into_response()),
        };
        match LoginContext::load(state, &browser, &headers, form.rid(), Some(form.next())).await {
            Ok(context) => Ok(SignInForm(form, context)),
            Err(error) => Err(error.into_response()),
        }
    }
}

/// What the login page shows besides the form: the language and the system being signed in to.
pub struct LoginContext {
    pub locale: Locale,
    pub rid: String,
    pub next: String,
    pub client_name: Option<String>,
}

impl LoginContext {
    pub async fn load(
        state: &AppState,
        browser: &Browser<'_>,
        headers: &HeaderMap,
        rid: &str,
        next: Option<&str>,
    ) -> Result<Self, AppError> {
        let pending = browser.pending(rid).await?;
        let locale = Locale::negotiate(pending.as_ref().and_then(|p| p.ui_locales.as_deref()), headers);
        let client_name = match &pending {
            Some(request) => state.provider.find_client(&request.client_id).await?.map(|c| c.name),
            None => None,
        };
        let rid = if pending.is_some() { rid.to_owned() } else { String::new() };
        let next = next.and_then(super::redirect::local_path).unwrap_or_default();
        Ok(Self { locale, rid, next, client_name })
    }

    /// Finishes the login `who` made on this flow's page; where the browser goes next.
    pub async fn finish(
        &self,
        state: &AppState,
        browser: &Browser<'_>,
        headers: &HeaderMap,
        ip: String,
        who: Authenticated,
    ) -> Result<String, AppError> {
        let next = Some(self.next.as_str()).filter(|n| !n.is_empty());
        complete_login(state, browser, headers, Some(ip), who, &self.rid, next).await
    }

    /// The query string that carries this context from page to page.
    pub fn query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.rid.is_empty() {
            query.append_pair("rid", &self.rid);
        }
        if !self.next.is_empty() {
            query.append_pair("next", &self.next);
        }
        let query = query.finish();
        if query.is_empty() { query } else { format!("?{query}") }
    }

    fn upstream_buttons(&self, state: &AppState, query: &str) -> Vec<UpstreamButton> {
        let english = self.locale == Locale::En;
        state
            .federation
            .upstreams()
            .iter()
            .map(|upstream| UpstreamButton {
                href: format!("{}{query}", paths::LOGIN_UPSTREAM.replace("{id}", upstream.id())),
                name: if english { upstream.config.name_en.clone() } else { upstream.config.name.clone() },
            })
            .collect()
    }

    /// The notice for a browser that brought an upstream identity whose ID number has an account here.
    async fn link_notice(&self, state: &AppState, browser: &Browser<'_>) -> Result<Option<String>, AppError> {
        let Some(text) = browser.flow(super::complete_login::FEDERATION_LINK).await? else { return Ok(None) };
        let Ok(pending) = serde_json::from_str::<crate::federation::PendingLink>(&text) else { return Ok(None) };
        let name = state.federation.name_of(&pending.upstream, self.locale == Locale::En);
        Ok(Some(Tr(self.locale).t("federation.prove_control").replace("%{name}", &name)))
    }

    pub async fn page(
        self,
        state: &AppState,
        browser: &Browser<'_>,
        status: StatusCode,
        error: Option<String>,
        account: String,
    ) -> Result<Response, AppError> {
        let query = self.query();
        let upstreams = self.upstream_buttons(state, &query);
        let notice = self.link_notice(state, browser).await?;
        let page = LoginPage {
            chrome: Chrome::new(self.locale, &format!("{}{query}", paths::LOGIN)),
            client_name: self.client_name,
            error,
            csrf: browser.csrf_token().await?,
            rid: self.rid,
            next: self.next,
            account,
            passkeys: state.passkeys.is_some(),
            upstreams,
            notice,
            query,
        };
        Ok(render(status, &page))
    }
}
