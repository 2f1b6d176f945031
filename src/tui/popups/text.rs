//! The full-text view: a row, property, popup or message whole, wrapped to the width and
//! scrolled with j/k; y copies its subject (an id, a value), Y the whole text.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::tui::layout;
use crate::tui::state::{AppState, TextView};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::popup_frame;

/// Draws the view over the body.
pub fn draw(frame: &mut Frame, _body: Rect, state: &AppState, v: &TextView) {
    let theme = &state.theme;
    let area = layout::text_view(state.size);
    let inner = popup_frame(frame, area, &v.title, theme, false);
    let (rows, width) = layout::text_view_room(state.size);
    let wrapped: Vec<Line> = v
        .lines
        .iter()
        .flat_map(|l| {
            let style = theme.style(l.role);
            l.wrapped(width)
                .into_iter()
                .map(move |w| Line::styled(w, style))
        })
        .collect();
    let total = wrapped.len();
    let scroll = v.scroll.min(total.saturating_sub(rows));
    let mut lines: Vec<Line> = wrapped.into_iter().skip(scroll).take(rows).collect();
    lines.resize(rows, Line::raw(""));
    // The keys are in the footer; this line says where in the text the view is.
    let position = if total > rows {
        s::text_position(scroll + 1, (scroll + rows).min(total), total)
    } else {
        String::new()
    };
    lines.push(Line::styled(position, theme.style(Role::Dim)));
    frame.render_widget(Paragraph::new(lines), inner);
}
