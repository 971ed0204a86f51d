//! The client_credentials grant (RFC 6749 §4.4): a confidential client acting for itself. No ID token and
//! no refresh token; the token carries only scopes the client is registered for and that do not concern
//! a person.

use super::{TokenParams, TokenResponse};
use crate::oidc::access_token::AccessTokenRecord;
use crate::oidc::client_auth::AuthenticatedClient;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::provider::Provider;
use crate::oidc::scope::ScopeSet;

/// Scopes that only make sense with a person behind the token.
const PERSONAL_SCOPES: &[&str] = &["openid", "offline_access", "profile", "phone", "identity", "assurance", "org"];

impl Provider {
    pub(super) async fn client_credentials(
        &self,
        authenticated: &AuthenticatedClient,
        params: &TokenParams,
    ) -> Result<TokenResponse, OAuthError> {
        let client = &authenticated.client;
        if client.is_public() {
            return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "public clients cannot use client_credentials"));
        }
        let asked = ScopeSet::parse(params.scope.as_deref().unwrap_or_default())
            .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
        if let Some(personal) = asked.iter().find(|scope| PERSONAL_SCOPES.contains(scope)) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("scope '{personal}' needs a person; use the authorization code flow"),
            ));
        }
        if !asked.is_subset(&client.allowed_scopes) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "the client is not registered for every requested scope",
            ));
        }
        let access = self
            .issue_access_token(AccessTokenRecord {
                client_id: client.id.clone(),
                person_id: None,
                grant_id: None,
                session_id: None,
                scopes: asked.to_string(),
                userinfo_claims: Vec::new(),
                acting_org_id: None,
                issued_at: 0,
                expires_at: 0,
            })
            .await?;
        Ok(TokenResponse {
            access_token: access.token,
            token_type: "Bearer",
            expires_in: access.expires_in,
            refresh_token: None,
            id_token: None,
            scope: asked.to_string(),
        })
    }
}
