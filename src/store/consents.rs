//! Remembered consent: which scopes a person agreed to release to a client.

use super::{Database, StoreResult};
use sqlx::Row;

impl Database {
    /// The scopes (space-separated) the person consented to for the client, if any.
    pub async fn find_consent(
        &self,
        person_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<String>> {
        let row =
            sqlx::query("SELECT scopes FROM consents WHERE person_id = $1 AND client_id = $2")
                .bind(person_id)
                .bind(client_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|row| row.try_get("scopes")).transpose()?)
    }

    pub async fn save_consent(
        &self,
        person_id: &str,
        client_id: &str,
        scopes: &str,
        now: i64,
    ) -> StoreResult<()> {
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
}
