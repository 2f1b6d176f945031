//! Precedence staging: moves on a local copy, the impact preview, apply after a confirm, conflicts.

use std::sync::Arc;

use super::{PopupOutcome, job, message, nav, status, status_error, unchanged, writable};
use crate::ops::OpsError;
use crate::ops::impact::{ChangeRow, ImpactInputs};
use crate::ops::reorder::{Edit, ReorderPlan, plan_edit};
use crate::ops::snapshot::PrecedenceSetting;
use crate::ops::views::{connection_rows, source_rows};
use crate::people::ids::SourceId;
use crate::people::impact::Impact;
use crate::people::precedence::{Position, PrecedenceList};
use crate::tui::action::{Action, ApplyFailure, PaneId};
use crate::tui::effect::{Effect, Work};
use crate::tui::state::{
    AppState, ApplyConfirm, ConflictState, ImpactState, LoadState, Popup, Staged, TextInput,
};
use crate::tui::strings as s;

#[derive(Debug, Clone, Copy)]
enum Move {
    Up,
    Down,
    To(usize),
}

pub(super) fn move_up(state: &mut AppState) -> Vec<Effect> {
    stage_move(state, Move::Up)
}

pub(super) fn move_down(state: &mut AppState) -> Vec<Effect> {
    stage_move(state, Move::Down)
}

/// Asks which rank to move the selected entry to.
pub(super) fn ask_rank(state: &mut AppState) -> Vec<Effect> {
    if state.precedence.list.selected < state.shown_list().len() {
        state.popups.push(Popup::MoveTo(TextInput::default()));
    }
    Vec::new()
}

