//! CAS 3.0 (Apereo's CAS Protocol Specification) for legacy systems that cannot speak OpenID Connect.
//! A CAS login is an authorization request like any other — the same login, second factor, step-up,
//! consent and organisation choice — that ends in a service ticket instead of a code. A ticket is 256
//! random bits, lives ten seconds, is bound to the service it was issued for and is taken on its first
//! validation, whatever the outcome (§3.1.1, §3.7). A validated ticket becomes a grant, so the system
//! counts as connected and hears of the logout (SAML LogoutRequest, see `logout.rs`).

pub mod logout;
pub mod response;
pub mod service;

use super::authorize::AuthorizationRequest;
use super::claims;
use super::client::{Client, Protocol};
use super::provider::{Provider, ProviderError};
use super::redirect_uri::with_query;
use super::scope::ScopeSet;
use super::values::RedirectUri;
use crate::crypto::token_digest;
use crate::identity::LoginSession;
use crate::identity::amr::Amr;
use crate::store::EphemeralExt;
use crate::store::grants::GrantRow;
use response::{Failure, FailureCode, Success};
use serde::{Deserialize, Serialize};

pub const TICKET_PREFIX: &str = "ST-";
/// The specification recommends no more than five minutes; ten seconds is what a redirect and one
/// back-channel call need.
pub const TICKET_TTL_SECS: i64 = 10;

/// What a service ticket stands for while it waits to be validated.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TicketRecord {
    client_id: String,
    service: String,
    person_id: String,
    session_id: String,
    scopes: String,
    auth_time: i64,
    acr: String,
    amr: Vec<Amr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    upstream: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    acting_org_id: Option<String>,
    /// The person presented credentials in this very login (needed by `renew=true` validations).
    from_new_login: bool,
    expires_at: i64,
}

fn ticket_key(ticket: &str) -> String {
    format!("cas-ticket:{}", token_digest(ticket))
}

/// A `/cas/login` request as it arrives.
#[derive(Debug, Default, Deserialize)]
pub struct LoginParams {
    pub service: Option<String>,
    pub renew: Option<String>,
    pub gateway: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
}

/// A boolean CAS parameter: present with any value but "false" counts as set (§2.1.1: "renew" may be
/// sent as `renew=true` or bare `renew`).
pub fn flag(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.eq_ignore_ascii_case("false"))
}

/// Why a `/cas/login` cannot go on; shown to the person, never sent to the service.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginRefusal {
    Unavailable,
    UnknownService,
}

impl Provider {
    /// Turns a `/cas/login` into an authorization request for the service's client: every scope the
    /// service was approved for, its level, `renew` as `prompt=login` and `gateway` as `prompt=none`.
    pub async fn cas_login_request(
        &self,
        service: &str,
        renew: bool,
        gateway: bool,
        ui_locales: Option<String>,
    ) -> Result<(AuthorizationRequest, Client), LoginRefusal> {
        let client = self.cas_client_for(service).await.map_err(|error| {
            tracing::error!(%error, "a CAS login could not be checked");
            LoginRefusal::Unavailable
        })?;
        let client = client.ok_or(LoginRefusal::UnknownService)?;
        let ladder = self.assurance.ladder();
        let prompt = if renew {
            vec!["login".to_owned()]
        } else if gateway {
            vec!["none".to_owned()]
        } else {
            Vec::new()
        };
        let request = AuthorizationRequest {
            id: crate::crypto::random_token(16),
            client_id: client.id.clone(),
            redirect_uri: RedirectUri::new(service),
            state: None,
            nonce: None,
            scopes: client.allowed_scopes.to_string(),
            code_challenge: None,
            prompt,
            max_age: None,
            login_hint: None,
            idp_hint: None,
            id_token_hint_sub: None,
            ui_locales,
            claims: None,
            acr_values: Vec::new(),
            required_rank: client.min_acr.as_deref().and_then(|acr| ladder.rank(acr)),
            created_at: self.now(),
            authenticated_at: None,
            consented: false,
            cas: true,
            sandbox_outcome: None,
        };
        Ok((request, client))
    }

    /// The enabled CAS client one of whose service URLs `service` matches.
    pub async fn cas_client_for(&self, service: &str) -> Result<Option<Client>, ProviderError> {
        let ids = self.db.client_ids_of_protocol(Protocol::Cas.as_str()).await?;
        for id in ids {
            if let Some(client) = self.find_client(&id).await?
                && client.has_cas_service(service)
            {
                return Ok(Some(client));
            }
        }
        Ok(None)
    }

    /// Issues a service ticket for a request that may complete, and returns the redirect to the service.
    pub async fn issue_service_ticket(
        &self,
        request: &AuthorizationRequest,
        login: &LoginSession,
        acr: String,
        acting_org_id: Option<String>,
    ) -> Result<String, ProviderError> {
        let ticket = format!("{TICKET_PREFIX}{}", crate::crypto::random_token(32));
        let record = TicketRecord {
            client_id: request.client_id.clone(),
            service: request.redirect_uri.as_str().to_owned(),
            person_id: login.person_id.clone(),
            session_id: login.id.clone(),
            scopes: request.scopes.clone(),
            auth_time: login.auth_time,
            acr,
            amr: login.amr.clone(),
            upstream: login.upstream.clone(),
            acting_org_id,
            from_new_login: request.authenticated_at.is_some(),
            expires_at: self.now() + TICKET_TTL_SECS,
        };
        self.ephemeral.put_json(&ticket_key(&ticket), &record, TICKET_TTL_SECS * 1000).await?;
        Ok(with_query(request.redirect_uri.as_str(), &[("ticket", &ticket)]))
    }

