//! The account-scale benchmark: how the lookups a citizen, a counter clerk and the account centre make
//! behave with a million citizen accounts on PostgreSQL (issue 13, "1,000,000 citizen accounts").
//!
//! ```text
//! cargo run --release --features bench --example scale -- \
//!     --database-url postgres://…/yimen_scale --data-dir /tmp/yimen-scale --accounts 1000000
//! ```
//!
//! Fills the database through yimen's own registration (each account's ID number and phone encrypted and
//! blind-indexed as in production, no password so that filling takes minutes rather than hours), adds an
//! evidence row and two login events per account in set-based SQL, then times each operation in process,
//! one at a time, on accounts drawn at random from the whole million. Prints one JSON object with the
//! counts, the filling time and each operation's p50, p99 and slowest in milliseconds. A second run on
//! the same database and data directory (which holds the data key) reuses the accounts already there.

use futures::StreamExt;
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};
use yimen::assurance::Method;
use yimen::clock::{SharedClock, SystemClock};
use yimen::config::Config;
use yimen::counter::CodePurpose;
use yimen::identity::NewCitizen;
use yimen::identity::document::{DocumentKind, IdDocument};
use yimen::identity::phone::PhoneNumber;
use yimen::identity::resident_id::{ResidentId, ResidentIdError};
use yimen::secret::{ConnectionUrl, SecretString};

/// Accounts registered at once while filling: enough to keep PostgreSQL busy on two cores.
const FILL_CONCURRENCY: usize = 24;
/// The password of the accounts the password sign-in row uses (made during the run, with a hash).
const PASSWORD: &str = "Scale-bench-passw0rd";

struct Args {
    database_url: String,
    data_dir: std::path::PathBuf,
    accounts: u64,
    samples: usize,
}

fn args() -> Args {
    let mut args = Args {
        database_url: String::new(),
        data_dir: std::env::temp_dir().join("yimen-scale"),
        accounts: 1_000_000,
        samples: 2_000,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--database-url" => args.database_url = value,
            "--data-dir" => args.data_dir = value.into(),
            "--accounts" => args.accounts = value.parse().expect("--accounts N"),
            "--samples" => args.samples = value.parse().expect("--samples N"),
            other => panic!("unknown option {other}"),
        }
    }
    assert!(args.database_url.starts_with("postgres"), "--database-url postgres://… is required");
    args
}

/// The `n`th synthetic citizen's resident ID number: a Beijing district code, a birth date spread over
/// 1950–2004 and a sequence number, with its GB 11643 check character.
fn id_number(n: u64) -> String {
    let day = time::Date::from_calendar_date(1950, time::Month::January, 1).unwrap()
        + time::Duration::days((n % 20_000) as i64);
    let body = format!("110105{:04}{:02}{:02}{:03}", day.year(), u8::from(day.month()), day.day(), n / 20_000 % 1_000);
    // The parser names the check character it expected.
    match ResidentId::parse(&format!("{body}0"), 20_260_101) {
        Ok(id) => id.as_str().to_owned(),
        Err(ResidentIdError::Checksum { expected, .. }) => format!("{body}{expected}"),
        Err(other) => panic!("{body}: {other}"),
    }
}

fn phone(n: u64) -> String {
    format!("139{:08}", n)
}

fn citizen(n: u64, today: u32, password: Option<&str>) -> NewCitizen {
    NewCitizen {
        name: format!("测试{n}"),
        document: IdDocument::parse(DocumentKind::ResidentId, &id_number(n), today).expect("a valid ID number"),
        phone: PhoneNumber::parse(&phone(n)).expect("a valid phone number"),
        phone_verified: true,
        password: password.map(SecretString::new),
    }
}

struct Timings {
    name: &'static str,
    samples: Vec<Duration>,
}

impl Timings {
    fn new(name: &'static str) -> Self {
        Self { name, samples: Vec::new() }
    }

    async fn time<T>(&mut self, work: impl std::future::Future<Output = T>) -> T {
        let started = Instant::now();
        let out = work.await;
        self.samples.push(started.elapsed());
        out
    }

