//! The pure heart of the console: `update(state, action) -> effects`. No I/O happens here.

use std::sync::Arc;

use super::action::{Action, ApplyFailure, MouseInput, PaneId};
use super::effect::{Effect, Work};
use super::focus;
use super::identity::SignIn;
use super::state::{
    AppState, ApplyConfirm, ConflictState, EditSourceForm, Field, Filter, Form, ImpactState, Job,
    LoadState, Message, NewConnectionWizard, PaletteState, Popup, ProfileState, RegisterStage,
    RegisterWizard, RemovalStep, RemovalWizard, SetupStage, Staged, Status, TextInput,
};
use super::strings as s;
use crate::graph::sources::ProfileSourcePatch;
use crate::ops::doctor::diagnose;
use crate::ops::register::{RegisterRequest, check_web_url};
use crate::ops::remove::Scope;
use crate::ops::reorder::ReorderPlan;
use crate::ops::setup::{Polling, SchemaChoice, SetupRequest};
use crate::ops::views::{connection_rows, source_rows};
use crate::ops::{Event, StepReport, StepStatus};
use crate::people::ids::{ConnectionId, SourceId};
use crate::people::precedence::Position;

/// The first effects: who we are, the tenant, the people list.
pub fn init(state: &mut AppState) -> Vec<Effect> {
    state.identity = LoadState::Loading;
    state.snapshot = LoadState::Loading;
    state.people.users = LoadState::Loading;
    vec![
        job(state, s::JOB_SIGN_IN, Work::LoadIdentity),
        job(state, s::JOB_TENANT, Work::LoadSnapshot),
        job(state, s::JOB_USERS, Work::LoadUsers),
    ]
}

/// Applies one action and returns the effects it asks for.
pub fn update(state: &mut AppState, action: Action) -> Vec<Effect> {
    state.dirty = true;
    match action {
        Action::Key(chord) => {
            if let Some(a) = focus::resolve_key(state, &chord) {
                return update(state, a);
            }
            state.dirty = false;
            Vec::new()
        }
        Action::Tick => {
            state.frame = state.frame.wrapping_add(1);
            state.dirty = state.busy();
            Vec::new()
        }
        Action::Resize(w, h) => {
            state.size = (w, h);
            clamp_lists(state);
            Vec::new()
        }
        Action::Mouse(m) => mouse(state, m),
        Action::Noop => {
            state.dirty = false;
            Vec::new()
        }
        Action::Quit => {
            state.quit = true;
            Vec::new()
        }
        Action::JobFinished(id) => {
            state.jobs.retain(|j| j.id != id);
            Vec::new()
        }
        Action::SignInPrompt(prompt) => {
            state.popups.retain(|p| !matches!(p, Popup::DeviceCode(_)));
            state.popups.push(Popup::DeviceCode(prompt));
            Vec::new()
        }
        a @ (Action::IdentityLoaded(_)
        | Action::SnapshotLoaded(_)
        | Action::UsersPage { .. }
        | Action::UsersFailed(_)
        | Action::ImpactInputsProgress { .. }
        | Action::ImpactInputsLoaded(_)
        | Action::ImpactComputed { .. }
        | Action::ReorderApplied(_)
        | Action::RemovePlanned(_)
        | Action::RemoveProgress(_)
        | Action::RemoveFinished { .. }
        | Action::RegisterPlanned(_)
        | Action::RegisterFinished(_)
        | Action::SourceUpdated(_)
        | Action::ExplainLoaded { .. }
        | Action::SetupProgress(_)
        | Action::SetupFinished(_)
        | Action::SyncEvent { .. }
        | Action::SyncFinished { .. }) => result(state, a),
        a if !state.popups.is_empty() => popup_action(state, a),
        a => pane_action(state, &a),
    }
}

fn job(state: &mut AppState, label: &str, work: Work) -> Effect {
    let id = state.next_job;
    state.next_job += 1;
    state.jobs.push(Job {
        id,
        label: label.to_owned(),
    });
    Effect::Job { id, work }
}

fn status(state: &mut AppState, text: impl Into<String>) {
    state.status = Some(Status {
        text: text.into(),
        error: false,
    });
}

fn status_error(state: &mut AppState, text: impl Into<String>) {
    state.status = Some(Status {
        text: text.into(),
        error: true,
    });
}

fn message(state: &mut AppState, title: &str, lines: Vec<String>, error: bool) {
    state.popups.push(Popup::Message(Message {
        title: title.to_owned(),
        lines,
        error,
    }));
}

/// Refuses a write in read-only mode (says so in a popup); true when the write may go on.
fn writable(state: &mut AppState, what: &str) -> bool {
    if state.info.read_only {
        message(
            state,
            s::READ_ONLY_TITLE,
            vec![s::read_only_refusal(what)],
            true,
        );
        return false;
    }
    true
}

// ---------------------------------------------------------------------------------------
// Panes
// ---------------------------------------------------------------------------------------

fn pane_action(state: &mut AppState, action: &Action) -> Vec<Effect> {
    if focus::editing_filter(state) {
        return filter_edit(state, action);
    }
    match action {
        Action::NextPane => go_to(state, PaneId::ALL[(state.pane.index() + 1) % 5]),
        Action::PrevPane => go_to(state, PaneId::ALL[(state.pane.index() + 4) % 5]),
        Action::GoTo(p) => go_to(state, *p),
        Action::Up => navigate(state, -1),
        Action::Down => navigate(state, 1),
        Action::PageUp => {
            let h = isize::try_from(state.list_height()).unwrap_or(1);
            navigate(state, -h)
        }
        Action::PageDown => {
            let h = isize::try_from(state.list_height()).unwrap_or(1);
            navigate(state, h)
        }
        Action::Top => navigate(state, isize::MIN / 2),
        Action::Bottom => navigate(state, isize::MAX / 2),
        Action::Help => {
            state.popups.push(Popup::Help { scroll: 0 });
            Vec::new()
        }
        Action::Palette => {
            state.popups.push(Popup::Palette(PaletteState::default()));
            Vec::new()
        }
        Action::Refresh => refresh(state),
        Action::ToggleMouse => {
            state.mouse = !state.mouse;
            status(
                state,
                if state.mouse {
                    s::MOUSE_ON
                } else {
                    s::MOUSE_OFF
                },
            );
            vec![Effect::SetMouse(state.mouse)]
        }
        Action::Filter => {
            match state.pane {
                PaneId::Connections => state.connections.filter.editing = true,
                PaneId::Sources => state.sources.filter.editing = true,
                PaneId::People => {
                    state.people.profile = None;
                    state.people.search.editing = true;
                }
                PaneId::Precedence | PaneId::Syncs => status(state, s::NO_FILTER_HERE),
            }
            Vec::new()
        }
        Action::Back => back(state),
        Action::Select => select(state),
        Action::NewConnection => new_connection(state),
        Action::Register => register(state),
        Action::Edit => edit_source(state),
        Action::Remove => remove(state),
        Action::SyncNow | Action::StartSync => match state.selected_sync_connection() {
            Some(id) => start_sync(state, &id, None),
            None => Vec::new(),
        },
        Action::ChooseFile => {
            if let Some(id) = state.selected_sync_connection() {
                if writable(state, &s::what_sync(&id)) {
                    open_sync_file(state, &id);
                }
            }
            Vec::new()
        }
        Action::CancelSync => match state.selected_sync_connection() {
            Some(id) => match state.syncs.runs.get_mut(&id) {
                Some(run) if run.report.is_none() => {
                    run.cancelling = true;
                    status(state, s::sync_cancelling(&id));
                    vec![Effect::CancelSync(id)]
                }
                _ => {
                    status(state, s::NO_SYNC_RUNNING);
                    Vec::new()
                }
            },
            None => Vec::new(),
        },
        Action::MoveUp => stage_move(state, Move::Up),
        Action::MoveDown => stage_move(state, Move::Down),
        Action::MoveTo => {
            if selected_entry_exists(state) {
                state.popups.push(Popup::MoveTo(TextInput::default()));
            }
            Vec::new()
        }
        Action::Apply => apply(state),
        Action::Discard => {
            if state.precedence.staged.take().is_some() {
                state.precedence.impact = ImpactState::None;
                status(state, s::DISCARDED);
            }
            Vec::new()
        }
        _ => {
            state.dirty = false;
            Vec::new()
        }
    }
}

