//! The admin workflows against the in-process emulator: snapshot and doctor, setup, register,
//! reorder with a concurrent change, resumable removal with a fault at every step, explain.

mod stuck;

use crate::support;

use peoplectl::emulator::SeedKind;
use peoplectl::ops::doctor::{FixAction, diagnose};
use peoplectl::ops::explain::explain_user;
use peoplectl::ops::register::{RegisterRequest, execute_register, plan_register};
use peoplectl::ops::remove::{Scope, execute_remove, plan_remove};
use peoplectl::ops::reorder::{Edit, apply, plan_edit};
use peoplectl::ops::setup::{Polling, SchemaChoice, SetupRequest, execute_setup};
use peoplectl::ops::snapshot::{read_precedence, read_snapshot};
use peoplectl::ops::{OpsError, Progress, StepStatus};
use peoplectl::people::compose::Rule;
use peoplectl::people::ids::{ConnectionId, SourceId};
use peoplectl::people::precedence::Position;
use peoplectl::people::schema::Contract;
use std::time::Duration;
use support::{env, lists};

fn quick_polling() -> Polling {
    Polling {
        first: Duration::from_millis(10),
        max: Duration::from_millis(50),
        timeout: Duration::from_secs(30),
    }
}

fn setup_request(id: &str) -> SetupRequest {
    SetupRequest {
        id: ConnectionId::new(id).expect("valid id"),
        name: format!("{id} HR"),
        description: None,
        schema: SchemaChoice::Labels,
        wait: true,
        polling: quick_polling(),
    }
}

#[tokio::test]
async fn snapshot_and_doctor_see_every_planted_problem_and_nothing_else() {
    let env = env(SeedKind::Demo).await;
    let snapshot = read_snapshot(&env.client).await.unwrap();
    let contract = |id: &str| snapshot.connection(id).unwrap().contract;
    assert_eq!(contract("contosohr"), Contract::Labels);
    assert_eq!(contract("talentlegacy"), Contract::Preview);
    assert_eq!(contract("wikiknowledge"), Contract::None);
    assert_eq!(snapshot.rank_of("contosohr"), Some(1));

    let problems = diagnose(&snapshot);
    let has = |code: &str, subject: &str| {
        problems
            .iter()
            .any(|p| p.code == code && p.subject == subject)
    };
    assert!(has("danglingEntry", "benefitsportal"), "{problems:#?}");
    assert!(has("orphanSource", "oldpayroll"), "{problems:#?}");
    assert!(has("notPeopleCategory", "talentlegacy"), "{problems:#?}");
    assert!(has("previewContract", "talentlegacy"), "{problems:#?}");
    assert!(has("schemaNotReady", "learningpeople"), "{problems:#?}");
    // The failed operation's own error is read back and named, not guessed.
    let failed = snapshot
        .connection("learningpeople")
        .unwrap()
        .failed_operation
        .clone()
        .expect("the failed schema operation is found");
    assert_eq!(failed.code.as_deref(), Some("InvalidSchema"));
    assert!(
        problems.iter().any(|p| p.code == "schemaNotReady"
            && p.message.contains("InvalidSchema")
            && p.message.contains("personManager")),
        "{problems:#?}"
    );
    assert!(has("notRegistered", "learningpeople"), "{problems:#?}");
    assert!(
        problems
            .iter()
            .all(|p| p.subject != "wikiknowledge" && p.subject != "contosohr"),
        "healthy and non-people connections are not flagged: {problems:#?}"
    );
    assert!(problems.iter().all(|p| p.fix.starts_with("peoplectl ")));
    // Each finding carries the console action that fixes it.
    let action = |code: &str, subject: &str| {
        problems
            .iter()
            .find(|p| p.code == code && p.subject == subject)
            .map(|p| p.action.clone())
            .unwrap()
    };
    assert_eq!(
        action("danglingEntry", "benefitsportal"),
        FixAction::RemovePrecedenceEntry(SourceId::new("benefitsportal").unwrap())
    );
    assert_eq!(
        action("orphanSource", "oldpayroll"),
        FixAction::RemoveSource("oldpayroll".into())
    );
    assert_eq!(
        action("notRegistered", "learningpeople"),
        FixAction::Register("learningpeople".into())
    );
    assert_eq!(
        action("schemaNotReady", "learningpeople"),
        FixAction::ShowConnection("learningpeople".into())
    );
    assert_eq!(
        action("notPeopleCategory", "talentlegacy"),
        FixAction::Command
    );
}

