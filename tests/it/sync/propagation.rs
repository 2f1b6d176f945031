//! `ops::propagation` in process, for the drops the demo export does not plant: an item whose
//! account names nobody (unmatched), one with unreadable entity JSON (invalidEntity), one whose
//! only value a higher source wins (higherSourceWins), and a connection taken out of the
//! precedence list (notInPrecedence); with a delegated client, the emulator's delay moved by
//! its clock.

use std::path::PathBuf;
use std::time::Duration;

use peoplectl::emulator::{EmulatorConfig, SeedKind};
use peoplectl::graph::GraphClient;
use peoplectl::ops::propagation::{self, Reason, Selection, State};
use peoplectl::ops::{doctor, stuck};
use peoplectl::people::item::item_id_for_upn;
use peoplectl::sync::state::{CheckRecord, StateStore};
use peoplectl::sync::{CancellationToken, EventSink, SyncOptions, run};
use serde_json::Value;

use crate::support;

/// Longer than any test run takes in real time: the clock is moved past it.
const DELAY: Duration = Duration::from_secs(600);

fn asset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/demo")
        .join(name)
}

/// Rewrites one property of a person's `contosohr` item (as an app would, behind the sync).
async fn rewrite(
    client: &GraphClient,
    upn: &str,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) {
    let id = item_id_for_upn(upn);
    let mut item = client.get_item("contosohr", &id).await.unwrap().unwrap();
    edit(&mut item.properties);
    client.put_item("contosohr", &id, &item).await.unwrap();
}

