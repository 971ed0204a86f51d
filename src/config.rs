//! Settings, layered: built-in defaults → `yimen.toml` → `YIMEN_*` environment → command-line flags.
//!
//! Nested keys use a double underscore in the environment (`YIMEN_TOKENS__ACCESS_TOKEN_TTL_SECS=300`).
//! Secrets are [`SecretString`]s, so printing the effective config (`yimen config check`) redacts them.

use crate::secret::{ConnectionUrl, SecretString};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod federation;
pub use federation::{
    AssertionAlg, ClaimPaths, FederationConfig, ORGANISATION_ROLES, OrganisationPaths, TokenAuthMethod, UpstreamConfig,
    UpstreamProtocol, UserinfoStyle, rank_of_methods,
};

pub const DEFAULT_CONFIG_FILE: &str = "yimen.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Socket address the server binds.
    pub listen: SocketAddr,
    /// Public issuer URL; defaults to `http://{listen}`.
    pub issuer: Option<url::Url>,
    /// Where the embedded database, the generated data key and development outboxes live.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; unset for an SQLite file in the data directory.
    pub database_url: Option<ConnectionUrl>,
    /// `redis://…` to keep sessions, codes and other short-lived state in Redis; unset for in-process state.
    pub redis_url: Option<ConnectionUrl>,
    /// Prefix for every Redis key, so that several deployments (or test runs) can share one Redis.
    pub redis_prefix: String,
    /// A sandbox for department developers: synthetic people, a sign-in that picks one and the outcome
    /// to inject, `sandbox: true` in every token, and no connection counted. It needs a database of its
    /// own (one made for production is refused, and the other way round) and so an issuer of its own.
    /// Unset: whatever the database was made for (production for a new one), so that the command line
    /// works on either.
    pub sandbox: Option<bool>,
    pub log: LogConfig,
    pub http: HttpConfig,
    pub tokens: TokenConfig,
    pub password: PasswordConfig,
    pub keys: KeyConfig,
    pub secrets: SecretsConfig,
    pub login: LoginConfig,
    pub sms: SmsConfig,
    pub otp: OtpConfig,
    pub account: AccountConfig,
    pub assurance: AssuranceConfig,
    pub register: RegisterConfig,
    pub catalog: CatalogConfig,
    pub federation: FederationConfig,
    pub developers: DevelopersConfig,
}

