//! Per-connection rate limiting: a token bucket per key.
//!
//! The bucket lives in the engine so every transport enforces the same limit;
//! on Lambda each warm instance keeps its own buckets, which bounds a burst per
//! instance (API Gateway's own throttling covers the rest).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::{EcbError, ErrorCode};

/// The largest message a transport's socket or body layer accepts. Messages
/// between `ECB_MAX_PAYLOAD` and this get `payload_too_large` and the
/// connection stays open; past it the transport itself refuses them.
pub fn transport_limit(max_payload: usize) -> usize {
    (max_payload * 4).max(1 << 20)
}

/// Buckets idle this long are forgotten when the map grows large.
const IDLE_SECS: f64 = 60.0;
/// Map size from which idle buckets are pruned.
const PRUNE_AT: usize = 4096;
/// How often at most: with more active keys than `PRUNE_AT` (a server with
/// 20,000 busy connections) a prune on every check would scan them all for
/// every message.
const PRUNE_EVERY_SECS: f64 = 10.0;

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Allows `per_second` operations per key per second, with bursts up to the
/// same number.
pub struct RateLimiter {
    per_second: f64,
    buckets: Mutex<Buckets>,
}

struct Buckets {
    by_key: HashMap<String, Bucket>,
    pruned: Instant,
}

impl RateLimiter {
    /// A limiter refilling `per_second` tokens each second.
    pub fn new(per_second: u32) -> Self {
        Self {
            per_second: f64::from(per_second.max(1)),
            buckets: Mutex::new(Buckets {
                by_key: HashMap::new(),
                pruned: Instant::now(),
            }),
        }
    }

    /// Takes one token for `key`, or answers `rate_limited`.
    pub fn check(&self, key: &str) -> Result<(), EcbError> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.by_key.len() >= PRUNE_AT
            && now.duration_since(buckets.pruned).as_secs_f64() >= PRUNE_EVERY_SECS
        {
            buckets
                .by_key
                .retain(|_, b| now.duration_since(b.last).as_secs_f64() < IDLE_SECS);
            buckets.pruned = now;
        }
        let bucket = buckets.by_key.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.per_second,
            last: now,
        });
        let refill = now.duration_since(bucket.last).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.per_second);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(EcbError::new(
                ErrorCode::RateLimited,
                format!("over {} operations per second", self.per_second),
            ))
        }
    }

    /// Forgets a key whose connection has gone.
    pub fn forget(&self, key: &str) {
        self.buckets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .by_key
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_refuses() {
        let limiter = RateLimiter::new(3);
        for _ in 0..3 {
            limiter.check("a").unwrap();
        }
        assert_eq!(limiter.check("a").unwrap_err().code, ErrorCode::RateLimited);
        limiter.check("b").unwrap();
    }
}
