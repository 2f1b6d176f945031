//! List filters: typing a filter into Connections or Sources, or the people search.

use super::{nav, profile, status};
use crate::tui::action::{Action, PaneId};
use crate::tui::effect::Effect;
use crate::tui::state::{AppState, Cursor, Filter, TextInput};
use crate::tui::strings as s;

/// Gives the keys to the shown pane's filter (in People, to the search); `/` starts a new
/// query, as in less and vim.
pub(super) fn start(state: &mut AppState) -> Vec<Effect> {
    match state.pane {
        PaneId::Connections => {
            state.connections.filter = Filter {
                editing: true,
                ..Filter::default()
            };
            refilter(state);
        }
        PaneId::Sources => {
            state.sources.filter = Filter {
                editing: true,
                ..Filter::default()
            };
            refilter(state);
        }
        PaneId::People => {
            state.people.profile = None;
            state.people.search = Filter {
                editing: true,
                ..Filter::default()
            };
            state.people.index.search("");
            state.people.list = Cursor::default();
        }
        PaneId::Precedence | PaneId::Syncs => status(state, s::NO_FILTER_HERE),
    }
    Vec::new()
}

/// A key while the filter has the keys: typing narrows as it goes.
pub(super) fn edit(state: &mut AppState, action: &Action) -> Vec<Effect> {
    let pane = state.pane;
    let filter = match pane {
        PaneId::Connections => &mut state.connections.filter,
        PaneId::Sources => &mut state.sources.filter,
        PaneId::People => &mut state.people.search,
        PaneId::Precedence | PaneId::Syncs => return Vec::new(),
    };
    let mut changed = true;
    match action {
        Action::Input(c) => changed = filter.input.push_within(*c, TextInput::MAX_QUERY),
        Action::Backspace => {
            filter.input.text.pop();
        }
        Action::ClearInput => filter.input.text.clear(),
        Action::Back => {
            filter.input.text.clear();
            filter.editing = false;
        }
        Action::Submit => {
            filter.editing = false;
            changed = false;
            if pane == PaneId::People && state.people.index.match_count() > 0 {
                return profile::open(state);
            }
        }
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
            changed = false;
            let delta = match action {
                Action::Up => -1,
                Action::Down => 1,
                Action::PageUp => -isize::try_from(state.list_height()).unwrap_or(1),
                _ => isize::try_from(state.list_height()).unwrap_or(1),
            };
            let height = state.list_height();
            let len = state.list_len(pane);
            state.list_mut(pane).move_by(delta, len, height);
        }
        Action::Quit => state.quit = true,
        _ => {
            changed = false;
            state.dirty = false;
        }
    }
    if changed {
        if pane == PaneId::People {
            let q = &state.people.search.input.text;
            state.people.index.search(q);
            state.people.list = Cursor::default();
        } else {
            refilter(state);
        }
    }
    Vec::new()
}

/// Recomputes which connection and source rows pass their filters.
pub(super) fn refilter(state: &mut AppState) {
    let c = &state.connections;
    state.connections.visible = matching(&c.rows, &c.filter.input.text, |r, q| {
        r.id.to_lowercase().contains(q) || r.name.to_lowercase().contains(q)
    });
    let so = &state.sources;
    state.sources.visible = matching(&so.rows, &so.filter.input.text, |r, q| {
        r.source_id.to_lowercase().contains(q)
            || r.display_name
                .as_deref()
                .is_some_and(|n| n.to_lowercase().contains(q))
    });
    let mut visible = std::mem::take(&mut state.connections.visible);
    super::columns::order(state, PaneId::Connections, &mut visible);
    state.connections.visible = visible;
    let mut visible = std::mem::take(&mut state.sources.visible);
    super::columns::order(state, PaneId::Sources, &mut visible);
    state.sources.visible = visible;
    nav::clamp_lists(state);
}

/// Indices of the rows `hit` keeps for the lowercased query (every row for an empty one).
fn matching<T>(rows: &[T], query: &str, hit: impl Fn(&T, &str) -> bool) -> Vec<usize> {
    let q = query.to_lowercase();
    rows.iter()
        .enumerate()
        .filter(|(_, r)| q.is_empty() || hit(r, &q))
        .map(|(i, _)| i)
        .collect()
}
