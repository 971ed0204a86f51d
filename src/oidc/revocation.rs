//! Token revocation (RFC 7009). Revoking a refresh token revokes its grant, and so every access token
//! issued under it. Unknown tokens and other clients' tokens are answered with success, as §2.2 asks.

use super::error::OAuthError;
use super::introspection::TokenOnlyParams;
use super::provider::{Provider, ProviderError};

impl Provider {
    pub async fn revoke(
        &self,
        params: TokenOnlyParams,
        authorization_header: Option<String>,
    ) -> Result<(), OAuthError> {
        let caller = self
            .authenticate_client(&params.credentials(authorization_header), &self.endpoint(crate::paths::REVOKE))
            .await?;
        let token = params
            .token
            .as_ref()
            .map(crate::secret::SecretString::expose)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        if let Some(record) = self.find_access_token(token).await? {
            if record.client_id == caller.client.id {
                self.revoke_access_token(token, &record).await?;
            }
            return Ok(());
        }
        let digest = crate::crypto::token_digest(token);
        if let Some(refresh) = self.db.find_refresh_token(&digest).await.map_err(ProviderError::from)?
            && let Some(grant) = self.db.find_grant(&refresh.grant_id).await.map_err(ProviderError::from)?
            && grant.client_id == caller.client.id
        {
            self.revoke_grant(&grant.id, "revoked by the client").await?;
        }
        Ok(())
    }
}
