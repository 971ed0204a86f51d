//! The composition root: the only place that builds stores and services and wires them into the router.
//! `App::build` binds the listener first, so a server on port 0 (tests) knows its address and issuer.

use crate::assurance::register::{FileRegister, HttpRegister, SharedRegister};
use crate::assurance::{Assurance, Evidence, Ladder};
use crate::audit::Audit;
use crate::catalog::Catalog;
use crate::catalog::report::Reports;
use crate::catalog::usage::ConnectionTracker;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::config::RegisterAdapterKind;
use crate::config::SmsSenderKind;
use crate::counter::{CounterCodes, Desk, EnrolmentCodes, Halls};
use crate::crypto::{DataKeySource, Keyring, load_or_create_key_file, parse_data_key};
use crate::federation::{Federation, Parts as FederationParts};
use crate::http::metrics::Metrics;
use crate::http::{AppState, HttpSettings};
use crate::identity::login::Logins;
use crate::identity::login_history::LoginHistory;
use crate::identity::organisation::Organisations;
use crate::identity::otp::OtpService;
use crate::identity::passkeys::Passkeys;
use crate::identity::password::PasswordHasher;
use crate::identity::roles::Roles;
use crate::identity::{Accounts, LoginSessions};
use crate::keys::{FreshKeys, KeyManager, KeySource};
use crate::oidc::provider::{Provider, ProviderParts};
use crate::sms::{FileSender, HttpGateway, SharedSms};
use crate::store::ephemeral::Change;
use crate::store::ephemeral::{MemoryEphemeral, RedisEphemeral};
use crate::store::{Database, SharedEphemeral};
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Everything the program runs on, for the server and the command line alike.
pub struct Services {
    pub config: Config,
    /// Set once the server was told to stop: /readyz then answers 503 while requests are still served.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    pub clock: SharedClock,
    pub db: Database,
    pub ephemeral: SharedEphemeral,
    pub keyring: Keyring,
    pub keys: Arc<KeyManager>,
    pub accounts: Arc<Accounts>,
    pub sessions: LoginSessions,
    pub provider: Arc<Provider>,
    pub metrics: Arc<Metrics>,
    pub otp: OtpService,
    pub passkeys: Option<Passkeys>,
    /// Why passkeys are off, when they are: the server says so when it starts.
    pub passkeys_off: Option<String>,
    pub orgs: Organisations,
    pub history: LoginHistory,
    pub logins: Logins,
    pub audit: Audit,
    pub evidence: Evidence,
    pub roles: Roles,
    pub assurance: Assurance,
    pub sms: SharedSms,
    pub halls: Halls,
    pub codes: CounterCodes,
    pub enrolment: EnrolmentCodes,
    pub desk: Desk,
    pub federation: Federation,
    pub catalog: Catalog,
    pub integration: crate::catalog::integration::Integration,
    pub reports: Reports,
}

impl Services {
    /// Opens and migrates the database, connects the ephemeral store, loads (or creates) the keys.
    pub async fn build(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        Self::build_with(config, clock, Arc::new(FreshKeys)).await
    }

