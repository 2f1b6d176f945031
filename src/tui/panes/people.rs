//! The People pane: incremental search over every user and one person's explained profile.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::filter_line;
use crate::text::shown;
use crate::tui::action::PaneId;
use crate::tui::profile::{ActualProfile, ExplainRow};
use crate::tui::propagation::provenance_text;
use crate::tui::state::{AppState, LoadState, ProfileState};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{
    Col, ListRow, heading, load_placeholder, pane_block, pane_table, row, spinner, truncate,
    widths, wrap,
};

/// Draws the pane.
pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    if let Some(profile) = &state.people.profile {
        return draw_profile(frame, area, state, profile);
    }
    let theme = &state.theme;
    let pp = &state.people;
    let b = pane_block(state, area.width, format!(" {} ", s::PANE_TITLES[3]));
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let total = pp.index.len();
    let count = match &pp.users {
        LoadState::Loading => format!("{} loading users: {total} so far", spinner(state)),
        LoadState::Failed(e) => format!("listing users failed after {total}: {}", shown(e)),
        _ if pp.index.query().is_empty() => format!("{total} people"),
        _ => format!("{} of {total} people", pp.index.match_count()),
    };
    filter_line(
        frame,
        Rect { height: 1, ..inner },
        state,
        "Search (/)",
        &pp.search,
        &count,
    );
    let list_area = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };
    if total == 0 {
        if let LoadState::Failed(e) = &pp.users {
            let failed: LoadState<()> = LoadState::Failed(e.clone());
            load_placeholder(frame, list_area, state, &failed, "");
        }
        return;
    }
    let table = pane_table(state, PaneId::People, inner.width);
    let height = usize::from(list_area.height.saturating_sub(1)).max(1);
    // Only the visible window is built: the work per frame does not grow with the tenant.
    let end = (pp.list.offset + height).min(pp.index.match_count());
    let rows = (pp.list.offset..end)
        .map_while(|n| pp.index.matched(n).map(|u| (n, u)))
        .map(|(n, u)| ListRow {
            cells: vec![
                (u.name().into(), Role::Normal),
                (Cow::Borrowed(&*u.user_principal_name), Role::Normal),
                (u.job_title.as_deref().unwrap_or_default().into(), Role::Dim),
                (
                    u.department.as_deref().unwrap_or_default().into(),
                    Role::Dim,
                ),
            ],
            selected: n == pp.list.selected,
        });
    let mut lines = table.lines(theme, rows, None);
    if pp.index.match_count() == 0 {
        lines.push(Line::styled(
            "Nobody matches. esc clears the search.",
            theme.style(Role::Dim),
        ));
    }
    frame.render_widget(Paragraph::new(lines), list_area);
}

const PROFILE_COLS: [Col; 4] = [
    Col::flex("PROPERTY", 14, 1, 22),
    Col::flex("VALUE", 24, 3, 60),
    Col::flex("SOURCE", 20, 1, 30),
    Col::flex("RULE", 17, 1, 0),
];

/// The label column of the stacked layout.
const STACKED_LABEL: usize = 14;

/// Below this width the profile stacks each property (value, then source and rule under it)
/// instead of dropping columns.
fn stacked(width: u16) -> bool {
    let needed: u16 = PROFILE_COLS.iter().map(|c| c.min).sum::<u16>() + 3;
    width < needed
}

