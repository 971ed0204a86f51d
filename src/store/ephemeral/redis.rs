//! Ephemeral state in Redis. Every key carries the configured prefix; expiry is Redis's own.

use super::Ephemeral;
use crate::store::StoreResult;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

#[derive(Clone)]
pub struct RedisEphemeral {
    connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisEphemeral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisEphemeral").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisEphemeral {
    pub async fn connect(url: &str, prefix: &str) -> StoreResult<Self> {
        let client = redis::Client::open(url)?;
        let connection = ConnectionManager::new(client).await?;
        Ok(Self { connection, prefix: prefix.to_owned() })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }
}

fn ttl(ttl_ms: i64) -> u64 {
    ttl_ms.max(1) as u64
}

#[async_trait::async_trait]
impl Ephemeral for RedisEphemeral {
    async fn put(&self, key: &str, value: &[u8], ttl_ms: i64) -> StoreResult<()> {
        let mut connection = self.connection.clone();
        let _: () = connection.pset_ex(self.key(key), value, ttl(ttl_ms)).await?;
        Ok(())
    }

    async fn put_new(&self, key: &str, value: &[u8], ttl_ms: i64) -> StoreResult<bool> {
        let mut connection = self.connection.clone();
        let stored: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl(ttl_ms))
            .query_async(&mut connection)
            .await?;
        Ok(stored.is_some())
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut connection = self.connection.clone();
        Ok(connection.get(self.key(key)).await?)
    }

    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut connection = self.connection.clone();
        Ok(connection.get_del(self.key(key)).await?)
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let mut connection = self.connection.clone();
        let _: () = connection.del(self.key(key)).await?;
        Ok(())
    }

    async fn incr_by(&self, key: &str, delta: i64, ttl_ms: i64) -> StoreResult<i64> {
        let mut connection = self.connection.clone();
        let key = self.key(key);
        // INCR then PEXPIRE NX in one transaction: the window starts at the first increment and later
        // increments do not extend it.
        let (count, _): (i64, i64) = redis::pipe()
            .atomic()
            .incr(&key, delta)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(ttl(ttl_ms))
            .arg("NX")
            .query_async(&mut connection)
            .await?;
        Ok(count)
    }

    async fn ping(&self) -> StoreResult<()> {
        let mut connection = self.connection.clone();
        let _: String = redis::cmd("PING").query_async(&mut connection).await?;
        Ok(())
    }
}