    /// Validates a service ticket for `service` (§2.5, §2.6): the ticket is gone after this call,
    /// whatever it answers.
    pub async fn validate_service_ticket(
        &self,
        ticket: Option<&str>,
        service: Option<&str>,
        renew: bool,
    ) -> Result<Success, Failure> {
        let (Some(ticket), Some(service)) = (ticket.filter(|t| !t.is_empty()), service.filter(|s| !s.is_empty()))
        else {
            return Err(Failure::new(FailureCode::InvalidRequest, "both ticket and service are required"));
        };
        if !ticket.starts_with(TICKET_PREFIX) || ticket.len() > 256 {
            return Err(Failure::new(
                FailureCode::InvalidTicketSpec,
                "only service tickets (ST-…) are validated here; proxy tickets are not enabled",
            ));
        }
        let record: Option<TicketRecord> = self.ephemeral.take_json(&ticket_key(ticket)).await.map_err(internal)?;
        let unknown = || Failure::new(FailureCode::InvalidTicket, format!("ticket {ticket} not recognized"));
        let record = record.ok_or_else(unknown)?;
        let outcome = self.redeem_ticket(ticket, service, renew, &record).await;
        if outcome.as_ref().is_err_and(|failure| failure.code == FailureCode::InternalError) {
            // Nothing was granted: the ticket goes back, so that the service's retry can still succeed.
            let left_ms = (record.expires_at - self.now()).max(1) * 1000;
            if let Err(error) = self.ephemeral.put_json(&ticket_key(ticket), &record, left_ms).await {
                tracing::warn!(%error, "a CAS ticket could not be put back after a failed validation");
            }
        }
        outcome
    }

    async fn redeem_ticket(
        &self,
        ticket: &str,
        service: &str,
        renew: bool,
        record: &TicketRecord,
    ) -> Result<Success, Failure> {
        let now = self.now();
        if record.expires_at <= now {
            return Err(Failure::new(FailureCode::InvalidTicket, format!("ticket {ticket} has expired")));
        }
        if record.service != service {
            return Err(Failure::new(
                FailureCode::InvalidService,
                format!("ticket {ticket} was issued for another service; it is no longer valid"),
            ));
        }
        if renew && !record.from_new_login {
            return Err(Failure::new(
                FailureCode::InvalidTicket,
                format!("ticket {ticket} came from single sign-on, and renew asks for a new login"),
            ));
        }
        let client = self
            .find_client(&record.client_id)
            .await
            .map_err(internal)?
            .filter(|client| client.has_cas_service(service))
            .ok_or_else(|| Failure::new(FailureCode::InvalidService, "the service is no longer registered"))?;
        let person = self
            .accounts
            .find(&record.person_id)
            .await
            .map_err(|e| internal(ProviderError::Internal(e.into())))?
            .filter(|person| person.is_active())
            .ok_or_else(|| Failure::new(FailureCode::InvalidTicket, "the account is no longer active"))?;
        let grant = GrantRow {
            id: uuid::Uuid::now_v7().to_string(),
            client_id: client.id.clone(),
            person_id: person.id.clone(),
            session_id: Some(record.session_id.clone()),
            scopes: record.scopes.clone(),
            claims: None,
            auth_time: record.auth_time,
            acr: record.acr.clone(),
            amr: crate::identity::amr::join(&record.amr),
            upstream: record.upstream.clone(),
            nonce: None,
            offline: false,
            acting_org_id: record.acting_org_id.clone(),
            created_at: now,
            revoked_at: None,
        };
        self.db.insert_cas_grant(&grant, service, ticket).await.map_err(internal)?;

        let scopes = ScopeSet::parse(&record.scopes).unwrap_or_default();
        let mut attributes = vec![
            ("authenticationDate".to_owned(), vec![response::iso_time(record.auth_time)]),
            ("isFromNewLogin".to_owned(), vec![record.from_new_login.to_string()]),
            ("longTermAuthenticationRequestTokenUsed".to_owned(), vec!["false".to_owned()]),
            ("acr".to_owned(), vec![record.acr.clone()]),
            ("amr".to_owned(), record.amr.iter().map(|m| m.as_str().to_owned()).collect()),
        ];
        if self.sandbox {
            attributes.push(("sandbox".to_owned(), vec!["true".to_owned()]));
        }
        if let Some(upstream) = &record.upstream {
            attributes.push(("idp".to_owned(), vec![upstream.clone()]));
        }
        let names = claims::requested_names(&scopes, std::iter::empty());
        for (name, value) in claims::release(&person, names, &client.allowed_scopes) {
            attributes.push((name, vec![response::text_of(&value)]));
        }
        let org =
            self.org_claim(&client, &person.id, record.acting_org_id.as_deref(), &scopes).await.map_err(internal)?;
        if let Some(serde_json::Value::Object(org)) = org {
            for (key, value) in org {
                attributes.push((format!("org_{key}"), vec![response::text_of(&value)]));
            }
        }
        self.recorder.code_redeemed(&client, &person.id, record.acting_org_id.as_deref()).await;
        Ok(Success { user: self.subject_for(&client, &person.id), attributes })
    }
}

fn internal(error: impl std::fmt::Display) -> Failure {
    tracing::error!(%error, "a CAS ticket could not be validated");
    Failure::new(FailureCode::InternalError, "the server could not validate the ticket; try again")
}
