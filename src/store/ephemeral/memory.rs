//! Ephemeral state in process memory, for the embedded mode: a concurrent cache (moka) whose entries are
//! evicted when their time is up. Reads also check expiry against the injected clock, so tests that move
//! time forward see entries expire at once. A restart forgets everything here.

use super::Ephemeral;
use crate::clock::SharedClock;
use crate::store::StoreResult;
use moka::ops::compute::Op;
use moka::sync::Cache;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
struct Entry {
    value: Vec<u8>,
    expires_at_ms: i64,
    ttl: Duration,
}

/// Evicts each entry after its own lifetime.
struct PerEntry;

impl moka::Expiry<String, Entry> for PerEntry {
    fn expire_after_create(&self, _key: &String, entry: &Entry, _created: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        _updated: Instant,
        _left: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

pub struct MemoryEphemeral {
    entries: Cache<String, Entry>,
    clock: SharedClock,
    /// One process: announced changes go to its own receivers only.
    changes: tokio::sync::broadcast::Sender<super::Change>,
}

impl std::fmt::Debug for MemoryEphemeral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryEphemeral").field("entries", &self.entries.entry_count()).finish()
    }
}

impl MemoryEphemeral {
    pub fn new(clock: SharedClock) -> Self {
        let (changes, _) = tokio::sync::broadcast::channel(super::CHANGE_BACKLOG);
        Self { entries: Cache::builder().expire_after(PerEntry).build(), clock, changes }
    }

    fn entry(&self, value: &[u8], ttl_ms: i64) -> Entry {
        let ttl_ms = ttl_ms.max(1);
        Entry {
            value: value.to_vec(),
            expires_at_ms: self.clock.now_millis() + ttl_ms,
            ttl: Duration::from_millis(ttl_ms as u64),
        }
    }

    fn live(&self, entry: &Entry) -> bool {
        entry.expires_at_ms > self.clock.now_millis()
    }
}

#[async_trait::async_trait]
impl Ephemeral for MemoryEphemeral {
    async fn put(&self, key: &str, value: &[u8], ttl_ms: i64) -> StoreResult<()> {
        self.entries.insert(key.to_owned(), self.entry(value, ttl_ms));
        Ok(())
    }

    async fn put_new(&self, key: &str, value: &[u8], ttl_ms: i64) -> StoreResult<bool> {
        let fresh = self.entry(value, ttl_ms);
        let result = self.entries.entry(key.to_owned()).and_compute_with(|existing| match existing {
            Some(existing) if self.live(existing.value()) => Op::Nop,
            _ => Op::Put(fresh),
        });
        Ok(matches!(
            result,
            moka::ops::compute::CompResult::Inserted(_) | moka::ops::compute::CompResult::ReplacedWith(_)
        ))
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.entries.get(key).filter(|entry| self.live(entry)).map(|entry| entry.value))
    }

    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.entries.remove(key).filter(|entry| self.live(entry)).map(|entry| entry.value))
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.entries.invalidate(key);
        Ok(())
    }

    async fn incr_by(&self, key: &str, delta: i64, ttl_ms: i64) -> StoreResult<i64> {
        let first = self.entry(delta.to_string().as_bytes(), ttl_ms);
        let result = self.entries.entry(key.to_owned()).and_compute_with(|existing| {
            let current = existing.filter(|e| self.live(e.value())).and_then(|e| {
                std::str::from_utf8(&e.value().value).ok()?.parse::<i64>().ok().map(|n| (n, e.into_value()))
            });
            match current {
                Some((count, entry)) => Op::Put(Entry { value: (count + delta).to_string().into_bytes(), ..entry }),
                None => Op::Put(first),
            }
        });
        let count = result
            .into_entry()
            .and_then(|entry| std::str::from_utf8(&entry.value().value).ok()?.parse().ok())
            .unwrap_or(delta);
        Ok(count)
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn announce(&self, change: &super::Change) -> StoreResult<()> {
        // No receiver is not an error: nothing is cached yet.
        let _ = self.changes.send(change.clone());
        Ok(())
    }

    fn changes(&self) -> tokio::sync::broadcast::Receiver<super::Change> {
        self.changes.subscribe()
    }

    /// Entries held now, expired ones that housekeeping has not removed yet included.
    fn held_in_process(&self) -> Option<u64> {
        Some(self.entries.entry_count())
    }

    /// The cache removes expired entries little by little as it is used; this removes them all now.
    fn housekeeping(&self) {
        self.entries.run_pending_tasks();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OffsetClock;
    use std::sync::Arc;

    #[tokio::test]
    async fn entries_expire_by_the_clock_and_take_is_single_use() {
        let clock = Arc::new(OffsetClock::default());
        let store = MemoryEphemeral::new(clock.clone());
        store.put("a", b"1", 10_000).await.unwrap();
        assert!(!store.put_new("a", b"2", 10_000).await.unwrap());
        assert_eq!(store.take("a").await.unwrap().as_deref(), Some(&b"1"[..]));
        assert_eq!(store.take("a").await.unwrap(), None);
        assert_eq!(store.incr("n", 10_000).await.unwrap(), 1);
        assert_eq!(store.incr("n", 10_000).await.unwrap(), 2);
        store.put("b", b"x", 5_000).await.unwrap();
        clock.advance_secs(6);
        assert_eq!(store.get("b").await.unwrap(), None);
        assert!(store.put_new("b", b"y", 5_000).await.unwrap(), "an expired entry does not block a new one");
        assert_eq!(store.incr("n", 10_000).await.unwrap(), 3, "the counter window started 6 s ago and lasts 10 s");
        clock.advance_secs(5);
        assert_eq!(store.incr("n", 10_000).await.unwrap(), 1, "a new window");
    }
}