#[tokio::test]
async fn setup_register_then_remove_leaves_the_three_lists_as_before() {
    let env = env(SeedKind::Empty).await;
    let before = lists(&env.emu);

    let steps = execute_setup(&env.client, &setup_request("hrnew"), &Progress::none())
        .await
        .unwrap();
    assert_eq!(steps[1].status, StepStatus::Done, "{steps:?}");
    let info = env.emu.inspect().connection("hrnew").unwrap();
    assert_eq!(info.state, "ready");
    assert_eq!(info.content_category, "people");

    // Setting up again is a no-op, step by step.
    let again = execute_setup(&env.client, &setup_request("hrnew"), &Progress::none())
        .await
        .unwrap();
    assert!(
        again.iter().all(|s| s.status == StepStatus::AlreadyDone),
        "{again:?}"
    );

    let plan = plan_register(
        &env.client,
        RegisterRequest {
            connection_id: "hrnew".into(),
            web_url: "https://hr.contoso.com".into(),
            display_name: None,
            kind: Some("Workday".into()),
            at: Position::Top,
            force: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(plan.rank, 1);
    assert_eq!(plan.display_name, "hrnew HR");
    execute_register(&env.client, &plan, &Progress::none())
        .await
        .unwrap();
    let setting = read_precedence(&env.client).await.unwrap().unwrap();
    assert_eq!(
        setting.list.index_of(&SourceId::new("hrnew").unwrap()),
        Some(0)
    );
    assert_ne!(lists(&env.emu), before);

    let (report, error) =
        execute_remove(&env.client, "hrnew", Scope::Connector, &Progress::none()).await;
    assert!(error.is_none(), "{error:?}");
    assert!(
        report.steps.iter().all(|s| s.status == StepStatus::Done),
        "{report:?}"
    );
    assert_eq!(lists(&env.emu), before);
}

#[tokio::test]
async fn a_failed_schema_operation_is_reported_with_its_reason() {
    let env = env(SeedKind::Empty).await;
    env.emu
        .faults()
        .fail_next_schema("badschema", "Property 'x' is not allowed");
    let err = execute_setup(&env.client, &setup_request("badschema"), &Progress::none())
        .await
        .unwrap_err();
    assert!(matches!(err, OpsError::Refused(_)), "{err:?}");
    assert!(
        err.to_string().contains("Property 'x' is not allowed"),
        "{err}"
    );
}

#[tokio::test]
async fn a_reorder_refuses_when_someone_else_changed_the_list_and_loses_nothing() {
    let env = env(SeedKind::Demo).await;
    let setting = read_precedence(&env.client).await.unwrap().unwrap();
    let plan = plan_edit(
        &setting,
        &Edit::MoveTo(SourceId::new("talentlegacy").unwrap(), 1),
    )
    .unwrap();

    // Another admin removes the dangling entry in the meantime.
    let theirs = setting
        .list
        .remove_source(&SourceId::new("benefitsportal").unwrap())
        .unwrap();
    env.client
        .update_precedence(&setting.id, &theirs.to_strings())
        .await
        .unwrap();

    let err = apply(&env.client, &plan).await.unwrap_err();
    let OpsError::Conflict { expected, actual } = &err else {
        panic!("expected a conflict, got {err:?}");
    };
    assert_eq!(expected, &setting.list);
    assert_eq!(actual, &theirs);
    assert_eq!(
        lists(&env.emu).precedence,
        theirs.to_strings(),
        "their change stands"
    );

    // Planned again against the current list, it applies and keeps their change.
    let fresh = read_precedence(&env.client).await.unwrap().unwrap();
    let plan = plan_edit(
        &fresh,
        &Edit::MoveTo(SourceId::new("talentlegacy").unwrap(), 1),
    )
    .unwrap();
    let written = apply(&env.client, &plan).await.unwrap();
    assert_eq!(
        written
            .list
            .index_of(&SourceId::new("talentlegacy").unwrap()),
        Some(0)
    );
    assert!(
        written
            .list
            .index_of(&SourceId::new("benefitsportal").unwrap())
            .is_none()
    );
}

/// The precedence list never names a source that is gone.
fn assert_no_dangling_reference(env: &support::Env, id: &str) {
    let l = lists(&env.emu);
    if !l.sources.iter().any(|s| s == id) {
        assert!(
            !l.precedence.iter().any(|u| u.contains(&format!("'{id}'"))),
            "precedence names deleted source {id}: {:?}",
            l.precedence
        );
    }
}

#[tokio::test]
async fn removal_interrupted_by_a_fault_at_each_step_finishes_on_rerun() {
    // (method, path of the step's write)
    let faults = [
        ("PATCH", "/v1.0/admin/people/profilePropertySettings/*"),
        ("DELETE", "/v1.0/admin/people/profileSources*"),
        ("DELETE", "/v1.0/external/connections/contosohr"),
    ];
    for (step, (method, path)) in faults.iter().enumerate() {
        let env = env(SeedKind::Demo).await;
        let plan = plan_remove(&env.client, "contosohr").await.unwrap();
        assert!(
            plan.steps.iter().all(|s| s.status == StepStatus::Planned),
            "{plan:?}"
        );
        // 500 is not retried by the client: the step fails for real.
        env.emu.faults().fail_next(method, path, 1, 500);

        let (report, error) = execute_remove(
            &env.client,
            "contosohr",
            Scope::Connector,
            &Progress::none(),
        )
        .await;
        assert!(error.is_some(), "step {step} should fail");
        assert_eq!(report.steps[step].status, StepStatus::Failed, "{report:?}");
        for later in &report.steps[step + 1..] {
            assert_eq!(later.status, StepStatus::Planned);
        }
        assert_no_dangling_reference(&env, "contosohr");

        let (report, error) = execute_remove(
            &env.client,
            "contosohr",
            Scope::Connector,
            &Progress::none(),
        )
        .await;
        assert!(error.is_none(), "rerun after step {step}: {error:?}");
        for (i, s) in report.steps.iter().enumerate() {
            let want = if i < step {
                StepStatus::AlreadyDone
            } else {
                StepStatus::Done
            };
            assert_eq!(
                s.status, want,
                "rerun after a fault at step {step}: {report:?}"
            );
        }
        let l = lists(&env.emu);
        assert!(!l.connections.contains(&"contosohr".to_owned()));
        assert!(!l.sources.contains(&"contosohr".to_owned()));
        assert!(!l.precedence.iter().any(|u| u.contains("'contosohr'")));
        assert_eq!(env.emu.inspect().item_count("contosohr"), 0);
    }
}

#[tokio::test]
async fn removing_an_orphan_source_skips_the_missing_connection() {
    let env = env(SeedKind::Demo).await;
    let plan = plan_remove(&env.client, "oldpayroll").await.unwrap();
    assert_eq!(plan.steps[2].status, StepStatus::AlreadyDone);
    assert_eq!(plan.rank, Some(6));
    let (report, error) = execute_remove(
        &env.client,
        "oldpayroll",
        Scope::Connector,
        &Progress::none(),
    )
    .await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(report.steps[0].status, StepStatus::Done);
    assert_eq!(report.steps[1].status, StepStatus::Done);
    assert_eq!(report.steps[2].status, StepStatus::AlreadyDone);
    let again = plan_remove(&env.client, "oldpayroll").await.unwrap();
    assert!(again.nothing_to_do());
}

#[tokio::test]
async fn a_list_left_with_nothing_becomes_entra_alone_and_is_not_deleted() {
    let env = env(SeedKind::Empty).await;
    execute_setup(&env.client, &setup_request("solo"), &Progress::none())
        .await
        .unwrap();
    let plan = plan_register(
        &env.client,
        RegisterRequest {
            connection_id: "solo".into(),
            web_url: "https://solo.contoso.com".into(),
            display_name: None,
            kind: None,
            at: Position::Top,
            force: false,
        },
    )
    .await
    .unwrap();
    execute_register(&env.client, &plan, &Progress::none())
        .await
        .unwrap();
    let (_, error) = execute_remove(&env.client, "solo", Scope::Connector, &Progress::none()).await;
    assert!(error.is_none());
    let l = lists(&env.emu);
    assert_eq!(l.precedence.len(), 1, "{:?}", l.precedence);
    assert!(l.precedence[0].contains("4ce763dd-9214-4eff-af7c-da491cc3782d"));
}

#[tokio::test]
async fn explain_shows_why_the_winner_won() {
    let env = env(SeedKind::Demo).await;
    let alex = explain_user(&env.client, "alex.wilber@contoso.com")
        .await
        .unwrap();
    let title = alex
        .properties
        .iter()
        .find(|p| p.property == "positions/detail/jobTitle")
        .unwrap();
    assert_eq!(title.value, "Senior Software Engineer");
    assert_eq!(title.source.as_deref(), Some("contosohr"));
    assert_eq!(title.rule, Rule::HighestRank);
    assert!(
        title
            .shadowed
            .iter()
            .any(|s| s.source == "Microsoft Entra ID" && s.value == "Software Engineer"),
        "{title:?}"
    );
    assert!(
        alex.profile_api.contains("delegated"),
        "{}",
        alex.profile_api
    );

    let tomas = explain_user(&env.client, "tomas.herrera@contoso.com")
        .await
        .unwrap();
    let title = tomas
        .properties
        .iter()
        .find(|p| p.property == "positions/detail/jobTitle")
        .unwrap();
    assert_eq!(title.value, "");
    assert_eq!(title.rule, Rule::EmptyStringWins);

    let err = explain_user(&env.client, "nobody@contoso.com")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nobody@contoso.com"));
}

#[tokio::test]
async fn the_removal_plan_measures_which_users_change() {
    let env = env(SeedKind::Demo).await;
    let impact = peoplectl::ops::remove::removal_impact(&env.client, "contosohr", None)
        .await
        .unwrap();
    assert_eq!(impact.users, env.emu.inspect().users_count());
    assert!(!impact.sampled);
    let title = impact
        .per_property
        .iter()
        .find(|p| p.property == "positions/detail/jobTitle")
        .expect("removing the top HR source changes titles");
    // At least the 15 promotions and 3 empty titles the demo plants come from contosohr.
    assert!(title.changed >= 18, "{impact:?}");
    assert!(impact.changed_users >= title.changed);

    // A limit reads fewer users and says so.
    let sampled = peoplectl::ops::remove::removal_impact(&env.client, "contosohr", Some(50))
        .await
        .unwrap();
    assert_eq!(sampled.users, 50);
    assert!(sampled.sampled);

    // The orphan has no items: removing it changes nobody.
    let none = peoplectl::ops::remove::removal_impact(&env.client, "oldpayroll", None)
        .await
        .unwrap();
    assert_eq!(none.changed_users, 0);
}
