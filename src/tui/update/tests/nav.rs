//! Panes, keys, the mouse and the sign-in prompt.

use super::{key, keys, state, update};
use crate::auth::claims::{TokenInfo, TokenKind};
use crate::auth::device_code::DeviceCodePrompt;
use crate::tui::action::{Action, MouseInput, PaneId};
use crate::tui::effect::Effect;
use crate::tui::layout;
use crate::tui::state::Popup;

#[test]
fn keys_switch_panes_and_q_quits_but_is_typed_into_a_filter() {
    let mut s = state(false);
    assert_eq!(s.pane, PaneId::Connections);
    key(&mut s, "tab");
    assert_eq!(s.pane, PaneId::Sources);
    key(&mut s, "backtab");
    key(&mut s, "backtab");
    assert_eq!(s.pane, PaneId::Syncs);
    key(&mut s, "4");
    assert_eq!(s.pane, PaneId::People);
    keys(&mut s, "/ q");
    assert!(!s.quit, "q is typed into the search");
    assert_eq!(s.people.search.input.text, "q");
    keys(&mut s, "esc q");
    assert!(s.quit);
}

#[test]
fn clicks_on_a_tab_show_its_pane_only_with_the_mouse_on_and_no_popup() {
    let mut s = state(false);
    // Where the Precedence tab is drawn.
    let col = (0..s.size.0)
        .find(|&c| layout::tab_at(c, layout::TABS_ROW) == Some(PaneId::Precedence))
        .expect("a precedence tab");
    let click = Action::Mouse(MouseInput::Click(col, layout::TABS_ROW));
    update(&mut s, click.clone());
    assert_eq!(s.pane, PaneId::Connections, "mouse off: clicks are ignored");
    let effects = key(&mut s, "M");
    assert!(
        matches!(effects[..], [Effect::SetMouse(true)]),
        "{effects:?}"
    );
    update(
        &mut s,
        Action::Mouse(MouseInput::Click(col, layout::TABS_ROW + 1)),
    );
    assert_eq!(s.pane, PaneId::Connections, "below the tab row");
    update(&mut s, click.clone());
    assert_eq!(s.pane, PaneId::Precedence);
    key(&mut s, "?");
    update(
        &mut s,
        Action::Mouse(MouseInput::Click(0, layout::TABS_ROW)),
    );
    assert_eq!(s.pane, PaneId::Precedence, "a popup is over the tabs");
    // The wheel scrolls the help popup like j/k.
    update(&mut s, Action::Mouse(MouseInput::Scroll(1)));
    assert!(matches!(s.popups.last(), Some(Popup::Help { scroll: 1 })));
}

fn prompt(code: &str) -> DeviceCodePrompt {
    DeviceCodePrompt {
        user_code: code.into(),
        verification_uri: "https://microsoft.com/devicelogin".into(),
        message: String::new(),
        expires_in: 900,
    }
}

#[test]
fn a_device_code_prompt_shows_until_the_sign_in_completes() {
    let mut s = state(false);
    update(&mut s, Action::SignInPrompt(prompt("ABCD-1234")));
    assert!(matches!(s.popups.last(), Some(Popup::DeviceCode(p)) if p.user_code == "ABCD-1234"));
    key(&mut s, "q");
    assert!(!s.quit, "q in a popup closes it, it does not quit");
    assert!(s.popups.is_empty(), "esc/q hides the prompt");
    update(&mut s, Action::SignInPrompt(prompt("WXYZ-9876")));
    update(
        &mut s,
        Action::IdentityLoaded(Ok(Some(TokenInfo {
            kind: TokenKind::Delegated,
            identity: "priya.raman@contoso.com".into(),
            tenant_id: None,
            permissions: vec![],
            expires_at: None,
        }))),
    );
    assert!(s.popups.is_empty(), "signed in: the code is gone");
}

#[test]
fn the_footer_keeps_the_panes_write_actions_at_60_columns() {
    let mut s = state(false);
    let hints = |s: &crate::tui::state::AppState, w: usize| -> Vec<String> {
        crate::tui::ui::footer_hints(s, w)
            .into_iter()
            .map(|(k, d)| format!("{k} {d}"))
            .collect()
    };
    let wide = hints(&s, 160);
    assert!(wide.contains(&"q quit".to_owned()) && wide.contains(&"? help".to_owned()));
    let narrow = hints(&s, 60);
    for h in ["n new", "R register", "s sync", "d remove", "? more"] {
        assert!(narrow.contains(&h.to_owned()), "{h} in {narrow:?}");
    }
    let used: usize = narrow.iter().map(|h| h.chars().count() + 2).sum::<usize>() + 1;
    assert!(used <= 60, "{narrow:?}");
    key(&mut s, "3");
    let narrow = hints(&s, 60);
    for h in ["K up", "J down", "a apply", "u discard"] {
        assert!(narrow.contains(&h.to_owned()), "{h} in {narrow:?}");
    }
}
