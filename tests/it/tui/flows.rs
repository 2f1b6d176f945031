//! Headless console flows against the in-process demo emulator, driven by actions.

use std::sync::Arc;
use std::time::Duration;

use peoplectl::cli::connect::client_for_emulator;
use peoplectl::emulator::{self, EmulatorConfig, EmulatorHandle, SeedKind};
use peoplectl::people::compose::Rule;
use peoplectl::people::source_url::ENTRA_SOURCE_ID;
use peoplectl::tui::action::{Action, PaneId};
use peoplectl::tui::app::App;
use peoplectl::tui::keymap::{KeyChord, Keymap};
use peoplectl::tui::state::{
    AppState, ImpactState, LoadState, Popup, RegisterStage, RemovalStep, SessionInfo, SetupStage,
};
use peoplectl::tui::theme::Theme;

const WAIT: Duration = Duration::from_secs(60);

async fn demo_app(read_only: bool) -> (App, EmulatorHandle) {
    // Quick provisioning and no ingest limit: the flows wait on conditions, not on the clock.
    let handle = emulator::start(EmulatorConfig {
        seed: SeedKind::Demo,
        provisioning_delay_ms: 20,
        ingest_rps: None,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let client = client_for_emulator(&handle).expect("client");
    // The demo's HR export is the configured input of contosohr, as in `peoplectl --demo`;
    // sync state lives in the emulator's temp dir, which goes with it.
    let dir = handle.ca_cert_path().parent().expect("dir").to_path_buf();
    let info = SessionInfo {
        tenant: handle.tenant_domain().to_owned(),
        graph_host: client.host(),
        demo: true,
        read_only,
        tenant_id: handle.tenant_id().to_owned(),
        context: "demo".into(),
        sync_inputs: peoplectl::tui::demo_sync_inputs(&dir).expect("demo files"),
        data_dir: Some(dir),
    };
    let mut app = App::new(
        client,
        info,
        Arc::new(Keymap::default()),
        Theme::default(),
        (80, 24),
    );
    app.start();
    let loaded = app
        .run_until(WAIT, |s| {
            s.snap().is_some()
                && matches!(s.people.users, LoadState::Loaded(()))
                && s.identity.loaded().is_some()
                && s.jobs.is_empty()
        })
        .await;
    assert!(loaded, "the demo tenant loads: {:?}", app.state.jobs);
    (app, handle)
}

fn key(app: &mut App, k: &str) {
    app.dispatch(Action::Key(KeyChord::parse(k).expect("key")));
}

fn keys(app: &mut App, ks: &str) {
    for k in ks.split(' ') {
        key(app, k);
    }
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.dispatch(Action::Key(KeyChord::char(c)));
    }
}

fn nameless_urls(handle: &EmulatorHandle) -> Vec<String> {
    handle
        .inspect()
        .settings()
        .into_iter()
        .find(|s| s.name.is_none())
        .map(|s| s.prioritized_source_urls)
        .unwrap_or_default()
}

fn select_connection(app: &mut App, id: &str) {
    key(app, "1");
    key(app, "home");
    let pos = app
        .state
        .connections
        .visible
        .iter()
        .position(|&i| app.state.connections.rows[i].id == id)
        .expect("connection listed");
    for _ in 0..pos {
        key(app, "j");
    }
}

#[tokio::test]
async fn reorder_then_apply_changes_the_setting_after_showing_the_impact() {
    let (mut app, handle) = demo_app(false).await;
    let before = nameless_urls(&handle);
    assert!(before[0].contains("contosohr"));
    keys(&mut app, "3 J");
    assert_eq!(app.state.pane, PaneId::Precedence);
    let ready = app
        .run_until(WAIT, |s| {
            matches!(s.precedence.impact, ImpactState::Ready(_))
        })
        .await;
    assert!(
        ready,
        "the impact is computed: {:?}",
        app.state.precedence.impact
    );
    let ImpactState::Ready(impact) = &app.state.precedence.impact else {
        unreachable!()
    };
    assert_eq!(impact.users, 318);
    let title = impact
        .per_property
        .iter()
        .find(|p| p.property == "positions/detail/jobTitle")
        .expect("jobTitle changes when Entra outranks Workday");
    assert!(
        title.changed >= 15,
        "the promotions Workday knows: {}",
        title.changed
    );
    assert_eq!(
        nameless_urls(&handle),
        before,
        "nothing written while staged"
    );
    keys(&mut app, "a y");
    let done = app
        .run_until(WAIT, |s| s.precedence.staged.is_none() && s.jobs.is_empty())
        .await;
    assert!(done);
    let after = nameless_urls(&handle);
    assert!(after[0].contains(ENTRA_SOURCE_ID), "{after:?}");
    assert!(after[1].contains("contosohr"), "{after:?}");
    assert_eq!(after.len(), before.len(), "nothing lost");
    assert!(
        app.state.shown_list().entries()[0]
            .source_id()
            .is_some_and(peoplectl::people::ids::SourceId::is_entra),
        "the pane shows the list Graph holds now"
    );
}

#[tokio::test]
async fn a_remote_change_is_shown_as_a_conflict_and_never_overwritten() {
    let (mut app, handle) = demo_app(false).await;
    keys(&mut app, "3 j J");
    // Someone else changes the list meanwhile.
    let other = client_for_emulator(&handle).expect("client");
    let mut theirs = nameless_urls(&handle);
    theirs.swap(0, 2);
    let id = handle.inspect().settings()[0].id.clone();
    other
        .update_precedence(&id, &theirs)
        .await
        .expect("their write");
    keys(&mut app, "a y");
    let shown = app
        .run_until(WAIT, |s| {
            matches!(s.popups.last(), Some(Popup::Conflict(_)))
        })
        .await;
    assert!(shown, "conflict popup: {:?}", app.state.popups);
    let Some(Popup::Conflict(c)) = app.state.popups.last() else {
        unreachable!()
    };
    assert_eq!(c.actual.to_strings(), theirs);
    assert_eq!(nameless_urls(&handle), theirs, "their list stays");
    // Reload: the pane now shows their list with nothing staged.
    key(&mut app, "enter");
    assert!(app.run_until(WAIT, |s| s.jobs.is_empty()).await);
    assert!(app.state.precedence.staged.is_none());
    assert_eq!(app.state.shown_list().to_strings(), theirs);
}

fn removal_step(s: &AppState) -> Option<&RemovalStep> {
    match s.popups.last() {
        Some(Popup::Removal(w)) => Some(&w.step),
        _ => None,
    }
}

fn no_trace(handle: &EmulatorHandle, id: &str) {
    let inspect = handle.inspect();
    assert!(inspect.connection(id).is_none(), "connection {id} gone");
    assert!(
        !inspect.sources().iter().any(|s| s.source_id == id),
        "source {id} gone"
    );
    assert!(
        !nameless_urls(handle)
            .iter()
            .any(|u| u.contains(&format!("'{id}'"))),
        "{id} not in precedence"
    );
}

#[tokio::test]
async fn the_removal_wizard_leaves_no_trace_in_any_of_the_three_lists() {
    let (mut app, handle) = demo_app(false).await;
    select_connection(&mut app, "talentlegacy");
    key(&mut app, "d");
    assert!(
        app.run_until(WAIT, |s| matches!(
            removal_step(s),
            Some(RemovalStep::Review(_))
        ))
        .await
    );
    // Esc at the review writes nothing.
    key(&mut app, "esc");
    assert!(handle.inspect().connection("talentlegacy").is_some());
    key(&mut app, "d");
    assert!(
        app.run_until(WAIT, |s| matches!(
            removal_step(s),
            Some(RemovalStep::Review(_))
        ))
        .await
    );
    key(&mut app, "enter");
    type_text(&mut app, "talentlegacy");
    key(&mut app, "enter");
    let finished = app
        .run_until(WAIT, |s| {
            matches!(
                removal_step(s),
                Some(RemovalStep::Report { error: None, .. })
            ) && s.jobs.is_empty()
        })
        .await;
    assert!(finished, "{:?}", removal_step(&app.state));
    no_trace(&handle, "talentlegacy");
    assert!(
        !app.state
            .connections
            .rows
            .iter()
            .any(|r| r.id == "talentlegacy"),
        "the pane was refreshed"
    );
    key(&mut app, "enter");
    assert!(app.state.popups.is_empty());
}

#[tokio::test]
async fn a_failed_step_shows_its_error_and_retry_finishes_the_job() {
    let (mut app, handle) = demo_app(false).await;
    // The profile source delete is refused once (403 is not retried by the client).
    handle
        .faults()
        .fail_next("DELETE", "*profileSources*", 1, 403);
    select_connection(&mut app, "contosohr");
    key(&mut app, "d");
    assert!(
        app.run_until(WAIT, |s| matches!(
            removal_step(s),
            Some(RemovalStep::Review(_))
        ))
        .await
    );
    key(&mut app, "enter");
    type_text(&mut app, "contosohr");
    key(&mut app, "enter");
    let failed = app
        .run_until(WAIT, |s| {
            matches!(
                removal_step(s),
                Some(RemovalStep::Report { error: Some(_), .. })
            )
        })
        .await;
    assert!(failed, "{:?}", removal_step(&app.state));
    let Some(RemovalStep::Report { steps, .. }) = removal_step(&app.state) else {
        unreachable!()
    };
    assert_eq!(steps[0].status, peoplectl::ops::StepStatus::Done);
    assert_eq!(steps[1].status, peoplectl::ops::StepStatus::Failed);
    assert!(
        handle.inspect().connection("contosohr").is_some(),
        "stopped at the failure"
    );
    key(&mut app, "r");
    let finished = app
        .run_until(WAIT, |s| {
            matches!(
                removal_step(s),
                Some(RemovalStep::Report { error: None, .. })
            ) && s.jobs.is_empty()
        })
        .await;
    assert!(finished, "{:?}", removal_step(&app.state));
    no_trace(&handle, "contosohr");
}

#[tokio::test]
async fn removing_a_source_only_keeps_the_connection() {
    let (mut app, handle) = demo_app(false).await;
    key(&mut app, "2");
    let pos = app
        .state
        .sources
        .rows
        .iter()
        .position(|r| r.source_id == "talentlegacy")
        .expect("listed");
    for _ in 0..pos {
        key(&mut app, "j");
    }
    key(&mut app, "d");
    assert!(
        app.run_until(WAIT, |s| matches!(
            removal_step(s),
            Some(RemovalStep::Review(_))
        ))
        .await
    );
    key(&mut app, "enter");
    type_text(&mut app, "talentlegacy");
    key(&mut app, "enter");
    assert!(
        app.run_until(WAIT, |s| {
            matches!(
                removal_step(s),
                Some(RemovalStep::Report { error: None, .. })
            ) && s.jobs.is_empty()
        })
        .await
    );
    let inspect = handle.inspect();
    assert!(
        inspect.connection("talentlegacy").is_some(),
        "the connection stays"
    );
    assert!(
        !inspect
            .sources()
            .iter()
            .any(|s| s.source_id == "talentlegacy")
    );
    assert!(
        !nameless_urls(&handle)
            .iter()
            .any(|u| u.contains("talentlegacy"))
    );
}

#[tokio::test]
async fn register_refuses_a_draft_then_registers_a_people_connection_after_its_impact() {
    let (mut app, handle) = demo_app(false).await;
    let before = nameless_urls(&handle);
    let sources_before = handle.inspect().sources().len();
    select_connection(&mut app, "learningpeople");
    key(&mut app, "R");
    // Focus starts on the web URL: the connection id is filled in.
    type_text(&mut app, "http://learn.contoso.com");
    key(&mut app, "enter");
    let Some(Popup::Register(w)) = app.state.popups.last() else {
        panic!("register form expected")
    };
    assert!(w.form.error.as_deref().is_some_and(|e| e.contains("https")));
    key(&mut app, "ctrl-u");
    type_text(&mut app, "https://learn.contoso.com");
    key(&mut app, "enter");
    // The draft is refused with the reason, back on the form; nothing is written.
    let refused = app
        .run_until(WAIT, |s| {
            matches!(s.popups.last(), Some(Popup::Register(w))
                if matches!(w.stage, RegisterStage::Editing)
                    && w.form.error.as_deref().is_some_and(|e| e.contains("not ready")))
        })
        .await;
    assert!(refused, "{:?}", app.state.popups.last());
    assert_eq!(nameless_urls(&handle), before);
    assert_eq!(handle.inspect().sources().len(), sources_before);
    key(&mut app, "esc");

    // A proper people connection, made in the console, registers after its impact is shown.
    keys(&mut app, "1 n");
    type_text(&mut app, "workdayhr");
    key(&mut app, "tab");
    type_text(&mut app, "Workday HR");
    key(&mut app, "enter");
    assert!(
        app.run_until(WAIT, |s| {
            matches!(s.popups.last(), Some(Popup::NewConnection(w)) if matches!(w.stage, SetupStage::Done { error: None, .. }))
                && s.jobs.is_empty()
                && s.snap().is_some_and(|snap| snap.connection("workdayhr").is_some_and(|c| c.schema.is_some()))
        })
        .await,
        "{:?}",
        app.state.popups.last()
    );
    key(&mut app, "esc");
    select_connection(&mut app, "workdayhr");
    key(&mut app, "R");
    type_text(&mut app, "https://wd.contoso.com");
    key(&mut app, "enter");
    let reviewed = app
        .run_until(WAIT, |s| {
            matches!(s.popups.last(), Some(Popup::Register(w)) if matches!(w.stage, RegisterStage::Review(_)))
        })
        .await;
    assert!(reviewed, "{:?}", app.state.popups.last());
    let Some(Popup::Register(w)) = app.state.popups.last() else {
        unreachable!()
    };
    let RegisterStage::Review(plan) = &w.stage else {
        unreachable!()
    };
    let impact = plan
        .impact
        .as_ref()
        .expect("the review measures the impact");
    assert_eq!(impact.users, handle.inspect().users_count());
    assert!(impact.changes.is_empty(), "no items yet: nobody changes");
    key(&mut app, "y");
    let done = app
        .run_until(WAIT, |s| {
            matches!(s.popups.last(), Some(Popup::Register(w)) if matches!(w.stage, RegisterStage::Done(Ok(_))))
                && s.jobs.is_empty()
        })
        .await;
    assert!(done);
    assert!(
        nameless_urls(&handle)[0].contains("workdayhr"),
        "ranked at the top"
    );
    key(&mut app, "esc");

    key(&mut app, "2");
    let pos = app
        .state
        .sources
        .visible
        .iter()
        .position(|&i| app.state.sources.rows[i].source_id == "workdayhr")
        .expect("listed");
    for _ in 0..pos {
        key(&mut app, "j");
    }
    key(&mut app, "e");
    key(&mut app, "ctrl-u");
    type_text(&mut app, "Workday");
    key(&mut app, "enter");
    assert!(
        app.run_until(WAIT, |s| s.popups.is_empty() && s.jobs.is_empty())
            .await
    );
    let source = handle
        .inspect()
        .sources()
        .into_iter()
        .find(|s| s.source_id == "workdayhr")
        .expect("source");
    assert_eq!(source.display_name.as_deref(), Some("Workday"));
}

#[tokio::test]
async fn the_new_connection_wizard_creates_the_connection_and_its_schema() {
    let (mut app, handle) = demo_app(false).await;
    keys(&mut app, "1 n");
    type_text(&mut app, "workdayhr");
    key(&mut app, "tab");
    type_text(&mut app, "Workday HR");
    key(&mut app, "enter");
    let done = app
        .run_until(WAIT, |s| {
            matches!(s.popups.last(), Some(Popup::NewConnection(w)) if matches!(w.stage, SetupStage::Done { .. }))
                && s.jobs.is_empty()
        })
        .await;
    assert!(done, "{:?}", app.state.popups.last());
    let Some(Popup::NewConnection(w)) = app.state.popups.last() else {
        unreachable!()
    };
    assert!(
        matches!(&w.stage, SetupStage::Done { error: None, .. }),
        "{:?}",
        w.stage
    );
    let created = handle.inspect().connection("workdayhr").expect("created");
    assert_eq!(created.content_category, "people");
    assert!(!created.schema_properties.is_empty(), "schema registered");
    assert!(
        app.state
            .connections
            .rows
            .iter()
            .any(|r| r.id == "workdayhr"),
        "the pane lists it"
    );
}

#[tokio::test]
async fn read_only_writes_nothing() {
    let (mut app, handle) = demo_app(true).await;
    let before = nameless_urls(&handle);
    keys(&mut app, "3 J a");
    assert!(matches!(app.state.popups.last(), Some(Popup::Message(m)) if m.error));
    key(&mut app, "esc");
    select_connection(&mut app, "contosohr");
    key(&mut app, "d");
    assert!(
        app.run_until(WAIT, |s| matches!(
            removal_step(s),
            Some(RemovalStep::Review(_))
        ))
        .await
    );
    key(&mut app, "enter");
    assert!(app.run_until(WAIT, |s| s.jobs.is_empty()).await);
    assert_eq!(nameless_urls(&handle), before);
    assert!(handle.inspect().connection("contosohr").is_some());
}

async fn explain(app: &mut App, query: &str) -> Arc<peoplectl::tui::profile::ExplainView> {
    keys(app, "4 esc esc /");
    key(app, "ctrl-u");
    type_text(app, query);
    key(app, "enter");
    let loaded = app
        .run_until(WAIT, |s| {
            s.people
                .profile
                .as_ref()
                .is_some_and(|p| p.view.loaded().is_some())
        })
        .await;
    assert!(loaded, "{:?}", app.state.people.profile);
    if matches!(app.state.popups.last(), Some(Popup::SignInNeeded)) {
        key(app, "esc");
    }
    app.state
        .people
        .profile
        .as_ref()
        .and_then(|p| p.view.loaded().cloned())
        .expect("view")
}

#[tokio::test]
async fn searching_a_person_explains_who_wins_and_why() {
    let (mut app, _handle) = demo_app(false).await;
    let alex = explain(&mut app, "alex wilber").await;
    let title = alex
        .rows
        .iter()
        .find(|r| r.label == "jobTitle")
        .expect("jobTitle");
    assert_eq!(title.value, "Senior Software Engineer");
    assert_eq!(title.source, "Contoso HR (Workday)");
    assert_eq!(title.rule, Rule::HighestRank);
    assert!(
        title
            .others
            .iter()
            .any(|o| o == "Entra ID: Software Engineer"),
        "{:?}",
        title.others
    );
    let tomas = explain(&mut app, "tomas.herrera").await;
    let title = tomas
        .rows
        .iter()
        .find(|r| r.label == "jobTitle")
        .expect("jobTitle");
    assert_eq!(
        title.value, "\"\" (empty string)",
        "an empty string is a value"
    );
    assert_eq!(title.rule, Rule::EmptyStringWins);
    assert!(
        title
            .others
            .iter()
            .any(|o| o == "Entra ID: Operations Analyst")
    );
}

#[tokio::test]
async fn a_contractor_without_a_mailbox_shows_entras_title_and_why() {
    let (mut app, _handle) = demo_app(false).await;
    let mykola = explain(&mut app, "mykola").await;
    let title = mykola
        .rows
        .iter()
        .find(|r| r.label == "jobTitle")
        .expect("jobTitle");
    assert_eq!(title.value, "Software Engineer", "what Microsoft 365 shows");
    assert_eq!(title.source, "Entra ID");
    assert_eq!(title.rule, Rule::SourceIgnored);
    assert!(
        title
            .others
            .iter()
            .any(|o| o
                == "Contoso HR (Workday) ignored, no Exchange mailbox: Senior Software Engineer"),
        "{:?}",
        title.others
    );
}

#[tokio::test]
async fn the_problems_view_removes_the_dangling_entry_with_a_confirmation() {
    let (mut app, handle) = demo_app(false).await;
    assert!(
        nameless_urls(&handle)
            .iter()
            .any(|u| u.contains("benefitsportal"))
    );
    key(&mut app, "!");
    let at = app
        .state
        .problems
        .iter()
        .position(|p| p.code == "danglingEntry" && p.subject == "benefitsportal")
        .expect("the demo's dangling entry is a finding");
    for _ in 0..at {
        key(&mut app, "j");
    }
    key(&mut app, "enter");
    // The apply dialog reads Graph's list again before anything is written.
    let read = app
        .run_until(
            WAIT,
            |s| matches!(s.popups.last(), Some(Popup::ConfirmApply(c)) if c.now.loaded().is_some()),
        )
        .await;
    assert!(read, "{:?}", app.state.popups.last());
    assert!(
        nameless_urls(&handle)
            .iter()
            .any(|u| u.contains("benefitsportal")),
        "nothing written before yes"
    );
    key(&mut app, "y");
    let fixed = app
        .run_until(WAIT, |s| {
            s.jobs.is_empty() && !s.problems.iter().any(|p| p.code == "danglingEntry")
        })
        .await;
    assert!(fixed, "{:?}", app.state.problems);
    let urls = nameless_urls(&handle);
    assert!(
        !urls.iter().any(|u| u.contains("benefitsportal")),
        "{urls:?}"
    );
    assert_eq!(urls.len(), 5, "only that entry went: {urls:?}");
    assert!(
        matches!(app.state.popups.last(), Some(Popup::Problems(_))),
        "back on the list of what is left"
    );
}

#[tokio::test]
async fn a_sync_started_from_the_pane_puts_the_items_and_reports_bad_rows() {
    let (mut app, handle) = demo_app(false).await;
    let jasmine = peoplectl::people::item::item_id_for_upn("jasmine.carter@contoso.com");
    let before = handle.inspect().item("contosohr", &jasmine).expect("item");
    assert!(
        !before.to_string().contains("\\\"Account Executive"),
        "{before}"
    );
    keys(&mut app, "5 home s");
    let finished = app
        .run_until(WAIT, |s| {
            s.syncs
                .runs
                .get("contosohr")
                .is_some_and(|r| r.report.is_some())
                && s.jobs.is_empty()
        })
        .await;
    assert!(
        finished,
        "{:?}",
        app.state.syncs.runs.get("contosohr").map(|r| r.phase)
    );
    let run = &app.state.syncs.runs["contosohr"];
    let Some(Ok(report)) = &run.report else {
        panic!("report expected: {:?}", run.report)
    };
    assert!(
        report.put >= 8,
        "changed and new people are sent: {}",
        report.put
    );
    assert!(
        report.invalid >= 5,
        "bad rows are reported: {}",
        report.invalid
    );
    assert!(
        report.errors.iter().any(|e| e.line == Some(59)),
        "line 59 (missing Email) is listed"
    );
    let after = handle.inspect().item("contosohr", &jasmine).expect("item");
    assert!(after.to_string().contains("Account Executive"), "{after}");
    // The report opens from the pane.
    key(&mut app, "enter");
    assert!(matches!(
        app.state.popups.last(),
        Some(Popup::SyncReport { .. })
    ));
}

/// A console whose clock only moves when the test moves it.
async fn timed_app() -> (App, EmulatorHandle, peoplectl::tui::clock::Clock) {
    let (mut app, handle) = demo_app(false).await;
    let clock = peoplectl::tui::clock::Clock::manual();
    app.state.clock = clock.clone();
    // Read again under the test's clock, so "read at" starts at its zero.
    key(&mut app, "r");
    assert!(app.run_until(WAIT, |s| s.jobs.is_empty()).await);
    (app, handle, clock)
}

#[tokio::test]
async fn an_automatic_refresh_shows_a_change_made_elsewhere_and_keeps_the_cursor_on_its_object() {
    let (mut app, handle, clock) = timed_app().await;
    select_connection(&mut app, "talentlegacy");
    let before = app.state.connections.list.selected;
    // Another admin (the CLI, say) creates a connection that lists before it.
    let other = client_for_emulator(&handle).expect("client");
    other
        .create_connection(&peoplectl::graph::connections::NewConnection {
            id: "aaworkday".into(),
            name: "A Workday".into(),
            description: "made elsewhere".into(),
            content_category: Some("people".into()),
        })
        .await
        .expect("created");
    app.dispatch(Action::Tick);
    assert!(app.idle(), "not due yet: nothing is read");
    clock.advance(Duration::from_secs(31));
    app.dispatch(Action::Tick);
    assert!(!app.idle(), "due: the tenant is read again");
    let shown = app
        .run_until(WAIT, |s| {
            s.jobs.is_empty() && s.connections.rows.iter().any(|r| r.id == "aaworkday")
        })
        .await;
    assert!(shown, "the change is shown without pressing r");
    assert_eq!(
        app.state.selected_connection().map(|r| r.id.as_str()),
        Some("talentlegacy"),
        "the cursor stayed on its object"
    );
    assert_ne!(
        app.state.connections.list.selected, before,
        "which moved down a row"
    );
    assert_eq!(app.state.age(), "read just now");
}

#[tokio::test]
async fn from_a_profile_value_to_its_source_and_back_then_yank_its_value() {
    let (mut app, _handle) = demo_app(false).await;
    let alex = explain(&mut app, "alex wilber").await;
    let title = alex
        .rows
        .iter()
        .position(|r| r.label == "jobTitle")
        .expect("jobTitle");
    for _ in 0..title {
        key(&mut app, "j");
    }
    keys(&mut app, "g s");
    assert_eq!(app.state.pane, PaneId::Sources);
    assert_eq!(
        app.state.selected_source().map(|r| r.source_id.as_str()),
        Some("contosohr"),
        "the winning source of jobTitle"
    );
    keys(&mut app, "g c");
    assert_eq!(app.state.pane, PaneId::Connections);
    assert_eq!(
        app.state.selected_connection().map(|r| r.id.as_str()),
        Some("contosohr")
    );
    keys(&mut app, "backspace backspace");
    assert_eq!(app.state.pane, PaneId::People);
    let profile = app
        .state
        .people
        .profile
        .as_ref()
        .expect("the profile again");
    assert_eq!(profile.cursor.selected, title, "on the same property");
    // y copies the value under the cursor, sanitised, as one OSC 52 sequence.
    let effects = app.dispatch(Action::Key(KeyChord::char('y')));
    let copied = effects
        .iter()
        .find_map(|e| match e {
            peoplectl::tui::effect::Effect::Yank(t) => Some(t.clone()),
            _ => None,
        })
        .expect("a yank");
    assert_eq!(copied, "Senior Software Engineer");
    assert_eq!(
        peoplectl::tui::terminal::osc52(&copied),
        "\x1b]52;c;U2VuaW9yIFNvZnR3YXJlIEVuZ2luZWVy\x07"
    );
}

#[tokio::test]
async fn the_people_list_sorts_by_entra_title_and_keeps_the_cursor() {
    let (mut app, _handle) = demo_app(false).await;
    keys(&mut app, "4 /");
    type_text(&mut app, "alex wilber");
    keys(&mut app, "enter esc");
    // Enter opened the profile; esc closed it, keeping the search.
    let alex = app.state.people.list.selected;
    let upn = |s: &AppState, n: usize| {
        s.people
            .index
            .matched(n)
            .map(|u| u.user_principal_name.to_string())
    };
    assert_eq!(
        upn(&app.state, alex).as_deref(),
        Some("alex.wilber@contoso.com")
    );
    keys(&mut app, "esc");
    let at = |s: &AppState| upn(s, s.people.list.selected);
    let before = at(&app.state);
    keys(&mut app, "> > >");
    assert_eq!(
        app.state.view(PaneId::People).sort,
        Some((2, false)),
        "by ENTRA TITLE"
    );
    assert_eq!(at(&app.state), before, "the cursor stayed on the person");
    let titles: Vec<String> = (0..app.state.people.index.match_count())
        .filter_map(|n| app.state.people.index.matched(n))
        .filter_map(|u| u.job_title.as_deref().map(str::to_lowercase))
        .collect();
    assert!(
        titles.windows(2).all(|w| w[0] <= w[1]),
        "sorted: {titles:?}"
    );
}

/// A delegated sign-in for the console: the profile API answers only a person.
#[derive(Debug)]
struct Delegated(String);

#[async_trait::async_trait]
impl azure_core::credentials::TokenCredential for Delegated {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        Ok(azure_core::credentials::AccessToken::new(
            self.0.clone(),
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

/// Waits for the propagation check of `id` to end and returns its counts.
async fn checked(app: &mut App, id: &str) -> Arc<peoplectl::tui::propagation::CheckView> {
    let done = app
        .run_until(WAIT, |s| {
            s.syncs
                .checks
                .get(id)
                .is_some_and(|c| c.running.is_none() && (c.last.is_some() || c.error.is_some()))
                && s.jobs.is_empty()
        })
        .await;
    assert!(done, "the check ends: {:?}", app.state.syncs.checks.get(id));
    let c = &app.state.syncs.checks[id];
    assert_eq!(c.error, None);
    c.last.clone().expect("counts")
}

/// Opens the list of people not live, puts the cursor on `upn` and opens their profile; returns
/// the profile's ledger line for `contosohr`.
async fn profile_line_of(app: &mut App, upn: &str) -> String {
    key(app, "w");
    let Some(Popup::Propagation(l)) = app.state.popups.last() else {
        panic!("the list opens: {:?}", app.state.popups);
    };
    let at = l
        .view
        .people
        .iter()
        .position(|p| p.upn == upn)
        .unwrap_or_else(|| panic!("{upn} is listed"));
    key(app, "g");
    for _ in 0..at {
        key(app, "j");
    }
    key(app, "enter");
    assert_eq!(app.state.pane, PaneId::People);
    let loaded = app
        .run_until(WAIT, |s| {
            s.people.profile.as_ref().is_some_and(|p| {
                p.upn == upn && p.view.loaded().is_some() && p.provenance.loaded().is_some()
            }) && s.jobs.is_empty()
        })
        .await;
    assert!(
        loaded,
        "{:?}",
        app.state.people.profile.as_ref().map(|p| &p.provenance)
    );
    let profile = app.state.people.profile.as_ref().expect("profile");
    let lines = profile.provenance.loaded().expect("ledger lines");
    let line = lines
        .iter()
        .find(|p| p.connection == "contosohr")
        .expect("contosohr's ledger names the person");
    peoplectl::tui::propagation::provenance_text(line).0
}

#[tokio::test(flavor = "multi_thread")]
async fn is_it_live_yet_from_the_syncs_pane_to_a_pending_persons_profile_and_after_the_delay() {
    const DELAY: Duration = Duration::from_secs(30);
    let handle = emulator::start(EmulatorConfig {
        seed: SeedKind::Demo,
        provisioning_delay_ms: 20,
        ingest_rps: None,
        propagation_delay_ms: u64::try_from(DELAY.as_millis()).unwrap(),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    // The demo export synced by the app's own sign-in, as `peoplectl sync` does.
    let data = tempfile::tempdir().unwrap();
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let mut options = peoplectl::sync::SyncOptions::new(
        "contosohr",
        handle.tenant_id().to_owned(),
        "demo".to_owned(),
        data.path().to_path_buf(),
        assets.join("hr-export.csv"),
    );
    options.mapping = Some(assets.join("hr-mapping.toml"));
    let app_only = client_for_emulator(&handle).expect("client");
    let report = peoplectl::sync::run(
        &app_only,
        &options,
        peoplectl::sync::EventSink::none(),
        peoplectl::sync::CancellationToken::new(),
    )
    .await
    .expect("sync");
    assert_eq!(report.put, 296);

    // The console signed in as the admin (delegated), its sync state where the sync left it.
    let token = handle
        .mint_user_token(
            handle.admin_upn(),
            &[
                "User.Read.All",
                "ExternalItem.Read.All",
                "ExternalConnection.Read.All",
                "PeopleSettings.Read.All",
            ],
            3600,
        )
        .expect("admin");
    let http = peoplectl::graph::build_http_client(&peoplectl::graph::TransportOptions {
        ca_cert_pem: Some(handle.ca_cert_pem().as_bytes().to_vec()),
        no_proxy: true,
        timeout: None,
        connect_timeout: None,
    })
    .unwrap();
    let client =
        peoplectl::graph::GraphClient::new(http, &handle.graph_url(), Arc::new(Delegated(token)))
            .unwrap();
    let info = SessionInfo {
        tenant: handle.tenant_domain().to_owned(),
        graph_host: client.host(),
        demo: true,
        read_only: false,
        tenant_id: handle.tenant_id().to_owned(),
        context: "demo".into(),
        sync_inputs: std::collections::BTreeMap::new(),
        data_dir: Some(data.path().to_path_buf()),
    };
    let mut app = App::new(
        client,
        info,
        Arc::new(Keymap::default()),
        Theme::default(),
        (80, 24),
    );
    app.start();
    assert!(
        app.run_until(WAIT, |s| s.snap().is_some()
            && s.identity.loaded().is_some()
            && s.jobs.is_empty())
            .await
    );
    assert!(
        app.state
            .syncs
            .checks
            .get("contosohr")
            .is_none_or(|c| c.last.is_none()),
        "nothing checked yet"
    );

    // Syncs → check everyone, before the delay: who is new or changed is not live yet.
    keys(&mut app, "5 home P");
    let first = checked(&mut app, "contosohr").await;
    assert!(!first.needs_delegated, "a delegated sign-in reads profiles");
    assert_eq!(first.checked, 296);
    assert!(first.pending >= 2 && first.stale >= 2, "{first:?}");
    assert!(first.live > 200, "{first:?}");
    let line = profile_line_of(&mut app, "mateo.ramirez@contoso.com").await;
    assert!(
        line.starts_with("synced ")
            && line.contains(" UTC from hr-export.csv:")
            && line.contains("pending for"),
        "{line}"
    );

    // Backspace comes back to the list; the emulator's clock goes past every item's delay.
    key(&mut app, "backspace");
    assert!(matches!(
        app.state.popups.last(),
        Some(Popup::Propagation(_))
    ));
    key(&mut app, "esc");
    handle.clock().advance(DELAY * 2);
    key(&mut app, "P");
    let after = checked(&mut app, "contosohr").await;
    assert_eq!(
        (after.live, after.pending, after.stale, after.dropped),
        (295, 0, 0, 1)
    );
    let listed: Vec<(&str, Option<&str>)> = after
        .people
        .iter()
        .map(|p| {
            (
                p.upn.as_str(),
                p.reason.map(peoplectl::ops::propagation::Reason::code),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [("mykola.shevchenko@contoso.com", Some("noMailbox"))]
    );
    let line = profile_line_of(&mut app, "mykola.shevchenko@contoso.com").await;
    assert!(
        line.ends_with(&format!(
            "dropped: {}",
            peoplectl::vocab::propagation_reason("noMailbox")
        )),
        "{line}"
    );
    // Mateo is live now, since this check.
    key(&mut app, "backspace");
    key(&mut app, "esc");
    app.dispatch(Action::GoTo(PaneId::People));
    keys(&mut app, "/");
    type_text(&mut app, "mateo");
    key(&mut app, "enter");
    key(&mut app, "enter");
    let live = app
        .run_until(WAIT, |s| {
            s.people.profile.as_ref().is_some_and(|p| {
                p.upn == "mateo.ramirez@contoso.com" && p.provenance.loaded().is_some()
            }) && s.jobs.is_empty()
        })
        .await;
    assert!(live);
    let lines = app
        .state
        .people
        .profile
        .as_ref()
        .unwrap()
        .provenance
        .loaded()
        .unwrap();
    let (text, _) = peoplectl::tui::propagation::provenance_text(&lines[0]);
    assert!(text.contains(", live since "), "{text}");
}
