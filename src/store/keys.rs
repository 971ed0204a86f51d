//! Signing keys, their private halves encrypted by the caller before they arrive here.

use super::{Database, StoreResult};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub private_key_enc: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    pub activates_at: i64,
    pub retires_at: i64,
    pub expires_at: i64,
}

impl Database {
    pub async fn insert_key(&self, key: &KeyRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_key_enc, public_jwk, created_at, activates_at, retires_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&key.kid)
        .bind(&key.alg)
        .bind(&key.private_key_enc)
        .bind(&key.public_jwk)
        .bind(key.created_at)
        .bind(key.activates_at)
        .bind(key.retires_at)
        .bind(key.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Keys still published at `now`, oldest first.
    pub async fn published_keys(&self, now: i64) -> StoreResult<Vec<KeyRow>> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_key_enc, public_jwk, created_at, activates_at, retires_at, expires_at \
             FROM signing_keys WHERE expires_at > $1 ORDER BY activates_at, kid",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(KeyRow {
                    kid: row.try_get("kid")?,
                    alg: row.try_get("alg")?,
                    private_key_enc: row.try_get("private_key_enc")?,
                    public_jwk: row.try_get("public_jwk")?,
                    created_at: row.try_get("created_at")?,
                    activates_at: row.try_get("activates_at")?,
                    retires_at: row.try_get("retires_at")?,
                    expires_at: row.try_get("expires_at")?,
                })
            })
            .collect()
    }

    /// Changes whenever a key is added, retired early or deleted: (number of keys, newest creation, sum of
    /// retirements modulo a prime, so that an early retirement shows even without a new key).
    pub async fn keys_fingerprint(&self) -> StoreResult<(i64, i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(MAX(created_at), 0) AS newest, \
             CAST(COALESCE(SUM(retires_at % 1000003), 0) AS BIGINT) AS retirements FROM signing_keys",
        )
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("n")?, row.try_get("newest")?, row.try_get("retirements")?))
    }

    /// Ends a key's signing period early (manual rotation); it stays published until `expires_at`.
    pub async fn retire_key(&self, kid: &str, retires_at: i64, expires_at: i64) -> StoreResult<()> {
        sqlx::query("UPDATE signing_keys SET retires_at = $1, expires_at = $2 WHERE kid = $3 AND retires_at > $1")
            .bind(retires_at)
            .bind(expires_at)
            .bind(kid)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_expired_keys(&self, now: i64) -> StoreResult<u64> {
        let result =
            sqlx::query("DELETE FROM signing_keys WHERE expires_at <= $1").bind(now).execute(self.pool()).await?;
        Ok(result.rows_affected())
    }
}
