//! Syncs started, refused and cancelled from the console.

use std::sync::Arc;

use super::{key, keys, state, type_text, works};
use crate::graph::connections::ConnectionState;
use crate::tui::action::Action;
use crate::tui::effect::{Effect, Work};
use crate::tui::state::Popup;
use crate::tui::update::update;

#[test]
fn a_running_sync_can_be_cancelled_and_writes_are_refused_read_only() {
    let mut s = state(false);
    s.info.data_dir = Some(std::env::temp_dir());
    key(&mut s, "5");
    // No configured input: the file form opens instead of a sync.
    assert!(key(&mut s, "s").is_empty());
    assert!(matches!(s.popups.last(), Some(Popup::SyncFile { .. })));
    type_text(&mut s, "/tmp/hr.csv");
    let effects = key(&mut s, "enter");
    assert!(matches!(works(&effects)[..], [Work::Sync(o)] if o.connection == "contosohr"));
    assert!(
        key(&mut s, "s").is_empty(),
        "one sync per connection at a time"
    );
    let effects = key(&mut s, "c");
    assert!(matches!(&effects[..], [Effect::CancelSync(id)] if id == "contosohr"));
    assert!(s.syncs.runs["contosohr"].cancelling);

    let mut ro = state(true);
    key(&mut ro, "5");
    assert!(key(&mut ro, "s").is_empty());
    assert!(matches!(ro.popups.last(), Some(Popup::Message(m)) if m.error));
}

#[test]
fn a_connection_that_cannot_take_items_is_not_offered_and_is_refused_with_the_reason() {
    let mut s = state(false);
    s.info.data_dir = Some(std::env::temp_dir());
    let mut snap = super::snapshot();
    let mut draft = super::connection("learningpeople", "Learning");
    draft.connection.state = ConnectionState::Draft;
    snap.connections.push(draft);
    update(&mut s, Action::SnapshotLoaded(Ok(Arc::new(snap))));
    assert_eq!(
        s.sync_connections(),
        ["contosohr", "talent"],
        "the draft is not offered"
    );

    // Picked in the Connections pane, it is refused with the reason, and nothing starts.
    key(&mut s, "1");
    keys(&mut s, "down down");
    assert_eq!(
        s.selected_sync_connection().as_deref(),
        Some("learningpeople")
    );
    assert!(works(&key(&mut s, "s")).is_empty());
    let Some(Popup::Message(m)) = s.popups.last() else {
        panic!("a message says why: {:?}", s.popups.last())
    };
    assert!(m.error);
    assert!(
        m.lines
            .iter()
            .any(|l| l.contains("learningpeople") && l.contains("draft")),
        "{:?}",
        m.lines
    );
    assert!(!s.syncs.runs.contains_key("learningpeople"));
}
