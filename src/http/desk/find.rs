//! GET /desk and POST /desk/find: find the person by resident ID number or by the counter code they got
//! online.

use super::{AtDesk, DeskFrame, frame};
use crate::counter::CodePurpose;
use crate::http::account::expired_form;
use crate::http::error::AppError;
use crate::http::extract::parse_form;
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "desk/find.html")]
struct FindPage {
    chrome: Chrome,
    desk: DeskFrame,
    csrf: String,
    /// What was searched for, kept when nothing was found so that a typo can be corrected.
    query: String,
}

#[derive(Deserialize)]
struct FindForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    query: String,
}

pub async fn get_desk(State(state): State<AppState>, desk: AtDesk, session: Session) -> Result<Response, AppError> {
    let browser = Browser(&session);
    show(&state, &browser, &desk, StatusCode::OK, None, "").await
}

pub async fn post_find(
    State(state): State<AppState>,
    desk: AtDesk,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Ok(form) = parse_form::<FindForm>(&String::from_utf8_lossy(&body)) else { return Ok(expired_form(&headers)) };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(expired_form(&headers));
    }
    let query = form.query.trim();
    let person_id = match state.accounts.find_by_login_identifier(query).await? {
        Some(person) if query.len() >= 15 => Some(person.id),
        _ => match state.codes.holder(query, CodePurpose::CounterVisit).await? {
            // A counter code brings the person to one desk once.
            Some(id) if state.codes.consume(query).await? => Some(id),
            _ => None,
        },
    };
    match person_id {
        Some(id) => Ok(Redirect::to(&format!("/desk/people/{id}")).into_response()),
        None => {
            let message = Some(desk.tr().t("desk.not_found"));
            show(&state, &browser, &desk, StatusCode::NOT_FOUND, message, query).await
        }
    }
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    desk: &AtDesk,
    status: StatusCode,
    error: Option<String>,
    query: &str,
) -> Result<Response, AppError> {
    let (chrome, mut frame) = frame(state, desk).await?;
    frame.error = error;
    let query = query.chars().take(64).collect();
    Ok(render(status, &FindPage { chrome, desk: frame, csrf: browser.csrf_token().await?, query }))
}
