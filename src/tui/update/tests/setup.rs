//! The new-connection wizard.

use super::{key, state, type_text, update, works};
use crate::ops::{Event, StepStatus};
use crate::tui::action::Action;
use crate::tui::effect::Work;
use crate::tui::state::{AppState, NewConnectionWizard, Popup, SetupStage};

fn wizard(s: &AppState) -> NewConnectionWizard {
    match s.popups.last() {
        Some(Popup::NewConnection(w)) => (**w).clone(),
        other => panic!("wizard expected, got {other:?}"),
    }
}

#[test]
fn the_new_connection_wizard_checks_the_id_as_it_is_typed_then_runs_setup() {
    let mut s = state(false);
    key(&mut s, "n");
    type_text(&mut s, "mi");
    assert!(wizard(&s).form.fields[0].error.is_some(), "too short");
    type_text(&mut s, "crosofthr");
    assert!(
        wizard(&s).form.fields[0]
            .error
            .as_deref()
            .is_some_and(|e| e.to_lowercase().contains("microsoft")),
        "{:?}",
        wizard(&s).form.fields[0].error
    );
    key(&mut s, "ctrl-u");
    type_text(&mut s, "workdayhr");
    assert!(wizard(&s).form.fields[0].error.is_none());
    assert!(key(&mut s, "enter").is_empty(), "a name is required first");
    assert!(wizard(&s).form.error.is_some());
    type_text(&mut s, "Workday");
    let effects = key(&mut s, "enter");
    assert!(matches!(
        works(&effects)[..],
        [Work::Setup(r)] if r.id.as_str() == "workdayhr" && r.name == "Workday" && r.wait
    ));
    assert!(matches!(wizard(&s).stage, SetupStage::Running { .. }));
    assert!(
        key(&mut s, "esc").is_empty(),
        "esc does not hide a running setup"
    );
    assert!(matches!(s.popups.last(), Some(Popup::NewConnection(_))));
    update(
        &mut s,
        Action::SetupProgress(Event::Step {
            step: "schema".into(),
            status: StepStatus::Running,
            detail: "provisioning (4s)".into(),
        }),
    );
    let SetupStage::Running { steps } = wizard(&s).stage else {
        panic!("running")
    };
    assert_eq!(steps[1].detail, "provisioning (4s)");
    let effects = update(&mut s, Action::SetupFinished(Err("schema refused".into())));
    assert!(
        matches!(works(&effects)[..], [Work::LoadSnapshot]),
        "lists are read again"
    );
    let SetupStage::Done {
        steps,
        error: Some(_),
    } = wizard(&s).stage
    else {
        panic!("done with an error")
    };
    // The step that was running when setup stopped shows failed, with the error.
    assert_eq!(steps[1].status, StepStatus::Failed);
    assert_eq!(steps[1].detail, "schema refused");
    key(&mut s, "esc");
    assert!(s.popups.is_empty());
}
