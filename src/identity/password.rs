//! Password hashing with argon2id, run on the blocking pool behind a semaphore so that a burst of logins
//! neither stalls the async runtime nor exhausts memory; plus the password policy.

use crate::config::PasswordConfig;
use crate::secret::SecretString;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password may have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    #[error("this password is among the most commonly used ones; choose another")]
    TooCommon,
    #[error("the password contains the person's phone number, document number, birth date or name")]
    PersonalInfo,
    #[error("the password is too easy to guess; make it longer or less predictable")]
    TooGuessable,
}

/// Checks a new password against the policy: length, and not among the most common passwords.
pub fn check_policy(password: &str) -> Result<(), PasswordPolicyError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordPolicyError::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordPolicyError::TooLong);
    }
    if super::common_passwords::is_common(password) {
        return Err(PasswordPolicyError::TooCommon);
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Mismatch,
    Match,
    /// The password matched, but the stored hash uses other parameters; store the new hash.
    MatchRehashed,
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    dummy_hash: Arc<String>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").field("params", &self.params).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Argon2(String),
    #[error("password hashing was interrupted")]
    Interrupted,
}

impl PasswordHasher {
    pub fn new(config: &PasswordConfig) -> Result<Self, HashError> {
        let params = Params::new(config.memory_kib, config.iterations, config.parallelism, None)
            .map_err(|error| HashError::Argon2(error.to_string()))?;
        let dummy_hash = hash_with(&params, "yimen dummy password for unknown accounts")?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(config.max_concurrent_hashes)),
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    pub async fn hash(&self, password: &SecretString) -> Result<String, HashError> {
        let params = self.params.clone();
        let password = password.clone();
        self.run_blocking(move || hash_with(&params, password.expose())).await?
    }

    /// Verifies a password against a stored PHC string. With no stored hash (unknown account) it still
    /// spends one full verification, so response times do not reveal whether an account exists.
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> Result<Verdict, HashError> {
        let known = stored.is_some();
        let stored = stored.map(str::to_owned).unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let params = self.params.clone();
        let password = password.clone();
        let verdict = self
            .run_blocking(move || -> Result<Verdict, HashError> {
                let parsed = PasswordHash::new(&stored).map_err(|e| HashError::Argon2(e.to_string()))?;
                let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
                if argon.verify_password(password.expose().as_bytes(), &parsed).is_err() {
                    return Ok(Verdict::Mismatch);
                }
                let current = Params::try_from(&parsed).ok();
                let same_params = current.is_some_and(|p| {
                    p.m_cost() == params.m_cost() && p.t_cost() == params.t_cost() && p.p_cost() == params.p_cost()
                }) && parsed.algorithm == argon2::ARGON2ID_IDENT;
                Ok(if same_params { Verdict::Match } else { Verdict::MatchRehashed })
            })
            .await??;
        Ok(if known { verdict } else { Verdict::Mismatch })
    }

    async fn run_blocking<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError::Interrupted)?;
        tokio::task::spawn_blocking(work).await.map_err(|_| HashError::Interrupted)
    }
}

fn hash_with(params: &Params, password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| HashError::Argon2(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(memory_kib: u32) -> PasswordConfig {
        PasswordConfig { memory_kib, iterations: 1, parallelism: 1, max_concurrent_hashes: 2 }
    }

    #[tokio::test]
    async fn verifies_and_flags_parameter_changes() {
        let hasher = PasswordHasher::new(&config(1024)).unwrap();
        let password = SecretString::new("correct horse battery");
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert_eq!(hasher.verify(&password, Some(&hash)).await.unwrap(), Verdict::Match);
        assert_eq!(hasher.verify(&SecretString::new("wrong"), Some(&hash)).await.unwrap(), Verdict::Mismatch);
        let stronger = PasswordHasher::new(&config(2048)).unwrap();
        assert_eq!(stronger.verify(&password, Some(&hash)).await.unwrap(), Verdict::MatchRehashed);
    }

    #[tokio::test]
    async fn unknown_accounts_never_match() {
        let hasher = PasswordHasher::new(&config(1024)).unwrap();
        let dummy = SecretString::new("yimen dummy password for unknown accounts");
        assert_eq!(hasher.verify(&dummy, None).await.unwrap(), Verdict::Mismatch);
    }

    #[test]
    fn policy_refuses_short_and_common_passwords() {
        assert_eq!(check_policy("short"), Err(PasswordPolicyError::TooShort));
        assert_eq!(check_policy("password123"), Err(PasswordPolicyError::TooCommon));
        assert_eq!(check_policy("12345678"), Err(PasswordPolicyError::TooCommon));
        assert!(check_policy("tea-kettle-oriole-42").is_ok());
    }
}
