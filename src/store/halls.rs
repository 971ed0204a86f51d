//! Service halls (city hall, district halls, town offices, village points) as a tree, the codes that
//! link a person's online account to a counter visit, and organisation verifications awaiting a second
//! staff member.

use super::{Database, StoreResult};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct HallRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct OrgVerificationRow {
    pub id: String,
    pub uscc: String,
    pub name: String,
    pub kind: String,
    pub representative: String,
    pub hall_id: String,
    pub recorded_by: String,
    pub recorded_at: i64,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<i64>,
    pub rejected_at: Option<i64>,
    pub org_id: Option<String>,
    /// What the first staff member checked (JSON: document_kind, valid_until, face_matched).
    pub evidence: Option<String>,
}

fn hall_from_row(row: &AnyRow) -> StoreResult<HallRow> {
    Ok(HallRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        parent_id: row.try_get("parent_id")?,
        created_at: row.try_get("created_at")?,
    })
}

const VERIFICATION_COLUMNS: &str = "id, uscc, name, kind, representative, hall_id, recorded_by, recorded_at, confirmed_by, \
                                    confirmed_at, rejected_at, org_id, evidence";

fn verification_from_row(row: &AnyRow) -> StoreResult<OrgVerificationRow> {
    Ok(OrgVerificationRow {
        id: row.try_get("id")?,
        uscc: row.try_get("uscc")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        representative: row.try_get("representative")?,
        hall_id: row.try_get("hall_id")?,
        recorded_by: row.try_get("recorded_by")?,
        recorded_at: row.try_get("recorded_at")?,
        confirmed_by: row.try_get("confirmed_by")?,
        confirmed_at: row.try_get("confirmed_at")?,
        rejected_at: row.try_get("rejected_at")?,
        org_id: row.try_get("org_id")?,
        evidence: row.try_get("evidence")?,
    })
}

impl Database {
    pub async fn insert_hall(&self, hall: &HallRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO halls (id, name, kind, parent_id, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&hall.id)
            .bind(&hall.name)
            .bind(&hall.kind)
            .bind(&hall.parent_id)
            .bind(hall.created_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn list_halls(&self) -> StoreResult<Vec<HallRow>> {
        sqlx::query("SELECT id, name, kind, parent_id, created_at FROM halls ORDER BY created_at, id")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(hall_from_row)
            .collect()
    }

    pub async fn insert_counter_code(
        &self,
        code_hash: &str,
        person_id: &str,
        purpose: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO counter_codes (code_hash, person_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(code_hash)
            .bind(person_id)
            .bind(purpose)
            .bind(now)
            .bind(expires_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The person a live code of this purpose belongs to.
    pub async fn find_counter_code(&self, code_hash: &str, purpose: &str, now: i64) -> StoreResult<Option<String>> {
        let row = sqlx::query(
            "SELECT person_id FROM counter_codes WHERE code_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(code_hash)
        .bind(purpose)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|row| row.try_get("person_id")).transpose()?)
    }

    /// Uses a code up; false when it was already used (or never live).
    pub async fn use_counter_code(&self, code_hash: &str, now: i64) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE counter_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(code_hash)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    pub async fn release_counter_code(&self, code_hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE counter_codes SET used_at = NULL WHERE code_hash = $1")
            .bind(code_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn insert_org_verification(&self, row: &OrgVerificationRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO org_verifications (id, uscc, name, kind, representative, hall_id, recorded_by, recorded_at, \
             evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&row.id)
        .bind(&row.uscc)
        .bind(&row.name)
        .bind(&row.kind)
        .bind(&row.representative)
        .bind(&row.hall_id)
        .bind(&row.recorded_by)
        .bind(row.recorded_at)
        .bind(&row.evidence)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn find_org_verification(&self, id: &str) -> StoreResult<Option<OrgVerificationRow>> {
        let sql = format!("SELECT {VERIFICATION_COLUMNS} FROM org_verifications WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.as_ref().map(verification_from_row).transpose()
    }

    /// Verifications awaiting confirmation in the given halls.
    pub async fn open_org_verifications(&self, hall_ids: &[String]) -> StoreResult<Vec<OrgVerificationRow>> {
        let sql = format!(
            "SELECT {VERIFICATION_COLUMNS} FROM org_verifications WHERE confirmed_at IS NULL AND rejected_at IS NULL ORDER BY recorded_at"
        );
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        Ok(rows
            .iter()
            .map(verification_from_row)
            .collect::<StoreResult<Vec<_>>>()?
            .into_iter()
            .filter(|v| hall_ids.contains(&v.hall_id))
            .collect())
    }

    /// Settles a verification once: confirmed (with the organisation it produced) or rejected. False when
    /// it had already been settled.
    pub async fn settle_org_verification(
        &self,
        id: &str,
        by: &str,
        now: i64,
        org_id: Option<&str>,
    ) -> StoreResult<bool> {
        let sql = if org_id.is_some() {
            "UPDATE org_verifications SET confirmed_by = $1, confirmed_at = $2, org_id = $3 WHERE id = $4 AND confirmed_at IS NULL AND rejected_at IS NULL"
        } else {
            "UPDATE org_verifications SET confirmed_by = $1, rejected_at = $2, org_id = $3 WHERE id = $4 AND confirmed_at IS NULL AND rejected_at IS NULL"
        };
        let result = sqlx::query(sql).bind(by).bind(now).bind(org_id).bind(id).execute(self.pool()).await?;
        Ok(result.rows_affected() == 1)
    }

    /// Counter actions per kind, for halls in `hall_ids`, between two times.
    pub async fn counter_volume(
        &self,
        hall_ids: &[String],
        from: i64,
        until: i64,
    ) -> StoreResult<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT hall_id, action, COUNT(*) AS n FROM audit_log WHERE action LIKE 'counter.%' AND at >= $1 AND at < $2 \
             AND hall_id IS NOT NULL GROUP BY hall_id, action ORDER BY hall_id, action",
        )
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for row in rows {
            let hall: String = row.try_get("hall_id")?;
            if hall_ids.contains(&hall) {
                out.push((hall, row.try_get("action")?, row.try_get("n")?));
            }
        }
        Ok(out)
    }
}
