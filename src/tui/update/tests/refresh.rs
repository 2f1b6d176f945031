//! Fresh screens: automatic re-reads by an injected clock, focus, ages, cursors kept by id,
//! and sorting that keeps the cursor too.

use std::sync::Arc;
use std::time::Duration;

use super::{connection, key, keys, snapshot, state, update, works};
use crate::tui::action::{Action, PaneId};
use crate::tui::clock::Clock;
use crate::tui::effect::Work;
use crate::tui::state::AppState;

/// A console whose time only moves when the test moves it, with the snapshot read at 0.
fn timed() -> (AppState, Clock) {
    let clock = Clock::manual();
    let mut s = state(false);
    s.clock = clock.clone();
    update(&mut s, Action::SnapshotLoaded(Ok(Arc::new(snapshot()))));
    (s, clock)
}

fn rereads(effects: &[crate::tui::effect::Effect]) -> bool {
    works(effects)
        .iter()
        .any(|w| matches!(w, Work::LoadSnapshot))
}

#[test]
fn the_tenant_is_read_again_when_due_and_the_age_moves_with_the_clock() {
    let (mut s, clock) = timed();
    assert_eq!(s.age(), "read just now");
    clock.advance(Duration::from_secs(12));
    assert!(!rereads(&update(&mut s, Action::Tick)));
    assert_eq!(s.age(), "read 12 s ago");
    assert!(s.dirty, "the age on screen changed");
    update(&mut s, Action::Tick);
    assert!(!s.dirty, "nothing changed: no redraw");
    clock.advance(Duration::from_secs(18));
    assert!(rereads(&update(&mut s, Action::Tick)), "30 s: due");
    assert!(
        !rereads(&update(&mut s, Action::Tick)),
        "one read at a time"
    );
    update(&mut s, Action::SnapshotLoaded(Ok(Arc::new(snapshot()))));
    assert_eq!(s.age(), "read just now");

    s.refresh_every = None;
    clock.advance(Duration::from_secs(3600));
    assert!(!rereads(&update(&mut s, Action::Tick)), "configured off");
}

#[test]
fn regaining_focus_rereads_what_is_more_than_a_few_seconds_old() {
    let (mut s, clock) = timed();
    clock.advance(Duration::from_secs(2));
    assert!(!rereads(&update(&mut s, Action::FocusGained)));
    clock.advance(Duration::from_secs(5));
    assert!(rereads(&update(&mut s, Action::FocusGained)));
}

#[test]
fn a_reread_keeps_every_cursor_on_the_same_object() {
    let (mut s, _clock) = timed();
    key(&mut s, "j");
    assert_eq!(
        s.selected_connection().map(|r| r.id.as_str()),
        Some("talent")
    );
    keys(&mut s, "5 j 1");
    // Someone created a connection that lists first.
    let mut changed = snapshot();
    changed
        .connections
        .insert(0, connection("aardvark", "Aardvark"));
    update(&mut s, Action::SnapshotLoaded(Ok(Arc::new(changed))));
    assert_eq!(
        s.selected_connection().map(|r| r.id.as_str()),
        Some("talent")
    );
    assert_eq!(
        s.sync_connections()
            .get(s.syncs.list.selected)
            .map(String::as_str),
        Some("talent"),
        "Syncs too"
    );
}

#[test]
fn sorting_by_a_column_keeps_the_cursor_and_past_the_ends_restores_graphs_order() {
    let (mut s, _clock) = timed();
    let mut changed = snapshot();
    changed.connections.push(connection("aardvark", "Zebra"));
    update(&mut s, Action::SnapshotLoaded(Ok(Arc::new(changed))));
    keys(&mut s, "j");
    let ids = |s: &AppState| -> Vec<String> {
        s.connections
            .visible
            .iter()
            .map(|&i| s.connections.rows[i].id.clone())
            .collect()
    };
    assert_eq!(ids(&s), ["contosohr", "talent", "aardvark"]);
    key(&mut s, ">");
    assert_eq!(ids(&s), ["aardvark", "contosohr", "talent"], "by ID");
    assert_eq!(
        s.selected_connection().map(|r| r.id.as_str()),
        Some("talent")
    );
    key(&mut s, "S");
    assert_eq!(ids(&s), ["talent", "contosohr", "aardvark"], "reversed");
    key(&mut s, ">");
    assert_eq!(
        ids(&s),
        ["aardvark", "talent", "contosohr"],
        "by NAME (Zebra, Talent, Contoso HR), descending"
    );
    key(&mut s, "<");
    key(&mut s, "<");
    assert_eq!(s.view(PaneId::Connections).sort, None);
    assert_eq!(
        ids(&s),
        ["contosohr", "talent", "aardvark"],
        "Graph's order"
    );
    key(&mut s, "3");
    key(&mut s, ">");
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.contains("own order"))
    );
}

#[test]
fn columns_scroll_sideways_within_bounds() {
    let (mut s, _clock) = timed();
    key(&mut s, "left");
    assert_eq!(s.view(PaneId::Connections).hscroll, 0);
    for _ in 0..20 {
        key(&mut s, "right");
    }
    assert_eq!(
        s.view(PaneId::Connections).hscroll,
        crate::tui::columns::max_hscroll(PaneId::Connections)
    );
}
