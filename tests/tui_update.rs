//! The console's pure update: keys, staging, confirmations, wizards, and a permutation property.

use std::sync::Arc;

use peoplectl::graph::connections::{ConnectionState, ExternalConnection};
use peoplectl::graph::sources::ProfileSource;
use peoplectl::ops::remove::{RemovePlan, RemoveReport};
use peoplectl::ops::snapshot::{ConnectionView, PrecedenceSetting, Snapshot};
use peoplectl::ops::{Event, StepReport, StepStatus};
use peoplectl::people::precedence::PrecedenceList;
use peoplectl::people::schema::Contract;
use peoplectl::people::source_url::ENTRA_SOURCE_ID;
use peoplectl::tui::action::{Action, ApplyFailure, PaneId};
use peoplectl::tui::effect::{Effect, Work};
use peoplectl::tui::keymap::{KeyChord, Keymap};
use peoplectl::tui::people_index::UserRow;
use peoplectl::tui::state::{AppState, ImpactState, Popup, RemovalStep, SessionInfo, SetupStage};
use peoplectl::tui::theme::Theme;
use peoplectl::tui::update::update;
use proptest::prelude::*;

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
    }
}

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

fn staged_ids(s: &AppState) -> Vec<String> {
    s.shown_list()
        .entries()
        .iter()
        .map(|e| e.as_str().to_owned())
        .collect()
}

fn works(effects: &[Effect]) -> Vec<&Work> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Job { work, .. } => Some(work),
            Effect::SetMouse(_) | Effect::CancelSync(_) => None,
        })
        .collect()
}

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
fn moving_stages_a_copy_that_moving_back_unstages() {
    let mut s = state(false);
    key(&mut s, "3");
    let before = staged_ids(&s);
    key(&mut s, "J");
    let staged = s.precedence.staged.clone().expect("staged");
    assert!(staged.changed());
    assert_eq!(staged.moved_from(1), Some(0));
    assert_eq!(
        s.precedence.list.selected, 1,
        "the selection follows the entry"
    );
    assert_ne!(staged_ids(&s), before);
    assert_eq!(
        s.precedence.impact,
        ImpactState::WaitingForInputs,
        "no inputs loaded yet"
    );
    key(&mut s, "K");
    assert!(
        s.precedence.staged.is_none(),
        "back where it was: nothing staged"
    );
    assert_eq!(staged_ids(&s), before);
    // Moving the top entry up says why nothing happened.
    keys(&mut s, "g K");
    assert!(s.status.as_ref().is_some_and(|st| st.text.contains("top")));
}

