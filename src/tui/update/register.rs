//! The register wizard: a connection as a profile source, checked against the tenant, then ranked.

use super::{PopupOutcome, forms, job, status, topmost, writable};
use crate::ops::StepReport;
use crate::ops::register::{RegisterPlan, RegisterRequest, check_web_url};
use crate::people::ids::SourceId;
use crate::people::precedence::Position;
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::{Effect, Work};
use crate::tui::state::{AppState, Field, Form, Popup, RegisterStage, RegisterWizard, TextInput};
use crate::tui::strings as s;

/// Opens the wizard, filled in from the selected connection (Connections) or the first people
/// connection not registered yet (elsewhere).
pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    let connection = match state.pane {
        PaneId::Connections => state.selected_connection().map(|r| r.id.clone()),
        _ => state.snap().and_then(|snapshot| {
            snapshot
                .connections
                .iter()
                .find(|c| c.is_people() && snapshot.source(&c.connection.id).is_none())
                .map(|c| c.connection.id.clone())
        }),
    };
    open_for(state, connection)
}

/// Opens the wizard for this connection (the Problems view's fix for an unregistered or
/// unranked connection).
pub(super) fn open_for(state: &mut AppState, connection: Option<String>) -> Vec<Effect> {
    if !writable(state, s::WHAT_REGISTER) {
        return Vec::new();
    }
    let Some(snapshot) = state.snap().cloned() else {
        status(state, s::WAITING_FOR_TENANT);
        return Vec::new();
    };
    // A registered source keeps its link (a notRanked fix only ranks it).
    let web_url = connection
        .as_deref()
        .and_then(|id| snapshot.source(id))
        .and_then(|s| s.web_url.clone())
        .unwrap_or_default();
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
    fields[1].input = TextInput::with(web_url);
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

/// A key in the wizard, by the stage it is at.
pub(super) fn key(
    state: &mut AppState,
    mut w: Box<RegisterWizard>,
    action: &Action,
) -> PopupOutcome {
    let stage = std::mem::replace(&mut w.stage, RegisterStage::Editing);
    match stage {
        RegisterStage::Editing => {
            if forms::edit(&mut w.form, action) {
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
            Action::ImpactList => {
                if let Some(impact) = &plan.impact {
                    super::impact::open_list(state, s::impact_of_register(&plan.source_id), impact);
                }
                w.stage = RegisterStage::Review(plan);
                (Some(Popup::Register(w)), Vec::new())
            }
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
        // The console has no override: the refusal says how to create a people connection,
        // and `peoplectl sources register --force` remains for the rare case.
        force: false,
    })
}

/// The open register wizard, if any.
fn wizard(state: &mut AppState) -> Option<&mut RegisterWizard> {
    topmost(state, |p| match p {
        Popup::Register(w) => Some(&mut **w),
        _ => None,
    })
}

/// The plan arrived: review it, or back to the form with what Graph objected to.
pub(super) fn planned(state: &mut AppState, r: Result<Box<RegisterPlan>, String>) -> Vec<Effect> {
    if let Some(w) = wizard(state) {
        if matches!(w.stage, RegisterStage::Planning) {
            match r {
                Ok(plan) => w.stage = RegisterStage::Review(plan),
                Err(e) => {
                    w.stage = RegisterStage::Editing;
                    // A refusal lists its reasons on lines; the form wraps one paragraph.
                    let one = e
                        .lines()
                        .map(|l| l.trim().trim_start_matches("- "))
                        .collect::<Vec<_>>()
                        .join(" ");
                    w.form.error = Some(one);
                }
            }
        }
    }
    Vec::new()
}

pub(super) fn finished(state: &mut AppState, r: Result<Vec<StepReport>, String>) -> Vec<Effect> {
    if let Some(w) = wizard(state) {
        w.stage = RegisterStage::Done(r);
    }
    vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
}
