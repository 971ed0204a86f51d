//! Links between a person and their identity at an upstream platform.

use super::{Database, StoreResult};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct FederatedIdentityRow {
    pub id: String,
    pub person_id: String,
    pub upstream: String,
    pub subject_index: String,
    pub created_at: i64,
    pub last_used_at: i64,
}

const COLUMNS: &str = "id, person_id, upstream, subject_index, created_at, last_used_at";

impl Database {
    pub async fn insert_federated_identity(&self, row: &FederatedIdentityRow) -> StoreResult<()> {
        sqlx::query(&format!("INSERT INTO federated_identities ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"))
            .bind(&row.id)
            .bind(&row.person_id)
            .bind(&row.upstream)
            .bind(&row.subject_index)
            .bind(row.created_at)
            .bind(row.last_used_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn find_federated_identity(
        &self,
        upstream: &str,
        subject_index: &str,
    ) -> StoreResult<Option<FederatedIdentityRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM federated_identities WHERE upstream = $1 AND subject_index = $2"
        ))
        .bind(upstream)
        .bind(subject_index)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(federated_identity).transpose()
    }

    pub async fn federated_identities_of(&self, person_id: &str) -> StoreResult<Vec<FederatedIdentityRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM federated_identities WHERE person_id = $1 ORDER BY created_at, id"
        ))
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(federated_identity).collect()
    }

    /// How many people are linked to each upstream.
    pub async fn federated_identity_counts(&self) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT upstream, COUNT(*) AS people FROM federated_identities GROUP BY upstream")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|row| Ok((row.try_get("upstream")?, row.try_get("people")?))).collect()
    }

    pub async fn touch_federated_identity(&self, id: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE federated_identities SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Removes a person's link to an upstream; true when there was one.
    pub async fn delete_federated_identity(&self, person_id: &str, upstream: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM federated_identities WHERE person_id = $1 AND upstream = $2")
            .bind(person_id)
            .bind(upstream)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

fn federated_identity(row: &sqlx::any::AnyRow) -> StoreResult<FederatedIdentityRow> {
    Ok(FederatedIdentityRow {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        upstream: row.try_get("upstream")?,
        subject_index: row.try_get("subject_index")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}
