//! OpenID Connect Back-Channel Logout 1.0: when a login session ends (logout, expiry, account closure,
//! counter revocation, signing out everywhere), every client that had a login in it and registered a
//! back-channel URI is sent a signed logout token. Notices wait in a durable queue written with the end
//! of the session; any instance delivers them, retrying with backoff, so neither a restart nor an
//! unreachable system loses one. CAS services are told in their own protocol (`cas/logout.rs`).

use super::client::{Client, Protocol};
use super::provider::{Provider, ProviderError};
use crate::store::logout_deliveries::{LogoutDeliveryRow, LogoutDeliveryStatus};
use futures::StreamExt;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A logout token is for immediate use; each attempt signs a new one.
const LOGOUT_TOKEN_TTL_SECS: i64 = 120;
/// How long an instance holds a notice it is sending before another may take it.
const LEASE_SECS: i64 = 60;
/// The wait after the first, second, … failed attempt; the last repeats.
const BACKOFF_SECS: [i64; 6] = [10, 30, 60, 300, 900, 3600];
/// A notice that could not be delivered for this long is given up.
const GIVE_UP_AFTER_SECS: i64 = 24 * 3600;
/// Settled notices are kept this long for the administration page.
const KEEP_SETTLED_SECS: i64 = 30 * 24 * 3600;
const BATCH: i64 = 100;
const PARALLEL_DELIVERIES: usize = 8;

#[derive(Debug, Serialize)]
struct LogoutTokenClaims<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    sid: &'a str,
    events: serde_json::Value,
}

/// Why an attempt failed, and whether trying again can help.
#[derive(Debug, PartialEq, Eq)]
pub struct DeliveryError {
    pub detail: String,
    pub retry: bool,
}

impl DeliveryError {
    pub(crate) fn from_status(status: u16) -> Self {
        // A 5xx, a timeout or too many requests may pass; any other answer will be the same next time.
        let retry = status >= 500 || status == 408 || status == 429;
        Self { detail: format!("the system answered HTTP {status}"), retry }
    }
}

/// POSTs one form field to a system without following redirects: 2xx is delivered, and a redirect too when
/// `redirect_ok` (a web page that answers a POST by redirecting has received it).
pub(crate) async fn post_form(
    http: &reqwest::Client,
    uri: &str,
    field: &str,
    value: &str,
    redirect_ok: bool,
) -> Result<(), DeliveryError> {
    let body = url::form_urlencoded::Serializer::new(String::new()).append_pair(field, value).finish();
    let response = http
        .post(uri)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|error| DeliveryError { detail: error.without_url().to_string(), retry: true })?;
    let status = response.status();
    if status.is_success() || (redirect_ok && status.is_redirection()) {
        Ok(())
    } else {
        Err(DeliveryError::from_status(status.as_u16()))
    }
}

/// When to try a notice again after its `attempts`-th failure, or None to give up.
pub fn next_attempt(created_at: i64, attempts: i64, now: i64) -> Option<i64> {
    let index = usize::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(BACKOFF_SECS.len() - 1);
    let at = now + BACKOFF_SECS[index];
    (at - created_at <= GIVE_UP_AFTER_SECS).then_some(at)
}

impl Provider {
    /// A logout token (Back-Channel Logout 1.0 §2.4) telling `client` that the person's session `sid`
    /// ended: `sub` and `sid` as the client's ID tokens carry them, the logout event, and no `nonce`.
    pub fn logout_token(&self, client: &Client, person_id: &str, sid: &str) -> Result<String, ProviderError> {
        let now = self.now();
        let claims = LogoutTokenClaims {
            iss: &self.issuer,
            sub: self.subject_for(client, person_id),
            aud: &client.id,
            iat: now,
            exp: now + LOGOUT_TOKEN_TTL_SECS,
            jti: crate::crypto::random_token(16),
            sid,
            events: serde_json::json!({ LOGOUT_EVENT: {} }),
        };
        self.keys.sign(client.id_token_alg, "logout+jwt", &claims).map_err(|e| ProviderError::Internal(e.into()))
    }

    /// Sends every notice that is due; returns how many were attempted.
    pub async fn deliver_logout_notices(&self, http: &reqwest::Client) -> Result<usize, ProviderError> {
        let due = self.db.due_logout_deliveries(self.now(), BATCH).await?;
        let mut claimed = Vec::with_capacity(due.len());
        for row in due {
            if self.db.claim_logout_delivery(&row, self.now() + LEASE_SECS).await? {
                claimed.push(row);
            }
        }
        let attempted = claimed.len();
        futures::stream::iter(claimed)
            .for_each_concurrent(PARALLEL_DELIVERIES, |row| async move {
                if let Err(error) = self.deliver(http, &row).await {
                    tracing::error!(%error, client = %row.client_id, "could not record a logout notice");
                }
            })
            .await;
        Ok(attempted)
    }

