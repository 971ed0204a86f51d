//! The refresh_token grant (RFC 6749 §6, OpenID Connect Core §12) with rotation: every use returns a new
//! refresh token, and presenting a used one revokes the whole grant (RFC 9700 §4.14.2) — except the
//! retry of a refresh whose answer was lost: within `RETRY_GRACE_SECS` of its use, and while the token it
//! was replaced by has never been used, a used token is answered by rotating that successor instead (as
//! Keycloak's and Hydra's reuse intervals do). The successor, which the client never received, dies.

use super::{TokenParams, TokenResponse};
use crate::oidc::access_token::AccessTokenRecord;
use crate::oidc::claims::ClaimsRequest;
use crate::oidc::client_auth::AuthenticatedClient;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::id_token::IdTokenSubject;
use crate::oidc::provider::{Provider, ProviderError};
use crate::oidc::scope::ScopeSet;
use crate::store::grants::{RefreshRow, Rotation};

/// How long after a rotation its token may be presented again as a retry.
pub const RETRY_GRACE_SECS: i64 = 30;

impl Provider {
    pub(super) async fn refresh(
        &self,
        authenticated: &AuthenticatedClient,
        params: &TokenParams,
    ) -> Result<TokenResponse, OAuthError> {
        let client = &authenticated.client;
        let presented = params
            .refresh_token
            .as_ref()
            .map(crate::secret::SecretString::expose)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
        let presented_hash = crate::crypto::token_digest(presented);
        let now = self.now();
        let unknown = || OAuthError::invalid_grant("the refresh token is unknown, expired or revoked");
        let stored =
            self.db.find_refresh_token(&presented_hash).await.map_err(ProviderError::from)?.ok_or_else(unknown)?;
        let grant = self.db.find_grant(&stored.grant_id).await.map_err(ProviderError::from)?.ok_or_else(unknown)?;
        // Another client's token is refused without touching it: the presenter may be the attacker.
        if grant.client_id != client.id {
            return Err(OAuthError::invalid_grant("the refresh token was issued to another client"));
        }
        if grant.revoked_at.is_some() || stored.expires_at <= now || stored.created_at < client.tokens_valid_from {
            return Err(unknown());
        }
        let rotate_from = match (stored.used_at, &stored.replaced_by) {
            (None, _) => presented_hash.clone(),
            (Some(used_at), Some(successor)) if now - used_at <= RETRY_GRACE_SECS => successor.clone(),
            (Some(_), _) => return Err(self.refuse_reused_refresh(&grant.id).await),
        };
        if !grant.offline {
            let session_alive = match &grant.session_id {
                Some(session_id) => self.sessions.find_active(session_id).await.map_err(ProviderError::from)?.is_some(),
                None => false,
            };
            if !session_alive {
                return Err(OAuthError::invalid_grant(
                    "the login session this token depends on has ended; log in again",
                ));
            }
        }
        let granted = ScopeSet::parse(&grant.scopes).unwrap_or_default();
        let scopes = match params.scope.as_deref() {
            None | Some("") => granted.clone(),
            Some(text) => {
                let asked =
                    ScopeSet::parse(text).map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
                if !asked.is_subset(&granted) {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidScope,
                        "a refresh can only narrow the granted scope",
                    ));
                }
                asked
            }
        };
        let person = self
            .accounts
            .find(&grant.person_id)
            .await
            .map_err(|e| ProviderError::Internal(e.into()))?
            .filter(|person| person.is_active())
            .ok_or_else(|| OAuthError::invalid_grant("the account of this grant is no longer active"))?;

        let next_token = crate::crypto::random_token(32);
        let next = RefreshRow {
            token_hash: crate::crypto::token_digest(&next_token),
            grant_id: grant.id.clone(),
            created_at: now,
            expires_at: now + self.tokens.refresh_token_ttl_secs,
            used_at: None,
            replaced_by: None,
        };
        if self.db.rotate_refresh_token(&rotate_from, &next, now).await.map_err(ProviderError::from)?
            == Rotation::AlreadyUsed
        {
            return Err(self.refuse_reused_refresh(&grant.id).await);
        }
        let claims: Option<ClaimsRequest> = grant.claims.as_deref().and_then(|c| serde_json::from_str(c).ok());
        let access = self
            .issue_access_token(AccessTokenRecord {
                client_id: client.id.clone(),
                person_id: Some(person.id.clone()),
                grant_id: Some(grant.id.clone()),
                session_id: grant.session_id.clone(),
                scopes: scopes.to_string(),
                userinfo_claims: claims.as_ref().map(|c| c.userinfo.keys().cloned().collect()).unwrap_or_default(),
                acting_org_id: grant.acting_org_id.clone(),
                issued_at: 0,
                expires_at: 0,
            })
            .await?;
        let org = self.org_claim(client, &person.id, grant.acting_org_id.as_deref(), &scopes).await?;
        let id_token = scopes
            .contains("openid")
            .then(|| {
                self.sign_id_token(IdTokenSubject {
                    client,
                    person: &person,
                    org: org.clone(),
                    claims: claims.as_ref(),
                    nonce: grant.nonce.clone().map(crate::oidc::values::Nonce::new),
                    auth_time: grant.auth_time,
                    acr: grant.acr.clone(),
                    amr: crate::identity::amr::split(&grant.amr),
                    upstream: grant.upstream.clone(),
                    session_id: grant.session_id.clone(),
                    access_token: &access.token,
                    expired: false,
                })
            })
            .transpose()?;
        Ok(TokenResponse {
            access_token: access.token,
            token_type: "Bearer",
            expires_in: access.expires_in,
            refresh_token: Some(next_token),
            id_token,
            scope: scopes.to_string(),
        })
    }

    async fn refuse_reused_refresh(&self, grant_id: &str) -> OAuthError {
        tracing::warn!(%grant_id, "refresh token reused; revoking its grant");
        if let Err(error) = self.revoke_grant(grant_id, "refresh token reused").await {
            tracing::error!(%error, "could not revoke the grant of a reused refresh token");
        }
        OAuthError::invalid_grant("the refresh token was already used; every token of this grant has been revoked")
    }
}
