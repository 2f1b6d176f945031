//! Moving around (panes, rows, details, help, messages, mouse), signing in, and reading the tenant.

use std::sync::Arc;

use super::{PopupOutcome, job, jump, precedence, status, status_error, unchanged};
use crate::auth::claims::TokenInfo;
use crate::auth::device_code::DeviceCodePrompt;
use crate::ops::snapshot::Snapshot;
use crate::ops::views::{connection_rows, source_rows};
use crate::tui::action::{Action, MouseInput, PaneId};
use crate::tui::effect::{Effect, Work};
use crate::tui::layout;
use crate::tui::people_index::PeopleIndex;
use crate::tui::state::{AppState, Cursor, Filter, LoadState, Message, Popup};
use crate::tui::strings as s;

/// The first effects: who we are, the tenant, the people list.
pub fn init(state: &mut AppState) -> Vec<Effect> {
    state.identity = LoadState::Loading;
    state.snapshot = LoadState::Loading;
    state.people.users = LoadState::Loading;
    vec![
        job(state, s::JOB_SIGN_IN, Work::LoadIdentity),
        job(state, s::JOB_TENANT, Work::LoadSnapshot),
        job(state, s::JOB_USERS, Work::LoadUsers),
    ]
}

/// Quits, unless that would lose a staged order or leave a write running: then asks first
/// (asked already, a second quit key quits).
pub(super) fn quit(state: &mut AppState) -> Vec<Effect> {
    if matches!(state.popups.last(), Some(Popup::ConfirmQuit { .. })) {
        state.quit = true;
        return Vec::new();
    }
    let staged = state
        .precedence
        .staged
        .as_ref()
        .is_some_and(crate::tui::state::Staged::changed);
    let writes: Vec<String> = state
        .jobs
        .iter()
        .filter(|j| j.writes)
        .map(|j| j.label.clone())
        .collect();
    if staged || !writes.is_empty() {
        state.popups.push(Popup::ConfirmQuit { staged, writes });
    } else {
        state.quit = true;
    }
    Vec::new()
}

/// The quit question: yes quits; no (or Esc) stays.
pub(super) fn confirm_quit_key(
    state: &mut AppState,
    staged: bool,
    writes: Vec<String>,
    action: &Action,
) -> PopupOutcome {
    match action {
        Action::Confirm | Action::Select => {
            state.quit = true;
            (None, Vec::new())
        }
        Action::Deny | Action::Back => (None, Vec::new()),
        _ => (Some(Popup::ConfirmQuit { staged, writes }), Vec::new()),
    }
}

pub(super) fn resize(state: &mut AppState, w: u16, h: u16) -> Vec<Effect> {
    state.size = (w, h);
    clamp_lists(state);
    Vec::new()
}

pub(super) fn job_finished(state: &mut AppState, id: u64) -> Vec<Effect> {
    state.jobs.retain(|j| j.id != id);
    // The retry may have been this job's; a job still retrying says so again.
    state.retrying = None;
    Vec::new()
}

pub(super) fn graph_retrying(
    state: &mut AppState,
    notice: crate::graph::client::RetryNotice,
) -> Vec<Effect> {
    state.retrying = Some(notice);
    Vec::new()
}

pub(super) fn mouse(state: &mut AppState, m: MouseInput) -> Vec<Effect> {
    if !state.mouse {
        return unchanged(state);
    }
    match m {
        MouseInput::Scroll(d) if d > 0 => super::update(state, Action::Down),
        MouseInput::Scroll(_) => super::update(state, Action::Up),
        MouseInput::Click(col, row) => {
            if !state.popups.is_empty() || super::focus::editing_filter(state) {
                return unchanged(state);
            }
            if let Some(p) = layout::tab_at(col, row) {
                return super::update(state, Action::GoTo(p));
            }
            // A click on a list row selects it.
            let pane = state.pane;
            let in_detail = state.connections.detail.is_some() && pane == PaneId::Connections;
            let in_profile = state.people.profile.is_some() && pane == PaneId::People;
            if in_detail || in_profile {
                return unchanged(state);
            }
            let first = layout::first_row(pane);
            let height = state.list_height();
            if row >= first && usize::from(row - first) < height {
                let i = state.list_mut(pane).offset + usize::from(row - first);
                if i < state.list_len(pane) {
                    let len = state.list_len(pane);
                    state.list_mut(pane).select(i, len, height);
                    return Vec::new();
                }
            }
            unchanged(state)
        }
    }
}

pub(super) fn toggle_mouse(state: &mut AppState) -> Vec<Effect> {
    state.mouse = !state.mouse;
    status(
        state,
        if state.mouse {
            s::MOUSE_ON
        } else {
            s::MOUSE_OFF
        },
    );
    vec![Effect::SetMouse(state.mouse)]
}

