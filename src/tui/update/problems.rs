//! The Problems view: doctor's findings, each fixed by the same ops code and confirmations the
//! rest of the console uses (staged precedence edit + apply dialog, register and removal wizards).

use super::{PopupOutcome, filter, message, nav, precedence, register, removal, status};
use crate::ops::doctor::{FixAction, diagnose};
use crate::ops::propagation::Overdue;
use crate::ops::remove::Scope;
use crate::ops::snapshot::Snapshot;
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::Effect;
use crate::tui::state::{AppState, Popup, ProblemsView};
use crate::tui::strings as s;

/// doctor's findings for the tenant as read, with the last propagation checks the console holds
/// (people whose data landed long ago and still did not show): the same rules as the CLI's.
pub(super) fn rediagnose(state: &mut AppState) {
    let Some(snap) = state.snap() else {
        return;
    };
    let overdue: Vec<(String, Vec<Overdue>)> = state
        .syncs
        .checks
        .iter()
        .filter_map(|(id, c)| {
            let people = c.last.as_ref()?.overdue();
            (!people.is_empty()).then(|| (id.clone(), people))
        })
        .collect();
    state.problems = if overdue.is_empty() {
        diagnose(snap)
    } else {
        let mut with_checks = Snapshot::clone(snap);
        with_checks.overdue = overdue;
        diagnose(&with_checks)
    };
}

/// Opens the view (one key from any pane, and the palette).
pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    if state.snap().is_none() {
        status(state, s::WAITING_FOR_TENANT);
        return Vec::new();
    }
    state.popups.push(Popup::Problems(ProblemsView::default()));
    Vec::new()
}

/// A key in the view: move through the findings, Enter runs the selected one's fix.
pub(super) fn key(state: &mut AppState, mut v: ProblemsView, action: &Action) -> PopupOutcome {
    let len = state.problems.len();
    if super::list_motion(state, &mut v.list, action, len) {
        return (Some(Popup::Problems(v)), Vec::new());
    }
    match action {
        Action::Back | Action::Problems => return (None, Vec::new()),
        Action::Select | Action::Confirm => {
            let Some(problem) = state.problems.get(v.list.selected).cloned() else {
                return (Some(Popup::Problems(v)), Vec::new());
            };
            return fix(state, v, &problem.action, &problem.fix);
        }
        _ => state.dirty = false,
    }
    (Some(Popup::Problems(v)), Vec::new())
}

/// Runs a finding's fix. The view stays open under what the fix opens (a confirmation, a
/// wizard), so the admin comes back to the list, which follows the tenant as it is read again.
fn fix(state: &mut AppState, v: ProblemsView, action: &FixAction, command: &str) -> PopupOutcome {
    let keep = Some(Popup::Problems(v));
    match action {
        FixAction::RemovePrecedenceEntry(id) => (
            keep,
            precedence::stage_and_confirm(state, &precedence::EntryEdit::Remove(id.clone())),
        ),
        FixAction::RemovePrecedenceRank(rank) => (
            keep,
            precedence::stage_and_confirm(state, &precedence::EntryEdit::RemoveRank(*rank)),
        ),
        FixAction::AddEntra => (
            keep,
            precedence::stage_and_confirm(state, &precedence::EntryEdit::AddEntra),
        ),
        FixAction::Register(id) => (keep, register::open_for(state, Some(id.clone()))),
        FixAction::RemoveSource(id) => (keep, removal::open_for(state, id, Scope::Connector)),
        FixAction::ShowConnection(id) => {
            // The detail is a pane view: the list closes to show it.
            show_connection(state, id);
            (None, Vec::new())
        }
        FixAction::Command => {
            message(
                state,
                s::PROBLEMS_TITLE,
                vec![s::NO_CONSOLE_FIX.to_owned(), command.to_owned()],
                false,
            );
            (keep, Vec::new())
        }
    }
}

/// Shows a connection's detail in the Connections pane (its filter cleared if it hid it).
fn show_connection(state: &mut AppState, id: &str) {
    nav::go_to(state, PaneId::Connections);
    let find = |state: &AppState| {
        state
            .connections
            .visible
            .iter()
            .position(|&i| state.connections.rows[i].id == id)
    };
    if find(state).is_none() {
        state.connections.filter = crate::tui::state::Filter::default();
        filter::refilter(state);
    }
    if let Some(pos) = find(state) {
        let (len, height) = (state.connections.visible.len(), state.list_height());
        state.connections.list.select(pos, len, height);
        state.connections.detail = Some(id.to_owned());
        state.connections.detail_scroll = 0;
    }
}
