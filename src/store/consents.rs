//! Remembered consent: which scopes a person agreed to release to a client.

use super::{Database, StoreResult};
use sqlx::Row;

impl Database {
    /// The scopes (space-separated) the person consented to for the client, if any.
    pub async fn find_consent(&self, person_id: &str, client_id: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT scopes FROM consents WHERE person_id = $1 AND client_id = $2")
            .bind(person_id)
            .bind(client_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|row| row.try_get("scopes")).transpose()?)
    }

    pub async fn save_consent(&self, person_id: &str, client_id: &str, scopes: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO consents (person_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (person_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at",
        )
        .bind(person_id)
        .bind(client_id)
        .bind(scopes)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every system a person has consented to: (client id, scopes, granted at).
    pub async fn consents_of(&self, person_id: &str) -> StoreResult<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT client_id, scopes, granted_at FROM consents WHERE person_id = $1 ORDER BY granted_at DESC",
        )
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("client_id")?, row.try_get("scopes")?, row.try_get("granted_at")?)))
            .collect()
    }

    pub async fn delete_consent(&self, person_id: &str, client_id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM consents WHERE person_id = $1 AND client_id = $2")
            .bind(person_id)
            .bind(client_id)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }
}
