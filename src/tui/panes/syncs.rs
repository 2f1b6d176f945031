//! The Syncs pane: start a sync from a connection's configured input, watch it live, cancel it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::sync::Issue;
use crate::text::shown;
use crate::tui::layout::DETAIL_LINES;
use crate::tui::state::{AppState, SyncRun};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use std::time::Duration;

use crate::tui::action::PaneId;
use crate::tui::clock::{ago, took};
use crate::tui::widgets::{
    self, ListRow, load_placeholder, pane_block, pane_table, spinner, truncate,
};

/// The status column of a run: when it started, how long it took, and its result.
fn run_status(state: &AppState, run: &SyncRun) -> (String, Role) {
    let now = state.clock.now();
    let started = ago(now.saturating_sub(run.started));
    let (result, role) = match &run.report {
        None if run.cancelling => (format!("{} stopping", spinner(state)), Role::Warning),
        None => {
            let rate = run
                .progress
                .as_ref()
                .filter(|p| p.rate > 0.0)
                .map(|p| format!(" {:.0}/s", p.rate))
                .unwrap_or_default();
            (
                format!(
                    "{} {}{rate} · {}",
                    spinner(state),
                    run.phase.label(),
                    took(now.saturating_sub(run.started))
                ),
                Role::Key,
            )
        }
        Some(Ok(r)) => {
            let (what, role) = if r.cancelled {
                ("stopped".to_owned(), Role::Warning)
            } else if r.failed > 0 {
                (format!("{} failed", r.failed), Role::Error)
            } else {
                (
                    format!("done: {} sent, {} rejected", r.put, r.invalid + r.unmatched),
                    Role::Ok,
                )
            };
            let took_text = took(Duration::from_secs_f64(r.seconds.max(0.0)));
            (format!("{started} · {took_text} · {what}"), role)
        }
        Some(Err(_)) => {
            let took_text = run
                .ended
                .map(|e| format!(" · {}", took(e.saturating_sub(run.started))))
                .unwrap_or_default();
            (format!("{started}{took_text} · error"), Role::Error)
        }
    };
    (result, role)
}

/// "line 59 (Email): missing".
pub fn issue_text(i: &Issue) -> String {
    format!("{}: {}", shown(&s::issue_at(i)), shown(&i.reason))
}

/// The counters of a run, as lines.
pub fn counter_lines<'a>(state: &AppState, run: &SyncRun, width: usize) -> Vec<Line<'a>> {
    let theme = &state.theme;
    let mut lines = Vec::new();
    // The file name: the full path is in the config, and temp paths would only add noise.
    let input = run.input.file_name().map_or_else(
        || run.input.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    let (phase, role) = run_status(state, run);
    lines.push(Line::from(vec![
        Span::styled(format!("{phase}  "), theme.style(role)),
        Span::styled(
            truncate(&input, width.saturating_sub(phase.len() + 2), theme),
            theme.style(Role::Dim),
        ),
    ]));
    let counts = match (&run.report, &run.progress) {
        (Some(Ok(r)), _) => Some((
            r.rows,
            r.valid,
            r.invalid,
            r.unmatched,
            r.put,
            r.unchanged,
            r.deleted,
            r.throttled,
        )),
        (_, Some(p)) => {
            let c = &p.counts;
            Some((
                c.rows,
                c.valid,
                c.invalid,
                c.unmatched,
                c.put,
                c.unchanged,
                c.deleted,
                c.throttled,
            ))
        }
        _ => None,
    };
    if let Some((rows, valid, invalid, unmatched, put, unchanged, deleted, throttled)) = counts {
        let text = format!(
            "rows {rows} · valid {valid} · invalid {invalid} · unmatched {unmatched} · sent {put} · unchanged {unchanged} · deleted {deleted} · throttled {throttled}"
        );
        lines.extend(
            crate::tui::widgets::wrap(&text, width)
                .into_iter()
                .map(Line::raw),
        );
    }
    if let Some(Ok(r)) = &run.report {
        if r.deletes_held > 0 {
            let text = format!(
                "kept {} people no readable row names: fix the unreadable rows, then sync again",
                r.deletes_held
            );
            lines.extend(
                crate::tui::widgets::wrap(&text, width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.style(Role::Warning))),
            );
        }
    }
    if let (None, Some(p)) = (&run.report, &run.progress) {
        let eta = p
            .eta_seconds
            .map_or_else(|| "ETA -".to_owned(), |e| format!("ETA {e:.0}s"));
        lines.push(Line::styled(
            format!(
                "{:.1} items/s · {eta} · {} in flight · {:.0}s elapsed",
                p.rate, p.concurrency, p.elapsed_seconds
            ),
            theme.style(Role::Dim),
        ));
    }
    if let Some(Err(e)) = &run.report {
        lines.extend(
            crate::tui::widgets::wrap(e, width)
                .into_iter()
                .map(|l| Line::styled(l, theme.style(Role::Error))),
        );
    }
    lines
}

