//! GET/POST /account/acting: after login, a person with organisation grants chooses whether to act for
//! themselves or for one organisation; the choice rides in the browser session and can be switched.

use super::account::Signed;
use super::complete_login::after_login;
use super::error::AppError;
use super::guard::{CsrfForm, csrf_field};
use super::pages::{Chrome, render};
use super::redirect::local_path;
use super::session::Browser;
use super::state::AppState;
use crate::paths;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "acting.html")]
struct ActingPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    person_name: String,
    options: Vec<(String, String)>,
    current: String,
}

#[derive(Deserialize)]
pub struct ActingQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct ActingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    choice: String,
}

csrf_field!(ActingForm);

pub async fn get_acting(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    Query(query): Query<ActingQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = signed.tr();
    let options = state
        .orgs
        .memberships_of(&signed.person.id)
        .await?
        .into_iter()
        .map(|(m, o)| (o.id, format!("{}{}", o.name, tr.paren(&tr.t(&format!("role.{}", m.role.as_str()))))))
        .collect();
    let next = query.next.as_deref().and_then(local_path).unwrap_or_else(|| paths::ACCOUNT.to_owned());
    let page = ActingPage {
        chrome: Chrome::new(signed.locale, paths::ACCOUNT_ACTING),
        csrf: browser.csrf_token().await?,
        next,
        person_name: signed.person.name.clone(),
        options,
        current: browser.acting().await?.unwrap_or_default(),
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_acting(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    CsrfForm(form): CsrfForm<ActingForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let choice = match form.choice.as_str() {
        "self" | "" => None,
        org_id => {
            // Only an organisation the person currently acts for may be chosen.
            let membership = state.orgs.membership(&signed.person.id, org_id).await?;
            membership.map(|(_, org)| org.id)
        }
    };
    browser.set_acting(choice.as_deref()).await?;
    let next = Some(form.next.as_str()).filter(|n| !n.is_empty());
    Ok(Redirect::to(&after_login(next)).into_response())
}
