//! One file per pane, each a free `draw` function over the immutable state.

pub mod connections;
pub mod people;
pub mod precedence;
pub mod sources;
pub mod syncs;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::state::{AppState, Filter};
use super::theme::Role;

/// The filter line of a list pane: what is typed and whether keys go to it.
pub(crate) fn filter_line(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    label: &str,
    filter: &Filter,
    count: &str,
) {
    let theme = &state.theme;
    let mut spans = vec![Span::styled(format!("{label}: "), theme.style(Role::Key))];
    spans.push(Span::raw(
        crate::text::shown(&filter.input.text).into_owned(),
    ));
    if filter.editing {
        spans.push(Span::styled("_", theme.style(Role::Key)));
    }
    spans.push(Span::styled(
        format!("  {}", crate::text::shown(count)),
        theme.style(Role::Dim),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Problems found by doctor about one subject, as wrapped lines with a severity glyph.
pub(crate) fn problem_lines<'a>(
    state: &AppState,
    subject: &str,
    width: usize,
    with_fix: bool,
) -> Vec<Line<'a>> {
    let theme = &state.theme;
    let g = theme.glyphs();
    let mut out = Vec::new();
    for p in state
        .problems
        .iter()
        .filter(|p| p.subject.eq_ignore_ascii_case(subject))
    {
        let (glyph, role) = match p.severity {
            crate::ops::doctor::Severity::Error => (g.fail, Role::Error),
            crate::ops::doctor::Severity::Warning => (g.warn, Role::Warning),
            crate::ops::doctor::Severity::Info => (g.bullet, Role::Dim),
        };
        for (i, l) in super::widgets::wrap(&p.message, width.saturating_sub(2))
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 {
                format!("{glyph} ")
            } else {
                "  ".to_owned()
            };
            out.push(Line::from(vec![
                Span::styled(lead, theme.style(role)),
                Span::styled(l, theme.style(role)),
            ]));
        }
        if with_fix {
            out.extend(
                super::widgets::wrap(&format!("fix: {}", p.fix), width.saturating_sub(2))
                    .into_iter()
                    .map(|l| Line::styled(format!("  {l}"), theme.style(Role::Dim))),
            );
        }
    }
    out
}
