//! The live key set: loads keys from the database, generates what the schedule needs, signs with the
//! current key of an algorithm, and serves the JWKS from memory.

use super::generate::{KeyMaterialError, KeySource, Schedule, signing_key};
use super::{SigningAlg, SigningKey};
use crate::clock::SharedClock;
use crate::config::KeyConfig;
use crate::crypto::Keyring;
use crate::store::keys::KeyRow;
use crate::store::{Database, StoreError};
use jsonwebtoken::{Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::{Arc, RwLock};

const DAY: i64 = 86_400;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Material(#[from] KeyMaterialError),
    #[error("no signing key for {0:?}")]
    NoSigner(SigningAlg),
    #[error("signing failed: {0}")]
    Sign(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token was not signed by one of this provider's keys")]
    UnknownKey,
    #[error("the token's signature or claims are invalid: {0}")]
    Invalid(String),
}

struct KeyState {
    keys: Vec<Arc<SigningKey>>,
    jwks: bytes::Bytes,
}

pub struct KeyManager {
    db: Database,
    keyring: Keyring,
    clock: SharedClock,
    config: KeyConfig,
    source: Arc<dyn KeySource>,
    /// A retired key stays published this long, so every token it signed can still be verified.
    longest_token_lifetime: i64,
    state: RwLock<Arc<KeyState>>,
    /// What the key table looked like at the last load, to notice changes made by another process.
    fingerprint: std::sync::Mutex<(i64, i64, i64)>,
}

impl std::fmt::Debug for KeyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyManager").field("config", &self.config).finish_non_exhaustive()
    }
}

/// How often a serving process checks whether another process changed the keys.
pub const RELOAD_CHECK_SECS: u64 = 2;
/// A retired key stays published this much longer than its last token could live.
const RELOAD_MARGIN_SECS: i64 = 60;
/// How long a rotated key is published before it signs: every instance reloads within
/// `RELOAD_CHECK_SECS`, so by then every JWKS a relying party can fetch carries the new key.
pub const PUBLISH_LEAD_SECS: i64 = 10;

impl KeyManager {
    pub async fn start(
        db: Database,
        keyring: Keyring,
        clock: SharedClock,
        config: KeyConfig,
        source: Arc<dyn KeySource>,
        longest_token_lifetime: i64,
    ) -> Result<Self, KeyError> {
        let manager = Self {
            db,
            keyring,
            clock,
            config,
            source,
            longest_token_lifetime,
            state: RwLock::new(Arc::new(KeyState { keys: Vec::new(), jwks: bytes::Bytes::new() })),
            fingerprint: std::sync::Mutex::new((0, 0, 0)),
        };
        manager.refresh().await?;
        Ok(manager)
    }

    /// Reloads the keys, generating a current key for each algorithm that lacks one and a successor for
    /// each key about to retire. Safe to run on several processes at once: at worst both generate a key,
    /// and both keys are valid.
    pub async fn refresh(&self) -> Result<(), KeyError> {
        let now = self.clock.now();
        self.db.delete_expired_keys(now).await?;
        let fingerprint = self.db.keys_fingerprint().await?;
        let mut rows = self.db.published_keys(now).await?;
        let mut generated = false;
        for alg in SigningAlg::ALL {
            let of_alg: Vec<&KeyRow> = rows.iter().filter(|row| row.alg == alg.as_str()).collect();
            let latest_retirement = of_alg.iter().map(|row| row.retires_at).max();
            let signing_now = of_alg.iter().any(|row| row.activates_at <= now && now < row.retires_at);
            if !signing_now {
                rows.push(self.create_key(alg, now).await?);
                generated = true;
            } else if let Some(retires_at) = latest_retirement
                && now >= retires_at - self.config.publish_ahead_days * DAY
            {
                rows.push(self.create_key(alg, retires_at).await?);
                generated = true;
            }
        }
        if generated {
            rows = self.db.published_keys(now).await?;
        }
        self.install(rows)?;
        // Read before the keys were: a change in between (or the keys generated here) is seen, and loaded,
        // by the next check.
        *self.fingerprint.lock().unwrap_or_else(|p| p.into_inner()) = fingerprint;
        Ok(())
    }

    /// Loads the keys again when another process changed them (`yimen keys rotate`, a successor generated
    /// by another instance); reads only. Returns whether they changed.
    pub async fn reload_if_changed(&self) -> Result<bool, KeyError> {
        let fingerprint = self.db.keys_fingerprint().await?;
        if *self.fingerprint.lock().unwrap_or_else(|p| p.into_inner()) == fingerprint {
            return Ok(false);
        }
        self.install(self.db.published_keys(self.clock.now()).await?)?;
        *self.fingerprint.lock().unwrap_or_else(|p| p.into_inner()) = fingerprint;
        tracing::info!("signing keys changed elsewhere; reloaded");
        Ok(true)
    }

    /// Replaces every current key: the new keys are published at once and sign from `PUBLISH_LEAD_SECS`
    /// later, when every instance publishes them too; until then the old keys sign, and they stay
    /// published until the tokens they signed have expired.
    pub async fn rotate_now(&self) -> Result<Vec<String>, KeyError> {
        self.rotate(PUBLISH_LEAD_SECS).await
    }

