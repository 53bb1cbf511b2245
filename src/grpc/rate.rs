//! The per-tenant turn rate: a token bucket per tenant over `ProcessTurn` and `StreamTurns`
//! turns (`limits.tenant_turns_per_second`, `limits.tenant_burst`, overridden per tenant by
//! `[policy.tenants.NAME.rate]`). A turn over the rate is refused before the engine sees it, so
//! nothing is committed, with `RESOURCE_EXHAUSTED` and the delay until a token is there.
//!
//! Memory is bounded: a tenant without a limit gets no bucket, and at most `cap` buckets are
//! kept. A full bucket is the same as none, so full ones go first when the map is at its cap; if
//! every bucket is in use, the least recently used quarter goes (those tenants start again with a
//! full bucket).

use crate::policy::TenantRate;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept at most (tenants sending within the last few seconds).
pub const MAX_BUCKETS: usize = 10_000;

/// One tenant's bucket.
struct Bucket {
    tokens: f64,
    /// When `tokens` was last brought up to date.
    at: Instant,
    /// When the bucket will be full again if nothing is taken (it can be dropped from then on).
    full_at: Instant,
}

/// The limits a tenant's turns are taken against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Tokens refilled per second (0: no limit).
    pub per_second: f64,
    /// Tokens the bucket holds.
    pub burst: f64,
}

impl Rate {
    /// The configured default with a tenant's overrides applied.
    pub fn resolve(default_per_second: f64, default_burst: u32, tenant: TenantRate) -> Rate {
        Rate {
            per_second: tenant.turns_per_second.unwrap_or(default_per_second),
            burst: f64::from(tenant.burst.unwrap_or(default_burst).max(1)),
        }
    }
}

/// Every tenant's bucket. The lock is held for one map update, never across an `.await`.
pub struct TenantRates {
    buckets: Mutex<HashMap<String, Bucket>>,
    cap: usize,
}

impl TenantRates {
    pub fn new(cap: usize) -> Self {
        TenantRates {
            buckets: Mutex::new(HashMap::new()),
            cap: cap.max(1),
        }
    }

    /// Takes one turn's token from `tenant`'s bucket, or says how long until one is there.
    pub fn take(&self, tenant: &str, rate: Rate, now: Instant) -> Result<(), Duration> {
        if rate.per_second <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if !buckets.contains_key(tenant) {
            if buckets.len() >= self.cap {
                evict(&mut buckets, self.cap, now);
            }
            buckets.insert(
                tenant.to_string(),
                Bucket {
                    tokens: rate.burst,
                    at: now,
                    full_at: now,
                },
            );
        }
        let bucket = buckets.get_mut(tenant).expect("inserted above");
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate.per_second).min(rate.burst);
        bucket.at = now;
        let taken = bucket.tokens >= 1.0;
        if taken {
            bucket.tokens -= 1.0;
        }
        let missing = rate.burst - bucket.tokens;
        bucket.full_at = now + Duration::from_secs_f64(missing / rate.per_second);
        if taken {
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / rate.per_second,
            ))
        }
    }

    /// Buckets held now.
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Makes room below `cap`: full buckets first, then the least recently used quarter.
fn evict(buckets: &mut HashMap<String, Bucket>, cap: usize, now: Instant) {
    buckets.retain(|_, b| b.full_at > now);
    if buckets.len() < cap {
        return;
    }
    let mut ages: Vec<Instant> = buckets.values().map(|b| b.at).collect();
    let keep = cap - cap / 4 - 1;
    let cut = ages.len() - keep;
    let (_, threshold, _) = ages.select_nth_unstable(cut - 1);
    let threshold = *threshold;
    buckets.retain(|_, b| b.at > threshold);
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: Rate = Rate {
        per_second: 2.0,
        burst: 3.0,
    };

    #[test]
    fn a_burst_passes_then_turns_wait_for_the_refill() {
        let rates = TenantRates::new(10);
        let t0 = Instant::now();
        for _ in 0..3 {
            rates.take("acme", RATE, t0).unwrap();
        }
        assert_eq!(
            rates.take("acme", RATE, t0),
            Err(Duration::from_millis(500))
        );
        // Another tenant has its own bucket.
        rates.take("globex", RATE, t0).unwrap();
        // Half a token later the wait is halved; a whole one later a turn passes.
        let t1 = t0 + Duration::from_millis(250);
        assert_eq!(
            rates.take("acme", RATE, t1),
            Err(Duration::from_millis(250))
        );
        rates
            .take("acme", RATE, t0 + Duration::from_millis(500))
            .unwrap();
    }

    #[test]
    fn no_limit_keeps_no_bucket() {
        let rates = TenantRates::new(10);
        let off = Rate {
            per_second: 0.0,
            burst: 1.0,
        };
        for i in 0..100 {
            rates.take(&format!("t{i}"), off, Instant::now()).unwrap();
        }
        assert!(rates.is_empty());
    }

    #[test]
    fn the_bucket_map_stays_under_its_cap_whatever_the_tenants() {
        let rates = TenantRates::new(100);
        let t0 = Instant::now();
        for i in 0..10_000 {
            let _ = rates.take(&format!("t{i}"), RATE, t0);
            assert!(rates.len() <= 100);
        }
        // The latest tenants kept theirs: t9999 has used one of its three.
        rates.take("t9999", RATE, t0).unwrap();
        rates.take("t9999", RATE, t0).unwrap();
        assert!(rates.take("t9999", RATE, t0).is_err());
    }

    #[test]
    fn full_buckets_go_before_used_ones() {
        let rates = TenantRates::new(2);
        let t0 = Instant::now();
        rates.take("old", RATE, t0).unwrap();
        rates
            .take("busy", RATE, t0 + Duration::from_secs(5))
            .unwrap();
        // "old" is full again at t0 + 0.5 s; at t0 + 5 s "busy" is not.
        rates
            .take("new", RATE, t0 + Duration::from_secs(5))
            .unwrap();
        rates
            .take("busy", RATE, t0 + Duration::from_secs(5))
            .unwrap();
        rates
            .take("busy", RATE, t0 + Duration::from_secs(5))
            .unwrap();
        assert!(
            rates
                .take("busy", RATE, t0 + Duration::from_secs(5))
                .is_err(),
            "busy kept its bucket"
        );
    }

    #[test]
    fn tenant_overrides_replace_the_defaults_one_by_one() {
        let r = Rate::resolve(
            5.0,
            10,
            TenantRate {
                turns_per_second: None,
                burst: Some(2),
            },
        );
        assert_eq!(
            r,
            Rate {
                per_second: 5.0,
                burst: 2.0
            }
        );
    }
}
