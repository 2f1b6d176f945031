//! How long a Graph call may wait: to connect, for one answer, and in all with its retries.

use std::time::Duration;

/// Bounds on waiting for Graph. Every call ends by its deadline, whatever the server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Setting up a connection (TCP and TLS). Never longer than `request`.
    pub connect: Duration,
    /// One HTTP request, from sending it to the last byte of its answer.
    pub request: Duration,
    /// One call, every retry and wait between tries included (a sync bounds each of its calls
    /// by it, not the whole sync).
    pub deadline: Duration,
}

/// Default connect timeout: a reachable Graph connects in well under a second.
pub const DEFAULT_CONNECT: Duration = Duration::from_secs(10);
/// Default request timeout: Graph answers the slowest calls we make in a few seconds.
pub const DEFAULT_REQUEST: Duration = Duration::from_secs(30);
/// Default deadline of one call: room for a few retries and a Retry-After or two.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);
/// Longest value accepted for any of them: a day is already more than anyone waits.
pub const MAX_SECONDS: f64 = 86_400.0;

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: DEFAULT_CONNECT,
            request: DEFAULT_REQUEST,
            deadline: DEFAULT_DEADLINE,
        }
    }
}

impl Timeouts {
    /// The connect timeout as used: a connection that may not take longer than the request.
    pub fn effective_connect(&self) -> Duration {
        self.connect.min(self.request)
    }
}

/// Parses a number of seconds as given on the command line or in the config: positive,
/// fractions allowed (`0.5`), at most a day.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    seconds(secs).ok_or_else(|| {
        format!("'{text}' is not a number of seconds from more than 0 to {MAX_SECONDS}")
    })
}

/// A number of seconds as a duration, if it is one we accept.
pub fn seconds(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs > 0.0 && secs <= MAX_SECONDS).then(|| Duration::from_secs_f64(secs))
}

/// A duration the way a person reads it: `250 ms`, `1.5 s`, `30 s`, `2 min`, `1 min 5 s`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms} ms");
    }
    if ms < 10_000 {
        let text = format!("{:.1}", d.as_secs_f64());
        return format!("{} s", text.trim_end_matches(".0"));
    }
    let secs = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_within_bounds() {
        assert_eq!(parse_seconds("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_seconds(" 0.5 "), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1", "NaN", "inf", "1e9", "soon", ""] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_seconds("soon").unwrap_err(),
            "'soon' is not a number of seconds"
        );
    }

    #[test]
    fn durations_read_like_a_person_writes_them() {
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
        assert_eq!(human(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human(Duration::from_millis(7042)), "7 s");
        assert_eq!(human(Duration::from_secs(30)), "30 s");
        assert_eq!(human(Duration::from_millis(29_700)), "30 s");
        assert_eq!(human(Duration::from_secs(120)), "2 min");
        assert_eq!(human(Duration::from_secs(65)), "1 min 5 s");
    }

    #[test]
    fn a_connection_never_waits_longer_than_its_request() {
        let t = Timeouts {
            request: Duration::from_secs(2),
            ..Timeouts::default()
        };
        assert_eq!(t.effective_connect(), Duration::from_secs(2));
        assert_eq!(Timeouts::default().effective_connect(), DEFAULT_CONNECT);
    }
}
