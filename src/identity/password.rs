//! Password hashing with argon2id, run on hashing threads of its own (at a lower priority than requests,
//! see `hashing_threads`) behind a semaphore, so that a burst of logins neither stalls the async runtime
//! nor exhausts memory nor slows other requests down; plus the password policy.
//!
//! Argon2's working memory (`password.memory_kib`, 19 MiB by default) is kept and reused: at most one
//! buffer per permitted concurrent hash ever exists. Allocated afresh for every hash, each buffer was
//! freed into whichever allocator arena the blocking thread used, and the arenas kept them: a server's
//! memory grew by hundreds of megabytes under login load and never shrank.

use super::hashing_threads::HashingThreads;
use crate::config::PasswordConfig;
use crate::secret::SecretString;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Arc, Mutex};
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
    threads: Arc<HashingThreads>,
    memory: Arc<WorkingMemory>,
    dummy_hash: Arc<String>,
}

/// Argon2 working memory for the current parameters, lent to one hash at a time.
#[derive(Debug)]
struct WorkingMemory {
    blocks: usize,
    free: Mutex<Vec<Vec<Block>>>,
}

impl WorkingMemory {
    /// Runs `work` with a buffer of `blocks` blocks: a kept one when the count is the current
    /// parameters' (a hash with other parameters, being verified before a rehash, gets a fresh one).
    fn lend<T>(&self, blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
        if blocks != self.blocks {
            return work(&mut vec![Block::default(); blocks]);
        }
        let kept = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut buffer = kept.unwrap_or_else(|| vec![Block::default(); blocks]);
        let result = work(&mut buffer);
        self.free.lock().unwrap_or_else(|p| p.into_inner()).push(buffer);
        result
    }

    fn held(&self) -> usize {
        self.free.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
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
    #[error("could not start the password hashing threads: {0}")]
    Threads(#[source] std::io::Error),
}

impl PasswordHasher {
    pub fn new(config: &PasswordConfig) -> Result<Self, HashError> {
        let params = Params::new(config.memory_kib, config.iterations, config.parallelism, None)
            .map_err(|error| HashError::Argon2(error.to_string()))?;
        let memory = Arc::new(WorkingMemory { blocks: params.block_count(), free: Mutex::default() });
        let dummy_hash = hash_with(&params, &memory, "yimen dummy password for unknown accounts")?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(config.max_concurrent_hashes)),
            threads: Arc::new(HashingThreads::start(config.max_concurrent_hashes).map_err(HashError::Threads)?),
            memory,
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    /// Working-memory buffers kept for reuse (never more than the concurrent hashes allowed).
    pub fn buffers_held(&self) -> usize {
        self.memory.held()
    }

    pub async fn hash(&self, password: &SecretString) -> Result<String, HashError> {
        let (params, memory) = (self.params.clone(), self.memory.clone());
        let password = password.clone();
        self.run_hashing(move || hash_with(&params, &memory, password.expose())).await?
    }

    /// Verifies a password against a stored PHC string. With no stored hash (unknown account) it still
    /// spends one full verification, so response times do not reveal whether an account exists.
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> Result<Verdict, HashError> {
        let known = stored.is_some();
        let stored = stored.map(str::to_owned).unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let (params, memory) = (self.params.clone(), self.memory.clone());
        let password = password.clone();
        let verdict = self
            .run_hashing(move || -> Result<Verdict, HashError> {
                let parsed = PasswordHash::new(&stored).map_err(|e| HashError::Argon2(e.to_string()))?;
                if !matches_stored(&parsed, &memory, password.expose())? {
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

    async fn run_hashing<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError::Interrupted)?;
        self.threads.run(work).await.ok_or(HashError::Interrupted)
    }
}

fn argon2_error(error: impl std::fmt::Display) -> HashError {
    HashError::Argon2(error.to_string())
}

/// An argon2id PHC string for `password` with a fresh salt, as `Argon2::hash_password` writes it.
fn hash_with(params: &Params, memory: &WorkingMemory, password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.as_salt().decode_b64(&mut salt_bytes).map_err(argon2_error)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = memory.lend(params.block_count(), |blocks| {
        Output::init_with(length, |out| {
            argon.hash_password_into_with_memory(password.as_bytes(), raw_salt, out, blocks).map_err(Into::into)
        })
    });
    let hash = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(argon2_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(output.map_err(argon2_error)?),
    };
    Ok(hash.to_string())
}

/// Whether `password` produces the stored hash, with the stored algorithm, version and parameters.
/// `Output`'s comparison takes constant time.
fn matches_stored(stored: &PasswordHash<'_>, memory: &WorkingMemory, password: &str) -> Result<bool, HashError> {
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else { return Ok(false) };
    let algorithm = Algorithm::try_from(stored.algorithm).map_err(argon2_error)?;
    let version = stored.version.map(Version::try_from).transpose().map_err(argon2_error)?.unwrap_or_default();
    let params = Params::try_from(stored).map_err(argon2_error)?;
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut salt_bytes).map_err(argon2_error)?;
    let argon = Argon2::new(algorithm, version, params.clone());
    let computed = memory.lend(params.block_count(), |blocks| {
        Output::init_with(expected.len(), |out| {
            argon.hash_password_into_with_memory(password.as_bytes(), raw_salt, out, blocks).map_err(Into::into)
        })
    });
    Ok(computed.map_err(argon2_error)? == expected)
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
    async fn hashes_read_as_the_argon2_crate_writes_them_and_the_working_memory_is_reused() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = PasswordHasher::new(&config(1024)).unwrap();
        let password = SecretString::new("correct horse battery");
        let ours = hasher.hash(&password).await.unwrap();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, hasher.params.clone());
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon.verify_password(password.expose().as_bytes(), &parsed).is_ok(), "the crate verifies ours");
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon.hash_password(password.expose().as_bytes(), &salt).unwrap().to_string();
        assert_eq!(hasher.verify(&password, Some(&theirs)).await.unwrap(), Verdict::Match, "we verify the crate's");

        let attempts = (0..12).map(|_| hasher.verify(&password, Some(&ours)));
        let verdicts = futures::future::join_all(attempts).await;
        assert!(verdicts.iter().all(|v| matches!(v, Ok(Verdict::Match))));
        assert!(
            (1..=2).contains(&hasher.buffers_held()),
            "twelve hashes, two at a time, kept {} buffers",
            hasher.buffers_held()
        );
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
