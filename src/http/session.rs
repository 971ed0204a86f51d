//! Browser sessions: tower-sessions with its records in the ephemeral store (memory or Redis), never in
//! the cookie. The cookie carries only a random session id, renewed at every login.
//!
//! A browser session holds the CSRF token, the reference to the SSO login session, and the authorization
//! requests in progress (a few at most, so several tabs can sign in at once).

use super::error::AppError;
use crate::oidc::authorize::AuthorizationRequest;
use crate::store::SharedEphemeral;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;
use tower_sessions::session::{Id, Record};
use tower_sessions::{Session, SessionStore, session_store};

pub const COOKIE_NAME: &str = "yimen_session";
const CSRF_KEY: &str = "csrf";
const LOGIN_KEY: &str = "login";
const PENDING_KEY: &str = "authz";
const LOGOUT_KEY: &str = "logout";
const PARTIAL_KEY: &str = "partial_login";
const ACTING_KEY: &str = "acting_org";
const MAX_PENDING: usize = 5;

#[derive(Debug, Clone)]
pub struct EphemeralSessionStore {
    ephemeral: SharedEphemeral,
}

impl EphemeralSessionStore {
    pub fn new(ephemeral: SharedEphemeral) -> Self {
        Self { ephemeral }
    }
}

fn key(id: &Id) -> String {
    format!("session:{id}")
}

fn backend(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait::async_trait]
impl SessionStore for EphemeralSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let bytes = serde_json::to_vec(&record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        // A fresh id is 128 random bits, so collisions are theoretical; still, never overwrite.
        while !self.ephemeral.put_new(&key(&record.id), &bytes, ttl_ms(record)).await.map_err(backend)? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let bytes = serde_json::to_vec(&record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        self.ephemeral.put(&key(&record.id), &bytes, ttl_ms(record)).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self.ephemeral.get(&key(id)).await.map_err(backend)? {
            Some(bytes) => {
                Ok(Some(serde_json::from_slice(&bytes).map_err(|e| session_store::Error::Decode(e.to_string()))?))
            }
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.ephemeral.delete(&key(id)).await.map_err(backend)
    }
}

fn ttl_ms(record: &Record) -> i64 {
    // tower-sessions sets expiry_date from the wall clock, so the lifetime is measured the same way.
    #[allow(clippy::disallowed_methods)]
    let remaining = record.expiry_date - time::OffsetDateTime::now_utc();
    remaining.whole_milliseconds().clamp(1000, i128::from(i64::MAX)) as i64
}

/// Gives a session that is about to be saved the lifetime its state deserves: the idle lifetime of
/// signed-in sessions once someone has signed in, the much shorter one of anonymous sessions
/// (`http.anonymous_session_idle_secs`: long enough to sign in, short enough that anonymous requests
/// cannot pile up) before. Sessions that are not saved are left alone, so reading a page writes nothing.
pub async fn lifetime(
    axum::extract::State((signed_in_idle_secs, anonymous_idle_secs)): axum::extract::State<(i64, i64)>,
    session: Session,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    if session.is_modified() && !session.is_empty().await {
        let signed_in = session.get::<LoginRef>(LOGIN_KEY).await.ok().flatten().is_some();
        let idle = if signed_in { signed_in_idle_secs } else { anonymous_idle_secs };
        session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(time::Duration::seconds(idle))));
    }
    response
}

/// Sends a browser nobody is signed in to to the login page before a large upload is read (face photos,
/// item lists), so that anonymous requests cannot make the server take in megabytes.
pub async fn signed_in_before_upload(
    session: Session,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match session.get::<LoginRef>(LOGIN_KEY).await {
        Ok(Some(_)) => next.run(request).await,
        Ok(None) => {
            let (parts, _) = request.into_parts();
            super::gate::to_login(&super::guard::here(&parts))
        }
        Err(error) => super::error::AppError::from(error).into_response(),
    }
}

/// A login proved with one factor, waiting for the second that the client requires.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartialLogin {
    pub person_id: String,
    pub amr: Vec<crate::identity::amr::Amr>,
    /// The upstream platform the first factor came through, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// Where a login without an authorization request continues (a console page).
    #[serde(default)]
    pub next: Option<String>,
}

/// A logout awaiting the person's confirmation, and where to go afterwards.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogoutTicket {
    pub ticket: String,
    pub redirect: Option<String>,
}

/// The browser's reference to its SSO login session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRef {
    pub session_id: String,
    pub person_id: String,
}

/// Typed access to what yimen keeps in a browser session.
pub struct Browser<'a>(pub &'a Session);

