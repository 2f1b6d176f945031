//! The command palette: type to filter the pane's and global commands, enter runs one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fit_height, popup_width};
use crate::tui::state::{AppState, PaletteState};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{cell, centered, popup_frame};

/// Draws the palette.
pub fn draw(frame: &mut Frame, body: Rect, state: &AppState, p: &PaletteState) {
    let theme = &state.theme;
    let matches = state.keymap.palette(state.pane.section(), &p.input.text);
    let shown = matches.len().clamp(1, 12);
    let area = centered(body, popup_width(body).min(60), fit_height(body, shown + 2));
    let inner = popup_frame(frame, area, s::PALETTE_TITLE, theme, false);
    let width = usize::from(inner.width);
    let mut lines = vec![Line::from(vec![
        Span::styled(": ", theme.style(Role::Key)),
        Span::raw(crate::text::shown(&p.input.text).into_owned()),
        Span::styled("_", theme.style(Role::Key)),
    ])];
    let room = usize::from(inner.height).saturating_sub(1);
    let start = p.selected.saturating_sub(room.saturating_sub(1));
    for (i, b) in matches.iter().enumerate().skip(start).take(room) {
        let keys = b.keys_label();
        let desc_w = width.saturating_sub(crate::text::width(&keys) + 2);
        let style = if i == p.selected {
            theme.style(Role::Selected)
        } else {
            theme.style(Role::Normal)
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {}", cell(&b.desc, desc_w, theme)), style),
            Span::styled(
                format!("{} ", crate::text::shown(&keys)),
                theme.style(Role::Key),
            ),
        ]));
    }
    if matches.is_empty() {
        lines.push(Line::styled("No command matches.", theme.style(Role::Dim)));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