/// The credential asks the admin to sign in with a device code.
pub(super) fn sign_in_prompt(state: &mut AppState, prompt: DeviceCodePrompt) -> Vec<Effect> {
    state.popups.retain(|p| !matches!(p, Popup::DeviceCode(_)));
    state.popups.push(Popup::DeviceCode(prompt));
    Vec::new()
}

// It closes by itself once the sign-in completes; Esc only hides it.
pub(super) fn device_code_key(p: DeviceCodePrompt, action: &Action) -> PopupOutcome {
    match action {
        Action::Back => (None, Vec::new()),
        _ => (Some(Popup::DeviceCode(p)), Vec::new()),
    }
}

pub(super) fn identity_loaded(
    state: &mut AppState,
    r: Result<Option<TokenInfo>, String>,
) -> Vec<Effect> {
    // Signed in (or given up): the device code is no longer needed on screen.
    state.popups.retain(|p| !matches!(p, Popup::DeviceCode(_)));
    state.identity = match r {
        Ok(i) => LoadState::Loaded(i),
        Err(e) => LoadState::Failed(e),
    };
    Vec::new()
}

/// Reads the tenant and the users again; the impact inputs are read again when next needed.
pub(super) fn refresh(state: &mut AppState) -> Vec<Effect> {
    status(state, s::REFRESHING);
    state.syncs.checks_due = true;
    let mut effects = Vec::new();
    if !state.snapshot.is_loading() {
        state.refreshing = state.snap().is_some();
        if state.snap().is_none() {
            state.snapshot = LoadState::Loading;
        }
        effects.push(job(state, s::JOB_TENANT, Work::LoadSnapshot));
    }
    if !state.people.users.is_loading() {
        // The list is read again from scratch; the cursor comes back to the same person.
        state.people.reselect = jump::selected_id(state, PaneId::People).map(Into::into);
        let query = state.people.search.input.text.clone();
        state.people.users = LoadState::Loading;
        state.people.index = PeopleIndex::new();
        state.people.index.search(&query);
        state.people.list = Cursor::default();
        effects.push(job(state, s::JOB_USERS, Work::LoadUsers));
    }
    if !state.precedence.inputs.is_loading() {
        state.precedence.inputs = LoadState::Idle;
    }
    effects
}

pub(super) fn snapshot_loaded(
    state: &mut AppState,
    r: Result<Arc<Snapshot>, String>,
) -> Vec<Effect> {
    state.refreshing = false;
    let snapshot = match r {
        Ok(s) => s,
        Err(e) => {
            if state.snap().is_some() {
                status_error(state, s::refresh_failed(&e));
            } else {
                state.snapshot = LoadState::Failed(e);
            }
            return Vec::new();
        }
    };
    state.read.snapshot = Some(state.clock.now());
    // A re-read keeps each list's cursor on the object it was on, wherever it moved to.
    let kept: Vec<(PaneId, String)> = [
        PaneId::Connections,
        PaneId::Sources,
        PaneId::Precedence,
        PaneId::Syncs,
    ]
    .into_iter()
    .filter_map(|p| jump::selected_id(state, p).map(|id| (p, id)))
    .collect();
    let connectors_changed = state.snap().is_none_or(|old| {
        let ids = |s: &Snapshot| {
            s.connections
                .iter()
                .map(|c| c.connection.id.clone())
                .collect::<Vec<_>>()
        };
        ids(old) != ids(&snapshot)
    });
    state.connections.rows = connection_rows(&snapshot);
    state.sources.rows = source_rows(&snapshot);
    if let Some(id) = &state.connections.detail {
        if snapshot.connection(id).is_none() {
            state.connections.detail = None;
        }
    }
    state.snapshot = LoadState::Loaded(snapshot);
    super::problems::rediagnose(state);
    if connectors_changed && !state.precedence.inputs.is_loading() {
        state.precedence.inputs = LoadState::Idle;
    }
    super::filter::refilter(state);
    for (pane, id) in kept {
        jump::select_id(state, pane, &id);
    }
    // The first read of the tenant, `r` and a sync's end read the last propagation checks too.
    let mut effects = if std::mem::take(&mut state.syncs.checks_due) {
        super::propagation::load_checks(state)
    } else {
        Vec::new()
    };
    if state.pane == PaneId::Precedence {
        effects.extend(precedence::ensure_impact_inputs(state));
    }
    effects
}

pub(super) fn next_pane(state: &mut AppState) -> Vec<Effect> {
    go_to(
        state,
        PaneId::ALL[(state.pane.index() + 1) % PaneId::ALL.len()],
    )
}

