//! The Connections pane: contract, state, schema, registration, rank and problems; Enter shows the schema.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::problem_lines;
use crate::ops::doctor::Severity;
use crate::ops::snapshot::ConnectionView;
use crate::text::shown;
use crate::tui::action::PaneId;
use crate::tui::layout::DETAIL_LINES;
use crate::tui::state::AppState;
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{
    self, Col, ListRow, heading, load_placeholder, pane_block, pane_table, row, widths, wrap,
};
use crate::vocab;

/// The schema column: whether the connection can take items, in the vocabulary's word.
pub fn schema_status(view: &ConnectionView) -> (&'static str, Role) {
    let word = crate::tui::columns::schema_word(view);
    let role = match word {
        vocab::SCHEMA_INVALID | vocab::SCHEMA_MISSING => Role::Error,
        vocab::SCHEMA_READY => Role::Ok,
        vocab::SCHEMA_UNREADABLE => Role::Warning,
        _ => Role::Dim,
    };
    (word, role)
}

fn problems_cell(state: &AppState, id: &str) -> (String, Role) {
    let g = state.theme.glyphs();
    let mine: Vec<_> = state
        .problems
        .iter()
        .filter(|p| p.subject.eq_ignore_ascii_case(id))
        .collect();
    let errors = mine
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = mine
        .iter()
        .filter(|p| p.severity == Severity::Warning)
        .count();
    let codes = mine.iter().map(|p| p.code).collect::<Vec<_>>().join(", ");
    match (errors, warnings) {
        (0, 0) if mine.is_empty() => (format!("{} none", g.ok), Role::Ok),
        (0, 0) => (format!("{} {codes}", g.bullet), Role::Dim),
        (0, w) => (format!("{} {w}: {codes}", g.warn), Role::Warning),
        (e, _) => (format!("{} {e}: {codes}", g.fail), Role::Error),
    }
}

/// Draws the pane.
pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = &state.theme;
    let c = &state.connections;
    if let Some(id) = &c.detail {
        return detail(frame, area, state, id);
    }
    let mut title = format!(" {} ", s::PANE_TITLES[0]);
    if let Some(snap) = state.snap() {
        title = if c.filter.input.text.is_empty() && !c.filter.editing {
            format!(" {} ({}) ", s::PANE_TITLES[0], snap.connections.len())
        } else {
            format!(
                " {} ({} of {})  filter: {}{} ",
                s::PANE_TITLES[0],
                c.visible.len(),
                c.rows.len(),
                shown(&c.filter.input.text),
                if c.filter.editing { "_" } else { "" }
            )
        };
    }
    let b = pane_block(state, area.width, title);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if load_placeholder(frame, inner, state, &state.snapshot, s::LOADING_TENANT) {
        return;
    }
    let Some(snap) = state.snap() else { return };
    let table = pane_table(state, PaneId::Connections, inner.width);
    let height = usize::from(inner.height.saturating_sub(1 + DETAIL_LINES)).max(1);
    let empty = c.visible.is_empty().then_some(if c.rows.is_empty() {
        "No connections in this tenant. Press n to create one."
    } else {
        "No connection matches the filter (esc clears it)."
    });
    let rows = c
        .visible
        .iter()
        .enumerate()
        .skip(c.list.offset)
        .take(height)
        .filter_map(|(n, &i)| {
            let r = c.rows.get(i)?;
            let view = snap.connection(&r.id);
            let (schema, schema_role) = view.map_or(("?", Role::Dim), schema_status);
            let (problems, p_role) = problems_cell(state, &r.id);
            let state_role = if r.state == "ready" {
                Role::Normal
            } else {
                Role::Warning
            };
            Some(ListRow {
                cells: vec![
                    (r.id.as_str().into(), Role::Normal),
                    (r.name.as_str().into(), Role::Normal),
                    (vocab::contract_name(r.contract).into(), Role::Normal),
                    (r.state.as_str().into(), state_role),
                    (schema.into(), schema_role),
                    (vocab::yes_no(r.registered).into(), Role::Normal),
                    (
                        r.rank.map_or("-".to_owned(), |n| n.to_string()).into(),
                        Role::Normal,
                    ),
                    (problems.into(), p_role),
                ],
                selected: n == c.list.selected,
            })
        });
    let lines = table.lines(theme, rows, empty);
    let (list_area, detail_area) = widgets::split_detail(inner, DETAIL_LINES);
    frame.render_widget(Paragraph::new(lines), list_area);
    summary(frame, detail_area, state);
}

