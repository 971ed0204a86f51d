//! Department developers' requests for credentials, their decisions, and the sealed secret until it is
//! shown once.

use super::db::{flag, json_list};
use super::{Database, StoreResult};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct IntegrationRequestRow {
    pub id: String,
    pub person_id: String,
    pub system_id: String,
    pub name: String,
    pub protocol: String,
    /// `local` (the client is registered in this deployment) or `sandbox` (in the linked sandbox).
    pub environment: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub purpose: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub client_id: Option<String>,
    /// Whether a sealed secret still waits to be shown.
    pub secret_waiting: bool,
    pub secret_shown_at: Option<i64>,
    /// When the sandbox client first completed a sign-in there.
    pub sandbox_used_at: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, person_id, system_id, name, protocol, environment, redirect_uris, post_logout_redirect_uris, purpose, \
                       status, decided_by, decided_at, decision_note, client_id, \
                       CAST(CASE WHEN secret_enc IS NULL THEN 0 ELSE 1 END AS BIGINT) AS waiting, \
                       secret_shown_at, sandbox_used_at, created_at";

fn from_row(row: &AnyRow) -> StoreResult<IntegrationRequestRow> {
    Ok(IntegrationRequestRow {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        system_id: row.try_get("system_id")?,
        name: row.try_get("name")?,
        protocol: row.try_get("protocol")?,
        environment: row.try_get("environment")?,
        redirect_uris: json_list(&row.try_get::<String, _>("redirect_uris")?)?,
        post_logout_redirect_uris: json_list(&row.try_get::<String, _>("post_logout_redirect_uris")?)?,
        purpose: row.try_get("purpose")?,
        status: row.try_get("status")?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get("decided_at")?,
        decision_note: row.try_get("decision_note")?,
        client_id: row.try_get("client_id")?,
        secret_waiting: flag(row.try_get("waiting")?),
        secret_shown_at: row.try_get("secret_shown_at")?,
        sandbox_used_at: row.try_get("sandbox_used_at")?,
        created_at: row.try_get("created_at")?,
    })
}

/// How far the system named by `column` has come before it has a client, from its requests:
/// `requested` (awaiting the department), `sandbox_used`, `sandbox_requested`, or NULL. One SQL text for
/// the dashboard's missing items and the department page.
pub(super) fn stage_of(column: &str) -> String {
    let any = |condition: &str| {
        format!("EXISTS (SELECT 1 FROM integration_requests r WHERE r.system_id = {column} AND {condition})")
    };
    format!(
        "CASE WHEN {} THEN 'requested' WHEN {} THEN 'sandbox_used' WHEN {} THEN 'sandbox_requested' END",
        any("r.status = 'pending'"),
        any("r.sandbox_used_at IS NOT NULL"),
        any("r.environment = 'sandbox'"),
    )
}

impl Database {
    /// The stage of each of these systems that has one (see [`stage_of`]): (system id, stage).
    pub async fn system_stages(&self, system_ids: &[String]) -> StoreResult<Vec<(String, String)>> {
        if system_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=system_ids.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT id, stage FROM (SELECT s.id AS id, {} AS stage FROM business_systems s WHERE s.id IN ({})) t \
             WHERE stage IS NOT NULL",
            stage_of("s.id"),
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in system_ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("stage")?))).collect()
    }

    /// Stores a request; one granted at once comes with its client and sealed secret.
    pub async fn insert_integration_request(
        &self,
        row: &IntegrationRequestRow,
        sealed: Option<&[u8]>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO integration_requests (id, person_id, system_id, name, protocol, environment, redirect_uris, \
             post_logout_redirect_uris, purpose, status, created_at, decided_by, decided_at, client_id, secret_enc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&row.id)
        .bind(&row.person_id)
        .bind(&row.system_id)
        .bind(&row.name)
        .bind(&row.protocol)
        .bind(&row.environment)
        .bind(serde_json::to_string(&row.redirect_uris)?)
        .bind(serde_json::to_string(&row.post_logout_redirect_uris)?)
        .bind(&row.purpose)
        .bind(&row.status)
        .bind(row.created_at)
        .bind(&row.decided_by)
        .bind(row.decided_at)
        .bind(&row.client_id)
        .bind(sealed.map(<[u8]>::to_vec))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn find_integration_request(&self, id: &str) -> StoreResult<Option<IntegrationRequestRow>> {
        let sql = format!("SELECT {COLUMNS} FROM integration_requests WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.as_ref().map(from_row).transpose()
    }

    /// A person's requests, newest first.
    pub async fn integration_requests_of(&self, person_id: &str) -> StoreResult<Vec<IntegrationRequestRow>> {
        let sql =
            format!("SELECT {COLUMNS} FROM integration_requests WHERE person_id = $1 ORDER BY created_at DESC, id");
        sqlx::query(&sql).bind(person_id).fetch_all(self.pool()).await?.iter().map(from_row).collect()
    }

    /// The requests for these systems with this status, oldest first.
    pub async fn integration_requests_for(
        &self,
        system_ids: &[String],
        status: &str,
    ) -> StoreResult<Vec<IntegrationRequestRow>> {
        if system_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (2..=system_ids.len() + 1).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM integration_requests WHERE status = $1 AND system_id IN ({}) \
             ORDER BY created_at, id",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(status);
        for id in system_ids {
            query = query.bind(id);
        }
        query.fetch_all(self.pool()).await?.iter().map(from_row).collect()
    }

    /// Sandbox requests whose client has not been seen to sign in yet, oldest first.
    pub async fn unused_sandbox_requests(&self, limit: i64) -> StoreResult<Vec<IntegrationRequestRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM integration_requests WHERE environment = 'sandbox' AND status = 'approved' \
             AND client_id IS NOT NULL AND sandbox_used_at IS NULL ORDER BY created_at, id LIMIT $1"
        );
        sqlx::query(&sql).bind(limit).fetch_all(self.pool()).await?.iter().map(from_row).collect()
    }

    pub async fn mark_sandbox_used(&self, id: &str, at: i64) -> StoreResult<()> {
        sqlx::query("UPDATE integration_requests SET sandbox_used_at = $1 WHERE id = $2 AND sandbox_used_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Settles a pending request (false if it was no longer pending): approved with its client and sealed
    /// secret, or rejected.
    pub async fn decide_integration_request(
        &self,
        id: &str,
        decision: &str,
        by: &str,
        at: i64,
        note: Option<&str>,
        client: Option<(&str, Option<&[u8]>)>,
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE integration_requests SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4, \
             client_id = $5, secret_enc = $6 WHERE id = $7 AND status = 'pending'",
        )
        .bind(decision)
        .bind(by)
        .bind(at)
        .bind(note)
        .bind(client.map(|(id, _)| id))
        .bind(client.and_then(|(_, secret)| secret.map(<[u8]>::to_vec)))
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Takes the sealed secret of a request of `person_id`, once: the first caller gets it and it is gone.
    pub async fn take_integration_secret(&self, id: &str, person_id: &str, at: i64) -> StoreResult<Option<Vec<u8>>> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query("SELECT secret_enc FROM integration_requests WHERE id = $1 AND person_id = $2")
            .bind(id)
            .bind(person_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(sealed) = row.map(|row| row.try_get::<Option<Vec<u8>>, _>("secret_enc")).transpose()?.flatten() else {
            return Ok(None);
        };
        let cleared = sqlx::query(
            "UPDATE integration_requests SET secret_enc = NULL, secret_shown_at = $1 \
             WHERE id = $2 AND secret_enc IS NOT NULL",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if cleared.rows_affected() != 1 {
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some(sealed))
    }
}