#[test]
fn apply_asks_first_then_writes_and_a_conflict_is_shown_not_overwritten() {
    let mut s = state(false);
    keys(&mut s, "3 J");
    assert!(
        keys(&mut s, "a").is_empty(),
        "nothing is written before yes"
    );
    let Some(Popup::ConfirmApply(c)) = s.popups.last() else {
        panic!("confirm popup expected, got {:?}", s.popups);
    };
    assert_eq!(c.plan.before, snapshot().list());
    let effects = key(&mut s, "y");
    assert!(matches!(works(&effects)[..], [Work::ApplyReorder(_)]));
    assert!(s.popups.is_empty());
    let actual = PrecedenceList::from_urls([url(ENTRA_SOURCE_ID), url("contosohr")]);
    update(
        &mut s,
        Action::ReorderApplied(Err(Box::new(ApplyFailure::Conflict {
            expected: snapshot().list(),
            actual: actual.clone(),
        }))),
    );
    let Some(Popup::Conflict(c)) = s.popups.last() else {
        panic!("conflict popup expected");
    };
    assert_eq!(c.actual, actual);
    assert!(s.precedence.staged.is_some(), "the staged order is kept");
    // Enter drops the staged order and reads Graph again; nothing is written.
    let effects = key(&mut s, "enter");
    assert!(s.precedence.staged.is_none());
    assert!(works(&effects).iter().all(|w| !w.writes()));
    assert!(
        works(&effects)
            .iter()
            .any(|w| matches!(w, Work::LoadSnapshot))
    );
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

fn removal_step(s: &AppState) -> &RemovalStep {
    match s.popups.last() {
        Some(Popup::Removal(w)) => &w.step,
        other => panic!("removal wizard expected, got {other:?}"),
    }
}

#[test]
fn the_removal_wizard_needs_the_typed_id_and_esc_cancels_before_any_write() {
    let mut s = state(false);
    let effects = key(&mut s, "d");
    assert!(matches!(works(&effects)[..], [Work::PlanRemove(id)] if id == "contosohr"));
    assert!(matches!(removal_step(&s), RemovalStep::Planning));
    update(
        &mut s,
        Action::RemovePlanned(Ok(Box::new(plan("contosohr")))),
    );
    assert!(matches!(removal_step(&s), RemovalStep::Review(_)));
    key(&mut s, "enter");
    assert!(matches!(removal_step(&s), RemovalStep::TypeId { .. }));
    type_text(&mut s, "contoso");
    assert!(
        key(&mut s, "enter").is_empty(),
        "a partial id does not confirm"
    );
    assert!(s.status.as_ref().is_some_and(|st| st.error));
    // Esc cancels: the wizard closes and nothing was asked to run.
    assert!(key(&mut s, "esc").is_empty());
    assert!(s.popups.is_empty());

    key(&mut s, "d");
    update(
        &mut s,
        Action::RemovePlanned(Ok(Box::new(plan("contosohr")))),
    );
    key(&mut s, "enter");
    type_text(&mut s, "contosohr");
    let effects = key(&mut s, "enter");
    assert!(matches!(
        works(&effects)[..],
        [Work::ExecuteRemove { id, .. }] if id == "contosohr"
    ));
    update(
        &mut s,
        Action::RemoveProgress(Event::Step {
            step: "precedence".into(),
            status: StepStatus::Done,
            detail: "removed".into(),
        }),
    );
    let RemovalStep::Running { steps } = removal_step(&s) else {
        panic!("running expected");
    };
    assert_eq!(steps[0].status, StepStatus::Done);
    // The second step fails; retry runs the removal again and finishes it.
    let mut failed = plan("contosohr").steps;
    failed[0].status = StepStatus::Done;
    failed[1].status = StepStatus::Failed;
    update(
        &mut s,
        Action::RemoveFinished {
            report: Box::new(RemoveReport {
                connection: "contosohr".into(),
                dry_run: false,
                steps: failed,
            }),
            error: Some("profileSource: 503".into()),
        },
    );
    assert!(matches!(
        removal_step(&s),
        RemovalStep::Report { error: Some(_), .. }
    ));
    let effects = key(&mut s, "r");
    assert!(matches!(works(&effects)[..], [Work::ExecuteRemove { .. }]));
    let RemovalStep::Running { steps } = removal_step(&s) else {
        panic!("running again expected");
    };
    assert_eq!(steps[0].status, StepStatus::Done, "done stays done");
    assert_eq!(steps[1].status, StepStatus::Planned);
}

#[test]
fn the_new_connection_wizard_checks_the_id_as_it_is_typed_then_runs_setup() {
    let mut s = state(false);
    key(&mut s, "n");
    type_text(&mut s, "mi");
    let wizard = |s: &AppState| match s.popups.last() {
        Some(Popup::NewConnection(w)) => (**w).clone(),
        other => panic!("wizard expected, got {other:?}"),
    };
    assert!(wizard(&s).form.fields[0].error.is_some(), "too short");
    type_text(&mut s, "crosofthr");
    assert!(
        wizard(&s).form.fields[0]
            .error
            .as_deref()
            .is_some_and(|e| e.to_lowercase().contains("microsoft")),
        "{:?}",
        wizard(&s).form.fields[0].error
    );
    key(&mut s, "ctrl-u");
    type_text(&mut s, "workdayhr");
    assert!(wizard(&s).form.fields[0].error.is_none());
    assert!(key(&mut s, "enter").is_empty(), "a name is required first");
    assert!(wizard(&s).form.error.is_some());
    type_text(&mut s, "Workday");
    let effects = key(&mut s, "enter");
    assert!(matches!(
        works(&effects)[..],
        [Work::Setup(r)] if r.id.as_str() == "workdayhr" && r.name == "Workday" && r.wait
    ));
    assert!(matches!(wizard(&s).stage, SetupStage::Running { .. }));
    assert!(
        key(&mut s, "esc").is_empty(),
        "esc does not hide a running setup"
    );
    assert!(matches!(s.popups.last(), Some(Popup::NewConnection(_))));
    update(
        &mut s,
        Action::SetupProgress(Event::Step {
            step: "schema".into(),
            status: StepStatus::Running,
            detail: "provisioning (4s)".into(),
        }),
    );
    let SetupStage::Running { steps } = wizard(&s).stage else {
        panic!("running")
    };
    assert_eq!(steps[1].detail, "provisioning (4s)");
    let effects = update(&mut s, Action::SetupFinished(Err("schema refused".into())));
    assert!(
        matches!(works(&effects)[..], [Work::LoadSnapshot]),
        "lists are read again"
    );
    assert!(matches!(
        wizard(&s).stage,
        SetupStage::Done { error: Some(_), .. }
    ));
    key(&mut s, "esc");
    assert!(s.popups.is_empty());
}

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

#[test]
fn late_impact_results_are_dropped_and_unknown_keys_do_not_redraw() {
    let mut s = state(false);
    keys(&mut s, "3 J");
    let generation = s.precedence.generation;
    key(&mut s, "J");
    update(
        &mut s,
        Action::ImpactComputed {
            generation,
            impact: Arc::new(peoplectl::people::impact::Impact {
                users: 1,
                changed_users: vec![],
                per_property: vec![],
            }),
        },
    );
    assert!(!matches!(s.precedence.impact, ImpactState::Ready(_)));
    s.dirty = false;
    key(&mut s, "f12");
    assert!(!s.dirty, "an unbound key changes nothing and draws nothing");
}

#[derive(Debug, Clone)]
enum Op {
    Up,
    Down,
    MoveUp,
    MoveDown,
    MoveTo(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Up),
        Just(Op::Down),
        Just(Op::MoveUp),
        Just(Op::MoveDown),
        (1usize..6).prop_map(Op::MoveTo),
    ]
}

