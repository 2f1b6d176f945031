//! The removal wizard: review the plan, type the id, watch the steps run, read the report.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fit_height, hint_line, popup_width, step_lines};
use crate::ops::StepStatus;
use crate::ops::remove::Scope;
use crate::tui::state::{AppState, RemovalStep, RemovalWizard};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{centered, popup_frame, spinner, wrap};

/// Draws the wizard's current step.
pub fn draw(frame: &mut Frame, body: Rect, state: &AppState, w: &RemovalWizard) {
    let theme = &state.theme;
    let pw = popup_width(body);
    let width = usize::from(pw.saturating_sub(2));
    let source_only = w.scope == Scope::SourceOnly;
    let in_scope = |steps: &[crate::ops::StepReport]| -> Vec<crate::ops::StepReport> {
        if source_only {
            steps.iter().take(2).cloned().collect()
        } else {
            steps.to_vec()
        }
    };
    let mut error = false;
    let mut lines: Vec<Line> = Vec::new();
    match &w.step {
        RemovalStep::Planning => {
            lines.push(Line::from(vec![
                Span::styled(spinner(state), theme.style(Role::Key)),
                Span::raw(format!(" {}", s::REMOVAL_PLANNING)),
            ]));
            lines.push(hint_line(state, &[("esc", "cancel")]));
        }
        RemovalStep::PlanFailed(e) => {
            error = true;
            lines.extend(
                wrap(&format!("Could not read what exists: {e}"), width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.style(Role::Error))),
            );
            lines.push(hint_line(state, &[("r", "retry"), ("esc", "close")]));
        }
        RemovalStep::Review(plan) => {
            lines.push(Line::styled(
                "What exists now, and what each step will do:",
                theme.style(Role::Heading),
            ));
            lines.extend(step_lines(state, &in_scope(&plan.steps), width));
            lines.push(Line::raw(""));
            let consequence = if source_only {
                format!(
                    "Profiles stop showing data from '{}'; the connection and its items stay.",
                    w.id
                )
            } else {
                format!(
                    "Profiles stop showing data from '{}', and its items are deleted with the connection.",
                    w.id
                )
            };
            lines.extend(wrap(&consequence, width).into_iter().map(Line::raw));
            if let Some(impact) = &plan.impact {
                let text = impact.sentence();
                lines.extend(
                    wrap(&text, width)
                        .into_iter()
                        .map(|l| Line::styled(l, theme.style(Role::Heading))),
                );
            }
            lines.push(Line::styled(
                "The steps run in this order, so precedence never names a deleted source.",
                theme.style(Role::Dim),
            ));
            let nothing = in_scope(&plan.steps)
                .iter()
                .all(|s| s.status == StepStatus::AlreadyDone);
            lines.push(Line::styled(
                if state.info.read_only {
                    s::REMOVAL_READ_ONLY_HINT
                } else if nothing {
                    "enter: see the report   esc: close"
                } else if plan.impact.as_ref().is_some_and(|i| !i.changes.is_empty()) {
                    s::REMOVAL_REVIEW_HINT_IMPACT
                } else {
                    s::REMOVAL_REVIEW_HINT
                },
                theme.style(Role::Key),
            ));
        }
        RemovalStep::TypeId { plan, typed } => {
            lines.extend(step_lines(state, &in_scope(&plan.steps), width));
            lines.push(Line::raw(""));
            lines.extend(
                wrap(&s::removal_type_id(&w.id), width)
                    .into_iter()
                    .map(Line::raw),
            );
            let matches = typed.text == w.id;
            lines.push(Line::from(vec![
                Span::styled("> ", theme.style(Role::Key)),
                Span::styled(
                    crate::text::shown(&typed.text).into_owned(),
                    theme.style(if matches { Role::Ok } else { Role::Normal }),
                ),
                Span::styled("_", theme.style(Role::Key)),
            ]));
        }
        RemovalStep::Running { steps } => {
            lines.push(Line::from(vec![
                Span::styled(spinner(state), theme.style(Role::Key)),
                Span::raw(" Removing…"),
            ]));
            lines.extend(step_lines(state, steps, width));
        }
        RemovalStep::Report { steps, error: e } => {
            lines.extend(step_lines(state, steps, width));
            lines.push(Line::raw(""));
            if let Some(e) = e {
                error = true;
                lines.extend(
                    wrap(e, width)
                        .into_iter()
                        .map(|l| Line::styled(l, theme.style(Role::Error))),
                );
                lines.extend(
                    wrap(s::REMOVAL_FAILED_HINT, width)
                        .into_iter()
                        .map(|l| Line::styled(l, theme.style(Role::Key))),
                );
            } else {
                let all_already = steps.iter().all(|s| s.status == StepStatus::AlreadyDone);
                lines.push(Line::styled(
                    if all_already {
                        s::REMOVAL_NOTHING
                    } else {
                        s::REMOVAL_DONE
                    },
                    theme.style(Role::Ok),
                ));
                lines.push(hint_line(state, &[("enter/esc", "close")]));
            }
        }
    }
    let area = centered(body, pw, fit_height(body, lines.len()));
    let inner = popup_frame(
        frame,
        area,
        &s::removal_title(&w.id, source_only),
        theme,
        error,
    );
    frame.render_widget(Paragraph::new(lines), inner);
}
