//! The provider service: what every protocol flow shares (clients, subjects, tokens, keys, time). Each
//! flow adds its own `impl Provider` block in its own file.

use super::client::{Client, ClientRegistration, Registered, RegistrationError, SubjectType};
use super::error::OAuthError;
use crate::clock::SharedClock;
use crate::config::TokenConfig;
use crate::crypto::Keyring;
use crate::identity::organisation::Organisations;
use crate::identity::{Accounts, LoginSessions};
use crate::keys::KeyManager;
use crate::store::{Database, SharedEphemeral, StoreError};
use std::sync::Arc;

/// Counters the provider reports; the HTTP layer exports them.
pub trait ProviderMetrics: Send + Sync {
    fn token_issued(&self, grant_type: &str);
    /// A back-channel logout attempt ended: "delivered", "retry" or "failed".
    fn logout_notice(&self, outcome: &str);
    /// Back-channel logout notices still to be delivered (by any instance).
    fn logout_notices_pending(&self, pending: i64);
}

pub struct Provider {
    pub(super) issuer: String,
    pub(super) db: Database,
    pub(super) ephemeral: SharedEphemeral,
    pub(super) keys: Arc<KeyManager>,
    pub(super) keyring: Keyring,
    pub(super) clock: SharedClock,
    pub(super) tokens: TokenConfig,
    pub(super) accounts: Arc<Accounts>,
    pub(super) sessions: LoginSessions,
    pub(super) orgs: Organisations,
    pub(super) assurance: crate::assurance::Assurance,
    pub(super) roles: crate::identity::roles::Roles,
    pub(super) metrics: Arc<dyn ProviderMetrics>,
    pub(super) recorder: Arc<dyn super::login_recorder::LoginRecorder>,
    /// A developers' sandbox: every token says `sandbox: true`.
    pub(super) sandbox: bool,
    /// Clients by id, absent ones included, for a short while: the token endpoint and UserInfo look a
    /// client up on every request. A change made by another process shows within the lifetime.
    clients: moka::future::Cache<String, Option<Client>>,
    /// Wakes this instance's back-channel logout deliveries when a notice is queued.
    pub(super) logout_wakeup: tokio::sync::Notify,
}

/// How long a client lookup is reused.
pub const CLIENT_CACHE_SECS: u64 = 30;

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<ProviderError> for OAuthError {
    fn from(error: ProviderError) -> Self {
        tracing::error!(%error, "provider failure");
        OAuthError::server_error()
    }
}

pub struct ProviderParts {
    pub issuer: String,
    pub db: Database,
    pub ephemeral: SharedEphemeral,
    pub keys: Arc<KeyManager>,
    pub keyring: Keyring,
    pub clock: SharedClock,
    pub tokens: TokenConfig,
    pub accounts: Arc<Accounts>,
    pub sessions: LoginSessions,
    pub orgs: Organisations,
    pub assurance: crate::assurance::Assurance,
    pub roles: crate::identity::roles::Roles,
    pub metrics: Arc<dyn ProviderMetrics>,
    pub recorder: Arc<dyn super::login_recorder::LoginRecorder>,
    pub sandbox: bool,
}

impl Provider {
    pub fn new(parts: ProviderParts) -> Arc<Self> {
        Arc::new(Self {
            issuer: parts.issuer,
            db: parts.db,
            ephemeral: parts.ephemeral,
            keys: parts.keys,
            keyring: parts.keyring,
            clock: parts.clock,
            tokens: parts.tokens,
            accounts: parts.accounts,
            sessions: parts.sessions,
            orgs: parts.orgs,
            assurance: parts.assurance,
            roles: parts.roles,
            metrics: parts.metrics,
            recorder: parts.recorder,
            sandbox: parts.sandbox,
            clients: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(std::time::Duration::from_secs(CLIENT_CACHE_SECS))
                .build(),
            logout_wakeup: tokio::sync::Notify::new(),
        })
    }