/// Draws the pane.
pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let theme = &state.theme;
    let b = pane_block(state, area.width, format!(" {} ", s::PANE_TITLES[4]));
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if load_placeholder(frame, inner, state, &state.snapshot, s::LOADING_TENANT) {
        return;
    }
    let Some(snap) = state.snap() else { return };
    let table = pane_table(state, PaneId::Syncs, inner.width);
    let ids = state.sync_connections();
    let empty = ids
        .is_empty()
        .then_some("No people connection is ready to sync into.");
    let rows = ids.iter().enumerate().filter_map(|(n, id)| {
        let c = snap.connection(id)?;
        let input = state.info.sync_inputs.get(id).map_or_else(
            || "none configured (f: choose a file)".to_owned(),
            |i| {
                i.input.file_name().map_or_else(
                    || i.input.display().to_string(),
                    |f| f.to_string_lossy().into_owned(),
                )
            },
        );
        let input_role = if state.info.sync_inputs.contains_key(id) {
            Role::Normal
        } else {
            Role::Dim
        };
        let (last, last_role) = state
            .syncs
            .runs
            .get(id)
            .map_or(("-".to_owned(), Role::Dim), |r| run_status(state, r));
        Some(ListRow {
            cells: vec![
                (id.as_str().into(), Role::Normal),
                (c.connection.name.as_str().into(), Role::Normal),
                (input.into(), input_role),
                (last.into(), last_role),
                (
                    c.connection
                        .ingested_items_count
                        .map_or("-".to_owned(), |n| n.to_string())
                        .into(),
                    Role::Normal,
                ),
            ],
            selected: n == state.syncs.list.selected,
        })
    });
    let lines = table.lines(theme, rows, empty);
    let (list_area, detail) = widgets::split_detail(inner, DETAIL_LINES);
    frame.render_widget(Paragraph::new(lines), list_area);
    panel(frame, detail, state, ids.get(state.syncs.list.selected));
}

fn panel(frame: &mut Frame, area: Rect, state: &AppState, id: Option<&String>) {
    let theme = &state.theme;
    let width = usize::from(area.width);
    let mut lines = vec![widgets::rule(theme, width)];
    if let Some(run) = id.and_then(|id| state.syncs.runs.get(id)) {
        lines.extend(counter_lines(state, run, width));
        for i in run.issues.iter().take(2) {
            lines.push(Line::styled(issue_text(i), theme.style(Role::Warning)));
        }
        if run.issues.len() > 2 {
            lines.push(Line::styled(
                s::more_issues(run.issues.len() - 2),
                theme.style(Role::Dim),
            ));
        }
        lines.push(Line::styled(
            if run.report.is_none() {
                "c: cancel   enter: row errors so far   keep browsing, it runs in the background"
            } else {
                "enter: report and row errors   s: sync again"
            },
            theme.style(Role::Dim),
        ));
    } else {
        lines.push(Line::styled(
            "s: sync from the configured input   f: choose a file",
            theme.style(Role::Dim),
        ));
        lines.push(Line::styled(
            "Only changed people are sent; rows that break the rules are reported with their line.",
            theme.style(Role::Dim),
        ));
    }
    lines.truncate(usize::from(area.height));
    // Hints and notes wrap at narrow widths rather than lose their ends.
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
