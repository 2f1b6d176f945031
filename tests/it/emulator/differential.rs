//! The client's explanation (`ops::explain`) against the emulator's profile API, over generated
//! tenants: connectors ranked in any order around Entra ID, each sending a value, an empty
//! string, null or nothing for a few position leaves, and multi-valued skills. The two sides
//! compose with separate code, so any disagreement is a bug in one of them.
//!
//! The person explained is the admin (who has an Exchange mailbox) or a synthetic user without
//! one, and each connector's item for them names them, another user of the tenant, or nobody
//! the tenant knows (an unmatched account). A connector may be missing from the precedence list
//! (it then counts for nothing), and the person may have written their own job title through
//! the profile API (an instance of its own, which never supplies the composed one).

use peoplectl::emulator::SeedKind;
use peoplectl::ops::explain::{Explanation, explain_user};
use peoplectl::people::ids::SourceId;
use peoplectl::people::item::item_id_for_upn;
use peoplectl::people::source_url::builtin_source;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::support::raw::{self, Env};

const ENTRA: &str = "4ce763dd-9214-4eff-af7c-da491cc3782d";
const SETTING: &str =
    "/v1.0/admin/people/profilePropertySettings/00000000-0000-0000-0000-000000000001";
const ADMIN: &str = "admin@contoso.com";
/// A synthetic user without an Exchange mailbox (every 50th one has none).
const NO_MAILBOX: &str = "user000049@contoso.com";
/// Another user of the tenant, whom an item may name instead of the person explained.
const SOMEONE_ELSE: &str = "user000002@contoso.com";
const CONNECTORS: [&str; 3] = ["diffa", "diffb", "diffc"];
/// The generated single-valued leaves, as slash paths under `positions`.
const LEAVES: [&[&str]; 3] = [
    &["detail", "jobTitle"],
    &["detail", "role"],
    &["detail", "company", "department"],
];

/// What one source sends for one leaf.
#[derive(Debug, Clone)]
enum Sent {
    Absent,
    Null,
    Empty,
    Text(String),
}

fn sent() -> impl Strategy<Value = Sent> {
    prop_oneof![
        Just(Sent::Absent),
        Just(Sent::Null),
        Just(Sent::Empty),
        "[A-C]".prop_map(Sent::Text),
    ]
}

/// Whom an item's account names.
#[derive(Debug, Clone, Copy)]
enum Account {
    /// The person explained.
    Subject,
    /// Another user of the tenant: the service files the item under them.
    SomeoneElse,
    /// Nobody in the tenant: the service cannot match it.
    Unknown,
}

fn account() -> impl Strategy<Value = Account> {
    prop_oneof![
        6 => Just(Account::Subject),
        1 => Just(Account::SomeoneElse),
        1 => Just(Account::Unknown),
    ]
}

