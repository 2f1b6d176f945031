//! An impact opened as a list (staged order, registration, removal): move through the changed
//! values; Enter opens that user's explained profile.

use std::sync::Arc;

use super::{PopupOutcome, nav, profile, status};
use crate::ops::impact::ImpactSummary;
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::Effect;
use crate::tui::state::{AppState, Cursor, ImpactList, ImpactState, Popup};
use crate::tui::strings as s;

/// `i` in the Precedence pane: the staged order's impact.
pub(super) fn open_staged(state: &mut AppState) -> Vec<Effect> {
    let ImpactState::Ready(impact) = &state.precedence.impact else {
        status(state, s::IMPACT_NOT_READY);
        return Vec::new();
    };
    let (total, users) = (impact.changes.len(), impact.changed_users.len());
    let rows = state.precedence.impact_rows.clone();
    state.popups.push(Popup::ImpactList(ImpactList {
        title: s::IMPACT_OF_STAGED.to_owned(),
        rows,
        total,
        users,
        list: Cursor::default(),
    }));
    Vec::new()
}

/// Opens a measured impact (a wizard's review) as a list, above the wizard.
pub(super) fn open_list(state: &mut AppState, title: String, impact: &ImpactSummary) {
    state.popups.push(Popup::ImpactList(ImpactList {
        title,
        rows: Arc::new(impact.changes.clone()),
        total: impact.changes.len(),
        users: impact.changed_users,
        list: Cursor::default(),
    }));
}

/// A key in the list.
pub(super) fn key(state: &mut AppState, mut l: ImpactList, action: &Action) -> PopupOutcome {
    let len = l.rows.len();
    if super::list_motion(state, &mut l.list, action, len) {
        return (Some(Popup::ImpactList(l)), Vec::new());
    }
    match action {
        Action::Back | Action::ImpactList => return (None, Vec::new()),
        Action::Select => {
            let Some(row) = l.rows.get(l.list.selected) else {
                return (Some(Popup::ImpactList(l)), Vec::new());
            };
            let upn = row.upn.clone();
            // The profile is a pane view: every popup closes to show it. A staged order
            // stays staged; a wizard under the list had changed nothing yet.
            state.popups.clear();
            nav::go_to(state, PaneId::People);
            return (None, profile::open_user(state, &upn));
        }
        _ => state.dirty = false,
    }
    (Some(Popup::ImpactList(l)), Vec::new())
}
