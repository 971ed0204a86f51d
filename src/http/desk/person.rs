//! GET /desk/people/{id} and its actions: the person's verifications, the in-person check that raises
//! them to the counter level, an in-person credential reset (recorded by one staff member, confirmed by
//! another; see `counter::reset`), and (supervisors) revoking a verification.

use super::{AtDesk, CheckForm, CheckValues, DeskFrame, desk_message, document_types, frame};
use crate::http::account::when;
use crate::http::error::AppError;
use crate::http::guard::{CsrfForm, csrf_field};
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::Person;
use crate::identity::phone::PhoneNumber;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

pub struct EvidenceView {
    pub id: String,
    pub method: String,
    pub at: String,
    pub outcome: String,
    pub revocable: bool,
}

#[derive(Template)]
#[template(path = "desk/person.html")]
struct PersonPage {
    chrome: Chrome,
    desk: DeskFrame,
    csrf: String,
    person_id: String,
    person_name: String,
    document: String,
    phone: String,
    level: String,
    evidence: Vec<EvidenceView>,
    resets: Vec<ResetView>,
    document_types: Vec<(&'static str, String)>,
    verify_values: CheckValues,
    reset_values: CheckValues,
}

/// A recorded reset waiting for a second staff member.
pub struct ResetView {
    pub id: String,
    pub summary: String,
    /// False for the staff member who recorded it: they cannot confirm it themselves.
    pub may_settle: bool,
}

#[derive(Deserialize)]
pub struct SettleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

csrf_field!(SettleForm);

#[derive(Template)]
#[template(path = "desk/slip.html")]
pub struct SlipPage {
    pub chrome: Chrome,
    pub desk: DeskFrame,
    pub person_name: String,
    pub document: String,
    /// Where the activation code went (masked): the slip never carries the code itself.
    pub sent_to: String,
    pub activate_url: String,
    pub valid: String,
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    evidence_id: String,
    #[serde(default)]
    reason: String,
}

csrf_field!(RevokeForm);

pub async fn get_person(
    State(state): State<AppState>,
    desk: AtDesk,
    session: Session,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let flash = match done.done.as_str() {
        key @ ("verified" | "revoked") => {
            let acr = state.assurance.acr_of(&id).await?;
            Some(format!("{} {}", desk.tr().t(&format!("desk.{key}")), level_name(&desk, &acr)))
        }
        key @ ("reset_recorded" | "reset_rejected") => Some(desk.tr().t(&format!("desk.{key}"))),
        "reset_confirmed" => {
            let phone = state.accounts.find(&id).await?.and_then(|p| p.phone).map(|p| p.masked()).unwrap_or_default();
            Some(desk.tr().t("desk.reset_confirmed").replace("%{phone}", &phone))
        }
        _ => None,
    };
    show(&state, &browser, &desk, &id, StatusCode::OK, flash, None).await
}

/// The action just completed, named by the redirect after it.
#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

pub async fn post_verify(
    State(state): State<AppState>,
    desk: AtDesk,
    session: Session,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<CheckForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    // A refusal names the form it is about and keeps what was typed in it.
    let kept = CheckValues::of(&form);
    let refuse = |status: StatusCode, message: String| {
        let message = format!("{}{}{message}", desk.tr().t("desk.verify_title"), desk.tr().colon());
        show_kept(&state, &browser, &desk, &id, status, None, Some(message), Some(("verify", kept.clone())))
    };
    let Some(person) = state.accounts.find(&id).await? else {
        return show(&state, &browser, &desk, &id, StatusCode::NOT_FOUND, None, None).await;
    };
    let check = match form.check(state.accounts.today(), desk.tr()) {
        Ok(check) => check,
        Err(reason) => return refuse(StatusCode::BAD_REQUEST, reason).await,
    };
    match state.desk.verify_person(&desk.seat, &person, &check).await {
        // Back to the person's page by GET, so that reloading it cannot record the check twice.
        Ok(_) => Ok(Redirect::to(&format!("/desk/people/{id}?done=verified")).into_response()),
        Err(error) => refuse(StatusCode::UNPROCESSABLE_ENTITY, desk_message(desk.tr(), &error)).await,
    }
}

pub async fn post_reset(
    State(state): State<AppState>,
    desk: AtDesk,
    session: Session,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<CheckForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    // A refusal names the form it is about and keeps what was typed in it.
    let kept = CheckValues::of(&form);
    let refuse = |status: StatusCode, message: String| {
        let message = format!("{}{}{message}", desk.tr().t("desk.reset_title"), desk.tr().colon());
        show_kept(&state, &browser, &desk, &id, status, None, Some(message), Some(("reset", kept.clone())))
    };
    let Some(person) = state.accounts.find(&id).await? else {
        return show(&state, &browser, &desk, &id, StatusCode::NOT_FOUND, None, None).await;
    };
    let check = match form.check(state.accounts.today(), desk.tr()) {
        Ok(check) => check,
        Err(reason) => return refuse(StatusCode::BAD_REQUEST, reason).await,
    };
    let new_phone = match form.new_phone.trim() {
        "" => None,
        text => match PhoneNumber::parse(text) {
            Ok(phone) => Some(phone),
            Err(_) => {
                return refuse(StatusCode::BAD_REQUEST, desk.tr().t("flow.bad_phone")).await;
            }
        },
    };
    match state.desk.record_reset(&desk.seat, &person, &check, new_phone).await {
        Ok(_) => Ok(Redirect::to(&format!("/desk/people/{id}?done=reset_recorded")).into_response()),
        Err(error) => refuse(StatusCode::UNPROCESSABLE_ENTITY, desk_message(desk.tr(), &error)).await,
    }
}

pub async fn post_revoke(
    State(state): State<AppState>,
    desk: AtDesk,
    session: Session,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    match state.desk.revoke_verification(&desk.seat, &form.evidence_id, &form.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/desk/people/{id}?done=revoked")).into_response()),
        Err(error) => {
            show(&state, &browser, &desk, &id, StatusCode::FORBIDDEN, None, Some(desk_message(desk.tr(), &error))).await
        }
    }
}

/// POST /desk/people/{id}/resets/{reset_id}: a second staff member confirms or rejects a recorded reset.
pub async fn post_settle_reset(
    State(state): State<AppState>,
    desk: AtDesk,
    session: Session,
    Path((id, reset_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<SettleForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let confirm = form.decision == "confirm";
    match state.desk.settle_reset(&desk.seat, &reset_id, confirm).await {
        Ok(Some(_)) => Ok(Redirect::to(&format!("/desk/people/{id}?done=reset_confirmed")).into_response()),
        Ok(None) => Ok(Redirect::to(&format!("/desk/people/{id}?done=reset_rejected")).into_response()),
        Err(error) => {
            show(&state, &browser, &desk, &id, StatusCode::FORBIDDEN, None, Some(desk_message(desk.tr(), &error))).await
        }
    }
}

/// GET /desk/people/{id}/slip: the slip handed to a person registered at the counter, which can be
/// reloaded and printed again.
pub async fn get_slip(
    State(state): State<AppState>,
    desk: AtDesk,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    match state.accounts.find(&id).await? {
        Some(person) => slip(&state, &desk, &person).await,
        None => Ok(crate::http::pages::error_page(StatusCode::NOT_FOUND, desk.signed.locale, "desk.not_found", None)),
    }
}

/// The printable slip handed to a person registered at the desk: what to do next, and where the
/// activation code went. It never shows the code.
async fn slip(state: &AppState, desk: &AtDesk, person: &Person) -> Result<Response, AppError> {
    let tr = desk.tr();
    let (chrome, frame) = frame(state, desk).await?;
    let page = SlipPage {
        chrome,
        desk: frame,
        person_name: person.name.clone(),
        document: person.document.masked(),
        sent_to: person.phone.as_ref().map(|p| p.masked()).unwrap_or_default(),
        activate_url: state.provider.endpoint(crate::paths::ACTIVATE),
        valid: tr.t("desk.slip_valid").replace("%{days}", "7"),
    };
    Ok(render(StatusCode::OK, &page))
}

fn level_name(desk: &AtDesk, acr: &str) -> String {
    desk.tr().t(&format!("level.{}", acr.rsplit(':').next().unwrap_or("1")))
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    desk: &AtDesk,
    person_id: &str,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    show_kept(state, browser, desk, person_id, status, flash, error, None).await
}

/// The person's page; `kept` is the form ("verify" or "reset") that was refused, with what it held.
#[allow(clippy::too_many_arguments)]
async fn show_kept(
    state: &AppState,
    browser: &Browser<'_>,
    desk: &AtDesk,
    person_id: &str,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    kept: Option<(&'static str, CheckValues)>,
) -> Result<Response, AppError> {
    let tr = desk.tr();
    let (chrome, mut frame) = frame(state, desk).await?;
    frame.flash = flash;
    frame.error = error;
    let Some(person) = state.accounts.find(person_id).await? else {
        return Ok(crate::http::pages::error_page(StatusCode::NOT_FOUND, desk.signed.locale, "desk.not_found", None));
    };
    let evidence_rows = state.assurance.evidence().of(person_id).await?;
    let acr = state.assurance.ladder().acr_at(state.assurance.ladder().rank_of(&evidence_rows)).to_owned();
    let evidence = evidence_rows
        .into_iter()
        .map(|e| EvidenceView {
            revocable: desk.seat.supervisor && e.revoked_at.is_none() && e.outcome == "passed",
            method: tr.t(&format!("method.{}", e.method)),
            at: when(e.created_at),
            outcome: if e.revoked_at.is_some() {
                tr.t("desk.outcome_revoked")
            } else {
                tr.t(&format!("desk.outcome_{}", e.outcome))
            },
            id: e.id,
        })
        .collect();
    let mut resets = Vec::new();
    for reset in state.desk.open_resets(person_id).await? {
        let recorder = state.accounts.find(&reset.recorded_by).await?.map(|p| p.name).unwrap_or_default();
        let summary = tr
            .t(if reset.new_phone.is_some() { "desk.reset_pending_phone" } else { "desk.reset_pending" })
            .replace("%{staff}", &recorder)
            .replace("%{at}", &when(reset.recorded_at))
            .replace("%{phone}", reset.new_phone.as_deref().unwrap_or_default());
        resets.push(ResetView { may_settle: reset.recorded_by != desk.seat.person_id, id: reset.id, summary });
    }
    let page = PersonPage {
        chrome,
        desk: frame,
        csrf: browser.csrf_token().await?,
        person_id: person.id.clone(),
        person_name: person.name.clone(),
        document: format!("{} {}", tr.t(&format!("doc.{}", person.document.kind().as_str())), person.document.masked()),
        phone: person.phone.as_ref().map(|p| p.masked()).unwrap_or_default(),
        level: level_name(desk, &acr),
        evidence,
        resets,
        document_types: document_types(tr),
        verify_values: kept.as_ref().filter(|(form, _)| *form == "verify").map(|(_, v)| v.clone()).unwrap_or_default(),
        reset_values: kept.filter(|(form, _)| *form == "reset").map(|(_, v)| v).unwrap_or_default(),
    };
    Ok(render(status, &page))
}
