//! Every pane, popup and wizard step at 80x24 and 160x48 (insta), the views of a daily tool
//! at 60x20 too, plus style assertions.

use std::sync::Arc;
use std::time::Duration;

use peoplectl::cli::connect::client_for_emulator;
use peoplectl::emulator::{self, EmulatorConfig, EmulatorHandle, SeedKind};
use peoplectl::ops::{StepReport, StepStatus};
use peoplectl::people::precedence::PrecedenceList;
use peoplectl::tui::action::{Action, ApplyFailure};
use peoplectl::tui::app::App;
use peoplectl::tui::clock::Clock;
use peoplectl::tui::keymap::{KeyChord, Keymap};
use peoplectl::tui::state::{
    AppState, ImpactState, LoadState, Popup, RegisterStage, RemovalStep, SessionInfo, SetupStage,
};
use peoplectl::tui::theme::Theme;
use peoplectl::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const WAIT: Duration = Duration::from_secs(60);
const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];
/// The views made for daily use over SSH are checked at a small terminal too.
const SIZES3: [(u16, u16); 3] = [(60, 20), (80, 24), (160, 48)];

async fn demo_app(read_only: bool) -> (App, EmulatorHandle) {
    let handle = emulator::start(EmulatorConfig {
        seed: SeedKind::Demo,
        // No ingest limit: throttling counts depend on timing, and snapshots must not. Quick
        // provisioning: the wizard's running stage is set by hand, so nothing waits for it.
        ingest_rps: None,
        provisioning_delay_ms: 20,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let client = client_for_emulator(&handle).expect("client");
    let info = SessionInfo {
        tenant: handle.tenant_domain().to_owned(),
        graph_host: client.host(),
        demo: true,
        read_only,
        tenant_id: handle.tenant_id().to_owned(),
        context: "demo".into(),
        ..SessionInfo::default()
    };
    let mut app = App::new(
        client,
        info,
        Arc::new(Keymap::default()),
        Theme::default(),
        (80, 24),
    );
    // "read 3 s ago" would differ from run to run: time stands still unless a test moves it.
    app.state.clock = Clock::manual();
    app.start();
    assert!(
        app.run_until(WAIT, |s| {
            s.snap().is_some()
                && matches!(s.people.users, LoadState::Loaded(()))
                && s.identity.loaded().is_some()
                && s.jobs.is_empty()
        })
        .await
    );
    (app, handle)
}

fn buffer(state: &AppState, w: u16, h: u16) -> Buffer {
    let mut st = state.clone();
    peoplectl::tui::update::update(&mut st, Action::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| ui::draw(f, &st)).expect("draw");
    term.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Snapshots a view whose layout is tight at 60x20 too.
fn snap_tight(name: &str, state: &AppState) {
    snap(name, state);
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(format!("{name}@60x20"), text(&buffer(state, 60, 20)));
    });
}

/// Snapshots the state at both sizes.
fn snap(name: &str, state: &AppState) {
    snap_at(name, state, &SIZES);
}

/// Snapshots the state at 60x20, 80x24 and 160x48.
fn snap3(name: &str, state: &AppState) {
    snap_at(name, state, &SIZES3);
}

fn snap_at(name: &str, state: &AppState, sizes: &[(u16, u16)]) {
    assert!(
        state.jobs.is_empty(),
        "{name}: spinners would make it flaky"
    );
    for &(w, h) in sizes {
        // Files are named for the screen alone (`people@80x24.snap`), not for this module's path.
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("{name}@{w}x{h}"), text(&buffer(state, w, h)));
        });
    }
}

/// Finds the first cell where `needle` starts on screen.
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let t = text(buf);
    for (y, line) in t.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            let x = line[..byte].chars().count();
            return Some((u16::try_from(x).ok()?, u16::try_from(y).ok()?));
        }
    }
    None
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

async fn settle(app: &mut App) {
    assert!(app.run_until(WAIT, |s| s.jobs.is_empty()).await);
}

