//! Information and error boxes, and the notice that the profile API needs a delegated sign-in.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{fit_height, hint_line, popup_width};
use crate::tui::state::{AppState, Message};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::{centered, popup_frame, wrap};

fn boxed(
    frame: &mut Frame,
    body: Rect,
    state: &AppState,
    title: &str,
    text: &[String],
    error: bool,
) {
    let theme = &state.theme;
    let w = popup_width(body);
    let width = usize::from(w.saturating_sub(2));
    let mut lines: Vec<Line> = Vec::new();
    for (i, t) in text.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        let role = if error && i == 0 {
            Role::Error
        } else {
            Role::Normal
        };
        lines.extend(
            wrap(t, width)
                .into_iter()
                .map(|l| Line::styled(l, theme.style(role))),
        );
    }
    lines.push(Line::raw(""));
    lines.push(hint_line(state, &[("enter/esc", "close")]));
    let area = centered(body, w, fit_height(body, lines.len()));
    let inner = popup_frame(frame, area, title, theme, error);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Draws a message.
pub fn draw(frame: &mut Frame, body: Rect, state: &AppState, m: &Message) {
    boxed(frame, body, state, &m.title, &m.lines, m.error);
}

/// Draws the delegated sign-in notice.
pub fn draw_sign_in(frame: &mut Frame, body: Rect, state: &AppState) {
    boxed(
        frame,
        body,
        state,
        s::SIGN_IN_TITLE,
        &s::sign_in_body(),
        false,
    );
}

/// Draws the device-code sign-in: where to go, the code, and that the console is waiting.
pub fn draw_device_code(
    frame: &mut Frame,
    body: Rect,
    state: &AppState,
    p: &crate::auth::device_code::DeviceCodePrompt,
) {
    let theme = &state.theme;
    let w = popup_width(body);
    let width = usize::from(w.saturating_sub(2));
    let mut lines: Vec<Line> = wrap(
        &format!(
            "In a browser, open {} and enter the code:",
            p.verification_uri
        ),
        width,
    )
    .into_iter()
    .map(Line::raw)
    .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("    {}", crate::text::shown(&p.user_code)),
        theme.style(Role::Badge),
    ));
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        ratatui::text::Span::styled(crate::tui::widgets::spinner(state), theme.style(Role::Key)),
        ratatui::text::Span::raw(format!(
            " Waiting for the sign-in (the code expires in {} min)…",
            p.expires_in.div_ceil(60)
        )),
    ]));
    lines.push(hint_line(state, &[("esc", "hide (keeps waiting)")]));
    let area = centered(body, w, fit_height(body, lines.len()));
    let inner = popup_frame(frame, area, s::DEVICE_CODE_TITLE, theme, false);
    frame.render_widget(Paragraph::new(lines), inner);
}
