//! GET /account: who the person is, as the platform holds it, with numbers masked.

use super::{AccountFrame, Signed, frame, when};
use crate::http::error::AppError;
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::person::PersonStatus;
use crate::paths;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "account/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    frame: AccountFrame,
    name: String,
    document: String,
    phone: String,
    level: String,
    created: String,
    closing: Option<String>,
}

pub async fn get_overview(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = signed.tr();
    let (chrome, frame) = frame(&state, &browser, &signed, paths::ACCOUNT).await?;
    let person = &signed.person;
    let acr = state.assurance.acr_of(&signed.person.id).await?;
    let level = acr.rsplit(':').next().unwrap_or("1").to_owned();
    let closing = (person.status == PersonStatus::Closing)
        .then(|| tr.t("account.closing").replace("%{date}", &when(person.close_after.unwrap_or_default())));
    let page = OverviewPage {
        chrome,
        frame,
        name: person.name.clone(),
        document: format!("{} {}", tr.t(&format!("doc.{}", person.document.kind().as_str())), person.document.masked()),
        phone: person.phone.as_ref().map(|p| p.masked()).unwrap_or_default(),
        level: tr.t(&format!("level.{level}")),
        created: when(person.created_at),
        closing,
    };
    Ok(render(StatusCode::OK, &page))
}