/// The name of the item property whose JSON holds `member`.
fn property_with(properties: &serde_json::Map<String, Value>, member: &str) -> String {
    properties
        .iter()
        .find(|(_, v)| v.as_str().is_some_and(|s| s.contains(member)))
        .map(|(k, _)| k.clone())
        .expect("a property holding it")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_drop_reason_is_told_apart() {
    let env = support::env_with(EmulatorConfig {
        propagation_delay_ms: u64::try_from(DELAY.as_millis()).unwrap(),
        ..support::config(SeedKind::Demo)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut options = SyncOptions::new(
        "contosohr",
        env.emu.tenant_id(),
        "t",
        dir.path().join("data"),
        asset("hr-export.csv"),
    );
    options.mapping = Some(asset("hr-mapping.toml"));
    let report = run(
        &env.client,
        &options,
        EventSink::none(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.put, 296);

    // A person signed in, with the scopes `auth login` consents to.
    let delegated = crate::support::sync::delegated_client(
        &env.emu,
        env.emu.admin_upn(),
        &[
            "User.Read.All",
            "ExternalItem.Read.All",
            "ExternalConnection.Read.All",
            "PeopleSettings.Read.All",
        ],
        // Outlives the clock moved past the delay: a fixed token is never renewed.
        86_400,
    );
    let state_path = options.state_path();
    let check = |client: GraphClient, upn: &'static str| {
        let (path, tenant) = (state_path.clone(), env.emu.tenant_id().to_owned());
        async move {
            propagation::run(
                &client,
                &path,
                &tenant,
                "contosohr",
                &Selection::User(upn.into()),
            )
            .await
            .unwrap()
        }
    };
    // Before the delay: a new hire is pending; the check is stored, and one that landed more
    // than a given age before the check is overdue.
    let mateo = check(delegated.clone(), "mateo.ramirez@contoso.com").await;
    assert_eq!(mateo.users[0].state, State::Pending);
    let overdue = |age| propagation::overdue(&state_path, env.emu.tenant_id(), "contosohr", age);
    let late: Vec<String> = overdue(-1).unwrap().into_iter().map(|o| o.upn).collect();
    assert_eq!(late, ["mateo.ramirez@contoso.com"]);
    assert!(
        overdue(propagation::DOCUMENTED_DELAY_SECONDS)
            .unwrap()
            .is_empty()
    );

    let app = &env.client;
    rewrite(app, "adele.vance@contoso.com", |p| {
        let key = property_with(p, "jobTitle");
        p.insert(key, Value::from("{not json"));
    })
    .await;
    rewrite(app, "kwame.mensah@contoso.com", |p| {
        let key = property_with(p, "userPrincipalName");
        p.insert(
            key,
            Value::from(r#"{"userPrincipalName":"ghost@contoso.com"}"#),
        );
    })
    .await;
    // Ananya's item keeps only her account and a title: Entra ID, ranked first below, has one.
    rewrite(app, "ananya.iyer@contoso.com", |p| {
        let account = property_with(p, "userPrincipalName");
        let position = property_with(p, "jobTitle");
        p.retain(|k, _| *k == account || *k == position);
        p.insert(
            position,
            Value::from(r#"{"detail":{"jobTitle":"Senior Data Scientist"},"isCurrent":true}"#),
        );
    })
    .await;
    let setting = app.precedence_setting().await.unwrap().unwrap();
    let mut urls = setting.prioritized_source_urls.clone();
    let entra = urls
        .iter()
        .position(|u| u.contains("4ce763dd-9214-4eff-af7c-da491cc3782d"))
        .unwrap();
    let moved = urls.remove(entra);
    urls.insert(0, moved);
    app.update_precedence(&setting.id, &urls).await.unwrap();
    env.emu.clock().advance(DELAY * 2);

    let verdict = |r: &propagation::PropagationReport| (r.users[0].state, r.users[0].reason);
    assert_eq!(
        verdict(&check(delegated.clone(), "adele.vance@contoso.com").await),
        (State::Dropped, Some(Reason::InvalidEntity))
    );
    assert_eq!(
        verdict(&check(delegated.clone(), "kwame.mensah@contoso.com").await),
        (State::Dropped, Some(Reason::Unmatched))
    );
    assert_eq!(
        verdict(&check(delegated.clone(), "ananya.iyer@contoso.com").await),
        (State::Dropped, Some(Reason::HigherSourceWins))
    );
    let live = check(delegated.clone(), "alex.wilber@contoso.com").await;
    assert_eq!(verdict(&live), (State::Live, None), "the rest still shows");

    // Out of the precedence list: nobody's data counts.
    let urls: Vec<String> = urls
        .into_iter()
        .filter(|u| !u.contains("'contosohr'"))
        .collect();
    app.update_precedence(&setting.id, &urls).await.unwrap();
    assert_eq!(
        verdict(&check(delegated.clone(), "alex.wilber@contoso.com").await),
        (State::Dropped, Some(Reason::NotInPrecedence))
    );

    // The checks are stored for doctor and the console; an old landing never seen is overdue.
    let last = propagation::last_check(&state_path, env.emu.tenant_id(), "contosohr")
        .unwrap()
        .unwrap();
    assert!(last.iter().any(|c| c.upn == "adele.vance@contoso.com"
        && c.state == "dropped"
        && c.reason.as_deref() == Some("invalidEntity")));

    // doctor: a check made 7 hours after Mateo's data landed, still pending, is stuck work
    // (the record is written as a later check would leave it); before 6 hours it is not.
    let mut snapshot = peoplectl::ops::snapshot::read_snapshot(&env.client)
        .await
        .unwrap();
    let landed = {
        let store = StateStore::open(&state_path, env.emu.tenant_id(), "contosohr").unwrap();
        let entry = store
            .ledger()
            .unwrap()
            .into_iter()
            .find(|e| e.item_id == item_id_for_upn("mateo.ramirez@contoso.com"))
            .unwrap();
        entry.landed_at.unwrap()
    };
    let findings = |hours: i64, snapshot: &mut peoplectl::ops::snapshot::Snapshot| {
        let mut store = StateStore::open(&state_path, env.emu.tenant_id(), "contosohr").unwrap();
        let record = CheckRecord {
            item_id: item_id_for_upn("mateo.ramirez@contoso.com"),
            upn: "mateo.ramirez@contoso.com".into(),
            hash: None,
            state: "pending".into(),
            reason: None,
            seen_at: None,
            checked_at: landed + hours * 3600,
        };
        store.save_check(&[record], true).unwrap();
        drop(store);
        stuck::attach_overdue(snapshot, &dir.path().join("data"), "t", env.emu.tenant_id());
        doctor::diagnose(snapshot)
            .into_iter()
            .filter(|p| p.code == "landedNotVisible")
            .collect::<Vec<_>>()
    };
    assert!(findings(5, &mut snapshot).is_empty(), "within the 6 hours");
    let found = findings(7, &mut snapshot);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].subject, "contosohr");
    assert!(
        found[0].message.contains("mateo.ramirez@contoso.com") && found[0].message.contains("7 h"),
        "{}",
        found[0].message
    );
    assert!(
        found[0]
            .fix
            .starts_with("peoplectl propagation contosohr --all "),
        "{}",
        found[0].fix
    );
}