/// One connector's item at the person's item id: whom it names, its position leaves and skills
/// (`None`: no item).
type Item = Option<(Account, [Sent; 3], Vec<&'static str>)>;

fn item() -> impl Strategy<Value = Item> {
    proptest::option::weighted(
        0.8,
        (
            account(),
            [sent(), sent(), sent()],
            proptest::collection::vec(prop_oneof![Just("Rust"), Just("Go"), Just("SQL")], 0..3),
        ),
    )
}

#[derive(Debug, Clone)]
struct Tenant {
    /// The person explained: the admin, or a user without an Exchange mailbox.
    subject: &'static str,
    order: Vec<&'static str>,
    items: Vec<Item>,
    /// A job title the person wrote through the profile API.
    own_title: Option<&'static str>,
}

fn tenant() -> impl Strategy<Value = Tenant> {
    let order = Just(vec![CONNECTORS[0], CONNECTORS[1], CONNECTORS[2], ENTRA]).prop_shuffle();
    // Now and then one connector is left out of the list.
    let left_out = proptest::option::weighted(0.25, 0..CONNECTORS.len());
    let subject = prop_oneof![3 => Just(ADMIN), 1 => Just(NO_MAILBOX)];
    let own_title = proptest::option::weighted(0.3, prop_oneof![Just("Boss"), Just("")]);
    (
        subject,
        order,
        left_out,
        proptest::collection::vec(item(), 3),
        own_title,
    )
        .prop_map(|(subject, mut order, left_out, items, own_title)| {
            if let Some(i) = left_out {
                order.retain(|s| *s != CONNECTORS[i]);
            }
            Tenant {
                subject,
                order,
                items,
                own_title,
            }
        })
}

fn position_json(leaves: &[Sent; 3]) -> Value {
    let mut position = json!({"isCurrent": true});
    for (path, sent) in LEAVES.iter().zip(leaves) {
        let value = match sent {
            Sent::Absent => continue,
            Sent::Null => Value::Null,
            Sent::Empty => json!(""),
            Sent::Text(t) => json!(t),
        };
        let mut node = &mut position;
        for segment in &path[..path.len() - 1] {
            node = node
                .as_object_mut()
                .expect("objects on the way")
                .entry(*segment)
                .or_insert_with(|| json!({}));
        }
        node[path[path.len() - 1]] = value;
    }
    position
}

/// Replaces the person's own positions (the profile API's `user` source) with `title`'s.
async fn own_position(env: &Env, subject: &str, title: Option<&str>) {
    let token = env
        .emu
        .mint_user_token(subject, &["User.ReadWrite"], 600)
        .expect("the subject exists");
    let positions = env
        .call_as(&token, Method::GET, "/beta/me/profile/positions", None, &[])
        .await;
    assert_eq!(positions.status, StatusCode::OK, "{}", positions.text);
    for entity in positions.body["value"].as_array().into_iter().flatten() {
        if entity["source"]["type"] == json!(["user"]) {
            let id = entity["id"].as_str().expect("an id");
            let got = env
                .call_as(
                    &token,
                    Method::DELETE,
                    &format!("/beta/me/profile/positions/{id}"),
                    None,
                    &[],
                )
                .await;
            assert_eq!(got.status, StatusCode::NO_CONTENT, "{}", got.text);
        }
    }
    if let Some(title) = title {
        let got = env
            .call_as(
                &token,
                Method::POST,
                "/beta/me/profile/positions",
                Some(&json!({"detail": {"jobTitle": title}, "isCurrent": true})),
                &[],
            )
            .await;
        assert_eq!(got.status, StatusCode::CREATED, "{}", got.text);
    }
}

async fn apply(env: &Env, tenant: &Tenant) {
    own_position(env, tenant.subject, tenant.own_title).await;
    let urls: Vec<String> = tenant
        .order
        .iter()
        .map(|s| {
            format!("https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='{s}')")
        })
        .collect();
    let got = env
        .patch(SETTING, &json!({"prioritizedSourceUrls": urls}))
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    let item_id = item_id_for_upn(tenant.subject);
    for (connector, item) in CONNECTORS.iter().zip(&tenant.items) {
        let path = format!("/v1.0/external/connections/{connector}/items/{item_id}");
        let Some((account, leaves, skills)) = item else {
            let got = env.delete(&path).await;
            assert!(matches!(got.status.as_u16(), 204 | 404), "{}", got.text);
            continue;
        };
        let skills: Vec<String> = skills
            .iter()
            .map(|s| json!({"displayName": s}).to_string())
            .collect();
        let named = match account {
            Account::Subject => tenant.subject,
            Account::SomeoneElse => SOMEONE_ELSE,
            Account::Unknown => "nobody.here@contoso.com",
        };
        let body = json!({
            "acl": [{"type": "everyone", "value": "everyone", "accessType": "grant"}],
            "properties": {
                "accountInformation": json!({"userPrincipalName": named}).to_string(),
                "position": position_json(leaves).to_string(),
                "skills@odata.type": "Collection(String)",
                "skills": skills,
            }
        });
        let got = env.put(&path, &body).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    }
}

/// The explanation's name for a source, from the profile API's source id.
fn source_name(id: &str) -> String {
    let id = SourceId::new(id).expect("a source id");
    builtin_source(&id).map_or_else(|| id.to_string(), |b| b.name.to_owned())
}

/// The source that supplied `path` (relative to the entity) in a profile API `sources`
/// annotation: the one listing it, else the default source.
fn supplier(entity: &Value, path: &str) -> Option<String> {
    let sources = entity["sources"].as_array()?;
    let listed = sources.iter().find(|s| {
        s["properties"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p == path))
    });
    listed
        .or_else(|| sources.iter().find(|s| s["isDefaultSource"] == true))
        .and_then(|s| s["sourceId"].as_str())
        .map(source_name)
}

