//! Jumps: from a row to the object it names (`g` then a key, or the palette), and back along
//! the path the admin came (a history of places that any view can push onto).

use super::{filter, nav, profile, status};
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::Effect;
use crate::tui::layout;
use crate::tui::state::{AppState, Filter, HISTORY_KEPT, Place, Target};
use crate::tui::strings as s;

/// Where the admin is now.
pub(super) fn here(state: &AppState) -> Place {
    Place {
        pane: state.pane,
        selected: selected_id(state, state.pane),
        detail: (state.pane == PaneId::Connections)
            .then(|| state.connections.detail.clone())
            .flatten(),
        profile: (state.pane == PaneId::People)
            .then(|| state.people.profile.clone())
            .flatten(),
        popup: None,
    }
}

/// Remembers where the admin is, before they go somewhere else.
pub(super) fn remember(state: &mut AppState) {
    let place = here(state);
    let same = state.history.last().is_some_and(|p| {
        p.pane == place.pane
            && p.selected == place.selected
            && p.detail == place.detail
            && p.profile.as_ref().map(|p| &p.upn) == place.profile.as_ref().map(|p| &p.upn)
    });
    if same {
        return;
    }
    if state.history.len() >= HISTORY_KEPT {
        state.history.remove(0);
    }
    state.history.push(place);
}

/// Goes to `target`, remembering where the admin was so Backspace comes back.
pub(super) fn jump(state: &mut AppState, target: Target) -> Vec<Effect> {
    remember(state);
    go(state, target)
}

fn go(state: &mut AppState, target: Target) -> Vec<Effect> {
    match target {
        Target::Pane(p) => nav::show(state, p),
        Target::Connection(id) => {
            let effects = nav::show(state, PaneId::Connections);
            state.connections.detail = None;
            if !select_id(state, PaneId::Connections, &id) {
                status(state, s::not_found("connection", &id));
            }
            effects
        }
        Target::Source(id) => {
            let effects = nav::show(state, PaneId::Sources);
            if !select_id(state, PaneId::Sources, &id) {
                status(state, s::not_found("profile source", &id));
            }
            effects
        }
        Target::PrecedenceEntry(id) => {
            let effects = nav::show(state, PaneId::Precedence);
            if !select_id(state, PaneId::Precedence, &id) {
                status(state, s::not_in_precedence(&id));
            }
            effects
        }
        Target::Person(upn) => {
            let mut effects = nav::show(state, PaneId::People);
            state.people.profile = None;
            if select_id(state, PaneId::People, &upn) {
                effects.extend(profile::open(state));
            } else {
                let name = upn.clone();
                effects.extend(profile::open_person(state, &upn, &name));
            }
            effects
        }
    }
}

/// Back to the place before the last jump (or pane change).
pub(super) fn back(state: &mut AppState) -> Vec<Effect> {
    let Some(place) = state.history.pop() else {
        status(state, s::NOTHING_TO_GO_BACK_TO);
        return Vec::new();
    };
    let effects = nav::show(state, place.pane);
    if let Some(id) = &place.selected {
        select_id(state, place.pane, id);
    }
    match place.pane {
        PaneId::Connections => state.connections.detail = place.detail,
        PaneId::People => state.people.profile = place.profile,
        _ => {}
    }
    if let Some(popup) = place.popup {
        state.popups.push(*popup);
    }
    effects
}

/// A key after `g`: the first row, or the selected row's connection, source or precedence entry.
pub(super) fn goto_key(state: &mut AppState, action: &Action) -> Vec<Effect> {
    let related = related(state);
    let (target, what) = match action {
        Action::Top => return nav::navigate(state, isize::MIN / 2),
        Action::GotoConnection => (related.connection.map(Target::Connection), "connection"),
        Action::GotoSource => (related.source.map(Target::Source), "profile source"),
        Action::GotoPrecedence => (
            related.precedence.map(Target::PrecedenceEntry),
            "precedence entry",
        ),
        _ => return Vec::new(),
    };
    if let Some(t) = target {
        jump(state, t)
    } else {
        status(state, s::no_related(what));
        Vec::new()
    }
}

/// The objects the selected row names.
#[derive(Debug, Default)]
struct Related {
    connection: Option<String>,
    source: Option<String>,
    precedence: Option<String>,
}

