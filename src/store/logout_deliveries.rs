//! The queue of back-channel logout notices (filled when a login session ends, see `login_sessions.rs`):
//! which are due, claiming one so that only one instance sends it, and the outcome of each attempt.

use super::{Database, StoreResult};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutDeliveryRow {
    pub session_id: String,
    pub client_id: String,
    pub person_id: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

/// How a client's notices have fared, for its administration page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutDeliveryStatus {
    pub delivered: i64,
    pub pending: i64,
    pub failed: i64,
    pub last_delivered_at: Option<i64>,
    /// The error of the most recent notice that has one (pending or failed).
    pub last_error: Option<String>,
}

fn from_row(row: &AnyRow) -> StoreResult<LogoutDeliveryRow> {
    Ok(LogoutDeliveryRow {
        session_id: row.try_get("session_id")?,
        client_id: row.try_get("client_id")?,
        person_id: row.try_get("person_id")?,
        created_at: row.try_get("created_at")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
    })
}

const PENDING: &str = "delivered_at IS NULL AND failed_at IS NULL";

impl Database {
    /// Pending notices whose time has come, oldest first.
    pub async fn due_logout_deliveries(&self, now: i64, limit: i64) -> StoreResult<Vec<LogoutDeliveryRow>> {
        let sql = format!(
            "SELECT session_id, client_id, person_id, created_at, attempts, next_attempt_at FROM logout_deliveries \
             WHERE {PENDING} AND next_attempt_at <= $1 ORDER BY next_attempt_at, created_at LIMIT $2"
        );
        sqlx::query(&sql).bind(now).bind(limit).fetch_all(self.pool()).await?.iter().map(from_row).collect()
    }

    /// Takes a due notice for one attempt by moving its next attempt to `lease_until`: true for the one
    /// instance whose update found the row as it was read. An instance that dies mid-attempt leaves the
    /// notice to be taken again when the lease runs out.
    pub async fn claim_logout_delivery(&self, row: &LogoutDeliveryRow, lease_until: i64) -> StoreResult<bool> {
        let sql = format!(
            "UPDATE logout_deliveries SET next_attempt_at = $1 WHERE session_id = $2 AND client_id = $3 \
             AND attempts = $4 AND next_attempt_at = $5 AND {PENDING}"
        );
        let result = sqlx::query(&sql)
            .bind(lease_until)
            .bind(&row.session_id)
            .bind(&row.client_id)
            .bind(row.attempts)
            .bind(row.next_attempt_at)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    pub async fn record_logout_delivered(&self, row: &LogoutDeliveryRow, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE logout_deliveries SET delivered_at = $1, attempts = attempts + 1, last_error = NULL \
             WHERE session_id = $2 AND client_id = $3",
        )
        .bind(now)
        .bind(&row.session_id)
        .bind(&row.client_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a failed attempt: to be tried again at `retry_at`, or given up when it is None.
    pub async fn record_logout_attempt_failed(
        &self,
        row: &LogoutDeliveryRow,
        now: i64,
        retry_at: Option<i64>,
        error: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE logout_deliveries SET attempts = attempts + 1, last_error = $1, \
             next_attempt_at = COALESCE($2, next_attempt_at), failed_at = CASE WHEN $2 IS NULL THEN $3 ELSE NULL END \
             WHERE session_id = $4 AND client_id = $5",
        )
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .bind(&row.session_id)
        .bind(&row.client_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Notices still to be delivered, across all clients.
    pub async fn pending_logout_deliveries(&self) -> StoreResult<i64> {
        let sql = format!("SELECT COUNT(*) AS n FROM logout_deliveries WHERE {PENDING}");
        Ok(sqlx::query(&sql).fetch_one(self.pool()).await?.try_get("n")?)
    }

    pub async fn logout_delivery_status(&self, client_id: &str) -> StoreResult<LogoutDeliveryStatus> {
        let counts = sqlx::query(
            "SELECT \
             COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS delivered, \
             COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed, \
             COALESCE(SUM(CASE WHEN delivered_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS pending, \
             MAX(delivered_at) AS last_delivered_at FROM logout_deliveries WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_one(self.pool())
        .await?;
        let last_error = sqlx::query(
            "SELECT last_error FROM logout_deliveries WHERE client_id = $1 AND last_error IS NOT NULL \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(client_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(LogoutDeliveryStatus {
            delivered: counts.try_get("delivered")?,
            pending: counts.try_get("pending")?,
            failed: counts.try_get("failed")?,
            last_delivered_at: counts.try_get("last_delivered_at")?,
            last_error: last_error.map(|row| row.try_get("last_error")).transpose()?,
        })
    }

    /// Forgets settled notices older than `before`.
    pub async fn prune_logout_deliveries(&self, before: i64) -> StoreResult<u64> {
        let result = sqlx::query(
            "DELETE FROM logout_deliveries WHERE created_at < $1 AND (delivered_at IS NOT NULL OR failed_at IS NOT NULL)",
        )
        .bind(before)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected())
    }
}