fn select_connection(app: &mut App, id: &str) {
    keys(app, "1 home");
    let pos = app
        .state
        .connections
        .visible
        .iter()
        .position(|&i| app.state.connections.rows[i].id == id)
        .expect("listed");
    for _ in 0..pos {
        key(app, "j");
    }
}

#[tokio::test]
async fn panes() {
    let (mut app, _h) = demo_app(false).await;
    snap("connections", &app.state);
    select_connection(&mut app, "learningpeople");
    snap("connections_problem_selected", &app.state);
    key(&mut app, "enter");
    snap("connection_detail_learningpeople", &app.state);
    keys(&mut app, "esc");
    select_connection(&mut app, "contosohr");
    key(&mut app, "enter");
    snap("connection_detail_contosohr", &app.state);
    keys(&mut app, "esc 2");
    snap("sources", &app.state);
    key(&mut app, "3");
    settle(&mut app).await;
    snap("precedence", &app.state);
    key(&mut app, "J");
    settle(&mut app).await;
    assert!(matches!(app.state.precedence.impact, ImpactState::Ready(_)));
    snap("precedence_staged", &app.state);
    keys(&mut app, "u 4");
    snap("people", &app.state);
    key(&mut app, "/");
    type_text(&mut app, "wei");
    snap("people_search", &app.state);
    keys(&mut app, "esc 5");
    snap("syncs", &app.state);
}

#[tokio::test]
async fn profiles() {
    let (mut app, _h) = demo_app(false).await;
    for (name, query) in [
        ("profile_alex_wilber", "alex wilber"),
        ("profile_tomas_herrera", "tomas.herrera"),
        ("profile_kwame_mensah", "kwame"),
        // No mailbox: Entra's values, each Workday value shown as ignored with the reason.
        ("profile_mykola_shevchenko", "mykola"),
    ] {
        keys(&mut app, "4 esc esc /");
        key(&mut app, "ctrl-u");
        type_text(&mut app, query);
        key(&mut app, "enter");
        settle(&mut app).await;
        if matches!(app.state.popups.last(), Some(Popup::SignInNeeded)) {
            snap("popup_sign_in_needed", &app.state);
            key(&mut app, "esc");
        }
        snap3(name, &app.state);
    }
    // The cursor on the second phone number, then its detail: every source in rank order.
    keys(&mut app, "4 esc esc /");
    key(&mut app, "ctrl-u");
    type_text(&mut app, "alex wilber");
    key(&mut app, "enter");
    settle(&mut app).await;
    let view = app
        .state
        .people
        .profile
        .as_ref()
        .and_then(|p| p.view.loaded().cloned())
        .expect("profile");
    let phone = view
        .rows
        .iter()
        .position(|r| r.label == "phones" && r.item.is_some_and(|(i, _)| i == 1))
        .expect("a second phone");
    for _ in 0..phone {
        key(&mut app, "j");
    }
    snap3("profile_cursor_on_a_phone", &app.state);
    key(&mut app, "enter");
    snap3("profile_property_detail", &app.state);
    keys(&mut app, "esc home");
    key(&mut app, "enter");
    snap3("profile_property_detail_job_title", &app.state);
}

#[tokio::test]
async fn daily_views() {
    let (mut app, _h) = demo_app(false).await;
    // A row whole, the palette's objects, sorted and scrolled columns, the message log and
    // the session.
    select_connection(&mut app, "talentlegacy");
    key(&mut app, "v");
    snap3("view_connection_in_full", &app.state);
    keys(&mut app, "esc 2 j v");
    snap3("view_source_in_full", &app.state);
    keys(&mut app, "esc 3");
    settle(&mut app).await;
    keys(&mut app, "G enter");
    snap3("view_precedence_entry_in_full", &app.state);
    keys(&mut app, "esc 1 :");
    type_text(&mut app, "connection tal");
    snap3("palette_connection_tal", &app.state);
    key(&mut app, "ctrl-u");
    type_text(&mut app, "doctor");
    snap3("palette_doctor", &app.state);
    key(&mut app, "ctrl-u");
    type_text(&mut app, "people alex");
    snap3("palette_people_alex", &app.state);
    keys(&mut app, "esc 1 > > S right");
    snap3("connections_sorted_by_name_descending_scrolled", &app.state);
    keys(&mut app, "i");
    snap3("view_session", &app.state);
    keys(&mut app, "esc L");
    snap3("view_messages", &app.state);
    keys(&mut app, "esc g");
    snap3("goto_pending", &app.state);
}