fn go_to(state: &mut AppState, pane: PaneId) -> Vec<Effect> {
    state.pane = pane;
    state.status = None;
    let mut effects = Vec::new();
    if pane == PaneId::Precedence {
        effects.extend(ensure_impact_inputs(state));
    }
    clamp_lists(state);
    effects
}

/// Starts reading the users' source values the first time the precedence pane needs them.
fn ensure_impact_inputs(state: &mut AppState) -> Option<Effect> {
    if !matches!(state.precedence.inputs, LoadState::Idle) {
        return None;
    }
    let snapshot = state.snap()?.clone();
    state.precedence.inputs = LoadState::Loading;
    let expected = state.people.index.len();
    Some(job(
        state,
        s::JOB_INPUTS,
        Work::LoadImpactInputs { snapshot, expected },
    ))
}

fn refresh(state: &mut AppState) -> Vec<Effect> {
    status(state, s::REFRESHING);
    let mut effects = Vec::new();
    if !state.snapshot.is_loading() {
        state.refreshing = state.snap().is_some();
        if state.snap().is_none() {
            state.snapshot = LoadState::Loading;
        }
        effects.push(job(state, s::JOB_TENANT, Work::LoadSnapshot));
    }
    if !state.people.users.is_loading() {
        state.people.users = LoadState::Loading;
        state.people.index = super::people_index::PeopleIndex::new();
        state.people.list = super::state::ListState::default();
        effects.push(job(state, s::JOB_USERS, Work::LoadUsers));
    }
    if !state.precedence.inputs.is_loading() {
        state.precedence.inputs = LoadState::Idle;
    }
    effects
}

fn navigate(state: &mut AppState, delta: isize) -> Vec<Effect> {
    let height = state.list_height();
    if state.pane == PaneId::Connections && state.connections.detail.is_some() {
        let d = &mut state.connections.detail_scroll;
        *d = d.saturating_add_signed(delta).min(500);
        return Vec::new();
    }
    if state.pane == PaneId::People {
        if let Some(p) = &mut state.people.profile {
            let rows = p.view.loaded().map_or(0, |v| v.line_count());
            p.scroll = p
                .scroll
                .saturating_add_signed(delta)
                .min(rows.saturating_sub(1));
            return Vec::new();
        }
    }
    let pane = state.pane;
    let len = state.list_len(pane);
    state.list_mut(pane).move_by(delta, len, height);
    Vec::new()
}

/// Keeps every list's selection and scroll valid after its rows or the size changed.
fn clamp_lists(state: &mut AppState) {
    // The shown pane's height for every list: `go_to` clamps again when another is shown.
    let height = state.list_height();
    for p in PaneId::ALL {
        let len = state.list_len(p);
        let list = state.list_mut(p);
        let selected = list.selected;
        list.select(selected, len, height);
    }
}

fn back(state: &mut AppState) -> Vec<Effect> {
    match state.pane {
        PaneId::Connections if state.connections.detail.is_some() => {
            state.connections.detail = None;
        }
        PaneId::Connections if !state.connections.filter.input.text.is_empty() => {
            state.connections.filter = Filter::default();
            refilter(state);
        }
        PaneId::Sources if !state.sources.filter.input.text.is_empty() => {
            state.sources.filter = Filter::default();
            refilter(state);
        }
        PaneId::People if state.people.profile.is_some() => state.people.profile = None,
        PaneId::People if !state.people.search.input.text.is_empty() => {
            state.people.search = Filter::default();
            state.people.index.search("");
            clamp_lists(state);
        }
        _ => state.dirty = false,
    }
    Vec::new()
}

