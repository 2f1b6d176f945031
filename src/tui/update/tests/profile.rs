//! The people search and a person's profile.

use super::{key, keys, state, type_text, update, works};
use crate::tui::action::Action;
use crate::tui::effect::Work;
use crate::tui::people_index::UserRow;
use crate::tui::state::Popup;

#[test]
fn people_search_is_incremental_and_enter_explains_the_match() {
    let mut s = state(false);
    let row = |name: &str, upn: &str| UserRow {
        id: upn.into(),
        user_principal_name: upn.into(),
        display_name: Some(name.into()),
        job_title: None,
        department: None,
    };
    update(
        &mut s,
        Action::UsersPage {
            rows: vec![
                row("Alex Wilber", "alexw@contoso.com"),
                row("Tomás Herrera", "tomas.herrera@contoso.com"),
            ],
            done: true,
        },
    );
    keys(&mut s, "4 /");
    type_text(&mut s, "tom");
    assert_eq!(s.people.index.match_count(), 1);
    let effects = key(&mut s, "enter");
    assert!(matches!(
        works(&effects)[..],
        [Work::Explain { upn, .. }] if upn == "tomas.herrera@contoso.com"
    ));
    assert!(
        matches!(s.popups.last(), Some(Popup::SignInNeeded)),
        "identity unknown: the delegated-sign-in notice shows once"
    );
    key(&mut s, "esc");
    key(&mut s, "esc");
    assert!(s.people.profile.is_none());
    key(&mut s, "enter");
    assert!(s.popups.is_empty(), "the notice is shown once per session");
}
