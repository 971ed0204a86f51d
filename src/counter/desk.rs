//! What a staff member does at the desk. Each workflow checks the staff member's seat (a staff or
//! supervisor role at a hall), validates what was checked in person, writes the verification evidence and
//! the audit entry with the hall, and tells the person by SMS.

use super::codes::{CodePurpose, CounterCodes};
use super::halls::Halls;
use crate::assurance::{Assurance, Method, NewEvidence};
use crate::audit::{Actor, ActorRole, Audit, Event};
use crate::clock::SharedClock;
use crate::crypto::Keyring;
use crate::identity::document::IdDocument;
use crate::identity::organisation::{OrgKind, Organisations};
use crate::identity::phone::PhoneNumber;
use crate::identity::roles::{RoleKind, Roles};
use crate::identity::sign_out::SharedSignOut;
use crate::identity::uscc::Uscc;
use crate::identity::{AccountError, Accounts, NewCitizen, Person};
use crate::sms::SharedSms;
use crate::store::halls::OrgVerificationRow;
use crate::store::{Database, StoreError};
use serde_json::json;
use std::sync::Arc;

/// Activation codes from the desk stay valid this long.
pub(super) const ACTIVATION_DAYS: i64 = 7;

/// Where a staff member sits: their hall and whether they supervise it.
#[derive(Debug, Clone)]
pub struct StaffSeat {
    pub person_id: String,
    pub hall_id: String,
    pub supervisor: bool,
    pub origin: Option<String>,
}

impl StaffSeat {
    pub(super) fn actor(&self) -> Actor {
        Actor {
            id: Some(self.person_id.clone()),
            role: if self.supervisor { ActorRole::Supervisor } else { ActorRole::Staff },
            hall_id: Some(self.hall_id.clone()),
            origin: self.origin.clone(),
        }
    }
}

/// What the staff member checked with the physical document in hand.
#[derive(Debug, Clone)]
pub struct InPersonCheck {
    pub document: IdDocument,
    pub name: String,
    /// The document's expiry date (YYYYMMDD); None for documents that do not expire.
    pub valid_until: Option<u32>,
    pub face_matches: bool,
    pub approve: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("you hold no staff role at this hall")]
    NotStaff,
    #[error("only a supervisor may do this")]
    NotSupervisor,
    #[error("the document number does not match the account's")]
    DocumentMismatch,
    #[error("the name does not match the account's")]
    NameMismatch,
    #[error("the document has expired")]
    DocumentExpired,
    #[error("approval needs the face to match the document holder")]
    FaceNotConfirmed,
    #[error("no account matches")]
    UnknownPerson,
    #[error("an account with this document or phone number already exists")]
    AlreadyRegistered,
    #[error("the same staff member cannot confirm their own verification")]
    SameStaff,
    #[error("this verification was already settled")]
    AlreadySettled,
    #[error("no such verification")]
    UnknownVerification,
    #[error("the person has no phone to receive the activation code; enter a new phone number")]
    NoPhone,
    #[error("only staff of the hall that recorded this, or of a hall above it, may settle it")]
    OtherHall,
    #[error("this reset waited more than a day for its confirmation; record it again")]
    ResetExpired,
    #[error("no such reset")]
    UnknownReset,
    #[error("a mobile number is needed to receive notices")]
    PhoneNeeded,
    #[error("the organisation needs its registered name")]
    OrgNameNeeded,
    #[error("give the reason for the revocation")]
    ReasonNeeded,
    #[error(transparent)]
    Password(#[from] crate::identity::password::PasswordPolicyError),
    #[error(transparent)]
    Uscc(#[from] crate::identity::uscc::UsccError),
    #[error(transparent)]
    Org(#[from] crate::identity::organisation::OrgError),
    #[error("stored record is unusable: {0}")]
    Corrupt(String),
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccountError> for DeskError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::DuplicateIdNumber | AccountError::DuplicatePhone => DeskError::AlreadyRegistered,
            AccountError::Policy(reason) => DeskError::Password(reason),
            AccountError::Internal(detail) => DeskError::Internal(detail),
        }
    }
}

/// The outcome of an in-person check.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    pub approved: bool,
    pub acr: String,
}

