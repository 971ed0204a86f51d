//! Passkey enrolment codes. The desk asks for a passkey because a password and a phone in the same hands
//! must not be enough; a staff member's or administrator's first passkey is therefore added either after a
//! recent two-factor sign-in or with a one-time code handed over in person by a platform administrator
//! (from the command line) or a supervisor of the staff member's hall. Codes expire after a day and work
//! once; issuing and using one is audited.

use super::codes::{CodePurpose, CounterCodes};
use super::halls::Halls;
use crate::audit::{Actor, Audit, Event};
use crate::identity::roles::{RoleError, RoleKind, Roles};
use crate::store::StoreError;

/// How long an enrolment code can be used.
pub const ENROLMENT_CODE_SECS: i64 = 86_400;

#[derive(Debug, thiserror::Error)]
pub enum EnrolmentError {
    #[error("enrolment codes are for staff and administrators; this person holds no role")]
    NoRole,
    #[error("a hall supervisor issues enrolment codes only for staff of their own hall or the halls below it")]
    NotTheirStaff,
    #[error("only platform administrators and hall supervisors issue enrolment codes")]
    NotAnIssuer,
    #[error(transparent)]
    Roles(#[from] RoleError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who issues a code: the operator at the command line, or a person with a role.
pub enum Issuer<'a> {
    Operator,
    Person(&'a str),
}

#[derive(Debug, Clone)]
pub struct EnrolmentCodes {
    codes: CounterCodes,
    roles: Roles,
    halls: Halls,
    audit: Audit,
}

impl EnrolmentCodes {
    pub fn new(codes: CounterCodes, roles: Roles, halls: Halls, audit: Audit) -> Self {
        Self { codes, roles, halls, audit }
    }

    /// Issues a code for `person_id` (who must hold a role) and returns it for display (XXXX-XXXX).
    pub async fn issue(&self, person_id: &str, issuer: Issuer<'_>, actor: &Actor) -> Result<String, EnrolmentError> {
        let held = self.roles.of(person_id).await?;
        if held.is_empty() {
            return Err(EnrolmentError::NoRole);
        }
        if let Issuer::Person(issuer_id) = issuer {
            self.may_issue_for(issuer_id, &held).await?;
        }
        let code = self.codes.issue_for_secs(person_id, CodePurpose::PasskeyEnrolment, ENROLMENT_CODE_SECS).await?;
        let detail = serde_json::json!({ "valid_secs": ENROLMENT_CODE_SECS });
        let event = Event {
            action: "passkey.enrolment_code.issue",
            subject_type: "person",
            subject_id: Some(person_id.to_owned()),
            detail,
        };
        self.audit.record(actor, event).await?;
        Ok(code)
    }

    async fn may_issue_for(
        &self,
        issuer_id: &str,
        held: &[crate::identity::roles::Role],
    ) -> Result<(), EnrolmentError> {
        let issuer_roles = self.roles.of(issuer_id).await?;
        if issuer_roles.iter().any(|role| role.kind == RoleKind::PlatformAdmin) {
            return Ok(());
        }
        let supervised = issuer_roles.iter().filter(|role| role.kind == RoleKind::HallSupervisor);
        let mut halls = Vec::new();
        for role in supervised {
            if let Some(hall) = &role.scope_id {
                halls.extend(self.halls.subtree(hall).await?.into_iter().map(|hall| hall.id));
            }
        }
        if halls.is_empty() {
            return Err(EnrolmentError::NotAnIssuer);
        }
        let theirs = held.iter().any(|role| {
            matches!(role.kind, RoleKind::HallStaff | RoleKind::HallSupervisor)
                && role.scope_id.as_ref().is_some_and(|hall| halls.contains(hall))
        });
        if theirs { Ok(()) } else { Err(EnrolmentError::NotTheirStaff) }
    }

    /// Whether `code` is a live enrolment code of `person_id`, without using it up.
    pub async fn is_live(&self, person_id: &str, code: &str) -> Result<bool, StoreError> {
        let holder = self.codes.holder(code, CodePurpose::PasskeyEnrolment).await?;
        Ok(holder.as_deref() == Some(person_id))
    }

    /// Uses `code` up for `person_id`; false when it is not theirs, expired or already used (also by a
    /// request racing this one).
    pub async fn redeem(&self, person_id: &str, code: &str) -> Result<bool, StoreError> {
        Ok(self.is_live(person_id, code).await? && self.codes.consume(code).await?)
    }

    /// Gives back a code whose enrolment failed after it was redeemed, so the person can try again.
    pub async fn give_back(&self, code: &str) -> Result<(), StoreError> {
        self.codes.release(code).await
    }
}