#[tokio::test]
async fn popups() {
    let (mut app, _h) = demo_app(false).await;
    key(&mut app, "?");
    snap("popup_help", &app.state);
    keys(&mut app, "esc :");
    snap("popup_palette", &app.state);
    type_text(&mut app, "remo");
    snap("popup_palette_filtered", &app.state);
    keys(&mut app, "esc s");
    snap("popup_sync_file", &app.state);
    keys(&mut app, "esc 3 J");
    settle(&mut app).await;
    key(&mut app, "a");
    // The dialog reads Graph's list again; it is shown once read.
    settle(&mut app).await;
    snap("popup_confirm_apply", &app.state);
    key(&mut app, "n");
    // The staged order's impact as a list, the selected change in full.
    keys(&mut app, "i j");
    snap_tight("popup_impact_list", &app.state);
    key(&mut app, "esc");
    // Quitting would drop the staged order: asked first.
    key(&mut app, "q");
    snap("popup_confirm_quit", &app.state);
    key(&mut app, "n");
    // Doctor's findings with their fixes, from any pane.
    keys(&mut app, "1 !");
    snap_tight("popup_problems", &app.state);
    keys(&mut app, "j j");
    snap("popup_problems_command_fix", &app.state);
    keys(&mut app, "esc 3");
    let snapshot_list = app.state.snap().expect("snapshot").list();
    let mut theirs = snapshot_list.to_strings();
    theirs.swap(0, 2);
    app.dispatch(Action::ReorderApplied(Err(Box::new(
        ApplyFailure::Conflict {
            expected: snapshot_list,
            actual: PrecedenceList::from_urls(theirs),
        },
    ))));
    snap("popup_conflict", &app.state);
    let buf = buffer(&app.state, 80, 24);
    let (x, y) = find(&buf, "Someone changed").expect("conflict text");
    assert_eq!(buf[(x, y)].fg, Color::Red, "the conflict is shown in red");
    keys(&mut app, "esc m");
    type_text(&mut app, "5");
    snap("popup_move_to", &app.state);
    keys(&mut app, "esc");
    app.dispatch(Action::SignInPrompt(
        peoplectl::auth::device_code::DeviceCodePrompt {
            user_code: "F7KQ-2XPA".into(),
            verification_uri: "https://microsoft.com/devicelogin".into(),
            message: String::new(),
            expires_in: 900,
        },
    ));
    snap("popup_device_code", &app.state);
}

