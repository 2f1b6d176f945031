//! Syncs from the console: start from the configured input or a typed file, follow, cancel, report.

use std::path::PathBuf;

use super::{PopupOutcome, job, message, status, writable};
use crate::sync::{Phase, SyncEvent, SyncOptions, SyncReport};
use crate::tui::action::Action;
use crate::tui::effect::{Effect, Work};
use crate::tui::state::{AppState, Field, Form, Popup, SYNC_ISSUES_KEPT, SyncRun, TextInput};
use crate::tui::strings as s;

/// Syncs the selected connection from its configured input (else asks for a file).
pub(super) fn start_selected(state: &mut AppState) -> Vec<Effect> {
    match state.selected_sync_connection() {
        Some(id) => start(state, &id, None),
        None => Vec::new(),
    }
}

/// Asks for a file to sync the selected connection from.
pub(super) fn choose_file(state: &mut AppState) -> Vec<Effect> {
    if let Some(id) = state.selected_sync_connection() {
        if writable(state, &s::what_sync(&id)) && !refused(state, &id) {
            open_file(state, &id);
        }
    }
    Vec::new()
}

/// Whether a sync of `id` is refused because the connection cannot take items (the Syncs pane
/// does not list such a connection; the Connections pane can pick any), saying why.
fn refused(state: &mut AppState, id: &str) -> bool {
    let refusal = state
        .snap()
        .and_then(|snap| snap.connection(id))
        .and_then(|c| crate::sync::not_ready(id, c.connection.state));
    if let Some(reason) = &refusal {
        message(
            state,
            s::SYNC_TITLE,
            vec![s::sync_refused(id, reason)],
            true,
        );
    }
    refusal.is_some()
}

/// Asks the selected connection's running sync to stop.
pub(super) fn cancel(state: &mut AppState) -> Vec<Effect> {
    let Some(id) = state.selected_sync_connection() else {
        return Vec::new();
    };
    match state.syncs.runs.get_mut(&id) {
        Some(run) if run.report.is_none() => {
            run.cancelling = true;
            status(state, s::sync_cancelling(&id));
            vec![Effect::CancelSync(id)]
        }
        _ => {
            status(state, s::NO_SYNC_RUNNING);
            Vec::new()
        }
    }
}

/// Opens the selected connection's last sync report.
pub(super) fn open_report(state: &mut AppState) -> Vec<Effect> {
    match state.selected_sync_connection() {
        Some(id) if state.syncs.runs.contains_key(&id) => {
            state.popups.push(Popup::SyncReport {
                connection: id,
                scroll: 0,
            });
        }
        _ => status(state, s::NO_SYNC_YET),
    }
    Vec::new()
}

pub(super) fn report_key(connection: String, scroll: usize, action: &Action) -> PopupOutcome {
    match action {
        Action::Down => (
            Some(Popup::SyncReport {
                connection,
                scroll: scroll + 1,
            }),
            Vec::new(),
        ),
        Action::Up => (
            Some(Popup::SyncReport {
                connection,
                scroll: scroll.saturating_sub(1),
            }),
            Vec::new(),
        ),
        Action::Back | Action::Select => (None, Vec::new()),
        _ => (Some(Popup::SyncReport { connection, scroll }), Vec::new()),
    }
}

fn open_file(state: &mut AppState, id: &str) {
    let mut input = Field::new(s::FIELD_INPUT);
    input.note = Some(s::INPUT_NOTE.to_owned());
    let mut mapping = Field::new(s::FIELD_MAPPING);
    mapping.note = Some(s::MAPPING_NOTE.to_owned());
    if let Some(saved) = state.info.sync_inputs.get(id) {
        input.input = TextInput::with(saved.input.display().to_string());
        if let Some(m) = &saved.mapping {
            mapping.input = TextInput::with(m.display().to_string());
        }
    }
    state.popups.push(Popup::SyncFile {
        connection: id.to_owned(),
        form: Form {
            fields: vec![input, mapping],
            focus: 0,
            error: None,
        },
    });
}