fn select(state: &mut AppState) -> Vec<Effect> {
    match state.pane {
        PaneId::Connections => {
            if let Some(row) = state.selected_connection() {
                state.connections.detail = Some(row.id.clone());
                state.connections.detail_scroll = 0;
            }
            Vec::new()
        }
        PaneId::People => open_profile(state),
        PaneId::Precedence => {
            let list = state.shown_list();
            if let Some(e) = list.entries().get(state.precedence.list.selected) {
                status(state, e.as_str().to_owned());
            }
            Vec::new()
        }
        PaneId::Syncs => {
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
        PaneId::Sources => {
            state.dirty = false;
            Vec::new()
        }
    }
}

fn open_sync_file(state: &mut AppState, id: &str) {
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

/// Starts a sync of `id` from `file` (input, mapping), else from its configured input.
fn start_sync(
    state: &mut AppState,
    id: &str,
    file: Option<(std::path::PathBuf, Option<std::path::PathBuf>)>,
) -> Vec<Effect> {
    if state.syncs.runs.get(id).is_some_and(|r| r.report.is_none()) {
        status(state, s::sync_running_already(id));
        return Vec::new();
    }
    if !writable(state, &s::what_sync(id)) {
        return Vec::new();
    }
    let configured = state
        .info
        .sync_inputs
        .get(id)
        .map(|c| (c.input.clone(), c.mapping.clone()));
    let Some((input, mapping)) = file.or(configured) else {
        open_sync_file(state, id);
        return Vec::new();
    };
    let Some(data_dir) = state.info.data_dir.clone() else {
        message(state, s::SYNC_TITLE, vec![s::NO_DATA_DIR.to_owned()], true);
        return Vec::new();
    };
    let mut options = crate::sync::SyncOptions::new(
        id,
        state.info.tenant_id.clone(),
        state.info.context.clone(),
        data_dir,
        input.clone(),
    );
    options.mapping = mapping;
    state.syncs.runs.insert(
        id.to_owned(),
        super::state::SyncRun {
            connection: id.to_owned(),
            input,
            phase: crate::sync::Phase::Connecting,
            progress: None,
            issues: Vec::new(),
            throttled: 0,
            cancelling: false,
            report: None,
        },
    );
    status(state, s::sync_started(id));
    vec![job(state, &s::job_sync(id), Work::Sync(Box::new(options)))]
}

fn filter_edit(state: &mut AppState, action: &Action) -> Vec<Effect> {
    let pane = state.pane;
    let filter = match pane {
        PaneId::Connections => &mut state.connections.filter,
        PaneId::Sources => &mut state.sources.filter,
        PaneId::People => &mut state.people.search,
        PaneId::Precedence | PaneId::Syncs => return Vec::new(),
    };
    let mut changed = true;
    match action {
        Action::Input(c) => filter.input.text.push(*c),
        Action::Backspace => {
            filter.input.text.pop();
        }
        Action::ClearInput => filter.input.text.clear(),
        Action::Back => {
            filter.input.text.clear();
            filter.editing = false;
        }
        Action::Submit => {
            filter.editing = false;
            changed = false;
            if pane == PaneId::People && state.people.index.match_count() > 0 {
                return open_profile(state);
            }
        }
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
            changed = false;
            let delta = match action {
                Action::Up => -1,
                Action::Down => 1,
                Action::PageUp => -isize::try_from(state.list_height()).unwrap_or(1),
                _ => isize::try_from(state.list_height()).unwrap_or(1),
            };
            let height = state.list_height();
            let len = state.list_len(pane);
            state.list_mut(pane).move_by(delta, len, height);
        }
        Action::Quit => state.quit = true,
        _ => {
            changed = false;
            state.dirty = false;
        }
    }
    if changed {
        if pane == PaneId::People {
            let q = &state.people.search.input.text;
            state.people.index.search(q);
            state.people.list = super::state::ListState::default();
        } else {
            refilter(state);
        }
    }
    Vec::new()
}

/// Recomputes which connection and source rows pass their filters.
fn refilter(state: &mut AppState) {
    let q = state.connections.filter.input.text.to_lowercase();
    state.connections.visible = state
        .connections
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            q.is_empty() || r.id.to_lowercase().contains(&q) || r.name.to_lowercase().contains(&q)
        })
        .map(|(i, _)| i)
        .collect();
    let q = state.sources.filter.input.text.to_lowercase();
    state.sources.visible = state
        .sources
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            q.is_empty()
                || r.source_id.to_lowercase().contains(&q)
                || r.display_name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains(&q))
        })
        .map(|(i, _)| i)
        .collect();
    clamp_lists(state);
}

fn open_profile(state: &mut AppState) -> Vec<Effect> {
    let Some(user) = state.people.index.matched(state.people.list.selected) else {
        state.dirty = false;
        return Vec::new();
    };
    let upn = user.user_principal_name.to_string();
    let name = user.name().to_owned();
    let Some(snapshot) = state.snap().cloned() else {
        status(state, s::WAITING_FOR_TENANT);
        return Vec::new();
    };
    let delegated = matches!(
        state.identity.loaded().map(|i| i.sign_in),
        Some(SignIn::Delegated)
    );
    state.people.profile = Some(ProfileState {
        upn: upn.clone(),
        name,
        view: LoadState::Loading,
        scroll: 0,
    });
    if !delegated && !state.people.auth_notice_shown {
        state.people.auth_notice_shown = true;
        state.popups.push(Popup::SignInNeeded);
    }
    vec![job(
        state,
        &s::job_explain(&upn),
        Work::Explain { upn, snapshot },
    )]
}

// ---------------------------------------------------------------------------------------
// Writes: wizards and forms
// ---------------------------------------------------------------------------------------

fn new_connection(state: &mut AppState) -> Vec<Effect> {
    if state.pane != PaneId::Connections {
        state.dirty = false;
        return Vec::new();
    }
    if !writable(state, s::WHAT_CREATE) {
        return Vec::new();
    }
    let mut id = Field::new(s::FIELD_CONNECTION_ID);
    id.note = Some(s::CONNECTION_ID_RULES.to_owned());
    let mut schema = Field::new(s::FIELD_SCHEMA);
    schema.input = TextInput::with("labels");
    schema.note = Some(s::SCHEMA_NOTE.to_owned());
    state
        .popups
        .push(Popup::NewConnection(Box::new(NewConnectionWizard {
            form: Form {
                fields: vec![
                    id,
                    Field::new(s::FIELD_NAME),
                    Field::new(s::FIELD_DESCRIPTION),
                    schema,
                ],
                focus: 0,
                error: None,
            },
            stage: SetupStage::Editing,
        })));
    Vec::new()
}

fn register(state: &mut AppState) -> Vec<Effect> {
    if !writable(state, s::WHAT_REGISTER) {
        return Vec::new();
    }
    let Some(snapshot) = state.snap().cloned() else {
        status(state, s::WAITING_FOR_TENANT);
        return Vec::new();
    };
    // Connections pane: the selected connection; sources pane: the first people connection
    // that is not registered yet.
    let connection = match state.pane {
        PaneId::Connections => state.selected_connection().map(|r| r.id.clone()),
        _ => snapshot
            .connections
            .iter()
            .find(|c| c.is_people() && snapshot.source(&c.connection.id).is_none())
            .map(|c| c.connection.id.clone()),
    };
    let name = connection
        .as_deref()
        .and_then(|id| snapshot.connection(id))
        .map(|c| c.connection.name.clone())
        .unwrap_or_default();
    let mut fields = vec![
        Field::new(s::FIELD_CONNECTION_ID),
        Field::new(s::FIELD_WEB_URL),
        Field::new(s::FIELD_DISPLAY_NAME),
        Field::new(s::FIELD_POSITION),
    ];
    fields[0].input = TextInput::with(connection.unwrap_or_default());
    fields[1].note = Some(s::WEB_URL_NOTE.to_owned());
    fields[2].input = TextInput::with(name);
    fields[3].input = TextInput::with("top");
    fields[3].note = Some(s::POSITION_NOTE.to_owned());
    let focus = usize::from(!fields[0].input.text.is_empty());
    state.popups.push(Popup::Register(Box::new(RegisterWizard {
        form: Form {
            fields,
            focus,
            error: None,
        },
        stage: RegisterStage::Editing,
    })));
    Vec::new()
}

