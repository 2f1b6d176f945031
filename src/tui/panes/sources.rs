//! The Profile sources pane: source id, name, kind, web URL, rank, built-in and orphan flags.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::problem_lines;
use crate::text::shown;
use crate::tui::layout::DETAIL_LINES;
use crate::tui::state::AppState;
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{
    self, Col, ListRow, block, list_rows, load_placeholder, truncate, widths,
};

const COLS: [Col; 6] = [
    Col::flex("SOURCE ID", 13, 1, 36),
    Col::flex("NAME", 14, 2, 36),
    Col::fixed("KIND", 9),
    Col::flex("WEB URL", 12, 2, 0),
    Col::fixed("RANK", 4),
    Col::fixed("FLAGS", 8),
];

/// Draws the pane.
pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = &state.theme;
    let c = &state.sources;
    let title = if c.filter.input.text.is_empty() && !c.filter.editing {
        format!(" {} ({}) ", s::PANE_TITLES[1], c.rows.len())
    } else {
        format!(
            " {} ({} of {})  filter: {}{} ",
            s::PANE_TITLES[1],
            c.visible.len(),
            c.rows.len(),
            c.filter.input.text,
            if c.filter.editing { "_" } else { "" }
        )
    };
    let b = block(theme, title);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if load_placeholder(frame, inner, state, &state.snapshot, s::LOADING_TENANT) {
        return;
    }
    let w = widths(inner.width, &COLS);
    let height = usize::from(inner.height.saturating_sub(1 + DETAIL_LINES)).max(1);
    let empty = c.visible.is_empty().then_some(if c.rows.is_empty() {
        "No profile sources. Press R to register a connection."
    } else {
        "No source matches the filter (esc clears it)."
    });
    let rows = c
        .visible
        .iter()
        .enumerate()
        .skip(c.list.offset)
        .take(height)
        .filter_map(|(n, &i)| {
            let r = c.rows.get(i)?;
            let (flags, role) = if r.orphan {
                ("orphan", Role::Error)
            } else if r.built_in {
                ("built-in", Role::Dim)
            } else {
                ("", Role::Normal)
            };
            Some(ListRow {
                cells: vec![
                    (r.source_id.as_str().into(), Role::Normal),
                    (
                        r.display_name.as_deref().unwrap_or_default().into(),
                        Role::Normal,
                    ),
                    (r.kind.as_deref().unwrap_or_default().into(), Role::Dim),
                    (
                        r.web_url.as_deref().unwrap_or_default().into(),
                        Role::Normal,
                    ),
                    (
                        r.rank.map_or("-".to_owned(), |n| n.to_string()).into(),
                        Role::Normal,
                    ),
                    (flags.into(), role),
                ],
                selected: n == c.list.selected,
            })
        });
    let lines = list_rows(&COLS, &w, theme, rows, empty);
    let (list_area, detail) = widgets::split_detail(inner, DETAIL_LINES);
    frame.render_widget(Paragraph::new(lines), list_area);
    summary(frame, detail, state);
}

fn summary(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = &state.theme;
    let Some(r) = state.selected_source() else {
        return;
    };
    let width = usize::from(area.width);
    let mut lines = vec![
        widgets::rule(theme, width),
        Line::from(vec![
            Span::styled(
                shown(r.display_name.as_deref().unwrap_or(&r.source_id)),
                theme.style(Role::Heading),
            ),
            Span::raw(format!("  sourceId {}", shown(&r.source_id))),
        ]),
        Line::raw(truncate(
            &format!(
                "web URL {} · rank {}",
                r.web_url.as_deref().unwrap_or("none"),
                r.rank
                    .map_or("none (not in the precedence list)".to_owned(), |n| n
                        .to_string())
            ),
            width,
            theme,
        )),
    ];
    if r.orphan {
        lines.push(Line::styled(
            truncate(
                &format!(
                    "{} orphan: no connection '{}' exists; the source feeds nothing.",
                    theme.glyphs().fail,
                    r.source_id
                ),
                width,
                theme,
            ),
            theme.style(Role::Error),
        ));
    }
    if r.built_in {
        lines.push(Line::styled(
            "built-in: managed by Microsoft 365; it can be ranked, not edited or removed.",
            theme.style(Role::Dim),
        ));
    }
    lines.extend(
        problem_lines(state, &r.source_id, width, false)
            .into_iter()
            .filter(|_| !r.orphan),
    );
    lines.truncate(usize::from(area.height));
    frame.render_widget(Paragraph::new(lines), area);
}
