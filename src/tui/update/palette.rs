//! The command palette: every command of the pane and the global ones, found by typing.

use super::{PopupOutcome, update};
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::state::{AppState, PaletteState, Popup};

pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    state.popups.push(Popup::Palette(PaletteState::default()));
    Vec::new()
}

/// A key in the palette; Enter runs the chosen command as if its key were pressed.
pub(super) fn key(state: &mut AppState, mut p: PaletteState, action: &Action) -> PopupOutcome {
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