fn edit_source(state: &mut AppState) -> Vec<Effect> {
    if state.pane != PaneId::Sources {
        state.dirty = false;
        return Vec::new();
    }
    let Some(row) = state.selected_source().cloned() else {
        return Vec::new();
    };
    if row.built_in {
        message(
            state,
            s::EDIT_TITLE,
            vec![s::built_in_not_editable(&row.source_id)],
            false,
        );
        return Vec::new();
    }
    if !writable(state, s::WHAT_EDIT) {
        return Vec::new();
    }
    let mut name = Field::new(s::FIELD_DISPLAY_NAME);
    name.input = TextInput::with(row.display_name.clone().unwrap_or_default());
    let mut url = Field::new(s::FIELD_WEB_URL);
    url.input = TextInput::with(row.web_url.clone().unwrap_or_default());
    url.note = Some(s::WEB_URL_NOTE.to_owned());
    state.popups.push(Popup::EditSource(EditSourceForm {
        source_id: row.source_id,
        form: Form {
            fields: vec![name, url],
            focus: 0,
            error: None,
        },
        saving: false,
    }));
    Vec::new()
}

fn remove(state: &mut AppState) -> Vec<Effect> {
    let (id, scope) = match state.pane {
        PaneId::Connections => match state.selected_connection() {
            Some(r) => (r.id.clone(), Scope::Connector),
            None => return Vec::new(),
        },
        PaneId::Sources => match state.selected_source() {
            Some(r) if r.built_in => {
                let id = r.source_id.clone();
                message(
                    state,
                    s::REMOVE_TITLE,
                    vec![s::built_in_not_removable(&id)],
                    false,
                );
                return Vec::new();
            }
            Some(r) => (r.source_id.clone(), Scope::SourceOnly),
            None => return Vec::new(),
        },
        _ => {
            state.dirty = false;
            return Vec::new();
        }
    };
    // The plan is a read: shown even in read-only mode, which then stops at the review.
    state.popups.push(Popup::Removal(Box::new(RemovalWizard {
        id: id.clone(),
        scope,
        step: RemovalStep::Planning,
    })));
    vec![job(state, &s::job_plan_remove(&id), Work::PlanRemove(id))]
}

// ---------------------------------------------------------------------------------------
// Precedence staging
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Move {
    Up,
    Down,
    To(usize),
}

fn selected_entry_exists(state: &AppState) -> bool {
    state.precedence.list.selected < state.shown_list().len()
}

fn stage_move(state: &mut AppState, how: Move) -> Vec<Effect> {
    if state.pane != PaneId::Precedence {
        state.dirty = false;
        return Vec::new();
    }
    let Some(snapshot) = state.snap().cloned() else {
        status(state, s::WAITING_FOR_TENANT);
        return Vec::new();
    };
    let Some(setting) = snapshot.precedence.as_ref() else {
        status_error(state, s::NO_PRECEDENCE_SETTING);
        return Vec::new();
    };
    let staged = state.precedence.staged.get_or_insert_with(|| Staged {
        setting_id: setting.id.clone(),
        base: setting.list.clone(),
        list: setting.list.clone(),
    });
    let from = state.precedence.list.selected;
    let result = match how {
        Move::Up => staged.list.move_up(from).map(|l| (l, from - 1)),
        Move::Down => staged.list.move_down(from).map(|l| (l, from + 1)),
        Move::To(rank) => {
            let to = rank.saturating_sub(1);
            staged.list.move_to(from, to).map(|l| (l, to))
        }
    };
    match result {
        Ok((list, to)) => {
            staged.list = list;
            let len = staged.list.len();
            let height = state.list_height();
            state.precedence.list.select(to, len, height);
            state.status = None;
        }
        Err(e) => {
            status(state, e.to_string());
            state.dirty = true;
        }
    }
    if state
        .precedence
        .staged
        .as_ref()
        .is_some_and(|s| !s.changed())
    {
        state.precedence.staged = None;
        state.precedence.impact = ImpactState::None;
        return Vec::new();
    }
    recompute_impact(state)
}

fn recompute_impact(state: &mut AppState) -> Vec<Effect> {
    state.precedence.generation += 1;
    let Some(staged) = state.precedence.staged.clone() else {
        state.precedence.impact = ImpactState::None;
        return Vec::new();
    };
    let Some(inputs) = state.precedence.inputs.loaded().cloned() else {
        state.precedence.impact = ImpactState::WaitingForInputs;
        return ensure_impact_inputs(state).into_iter().collect();
    };
    state.precedence.impact = ImpactState::Computing;
    let generation = state.precedence.generation;
    vec![job(
        state,
        s::JOB_IMPACT,
        Work::ComputeImpact {
            generation,
            before: staged.base,
            after: staged.list,
            inputs,
        },
    )]
}

fn apply(state: &mut AppState) -> Vec<Effect> {
    let Some(staged) = state.precedence.staged.clone().filter(Staged::changed) else {
        status(state, s::NOTHING_STAGED);
        return Vec::new();
    };
    if !writable(state, s::WHAT_APPLY) {
        return Vec::new();
    }
    let registered = state.snap().map(|s| s.registered_ids()).unwrap_or_default();
    let plan = ReorderPlan {
        setting_id: staged.setting_id.clone(),
        changes: staged.base.diff(&staged.list),
        problems: staged.list.validate(&registered),
        before: staged.base,
        after: staged.list,
    };
    state
        .popups
        .push(Popup::ConfirmApply(ApplyConfirm { plan }));
    Vec::new()
}

// ---------------------------------------------------------------------------------------
// Popups
// ---------------------------------------------------------------------------------------

