//! Organisations (legal persons, keyed by their credit code) and the people who act for them: the legal
//! representative, administrators and agents, each membership with its scope and validity.

use super::{Database, StoreResult};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct OrgRow {
    pub id: String,
    pub uscc: String,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: String,
    pub org_id: String,
    pub person_id: String,
    pub role: String,
    pub scope: String,
    pub valid_from: i64,
    pub valid_until: Option<i64>,
    pub granted_by: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

const ORG_COLUMNS: &str = "id, uscc, name, kind, status, created_at";
const MEMBER_COLUMNS: &str = "m.id, m.org_id, m.person_id, m.role, m.scope, m.valid_from, m.valid_until, m.granted_by, m.created_at, m.revoked_at";

fn org_from_row(row: &AnyRow) -> StoreResult<OrgRow> {
    Ok(OrgRow {
        id: row.try_get("id")?,
        uscc: row.try_get("uscc")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
    })
}

fn member_from_row(row: &AnyRow) -> StoreResult<MemberRow> {
    Ok(MemberRow {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        person_id: row.try_get("person_id")?,
        role: row.try_get("role")?,
        scope: row.try_get("scope")?,
        valid_from: row.try_get("valid_from")?,
        valid_until: row.try_get("valid_until")?,
        granted_by: row.try_get("granted_by")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl Database {
    pub async fn insert_org(&self, org: &OrgRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO organisations (id, uscc, name, kind, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&org.id)
        .bind(&org.uscc)
        .bind(&org.name)
        .bind(&org.kind)
        .bind(&org.status)
        .bind(org.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn find_org(&self, id: &str) -> StoreResult<Option<OrgRow>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.as_ref().map(org_from_row).transpose()
    }

    pub async fn find_org_by_uscc(&self, uscc: &str) -> StoreResult<Option<OrgRow>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE uscc = $1");
        sqlx::query(&sql).bind(uscc).fetch_optional(self.pool()).await?.as_ref().map(org_from_row).transpose()
    }

    pub async fn list_orgs(&self) -> StoreResult<Vec<OrgRow>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations ORDER BY created_at, id");
        sqlx::query(&sql).fetch_all(self.pool()).await?.iter().map(org_from_row).collect()
    }

    pub async fn insert_member(&self, member: &MemberRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO org_members (id, org_id, person_id, role, scope, valid_from, valid_until, granted_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&member.id)
        .bind(&member.org_id)
        .bind(&member.person_id)
        .bind(&member.role)
        .bind(&member.scope)
        .bind(member.valid_from)
        .bind(member.valid_until)
        .bind(&member.granted_by)
        .bind(member.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn find_member(&self, id: &str) -> StoreResult<Option<MemberRow>> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM org_members m WHERE m.id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.as_ref().map(member_from_row).transpose()
    }

    /// Memberships not revoked and valid at `now`, of one person, with their organisations.
    pub async fn memberships_of(&self, person_id: &str, now: i64) -> StoreResult<Vec<(MemberRow, OrgRow)>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS}, o.uscc, o.name, o.kind, o.status, o.created_at AS org_created_at \
             FROM org_members m JOIN organisations o ON o.id = m.org_id \
             WHERE m.person_id = $1 AND m.revoked_at IS NULL AND m.valid_from <= $2 \
             AND (m.valid_until IS NULL OR m.valid_until > $2) AND o.status = 'active' ORDER BY o.name, m.role"
        );
        let rows = sqlx::query(&sql).bind(person_id).bind(now).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                let member = member_from_row(row)?;
                let org = OrgRow {
                    id: member.org_id.clone(),
                    uscc: row.try_get("uscc")?,
                    name: row.try_get("name")?,
                    kind: row.try_get("kind")?,
                    status: row.try_get("status")?,
                    created_at: row.try_get("org_created_at")?,
                };
                Ok((member, org))
            })
            .collect()
    }

    /// Every membership of an organisation that has not been revoked, current or future or expired.
    pub async fn members_of(&self, org_id: &str) -> StoreResult<Vec<MemberRow>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM org_members m WHERE m.org_id = $1 AND m.revoked_at IS NULL ORDER BY m.created_at"
        );
        sqlx::query(&sql).bind(org_id).fetch_all(self.pool()).await?.iter().map(member_from_row).collect()
    }

    /// Revokes a membership; false if it was already revoked.
    pub async fn revoke_member(&self, id: &str, now: i64, by: Option<&str>) -> StoreResult<bool> {
        let result =
            sqlx::query("UPDATE org_members SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL")
                .bind(now)
                .bind(by)
                .bind(id)
                .execute(self.pool())
                .await?;
        Ok(result.rows_affected() == 1)
    }
}
