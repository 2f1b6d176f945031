//! Filters narrow a list as they are typed.

use super::{key, state, type_text};

#[test]
fn filtering_connections_narrows_and_esc_clears() {
    let mut s = state(false);
    key(&mut s, "/");
    type_text(&mut s, "tal");
    assert_eq!(s.connections.visible.len(), 1);
    key(&mut s, "enter");
    assert!(!s.connections.filter.editing);
    assert_eq!(s.connections.visible.len(), 1, "the filter stays applied");
    key(&mut s, "esc");
    assert_eq!(s.connections.visible.len(), 2);
}

#[test]
fn arrows_move_in_the_filtered_list_while_typing() {
    let mut s = state(false);
    key(&mut s, "2");
    key(&mut s, "/");
    type_text(&mut s, "t");
    // "contosohr", "talent" and the Entra source all contain a t; the arrows move among them.
    let shown = s.sources.visible.len();
    assert!(shown >= 2, "{shown}");
    key(&mut s, "down");
    assert!(s.sources.filter.editing, "still typing");
    assert_eq!(s.sources.list.selected, 1);
    assert_eq!(s.sources.filter.input.text, "t", "arrows are not typed");
}

#[test]
fn search_fields_stop_at_their_limit_and_keep_what_was_typed() {
    use crate::tui::state::{Popup, TextInput};
    let mut s = state(false);
    key(&mut s, "/");
    let long = "t".repeat(TextInput::MAX_QUERY + 10);
    type_text(&mut s, &long);
    assert_eq!(
        s.connections.filter.input.text,
        long[..TextInput::MAX_QUERY],
        "the rest is refused, not wrapped around"
    );
    key(&mut s, "backspace");
    assert_eq!(
        s.connections.filter.input.text.chars().count(),
        TextInput::MAX_QUERY - 1
    );
    key(&mut s, "esc");
    key(&mut s, ":");
    type_text(&mut s, &"é".repeat(TextInput::MAX_QUERY + 1));
    let Some(Popup::Palette(p)) = s.popups.last() else {
        panic!("palette");
    };
    assert_eq!(p.input.text.chars().count(), TextInput::MAX_QUERY);
}
