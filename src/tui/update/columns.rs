//! Column choices of the list panes: sorting by a column (`<` `>` `S`) and scrolling the
//! columns sideways (left/right), each keeping the cursor on the object it was on.

use std::cmp::Ordering;

use super::{filter, jump, status, unchanged};
use crate::tui::action::PaneId;
use crate::tui::columns;
use crate::tui::effect::Effect;
use crate::tui::state::AppState;
use crate::tui::strings as s;

/// Sorts the shown list by the next (`1`) or previous (`-1`) column; past either end the
/// list goes back to the order Graph gave.
pub(super) fn sort(state: &mut AppState, direction: isize) -> Vec<Effect> {
    let pane = state.pane;
    if !columns::sortable(pane) || !list_shown(state) {
        status(state, s::NOT_SORTABLE);
        return Vec::new();
    }
    let n = columns::of(pane).len();
    let next = match state.view(pane).sort {
        None if direction > 0 => Some((0, false)),
        None => Some((n - 1, false)),
        Some((c, d)) => c
            .checked_add_signed(direction)
            .filter(|c| *c < n && !columns::of(pane)[*c].title.is_empty())
            .map(|c| (c, d)),
    };
    set_sort(state, pane, next)
}

/// Reverses the sort order (sorting by the first column when the list is unsorted).
pub(super) fn reverse(state: &mut AppState) -> Vec<Effect> {
    let pane = state.pane;
    if !columns::sortable(pane) || !list_shown(state) {
        status(state, s::NOT_SORTABLE);
        return Vec::new();
    }
    let next = match state.view(pane).sort {
        None => Some((0, true)),
        Some((c, d)) => Some((c, !d)),
    };
    set_sort(state, pane, next)
}

/// True when the pane shows its list (not a detail or a profile over it).
fn list_shown(state: &AppState) -> bool {
    match state.pane {
        PaneId::Connections => state.connections.detail.is_none(),
        PaneId::People => state.people.profile.is_none(),
        _ => true,
    }
}

fn set_sort(state: &mut AppState, pane: PaneId, sort: Option<(usize, bool)>) -> Vec<Effect> {
    let kept = jump::selected_id(state, pane);
    state.views[pane.index()].sort = sort;
    match pane {
        PaneId::People => {
            let (column, descending) = sort.unwrap_or((0, false));
            state.people.index.sort_by(column, descending);
        }
        _ => filter::refilter(state),
    }
    if let Some(id) = kept {
        jump::select_id(state, pane, &id);
    }
    let text = match sort {
        Some((c, d)) => s::sorted_by(columns::of(pane)[c].title, d),
        None if pane == PaneId::People => s::sorted_by(columns::of(pane)[0].title, false),
        None => s::GRAPH_ORDER.to_owned(),
    };
    status(state, text);
    Vec::new()
}

/// Shows the columns further right (`1`) or left (`-1`); the first column stays.
pub(super) fn scroll(state: &mut AppState, direction: isize) -> Vec<Effect> {
    let pane = state.pane;
    if !list_shown(state) {
        return unchanged(state);
    }
    let max = columns::max_hscroll(pane);
    let v = &mut state.views[pane.index()];
    let next = v.hscroll.saturating_add_signed(direction).min(max);
    if next == v.hscroll {
        return unchanged(state);
    }
    v.hscroll = next;
    Vec::new()
}

/// A value a list sorts by: text (case-insensitive) or a number; a missing value sorts last
/// whichever the direction.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Num(i64),
    Text(String),
}

fn text(t: &str) -> Option<Key> {
    (!t.is_empty()).then(|| Key::Text(t.to_lowercase()))
}

fn num(n: Option<usize>) -> Option<Key> {
    n.map(|n| Key::Num(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// Orders the visible rows of Connections or Sources by the pane's sort column.
pub(super) fn order(state: &AppState, pane: PaneId, visible: &mut [usize]) {
    let Some((column, descending)) = state.view(pane).sort else {
        return;
    };
    let key = |i: usize| -> Option<Key> {
        match pane {
            PaneId::Connections => connection_key(state, i, column),
            PaneId::Sources => source_key(state, i, column),
            _ => None,
        }
    };
    let mut keyed: Vec<(Option<Key>, usize)> = visible.iter().map(|&i| (key(i), i)).collect();
    keyed.sort_by(|(a, ai), (b, bi)| {
        let by_key = match (a, b) {
            (Some(a), Some(b)) if descending => b.cmp(a),
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_key.then(ai.cmp(bi))
    });
    for (slot, (_, i)) in visible.iter_mut().zip(keyed) {
        *slot = i;
    }
}

fn connection_key(state: &AppState, i: usize, column: usize) -> Option<Key> {
    let r = state.connections.rows.get(i)?;
    match column {
        0 => text(&r.id),
        1 => text(&r.name),
        2 => text(crate::vocab::contract_name(r.contract)),
        3 => text(&r.state),
        4 => state
            .snap()
            .and_then(|s| s.connection(&r.id))
            .map(|v| Key::Text(columns::schema_word(v).to_owned())),
        5 => text(crate::vocab::yes_no(r.registered)),
        6 => num(r.rank),
        _ => {
            // Errors weigh more than warnings: the worst connection first when descending.
            let mine = state
                .problems
                .iter()
                .filter(|p| p.subject.eq_ignore_ascii_case(&r.id));
            let weight: usize = mine
                .map(|p| match p.severity {
                    crate::ops::doctor::Severity::Error => 1000,
                    crate::ops::doctor::Severity::Warning => 10,
                    crate::ops::doctor::Severity::Info => 1,
                })
                .sum();
            num(Some(weight))
        }
    }
}

fn source_key(state: &AppState, i: usize, column: usize) -> Option<Key> {
    let r = state.sources.rows.get(i)?;
    match column {
        0 => text(&r.source_id),
        1 => r.display_name.as_deref().and_then(text),
        2 => r.kind.as_deref().and_then(text),
        3 => r.web_url.as_deref().and_then(text),
        4 => num(r.rank),
        _ => text(if r.orphan {
            "orphan"
        } else if r.built_in {
            "built-in"
        } else {
            ""
        }),
    }
}
