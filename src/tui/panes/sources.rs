//! The Profile sources pane: source id, name, kind, web URL, rank, built-in and orphan flags.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::problem_lines;
use crate::text::shown;
use crate::tui::action::PaneId;
use crate::tui::layout::DETAIL_LINES;
use crate::tui::state::AppState;
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{self, ListRow, load_placeholder, pane_block, pane_table, wrap};

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
            shown(&c.filter.input.text),
            if c.filter.editing { "_" } else { "" }
        )
    };
    let b = pane_block(state, area.width, title);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if load_placeholder(frame, inner, state, &state.snapshot, s::LOADING_TENANT) {
        return;
    }
    let table = pane_table(state, PaneId::Sources, inner.width);
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
    let lines = table.lines(theme, rows, empty);
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
        Line::styled(
            shown(r.display_name.as_deref().unwrap_or(&r.source_id)).into_owned(),
            theme.style(Role::Heading),
        ),
    ];
    // The id whole, however long (a GUID is the point of this line).
    let facts = format!(
        "sourceId {} · web URL {} · rank {}",
        r.source_id,
        r.web_url.as_deref().unwrap_or("none"),
        r.rank
            .map_or("none (not in the precedence list)".to_owned(), |n| n
                .to_string())
    );
    lines.extend(wrap(&facts, width).into_iter().map(Line::raw));
    if r.orphan {
        lines.extend(
            wrap(
                &format!(
                    "{} orphan: no connection '{}' exists; the source feeds nothing.",
                    theme.glyphs().fail,
                    r.source_id
                ),
                width,
            )
            .into_iter()
            .map(|l| Line::styled(l, theme.style(Role::Error))),
        );
    }
    if r.built_in {
        lines.extend(
            wrap(
                "built-in: managed by Microsoft 365; it can be ranked, not edited or removed.",
                width,
            )
            .into_iter()
            .map(|l| Line::styled(l, theme.style(Role::Dim))),
        );
    }
    lines.extend(
        problem_lines(state, &r.source_id, width, false)
            .into_iter()
            .filter(|_| !r.orphan),
    );
    let max = usize::from(area.height);
    if lines.len() > max {
        lines.truncate(max.saturating_sub(1));
        lines.push(Line::styled(
            format!("{} {}", theme.glyphs().ellipsis, s::MORE_WITH_V),
            theme.style(Role::Dim),
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
