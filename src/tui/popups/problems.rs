//! The Problems view: doctor's findings as a list, the selected one in full with what Enter
//! does to fix it (or the whole command, wrapped, when only a shell can).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{fit_height, hint_line};
use crate::ops::doctor::{FixAction, Severity};
use crate::tui::layout::{list_popup_rows, wide_popup_width};
use crate::tui::state::{AppState, ProblemsView};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{Col, ListRow, centered, list_rows, popup_frame, widths, wrap};

const COLS: [Col; 4] = [
    Col::fixed("", 1),
    Col::fixed("SEVERITY", 8),
    Col::flex("FINDING", 16, 1, 20),
    Col::flex("SUBJECT", 14, 2, 0),
];

/// Draws the view.
pub fn draw(frame: &mut Frame, body: Rect, state: &AppState, v: &ProblemsView) {
    let theme = &state.theme;
    let g = theme.glyphs();
    let w = wide_popup_width(body);
    let width = usize::from(w.saturating_sub(2));
    let rows_shown = list_popup_rows(state.size);
    let problems = &state.problems;
    let mut lines: Vec<Line> = Vec::new();
    if problems.is_empty() {
        lines.push(Line::styled(
            format!("{} {}", g.ok, s::NO_PROBLEMS),
            theme.style(Role::Ok),
        ));
        lines.push(hint_line(state, &[("esc", "close")]));
    } else {
        let errors = problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        let summary = format!(
            "{} findings, {errors} errors; enter fixes the selected one (asking first).",
            problems.len()
        );
        lines.extend(
            wrap(&summary, width)
                .into_iter()
                .map(|l| Line::styled(l, theme.style(Role::Dim))),
        );
        let cw = widths(w.saturating_sub(2), &COLS);
        let mut detail: Vec<Line> = Vec::new();
        if let Some(p) = problems.get(v.list.selected) {
            detail.push(Line::raw(""));
            detail.extend(
                wrap(&p.message, width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.style(Role::Normal))),
            );
            let fix = if p.action == FixAction::Command {
                format!("{}: {}", p.action.label(), p.fix)
            } else {
                format!("enter: {}  (or in a shell: {})", p.action.label(), p.fix)
            };
            detail.extend(
                wrap(&fix, width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.style(Role::Key))),
            );
        }
        // The selected finding is read in full: the list gives up rows for it when the
        // screen is short, keeping the selection in view.
        let room = usize::from(body.height).saturating_sub(2 + 2 + lines.len() + detail.len());
        let shown = rows_shown.min(room).max(1);
        let offset = v
            .list
            .offset
            .max((v.list.selected + 1).saturating_sub(shown));
        let rows = problems
            .iter()
            .enumerate()
            .skip(offset)
            .take(shown)
            .map(|(i, p)| {
                let (glyph, role) = match p.severity {
                    Severity::Error => (g.fail, Role::Error),
                    Severity::Warning => (g.warn, Role::Warning),
                    Severity::Info => (g.bullet, Role::Dim),
                };
                ListRow {
                    cells: vec![
                        (glyph.into(), role),
                        (p.severity.as_str().into(), role),
                        (p.code.into(), Role::Normal),
                        (p.subject.as_str().into(), Role::Normal),
                    ],
                    selected: i == v.list.selected,
                }
            });
        lines.extend(list_rows(&COLS, &cw, theme, rows, None));
        let room = usize::from(body.height)
            .saturating_sub(2 + 1 + lines.len())
            .max(1);
        detail.truncate(room);
        lines.extend(detail);
        lines.push(hint_line(
            state,
            &[
                ("j/k", "move"),
                ("enter", s::PROBLEMS_HINT_FIX),
                ("esc", "close"),
            ],
        ));
    }
    let area = centered(body, w, fit_height(body, lines.len()));
    let inner = popup_frame(frame, area, s::PROBLEMS_TITLE, theme, false);
    frame.render_widget(Paragraph::new(lines), inner);
}
