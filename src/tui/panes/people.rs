//! The People pane: incremental search over every user and one person's explained profile.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::filter_line;
use crate::text::shown;
use crate::tui::profile::ActualProfile;
use crate::tui::state::{AppState, LoadState, ProfileState};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{
    Col, ListRow, block, heading, list_rows, load_placeholder, row, spinner, truncate, widths,
};

const COLS: [Col; 4] = [
    Col::flex("NAME", 16, 2, 32),
    Col::flex("UPN", 18, 3, 44),
    Col::flex("TITLE", 12, 2, 40),
    Col::flex("DEPARTMENT", 10, 1, 0),
];

/// Draws the pane.
pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    if let Some(profile) = &state.people.profile {
        return draw_profile(frame, area, state, profile);
    }
    let theme = &state.theme;
    let pp = &state.people;
    let b = block(theme, format!(" {} ", s::PANE_TITLES[3]));
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
    let w = widths(inner.width, &COLS);
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
    let mut lines = list_rows(&COLS, &w, theme, rows, None);
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
    Col::flex("VALUE", 26, 3, 60),
    Col::flex("SOURCE", 20, 1, 30),
    Col::flex("RULE", 15, 1, 0),
];

fn draw_profile(frame: &mut Frame, area: Rect, state: &AppState, profile: &ProfileState) {
    let theme = &state.theme;
    let b = block(
        theme,
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
    let mut lines = vec![
        Line::styled(
            truncate(
                &format!("Sources: {}", view.sources.join(", ")),
                width,
                theme,
            ),
            theme.style(Role::Dim),
        ),
        Line::styled(truncate(&note, width, theme), theme.style(role)),
    ];
    let w = widths(inner.width, &PROFILE_COLS);
    lines.push(heading(&PROFILE_COLS, &w, theme));
    let mut body = Vec::new();
    let g = theme.glyphs();
    for r in &view.rows {
        let value_role = if r.value == "\"\"" {
            Role::Warning
        } else {
            Role::Normal
        };
        body.push(row(
            vec![
                (r.label.clone(), theme.style(Role::Heading)),
                (r.value.clone(), theme.style(value_role)),
                (r.source.clone(), theme.style(Role::Normal)),
                (s::rule_text(r.rule).to_owned(), theme.style(Role::Dim)),
            ],
            &w,
            theme,
        ));
        let indent = w[0] + 1;
        for other in &r.others {
            // "Entra ID: Engineering" beside a winner of "Engineering" is worth saying: the
            // sources agree, so the ranking makes no difference here.
            let same = other.split_once(": ").is_some_and(|(_, v)| v == r.value);
            body.push(Line::styled(
                truncate(
                    &format!(
                        "{}{} {other}{}",
                        " ".repeat(indent),
                        g.bullet,
                        if same { " (same)" } else { "" }
                    ),
                    width,
                    theme,
                ),
                theme.style(Role::Dim),
            ));
        }
        if let (true, Some(actual)) = (r.mismatch(), &r.actual) {
            body.push(Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(
                    truncate(
                        &format!("{} Microsoft 365 shows: {actual}", g.fail),
                        width.saturating_sub(indent),
                        theme,
                    ),
                    theme.style(Role::Error),
                ),
            ]));
        }
    }
    if view.rows.is_empty() {
        body.push(Line::styled(
            "No source has data for this person.",
            theme.style(Role::Dim),
        ));
    }
    let room = usize::from(inner.height).saturating_sub(lines.len());
    let scroll = profile.scroll.min(body.len().saturating_sub(room));
    lines.extend(body.into_iter().skip(scroll).take(room));
    frame.render_widget(Paragraph::new(lines), inner);
}
