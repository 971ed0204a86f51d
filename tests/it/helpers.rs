//! The test harness: spawns the real server on 127.0.0.1:0 with its own database (a temporary SQLite file,
//! or a fresh PostgreSQL database when YIMEN_TEST_POSTGRES_URL is set) and its own ephemeral state
//! (process memory, or a fresh Redis key prefix when YIMEN_TEST_REDIS_URL is set), plus a cookie-keeping
//! browser with redirects off.

use std::sync::{Arc, OnceLock};
use yimen::app::App;
use yimen::clock::OffsetClock;
use yimen::config::Config;
use yimen::identity::document::IdDocument;
use yimen::identity::phone::PhoneNumber;
use yimen::identity::resident_id::ResidentId;
use yimen::identity::{Accounts, NewCitizen, Person};
use yimen::keys::{KeyMaterialError, KeySource, SigningAlg, generate_key};
use yimen::oidc::Provider;
use yimen::oidc::client::{ClientRegistration, Registered};
use yimen::secret::{ConnectionUrl, SecretString};
use zeroize::Zeroizing;

pub const PASSWORD: &str = "lantern-quilt-harbour-9";
pub const ID_NUMBER: &str = "11010519491231002X";
pub const PHONE: &str = "13800138000";
pub const RP: &str = "http://127.0.0.1:9/cb";

