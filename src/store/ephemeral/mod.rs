//! Short-lived state behind one narrow interface: browser sessions, authorization codes, access tokens,
//! one-time codes, rate-limit counters and replay caches. In process memory when embedded; in Redis
//! when configured, so that any number of yimen processes can share it.

mod memory;
mod redis;
mod redis_target;

pub use memory::MemoryEphemeral;
pub use redis::RedisEphemeral;

use super::StoreResult;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

#[async_trait::async_trait]
pub trait Ephemeral: Send + Sync + std::fmt::Debug {
    /// Stores `value` under `key` for `ttl_ms` milliseconds, replacing any previous value.
    async fn put(&self, key: &str, value: &[u8], ttl_ms: i64) -> StoreResult<()>;
    /// Stores only if `key` is absent; true when stored. The building block of replay caches.
    async fn put_new(&self, key: &str, value: &[u8], ttl_ms: i64) -> StoreResult<bool>;
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Reads and deletes in one atomic step: of two concurrent takers, exactly one gets the value.
    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    async fn delete(&self, key: &str) -> StoreResult<()>;
    /// Adds `delta` to a counter that lives `ttl_ms` from its first change; returns the new count.
    async fn incr_by(&self, key: &str, delta: i64, ttl_ms: i64) -> StoreResult<i64>;
    /// Adds one to a counter that lives `ttl_ms` from its first increment; returns the new count.
    async fn incr(&self, key: &str, ttl_ms: i64) -> StoreResult<i64> {
        self.incr_by(key, 1, ttl_ms).await
    }
    async fn ping(&self) -> StoreResult<()>;
    /// False while the store is known not to answer (commands then fail at once with `Unavailable`).
    fn available(&self) -> bool {
        true
    }
    /// Commands that failed because the store did not answer, since the start.
    fn failures(&self) -> u64 {
        0
    }
    /// Entries held in process memory (embedded mode); None where the state lives elsewhere (Redis).
    fn held_in_process(&self) -> Option<u64> {
        None
    }
    /// Removes expired entries now, where expiry is otherwise lazy.
    fn housekeeping(&self) {}
    /// Tells every process sharing this store (this one included) that a cached fact changed.
    async fn announce(&self, change: &Change) -> StoreResult<()>;
    /// The changes announced from now on, by any process sharing this store. A receiver that falls
    /// behind, or a feed that lost its connection and may have missed some, receives `Change::Unknown`.
    fn changes(&self) -> tokio::sync::broadcast::Receiver<Change>;
}

/// A fact that processes cache and that another process may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A client's registration (enabled, logout URIs, …).
    Client(String),
    /// A person's account (status, phone, password, …).
    Person(String),
    /// Changes may have been missed: forget everything cached.
    Unknown,
}

impl Change {
    pub fn encode(&self) -> String {
        match self {
            Self::Client(id) => format!("client:{id}"),
            Self::Person(id) => format!("person:{id}"),
            Self::Unknown => "unknown".to_owned(),
        }
    }

    pub fn decode(text: &str) -> Self {
        match text.split_once(':') {
            Some(("client", id)) => Self::Client(id.to_owned()),
            Some(("person", id)) => Self::Person(id.to_owned()),
            _ => Self::Unknown,
        }
    }
}

/// How many announced changes a slow receiver may be behind before it is told `Unknown`.
pub const CHANGE_BACKLOG: usize = 1024;

pub type SharedEphemeral = Arc<dyn Ephemeral>;

/// JSON conveniences over the byte interface.
#[async_trait::async_trait]
pub trait EphemeralExt {
    async fn put_json<T: Serialize + Sync>(&self, key: &str, value: &T, ttl_ms: i64) -> StoreResult<()>;
    async fn get_json<T: DeserializeOwned>(&self, key: &str) -> StoreResult<Option<T>>;
    async fn take_json<T: DeserializeOwned>(&self, key: &str) -> StoreResult<Option<T>>;
}

#[async_trait::async_trait]
impl<E: Ephemeral + ?Sized> EphemeralExt for E {
    async fn put_json<T: Serialize + Sync>(&self, key: &str, value: &T, ttl_ms: i64) -> StoreResult<()> {
        self.put(key, &serde_json::to_vec(value)?, ttl_ms).await
    }

    async fn get_json<T: DeserializeOwned>(&self, key: &str) -> StoreResult<Option<T>> {
        match self.get(key).await? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    async fn take_json<T: DeserializeOwned>(&self, key: &str) -> StoreResult<Option<T>> {
        match self.take(key).await? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }
}
