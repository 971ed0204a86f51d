//! Time as an injected dependency: domain code asks a [`Clock`], never the wall clock, so tests can
//! freeze or advance it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Seconds and milliseconds since the Unix epoch, UTC.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now_millis(&self) -> i64;

    fn now(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

pub type SharedClock = Arc<dyn Clock>;

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one permitted wall-clock read
    fn now_millis(&self) -> i64 {
        let elapsed =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("the system clock is after 1970");
        i64::try_from(elapsed.as_millis()).expect("milliseconds fit in i64 until year 292 million")
    }
}

/// A clock that follows the system clock plus an offset that tests can move forward.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_millis: AtomicI64,
}

impl OffsetClock {
    pub fn advance_secs(&self, secs: i64) {
        self.offset_millis.fetch_add(secs * 1000, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now_millis(&self) -> i64 {
        SystemClock.now_millis() + self.offset_millis.load(Ordering::SeqCst)
    }
}

/// A clock frozen at one instant, for unit tests.
#[derive(Debug)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_millis(&self) -> i64 {
        self.0 * 1000
    }
}
