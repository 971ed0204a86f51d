//! Finishing a sign-in, whatever proved it (password, SMS code, passkey, second factor, activation): the
//! SSO session is started, or renewed when the browser's session is already the same person's (its `sid`,
//! known to relying parties, stays); another person's session in the same browser is ended first; the
//! sign-in goes into the person's history; and the caller learns whether the person acts for
//! organisations, to ask in whose name they continue. What belongs to the browser (its session id, the
//! request it was on) stays with the page layer.

use super::LoginError;
use super::amr::Amr;
use super::login_history::{LoginHistory, LoginRecord};
use super::login_session::{LoginOrigin, LoginSession, LoginSessions};
use super::organisation::Organisations;
use super::sign_out::SharedSignOut;

/// Who proved themselves, and with which factors.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub person_id: String,
    pub amr: Vec<Amr>,
    /// The upstream platform that vouched for the person, for a federated sign-in.
    pub upstream: Option<String>,
}

impl Authenticated {
    pub fn new(person_id: &str, amr: &[Amr]) -> Self {
        Self { person_id: person_id.to_owned(), amr: amr.to_vec(), upstream: None }
    }

    /// A sign-in an upstream platform vouched for; `two_factors` when it says it saw two.
    pub fn through_upstream(person_id: &str, upstream: &str, two_factors: bool) -> Self {
        let amr = if two_factors { vec![Amr::Fed, Amr::Mfa] } else { vec![Amr::Fed] };
        Self { person_id: person_id.to_owned(), amr, upstream: Some(upstream.to_owned()) }
    }
}

/// A finished sign-in.
#[derive(Debug, Clone)]
pub struct Finished {
    pub session: LoginSession,
    /// The browser's session was another person's, and has ended.
    pub replaced_another_person: bool,
    /// The person holds an organisation grant, so may continue in an organisation's name.
    pub acts_for_organisations: bool,
}

#[derive(Clone)]
pub struct Logins {
    sessions: LoginSessions,
    history: LoginHistory,
    orgs: Organisations,
    sign_out: SharedSignOut,
}

impl std::fmt::Debug for Logins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Logins")
    }
}

impl Logins {
    pub fn new(sessions: LoginSessions, history: LoginHistory, orgs: Organisations, sign_out: SharedSignOut) -> Self {
        Self { sessions, history, orgs, sign_out }
    }

    /// Finishes `who`'s sign-in in a browser whose current session is `previous`, for `client_id` when a
    /// system's request is behind it.
    pub async fn finish(
        &self,
        who: &Authenticated,
        previous: Option<&LoginSession>,
        client_id: Option<&str>,
        origin: LoginOrigin,
    ) -> Result<Finished, LoginError> {
        let other = previous.filter(|p| p.person_id != who.person_id);
        if let Some(other) = other {
            self.sign_out.end_session(&other.id, "another person logged in").await.map_err(LoginError::Internal)?;
        }
        let record_origin = origin.clone();
        let session = self
            .sessions
            .start_or_renew(previous, &who.person_id, &who.amr, who.upstream.as_deref(), origin)
            .await
            .map_err(|e| LoginError::Internal(e.into()))?;
        let record = LoginRecord {
            person_id: &who.person_id,
            client_id,
            methods: &who.amr,
            ip: record_origin.ip.as_deref(),
            user_agent: record_origin.user_agent.as_deref(),
        };
        self.history.record(record).await.map_err(|e| LoginError::Internal(e.into()))?;
        let memberships = self.orgs.memberships_of(&who.person_id).await.map_err(|e| LoginError::Internal(e.into()))?;
        Ok(Finished {
            session,
            replaced_another_person: other.is_some(),
            acts_for_organisations: !memberships.is_empty(),
        })
    }
}