    /// As [`Services::build`], with new signing keys taken from `key_source`.
    pub async fn build_with(
        config: Config,
        clock: SharedClock,
        key_source: Arc<dyn KeySource>,
    ) -> anyhow::Result<Self> {
        let keyring = Keyring::from_data_key(&*data_key(&config)?);
        let db = Database::connect(config.database_url.as_ref().map(|u| u.expose()), &config.data_dir)
            .await
            .with_context(|| match &config.database_url {
                Some(url) => format!("cannot open the database at {}", url.masked()),
                None => format!("cannot open the SQLite database in {}", config.data_dir.display()),
            })?;
        db.migrate().await.context("database migration failed")?;
        let sandbox = crate::sandbox::check_mode(&db, config.sandbox).await?;
        let ephemeral: SharedEphemeral = match &config.redis_url {
            Some(url) => Arc::new(
                RedisEphemeral::connect(url.expose(), &config.redis_prefix)
                    .await
                    .with_context(|| format!("cannot connect to Redis at {}", url.masked()))?,
            ),
            None => Arc::new(MemoryEphemeral::new(clock.clone())),
        };
        let tokens = config.tokens.clone();
        let longest_token = tokens.id_token_ttl_secs.max(tokens.access_token_ttl_secs);
        let keys = Arc::new(
            KeyManager::start(
                db.clone(),
                keyring.clone(),
                clock.clone(),
                config.keys.clone(),
                key_source,
                longest_token,
            )
            .await
            .context("cannot load or create the signing keys")?,
        );
        let hasher = PasswordHasher::new(&config.password).context("password hashing settings")?;
        let accounts =
            Accounts::new(db.clone(), ephemeral.clone(), keyring.clone(), hasher, clock.clone(), config.login.clone());
        let sessions = LoginSessions::new(db.clone(), clock.clone(), tokens.session_max_secs);
        let metrics = Metrics::new();
        let audit = Audit::new(db.clone(), keyring.clone(), clock.clone());
        let orgs = Organisations::new(db.clone(), audit.clone(), clock.clone());
        let sms: SharedSms = match config.sms.sender {
            SmsSenderKind::File => Arc::new(FileSender::new(&config.data_dir, clock.clone())),
            SmsSenderKind::Http => Arc::new(HttpGateway::new(config.sms.http.clone())?),
        };
        let otp = OtpService::new(ephemeral.clone(), sms.clone(), keyring.clone(), clock.clone(), config.otp.clone());
        let (passkeys, passkeys_off) =
            match Passkeys::new(&config.issuer(), "统一身份认证平台", db.clone(), ephemeral.clone(), clock.clone())
            {
                Ok(passkeys) => (Some(passkeys), None),
                Err(error) => (None, Some(error.to_string())),
            };
        let history = LoginHistory::new(db.clone(), clock.clone());
        let evidence = Evidence::new(db.clone(), clock.clone());
        let roles = Roles::new(db.clone(), audit.clone(), clock.clone());
        let register: SharedRegister = match config.register.adapter {
            RegisterAdapterKind::File => Arc::new(FileRegister::new(&config.data_dir)),
            RegisterAdapterKind::Http => Arc::new(HttpRegister::new(config.register.http.clone())?),
        };
        let assurance = Assurance::new(evidence.clone(), Ladder::new(&config.assurance), register, ephemeral.clone());
        let provider = Provider::new(ProviderParts {
            issuer: config.issuer_string(),
            db: db.clone(),
            ephemeral: ephemeral.clone(),
            keys: keys.clone(),
            keyring: keyring.clone(),
            clock: clock.clone(),
            tokens,
            accounts: accounts.clone(),
            sessions: sessions.clone(),
            orgs: orgs.clone(),
            assurance: assurance.clone(),
            roles: roles.clone(),
            metrics: metrics.clone(),
            // A sandbox's logins never count: the rate moves only when systems connect for real.
            recorder: if sandbox {
                Arc::new(crate::oidc::login_recorder::NoRecorder)
            } else {
                Arc::new(ConnectionTracker::new(db.clone(), clock.clone(), config.catalog.last_seen_refresh_secs))
            },
            sandbox,
        });
        if sandbox {
            crate::sandbox::seed(&accounts, &evidence, &orgs).await.context("cannot seed the sandbox's people")?;
        }
        let catalog = Catalog::new(db.clone(), audit.clone(), roles.clone(), provider.clone(), clock.clone());
        let integration = crate::catalog::integration::Integration::new(
            catalog.clone(),
            crate::catalog::integration::IntegrationParts {
                db: db.clone(),
                keyring: keyring.clone(),
                audit: audit.clone(),
                clock: clock.clone(),
                sandbox,
                link: crate::catalog::sandbox_link::SandboxLink::from_config(&config.developers)?,
                issuer: config.issuer_string(),
            },
        );
        let reports = Reports::new(db.clone(), clock.clone(), config.catalog.clone());
        let logins = Logins::new(sessions.clone(), history.clone(), orgs.clone(), provider.clone());
        let halls = Halls::new(db.clone(), audit.clone(), clock.clone());
        let codes = CounterCodes::new(db.clone(), clock.clone());
        let enrolment = EnrolmentCodes::new(codes.clone(), roles.clone(), halls.clone(), audit.clone());
        let desk = Desk {
            db: db.clone(),
            accounts: accounts.clone(),
            assurance: assurance.clone(),
            orgs: orgs.clone(),
            roles: roles.clone(),
            halls: halls.clone(),
            codes: codes.clone(),
            audit: audit.clone(),
            keyring: keyring.clone(),
            sign_out: provider.clone(),
            activate_url: provider.endpoint(crate::paths::ACTIVATE),
            sms: sms.clone(),
            clock: clock.clone(),
        };
        let federation = Federation::new(
            &config.federation,
            &config.assurance,
            FederationParts {
                accounts: accounts.clone(),
                orgs: orgs.clone(),
                evidence: evidence.clone(),
                assurance: assurance.clone(),
                desk: desk.clone(),
                db: db.clone(),
                keyring: keyring.clone(),
                audit: audit.clone(),
                clock: clock.clone(),
            },
        )?;
        Ok(Self {
            config,
            draining: Arc::default(),
            clock,
            db,
            ephemeral,
            keyring,
            keys,
            accounts,
            sessions,
            provider,
            metrics,
            otp,
            passkeys,
            passkeys_off,
            orgs,
            history,
            logins,
            audit,
            evidence,
            roles,
            assurance,
            sms,
            halls,
            codes,
            enrolment,
            desk,
            federation,
            catalog,
            integration,
            reports,
        })
    }
}

