//! The documented composition rules, one named test per case, each carrying its sentence:
//! seed 003 (precedence, empty string and null, multi-valued data, the user source), seed 002
//! (precedence composes the view; invalid and unmatched data is discarded) and the current
//! people-connector page's mailbox rule (graph-api §4.3). Checked against the emulator's
//! profile API.

use crate::support::raw::{Env, config, env, env_with};

use peoplectl::emulator::SeedKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ENTRA: &str = "4ce763dd-9214-4eff-af7c-da491cc3782d";
const SETTING: &str =
    "/v1.0/admin/people/profilePropertySettings/00000000-0000-0000-0000-000000000001";
const ADMIN: &str = "admin@contoso.com";
/// The empty seed's admin, as Entra ID has them.
const ENTRA_TITLE: &str = "IT Administrator";

fn url_of(source_id: &str) -> String {
    format!("https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='{source_id}')")
}

/// Ready people connections, registered as profile sources; precedence as `order`.
async fn tenant(connectors: &[&str], order: &[&str]) -> Env {
    let env = env().await;
    for id in connectors {
        env.ready_people_connection(id).await;
        let got = env
            .post(
                "/v1.0/admin/people/profileSources",
                &json!({"sourceId": id, "displayName": id, "webUrl": "https://hr.contoso.com"}),
            )
            .await;
        assert_eq!(got.status, StatusCode::CREATED, "{}", got.text);
    }
    set_order(&env, order).await;
    env
}

async fn set_order(env: &Env, order: &[&str]) {
    let urls: Vec<String> = order.iter().map(|s| url_of(s)).collect();
    let got = env
        .patch(SETTING, &json!({"prioritizedSourceUrls": urls}))
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
}

