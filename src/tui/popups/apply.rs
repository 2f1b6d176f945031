//! Confirming a precedence write, and the conflict shown when Graph's list changed meanwhile.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fit_height, hint_line, popup_width};
use crate::people::precedence::PrecedenceList;
use crate::tui::panes::precedence::{entry_name, impact_text, problem_text};
use crate::tui::state::{AppState, ApplyConfirm, ConflictState, ImpactState, LoadState};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{cell, centered, popup_frame, wrap};

/// Two lists side by side; entries at a different place in `right` than in `left` are marked.
fn side_by_side<'a>(
    state: &AppState,
    left_title: &str,
    left: &PrecedenceList,
    right_title: &str,
    right: &PrecedenceList,
    width: usize,
) -> Vec<Line<'a>> {
    let theme = &state.theme;
    let col = width.saturating_sub(3) / 2;
    let mut lines = vec![Line::from(vec![
        Span::styled(cell(left_title, col, theme), theme.style(Role::Heading)),
        Span::raw(" | "),
        Span::styled(cell(right_title, col, theme), theme.style(Role::Heading)),
    ])];
    let n = left.len().max(right.len());
    for i in 0..n {
        let l = left
            .entries()
            .get(i)
            .map(|e| format!("{}. {}", i + 1, entry_name(state, e)))
            .unwrap_or_default();
        let changed = right.entries().get(i) != left.entries().get(i);
        let r = right
            .entries()
            .get(i)
            .map(|e| {
                format!(
                    "{}{}. {}",
                    if changed { theme.glyphs().staged } else { " " },
                    i + 1,
                    entry_name(state, e)
                )
            })
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::raw(cell(&format!(" {l}"), col, theme)),
            Span::raw(" | "),
            Span::styled(
                cell(&r, col, theme),
                theme.style(if changed { Role::Staged } else { Role::Normal }),
            ),
        ]));
    }
    lines
}

/// "Apply precedence order?"
pub fn draw_confirm(frame: &mut Frame, body: Rect, state: &AppState, c: &ApplyConfirm) {
    let theme = &state.theme;
    let w = popup_width(body);
    let width = usize::from(w.saturating_sub(2));
    // The left column is Graph's list as read when the dialog opened, not the console's copy.
    let (title, now, note) = match &c.now {
        LoadState::Loaded(list) => {
            let list = list.clone().unwrap_or_default();
            let note = (list != c.plan.before).then(|| s::GRAPH_CHANGED.to_owned());
            (s::GRAPH_NOW, list, note)
        }
        LoadState::Failed(e) => (
            "When staged",
            c.plan.before.clone(),
            Some(s::graph_unreadable(e)),
        ),
        LoadState::Loading | LoadState::Idle => (s::GRAPH_NOW_READING, c.plan.before.clone(), None),
    };
    let mut lines = side_by_side(state, title, &now, "After applying", &c.plan.after, width);
    lines.push(Line::raw(""));
    if let Some(note) = note {
        lines.extend(
            wrap(&note, width)
                .into_iter()
                .map(|l| Line::styled(l, theme.style(Role::Error))),
        );
    }
    let impact = match &state.precedence.impact {
        ImpactState::Ready(i) if i.changes.is_empty() => format!("Impact: {}.", impact_text(i)),
        ImpactState::Ready(i) => format!("Impact: {}. i lists who.", impact_text(i)),
        ImpactState::Computing => "Impact: still computing.".to_owned(),
        _ => "Impact: not known yet (source values are still being read).".to_owned(),
    };
    lines.extend(wrap(&impact, width).into_iter().map(Line::raw));
    for p in &c.plan.problems {
        lines.extend(
            wrap(
                &format!("{} {}", theme.glyphs().warn, problem_text(p)),
                width,
            )
            .into_iter()
            .map(|l| Line::styled(l, theme.style(Role::Warning))),
        );
    }
    lines.extend(
        wrap(
            "Graph is read again first; if the list changed meanwhile, nothing is written.",
            width,
        )
        .into_iter()
        .map(|l| Line::styled(l, theme.style(Role::Dim))),
    );
    lines.push(hint_line(
        state,
        &[
            ("y/enter", "apply"),
            ("i", "impact list"),
            ("n/esc", "keep staged"),
        ],
    ));
    let area = centered(body, w, fit_height(body, lines.len()));
    let inner = popup_frame(frame, area, s::APPLY_TITLE, theme, false);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The conflict: both lists, nothing overwritten.
pub fn draw_conflict(frame: &mut Frame, body: Rect, state: &AppState, c: &ConflictState) {
    let theme = &state.theme;
    let w = popup_width(body);
    let width = usize::from(w.saturating_sub(2));
    let mut lines: Vec<Line> = wrap(s::CONFLICT_BODY, width)
        .into_iter()
        .map(|l| Line::styled(l, theme.style(Role::Error)))
        .collect();
    lines.push(Line::raw(""));
    lines.extend(side_by_side(
        state,
        "When you read it",
        &c.expected,
        "Graph holds now",
        &c.actual,
        width,
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled(s::CONFLICT_HINT, theme.style(Role::Key)));
    let area = centered(body, w, fit_height(body, lines.len()));
    let inner = popup_frame(frame, area, s::CONFLICT_TITLE, theme, true);
    frame.render_widget(Paragraph::new(lines), inner);
}