/// The selected connection in a few lines under the list.
fn summary(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = &state.theme;
    let Some(r) = state.selected_connection() else {
        return;
    };
    let Some(view) = state.snap().and_then(|s| s.connection(&r.id)) else {
        return;
    };
    let width = usize::from(area.width);
    let mut lines = vec![widgets::rule(theme, width)];
    let c = &view.connection;
    let facts = format!(
        "{}: {} · category {} · {} · rank {}",
        c.id,
        c.description
            .as_deref()
            .filter(|d| !d.is_empty())
            .unwrap_or(&c.name),
        c.content_category.as_deref().unwrap_or("none"),
        c.ingested_items_count
            .map_or("items unknown".to_owned(), |n| format!("{n} items")),
        r.rank.map_or("none".to_owned(), |n| n.to_string()),
    );
    lines.extend(
        wrap(&facts, width)
            .into_iter()
            .map(|l| Line::styled(l, theme.style(Role::Normal))),
    );
    let problems = problem_lines(state, &r.id, width, false);
    if problems.is_empty() {
        lines.push(Line::styled(
            format!(
                "{} doctor found no problem with this connection.",
                theme.glyphs().ok
            ),
            theme.style(Role::Ok),
        ));
    } else {
        lines.extend(problems);
    }
    lines.push(Line::styled(
        s::CONNECTION_SUMMARY_HINT,
        theme.style(Role::Dim),
    ));
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

const SCHEMA_COLS: [Col; 3] = [
    Col::flex("PROPERTY", 14, 1, 28),
    Col::fixed("TYPE", 16),
    Col::flex("LABELS", 12, 2, 0),
];

/// The schema and problems of one connection (scrolls with j/k).
fn detail(frame: &mut Frame, area: Rect, state: &AppState, id: &str) {
    let theme = &state.theme;
    let b = pane_block(
        state,
        area.width,
        format!(" Connection {}  (esc: back) ", shown(id)),
    );
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let Some(view) = state.snap().and_then(|s| s.connection(id)) else {
        frame.render_widget(Paragraph::new("This connection no longer exists."), inner);
        return;
    };
    let width = usize::from(inner.width);
    let c = &view.connection;
    let row_ = state.connections.rows.iter().find(|r| r.id == id);
    let (schema, schema_role) = schema_status(view);
    let mut lines = vec![Line::styled(
        shown(&c.name).into_owned(),
        theme.style(Role::Heading),
    )];
    for l in wrap(c.description.as_deref().unwrap_or_default(), width) {
        if !l.is_empty() {
            lines.push(Line::raw(l));
        }
    }
    let facts = format!(
        "state {} · category {} · contract {} · {} · rank {} · {}",
        c.state.as_str(),
        c.content_category.as_deref().unwrap_or("none"),
        crate::vocab::contract_name(view.contract),
        if row_.is_some_and(|r| r.registered) {
            "registered as a profile source"
        } else {
            "not a profile source"
        },
        row_.and_then(|r| r.rank)
            .map_or("none".to_owned(), |n| n.to_string()),
        c.ingested_items_count
            .map_or("items unknown".to_owned(), |n| format!("{n} items")),
    );
    lines.extend(wrap(&facts, width).into_iter().map(Line::raw));
    lines.push(Line::from(vec![
        Span::raw("schema: "),
        Span::styled(schema, theme.style(schema_role)),
    ]));
    lines.push(Line::raw(""));
    match (&view.schema, &view.schema_error) {
        (Some(schema), _) => {
            let w = widths(inner.width, &SCHEMA_COLS);
            lines.push(heading(&SCHEMA_COLS, &w, theme));
            for p in &schema.properties {
                let labels = if p.labels.is_empty() {
                    "(custom)".to_owned()
                } else {
                    p.labels.join(", ")
                };
                lines.push(row(
                    vec![
                        (p.name.clone(), theme.style(Role::Normal)),
                        (p.kind.clone(), theme.style(Role::Dim)),
                        (
                            labels,
                            theme.style(if p.labels.is_empty() {
                                Role::Dim
                            } else {
                                Role::Normal
                            }),
                        ),
                    ],
                    &w,
                    theme,
                ));
            }
            for problem in &view.schema_problems {
                lines.push(Line::styled(
                    format!("{} {}", theme.glyphs().fail, shown(problem)),
                    theme.style(Role::Error),
                ));
            }
        }
        (None, Some(e)) => lines.push(Line::styled(
            format!("The schema could not be read: {}", shown(e)),
            theme.style(Role::Warning),
        )),
        (None, None)
            if view.operations.last().is_some_and(|op| {
                op.status == crate::graph::connections::OperationStatus::Inprogress
            }) =>
        {
            lines.push(Line::styled(
                "Its schema is being registered (the operation is in progress); it takes items once ready.",
                theme.style(Role::Warning),
            ));
        }
        (None, None) => lines.push(Line::styled(
            "No schema is registered, so the connection cannot take items.",
            theme.style(Role::Warning),
        )),
    }
    if let Some(e) = &view.failed_operation {
        lines.extend(
            wrap(
                &format!(
                    "{} The schema operation failed: {}",
                    theme.glyphs().fail,
                    e.summary()
                ),
                width,
            )
            .into_iter()
            .map(|l| Line::styled(l, theme.style(Role::Error))),
        );
    }
    lines.push(Line::raw(""));
    let problems = problem_lines(state, id, width, true);
    if problems.is_empty() {
        lines.push(Line::styled(
            format!(
                "{} doctor found no problem with this connection.",
                theme.glyphs().ok
            ),
            theme.style(Role::Ok),
        ));
    } else {
        lines.push(Line::styled("Problems", theme.style(Role::Heading)));
        lines.extend(problems);
    }
    // Long descriptions, errors and fixes wrap; j/k scroll the wrapped text.
    let scroll = state
        .connections
        .detail_scroll
        .min(lines.len().saturating_sub(1));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        inner,
    );
}