    fn summary(mut self) -> serde_json::Value {
        self.samples.sort();
        let at = |q: f64| {
            let index = ((self.samples.len() as f64 * q).ceil() as usize).clamp(1, self.samples.len()) - 1;
            self.samples[index].as_secs_f64() * 1000.0
        };
        serde_json::json!({
            "operation": self.name,
            "samples": self.samples.len(),
            "p50_ms": at(0.50),
            "p99_ms": at(0.99),
            "max_ms": at(1.0),
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args();
    std::fs::create_dir_all(&args.data_dir)?;
    let mut config = Config { data_dir: args.data_dir.clone(), ..Config::default() };
    config.database_url = Some(ConnectionUrl::new(args.database_url.clone()));
    let clock: SharedClock = Arc::new(SystemClock);
    let services = Box::pin(yimen::app::Services::build(config, clock.clone())).await?;
    let today = services.accounts.today();
    let pool = sqlx::PgPool::connect(&args.database_url).await?;

    let present: i64 =
        sqlx::query_scalar("SELECT count(*) FROM people WHERE name LIKE '测试%'").fetch_one(&pool).await?;
    let fill_started = Instant::now();
    let accounts = &services.accounts;
    futures::stream::iter(present as u64..args.accounts)
        .map(|n| async move {
            accounts.register_citizen(citizen(n, today, None)).await.map(|_| ()).map_err(|e| anyhow::anyhow!("{e}"))
        })
        .buffer_unordered(FILL_CONCURRENCY)
        .fold(Ok::<(), anyhow::Error>(()), |so_far, done| async move { so_far.and(done) })
        .await?;
    let accounts_secs = fill_started.elapsed().as_secs_f64();
    let now = clock.now();
    sqlx::query(&format!(
        "INSERT INTO verification_evidence (id, person_id, method, verifier, outcome, created_at) \
         SELECT 'scale-' || p.id, p.id, '{}', 'system', 'passed', p.created_at FROM people p \
         WHERE NOT EXISTS (SELECT 1 FROM verification_evidence e WHERE e.id = 'scale-' || p.id)",
        Method::Sms.as_str()
    ))
    .execute(&pool)
    .await?;
    for round in 0..2 {
        sqlx::query(&format!(
            "INSERT INTO login_events (id, person_id, client_id, methods, created_at) \
             SELECT 'scale-{round}-' || p.id, p.id, NULL, 'pwd', {now} - {round} * 86400 FROM people p \
             WHERE NOT EXISTS (SELECT 1 FROM login_events e WHERE e.id = 'scale-{round}-' || p.id)"
        ))
        .execute(&pool)
        .await?;
    }
    sqlx::query("ANALYZE").execute(&pool).await?;
    let fill_secs = fill_started.elapsed().as_secs_f64();
    let count = |table: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}")).fetch_one(&pool).await }
    };
    let counts = serde_json::json!({
        "people": count("people").await?,
        "verification_evidence": count("verification_evidence").await?,
        "login_events": count("login_events").await?,
    });

    let pick = || rand::thread_rng().gen_range(0..args.accounts);
    let mut by_phone = Timings::new("sign-in lookup by phone number");
    let mut by_id = Timings::new("sign-in lookup by resident ID number");
    let mut desk_by_id = Timings::new("desk search by ID number (account, evidence, organisations)");
    let mut desk_by_code = Timings::new("desk search by visit code (code, account, evidence)");
    let mut centre = Timings::new("account centre (account, level, history, organisations, passkeys)");
    let mut register = Timings::new("registration (checks and insert; password hashing not included)");
    let mut sign_in = Timings::new("password sign-in (lookup and argon2id at production parameters)");
    for _ in 0..args.samples {
        let person = by_phone.time(accounts.find_by_login_identifier(&phone(pick()))).await?;
        assert!(person.is_some(), "every generated phone number has its account");
        let person = by_id.time(accounts.find_by_login_identifier(&id_number(pick()))).await?;
        assert!(person.is_some(), "every generated ID number has its account");

        let found = desk_by_id
            .time(async {
                let person = accounts.find_by_login_identifier(&id_number(pick())).await?.expect("found");
                services.evidence.of(&person.id).await?;
                services.orgs.memberships_of(&person.id).await?;
                anyhow::Ok(person)
            })
            .await?;
        let code = services.codes.issue(&found.id, CodePurpose::CounterVisit, 1).await?;
        let holder = desk_by_code
            .time(async {
                let id = services.codes.holder(&code, CodePurpose::CounterVisit).await?.expect("held");
                let person = accounts.find(&id).await?.expect("found");
                services.evidence.of(&person.id).await?;
                anyhow::Ok(person.id)
            })
            .await?;
        assert_eq!(holder, found.id);

        let id = accounts.find_by_login_identifier(&phone(pick())).await?.expect("found").id;
        centre
            .time(async {
                accounts.find(&id).await?;
                services.assurance.acr_of(&id).await?;
                services.history.recent(&id, 20).await?;
                services.orgs.memberships_of(&id).await?;
                if let Some(passkeys) = &services.passkeys {
                    passkeys.list(&id).await?;
                }
                anyhow::Ok(())
            })
            .await?;
    }
    // New accounts beyond the million, numbered where the fill stops; a second run continues after them.
    let first_new: i64 =
        sqlx::query_scalar("SELECT count(*) FROM people WHERE name LIKE '测试%'").fetch_one(&pool).await?;
    for n in 0..args.samples as u64 {
        register.time(accounts.register_citizen(citizen(first_new as u64 + n, today, None))).await?;
    }
    let with_password = first_new as u64 + args.samples as u64;
    let signers = (args.samples / 10).max(10) as u64;
    for n in 0..signers {
        accounts.register_citizen(citizen(with_password + n, today, Some(PASSWORD))).await?;
    }
    for n in 0..signers {
        let password = SecretString::new(PASSWORD);
        let person = sign_in.time(accounts.password_login(&phone(with_password + n), &password, None)).await;
        assert!(person.is_ok(), "the password sign-in succeeds");
    }

    let rows: Vec<_> = [by_phone, by_id, desk_by_id, desk_by_code, centre, register, sign_in]
        .into_iter()
        .map(Timings::summary)
        .collect();
    let report = serde_json::json!({
        "accounts_requested": args.accounts,
        "accounts_already_there": present,
        "counts": counts,
        "fill_accounts_secs": accounts_secs,
        "fill_total_secs": fill_secs,
        "operations": rows,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
