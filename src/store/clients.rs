//! Registered clients (relying parties).

use super::db::{flag, json_list};
use super::{Database, StoreError, StoreResult};
use crate::keys::SigningAlg;
use crate::oidc::client::{AuthMethod, Client, GrantType, LogoutChannels, Protocol, SubjectType};
use crate::oidc::scope::ScopeSet;
use sqlx::Row;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, name, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, \
                       token_endpoint_auth_method, id_token_signed_response_alg, subject_type, sector_identifier, \
                       allowed_scopes, jwks, require_mfa, min_acr, system_id, enabled, created_at, updated_at, \
                       max_tokens_per_minute, backchannel_logout_uri, backchannel_logout_session_required, \
                       frontchannel_logout_uri, frontchannel_logout_session_required, tokens_valid_from, protocol";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("client {what} {value:?}"))
}

fn from_row(row: &AnyRow) -> StoreResult<Client> {
    let grant_types = json_list(&row.try_get::<String, _>("grant_types")?)?
        .iter()
        .map(|g| GrantType::parse(g).ok_or_else(|| corrupt("grant type", g)))
        .collect::<StoreResult<Vec<_>>>()?;
    let auth_method: String = row.try_get("token_endpoint_auth_method")?;
    let alg: String = row.try_get("id_token_signed_response_alg")?;
    let subject_type: String = row.try_get("subject_type")?;
    let scopes: String = row.try_get("allowed_scopes")?;
    let jwks: Option<String> = row.try_get("jwks")?;
    let protocol: String = row.try_get("protocol")?;
    Ok(Client {
        id: row.try_get("id")?,
        protocol: Protocol::parse(&protocol).ok_or_else(|| corrupt("protocol", &protocol))?,
        name: row.try_get("name")?,
        secret_hash: row.try_get("secret_hash")?,
        redirect_uris: json_list(&row.try_get::<String, _>("redirect_uris")?)?,
        post_logout_redirect_uris: json_list(&row.try_get::<String, _>("post_logout_redirect_uris")?)?,
        grant_types,
        auth_method: AuthMethod::parse(&auth_method).ok_or_else(|| corrupt("auth method", &auth_method))?,
        id_token_alg: SigningAlg::parse(&alg).ok_or_else(|| corrupt("signing alg", &alg))?,
        subject_type: SubjectType::parse(&subject_type).ok_or_else(|| corrupt("subject type", &subject_type))?,
        sector_identifier: row.try_get("sector_identifier")?,
        allowed_scopes: ScopeSet::parse(&scopes).map_err(|_| corrupt("scopes", &scopes))?,
        jwks: jwks.map(|text| serde_json::from_str(&text)).transpose()?,
        require_mfa: flag(row.try_get("require_mfa")?),
        min_acr: row.try_get("min_acr")?,
        max_tokens_per_minute: row.try_get("max_tokens_per_minute")?,
        logout: LogoutChannels {
            backchannel_uri: row.try_get("backchannel_logout_uri")?,
            backchannel_session_required: flag(row.try_get("backchannel_logout_session_required")?),
            frontchannel_uri: row.try_get("frontchannel_logout_uri")?,
            frontchannel_session_required: flag(row.try_get("frontchannel_logout_session_required")?),
        },
        system_id: row.try_get("system_id")?,
        enabled: flag(row.try_get("enabled")?),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        tokens_valid_from: row.try_get("tokens_valid_from")?,
    })
}

