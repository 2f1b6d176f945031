//! Is it live yet, from the Syncs pane: the last check per connection (read from the state store
//! with the tenant), a check run now, the people not live as a list, and a profile's ledger line.

use std::path::PathBuf;
use std::sync::Arc;

use super::{PopupOutcome, job, jump, message, status, status_error};
use crate::ops::propagation::{DEFAULT_SAMPLE, Selection};
use crate::sync::state::state_path;
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::{Effect, Work};
use crate::tui::layout;
use crate::tui::propagation::{CheckView, Provenance, StoredCheck, counts};
use crate::tui::state::{AppState, Cursor, LoadState, Popup, PropagationList, Target};
use crate::tui::strings as s;

/// The seed the CLI's `--sample` uses by default: the console samples the same people.
const SAMPLE_SEED: u64 = 1;

/// The state store of each people connection (where its ledger and last check live).
fn stores(state: &AppState) -> Vec<(String, PathBuf)> {
    let (Some(dir), Some(snap)) = (&state.info.data_dir, state.snap()) else {
        return Vec::new();
    };
    snap.connections
        .iter()
        .filter(|c| c.is_people())
        .map(|c| {
            let id = c.connection.id.clone();
            let path = state_path(dir, &state.info.context, &id);
            (id, path)
        })
        .collect()
}

/// Reads every connection's last check (after each read of the tenant).
pub(super) fn load_checks(state: &mut AppState) -> Vec<Effect> {
    let stores = stores(state);
    if stores.is_empty() {
        return Vec::new();
    }
    let tenant = state.info.tenant_id.clone();
    vec![job(
        state,
        s::JOB_CHECKS,
        Work::LoadChecks { stores, tenant },
    )]
}

/// The last checks were read; a check running keeps its own result coming.
pub(super) fn checks_loaded(state: &mut AppState, results: Vec<StoredCheck>) -> Vec<Effect> {
    let now = state.clock.now();
    for (connection, result) in results {
        let check = state.syncs.checks.entry(connection).or_default();
        if check.running.is_some() {
            continue;
        }
        match result {
            Ok(Some(view)) => {
                check.last = Some(view);
                check.read_clock = now;
                check.error = None;
            }
            Ok(None) => check.last = None,
            // A sync holding the store refuses readers: the last result read stays.
            Err(e) if check.last.is_none() => check.error = Some(s::checks_unreadable(&e)),
            Err(_) => {}
        }
    }
    super::problems::rediagnose(state);
    Vec::new()
}

/// `p` (a sample, as the CLI checks by default) or `P` (everyone) in the Syncs pane.
pub(super) fn check(state: &mut AppState, all: bool) -> Vec<Effect> {
    let Some(id) = state.selected_sync_connection() else {
        state.dirty = false;
        return Vec::new();
    };
    let Some(dir) = state.info.data_dir.clone() else {
        message(
            state,
            s::PROPAGATION_TITLE,
            vec![s::NO_DATA_DIR.to_owned()],
            true,
        );
        return Vec::new();
    };
    if state
        .syncs
        .runs
        .get(&id)
        .is_some_and(|r| r.report.is_none())
    {
        status(state, s::check_waits_for_sync(&id));
        return Vec::new();
    }
    let check = state.syncs.checks.entry(id.clone()).or_default();
    if check.running.is_some() {
        status(state, s::check_running_already(&id));
        return Vec::new();
    }
    check.running = Some(all);
    check.error = None;
    let selection = if all {
        Selection::All
    } else {
        Selection::Sample {
            size: DEFAULT_SAMPLE,
            seed: SAMPLE_SEED,
        }
    };
    let work = Work::CheckPropagation {
        connection: id.clone(),
        store: state_path(&dir, &state.info.context, &id),
        tenant: state.info.tenant_id.clone(),
        selection,
    };
    status(state, s::check_started(&id, all));
    vec![job(state, &s::job_check(&id), work)]
}

