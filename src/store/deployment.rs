//! What the database was made for (production or sandbox), written once.

use super::{Database, StoreResult};
use sqlx::Row;

impl Database {
    pub async fn deployment_mode(&self) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM deployment WHERE name = 'mode'").fetch_optional(self.pool()).await?;
        row.map(|row| Ok(row.try_get("value")?)).transpose()
    }

    /// Records the mode unless one is recorded already; returns the mode the database has now.
    pub async fn claim_deployment_mode(&self, mode: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO deployment (name, value) VALUES ('mode', $1) ON CONFLICT (name) DO NOTHING")
            .bind(mode)
            .execute(self.pool())
            .await?;
        Ok(self.deployment_mode().await?.unwrap_or_else(|| mode.to_owned()))
    }

    pub async fn count_people(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM people").fetch_one(self.pool()).await?;
        Ok(row.try_get("n")?)
    }
}
