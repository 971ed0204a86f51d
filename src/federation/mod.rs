//! Signing in with an upstream platform (the provincial one, a national one): yimen is the upstream's
//! relying party, and the person it vouches for is one account here, whichever way they arrive.
//!
//! A first sign-in with a valid resident ID number creates the account, with the evidence the upstream's
//! level counts as (never above the level configured for it). A person whose number already has an
//! account is linked to it at once when the upstream vouches for at least the account's level, and after
//! proving control of the account once otherwise; an account holding the number unproven (level 1) gives
//! it back to its holder, as at a counter. Links, creations and reclaims are audited.

mod asserted;
mod id_token;
mod links;
mod organisation;
mod upstream;

pub use asserted::{ANY_LEVEL, Asserted, AssertedOrganisation};
pub use upstream::{Attempt, DOWN, Redeemed, UNKNOWN, UP, Upstream};

use crate::assurance::{Assurance, Evidence, Method, NewEvidence};
use crate::audit::{Actor, Audit, Event};
use crate::clock::SharedClock;
use crate::config::{FederationConfig, rank_of_methods};
use crate::counter::Desk;
use crate::crypto::Keyring;
use crate::identity::organisation::Organisations;
use crate::identity::{AccountError, Accounts, NewCitizen, Person};
use crate::store::federated_identities::FederatedIdentityRow;
use crate::store::{Database, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

const FIELD_SUBJECT: &str = "federated_subject";

/// How long an upstream identity waits for its account's holder to sign in. A browser left with one (a
/// shared computer) must not link it to whoever signs in there much later.
const PENDING_LINK_SECS: i64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("no upstream platform of that name is enabled")]
    UnknownUpstream,
    #[error("the upstream platform could not be reached: {0}")]
    Unreachable(String),
    #[error("the upstream platform refused: {0}")]
    Refused(String),
    #[error("the upstream's ID token is not valid: {0}")]
    InvalidIdToken(String),
    #[error("the upstream did not give the person's {0}")]
    MissingClaim(&'static str),
    #[error("the upstream gave an ID number that is not a valid resident ID number")]
    InvalidIdNumber,
    #[error("the upstream now gives this person another ID number than the linked account's")]
    IdNumberConflict,
    #[error("the account of this ID number is closed or disabled")]
    AccountUnusable,
    #[error("this is the account's only way in: add a password, a phone or a passkey first")]
    LastWayIn,
    #[error("the account is not linked to that platform")]
    NotLinked,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<AccountError> for FederationError {
    fn from(error: AccountError) -> Self {
        FederationError::Internal(error.into())
    }
}

impl FederationError {
    /// A row another request inserted first (the same person's sign-in, at the same moment).
    fn is_race(&self) -> bool {
        match self {
            FederationError::Store(error) => error.is_unique_violation(),
            FederationError::Internal(error) => error
                .downcast_ref::<AccountError>()
                .is_some_and(|e| matches!(e, AccountError::DuplicateIdNumber | AccountError::DuplicatePhone)),
            _ => false,
        }
    }

    /// The upstream could not be reached or answered nonsense: worth trying again later.
    pub fn is_upstream_down(&self) -> bool {
        matches!(self, FederationError::Unreachable(_))
    }
}

/// A link to make once the person has signed in to the account it names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLink {
    pub upstream: String,
    pub subject_index: String,
    pub person_id: String,
    pub methods: Vec<String>,
    #[serde(default)]
    pub expires_at: i64,
}

impl PendingLink {
    fn is_for(&self, person_id: &str, now: i64) -> bool {
        self.person_id == person_id && now <= self.expires_at
    }
}

#[derive(Debug, Clone)]
pub enum Outcome {
    SignedIn {
        person_id: String,
        created: bool,
    },
    /// The ID number's account asks more than the upstream vouches for: its holder signs in to it once.
    ProveControl(PendingLink),
}

/// A person's link, as the account centre lists it.
#[derive(Debug, Clone)]
pub struct Link {
    pub upstream: String,
    pub created_at: i64,
    pub last_used_at: i64,
}

#[derive(Clone)]
pub struct Federation {
    upstreams: Arc<Vec<Upstream>>,
    accounts: Arc<Accounts>,
    orgs: Organisations,
    evidence: Evidence,
    assurance: Assurance,
    desk: Desk,
    db: Database,
    keyring: Keyring,
    audit: Audit,
    clock: SharedClock,
    config: FederationConfig,
    levels: crate::config::AssuranceConfig,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation").field("upstreams", &self.upstreams).finish_non_exhaustive()
    }
}

