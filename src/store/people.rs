//! People (citizens). Identity numbers and phone numbers arrive here already encrypted, with their blind
//! indexes; this file never sees them in the clear.

use super::{Database, StoreResult};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct PersonRow {
    pub id: String,
    pub name: String,
    pub id_type: String,
    pub id_number_enc: Vec<u8>,
    pub id_number_index: String,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_index: Option<String>,
    pub phone_verified: bool,
    pub password_hash: Option<String>,
    pub status: String,
    pub close_after: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, id_type, id_number_enc, id_number_index, phone_enc, phone_index, phone_verified, \
                       password_hash, status, close_after, created_at, updated_at";

fn from_row(row: &AnyRow) -> StoreResult<PersonRow> {
    Ok(PersonRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        id_type: row.try_get("id_type")?,
        id_number_enc: row.try_get("id_number_enc")?,
        id_number_index: row.try_get("id_number_index")?,
        phone_enc: row.try_get("phone_enc")?,
        phone_index: row.try_get("phone_index")?,
        phone_verified: row.try_get::<i64, _>("phone_verified")? != 0,
        password_hash: row.try_get("password_hash")?,
        status: row.try_get("status")?,
        close_after: row.try_get("close_after")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Database {
    pub async fn insert_person(&self, person: &PersonRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO people (id, name, id_type, id_number_enc, id_number_index, phone_enc, phone_index, \
             phone_verified, password_hash, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&person.id)
        .bind(&person.name)
        .bind(&person.id_type)
        .bind(&person.id_number_enc)
        .bind(&person.id_number_index)
        .bind(&person.phone_enc)
        .bind(&person.phone_index)
        .bind(i64::from(person.phone_verified))
        .bind(&person.password_hash)
        .bind(&person.status)
        .bind(person.created_at)
        .bind(person.updated_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn find_person(&self, id: &str) -> StoreResult<Option<PersonRow>> {
        let sql = format!("SELECT {COLUMNS} FROM people WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.as_ref().map(from_row).transpose()
    }

    pub async fn find_person_by_id_number(&self, id_type: &str, index: &str) -> StoreResult<Option<PersonRow>> {
        let sql = format!("SELECT {COLUMNS} FROM people WHERE id_type = $1 AND id_number_index = $2");
        sqlx::query(&sql)
            .bind(id_type)
            .bind(index)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    pub async fn find_person_by_phone(&self, index: &str) -> StoreResult<Option<PersonRow>> {
        let sql = format!("SELECT {COLUMNS} FROM people WHERE phone_index = $1");
        sqlx::query(&sql).bind(index).fetch_optional(self.pool()).await?.as_ref().map(from_row).transpose()
    }

    pub async fn update_password_hash(&self, id: &str, hash: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE people SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn clear_password_hash(&self, id: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE people SET password_hash = NULL, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn update_phone(&self, id: &str, phone_enc: &[u8], phone_index: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE people SET phone_enc = $1, phone_index = $2, phone_verified = 1, updated_at = $3 WHERE id = $4",
        )
        .bind(phone_enc)
        .bind(phone_index)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn set_person_status(
        &self,
        id: &str,
        status: &str,
        close_after: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE people SET status = $1, close_after = $2, updated_at = $3 WHERE id = $4")
            .bind(status)
            .bind(close_after)
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Accounts whose closing grace period has passed.
    pub async fn people_due_for_erasure(&self, now: i64) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM people WHERE status = 'closing' AND close_after <= $1")
            .bind(now)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    /// Takes a document number off an account that only claimed it: the number goes (the index becomes a
    /// tombstone, so the real holder can register it), and so do the password and the right to sign in.
    pub async fn release_document(&self, id: &str, tombstone: &[u8], now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE people SET id_number_enc = $1, id_number_index = $2, password_hash = NULL, status = 'disabled', \
             updated_at = $3 WHERE id = $4",
        )
        .bind(tombstone)
        .bind(format!("reclaimed:{id}"))
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Erases a person's personal data in one transaction, keeping the row (and so the audit trail's
    /// references) with nothing identifying left in it.
    pub async fn erase_person(&self, id: &str, tombstone: &[u8], now: i64) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE people SET name = '', id_number_enc = $1, id_number_index = $2, phone_enc = NULL, phone_index = NULL,              phone_verified = 0, password_hash = NULL, status = 'closed', close_after = NULL, erased_at = $3, updated_at = $3              WHERE id = $4",
        )
        .bind(tombstone)
        .bind(format!("erased:{id}"))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for statement in [
            "DELETE FROM passkeys WHERE person_id = $1",
            "DELETE FROM consents WHERE person_id = $1",
            "DELETE FROM login_events WHERE person_id = $1",
            "DELETE FROM federated_identities WHERE person_id = $1",
        ] {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE login_sessions SET user_agent = NULL, ip = NULL WHERE person_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
