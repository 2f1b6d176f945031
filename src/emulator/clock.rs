//! The emulator's clock: real time plus an offset that tests push forward, so tokens and device
//! codes run out without anyone waiting for them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// Real time, moved forward by whatever [`Clock::advance`] added.
#[derive(Debug, Default)]
pub struct Clock {
    ahead_ms: AtomicU64,
}

impl Clock {
    /// Moves this clock forward by `by` (never back: tokens already issued stay ordered).
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.ahead_ms.fetch_add(ms, Ordering::Relaxed);
    }

    fn ahead(&self) -> Duration {
        Duration::from_millis(self.ahead_ms.load(Ordering::Relaxed))
    }

    /// Now, as a date (token claims, error dates).
    pub fn now_utc(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.ahead()
    }

    /// Now, in seconds since the epoch (JWT `iat`, `nbf`, `exp`).
    pub fn unix(&self) -> i64 {
        self.now_utc().unix_timestamp()
    }

    /// Now, as an instant (device-code lifetimes and polling intervals).
    pub fn instant(&self) -> Instant {
        Instant::now() + self.ahead()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_reading_forward_by_as_much() {
        let clock = Clock::default();
        let (date, instant) = (clock.now_utc(), clock.instant());
        clock.advance(Duration::from_secs(3600));
        let moved = clock.now_utc() - date;
        assert!(moved >= time::Duration::hours(1), "{moved}");
        assert!(moved < time::Duration::hours(1) + time::Duration::minutes(1));
        assert!(clock.instant().duration_since(instant) >= Duration::from_secs(3600));
        assert!(clock.unix() >= date.unix_timestamp() + 3600);
    }
}