/// Where production finds its sandbox, so that developers get sandbox credentials from production's
/// developer pages and the catalog sees a system tried there.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DevelopersConfig {
    /// The sandbox's issuer, e.g. https://sandbox.id.example.gov.cn; unset: no sandbox is offered.
    pub sandbox_url: Option<url::Url>,
    /// An administrators' API token of a platform administrator of the sandbox.
    pub sandbox_token: Option<crate::secret::SecretString>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `yimen=debug,tower_http=info`.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub request_timeout_secs: u64,
    pub body_limit_bytes: usize,
    /// Set the `Secure` flag on cookies. Defaults to true when the issuer is https.
    pub secure_cookies: Option<bool>,
    /// Reverse proxies (CIDR blocks) whose `Forwarded` / `X-Forwarded-For` name the client's address.
    /// Empty (the default): the connection's own address is the client's.
    pub trusted_proxies: Vec<crate::cidr::Cidr>,
    /// How long a browser session nobody has signed in to lives without use.
    pub anonymous_session_idle_secs: i64,
    /// Sign-in requests from browsers nobody is signed in to, per ten minutes, that the server keeps
    /// state for; beyond it new ones are answered "busy, try again" until the ten minutes are over. This
    /// bounds the memory an anonymous flood can take (about 1 KB each).
    pub max_anonymous_requests: i64,
    /// After SIGTERM, how long /readyz answers 503 while requests are still served, so that a load
    /// balancer stops sending new ones before the server stops accepting and finishes those in flight.
    pub drain_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenConfig {
    pub authorization_code_ttl_secs: i64,
    pub access_token_ttl_secs: i64,
    pub id_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    /// An SSO session ends after this long without use.
    pub session_idle_secs: i64,
    /// An SSO session ends this long after the login, whatever its use.
    pub session_max_secs: i64,
    /// The most tokens one client may be issued per minute, unless its registration says otherwise:
    /// each access token is held until it expires, so a client cannot be allowed to take them unbounded.
    pub max_per_client_per_minute: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    /// Argon2id memory cost in KiB.
    pub memory_kib: u32,
    /// Argon2id time cost (iterations).
    pub iterations: u32,
    /// Argon2id parallelism (lanes).
    pub parallelism: u32,
    /// Hashes computed at once; each holds `memory_kib` of memory while it runs.
    pub max_concurrent_hashes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeyConfig {
    /// A signing key signs for this long before its successor takes over.
    pub rotation_days: i64,
    /// A successor key is published this long before it starts signing, so relying parties can cache it.
    pub publish_ahead_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// Base64 of 32 random bytes; every at-rest encryption and keyed hash derives from it.
    /// Unset: a key is generated in the data directory (fine for development, not for production).
    pub data_key: Option<SecretString>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// Failed password attempts on one account before it is locked for `lockout_secs`.
    pub max_failures_per_account: i64,
    /// Failed password attempts from one address before it is throttled for `lockout_secs`.
    pub max_failures_per_ip: i64,
    pub lockout_secs: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsSenderKind {
    /// Append messages to `sms-outbox.jsonl` in the data directory and to the log (development).
    File,
    /// POST messages to an HTTP gateway (production).
    Http,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    pub sender: SmsSenderKind,
    pub http: SmsHttpConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsHttpConfig {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub bearer_token: Option<SecretString>,
    pub timeout_ms: u64,
    /// Further attempts after a failure that may succeed on retry (timeout, 429, 5xx).
    pub retries: u32,
    /// The wait before the first retry; it doubles on each further retry.
    pub retry_backoff_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtpConfig {
    pub code_ttl_secs: i64,
    /// Wrong entries of one code before it is void.
    pub max_attempts: i64,
    /// A new code to the same number at most this often.
    pub resend_interval_secs: i64,
    pub max_per_phone_per_day: i64,
    pub max_per_ip_per_hour: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountConfig {
    /// A closed account keeps its data this long (the person may still cancel), then it is erased.
    pub close_grace_days: i64,
}

/// The assurance ladder: each level names the evidence that reaches it. A level is reached when every
/// method of at least one of its `requires` sets has passed, unrevoked evidence.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssuranceConfig {
    pub levels: Vec<LevelRule>,
    /// How long a one-time code for a counter visit stays valid.
    pub counter_code_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRule {
    pub acr: String,
    pub requires: Vec<Vec<String>>,
}

/// The department catalog's targets and the windows its indicators are measured over.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogConfig {
    /// The connection-rate target: the share of active service items whose system is connected.
    pub target_rate: f64,
    /// An item's system counts as active when it completed a login within this many days.
    pub activity_window_days: i64,
    /// A client's last-login time is written at most this often (its first login always at once).
    pub last_seen_refresh_secs: i64,
    /// Enterprises in the city: the denominator of the enterprise-page usage indicator (0: not set).
    pub enterprises: i64,
    pub enterprise_target: f64,
    /// Residents aged 20–49: the denominator of the citizen-page usage indicator (0: not set).
    pub population_20_49: i64,
    pub citizen_target: f64,
    /// The usage indicators count distinct users over this many days.
    pub usage_window_days: i64,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self {
            target_rate: 0.9,
            activity_window_days: 30,
            last_seen_refresh_secs: 600,
            enterprises: 0,
            enterprise_target: 0.15,
            population_20_49: 0,
            citizen_target: 0.10,
            usage_window_days: 365,
        }
    }
}

/// The authoritative register (population register, face photos) that online verification asks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegisterConfig {
    /// "file" (a JSON file in the data directory, for development and tests) or "http".
    pub adapter: RegisterAdapterKind,
    pub http: RegisterHttpConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegisterAdapterKind {
    File,
    Http,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegisterHttpConfig {
    /// Base URL; the adapter POSTs to {url}/identity and {url}/face.
    pub url: String,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub bearer_token: Option<SecretString>,
    pub timeout_ms: u64,
    pub retries: u32,
    pub retry_backoff_ms: u64,
}

impl Default for AssuranceConfig {
    fn default() -> Self {
        let rule = |acr: &str, requires: &[&[&str]]| LevelRule {
            acr: acr.to_owned(),
            requires: requires.iter().map(|set| set.iter().map(|m| (*m).to_owned()).collect()).collect(),
        };
        Self {
            levels: vec![
                rule("urn:yimen:loa:1", &[&["sms"], &["self_asserted"]]),
                rule("urn:yimen:loa:2", &[&["register_match"]]),
                rule("urn:yimen:loa:3", &[&["register_match", "face_match"]]),
                rule("urn:yimen:loa:4", &[&["counter"], &["certificate"]]),
            ],
            counter_code_days: 7,
        }
    }
}

impl Default for RegisterConfig {
    fn default() -> Self {
        Self { adapter: RegisterAdapterKind::File, http: RegisterHttpConfig::default() }
    }
}

impl Default for RegisterHttpConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            username: None,
            password: None,
            bearer_token: None,
            timeout_ms: 5000,
            retries: 2,
            retry_backoff_ms: 500,
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self { sender: SmsSenderKind::File, http: SmsHttpConfig::default() }
    }
}

impl Default for SmsHttpConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            username: None,
            password: None,
            bearer_token: None,
            timeout_ms: 5000,
            retries: 2,
            retry_backoff_ms: 500,
        }
    }
}

