//! Who is not live yet: the people a propagation check found pending, dropped, stale or not
//! synced, each with state, reason and source line; the selected one whole; Enter opens the
//! profile.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::{ListPopup, list_popup};
use crate::ops::propagation::State;
use crate::tui::propagation::{counts, minute, reason_text, source_text};
use crate::tui::state::{AppState, PropagationList};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::Col;

const COLS: [Col; 4] = [
    Col::flex("UPN", 16, 2, 40),
    Col::fixed("STATE", 10),
    Col::flex("REASON / AGE", 16, 3, 0),
    // "hr-export.csv:298" whole at 80 columns: the line is what the admin looks up.
    Col::flex("SOURCE", 17, 1, 28),
];

/// The role a state is drawn in.
pub fn state_role(state: State) -> Role {
    match state {
        State::Live => Role::Ok,
        State::Dropped => Role::Error,
        State::Pending | State::Stale | State::NotSynced => Role::Warning,
    }
}

/// Draws the list.
pub fn draw(frame: &mut Frame, body: Rect, state: &AppState, l: &PropagationList) {
    let v = &l.view;
    let summary = format!(
        "{} checked {} UTC: {}",
        v.checked,
        minute(v.checked_at),
        counts(v)
    );
    // The selected person whole: the reason is cut in its column.
    let detail = v
        .people
        .get(l.list.selected)
        .map(|p| {
            let source = source_text(&p.source);
            let mut text = format!(
                "{}: {}",
                crate::vocab::propagation_state(p.state.code()),
                reason_text(p, v.read_at)
            );
            if !source.is_empty() {
                text.push_str(&format!(" (from {source})"));
            }
            vec![(text, state_role(p.state))]
        })
        .unwrap_or_default();
    let cells = |i: usize| {
        let p = &v.people[i];
        vec![
            (p.upn.as_str().into(), Role::Normal),
            (
                crate::vocab::propagation_state(p.state.code()).into(),
                state_role(p.state),
            ),
            (reason_text(p, v.read_at).into(), Role::Normal),
            (source_text(&p.source).into(), Role::Dim),
        ]
    };
    let title = s::propagation_list_title(&l.connection);
    let popup = ListPopup {
        title: &title,
        summary: &summary,
        cols: &COLS,
        cursor: l.list,
        empty: v.people.is_empty().then_some(s::PROPAGATION_EMPTY),
        detail,
    };
    list_popup(frame, body, state, &popup, v.people.len(), cells);
}
