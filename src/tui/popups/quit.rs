//! The question before quitting would drop a staged order or stop watching a running write.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{fit_height, hint_line, popup_width};
use crate::tui::state::AppState;
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{centered, popup_frame, wrap};

/// Draws the question.
pub fn draw(frame: &mut Frame, body: Rect, state: &AppState, staged: bool, writes: &[String]) {
    let theme = &state.theme;
    let w = popup_width(body);
    let width = usize::from(w.saturating_sub(2));
    let mut lines: Vec<Line> = Vec::new();
    let mut say = |text: &str| {
        lines.extend(
            wrap(text, width)
                .into_iter()
                .map(|l| Line::styled(l, theme.style(Role::Warning))),
        );
    };
    if staged {
        say(s::QUIT_STAGED);
    }
    if !writes.is_empty() {
        say(&s::quit_writes(&writes.join(", ")));
    }
    lines.push(Line::raw(""));
    lines.push(hint_line(state, &[("y", "quit"), ("n/esc", "stay")]));
    let area = centered(body, w, fit_height(body, lines.len()));
    let inner = popup_frame(frame, area, s::QUIT_TITLE, theme, true);
    frame.render_widget(Paragraph::new(lines), inner);
}