impl Default for OtpConfig {
    fn default() -> Self {
        Self {
            code_ttl_secs: 300,
            max_attempts: 5,
            resend_interval_secs: 60,
            max_per_phone_per_day: 10,
            max_per_ip_per_hour: 30,
        }
    }
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self { close_grace_days: 30 }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            issuer: None,
            data_dir: PathBuf::from("./data"),
            database_url: None,
            redis_url: None,
            redis_prefix: "yimen:".to_owned(),
            sandbox: None,
            log: LogConfig::default(),
            http: HttpConfig::default(),
            tokens: TokenConfig::default(),
            password: PasswordConfig::default(),
            keys: KeyConfig::default(),
            secrets: SecretsConfig::default(),
            login: LoginConfig::default(),
            sms: SmsConfig::default(),
            otp: OtpConfig::default(),
            account: AccountConfig::default(),
            assurance: AssuranceConfig::default(),
            register: RegisterConfig::default(),
            catalog: CatalogConfig::default(),
            federation: FederationConfig::default(),
            developers: DevelopersConfig::default(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Text, filter: "info".to_owned() }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            request_timeout_secs: 30,
            drain_secs: 5,
            body_limit_bytes: 256 * 1024,
            secure_cookies: None,
            trusted_proxies: Vec::new(),
            anonymous_session_idle_secs: 600,
            max_anonymous_requests: 200_000,
        }
    }
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            authorization_code_ttl_secs: 60,
            access_token_ttl_secs: 900,
            id_token_ttl_secs: 900,
            refresh_token_ttl_secs: 30 * 86_400,
            session_idle_secs: 2 * 3600,
            session_max_secs: 12 * 3600,
            max_per_client_per_minute: 1_200,
        }
    }
}

impl Default for PasswordConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Self { memory_kib: 19_456, iterations: 2, parallelism: 1, max_concurrent_hashes: cores }
    }
}

