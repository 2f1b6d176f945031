//! The Syncs pane. The sync engine is not in this build: the pane says so plainly and lists
//! the people connections with the sync input configured for each.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::tui::state::AppState;
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{Col, block, heading, load_placeholder, row, widths};

const COLS: [Col; 4] = [
    Col::fixed("CONNECTION", 14),
    Col::flex("NAME", 14, 2, 36),
    Col::flex("CONFIGURED INPUT", 16, 3, 0),
    Col::fixed("ITEMS", 6),
];

/// Draws the pane.
pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = &state.theme;
    let b = block(theme, format!(" {} ", s::PANE_TITLES[4]));
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let banner = vec![
        Line::styled(
            format!(
                "{} The sync engine is not in this build: syncs cannot be started here yet.",
                theme.glyphs().warn
            ),
            theme.style(Role::Warning),
        ),
        Line::styled(
            "Nothing runs in the background. People connections and their inputs:",
            theme.style(Role::Dim),
        ),
    ];
    let banner_area = Rect { height: 3, ..inner };
    frame.render_widget(
        Paragraph::new(banner).wrap(Wrap { trim: false }),
        banner_area,
    );
    let list_area = Rect {
        y: inner.y + 3,
        height: inner.height.saturating_sub(3),
        ..inner
    };
    if load_placeholder(frame, list_area, state, &state.snapshot, s::LOADING_TENANT) {
        return;
    }
    let Some(snap) = state.snap() else { return };
    let w = widths(inner.width, &COLS);
    let mut lines = vec![heading(&COLS, &w, theme)];
    let people: Vec<_> = snap.connections.iter().filter(|c| c.is_people()).collect();
    for (n, c) in people.iter().enumerate() {
        let id = &c.connection.id;
        let input = state.info.sync_inputs.get(id).map_or_else(
            || "none configured".to_owned(),
            |i| i.input.display().to_string(),
        );
        let sel = n == state.syncs.list.selected;
        let st = |r: Role| {
            let base = theme.style(r);
            if sel {
                base.patch(theme.style(Role::Selected))
            } else {
                base
            }
        };
        lines.push(row(
            vec![
                (id.clone(), st(Role::Normal)),
                (c.connection.name.clone(), st(Role::Normal)),
                (
                    input,
                    st(if state.info.sync_inputs.contains_key(id) {
                        Role::Normal
                    } else {
                        Role::Dim
                    }),
                ),
                (
                    c.connection
                        .ingested_items_count
                        .map_or("-".to_owned(), |n| n.to_string()),
                    st(Role::Normal),
                ),
            ],
            &w,
            theme,
        ));
    }
    frame.render_widget(Paragraph::new(lines), list_area);
}
