//! Where Redis is: one address, or the master that Redis Sentinel names.
//!
//! `redis_url` is a plain `redis://…` (or `rediss://…`) URL, or
//! `redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]/MASTER`, whose user and password are the
//! master's (the sentinels themselves are asked without). With Sentinel the master is looked up when
//! connecting, and again whenever Redis stops answering or answers as a replica (after a failover), as
//! Redis's guidelines for Sentinel clients ask: each sentinel in turn names the master, and the master
//! confirms its role before it is used.

use redis::{ErrorKind, RedisError, RedisResult};
use std::time::Duration;

pub const SENTINEL_SCHEME: &str = "redis+sentinel://";

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("redis_url: {0}")]
    Malformed(&'static str),
}

impl RedisTarget {
    pub fn parse(url: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let Some(rest) = url.strip_prefix(SENTINEL_SCHEME) else {
            return Ok(Self::Direct(redis::Client::open(url)?));
        };
        let (credentials, rest) = match rest.rsplit_once('@') {
            Some((credentials, rest)) => (format!("{credentials}@"), rest),
            None => (String::new(), rest),
        };
        let (hosts, master) = rest
            .split_once('/')
            .ok_or(TargetError::Malformed("a Sentinel URL ends with /MASTER, the name the sentinels monitor"))?;
        let master = master.trim_end_matches('/');
        if master.is_empty() || master.contains('/') {
            return Err(
                TargetError::Malformed("a Sentinel URL ends with /MASTER, the name the sentinels monitor").into()
            );
        }
        let sentinels: Vec<String> =
            hosts.split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned).collect();
        if sentinels.is_empty()
            || sentinels.iter().any(|h| h.rsplit_once(':').is_none_or(|(_, port)| port.parse::<u16>().is_err()))
        {
            return Err(TargetError::Malformed("list the sentinels as HOST:PORT, separated by commas").into());
        }
        Ok(Self::Sentinel { sentinels, master: master.to_owned(), credentials })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_urls_name_the_sentinels_the_master_and_its_credentials() {
        let RedisTarget::Sentinel { sentinels, master, credentials } =
            RedisTarget::parse("redis+sentinel://:s3cret@10.0.0.1:26379, 10.0.0.2:26379/yimen").unwrap()
        else {
            panic!("a Sentinel target")
        };
        assert_eq!(sentinels, ["10.0.0.1:26379", "10.0.0.2:26379"]);
        assert_eq!(master, "yimen");
        assert_eq!(credentials, ":s3cret@");
        assert!(!RedisTarget::parse("redis://127.0.0.1:6379").unwrap().is_sentinel());
        for wrong in ["redis+sentinel://10.0.0.1:26379", "redis+sentinel://10.0.0.1/yimen", "redis+sentinel:///yimen"] {
            assert!(RedisTarget::parse(wrong).is_err(), "{wrong}");
        }
    }
}
