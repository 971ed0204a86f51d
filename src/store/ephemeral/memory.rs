//! Ephemeral state in process memory, for the embedded mode. Entries expire by the injected clock, so
//! tests can move time forward. A restart forgets everything here (sessions, codes, access tokens).

use super::Ephemeral;
use crate::clock::SharedClock;
use crate::store::StoreResult;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

const SWEEP_EVERY: u64 = 1024;

#[derive(Debug)]
pub struct MemoryEphemeral {
    entries: Mutex<HashMap<String, Entry>>,
    clock: SharedClock,
    writes: AtomicU64,
}

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires_at_ms: i64,
}

impl MemoryEphemeral {
    pub fn new(clock: SharedClock) -> Self {
        Self { entries: Mutex::new(HashMap::new()), clock, writes: AtomicU64::new(0) }
    }

    fn with_entries<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>, i64) -> T) -> T {
        let now = self.clock.now_millis();
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut entries, now)
    }

    /// Drops expired entries now and then, so memory tracks live state rather than history.
    fn note_write(&self) {
        if self.writes.fetch_add(1, Ordering::Relaxed).is_multiple_of(SWEEP_EVERY) {
            self.with_entries(|entries, now| entries.retain(|_, entry| entry.expires_at_ms > now));
        }
    }
}

fn live(entry: Option<&Entry>, now: i64) -> Option<&Entry> {
    entry.filter(|entry| entry.expires_at_ms > now)
}

#[async_trait::async_trait]
impl Ephemeral for MemoryEphemeral {
    async fn put(&self, key: &str, value: &[u8], ttl_ms: i64) -> StoreResult<()> {
        self.with_entries(|entries, now| {
            entries.insert(key.to_owned(), Entry { value: value.to_vec(), expires_at_ms: now + ttl_ms });
        });
        self.note_write();
        Ok(())
    }

    async fn put_new(&self, key: &str, value: &[u8], ttl_ms: i64) -> StoreResult<bool> {
        let stored = self.with_entries(|entries, now| {
            if live(entries.get(key), now).is_some() {
                return false;
            }
            entries.insert(key.to_owned(), Entry { value: value.to_vec(), expires_at_ms: now + ttl_ms });
            true
        });
        self.note_write();
        Ok(stored)
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.with_entries(|entries, now| live(entries.get(key), now).map(|entry| entry.value.clone())))
    }

    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.with_entries(|entries, now| {
            entries.remove(key).filter(|entry| entry.expires_at_ms > now).map(|entry| entry.value)
        }))
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.with_entries(|entries, _| entries.remove(key));
        Ok(())
    }

    async fn incr(&self, key: &str, ttl_ms: i64) -> StoreResult<i64> {
        let count = self.with_entries(|entries, now| {
            let current = live(entries.get(key), now)
                .and_then(|entry| std::str::from_utf8(&entry.value).ok()?.parse::<i64>().ok());
            match current {
                Some(count) => {
                    let entry = entries.get_mut(key).expect("a live entry was just read");
                    entry.value = (count + 1).to_string().into_bytes();
                    count + 1
                }
                None => {
                    entries.insert(key.to_owned(), Entry { value: b"1".to_vec(), expires_at_ms: now + ttl_ms });
                    1
                }
            }
        });
        self.note_write();
        Ok(count)
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }
}
