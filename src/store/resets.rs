//! Credential resets recorded at a counter and waiting for a second staff member to confirm them.

use super::{Database, StoreResult};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct ResetRow {
    pub id: String,
    pub person_id: String,
    /// The new phone number, encrypted; None when the phone stays.
    pub new_phone_enc: Option<Vec<u8>>,
    pub hall_id: String,
    pub recorded_by: String,
    pub recorded_at: i64,
    pub settled_by: Option<String>,
    pub settled_at: Option<i64>,
    /// 1 confirmed, 0 rejected, None while open.
    pub confirmed: Option<i64>,
}

const COLUMNS: &str =
    "id, person_id, new_phone_enc, hall_id, recorded_by, recorded_at, settled_by, settled_at, confirmed";

fn reset_from_row(row: &AnyRow) -> StoreResult<ResetRow> {
    Ok(ResetRow {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        new_phone_enc: row.try_get("new_phone_enc")?,
        hall_id: row.try_get("hall_id")?,
        recorded_by: row.try_get("recorded_by")?,
        recorded_at: row.try_get("recorded_at")?,
        settled_by: row.try_get("settled_by")?,
        settled_at: row.try_get("settled_at")?,
        confirmed: row.try_get("confirmed")?,
    })
}

impl Database {
    pub async fn insert_credential_reset(&self, row: &ResetRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO credential_resets (id, person_id, new_phone_enc, hall_id, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.id)
        .bind(&row.person_id)
        .bind(&row.new_phone_enc)
        .bind(&row.hall_id)
        .bind(&row.recorded_by)
        .bind(row.recorded_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn find_credential_reset(&self, id: &str) -> StoreResult<Option<ResetRow>> {
        let sql = format!("SELECT {COLUMNS} FROM credential_resets WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.as_ref().map(reset_from_row).transpose()
    }

    /// A person's resets still waiting for confirmation, recorded after `since`, oldest first.
    pub async fn open_credential_resets(&self, person_id: &str, since: i64) -> StoreResult<Vec<ResetRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM credential_resets WHERE person_id = $1 AND settled_at IS NULL AND recorded_at > $2 \
             ORDER BY recorded_at"
        );
        let rows = sqlx::query(&sql).bind(person_id).bind(since).fetch_all(self.pool()).await?;
        rows.iter().map(reset_from_row).collect()
    }

    /// Settles a reset once; false when it was settled already (also by a request racing this one).
    pub async fn settle_credential_reset(&self, id: &str, by: &str, now: i64, confirmed: bool) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE credential_resets SET settled_by = $1, settled_at = $2, confirmed = $3 \
             WHERE id = $4 AND settled_at IS NULL",
        )
        .bind(by)
        .bind(now)
        .bind(i64::from(confirmed))
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }
}
