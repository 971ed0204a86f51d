//! The counter desk: pages for staff at a service hall, designed for speed (keyboard first, one screen per
//! task). Every page needs a staff or supervisor role at a hall and a sign-in with a passkey in this
//! session; without them it refuses with the reason.

pub mod find;
pub mod orgs;
pub mod person;
pub mod register;
pub mod stats;

use super::account::{Signed, signed_in};
use super::client_ip::ClientIp;
use super::error::AppError;
use super::guard;
use super::i18n::Tr;
use super::pages::{Chrome, error_page, render};
use super::session::Browser;
use super::state::AppState;
use crate::counter::{DeskError, InPersonCheck, StaffSeat};
use crate::identity::document::{DocumentKind, IdDocument};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// What every desk page shows around its task.
pub struct DeskFrame {
    pub hall_name: String,
    pub staff_name: String,
    pub supervisor: bool,
    pub flash: Option<String>,
    pub error: Option<String>,
}

/// A staff member at their desk.
pub struct AtDesk {
    pub signed: Signed,
    pub seat: StaffSeat,
}

impl AtDesk {
    pub fn tr(&self) -> Tr {
        self.signed.tr()
    }
}

/// A desk page reached without a passkey sign-in: the passkey step, or the way to a first passkey.
#[derive(askama::Template)]
#[template(path = "desk/needs_passkey.html")]
struct NeedsPasskeyPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    has_passkey: bool,
}

/// The staff member at their desk, signed in with a passkey; else the passkey step, the way to a first
/// passkey, or the page that says they are not staff.
impl FromRequestParts<AppState> for AtDesk {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = guard::session(parts, state).await?;
        let ClientIp(peer) = ClientIp::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let here = guard::here(parts);
        guard::settle(at_desk(state, &Browser(&session), &parts.headers, &here, Some(peer.to_string())).await)
    }
}

async fn at_desk(
    state: &AppState,
    browser: &Browser<'_>,
    headers: &HeaderMap,
    here: &str,
    ip: Option<String>,
) -> Result<Result<AtDesk, Response>, AppError> {
    let signed = match signed_in(state, browser, headers, here).await? {
        Ok(signed) => signed,
        Err(redirect) => return Ok(Err(redirect)),
    };
    if !signed.login.amr.iter().any(|m| m.is_passkey()) {
        // The passkey step is offered here, and for a first-time staff member the way to add one.
        let has_passkey = match &state.passkeys {
            Some(passkeys) => passkeys.has_any(&signed.person.id).await?,
            None => false,
        };
        let page = NeedsPasskeyPage {
            chrome: Chrome::new(signed.locale, here),
            csrf: browser.csrf_token().await?,
            next: here.to_owned(),
            has_passkey,
        };
        return Ok(Err(render(StatusCode::FORBIDDEN, &page)));
    }
    match state.desk.seat(&signed.person.id, None, ip).await {
        Ok(seat) => Ok(Ok(AtDesk { signed, seat })),
        Err(DeskError::NotStaff) => Ok(Err(error_page(StatusCode::FORBIDDEN, signed.locale, "desk.not_staff", None))),
        Err(error) => Err(AppError::from(error)),
    }
}

pub async fn frame(state: &AppState, desk: &AtDesk) -> Result<(Chrome, DeskFrame), AppError> {
    let hall_name = state.halls.find(&desk.seat.hall_id).await?.map(|h| h.name).unwrap_or_default();
    let frame = DeskFrame {
        hall_name,
        staff_name: desk.signed.person.name.clone(),
        supervisor: desk.seat.supervisor,
        flash: None,
        error: None,
    };
    Ok((Chrome::new(desk.signed.locale, crate::paths::DESK), frame))
}

pub fn document_types(tr: Tr) -> Vec<(&'static str, String)> {
    DocumentKind::ALL.iter().map(|kind| (kind.as_str(), tr.t(&format!("doc.{}", kind.as_str())))).collect()
}

/// What a desk form had in it, shown again when it is refused so that nothing has to be typed twice.
#[derive(Debug, Clone, Default)]
pub struct CheckValues {
    pub document_type: String,
    pub document_number: String,
    pub name: String,
    pub valid_until: String,
    pub face_matches: bool,
    pub phone: String,
    pub new_phone: String,
}

impl CheckValues {
    pub fn of(form: &CheckForm) -> Self {
        let keep = |text: &str| text.trim().chars().take(64).collect::<String>();
        Self {
            document_type: keep(&form.document_type),
            document_number: keep(&form.document_number),
            name: keep(&form.name),
            valid_until: keep(&form.valid_until),
            face_matches: form.face_matches == "yes",
            phone: keep(&form.phone),
            new_phone: keep(&form.new_phone),
        }
    }
}

/// The fields of an in-person check, as the desk forms send them.
#[derive(Deserialize, Default)]
pub struct CheckForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub document_type: String,
    #[serde(default)]
    pub document_number: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub valid_until: String,
    #[serde(default)]
    pub face_matches: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub new_phone: String,
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub org_name: String,
    #[serde(default)]
    pub kind: String,
}

guard::csrf_field!(CheckForm);

