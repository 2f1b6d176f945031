//! Text editing shared by every form: typing, deleting, and moving between fields.

use crate::tui::action::Action;
use crate::tui::state::Form;

/// Applies a text-editing action to a form; true when it was one.
pub(super) fn edit(form: &mut Form, action: &Action) -> bool {
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