pub struct Parts {
    pub accounts: Arc<Accounts>,
    pub orgs: Organisations,
    pub evidence: Evidence,
    pub assurance: Assurance,
    pub desk: Desk,
    pub db: Database,
    pub keyring: Keyring,
    pub audit: Audit,
    pub clock: SharedClock,
}

impl Federation {
    pub fn new(
        config: &FederationConfig,
        levels: &crate::config::AssuranceConfig,
        parts: Parts,
    ) -> Result<Self, FederationError> {
        let upstreams = config
            .enabled()
            .map(|upstream| Upstream::new(upstream.clone(), parts.clock.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            upstreams: Arc::new(upstreams),
            accounts: parts.accounts,
            orgs: parts.orgs,
            evidence: parts.evidence,
            assurance: parts.assurance,
            desk: parts.desk,
            db: parts.db,
            keyring: parts.keyring,
            audit: parts.audit,
            clock: parts.clock,
            config: config.clone(),
            levels: levels.clone(),
        })
    }

    /// Probes every upstream every 30 seconds, so that /readyz can say which cannot be reached.
    pub async fn watch_health(self) {
        if self.upstreams.is_empty() {
            return;
        }
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            interval.tick().await;
            futures::future::join_all(self.upstreams.iter().map(Upstream::probe)).await;
        }
    }

    /// The enabled upstreams, in configuration order.
    pub fn upstreams(&self) -> &[Upstream] {
        &self.upstreams
    }

    pub fn upstream(&self, id: &str) -> Result<&Upstream, FederationError> {
        self.upstreams.iter().find(|u| u.id() == id).ok_or(FederationError::UnknownUpstream)
    }

    /// The display name of an upstream in Chinese or English, also for one no longer enabled.
    pub fn name_of(&self, id: &str, english: bool) -> String {
        self.config
            .upstream
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| id.to_owned(), |u| if english { u.name_en.clone() } else { u.name.clone() })
    }

    /// Reads the person from the upstream's claims.
    pub fn read(
        &self,
        upstream: &Upstream,
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Asserted, FederationError> {
        Asserted::read(&upstream.config, claims, self.accounts.today())
    }

    /// Signs the asserted person in: by their link, or by creating or linking the account of their ID
    /// number. `origin` is the browser's address, for the audit trail.
    pub async fn sign_in(&self, asserted: &Asserted, origin: Option<String>) -> Result<Outcome, FederationError> {
        // A second attempt covers a first sign-in racing another of the same person (the same link, or the
        // same ID number, inserted in between): the second finds what the first made.
        let outcome = match self.try_sign_in(asserted, origin.clone()).await {
            Err(error) if error.is_race() => self.try_sign_in(asserted, origin.clone()).await,
            other => other,
        }?;
        if let Outcome::SignedIn { person_id, .. } = &outcome {
            self.join_organisation(person_id, asserted, origin).await?;
        }
        Ok(outcome)
    }

    async fn try_sign_in(&self, asserted: &Asserted, origin: Option<String>) -> Result<Outcome, FederationError> {
        let subject_index = self.subject_index(asserted);
        if let Some(link) = self.db.find_federated_identity(&asserted.upstream, &subject_index).await? {
            let person = self.usable(&link.person_id).await?;
            if person.document.number() != asserted.document.number() {
                return Err(FederationError::IdNumberConflict);
            }
            self.record_evidence(&person, asserted).await?;
            self.db.touch_federated_identity(&link.id, self.clock.now()).await?;
            return Ok(Outcome::SignedIn { person_id: person.id, created: false });
        }
        let vouched = rank_of_methods(&self.levels, &asserted.methods);
        let actor = Actor { origin, ..Actor::system() };
        if let Some(holder) = self.accounts.find_by_document(&asserted.document).await? {
            if !holder.can_sign_in() {
                return Err(FederationError::AccountUnusable);
            }
            let held = self.assurance.rank_of(&holder.id).await?;
            if held == 0 && vouched > 0 {
                let how = format!("federation:{}", asserted.upstream);
                self.desk
                    .take_back(&holder, &actor, &how, &asserted.document)
                    .await
                    .map_err(|e| FederationError::Internal(e.into()))?;
            } else if vouched > 0 && vouched >= held {
                let pending = PendingLink {
                    upstream: asserted.upstream.clone(),
                    subject_index,
                    person_id: holder.id.clone(),
                    methods: asserted.methods.clone(),
                    expires_at: self.clock.now() + PENDING_LINK_SECS,
                };
                self.link(&pending, &holder.id, &actor, "at_level").await?;
                return Ok(Outcome::SignedIn { person_id: holder.id, created: false });
            } else {
                return Ok(Outcome::ProveControl(PendingLink {
                    upstream: asserted.upstream.clone(),
                    subject_index,
                    person_id: holder.id,
                    methods: asserted.methods.clone(),
                    expires_at: self.clock.now() + PENDING_LINK_SECS,
                }));
            }
        }
        let citizen = NewCitizen {
            name: asserted.name.clone(),
            document: asserted.document.clone(),
            phone: None,
            phone_verified: false,
            password: None,
        };
        let person = self.accounts.register_citizen(citizen).await?;
        self.record_evidence(&person, asserted).await?;
        self.insert_link(&asserted.upstream, &subject_index, &person.id).await?;
        let detail = json!({ "upstream": asserted.upstream, "level": asserted.level, "methods": asserted.methods });
        let event = Event {
            action: "federation.account_created",
            subject_type: "person",
            subject_id: Some(person.id.clone()),
            detail,
        };
        self.audit.record(&actor, event).await?;
        Ok(Outcome::SignedIn { person_id: person.id, created: true })
    }

    /// Makes a pending link for `person_id`, who has just signed in; a link for another person, or one
    /// that waited too long, is dropped.
    pub async fn link(
        &self,
        pending: &PendingLink,
        person_id: &str,
        actor: &Actor,
        how: &str,
    ) -> Result<bool, FederationError> {
        if !pending.is_for(person_id, self.clock.now()) {
            return Ok(false);
        }
        let person = self.usable(person_id).await?;
        match self.insert_link(&pending.upstream, &pending.subject_index, person_id).await {
            // Linked already (the same sign-in finished in another tab).
            Err(error) if error.is_race() => return Ok(false),
            other => other?,
        }
        for method in &pending.methods {
            self.record_method(&person, &pending.upstream, method).await?;
        }
        let detail = json!({ "upstream": pending.upstream, "how": how, "methods": pending.methods });
        let event = Event {
            action: "federation.linked",
            subject_type: "person",
            subject_id: Some(person_id.to_owned()),
            detail,
        };
        self.audit.record(actor, event).await?;
        Ok(true)
    }

    fn subject_index(&self, asserted: &Asserted) -> String {
        self.keyring.blind_index(FIELD_SUBJECT, &format!("{}\n{}", asserted.upstream, asserted.subject))
    }

    async fn usable(&self, person_id: &str) -> Result<Person, FederationError> {
        match self.accounts.find(person_id).await? {
            Some(person) if person.can_sign_in() => Ok(person),
            _ => Err(FederationError::AccountUnusable),
        }
    }

    async fn insert_link(&self, upstream: &str, subject_index: &str, person_id: &str) -> Result<(), FederationError> {
        let now = self.clock.now();
        let row = FederatedIdentityRow {
            id: uuid::Uuid::now_v7().to_string(),
            person_id: person_id.to_owned(),
            upstream: upstream.to_owned(),
            subject_index: subject_index.to_owned(),
            created_at: now,
            last_used_at: now,
        };
        Ok(self.db.insert_federated_identity(&row).await?)
    }

    /// Records the evidence the upstream's level counts as, once per method: a method already shown (by
    /// any verifier) is not recorded again.
    async fn record_evidence(&self, person: &Person, asserted: &Asserted) -> Result<(), FederationError> {
        for method in &asserted.methods {
            self.record_method(person, &asserted.upstream, method).await?;
        }
        Ok(())
    }

    async fn record_method(&self, person: &Person, upstream: &str, method: &str) -> Result<(), FederationError> {
        let Some(method) = Method::parse(method) else {
            tracing::warn!(method, upstream, "an upstream's level maps to a method yimen cannot record; ignored");
            return Ok(());
        };
        let held = self.evidence.of(&person.id).await?;
        if held.iter().any(|e| e.method == method.as_str() && e.outcome == "passed" && e.revoked_at.is_none()) {
            return Ok(());
        }
        let verifier = format!("federation:{upstream}");
        let evidence = NewEvidence {
            person_id: &person.id,
            method,
            verifier: &verifier,
            hall_id: None,
            passed: true,
            reference: Some(person.document.masked()),
            adapter: Some(upstream),
        };
        Ok(self.evidence.record(evidence).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_link_is_made_only_for_its_account_and_only_while_fresh() {
        let pending = PendingLink {
            upstream: "province".into(),
            subject_index: "i".into(),
            person_id: "holder".into(),
            methods: Vec::new(),
            expires_at: 1_000,
        };
        assert!(pending.is_for("holder", 1_000));
        assert!(!pending.is_for("someone-else", 1_000));
        assert!(!pending.is_for("holder", 1_001), "a browser left with it for long links nothing");
    }
}
