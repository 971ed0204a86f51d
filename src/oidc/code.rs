//! Authorization codes: single-use, short-lived, kept in ephemeral state under the digest of the code.
//! A redemption first claims the code with a marker naming the grant it will produce (put-if-absent, so
//! of any number of racers exactly one claims it), then takes the record. Every other redemption, at
//! once or later, finds the marker and revokes that grant (RFC 6749 §4.1.2), even one not finished yet.

use super::claims::ClaimsRequest;
use super::provider::{Provider, ProviderError};
use super::values::{CodeChallenge, Nonce, RedirectUri};
use crate::crypto::token_digest;
use crate::store::EphemeralExt;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeRecord {
    pub client_id: String,
    pub redirect_uri: RedirectUri,
    pub person_id: String,
    pub session_id: String,
    pub scopes: String,
    pub claims: Option<ClaimsRequest>,
    pub nonce: Option<Nonce>,
    pub code_challenge: Option<CodeChallenge>,
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<crate::identity::amr::Amr>,
    /// The upstream platform the sign-in came through, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// The organisation the person chose to act for, if any.
    pub acting_org_id: Option<String>,
    pub expires_at: i64,
    /// What the sandbox's developer chose to happen to the tokens (never set outside a sandbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_outcome: Option<super::sandbox::Outcome>,
}

/// What a redeemed code left behind: the grant it produces.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedeemedCode {
    pub grant_id: String,
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

    /// Claims the redemption of `code` for `grant_id`; false when another redemption claimed it first.
    pub(super) async fn claim_redemption(&self, code: &str, grant_id: &str) -> Result<bool, ProviderError> {
        // Long enough to catch a replay for as long as the tokens it would revoke remain useful.
        let ttl_ms = self.tokens.access_token_ttl_secs.max(self.tokens.authorization_code_ttl_secs) * 1000;
        let marker = serde_json::to_vec(&RedeemedCode { grant_id: grant_id.to_owned() })
            .map_err(|e| ProviderError::Internal(e.into()))?;
        Ok(self.ephemeral.put_new(&redeemed_key(code), &marker, ttl_ms).await?)
    }

    /// Forgets a claim on a code that was never issued (or has expired): there is nothing to protect.
    pub(super) async fn release_redemption(&self, code: &str) -> Result<(), ProviderError> {
        Ok(self.ephemeral.delete(&redeemed_key(code)).await?)
    }

    pub(super) async fn find_redeemed_code(&self, code: &str) -> Result<Option<RedeemedCode>, ProviderError> {
        Ok(self.ephemeral.get_json(&redeemed_key(code)).await?)
    }
}
