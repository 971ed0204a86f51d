//! RP-Initiated Logout 1.0: deciding whether to log out at once or ask first, and where (if anywhere) to
//! send the browser afterwards. A redirect happens only to a URI registered for a client we could
//! identify, so the endpoint is never an open redirector.

use super::provider::{Provider, ProviderError};
use super::redirect_uri::with_query;
use crate::identity::sign_out::{SignOut, SignOutError};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct EndSessionParams {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
    pub ui_locales: Option<String>,
    pub logout_hint: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum EndSessionPlan {
    /// The request carried a valid ID token of ours: end the session it names and the browser's, then
    /// redirect if a registered URI was given.
    LogoutNow { session_id: Option<String>, redirect: Option<String> },
    /// Without proof that a client sent it, ask the person before logging out.
    Confirm { redirect: Option<String>, client_name: Option<String> },
    /// The request cannot be honoured; show why.
    Reject(String),
}

#[derive(Deserialize)]
struct HintClaims {
    aud: serde_json::Value,
    sub: String,
    sid: Option<String>,
}

impl Provider {
    /// Plans a logout for a browser whose SSO login session is `current`. A valid `id_token_hint` logs out
    /// at once only when it names that session (its `sid`, or without one its subject); a hint of another
    /// person or another session — logout CSRF — only leads to the question, and no session the hint does
    /// not name is ever ended. An expired hint is accepted when it names the current session, as
    /// RP-Initiated Logout 1.0 §2 asks.
    pub async fn plan_end_session(
        &self,
        params: &EndSessionParams,
        current: Option<&crate::identity::LoginSession>,
    ) -> Result<EndSessionPlan, ProviderError> {
        let hint =
            params.id_token_hint.as_deref().filter(|h| !h.is_empty()).and_then(|hint| self.verify_logout_hint(hint));
        let hinted_client = hint.as_ref().and_then(|claims| match &claims.aud {
            serde_json::Value::String(aud) => Some(aud.clone()),
            serde_json::Value::Array(values) if values.len() == 1 => values[0].as_str().map(str::to_owned),
            _ => None,
        });
        let client_id = match (hinted_client, params.client_id.as_deref().filter(|c| !c.is_empty())) {
            (Some(hinted), Some(given)) if hinted != given => {
                return Ok(EndSessionPlan::Reject("client_id does not match the audience of id_token_hint".into()));
            }
            (Some(hinted), _) => Some(hinted),
            (None, given) => given.map(str::to_owned),
        };
        let client = match &client_id {
            Some(id) => self.find_client(id).await?,
            None => None,
        };
        let redirect = match params.post_logout_redirect_uri.as_deref().filter(|u| !u.is_empty()) {
            None => None,
            Some(uri) => {
                let Some(client) = &client else {
                    return Ok(EndSessionPlan::Reject(
                        "post_logout_redirect_uri can only be used with a valid id_token_hint or client_id".into(),
                    ));
                };
                if !client.has_post_logout_redirect_uri(uri) {
                    return Ok(EndSessionPlan::Reject(
                        "post_logout_redirect_uri is not registered for this client".into(),
                    ));
                }
                let state = params.state.as_deref().filter(|s| !s.is_empty());
                Some(match state {
                    Some(state) => with_query(uri, &[("state", state)]),
                    None => uri.to_owned(),
                })
            }
        };
        let Some(claims) = hint else {
            return Ok(EndSessionPlan::Confirm { redirect, client_name: client.map(|c| c.name) });
        };
        let Some(current) = current else {
            // Nobody is signed in here: nothing to end, and the hint is not a licence to end it elsewhere.
            return Ok(EndSessionPlan::LogoutNow { session_id: None, redirect });
        };
        let names_this_session = match &claims.sid {
            Some(sid) => *sid == current.id,
            None => client.as_ref().is_some_and(|c| self.subject_for(c, &current.person_id) == claims.sub),
        };
        Ok(if names_this_session {
            EndSessionPlan::LogoutNow { session_id: Some(current.id.clone()), redirect }
        } else {
            EndSessionPlan::Confirm { redirect, client_name: client.map(|c| c.name) }
        })
    }

    /// Ends a login session and everything that depends on it: its non-offline grants and their tokens.
    /// Clients that had a login in it and registered a back-channel URI are told (see
    /// `backchannel_logout.rs`).
    pub async fn end_login_session(&self, session_id: &str, reason: &str) -> Result<(), ProviderError> {
        if self.sessions.end(session_id, reason).await? {
            self.logout_notices_queued();
        }
        let revoked = self.db.revoke_session_grants(session_id, self.now(), reason).await?;
        for grant_id in revoked {
            self.mark_grant_revoked(&grant_id).await?;
        }
        Ok(())
    }

    /// Ends every active login session of a person (sign out everywhere, password reset).
    pub async fn end_all_sessions(&self, person_id: &str, reason: &str) -> Result<usize, ProviderError> {
        self.end_sessions_except(person_id, None, reason).await
    }

    /// Ends a person's active login sessions other than `keep`.
    pub async fn end_sessions_except(
        &self,
        person_id: &str,
        keep: Option<&str>,
        reason: &str,
    ) -> Result<usize, ProviderError> {
        let sessions = self.db.active_login_sessions_of(person_id, self.now()).await?;
        let mut ended = 0;
        for session in sessions.iter().filter(|s| Some(s.id.as_str()) != keep) {
            self.end_login_session(&session.id, reason).await?;
            ended += 1;
        }
        Ok(ended)
    }

    /// A person's active login sessions, newest first.
    pub async fn active_sessions(
        &self,
        person_id: &str,
    ) -> Result<Vec<crate::store::login_sessions::LoginSessionRow>, ProviderError> {
        Ok(self.db.active_login_sessions_of(person_id, self.now()).await?)
    }

    /// Revokes a person's grants — for one client, or all — including offline ones, with their tokens.
    pub async fn revoke_person_grants(
        &self,
        person_id: &str,
        client_id: Option<&str>,
        reason: &str,
    ) -> Result<(), ProviderError> {
        for grant_id in self.db.revoke_person_grants(person_id, client_id, self.now(), reason).await? {
            self.mark_grant_revoked(&grant_id).await?;
        }
        Ok(())
    }

    /// An ID token we issued, whatever its age (RP-Initiated Logout §2: an expired one is still a hint).
    fn verify_logout_hint(&self, hint: &str) -> Option<HintClaims> {
        self.keys
            .verify(hint, |v| {
                v.validate_exp = false;
                v.validate_aud = false;
                v.set_issuer(&[&self.issuer]);
                v.set_required_spec_claims(&["iss", "aud", "sub"]);
            })
            .ok()
    }
}

#[async_trait::async_trait]
impl SignOut for Provider {
    async fn end_session(&self, session_id: &str, reason: &str) -> Result<(), SignOutError> {
        Ok(self.end_login_session(session_id, reason).await?)
    }

    async fn end_sessions(&self, person_id: &str, reason: &str) -> Result<usize, SignOutError> {
        Ok(self.end_all_sessions(person_id, reason).await?)
    }

    async fn revoke_grants(&self, person_id: &str, reason: &str) -> Result<(), SignOutError> {
        Ok(self.revoke_person_grants(person_id, None, reason).await?)
    }
}