impl Default for KeyConfig {
    fn default() -> Self {
        Self { rotation_days: 90, publish_ahead_days: 2 }
    }
}

impl Default for LoginConfig {
    fn default() -> Self {
        Self { max_failures_per_account: 5, max_failures_per_ip: 50, lockout_secs: 900 }
    }
}

/// Flags given on the command line: the last and strongest layer. `None` leaves a setting alone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<url::Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(String),
    #[error(transparent)]
    Load(#[from] Box<figment::Error>),
}

impl Config {
    /// Loads the layers. `file` is an explicit config path (it must exist); otherwise `yimen.toml` in the
    /// working directory is read when present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => {
                return Err(ConfigError::Invalid(format!("config file {} does not exist", path.display())));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE)),
        }
        let env = Env::prefixed("YIMEN_")
            .split("__")
            // YIMEN_TEST_* belong to the test suite and YIMEN_CONFIG names the file; neither is a setting.
            .filter(|key| {
                let key = key.as_str().to_ascii_lowercase();
                !key.starts_with("test_") && key != "config"
            });
        let mut config: Config = figment
            .merge(env)
            .merge(Serialized::globals(overrides))
            .extract()
            .map_err(|error| ConfigError::Load(Box::new(error)))?;
        config.issuer = config.issuer.take().or_else(|| config.loopback_issuer());
        config.validate()?;
        Ok(config)
    }

    /// On 127.0.0.1 with no issuer set, the issuer is http://localhost:PORT: a browser treats localhost as a
    /// secure context and WebAuthn accepts it as a relying party id, so passkeys work on a developer's
    /// machine, which they do not at an IP address.
    fn loopback_issuer(&self) -> Option<url::Url> {
        // Port 0 is chosen when binding; the issuer is then derived from the bound address.
        (self.listen.ip() == std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST) && self.listen.port() != 0)
            .then(|| url::Url::parse(&format!("http://localhost:{}", self.listen.port())).ok())
            .flatten()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |message: &str| Err(ConfigError::Invalid(message.to_owned()));
        let issuer = self.issuer();
        if !matches!(issuer.scheme(), "http" | "https") || issuer.query().is_some() || issuer.fragment().is_some() {
            return invalid("issuer must be an http(s) URL without query or fragment");
        }
        if let Some(url) = &self.database_url
            && !matches!(url.scheme(), "postgres" | "postgresql" | "sqlite")
        {
            return invalid("database_url must start with postgres:// or sqlite:");
        }
        if let Some(url) = &self.redis_url
            && let Err(error) = crate::redis_url::parse(url.expose())
        {
            return invalid(&error.to_string());
        }
        let t = &self.tokens;
        if t.authorization_code_ttl_secs <= 0 || t.authorization_code_ttl_secs > 600 {
            return invalid("tokens.authorization_code_ttl_secs must be between 1 and 600");
        }
        for (name, value) in [
            ("tokens.access_token_ttl_secs", t.access_token_ttl_secs),
            ("tokens.id_token_ttl_secs", t.id_token_ttl_secs),
            ("tokens.refresh_token_ttl_secs", t.refresh_token_ttl_secs),
            ("tokens.session_idle_secs", t.session_idle_secs),
            ("tokens.session_max_secs", t.session_max_secs),
            ("tokens.max_per_client_per_minute", t.max_per_client_per_minute),
            ("keys.rotation_days", self.keys.rotation_days),
            ("login.lockout_secs", self.login.lockout_secs),
            ("http.anonymous_session_idle_secs", self.http.anonymous_session_idle_secs),
            ("http.max_anonymous_requests", self.http.max_anonymous_requests),
        ] {
            if value <= 0 {
                return Err(ConfigError::Invalid(format!("{name} must be positive")));
            }
        }
        let p = &self.password;
        if p.memory_kib < 8 * p.parallelism.max(1) || p.iterations == 0 || p.parallelism == 0 {
            return invalid("password: argon2 needs iterations ≥ 1, parallelism ≥ 1, memory_kib ≥ 8 × parallelism");
        }
        if self.sms.sender == SmsSenderKind::Http && url::Url::parse(&self.sms.http.url).is_err() {
            return invalid("sms.http.url must be the gateway's URL when sms.sender = \"http\"");
        }
        let o = &self.otp;
        if o.code_ttl_secs <= 0 || o.max_attempts <= 0 || o.max_per_phone_per_day <= 0 || o.max_per_ip_per_hour <= 0 {
            return invalid("otp settings must be positive");
        }
        if self.assurance.levels.is_empty()
            || self.assurance.levels.iter().any(|l| l.acr.is_empty() || l.requires.iter().any(Vec::is_empty))
        {
            return invalid(
                "assurance.levels needs at least one level, each with an acr and non-empty requirement sets",
            );
        }
        if self.register.adapter == RegisterAdapterKind::Http && url::Url::parse(&self.register.http.url).is_err() {
            return invalid("register.http.url must be the register service's URL when register.adapter = \"http\"");
        }
        if self.account.close_grace_days < 0 {
            return invalid("account.close_grace_days cannot be negative");
        }
        let c = &self.catalog;
        for (name, value) in [
            ("catalog.target_rate", c.target_rate),
            ("catalog.enterprise_target", c.enterprise_target),
            ("catalog.citizen_target", c.citizen_target),
        ] {
            if !(value > 0.0 && value <= 1.0) {
                return Err(ConfigError::Invalid(format!("{name} must be a share between 0 and 1, e.g. 0.9")));
            }
        }
        if c.activity_window_days <= 0
            || c.usage_window_days <= 0
            || c.last_seen_refresh_secs <= 0
            || c.enterprises < 0
            || c.population_20_49 < 0
        {
            return invalid("catalog windows must be positive and its denominators not negative");
        }
        if p.max_concurrent_hashes == 0 {
            return invalid("password.max_concurrent_hashes must be at least 1");
        }
        self.federation.validate(&self.assurance)
    }

    /// The issuer, without a trailing slash so that endpoint URLs join cleanly.
    pub fn issuer(&self) -> url::Url {
        self.issuer.clone().unwrap_or_else(|| {
            url::Url::parse(&format!("http://{}", self.listen)).expect("a socket address forms a valid URL")
        })
    }

    pub fn issuer_string(&self) -> String {
        self.issuer().as_str().trim_end_matches('/').to_owned()
    }

    pub fn secure_cookies(&self) -> bool {
        self.http.secure_cookies.unwrap_or(self.issuer().scheme() == "https")
    }

    /// The effective configuration as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|error| format!("# could not render: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_issuer_follows_listen() {
        let config = Config::default();
        config.validate().unwrap();
        assert_eq!(config.issuer_string(), "http://127.0.0.1:8080");
        let moved = Config { listen: "127.0.0.1:9000".parse().unwrap(), ..Config::default() };
        assert_eq!(moved.issuer_string(), "http://127.0.0.1:9000");
    }

    #[test]
    fn rejects_nonsense() {
        let config = Config { database_url: Some(ConnectionUrl::new("mysql://x")), ..Config::default() };
        assert!(config.validate().is_err());
        let mut config = Config::default();
        config.tokens.authorization_code_ttl_secs = 0;
        assert!(config.validate().is_err());
    }

    #[test]
    fn redacted_toml_hides_secrets() {
        let mut config = Config::default();
        config.secrets.data_key = Some(SecretString::new("c2VjcmV0"));
        config.database_url = Some(ConnectionUrl::new("postgres://u:pw@localhost/db"));
        let text = config.to_redacted_toml();
        assert!(!text.contains("c2VjcmV0"));
        assert!(!text.contains(":pw@"));
        assert!(text.contains("[redacted]"));
    }
}