fn popup_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    let Some(popup) = state.popups.pop() else {
        return Vec::new();
    };
    // Popups the handler opens (a read-only refusal, a result) go above this one.
    let at = state.popups.len();
    let (keep, effects) = match popup {
        Popup::Help { scroll } => match action {
            Action::Down => (Some(Popup::Help { scroll: scroll + 1 }), Vec::new()),
            Action::Up => (
                Some(Popup::Help {
                    scroll: scroll.saturating_sub(1),
                }),
                Vec::new(),
            ),
            Action::Back | Action::Select | Action::Help => (None, Vec::new()),
            _ => (Some(Popup::Help { scroll }), Vec::new()),
        },
        Popup::Message(m) => match action {
            Action::Back | Action::Select | Action::Confirm | Action::Deny => (None, Vec::new()),
            _ => (Some(Popup::Message(m)), Vec::new()),
        },
        Popup::SignInNeeded => match action {
            Action::Back | Action::Select | Action::Confirm => (None, Vec::new()),
            _ => (Some(Popup::SignInNeeded), Vec::new()),
        },
        // It closes by itself once the sign-in completes; Esc only hides it.
        Popup::DeviceCode(p) => match action {
            Action::Back => (None, Vec::new()),
            _ => (Some(Popup::DeviceCode(p)), Vec::new()),
        },
        Popup::Palette(p) => palette(state, p, &action),
        Popup::ConfirmApply(c) => match action {
            Action::Confirm | Action::Select => {
                status(state, s::APPLYING);
                let effect = job(state, s::JOB_APPLY, Work::ApplyReorder(c.plan));
                (None, vec![effect])
            }
            Action::Deny | Action::Back => {
                status(state, s::NOT_APPLIED);
                (None, Vec::new())
            }
            _ => (Some(Popup::ConfirmApply(c)), Vec::new()),
        },
        Popup::Conflict(c) => match action {
            Action::Select | Action::Confirm | Action::Retry => {
                // Start over from what Graph holds now; the staged order is dropped.
                state.precedence.staged = None;
                state.precedence.impact = ImpactState::None;
                status(state, s::CONFLICT_RELOADED);
                (None, refresh(state))
            }
            Action::Back | Action::Deny => (None, Vec::new()),
            _ => (Some(Popup::Conflict(c)), Vec::new()),
        },
        Popup::MoveTo(input) => match action {
            Action::Input(c) if c.is_ascii_digit() => {
                let mut input = input;
                input.text.push(c);
                (Some(Popup::MoveTo(input)), Vec::new())
            }
            Action::Backspace => {
                let mut input = input;
                input.text.pop();
                (Some(Popup::MoveTo(input)), Vec::new())
            }
            Action::Submit => match input.text.parse::<usize>() {
                Ok(rank) if rank >= 1 && rank <= state.shown_list().len() => {
                    (None, stage_move(state, Move::To(rank)))
                }
                _ => {
                    status(state, s::rank_out_of_range(state.shown_list().len()));
                    (Some(Popup::MoveTo(input)), Vec::new())
                }
            },
            Action::Back => (None, Vec::new()),
            _ => (Some(Popup::MoveTo(input)), Vec::new()),
        },
        Popup::Removal(w) => removal(state, w, action),
        Popup::SyncReport { connection, scroll } => match action {
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
        },
        Popup::SyncFile {
            connection,
            mut form,
        } => {
            if edit_form(&mut form, &action) {
                (Some(Popup::SyncFile { connection, form }), Vec::new())
            } else {
                match action {
                    Action::Back => (None, Vec::new()),
                    Action::Submit if form.value(0).is_empty() => {
                        form.error = Some(s::INPUT_NOTE.to_owned());
                        (Some(Popup::SyncFile { connection, form }), Vec::new())
                    }
                    Action::Submit => {
                        let input = std::path::PathBuf::from(form.value(0));
                        let mapping = (!form.value(1).is_empty())
                            .then(|| std::path::PathBuf::from(form.value(1)));
                        (None, start_sync(state, &connection, Some((input, mapping))))
                    }
                    _ => (Some(Popup::SyncFile { connection, form }), Vec::new()),
                }
            }
        }
        Popup::NewConnection(w) => new_connection_form(state, w, &action),
        Popup::Register(w) => register_wizard(state, w, &action),
        Popup::EditSource(f) => edit_source_form(state, f, &action),
    };
    if let Some(p) = keep {
        state.popups.insert(at.min(state.popups.len()), p);
    }
    effects
}

fn palette(
    state: &mut AppState,
    mut p: PaletteState,
    action: &Action,
) -> (Option<Popup>, Vec<Effect>) {
    let count = state
        .keymap
        .palette(state.pane.section(), &p.input.text)
        .len();
    match action {
        Action::Input(c) => {
            p.input.text.push(*c);
            p.selected = 0;
        }
        Action::Backspace => {
            p.input.text.pop();
            p.selected = 0;
        }
        Action::ClearInput => {
            p.input.text.clear();
            p.selected = 0;
        }
        Action::Down | Action::NextField => {
            p.selected = (p.selected + 1).min(count.saturating_sub(1));
        }
        Action::Up | Action::PrevField => p.selected = p.selected.saturating_sub(1),
        Action::Back => return (None, Vec::new()),
        Action::Submit => {
            let chosen = state
                .keymap
                .palette(state.pane.section(), &p.input.text)
                .get(p.selected)
                .map(|b| b.action.clone());
            return match chosen {
                Some(a) => (None, update(state, a)),
                None => (Some(Popup::Palette(p)), Vec::new()),
            };
        }
        _ => {}
    }
    (Some(Popup::Palette(p)), Vec::new())
}

fn removal(
    state: &mut AppState,
    mut w: Box<RemovalWizard>,
    action: Action,
) -> (Option<Popup>, Vec<Effect>) {
    let step = std::mem::replace(&mut w.step, RemovalStep::Planning);
    let steps_in_scope = |plan: &crate::ops::remove::RemovePlan, scope: Scope| -> Vec<StepReport> {
        match scope {
            Scope::Connector => plan.steps.clone(),
            Scope::SourceOnly => plan.steps.iter().take(2).cloned().collect(),
        }
    };
    let (next, effects) = match (step, action) {
        (RemovalStep::PlanFailed(_), Action::Retry) => {
            let id = w.id.clone();
            (
                RemovalStep::Planning,
                vec![job(state, &s::job_plan_remove(&id), Work::PlanRemove(id))],
            )
        }
        (RemovalStep::Review(plan), Action::Select | Action::Confirm) => {
            let steps = steps_in_scope(&plan, w.scope);
            if steps.iter().all(|s| s.status == StepStatus::AlreadyDone) {
                (RemovalStep::Report { steps, error: None }, Vec::new())
            } else if !writable(state, &s::what_remove(&w.id)) {
                (RemovalStep::Review(plan), Vec::new())
            } else {
                (
                    RemovalStep::TypeId {
                        plan,
                        typed: TextInput::default(),
                    },
                    Vec::new(),
                )
            }
        }
        (RemovalStep::Planning, Action::Back)
        | (RemovalStep::Review(_) | RemovalStep::TypeId { .. }, Action::Back | Action::Deny) => {
            status(state, s::REMOVAL_CANCELLED);
            return (None, Vec::new());
        }
        (RemovalStep::TypeId { plan, mut typed }, a) => match a {
            Action::Input(c) => {
                typed.text.push(c);
                (RemovalStep::TypeId { plan, typed }, Vec::new())
            }
            Action::Backspace => {
                typed.text.pop();
                (RemovalStep::TypeId { plan, typed }, Vec::new())
            }
            Action::ClearInput => {
                typed.text.clear();
                (RemovalStep::TypeId { plan, typed }, Vec::new())
            }
            Action::Submit if typed.text == w.id => {
                let steps = steps_in_scope(&plan, w.scope)
                    .into_iter()
                    .map(|mut s| {
                        if s.status == StepStatus::Planned {
                            s.detail.clear();
                        }
                        s
                    })
                    .collect();
                let effect = execute_removal(state, &w);
                (RemovalStep::Running { steps }, vec![effect])
            }
            Action::Submit => {
                status_error(state, s::type_exactly(&w.id));
                (RemovalStep::TypeId { plan, typed }, Vec::new())
            }
            _ => (RemovalStep::TypeId { plan, typed }, Vec::new()),
        },
        (
            RemovalStep::Report {
                steps,
                error: Some(e),
            },
            Action::Retry | Action::Select,
        ) => {
            if writable(state, &s::what_remove(&w.id)) {
                let effect = execute_removal(state, &w);
                let steps = steps
                    .into_iter()
                    .map(|mut s| {
                        if s.status == StepStatus::Failed {
                            s.status = StepStatus::Planned;
                        }
                        s
                    })
                    .collect();
                (RemovalStep::Running { steps }, vec![effect])
            } else {
                (
                    RemovalStep::Report {
                        steps,
                        error: Some(e),
                    },
                    Vec::new(),
                )
            }
        }
        (
            RemovalStep::Report { .. } | RemovalStep::PlanFailed(_),
            Action::Back | Action::Select,
        ) => return (None, Vec::new()),
        (RemovalStep::Running { steps }, Action::Back) => {
            status(state, s::REMOVAL_RUNNING);
            (RemovalStep::Running { steps }, Vec::new())
        }
        (step, _) => {
            state.dirty = false;
            (step, Vec::new())
        }
    };
    w.step = next;
    (Some(Popup::Removal(w)), effects)
}