/// What the selected row (or profile property) names, as far as the tenant knows it.
fn related(state: &AppState) -> Related {
    let Some(snap) = state.snap() else {
        return Related::default();
    };
    // The id every list can name: a connection's id is its source id too.
    let id: Option<String> = match state.pane {
        PaneId::Connections => state
            .connections
            .detail
            .clone()
            .or_else(|| state.selected_connection().map(|r| r.id.clone())),
        PaneId::Sources => state.selected_source().map(|r| r.source_id.clone()),
        PaneId::Precedence => state
            .shown_list()
            .entries()
            .get(state.precedence.list.selected)
            .and_then(|e| e.source_id().map(ToString::to_string)),
        PaneId::People => state.people.profile.as_ref().and_then(|p| {
            p.view
                .loaded()
                .and_then(|v| v.rows.get(p.cursor.selected))
                .and_then(|r| r.source_id.clone())
        }),
        PaneId::Syncs => state
            .sync_connections()
            .get(state.syncs.list.selected)
            .cloned(),
    };
    let Some(id) = id else {
        return Related::default();
    };
    Related {
        connection: snap.connection(&id).map(|c| c.connection.id.clone()),
        source: snap.source(&id).map(|s| s.source_id.clone()),
        precedence: snap.rank_of(&id).map(|_| id.clone()),
    }
}

/// The id of the object selected in a pane's list (what a refresh or a jump back keeps).
pub(super) fn selected_id(state: &AppState, pane: PaneId) -> Option<String> {
    match pane {
        PaneId::Connections => state.selected_connection().map(|r| r.id.clone()),
        PaneId::Sources => state.selected_source().map(|r| r.source_id.clone()),
        PaneId::Precedence => state
            .shown_list()
            .entries()
            .get(state.precedence.list.selected)
            .map(|e| e.as_str().to_owned()),
        PaneId::People => state
            .people
            .index
            .matched(state.people.list.selected)
            .map(|u| u.id.to_string()),
        PaneId::Syncs => state
            .sync_connections()
            .get(state.syncs.list.selected)
            .cloned(),
    }
}

/// Selects the object with this id in a pane's list (clearing a filter that hides it); false
/// when the list has no such object.
pub(super) fn select_id(state: &mut AppState, pane: PaneId, id: &str) -> bool {
    let mut found = position(state, pane, id);
    if found.is_none() && clear_filter(state, pane) {
        found = position(state, pane, id);
    }
    let Some(i) = found else {
        return false;
    };
    let len = state.list_len(pane);
    let height = layout::list_height(pane, state.size);
    state.list_mut(pane).select(i, len, height);
    true
}

/// Selects a person by object id, if the list has them.
pub(super) fn select_person_by_id(state: &mut AppState, id: &str) {
    select_id(state, PaneId::People, id);
}

fn position(state: &AppState, pane: PaneId, id: &str) -> Option<usize> {
    match pane {
        PaneId::Connections => {
            let c = &state.connections;
            c.visible
                .iter()
                .position(|&i| c.rows.get(i).is_some_and(|r| r.id == id))
        }
        PaneId::Sources => {
            let c = &state.sources;
            c.visible.iter().position(|&i| {
                c.rows
                    .get(i)
                    .is_some_and(|r| r.source_id.eq_ignore_ascii_case(id))
            })
        }
        PaneId::Precedence => state.shown_list().entries().iter().position(|e| {
            e.as_str() == id
                || e.source_id()
                    .is_some_and(|s| s.as_str().eq_ignore_ascii_case(id))
        }),
        PaneId::People => state.people.index.position(id),
        PaneId::Syncs => state.sync_connections().iter().position(|c| c == id),
    }
}

/// Clears a pane's filter; true when there was one.
fn clear_filter(state: &mut AppState, pane: PaneId) -> bool {
    match pane {
        PaneId::Connections if !state.connections.filter.input.text.is_empty() => {
            state.connections.filter = Filter::default();
            filter::refilter(state);
            true
        }
        PaneId::Sources if !state.sources.filter.input.text.is_empty() => {
            state.sources.filter = Filter::default();
            filter::refilter(state);
            true
        }
        PaneId::People if !state.people.index.query().is_empty() => {
            state.people.search = Filter::default();
            state.people.index.search("");
            true
        }
        _ => false,
    }
}
