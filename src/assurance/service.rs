//! The assurance service: a person's level from their evidence, and raising it online by asking the
//! register (name and identity number, then a face). Every check, passed or not, becomes evidence naming
//! the adapter that answered. Checks are limited per person per day: each costs the register a query and
//! could otherwise probe who holds a number.

use super::levels::Ladder;
use super::register::{RegisterAnswer, RegisterError, SharedRegister};
use super::{Evidence, Method, NewEvidence};
use crate::identity::Person;
use crate::store::{SharedEphemeral, StoreError};
use serde_json::{Value, json};

const CHECKS_PER_DAY: i64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum AssuranceError {
    #[error("the register could not be reached: {0}")]
    Unavailable(#[from] RegisterError),
    #[error("too many online checks today; try tomorrow or visit a service hall")]
    TooManyChecks,
    #[error("only resident ID numbers can be checked against the register online")]
    NotCheckable,
    #[error("a face check needs the name and number checked first")]
    NeedsRegisterMatch,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct Assurance {
    evidence: Evidence,
    ladder: Ladder,
    register: SharedRegister,
    ephemeral: SharedEphemeral,
}

impl Assurance {
    pub fn new(evidence: Evidence, ladder: Ladder, register: SharedRegister, ephemeral: SharedEphemeral) -> Self {
        Self { evidence, ladder, register, ephemeral }
    }

    pub fn ladder(&self) -> &Ladder {
        &self.ladder
    }

    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    pub async fn rank_of(&self, person_id: &str) -> Result<usize, StoreError> {
        Ok(self.ladder.rank_of(&self.evidence.of(person_id).await?))
    }

    pub async fn acr_of(&self, person_id: &str) -> Result<String, StoreError> {
        Ok(self.ladder.acr_at(self.rank_of(person_id).await?).to_owned())
    }

    /// The `assurance` claim: the level and the passed, unrevoked verifications with their times.
    pub async fn claim(&self, person_id: &str) -> Result<Value, StoreError> {
        let evidence = self.evidence.of(person_id).await?;
        let level = self.ladder.acr_at(self.ladder.rank_of(&evidence));
        let methods: Vec<Value> = evidence
            .iter()
            .filter(|e| e.outcome == "passed" && e.revoked_at.is_none())
            .map(|e| json!({ "method": e.method, "time": e.created_at }))
            .collect();
        Ok(json!({ "level": level, "verifications": methods }))
    }

    /// Checks the account's name and identity number against the register.
    pub async fn check_register(&self, person: &Person) -> Result<RegisterAnswer, AssuranceError> {
        let Some(id) = person.document.resident_id() else { return Err(AssuranceError::NotCheckable) };
        self.spend_check(&person.id).await?;
        let answer = self.register.check_identity(&person.name, id.as_str()).await?;
        self.record(person, Method::RegisterMatch, answer, id.masked()).await?;
        Ok(answer)
    }

    /// Checks a name and resident ID number against the register for someone who has no account yet (a
    /// registration whose number another account claims), counted against `budget` (their phone).
    pub async fn check_register_before_account(
        &self,
        name: &str,
        document: &crate::identity::document::IdDocument,
        budget: &str,
    ) -> Result<RegisterAnswer, AssuranceError> {
        let Some(id) = document.resident_id() else { return Err(AssuranceError::NotCheckable) };
        self.spend_check(budget).await?;
        Ok(self.register.check_identity(name, id.as_str()).await?)
    }

    /// Checks a photo of the person against the register's, after the name and number matched.
    pub async fn check_face(&self, person: &Person, image: &[u8]) -> Result<RegisterAnswer, AssuranceError> {
        let Some(id) = person.document.resident_id() else { return Err(AssuranceError::NotCheckable) };
        let matched = self
            .evidence
            .of(&person.id)
            .await?
            .iter()
            .any(|e| e.method == "register_match" && e.outcome == "passed" && e.revoked_at.is_none());
        if !matched {
            return Err(AssuranceError::NeedsRegisterMatch);
        }
        self.spend_check(&person.id).await?;
        let answer = self.register.check_face(id.as_str(), image).await?;
        self.record(person, Method::FaceMatch, answer, id.masked()).await?;
        Ok(answer)
    }

    async fn spend_check(&self, person_id: &str) -> Result<(), AssuranceError> {
        if self.ephemeral.incr(&format!("register-checks:{person_id}"), 86_400_000).await? > CHECKS_PER_DAY {
            return Err(AssuranceError::TooManyChecks);
        }
        Ok(())
    }

    async fn record(
        &self,
        person: &Person,
        method: Method,
        answer: RegisterAnswer,
        reference: String,
    ) -> Result<(), StoreError> {
        let evidence = NewEvidence {
            person_id: &person.id,
            method,
            verifier: "system",
            hall_id: None,
            passed: answer == RegisterAnswer::Match,
            reference: Some(reference),
            adapter: Some(self.register.name()),
        };
        self.evidence.record(evidence).await
    }
}
