//! Pure tests of `update`, by feature: keys in, state and effects out, no emulator.

mod filter;
mod jump;
mod nav;
mod precedence;
mod problems;
mod profile;
mod propagation;
mod refresh;
mod removal;
mod setup;
mod sync;
mod view;

use std::sync::Arc;

use super::update;
use crate::graph::connections::{ConnectionState, ExternalConnection};
use crate::graph::sources::ProfileSource;
use crate::ops::remove::RemovePlan;
use crate::ops::snapshot::{ConnectionView, PrecedenceSetting, Snapshot};
use crate::ops::{StepReport, StepStatus};
use crate::people::precedence::PrecedenceList;
use crate::people::schema::Contract;
use crate::people::source_url::ENTRA_SOURCE_ID;
use crate::tui::action::Action;
use crate::tui::effect::{Effect, Work};
use crate::tui::keymap::{KeyChord, Keymap};
use crate::tui::state::{AppState, Popup, SessionInfo};
use crate::tui::theme::Theme;

fn url(id: &str) -> String {
    format!("https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='{id}')")
}

fn connection(id: &str, name: &str) -> ConnectionView {
    ConnectionView {
        connection: ExternalConnection {
            id: id.into(),
            name: name.into(),
            description: None,
            state: ConnectionState::Ready,
            content_category: Some("people".into()),
            configuration: None,
            ingested_items_count: Some(3),
        },
        schema: None,
        schema_error: None,
        contract: Contract::Labels,
        schema_problems: Vec::new(),
        failed_operation: None,
        operations: Vec::new(),
    }
}

fn source(id: &str, name: &str) -> ProfileSource {
    ProfileSource {
        id: None,
        source_id: id.into(),
        display_name: Some(name.into()),
        kind: None,
        web_url: Some("https://hr.contoso.com".into()),
        localizations: Vec::new(),
    }
}

/// Two people connections, both registered, and a precedence list with an unknown URL.
fn snapshot() -> Snapshot {
    Snapshot {
        connections: vec![
            connection("contosohr", "Contoso HR"),
            connection("talent", "Talent"),
        ],
        sources: vec![
            source("contosohr", "Contoso HR"),
            source(ENTRA_SOURCE_ID, "Microsoft Entra ID"),
            source("talent", "Talent"),
        ],
        precedence: Some(PrecedenceSetting {
            id: "s1".into(),
            list: PrecedenceList::from_urls([
                url("contosohr"),
                url(ENTRA_SOURCE_ID),
                url("talent"),
                "https://example.com/unknown".to_owned(),
            ]),
        }),
        work: None,
        overdue: Vec::new(),
    }
}

/// A console at 80x24 with `snapshot()` loaded.
fn state(read_only: bool) -> AppState {
    let info = SessionInfo {
        tenant: "contoso.com".into(),
        graph_host: "graph.example".into(),
        read_only,
        ..SessionInfo::default()
    };
    let mut s = AppState::new(
        info,
        Arc::new(Keymap::default()),
        Theme::default(),
        (80, 24),
    );
    update(&mut s, Action::SnapshotLoaded(Ok(Arc::new(snapshot()))));
    s
}

fn key(s: &mut AppState, k: &str) -> Vec<Effect> {
    update(s, Action::Key(KeyChord::parse(k).expect("key")))
}

fn keys(s: &mut AppState, ks: &str) -> Vec<Effect> {
    ks.split(' ').flat_map(|k| key(s, k)).collect()
}

fn type_text(s: &mut AppState, text: &str) {
    for c in text.chars() {
        update(s, Action::Key(KeyChord::char(c)));
    }
}

fn works(effects: &[Effect]) -> Vec<&Work> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Job { work, .. } => Some(work),
            _ => None,
        })
        .collect()
}

/// A removal plan with every step still to do.
fn plan(id: &str) -> RemovePlan {
    RemovePlan {
        connection: id.into(),
        rank: Some(1),
        source: None,
        existing_connection: None,
        steps: ["precedence", "profileSource", "connection"]
            .iter()
            .map(|s| StepReport {
                step: (*s).to_owned(),
                status: StepStatus::Planned,
                detail: format!("{s} planned"),
            })
            .collect(),
        impact: None,
    }
}

#[test]
fn read_only_refuses_every_write_in_a_popup() {
    let mut s = state(true);
    keys(&mut s, "3 J");
    assert!(keys(&mut s, "a").is_empty());
    let Some(Popup::Message(m)) = s.popups.last() else {
        panic!("read-only message expected");
    };
    assert!(m.error && m.lines[0].contains("--read-only"));
    key(&mut s, "esc");
    key(&mut s, "1");
    for k in ["n", "R"] {
        assert!(key(&mut s, k).is_empty(), "{k}");
        assert!(matches!(s.popups.last(), Some(Popup::Message(_))), "{k}");
        key(&mut s, "esc");
    }
    // Removal may be reviewed (a read) but stops there.
    let effects = key(&mut s, "d");
    assert!(matches!(works(&effects)[..], [Work::PlanRemove(_)]));
    update(
        &mut s,
        Action::RemovePlanned(Ok(Box::new(plan("contosohr")))),
    );
    assert!(key(&mut s, "enter").is_empty());
    assert!(matches!(s.popups.last(), Some(Popup::Message(_))));
}
