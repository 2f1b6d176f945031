//! The state every handler shares: configuration, the tenant and its directory, identity
//! state, faults, the journal and the clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::clock::Clock;
use super::config::EmulatorConfig;
use super::directory::Directory;
use super::faults::Faults;
use super::identity::{self, AuthState};
use super::inspect::Journal;
use super::state::{State as TenantState, Tenant};

/// The emulated service: everything the handlers share (the console has its own `tui::app::App`).
pub(crate) struct Emulator {
    pub config: EmulatorConfig,
    /// `https://host:port`, no version segment.
    pub root: String,
    pub tenant: Tenant,
    pub directory: Directory,
    state: RwLock<TenantState>,
    /// Schema operations still running (so reads settle them only when needed).
    pending_operations: AtomicUsize,
    auth: Mutex<AuthState>,
    pub faults: Faults,
    /// HMAC key of this run's tokens.
    pub token_key: [u8; 32],
    pub client_secret: String,
    /// Certificates registered as the app's credentials (client assertions).
    pub certificates: Mutex<Vec<identity::AppCertificate>>,
    /// Every admin-visible state, when tests ask for it.
    pub journal: Journal,
    /// What "now" is for tokens, device codes and schema operations.
    pub clock: Clock,
}

/// A write lock on the tenant state that records the state in the journal when released, so
/// the journal sees every state a reader could have seen, in order.
pub(crate) struct StateWriteGuard<'a> {
    state: RwLockWriteGuard<'a, TenantState>,
    journal: &'a Journal,
}

impl std::ops::Deref for StateWriteGuard<'_> {
    type Target = TenantState;
    fn deref(&self) -> &TenantState {
        &self.state
    }
}

impl std::ops::DerefMut for StateWriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut TenantState {
        &mut self.state
    }
}

impl Drop for StateWriteGuard<'_> {
    fn drop(&mut self) {
        if self.journal.is_on() {
            self.journal.record(&self.state);
        }
    }
}

impl Emulator {
    /// When profiles show a write of `item_id` made now: the propagation delay, plus up to half
    /// of it again by a jitter fixed per item, so items of one sync go live at different times
    /// but a test can rely on the bound.
    pub fn visible_at(&self, item_id: &str) -> Instant {
        let delay = self.config.propagation_delay_ms;
        let jitter = if delay == 0 {
            0
        } else {
            let digest = Sha256::digest(item_id.as_bytes());
            let spread = u64::from(u16::from_be_bytes([digest[0], digest[1]]));
            delay / 2 * spread / u64::from(u16::MAX)
        };
        self.clock.instant() + Duration::from_millis(delay + jitter)
    }

    pub fn new(
        config: EmulatorConfig,
        root: String,
        tenant: Tenant,
        directory: Directory,
        state: TenantState,
    ) -> Self {
        let faults = Faults::new(&config);
        Self {
            config,
            root,
            tenant,
            directory,
            state: RwLock::new(state),
            pending_operations: AtomicUsize::new(0),
            auth: Mutex::new(AuthState::default()),
            faults,
            token_key: rand::random(),
            client_secret: identity::new_client_secret(),
            certificates: Mutex::new(Vec::new()),
            journal: Journal::default(),
            clock: Clock::default(),
        }
    }

    /// The tenant state for reading, with due schema operations settled first.
    pub fn read(&self) -> RwLockReadGuard<'_, TenantState> {
        if self.pending_operations.load(Ordering::Acquire) > 0 {
            drop(self.write());
        }
        // A panic in a handler leaves consistent-enough data behind: keep serving.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The tenant state for writing, with due schema operations settled first. When the
    /// journal is on, the state is recorded as the guard is released.
    pub fn write(&self) -> StateWriteGuard<'_> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if self.pending_operations.load(Ordering::Acquire) > 0 {
            let pending = state.settle(self.clock.instant());
            self.pending_operations.store(pending, Ordering::Release);
        }
        StateWriteGuard {
            state,
            journal: &self.journal,
        }
    }

    pub fn note_pending_operation(&self) {
        self.pending_operations.fetch_add(1, Ordering::AcqRel);
    }

    pub fn auth_state(&self) -> MutexGuard<'_, AuthState> {
        self.auth.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