fn execute_removal(state: &mut AppState, w: &RemovalWizard) -> Effect {
    job(
        state,
        &s::job_remove(&w.id),
        Work::ExecuteRemove {
            id: w.id.clone(),
            scope: w.scope,
        },
    )
}

/// Applies a text-editing action to a form; true when it was one.
fn edit_form(form: &mut Form, action: &Action) -> bool {
    let n = form.fields.len().max(1);
    match action {
        Action::Input(c) => {
            if let Some(f) = form.fields.get_mut(form.focus) {
                f.input.text.push(*c);
            }
        }
        Action::Backspace => {
            if let Some(f) = form.fields.get_mut(form.focus) {
                f.input.text.pop();
            }
        }
        Action::ClearInput => {
            if let Some(f) = form.fields.get_mut(form.focus) {
                f.input.text.clear();
            }
        }
        Action::NextField | Action::Down => form.focus = (form.focus + 1) % n,
        Action::PrevField | Action::Up => form.focus = (form.focus + n - 1) % n,
        _ => return false,
    }
    form.error = None;
    true
}

/// Checks a connection id as it is typed.
pub fn validate_connection_id(field: &mut Field) {
    let text = field.input.text.trim();
    if text.is_empty() {
        field.error = None;
        field.note = Some(s::CONNECTION_ID_RULES.to_owned());
        return;
    }
    match ConnectionId::new(text) {
        Ok(_) => {
            field.error = None;
            field.note = Some(s::ID_OK.to_owned());
        }
        Err(e) => {
            field.error = Some(e.to_string());
            field.note = None;
        }
    }
}

fn new_connection_form(
    state: &mut AppState,
    mut w: Box<NewConnectionWizard>,
    action: &Action,
) -> (Option<Popup>, Vec<Effect>) {
    match std::mem::replace(&mut w.stage, SetupStage::Editing) {
        SetupStage::Editing => {}
        SetupStage::Running { steps } => {
            // The workflow runs to its end; closing now would hide its outcome.
            w.stage = SetupStage::Running { steps };
            return (Some(Popup::NewConnection(w)), Vec::new());
        }
        SetupStage::Done { steps, error } => {
            if matches!(action, Action::Back | Action::Select) {
                return (None, Vec::new());
            }
            w.stage = SetupStage::Done { steps, error };
            return (Some(Popup::NewConnection(w)), Vec::new());
        }
    }
    let form = &mut w.form;
    if edit_form(form, action) {
        validate_connection_id(&mut form.fields[0]);
        return (Some(Popup::NewConnection(w)), Vec::new());
    }
    match action {
        Action::Back => (None, Vec::new()),
        Action::Submit => match setup_request(form) {
            Ok(request) => {
                let steps = ["connection", "schema"]
                    .iter()
                    .map(|name| StepReport {
                        step: (*name).to_owned(),
                        status: StepStatus::Planned,
                        detail: String::new(),
                    })
                    .collect();
                let effect = job(
                    state,
                    &s::job_setup(request.id.as_str()),
                    Work::Setup(Box::new(request)),
                );
                w.stage = SetupStage::Running { steps };
                (Some(Popup::NewConnection(w)), vec![effect])
            }
            Err((field, e)) => {
                form.error = Some(e);
                form.focus = field;
                (Some(Popup::NewConnection(w)), Vec::new())
            }
        },
        _ => (Some(Popup::NewConnection(w)), Vec::new()),
    }
}

/// The setup request a new-connection form describes, or the field at fault and why.
fn setup_request(form: &mut Form) -> Result<SetupRequest, (usize, String)> {
    validate_connection_id(&mut form.fields[0]);
    if form.value(0).is_empty() || form.fields[0].error.is_some() {
        return Err((0, s::FIX_ID_FIRST.to_owned()));
    }
    let id = ConnectionId::new(form.value(0)).map_err(|e| (0, e.to_string()))?;
    if form.value(1).is_empty() {
        return Err((1, s::NAME_REQUIRED.to_owned()));
    }
    let schema = match form.value(3).to_ascii_lowercase().as_str() {
        "" | "labels" => SchemaChoice::Labels,
        "preview" => SchemaChoice::Preview,
        "none" => SchemaChoice::None,
        _ => return Err((3, s::SCHEMA_NOTE.to_owned())),
    };
    let description = form.value(2);
    Ok(SetupRequest {
        id,
        name: form.value(1).to_owned(),
        description: (!description.is_empty()).then(|| description.to_owned()),
        schema,
        wait: true,
        polling: Polling::default(),
    })
}

fn register_wizard(
    state: &mut AppState,
    mut w: Box<RegisterWizard>,
    action: &Action,
) -> (Option<Popup>, Vec<Effect>) {
    let stage = std::mem::replace(&mut w.stage, RegisterStage::Editing);
    match stage {
        RegisterStage::Editing => {
            if edit_form(&mut w.form, action) {
                return (Some(Popup::Register(w)), Vec::new());
            }
            match action {
                Action::Back => (None, Vec::new()),
                Action::Submit => match register_request(&w.form) {
                    Ok(request) => {
                        w.stage = RegisterStage::Planning;
                        let effect = job(
                            state,
                            &s::job_plan_register(&request.connection_id),
                            Work::PlanRegister(request),
                        );
                        (Some(Popup::Register(w)), vec![effect])
                    }
                    Err((field, e)) => {
                        w.form.error = Some(e);
                        w.form.focus = field;
                        (Some(Popup::Register(w)), Vec::new())
                    }
                },
                _ => (Some(Popup::Register(w)), Vec::new()),
            }
        }
        RegisterStage::Planning => {
            if matches!(action, Action::Back) {
                return (None, Vec::new());
            }
            w.stage = RegisterStage::Planning;
            (Some(Popup::Register(w)), Vec::new())
        }
        RegisterStage::Review(plan) => match action {
            Action::Confirm | Action::Select => {
                let effect = job(
                    state,
                    &s::job_register(&plan.source_id),
                    Work::ExecuteRegister(plan),
                );
                w.stage = RegisterStage::Running;
                (Some(Popup::Register(w)), vec![effect])
            }
            Action::Back | Action::Deny => {
                w.stage = RegisterStage::Editing;
                (Some(Popup::Register(w)), Vec::new())
            }
            _ => {
                w.stage = RegisterStage::Review(plan);
                (Some(Popup::Register(w)), Vec::new())
            }
        },
        RegisterStage::Running => {
            w.stage = RegisterStage::Running;
            (Some(Popup::Register(w)), Vec::new())
        }
        RegisterStage::Done(result) => match action {
            Action::Back | Action::Select | Action::Confirm => (None, Vec::new()),
            _ => {
                w.stage = RegisterStage::Done(result);
                (Some(Popup::Register(w)), Vec::new())
            }
        },
    }
}