    /// Replaces every current key with keys that sign at once, before other instances can have published
    /// them: only for the sandbox, whose point is to show a client a key it has not seen yet.
    pub async fn rotate_immediately(&self) -> Result<Vec<String>, KeyError> {
        self.rotate(0).await
    }

    async fn rotate(&self, lead_secs: i64) -> Result<Vec<String>, KeyError> {
        let now = self.clock.now();
        let switch_at = now + lead_secs;
        let mut new_kids = Vec::new();
        for key in self.current().keys.iter().filter(|key| key.retires_at > switch_at) {
            let expires_at = switch_at + self.longest_token_lifetime + RELOAD_MARGIN_SECS;
            self.db.retire_key(&key.kid, switch_at, expires_at).await?;
        }
        for alg in SigningAlg::ALL {
            new_kids.push(self.create_key(alg, switch_at).await?.kid);
        }
        self.refresh().await?;
        Ok(new_kids)
    }

    async fn create_key(&self, alg: SigningAlg, activates_at: i64) -> Result<KeyRow, KeyError> {
        let kid = format!("{}-{}", alg.as_str().to_ascii_lowercase(), crate::crypto::random_token(9));
        let kid_for_generation = kid.clone();
        let source = self.source.clone();
        // RSA generation takes long enough to stall the runtime.
        let (pem, jwk) = tokio::task::spawn_blocking(move || source.key_pair(alg, &kid_for_generation))
            .await
            .map_err(|e| KeyError::Sign(e.to_string()))??;
        let retires_at = activates_at + self.config.rotation_days * DAY;
        let row = KeyRow {
            kid: kid.clone(),
            alg: alg.as_str().to_owned(),
            private_key_enc: self.keyring.encrypt_secret(&format!("signing-key/{kid}"), pem.as_bytes()),
            public_jwk: jwk.to_string(),
            created_at: self.clock.now(),
            activates_at,
            retires_at,
            expires_at: retires_at + self.longest_token_lifetime,
        };
        self.db.insert_key(&row).await?;
        tracing::info!(kid = %row.kid, alg = alg.as_str(), activates_at, "generated signing key");
        Ok(row)
    }

    fn install(&self, rows: Vec<KeyRow>) -> Result<(), KeyError> {
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(alg) = SigningAlg::parse(&row.alg) else {
                continue;
            };
            let pem = self
                .keyring
                .decrypt_secret(&format!("signing-key/{}", row.kid), &row.private_key_enc)
                .map_err(|e| KeyMaterialError::Unusable(format!("{}: {e}", row.kid)))?;
            let jwk: serde_json::Value = serde_json::from_str(&row.public_jwk).map_err(StoreError::from)?;
            let schedule =
                Schedule { activates_at: row.activates_at, retires_at: row.retires_at, expires_at: row.expires_at };
            keys.push(Arc::new(signing_key(alg, row.kid, &pem, jwk, schedule)?));
        }
        let jwks = serde_json::json!({ "keys": keys.iter().map(|k| k.public_jwk.clone()).collect::<Vec<_>>() });
        let state = KeyState { keys, jwks: bytes::Bytes::from(jwks.to_string()) };
        *self.state.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(state);
        Ok(())
    }

    fn current(&self) -> Arc<KeyState> {
        self.state.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The JWK Set document, serialised once per key change.
    pub fn jwks(&self) -> bytes::Bytes {
        self.current().jwks.clone()
    }

    pub fn signer(&self, alg: SigningAlg) -> Result<Arc<SigningKey>, KeyError> {
        let now = self.clock.now();
        self.current()
            .keys
            .iter()
            .filter(|key| key.alg == alg && key.signs_at(now))
            .max_by_key(|key| key.activates_at)
            .cloned()
            .ok_or(KeyError::NoSigner(alg))
    }

    pub fn sign<T: Serialize>(&self, alg: SigningAlg, typ: &str, claims: &T) -> Result<String, KeyError> {
        let key = self.signer(alg)?;
        let mut header = Header::new(alg.jwt_algorithm());
        header.kid = Some(key.kid.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &key.encoding).map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Verifies a JWT this provider signed. `configure` adjusts the validation (issuer, audience, expiry).
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        configure: impl FnOnce(&mut Validation),
    ) -> Result<T, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        let state = self.current();
        let key = state.keys.iter().find(|key| key.kid == kid).ok_or(VerifyError::UnknownKey)?;
        if key.alg.jwt_algorithm() != header.alg {
            return Err(VerifyError::UnknownKey);
        }
        let mut validation = Validation::new(header.alg);
        validation.leeway = 60;
        configure(&mut validation);
        jsonwebtoken::decode::<T>(token, &key.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| VerifyError::Invalid(e.to_string()))
    }

    pub fn kids(&self) -> Vec<(String, SigningAlg, i64, i64, i64)> {
        self.current()
            .keys
            .iter()
            .map(|key| (key.kid.clone(), key.alg, key.activates_at, key.retires_at, key.expires_at))
            .collect()
    }
}
