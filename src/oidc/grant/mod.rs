//! The token endpoint (RFC 6749 §3.2): authenticate the client, then dispatch on `grant_type` to one
//! file per grant.

mod authorization_code;
mod client_credentials;
mod refresh_token;

pub use refresh_token::RETRY_GRACE_SECS;

use super::client::GrantType;
use super::client_auth::PresentedCredentials;
use super::error::{ErrorCode, OAuthError};
use super::provider::Provider;
use serde::{Deserialize, Serialize};

/// The form parameters of a token request. A repeated parameter fails parsing (RFC 6749 §3.2).
#[derive(Debug, Default, Deserialize)]
pub struct TokenParams {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
}

impl TokenParams {
    pub fn credentials(&self, authorization_header: Option<String>) -> PresentedCredentials {
        PresentedCredentials {
            authorization_header,
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            client_assertion_type: self.client_assertion_type.clone(),
            client_assertion: self.client_assertion.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

impl Provider {
    /// Counts a token request against the client's budget for this minute (across instances: the count is
    /// in the ephemeral store); over it, the request is refused before anything is issued or stored.
    async fn within_token_budget(&self, client: &super::client::Client) -> Result<(), OAuthError> {
        let limit = client.max_tokens_per_minute.unwrap_or(self.tokens.max_per_client_per_minute);
        let minute = self.now() / 60;
        let count =
            self.ephemeral.incr(&format!("token-budget:{}:{minute}", client.id), 120_000).await.map_err(|error| {
                tracing::error!(%error, "the token budget could not be counted");
                OAuthError::server_error()
            })?;
        if count > limit {
            return Err(OAuthError::new(
                ErrorCode::TooManyRequests,
                format!("this client may be issued at most {limit} tokens a minute; try again in a minute"),
            ));
        }
        Ok(())
    }

    pub async fn token(
        &self,
        params: TokenParams,
        authorization_header: Option<String>,
    ) -> Result<TokenResponse, OAuthError> {
        let grant_type = params
            .grant_type
            .as_deref()
            .filter(|g| !g.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
        let Some(grant) = GrantType::parse(grant_type) else {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!("grant_type '{grant_type}' is not supported"),
            ));
        };
        let credentials = params.credentials(authorization_header);
        let client = self.authenticate_client(&credentials, &self.endpoint(crate::paths::TOKEN)).await?;
        if !client.client.allows_grant(grant) {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                format!("this client is not registered for the {grant_type} grant"),
            ));
        }
        self.within_token_budget(&client.client).await?;
        let response = match grant {
            GrantType::AuthorizationCode => self.redeem_code(&client, &params).await?,
            GrantType::RefreshToken => self.refresh(&client, &params).await?,
            GrantType::ClientCredentials => self.client_credentials(&client, &params).await?,
        };
        self.metrics.token_issued(grant.as_str());
        Ok(response)
    }
}
