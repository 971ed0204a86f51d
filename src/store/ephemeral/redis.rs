//! Ephemeral state in Redis. Every key carries the configured prefix; expiry is Redis's own.
//!
//! Redis may stop answering for seconds (a restart, a failover, a partition). Every command then fails
//! within `COMMAND_TIMEOUT`, the store is marked away, and until a background probe finds Redis answering
//! again every command fails at once, without waiting: the pages answer 503 instead of hanging, and the
//! service returns by itself within a probe interval of Redis's return. Behind Redis Sentinel the probe
//! also asks the sentinels for the master each time, so a failover is followed the same way.

use super::redis_target::RedisTarget;
use super::{CHANGE_BACKLOG, Change, Ephemeral};
use crate::store::{StoreError, StoreResult};
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The longest a command may take before Redis counts as away. Commands here are single-key and O(1), so
/// this is slack for a busy machine, not for Redis.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How often the probe asks an away Redis whether it is back.
const PROBE_INTERVAL: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct RedisEphemeral {
    /// Replaced when the sentinels name another master.
    connection: Arc<RwLock<ConnectionManager>>,
    target: Arc<RedisTarget>,
    prefix: String,
    health: Arc<Health>,
    /// Changes announced by any process, as received on the prefix's channel.
    changes: tokio::sync::broadcast::Sender<Change>,
    /// The subscription's task, stopped when the last clone of this store goes.
    _listening: Arc<StopOnDrop>,
}

