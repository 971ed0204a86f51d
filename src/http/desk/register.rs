//! GET/POST /desk/register: registering someone who has no account, from details checked in person; the
//! person leaves with a printed activation code.

use super::{AtDesk, CheckForm, CheckValues, DeskFrame, desk_message, document_types, frame};
use crate::http::error::AppError;
use crate::http::guard::CsrfForm;
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::phone::PhoneNumber;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::response::{IntoResponse, Redirect};
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "desk/register.html")]
struct RegisterPage {
    chrome: Chrome,
    desk: DeskFrame,
    csrf: String,
    document_types: Vec<(&'static str, String)>,
    values: CheckValues,
}

pub async fn get_register(State(state): State<AppState>, desk: AtDesk, session: Session) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let (chrome, frame) = frame(&state, &desk).await?;
    Ok(render(
        StatusCode::OK,
        &RegisterPage {
            chrome,
            desk: frame,
            csrf: browser.csrf_token().await?,
            document_types: document_types(desk.tr()),
            values: CheckValues::default(),
        },
    ))
}

pub async fn post_register(
    State(state): State<AppState>,
    desk: AtDesk,
    session: Session,
    CsrfForm(form): CsrfForm<CheckForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = desk.tr();
    let refuse = |message: String| async {
        let (chrome, mut frame) = frame(&state, &desk).await?;
        frame.error = Some(message);
        Ok::<_, AppError>(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &RegisterPage {
                chrome,
                desk: frame,
                csrf: browser.csrf_token().await?,
                document_types: document_types(tr),
                values: CheckValues::of(&form),
            },
        ))
    };
    let check = match form.check(state.accounts.today(), desk.tr()) {
        Ok(check) => check,
        Err(reason) => return refuse(reason).await,
    };
    let Ok(phone) = PhoneNumber::parse(&form.phone) else { return refuse(tr.t("flow.bad_phone")).await };
    match state.desk.assisted_registration(&desk.seat, &check, Some(phone)).await {
        // The slip is shown by GET, so that reloading or reprinting it cannot register the person twice.
        Ok(person) => Ok(Redirect::to(&format!("/desk/people/{}/slip", person.id)).into_response()),
        Err(error) => refuse(desk_message(tr, &error)).await,
    }
}