#[tokio::test]
async fn wizards() {
    let (mut app, _h) = demo_app(false).await;
    // Removal: review, type the id, running, report, failure.
    select_connection(&mut app, "talentlegacy");
    key(&mut app, "d");
    settle(&mut app).await;
    snap("removal_review", &app.state);
    key(&mut app, "enter");
    type_text(&mut app, "talentleg");
    snap("removal_type_id", &app.state);
    let steps = |statuses: [StepStatus; 3], details: [&str; 3]| -> Vec<StepReport> {
        ["precedence", "profileSource", "connection"]
            .iter()
            .zip(statuses)
            .zip(details)
            .map(|((s, status), d)| StepReport {
                step: (*s).to_owned(),
                status,
                detail: d.to_owned(),
            })
            .collect()
    };
    let set_step = |app: &mut App, step: RemovalStep| {
        if let Some(Popup::Removal(w)) = app.state.popups.last_mut() {
            w.step = step;
        }
    };
    set_step(
        &mut app,
        RemovalStep::Running {
            steps: steps(
                [StepStatus::Done, StepStatus::Running, StepStatus::Planned],
                ["removed from the precedence list (5 entries left)", "", ""],
            ),
        },
    );
    snap("removal_running", &app.state);
    set_step(
        &mut app,
        RemovalStep::Report {
            steps: steps(
                [StepStatus::Done, StepStatus::Failed, StepStatus::Planned],
                [
                    "removed from the precedence list (5 entries left)",
                    "delete profile source 'talentlegacy': 503 Service Unavailable",
                    "",
                ],
            ),
            error: Some("profileSource: 503 Service Unavailable".into()),
        },
    );
    snap("removal_failed", &app.state);
    let buf = buffer(&app.state, 80, 24);
    let (x, y) = find(&buf, "FAILED").expect("failed step");
    assert_eq!(buf[(x, y)].fg, Color::Red, "a failed step is red");
    set_step(
        &mut app,
        RemovalStep::Report {
            steps: steps(
                [StepStatus::Done, StepStatus::Done, StepStatus::Done],
                [
                    "removed from the precedence list (5 entries left)",
                    "profile source deleted",
                    "connection deleted (Microsoft 365 takes up to 24 h to remove its data everywhere)",
                ],
            ),
            error: None,
        },
    );
    snap("removal_done", &app.state);
    key(&mut app, "esc");

    // New connection: empty, invalid, valid.
    select_connection(&mut app, "contosohr");
    key(&mut app, "n");
    snap("new_connection_empty", &app.state);
    type_text(&mut app, "Microsoft-HR");
    snap("new_connection_invalid", &app.state);
    key(&mut app, "ctrl-u");
    type_text(&mut app, "workdayhr");
    key(&mut app, "tab");
    type_text(&mut app, "Workday HR");
    snap("new_connection_valid", &app.state);
    key(&mut app, "enter");
    settle(&mut app).await;
    // Provisioning takes a few seconds, never exactly the same number.
    if let Some(Popup::NewConnection(w)) = app.state.popups.last_mut() {
        if let SetupStage::Done { steps, .. } = &mut w.stage {
            for st in steps {
                st.detail = st
                    .detail
                    .chars()
                    .map(|c| if c.is_ascii_digit() { 'N' } else { c })
                    .collect();
            }
        }
    }
    snap("new_connection_done", &app.state);
    if let Some(Popup::NewConnection(w)) = app.state.popups.last_mut() {
        w.stage = SetupStage::Running {
            steps: vec![
                StepReport {
                    step: "connection".into(),
                    status: StepStatus::Done,
                    detail: "created 'workdayhr' (draft)".into(),
                },
                StepReport {
                    step: "schema".into(),
                    status: StepStatus::Running,
                    detail: "provisioning (4s)".into(),
                },
            ],
        };
    }
    snap("new_connection_running", &app.state);
    key(&mut app, "q");
    assert!(!app.state.quit, "q does not quit from a running setup");
    if let Some(Popup::NewConnection(w)) = app.state.popups.last_mut() {
        w.stage = SetupStage::Done {
            steps: Vec::new(),
            error: None,
        };
    }
    key(&mut app, "esc");

    // Register: form, a draft refused by the guard, then review and done for workdayhr (made
    // above).
    select_connection(&mut app, "learningpeople");
    key(&mut app, "R");
    type_text(&mut app, "https://learn.contoso.com/people");
    snap("register_form", &app.state);
    key(&mut app, "enter");
    settle(&mut app).await;
    snap("register_refused", &app.state);
    key(&mut app, "esc");
    assert!(
        app.run_until(WAIT, |s| s.snap().is_some_and(|snap| snap
            .connection("workdayhr")
            .is_some_and(|c| c.schema.is_some())))
            .await
    );
    select_connection(&mut app, "workdayhr");
    key(&mut app, "R");
    type_text(&mut app, "https://wd.contoso.com/people");
    key(&mut app, "enter");
    settle(&mut app).await;
    assert!(matches!(
        app.state.popups.last(),
        Some(Popup::Register(w)) if matches!(w.stage, RegisterStage::Review(_))
    ));
    snap("register_review", &app.state);
    key(&mut app, "y");
    settle(&mut app).await;
    snap("register_done", &app.state);
    key(&mut app, "esc");

    // Edit a source.
    key(&mut app, "2");
    let pos = app
        .state
        .sources
        .visible
        .iter()
        .position(|&i| app.state.sources.rows[i].source_id == "contosohr")
        .expect("listed");
    for _ in 0..pos {
        key(&mut app, "j");
    }
    key(&mut app, "e");
    snap("edit_source", &app.state);
}