fn draw_profile(frame: &mut Frame, area: Rect, state: &AppState, profile: &ProfileState) {
    let theme = &state.theme;
    let b = pane_block(
        state,
        area.width,
        format!(
            " {} <{}>  (esc: back) ",
            shown(&profile.name),
            shown(&profile.upn)
        ),
    );
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if load_placeholder(
        frame,
        inner,
        state,
        &profile.view,
        "Reading Entra ID and each connector's item for this person…",
    ) {
        return;
    }
    let Some(view) = profile.view.loaded() else {
        return;
    };
    let width = usize::from(inner.width);
    let (note, role) = match &view.actual {
        ActualProfile::Compared => (s::PROFILE_NOTE_COMPARED.to_owned(), Role::Dim),
        ActualProfile::NeedsDelegated => (s::PROFILE_NOTE_COMPUTED.to_owned(), Role::Warning),
        ActualProfile::Failed(e) => (
            format!("actual profile unreadable: {}", shown(e)),
            Role::Warning,
        ),
    };
    let mut lines: Vec<Line> = Vec::new();
    for (text, role) in [
        (format!("Sources: {}", view.sources.join(", ")), Role::Dim),
        (note, role),
    ] {
        let mut wrapped = wrap(&text, width);
        if wrapped.len() > 2 {
            wrapped.truncate(2);
            wrapped[1] = truncate(
                &format!("{}{}", wrapped[1], theme.glyphs().ellipsis),
                width,
                theme,
            );
        }
        lines.extend(
            wrapped
                .into_iter()
                .map(|l| Line::styled(l, theme.style(role))),
        );
    }
    // Where each connector's values came from and whether they show yet (the sync ledger).
    if let Some(found) = profile.provenance.loaded() {
        for p in found {
            let (text, role) = provenance_text(p);
            let mut wrapped = wrap(&format!("{}: {text}", p.connection), width);
            if wrapped.len() > 2 {
                wrapped.truncate(2);
                wrapped[1] = truncate(
                    &format!("{}{}", wrapped[1], theme.glyphs().ellipsis),
                    width,
                    theme,
                );
            }
            lines.extend(
                wrapped
                    .into_iter()
                    .map(|l| Line::styled(l, theme.style(role))),
            );
        }
    }
    let narrow = stacked(inner.width);
    let w = widths(inner.width, &PROFILE_COLS);
    if narrow {
        lines.push(Line::styled(
            truncate(s::PROFILE_STACKED_HEADING, width, theme),
            theme.style(Role::Heading),
        ));
    } else {
        lines.push(heading(&PROFILE_COLS, &w, theme));
    }
    let room = usize::from(inner.height).saturating_sub(lines.len());
    if view.rows.is_empty() {
        lines.push(Line::styled(
            "No source has data for this person.",
            theme.style(Role::Dim),
        ));
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let entry = |i: usize| -> Vec<Line<'static>> {
        let r = &view.rows[i];
        let selected = i == profile.cursor.selected;
        if narrow {
            stacked_entry(state, r, width, selected)
        } else {
            table_entry(state, r, &w, selected)
        }
    };
    // Start where the cursor's window starts, then move on until the selected entry fits.
    let selected = profile.cursor.selected.min(view.rows.len() - 1);
    let mut start = profile.cursor.offset.min(selected);
    let heights: Vec<usize> = (start..=selected).map(|i| entry(i).len()).collect();
    let mut used: usize = heights.iter().sum();
    let mut k = 0;
    while used > room && start < selected {
        used -= heights[k];
        k += 1;
        start += 1;
    }
    let mut body = Vec::new();
    for i in start..view.rows.len() {
        if body.len() >= room {
            break;
        }
        body.extend(entry(i));
    }
    body.truncate(room);
    lines.extend(body);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The lines of one property in the table layout: each cell wrapped in its column, then the
/// values other sources had and, when Microsoft 365 shows another value, that value.
fn table_entry(
    state: &AppState,
    r: &ExplainRow,
    w: &[usize],
    selected: bool,
) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let g = theme.glyphs();
    let sel = |st: Style| {
        if selected {
            st.patch(theme.style(Role::Selected))
        } else {
            st
        }
    };
    let value_role = if r.value.starts_with("\"\"") {
        Role::Warning
    } else {
        Role::Normal
    };
    let label = if r.first_of_property() {
        r.label.as_str()
    } else {
        ""
    };
    let rule = if r.first_of_property() {
        crate::vocab::rule_name(r.rule)
    } else {
        ""
    };
    let cols: [(Vec<String>, Role); 4] = [
        (wrap(label, w[0]), Role::Heading),
        (wrap(&r.value, w[1]), value_role),
        (wrap(&r.source, w[2]), Role::Normal),
        (wrap(rule, w[3]), Role::Dim),
    ];
    let height = cols.iter().map(|(c, _)| c.len()).max().unwrap_or(1);
    let mut out = Vec::with_capacity(height + r.others.len() + 1);
    for n in 0..height {
        let cells = cols
            .iter()
            .map(|(c, role)| {
                (
                    c.get(n).cloned().unwrap_or_default(),
                    sel(theme.style(*role)),
                )
            })
            .collect();
        out.push(row(cells, w, theme));
    }
    let indent = w[0] + 1;
    let width: usize = w.iter().sum::<usize>() + w.len() - 1;
    others(state, r, indent, width, &mut out);
    if let (true, Some(actual)) = (r.mismatch(), &r.actual) {
        for l in wrap(
            &format!("{} Microsoft 365 shows: {actual}", g.fail),
            width.saturating_sub(indent),
        ) {
            out.push(Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(l, theme.style(Role::Error)),
            ]));
        }
    }
    out
}