/// Background work every ten minutes: signing keys (new successors, retired keys dropped), the erasure
/// of accounts whose closing grace period has passed, and today's connection-rate snapshot.
/// Forgets cached clients and accounts as other processes announce that they changed them.
async fn follow_changes(
    mut changes: tokio::sync::broadcast::Receiver<Change>,
    provider: Arc<crate::oidc::Provider>,
    accounts: Arc<Accounts>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match changes.recv().await {
            Ok(Change::Client(id)) => provider.forget_client(&id).await,
            Ok(Change::Person(id)) => accounts.forget_cached(&id).await,
            Ok(Change::Unknown) | Err(RecvError::Lagged(_)) => {
                provider.forget_all_clients();
                accounts.forget_all_cached();
            }
            Err(RecvError::Closed) => return,
        }
    }
}

async fn upkeep(keys: Arc<KeyManager>, accounts: Arc<Accounts>, audit: Audit, reports: Reports) {
    let mut interval = tokio::time::interval(Duration::from_secs(600));
    loop {
        interval.tick().await;
        if let Err(error) = keys.refresh().await {
            tracing::error!(%error, "signing key refresh failed");
        }
        match accounts.erase_due().await {
            Ok(erased) => {
                for id in erased {
                    let event = crate::audit::Event {
                        action: "account.erase",
                        subject_type: "person",
                        subject_id: Some(id),
                        detail: serde_json::json!({ "reason": "closing grace period ended" }),
                    };
                    if let Err(error) = audit.record(&crate::audit::Actor::system(), event).await {
                        tracing::error!(%error, "could not audit an erasure");
                    }
                }
            }
            Err(error) => tracing::error!(%error, "account erasure failed"),
        }
        if let Err(error) = reports.record_snapshot().await {
            tracing::error!(%error, "the connection-rate snapshot failed");
        }
    }
}

fn data_key(config: &Config) -> anyhow::Result<zeroize::Zeroizing<[u8; 32]>> {
    if let Some(encoded) = &config.secrets.data_key {
        return Ok(parse_data_key(encoded.expose())?);
    }
    let (key, source) = load_or_create_key_file(&config.data_dir)?;
    if source == DataKeySource::GeneratedFile {
        tracing::warn!(
            path = %config.data_dir.join(crate::crypto::DATA_KEY_FILE).display(),
            "generated a data key in the data directory; production must set secrets.data_key (YIMEN_SECRETS__DATA_KEY) and keep it safe"
        );
    }
    Ok(key)
}

pub struct App {
    services: Services,
    listener: TcpListener,
}

impl App {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Binds the listener, then builds the services with the issuer the bound address implies (unless
    /// one is configured).
    pub async fn build_with_clock(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        Self::build_with(config, clock, Arc::new(FreshKeys)).await
    }

    /// As [`App::build_with_clock`], with new signing keys taken from `key_source` (the test suite hands
    /// out pairs it generated once).
    pub async fn build_with(
        mut config: Config,
        clock: SharedClock,
        key_source: Arc<dyn KeySource>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen).await.map_err(|error| listen_error(config.listen, error))?;
        config.listen = listener.local_addr()?;
        let services = Services::build_with(config, clock, key_source).await?;
        Ok(Self { services, listener })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.services.config.listen
    }

