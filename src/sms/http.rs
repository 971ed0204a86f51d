//! The production adapter: POSTs each message as JSON to a gateway URL with credentials, a timeout and
//! bounded retries with backoff. Retries only what may succeed on retry (timeouts, connection errors,
//! 429 and 5xx); a 4xx refusal is final.
//!
//! Request body: `{"to": "+86…", "template": "…", "params": {…}, "text": "…"}`. A 2xx answer means sent.

use super::{Message, SmsError, SmsSender};
use crate::config::SmsHttpConfig;
use std::time::Duration;

#[derive(Debug)]
pub struct HttpGateway {
    client: reqwest::Client,
    config: SmsHttpConfig,
}

impl HttpGateway {
    pub fn new(config: SmsHttpConfig) -> Result<Self, SmsError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SmsError::Unreachable(e.to_string()))?;
        Ok(Self { client, config })
    }

    async fn attempt(&self, body: &serde_json::Value) -> Result<(), (SmsError, bool)> {
        let mut request = self.client.post(&self.config.url).json(body);
        if let Some(token) = &self.config.bearer_token {
            request = request.bearer_auth(token.expose());
        } else if let Some(username) = &self.config.username {
            request = request.basic_auth(username, self.config.password.as_ref().map(|p| p.expose()));
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => {
                let status = response.status();
                let retryable = status.is_server_error() || status.as_u16() == 429;
                let text: String = response.text().await.unwrap_or_default().chars().take(200).collect();
                Err((SmsError::Refused(format!("HTTP {status}: {text}")), retryable))
            }
            Err(error) if error.is_timeout() => Err((SmsError::Timeout, true)),
            Err(error) => Err((SmsError::Unreachable(error.without_url().to_string()), true)),
        }
    }
}

#[async_trait::async_trait]
impl SmsSender for HttpGateway {
    async fn send(&self, message: &Message) -> Result<(), SmsError> {
        let params: serde_json::Map<String, serde_json::Value> =
            message.params.iter().map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(v.clone()))).collect();
        let body = serde_json::json!({ "to": message.to.e164(), "template": message.template, "params": params, "text": message.text });
        let mut delay = Duration::from_millis(self.config.retry_backoff_ms);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(&body).await {
                Ok(()) => return Ok(()),
                Err((error, retryable)) if retryable && attempt <= self.config.retries => {
                    tracing::warn!(%error, attempt, to = %message.to.masked(), "SMS gateway failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err((error, _)) => {
                    tracing::error!(%error, attempt, to = %message.to.masked(), "SMS not sent");
                    return Err(error);
                }
            }
        }
    }

    fn name(&self) -> &'static str {
        "http"
    }
}
