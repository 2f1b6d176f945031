//! Boxes drawn over the panes: help, palette, messages, confirmations, wizards and forms.

pub mod apply;
pub mod forms;
pub mod help;
pub mod impact;
pub mod message;
pub mod palette;
pub mod problems;
pub mod propagation;
pub mod quit;
pub mod removal;
pub mod text;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

// Popup geometry lives in `layout`; the popups reach it through here.
pub(crate) use super::layout::{fit_height, popup_width};
use super::state::{AppState, Popup};
use super::theme::Role;
use crate::ops::{StepReport, StepStatus};

/// Draws one popup over `body`.
pub fn draw(frame: &mut Frame, body: Rect, state: &AppState, popup: &Popup) {
    match popup {
        Popup::Help { scroll } => help::draw(frame, body, state, *scroll),
        Popup::Text(v) => text::draw(frame, body, state, v),
        Popup::Palette(p) => palette::draw(frame, body, state, p),
        Popup::Message(m) => message::draw(frame, body, state, m),
        Popup::SignInNeeded => message::draw_sign_in(frame, body, state),
        Popup::DeviceCode(p) => message::draw_device_code(frame, body, state, p),
        Popup::SyncFile { connection, form } => {
            forms::draw_sync_file(frame, body, state, connection, form);
        }
        Popup::SyncReport { connection, scroll } => {
            forms::draw_sync_report(frame, body, state, connection, *scroll);
        }
        Popup::ConfirmApply(c) => apply::draw_confirm(frame, body, state, c),
        Popup::Conflict(c) => apply::draw_conflict(frame, body, state, c),
        Popup::MoveTo(input) => forms::draw_move_to(frame, body, state, input),
        Popup::Removal(w) => removal::draw(frame, body, state, w),
        Popup::NewConnection(f) => forms::draw_new_connection(frame, body, state, f),
        Popup::Register(w) => forms::draw_register(frame, body, state, w),
        Popup::EditSource(f) => forms::draw_edit_source(frame, body, state, f),
        Popup::Problems(v) => problems::draw(frame, body, state, v),
        Popup::ImpactList(l) => impact::draw(frame, body, state, l),
        Popup::Propagation(l) => propagation::draw(frame, body, state, l),
        Popup::ConfirmQuit { staged, writes } => quit::draw(frame, body, state, *staged, writes),
    }
}

/// A key hint line: `key desc   key desc`.
pub(crate) fn hint_line<'a>(state: &AppState, pairs: &[(&str, &str)]) -> Line<'a> {
    let theme = &state.theme;
    let mut spans = Vec::new();
    for (i, (k, d)) in pairs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("   "));
        }
        spans.push(Span::styled((*k).to_owned(), theme.style(Role::Key)));
        spans.push(Span::raw(format!(" {d}")));
    }
    Line::from(spans)
}

/// Step lines of a workflow with a status glyph each.
pub(crate) fn step_lines<'a>(
    state: &AppState,
    steps: &[StepReport],
    width: usize,
) -> Vec<Line<'a>> {
    let theme = &state.theme;
    let g = theme.glyphs();
    let mut out = Vec::new();
    for (n, st) in steps.iter().enumerate() {
        let (glyph, role) = match st.status {
            StepStatus::Planned => (g.bullet, Role::Normal),
            StepStatus::Running => (super::widgets::spinner(state), Role::Key),
            StepStatus::Done => (g.ok, Role::Ok),
            StepStatus::AlreadyDone => (g.ok, Role::Dim),
            StepStatus::Failed => (g.fail, Role::Error),
        };
        let head = format!(
            "{glyph} {}. {:<16} {:<12} ",
            n + 1,
            crate::vocab::step_name(&st.step),
            st.status
        );
        let room = width.saturating_sub(crate::text::width(&head));
        let detail = super::widgets::wrap(&st.detail, room.max(10));
        for (i, d) in detail.into_iter().enumerate() {
            if i == 0 {
                out.push(Line::from(vec![
                    Span::styled(head.clone(), theme.style(role)),
                    Span::styled(
                        d,
                        theme.style(if role == Role::Error {
                            Role::Error
                        } else {
                            Role::Normal
                        }),
                    ),
                ]));
            } else if !d.is_empty() {
                out.push(Line::styled(
                    format!("{}{d}", " ".repeat(width - room)),
                    theme.style(Role::Normal),
                ));
            }
        }
    }
    out
}