#[derive(Clone)]
pub struct Desk {
    pub db: Database,
    pub accounts: Arc<Accounts>,
    pub assurance: Assurance,
    pub orgs: Organisations,
    pub roles: Roles,
    pub halls: Halls,
    pub codes: CounterCodes,
    pub audit: Audit,
    pub keyring: Keyring,
    pub sign_out: SharedSignOut,
    /// The address where an account opened or reset at a counter sets its password.
    pub activate_url: String,
    pub sms: SharedSms,
    pub clock: SharedClock,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Desk")
    }
}

impl Desk {
    /// The seat of a staff member at a hall (the first hall they serve when none is named).
    pub async fn seat(
        &self,
        person_id: &str,
        hall_id: Option<&str>,
        origin: Option<String>,
    ) -> Result<StaffSeat, DeskError> {
        let roles = self.roles.of(person_id).await.map_err(|e| DeskError::Internal(e.into()))?;
        let seats: Vec<_> = roles
            .iter()
            .filter(|r| matches!(r.kind, RoleKind::HallStaff | RoleKind::HallSupervisor))
            .filter_map(|r| Some((r.scope_id.clone()?, r.kind == RoleKind::HallSupervisor)))
            .collect();
        let chosen = match hall_id {
            Some(hall) => seats.iter().filter(|(h, _)| h == hall).max_by_key(|(_, s)| *s),
            None => seats.iter().max_by_key(|(_, s)| *s),
        };
        let (hall_id, supervisor) = chosen.cloned().ok_or(DeskError::NotStaff)?;
        Ok(StaffSeat { person_id: person_id.to_owned(), hall_id, supervisor, origin })
    }

    /// Records an in-person check of a person's document and face. Approval raises the person to the
    /// counter level at once and tells them by SMS.
    pub async fn verify_person(
        &self,
        seat: &StaffSeat,
        person: &Person,
        check: &InPersonCheck,
    ) -> Result<CheckOutcome, DeskError> {
        self.matches(person, check)?;
        if check.approve && !check.face_matches {
            return Err(DeskError::FaceNotConfirmed);
        }
        let evidence = NewEvidence {
            person_id: &person.id,
            method: Method::Counter,
            verifier: &seat.person_id,
            hall_id: Some(&seat.hall_id),
            passed: check.approve,
            reference: Some(format!("{}:{}", check.document.kind().as_str(), check.document.masked())),
            adapter: None,
        };
        self.assurance.evidence().record(evidence).await?;
        let acr = self.assurance.acr_of(&person.id).await?;
        let detail = json!({ "document": check.document.kind().as_str(), "approved": check.approve, "face_matches": check.face_matches, "level": acr });
        self.audit(seat, "counter.verify", "person", &person.id, detail).await?;
        if check.approve {
            self.notify(
                person,
                "您已在政务服务大厅完成现场实名核验，账号认证等级已提升为四级。如非本人操作，请立即联系我们。",
            )
            .await;
        }
        Ok(CheckOutcome { approved: check.approve, acr })
    }

    /// Creates an account for someone without one, from details checked in person, and sends them by SMS
    /// the activation code with which they set their own password.
    pub async fn assisted_registration(
        &self,
        seat: &StaffSeat,
        check: &InPersonCheck,
        phone: Option<PhoneNumber>,
    ) -> Result<Person, DeskError> {
        if !check.approve || !check.face_matches {
            return Err(DeskError::FaceNotConfirmed);
        }
        self.valid_document(check)?;
        let Some(phone) = phone else {
            return Err(DeskError::PhoneNeeded);
        };
        let citizen = || NewCitizen {
            name: check.name.clone(),
            document: check.document.clone(),
            phone: Some(phone.clone()),
            phone_verified: true,
            password: None,
        };
        let person = match self.accounts.register_citizen(citizen()).await {
            Err(AccountError::DuplicateIdNumber) if self.reclaim_from_claimant(seat, check).await? => {
                self.accounts.register_citizen(citizen()).await?
            }
            other => other?,
        };
        let evidence = NewEvidence {
            person_id: &person.id,
            method: Method::Counter,
            verifier: &seat.person_id,
            hall_id: Some(&seat.hall_id),
            passed: true,
            reference: Some(format!("{}:{}", check.document.kind().as_str(), check.document.masked())),
            adapter: None,
        };
        self.assurance.evidence().record(evidence).await?;
        let code = self.codes.issue(&person.id, CodePurpose::Activation, ACTIVATION_DAYS).await?;
        self.audit(
            seat,
            "counter.register",
            "person",
            &person.id,
            json!({ "document": check.document.kind().as_str() }),
        )
        .await?;
        // The code goes to the person's phone only: whoever sees it can set the account's password.
        if let Some(phone) = &person.phone {
            let text = format!(
                "您的统一身份认证账号已在政务服务大厅开通。激活码 {code}，{ACTIVATION_DAYS} 天内有效，请在 {} 设置密码。请勿告诉任何人，包括工作人员。",
                self.activate_url
            );
            crate::sms::send_account_notice(self.sms.as_ref(), phone, &text).await;
        }
        Ok(person)
    }