/// A key in the "move to rank" box: digits, then Enter.
pub(super) fn rank_key(
    state: &mut AppState,
    mut input: TextInput,
    action: &Action,
) -> PopupOutcome {
    match action {
        Action::Input(c) if c.is_ascii_digit() => {
            input.text.push(*c);
            (Some(Popup::MoveTo(input)), Vec::new())
        }
        Action::Backspace => {
            input.text.pop();
            (Some(Popup::MoveTo(input)), Vec::new())
        }
        Action::ClearInput => {
            input.text.clear();
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
    }
}

fn stage_move(state: &mut AppState, how: Move) -> Vec<Effect> {
    if state.pane != PaneId::Precedence {
        return unchanged(state);
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

pub(super) fn discard(state: &mut AppState) -> Vec<Effect> {
    if state.precedence.staged.take().is_some() {
        state.precedence.impact = ImpactState::None;
        state.precedence.impact_rows = Arc::default();
        status(state, s::DISCARDED);
    }
    Vec::new()
}

/// An edit of one entry that is staged and then asked about at once (the Precedence pane's
/// `d`, and the Problems view's fixes).
#[derive(Debug, Clone)]
pub(super) enum EntryEdit {
    /// Every entry naming this source.
    Remove(SourceId),
    /// The entry at this 1-based rank.
    RemoveRank(usize),
    /// Microsoft Entra ID, appended last.
    AddEntra,
}

/// `d` in the Precedence pane: removes the selected entry (staged, then the apply dialog).
pub(super) fn remove_entry(state: &mut AppState) -> Vec<Effect> {
    let rank = state.precedence.list.selected + 1;
    if rank > state.shown_list().len() {
        return unchanged(state);
    }
    stage_and_confirm(state, &EntryEdit::RemoveRank(rank))
}

/// Stages an entry edit on the tenant's list and opens the apply dialog: the same staged
/// order, impact preview and read-compare-write as a reorder. Refused while another order is
/// staged, which would otherwise be mixed in.
pub(super) fn stage_and_confirm(state: &mut AppState, edit: &EntryEdit) -> Vec<Effect> {
    if !writable(state, s::WHAT_APPLY) {
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
    if state
        .precedence
        .staged
        .as_ref()
        .is_some_and(Staged::changed)
    {
        status_error(state, s::STAGED_FIRST);
        return Vec::new();
    }
    let after = match edit {
        EntryEdit::Remove(id) => plan_edit(setting, &Edit::Remove(id.clone())).map(|p| p.after),
        EntryEdit::RemoveRank(rank) => {
            plan_edit(setting, &Edit::RemoveRank(*rank)).map(|p| p.after)
        }
        EntryEdit::AddEntra => setting
            .list
            .insert_source(&SourceId::entra(), Position::Bottom)
            .map_err(|e| OpsError::Invalid(e.to_string())),
    };
    let after = match after {
        Ok(list) => list,
        Err(e) => {
            status_error(state, e.to_string());
            return Vec::new();
        }
    };
    state.precedence.staged = Some(Staged {
        setting_id: setting.id.clone(),
        base: setting.list.clone(),
        list: after,
    });
    let mut effects = recompute_impact(state);
    effects.extend(apply(state));
    effects
}

/// Starts reading the users' source values the first time the precedence pane needs them.
pub(super) fn ensure_impact_inputs(state: &mut AppState) -> Option<Effect> {
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

pub(super) fn inputs_progress(state: &mut AppState, done: usize, total: usize) -> Vec<Effect> {
    state.precedence.inputs_progress = (done, total);
    state.dirty = state.pane == PaneId::Precedence;
    Vec::new()
}

pub(super) fn inputs_loaded(
    state: &mut AppState,
    r: Result<Arc<ImpactInputs>, String>,
) -> Vec<Effect> {
    match r {
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
    }
}

/// An impact preview arrived; one for an older staged order is dropped.
pub(super) fn impact_computed(
    state: &mut AppState,
    generation: u64,
    impact: Arc<Impact>,
    rows: Arc<Vec<ChangeRow>>,
) -> Vec<Effect> {
    if generation == state.precedence.generation && state.precedence.staged.is_some() {
        state.precedence.impact = ImpactState::Ready(impact);
        state.precedence.impact_rows = rows;
    } else {
        state.dirty = false;
    }
    Vec::new()
}

/// Asks to confirm applying the staged order (refused in read-only mode).
pub(super) fn apply(state: &mut AppState) -> Vec<Effect> {
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
    state.popups.push(Popup::ConfirmApply(ApplyConfirm {
        plan,
        now: LoadState::Loading,
    }));
    // The dialog shows Graph's list as it is now, not the copy the edit started from.
    vec![job(state, s::JOB_READ_PRECEDENCE, Work::ReadPrecedence)]
}

/// Graph's list, read for the open apply dialog.
pub(super) fn precedence_read(
    state: &mut AppState,
    r: Result<Option<PrecedenceList>, String>,
) -> Vec<Effect> {
    let dialog = super::topmost(state, |p| match p {
        Popup::ConfirmApply(c) => Some(c),
        _ => None,
    });
    match dialog {
        Some(c) => {
            c.now = match r {
                Ok(list) => LoadState::Loaded(list),
                Err(e) => LoadState::Failed(e),
            };
        }
        None => state.dirty = false,
    }
    Vec::new()
}

pub(super) fn confirm_key(state: &mut AppState, c: ApplyConfirm, action: &Action) -> PopupOutcome {
    match action {
        Action::Confirm | Action::Select => {
            // Known to have changed: say so now; the write would only be refused.
            if let LoadState::Loaded(now) = &c.now {
                let actual = now.clone().unwrap_or_default();
                if actual != c.plan.before {
                    let conflict = ConflictState {
                        expected: c.plan.before,
                        actual,
                    };
                    return (Some(Popup::Conflict(conflict)), Vec::new());
                }
            }
            status(state, s::APPLYING);
            let effect = job(state, s::JOB_APPLY, Work::ApplyReorder(c.plan));
            (None, vec![effect])
        }
        Action::ImpactList => {
            let effects = super::impact::open_staged(state);
            (Some(Popup::ConfirmApply(c)), effects)
        }
        Action::Deny | Action::Back => {
            status(state, s::NOT_APPLIED);
            (None, Vec::new())
        }
        _ => (Some(Popup::ConfirmApply(c)), Vec::new()),
    }
}

pub(super) fn applied(
    state: &mut AppState,
    r: Result<Box<PrecedenceSetting>, Box<ApplyFailure>>,
) -> Vec<Effect> {
    match r {
        Ok(setting) => {
            // Show what Graph now holds at once, not the old order until the reload lands.
            if let LoadState::Loaded(snap) = &mut state.snapshot {
                Arc::make_mut(snap).precedence = Some((*setting).clone());
                let snap = snap.clone();
                state.connections.rows = connection_rows(&snap);
                state.sources.rows = source_rows(&snap);
            }
            super::problems::rediagnose(state);
            state.precedence.staged = None;
            state.precedence.impact = ImpactState::None;
            state.precedence.impact_rows = Arc::default();
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
    }
}

/// Graph's list changed since it was shown: start over from it, or keep looking.
pub(super) fn conflict_key(
    state: &mut AppState,
    c: ConflictState,
    action: &Action,
) -> PopupOutcome {
    match action {
        Action::Select | Action::Confirm | Action::Retry => {
            // Start over from what Graph holds now; the staged order is dropped.
            state.precedence.staged = None;
            state.precedence.impact = ImpactState::None;
            status(state, s::CONFLICT_RELOADED);
            (None, nav::refresh(state))
        }
        Action::Back | Action::Deny => (None, Vec::new()),
        _ => (Some(Popup::Conflict(c)), Vec::new()),
    }
}
