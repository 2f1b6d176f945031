//! Forms: new connection (id checked as typed, then setup), register, edit source, move to rank.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fit_height, hint_line, popup_width, step_lines};
use crate::text::shown;
use crate::tui::panes::precedence::entry_name;
use crate::tui::state::{
    AppState, EditSourceForm, Form, NewConnectionWizard, RegisterStage, RegisterWizard, SetupStage,
    TextInput,
};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{centered, popup_frame, spinner, truncate, wrap};

/// The end of a field's text when it is wider than the field: the cursor is at the end, so
/// that is the part being typed.
fn tail(text: &str, width: usize, theme: crate::tui::theme::Theme) -> String {
    let shown = crate::text::shown(text);
    if crate::text::width(&shown) <= width {
        return shown.into_owned();
    }
    let ellipsis = theme.glyphs().ellipsis;
    let room = width.saturating_sub(crate::text::width(ellipsis));
    let mut kept: Vec<char> = Vec::new();
    let mut used = 0;
    for c in shown.chars().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        kept.push(c);
    }
    kept.reverse();
    format!("{ellipsis}{}", kept.into_iter().collect::<String>())
}

fn form_lines<'a>(state: &AppState, form: &Form, width: usize, active: bool) -> Vec<Line<'a>> {
    let theme = &state.theme;
    let label_w = form
        .fields
        .iter()
        .map(|f| f.label.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for (i, f) in form.fields.iter().enumerate() {
        let focused = active && i == form.focus;
        let mut spans = vec![
            Span::styled(
                format!("{}{:<label_w$}  ", if focused { ">" } else { " " }, f.label),
                theme.style(if focused { Role::Key } else { Role::Heading }),
            ),
            Span::raw(tail(
                &f.input.text,
                width.saturating_sub(label_w + 5),
                *theme,
            )),
        ];
        if focused {
            spans.push(Span::styled("_", theme.style(Role::Key)));
        }
        lines.push(Line::from(spans));
        let indent = " ".repeat(label_w + 3);
        if let Some(e) = &f.error {
            lines.push(Line::styled(
                truncate(
                    &format!("{indent}{} {e}", theme.glyphs().fail),
                    width,
                    theme,
                ),
                theme.style(Role::Error),
            ));
        } else if let Some(n) = &f.note {
            let ok = n == s::ID_OK;
            lines.push(Line::styled(
                truncate(
                    &format!("{indent}{}{n}", if ok { theme.glyphs().ok } else { "" }),
                    width,
                    theme,
                ),
                theme.style(if ok { Role::Ok } else { Role::Dim }),
            ));
        }
    }
    if let Some(e) = &form.error {
        lines.push(Line::raw(""));
        lines.extend(
            wrap(e, width)
                .into_iter()
                .map(|l| Line::styled(l, theme.style(Role::Error))),
        );
    }
    lines
}

fn show(
    frame: &mut Frame,
    body: Rect,
    state: &AppState,
    title: &str,
    lines: Vec<Line>,
    error: bool,
) {
    let area = centered(body, popup_width(body), fit_height(body, lines.len()));
    let inner = popup_frame(frame, area, title, &state.theme, error);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The new-connection wizard: the form, then `ops::setup` running live, then its report.
pub fn draw_new_connection(
    frame: &mut Frame,
    body: Rect,
    state: &AppState,
    w: &NewConnectionWizard,
) {
    let theme = &state.theme;
    let width = usize::from(popup_width(body).saturating_sub(2));
    let mut lines = Vec::new();
    let mut error = false;
    match &w.stage {
        SetupStage::Editing => {
            lines.push(Line::styled(
                "A people connection (contentCategory people) with its schema.",
                theme.style(Role::Dim),
            ));
            lines.extend(form_lines(state, &w.form, width, true));
            lines.push(Line::raw(""));
            lines.push(hint_line(
                state,
                &[
                    ("tab", "next field"),
                    ("enter", "create"),
                    ("esc", "cancel"),
                ],
            ));
        }
        SetupStage::Running { steps } => {
            for (i, l) in wrap(s::SETUP_RUNNING, width.saturating_sub(2))
                .into_iter()
                .enumerate()
            {
                let lead = if i == 0 { spinner(state) } else { " " };
                lines.push(Line::from(vec![
                    Span::styled(lead, theme.style(Role::Key)),
                    Span::raw(" "),
                    Span::raw(l),
                ]));
            }
            lines.extend(step_lines(state, steps, width));
        }
        SetupStage::Done { steps, error: e } => {
            lines.extend(step_lines(state, steps, width));
            lines.push(Line::raw(""));
            if let Some(e) = e {
                error = true;
                lines.extend(
                    wrap(e, width)
                        .into_iter()
                        .map(|l| Line::styled(l, theme.style(Role::Error))),
                );
                lines.push(Line::styled(
                    "Running the wizard again with the same id and name picks up from here.",
                    theme.style(Role::Dim),
                ));
            } else {
                lines.extend(
                    wrap(s::SETUP_DONE, width)
                        .into_iter()
                        .map(|l| Line::styled(l, theme.style(Role::Ok))),
                );
            }
            lines.push(hint_line(state, &[("enter/esc", "close")]));
        }
    }
    show(frame, body, state, s::NEW_CONNECTION_TITLE, lines, error);
}

/// The register wizard at its current stage.
pub fn draw_register(frame: &mut Frame, body: Rect, state: &AppState, w: &RegisterWizard) {
    let theme = &state.theme;
    let width = usize::from(popup_width(body).saturating_sub(2));
    let mut lines = Vec::new();
    let mut error = false;
    match &w.stage {
        RegisterStage::Editing => {
            lines.extend(form_lines(state, &w.form, width, true));
            lines.push(Line::raw(""));
            lines.push(hint_line(
                state,
                &[("tab", "next field"), ("enter", "check"), ("esc", "cancel")],
            ));
        }
        RegisterStage::Planning => {
            lines.extend(form_lines(state, &w.form, width, false));
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled(spinner(state), theme.style(Role::Key)),
                Span::raw(" Checking the connection, the source and the precedence list…"),
            ]));
        }
        RegisterStage::Review(plan) => {
            lines.push(Line::styled(
                format!(
                    "Register '{}' as \"{}\":",
                    shown(&plan.source_id),
                    shown(&plan.display_name)
                ),
                theme.style(Role::Heading),
            ));
            lines.extend(step_lines(state, &plan.steps, width));
            lines.push(Line::raw(""));
            for w in &plan.warnings {
                lines.extend(
                    wrap(&format!("{} {w}", theme.glyphs().warn), width)
                        .into_iter()
                        .map(|l| Line::styled(l, theme.style(Role::Warning))),
                );
            }
            // The impact first, as for a reorder: who sees a different profile once it counts.
            let impact = plan.impact.as_ref().map_or_else(
                || s::REGISTER_IMPACT_UNKNOWN.to_owned(),
                crate::ops::impact::ImpactSummary::sentence,
            );
            lines.extend(
                wrap(&impact, width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.style(Role::Heading))),
            );
            let mut hints = vec![("y/enter", "register"), ("esc", "back to the form")];
            if plan.impact.is_some() {
                hints.insert(1, ("i", "impact list"));
            }
            lines.push(hint_line(state, &hints));
        }
        RegisterStage::Running => {
            lines.push(Line::from(vec![
                Span::styled(spinner(state), theme.style(Role::Key)),
                Span::raw(" Registering and ranking…"),
            ]));
        }
        RegisterStage::Done(Ok(steps)) => {
            lines.extend(step_lines(state, steps, width));
            lines.push(Line::raw(""));
            lines.push(Line::styled("Registered.", theme.style(Role::Ok)));
            lines.push(hint_line(state, &[("enter/esc", "close")]));
        }
        RegisterStage::Done(Err(e)) => {
            error = true;
            lines.extend(
                wrap(&format!("Registration stopped: {e}"), width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.style(Role::Error))),
            );
            lines.push(Line::styled(
                "Steps that finished stay done; registering again picks up from there.",
                theme.style(Role::Dim),
            ));
            lines.push(hint_line(state, &[("enter/esc", "close")]));
        }
    }
    show(frame, body, state, s::REGISTER_TITLE, lines, error);
}

