//! The guided removal wizard: plan, review, type the id, run, and retry a failed step.

use super::{PopupOutcome, job, message, status, status_error, topmost, unchanged, writable};
use crate::ops::remove::{RemovePlan, RemoveReport, Scope};
use crate::ops::{Event, StepStatus};
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::{Effect, Work};
use crate::tui::state::{AppState, Popup, RemovalStep, RemovalWizard, TextInput};
use crate::tui::strings as s;

/// Opens the wizard for the selected connector (Connections) or profile source (Sources).
pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
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
        _ => return unchanged(state),
    };
    open_for(state, &id, scope)
}

/// Opens the wizard for a connector or source by id (the Problems view's fix for an orphan).
pub(super) fn open_for(state: &mut AppState, id: &str, scope: Scope) -> Vec<Effect> {
    let id = id.to_owned();
    // The plan is a read: shown even in read-only mode, which then stops at the review.
    state.popups.push(Popup::Removal(Box::new(RemovalWizard {
        id: id.clone(),
        scope,
        step: RemovalStep::Planning,
    })));
    vec![job(state, &s::job_plan_remove(&id), Work::PlanRemove(id))]
}

/// A key in the wizard, by the step it is at.
pub(super) fn key(state: &mut AppState, mut w: Box<RemovalWizard>, action: Action) -> PopupOutcome {
    let step = std::mem::replace(&mut w.step, RemovalStep::Planning);
    let (next, effects) = match (step, action) {
        (RemovalStep::PlanFailed(_), Action::Retry) => {
            let id = w.id.clone();
            (
                RemovalStep::Planning,
                vec![job(state, &s::job_plan_remove(&id), Work::PlanRemove(id))],
            )
        }
        (RemovalStep::Review(plan), Action::Select | Action::Confirm) => {
            let steps = plan.steps_in(w.scope);
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
        (RemovalStep::Review(plan), Action::ImpactList) => {
            if let Some(impact) = &plan.impact {
                super::impact::open_list(state, s::impact_of_removal(&w.id), impact);
            }
            (RemovalStep::Review(plan), Vec::new())
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
                let steps = plan
                    .steps_in(w.scope)
                    .into_iter()
                    .map(|mut s| {
                        if s.status == StepStatus::Planned {
                            s.detail.clear();
                        }
                        s
                    })
                    .collect();
                let effect = execute(state, &w);
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
                let effect = execute(state, &w);
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

/// Runs (or reruns) the removal's steps in the background.
fn execute(state: &mut AppState, w: &RemovalWizard) -> Effect {
    job(
        state,
        &s::job_remove(&w.id),
        Work::ExecuteRemove {
            id: w.id.clone(),
            scope: w.scope,
        },
    )
}

/// The open removal wizard, if any.
fn wizard(state: &mut AppState) -> Option<&mut RemovalWizard> {
    topmost(state, |p| match p {
        Popup::Removal(w) => Some(&mut **w),
        _ => None,
    })
}

/// The plan arrived: the wizard shows it for review (unless it was closed meanwhile).
pub(super) fn planned(state: &mut AppState, r: Result<Box<RemovePlan>, String>) -> Vec<Effect> {
    if let Some(w) = wizard(state) {
        if matches!(w.step, RemovalStep::Planning) {
            w.step = match r {
                Ok(plan) => RemovalStep::Review(*plan),
                Err(e) => RemovalStep::PlanFailed(e),
            };
        }
    }
    Vec::new()
}

pub(super) fn progress(state: &mut AppState, event: Event) -> Vec<Effect> {
    if let Some(w) = wizard(state) {
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
    }
    Vec::new()
}

/// The run ended (done, or stopped at a failed step); the lists are read again either way.
pub(super) fn finished(
    state: &mut AppState,
    report: RemoveReport,
    error: Option<String>,
) -> Vec<Effect> {
    let ok = error.is_none();
    let id = report.connection.clone();
    if let Some(w) = wizard(state) {
        w.step = RemovalStep::Report {
            steps: report.steps,
            error,
        };
    }
    if ok {
        status(state, s::removed(&id));
    }
    vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
}
