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
use crate::secret::SecretString;
use serde::{Deserialize, Serialize};

/// The form parameters of a token request. A repeated parameter fails parsing (RFC 6749 §3.2).
#[derive(Debug, Default, Deserialize)]
pub struct TokenParams {
    pub grant_type: Option<String>,
    pub code: Option<SecretString>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<SecretString>,
    pub refresh_token: Option<SecretString>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<SecretString>,
}

impl TokenParams {
    pub fn credentials(&self, authorization_header: Option<String>) -> PresentedCredentials {
        PresentedCredentials {
            authorization_header: authorization_header.map(SecretString::new),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            client_assertion_type: self.client_assertion_type.clone(),
            client_assertion: self.client_assertion.clone(),
        }
    }
}

/// What the token endpoint answers. Its `Debug` leaves the tokens out, so that no log line carries them.
#[derive(Serialize)]
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

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::introspection::TokenOnlyParams;

    /// A request or answer printed for a log line names its fields but never carries a credential or a
    /// token: whoever reads the log must not be able to use what they read.
    #[test]
    fn printing_a_token_request_or_answer_shows_no_secret() {
        const SECRETS: [&str; 6] = [
            "code-7f3a",
            "verifier-91bc",
            "refresh-22d0",
            "client-secret-5e1f",
            "assertion-0a9b",
            "Basic dXNlcjpwYXNz",
        ];
        let params: TokenParams = serde_urlencoded::from_str(
            "grant_type=authorization_code&code=code-7f3a&code_verifier=verifier-91bc&refresh_token=refresh-22d0\
             &client_id=rp&client_secret=client-secret-5e1f&client_assertion=assertion-0a9b",
        )
        .unwrap();
        let credentials = params.credentials(Some("Basic dXNlcjpwYXNz".to_owned()));
        let revocation: TokenOnlyParams =
            serde_urlencoded::from_str("token=refresh-22d0&client_secret=client-secret-5e1f").unwrap();
        let answer = TokenResponse {
            access_token: "code-7f3a".into(),
            token_type: "Bearer",
            expires_in: 300,
            refresh_token: Some("refresh-22d0".into()),
            id_token: Some("verifier-91bc".into()),
            scope: "openid".into(),
        };
        let printed = format!("{params:?} {credentials:?} {revocation:?} {answer:?}");
        for secret in SECRETS {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        assert!(printed.contains("client_id: Some(\"rp\")"), "the rest stays readable: {printed}");
    }
}