    pub fn is_sandbox(&self) -> bool {
        self.sandbox
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    pub fn keys(&self) -> &KeyManager {
        &self.keys
    }

    pub fn sessions(&self) -> &LoginSessions {
        &self.sessions
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    pub fn assurance(&self) -> &crate::assurance::Assurance {
        &self.assurance
    }

    pub fn organisations(&self) -> &Organisations {
        &self.orgs
    }

    pub fn roles(&self) -> &crate::identity::roles::Roles {
        &self.roles
    }

    pub fn audit(&self) -> &crate::audit::Audit {
        self.orgs.audit()
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// An enabled client, or None. Disabled clients are treated as unknown everywhere.
    pub async fn find_client(&self, client_id: &str) -> Result<Option<Client>, ProviderError> {
        if client_id.is_empty() || client_id.len() > 128 {
            return Ok(None);
        }
        if let Some(cached) = self.clients.get(client_id).await {
            return Ok(cached.filter(|client| client.enabled));
        }
        let client = self.db.find_client(client_id).await?;
        self.clients.insert(client_id.to_owned(), client.clone()).await;
        Ok(client.filter(|client| client.enabled))
    }

    /// The `sub` a client sees for a person: pairwise per sector unless the client is approved for public.
    pub fn subject_for(&self, client: &Client, person_id: &str) -> String {
        match client.subject_type {
            SubjectType::Public => person_id.to_owned(),
            SubjectType::Pairwise => self.keyring.pairwise_subject(&client.sector_identifier, person_id),
        }
    }

    /// Registers a client; the returned secret is shown once and never stored.
    pub async fn register_client(&self, registration: ClientRegistration) -> Result<Registered, RegisterClientError> {
        if let Some(acr) = registration.min_acr.as_deref()
            && self.assurance.ladder().rank(acr).is_none()
        {
            return Err(RegisterClientError::UnknownAcr(acr.to_owned()));
        }
        let id = format!("ym-{}", crate::crypto::random_token(12));
        let secret = crate::crypto::random_token(32);
        let hash = self.keyring.hash_client_secret(&secret);
        let registered = registration.into_client(id, Some(&secret), Some(hash), self.now())?;
        self.db.insert_client(&registered.client).await.map_err(ProviderError::from)?;
        Ok(registered)
    }

    /// Whether any client is registered, enabled or not.
    pub async fn has_clients(&self) -> Result<bool, ProviderError> {
        Ok(self.db.has_clients().await?)
    }

    pub async fn list_clients(&self) -> Result<Vec<Client>, ProviderError> {
        Ok(self.db.list_clients().await?)
    }

    /// When a client first completed a sign-in (its first grant), if it has.
    pub async fn first_login_of(&self, client_id: &str) -> Result<Option<i64>, ProviderError> {
        Ok(self.db.first_grant_of_client(client_id).await?)
    }

    pub async fn client_by_id(&self, client_id: &str) -> Result<Option<Client>, ProviderError> {
        Ok(self.db.find_client(client_id).await?)
    }

    /// Replaces a client's logout endpoints after checking them; false when no such client exists.
    pub async fn set_client_logout(
        &self,
        client_id: &str,
        logout: super::client::LogoutChannels,
    ) -> Result<bool, RegisterClientError> {
        let logout = logout.validated()?;
        let changed = self.db.set_client_logout(client_id, &logout, self.now()).await.map_err(ProviderError::from)?;
        self.client_changed(client_id).await;
        Ok(changed)
    }

    pub async fn set_client_enabled(&self, client_id: &str, enabled: bool) -> Result<bool, ProviderError> {
        let changed = self.db.set_client_enabled(client_id, enabled, self.now()).await?;
        self.client_changed(client_id).await;
        Ok(changed)
    }

    /// Forgets this process's copy of a client and tells every other process to forget theirs. If the
    /// announcement fails (Redis away), their copies expire within `CLIENT_CACHE_SECS`.
    async fn client_changed(&self, client_id: &str) {
        self.clients.invalidate(client_id).await;
        let change = crate::store::ephemeral::Change::Client(client_id.to_owned());
        if let Err(error) = self.ephemeral.announce(&change).await {
            tracing::warn!(%error, "could not tell other instances that a client changed");
        }
    }

    /// Forgets this process's copy of a client that another process changed.
    pub async fn forget_client(&self, client_id: &str) {
        self.clients.invalidate(client_id).await;
    }

    /// Forgets every cached client (changes may have been missed).
    pub fn forget_all_clients(&self) {
        self.clients.invalidate_all();
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterClientError {
    #[error(transparent)]
    Invalid(#[from] RegistrationError),
    #[error("{0} is not one of the assurance levels (acr_values_supported)")]
    UnknownAcr(String),
    #[error(transparent)]
    Provider(#[from] ProviderError),
}
