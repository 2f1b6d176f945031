//! Emulator contract: the 002 walkthrough end to end, and the beta profile API composed by
//! source precedence over the demo tenant (graph-api §6.4, §7; assets/demo/README.md story).

use crate::support::raw;

use peoplectl::emulator::SeedKind;
use raw::{Env, config, env, env_with, people_item, people_schema};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ENTRA: &str = "4ce763dd-9214-4eff-af7c-da491cc3782d";
const SETTING: &str =
    "/v1.0/admin/people/profilePropertySettings/00000000-0000-0000-0000-000000000001";

fn url_of(source_id: &str) -> String {
    format!("https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='{source_id}')")
}

async fn demo() -> Env {
    let mut config = config();
    config.seed = SeedKind::Demo;
    env_with(config).await
}

/// The admin's delegated token (what device-code sign-in yields).
fn delegated(env: &Env) -> String {
    env.emu
        .mint_user_token(
            env.emu.admin_upn(),
            &["User.Read.All", "PeopleSettings.ReadWrite.All"],
            600,
        )
        .expect("the admin exists")
}

async fn profile(env: &Env, upn: &str, collection: &str) -> Value {
    let token = delegated(env);
    let got = env
        .call_as(
            &token,
            Method::GET,
            &format!("/beta/users/{upn}/profile/{collection}"),
            None,
            &[],
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    got.body
}

fn current_position(positions: &Value) -> Value {
    positions["value"]
        .as_array()
        .expect("value")
        .first()
        .expect("a position")
        .clone()
}

#[tokio::test]
async fn walkthrough_002() {
    let env = env().await;
    // 1. Token (client credentials) — env.token() goes through the token endpoint.
    assert!(!env.token().await.is_empty());
    // 2. Create the people connection.
    env.create_connection("contosohr", Some("people")).await;
    // 3. PATCH the schema with Prefer: respond-async, poll the operation to completed.
    let op = env.register_schema("contosohr", &people_schema()).await;
    assert_eq!(op["status"], "completed");
    // 4. Register it as a profile source.
    let source = env
        .post(
            "/v1.0/admin/people/profileSources",
            &json!({"sourceId": "contosohr", "displayName": "Contoso HR", "kind": "Workday",
                    "webUrl": "https://hr.contoso.com"}),
        )
        .await;
    assert_eq!(source.status, StatusCode::CREATED);
    // 5. Put it first in the precedence list.
    let patched = env
        .patch(
            SETTING,
            &json!({"prioritizedSourceUrls": [url_of("contosohr"), url_of(ENTRA)]}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    // 6. PUT an item for the admin.
    let got = env
        .put(
            "/v1.0/external/connections/contosohr/items/admin_at_contoso_dot_com",
            &people_item("admin@contoso.com", "Chief People Officer"),
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);

    // The profile now shows the connector's title over Entra's, with provenance.
    let position = current_position(&profile(&env, "admin@contoso.com", "positions").await);
    assert_eq!(position["detail"]["jobTitle"], "Chief People Officer");
    assert_eq!(
        position["detail"]["company"]["department"], "IT",
        "Entra fills the rest"
    );
    assert_eq!(
        position["source"]["type"],
        json!(["ConnectorSource", "AAD"])
    );
    // Rank order; Entra supplied most properties, so it is the default source.
    assert_eq!(
        position["sources"],
        json!([
            {"sourceId": "contosohr", "properties": ["detail/jobTitle"]},
            {"sourceId": ENTRA, "isDefaultSource": true}
        ])
    );
    // Skills come from the connector only.
    let skills = profile(&env, "admin@contoso.com", "skills").await;
    assert_eq!(skills["value"][0]["displayName"], "Rust");
    assert_eq!(
        skills["value"][0]["source"]["type"],
        json!(["ConnectorSource"])
    );

    // Reordered with Entra first, Entra's title wins.
    env.patch(
        SETTING,
        &json!({"prioritizedSourceUrls": [url_of(ENTRA), url_of("contosohr")]}),
    )
    .await;
    let position = current_position(&profile(&env, "admin@contoso.com", "positions").await);
    assert_eq!(position["detail"]["jobTitle"], "IT Administrator");
}

#[tokio::test]
async fn unregistered_connections_do_not_contribute() {
    let env = env().await;
    env.ready_people_connection("contosohr").await;
    env.put(
        "/v1.0/external/connections/contosohr/items/a",
        &people_item("admin@contoso.com", "Unregistered title"),
    )
    .await;
    let position = current_position(&profile(&env, "admin@contoso.com", "positions").await);
    assert_eq!(position["detail"]["jobTitle"], "IT Administrator");
    assert_eq!(position["source"]["type"], json!(["AAD"]));
}

#[tokio::test]
async fn app_only_tokens_are_refused_on_the_profile() {
    let env = env().await;
    let got = env.get("/beta/users/admin@contoso.com/profile").await;
    got.assert_error(403, "accessDenied");
    // Delegated works, including /me/profile, and serves every collection.
    let token = delegated(&env);
    let me = env
        .call_as(&token, Method::GET, "/beta/me/profile", None, &[])
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    for collection in [
        "account",
        "names",
        "positions",
        "emails",
        "phones",
        "skills",
        "websites",
    ] {
        assert!(me.body[collection].is_array(), "{collection}");
    }
    assert_eq!(me.body["names"][0]["displayName"], "Contoso Admin");
    assert_eq!(
        me.body["account"][0]["userPrincipalName"],
        "admin@contoso.com"
    );
    assert_eq!(me.body["emails"][0]["address"], "admin@contoso.com");
    // Entities address by id; unknown collections are 400.
    let id = me.body["names"][0]["id"].as_str().unwrap();
    let one = env
        .call_as(
            &token,
            Method::GET,
            &format!("/beta/me/profile/names/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(one.body["displayName"], "Contoso Admin");
    env.call_as(&token, Method::GET, "/beta/me/profile/hobbies", None, &[])
        .await
        .assert_error(400, "BadRequest");
    env.call_as(
        &token,
        Method::GET,
        "/beta/me/profile/names/nope",
        None,
        &[],
    )
    .await
    .assert_error(404, "itemNotFound");
}

#[tokio::test]
async fn demo_story_precedence() {
    let env = demo().await;
    let title = |p: &Value| current_position(p)["detail"]["jobTitle"].clone();

    // Workday (rank 1) wins over Entra and Talent Hub.
    let alex = profile(&env, "alex.wilber@contoso.com", "positions").await;
    assert_eq!(title(&alex), "Senior Software Engineer");
    // An empty string is a value.
    let tomas = profile(&env, "tomas.herrera@contoso.com", "positions").await;
    assert_eq!(title(&tomas), "");
    // Absent is not: Entra's title shows.
    let lars = profile(&env, "lars.halvorsen@contoso.com", "positions").await;
    assert_eq!(title(&lars), "Systems Administrator");
    // Talent Hub (preview contract, rank 3) wins where neither Workday nor Entra has a title.
    let chloe = profile(&env, "chloe.dubois@contoso.com", "positions").await;
    assert_eq!(title(&chloe), "Brand Designer");
    let types = current_position(&chloe)["source"]["type"].clone();
    assert!(
        types
            .as_array()
            .unwrap()
            .contains(&json!("ConnectorSource")),
        "{types}"
    );
    // No mailbox: the Workday item is ignored.
    let mykola = profile(&env, "mykola.shevchenko@contoso.com", "positions").await;
    assert_eq!(title(&mykola), "Software Engineer");
    // Multi-valued: an ordered union, Workday's mobile first.
    let phones = profile(&env, "siobhan.obrien@contoso.com", "phones").await;
    let numbers: Vec<&str> = phones["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers[0], "+44 7700 900582", "{numbers:?}");
    assert!(
        numbers.contains(&"+44 7700 900139"),
        "Entra's mobile stays: {numbers:?}"
    );
}

#[tokio::test]
async fn demo_profile_edits_stand_apart_and_fill_every_collection() {
    let env = demo().await;
    // Abhishek Hegde wrote his own title; it shows as its own instance and wins nothing.
    let positions = profile(&env, "abhishek.hegde@contoso.com", "positions").await;
    let positions = positions["value"].as_array().expect("value");
    assert_eq!(
        positions[0]["detail"]["jobTitle"],
        "Senior Customer Success Manager"
    );
    let own = positions
        .iter()
        .find(|p| p["source"]["type"] == json!(["user"]))
        .expect("his own entry");
    assert_eq!(own["detail"]["jobTitle"], "Chief Happiness Officer");
    // Three people have something in every one of the 19 collections.
    let token = delegated(&env);
    for upn in [
        "achieng.kiprono@contoso.com",
        "adaeze.asante@contoso.com",
        "aditya.rao@contoso.com",
    ] {
        let got = env
            .call_as(
                &token,
                Method::GET,
                &format!("/beta/users/{upn}/profile"),
                None,
                &[],
            )
            .await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.text);
        let empty: Vec<&String> = got
            .body
            .as_object()
            .expect("object")
            .iter()
            .filter(|(_, v)| v.as_array().is_some_and(Vec::is_empty))
            .map(|(k, _)| k)
            .collect();
        assert!(empty.is_empty(), "{upn}: {empty:?}");
        assert_eq!(
            got.body
                .as_object()
                .map(|o| o.values().filter(|v| v.is_array()).count()),
            Some(19)
        );
    }
}
