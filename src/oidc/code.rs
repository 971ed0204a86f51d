//! Authorization codes: single-use, short-lived, kept in ephemeral state under the digest of the code.
//! Redeeming takes the record atomically; a marker then remembers which grant the code produced, so a
//! second redemption can revoke it (RFC 6749 §4.1.2).

use super::claims::ClaimsRequest;
use super::provider::{Provider, ProviderError};
use crate::crypto::token_digest;
use crate::store::EphemeralExt;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeRecord {
    pub client_id: String,
    pub redirect_uri: String,
    pub person_id: String,
    pub session_id: String,
    pub scopes: String,
    pub claims: Option<ClaimsRequest>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
    /// The organisation the person chose to act for, if any.
    pub acting_org_id: Option<String>,
    pub expires_at: i64,
}

/// What a redeemed code left behind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedeemedCode {
    pub grant_id: String,
    pub access_token_digest: String,
}

fn code_key(code: &str) -> String {
    format!("code:{}", token_digest(code))
}

fn redeemed_key(code: &str) -> String {
    format!("code-redeemed:{}", token_digest(code))
}

impl Provider {
    pub(super) async fn store_code(&self, code: &str, record: &CodeRecord) -> Result<(), ProviderError> {
        let ttl_ms = self.tokens.authorization_code_ttl_secs * 1000;
        Ok(self.ephemeral.put_json(&code_key(code), record, ttl_ms).await?)
    }

    pub(super) async fn take_code(&self, code: &str) -> Result<Option<CodeRecord>, ProviderError> {
        Ok(self.ephemeral.take_json(&code_key(code)).await?)
    }

    pub(super) async fn mark_code_redeemed(&self, code: &str, redeemed: &RedeemedCode) -> Result<(), ProviderError> {
        // Long enough to catch a replay for as long as the tokens it would revoke remain useful.
        let ttl_ms = self.tokens.access_token_ttl_secs.max(self.tokens.authorization_code_ttl_secs) * 1000;
        Ok(self.ephemeral.put_json(&redeemed_key(code), redeemed, ttl_ms).await?)
    }

    pub(super) async fn find_redeemed_code(&self, code: &str) -> Result<Option<RedeemedCode>, ProviderError> {
        Ok(self.ephemeral.get_json(&redeemed_key(code)).await?)
    }
}
