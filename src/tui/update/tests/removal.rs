//! The removal wizard: review, typed confirmation, progress, retry, and the source-only scope.

use super::{key, plan, state, type_text, update, works};
use crate::ops::remove::{RemoveReport, Scope};
use crate::ops::{Event, StepStatus};
use crate::tui::action::Action;
use crate::tui::effect::{Effect, Work};
use crate::tui::state::{AppState, Popup, RemovalStep};

fn removal_step(s: &AppState) -> &RemovalStep {
    match s.popups.last() {
        Some(Popup::Removal(w)) => &w.step,
        other => panic!("removal wizard expected, got {other:?}"),
    }
}

/// Reviews a plan for `id`, then types the id to confirm; returns what confirming asks for.
fn review_and_confirm(s: &mut AppState, id: &str) -> Vec<Effect> {
    update(s, Action::RemovePlanned(Ok(Box::new(plan(id)))));
    key(s, "enter");
    type_text(s, id);
    key(s, "enter")
}

#[test]
fn the_removal_wizard_needs_the_typed_id_and_esc_cancels_before_any_write() {
    let mut s = state(false);
    let effects = key(&mut s, "d");
    assert!(matches!(works(&effects)[..], [Work::PlanRemove(id)] if id == "contosohr"));
    assert!(matches!(removal_step(&s), RemovalStep::Planning));
    update(
        &mut s,
        Action::RemovePlanned(Ok(Box::new(plan("contosohr")))),
    );
    assert!(matches!(removal_step(&s), RemovalStep::Review(_)));
    key(&mut s, "enter");
    assert!(matches!(removal_step(&s), RemovalStep::TypeId { .. }));
    type_text(&mut s, "contoso");
    assert!(
        key(&mut s, "enter").is_empty(),
        "a partial id does not confirm"
    );
    assert!(s.status.as_ref().is_some_and(|st| st.error));
    // Esc cancels: the wizard closes and nothing was asked to run.
    assert!(key(&mut s, "esc").is_empty());
    assert!(s.popups.is_empty());

    key(&mut s, "d");
    let effects = review_and_confirm(&mut s, "contosohr");
    assert!(matches!(
        works(&effects)[..],
        [Work::ExecuteRemove { id, .. }] if id == "contosohr"
    ));
    update(
        &mut s,
        Action::RemoveProgress(Event::Step {
            step: "precedence".into(),
            status: StepStatus::Done,
            detail: "removed".into(),
        }),
    );
    let RemovalStep::Running { steps } = removal_step(&s) else {
        panic!("running expected");
    };
    assert_eq!(steps[0].status, StepStatus::Done);
    // The second step fails; retry runs the removal again and finishes it.
    let mut failed = plan("contosohr").steps;
    failed[0].status = StepStatus::Done;
    failed[1].status = StepStatus::Failed;
    update(
        &mut s,
        Action::RemoveFinished {
            report: Box::new(RemoveReport {
                connection: "contosohr".into(),
                dry_run: false,
                steps: failed,
            }),
            error: Some("profileSource: 503".into()),
        },
    );
    assert!(matches!(
        removal_step(&s),
        RemovalStep::Report { error: Some(_), .. }
    ));
    let effects = key(&mut s, "r");
    assert!(matches!(works(&effects)[..], [Work::ExecuteRemove { .. }]));
    let RemovalStep::Running { steps } = removal_step(&s) else {
        panic!("running again expected");
    };
    assert_eq!(steps[0].status, StepStatus::Done, "done stays done");
    assert_eq!(steps[1].status, StepStatus::Planned);
}

#[test]
fn removing_a_source_keeps_its_connection_out_of_the_plan() {
    let mut s = state(false);
    key(&mut s, "2");
    // The first source row is contosohr, which also has a connection.
    let effects = key(&mut s, "d");
    assert!(matches!(works(&effects)[..], [Work::PlanRemove(id)] if id == "contosohr"));
    let Some(Popup::Removal(w)) = s.popups.last() else {
        panic!("removal wizard expected");
    };
    assert_eq!(w.scope, Scope::SourceOnly);
    let effects = review_and_confirm(&mut s, "contosohr");
    assert!(matches!(
        works(&effects)[..],
        [Work::ExecuteRemove {
            scope: Scope::SourceOnly,
            ..
        }]
    ));
    let RemovalStep::Running { steps } = removal_step(&s) else {
        panic!("running expected");
    };
    let names: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        names,
        ["precedence", "profileSource"],
        "the connection stays"
    );
}

#[test]
fn a_source_already_gone_reports_done_without_asking_even_if_its_connection_remains() {
    let mut s = state(false);
    key(&mut s, "2");
    key(&mut s, "d");
    let mut p = plan("contosohr");
    p.steps[0].status = StepStatus::AlreadyDone;
    p.steps[1].status = StepStatus::AlreadyDone;
    update(&mut s, Action::RemovePlanned(Ok(Box::new(p))));
    assert!(key(&mut s, "enter").is_empty(), "nothing to run");
    let RemovalStep::Report { steps, error: None } = removal_step(&s) else {
        panic!("report expected, got {:?}", removal_step(&s));
    };
    assert_eq!(steps.len(), 2);
}
