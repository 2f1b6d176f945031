//! The console's sense of time: the system's in the terminal, one a test moves by hand.

// "read 12 s ago", auto-refresh and sync durations take time from here, never from
// `Instant::now()` inside `update`, so tests move time instead of waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where the console's time comes from: time since the console started.
#[derive(Debug, Clone)]
pub enum Clock {
    /// The system's monotonic clock, from this instant.
    System(Instant),
    /// Milliseconds a test sets (shared by clones, so the test keeps a handle).
    Manual(Arc<AtomicU64>),
}

impl Default for Clock {
    fn default() -> Self {
        Self::System(Instant::now())
    }
}

impl Clock {
    /// A clock at zero that only moves when [`Clock::advance`] is called.
    pub fn manual() -> Self {
        Self::Manual(Arc::default())
    }

    /// Time since the console started.
    pub fn now(&self) -> Duration {
        match self {
            Self::System(start) => start.elapsed(),
            Self::Manual(ms) => Duration::from_millis(ms.load(Ordering::Relaxed)),
        }
    }

    /// Moves a manual clock forward (a system clock moves by itself and ignores this).
    pub fn advance(&self, by: Duration) {
        if let Self::Manual(ms) = self {
            let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
            ms.fetch_add(by, Ordering::Relaxed);
        }
    }
}

/// "just now", "12 s ago", "4 min ago", "2 h ago": how long ago something happened, in the few
/// words a header has room for.
pub fn ago(elapsed: Duration) -> String {
    let s = elapsed.as_secs();
    match s {
        0..=1 => "just now".to_owned(),
        2..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        _ => format!("{} h ago", s / 3600),
    }
}

/// A duration in a few characters: "850 ms", "12 s", "3 min 5 s".
pub fn took(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        let s = d.as_secs();
        format!("{} min {} s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = Clock::manual();
        let seen_by_state = clock.clone();
        assert_eq!(seen_by_state.now(), Duration::ZERO);
        clock.advance(Duration::from_secs(12));
        assert_eq!(seen_by_state.now(), Duration::from_secs(12));
        assert_eq!(ago(seen_by_state.now()), "12 s ago");
    }

    #[test]
    fn ages_and_durations_read_short() {
        assert_eq!(ago(Duration::from_millis(900)), "just now");
        assert_eq!(ago(Duration::from_secs(61)), "1 min ago");
        assert_eq!(ago(Duration::from_secs(7300)), "2 h ago");
        assert_eq!(took(Duration::from_millis(850)), "850 ms");
        assert_eq!(took(Duration::from_millis(12_340)), "12.3 s");
        assert_eq!(took(Duration::from_secs(185)), "3 min 5 s");
    }
}