#[derive(Debug)]
struct StopOnDrop(tokio::task::JoinHandle<()>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether Redis answered the last command, and how often it did not.
#[derive(Debug, Default)]
struct Health {
    away: AtomicBool,
    failures: AtomicU64,
}

impl std::fmt::Debug for RedisEphemeral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisEphemeral").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisEphemeral {
    pub async fn connect(url: &str, prefix: &str) -> StoreResult<Self> {
        let target = Arc::new(RedisTarget::parse(url).map_err(|e| StoreError::Config(e.to_string()))?);
        let connection = manager(target.client(CONNECT_TIMEOUT).await?).await?;
        let (changes, _) = tokio::sync::broadcast::channel(CHANGE_BACKLOG);
        let listening = tokio::spawn(listen_for_changes(target.clone(), format!("{prefix}changes"), changes.clone()));
        let _listening = Arc::new(StopOnDrop(listening));
        Ok(Self {
            connection: Arc::new(RwLock::new(connection)),
            target,
            prefix: prefix.to_owned(),
            health: Arc::default(),
            changes,
            _listening,
        })
    }

    fn connection(&self) -> ConnectionManager {
        self.connection.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    /// Runs one command within `COMMAND_TIMEOUT`, or fails at once while Redis is away.
    async fn run<T>(&self, command: impl Future<Output = redis::RedisResult<T>>) -> StoreResult<T> {
        if self.health.away.load(Ordering::Acquire) {
            return Err(StoreError::Unavailable("redis"));
        }
        match tokio::time::timeout(COMMAND_TIMEOUT, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) if !lost(&error) => Err(error.into()),
            Ok(Err(error)) => {
                self.went_away(&error.to_string());
                Err(StoreError::Unavailable("redis"))
            }
            Err(_) => {
                self.went_away("no reply in time");
                Err(StoreError::Unavailable("redis"))
            }
        }
    }

    /// Marks Redis away and, unless one runs already, starts the probe that marks it back.
    fn went_away(&self, why: &str) {
        self.health.failures.fetch_add(1, Ordering::Relaxed);
        if self.health.away.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::error!(reason = why, "Redis is not answering: requests that need it get 503 until it is back");
        let (shared, target) = (self.connection.clone(), self.target.clone());
        let (health, changes) = (self.health.clone(), self.changes.clone());
        tokio::spawn(async move {
            let since = Instant::now();
            loop {
                tokio::time::sleep(PROBE_INTERVAL).await;
                let Some(mut connection) = probe_connection(&target, &shared).await else {
                    health.failures.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let ping = redis::cmd("PING");
                let answer = tokio::time::timeout(CONNECT_TIMEOUT, ping.query_async::<String>(&mut connection)).await;
                if let Ok(Ok(_)) = answer {
                    *shared.write().unwrap_or_else(|p| p.into_inner()) = connection;
                    health.away.store(false, Ordering::Release);
                    // Announcements made while this process could not hear them are lost: forget all.
                    let _ = changes.send(Change::Unknown);
                    tracing::warn!(away_ms = since.elapsed().as_millis() as u64, "Redis is answering again");
                    return;
                }
                health.failures.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
}

/// Bounded everywhere: a connection attempt that does not complete fails in a second, a reply that does
/// not come in two, and a lost connection is retried twice, at most half a second apart, before the
/// command fails; the probe then keeps trying. Unbounded, a partition left every request waiting for
/// TCP's own two-minute connect timeout.
async fn manager(client: redis::Client) -> redis::RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(CONNECT_TIMEOUT)
        .set_response_timeout(COMMAND_TIMEOUT)
        .set_number_of_retries(2)
        .set_factor(100)
        .set_max_delay(500);
    ConnectionManager::new_with_config(client, config).await
}

/// The connection for the probe to try: the one in use, or, behind Sentinel, one to the master the
/// sentinels name now (the old master may be gone, or back as a replica).
async fn probe_connection(target: &RedisTarget, shared: &RwLock<ConnectionManager>) -> Option<ConnectionManager> {
    if !target.is_sentinel() {
        return Some(shared.read().unwrap_or_else(|p| p.into_inner()).clone());
    }
    let client = target.client(CONNECT_TIMEOUT).await.ok()?;
    tokio::time::timeout(CONNECT_TIMEOUT, manager(client)).await.ok()?.ok()
}

/// Subscribes to the change channel and passes what arrives on to this process's receivers, for as long
/// as the process runs. A lost subscription is renewed within a second or so; since changes may have
/// been announced meanwhile, its receivers are then told to forget everything.
async fn listen_for_changes(
    target: Arc<RedisTarget>,
    channel: String,
    changes: tokio::sync::broadcast::Sender<Change>,
) {
    use futures::StreamExt;
    let mut first = true;
    loop {
        let subscribed = async {
            let client = target.client(CONNECT_TIMEOUT).await.ok()?;
            let mut pubsub = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub()).await.ok()?.ok()?;
            pubsub.subscribe(&channel).await.ok()?;
            Some(pubsub)
        };
        match subscribed.await {
            Some(pubsub) => {
                if !first {
                    let _ = changes.send(Change::Unknown);
                }
                first = false;
                let mut messages = pubsub.into_on_message();
                while let Some(message) = messages.next().await {
                    if let Ok(text) = message.get_payload::<String>() {
                        let _ = changes.send(Change::decode(&text));
                    }
                }
                tracing::warn!("the subscription to changes from other instances was lost; renewing it");
            }
            None => tokio::time::sleep(PROBE_INTERVAL * 4).await,
        }
    }
}

/// True for failures of the connection rather than of the command (which Redis answered). A node that
/// refuses writes as a replica counts as lost too: after a failover the old master comes back as one.
fn lost(error: &redis::RedisError) -> bool {
    error.code() == Some("READONLY")
        || error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error()
}

fn ttl(ttl_ms: i64) -> u64 {
    ttl_ms.max(1) as u64
}

#[async_trait::async_trait]
impl Ephemeral for RedisEphemeral {
    async fn put(&self, key: &str, value: &[u8], ttl_ms: i64) -> StoreResult<()> {
        let mut connection = self.connection();
        self.run(connection.pset_ex::<_, _, ()>(self.key(key), value, ttl(ttl_ms))).await
    }

    async fn put_new(&self, key: &str, value: &[u8], ttl_ms: i64) -> StoreResult<bool> {
        let mut connection = self.connection();
        let set = redis::cmd("SET").arg(self.key(key)).arg(value).arg("NX").arg("PX").arg(ttl(ttl_ms)).clone();
        let stored: Option<String> = self.run(set.query_async(&mut connection)).await?;
        Ok(stored.is_some())
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut connection = self.connection();
        self.run(connection.get(self.key(key))).await
    }

    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut connection = self.connection();
        self.run(connection.get_del(self.key(key))).await
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let mut connection = self.connection();
        self.run(connection.del::<_, ()>(self.key(key))).await
    }

    async fn incr_by(&self, key: &str, delta: i64, ttl_ms: i64) -> StoreResult<i64> {
        let mut connection = self.connection();
        let key = self.key(key);
        // INCR then PEXPIRE NX in one transaction: the window starts at the first increment and later
        // increments do not extend it.
        let pipe = redis::pipe().atomic().incr(&key, delta).cmd("PEXPIRE").arg(&key).arg(ttl(ttl_ms)).arg("NX").clone();
        let (count, _): (i64, i64) = self.run(pipe.query_async(&mut connection)).await?;
        Ok(count)
    }

    async fn ping(&self) -> StoreResult<()> {
        let mut connection = self.connection();
        let ping = redis::cmd("PING").clone();
        self.run(ping.query_async::<String>(&mut connection)).await.map(drop)
    }

    async fn announce(&self, change: &Change) -> StoreResult<()> {
        let mut connection = self.connection();
        let channel = format!("{}changes", self.prefix);
        self.run(connection.publish::<_, _, ()>(channel, change.encode())).await
    }

    fn changes(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    fn available(&self) -> bool {
        !self.health.away.load(Ordering::Acquire)
    }

    fn failures(&self) -> u64 {
        self.health.failures.load(Ordering::Relaxed)
    }
}
