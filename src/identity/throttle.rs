//! Growing delays and lockouts for anything that can be guessed: passwords, one-time codes, SMS sending.
//! The first few failures are free; each further one doubles the wait before the next attempt; past the
//! limit the key is locked for a fixed time. Keys are per account identifier and per client address, and
//! behave the same whether or not an account exists.

use crate::clock::SharedClock;
use crate::store::{SharedEphemeral, StoreError};

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures allowed before delays begin.
    pub free: i64,
    /// Failures after which the key is locked.
    pub limit: i64,
    pub lockout_secs: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Too soon after the last failure.
    Wait {
        secs: i64,
    },
    /// Locked until the lockout period after the last failure has passed.
    Locked {
        secs: i64,
    },
}

impl Policy {
    /// Seconds to wait after `failures` failures before the next attempt.
    pub fn delay_after(&self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let exponent = (failures - self.free).min(20) as u32;
        2_i64.pow(exponent).min(self.lockout_secs)
    }
}

#[derive(Debug, Clone)]
pub struct Throttle {
    ephemeral: SharedEphemeral,
    clock: SharedClock,
}

impl Throttle {
    pub fn new(ephemeral: SharedEphemeral, clock: SharedClock) -> Self {
        Self { ephemeral, clock }
    }

    pub async fn check(&self, key: &str, policy: Policy) -> Result<Verdict, StoreError> {
        let failures = self.count(key).await?;
        if failures == 0 {
            return Ok(Verdict::Allowed);
        }
        let last = self.last_failure_ms(key).await?.unwrap_or(0);
        let since = (self.clock.now_millis() - last) / 1000;
        if failures >= policy.limit {
            let remaining = policy.lockout_secs - since;
            return Ok(if remaining > 0 { Verdict::Locked { secs: remaining } } else { Verdict::Allowed });
        }
        let remaining = policy.delay_after(failures) - since;
        Ok(if remaining > 0 { Verdict::Wait { secs: remaining } } else { Verdict::Allowed })
    }

    /// Takes one attempt under `key`: counts it first and then decides, so that attempts arriving at the
    /// same moment cannot all pass a check that none of them has been counted against yet. An allowed
    /// attempt stays counted as a failure until [`clear`](Self::clear) (after a success); a refused one is
    /// uncounted again, since nothing was tried.
    pub async fn attempt(&self, key: &str, policy: Policy) -> Result<Verdict, StoreError> {
        let ttl = policy.lockout_secs * 2 * 1000;
        let last = self.last_failure_ms(key).await?;
        let count = self.ephemeral.incr_by(&format!("{key}:n"), 1, ttl).await?;
        let before = count - 1;
        // An earlier attempt still being checked has no time yet: it happened just now.
        let since = last.map(|last| (self.clock.now_millis() - last) / 1000).unwrap_or(0);
        let verdict = if before == 0 {
            Verdict::Allowed
        } else if before >= policy.limit {
            let remaining = policy.lockout_secs - since;
            if remaining > 0 { Verdict::Locked { secs: remaining } } else { Verdict::Allowed }
        } else {
            let remaining = policy.delay_after(before) - since;
            if remaining > 0 { Verdict::Wait { secs: remaining } } else { Verdict::Allowed }
        };
        if verdict == Verdict::Allowed {
            self.ephemeral.put(&format!("{key}:t"), self.clock.now_millis().to_string().as_bytes(), ttl).await?;
        } else {
            self.ephemeral.incr_by(&format!("{key}:n"), -1, ttl).await?;
        }
        Ok(verdict)
    }

    /// Counts a failure. The counter lives for the lockout period from its first failure; the time of the
    /// last failure is kept beside it.
    pub async fn fail(&self, key: &str, policy: Policy) -> Result<i64, StoreError> {
        let ttl = policy.lockout_secs * 2 * 1000;
        let count = self.ephemeral.incr(&format!("{key}:n"), ttl).await?;
        self.ephemeral.put(&format!("{key}:t"), self.clock.now_millis().to_string().as_bytes(), ttl).await?;
        Ok(count)
    }

    pub async fn clear(&self, key: &str) -> Result<(), StoreError> {
        self.ephemeral.delete(&format!("{key}:n")).await?;
        self.ephemeral.delete(&format!("{key}:t")).await
    }

    async fn count(&self, key: &str) -> Result<i64, StoreError> {
        Ok(self.number(&format!("{key}:n")).await?.unwrap_or(0))
    }

    async fn last_failure_ms(&self, key: &str) -> Result<Option<i64>, StoreError> {
        self.number(&format!("{key}:t")).await
    }

    async fn number(&self, key: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.ephemeral.get(key).await?.and_then(|bytes| String::from_utf8(bytes).ok()?.parse().ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OffsetClock;
    use crate::store::ephemeral::MemoryEphemeral;
    use std::sync::Arc;

    const POLICY: Policy = Policy { free: 2, limit: 6, lockout_secs: 600 };

    #[test]
    fn delays_double_after_the_free_failures() {
        let delays: Vec<i64> = (0..8).map(|n| POLICY.delay_after(n)).collect();
        assert_eq!(delays, vec![0, 0, 1, 2, 4, 8, 16, 32]);
        assert_eq!(Policy { free: 0, limit: 99, lockout_secs: 60 }.delay_after(30), 60);
    }

    #[tokio::test]
    async fn waits_then_locks_then_lets_go() {
        let clock = Arc::new(OffsetClock::default());
        let throttle = Throttle::new(Arc::new(MemoryEphemeral::new(clock.clone())), clock.clone());
        for _ in 0..2 {
            throttle.fail("k", POLICY).await.unwrap();
        }
        assert!(matches!(throttle.check("k", POLICY).await.unwrap(), Verdict::Wait { secs: 1 }));
        clock.advance_secs(1);
        assert_eq!(throttle.check("k", POLICY).await.unwrap(), Verdict::Allowed);
        for _ in 0..4 {
            throttle.fail("k", POLICY).await.unwrap();
        }
        assert!(matches!(throttle.check("k", POLICY).await.unwrap(), Verdict::Locked { secs: 600 }));
        clock.advance_secs(601);
        assert_eq!(throttle.check("k", POLICY).await.unwrap(), Verdict::Allowed);
        throttle.clear("k").await.unwrap();
        assert_eq!(throttle.check("k", POLICY).await.unwrap(), Verdict::Allowed);
    }

    #[tokio::test]
    async fn attempts_at_the_same_moment_are_counted_before_any_is_decided() {
        let clock = Arc::new(OffsetClock::default());
        let throttle = Throttle::new(Arc::new(MemoryEphemeral::new(clock.clone())), clock.clone());
        let verdicts = futures::future::join_all((0..30).map(|_| throttle.attempt("k", POLICY))).await;
        let allowed = verdicts.into_iter().filter(|v| matches!(v, Ok(Verdict::Allowed))).count();
        assert_eq!(allowed, 2, "only the free attempts pass at once");
        assert!(matches!(throttle.attempt("k", POLICY).await.unwrap(), Verdict::Wait { secs: 1 }));
        for _ in 0..4 {
            clock.advance_secs(60);
            assert_eq!(throttle.attempt("k", POLICY).await.unwrap(), Verdict::Allowed);
        }
        assert!(matches!(throttle.attempt("k", POLICY).await.unwrap(), Verdict::Locked { .. }), "six tried: locked");
    }
}
