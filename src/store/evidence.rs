//! Verification evidence: each check of a person's identity, the source of truth for assurance levels.

use super::{Database, StoreResult};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct EvidenceRow {
    pub id: String,
    pub person_id: String,
    pub method: String,
    pub verifier: String,
    pub hall_id: Option<String>,
    pub outcome: String,
    pub reference: Option<String>,
    pub adapter: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl Database {
    pub async fn insert_evidence(&self, row: &EvidenceRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO verification_evidence (id, person_id, method, verifier, hall_id, outcome, reference, adapter, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&row.id)
        .bind(&row.person_id)
        .bind(&row.method)
        .bind(&row.verifier)
        .bind(&row.hall_id)
        .bind(&row.outcome)
        .bind(&row.reference)
        .bind(&row.adapter)
        .bind(row.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn evidence_of(&self, person_id: &str) -> StoreResult<Vec<EvidenceRow>> {
        let rows = sqlx::query(
            "SELECT id, person_id, method, verifier, hall_id, outcome, reference, adapter, created_at, revoked_at \
             FROM verification_evidence WHERE person_id = $1 ORDER BY created_at, id",
        )
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(EvidenceRow {
                    id: row.try_get("id")?,
                    person_id: row.try_get("person_id")?,
                    method: row.try_get("method")?,
                    verifier: row.try_get("verifier")?,
                    hall_id: row.try_get("hall_id")?,
                    outcome: row.try_get("outcome")?,
                    reference: row.try_get("reference")?,
                    adapter: row.try_get("adapter")?,
                    created_at: row.try_get("created_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes one piece of evidence; returns the person it concerned, or None when there was nothing to
    /// revoke.
    pub async fn revoke_evidence(&self, id: &str, now: i64, by: &str, reason: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query(
            "UPDATE verification_evidence SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 \
             WHERE id = $4 AND revoked_at IS NULL RETURNING person_id",
        )
        .bind(now)
        .bind(by)
        .bind(reason)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|row| row.try_get("person_id")).transpose()?)
    }
}