proptest! {
    #[test]
    fn any_sequence_of_moves_keeps_the_staged_list_a_permutation(ops in proptest::collection::vec(op(), 0..40)) {
        let mut s = state(false);
        key(&mut s, "3");
        let mut original = staged_ids(&s);
        for o in ops {
            match o {
                Op::Up => { key(&mut s, "k"); }
                Op::Down => { key(&mut s, "j"); }
                Op::MoveUp => { key(&mut s, "K"); }
                Op::MoveDown => { key(&mut s, "J"); }
                Op::MoveTo(rank) => {
                    key(&mut s, "m");
                    type_text(&mut s, &rank.to_string());
                    key(&mut s, "enter");
                    if !s.popups.is_empty() { key(&mut s, "esc"); }
                }
            }
            let mut now = staged_ids(&s);
            prop_assert_eq!(now.len(), original.len());
            now.sort();
            original.sort();
            prop_assert_eq!(&now, &original);
            prop_assert!(s.precedence.list.selected < now.len());
            // Staged exactly when the order differs from Graph's.
            let differs = s.shown_list() != snapshot().list();
            prop_assert_eq!(s.precedence.staged.is_some(), differs);
        }
    }
}

#[test]
fn a_device_code_prompt_shows_until_the_sign_in_completes() {
    let mut s = state(false);
    update(
        &mut s,
        Action::SignInPrompt(peoplectl::auth::device_code::DeviceCodePrompt {
            user_code: "ABCD-1234".into(),
            verification_uri: "https://microsoft.com/devicelogin".into(),
            message: String::new(),
            expires_in: 900,
        }),
    );
    assert!(matches!(s.popups.last(), Some(Popup::DeviceCode(p)) if p.user_code == "ABCD-1234"));
    key(&mut s, "q");
    assert!(!s.quit, "q in a popup closes it, it does not quit");
    assert!(s.popups.is_empty(), "esc/q hides the prompt");
    update(
        &mut s,
        Action::SignInPrompt(peoplectl::auth::device_code::DeviceCodePrompt {
            user_code: "WXYZ-9876".into(),
            verification_uri: "https://microsoft.com/devicelogin".into(),
            message: String::new(),
            expires_in: 900,
        }),
    );
    update(
        &mut s,
        Action::IdentityLoaded(Ok(peoplectl::tui::identity::Identity {
            sign_in: peoplectl::tui::identity::SignIn::Delegated,
            name: "priya.raman@contoso.com".into(),
            permissions: vec![],
            tenant_id: None,
        })),
    );
    assert!(s.popups.is_empty(), "signed in: the code is gone");
}

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