/// A check ended: its counts replace the last ones, or its error says why.
pub(super) fn checked(
    state: &mut AppState,
    connection: &str,
    result: Result<Arc<CheckView>, String>,
) -> Vec<Effect> {
    let now = state.clock.now();
    let check = state.syncs.checks.entry(connection.to_owned()).or_default();
    check.running = None;
    match result {
        Ok(view) => {
            let text = if view.checked == 0 {
                s::nothing_to_check(connection)
            } else {
                s::check_finished(connection, &counts(&view), view.needs_delegated)
            };
            check.last = Some(view);
            check.read_clock = now;
            check.error = None;
            check.list = Cursor::default();
            status(state, text);
        }
        Err(e) => {
            check.error = Some(e.clone());
            status_error(state, s::check_failed(connection, &e));
        }
    }
    super::problems::rediagnose(state);
    Vec::new()
}

/// `w` in the Syncs pane: the people the last check found not live.
pub(super) fn open_list(state: &mut AppState) -> Vec<Effect> {
    let Some(id) = state.selected_sync_connection() else {
        state.dirty = false;
        return Vec::new();
    };
    let Some(check) = state.syncs.checks.get(&id) else {
        status(state, s::no_check_yet(&id));
        return Vec::new();
    };
    let Some(view) = check.last.clone() else {
        status(state, s::no_check_yet(&id));
        return Vec::new();
    };
    let mut list = check.list;
    list.select(
        list.selected,
        view.people.len(),
        layout::list_popup_rows(state.size),
    );
    state.popups.push(Popup::Propagation(PropagationList {
        connection: id,
        view,
        list,
    }));
    Vec::new()
}

/// A key in the list.
pub(super) fn list_key(
    state: &mut AppState,
    mut l: PropagationList,
    action: &Action,
) -> PopupOutcome {
    let len = l.view.people.len();
    if super::list_motion(state, &mut l.list, action, len) {
        return (Some(Popup::Propagation(l)), Vec::new());
    }
    match action {
        Action::Back | Action::JumpBack | Action::PropagationList => {
            keep_cursor(state, &l);
            return (None, Vec::new());
        }
        Action::Select => {
            let Some(person) = l.view.people.get(l.list.selected) else {
                return (Some(Popup::Propagation(l)), Vec::new());
            };
            let upn = person.upn.clone();
            keep_cursor(state, &l);
            // The profile is a pane view: every popup closes to show it, and Backspace there
            // comes back to this list where it was.
            state.popups.clear();
            let effects = jump::jump(state, Target::Person(upn));
            if let Some(place) = state.history.last_mut() {
                if place.pane == PaneId::Syncs {
                    place.popup = Some(Box::new(Popup::Propagation(l)));
                }
            }
            return (None, effects);
        }
        _ => state.dirty = false,
    }
    (Some(Popup::Propagation(l)), Vec::new())
}

fn keep_cursor(state: &mut AppState, l: &PropagationList) {
    if let Some(c) = state.syncs.checks.get_mut(&l.connection) {
        c.list = l.list;
    }
}

/// Asks what each connection's ledger says about a person whose profile opens.
pub(super) fn load_provenance(state: &mut AppState, upn: &str) -> Vec<Effect> {
    let stores = stores(state);
    if stores.is_empty() {
        return Vec::new();
    }
    if let Some(p) = &mut state.people.profile {
        p.provenance = LoadState::Loading;
    }
    let work = Work::LoadProvenance {
        upn: upn.to_owned(),
        stores,
        tenant: state.info.tenant_id.clone(),
    };
    vec![job(state, s::JOB_LEDGER, work)]
}

/// The ledger lines arrived; dropped when another profile is open by now.
pub(super) fn provenance_loaded(
    state: &mut AppState,
    upn: &str,
    result: Vec<Provenance>,
) -> Vec<Effect> {
    match &mut state.people.profile {
        Some(p) if p.upn == upn => p.provenance = LoadState::Loaded(result),
        _ => state.dirty = false,
    }
    Vec::new()
}
