//! The register service over HTTP: POST {url}/identity `{"name", "id_number"}` and POST {url}/face
//! `{"id_number", "image"}` (image in base64), each answered `{"result": "match" | "mismatch" |
//! "not_found"}`. Credentials, timeout and retries come from config; timeouts, 429 and 5xx are retried.

use super::{Register, RegisterAnswer, RegisterError};
use crate::config::RegisterHttpConfig;
use base64::Engine;
use std::time::Duration;

#[derive(Debug)]
pub struct HttpRegister {
    client: reqwest::Client,
    config: RegisterHttpConfig,
}

impl HttpRegister {
    pub fn new(config: RegisterHttpConfig) -> Result<Self, RegisterError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RegisterError::Unavailable(e.to_string()))?;
        Ok(Self { client, config })
    }

    async fn ask(&self, path: &str, body: &serde_json::Value) -> Result<RegisterAnswer, RegisterError> {
        let url = format!("{}/{path}", self.config.url.trim_end_matches('/'));
        let mut delay = Duration::from_millis(self.config.retry_backoff_ms);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (error, retryable) = match self.attempt(&url, body).await {
                Ok(answer) => return Ok(answer),
                Err(failure) => failure,
            };
            if !retryable || attempt > self.config.retries {
                tracing::error!(%error, attempt, path, "register check failed");
                return Err(error);
            }
            tracing::warn!(%error, attempt, path, "register check failed; retrying");
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }

    async fn attempt(&self, url: &str, body: &serde_json::Value) -> Result<RegisterAnswer, (RegisterError, bool)> {
        let mut request = self.client.post(url).json(body);
        if let Some(token) = &self.config.bearer_token {
            request = request.bearer_auth(token.expose());
        } else if let Some(username) = &self.config.username {
            request = request.basic_auth(username, self.config.password.as_ref().map(|p| p.expose()));
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) if error.is_timeout() => return Err((RegisterError::Timeout, true)),
            Err(error) => return Err((RegisterError::Unavailable(error.without_url().to_string()), true)),
        };
        let status = response.status();
        if !status.is_success() {
            let retryable = status.is_server_error() || status.as_u16() == 429;
            return Err((RegisterError::Refused(format!("HTTP {status}")), retryable));
        }
        let answer: serde_json::Value =
            response.json().await.map_err(|e| (RegisterError::Unavailable(e.to_string()), false))?;
        match answer.get("result").and_then(|r| r.as_str()) {
            Some("match") => Ok(RegisterAnswer::Match),
            Some("mismatch") => Ok(RegisterAnswer::Mismatch),
            Some("not_found") => Ok(RegisterAnswer::NotFound),
            other => Err((RegisterError::Unavailable(format!("unexpected answer {other:?}")), false)),
        }
    }
}

#[async_trait::async_trait]
impl Register for HttpRegister {
    async fn check_identity(&self, name: &str, id_number: &str) -> Result<RegisterAnswer, RegisterError> {
        self.ask("identity", &serde_json::json!({ "name": name, "id_number": id_number })).await
    }

    async fn check_face(&self, id_number: &str, image: &[u8]) -> Result<RegisterAnswer, RegisterError> {
        let image = base64::engine::general_purpose::STANDARD.encode(image);
        self.ask("face", &serde_json::json!({ "id_number": id_number, "image": image })).await
    }

    fn name(&self) -> &'static str {
        "http"
    }
}
