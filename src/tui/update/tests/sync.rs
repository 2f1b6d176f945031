//! Syncs started, refused and cancelled from the console.

use super::{key, state, type_text, works};
use crate::tui::effect::{Effect, Work};
use crate::tui::state::Popup;

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
