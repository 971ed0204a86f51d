//! Administrative roles held by people, and the API tokens administrators use for scripts.

use super::{Database, StoreResult};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct RoleRow {
    pub id: String,
    pub person_id: String,
    pub role: String,
    pub scope_id: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct ApiTokenRow {
    pub id: String,
    pub token_hash: String,
    pub person_id: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Database {
    pub async fn insert_role(&self, row: &RoleRow, granted_by: Option<&str>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO roles (id, person_id, role, scope_id, granted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.id)
        .bind(&row.person_id)
        .bind(&row.role)
        .bind(&row.scope_id)
        .bind(granted_by)
        .bind(row.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn roles_of(&self, person_id: &str) -> StoreResult<Vec<RoleRow>> {
        let rows = sqlx::query(
            "SELECT id, person_id, role, scope_id, created_at FROM roles WHERE person_id = $1 AND revoked_at IS NULL ORDER BY created_at",
        )
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(role_row).collect()
    }

    /// Every current role of the given kinds, oldest first.
    pub async fn roles_of_kinds(&self, kinds: &[&str]) -> StoreResult<Vec<RoleRow>> {
        let placeholders: Vec<String> = (1..=kinds.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT id, person_id, role, scope_id, created_at FROM roles WHERE role IN ({}) AND revoked_at IS NULL ORDER BY created_at",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for kind in kinds {
            query = query.bind(*kind);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(role_row).collect()
    }

    pub async fn revoke_role(&self, id: &str, now: i64) -> StoreResult<bool> {
        let result = sqlx::query("UPDATE roles SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    pub async fn insert_api_token(&self, row: &ApiTokenRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, person_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.id)
        .bind(&row.token_hash)
        .bind(&row.person_id)
        .bind(&row.name)
        .bind(row.created_at)
        .bind(row.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A token that is neither revoked nor expired at `now`.
    pub async fn find_api_token(&self, token_hash: &str, now: i64) -> StoreResult<Option<ApiTokenRow>> {
        let row = sqlx::query(
            "SELECT id, token_hash, person_id, name, created_at, expires_at FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(ApiTokenRow {
                id: row.try_get("id")?,
                token_hash: row.try_get("token_hash")?,
                person_id: row.try_get("person_id")?,
                name: row.try_get("name")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }
}

fn role_row(row: &sqlx::any::AnyRow) -> StoreResult<RoleRow> {
    Ok(RoleRow {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        role: row.try_get("role")?,
        scope_id: row.try_get("scope_id")?,
        created_at: row.try_get("created_at")?,
    })
}
