//! The UserInfo endpoint (OpenID Connect Core §5.3): the claims the access token's scopes and claims
//! request cover, for the subject the client knows. A read path: no writes.

use super::claims;
use super::error::{ErrorCode, OAuthError};
use super::provider::{Provider, ProviderError};
use super::scope::ScopeSet;
use serde_json::{Map, Value, json};

impl Provider {
    pub async fn userinfo(&self, token: &str) -> Result<Map<String, Value>, OAuthError> {
        let record = self.find_access_token(token).await?.ok_or_else(|| {
            OAuthError::new(ErrorCode::InvalidToken, "the access token is unknown, expired or revoked")
        })?;
        let scopes = ScopeSet::parse(&record.scopes).unwrap_or_default();
        let Some(person_id) = record.person_id.as_deref().filter(|_| scopes.contains("openid")) else {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                "the access token was not issued with scope openid",
            ));
        };
        let client = self
            .find_client(&record.client_id)
            .await?
            .ok_or_else(|| OAuthError::new(ErrorCode::InvalidToken, "the client of this token is disabled"))?;
        let person = self
            .accounts
            .find(person_id)
            .await
            .map_err(|e| ProviderError::Internal(e.into()))?
            .filter(|person| person.is_active())
            .ok_or_else(|| OAuthError::new(ErrorCode::InvalidToken, "the account of this token is no longer active"))?;
        let names = claims::requested_names(&scopes, record.userinfo_claims.iter());
        let mut body = Map::new();
        body.insert("sub".to_owned(), json!(self.subject_for(&client, &person.id)));
        body.extend(claims::release(&person, names, &client.allowed_scopes));
        if scopes.contains("assurance") && client.allowed_scopes.contains("assurance") {
            body.insert("assurance".to_owned(), self.assurance.claim(&person.id).await.map_err(ProviderError::from)?);
        }
        if let Some(org) = self.org_claim(&client, &person.id, record.acting_org_id.as_deref(), &scopes).await? {
            body.insert("org".to_owned(), org);
        }
        if self.sandbox {
            body.insert("sandbox".to_owned(), json!(true));
        }
        Ok(body)
    }
}
