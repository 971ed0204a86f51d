//! Access tokens: self-contained and opaque. The token is its own record, sealed (AES-256-GCM) with a key
//! derived from the data key, so issuing one stores nothing: memory does not grow with the tokens issued
//! and every instance can read any instance's tokens. Revoking one token or a whole grant leaves a marker
//! in ephemeral state for the rest of the tokens' lifetime, which every use checks, so revocation takes
//! effect at once without a database write per token.

use super::provider::{Provider, ProviderError};
use crate::crypto::{b64url, b64url_decode, token_digest};
use crate::store::EphemeralExt;
use serde::{Deserialize, Serialize};

/// The content of an access token. The short names keep the token short; the aliases read records
/// that instances before sealed tokens stored in ephemeral state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessTokenRecord {
    #[serde(rename = "c", alias = "client_id")]
    pub client_id: String,
    /// None for client-credentials tokens, which act for the client itself.
    #[serde(rename = "p", alias = "person_id", default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    #[serde(rename = "g", alias = "grant_id", default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    #[serde(rename = "s", alias = "session_id", default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(rename = "sc", alias = "scopes")]
    pub scopes: String,
    /// Claims requested individually for the UserInfo response.
    #[serde(rename = "u", alias = "userinfo_claims", default, skip_serializing_if = "Vec::is_empty")]
    pub userinfo_claims: Vec<String>,
    #[serde(rename = "o", alias = "acting_org_id", default, skip_serializing_if = "Option::is_none")]
    pub acting_org_id: Option<String>,
    #[serde(rename = "i", alias = "issued_at")]
    pub issued_at: i64,
    #[serde(rename = "e", alias = "expires_at")]
    pub expires_at: i64,
}

/// Marks the tokens this version issues; anything else is looked up as a stored record.
const SEALED_PREFIX: &str = "yat1.";
/// Binds the sealed content to its use, so no other sealed value can pass for an access token.
const SEALED_PURPOSE: &str = "access-token";
/// Longer than any token this version issues (about 300 characters with every field set).
const MAX_TOKEN_LEN: usize = 2048;

pub struct IssuedAccessToken {
    pub token: String,
    pub expires_in: i64,
}

/// Where instances before sealed tokens kept each token's record.
fn stored_token_key(digest: &str) -> String {
    format!("at:{digest}")
}

fn revoked_token_key(digest: &str) -> String {
    format!("at-revoked:{digest}")
}

fn revoked_grant_key(grant_id: &str) -> String {
    format!("grant-revoked:{grant_id}")
}

impl Provider {
    pub(super) async fn issue_access_token(
        &self,
        mut record: AccessTokenRecord,
    ) -> Result<IssuedAccessToken, ProviderError> {
        let ttl = self.tokens.access_token_ttl_secs;
        record.issued_at = self.now();
        record.expires_at = record.issued_at + ttl;
        let content = serde_json::to_vec(&record).map_err(|e| ProviderError::Internal(e.into()))?;
        let token = format!("{SEALED_PREFIX}{}", b64url(&self.keyring.seal_token(SEALED_PURPOSE, &content)));
        Ok(IssuedAccessToken { token, expires_in: ttl })
    }

    /// The record of a live access token: genuine, unexpired, not revoked, its grant not revoked, its
    /// client and account still in good standing.
    pub async fn find_access_token(&self, token: &str) -> Result<Option<AccessTokenRecord>, ProviderError> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Ok(None);
        }
        let digest = token_digest(token);
        let record = match token.strip_prefix(SEALED_PREFIX) {
            Some(sealed) => self.open_access_token(sealed),
            None => self.ephemeral.get_json::<AccessTokenRecord>(&stored_token_key(&digest)).await?,
        };
        let Some(record) = record else {
            return Ok(None);
        };
        if record.expires_at <= self.now() || self.ephemeral.get(&revoked_token_key(&digest)).await?.is_some() {
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

    /// The token's content, if the data key sealed it; a forged or damaged token is simply unknown.
    fn open_access_token(&self, sealed: &str) -> Option<AccessTokenRecord> {
        let content = self.keyring.open_token(SEALED_PURPOSE, &b64url_decode(sealed)?).ok()?;
        serde_json::from_slice(&content).ok()
    }

    /// Revokes one access token for the rest of its lifetime.
    pub(super) async fn revoke_access_token(
        &self,
        token: &str,
        record: &AccessTokenRecord,
    ) -> Result<(), ProviderError> {
        let digest = token_digest(token);
        let left_ms = (record.expires_at - self.now()).max(1) * 1000;
        self.ephemeral.put(&revoked_token_key(&digest), b"1", left_ms).await?;
        Ok(self.ephemeral.delete(&stored_token_key(&digest)).await?)
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
        let person = self.accounts.find(person_id).await.map_err(|e| ProviderError::Internal(e.into()))?;
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
