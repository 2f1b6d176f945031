//! When to retry a Graph call and how long to wait: Retry-After first, else jittered backoff.

use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;

/// Bounds on retrying one call.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub max_retries: u32,
    /// First backoff step when Graph gives no Retry-After.
    pub base_delay: Duration,
    /// No single wait is longer than this, whatever Retry-After says.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// Why the last attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Graph answered with this status.
    Status(StatusCode),
    /// No answer: connect error, reset, timeout.
    Transport,
    /// The TLS handshake failed (an untrusted or wrong certificate): trying again meets the
    /// same certificate, so it is never retried.
    Tls,
}

impl RetryPolicy {
    /// Whether a failed attempt may be retried.
    ///
    /// Throttling (429) means the request was refused unprocessed, so it is always safe to send
    /// again. 5xx and transport errors may hide a request that did land, so only idempotent
    /// calls retry them (a create handles its own "landed after all" case).
    pub fn should_retry(&self, attempt: u32, failure: Failure, idempotent: bool) -> bool {
        if attempt >= self.max_retries {
            return false;
        }
        match failure {
            Failure::Status(StatusCode::TOO_MANY_REQUESTS) => true,
            Failure::Status(
                StatusCode::BAD_GATEWAY
                | StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::GATEWAY_TIMEOUT,
            )
            | Failure::Transport => idempotent,
            Failure::Status(_) | Failure::Tls => false,
        }
    }

    /// How long to wait before retry number `attempt` (0-based).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        // Full jitter keeps many concurrent clients from retrying in lockstep.
        let cap = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.min(16)))
            .min(self.max_delay);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        let low = millis / 2;
        Duration::from_millis(rand::rng().random_range(low..=millis.max(low)))
    }
}

/// Longest `Retry-After` taken at its word. Graph asks for seconds to a few minutes; more is a
/// broken header or a proxy's, and an unbounded wait would overflow `Instant + Duration`.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 60);

/// Parses a `Retry-After` header: seconds (Graph's form) or an HTTP date, capped at
/// [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let cap = MAX_RETRY_AFTER.as_secs_f64();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    // Too many digits for u64 still parse as a float; so do fractions.
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            // Capped before converting: from_secs_f64 panics past u64::MAX seconds.
            return Some(Duration::from_secs_f64(secs.min(cap)));
        }
        return None;
    }
    let when =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let now = time::OffsetDateTime::now_utc();
    let millis = (when - now).whole_milliseconds().max(0);
    let millis = u64::try_from(millis).unwrap_or(u64::MAX);
    Some(Duration::from_millis(millis).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_retries_even_for_creates_but_5xx_only_when_idempotent() {
        let p = RetryPolicy::default();
        let s = |c: u16| Failure::Status(StatusCode::from_u16(c).unwrap());
        assert!(p.should_retry(0, s(429), false));
        assert!(p.should_retry(0, s(503), true));
        assert!(!p.should_retry(0, s(503), false));
        assert!(p.should_retry(0, Failure::Transport, true));
        assert!(!p.should_retry(0, Failure::Transport, false));
        assert!(!p.should_retry(0, Failure::Tls, true));
        assert!(!p.should_retry(0, s(400), true));
        assert!(!p.should_retry(0, s(404), true));
        assert!(!p.should_retry(p.max_retries, s(429), true));
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(p.delay(3, Some(Duration::from_secs(3600))), p.max_delay);
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let p = RetryPolicy::default();
        for attempt in 0..20 {
            let d = p.delay(attempt, None);
            assert!(d <= p.max_delay, "attempt {attempt}: {d:?}");
            let cap = p
                .base_delay
                .saturating_mul(2u32.saturating_pow(attempt.min(16)));
            assert!(d >= cap.min(p.max_delay) / 2, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn parses_retry_after_forms() {
        assert_eq!(parse_retry_after("10"), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-3"), None);
    }

    #[test]
    fn absurd_retry_after_is_capped_not_a_panic() {
        for absurd in [
            "99999999999999999999",
            "18446744073709551615",
            "1e300",
            "18446744073709551616.5",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(parse_retry_after(absurd), Some(MAX_RETRY_AFTER), "{absurd}");
        }
        for junk in ["NaN", "inf", "-inf", "1e999", "-0.5", ""] {
            assert_eq!(parse_retry_after(junk), None, "{junk}");
        }
        assert_eq!(parse_retry_after("-0"), Some(Duration::ZERO));
    }
}
