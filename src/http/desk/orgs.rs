//! GET/POST /desk/orgs and POST /desk/orgs/{id}/settle: verifying an organisation's business licence and
//! legal representative, which takes effect only when a second staff member confirms (four eyes).

use super::{AtDesk, CheckForm, CheckValues, DeskFrame, desk_message, document_types, frame};
use crate::http::error::AppError;
use crate::http::guard::{CsrfForm, csrf_field};
use crate::http::i18n::Tr;
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::organisation::OrgKind;
use crate::identity::uscc::Uscc;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

pub struct PendingView {
    pub id: String,
    pub uscc: String,
    pub name: String,
    pub kind: String,
    pub representative: String,
    pub recorded_by: String,
    pub recorded_at: String,
    /// What the first staff member checked of the representative, for the second to judge.
    pub evidence: String,
    pub can_settle: bool,
}

#[derive(Template)]
#[template(path = "desk/orgs.html")]
struct OrgsPage {
    chrome: Chrome,
    desk: DeskFrame,
    csrf: String,
    pending: Vec<PendingView>,
    kinds: Vec<(&'static str, String)>,
    document_types: Vec<(&'static str, String)>,
    values: CheckValues,
    uscc: String,
    org_name: String,
}

#[derive(Deserialize)]
pub struct SettleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

csrf_field!(SettleForm);

pub async fn get_orgs(State(state): State<AppState>, desk: AtDesk, session: Session) -> Result<Response, AppError> {
    let browser = Browser(&session);
    show(&state, &browser, &desk, StatusCode::OK, None, None, None).await
}

pub async fn post_record(
    State(state): State<AppState>,
    desk: AtDesk,
    session: Session,
    CsrfForm(form): CsrfForm<CheckForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = desk.tr();
    let fail = |message: String| {
        show(&state, &browser, &desk, StatusCode::UNPROCESSABLE_ENTITY, None, Some(message), Some(&form))
    };
    let uscc = match Uscc::parse(&form.uscc) {
        Ok(uscc) => uscc,
        Err(reason) => return fail(super::uscc_message(tr, &reason)).await,
    };
    let check = match form.check(state.accounts.today(), desk.tr()) {
        Ok(check) => check,
        Err(reason) => return fail(reason).await,
    };
    let Some(representative) = state.accounts.find_by_login_identifier(check.document.number()).await? else {
        return fail(tr.t("desk.not_found")).await;
    };
    let kind = OrgKind::parse(&form.kind).unwrap_or(OrgKind::Enterprise);
    match state.desk.record_organisation(&desk.seat, &uscc, &form.org_name, kind, &representative, &check).await {
        Ok(_) => show(&state, &browser, &desk, StatusCode::OK, Some(tr.t("desk.recorded")), None, None).await,
        Err(error) => fail(desk_message(tr, &error)).await,
    }
}

pub async fn post_settle(
    State(state): State<AppState>,
    desk: AtDesk,
    session: Session,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<SettleForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = desk.tr();
    match state.desk.settle_organisation(&desk.seat, &id, form.decision == "confirm").await {
        Ok(Some(_)) => show(&state, &browser, &desk, StatusCode::OK, Some(tr.t("desk.confirmed")), None, None).await,
        Ok(None) => show(&state, &browser, &desk, StatusCode::OK, Some(tr.t("desk.rejected")), None, None).await,
        Err(error) => {
            let message = Some(desk_message(tr, &error));
            show(&state, &browser, &desk, StatusCode::UNPROCESSABLE_ENTITY, None, message, None).await
        }
    }
}

async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    desk: &AtDesk,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    kept: Option<&CheckForm>,
) -> Result<Response, AppError> {
    let tr = desk.tr();
    let (chrome, mut frame) = frame(state, desk).await?;
    frame.flash = flash;
    frame.error = error;
    let mut pending = Vec::new();
    for v in state.desk.open_verifications(&desk.seat).await? {
        let representative = state
            .accounts
            .find(&v.representative)
            .await?
            .map(|p| format!("{} {}", p.name, p.document.masked()))
            .unwrap_or_default();
        let recorded_by = state.accounts.find(&v.recorded_by).await?.map(|p| p.name).unwrap_or_default();
        pending.push(PendingView {
            can_settle: v.recorded_by != desk.seat.person_id,
            evidence: evidence_text(tr, v.evidence.as_deref()),
            kind: tr.t(&format!("kind.{}", v.kind)),
            recorded_at: crate::http::account::when(v.recorded_at),
            id: v.id,
            uscc: v.uscc,
            name: v.name,
            representative,
            recorded_by,
        });
    }
    let kinds = OrgKind::ALL.iter().map(|k| (k.as_str(), tr.t(&format!("kind.{}", k.as_str())))).collect();
    let page = OrgsPage {
        chrome,
        desk: frame,
        csrf: browser.csrf_token().await?,
        pending,
        kinds,
        document_types: document_types(tr),
        values: kept.map(CheckValues::of).unwrap_or_default(),
        uscc: kept.map(|f| f.uscc.trim().chars().take(32).collect()).unwrap_or_default(),
        org_name: kept.map(|f| f.org_name.trim().chars().take(100).collect()).unwrap_or_default(),
    };
    Ok(render(status, &page))
}

/// The recorded check of the representative as one line: the document, its validity, the face match.
fn evidence_text(tr: Tr, evidence: Option<&str>) -> String {
    let Some(value) = evidence.and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok()) else {
        return tr.t("desk.evidence_unrecorded");
    };
    let mut parts = Vec::new();
    if let Some(kind) = value["document_kind"].as_str() {
        parts.push(tr.t(&format!("doc.{kind}")));
    }
    parts.push(match value["valid_until"].as_u64() {
        Some(date) => tr
            .t("desk.evidence_valid_until")
            .replace("%{date}", &format!("{}-{:02}-{:02}", date / 10_000, date / 100 % 100, date % 100)),
        None => tr.t("desk.evidence_no_expiry"),
    });
    parts.push(tr.t(if value["face_matched"].as_bool() == Some(true) {
        "desk.evidence_face_matched"
    } else {
        "desk.evidence_face_not_matched"
    }));
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::i18n::Locale;

    #[test]
    fn the_recorded_check_reads_as_one_line() {
        let recorded = r#"{"document_kind":"resident_id","valid_until":20360101,"face_matched":true}"#;
        assert_eq!(
            evidence_text(Tr(Locale::ZhCn), Some(recorded)),
            "居民身份证 · 有效期至 2036-01-01 · 人像与证件一致"
        );
        assert_eq!(evidence_text(Tr(Locale::ZhCn), None), "未记录核验细节", "older verifications say so");
    }
}
