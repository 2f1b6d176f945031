//! The People pane: the users as they are read, and one person's composed profile.

use std::sync::Arc;

use super::{PopupOutcome, job, nav, status};
use crate::auth::claims::TokenKind;
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::{Effect, Work};
use crate::tui::people_index::UserRow;
use crate::tui::profile::ExplainView;
use crate::tui::state::{AppState, Cursor, LoadState, Popup, ProfileState};
use crate::tui::strings as s;

pub(super) fn users_page(state: &mut AppState, rows: Vec<UserRow>, done: bool) -> Vec<Effect> {
    state.people.index.extend(rows);
    if done {
        match state.view(PaneId::People).sort {
            Some((column, descending)) => state.people.index.sort_by(column, descending),
            None => state.people.index.sort(),
        }
        state.people.users = LoadState::Loaded(());
        state.read.users = Some(state.clock.now());
        // A reload keeps the cursor on the person it was on.
        if let Some(id) = state.people.reselect.take() {
            super::jump::select_person_by_id(state, &id);
        }
    }
    nav::clamp_lists(state);
    Vec::new()
}

pub(super) fn users_failed(state: &mut AppState, e: String) -> Vec<Effect> {
    state.people.users = LoadState::Failed(e);
    Vec::new()
}

/// Opens the selected person's profile and asks for its explanation.
pub(super) fn open(state: &mut AppState) -> Vec<Effect> {
    let Some(user) = state.people.index.matched(state.people.list.selected) else {
        state.dirty = false;
        return Vec::new();
    };
    let upn = user.user_principal_name.to_string();
    let name = user.name().to_owned();
    open_person(state, &upn, &name)
}

/// Opens a person's profile by UPN (from an impact list), named as the people list has them.
pub(super) fn open_user(state: &mut AppState, upn: &str) -> Vec<Effect> {
    let index = &state.people.index;
    let name = (0..index.len())
        .filter_map(|i| index.user(i))
        .find(|u| u.user_principal_name.eq_ignore_ascii_case(upn))
        .map_or_else(|| upn.to_owned(), |u| u.name().to_owned());
    open_person(state, upn, &name)
}

/// Opens a person's profile (by UPN) in the People pane and asks for its explanation: for any
/// view that names a person (jumps, impact lists).
pub(super) fn open_person(state: &mut AppState, upn: &str, name: &str) -> Vec<Effect> {
    let (upn, name) = (upn.to_owned(), name.to_owned());
    let Some(snapshot) = state.snap().cloned() else {
        status(state, s::WAITING_FOR_TENANT);
        return Vec::new();
    };
    let delegated = state
        .identity
        .loaded()
        .and_then(Option::as_ref)
        .is_some_and(|i| i.kind == TokenKind::Delegated);
    state.people.profile = Some(ProfileState {
        upn: upn.clone(),
        name,
        view: LoadState::Loading,
        cursor: Cursor::default(),
        read_at: None,
        provenance: LoadState::Idle,
    });
    if !delegated && !state.people.auth_notice_shown {
        state.people.auth_notice_shown = true;
        state.popups.push(Popup::SignInNeeded);
    }
    let mut effects = vec![job(
        state,
        &s::job_explain(&upn),
        Work::Explain {
            upn: upn.clone(),
            snapshot,
        },
    )];
    effects.extend(super::propagation::load_provenance(state, &upn));
    effects
}

/// The notice that the profile API needs a delegated sign-in.
pub(super) fn sign_in_notice_key(action: &Action) -> PopupOutcome {
    match action {
        Action::Back | Action::Select | Action::Confirm => (None, Vec::new()),
        _ => (Some(Popup::SignInNeeded), Vec::new()),
    }
}

/// An explanation arrived; it is dropped when another profile is open by now.
pub(super) fn explained(
    state: &mut AppState,
    upn: &str,
    result: Result<Arc<ExplainView>, String>,
) -> Vec<Effect> {
    match &mut state.people.profile {
        Some(p) if p.upn == upn => {
            // A re-read keeps the cursor on the same property and item.
            let at = p.view.loaded().and_then(|v| {
                v.rows
                    .get(p.cursor.selected)
                    .map(|r| (r.path.clone(), r.item.map(|(i, _)| i)))
            });
            p.view = match result {
                Ok(v) => {
                    if let Some((path, item)) = at {
                        if let Some(i) = v
                            .rows
                            .iter()
                            .position(|r| r.path == path && r.item.map(|(i, _)| i) == item)
                        {
                            p.cursor.selected = i;
                        }
                    }
                    LoadState::Loaded(v)
                }
                Err(e) => LoadState::Failed(e),
            };
            p.read_at = Some(state.clock.now());
        }
        _ => state.dirty = false,
    }
    Vec::new()
}
