//! Login history: one row per successful login, for the person's own account page and for the
//! connection and usage reports.

use super::{Database, StoreResult};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct LoginEventRow {
    pub id: String,
    pub person_id: String,
    pub client_id: Option<String>,
    pub methods: String,
    pub ip_prefix: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
}

impl Database {
    pub async fn insert_login_event(&self, event: &LoginEventRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO login_events (id, person_id, client_id, methods, ip_prefix, user_agent, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&event.id)
        .bind(&event.person_id)
        .bind(&event.client_id)
        .bind(&event.methods)
        .bind(&event.ip_prefix)
        .bind(&event.user_agent)
        .bind(event.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn login_events_of(&self, person_id: &str, limit: i64) -> StoreResult<Vec<LoginEventRow>> {
        let rows = sqlx::query(
            "SELECT id, person_id, client_id, methods, ip_prefix, user_agent, created_at FROM login_events \
             WHERE person_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(person_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LoginEventRow {
                    id: row.try_get("id")?,
                    person_id: row.try_get("person_id")?,
                    client_id: row.try_get("client_id")?,
                    methods: row.try_get("methods")?,
                    ip_prefix: row.try_get("ip_prefix")?,
                    user_agent: row.try_get("user_agent")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}
