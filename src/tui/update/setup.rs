//! The new-connection wizard: a form checked as it is typed, then `ops::setup` with its progress.

use super::{PopupOutcome, forms, job, topmost, unchanged, writable};
use crate::ops::setup::{Polling, SchemaChoice, SetupRequest};
use crate::ops::{Event, StepReport, StepStatus};
use crate::people::ids::ConnectionId;
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::{Effect, Work};
use crate::tui::state::{AppState, Field, Form, NewConnectionWizard, Popup, SetupStage, TextInput};
use crate::tui::strings as s;

/// Opens the wizard (Connections pane only; refused in read-only mode).
pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    if state.pane != PaneId::Connections {
        return unchanged(state);
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

/// A key in the wizard, by the stage it is at.
pub(super) fn key(
    state: &mut AppState,
    mut w: Box<NewConnectionWizard>,
    action: &Action,
) -> PopupOutcome {
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
    if forms::edit(form, action) {
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

/// Checks a connection id as it is typed.
fn validate_connection_id(field: &mut Field) {
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

/// The open new-connection wizard, if any.
fn wizard(state: &mut AppState) -> Option<&mut NewConnectionWizard> {
    topmost(state, |p| match p {
        Popup::NewConnection(w) => Some(&mut **w),
        _ => None,
    })
}

pub(super) fn progress(state: &mut AppState, event: Event) -> Vec<Effect> {
    if let Event::Step {
        step,
        status,
        detail,
    } = event
    {
        if let Some(SetupStage::Running { steps }) = wizard(state).map(|w| &mut w.stage) {
            if let Some(s) = steps.iter_mut().find(|s| s.step == step) {
                s.status = status;
                s.detail = detail;
            }
        }
    }
    Vec::new()
}

/// Setup ended: the wizard shows how (keeping the steps it had when it failed).
pub(super) fn finished(state: &mut AppState, r: Result<Vec<StepReport>, String>) -> Vec<Effect> {
    if let Some(w) = wizard(state) {
        let running = match &w.stage {
            SetupStage::Running { steps } => steps.clone(),
            _ => Vec::new(),
        };
        w.stage = match r {
            Ok(steps) => SetupStage::Done { steps, error: None },
            Err(e) => SetupStage::Done {
                // The step that was running when it stopped is the one that failed.
                steps: crate::ops::fail_running(running, &e),
                error: Some(e),
            },
        };
    }
    vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
}
