//! The full-text view, yank, the message log and the keys of a daily tool.

use std::sync::Arc;

use super::{key, keys, state, type_text, update};
use crate::people::compose::Rule;
use crate::tui::action::{Action, MouseInput, PaneId};
use crate::tui::effect::Effect;
use crate::tui::keymap::KeyChord;
use crate::tui::layout;
use crate::tui::profile::{ActualProfile, Candidate, ExplainRow, ExplainView};
use crate::tui::state::Popup;

fn yanked(effects: &[Effect]) -> Option<&str> {
    effects.iter().find_map(|e| match e {
        Effect::Yank(t) => Some(t.as_str()),
        _ => None,
    })
}

#[test]
fn v_shows_the_row_whole_and_it_scrolls_copies_and_closes() {
    let mut s = state(false);
    let long = "Worker profiles from Workday, pushed nightly. ".repeat(12);
    let mut snap = super::snapshot();
    snap.connections[0].connection.description = Some(long.clone());
    update(&mut s, Action::SnapshotLoaded(Ok(Arc::new(snap))));
    key(&mut s, "v");
    let Some(Popup::Text(v)) = s.popups.last() else {
        panic!("full-text view");
    };
    assert!(
        v.lines.iter().any(|l| l.text.contains(long.trim_end())),
        "whole"
    );
    assert_eq!(v.yank.as_deref(), Some("contosohr"));
    // j/k scroll within what there is.
    for _ in 0..200 {
        key(&mut s, "j");
    }
    let Some(Popup::Text(v)) = s.popups.last() else {
        panic!("still open");
    };
    let (rows, width) = layout::text_view_room(s.size);
    let total = super::super::view::wrapped_len(v, width);
    assert_eq!(v.scroll, total.saturating_sub(rows), "stops at the end");
    assert_eq!(yanked(&key(&mut s, "y")), Some("contosohr"));
    let all = key(&mut s, "Y");
    assert!(yanked(&all).is_some_and(|t| t.contains(long.trim_end()) && t.contains('\n')));
    key(&mut s, "esc");
    assert!(s.popups.is_empty());
}

#[test]
fn enter_on_a_precedence_entry_shows_its_url_whole_in_a_view_not_the_footer() {
    let mut s = state(false);
    keys(&mut s, "3 G enter");
    let Some(Popup::Text(v)) = s.popups.last() else {
        panic!("full-text view");
    };
    assert!(
        v.lines
            .iter()
            .any(|l| l.text.contains("https://example.com/unknown"))
    );
    assert!(s.status.is_none(), "nothing left in the footer");
}

#[test]
fn y_copies_the_selected_id_sanitised_and_says_what_it_copied() {
    let mut s = state(false);
    s.connections.rows[1].id = "tal\x1b]0;x\x07ent".into();
    key(&mut s, "j");
    let effects = key(&mut s, "y");
    let text = yanked(&effects).expect("a yank");
    assert_eq!(text, crate::text::shown("tal\x1b]0;x\x07ent"));
    assert!(!text.chars().any(crate::text::is_unsafe));
    let seq = crate::tui::terminal::osc52(text);
    assert!(seq.starts_with("\x1b]52;c;") && seq.ends_with('\x07'));
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.contains("Copied the id"))
    );
    // Y in Sources copies the URL the precedence list names it by.
    keys(&mut s, "2 g g");
    let effects = key(&mut s, "Y");
    assert!(yanked(&effects).is_some_and(|t| t.contains("profileSources(sourceId='contosohr')")));
}

#[test]
fn an_alt_chord_nothing_binds_is_esc_then_the_key() {
    // "esc j" typed fast arrives as one burst that reads as alt-j.
    let alt_j = Action::Key(KeyChord {
        alt: true,
        ..KeyChord::char('j')
    });
    let mut s = state(false);
    key(&mut s, "/");
    type_text(&mut s, "tal");
    update(&mut s, alt_j.clone());
    assert!(!s.connections.filter.editing, "the esc left the filter");
    assert!(s.connections.filter.input.text.is_empty());
    assert_eq!(s.connections.list.selected, 1, "and the j moved down");
    key(&mut s, "?");
    update(&mut s, alt_j);
    assert!(s.popups.is_empty(), "esc closed help");
    assert_eq!(
        s.connections.list.selected, 1,
        "the j reached the pane at its end"
    );
}

#[test]
fn ctrl_z_suspends_from_anywhere() {
    let mut s = state(false);
    assert!(matches!(key(&mut s, "ctrl-z")[..], [Effect::Suspend]));
    key(&mut s, "?");
    assert!(matches!(key(&mut s, "ctrl-z")[..], [Effect::Suspend]));
    key(&mut s, "esc");
    key(&mut s, "/");
    assert!(matches!(key(&mut s, "ctrl-z")[..], [Effect::Suspend]));
    assert!(matches!(
        update(&mut s, Action::Resumed)[..],
        [Effect::Redraw]
    ));
}

