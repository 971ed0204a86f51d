//! Assurance: verification evidence is stored, levels are computed from it. Every check of a person's
//! identity (SMS, register match, face match, counter, certificate) becomes an evidence record naming the
//! method, the verifier and its outcome.

pub mod levels;
pub mod register;
mod service;

pub use levels::Ladder;
pub use service::{Assurance, AssuranceError};

use crate::clock::SharedClock;
use crate::store::evidence::EvidenceRow;
use crate::store::{Database, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The phone number was shown to be the person's by an SMS code.
    Sms,
    /// Identity details entered by the person, format-checked only.
    SelfAsserted,
    RegisterMatch,
    FaceMatch,
    Counter,
    Certificate,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::SelfAsserted => "self_asserted",
            Self::RegisterMatch => "register_match",
            Self::FaceMatch => "face_match",
            Self::Counter => "counter",
            Self::Certificate => "certificate",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Sms, Self::SelfAsserted, Self::RegisterMatch, Self::FaceMatch, Self::Counter, Self::Certificate]
            .into_iter()
            .find(|method| method.as_str() == name)
    }
}

/// One verification to record.
#[derive(Debug, Clone)]
pub struct NewEvidence<'a> {
    pub person_id: &'a str,
    pub method: Method,
    /// `system`, or the staff member's person id.
    pub verifier: &'a str,
    pub hall_id: Option<&'a str>,
    pub passed: bool,
    /// What the check referred to, masked (e.g. "138****8000").
    pub reference: Option<String>,
    /// Which adapter answered, for checks against external services.
    pub adapter: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct Evidence {
    db: Database,
    clock: SharedClock,
}

impl Evidence {
    pub fn new(db: Database, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    pub async fn record(&self, new: NewEvidence<'_>) -> Result<(), StoreError> {
        let row = EvidenceRow {
            id: uuid::Uuid::now_v7().to_string(),
            person_id: new.person_id.to_owned(),
            method: new.method.as_str().to_owned(),
            verifier: new.verifier.to_owned(),
            hall_id: new.hall_id.map(str::to_owned),
            outcome: if new.passed { "passed" } else { "failed" }.to_owned(),
            reference: new.reference,
            adapter: new.adapter.map(str::to_owned),
            created_at: self.clock.now(),
            revoked_at: None,
        };
        self.db.insert_evidence(&row).await
    }

    pub async fn of(&self, person_id: &str) -> Result<Vec<EvidenceRow>, StoreError> {
        self.db.evidence_of(person_id).await
    }

    /// Revokes a verification; returns the person it concerned.
    pub async fn revoke(&self, evidence_id: &str, by: &str, reason: &str) -> Result<Option<String>, StoreError> {
        self.db.revoke_evidence(evidence_id, self.clock.now(), by, reason).await
    }
}