impl Browser<'_> {
    /// The session's CSRF token, created on first use (synchroniser-token pattern).
    pub async fn csrf_token(&self) -> Result<String, AppError> {
        if let Some(token) = self.0.get::<String>(CSRF_KEY).await? {
            return Ok(token);
        }
        let token = crate::crypto::random_token(24);
        self.0.insert(CSRF_KEY, &token).await?;
        Ok(token)
    }

    pub async fn csrf_matches(&self, presented: &str) -> Result<bool, AppError> {
        let expected = self.0.get::<String>(CSRF_KEY).await?;
        Ok(expected.is_some_and(|expected| {
            !presented.is_empty() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
        }))
    }

    pub async fn login(&self) -> Result<Option<LoginRef>, AppError> {
        Ok(self.0.get(LOGIN_KEY).await?)
    }

    /// Records a new login under a new session id, so an id planted before login is worthless after it
    /// (session fixation).
    pub async fn start_login(&self, login: LoginRef) -> Result<(), AppError> {
        self.0.cycle_id().await?;
        self.0.insert(LOGIN_KEY, login).await?;
        // A new CSRF token too: the old one may have been seen by whoever planted the session.
        self.0.insert(CSRF_KEY, crate::crypto::random_token(24)).await?;
        Ok(())
    }

    pub async fn end_login(&self) -> Result<(), AppError> {
        self.0.remove::<LoginRef>(LOGIN_KEY).await?;
        self.0.cycle_id().await?;
        Ok(())
    }

    async fn pending_map(&self) -> Result<BTreeMap<String, AuthorizationRequest>, AppError> {
        Ok(self.0.get(PENDING_KEY).await?.unwrap_or_default())
    }

    pub async fn pending(&self, rid: &str) -> Result<Option<AuthorizationRequest>, AppError> {
        Ok(self.pending_map().await?.remove(rid))
    }

    /// Keeps a request in progress, dropping the oldest beyond a few.
    pub async fn put_pending(&self, request: &AuthorizationRequest) -> Result<(), AppError> {
        let mut pending = self.pending_map().await?;
        pending.insert(request.id.clone(), request.clone());
        while pending.len() > MAX_PENDING {
            let oldest = pending.iter().min_by_key(|(_, r)| r.created_at).map(|(id, _)| id.clone());
            match oldest {
                Some(id) => pending.remove(&id),
                None => break,
            };
        }
        self.0.insert(PENDING_KEY, pending).await?;
        Ok(())
    }

    pub async fn remove_pending(&self, rid: &str) -> Result<(), AppError> {
        let mut pending = self.pending_map().await?;
        if pending.remove(rid).is_some() {
            self.0.insert(PENDING_KEY, pending).await?;
        }
        Ok(())
    }

    pub async fn put_logout_ticket(&self, ticket: &LogoutTicket) -> Result<(), AppError> {
        self.0.insert(LOGOUT_KEY, ticket).await?;
        Ok(())
    }

    /// The pending logout if `ticket` names it; it is consumed either way.
    pub async fn take_logout_ticket(&self, ticket: &str) -> Result<Option<LogoutTicket>, AppError> {
        let stored: Option<LogoutTicket> = self.0.remove(LOGOUT_KEY).await?;
        Ok(stored.filter(|stored| !ticket.is_empty() && bool::from(stored.ticket.as_bytes().ct_eq(ticket.as_bytes()))))
    }

    pub async fn put_partial_login(&self, partial: &PartialLogin) -> Result<(), AppError> {
        self.0.insert(PARTIAL_KEY, partial).await?;
        Ok(())
    }

    pub async fn partial_login(&self) -> Result<Option<PartialLogin>, AppError> {
        Ok(self.0.get(PARTIAL_KEY).await?)
    }

    pub async fn clear_partial_login(&self) -> Result<(), AppError> {
        self.0.remove::<PartialLogin>(PARTIAL_KEY).await?;
        Ok(())
    }

    /// The organisation the person acts for in this browser, if any.
    pub async fn acting(&self) -> Result<Option<String>, AppError> {
        Ok(self.0.get(ACTING_KEY).await?)
    }

    pub async fn set_acting(&self, org_id: Option<&str>) -> Result<(), AppError> {
        match org_id {
            Some(org_id) => self.0.insert(ACTING_KEY, org_id).await?,
            None => {
                self.0.remove::<String>(ACTING_KEY).await?;
            }
        }
        Ok(())
    }

    pub async fn clear_acting(&self) -> Result<(), AppError> {
        self.set_acting(None).await
    }

    /// Keeps a value for one step of a flow (an encrypted phone number, a ceremony id).
    pub async fn put_flow(&self, name: &str, value: &str) -> Result<(), AppError> {
        self.0.insert(&format!("flow:{name}"), value).await?;
        Ok(())
    }

    pub async fn flow(&self, name: &str) -> Result<Option<String>, AppError> {
        Ok(self.0.get(&format!("flow:{name}")).await?)
    }

    pub async fn take_flow(&self, name: &str) -> Result<Option<String>, AppError> {
        Ok(self.0.remove(&format!("flow:{name}")).await?)
    }
}
