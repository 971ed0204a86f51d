//! Department developers' self-service credentials: a developer signed in asks for a business system's
//! client (OpenID Connect or CAS); in production a department administrator of that system approves or
//! rejects it on the console, never their own request, and in a sandbox it is granted at once. Production
//! linked to its sandbox (`sandbox_link.rs`) also issues sandbox clients there at once, and learns when
//! one first signs someone in. The secret of an approved request is sealed until its requester sees it,
//! once. Requests, decisions and the showing are audited. Each request is an integration stage the
//! dashboard's missing-items list names: tried in the sandbox, requested, approved.

use super::sandbox_link::{LinkError, SandboxClient, SandboxLink};
use super::service::{Catalog, CatalogError, Scope};
use crate::audit::{Actor, ActorRole, Audit, Event};
use crate::clock::SharedClock;
use crate::crypto::Keyring;
use crate::oidc::client::{ClientRegistration, Protocol, RegistrationError};
use crate::store::integration_requests::IntegrationRequestRow;
use crate::store::{Database, StoreError};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// Requests one person may have waiting at once: enough for a department's systems, not for a flood.
pub const MAX_PENDING: usize = 5;
const MAX_PURPOSE_CHARS: usize = 500;
const SECRET_FIELD: &str = "integration.secret";

#[derive(Debug, Clone)]
pub struct NewRequest {
    pub system_id: String,
    pub name: String,
    pub protocol: Protocol,
    /// Redirect URIs, or a CAS service's URLs.
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub purpose: String,
    /// Credentials for the linked sandbox rather than for this deployment.
    pub for_sandbox: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error("no such business system")]
    UnknownSystem,
    #[error("say in at most {MAX_PURPOSE_CHARS} characters what the system is and why it needs these credentials")]
    BadPurpose,
    #[error("{MAX_PENDING} requests are waiting for a decision already")]
    TooManyPending,
    #[error(transparent)]
    Invalid(#[from] RegistrationError),
    #[error("no such request")]
    NotFound,
    #[error("the request was decided already")]
    NotPending,
    #[error("a request is decided by another administrator than the one who made it")]
    OwnRequest,
    #[error("the secret was shown once already; ask the department administrator for a new client")]
    AlreadyShown,
    #[error("no sandbox is linked to this deployment")]
    NoSandbox,
    #[error(transparent)]
    Sandbox(#[from] LinkError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a requester sees once: the client id, the secret if the client has one, and where the client
/// lives: this deployment's issuer, or the linked sandbox's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub secret: Option<String>,
    pub protocol: Protocol,
    pub issuer: String,
}

#[derive(Clone)]
pub struct Integration {
    catalog: Catalog,
    db: Database,
    keyring: Keyring,
    audit: Audit,
    clock: SharedClock,
    sandbox: bool,
    link: Option<Arc<SandboxLink>>,
    issuer: String,
}

/// What an [`Integration`] is built from besides the catalog.
pub struct IntegrationParts {
    pub db: Database,
    pub keyring: Keyring,
    pub audit: Audit,
    pub clock: SharedClock,
    /// This deployment is a sandbox.
    pub sandbox: bool,
    /// Production's link to its sandbox, if one is configured.
    pub link: Option<SandboxLink>,
    /// This deployment's issuer, which its clients' credentials are for.
    pub issuer: String,
}

impl Integration {
    pub fn new(catalog: Catalog, parts: IntegrationParts) -> Self {
        let IntegrationParts { db, keyring, audit, clock, sandbox, link, issuer } = parts;
        Self { catalog, db, keyring, audit, clock, sandbox, link: link.map(Arc::new), issuer }
    }

    /// Whether requests are granted at once (a sandbox) rather than decided by an administrator.
    pub fn grants_at_once(&self) -> bool {
        self.sandbox
    }

    /// Whether production offers credentials in its linked sandbox.
    pub fn offers_sandbox(&self) -> bool {
        self.link.is_some()
    }

    /// Records a request; in a sandbox it is granted at once.
    pub async fn request(
        &self,
        person_id: &str,
        new: NewRequest,
        origin: Option<String>,
    ) -> Result<IntegrationRequestRow, IntegrationError> {
        let system = match self.catalog.system(&Scope::All, &new.system_id).await {
            Err(CatalogError::NotFound) => return Err(IntegrationError::UnknownSystem),
            other => other?,
        };
        let purpose = new.purpose.trim().to_owned();
        if purpose.is_empty() || purpose.chars().count() > MAX_PURPOSE_CHARS {
            return Err(IntegrationError::BadPurpose);
        }
        let pending =
            self.db.integration_requests_of(person_id).await?.iter().filter(|r| r.status == "pending").count();
        if pending >= MAX_PENDING {
            return Err(IntegrationError::TooManyPending);
        }
        let name = Some(new.name.trim()).filter(|n| !n.is_empty()).unwrap_or(&system.name).to_owned();
        // Checked now, so that the developer hears of a bad URI at once rather than from a rejection.
        registration(&name, new.protocol, &new.redirect_uris, &new.post_logout_redirect_uris).into_client(
            "check".into(),
            None,
            None,
            0,
        )?;
        let mut row = IntegrationRequestRow {
            id: uuid::Uuid::now_v7().to_string(),
            person_id: person_id.to_owned(),
            system_id: system.id.clone(),
            name,
            protocol: new.protocol.as_str().to_owned(),
            environment: if new.for_sandbox { "sandbox" } else { "local" }.to_owned(),
            redirect_uris: new.redirect_uris,
            post_logout_redirect_uris: new.post_logout_redirect_uris,
            purpose,
            status: "pending".to_owned(),
            decided_by: None,
            decided_at: None,
            decision_note: None,
            client_id: None,
            secret_waiting: false,
            secret_shown_at: None,
            sandbox_used_at: None,
            created_at: self.clock.now(),
        };
        let sealed = if new.for_sandbox { self.register_in_sandbox(&mut row).await? } else { None };
        self.db.insert_integration_request(&row, sealed.as_deref()).await?;
        let actor = Actor::person(person_id, ActorRole::Citizen, origin);
        let detail = json!({ "system_id": row.system_id, "protocol": row.protocol, "environment": row.environment,
            "redirect_uris": row.redirect_uris, "client_id": row.client_id });
        self.record(&actor, "integration.request", &row.id, detail).await?;
        if self.sandbox {
            self.approve(&Scope::All, &row, &Actor::system(), None).await?;
        }
        self.db.find_integration_request(&row.id).await?.ok_or(IntegrationError::NotFound)
    }

    /// Registers the request's client in the linked sandbox, granting it at once; returns the sealed
    /// secret, if the client has one.
    async fn register_in_sandbox(&self, row: &mut IntegrationRequestRow) -> Result<Option<Vec<u8>>, IntegrationError> {
        let link = self.link.as_ref().ok_or(IntegrationError::NoSandbox)?;
        let client = SandboxClient {
            name: &row.name,
            protocol: &row.protocol,
            redirect_uris: &row.redirect_uris,
            post_logout_redirect_uris: &row.post_logout_redirect_uris,
        };
        let (client_id, secret) = link.register(&client).await?;
        row.status = "approved".to_owned();
        row.decided_by = Some("sandbox".to_owned());
        row.decided_at = Some(self.clock.now());
        row.client_id = Some(client_id);
        Ok(secret.map(|secret| self.keyring.encrypt_pii(SECRET_FIELD, &secret)))
    }

    /// Asks the sandbox which sandbox clients not yet seen signing in have, and records it; returns how
    /// many were found used. Called every minute, and for a developer's own requests on their page.
    pub async fn refresh_sandbox_use(&self, person_id: Option<&str>) -> Result<usize, IntegrationError> {
        let Some(link) = &self.link else { return Ok(0) };
        let rows = match person_id {
            Some(person) => self
                .db
                .integration_requests_of(person)
                .await?
                .into_iter()
                .filter(|r| r.environment == "sandbox" && r.sandbox_used_at.is_none())
                .collect(),
            None => self.db.unused_sandbox_requests(100).await?,
        };
        let mut used = 0;
        for row in rows {
            let Some(client_id) = &row.client_id else { continue };
            if let Some(first) = link.first_login(client_id).await? {
                self.db.mark_sandbox_used(&row.id, first).await?;
                used += 1;
            }
        }
        Ok(used)
    }

    pub async fn requests_of(&self, person_id: &str) -> Result<Vec<IntegrationRequestRow>, IntegrationError> {
        Ok(self.db.integration_requests_of(person_id).await?)
    }

    /// The requests waiting for a decision on a department's systems.
    pub async fn pending_for(
        &self,
        scope: &Scope,
        department_id: &str,
    ) -> Result<Vec<IntegrationRequestRow>, IntegrationError> {
        let systems: Vec<String> =
            self.catalog.systems(scope, department_id).await?.into_iter().map(|s| s.id).collect();
        Ok(self.db.integration_requests_for(&systems, "pending").await?)
    }

    /// How far each of a department's systems has come before it has a client here (`requested`,
    /// `sandbox_used` or `sandbox_requested`, as the dashboard's reasons), by system id; systems with no
    /// request are absent.
    pub async fn stages(
        &self,
        scope: &Scope,
        department_id: &str,
    ) -> Result<HashMap<String, String>, IntegrationError> {
        let systems: Vec<String> =
            self.catalog.systems(scope, department_id).await?.into_iter().map(|s| s.id).collect();
        Ok(self.db.system_stages(&systems).await?.into_iter().collect())
    }

    /// An administrator's decision on a pending request of a system in their scope.
    pub async fn decide(
        &self,
        scope: &Scope,
        request_id: &str,
        approve: bool,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<(), IntegrationError> {
        let row = self.db.find_integration_request(request_id).await?.ok_or(IntegrationError::NotFound)?;
        match self.catalog.system(scope, &row.system_id).await {
            Err(CatalogError::NotFound) => return Err(IntegrationError::NotFound),
            other => other?,
        };
        if row.status != "pending" {
            return Err(IntegrationError::NotPending);
        }
        if actor.id.as_deref() == Some(row.person_id.as_str()) {
            return Err(IntegrationError::OwnRequest);
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if approve {
            return self.approve(scope, &row, actor, note).await;
        }
        let by = actor.id.clone().unwrap_or_default();
        if !self.db.decide_integration_request(&row.id, "rejected", &by, self.clock.now(), note, None).await? {
            return Err(IntegrationError::NotPending);
        }
        self.record(actor, "integration.reject", &row.id, json!({ "system_id": row.system_id, "note": note })).await?;
        Ok(())
    }

    async fn approve(
        &self,
        scope: &Scope,
        row: &IntegrationRequestRow,
        actor: &Actor,
        note: Option<&str>,
    ) -> Result<(), IntegrationError> {
        let protocol = Protocol::parse(&row.protocol).unwrap_or_default();
        let registration = registration(&row.name, protocol, &row.redirect_uris, &row.post_logout_redirect_uris);
        let registered = self.catalog.register_client(scope, &row.system_id, registration, actor).await?;
        let sealed = registered.secret.as_deref().map(|secret| self.keyring.encrypt_pii(SECRET_FIELD, secret));
        let by = actor.id.clone().unwrap_or_else(|| "system".to_owned());
        let client = Some((registered.client.id.as_str(), sealed.as_deref()));
        if !self.db.decide_integration_request(&row.id, "approved", &by, self.clock.now(), note, client).await? {
            // Decided by someone else meanwhile: the client made here must not work.
            self.catalog.disable_client(&registered.client.id).await?;
            return Err(IntegrationError::NotPending);
        }
        let detail = json!({ "system_id": row.system_id, "client_id": registered.client.id, "note": note });
        self.record(actor, "integration.approve", &row.id, detail).await?;
        Ok(())
    }

    /// The credentials of an approved request, shown to its requester once.
    pub async fn reveal(
        &self,
        person_id: &str,
        request_id: &str,
        origin: Option<String>,
    ) -> Result<Credentials, IntegrationError> {
        let row = self.db.find_integration_request(request_id).await?.filter(|r| r.person_id == person_id);
        let row = row.ok_or(IntegrationError::NotFound)?;
        let Some(client_id) = row.client_id.clone().filter(|_| row.status == "approved") else {
            return Err(IntegrationError::NotFound);
        };
        if row.secret_shown_at.is_some() {
            return Err(IntegrationError::AlreadyShown);
        }
        let secret = match self.db.take_integration_secret(request_id, person_id, self.clock.now()).await? {
            Some(sealed) => Some(
                self.keyring
                    .decrypt_pii(SECRET_FIELD, &sealed)
                    .map_err(|e| StoreError::Corrupt(format!("integration secret: {e}")))?,
            ),
            None if row.secret_waiting => return Err(IntegrationError::AlreadyShown),
            None => None,
        };
        let actor = Actor::person(person_id, ActorRole::Citizen, origin);
        self.record(&actor, "integration.secret_shown", request_id, json!({ "client_id": client_id })).await?;
        let issuer = match (row.environment.as_str(), &self.link) {
            ("sandbox", Some(link)) => link.issuer().to_owned(),
            _ => self.issuer.clone(),
        };
        Ok(Credentials { client_id, secret, protocol: Protocol::parse(&row.protocol).unwrap_or_default(), issuer })
    }

    async fn record(
        &self,
        actor: &Actor,
        action: &'static str,
        request_id: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        let event =
            Event { action, subject_type: "integration_request", subject_id: Some(request_id.to_owned()), detail };
        self.audit.record(actor, event).await.map(|_| ())
    }
}

fn registration(name: &str, protocol: Protocol, uris: &[String], post_logout: &[String]) -> ClientRegistration {
    ClientRegistration {
        name: name.trim().to_owned(),
        protocol,
        redirect_uris: uris.to_vec(),
        post_logout_redirect_uris: post_logout.to_vec(),
        ..ClientRegistration::default()
    }
}