pub struct TestApp {
    pub base: String,
    pub clock: Arc<OffsetClock>,
    pub provider: Arc<Provider>,
    pub accounts: Arc<Accounts>,
    pub desk: yimen::counter::Desk,
    pub catalog: yimen::catalog::Catalog,
    pub reports: yimen::catalog::report::Reports,
    pub db: yimen::store::Database,
    pub ephemeral: yimen::store::SharedEphemeral,
    config: Config,
    /// How many codes to each phone `code_for` has handed out.
    codes_taken: std::sync::Mutex<std::collections::HashMap<String, usize>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _postgres: Option<TestDatabase>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose issuer is http://localhost:PORT: WebAuthn needs a domain name as the RP ID.
    pub async fn spawn_on_localhost() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self::spawn_with(|config| {
            config.listen = format!("127.0.0.1:{port}").parse().unwrap();
            config.issuer = Some(url::Url::parse(&format!("http://localhost:{port}")).unwrap());
        })
        .await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut config =
            Config { listen: "127.0.0.1:0".parse().unwrap(), data_dir: dir.path().to_owned(), ..Config::default() };
        // Real argon2id, cheaper parameters: the suite logs in hundreds of times.
        config.password.memory_kib = 4096;
        config.password.iterations = 1;
        // Tests stop servers without a load balancer to tell.
        config.http.drain_secs = 0;
        let postgres = match std::env::var("YIMEN_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => {
                let database = TestDatabase::create(&url).await;
                config.database_url = Some(ConnectionUrl::new(database.url.clone()));
                Some(database)
            }
            _ => None,
        };
        if let Ok(url) = std::env::var("YIMEN_TEST_REDIS_URL")
            && !url.is_empty()
        {
            config.redis_url = Some(ConnectionUrl::new(url));
            config.redis_prefix = format!("yimen-test:{}:", uuid::Uuid::new_v4().simple());
        }
        adjust(&mut config);
        Self::start(config, Arc::new(OffsetClock::default()), postgres, dir).await
    }

    /// Stops this server and starts another on the same address, database, data directory, Redis prefix
    /// and clock, as a restart would. The same address keeps the same issuer, so that tokens of the first
    /// instance stay valid for the second.
    pub async fn restart(mut self) -> Self {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        let config = self.config.clone();
        let postgres = self._postgres.take();
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().expect("temporary directory"));
        Self::start(config, self.clock.clone(), postgres, dir).await
    }

    /// Another instance of the same deployment: its own address, the same database, Redis prefix, data
    /// directory (hence data key) and clock, as a second replica behind a load balancer would be.
    pub async fn another_instance(&self) -> Self {
        let mut config = self.config.clone();
        config.listen = "127.0.0.1:0".parse().unwrap();
        Self::start(config, self.clock.clone(), None, tempfile::tempdir().expect("temporary directory")).await
    }

    async fn start(
        mut config: Config,
        clock: Arc<OffsetClock>,
        postgres: Option<TestDatabase>,
        dir: tempfile::TempDir,
    ) -> Self {
        // A task of its own: building every service (connecting to PostgreSQL and Redis among them) polls
        // deep, and nested under a test's own futures it overflowed a test thread's 2 MiB stack in debug
        // builds. A task is polled from the scheduler, with only its own frames on the stack.
        let build = App::build_with(config.clone(), clock.clone(), Arc::new(PregeneratedKeys));
        let app = tokio::spawn(build).await.expect("the build did not panic").expect("the app builds");
        config.listen = app.local_addr();
        let base = app.issuer();
        let provider = app.services().provider.clone();
        let accounts = app.services().accounts.clone();
        let desk = app.services().desk.clone();
        let catalog = app.services().catalog.clone();
        let reports = app.services().reports.clone();
        let db = app.services().db.clone();
        let ephemeral = app.services().ephemeral.clone();
        let (shutdown, stopped) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = stopped.await;
            })
            .await
            .expect("the server runs");
        });
        Self {
            base,
            clock,
            provider,
            accounts,
            desk,
            catalog,
            reports,
            db,
            ephemeral,
            config,
            codes_taken: Default::default(),
            shutdown: Some(shutdown),
            server: Some(server),
            _postgres: postgres,
            _dir: dir,
        }
    }

    /// How many entries the ephemeral state holds: in process memory, or under this app's Redis prefix.
    pub async fn ephemeral_entries(&self) -> u64 {
        if self.ephemeral.held_in_process().is_some() {
            self.ephemeral.housekeeping();
            return self.ephemeral.held_in_process().unwrap_or_default();
        }
        let url = self.config.redis_url.as_ref().expect("ephemeral state in Redis").expose().to_owned();
        let mut redis = redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{}*", self.config.redis_prefix)).query_async(&mut redis).await.unwrap();
        keys.len() as u64
    }

    /// The codes the development SMS sender wrote, oldest first: (phone, code).
    pub fn sent_codes(&self) -> Vec<(String, String)> {
        let path = self._dir.path().join("sms-outbox.jsonl");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .map(|m| {
                (
                    m["to"].as_str().unwrap_or_default().to_owned(),
                    m["params"]["code"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// The texts of every message sent to a phone number, oldest first.
    pub fn sent_texts(&self, phone: &str) -> Vec<String> {
        let text = std::fs::read_to_string(self._dir.path().join("sms-outbox.jsonl")).unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|m| m["to"] == phone)
            .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Runs one statement on the test's database behind the server's back, as an intruder with database
    /// access would.
    pub async fn execute_sql(&self, sql: &str) {
        use sqlx::Connection;
        match self.database_url() {
            Some(url) => {
                let mut connection = sqlx::PgConnection::connect(url).await.expect("the test database");
                sqlx::query(sql).execute(&mut connection).await.expect("the statement runs");
            }
            None => {
                let url = format!("sqlite://{}", self.data_dir().join("yimen.db").display());
                let mut connection = sqlx::SqliteConnection::connect(&url).await.expect("the test database");
                sqlx::query(sql).execute(&mut connection).await.expect("the statement runs");
            }
        }
    }

    /// The newest code sent to a phone number that this test has not taken yet, waiting for it: codes are
    /// delivered in the background, after the answer to the request that asked for them.
    pub async fn code_for(&self, phone: &str) -> String {
        // A code asked for just now may still be on its way behind an older one nobody took: a moment's
        // wait lets it arrive, so that the newest is the one asked for.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        for _ in 0..250 {
            let codes: Vec<String> =
                self.sent_codes().into_iter().filter(|(to, _)| to == phone).map(|(_, code)| code).collect();
            {
                let mut taken = self.codes_taken.lock().unwrap();
                let taken = taken.entry(phone.to_owned()).or_default();
                if codes.len() > *taken {
                    *taken = codes.len();
                    return codes.last().cloned().unwrap_or_default();
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("no new code was sent to {phone}")
    }

    /// Waits until `count` codes in all have been sent to a phone, and counts them as taken.
    pub async fn await_codes(&self, phone: &str, count: usize) {
        for _ in 0..250 {
            let sent = self.sent_codes().into_iter().filter(|(to, _)| to == phone).count();
            if sent >= count {
                self.codes_taken.lock().unwrap().insert(phone.to_owned(), sent);
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("fewer than {count} codes were sent to {phone}")
    }

    /// The PostgreSQL database of this test, when it runs on PostgreSQL.
    pub fn database_url(&self) -> Option<&str> {
        self._postgres.as_ref().map(|db| db.url.as_str())
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The address this instance listens on (its issuer may be a load balancer's).
    pub fn address(&self) -> std::net::SocketAddr {
        self.config.listen
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    pub async fn citizen(&self) -> Person {
        self.citizen_with(ID_NUMBER, PHONE).await
    }

    pub async fn citizen_with(&self, id_number: &str, phone: &str) -> Person {
        self.accounts
            .register_citizen(NewCitizen {
                name: "张三".into(),
                document: IdDocument::from_resident_id(
                    ResidentId::parse(id_number, 20261125).expect("valid test ID number"),
                ),
                phone: Some(PhoneNumber::parse(phone).expect("valid test phone")),
                phone_verified: true,
                password: Some(SecretString::new(PASSWORD)),
            })
            .await
            .expect("the citizen is created")
    }

    /// Records a passed check of `person_id` by the system, as the register or a counter would.
    pub async fn record_evidence(&self, person_id: &str, method: yimen::assurance::Method) {
        let evidence = yimen::assurance::NewEvidence {
            person_id,
            method,
            verifier: "system",
            hall_id: None,
            passed: true,
            reference: None,
            adapter: None,
        };
        self.desk.assurance.evidence().record(evidence).await.expect("the evidence is recorded");
    }

    pub async fn client(&self, registration: ClientRegistration) -> Registered {
        self.provider.register_client(registration).await.expect("the client registers")
    }

    /// A confidential client with the default settings and one redirect URI.
    pub async fn confidential_client(&self) -> Registered {
        self.client(ClientRegistration {
            name: "社保查询".into(),
            redirect_uris: vec![RP.into()],
            post_logout_redirect_uris: vec!["http://127.0.0.1:9/bye".into()],
            ..ClientRegistration::default()
        })
        .await
    }

    /// Stops the server and waits for it, so the next test starts from a quiet machine.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Signing keys generated once per test process and handed to every server under the `kid` it asks for:
/// an RSA-2048 generation per server start cost more than most tests. Production never does this.
pub struct PregeneratedKeys;

impl KeySource for PregeneratedKeys {
    fn key_pair(&self, alg: SigningAlg, kid: &str) -> Result<(Zeroizing<String>, serde_json::Value), KeyMaterialError> {
        static PAIRS: OnceLock<Vec<(SigningAlg, Zeroizing<String>, serde_json::Value)>> = OnceLock::new();
        let pairs = PAIRS.get_or_init(|| {
            SigningAlg::ALL
                .into_iter()
                .map(|alg| {
                    let (pem, jwk) = generate_key(alg, "pregenerated").expect("a test key pair");
                    (alg, pem, jwk)
                })
                .collect()
        });
        let (_, pem, jwk) = pairs.iter().find(|(of, _, _)| *of == alg).expect("every algorithm has a pair");
        let mut jwk = jwk.clone();
        jwk["kid"] = kid.into();
        Ok((pem.clone(), jwk))
    }
}

/// A PostgreSQL database of its own for one test, dropped afterwards.
struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    async fn create(admin_url: &str) -> Self {
        use sqlx::Connection;
        let name = format!("yimen_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(admin_url).await.expect("YIMEN_TEST_POSTGRES_URL is reachable");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("test database created");
        let mut url = url::Url::parse(admin_url).expect("YIMEN_TEST_POSTGRES_URL is a URL");
        url.set_path(&format!("/{name}"));
        Self { admin_url: admin_url.to_owned(), name, url: url.to_string() }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee; a short-lived runtime on its own thread does the I/O.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                use sqlx::Connection;
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await.ok()
            })
        })
        .join();
    }
}

/// What a browser step ended with.
#[derive(Debug)]
pub enum Step {
    /// A page of the provider.
    Page { status: u16, url: String, html: String },
    /// A redirect that leaves the provider (to a relying party).
    Left(url::Url),
}

impl Step {
    pub fn page(self) -> (u16, String, String) {
        match self {
            Step::Page { status, url, html } => (status, url, html),
            Step::Left(url) => panic!("expected a page, was redirected to {url}"),
        }
    }

    pub fn left(self) -> url::Url {
        match self {
            Step::Left(url) => url,
            Step::Page { status, url, html } => {
                panic!("expected a redirect to the client, got {status} at {url}: {}", &html[..html.len().min(400)])
            }
        }
    }
}

/// A browser: keeps cookies, follows the provider's own redirects, stops at the first one that leaves.
pub struct Browser {
    pub http: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: String,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self::with(base, reqwest::Client::builder())
    }

    /// A browser that opens a new connection for every request, so that a load balancer that balances
    /// connections sends each request to the next instance.
    pub fn without_keep_alive(base: &str) -> Self {
        Self::with(base, reqwest::Client::builder().pool_max_idle_per_host(0))
    }

    fn with(base: &str, builder: reqwest::ClientBuilder) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = builder.cookie_provider(jar.clone()).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { http, jar, base: base.to_owned() }
    }

    pub async fn open(&self, url: &str) -> Step {
        let response = self.http.get(url).send().await.expect("request sent");
        self.settle(response).await
    }

    pub async fn submit(&self, action: &str, fields: &[(&str, &str)]) -> Step {
        let response = self.http.post(self.absolute(action)).form(fields).send().await.expect("form sent");
        self.settle(response).await
    }

    async fn settle(&self, mut response: reqwest::Response) -> Step {
        for _ in 0..10 {
            if !response.status().is_redirection() {
                let status = response.status().as_u16();
                let url = response.url().to_string();
                let html = response.text().await.unwrap_or_default();
                return Step::Page { status, url, html };
            }
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            let next = self.absolute(&location);
            if !next.starts_with(&self.base) {
                return Step::Left(url::Url::parse(&next).expect("redirect target is a URL"));
            }
            response = self.http.get(&next).send().await.expect("redirect followed");
        }
        panic!("too many redirects");
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with('/') { format!("{}{}", self.base, location) } else { location.to_owned() }
    }

    /// Submits the login form of a login page.
    pub async fn login_only(&self, login_page: &str, account: &str, password: &str) -> Step {
        let next = optional_field(login_page, "next").unwrap_or_default();
        let fields = [
            ("csrf", field(login_page, "csrf")),
            ("rid", field(login_page, "rid")),
            ("next", next),
            ("account", account.to_owned()),
            ("password", password.to_owned()),
        ];
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.submit("/login", &borrowed).await
    }

    /// Signs in on a login page and, if asked, consents; returns where the provider sent the browser.
    pub async fn sign_in(&self, login_page: &str, account: &str, password: &str) -> Step {
        match self.login_only(login_page, account, password).await {
            Step::Page { ref html, .. } if html.contains("name=\"decision\"") && html.contains("/consent") => {
                self.consent(html, "allow").await
            }
            other => other,
        }
    }

    pub async fn consent(&self, consent_page: &str, decision: &str) -> Step {
        self.submit(
            "/consent",
            &[("csrf", &field(consent_page, "csrf")), ("rid", &field(consent_page, "rid")), ("decision", decision)],
        )
        .await
    }

    /// Opens an authorization URL and completes login and consent as needed, returning the callback URL.
    pub async fn authorize(&self, url: &str) -> url::Url {
        match self.open(url).await {
            Step::Left(callback) => callback,
            Step::Page { html, .. } if html.contains("name=\"password\"") => {
                self.sign_in(&html, PHONE, PASSWORD).await.left()
            }
            Step::Page { html, .. } if html.contains("/consent") => self.consent(&html, "allow").await.left(),
            Step::Page { status, url, html } => {
                panic!("unexpected page {status} at {url}: {}", &html[..html.len().min(400)])
            }
        }
    }

    /// The value of one of the provider's cookies in this browser.
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let header = self.jar.cookies(&url::Url::parse(&self.base).unwrap())?;
        header
            .to_str()
            .ok()?
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    }
}

/// Waits out the one-second spacing of SMS codes to one phone, on the test clock and on Redis's.
pub async fn next_code_may_be_sent(app: &TestApp) {
    app.clock.advance_secs(2);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
}

/// Sends the SMS code from a second-factor page and submits it; returns the page the browser ends on.
pub async fn second_factor(app: &TestApp, browser: &Browser, second: &str, phone: &str) -> (u16, String, String) {
    let rid = optional_field(second, "rid").unwrap_or_default();
    let (_, _, sent) =
        browser.submit("/login/second/code", &[("csrf", &field(second, "csrf")), ("rid", &rid)]).await.page();
    let code = app.code_for(phone).await;
    browser.submit("/login/second", &[("csrf", &field(&sent, "csrf")), ("rid", &rid), ("code", &code)]).await.page()
}

/// Signs in with the password and then an SMS code on the way to `next`, a page that asks for two factors;
/// returns the page the browser ends on.
pub async fn sign_in_twice(app: &TestApp, browser: &Browser, phone: &str, next: &str) -> (u16, String, String) {
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    let (_, _, login) = browser.open(&app.url(&format!("/login?next={encoded}"))).await.page();
    let (_, url, second) = browser.login_only(&login, phone, PASSWORD).await.page();
    assert!(url.contains("/login/second"), "{next} asks for a second factor after the password: {url}");
    second_factor(app, browser, &second, phone).await
}

/// The value of a named input in a page, if the page has one.
pub fn optional_field(html: &str, name: &str) -> Option<String> {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(&format!("input[name=\"{name}\"]")).unwrap();
    document.select(&selector).next().and_then(|input| input.value().attr("value")).map(str::to_owned)
}

/// An attribute of the first element matching a CSS selector in a page.
pub fn attr(html: &str, selector: &str, name: &str) -> String {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(selector).unwrap();
    document
        .select(&selector)
        .next()
        .and_then(|element| element.value().attr(name))
        .unwrap_or_else(|| panic!("no {name} on the element in page"))
        .to_owned()
}

/// The value of a named input in a page.
pub fn field(html: &str, name: &str) -> String {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(&format!("input[name=\"{name}\"]")).unwrap();
    document
        .select(&selector)
        .next()
        .and_then(|input| input.value().attr("value"))
        .unwrap_or_else(|| panic!("no input {name} in page"))
        .to_owned()
}

/// A query parameter of a URL.
pub fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}
