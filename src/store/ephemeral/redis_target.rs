//! Where Redis is: one address, or the master that Redis Sentinel names (the URL forms are in
//! `redis_url`). With Sentinel the master is looked up when connecting, and again whenever Redis stops
//! answering or answers as a replica (after a failover), as Redis's guidelines for Sentinel clients ask:
//! each sentinel in turn names the master, and the master confirms its role before it is used.

use crate::redis_url::RedisUrl;
use redis::{ErrorKind, RedisError, RedisResult};
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum RedisTarget {
    Direct(redis::Client),
    Sentinel {
        sentinels: Vec<String>,
        master: String,
        /// `user:password@`, or empty.
        credentials: String,
    },
}

impl RedisTarget {
    pub fn parse(url: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(match crate::redis_url::parse(url)? {
            RedisUrl::Direct(url) => Self::Direct(redis::Client::open(url)?),
            RedisUrl::Sentinel { sentinels, master, credentials } => Self::Sentinel { sentinels, master, credentials },
        })
    }

    pub fn is_sentinel(&self) -> bool {
        matches!(self, Self::Sentinel { .. })
    }

    /// A client for the data node: the configured address, or the master the sentinels name now.
    pub async fn client(&self, timeout: Duration) -> RedisResult<redis::Client> {
        let (sentinels, master, credentials) = match self {
            Self::Direct(client) => return Ok(client.clone()),
            Self::Sentinel { sentinels, master, credentials } => (sentinels, master, credentials),
        };
        let mut last_error = RedisError::from((ErrorKind::IoError, "no sentinel answered"));
        for sentinel in sentinels {
            match ask_sentinel(sentinel, master, credentials, timeout).await {
                Ok(client) => return Ok(client),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }
}

async fn ask_sentinel(
    sentinel: &str,
    master: &str,
    credentials: &str,
    timeout: Duration,
) -> RedisResult<redis::Client> {
    let mut connection =
        within(timeout, redis::Client::open(format!("redis://{sentinel}/"))?.get_multiplexed_async_connection())
            .await?;
    let address: Option<(String, String)> =
        within(timeout, redis::cmd("SENTINEL").arg("get-master-addr-by-name").arg(master).query_async(&mut connection))
            .await?;
    let (host, port) =
        address.ok_or_else(|| RedisError::from((ErrorKind::ResponseError, "the sentinel knows no such master")))?;
    let client = redis::Client::open(format!("redis://{credentials}{host}:{port}/"))?;
    let mut node = within(timeout, client.get_multiplexed_async_connection()).await?;
    let role: Vec<redis::Value> = within(timeout, redis::cmd("ROLE").query_async(&mut node)).await?;
    match role.first().map(redis::from_redis_value::<String>) {
        Some(Ok(role)) if role == "master" => Ok(client),
        _ => Err(RedisError::from((ErrorKind::ResponseError, "the node the sentinel named is not a master (yet)"))),
    }
}

async fn within<T>(timeout: Duration, work: impl Future<Output = RedisResult<T>>) -> RedisResult<T> {
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| Err(RedisError::from((ErrorKind::IoError, "no answer in time"))))
}
