//! The frame: header, tabs, the shown pane, footer hints, popups on top. Drawn from `&AppState`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::action::{Action, PaneId};
use super::keymap::Section;
use super::state::{AppState, LoadState};
use super::strings as s;
use super::theme::Role;
use super::widgets::{spinner, truncate};
use super::{focus, layout, panes, popups};
use crate::auth::claims;
use crate::text::{self, shown};

/// Draws the whole console, then scrubs the frame so no unsafe character can reach the
/// terminal (see `widgets::scrub`).
pub fn draw(frame: &mut Frame, state: &AppState) {
    draw_unscrubbed(frame, state);
    super::widgets::scrub(frame.buffer_mut());
}

/// Draws the whole console without the last guard: each draw function sanitises its own data,
/// and the hostile-data tests check that they do by drawing through this.
pub fn draw_unscrubbed(frame: &mut Frame, state: &AppState) {
    let area = frame.area();
    if layout::too_small(area) {
        frame.render_widget(Paragraph::new("peoplectl: the terminal is too small"), area);
        return;
    }
    let regions = layout::regions(area);
    header(frame, state, regions.header);
    tabs(frame, state, regions.tabs);
    let body = regions.body;
    match state.pane {
        PaneId::Connections => panes::connections::draw(frame, body, state),
        PaneId::Sources => panes::sources::draw(frame, body, state),
        PaneId::Precedence => panes::precedence::draw(frame, body, state),
        PaneId::People => panes::people::draw(frame, body, state),
        PaneId::Syncs => panes::syncs::draw(frame, body, state),
    }
    footer(frame, state, regions.footer);
    for popup in &state.popups {
        popups::draw(frame, body, state, popup);
    }
}

fn header(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let base = theme.style(Role::Header);
    let sep = format!(" {} ", theme.glyphs().sep);
    let who = match &state.identity {
        LoadState::Loaded(info) => {
            let (who, kind) = claims::who_and_how(info.as_ref());
            format!("{who} ({kind})")
        }
        LoadState::Failed(_) => "not signed in".to_owned(),
        _ => s::SIGNING_IN.to_owned(),
    };
    // Right side: badge and jobs; the left side gets what is left.
    let mut right: Vec<Span> = Vec::new();
    if let Some(job) = state.jobs.first() {
        let more = if state.jobs.len() > 1 {
            format!(" +{}", state.jobs.len() - 1)
        } else {
            String::new()
        };
        right.push(Span::styled(
            format!("{} {}{more} ", spinner(state), shown(&job.label)),
            base,
        ));
        // Graph, not the console, is what is slow: say so, and why, in a few words.
        if let Some(r) = &state.retrying {
            let why = truncate(&r.reason, 28, theme);
            right.push(Span::styled(
                format!("{} {} ({why}) ", s::RETRY, r.tries + 1),
                base.patch(theme.style(Role::Warning)),
            ));
        }
    }
    if state.info.read_only {
        right.push(Span::styled(s::READ_ONLY_BADGE, theme.style(Role::Badge)));
    }
    let right_w: usize = right.iter().map(|s| s.content.width()).sum();
    // The left side is sanitised by `truncate` below.
    let tenant = if state.info.demo {
        format!("{} ({})", state.info.tenant, s::DEMO)
    } else {
        state.info.tenant.clone()
    };
    let left = format!(
        " {}{sep}{tenant}{sep}{who}{sep}{}",
        s::APP,
        state.info.graph_host
    );
    let room = usize::from(area.width).saturating_sub(right_w + 1);
    let left = truncate(&left, room, theme);
    let pad = usize::from(area.width).saturating_sub(left.width() + right_w);
    let mut spans = vec![
        Span::styled(left, base.add_modifier(ratatui::style::Modifier::BOLD)),
        Span::styled(" ".repeat(pad), base),
    ];
    spans.extend(right);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

fn tabs(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let staged = state
        .precedence
        .staged
        .as_ref()
        .is_some_and(super::state::Staged::changed);
    let spans: Vec<Span> = PaneId::ALL
        .iter()
        .map(|&p| {
            let label = layout::tab_label(p, p == PaneId::Precedence && staged);
            let role = if p == state.pane {
                Role::TabActive
            } else {
                Role::Tab
            };
            Span::styled(label, theme.style(role))
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The footer: a status line when there is one, else key hints for where the focus is.
fn footer(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let width = usize::from(area.width);
    if let Some(st) = &state.status {
        let style = if st.error {
            theme.style(Role::Error)
        } else {
            theme.style(Role::Normal)
        };
        let text = truncate(&format!(" {}", st.text), width, theme);
        frame.render_widget(Paragraph::new(Line::styled(text, style)), area);
        return;
    }
    let sections = focus::sections(state);
    // Hints as (key, desc); the last section's (global: help, quit) are kept at the end and
    // always fit, the pane's fill the room before them.
    let mut groups: Vec<Vec<(String, &str)>> = Vec::new();
    // A key the pane binds hides the global binding of the same key.
    let mut seen: Vec<String> = Vec::new();
    for section in &sections {
        let mut g = Vec::new();
        for b in state.keymap.section(*section) {
            let Some(hint) = b.hint.as_deref() else {
                continue;
            };
            // A filter is one field: no "next field" there.
            let form_only = matches!(b.action, Action::NextField | Action::PrevField);
            if form_only && state.popups.is_empty() {
                continue;
            }
            if let (true, Some(p)) = (*section == Section::Popup, state.popups.last()) {
                if !focus::popup_accepts(p, &b.action) {
                    continue;
                }
            }
            let key = b.keys.first().map(ToString::to_string).unwrap_or_default();
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            g.push((key, hint));
        }
        groups.push(g);
    }
    // Keys and hints come from the keymap file: shown and measured through the sanitiser.
    let hint_w = |(k, d): &(String, &str)| text::width(k) + 1 + text::width(d) + 2;
    let tail: Vec<(String, &str)> = if groups.len() > 1 {
        groups.pop().unwrap_or_default()
    } else {
        Vec::new()
    };
    let tail_w: usize = tail.iter().map(hint_w).sum();
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1 + tail_w;
    for h in groups.into_iter().flatten() {
        let w = hint_w(&h);
        if used + w > width {
            break;
        }
        used += w;
        spans.push(Span::styled(
            shown(&h.0).into_owned(),
            theme.style(Role::Key),
        ));
        spans.push(Span::raw(format!(" {}  ", shown(h.1))));
    }
    for h in tail {
        spans.push(Span::styled(
            shown(&h.0).into_owned(),
            theme.style(Role::Key),
        ));
        spans.push(Span::raw(format!(" {}  ", shown(h.1))));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
