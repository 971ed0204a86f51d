//! The authorization_code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, OpenID Connect Core §3.1.3).

use super::{TokenParams, TokenResponse};
use crate::oidc::access_token::AccessTokenRecord;
use crate::oidc::client::GrantType;
use crate::oidc::client_auth::AuthenticatedClient;
use crate::oidc::code::CodeRecord;
use crate::oidc::error::OAuthError;
use crate::oidc::id_token::IdTokenSubject;
use crate::oidc::pkce;
use crate::oidc::provider::{Provider, ProviderError};
use crate::oidc::sandbox::{Outcome, SLOW_TOKEN_SECS};
use crate::oidc::scope::ScopeSet;
use crate::store::grants::{GrantRow, RefreshRow};

impl Provider {
    pub(super) async fn redeem_code(
        &self,
        authenticated: &AuthenticatedClient,
        params: &TokenParams,
    ) -> Result<TokenResponse, OAuthError> {
        let client = &authenticated.client;
        let code = params
            .code
            .as_ref()
            .map(crate::secret::SecretString::expose)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
        let grant_id = uuid::Uuid::now_v7().to_string();
        if !self.claim_redemption(code, &grant_id).await? {
            return Err(self.refuse_replayed_code(code).await);
        }
        let record = match self.take_code(code).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                self.release_redemption(code).await?;
                return Err(OAuthError::invalid_grant("the authorization code is unknown or has expired"));
            }
            // The code is still there: a retry must not look like a replay.
            Err(error) => {
                let _ = self.release_redemption(code).await;
                return Err(error.into());
            }
        };
        check_code(&record, client.id.as_str(), params, self.now())?;
        let person = self
            .accounts
            .find(&record.person_id)
            .await
            .map_err(|e| crate::oidc::provider::ProviderError::Internal(e.into()))?
            .filter(|person| person.is_active())
            .ok_or_else(|| OAuthError::invalid_grant("the account this code was issued for is no longer active"))?;

        let now = self.now();
        let scopes = ScopeSet::parse(&record.scopes).unwrap_or_default();
        let refresh_token = client.allows_grant(GrantType::RefreshToken).then(|| crate::crypto::random_token(32));
        let grant = GrantRow {
            id: grant_id.clone(),
            client_id: client.id.clone(),
            person_id: person.id.clone(),
            session_id: Some(record.session_id.clone()),
            scopes: record.scopes.clone(),
            claims: record.claims.as_ref().map(|c| serde_json::to_string(c).unwrap_or_default()),
            auth_time: record.auth_time,
            acr: record.acr.clone(),
            amr: crate::identity::amr::join(&record.amr),
            upstream: record.upstream.clone(),
            nonce: record.nonce.as_ref().map(|nonce| nonce.as_str().to_owned()),
            offline: scopes.contains("offline_access"),
            acting_org_id: record.acting_org_id.clone(),
            created_at: now,
            revoked_at: None,
        };
        let refresh_row = refresh_token.as_ref().map(|token| RefreshRow {
            token_hash: crate::crypto::token_digest(token),
            grant_id: grant_id.clone(),
            created_at: now,
            expires_at: now + self.tokens.refresh_token_ttl_secs,
            used_at: None,
            replaced_by: None,
        });
        self.db.insert_grant(&grant, refresh_row.as_ref()).await.map_err(ProviderError::from)?;

        let userinfo_claims = record.claims.as_ref().map(|c| c.userinfo.keys().cloned().collect()).unwrap_or_default();
        let access = self
            .issue_access_token(AccessTokenRecord {
                client_id: client.id.clone(),
                person_id: Some(person.id.clone()),
                grant_id: Some(grant_id.clone()),
                session_id: Some(record.session_id.clone()),
                scopes: record.scopes.clone(),
                userinfo_claims,
                acting_org_id: record.acting_org_id.clone(),
                issued_at: 0,
                expires_at: 0,
            })
            .await?;
        // A replay racing this redemption may have revoked the grant before its row existed.
        if self.grant_is_revoked(&grant_id).await? {
            self.revoke_grant(&grant_id, "authorization code replayed").await?;
            return Err(replayed());
        }
        let org = self.org_claim(client, &person.id, record.acting_org_id.as_deref(), &scopes).await?;
        match record.sandbox_outcome {
            Some(Outcome::SlowTokenEndpoint) => {
                tokio::time::sleep(std::time::Duration::from_secs(SLOW_TOKEN_SECS)).await;
            }
            Some(Outcome::KeyRotation) => {
                self.keys.rotate_immediately().await.map_err(|e| ProviderError::Internal(e.into()))?;
            }
            _ => {}
        }
        let id_token = self.sign_id_token(IdTokenSubject {
            client,
            person: &person,
            org,
            claims: record.claims.as_ref(),
            nonce: record.nonce.clone(),
            auth_time: record.auth_time,
            acr: record.acr.clone(),
            amr: record.amr.clone(),
            upstream: record.upstream.clone(),
            session_id: Some(record.session_id.clone()),
            access_token: &access.token,
            expired: record.sandbox_outcome == Some(Outcome::ExpiredIdToken),
        })?;
        self.recorder.code_redeemed(client, &person.id, record.acting_org_id.as_deref()).await;
        Ok(TokenResponse {
            access_token: access.token,
            token_type: "Bearer",
            expires_in: access.expires_in,
            refresh_token,
            id_token: Some(id_token),
            scope: record.scopes,
        })
    }

    /// A second redemption of a code: the grant the first one produces is revoked, tokens and all
    /// (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
    async fn refuse_replayed_code(&self, code: &str) -> OAuthError {
        match self.find_redeemed_code(code).await {
            Ok(Some(redeemed)) => {
                if let Err(error) = self.revoke_grant(&redeemed.grant_id, "authorization code replayed").await {
                    tracing::error!(%error, "could not revoke the grant of a replayed code");
                    return error.into();
                }
                tracing::warn!(grant_id = %redeemed.grant_id, "authorization code replayed; grant revoked");
                replayed()
            }
            Ok(None) => OAuthError::invalid_grant("the authorization code is unknown or has expired"),
            Err(error) => error.into(),
        }
    }
}