/// The register request a form describes, or the field at fault and why.
fn register_request(form: &Form) -> Result<RegisterRequest, (usize, String)> {
    let id = form.value(0);
    SourceId::new(id).map_err(|e| (0, e.to_string()))?;
    let web_url = form.value(1);
    check_web_url(web_url).map_err(|e| (1, e.to_string()))?;
    let at = match form.value(3).to_ascii_lowercase().as_str() {
        "" | "top" => Position::Top,
        "bottom" => Position::Bottom,
        n => match n.parse::<usize>() {
            Ok(rank) if rank >= 1 => Position::Index(rank - 1),
            _ => return Err((3, s::POSITION_NOTE.to_owned())),
        },
    };
    let name = form.value(2);
    Ok(RegisterRequest {
        connection_id: id.to_owned(),
        web_url: web_url.to_owned(),
        display_name: (!name.is_empty()).then(|| name.to_owned()),
        kind: None,
        at,
    })
}

fn edit_source_form(
    state: &mut AppState,
    mut f: EditSourceForm,
    action: &Action,
) -> (Option<Popup>, Vec<Effect>) {
    if f.saving {
        return (Some(Popup::EditSource(f)), Vec::new());
    }
    if edit_form(&mut f.form, action) {
        return (Some(Popup::EditSource(f)), Vec::new());
    }
    match action {
        Action::Back => (None, Vec::new()),
        Action::Submit => {
            let original = state
                .sources
                .rows
                .iter()
                .find(|r| r.source_id == f.source_id)
                .cloned();
            let name = f.form.value(0).to_owned();
            let url = f.form.value(1).to_owned();
            if name.is_empty() {
                f.form.error = Some(s::NAME_REQUIRED.to_owned());
                return (Some(Popup::EditSource(f)), Vec::new());
            }
            if let Err(e) = check_web_url(&url) {
                f.form.error = Some(e.to_string());
                f.form.focus = 1;
                return (Some(Popup::EditSource(f)), Vec::new());
            }
            let patch = ProfileSourcePatch {
                display_name: (original.as_ref().and_then(|o| o.display_name.as_deref())
                    != Some(name.as_str()))
                .then_some(name),
                web_url: (original.as_ref().and_then(|o| o.web_url.as_deref())
                    != Some(url.as_str()))
                .then_some(url),
                kind: None,
            };
            if patch.display_name.is_none() && patch.web_url.is_none() {
                status(state, s::NOTHING_CHANGED);
                return (None, Vec::new());
            }
            f.saving = true;
            let effect = job(
                state,
                &s::job_save_source(&f.source_id),
                Work::UpdateSource {
                    source_id: f.source_id.clone(),
                    patch,
                },
            );
            (Some(Popup::EditSource(f)), vec![effect])
        }
        _ => (Some(Popup::EditSource(f)), Vec::new()),
    }
}

// ---------------------------------------------------------------------------------------
// Results of background work
// ---------------------------------------------------------------------------------------