    /// Records an organisation's licence and representative as checked; it takes effect only when a
    /// second staff member confirms.
    pub async fn record_organisation(
        &self,
        seat: &StaffSeat,
        uscc: &Uscc,
        name: &str,
        kind: OrgKind,
        representative: &Person,
        check: &InPersonCheck,
    ) -> Result<String, DeskError> {
        self.matches(representative, check)?;
        if !check.approve || !check.face_matches {
            return Err(DeskError::FaceNotConfirmed);
        }
        if name.trim().is_empty() {
            return Err(DeskError::OrgNameNeeded);
        }
        let row = OrgVerificationRow {
            id: uuid::Uuid::now_v7().to_string(),
            uscc: uscc.as_str().to_owned(),
            name: name.trim().to_owned(),
            kind: kind.as_str().to_owned(),
            representative: representative.id.clone(),
            hall_id: seat.hall_id.clone(),
            recorded_by: seat.person_id.clone(),
            recorded_at: self.clock.now(),
            confirmed_by: None,
            confirmed_at: None,
            rejected_at: None,
            org_id: None,
            evidence: Some(
                json!({
                    "document_kind": check.document.kind().as_str(),
                    "valid_until": check.valid_until,
                    "face_matched": check.face_matches,
                })
                .to_string(),
            ),
        };
        self.db.insert_org_verification(&row).await?;
        let detail = json!({ "uscc": row.uscc, "name": row.name, "representative": representative.id });
        self.audit(seat, "counter.org.record", "org_verification", &row.id, detail).await?;
        Ok(row.id)
    }

    /// The second staff member confirms (or rejects) an organisation verification. Confirmation creates
    /// the organisation if new and binds the representative.
    pub async fn settle_organisation(
        &self,
        seat: &StaffSeat,
        verification_id: &str,
        confirm: bool,
    ) -> Result<Option<String>, DeskError> {
        let verification =
            self.db.find_org_verification(verification_id).await?.ok_or(DeskError::UnknownVerification)?;
        if verification.confirmed_at.is_some() || verification.rejected_at.is_some() {
            return Err(DeskError::AlreadySettled);
        }
        if verification.recorded_by == seat.person_id {
            return Err(DeskError::SameStaff);
        }
        if !self.serves(seat, &verification.hall_id).await? {
            return Err(DeskError::OtherHall);
        }
        let actor = seat.actor();
        if !confirm {
            if !self.db.settle_org_verification(verification_id, &seat.person_id, self.clock.now(), None).await? {
                return Err(DeskError::AlreadySettled);
            }
            self.audit(
                seat,
                "counter.org.reject",
                "org_verification",
                verification_id,
                json!({ "uscc": verification.uscc }),
            )
            .await?;
            return Ok(None);
        }
        let uscc = Uscc::parse(&verification.uscc)?;
        let org = match self.orgs.find_by_uscc(&uscc).await? {
            Some(org) => org,
            None => {
                let kind = OrgKind::parse(&verification.kind).unwrap_or(OrgKind::Other);
                self.orgs.create(&uscc, &verification.name, kind, &actor).await?
            }
        };
        // Settling first makes a second, simultaneous confirmation fail instead of binding twice.
        if !self.db.settle_org_verification(verification_id, &seat.person_id, self.clock.now(), Some(&org.id)).await? {
            return Err(DeskError::AlreadySettled);
        }
        self.orgs.bind_representative(&org.id, &verification.representative, &actor).await?;
        let detail = json!({ "uscc": org.uscc, "org_id": org.id, "recorded_by": verification.recorded_by });
        self.audit(seat, "counter.org.confirm", "org_verification", verification_id, detail).await?;
        Ok(Some(org.id))
    }

