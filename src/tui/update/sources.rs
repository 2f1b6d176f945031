//! Editing a profile source: its display name and web URL, patched only where they changed.

use super::{PopupOutcome, forms, job, message, status, unchanged, writable};
use crate::graph::sources::{ProfileSource, ProfileSourcePatch};
use crate::ops::register::check_web_url;
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::{Effect, Work};
use crate::tui::state::{AppState, EditSourceForm, Field, Form, Popup, TextInput};
use crate::tui::strings as s;

/// Opens the form for the selected source (built-in sources cannot be edited).
pub(super) fn edit(state: &mut AppState) -> Vec<Effect> {
    if state.pane != PaneId::Sources {
        return unchanged(state);
    }
    let Some(row) = state.selected_source().cloned() else {
        return Vec::new();
    };
    if row.built_in {
        message(
            state,
            s::EDIT_TITLE,
            vec![s::built_in_not_editable(&row.source_id)],
            false,
        );
        return Vec::new();
    }
    if !writable(state, s::WHAT_EDIT) {
        return Vec::new();
    }
    let mut name = Field::new(s::FIELD_DISPLAY_NAME);
    name.input = TextInput::with(row.display_name.clone().unwrap_or_default());
    let mut url = Field::new(s::FIELD_WEB_URL);
    url.input = TextInput::with(row.web_url.clone().unwrap_or_default());
    url.note = Some(s::WEB_URL_NOTE.to_owned());
    state.popups.push(Popup::EditSource(EditSourceForm {
        source_id: row.source_id,
        form: Form {
            fields: vec![name, url],
            focus: 0,
            error: None,
        },
        saving: false,
    }));
    Vec::new()
}

/// A key in the form; Enter saves what changed.
pub(super) fn key(state: &mut AppState, mut f: EditSourceForm, action: &Action) -> PopupOutcome {
    if f.saving {
        return (Some(Popup::EditSource(f)), Vec::new());
    }
    if forms::edit(&mut f.form, action) {
        return (Some(Popup::EditSource(f)), Vec::new());
    }
    match action {
        Action::Back => (None, Vec::new()),
        Action::Submit => {
            let original = state
                .sources
                .rows
                .iter()
                .find(|r| r.source_id == f.source_id)
                .cloned();
            let name = f.form.value(0).to_owned();
            let url = f.form.value(1).to_owned();
            if name.is_empty() {
                f.form.error = Some(s::NAME_REQUIRED.to_owned());
                return (Some(Popup::EditSource(f)), Vec::new());
            }
            if let Err(e) = check_web_url(&url) {
                f.form.error = Some(e.to_string());
                f.form.focus = 1;
                return (Some(Popup::EditSource(f)), Vec::new());
            }
            let patch = ProfileSourcePatch {
                display_name: (original.as_ref().and_then(|o| o.display_name.as_deref())
                    != Some(name.as_str()))
                .then_some(name),
                web_url: (original.as_ref().and_then(|o| o.web_url.as_deref())
                    != Some(url.as_str()))
                .then_some(url),
                kind: None,
            };
            if patch.display_name.is_none() && patch.web_url.is_none() {
                status(state, s::NOTHING_CHANGED);
                return (None, Vec::new());
            }
            f.saving = true;
            let effect = job(
                state,
                &s::job_save_source(&f.source_id),
                Work::UpdateSource {
                    source_id: f.source_id.clone(),
                    patch,
                },
            );
            (Some(Popup::EditSource(f)), vec![effect])
        }
        _ => (Some(Popup::EditSource(f)), Vec::new()),
    }
}

/// The save ended: the form closes and the lists are read again, or it shows why not.
pub(super) fn updated(state: &mut AppState, r: Result<ProfileSource, String>) -> Vec<Effect> {
    match r {
        Ok(source) => {
            let pos = state
                .popups
                .iter()
                .position(|p| matches!(p, Popup::EditSource(_)));
            if let Some(i) = pos {
                state.popups.remove(i);
            }
            status(state, s::saved(&source.source_id));
            vec![job(state, s::JOB_TENANT, Work::LoadSnapshot)]
        }
        Err(e) => {
            for p in &mut state.popups {
                if let Popup::EditSource(f) = p {
                    f.saving = false;
                    f.form.error = Some(e.clone());
                }
            }
            Vec::new()
        }
    }
}