impl Database {
    pub async fn insert_client(&self, client: &Client) -> StoreResult<()> {
        let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
        sqlx::query(
            "INSERT INTO clients (id, name, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, \
             token_endpoint_auth_method, id_token_signed_response_alg, subject_type, sector_identifier, \
             allowed_scopes, jwks, require_mfa, min_acr, system_id, enabled, created_at, updated_at, \
             max_tokens_per_minute, backchannel_logout_uri, backchannel_logout_session_required, \
             frontchannel_logout_uri, frontchannel_logout_session_required, protocol) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
             $22, $23, $24)",
        )
        .bind(&client.id)
        .bind(&client.name)
        .bind(&client.secret_hash)
        .bind(serde_json::to_string(&client.redirect_uris)?)
        .bind(serde_json::to_string(&client.post_logout_redirect_uris)?)
        .bind(serde_json::to_string(&grant_types)?)
        .bind(client.auth_method.as_str())
        .bind(client.id_token_alg.as_str())
        .bind(client.subject_type.as_str())
        .bind(&client.sector_identifier)
        .bind(client.allowed_scopes.to_string())
        .bind(client.jwks.as_ref().map(|jwks| jwks.to_string()))
        .bind(i64::from(client.require_mfa))
        .bind(&client.min_acr)
        .bind(&client.system_id)
        .bind(i64::from(client.enabled))
        .bind(client.created_at)
        .bind(client.updated_at)
        .bind(client.max_tokens_per_minute)
        .bind(&client.logout.backchannel_uri)
        .bind(i64::from(client.logout.backchannel_session_required))
        .bind(&client.logout.frontchannel_uri)
        .bind(i64::from(client.logout.frontchannel_session_required))
        .bind(client.protocol.as_str())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The ids of the clients speaking `protocol`, enabled or not.
    pub async fn client_ids_of_protocol(&self, protocol: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM clients WHERE protocol = $1 ORDER BY id")
            .bind(protocol)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    pub async fn find_client(&self, id: &str) -> StoreResult<Option<Client>> {
        let sql = format!("SELECT {COLUMNS} FROM clients WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.as_ref().map(from_row).transpose()
    }

    pub async fn has_clients(&self) -> StoreResult<bool> {
        Ok(sqlx::query("SELECT 1 FROM clients LIMIT 1").fetch_optional(self.pool()).await?.is_some())
    }

    pub async fn list_clients(&self) -> StoreResult<Vec<Client>> {
        let sql = format!("SELECT {COLUMNS} FROM clients ORDER BY created_at, id");
        sqlx::query(&sql).fetch_all(self.pool()).await?.iter().map(from_row).collect()
    }

    /// Returns false when no such client exists.
    /// Enables or disables a client. Disabling also ends every token it holds, for good: its grants are
    /// revoked and tokens issued before now stay dead if it is enabled again.
    pub async fn set_client_enabled(&self, id: &str, enabled: bool, now: i64) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let result = if enabled {
            sqlx::query("UPDATE clients SET enabled = 1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
        } else {
            // Times are whole seconds: a token issued in the second of the disabling dies too.
            let result =
                sqlx::query("UPDATE clients SET enabled = 0, updated_at = $1, tokens_valid_from = $2 WHERE id = $3")
                    .bind(now)
                    .bind(now + 1)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            sqlx::query(
                "UPDATE grants SET revoked_at = $1, revoke_reason = 'client disabled' \
                 WHERE client_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            result
        };
        tx.commit().await?;
        Ok(result.rows_affected() == 1)
    }

    /// Replaces a client's logout endpoints; returns false when no such client exists.
    pub async fn set_client_logout(&self, id: &str, logout: &LogoutChannels, now: i64) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE clients SET backchannel_logout_uri = $1, backchannel_logout_session_required = $2, \
             frontchannel_logout_uri = $3, frontchannel_logout_session_required = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(&logout.backchannel_uri)
        .bind(i64::from(logout.backchannel_session_required))
        .bind(&logout.frontchannel_uri)
        .bind(i64::from(logout.frontchannel_session_required))
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Codes of the active service items handled by the business system this client belongs to.
    pub async fn item_codes_of_client(&self, client_id: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT i.code FROM service_items i JOIN clients c ON c.system_id = i.system_id \
             WHERE c.id = $1 AND i.status = 'active' ORDER BY i.code",
        )
        .bind(client_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok(row.try_get("code")?)).collect()
    }

    /// Clients of the given business systems, oldest first.
    pub async fn clients_of_systems(&self, system_ids: &[String]) -> StoreResult<Vec<Client>> {
        if system_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=system_ids.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM clients WHERE system_id IN ({}) ORDER BY created_at, id",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in system_ids {
            query = query.bind(id);
        }
        query.fetch_all(self.pool()).await?.iter().map(from_row).collect()
    }
}
