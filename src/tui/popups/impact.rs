//! An impact as a list: each changed value (user, property, before and after with their
//! sources), the selected one in full; Enter opens that user's profile.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{fit_height, hint_line};
use crate::ops::explain::summarize;
use crate::ops::impact::ValueAt;
use crate::tui::layout::{list_popup_rows, wide_popup_width};
use crate::tui::profile::label_for;
use crate::tui::state::{AppState, ImpactList};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{Col, ListRow, centered, list_rows, popup_frame, widths, wrap};

const COLS: [Col; 4] = [
    Col::flex("USER", 14, 2, 36),
    Col::flex("PROPERTY", 10, 1, 20),
    Col::flex("BEFORE", 10, 2, 0),
    Col::flex("AFTER", 10, 2, 0),
];

fn value(v: &ValueAt) -> String {
    summarize(&v.value)
}

fn with_source(v: &ValueAt) -> String {
    match &v.source {
        Some(source) => format!("{} ({source})", value(v)),
        None => format!("{} (no source has a value)", value(v)),
    }
}

/// Draws the list.
pub fn draw(frame: &mut Frame, body: Rect, state: &AppState, l: &ImpactList) {
    let theme = &state.theme;
    let w = wide_popup_width(body);
    let width = usize::from(w.saturating_sub(2));
    let rows_shown = list_popup_rows(state.size);
    let mut summary = format!("{} changed values for {} users", l.total, l.users);
    if l.rows.len() < l.total {
        summary.push_str(&format!(" ({})", s::impact_cut(l.rows.len(), l.total)));
    }
    let mut lines: Vec<Line> = wrap(&summary, width)
        .into_iter()
        .map(|t| Line::styled(t, theme.style(Role::Dim)))
        .collect();
    let cw = widths(w.saturating_sub(2), &COLS);
    let rows = l
        .rows
        .iter()
        .enumerate()
        .skip(l.list.offset)
        .take(rows_shown)
        .map(|(i, r)| ListRow {
            cells: vec![
                (r.upn.as_str().into(), Role::Normal),
                (label_for(&r.property).into(), Role::Heading),
                (value(&r.before).into(), Role::Dim),
                (value(&r.after).into(), Role::Staged),
            ],
            selected: i == l.list.selected,
        });
    let empty = l.rows.is_empty().then_some(s::IMPACT_EMPTY);
    lines.extend(list_rows(&COLS, &cw, theme, rows, empty));
    let mut detail: Vec<Line> = Vec::new();
    if let Some(r) = l.rows.get(l.list.selected) {
        detail.push(Line::raw(""));
        for (label, v, role) in [
            ("before", &r.before, Role::Normal),
            ("after ", &r.after, Role::Staged),
        ] {
            detail.extend(
                wrap(
                    &format!("{label} {}: {}", label_for(&r.property), with_source(v)),
                    width,
                )
                .into_iter()
                .map(|t| Line::styled(t, theme.style(role))),
            );
        }
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
    let inner = popup_frame(frame, area, &l.title, theme, false);
    frame.render_widget(Paragraph::new(lines), inner);
}