    async fn deliver(&self, http: &reqwest::Client, row: &LogoutDeliveryRow) -> Result<(), ProviderError> {
        let outcome = match self.db.find_client(&row.client_id).await? {
            Some(client) if client.protocol == Protocol::Cas => self.post_cas_logouts(http, &client, row).await,
            Some(client) => match client.logout.backchannel_uri.as_deref() {
                Some(uri) => self.post_logout_token(http, &client, uri, row).await,
                None => Err(DeliveryError {
                    detail: "the client no longer has a back-channel logout URI".into(),
                    retry: false,
                }),
            },
            None => Err(DeliveryError { detail: "the client no longer exists".into(), retry: false }),
        };
        let now = self.now();
        match outcome {
            Ok(()) => {
                self.db.record_logout_delivered(row, now).await?;
                self.metrics.logout_notice("delivered");
            }
            Err(error) => {
                let retry_at = if error.retry { next_attempt(row.created_at, row.attempts + 1, now) } else { None };
                tracing::warn!(client = %row.client_id, detail = %error.detail, retry_at, "a logout notice failed");
                self.db.record_logout_attempt_failed(row, now, retry_at, &error.detail).await?;
                self.metrics.logout_notice(if retry_at.is_some() { "retry" } else { "failed" });
            }
        }
        Ok(())
    }

    async fn post_logout_token(
        &self,
        http: &reqwest::Client,
        client: &Client,
        uri: &str,
        row: &LogoutDeliveryRow,
    ) -> Result<(), DeliveryError> {
        let token = self
            .logout_token(client, &row.person_id, &row.session_id)
            .map_err(|error| DeliveryError { detail: error.to_string(), retry: true })?;
        post_form(http, uri, "logout_token", &token, false).await
    }

    /// Ends the login sessions that expired without being ended, so that their clients are told; forgets
    /// notices settled long ago; reports the size of the queue.
    pub async fn sweep_logout_queue(&self) -> Result<usize, ProviderError> {
        let expired = self.db.expired_unended_login_sessions(self.now(), BATCH).await?;
        for session_id in &expired {
            self.end_login_session(session_id, "expired").await?;
        }
        self.db.prune_logout_deliveries(self.now() - KEEP_SETTLED_SECS).await?;
        self.metrics.logout_notices_pending(self.db.pending_logout_deliveries().await?);
        Ok(expired.len())
    }

    /// How the notices to one client have fared, for its administration page.
    pub async fn logout_delivery_status(&self, client_id: &str) -> Result<LogoutDeliveryStatus, ProviderError> {
        Ok(self.db.logout_delivery_status(client_id).await?)
    }

    /// Wakes the delivery loop of this instance (others find the notice on their next round).
    pub(super) fn logout_notices_queued(&self) {
        self.logout_wakeup.notify_one();
    }
}

/// Delivers logout notices as they are queued, and at least every few seconds (for notices queued by
/// another instance and for retries); sweeps expired sessions every minute.
pub async fn run_deliveries(provider: Arc<Provider>) {
    const ROUND: Duration = Duration::from_secs(5);
    const SWEEP_EVERY: u32 = 12;
    let http = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("yimen/", env!("CARGO_PKG_VERSION"), " back-channel logout"))
        .build()
    {
        Ok(http) => http,
        Err(error) => {
            tracing::error!(%error, "back-channel logout cannot start: no HTTP client");
            return;
        }
    };
    let mut round: u32 = 0;
    loop {
        if round.is_multiple_of(SWEEP_EVERY)
            && let Err(error) = provider.sweep_logout_queue().await
        {
            tracing::error!(%error, "the logout sweep failed");
        }
        round = round.wrapping_add(1);
        loop {
            match provider.deliver_logout_notices(&http).await {
                Ok(attempted) if attempted as i64 == BATCH => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::error!(%error, "logout notices could not be read");
                    break;
                }
            }
        }
        tokio::select! {
            () = provider.logout_wakeup.notified() => {}
            () = tokio::time::sleep(ROUND) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_give_up_after_a_day() {
        assert_eq!(next_attempt(0, 1, 0), Some(10));
        assert_eq!(next_attempt(0, 2, 10), Some(40));
        assert_eq!(next_attempt(0, 20, 3600), Some(7200), "the longest wait repeats");
        assert_eq!(next_attempt(0, 30, GIVE_UP_AFTER_SECS - 60), None, "a day of failures is enough");
    }

    #[test]
    fn only_answers_that_may_change_are_retried() {
        for status in [500, 502, 503, 408, 429] {
            assert!(DeliveryError::from_status(status).retry, "{status}");
        }
        for status in [400, 401, 404, 302] {
            assert!(!DeliveryError::from_status(status).retry, "{status}");
        }
    }
}
