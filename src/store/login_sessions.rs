//! SSO login sessions: one per successful login, shared by every client the person then uses.

use super::{Database, StoreResult};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct LoginSessionRow {
    pub id: String,
    pub person_id: String,
    pub auth_time: i64,
    pub amr: String,
    /// The upstream platform the sign-in came through, if any.
    pub upstream: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

const COLUMNS: &str = "id, person_id, auth_time, amr, upstream, created_at, expires_at, ended_at, user_agent, ip";

fn from_row(row: &AnyRow) -> StoreResult<LoginSessionRow> {
    Ok(LoginSessionRow {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        auth_time: row.try_get("auth_time")?,
        amr: row.try_get("amr")?,
        upstream: row.try_get("upstream")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        ended_at: row.try_get("ended_at")?,
        user_agent: row.try_get("user_agent")?,
        ip: row.try_get("ip")?,
    })
}

impl Database {
    pub async fn insert_login_session(&self, session: &LoginSessionRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO login_sessions (id, person_id, auth_time, amr, upstream, created_at, expires_at, user_agent, ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&session.id)
        .bind(&session.person_id)
        .bind(session.auth_time)
        .bind(&session.amr)
        .bind(&session.upstream)
        .bind(session.created_at)
        .bind(session.expires_at)
        .bind(&session.user_agent)
        .bind(&session.ip)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn find_login_session(&self, id: &str) -> StoreResult<Option<LoginSessionRow>> {
        let sql = format!("SELECT {COLUMNS} FROM login_sessions WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.as_ref().map(from_row).transpose()
    }

    /// Records a fresh authentication within an existing session (prompt=login, max_age).
    pub async fn reauthenticate_login_session(
        &self,
        id: &str,
        auth_time: i64,
        amr: &str,
        upstream: Option<&str>,
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE login_sessions SET auth_time = $1, amr = $2, upstream = $3 WHERE id = $4 AND ended_at IS NULL",
        )
        .bind(auth_time)
        .bind(amr)
        .bind(upstream)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Ends a session and, in the same transaction, queues a back-channel logout notice for every client
    /// with a back-channel URI, and every CAS service, that had a login in it; returns false if it had
    /// already ended.
    pub async fn end_login_session(&self, id: &str, now: i64, reason: &str) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let result =
            sqlx::query("UPDATE login_sessions SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL")
                .bind(now)
                .bind(reason)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if result.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO logout_deliveries (session_id, client_id, person_id, created_at, attempts, next_attempt_at) \
             SELECT DISTINCT g.session_id, g.client_id, s.person_id, $2, 0, $2 FROM grants g \
             JOIN clients c ON c.id = g.client_id JOIN login_sessions s ON s.id = g.session_id \
             WHERE g.session_id = $1 AND (c.backchannel_logout_uri IS NOT NULL OR g.cas_ticket IS NOT NULL) \
             ON CONFLICT (session_id, client_id) DO NOTHING",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Sessions past their expiry that nobody ended, oldest first: the sweep ends them so that their
    /// clients are told.
    pub async fn expired_unended_login_sessions(&self, now: i64, limit: i64) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id FROM login_sessions WHERE expires_at <= $1 AND ended_at IS NULL ORDER BY expires_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    /// The clients that had a login (redeemed a code) in a session, in the order of their first login.
    pub async fn clients_of_login_session(&self, id: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT client_id, MIN(created_at) AS first FROM grants WHERE session_id = $1 GROUP BY client_id \
             ORDER BY first, client_id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok(row.try_get("client_id")?)).collect()
    }

    /// A person's sessions that have neither ended nor expired, newest first.
    pub async fn active_login_sessions_of(&self, person_id: &str, now: i64) -> StoreResult<Vec<LoginSessionRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM login_sessions WHERE person_id = $1 AND ended_at IS NULL AND expires_at > $2 \
             ORDER BY auth_time DESC"
        );
        sqlx::query(&sql).bind(person_id).bind(now).fetch_all(self.pool()).await?.iter().map(from_row).collect()
    }
}
