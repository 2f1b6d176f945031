//! Jumps from a row to what it names, the palette's objects, and going back along the path.

use super::{key, keys, state, type_text, update};
use crate::tui::action::{Action, PaneId};
use crate::tui::state::{PaletteTarget, Popup, Target};

fn select_connection(s: &mut crate::tui::state::AppState, id: &str) {
    key(s, "1");
    while s.selected_connection().is_some_and(|r| r.id != id) {
        key(s, "j");
    }
    assert_eq!(s.selected_connection().map(|r| r.id.as_str()), Some(id));
}

#[test]
fn g_then_a_key_jumps_to_what_the_row_names_and_backspace_comes_back() {
    let mut s = state(false);
    select_connection(&mut s, "talent");
    keys(&mut s, "g s");
    assert_eq!(s.pane, PaneId::Sources);
    assert_eq!(
        s.selected_source().map(|r| r.source_id.as_str()),
        Some("talent")
    );
    keys(&mut s, "g p");
    assert_eq!(s.pane, PaneId::Precedence);
    assert_eq!(s.precedence.list.selected, 2, "talent is rank 3");
    keys(&mut s, "g c");
    assert_eq!(s.pane, PaneId::Connections);
    assert_eq!(
        s.selected_connection().map(|r| r.id.as_str()),
        Some("talent")
    );
    // Back along the path: precedence, sources, then where it started.
    key(&mut s, "backspace");
    assert_eq!(s.pane, PaneId::Precedence);
    assert_eq!(s.precedence.list.selected, 2);
    key(&mut s, "[");
    assert_eq!(s.pane, PaneId::Sources);
    key(&mut s, "backspace");
    assert_eq!(s.pane, PaneId::Connections);
    assert_eq!(
        s.selected_connection().map(|r| r.id.as_str()),
        Some("talent")
    );
    key(&mut s, "backspace");
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.contains("Nothing to go back"))
    );
}

#[test]
fn a_jump_to_a_filtered_out_object_clears_the_filter_and_a_name_without_one_says_so() {
    let mut s = state(false);
    key(&mut s, "2");
    key(&mut s, "/");
    type_text(&mut s, "contoso");
    key(&mut s, "enter");
    assert_eq!(s.sources.visible.len(), 1);
    select_connection(&mut s, "talent");
    keys(&mut s, "g s");
    assert_eq!(
        s.selected_source().map(|r| r.source_id.as_str()),
        Some("talent")
    );
    assert!(s.sources.filter.input.text.is_empty(), "the filter hid it");
    // The unknown URL at rank 4 names no source.
    keys(&mut s, "3 G g s");
    assert_eq!(s.pane, PaneId::Precedence, "no jump");
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.contains("names no"))
    );
}

#[test]
fn after_g_any_other_key_does_what_it_always_does() {
    let mut s = state(false);
    keys(&mut s, "g j");
    assert!(!s.goto_pending);
    assert_eq!(s.connections.list.selected, 1, "the j was not lost");
    keys(&mut s, "g g");
    assert_eq!(s.connections.list.selected, 0, "g g is the first row");
    keys(&mut s, "g esc");
    assert!(!s.goto_pending && s.popups.is_empty());
}

#[test]
fn the_palette_finds_objects_and_actions_and_goes_there() {
    let mut s = state(false);
    key(&mut s, ":");
    type_text(&mut s, "connection tal");
    let Some(Popup::Palette(p)) = s.popups.last() else {
        panic!("palette");
    };
    assert_eq!(
        p.found.first().map(|i| &i.target),
        Some(&PaletteTarget::Jump(Target::Connection("talent".into())))
    );
    assert!(
        p.found.iter().all(|i| i.kind == "connection"),
        "narrowed by kind"
    );
    key(&mut s, "enter");
    assert!(s.popups.is_empty());
    assert_eq!(
        s.selected_connection().map(|r| r.id.as_str()),
        Some("talent")
    );

    // Fuzzy: letters in order, narrowed to sources.
    key(&mut s, ":");
    type_text(&mut s, "source ntra id");
    let Some(Popup::Palette(p)) = s.popups.last() else {
        panic!("palette");
    };
    assert!(
        p.found
            .iter()
            .any(|i| i.kind == "source" && i.label == "Microsoft Entra ID"),
        "{:?}",
        p.found
    );
    key(&mut s, "esc");

    // `:doctor` lists the problems; Enter goes to the subject.
    key(&mut s, ":");
    type_text(&mut s, "doctor");
    let Some(Popup::Palette(p)) = s.popups.last() else {
        panic!("palette");
    };
    assert!(!p.found.is_empty());
    assert!(
        p.found
            .iter()
            .all(|i| i.kind == "problem" || i.kind == "action")
    );
    key(&mut s, "esc");

    // An action of another pane, by description, runs in its pane.
    key(&mut s, ":");
    type_text(&mut s, "move entry down");
    key(&mut s, "enter");
    assert_eq!(s.pane, PaneId::Precedence);
    assert!(
        s.precedence
            .staged
            .as_ref()
            .is_some_and(crate::tui::state::Staged::changed)
    );
    key(&mut s, "backspace");
    assert_eq!(s.pane, PaneId::Connections, "back from the palette's jump");
}

#[test]
fn the_palette_finds_people_by_name() {
    let mut s = state(false);
    let row = |name: &str, upn: &str| crate::tui::people_index::UserRow {
        id: format!("id-{upn}").into(),
        user_principal_name: upn.into(),
        display_name: Some(name.into()),
        job_title: None,
        department: None,
    };
    update(
        &mut s,
        Action::UsersPage {
            rows: vec![
                row("Alex Wilber", "alex.wilber@contoso.com"),
                row("Tomás Herrera", "tomas.herrera@contoso.com"),
            ],
            done: true,
        },
    );
    key(&mut s, ":");
    type_text(&mut s, "people alex");
    let Some(Popup::Palette(p)) = s.popups.last() else {
        panic!("palette");
    };
    assert_eq!(
        p.found
            .iter()
            .filter(|i| i.kind == "person")
            .map(|i| i.label.as_str())
            .collect::<Vec<_>>(),
        ["Alex Wilber"]
    );
    let effects = key(&mut s, "enter");
    assert_eq!(s.pane, PaneId::People);
    assert_eq!(
        s.people.profile.as_ref().map(|p| p.upn.as_str()),
        Some("alex.wilber@contoso.com")
    );
    assert!(!effects.is_empty(), "the profile is read");
}
