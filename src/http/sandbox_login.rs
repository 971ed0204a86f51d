//! GET/POST /sandbox/login: the sandbox's sign-in, in place of the login page. Instead of typing a
//! password, the developer picks a synthetic person (each at a known level, some acting for the sandbox
//! organisation) and, for a system's sign-in, the outcome to inject: refusals go back to the system
//! exactly as production sends them, and the other outcomes are carried with the request to the tokens
//! (`oidc/sandbox.rs`). Picking a person stands for any sign-in, two factors included.

use super::authorize::{expired, pending_with_client, refuse};
use super::complete_login::complete_login;
use super::error::AppError;
use super::guard::{CsrfForm, csrf_field};
use super::i18n::{Locale, Tr};
use super::pages::{Chrome, error_page, render};
use super::session::Browser;
use super::state::AppState;
use crate::http::client_ip::ClientIp;
use crate::identity::amr::Amr;
use crate::identity::login::Authenticated;
use crate::oidc::sandbox::Outcome;
use crate::paths;
use crate::sandbox::PEOPLE;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

struct PersonChoice {
    index: usize,
    name: &'static str,
    acr: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "sandbox_login.html")]
struct SandboxLoginPage {
    chrome: Chrome,
    intro: String,
    people: Vec<PersonChoice>,
    /// Offered only for a system's sign-in.
    outcomes: Vec<(&'static str, String)>,
    csrf: String,
    rid: String,
    next: String,
    ordinary: String,
}

#[derive(Deserialize)]
pub struct PickQuery {
    rid: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct PickForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rid: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    outcome: String,
}

csrf_field!(PickForm);

pub async fn get_login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<PickQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let pending = match query.rid.as_deref().filter(|rid| !rid.is_empty()) {
        Some(rid) => match pending_with_client(&state, &browser, Some(rid)).await? {
            Some(found) => Some(found),
            None => return Ok(expired(&headers)),
        },
        None => None,
    };
    let locale = Locale::negotiate(pending.as_ref().and_then(|(r, _)| r.ui_locales.as_deref()), &headers);
    let tr = Tr(locale);
    let mut people = Vec::with_capacity(PEOPLE.len());
    for (index, synthetic) in PEOPLE.iter().enumerate() {
        let Some(person) = state.accounts.find_by_login_identifier(synthetic.id_number).await? else { continue };
        let rank = state.assurance.rank_of(&person.id).await?;
        let role = synthetic.role.map(|role| tr.t(&format!("sandbox.role.{}", role.as_str())));
        let detail = [Some(person.document.masked()), role].into_iter().flatten().collect::<Vec<_>>().join(" · ");
        people.push(PersonChoice {
            index,
            name: synthetic.name,
            acr: state.assurance.ladder().acr_at(rank).to_owned(),
            detail,
        });
    }
    let (intro, outcomes) = match &pending {
        Some((_, client)) => (
            tr.t("sandbox.intro").replace("%{client}", &client.name),
            Outcome::ALL.iter().map(|o| (o.as_str(), tr.t(&format!("sandbox.outcome.{}", o.as_str())))).collect(),
        ),
        None => (tr.t("sandbox.intro_self"), Vec::new()),
    };
    let rid = pending.map(|(request, _)| request.id).unwrap_or_default();
    let next = query.next.unwrap_or_default();
    let query = |first: Option<(&str, &str)>| {
        let carried = [("rid", rid.as_str()), ("next", next.as_str())].into_iter().filter(|(_, v)| !v.is_empty());
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(first.into_iter().chain(carried)).finish()
    };
    let page = SandboxLoginPage {
        chrome: Chrome::new(locale, &format!("{}?{}", paths::SANDBOX_LOGIN, query(None))),
        intro,
        people,
        outcomes,
        csrf: browser.csrf_token().await?,
        ordinary: format!("{}?{}", paths::LOGIN, query(Some(("ordinary", "1")))),
        rid,
        next,
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ClientIp(peer): ClientIp,
    CsrfForm(form): CsrfForm<PickForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let locale = Locale::negotiate(None, &headers);
    let synthetic = form.person.parse::<usize>().ok().and_then(|index| PEOPLE.get(index));
    let Some(synthetic) = synthetic else {
        return Ok(error_page(StatusCode::BAD_REQUEST, locale, "error.malformed", None));
    };
    if !form.rid.is_empty() {
        let Some((mut request, _)) = pending_with_client(&state, &browser, Some(&form.rid)).await? else {
            return Ok(expired(&headers));
        };
        let Some(outcome) = Outcome::parse(&form.outcome) else {
            return Ok(error_page(StatusCode::BAD_REQUEST, locale, "error.malformed", None));
        };
        if let Some(error) = outcome.refusal() {
            browser.remove_pending(&request.id).await?;
            return Ok(refuse(&state, &request, &error, &headers));
        }
        request.sandbox_outcome = Some(outcome);
        browser.put_pending(&request).await?;
    }
    let Some(person) = state.accounts.find_by_login_identifier(synthetic.id_number).await? else {
        return Ok(error_page(StatusCode::BAD_REQUEST, locale, "error.malformed", None));
    };
    let who = Authenticated::new(&person.id, &[Amr::Pwd, Amr::Otp, Amr::Mfa]);
    let next = Some(form.next.as_str()).filter(|n| !n.is_empty());
    let to = complete_login(&state, &browser, &headers, Some(peer.to_string()), who, &form.rid, next).await?;
    Ok(Redirect::to(&to).into_response())
}
