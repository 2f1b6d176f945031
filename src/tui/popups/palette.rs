//! The command palette: what is typed, then the actions and objects it found, best first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::fit_height;
use crate::text;
use crate::tui::state::{AppState, PaletteState};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{cell, centered, popup_frame, truncate};

/// Draws the palette.
pub fn draw(frame: &mut Frame, body: Rect, state: &AppState, p: &PaletteState) {
    let theme = &state.theme;
    let shown = p.found.len().clamp(1, 14);
    let w = body.width.saturating_sub(4).min(90);
    let area = centered(body, w, fit_height(body, shown + 1));
    let inner = popup_frame(frame, area, s::PALETTE_TITLE, theme, false);
    let width = usize::from(inner.width);
    let mut lines = vec![Line::from(vec![
        Span::styled(": ", theme.style(Role::Key)),
        Span::raw(text::shown(&p.input.text).into_owned()),
        Span::styled("_", theme.style(Role::Key)),
    ])];
    let room = usize::from(inner.height).saturating_sub(1);
    let start = p.selected.saturating_sub(room.saturating_sub(1));
    // kind (10) label note: the note gets what the label leaves, at least a third.
    let kind_w = 11;
    for (i, item) in p.found.iter().enumerate().skip(start).take(room) {
        let rest = width.saturating_sub(kind_w + 2);
        // The label is what is read; the note (keys, ids) gets at most two fifths.
        let note_w = text::width(&item.note).min(rest * 2 / 5);
        let label_w = rest.saturating_sub(note_w + 1);
        let style = if i == p.selected {
            theme.style(Role::Selected)
        } else {
            theme.style(Role::Normal)
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(" {} ", cell(item.kind, kind_w - 1, theme)),
                theme.style(Role::Dim),
            ),
            Span::styled(cell(&item.label, label_w, theme), style),
            Span::raw(" "),
            Span::styled(truncate(&item.note, note_w, theme), theme.style(Role::Key)),
        ]));
    }
    if p.found.is_empty() {
        let text = if p.input.text.trim().is_empty() {
            s::PALETTE_HINT
        } else {
            s::NOTHING_FOUND
        };
        lines.push(Line::styled(
            truncate(text, width, theme),
            theme.style(Role::Dim),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