/// PUTs the admin's item into `connector` with `position` (any JSON text) and `skills`.
async fn put(env: &Env, connector: &str, position: &str, skills: &[&str]) {
    let skills: Vec<String> = skills
        .iter()
        .map(|s| json!({"displayName": s}).to_string())
        .collect();
    let item = json!({
        "acl": [{"type": "everyone", "value": "everyone", "accessType": "grant"}],
        "properties": {
            "accountInformation": json!({"userPrincipalName": ADMIN}).to_string(),
            "position": position,
            "skills@odata.type": "Collection(String)",
            "skills": skills,
        }
    });
    let got = env
        .put(
            &format!("/v1.0/external/connections/{connector}/items/admin"),
            &item,
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
}

fn delegated(env: &Env, scopes: &[&str]) -> String {
    env.emu
        .mint_user_token(ADMIN, scopes, 600)
        .expect("the admin exists")
}

async fn collection(env: &Env, name: &str) -> Vec<Value> {
    let token = delegated(env, &["User.Read"]);
    let got = env
        .call_as(
            &token,
            Method::GET,
            &format!("/beta/me/profile/{name}"),
            None,
            &[],
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    got.body["value"].as_array().cloned().unwrap_or_default()
}

async fn title(env: &Env) -> Value {
    collection(env, "positions").await[0]["detail"]["jobTitle"].clone()
}

#[tokio::test]
async fn the_highest_priority_source_with_a_value_wins() {
    const SENTENCE: &str = "For single-value data, the business logic selects the value for a property from the highest-priority source that has a value.";
    let env = tenant(&["hrone"], &["hrone", ENTRA]).await;
    put(
        &env,
        "hrone",
        r#"{"detail":{"jobTitle":"Head of IT"}}"#,
        &[],
    )
    .await;
    let position = &collection(&env, "positions").await[0];
    assert_eq!(position["detail"]["jobTitle"], "Head of IT", "{SENTENCE}");
    assert_eq!(
        position["detail"]["company"]["department"], "IT",
        "Entra still supplies what the connector lacks"
    );
    assert_eq!(
        position["source"]["type"],
        json!(["ConnectorSource", "AAD"])
    );
}

#[tokio::test]
async fn lower_priority_data_is_ignored_when_a_higher_source_has_a_value() {
    const SENTENCE: &str = "Data from lower-priority sources is ignored when a higher-priority source provides a value for the property.";
    let env = tenant(&["hrone"], &[ENTRA, "hrone"]).await;
    put(
        &env,
        "hrone",
        r#"{"detail":{"jobTitle":"Head of IT"}}"#,
        &[],
    )
    .await;
    assert_eq!(title(&env).await, ENTRA_TITLE, "{SENTENCE}");
}

#[tokio::test]
async fn an_empty_string_is_a_value_and_overrides() {
    const SENTENCE: &str = "An empty string (\"\") is treated as a value and overrides a lower-priority source that has a non-empty string.";
    let env = tenant(&["hrone"], &["hrone", ENTRA]).await;
    put(&env, "hrone", r#"{"detail":{"jobTitle":""}}"#, &[]).await;
    assert_eq!(title(&env).await, "", "{SENTENCE}");
}

#[tokio::test]
async fn a_null_is_not_a_value() {
    const SENTENCE: &str = "A significant difference exists between an empty value or string and a null value, or a property that isn't part of the connector ingestion.";
    let env = tenant(&["hrone"], &["hrone", ENTRA]).await;
    put(&env, "hrone", r#"{"detail":{"jobTitle":null}}"#, &[]).await;
    assert_eq!(title(&env).await, ENTRA_TITLE, "{SENTENCE} (null)");
}

#[tokio::test]
async fn an_absent_property_is_not_a_value() {
    const SENTENCE: &str = "A significant difference exists between an empty value or string and a null value, or a property that isn't part of the connector ingestion.";
    let env = tenant(&["hrone"], &["hrone", ENTRA]).await;
    put(&env, "hrone", r#"{"detail":{"role":"Platform"}}"#, &[]).await;
    let position = &collection(&env, "positions").await[0];
    assert_eq!(
        position["detail"]["jobTitle"], ENTRA_TITLE,
        "{SENTENCE} (absent)"
    );
    assert_eq!(position["detail"]["role"], "Platform");
}

#[tokio::test]
async fn multi_valued_data_is_ordered_by_precedence() {
    const SENTENCE: &str = "For multi-value data such as phones, emails, projects, or skills, source precedence only affects the ordering of data from multiple sources.";
    let env = tenant(&["hrone", "hrtwo"], &["hrtwo", "hrone", ENTRA]).await;
    put(&env, "hrone", r#"{"detail":{}}"#, &["Rust"]).await;
    put(&env, "hrtwo", r#"{"detail":{}}"#, &["Go"]).await;
    let names = |skills: Vec<Value>| -> Vec<String> {
        skills
            .iter()
            .filter_map(|s| s["displayName"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        names(collection(&env, "skills").await),
        ["Go", "Rust"],
        "{SENTENCE}"
    );
    set_order(&env, &["hrone", "hrtwo", ENTRA]).await;
    assert_eq!(
        names(collection(&env, "skills").await),
        ["Rust", "Go"],
        "{SENTENCE}"
    );
}

#[tokio::test]
async fn the_payload_can_contain_duplicates() {
    const SENTENCE: &str = "The API payload can contain duplicate data from multiple sources.";
    let env = tenant(&["hrone", "hrtwo"], &["hrone", "hrtwo", ENTRA]).await;
    put(&env, "hrone", r#"{"detail":{}}"#, &["Rust"]).await;
    put(&env, "hrtwo", r#"{"detail":{}}"#, &["Rust"]).await;
    let skills = collection(&env, "skills").await;
    assert_eq!(skills.len(), 2, "{SENTENCE}");
    assert_eq!(skills[0]["sources"][0]["sourceId"], "hrone");
    assert_eq!(skills[1]["sources"][0]["sourceId"], "hrtwo");
}

/// The user source writes the admin's own job title through `POST /me/profile/positions`.
async fn write_own_title(env: &Env, title: &str) -> Value {
    let token = delegated(env, &["User.ReadWrite"]);
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
    got.body
}

#[tokio::test]
async fn the_user_source_never_overrides_connector_or_entra_values() {
    const SENTENCE: &str = "If HR or work position data is written using the profile API user source (/me/profile or /users/{id | userPrincipalName}/profile on Microsoft Graph beta, including through Graph Explorer), this data doesn't override connector or Entra ID sources.";
    let env = tenant(&["hrone"], &["hrone", ENTRA]).await;
    put(&env, "hrone", r#"{"detail":{"role":"Platform"}}"#, &[]).await;
    write_own_title(&env, "Chief Everything").await;
    assert_eq!(title(&env).await, ENTRA_TITLE, "{SENTENCE}");
}

#[tokio::test]
async fn user_source_data_appears_as_a_separate_instance() {
    const SENTENCE: &str = "When you read the profile data using the Microsoft Graph API, the data appears in OData as a separate instance in the workPosition entity collection.";
    let env = tenant(&[], &[ENTRA]).await;
    let written = write_own_title(&env, "Chief Everything").await;
    let positions = collection(&env, "positions").await;
    assert_eq!(positions.len(), 2, "{SENTENCE}");
    assert_eq!(positions[0]["detail"]["jobTitle"], ENTRA_TITLE);
    assert_eq!(positions[1]["id"], written["id"]);
    assert_eq!(positions[1]["detail"]["jobTitle"], "Chief Everything");
    assert_eq!(positions[1]["source"]["type"], json!(["user"]));
}

#[tokio::test]
async fn a_source_not_in_precedence_contributes_nothing() {
    const SENTENCE: &str = "The url to the profile source ... must be added to the prioritizedSourceUrls array of sources. This array represents the order in which the view of a person is being composed.";
    let env = tenant(&["hrone"], &[ENTRA]).await;
    put(
        &env,
        "hrone",
        r#"{"detail":{"jobTitle":"Head of IT"}}"#,
        &["Rust"],
    )
    .await;
    assert_eq!(title(&env).await, ENTRA_TITLE, "{SENTENCE}");
    assert!(collection(&env, "skills").await.is_empty(), "{SENTENCE}");
}

#[tokio::test]
async fn entity_json_the_service_cannot_read_is_ignored() {
    const SENTENCE: &str =
        "Profile entities must be valid string encoded JSON object. Invalid values are ignored.";
    let env = tenant(&["hrone"], &["hrone", ENTRA]).await;
    put(&env, "hrone", r#"{"detail":{"jobTitle":"Head"#, &["Rust"]).await;
    assert_eq!(title(&env).await, ENTRA_TITLE, "{SENTENCE}");
    assert_eq!(
        collection(&env, "skills").await.len(),
        1,
        "the valid value still counts"
    );
}

#[tokio::test]
async fn unmatched_accounts_are_ignored() {
    const SENTENCE: &str = "People data without matching UPN or OID will be discarded.";
    let env = tenant(&["hrone"], &["hrone", ENTRA]).await;
    let item = json!({
        "acl": [{"type": "everyone", "value": "everyone", "accessType": "grant"}],
        "properties": {
            "accountInformation": json!({"userPrincipalName": "ghost@contoso.com"}).to_string(),
            "position": json!({"detail": {"jobTitle": "Ghost"}}).to_string(),
        }
    });
    let got = env
        .put("/v1.0/external/connections/hrone/items/ghost", &item)
        .await;
    assert_eq!(got.status, StatusCode::OK, "accepted: {}", got.text);
    assert_eq!(
        env.emu.inspect().item_contributor("hrone", "ghost"),
        None,
        "{SENTENCE}"
    );
    assert_eq!(title(&env).await, ENTRA_TITLE);
}

#[tokio::test]
async fn accounts_without_a_mailbox_get_no_connector_data() {
    const SENTENCE: &str = "Accounts without an Exchange Online mailbox are ignored.";
    let mut config = config();
    config.seed = SeedKind::Demo;
    let env = env_with(config).await;
    // Mykola Shevchenko has a Workday item (Senior Software Engineer) and no mailbox.
    let token = env
        .emu
        .mint_user_token(env.emu.admin_upn(), &["User.Read.All"], 600)
        .expect("admin");
    let got = env
        .call_as(
            &token,
            Method::GET,
            "/beta/users/mykola.shevchenko@contoso.com/profile/positions",
            None,
            &[],
        )
        .await;
    assert_eq!(
        got.body["value"][0]["detail"]["jobTitle"], "Software Engineer",
        "{SENTENCE}"
    );
    assert_eq!(got.body["value"][0]["source"]["type"], json!(["AAD"]));
}
