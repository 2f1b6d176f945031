//! The Syncs pane: start a sync from a connection's configured input, watch it live, cancel it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::sync::Issue;
use crate::text::shown;
use crate::tui::layout::SYNCS_DETAIL_LINES;
use crate::tui::propagation::counts;
use crate::tui::state::{AppState, PropagationState, SyncRun};
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

/// The LIVE column: "295/296" (live of checked) from the last check, or a spinner while one runs.
fn live_cell(state: &AppState, check: Option<&PropagationState>) -> (String, Role) {
    let Some(c) = check else {
        return ("-".to_owned(), Role::Dim);
    };
    match (&c.running, &c.last, &c.error) {
        (Some(_), _, _) => (format!("{} check", spinner(state)), Role::Key),
        (None, _, Some(_)) => ("failed".to_owned(), Role::Error),
        (None, Some(v), None) if v.checked == 0 => ("-".to_owned(), Role::Dim),
        (None, Some(v), None) => {
            let role = if v.dropped > 0 {
                Role::Error
            } else if v.all_live() {
                Role::Ok
            } else {
                Role::Warning
            };
            (format!("{}/{}", v.live, v.checked), role)
        }
        (None, None, None) => ("-".to_owned(), Role::Dim),
    }
}

/// The last propagation check of a connection, as lines: when, how many, the counts, and
/// what to do when the profile API could not be read.
fn check_lines<'a>(state: &AppState, c: &PropagationState, width: usize) -> Vec<Line<'a>> {
    let theme = &state.theme;
    let mut lines = Vec::new();
    let mut say = |text: &str, role: Role| {
        lines.extend(
            widgets::wrap(text, width)
                .into_iter()
                .map(|l| Line::styled(l, theme.style(role))),
        );
    };
    if let Some(all) = c.running {
        let who = if all { "everyone" } else { "a sample" };
        say(
            &format!(
                "{} Is it live yet: checking {who} against the profile API…",
                spinner(state)
            ),
            Role::Key,
        );
    }
    if let Some(v) = c.last.as_ref().filter(|v| v.checked == 0) {
        say(&s::nothing_to_check(&v.connection), Role::Dim);
    } else if let Some(v) = &c.last {
        // The age moves on from when the check was read.
        let since_read = state.clock.now().saturating_sub(c.read_clock);
        let age =
            Duration::from_secs(u64::try_from(v.read_at - v.checked_at).unwrap_or(0)) + since_read;
        let of = if v.ledger > v.checked {
            format!("{} of {} people", v.checked, v.ledger)
        } else {
            format!("{} people", v.checked)
        };
        let role = if v.all_live() {
            Role::Ok
        } else {
            Role::Warning
        };
        say(
            &format!("Is it live yet ({}, {of}): {}", ago(age), counts(v)),
            role,
        );
        if v.resent > 0 {
            say(
                &format!("{} sent again since: check again to see them", v.resent),
                Role::Dim,
            );
        }
        if v.needs_delegated {
            say(s::CHECK_NEEDS_DELEGATED, Role::Warning);
        }
    }
    if let Some(e) = &c.error {
        say(&format!("Propagation check failed: {e}"), Role::Error);
    }
    lines
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
                {
                    let (text, role) = live_cell(state, state.syncs.checks.get(id));
                    (text.into(), role)
                },
            ],
            selected: n == state.syncs.list.selected,
        })
    });
    let lines = table.lines(theme, rows, empty);
    let (list_area, detail) = widgets::split_detail(inner, SYNCS_DETAIL_LINES);
    frame.render_widget(Paragraph::new(lines), list_area);
    panel(frame, detail, state, ids.get(state.syncs.list.selected));
}

fn panel(frame: &mut Frame, area: Rect, state: &AppState, id: Option<&String>) {
    let theme = &state.theme;
    let width = usize::from(area.width);
    let mut lines = vec![widgets::rule(theme, width)];
    let run = id.and_then(|id| state.syncs.runs.get(id));
    let check = id
        .and_then(|id| state.syncs.checks.get(id))
        .filter(|c| c.last.is_some() || c.running.is_some() || c.error.is_some());
    if let Some(run) = run {
        lines.extend(counter_lines(state, run, width));
    }
    // What reached profiles comes before row errors: it is what the admin came to ask.
    if let Some(c) = check {
        lines.extend(check_lines(state, c, width));
    }
    if let Some(run) = run {
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
        if check.is_none() {
            lines.push(Line::styled(
                "Only changed people are sent; rows that break the rules are reported with their line.",
                theme.style(Role::Dim),
            ));
        }
    }
    if id.is_some() {
        lines.push(Line::styled(s::CHECK_HINT, theme.style(Role::Dim)));
    }
    lines.truncate(usize::from(area.height));
    // Hints and notes wrap at narrow widths rather than lose their ends.
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
