//! Rate metering: a vendor given a budget (`--rate-limit thulium=5`)
//! answers 429 with `Retry-After` to requests past it, as a metered vendor
//! API does. One token bucket per vendor (governor), with a burst of one
//! second's requests.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Requests per second by vendor name.
pub type RateLimits = BTreeMap<String, u32>;

/// The buckets of the metered vendors.
#[derive(Default)]
pub(crate) struct Meter {
    limits: RateLimits,
    buckets: BTreeMap<String, DefaultDirectRateLimiter>,
}

impl Meter {
    pub(crate) fn new(limits: &RateLimits) -> Meter {
        let buckets = limits
            .iter()
            .filter_map(|(vendor, per_second)| {
                let n = NonZeroU32::new(*per_second)?;
                Some((vendor.clone(), RateLimiter::direct(Quota::per_second(n))))
            })
            .collect();
        Meter {
            limits: limits.clone(),
            buckets,
        }
    }

    pub(crate) fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// `None` when `vendor` may take one more request now; else how long
    /// until it may.
    pub(crate) fn check(&self, vendor: &str) -> Option<Duration> {
        let bucket = self.buckets.get(vendor)?;
        bucket
            .check()
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Parses `thulium=5,ccp=10` (also given as several values).
pub fn parse_rate_limits(values: &[String]) -> Result<RateLimits, String> {
    let mut limits = RateLimits::new();
    for item in values.iter().flat_map(|v| v.split(',')) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (vendor, n) = item.split_once('=').ok_or_else(|| {
            format!("invalid rate limit {item:?}: write VENDOR=REQUESTS_PER_SECOND, e.g. ccp=10")
        })?;
        let n: u32 = n
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("invalid rate limit {item:?}: the requests per second must be a whole number above 0"))?;
        limits.insert(vendor.trim().to_string(), n);
    }
    Ok(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metered_vendor_refuses_past_its_budget() {
        let meter = Meter::new(&parse_rate_limits(&["ccp=3".into()]).unwrap());
        for _ in 0..3 {
            assert_eq!(meter.check("ccp"), None);
        }
        let wait = meter
            .check("ccp")
            .expect("the fourth request at once is refused");
        assert!(wait <= Duration::from_millis(334), "{wait:?}");
        assert_eq!(meter.check("thulium"), None, "an unmetered vendor");
        assert!(parse_rate_limits(&["ccp".into()]).is_err());
        assert!(parse_rate_limits(&["ccp=0".into()]).is_err());
    }
}
