//! Fresh screens: the tenant is read again by itself every so often (cheap reads only) and
//! when the terminal regains focus, and "read N s ago" ages on screen as time passes.

use std::time::Duration;

use super::job;
use crate::tui::effect::{Effect, Work};
use crate::tui::state::AppState;
use crate::tui::strings as s;

/// Coming back to the terminal re-reads what is older than this.
pub const FOCUS_REFRESH_AFTER: Duration = Duration::from_secs(5);

/// Time passed: spinners turn while jobs run, the age on screen moves, and an automatic
/// refresh starts when one is due.
pub(super) fn tick(state: &mut AppState) -> Vec<Effect> {
    let busy = state.busy();
    if busy {
        state.frame = state.frame.wrapping_add(1);
    }
    let age = state.age();
    let aged = age != state.age_shown;
    if aged {
        state.age_shown = age;
    }
    state.dirty = busy || aged;
    match state.refresh_every {
        Some(every) if older_than(state, every) => reread(state),
        _ => Vec::new(),
    }
}

/// The terminal has the focus again: what is on screen may be stale.
pub(super) fn focus_gained(state: &mut AppState) -> Vec<Effect> {
    if older_than(state, FOCUS_REFRESH_AFTER) {
        return reread(state);
    }
    state.dirty = false;
    Vec::new()
}

/// True when the tenant was read longer ago than `age` and no read is under way.
fn older_than(state: &AppState, age: Duration) -> bool {
    let Some(at) = state.read.snapshot else {
        return false;
    };
    !state.snapshot.is_loading() && !state.refreshing && state.clock.now().saturating_sub(at) >= age
}

/// Reads connections, sources and precedence again, the last read staying on screen; the
/// people list (100,000 users in a big tenant) is read again only when asked for (`r`).
fn reread(state: &mut AppState) -> Vec<Effect> {
    state.refreshing = true;
    state.dirty = true;
    vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
}