impl CheckForm {
    /// The check as recorded, or the reason the form cannot be one.
    pub fn check(&self, today: u32, tr: Tr) -> Result<InPersonCheck, String> {
        let kind = DocumentKind::parse(&self.document_type).unwrap_or(DocumentKind::ResidentId);
        let document = IdDocument::parse(kind, &self.document_number, today)
            .map_err(|reason| super::register::document_message(tr, &reason))?;
        let valid_until = match self.valid_until.trim() {
            "" => None,
            date => Some(date.replace('-', "").parse::<u32>().map_err(|_| tr.t("desk_error.valid_until"))?),
        };
        Ok(InPersonCheck {
            document,
            name: self.name.trim().to_owned(),
            valid_until,
            face_matches: self.face_matches == "yes",
            approve: self.outcome == "approve",
        })
    }
}

/// The staff-facing text of a desk refusal, in the page's language.
pub fn desk_message(tr: Tr, error: &DeskError) -> String {
    let key = match error {
        DeskError::NotStaff => "desk.not_staff",
        DeskError::NotSupervisor => "desk_error.not_supervisor",
        DeskError::DocumentMismatch => "desk_error.document_mismatch",
        DeskError::NameMismatch => "desk_error.name_mismatch",
        DeskError::DocumentExpired => "desk_error.expired",
        DeskError::FaceNotConfirmed => "desk_error.face",
        DeskError::UnknownPerson => "desk.not_found",
        DeskError::AlreadyRegistered => "desk_error.already_registered",
        DeskError::SameStaff => "desk_error.same_staff",
        DeskError::AlreadySettled => "desk_error.settled",
        DeskError::UnknownVerification => "desk_error.unknown_verification",
        DeskError::NoPhone => "desk_error.no_phone",
        DeskError::OtherHall => "desk_error.other_hall",
        DeskError::ResetExpired => "desk_error.reset_expired",
        DeskError::UnknownReset => "desk_error.unknown_reset",
        DeskError::PhoneNeeded => "desk_error.phone_needed",
        DeskError::OrgNameNeeded => "desk_error.org_name_needed",
        DeskError::ReasonNeeded => "desk_error.reason_needed",
        DeskError::Password(reason) => return crate::http::password_reset::policy_message(tr, reason),
        DeskError::Uscc(reason) => return uscc_message(tr, reason),
        DeskError::Org(error) => return crate::http::account::organisations::org_message(tr, error),
        DeskError::Store(_) | DeskError::Corrupt(_) | DeskError::Internal(_) => "error.server",
    };
    tr.t(key)
}

/// Why a Unified Social Credit Code was refused, in the page's language.
pub fn uscc_message(tr: Tr, error: &crate::identity::uscc::UsccError) -> String {
    use crate::identity::uscc::UsccError;
    match error {
        UsccError::Length(count) => tr.t("uscc.length").replace("%{count}", &count.to_string()),
        UsccError::Character(c) => tr.t("uscc.character").replace("%{char}", &c.to_string()),
        UsccError::Area => tr.t("uscc.area"),
        UsccError::Checksum { expected, found } => {
            tr.t("uscc.checksum").replace("%{expected}", &expected.to_string()).replace("%{found}", &found.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::i18n::Locale;
    use crate::identity::organisation::OrgError;
    use crate::identity::password::PasswordPolicyError;
    use crate::identity::uscc::UsccError;

    /// Every refusal the desk can meet, nested domain errors included: none may reach counter staff in the
    /// service's English or as a bare message key.
    #[test]
    fn every_desk_refusal_reads_in_the_pages_language() {
        let all = [
            DeskError::NotStaff,
            DeskError::NotSupervisor,
            DeskError::DocumentMismatch,
            DeskError::NameMismatch,
            DeskError::DocumentExpired,
            DeskError::FaceNotConfirmed,
            DeskError::UnknownPerson,
            DeskError::AlreadyRegistered,
            DeskError::SameStaff,
            DeskError::AlreadySettled,
            DeskError::UnknownVerification,
            DeskError::NoPhone,
            DeskError::OtherHall,
            DeskError::ResetExpired,
            DeskError::UnknownReset,
            DeskError::PhoneNeeded,
            DeskError::OrgNameNeeded,
            DeskError::ReasonNeeded,
            DeskError::Password(PasswordPolicyError::TooShort),
            DeskError::Password(PasswordPolicyError::TooLong),
            DeskError::Password(PasswordPolicyError::TooCommon),
            DeskError::Password(PasswordPolicyError::PersonalInfo),
            DeskError::Password(PasswordPolicyError::TooGuessable),
            DeskError::Uscc(UsccError::Length(17)),
            DeskError::Uscc(UsccError::Character('I')),
            DeskError::Uscc(UsccError::Area),
            DeskError::Uscc(UsccError::Checksum { expected: 'A', found: 'B' }),
            DeskError::Org(OrgError::Duplicate),
            DeskError::Org(OrgError::AlreadyMember),
            DeskError::Org(OrgError::RepresentativeIsPermanent),
            DeskError::Corrupt("x".into()),
            DeskError::Internal("x".into()),
            DeskError::Store(crate::store::StoreError::Corrupt("x".into())),
        ];
        for error in &all {
            let zh = desk_message(Tr(Locale::ZhCn), error);
            assert!(!zh.is_ascii(), "{error:?} reaches a Chinese page as {zh:?}");
            for key in ["desk_error.", "desk.", "uscc.", "orgs.", "error."] {
                assert!(!zh.contains(key), "{error:?}: a bare message key {zh:?}");
            }
            let en = desk_message(Tr(Locale::En), error);
            assert!(en != zh && !en.contains("desk_error."), "{error:?} in English: {en:?}");
        }
    }
}