fn compare(explained: &Explanation, profile: &Value) -> Result<(), String> {
    // The composed position, not the person's own instance beside it.
    let merged = profile["positions"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["source"]["type"] != json!(["user"])))
        .unwrap_or(&Value::Null);
    for path in LEAVES {
        let property = format!("positions/{}", path.join("/"));
        let line = explained.properties.iter().find(|l| l.property == property);
        let expected = line.map_or(Value::Null, |l| l.value.clone());
        let actual = path
            .iter()
            .try_fold(merged, |v, s| v.get(*s))
            .cloned()
            .unwrap_or(Value::Null);
        if expected != actual {
            return Err(format!(
                "{property}: explain {expected}, profile API {actual}"
            ));
        }
        if let Some(line) = line.filter(|l| !l.value.is_null()) {
            let winner = supplier(merged, &path.join("/"));
            if line.source != winner {
                return Err(format!(
                    "{property}: explain says {:?} won, the profile API {winner:?}",
                    line.source
                ));
            }
        }
    }
    let expected_skills: Vec<Value> = explained
        .properties
        .iter()
        .find(|l| l.property == "skills")
        .and_then(|l| l.value.as_array().cloned())
        .unwrap_or_default();
    let actual_skills: Vec<Value> = profile["skills"]
        .as_array()
        .map(|skills| {
            skills
                .iter()
                .map(|s| {
                    let mut only = Map::new();
                    only.insert("displayName".into(), s["displayName"].clone());
                    Value::Object(only)
                })
                .collect()
        })
        .unwrap_or_default();
    if expected_skills != actual_skills {
        return Err(format!(
            "skills: explain {expected_skills:?}, profile API {actual_skills:?}"
        ));
    }
    Ok(())
}

#[test]
fn explain_and_the_profile_api_agree() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (env, client, token) = runtime.block_on(async {
        let mut config = raw::config();
        config.seed = SeedKind::Empty;
        // Synthetic users, among them the mailbox-less one and someone else to name.
        config.extra_users = 60;
        let env = raw::env_with(config).await;
        for id in CONNECTORS {
            env.ready_people_connection(id).await;
            let got = env
                .post(
                    "/v1.0/admin/people/profileSources",
                    &json!({"sourceId": id, "displayName": id, "webUrl": "https://hr.contoso.com"}),
                )
                .await;
            assert_eq!(got.status, StatusCode::CREATED, "{}", got.text);
        }
        let client = peoplectl::cli::connect::client_for_emulator(&env.emu).expect("a client");
        let token = env
            .emu
            .mint_user_token(ADMIN, &["User.Read", "User.Read.All"], 3600)
            .expect("admin");
        (env, client, token)
    });
    let mut runner = TestRunner::new(Config {
        cases: 32,
        failure_persistence: None,
        ..Config::default()
    });
    // How many cases exercised each reason a connector's value does not count, so the test
    // cannot pass by never generating them.
    let (mailbox_less, unmatched) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let (unlisted, own_titles) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let outcome = runner.run(&tenant(), |tenant| {
        let listed = |c: &str| tenant.order.contains(&c);
        if CONNECTORS
            .iter()
            .zip(&tenant.items)
            .any(|(c, i)| !listed(c) && i.is_some())
        {
            unlisted.set(unlisted.get() + 1);
        }
        if tenant.own_title.is_some() {
            own_titles.set(own_titles.get() + 1);
        }
        let named_subject = |i: &Item| matches!(i, Some((Account::Subject, ..)));
        if tenant.subject == NO_MAILBOX && tenant.items.iter().any(named_subject) {
            mailbox_less.set(mailbox_less.get() + 1);
        }
        if tenant
            .items
            .iter()
            .any(|i| matches!(i, Some((Account::SomeoneElse | Account::Unknown, ..))))
        {
            unmatched.set(unmatched.get() + 1);
        }
        runtime
            .block_on(async {
                apply(&env, &tenant).await;
                let explained = explain_user(&client, tenant.subject)
                    .await
                    .expect("explains");
                let got = env
                    .call_as(
                        &token,
                        Method::GET,
                        &format!("/beta/users/{}/profile", tenant.subject),
                        None,
                        &[],
                    )
                    .await;
                assert_eq!(got.status, StatusCode::OK, "{}", got.text);
                compare(&explained, &got.body)
            })
            .map_err(|why| TestCaseError::fail(format!("{why}\ntenant: {tenant:?}")))
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    assert!(
        mailbox_less.get() > 0 && unmatched.get() > 0 && unlisted.get() > 0 && own_titles.get() > 0,
        "the generator must reach every case: mailbox-less {}, unmatched {}, unlisted {}, own \
         titles {}",
        mailbox_less.get(),
        unmatched.get(),
        unlisted.get(),
        own_titles.get()
    );
}