#[test]
fn slash_starts_a_new_query_and_ctrl_u_clears_the_rank_field() {
    let mut s = state(false);
    key(&mut s, "/");
    type_text(&mut s, "tal");
    key(&mut s, "enter");
    key(&mut s, "/");
    assert!(s.connections.filter.input.text.is_empty());
    assert_eq!(s.connections.visible.len(), 2);
    key(&mut s, "esc");
    keys(&mut s, "3 m");
    type_text(&mut s, "12");
    key(&mut s, "ctrl-u");
    assert!(matches!(s.popups.last(), Some(Popup::MoveTo(t)) if t.text.is_empty()));
}

#[test]
fn the_message_log_keeps_what_the_footer_said() {
    let mut s = state(false);
    update(
        &mut s,
        Action::SnapshotLoaded(Err("a long reason ".repeat(10))),
    );
    assert!(s.status.is_some());
    key(&mut s, "j");
    assert!(s.status.is_none(), "moving on clears the footer");
    key(&mut s, "L");
    let Some(Popup::Text(v)) = s.popups.last() else {
        panic!("message log");
    };
    assert!(v.lines.iter().any(|l| {
        l.text
            .contains(&"a long reason ".repeat(10).trim_end().to_owned())
    }));
}

#[test]
fn mouse_clicks_select_rows_once_turned_on() {
    let mut s = state(false);
    let row1 = layout::first_row(PaneId::Connections) + 1;
    update(&mut s, Action::Mouse(MouseInput::Click(3, row1)));
    assert_eq!(s.connections.list.selected, 0, "mouse off by default");
    key(&mut s, "M");
    update(&mut s, Action::Mouse(MouseInput::Click(3, row1)));
    assert_eq!(s.connections.list.selected, 1);
}

fn row(label: &str, value: &str, source: &str, item: Option<(usize, usize)>) -> ExplainRow {
    let c = |source: &str, value: &str, won: bool| Candidate {
        source: source.into(),
        source_id: Some(source.to_lowercase()),
        rank: Some(1),
        value: value.into(),
        won,
        ignored: None,
    };
    ExplainRow {
        label: label.into(),
        path: label.into(),
        value: value.into(),
        source: source.into(),
        source_id: Some(source.to_lowercase()),
        rank: Some(1),
        others: Vec::new(),
        candidates: vec![c(source, value, true), c("Entra ID", "other", false)],
        rule: if item.is_some() {
            Rule::OrderedUnion
        } else {
            Rule::HighestRank
        },
        actual: None,
        item,
    }
}

#[test]
fn the_profile_has_a_cursor_per_value_and_a_detail_with_every_source() {
    let mut s = state(false);
    update(
        &mut s,
        Action::UsersPage {
            rows: vec![crate::tui::people_index::UserRow {
                id: "u1".into(),
                user_principal_name: "alex@contoso.com".into(),
                display_name: Some("Alex".into()),
                job_title: None,
                department: None,
            }],
            done: true,
        },
    );
    keys(&mut s, "4 enter esc");
    update(
        &mut s,
        Action::ExplainLoaded {
            upn: "alex@contoso.com".into(),
            result: Ok(Arc::new(ExplainView {
                upn: "alex@contoso.com".into(),
                display_name: "Alex".into(),
                rows: vec![
                    row("jobTitle", "Engineer", "Talent", None),
                    row("phones", "+1 555 0100", "Talent", Some((0, 2))),
                    row("phones", "+1 555 0199", "ContosoHR", Some((1, 2))),
                ],
                sources: vec![],
                actual: ActualProfile::Compared,
            })),
        },
    );
    keys(&mut s, "j j");
    let p = s.people.profile.as_ref().expect("profile");
    assert_eq!(
        p.cursor.selected, 2,
        "each value of a multi-valued property is a stop"
    );
    key(&mut s, "enter");
    let Some(Popup::Text(v)) = s.popups.last() else {
        panic!("property detail");
    };
    assert!(v.lines.iter().any(|l| l.text.contains("+1 555 0199")));
    assert!(v.lines.iter().any(|l| {
        l.text
            .contains(crate::vocab::rule_sentence(Rule::OrderedUnion))
    }));
    // From the detail, g s goes to that value's source (closing the view).
    keys(&mut s, "esc k g s");
    assert_eq!(s.pane, PaneId::Sources);
    assert_eq!(
        s.selected_source().map(|r| r.source_id.as_str()),
        Some("talent")
    );
    key(&mut s, "backspace");
    assert_eq!(s.pane, PaneId::People);
    assert_eq!(
        s.people.profile.as_ref().map(|p| p.cursor.selected),
        Some(1),
        "back to the same value of the same profile"
    );
    // y copies the value under the cursor.
    assert_eq!(yanked(&key(&mut s, "y")), Some("+1 555 0100"));
}