    pub fn issuer(&self) -> String {
        self.services.config.issuer_string()
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    pub fn router(services: &Services) -> axum::Router {
        let state = AppState::new(crate::http::Shared {
            provider: services.provider.clone(),
            accounts: services.accounts.clone(),
            sessions: services.sessions.clone(),
            otp: services.otp.clone(),
            passkeys: services.passkeys.clone(),
            orgs: services.orgs.clone(),
            history: services.history.clone(),
            logins: services.logins.clone(),
            set_up: Default::default(),
            audit: services.audit.clone(),
            evidence: services.evidence.clone(),
            roles: services.roles.clone(),
            assurance: services.assurance.clone(),
            halls: services.halls.clone(),
            codes: services.codes.clone(),
            enrolment: services.enrolment.clone(),
            sms: services.sms.clone(),
            desk: services.desk.clone(),
            federation: services.federation.clone(),
            catalog: services.catalog.clone(),
            integration: services.integration.clone(),
            reports: services.reports.clone(),
            counter_code_days: services.config.assurance.counter_code_days,
            keyring: services.keyring.clone(),
            close_grace_days: services.config.account.close_grace_days,
            trusted_proxies: services.config.http.trusted_proxies.clone(),
            max_anonymous_requests: services.config.http.max_anonymous_requests,
            db: services.db.clone(),
            ephemeral: services.ephemeral.clone(),
            draining: services.draining.clone(),
            metrics: services.metrics.clone(),
            discovery: bytes::Bytes::from(
                crate::oidc::discovery::document(
                    &services.config.issuer_string(),
                    &services.assurance.ladder().acr_values(),
                )
                .to_string(),
            ),
        });
        let settings = HttpSettings {
            secure_cookies: services.config.secure_cookies(),
            session_idle_secs: services.config.tokens.session_idle_secs,
            anonymous_session_idle_secs: services.config.http.anonymous_session_idle_secs,
            request_timeout_secs: services.config.http.request_timeout_secs,
            body_limit_bytes: services.config.http.body_limit_bytes,
        };
        crate::http::router(state, &settings)
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = Self::router(&self.services);
        let ephemeral = self.services.ephemeral.clone();
        let housekeeping = tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(30));
            loop {
                interval.tick().await;
                let ephemeral = ephemeral.clone();
                let _ = tokio::task::spawn_blocking(move || ephemeral.housekeeping()).await;
            }
        });
        let upkeep = tokio::spawn(upkeep(
            self.services.keys.clone(),
            self.services.accounts.clone(),
            self.services.audit.clone(),
            self.services.reports.clone(),
        ));
        let keys = self.services.keys.clone();
        let key_watch = tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(crate::keys::RELOAD_CHECK_SECS));
            loop {
                interval.tick().await;
                if let Err(error) = keys.reload_if_changed().await {
                    tracing::error!(%error, "could not check the signing keys");
                }
            }
        });
        let upstream_health = tokio::spawn(self.services.federation.clone().watch_health());
        let integration = self.services.integration.clone();
        let sandbox_use = tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(60));
            while integration.offers_sandbox() {
                interval.tick().await;
                if let Err(error) = integration.refresh_sandbox_use(None).await {
                    tracing::warn!(%error, "could not ask the sandbox which of its clients have signed in");
                }
            }
        });
        let logout_deliveries =
            tokio::spawn(crate::oidc::backchannel_logout::run_deliveries(self.services.provider.clone()));
        let followed_changes = tokio::spawn(follow_changes(
            self.services.ephemeral.changes(),
            self.services.provider.clone(),
            self.services.accounts.clone(),
        ));
        tracing::info!(listen = %self.local_addr(), issuer = %self.issuer(), "yimen is serving");
        let (draining, drain_secs) = (self.services.draining.clone(), self.services.config.http.drain_secs);
        let drained = async move {
            shutdown.await;
            if drain_secs > 0 {
                draining.store(true, std::sync::atomic::Ordering::Release);
                tracing::info!(drain_secs, "stopping: /readyz answers 503 while the load balancer takes notice");
                tokio::time::sleep(Duration::from_secs(drain_secs)).await;
            }
            tracing::info!("no longer accepting connections; finishing the requests in flight");
        };
        let served = axum::serve(self.listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(drained)
            .await;
        upkeep.abort();
        housekeeping.abort();
        logout_deliveries.abort();
        key_watch.abort();
        upstream_health.abort();
        sandbox_use.abort();
        followed_changes.abort();
        self.services.db.close().await;
        Ok(served?)
    }

    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(async {
            let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            let terminated = async {
                match terminate.as_mut() {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminated => {}
            }
            tracing::info!("shutting down");
        })
        .await
    }
}

/// Why the server cannot listen, with the way out for the usual cause: the port is taken.
fn listen_error(address: SocketAddr, error: std::io::Error) -> anyhow::Error {
    if error.kind() == std::io::ErrorKind::AddrInUse {
        let other = SocketAddr::new(address.ip(), address.port().wrapping_add(1).max(1));
        return anyhow::anyhow!(
            "cannot listen on {address}: {error}; the port is in use (another yimen, or another program): stop \
             it, or use --listen {other}"
        );
    }
    anyhow::Error::new(error).context(format!("cannot listen on {address}"))
}
