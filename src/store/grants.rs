//! Grants (what one code redemption authorised) and the refresh tokens of each grant. A grant's refresh
//! tokens form one family: rotation marks the old token used, and a revoked grant kills them all.

use super::db::flag;
use super::{Database, StoreResult};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct GrantRow {
    pub id: String,
    pub client_id: String,
    pub person_id: String,
    pub session_id: Option<String>,
    pub scopes: String,
    pub claims: Option<String>,
    pub auth_time: i64,
    pub acr: String,
    pub amr: String,
    /// The upstream platform the sign-in came through, if any.
    pub upstream: Option<String>,
    pub nonce: Option<String>,
    pub offline: bool,
    pub acting_org_id: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct RefreshRow {
    pub token_hash: String,
    pub grant_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// The digest of the token the rotation that used this one issued.
    pub replaced_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    Rotated,
    /// The presented token had been used before: a sign that it leaked (RFC 9700 §4.14.2).
    AlreadyUsed,
}

const GRANT_COLUMNS: &str = "id, client_id, person_id, session_id, scopes, claims, auth_time, acr, amr, upstream, nonce, offline, acting_org_id, created_at, revoked_at";

fn grant_from_row(row: &AnyRow) -> StoreResult<GrantRow> {
    Ok(GrantRow {
        id: row.try_get("id")?,
        client_id: row.try_get("client_id")?,
        person_id: row.try_get("person_id")?,
        session_id: row.try_get("session_id")?,
        scopes: row.try_get("scopes")?,
        claims: row.try_get("claims")?,
        auth_time: row.try_get("auth_time")?,
        acr: row.try_get("acr")?,
        amr: row.try_get("amr")?,
        upstream: row.try_get("upstream")?,
        nonce: row.try_get("nonce")?,
        offline: flag(row.try_get("offline")?),
        acting_org_id: row.try_get("acting_org_id")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

async fn insert_grant_row<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    grant: &GrantRow,
    cas: Option<(&str, &str)>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO grants (id, client_id, person_id, session_id, scopes, claims, auth_time, acr, amr, upstream, \
         nonce, offline, acting_org_id, created_at, cas_service, cas_ticket) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&grant.id)
    .bind(&grant.client_id)
    .bind(&grant.person_id)
    .bind(&grant.session_id)
    .bind(&grant.scopes)
    .bind(&grant.claims)
    .bind(grant.auth_time)
    .bind(&grant.acr)
    .bind(&grant.amr)
    .bind(&grant.upstream)
    .bind(&grant.nonce)
    .bind(i64::from(grant.offline))
    .bind(&grant.acting_org_id)
    .bind(grant.created_at)
    .bind(cas.map(|(service, _)| service))
    .bind(cas.map(|(_, ticket)| ticket))
    .execute(executor)
    .await?;
    Ok(())
}

impl Database {
    /// Stores a grant and its first refresh token together, or neither.
    pub async fn insert_grant(&self, grant: &GrantRow, refresh: Option<&RefreshRow>) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        insert_grant_row(&mut *tx, grant, None).await?;
        if let Some(refresh) = refresh {
            insert_refresh(&mut tx, refresh).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores the grant of a validated CAS ticket, with the service and the (spent) ticket that single
    /// logout will name.
    pub async fn insert_cas_grant(&self, grant: &GrantRow, service: &str, ticket: &str) -> StoreResult<()> {
        insert_grant_row(self.pool(), grant, Some((service, ticket))).await
    }

    /// When a client's first grant was made (its first completed sign-in), if it has one.
    pub async fn first_grant_of_client(&self, client_id: &str) -> StoreResult<Option<i64>> {
        let row = sqlx::query("SELECT MIN(created_at) AS first FROM grants WHERE client_id = $1")
            .bind(client_id)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("first")?)
    }

    /// The (service, ticket) of every CAS login of `client_id` in a session, oldest first.
    pub async fn cas_logins_of(&self, session_id: &str, client_id: &str) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT cas_service, cas_ticket FROM grants WHERE session_id = $1 AND client_id = $2 \
             AND cas_ticket IS NOT NULL ORDER BY created_at, id",
        )
        .bind(session_id)
        .bind(client_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok((row.try_get("cas_service")?, row.try_get("cas_ticket")?))).collect()
    }

    pub async fn find_grant(&self, id: &str) -> StoreResult<Option<GrantRow>> {
        let sql = format!("SELECT {GRANT_COLUMNS} FROM grants WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.as_ref().map(grant_from_row).transpose()
    }

    /// Revokes a grant and with it every refresh token of its family. Returns false if already revoked.
    pub async fn revoke_grant(&self, id: &str, now: i64, reason: &str) -> StoreResult<bool> {
        let result =
            sqlx::query("UPDATE grants SET revoked_at = $1, revoke_reason = $2 WHERE id = $3 AND revoked_at IS NULL")
                .bind(now)
                .bind(reason)
                .bind(id)
                .execute(self.pool())
                .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Revokes the grants that depend on a login session and are not offline; returns their ids.
    pub async fn revoke_session_grants(&self, session_id: &str, now: i64, reason: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "UPDATE grants SET revoked_at = $1, revoke_reason = $2 \
             WHERE session_id = $3 AND revoked_at IS NULL AND offline = 0 RETURNING id",
        )
        .bind(now)
        .bind(reason)
        .bind(session_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    /// Revokes every live grant of a person (for one client, or all); returns their ids.
    pub async fn revoke_person_grants(
        &self,
        person_id: &str,
        client_id: Option<&str>,
        now: i64,
        reason: &str,
    ) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "UPDATE grants SET revoked_at = $1, revoke_reason = $2 \
             WHERE person_id = $3 AND ($4 IS NULL OR client_id = $4) AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(reason)
        .bind(person_id)
        .bind(client_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    pub async fn find_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshRow>> {
        let row = sqlx::query(
            "SELECT token_hash, grant_id, created_at, expires_at, used_at, replaced_by FROM refresh_tokens \
             WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(RefreshRow {
                token_hash: row.try_get("token_hash")?,
                grant_id: row.try_get("grant_id")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
                used_at: row.try_get("used_at")?,
                replaced_by: row.try_get("replaced_by")?,
            })
        })
        .transpose()
    }

    /// Marks `old_hash` used and stores its successor atomically. Of two concurrent rotations of the
    /// same token, exactly one succeeds.
    pub async fn rotate_refresh_token(&self, old_hash: &str, next: &RefreshRow, now: i64) -> StoreResult<Rotation> {
        let mut tx = self.pool().begin().await?;
        let marked = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $1, replaced_by = $2 WHERE token_hash = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(&next.token_hash)
        .bind(old_hash)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(Rotation::AlreadyUsed);
        }
        insert_refresh(&mut tx, next).await?;
        tx.commit().await?;
        Ok(Rotation::Rotated)
    }
}

async fn insert_refresh(tx: &mut sqlx::Transaction<'_, sqlx::Any>, refresh: &RefreshRow) -> StoreResult<()> {
    sqlx::query("INSERT INTO refresh_tokens (token_hash, grant_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(&refresh.token_hash)
        .bind(&refresh.grant_id)
        .bind(refresh.created_at)
        .bind(refresh.expires_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