fn replayed() -> OAuthError {
    OAuthError::invalid_grant("the authorization code was already used; the tokens issued with it have been revoked")
}

fn check_code(record: &CodeRecord, client_id: &str, params: &TokenParams, now: i64) -> Result<(), OAuthError> {
    if record.client_id != client_id {
        return Err(OAuthError::invalid_grant("the authorization code was issued to another client"));
    }
    if record.expires_at <= now {
        return Err(OAuthError::invalid_grant("the authorization code has expired"));
    }
    match params.redirect_uri.as_deref() {
        None => {
            return Err(OAuthError::invalid_request(
                "redirect_uri is required because the authorization request had one",
            ));
        }
        Some(uri) if uri != record.redirect_uri.as_str() => {
            return Err(OAuthError::invalid_grant("redirect_uri differs from the one in the authorization request"));
        }
        Some(_) => {}
    }
    match (&record.code_challenge, params.code_verifier.as_ref().map(crate::secret::SecretString::expose)) {
        (Some(_), None) => {
            Err(OAuthError::invalid_grant("code_verifier is required: the authorization request used PKCE"))
        }
        (Some(challenge), Some(verifier)) => {
            if !pkce::is_valid_verifier(verifier) {
                return Err(OAuthError::invalid_grant(
                    "code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~",
                ));
            }
            if !pkce::verifier_matches(verifier, challenge.as_str()) {
                return Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge"));
            }
            Ok(())
        }
        // A verifier without a challenge signals a downgrade attempt (RFC 9700 §2.1.1).
        (None, Some(_)) => {
            Err(OAuthError::invalid_grant("code_verifier was sent but the authorization request had no code_challenge"))
        }
        (None, None) => Ok(()),
    }
}
