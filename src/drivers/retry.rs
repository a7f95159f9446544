//! The one retry policy of headcount, for reads and writes alike: the
//! drivers' retries of idempotent calls and the executor's create loop both
//! wait as [`RetryPolicy`] says. Exponential backoff with jitter comes from
//! `backon`; a vendor's `Retry-After` replaces the backoff's wait, capped.

use std::time::{Duration, SystemTime};

use backon::ExponentialBuilder;

use super::DriverError;

/// How often and how long to wait before trying a failed call again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries after the first.
    pub retries: u32,
    /// The first wait; it doubles after each try, with up to as much again
    /// of random jitter (so that concurrent retries spread out).
    pub base_delay: Duration,
    /// The longest single wait, backoff or `Retry-After`.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// headcount's default: 10 retries, waits from 200 ms doubling, at
    /// most 10 s each. Eleven tries keep a create alive at a 30% fault rate:
    /// one gives up only when eleven tries in a row fail (0.3^11 = 1.8 in a
    /// million: about one run in 600 of 900 creates sees one failure). A
    /// vendor that fails every call costs at most 52.6 s of waiting per
    /// call, and reads stop earlier, at the provider's deadline.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        retries: 10,
        base_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(10),
    };

    /// The backoff schedule, for `backon`'s `.retry(...)`.
    pub fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::new()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_max_times(self.retries as usize)
            .with_jitter()
    }

    /// The wait before the next try, for `backon`'s `.adjust(...)`: the
    /// vendor's `Retry-After` when it gave one, else the backoff's
    /// `proposed` wait, either capped at `max_delay`. `None` (no tries left)
    /// stays `None`.
    pub fn wait(&self, error: &DriverError, proposed: Option<Duration>) -> Option<Duration> {
        let proposed = proposed?;
        Some(error.retry_after.unwrap_or(proposed).min(self.max_delay))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::DEFAULT
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date (a date in
/// the past means now).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use backon::BackoffBuilder;

    use super::*;
    use crate::drivers::ErrorKind;

    #[test]
    fn retry_after_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_is_capped_and_stops_after_the_retries() {
        let policy = RetryPolicy {
            retries: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        let waits: Vec<Duration> = policy.backoff().build().collect();
        assert_eq!(waits.len(), 6, "{waits:?}");
        let error = DriverError::new("p", ErrorKind::Server, "x");
        for (i, wait) in waits.iter().enumerate() {
            let plain = (policy.base_delay * 2u32.pow(i as u32)).min(policy.max_delay);
            assert!(*wait >= plain && *wait <= plain * 2, "try {i}: {wait:?}");
            let capped = policy.wait(&error, Some(*wait)).unwrap();
            assert!(capped <= policy.max_delay, "try {i}: {capped:?}");
        }
        assert_eq!(policy.wait(&error, None), None, "no tries left");
    }

    #[test]
    fn retry_after_replaces_the_backoff_and_is_capped() {
        let policy = RetryPolicy::DEFAULT;
        let asked = |secs| {
            DriverError::new("p", ErrorKind::RateLimited, "slow down")
                .with_retry_after(Some(Duration::from_secs(secs)))
        };
        let proposed = Some(Duration::from_millis(200));
        assert_eq!(
            policy.wait(&asked(3), proposed),
            Some(Duration::from_secs(3))
        );
        assert_eq!(policy.wait(&asked(3600), proposed), Some(policy.max_delay));
    }
}
