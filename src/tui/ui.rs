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
use crate::text;

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
    let (who, kind) = match &state.identity {
        LoadState::Loaded(info) => {
            let (who, kind) = claims::who_and_how(info.as_ref());
            (who.to_owned(), format!(" ({kind})"))
        }
        LoadState::Failed(_) => ("not signed in".to_owned(), String::new()),
        _ => (s::SIGNING_IN.to_owned(), String::new()),
    };
    let width = usize::from(area.width);
    // Right side: badge and jobs; the left side gets what is left.
    let mut right: Vec<Span> = Vec::new();
    if let Some(job) = state.jobs.first() {
        let more = if state.jobs.len() > 1 {
            format!(" +{}", state.jobs.len() - 1)
        } else {
            String::new()
        };
        let label = truncate(&job.label, (width / 3).max(8), theme);
        right.push(Span::styled(
            format!("{} {label}{more} ", spinner(state)),
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
    let tenant = if state.info.demo {
        format!("{} ({})", state.info.tenant, s::DEMO)
    } else {
        state.info.tenant.clone()
    };
    let host = &state.info.graph_host;
    let room = width.saturating_sub(right_w + 1);
    // From everything to the tenant alone: the first that fits is drawn; `i` shows it all.
    let candidates = [
        format!(" {}{sep}{tenant}{sep}{who}{kind}{sep}{host}", s::APP),
        format!(" {tenant}{sep}{who}{kind}{sep}{host}"),
        format!(" {tenant}{sep}{who}{sep}{host}"),
        format!(" {tenant}{sep}{host}"),
        format!(" {tenant}"),
    ];
    let left = candidates
        .iter()
        .find(|c| text::width(c) <= room)
        .map_or_else(
            || truncate(&candidates[4], room, theme),
            |c| text::shown(c).into_owned(),
        );
    let pad = width.saturating_sub(left.width() + right_w);
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

/// The footer: a status line when there is one (cut ones say where to read them whole),
/// else key hints for where the focus is.
fn footer(frame: &mut Frame, state: &AppState, area: Rect) {
    let theme = &state.theme;
    let width = usize::from(area.width);
    if let Some(st) = state.status.as_ref().filter(|_| !state.goto_pending) {
        let style = if st.error {
            theme.style(Role::Error)
        } else {
            theme.style(Role::Normal)
        };
        let full = format!(" {}", st.text);
        let line = if text::width(&full) <= width {
            Line::styled(truncate(&full, width, theme), style)
        } else {
            let key = state
                .keymap
                .key_for(Section::Global, |a| matches!(a, Action::Messages))
                .map(|k| k.to_string());
            match key {
                Some(k) => {
                    let more = format!(" {k}: all");
                    let room = width.saturating_sub(text::width(&more));
                    Line::from(vec![
                        Span::styled(truncate(&full, room, theme), style),
                        Span::styled(text::shown(&more).into_owned(), theme.style(Role::Key)),
                    ])
                }
                None => Line::styled(truncate(&full, width, theme), style),
            }
        };
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let hints = footer_hints(state, width);
    let mut spans = vec![Span::raw(" ")];
    for (k, d) in hints {
        spans.push(Span::styled(
            text::shown(&k).into_owned(),
            theme.style(Role::Key),
        ));
        spans.push(Span::raw(format!(" {}  ", text::shown(&d))));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The footer's hints at `width`: where the focus is, as (key, word). When not all fit, the
/// pane's own (write) actions are kept first, then "open", then the global keys, and the help
/// key says there is more.
pub fn footer_hints(state: &AppState, width: usize) -> Vec<(String, String)> {
    let sections = focus::sections(state);
    // (key, hint, priority): lower is kept first.
    let mut all: Vec<(String, String, u8)> = Vec::new();
    // A key the pane binds hides the global binding of the same key.
    let mut seen: Vec<String> = Vec::new();
    let pane_section = !state.goto_pending && state.popups.is_empty() && !focus::typing(state);
    for section in &sections {
        for b in state.keymap.section(*section) {
            let Some(hint) = b.hint.as_deref() else {
                continue;
            };
            // A filter is one field: no "next field" there.
            let form_only = matches!(b.action, Action::NextField | Action::PrevField);
            if form_only && state.popups.is_empty() {
                continue;
            }
            if let (true, Some(p)) = (
                matches!(*section, Section::Popup | Section::View),
                state.popups.last(),
            ) {
                if !focus::popup_accepts(p, &b.action) {
                    continue;
                }
            }
            let key = b.keys.first().map(ToString::to_string).unwrap_or_default();
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            let priority = if !pane_section {
                0
            } else if *section == Section::Global {
                if matches!(b.action, Action::Help) {
                    0
                } else {
                    3
                }
            } else if matches!(b.action, Action::Select) {
                2
            } else {
                1
            };
            all.push((key, hint.to_owned(), priority));
        }
    }
    let hint_w = |k: &str, d: &str| text::width(k) + 1 + text::width(d) + 2;
    let total: usize = 1 + all.iter().map(|(k, d, _)| hint_w(k, d)).sum::<usize>();
    if total <= width || !pane_section {
        // Popups and fields keep their order and stop where the line ends.
        let mut used = 1;
        let mut out = Vec::new();
        for (k, d, _) in all {
            let w = hint_w(&k, &d);
            if used + w > width {
                break;
            }
            used += w;
            out.push((k, d));
        }
        return out;
    }
    // Too many: keep by priority, in the keymap's order; help becomes "more".
    let mut keep = vec![false; all.len()];
    let mut used = 1;
    for p in 0..=3 {
        for (i, (k, d, prio)) in all.iter().enumerate() {
            let d = if matches!(*prio, 0) {
                s::MORE
            } else {
                d.as_str()
            };
            if *prio == p && used + hint_w(k, d) <= width {
                used += hint_w(k, d);
                keep[i] = true;
            }
        }
    }
    all.into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|((k, d, prio), _)| (k, if prio == 0 { s::MORE.to_owned() } else { d }))
        .collect()
}