fn result(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::IdentityLoaded(r) => {
            // Signed in (or given up): the device code is no longer needed on screen.
            state.popups.retain(|p| !matches!(p, Popup::DeviceCode(_)));
            state.identity = match r {
                Ok(i) => LoadState::Loaded(i),
                Err(e) => LoadState::Failed(e),
            };
            Vec::new()
        }
        Action::SnapshotLoaded(r) => snapshot_loaded(state, r),
        Action::UsersPage { rows, done } => {
            state.people.index.extend(rows);
            if done {
                state.people.index.sort();
                state.people.users = LoadState::Loaded(());
            }
            clamp_lists(state);
            Vec::new()
        }
        Action::UsersFailed(e) => {
            state.people.users = LoadState::Failed(e);
            Vec::new()
        }
        Action::ImpactInputsProgress { done, total } => {
            state.precedence.inputs_progress = (done, total);
            state.dirty = state.pane == PaneId::Precedence;
            Vec::new()
        }
        Action::ImpactInputsLoaded(r) => match r {
            Ok(inputs) => {
                state.precedence.inputs = LoadState::Loaded(inputs);
                if state.precedence.staged.is_some() {
                    recompute_impact(state)
                } else {
                    Vec::new()
                }
            }
            Err(e) => {
                state.precedence.inputs = LoadState::Failed(e);
                if state.precedence.staged.is_some() {
                    state.precedence.impact = ImpactState::None;
                }
                Vec::new()
            }
        },
        Action::ImpactComputed { generation, impact } => {
            if generation == state.precedence.generation && state.precedence.staged.is_some() {
                state.precedence.impact = ImpactState::Ready(impact);
            } else {
                state.dirty = false;
            }
            Vec::new()
        }
        Action::ReorderApplied(r) => match r {
            Ok(setting) => {
                // Show what Graph now holds at once, not the old order until the reload lands.
                if let LoadState::Loaded(snap) = &mut state.snapshot {
                    Arc::make_mut(snap).precedence = Some((*setting).clone());
                    let snap = snap.clone();
                    state.connections.rows = connection_rows(&snap);
                    state.sources.rows = source_rows(&snap);
                    state.problems = diagnose(&snap);
                }
                state.precedence.staged = None;
                state.precedence.impact = ImpactState::None;
                status(state, s::applied(setting.list.len()));
                vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
            }
            Err(failure) => match *failure {
                ApplyFailure::Conflict { expected, actual } => {
                    state
                        .popups
                        .push(Popup::Conflict(ConflictState { expected, actual }));
                    Vec::new()
                }
                ApplyFailure::Other(e) => {
                    message(
                        state,
                        s::APPLY_FAILED_TITLE,
                        vec![e, s::NOTHING_WRITTEN.to_owned()],
                        true,
                    );
                    Vec::new()
                }
            },
        },
        Action::RemovePlanned(r) => {
            with_removal(state, |w| {
                if matches!(w.step, RemovalStep::Planning) {
                    w.step = match r {
                        Ok(plan) => RemovalStep::Review(*plan),
                        Err(e) => RemovalStep::PlanFailed(e),
                    };
                }
            });
            Vec::new()
        }
        Action::RemoveProgress(event) => {
            with_removal(state, |w| {
                if let (
                    RemovalStep::Running { steps },
                    Event::Step {
                        step,
                        status,
                        detail,
                    },
                ) = (&mut w.step, event)
                {
                    if let Some(s) = steps.iter_mut().find(|s| s.step == step) {
                        s.status = status;
                        s.detail = detail;
                    }
                }
            });
            Vec::new()
        }
        Action::RemoveFinished { report, error } => {
            let ok = error.is_none();
            let id = report.connection.clone();
            with_removal(state, |w| {
                w.step = RemovalStep::Report {
                    steps: report.steps,
                    error,
                };
            });
            if ok {
                status(state, s::removed(&id));
            }
            vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
        }
        Action::RegisterPlanned(r) => {
            with_register(state, |w| {
                if matches!(w.stage, RegisterStage::Planning) {
                    match r {
                        Ok(plan) => w.stage = RegisterStage::Review(plan),
                        Err(e) => {
                            w.stage = RegisterStage::Editing;
                            w.form.error = Some(e);
                        }
                    }
                }
            });
            Vec::new()
        }
        Action::RegisterFinished(r) => {
            with_register(state, |w| w.stage = RegisterStage::Done(r));
            vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
        }
        Action::SetupProgress(event) => {
            if let Event::Step {
                step,
                status,
                detail,
            } = event
            {
                with_setup(state, |w| {
                    if let SetupStage::Running { steps } = &mut w.stage {
                        if let Some(s) = steps.iter_mut().find(|s| s.step == step) {
                            s.status = status;
                            s.detail = detail;
                        }
                    }
                });
            }
            Vec::new()
        }
        Action::SetupFinished(r) => {
            with_setup(state, |w| {
                let running = match &w.stage {
                    SetupStage::Running { steps } => steps.clone(),
                    _ => Vec::new(),
                };
                w.stage = match r {
                    Ok(steps) => SetupStage::Done { steps, error: None },
                    Err(e) => SetupStage::Done {
                        steps: running,
                        error: Some(e),
                    },
                };
            });
            vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
        }
        Action::SyncEvent { connection, event } => {
            if let Some(run) = state.syncs.runs.get_mut(&connection) {
                match *event {
                    crate::sync::SyncEvent::Phase { phase } => run.phase = phase,
                    crate::sync::SyncEvent::Issue(issue) => {
                        if run.issues.len() < super::state::SYNC_ISSUES_KEPT {
                            run.issues.push(issue);
                        }
                    }
                    crate::sync::SyncEvent::Throttled { .. } => run.throttled += 1,
                    crate::sync::SyncEvent::Progress(p) => {
                        run.phase = p.phase;
                        run.progress = Some(p);
                    }
                    crate::sync::SyncEvent::UsersResolved { .. }
                    | crate::sync::SyncEvent::Planned(_) => {}
                }
            }
            Vec::new()
        }
        Action::SyncFinished { connection, result } => {
            let text = match &result {
                Ok(r) if r.cancelled => s::sync_cancelled(&connection),
                Ok(r) => s::sync_finished(&connection, r.put, r.invalid + r.unmatched, r.failed),
                Err(e) => s::sync_failed(&connection, e),
            };
            if let Some(run) = state.syncs.runs.get_mut(&connection) {
                run.phase = crate::sync::Phase::Done;
                run.report = Some(result.map(|r| *r));
            }
            status(state, text);
            vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
        }
        Action::SourceUpdated(r) => match r {
            Ok(source) => {
                let pos = state
                    .popups
                    .iter()
                    .position(|p| matches!(p, Popup::EditSource(_)));
                if let Some(i) = pos {
                    state.popups.remove(i);
                }
                status(state, s::saved(&source.source_id));
                vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
            }
            Err(e) => {
                for p in &mut state.popups {
                    if let Popup::EditSource(f) = p {
                        f.saving = false;
                        f.form.error = Some(e.clone());
                    }
                }
                Vec::new()
            }
        },
        Action::ExplainLoaded { upn, result } => {
            match &mut state.people.profile {
                Some(p) if p.upn == upn => {
                    p.view = match result {
                        Ok(v) => LoadState::Loaded(v),
                        Err(e) => LoadState::Failed(e),
                    };
                }
                _ => state.dirty = false,
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn with_removal(state: &mut AppState, f: impl FnOnce(&mut RemovalWizard)) {
    if let Some(Popup::Removal(w)) = state
        .popups
        .iter_mut()
        .rev()
        .find(|p| matches!(p, Popup::Removal(_)))
    {
        f(w);
    }
}

fn with_setup(state: &mut AppState, f: impl FnOnce(&mut NewConnectionWizard)) {
    if let Some(Popup::NewConnection(w)) = state
        .popups
        .iter_mut()
        .rev()
        .find(|p| matches!(p, Popup::NewConnection(_)))
    {
        f(w);
    }
}

fn with_register(state: &mut AppState, f: impl FnOnce(&mut RegisterWizard)) {
    if let Some(Popup::Register(w)) = state
        .popups
        .iter_mut()
        .rev()
        .find(|p| matches!(p, Popup::Register(_)))
    {
        f(w);
    }
}

fn snapshot_loaded(
    state: &mut AppState,
    r: Result<Arc<crate::ops::snapshot::Snapshot>, String>,
) -> Vec<Effect> {
    state.refreshing = false;
    let snapshot = match r {
        Ok(s) => s,
        Err(e) => {
            if state.snap().is_some() {
                status_error(state, s::refresh_failed(&e));
            } else {
                state.snapshot = LoadState::Failed(e);
            }
            return Vec::new();
        }
    };
    let connectors_changed = state.snap().is_none_or(|old| {
        let ids = |s: &crate::ops::snapshot::Snapshot| {
            s.connections
                .iter()
                .map(|c| c.connection.id.clone())
                .collect::<Vec<_>>()
        };
        ids(old) != ids(&snapshot)
    });
    state.connections.rows = connection_rows(&snapshot);
    state.sources.rows = source_rows(&snapshot);
    state.problems = diagnose(&snapshot);
    if let Some(id) = &state.connections.detail {
        if snapshot.connection(id).is_none() {
            state.connections.detail = None;
        }
    }
    state.snapshot = LoadState::Loaded(snapshot);
    if connectors_changed && !state.precedence.inputs.is_loading() {
        state.precedence.inputs = LoadState::Idle;
    }
    refilter(state);
    if state.pane == PaneId::Precedence {
        return ensure_impact_inputs(state).into_iter().collect();
    }
    Vec::new()
}

fn mouse(state: &mut AppState, m: MouseInput) -> Vec<Effect> {
    if !state.mouse {
        state.dirty = false;
        return Vec::new();
    }
    match m {
        MouseInput::Scroll(d) if d > 0 => update(state, Action::Down),
        MouseInput::Scroll(_) => update(state, Action::Up),
        MouseInput::Click(col, row) => {
            if state.popups.is_empty() {
                if let Some(p) = super::layout::tab_at(col, row) {
                    return update(state, Action::GoTo(p));
                }
            }
            state.dirty = false;
            Vec::new()
        }
    }
}
