//! An impact as a list: each changed value (user, property, before and after with their
//! sources), the selected one in full; Enter opens that user's profile.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::{ListPopup, list_popup};
use crate::ops::explain::summarize;
use crate::ops::impact::ValueAt;
use crate::tui::profile::label_for;
use crate::tui::state::{AppState, ImpactList};
use crate::tui::strings as s;
use crate::tui::theme::Role;
use crate::tui::widgets::Col;

const COLS: [Col; 4] = [
    Col::flex("USER", 14, 2, 36),
    Col::flex("PROPERTY", 10, 1, 20),
    Col::flex("BEFORE", 10, 2, 0),
    Col::flex("AFTER", 10, 2, 0),
];

fn value(v: &ValueAt) -> String {
    summarize(&v.value)
}

fn with_source(v: &ValueAt) -> String {
    match &v.source {
        Some(source) => format!("{} ({source})", value(v)),
        None => format!("{} (no source has a value)", value(v)),
    }
}

/// Draws the list.
pub fn draw(frame: &mut Frame, body: Rect, state: &AppState, l: &ImpactList) {
    let mut summary = format!("{} changed values for {} users", l.total, l.users);
    if l.rows.len() < l.total {
        summary.push_str(&format!(" ({})", s::impact_cut(l.rows.len(), l.total)));
    }
    let detail = l
        .rows
        .get(l.list.selected)
        .map(|r| {
            [
                ("before", &r.before, Role::Normal),
                ("after ", &r.after, Role::Staged),
            ]
            .into_iter()
            .map(|(label, v, role)| {
                (
                    format!("{label} {}: {}", label_for(&r.property), with_source(v)),
                    role,
                )
            })
            .collect()
        })
        .unwrap_or_default();
    let cells = |i: usize| {
        let r = &l.rows[i];
        vec![
            (r.upn.as_str().into(), Role::Normal),
            (label_for(&r.property).into(), Role::Heading),
            (value(&r.before).into(), Role::Dim),
            (value(&r.after).into(), Role::Staged),
        ]
    };
    let popup = ListPopup {
        title: &l.title,
        summary: &summary,
        cols: &COLS,
        cursor: l.list,
        empty: l.rows.is_empty().then_some(s::IMPACT_EMPTY),
        detail,
    };
    list_popup(frame, body, state, &popup, l.rows.len(), cells);
}
