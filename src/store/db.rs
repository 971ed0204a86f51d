//! The durable database: an SQLite file in the data directory by default, PostgreSQL when configured.
//! Both run the same SQL through sqlx's `Any` driver; only the migration folders differ in column types.

use super::StoreResult;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

pub const SQLITE_FILE: &str = "yimen.db";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
}

impl Database {
    /// Opens the database: `url` when given (postgres:// or sqlite:), else `yimen.db` in `data_dir`,
    /// created if missing.
    pub async fn connect(url: Option<&str>, data_dir: &Path) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let url = match url {
            Some(url) => url.to_owned(),
            None => {
                let file = data_dir.join(SQLITE_FILE);
                crate::private_files::private_dir(data_dir)
                    .and_then(|()| crate::private_files::private_file(&file))
                    .map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
                format!("sqlite://{}?mode=rwc", file.display())
            }
        };
        let backend = if url.starts_with("sqlite:") { Backend::Sqlite } else { Backend::Postgres };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    // A ping before every query costs a round trip to sqlx's SQLite thread; a broken
                    // local file connection is not something a ping would repair.
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; busy_timeout queues writers instead
                            // of failing them; foreign keys are off by default in SQLite.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    // Failed connections surface as query errors and are dropped from the pool; a ping
                    // per checkout would double the round trips of every query.
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await?
            }
        };
        Ok(Self { pool, backend })
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub async fn ping(&self) -> StoreResult<()> {
        self.pool.execute("SELECT 1").await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(super) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Columns holding JSON lists are decoded through this, so a corrupt value is an error, not a panic.
pub(super) fn json_list(text: &str) -> StoreResult<Vec<String>> {
    Ok(serde_json::from_str(text)?)
}

pub(super) fn flag(value: i64) -> bool {
    value != 0
}
