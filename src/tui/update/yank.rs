//! Yank: `y` copies the selected object's id, `Y` its URL or full value, to the clipboard with
//! OSC 52 (the terminal loop writes it; see `terminal::osc52`). Only what the admin chose is
//! copied, sanitised, and the footer says what it was.

use super::{status, view};
use crate::people::ids::SourceId;
use crate::people::source_url::SourceUrl;
use crate::text;
use crate::tui::action::PaneId;
use crate::tui::effect::Effect;
use crate::tui::state::AppState;
use crate::tui::strings as s;

/// Copies what the selected row names: its id, or (`full`) its URL or full value.
pub(super) fn selected(state: &mut AppState, full: bool) -> Vec<Effect> {
    if let Some((text, what)) = chosen(state, full) {
        copy(state, &text, &what)
    } else {
        status(state, s::NOTHING_TO_COPY);
        Vec::new()
    }
}

/// The text `y`/`Y` means where the focus is, and what to call it.
fn chosen(state: &AppState, full: bool) -> Option<(String, String)> {
    match state.pane {
        PaneId::Connections => {
            let id = state
                .connections
                .detail
                .clone()
                .or_else(|| state.selected_connection().map(|r| r.id.clone()))?;
            if full {
                whole_view(state)
            } else {
                Some((id, s::WHAT_ID.to_owned()))
            }
        }
        PaneId::Sources => {
            let r = state.selected_source()?;
            if full {
                // The URL the precedence list names it by.
                let id = SourceId::new(r.source_id.clone()).ok()?;
                Some((
                    SourceUrl::for_source(&id).as_str().to_owned(),
                    s::WHAT_URL.to_owned(),
                ))
            } else {
                Some((r.source_id.clone(), s::WHAT_ID.to_owned()))
            }
        }
        PaneId::Precedence => {
            let list = state.shown_list();
            let e = list.entries().get(state.precedence.list.selected)?;
            match (full, e.source_id()) {
                (false, Some(id)) => Some((id.as_str().to_owned(), s::WHAT_ID.to_owned())),
                _ => Some((e.as_str().to_owned(), s::WHAT_URL.to_owned())),
            }
        }
        PaneId::People => {
            if let Some(p) = &state.people.profile {
                let v = p.view.loaded()?;
                let r = v.rows.get(p.cursor.selected)?;
                if full {
                    // Every value of the property, each with its source.
                    let all: Vec<String> = r
                        .candidates
                        .iter()
                        .map(|c| format!("{}: {}", c.source, c.value))
                        .collect();
                    Some((all.join("\n"), s::what_values(&r.label)))
                } else {
                    Some((r.value.clone(), s::what_value(&r.label)))
                }
            } else {
                let u = state.people.index.matched(state.people.list.selected)?;
                if full {
                    Some((u.id.to_string(), s::WHAT_OBJECT_ID.to_owned()))
                } else {
                    Some((u.user_principal_name.to_string(), s::WHAT_UPN.to_owned()))
                }
            }
        }
        PaneId::Syncs => {
            let id = state
                .sync_connections()
                .get(state.syncs.list.selected)
                .cloned()?;
            if full {
                whole_view(state)
            } else {
                Some((id, s::WHAT_ID.to_owned()))
            }
        }
    }
}

/// The selected row's full text, as `v` shows it.
fn whole_view(state: &AppState) -> Option<(String, String)> {
    let v = view::selected(state)?;
    let all: Vec<String> = v.lines.into_iter().map(|l| l.text).collect();
    Some((all.join("\n"), s::WHAT_TEXT.to_owned()))
}

/// Copies `chosen` (sanitised: no control character reaches the clipboard or the terminal)
/// and says in the footer what was copied.
pub(super) fn copy(state: &mut AppState, chosen: &str, what: &str) -> Vec<Effect> {
    let clean = text::shown_lines(chosen).into_owned();
    status(state, s::copied(what, &clean));
    vec![Effect::Yank(clean)]
}