pub(super) fn prev_pane(state: &mut AppState) -> Vec<Effect> {
    let n = PaneId::ALL.len();
    go_to(state, PaneId::ALL[(state.pane.index() + n - 1) % n])
}

/// Shows a pane, remembering the place left (Backspace comes back to it).
pub(super) fn go_to(state: &mut AppState, pane: PaneId) -> Vec<Effect> {
    if pane != state.pane {
        jump::remember(state);
    }
    show(state, pane)
}

/// Shows a pane.
pub(super) fn show(state: &mut AppState, pane: PaneId) -> Vec<Effect> {
    state.pane = pane;
    state.status = None;
    let mut effects = Vec::new();
    if pane == PaneId::Precedence {
        effects.extend(precedence::ensure_impact_inputs(state));
    }
    clamp_lists(state);
    effects
}

/// One screen up (`-1`) or down (`1`).
pub(super) fn page(state: &mut AppState, direction: isize) -> Vec<Effect> {
    let h = isize::try_from(state.list_height()).unwrap_or(1);
    navigate(state, direction * h)
}

/// Moves the selection (or scrolls an open detail or profile) by `delta` rows.
pub(super) fn navigate(state: &mut AppState, delta: isize) -> Vec<Effect> {
    let height = state.list_height();
    if state.pane == PaneId::Connections && state.connections.detail.is_some() {
        let d = &mut state.connections.detail_scroll;
        *d = d.saturating_add_signed(delta).min(500);
        return Vec::new();
    }
    // A message about the row left behind would now read as about this one.
    state.status = None;
    if state.pane == PaneId::People {
        if let Some(p) = &mut state.people.profile {
            let rows = p.view.loaded().map_or(0, |v| v.rows.len());
            let height = layout::profile_rows(state.size);
            p.cursor.move_by(delta, rows, height);
            return Vec::new();
        }
    }
    let pane = state.pane;
    let len = state.list_len(pane);
    state.list_mut(pane).move_by(delta, len, height);
    Vec::new()
}

/// Keeps every list's selection and scroll valid after its rows or the size changed.
pub(super) fn clamp_lists(state: &mut AppState) {
    // The shown pane's height for every list: `go_to` clamps again when another is shown.
    let height = state.list_height();
    for p in PaneId::ALL {
        let len = state.list_len(p);
        let list = state.list_mut(p);
        let selected = list.selected;
        list.select(selected, len, height);
    }
}

/// Leaves a detail view or a profile, else clears the pane's filter.
pub(super) fn back(state: &mut AppState) -> Vec<Effect> {
    match state.pane {
        PaneId::Connections if state.connections.detail.is_some() => {
            state.connections.detail = None;
        }
        PaneId::Connections if !state.connections.filter.input.text.is_empty() => {
            state.connections.filter = Filter::default();
            super::filter::refilter(state);
        }
        PaneId::Sources if !state.sources.filter.input.text.is_empty() => {
            state.sources.filter = Filter::default();
            super::filter::refilter(state);
        }
        PaneId::People if state.people.profile.is_some() => state.people.profile = None,
        PaneId::People if !state.people.search.input.text.is_empty() => {
            state.people.search = Filter::default();
            state.people.index.search("");
            clamp_lists(state);
        }
        _ => state.dirty = false,
    }
    Vec::new()
}

/// Opens the selected connection's schema detail.
pub(super) fn open_detail(state: &mut AppState) -> Vec<Effect> {
    if let Some(row) = state.selected_connection() {
        state.connections.detail = Some(row.id.clone());
        state.connections.detail_scroll = 0;
    }
    Vec::new()
}

pub(super) fn help(state: &mut AppState) -> Vec<Effect> {
    state.popups.push(Popup::Help { scroll: 0 });
    Vec::new()
}

pub(super) fn help_key(scroll: usize, action: &Action) -> PopupOutcome {
    match action {
        Action::Down => (Some(Popup::Help { scroll: scroll + 1 }), Vec::new()),
        Action::Up => (
            Some(Popup::Help {
                scroll: scroll.saturating_sub(1),
            }),
            Vec::new(),
        ),
        Action::Back | Action::Select | Action::Help => (None, Vec::new()),
        _ => (Some(Popup::Help { scroll }), Vec::new()),
    }
}

pub(super) fn message_key(m: Message, action: &Action) -> PopupOutcome {
    match action {
        Action::Back | Action::Select | Action::Confirm | Action::Deny => (None, Vec::new()),
        _ => (Some(Popup::Message(m)), Vec::new()),
    }
}