/// A key in the file form; Enter starts the sync from the typed input and mapping.
pub(super) fn file_key(
    state: &mut AppState,
    connection: String,
    mut form: Form,
    action: &Action,
) -> PopupOutcome {
    if super::forms::edit(&mut form, action) {
        return (Some(Popup::SyncFile { connection, form }), Vec::new());
    }
    match action {
        Action::Back => (None, Vec::new()),
        Action::Submit if form.value(0).is_empty() => {
            form.error = Some(s::INPUT_NOTE.to_owned());
            (Some(Popup::SyncFile { connection, form }), Vec::new())
        }
        Action::Submit => {
            let input = PathBuf::from(form.value(0));
            let mapping = (!form.value(1).is_empty()).then(|| PathBuf::from(form.value(1)));
            (None, start(state, &connection, Some((input, mapping))))
        }
        _ => (Some(Popup::SyncFile { connection, form }), Vec::new()),
    }
}

/// Starts a sync of `id` from `file` (input, mapping), else from its configured input.
fn start(state: &mut AppState, id: &str, file: Option<(PathBuf, Option<PathBuf>)>) -> Vec<Effect> {
    if state.syncs.runs.get(id).is_some_and(|r| r.report.is_none()) {
        status(state, s::sync_running_already(id));
        return Vec::new();
    }
    // The check stores its result in the connection's state store, which a sync holds.
    if state
        .syncs
        .checks
        .get(id)
        .is_some_and(|c| c.running.is_some())
    {
        status(state, s::sync_waits_for_check(id));
        return Vec::new();
    }
    if !writable(state, &s::what_sync(id)) {
        return Vec::new();
    }
    if refused(state, id) {
        return Vec::new();
    }
    let configured = state
        .info
        .sync_inputs
        .get(id)
        .map(|c| (c.input.clone(), c.mapping.clone()));
    let Some((input, mapping)) = file.or(configured) else {
        open_file(state, id);
        return Vec::new();
    };
    let Some(data_dir) = state.info.data_dir.clone() else {
        message(state, s::SYNC_TITLE, vec![s::NO_DATA_DIR.to_owned()], true);
        return Vec::new();
    };
    let mut options = SyncOptions::new(
        id,
        state.info.tenant_id.clone(),
        state.info.context.clone(),
        data_dir,
        input.clone(),
    );
    options.mapping = mapping;
    state.syncs.runs.insert(
        id.to_owned(),
        SyncRun {
            connection: id.to_owned(),
            input,
            phase: Phase::Connecting,
            progress: None,
            issues: Vec::new(),
            throttled: 0,
            cancelling: false,
            report: None,
            started: state.clock.now(),
            ended: None,
        },
    );
    status(state, s::sync_started(id));
    vec![job(state, &s::job_sync(id), Work::Sync(Box::new(options)))]
}

pub(super) fn event(state: &mut AppState, connection: &str, event: SyncEvent) -> Vec<Effect> {
    if let Some(run) = state.syncs.runs.get_mut(connection) {
        match event {
            SyncEvent::Phase { phase } => run.phase = phase,
            SyncEvent::Issue(issue) => {
                if run.issues.len() < SYNC_ISSUES_KEPT {
                    run.issues.push(issue);
                }
            }
            SyncEvent::Throttled { .. } => run.throttled += 1,
            SyncEvent::Progress(p) => {
                run.phase = p.phase;
                run.progress = Some(p);
            }
            SyncEvent::UsersResolved { .. } | SyncEvent::Planned(_) => {}
        }
    }
    Vec::new()
}

/// The sync ended: its report stays with the run, and the lists are read again.
pub(super) fn finished(
    state: &mut AppState,
    connection: &str,
    result: Result<Box<SyncReport>, String>,
) -> Vec<Effect> {
    let text = match &result {
        Ok(r) if r.cancelled => s::sync_cancelled(connection),
        Ok(r) => s::sync_finished(connection, r.put, r.invalid + r.unmatched, r.failed),
        Err(e) => s::sync_failed(connection, e),
    };
    let now = state.clock.now();
    if let Some(run) = state.syncs.runs.get_mut(connection) {
        run.phase = Phase::Done;
        run.report = Some(result.map(|r| *r));
        run.ended = Some(now);
    }
    status(state, text);
    // What the sync sent again makes the last check out of date for those people.
    state.syncs.checks_due = true;
    vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
}
