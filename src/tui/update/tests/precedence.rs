//! Staging moves on a local copy, apply with a confirm, conflicts, and late impact results.

use std::sync::Arc;

use proptest::prelude::*;

use super::{key, keys, snapshot, state, type_text, update, url, works};
use crate::people::impact::Impact;
use crate::people::precedence::PrecedenceList;
use crate::people::source_url::ENTRA_SOURCE_ID;
use crate::tui::action::{Action, ApplyFailure};
use crate::tui::effect::Work;
use crate::tui::state::{AppState, ImpactState, Popup};

fn staged_ids(s: &AppState) -> Vec<String> {
    s.shown_list()
        .entries()
        .iter()
        .map(|e| e.as_str().to_owned())
        .collect()
}

#[test]
fn moving_stages_a_copy_that_moving_back_unstages() {
    let mut s = state(false);
    key(&mut s, "3");
    let before = staged_ids(&s);
    key(&mut s, "J");
    let staged = s.precedence.staged.clone().expect("staged");
    assert!(staged.changed());
    assert_eq!(staged.moved_from(1), Some(0));
    assert_eq!(
        s.precedence.list.selected, 1,
        "the selection follows the entry"
    );
    assert_ne!(staged_ids(&s), before);
    assert_eq!(
        s.precedence.impact,
        ImpactState::WaitingForInputs,
        "no inputs loaded yet"
    );
    key(&mut s, "K");
    assert!(
        s.precedence.staged.is_none(),
        "back where it was: nothing staged"
    );
    assert_eq!(staged_ids(&s), before);
    // Moving the top entry up says why nothing happened.
    keys(&mut s, "g K");
    assert!(s.status.as_ref().is_some_and(|st| st.text.contains("top")));
}

#[test]
fn apply_asks_first_then_writes_and_a_conflict_is_shown_not_overwritten() {
    let mut s = state(false);
    keys(&mut s, "3 J");
    let effects = keys(&mut s, "a");
    assert!(
        works(&effects).iter().all(|w| !w.writes()),
        "nothing is written before yes"
    );
    assert!(
        matches!(works(&effects)[..], [Work::ReadPrecedence]),
        "the dialog reads Graph's list again"
    );
    let Some(Popup::ConfirmApply(c)) = s.popups.last() else {
        panic!("confirm popup expected, got {:?}", s.popups);
    };
    assert_eq!(c.plan.before, snapshot().list());
    update(&mut s, Action::PrecedenceRead(Ok(Some(snapshot().list()))));
    let effects = key(&mut s, "y");
    assert!(matches!(works(&effects)[..], [Work::ApplyReorder(_)]));
    assert!(s.popups.is_empty());
    let actual = PrecedenceList::from_urls([url(ENTRA_SOURCE_ID), url("contosohr")]);
    update(
        &mut s,
        Action::ReorderApplied(Err(Box::new(ApplyFailure::Conflict {
            expected: snapshot().list(),
            actual: actual.clone(),
        }))),
    );
    let Some(Popup::Conflict(c)) = s.popups.last() else {
        panic!("conflict popup expected");
    };
    assert_eq!(c.actual, actual);
    assert!(s.precedence.staged.is_some(), "the staged order is kept");
    // Enter drops the staged order and reads Graph again; nothing is written.
    let effects = key(&mut s, "enter");
    assert!(s.precedence.staged.is_none());
    assert!(works(&effects).iter().all(|w| !w.writes()));
    assert!(
        works(&effects)
            .iter()
            .any(|w| matches!(w, Work::LoadSnapshot))
    );
}

#[test]
fn late_impact_results_are_dropped_and_unknown_keys_do_not_redraw() {
    let mut s = state(false);
    keys(&mut s, "3 J");
    let generation = s.precedence.generation;
    key(&mut s, "J");
    update(
        &mut s,
        Action::ImpactComputed {
            generation,
            impact: Arc::new(Impact {
                users: 1,
                changed_users: vec![],
                per_property: vec![],
                changes: vec![],
            }),
            rows: Arc::default(),
        },
    );
    assert!(!matches!(s.precedence.impact, ImpactState::Ready(_)));
    s.dirty = false;
    key(&mut s, "f12");
    assert!(!s.dirty, "an unbound key changes nothing and draws nothing");
}

#[derive(Debug, Clone)]
enum Op {
    Up,
    Down,
    MoveUp,
    MoveDown,
    MoveTo(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Up),
        Just(Op::Down),
        Just(Op::MoveUp),
        Just(Op::MoveDown),
        (1usize..6).prop_map(Op::MoveTo),
    ]
}

proptest! {
    #[test]
    fn any_sequence_of_moves_keeps_the_staged_list_a_permutation(ops in proptest::collection::vec(op(), 0..40)) {
        let mut s = state(false);
        key(&mut s, "3");
        let mut original = staged_ids(&s);
        for o in ops {
            match o {
                Op::Up => { key(&mut s, "k"); }
                Op::Down => { key(&mut s, "j"); }
                Op::MoveUp => { key(&mut s, "K"); }
                Op::MoveDown => { key(&mut s, "J"); }
                Op::MoveTo(rank) => {
                    key(&mut s, "m");
                    type_text(&mut s, &rank.to_string());
                    key(&mut s, "enter");
                    if !s.popups.is_empty() { key(&mut s, "esc"); }
                }
            }
            let mut now = staged_ids(&s);
            prop_assert_eq!(now.len(), original.len());
            now.sort();
            original.sort();
            prop_assert_eq!(&now, &original);
            prop_assert!(s.precedence.list.selected < now.len());
            // Staged exactly when the order differs from Graph's.
            let differs = s.shown_list() != snapshot().list();
            prop_assert_eq!(s.precedence.staged.is_some(), differs);
        }
    }
}