/// The edit-source form.
pub fn draw_edit_source(frame: &mut Frame, body: Rect, state: &AppState, f: &EditSourceForm) {
    let theme = &state.theme;
    let width = usize::from(popup_width(body).saturating_sub(2));
    let mut lines = vec![Line::styled(
        format!("Profile source '{}'", shown(&f.source_id)),
        theme.style(Role::Dim),
    )];
    lines.extend(form_lines(state, &f.form, width, !f.saving));
    lines.push(Line::raw(""));
    if f.saving {
        lines.push(Line::from(vec![
            Span::styled(spinner(state), theme.style(Role::Key)),
            Span::raw(" Saving…"),
        ]));
    } else {
        lines.push(hint_line(
            state,
            &[("tab", "next field"), ("enter", "save"), ("esc", "cancel")],
        ));
    }
    show(frame, body, state, s::EDIT_TITLE, lines, false);
}

/// The move-to-rank prompt.
pub fn draw_move_to(frame: &mut Frame, body: Rect, state: &AppState, input: &TextInput) {
    let theme = &state.theme;
    let list = state.shown_list();
    let name = list
        .entries()
        .get(state.precedence.list.selected)
        .map(|e| entry_name(state, e))
        .unwrap_or_default();
    let lines = vec![
        Line::raw(format!(
            "Move '{}' to rank (1-{}):",
            shown(&name),
            list.len()
        )),
        Line::from(vec![
            Span::styled("> ", theme.style(Role::Key)),
            Span::raw(shown(&input.text).into_owned()),
            Span::styled("_", theme.style(Role::Key)),
        ]),
        hint_line(state, &[("enter", "stage"), ("esc", "cancel")]),
    ];
    let area = centered(
        body,
        popup_width(body).min(50),
        fit_height(body, lines.len()),
    );
    let inner = popup_frame(frame, area, s::MOVE_TO_TITLE, theme, false);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The sync-from-a-file form.
pub fn draw_sync_file(
    frame: &mut Frame,
    body: Rect,
    state: &AppState,
    connection: &str,
    form: &Form,
) {
    let width = usize::from(popup_width(body).saturating_sub(2));
    let mut lines = vec![Line::styled(
        format!("Sync an HR export into '{}'.", shown(connection)),
        state.theme.style(Role::Dim),
    )];
    lines.extend(form_lines(state, form, width, true));
    lines.push(Line::raw(""));
    lines.push(hint_line(
        state,
        &[("tab", "next field"), ("enter", "start"), ("esc", "cancel")],
    ));
    show(frame, body, state, s::SYNC_TITLE, lines, false);
}

/// A sync's counters and every row error kept, scrollable.
pub fn draw_sync_report(
    frame: &mut Frame,
    body: Rect,
    state: &AppState,
    connection: &str,
    scroll: usize,
) {
    use crate::tui::panes::syncs::{counter_lines, issue_text};
    let theme = &state.theme;
    let w = popup_width(body);
    let width = usize::from(w.saturating_sub(2));
    let Some(run) = state.syncs.runs.get(connection) else {
        return;
    };
    let mut lines = counter_lines(state, run, width);
    let issues: Vec<&crate::sync::Issue> = match &run.report {
        Some(Ok(r)) => r.errors.iter().collect(),
        _ => run.issues.iter().collect(),
    };
    lines.push(Line::raw(""));
    if issues.is_empty() {
        lines.push(Line::styled("No row errors.", theme.style(Role::Ok)));
    } else {
        lines.push(Line::styled(
            format!("Row errors and failed items ({}):", issues.len()),
            theme.style(Role::Heading),
        ));
    }
    let head = lines.len();
    let room = usize::from(body.height.saturating_sub(2)).saturating_sub(head + 1);
    let scroll = scroll.min(issues.len().saturating_sub(room));
    // Each issue wraps; the scroll counts issues, so j/k step through them.
    let mut shown_lines = 0;
    for i in issues.iter().skip(scroll) {
        let wrapped = wrap(&issue_text(i), width);
        if shown_lines + wrapped.len() > room && shown_lines > 0 {
            break;
        }
        shown_lines += wrapped.len();
        lines.extend(
            wrapped
                .into_iter()
                .map(|l| Line::styled(l, theme.style(Role::Warning))),
        );
    }
    lines.push(hint_line(
        state,
        &[("j/k", "scroll"), ("v", "all of it"), ("esc", "close")],
    ));
    let area = centered(body, w, fit_height(body, lines.len()));
    let inner = popup_frame(frame, area, &format!("Sync of {connection}"), theme, false);
    frame.render_widget(Paragraph::new(lines), inner);
}