#[tokio::test]
async fn syncs() {
    let (mut app, handle) = demo_app(false).await;
    let dir = handle.ca_cert_path().parent().expect("dir").to_path_buf();
    app.state.info.data_dir = Some(dir.clone());
    app.state.info.sync_inputs = peoplectl::tui::demo_sync_inputs(&dir).expect("demo files");
    key(&mut app, "5");
    snap("syncs_idle", &app.state);
    key(&mut app, "s");
    settle(&mut app).await;
    // How long the run took is real time; fix it so the picture stays the same.
    if let Some(Some(Ok(report))) = app
        .state
        .syncs
        .runs
        .get_mut("contosohr")
        .map(|r| r.report.as_mut())
    {
        report.seconds = 12.3;
    }
    snap3("syncs_done", &app.state);
    key(&mut app, "enter");
    snap3("sync_report", &app.state);
    // The run whole: its timing, counts and every row error (its paths are temp dirs, so
    // this one is checked by content, not by picture).
    keys(&mut app, "esc v");
    let Some(Popup::Text(v)) = app.state.popups.last() else {
        panic!("the run in full");
    };
    let all: Vec<&str> = v.lines.iter().map(|l| l.text.as_str()).collect();
    let all = all.join("\n");
    for expected in [
        "took             12.3 s",
        "hr-export.csv",
        "line 59 (Email)",
        "line 303",
    ] {
        assert!(all.contains(expected), "{expected} in:\n{all}");
    }
}

#[tokio::test]
async fn first_frame_and_read_only() {
    // The very first frame, before anything is read: it says so.
    let state = AppState::new(
        SessionInfo {
            tenant: "contoso.com".into(),
            graph_host: "127.0.0.1".into(),
            demo: true,
            ..SessionInfo::default()
        },
        Arc::new(Keymap::default()),
        Theme::default(),
        (80, 24),
    );
    let mut loading = state.clone();
    loading.snapshot = LoadState::Loading;
    loading.identity = LoadState::Loading;
    snap("first_frame_loading", &loading);
    let mut failed = state;
    failed.snapshot = LoadState::Failed("connect to 127.0.0.1:1: connection refused".into());
    failed.identity = LoadState::Failed("no token".into());
    snap("snapshot_failed", &failed);
    let buf = buffer(&failed, 80, 24);
    let (x, y) = find(&buf, "Could not read").expect("error text");
    assert_eq!(
        buf[(x, y)].fg,
        Color::Red,
        "an API error is red in its pane"
    );

    let (mut app, _h) = demo_app(true).await;
    snap("read_only_header", &app.state);
    keys(&mut app, "3 J a");
    settle(&mut app).await;
    snap("read_only_refusal", &app.state);
}

#[tokio::test]
async fn styles_staged_highlight_errors_and_no_color() {
    let (mut app, _h) = demo_app(false).await;
    keys(&mut app, "3 J");
    settle(&mut app).await;
    let buf = buffer(&app.state, 80, 24);
    let (x, y) = find(&buf, "was 1").expect("staged move");
    assert_eq!(
        buf[(x, y)].fg,
        Color::Yellow,
        "a staged move is highlighted"
    );
    assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
    let (x, y) = find(&buf, "Payroll 2019").expect("unstaged row");
    assert_ne!(buf[(x, y)].fg, Color::Yellow, "an unmoved row is not");

    key(&mut app, "2");
    let buf = buffer(&app.state, 80, 24);
    let (x, y) = find(&buf, "orphan").expect("orphan flag");
    assert_eq!(
        buf[(x, y)].fg,
        Color::Red,
        "an orphan source is flagged in red"
    );

    // NO_COLOR and ASCII: no colour anywhere, ASCII borders, the staged move still marked.
    key(&mut app, "3");
    app.state.theme = Theme {
        color: false,
        ascii: true,
    };
    let buf = buffer(&app.state, 80, 24);
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "no colour under NO_COLOR");
        assert_eq!(cell.bg, Color::Reset, "no colour under NO_COLOR");
        assert!(cell.symbol().is_ascii(), "ASCII only: {:?}", cell.symbol());
    }
    let (x, y) = find(&buf, "was 1").expect("staged move");
    assert!(
        buf[(x, y)]
            .modifier
            .contains(Modifier::BOLD | Modifier::UNDERLINED)
    );
    snap("precedence_staged_no_color_ascii", &app.state);
}

