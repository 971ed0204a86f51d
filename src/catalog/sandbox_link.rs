//! Production's way to its developers' sandbox (config `developers.sandbox_url`): registering a sandbox
//! client at once for a developer, and asking whether it has completed a sign-in there, over the sandbox's
//! administrators' API with a platform administrator's token.

use crate::config::DevelopersConfig;
use crate::secret::SecretString;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Serialize)]
pub struct SandboxClient<'a> {
    pub name: &'a str,
    pub protocol: &'a str,
    pub redirect_uris: &'a [String],
    pub post_logout_redirect_uris: &'a [String],
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the sandbox did not answer: {0}")]
    Unreachable(String),
    #[error("the sandbox refused (HTTP {status}): {detail}")]
    Refused { status: u16, detail: String },
}

#[derive(Deserialize)]
struct Registered {
    client_id: String,
    client_secret: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    first_login: Option<i64>,
}

pub struct SandboxLink {
    base: url::Url,
    token: SecretString,
    http: reqwest::Client,
}

impl SandboxLink {
    /// The link the configuration describes, if any; a URL without a token is a configuration error.
    pub fn from_config(config: &DevelopersConfig) -> anyhow::Result<Option<Self>> {
        let (Some(base), token) = (&config.sandbox_url, &config.sandbox_token) else { return Ok(None) };
        let Some(token) = token.clone() else {
            anyhow::bail!("developers.sandbox_url is set without developers.sandbox_token");
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Some(Self { base: base.clone(), token, http }))
    }

    /// Registers a client in the sandbox: its id and, for a confidential client, its secret.
    pub async fn register(&self, client: &SandboxClient<'_>) -> Result<(String, Option<String>), LinkError> {
        let response = self
            .http
            .post(self.url(crate::paths::ADMIN_API_SANDBOX_CLIENTS))
            .bearer_auth(self.token.expose())
            .json(client)
            .send()
            .await
            .map_err(|e| LinkError::Unreachable(e.without_url().to_string()))?;
        let registered: Registered = Self::read(response).await?;
        Ok((registered.client_id, registered.client_secret))
    }

    /// When the sandbox client first completed a sign-in, if it has.
    pub async fn first_login(&self, client_id: &str) -> Result<Option<i64>, LinkError> {
        let path = crate::paths::ADMIN_API_SANDBOX_CLIENT.replace("{id}", client_id);
        let response = self
            .http
            .get(self.url(&path))
            .bearer_auth(self.token.expose())
            .send()
            .await
            .map_err(|e| LinkError::Unreachable(e.without_url().to_string()))?;
        Ok(Self::read::<Usage>(response).await?.first_login)
    }

    /// The sandbox's issuer, which its clients' credentials are for.
    pub fn issuer(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer())
    }

    async fn read<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, LinkError> {
        let status = response.status();
        let text = response.text().await.map_err(|e| LinkError::Unreachable(e.without_url().to_string()))?;
        if !status.is_success() {
            return Err(LinkError::Refused { status: status.as_u16(), detail: text.chars().take(300).collect() });
        }
        serde_json::from_str(&text).map_err(|e| LinkError::Refused { status: status.as_u16(), detail: e.to_string() })
    }
}
