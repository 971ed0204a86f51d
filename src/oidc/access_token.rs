//! Access tokens: opaque 256-bit values whose records live in ephemeral state under the token's digest,
//! for as long as the token is valid. Revoking a grant leaves a marker that every token of the grant
//! checks, so revocation takes effect at once without a database write per token.

use super::provider::{Provider, ProviderError};
use crate::crypto::{random_token, token_digest};
use crate::store::EphemeralExt;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessTokenRecord {
    pub client_id: String,
    /// None for client-credentials tokens, which act for the client itself.
    pub person_id: Option<String>,
    pub grant_id: Option<String>,
    pub session_id: Option<String>,
    pub scopes: String,
    /// Claims requested individually for the UserInfo response.
    pub userinfo_claims: Vec<String>,
    pub acting_org_id: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
}

pub struct IssuedAccessToken {
    pub token: String,
    pub digest: String,
    pub expires_in: i64,
}

fn token_key(digest: &str) -> String {
    format!("at:{digest}")
}

fn revoked_grant_key(grant_id: &str) -> String {
    format!("grant-revoked:{grant_id}")
}

impl Provider {
    pub(super) async fn issue_access_token(
        &self,
        mut record: AccessTokenRecord,
    ) -> Result<IssuedAccessToken, ProviderError> {
        let token = random_token(32);
        let digest = token_digest(&token);
        let ttl = self.tokens.access_token_ttl_secs;
        record.issued_at = self.now();
        record.expires_at = record.issued_at + ttl;
        self.ephemeral.put_json(&token_key(&digest), &record, ttl * 1000).await?;
        Ok(IssuedAccessToken { token, digest, expires_in: ttl })
    }

    /// The record of a live access token: known, unexpired, and its grant not revoked.
    pub async fn find_access_token(&self, token: &str) -> Result<Option<AccessTokenRecord>, ProviderError> {
        if token.is_empty() || token.len() > 512 {
            return Ok(None);
        }
        let Some(record) = self.ephemeral.get_json::<AccessTokenRecord>(&token_key(&token_digest(token))).await? else {
            return Ok(None);
        };
        if record.expires_at <= self.now() {
            return Ok(None);
        }
        if let Some(grant_id) = &record.grant_id
            && self.grant_is_revoked(grant_id).await?
        {
            return Ok(None);
        }
        // The client disabled, or disabled since the token was issued; the account closed or stopped.
        match self.find_client(&record.client_id).await? {
            Some(client) if record.issued_at >= client.tokens_valid_from => {}
            _ => return Ok(None),
        }
        if let Some(person_id) = &record.person_id
            && !self.account_is_active(person_id).await?
        {
            return Ok(None);
        }
        Ok(Some(record))
    }

    pub(super) async fn delete_access_token(&self, digest: &str) -> Result<(), ProviderError> {
        Ok(self.ephemeral.delete(&token_key(digest)).await?)
    }

    /// Revokes a grant: its access tokens through the marker, its refresh tokens in the database. The
    /// marker comes first: a redemption still creating the grant checks it after writing the row, so
    /// whichever of the two comes second sees the other.
    pub async fn revoke_grant(&self, grant_id: &str, reason: &str) -> Result<(), ProviderError> {
        self.mark_grant_revoked(grant_id).await?;
        self.db.revoke_grant(grant_id, self.now(), reason).await?;
        Ok(())
    }

    /// Whether the account exists and may be used (not closed, stopped or awaiting activation).
    pub(super) async fn account_is_active(&self, person_id: &str) -> Result<bool, ProviderError> {
        let person = self.accounts.find(person_id).await.map_err(|e| ProviderError::Internal(e.to_string()))?;
        Ok(person.is_some_and(|person| person.is_active()))
    }

    pub(super) async fn grant_is_revoked(&self, grant_id: &str) -> Result<bool, ProviderError> {
        Ok(self.ephemeral.get(&revoked_grant_key(grant_id)).await?.is_some())
    }

    pub(super) async fn mark_grant_revoked(&self, grant_id: &str) -> Result<(), ProviderError> {
        let ttl_ms = self.tokens.access_token_ttl_secs * 1000;
        Ok(self.ephemeral.put(&revoked_grant_key(grant_id), b"1", ttl_ms).await?)
    }
}