/// A stored check of the demo export: 291 live, two pending, two stale, one dropped.
fn demo_check(needs_delegated: bool) -> Arc<peoplectl::tui::propagation::CheckView> {
    use peoplectl::ops::propagation::Ledger;
    use peoplectl::people::item::item_id_for_upn;
    use peoplectl::sync::state::{CheckRecord, LedgerEntry};
    // 2026-12-06 02:15 UTC; checked 16 minutes later, read 3 minutes after that.
    const T0: i64 = 1_796_523_300;
    let odd = [
        (
            "mykola.shevchenko@contoso.com",
            "dropped",
            Some("noMailbox"),
            112,
        ),
        ("mateo.ramirez@contoso.com", "pending", None, 297),
        ("samuel.osei@contoso.com", "pending", None, 298),
        ("rahul.gupta@contoso.com", "stale", None, 12),
        ("jasmine.carter@contoso.com", "stale", None, 52),
    ];
    let mut entries = Vec::new();
    let mut previous = Vec::new();
    for i in 0..296u64 {
        let (upn, state, reason, line) = odd.get(usize::try_from(i).unwrap()).map_or(
            (format!("person{i:03}@contoso.com"), "live", None, i + 2),
            |o| (o.0.to_owned(), o.1, o.2, o.3),
        );
        let (state, reason) = if needs_delegated && state != "dropped" {
            ("pending", Some("profileNotRead"))
        } else {
            (state, reason)
        };
        let id = item_id_for_upn(&upn);
        entries.push(LedgerEntry {
            item_id: id.clone(),
            hash: Some("h".into()),
            landed_at: Some(T0),
            last_error: None,
            file: Some("/home/admin/hr/hr-export.csv".into()),
            line: Some(line),
            run_id: Some(1),
        });
        previous.push(CheckRecord {
            item_id: id,
            upn,
            hash: Some("h".into()),
            state: state.into(),
            reason: reason.map(Into::into),
            seen_at: (state == "live").then_some(T0 + 300),
            checked_at: T0 + 960,
        });
    }
    let ledger = Ledger { entries, previous };
    Arc::new(
        peoplectl::tui::propagation::check_view("contosohr", &ledger, None, T0 + 1140)
            .expect("a check"),
    )
}

#[tokio::test]
async fn syncs_propagation() {
    let (mut app, handle) = demo_app(false).await;
    let dir = handle.ca_cert_path().parent().expect("dir").to_path_buf();
    app.state.info.data_dir = Some(dir.clone());
    app.state.info.sync_inputs = peoplectl::tui::demo_sync_inputs(&dir).expect("demo files");
    keys(&mut app, "5 home");
    app.dispatch(Action::ChecksLoaded(vec![(
        "contosohr".into(),
        Ok(Some(demo_check(false))),
    )]));
    snap3("syncs_propagation", &app.state);
    key(&mut app, "w");
    assert!(matches!(
        app.state.popups.last(),
        Some(Popup::Propagation(_))
    ));
    snap3("propagation_list", &app.state);
    keys(&mut app, "esc");
    // App-only: what could be decided, and what to do for the rest.
    app.dispatch(Action::ChecksLoaded(vec![(
        "contosohr".into(),
        Ok(Some(demo_check(true))),
    )]));
    snap3("syncs_propagation_app_only", &app.state);
}
