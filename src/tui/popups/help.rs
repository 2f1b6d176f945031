//! The help popup, generated from the keymap so it never drifts from the keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::keymap::Section;
use crate::tui::state::AppState;
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{centered, popup_frame, truncate, wrap};

fn section_title(section: Section) -> &'static str {
    match section {
        Section::Global => "Everywhere",
        Section::Connections => "Connections",
        Section::Sources => "Profile sources",
        Section::Precedence => "Precedence",
        Section::People => "People",
        Section::Syncs => "Syncs",
        Section::Goto => "After g (go to)",
        Section::View => "In the full-text view (v)",
        Section::Popup => "In popups",
        Section::Input => "While typing (other characters are typed)",
    }
}

/// Every binding of every section, as help shows them.
pub fn help_lines<'a>(state: &AppState, width: usize) -> Vec<Line<'a>> {
    let theme = &state.theme;
    let mut lines = Vec::new();
    for section in Section::ALL {
        let bindings = state.keymap.section(section);
        if bindings.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(
            section_title(section),
            theme.style(Role::Heading),
        ));
        for b in bindings {
            let keys = truncate(&b.keys_label(), 16, theme);
            // Descriptions wrap under themselves: every word of the keymap is readable.
            for (i, d) in wrap(&b.desc, width.saturating_sub(19).max(8))
                .into_iter()
                .enumerate()
            {
                let lead = if i == 0 {
                    format!("  {keys:<16} ")
                } else {
                    " ".repeat(19)
                };
                lines.push(Line::from(vec![
                    Span::styled(lead, theme.style(Role::Key)),
                    Span::raw(d),
                ]));
            }
        }
    }
    lines
}

/// Draws the popup, scrolled by `scroll` lines.
pub fn draw(frame: &mut Frame, body: Rect, state: &AppState, scroll: usize) {
    let w = body.width.saturating_sub(4).min(72);
    let area = centered(body, w, body.height);
    let inner = popup_frame(frame, area, s::HELP_TITLE, &state.theme, false);
    let lines = help_lines(state, usize::from(inner.width));
    let room = usize::from(inner.height).saturating_sub(1);
    let scroll = scroll.min(lines.len().saturating_sub(room));
    let mut shown: Vec<Line> = lines.into_iter().skip(scroll).take(room).collect();
    shown.push(Line::styled(
        "j/k scroll   v all of it   esc close   keymap.toml in the config dir overrides",
        state.theme.style(Role::Dim),
    ));
    frame.render_widget(Paragraph::new(shown), inner);
}