    /// A supervisor revokes a verification: the level drops at once, the person's sessions and tokens
    /// end, and the person is told.
    pub async fn revoke_verification(
        &self,
        seat: &StaffSeat,
        evidence_id: &str,
        reason: &str,
    ) -> Result<String, DeskError> {
        if !seat.supervisor {
            return Err(DeskError::NotSupervisor);
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(DeskError::ReasonNeeded);
        }
        let person_id = self
            .assurance
            .evidence()
            .revoke(evidence_id, &seat.person_id, reason)
            .await?
            .ok_or(DeskError::UnknownVerification)?;
        self.sign_out.end_sessions(&person_id, "verification revoked").await.map_err(DeskError::Internal)?;
        self.sign_out.revoke_grants(&person_id, "verification revoked").await.map_err(DeskError::Internal)?;
        let acr = self.assurance.acr_of(&person_id).await?;
        self.audit(
            seat,
            "counter.revoke",
            "person",
            &person_id,
            json!({ "evidence_id": evidence_id, "reason": reason, "level": acr }),
        )
        .await?;
        if let Some(person) = self.accounts.find(&person_id).await.map_err(|e| DeskError::Internal(e.into()))? {
            self.notify(&person, "您账号的一项实名核验已被撤销，请重新登录。如有疑问，请到政务服务大厅咨询。").await;
        }
        Ok(acr)
    }

    /// Organisation verifications awaiting a second staff member in the seat's hall and below.
    pub async fn open_verifications(&self, seat: &StaffSeat) -> Result<Vec<OrgVerificationRow>, StoreError> {
        let halls: Vec<String> = self.halls.subtree(&seat.hall_id).await?.into_iter().map(|h| h.id).collect();
        self.db.open_org_verifications(&halls).await
    }

    /// Counter tasks per hall and kind for one day (unix seconds from `day_start`), the seat's hall and
    /// below: (hall name, task, count).
    pub async fn volume(&self, seat: &StaffSeat, day_start: i64) -> Result<Vec<(String, String, i64)>, StoreError> {
        let halls = self.halls.subtree(&seat.hall_id).await?;
        let ids: Vec<String> = halls.iter().map(|h| h.id.clone()).collect();
        let rows = self.db.counter_volume(&ids, day_start, day_start + 86_400).await?;
        Ok(rows
            .into_iter()
            .map(|(hall, action, count)| {
                (halls.iter().find(|h| h.id == hall).map(|h| h.name.clone()).unwrap_or(hall), action, count)
            })
            .collect())
    }

    /// The holder of a document, checked here in person, takes it back from an account that registered it
    /// without proving it (level 1); true when it was taken back. An account verified beyond that keeps
    /// it: that conflict is for a supervisor, not for this desk.
    async fn reclaim_from_claimant(&self, seat: &StaffSeat, check: &InPersonCheck) -> Result<bool, DeskError> {
        let Some(claimant) = self.unproven_holder(&check.document).await? else { return Ok(false) };
        self.take_back(&claimant, &seat.actor(), "counter", &check.document).await?;
        Ok(true)
    }

    pub(super) fn matches(&self, person: &Person, check: &InPersonCheck) -> Result<(), DeskError> {
        if person.document != check.document {
            return Err(DeskError::DocumentMismatch);
        }
        if person.name != check.name.trim() {
            return Err(DeskError::NameMismatch);
        }
        self.valid_document(check)
    }

    fn valid_document(&self, check: &InPersonCheck) -> Result<(), DeskError> {
        if check.valid_until.is_some_and(|until| until < self.accounts.today()) {
            return Err(DeskError::DocumentExpired);
        }
        Ok(())
    }

    pub(super) async fn audit(
        &self,
        seat: &StaffSeat,
        action: &'static str,
        subject_type: &'static str,
        subject_id: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        self.audit
            .record(&seat.actor(), Event { action, subject_type, subject_id: Some(subject_id.to_owned()), detail })
            .await
            .map(|_| ())
    }

    /// Tells a person about a change to their account; a failed SMS is logged, not fatal.
    async fn notify(&self, person: &Person, text: &str) {
        if let Some(phone) = &person.phone {
            crate::sms::send_account_notice(self.sms.as_ref(), phone, text).await;
        }
    }
}
