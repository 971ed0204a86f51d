//! The audit log's storage: appends serialised through the one-row chain head, so entries get gapless
//! sequence numbers and each hash covers its predecessor, whatever the number of writers.

use super::{Database, StoreResult};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub hall_id: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<String>,
    pub detail: String,
    pub origin: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters for reading the log; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub subject_id: Option<String>,
    pub hall_id: Option<String>,
    pub action_prefix: Option<String>,
    pub from: Option<i64>,
    pub until: Option<i64>,
    pub before_seq: Option<i64>,
    pub limit: i64,
}

const COLUMNS: &str =
    "seq, at, actor_id, actor_role, hall_id, action, subject_type, subject_id, detail, origin, prev_hash, hash";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<AuditRow> {
    Ok(AuditRow {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor_id: row.try_get("actor_id")?,
        actor_role: row.try_get("actor_role")?,
        hall_id: row.try_get("hall_id")?,
        action: row.try_get("action")?,
        subject_type: row.try_get("subject_type")?,
        subject_id: row.try_get("subject_id")?,
        detail: row.try_get("detail")?,
        origin: row.try_get("origin")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

impl Database {
    /// Appends one entry. `seal` receives the next sequence number and the previous hash and returns the
    /// complete row; it runs inside the transaction that holds the chain head.
    pub async fn append_audit(&self, seal: impl FnOnce(i64, &str) -> AuditRow) -> StoreResult<AuditRow> {
        let mut tx = self.pool().begin().await?;
        // Updating the head first takes its row lock (PostgreSQL) or the write lock (SQLite), so
        // concurrent appends queue here.
        let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *tx)
            .await?;
        let seq: i64 = head.try_get("seq")?;
        let prev: String = head.try_get("hash")?;
        let row = seal(seq, &prev);
        let sql =
            format!("INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
        sqlx::query(&sql)
            .bind(row.seq)
            .bind(row.at)
            .bind(&row.actor_id)
            .bind(&row.actor_role)
            .bind(&row.hall_id)
            .bind(&row.action)
            .bind(&row.subject_type)
            .bind(&row.subject_id)
            .bind(&row.detail)
            .bind(&row.origin)
            .bind(&row.prev_hash)
            .bind(&row.hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&row.hash).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The head of the chain: the last sequence number and its hash.
    pub async fn audit_head(&self) -> StoreResult<(i64, String)> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(self.pool()).await?;
        Ok((row.try_get("seq")?, row.try_get("hash")?))
    }

    /// Entries in sequence order after `after_seq`, at most `limit` of them.
    pub async fn audit_page(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditRow>> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        sqlx::query(&sql).bind(after_seq).bind(limit).fetch_all(self.pool()).await?.iter().map(from_row).collect()
    }

    /// Entries matching a filter, newest first.
    pub async fn audit_search(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE ($1 IS NULL OR actor_id = $1) AND ($2 IS NULL OR subject_id = $2) \
             AND ($3 IS NULL OR hall_id = $3) AND ($4 IS NULL OR action LIKE $4) AND ($5 IS NULL OR at >= $5) \
             AND ($6 IS NULL OR at < $6) AND ($7 IS NULL OR seq < $7) ORDER BY seq DESC LIMIT $8"
        );
        sqlx::query(&sql)
            .bind(&filter.actor_id)
            .bind(&filter.subject_id)
            .bind(&filter.hall_id)
            .bind(filter.action_prefix.as_ref().map(|p| format!("{p}%")))
            .bind(filter.from)
            .bind(filter.until)
            .bind(filter.before_seq)
            .bind(filter.limit.clamp(1, 10_000))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(from_row)
            .collect()
    }
}
