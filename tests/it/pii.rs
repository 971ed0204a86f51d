//! Personal numbers never leave their encryption: not in the database file in the clear, not in the logs.
//! Every test in this binary writes its logs to one captured buffer; this test runs flows with known
//! numbers and then searches the buffer and the database file.

use crate::helpers::{ID_NUMBER, PASSWORD, PHONE, RP, TestApp, field};
use crate::rp::{code_for, token_request};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

static LOGS: OnceLock<Captured> = OnceLock::new();

/// Installs the capturing subscriber (once per test binary) at debug level for everything the server runs.
/// The test side's HTML parser is left out: it logs the pages it parses, numbers the test typed included.
pub fn capture_logs() -> Captured {
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug,html5ever=off,selectors=off,scraper=off"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init();
        captured
    })
    .clone()
}

#[tokio::test]
async fn identity_and_phone_numbers_are_never_in_the_logs_or_the_database_in_clear() {
    let logs = capture_logs();
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let browser = app.browser();
    let (code, verifier) = code_for(&app, &browser, &registered.client.id, "openid profile phone").await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    // Wrong logins, an SMS login and a registration put the numbers through every form.
    let other = app.browser();
    let (_, _, login) = other.open(&app.url("/login")).await.page();
    other.login_only(&login, ID_NUMBER, "wrong-password-1").await;
    other.login_only(&login, PHONE, "wrong-password-2").await;
    let (_, _, page) = other.open(&app.url("/login/sms")).await.page();
    other.submit("/login/sms/code", &[("csrf", &field(&page, "csrf")), ("phone", PHONE)]).await;
    let (_, _, page) = other.open(&app.url("/register")).await.page();
    other.submit("/register/code", &[("csrf", &field(&page, "csrf")), ("phone", "13912345678")]).await;
    let (_, _, page) = other.open(&app.url("/register")).await.page();
    let sms = app.code_for("13912345678").await;
    other
        .submit(
            "/register",
            &[
                ("csrf", &field(&page, "csrf")),
                ("code", &sms),
                ("name", "李四"),
                ("document_type", "resident_id"),
                ("document_number", "440301199003071230"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(!text.is_empty(), "logs were captured");
    for secret in [ID_NUMBER, PHONE, "440301199003071230", "13912345678"] {
        assert!(!text.contains(secret), "{secret} appears in the logs");
    }
    let bytes = match app.database_url() {
        None => {
            let mut bytes = Vec::new();
            for file in ["yimen.db", "yimen.db-wal"] {
                bytes.extend(std::fs::read(app.data_dir().join(file)).unwrap_or_default());
            }
            bytes
        }
        Some(url) => postgres_dump(url).await,
    };
    assert!(bytes.len() > 1_000, "the database was read");
    for secret in [ID_NUMBER, PHONE, "440301199003071230", "13912345678"] {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} is stored in clear");
    }
    app.stop().await;
}

/// Every row of every table of a PostgreSQL database, as text.
async fn postgres_dump(url: &str) -> Vec<u8> {
    use sqlx::{Connection, Row};
    let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
    let tables = sqlx::query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        .fetch_all(&mut connection)
        .await
        .unwrap();
    let mut dump = Vec::new();
    for table in tables {
        let name: String = table.get("tablename");
        let rows =
            sqlx::query(&format!("SELECT t::text AS row FROM \"{name}\" t")).fetch_all(&mut connection).await.unwrap();
        for row in rows {
            dump.extend(row.get::<String, _>("row").into_bytes());
        }
    }
    dump
}
