//! Who is not live yet: the people a propagation check found pending, dropped, stale or not
//! synced, each with state, reason and source line; the selected one whole; Enter opens the
//! profile.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{fit_height, hint_line};
use crate::ops::propagation::State;
use crate::tui::layout::{list_popup_rows, wide_popup_width};
use crate::tui::propagation::{counts, minute, reason_text, source_text};
use crate::tui::state::{AppState, PropagationList};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{Col, ListRow, centered, list_rows, popup_frame, widths, wrap};

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
    let theme = &state.theme;
    let v = &l.view;
    let w = wide_popup_width(body);
    let width = usize::from(w.saturating_sub(2));
    let rows_shown = list_popup_rows(state.size);
    let summary = format!(
        "{} checked {} UTC: {}",
        v.checked,
        minute(v.checked_at),
        counts(v)
    );
    let mut lines: Vec<Line> = wrap(&summary, width)
        .into_iter()
        .map(|t| Line::styled(t, theme.style(Role::Dim)))
        .collect();
    let cw = widths(w.saturating_sub(2), &COLS);
    let rows = v
        .people
        .iter()
        .enumerate()
        .skip(l.list.offset)
        .take(rows_shown)
        .map(|(i, p)| ListRow {
            cells: vec![
                (p.upn.as_str().into(), Role::Normal),
                (
                    crate::vocab::propagation_state(p.state.code()).into(),
                    state_role(p.state),
                ),
                (reason_text(p, v.read_at).into(), Role::Normal),
                (source_text(&p.source).into(), Role::Dim),
            ],
            selected: i == l.list.selected,
        });
    let empty = v.people.is_empty().then_some(s::PROPAGATION_EMPTY);
    lines.extend(list_rows(&COLS, &cw, theme, rows, empty));
    // The selected person whole: the reason is cut in its column.
    let mut detail: Vec<Line> = Vec::new();
    if let Some(p) = v.people.get(l.list.selected) {
        detail.push(Line::raw(""));
        let source = source_text(&p.source);
        let mut text = format!(
            "{}: {}",
            crate::vocab::propagation_state(p.state.code()),
            reason_text(p, v.read_at)
        );
        if !source.is_empty() {
            text.push_str(&format!(" (from {source})"));
        }
        detail.extend(
            wrap(&text, width)
                .into_iter()
                .map(|t| Line::styled(t, theme.style(state_role(p.state)))),
        );
    }
    let room = usize::from(body.height)
        .saturating_sub(2 + 1 + lines.len())
        .max(1);
    detail.truncate(room);
    lines.extend(detail);
    lines.push(hint_line(
        state,
        &[("j/k", "move"), ("enter", "open profile"), ("esc", "close")],
    ));
    let area = centered(body, w, fit_height(body, lines.len()));
    let inner = popup_frame(
        frame,
        area,
        &s::propagation_list_title(&l.connection),
        theme,
        false,
    );
    frame.render_widget(Paragraph::new(lines), inner);
}
