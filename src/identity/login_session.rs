//! SSO login sessions: created at each successful login, shared by every client the person then signs in
//! to, ended by logout, expiry or an administrator.

use super::amr::{self, Amr};
use crate::clock::SharedClock;
use crate::store::login_sessions::LoginSessionRow;
use crate::store::{Database, StoreError};

#[derive(Debug, Clone)]
pub struct LoginSession {
    pub id: String,
    pub person_id: String,
    pub auth_time: i64,
    pub amr: Vec<Amr>,
    /// The upstream platform the sign-in came through, if any.
    pub upstream: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LoginSessions {
    db: Database,
    clock: SharedClock,
    max_secs: i64,
}

/// Where a login came from, kept for the person's own session list.
#[derive(Debug, Clone, Default)]
pub struct LoginOrigin {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl LoginSessions {
    pub fn new(db: Database, clock: SharedClock, max_secs: i64) -> Self {
        Self { db, clock, max_secs }
    }

    pub async fn start(
        &self,
        person_id: &str,
        amr: &[Amr],
        upstream: Option<&str>,
        origin: LoginOrigin,
    ) -> Result<LoginSession, StoreError> {
        let now = self.clock.now();
        let row = LoginSessionRow {
            id: crate::crypto::random_token(24),
            person_id: person_id.to_owned(),
            auth_time: now,
            amr: amr::join(amr),
            upstream: upstream.map(str::to_owned),
            created_at: now,
            expires_at: now + self.max_secs,
            ended_at: None,
            user_agent: origin.user_agent.map(|ua| ua.chars().take(256).collect()),
            ip: origin.ip,
        };
        self.db.insert_login_session(&row).await?;
        Ok(to_session(row))
    }

    /// Starts a session, or, when the browser's current session belongs to the same person, records the
    /// fresh authentication in it so that its `sid` (known to relying parties) stays the same.
    pub async fn start_or_renew(
        &self,
        current: Option<&LoginSession>,
        person_id: &str,
        amr: &[Amr],
        upstream: Option<&str>,
        origin: LoginOrigin,
    ) -> Result<LoginSession, StoreError> {
        if let Some(current) = current.filter(|c| c.person_id == person_id) {
            let now = self.clock.now();
            if self.db.reauthenticate_login_session(&current.id, now, &amr::join(amr), upstream).await? {
                return Ok(LoginSession {
                    id: current.id.clone(),
                    person_id: person_id.to_owned(),
                    auth_time: now,
                    amr: amr.to_vec(),
                    upstream: upstream.map(str::to_owned),
                });
            }
        }
        self.start(person_id, amr, upstream, origin).await
    }

    /// The session if it exists, has not ended and has not outlived its maximum age.
    pub async fn find_active(&self, id: &str) -> Result<Option<LoginSession>, StoreError> {
        let now = self.clock.now();
        Ok(self
            .db
            .find_login_session(id)
            .await?
            .filter(|row| row.ended_at.is_none() && row.expires_at > now)
            .map(to_session))
    }

    pub async fn end(&self, id: &str, reason: &str) -> Result<bool, StoreError> {
        self.db.end_login_session(id, self.clock.now(), reason).await
    }
}

fn to_session(row: LoginSessionRow) -> LoginSession {
    LoginSession {
        id: row.id,
        person_id: row.person_id,
        auth_time: row.auth_time,
        amr: amr::split(&row.amr),
        upstream: row.upstream,
    }
}
