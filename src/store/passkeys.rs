//! Registered passkeys: the serialised credential (public key, counter), its id for lookup, and the name
//! the person gave it.

use super::{Database, StoreResult};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct PasskeyRow {
    pub id: String,
    pub person_id: String,
    pub credential_id: String,
    pub passkey: String,
    pub name: String,
    pub attachment: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str = "id, person_id, credential_id, passkey, name, attachment, created_at, last_used_at";

fn from_row(row: &AnyRow) -> StoreResult<PasskeyRow> {
    Ok(PasskeyRow {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        credential_id: row.try_get("credential_id")?,
        passkey: row.try_get("passkey")?,
        name: row.try_get("name")?,
        attachment: row.try_get("attachment")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

impl Database {
    pub async fn insert_passkey(&self, row: &PasskeyRow) -> StoreResult<()> {
        let sql = format!("INSERT INTO passkeys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
        sqlx::query(&sql)
            .bind(&row.id)
            .bind(&row.person_id)
            .bind(&row.credential_id)
            .bind(&row.passkey)
            .bind(&row.name)
            .bind(&row.attachment)
            .bind(row.created_at)
            .bind(row.last_used_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn passkeys_of(&self, person_id: &str) -> StoreResult<Vec<PasskeyRow>> {
        let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE person_id = $1 ORDER BY created_at");
        sqlx::query(&sql).bind(person_id).fetch_all(self.pool()).await?.iter().map(from_row).collect()
    }

    pub async fn find_passkey_by_credential(&self, credential_id: &str) -> StoreResult<Option<PasskeyRow>> {
        let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1");
        sqlx::query(&sql).bind(credential_id).fetch_optional(self.pool()).await?.as_ref().map(from_row).transpose()
    }

    /// Records a use; `passkey` replaces the stored credential when its counter moved.
    pub async fn touch_passkey(&self, id: &str, now: i64, passkey: Option<&str>) -> StoreResult<()> {
        sqlx::query("UPDATE passkeys SET last_used_at = $1, passkey = COALESCE($2, passkey) WHERE id = $3")
            .bind(now)
            .bind(passkey)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn rename_passkey(&self, person_id: &str, id: &str, name: &str) -> StoreResult<bool> {
        let result = sqlx::query("UPDATE passkeys SET name = $1 WHERE id = $2 AND person_id = $3")
            .bind(name)
            .bind(id)
            .bind(person_id)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    pub async fn delete_passkey(&self, person_id: &str, id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND person_id = $2")
            .bind(id)
            .bind(person_id)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    pub async fn delete_passkeys_of(&self, person_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM passkeys WHERE person_id = $1").bind(person_id).execute(self.pool()).await?;
        Ok(())
    }
}