/// The values the other sources had, under a single-valued property.
fn others(
    state: &AppState,
    r: &ExplainRow,
    indent: usize,
    width: usize,
    out: &mut Vec<Line<'static>>,
) {
    let theme = &state.theme;
    let g = theme.glyphs();
    for other in &r.others {
        // "Entra ID: Engineering" beside a winner of "Engineering" is worth saying: the
        // sources agree, so the ranking makes no difference here.
        let same = other.split_once(": ").is_some_and(|(_, v)| v == r.value);
        let text = format!("{} {other}{}", g.bullet, if same { " (same)" } else { "" });
        for l in wrap(&text, width.saturating_sub(indent).max(1)) {
            out.push(Line::styled(
                format!("{}{l}", " ".repeat(indent)),
                theme.style(Role::Dim),
            ));
        }
    }
}

/// The lines of one property stacked for a narrow terminal: the label and the value (wrapped
/// beside it), then "from <source> · <rule>" under the value.
fn stacked_entry(
    state: &AppState,
    r: &ExplainRow,
    width: usize,
    selected: bool,
) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let g = theme.glyphs();
    let sel = |st: Style| {
        if selected {
            st.patch(theme.style(Role::Selected))
        } else {
            st
        }
    };
    let mut out = Vec::new();
    let indent = STACKED_LABEL.min(width / 3);
    let room = width.saturating_sub(indent).max(1);
    // A label longer than its column gets a line of its own (wrapped), never an ellipsis.
    let label = if !r.first_of_property() {
        " ".repeat(indent.saturating_sub(1))
    } else if crate::text::width(&r.label) < indent {
        crate::text::fit_padded(&r.label, indent.saturating_sub(1), g.ellipsis)
    } else {
        for l in wrap(&r.label, width) {
            out.push(Line::styled(l, sel(theme.style(Role::Heading))));
        }
        " ".repeat(indent.saturating_sub(1))
    };
    let value_role = if r.value.starts_with("\"\"") {
        Role::Warning
    } else {
        Role::Normal
    };
    for (i, l) in wrap(&r.value, room).into_iter().enumerate() {
        let lead = if i == 0 {
            Span::styled(format!("{label} "), sel(theme.style(Role::Heading)))
        } else {
            Span::raw(" ".repeat(indent))
        };
        out.push(Line::from(vec![
            lead,
            Span::styled(l, sel(theme.style(value_role))),
        ]));
    }
    let from = if r.first_of_property() {
        format!("from {} · {}", r.source, crate::vocab::rule_name(r.rule))
    } else {
        format!("from {}", r.source)
    };
    for l in wrap(&from, room) {
        out.push(Line::styled(
            format!("{}{l}", " ".repeat(indent)),
            theme.style(Role::Dim),
        ));
    }
    others(state, r, indent, width, &mut out);
    if let (true, Some(actual)) = (r.mismatch(), &r.actual) {
        for l in wrap(
            &format!("{} Microsoft 365 shows: {actual}", g.fail),
            width.saturating_sub(indent).max(1),
        ) {
            out.push(Line::styled(
                format!("{}{l}", " ".repeat(indent)),
                theme.style(Role::Error),
            ));
        }
    }
    out
}
