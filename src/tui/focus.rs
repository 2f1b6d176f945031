//! Where the keys go: which keymap sections apply, and which popups and fields take typing.

// `update` resolves keys with it and the footer offers hints with it, so both follow one rule.

use super::action::{Action, PaneId};
use super::keymap::{Key, KeyChord, Section};
use super::state::{AppState, Popup, RegisterStage, RemovalStep, SetupStage};

/// True when a field has the keys: characters no binding takes are typed into it.
pub fn typing(state: &AppState) -> bool {
    match state.popups.last() {
        Some(p) => takes_text(p),
        None => editing_filter(state),
    }
}

/// The keymap sections that apply now, in lookup order.
pub fn sections(state: &AppState) -> Vec<Section> {
    if state.goto_pending {
        vec![Section::Goto]
    } else if typing(state) {
        vec![Section::Input]
    } else if let Some(Popup::Text(_)) = state.popups.last() {
        vec![Section::View, Section::Popup]
    } else if !state.popups.is_empty() {
        vec![Section::Popup]
    } else {
        vec![state.pane.section(), Section::Global]
    }
}

/// The action a key means where the focus is: a popup, a field being typed in, the pane, then
/// the global keys.
pub fn resolve_key(state: &AppState, chord: &KeyChord) -> Option<Action> {
    if let Some(a) = sections(state)
        .into_iter()
        .find_map(|s| state.keymap.lookup(s, chord))
    {
        return Some(a.clone());
    }
    match chord.key {
        Key::Char(c) if typing(state) && !chord.ctrl && !chord.alt => Some(Action::Input(c)),
        _ => None,
    }
}

/// True when a popup's keys are typed into a field.
pub fn takes_text(popup: &Popup) -> bool {
    match popup {
        Popup::Palette(_) | Popup::MoveTo(_) | Popup::SyncFile { .. } => true,
        Popup::NewConnection(w) => matches!(w.stage, SetupStage::Editing),
        Popup::Removal(w) => matches!(w.step, RemovalStep::TypeId { .. }),
        Popup::Register(w) => matches!(w.stage, RegisterStage::Editing),
        Popup::EditSource(f) => !f.saving,
        _ => false,
    }
}

/// True when a (non-text) popup does something with `action`: the footer offers only those.
pub fn popup_accepts(popup: &Popup, action: &Action) -> bool {
    use Action as A;
    let close = matches!(action, A::Back | A::Quit);
    match popup {
        Popup::Help { .. } | Popup::SyncReport { .. } => {
            close || matches!(action, A::Up | A::Down | A::ViewFull)
        }
        Popup::Message(_) => close || matches!(action, A::ViewFull),
        Popup::Text(_) => {
            close
                || matches!(
                    action,
                    A::Up
                        | A::Down
                        | A::PageUp
                        | A::PageDown
                        | A::Top
                        | A::Bottom
                        | A::Yank
                        | A::YankFull
                )
        }
        Popup::ConfirmApply(_) => close || matches!(action, A::Confirm | A::Deny | A::ImpactList),
        Popup::ConfirmQuit { .. } => close || matches!(action, A::Confirm | A::Deny),
        Popup::Problems(_) => close || matches!(action, A::Up | A::Down | A::Select),
        Popup::ImpactList(_) => {
            close
                || matches!(
                    action,
                    A::Up | A::Down | A::PageUp | A::PageDown | A::Top | A::Bottom | A::Select
                )
        }
        Popup::Propagation(_) => {
            close
                || matches!(
                    action,
                    A::Up
                        | A::Down
                        | A::PageUp
                        | A::PageDown
                        | A::Top
                        | A::Bottom
                        | A::Select
                        | A::JumpBack
                        | A::ViewFull
                )
        }
        Popup::Conflict(_) => close || matches!(action, A::Select),
        Popup::Removal(w) => match &w.step {
            RemovalStep::PlanFailed(_) | RemovalStep::Report { error: Some(_), .. } => {
                close || matches!(action, A::Retry)
            }
            RemovalStep::Review(p) => {
                close
                    || matches!(action, A::Select)
                    || (p.impact.is_some() && matches!(action, A::ImpactList))
            }
            RemovalStep::Running { .. } => matches!(action, A::Quit),
            _ => close,
        },
        Popup::NewConnection(w) => match &w.stage {
            SetupStage::Running { .. } => matches!(action, A::Quit),
            _ => close,
        },
        Popup::Register(w) => match &w.stage {
            RegisterStage::Review(p) => {
                close
                    || matches!(action, A::Confirm)
                    || (p.impact.is_some() && matches!(action, A::ImpactList))
            }
            RegisterStage::Running => matches!(action, A::Quit),
            _ => close,
        },
        _ => close,
    }
}

/// True when the shown pane's filter or search field has the keys.
pub fn editing_filter(state: &AppState) -> bool {
    match state.pane {
        PaneId::Connections => state.connections.filter.editing,
        PaneId::Sources => state.sources.filter.editing,
        PaneId::People => state.people.search.editing,
        PaneId::Precedence | PaneId::Syncs => false,
    }
}
