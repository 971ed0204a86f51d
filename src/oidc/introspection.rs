//! Token introspection (RFC 7662). A client may introspect only tokens issued to it; anything else is
//! reported inactive, so introspection cannot be used to probe other clients' tokens.

use super::client_auth::PresentedCredentials;
use super::error::OAuthError;
use super::provider::{Provider, ProviderError};
use crate::secret::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Default, Deserialize)]
pub struct TokenOnlyParams {
    pub token: Option<SecretString>,
    pub token_type_hint: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<SecretString>,
}

impl TokenOnlyParams {
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

impl Provider {
    pub async fn introspect(
        &self,
        params: TokenOnlyParams,
        authorization_header: Option<String>,
    ) -> Result<Map<String, Value>, OAuthError> {
        let caller = self
            .authenticate_client(&params.credentials(authorization_header), &self.endpoint(crate::paths::INTROSPECT))
            .await?;
        let token = params
            .token
            .as_ref()
            .map(crate::secret::SecretString::expose)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        let inactive = || Map::from_iter([("active".to_owned(), json!(false))]);
        let client = &caller.client;

        if let Some(record) = self.find_access_token(token).await?
            && record.client_id == client.id
        {
            let mut body = Map::new();
            body.insert("active".into(), json!(true));
            body.insert("token_type".into(), json!("Bearer"));
            body.insert("scope".into(), json!(record.scopes));
            body.insert("client_id".into(), json!(record.client_id));
            body.insert("iss".into(), json!(self.issuer));
            body.insert("iat".into(), json!(record.issued_at));
            body.insert("exp".into(), json!(record.expires_at));
            let sub = match &record.person_id {
                Some(person_id) => self.subject_for(client, person_id),
                None => client.id.clone(),
            };
            body.insert("sub".into(), json!(sub));
            if let Some(sid) = record.session_id {
                body.insert("sid".into(), json!(sid));
            }
            return Ok(body);
        }

        let Some(refresh) =
            self.db.find_refresh_token(&crate::crypto::token_digest(token)).await.map_err(ProviderError::from)?
        else {
            return Ok(inactive());
        };
        let Some(grant) = self.db.find_grant(&refresh.grant_id).await.map_err(ProviderError::from)? else {
            return Ok(inactive());
        };
        let live = grant.client_id == client.id
            && grant.revoked_at.is_none()
            && refresh.used_at.is_none()
            && refresh.expires_at > self.now();
        if !live || refresh.created_at < client.tokens_valid_from || !self.account_is_active(&grant.person_id).await? {
            return Ok(inactive());
        }
        let mut body = Map::new();
        body.insert("active".into(), json!(true));
        // token_type is the type of an access token (RFC 7662 §2.2, RFC 6749 §7.1); a refresh token has
        // none, so the member is left out.
        body.insert("scope".into(), json!(grant.scopes));
        body.insert("client_id".into(), json!(grant.client_id));
        body.insert("iss".into(), json!(self.issuer));
        body.insert("iat".into(), json!(refresh.created_at));
        body.insert("exp".into(), json!(refresh.expires_at));
        body.insert("sub".into(), json!(self.subject_for(client, &grant.person_id)));
        Ok(body)
    }
}
