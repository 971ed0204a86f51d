//! Ending a person's sign-ins after a change that makes them unsafe: a document reclaimed by its holder,
//! a verification revoked, credentials reset at a counter. The sessions and the grants issued in them are
//! the OIDC provider's, which implements this; whoever needs a person signed out needs only this much of it.

use std::sync::Arc;

pub type SignOutError = Box<dyn std::error::Error + Send + Sync>;

#[async_trait::async_trait]
pub trait SignOut: Send + Sync {
    /// Ends one login session, with the grants that depend on it.
    async fn end_session(&self, session_id: &str, reason: &str) -> Result<(), SignOutError>;

    /// Ends every active login session of the person, with the grants that depend on them; the number
    /// ended.
    async fn end_sessions(&self, person_id: &str, reason: &str) -> Result<usize, SignOutError>;

    /// Revokes every grant of the person, offline ones too, with their tokens.
    async fn revoke_grants(&self, person_id: &str, reason: &str) -> Result<(), SignOutError>;
}

pub type SharedSignOut = Arc<dyn SignOut>;
