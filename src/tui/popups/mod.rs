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

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

// Popup geometry lives in `layout`; the popups reach it through here.
pub(crate) use super::layout::{fit_height, popup_width};
use super::layout::{list_popup_rows, wide_popup_width};
use super::state::{AppState, Cursor, Popup};
use super::theme::Role;
use super::widgets::{Col, ListRow, centered, list_rows, popup_frame, widths, wrap};
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

/// What a list popup shows (the impact list, who is not live): a summary, the rows windowed at
/// the cursor, the selected row whole under them (as much as fits), and its keys.
pub(crate) struct ListPopup<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub cols: &'a [Col],
    pub cursor: Cursor,
    /// Shown when there are no rows.
    pub empty: Option<&'static str>,
    /// The selected row in full: each text wrapped to the width, in its role.
    pub detail: Vec<(String, Role)>,
}

/// Draws a list popup of `len` rows over `body`; `cells` makes a row's cells, asked only for
/// the rows the cursor's window shows.
pub(crate) fn list_popup<'t>(
    frame: &mut Frame,
    body: Rect,
    state: &AppState,
    p: &ListPopup<'_>,
    len: usize,
    cells: impl Fn(usize) -> Vec<(Cow<'t, str>, Role)>,
) {
    let theme = &state.theme;
    let w = wide_popup_width(body);
    let width = usize::from(w.saturating_sub(2));
    let mut lines: Vec<Line> = wrap(p.summary, width)
        .into_iter()
        .map(|t| Line::styled(t, theme.style(Role::Dim)))
        .collect();
    let cw = widths(w.saturating_sub(2), p.cols);
    let rows = (p.cursor.offset..len)
        .take(list_popup_rows(state.size))
        .map(|i| ListRow {
            cells: cells(i),
            selected: i == p.cursor.selected,
        });
    lines.extend(list_rows(p.cols, &cw, theme, rows, p.empty));
    let mut detail: Vec<Line> = Vec::new();
    if !p.detail.is_empty() {
        detail.push(Line::raw(""));
    }
    for (text, role) in &p.detail {
        detail.extend(
            wrap(text, width)
                .into_iter()
                .map(|t| Line::styled(t, theme.style(*role))),
        );
    }
    // What does not fit under the list is cut: the list and the keys come first.
    let room = usize::from(body.height)
        .saturating_sub(2 + 1 + lines.len())
        .max(1);
    detail.truncate(room);
    lines.extend(detail);
    lines.push(hint_line(
        state,
        &[("j/k", "move"), ("enter", "open profile"), ("esc", "close")],
    ));
    let area = centered(body, w, fit_height(body, lines.len()));
    let inner = popup_frame(frame, area, p.title, theme, false);
    frame.render_widget(Paragraph::new(lines), inner);
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
