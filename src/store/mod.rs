//! Persistence: the only module that speaks SQL or Redis.
//!
//! [`Database`] holds the durable records on SQLite (embedded) or PostgreSQL through one schema kept in two
//! migration folders; [`ephemeral`] holds short-lived state (sessions, codes, access tokens, counters,
//! replay caches) in process memory or in Redis. One file per aggregate; each returns plain rows or domain
//! types and leaves rules to the domain modules.

pub mod audit;
pub mod catalog;
pub mod clients;
pub mod connections;
pub mod consents;
pub mod db;
pub mod deployment;
pub mod ephemeral;
pub mod evidence;
pub mod federated_identities;
pub mod grants;
pub mod halls;
pub mod integration_requests;
pub mod keys;
pub mod login_events;
pub mod login_sessions;
pub mod logout_deliveries;
pub mod organisations;
pub mod passkeys;
pub mod people;
pub mod resets;
pub mod roles;

pub use db::{Backend, Database};
pub use ephemeral::{Ephemeral, EphemeralExt, SharedEphemeral};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    #[error("configuration: {0}")]
    Config(String),
    /// The store did not answer in time or cannot be reached; nothing was done. Answered with 503.
    #[error("{0} is not answering")]
    Unavailable(&'static str),
}

impl StoreError {
    /// True when the store could not be reached or did not answer in time: nothing is wrong with the
    /// request, and the same request will work in a moment.
    pub fn is_unreachable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Database(error) => {
                matches!(error, sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_))
            }
            StoreError::Redis(error) => error.is_timeout() || error.is_connection_dropped() || error.is_io_error(),
            _ => false,
        }
    }

    /// True when the error is a unique-constraint violation on an index or column whose name contains
    /// `name_part`. SQLite reports columns (`people.phone_index`), PostgreSQL index names
    /// (`people_phone_index_uq`); index names here always contain their column name.
    pub fn is_unique_violation_on(&self, name_part: &str) -> bool {
        let StoreError::Database(sqlx::Error::Database(error)) = self else {
            return false;
        };
        if !error.is_unique_violation() {
            return false;
        }
        error.constraint().is_some_and(|c| c.contains(name_part)) || error.message().contains(name_part)
    }

    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(error)) if error.is_unique_violation())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[cfg(test)]
mod unreachable_tests {
    use super::StoreError;

    #[test]
    fn a_store_that_does_not_answer_is_told_from_one_that_refuses() {
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_unreachable());
        assert!(StoreError::Unavailable("redis").is_unreachable());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_unreachable());
        assert!(!StoreError::Corrupt("bad row".into()).is_unreachable());
    }
}
