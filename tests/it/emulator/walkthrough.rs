//! Seed 002 (Microsoft's "Build your first custom Copilot connector for people data"
//! walkthrough) replayed unchanged: every request of its `setup`, `register` and `sync`, with
//! the bodies shaped as the Graph beta SDK (Kiota) serialises them, then the removal its note
//! asks for. The sample says to replace its UPNs with the tenant's own people; the demo tenant's
//! Alex Wilber and Luis Castillo stand in for alexw and luisg.

use crate::support::raw::{Env, config, env_with};

use peoplectl::emulator::SeedKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CONNECTOR_ID: &str = "contosohrconnector1";

/// The sample's own source URL form (the beta endpoint, graph-api §6.2).
fn beta_url(source_id: &str) -> String {
    format!("https://graph.microsoft.com/beta/admin/people/profileSources(sourceId='{source_id}')")
}

async fn demo() -> Env {
    let mut config = config();
    config.seed = SeedKind::Demo;
    // The operation stays in progress until the test moves the clock past it.
    config.provisioning_delay_ms = 3000;
    env_with(config).await
}

/// The sample's people, as its `people` array holds them.
const PEOPLE: &[(&str, &str, &str, &str)] = &[
    (
        "alex.wilber@contoso.com",
        "Engineering",
        "Software Engineer",
        "Blue",
    ),
    (
        "luis.castillo@contoso.com",
        "Marketing",
        "Marketing Manager",
        "Green",
    ),
];

/// `person.UPN.Replace("@", "_at_").Replace(".", "_dot_")`, as the sample builds item ids.
fn person_identifier(upn: &str) -> String {
    upn.replace('@', "_at_").replace('.', "_dot_")
}

/// A Graph call with the app token, the body sent as the exact bytes given.
async fn send(env: &Env, method: Method, path: &str, body: Option<&str>, prefer: bool) -> Value {
    let token = env.token().await;
    let mut request = env
        .http
        .request(method, env.url(path))
        .bearer_auth(token)
        .header("accept", "application/json");
    if prefer {
        request = request.header("prefer", "respond-async");
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let response = request.send().await.expect("request completes");
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("body reads");
    assert!(status.is_success(), "{path}: {status} {text}");
    let mut body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if let Some(location) = location {
        body = json!({"location": location, "status": status.as_u16(), "body": body});
    }
    body
}

#[tokio::test]
async fn seed_002_runs_unchanged_and_leaves_its_state() {
    let env = demo().await;

    // ---- setup: a connection with only an id and a name (Kiota writes only what was set).
    let created = send(
        &env,
        Method::POST,
        "/beta/external/connections",
        Some(r#"{"id":"contosohrconnector1","name":"Contoso HR Connector"}"#),
        false,
    )
    .await;
    assert_eq!(created["id"], CONNECTOR_ID);
    assert_eq!(created["state"], "draft");
    assert_eq!(created["description"], Value::Null, "declared, so null");

    // Its six-property schema: all `string`, no labels (the 2025 preview contract).
    let schema = r#"{"baseType":"microsoft.graph.externalItem","properties":[{"name":"connectionId","type":"string"},{"name":"externalId","type":"string"},{"name":"oid","type":"string"},{"name":"accounts","type":"string"},{"name":"positions","type":"string"},{"name":"favoriteColor","type":"string"}]}"#;
    let accepted = send(
        &env,
        Method::PATCH,
        "/beta/external/connections/contosohrconnector1/schema",
        Some(schema),
        true,
    )
    .await;
    assert_eq!(accepted["status"], 202);
    // `responseMessage.Headers.Location?.Segments.Last()`, then GET operations/{id} until done.
    let location = accepted["location"].as_str().expect("Location");
    let operation_id = location.rsplit('/').next().expect("a last segment");
    let operation_path =
        format!("/beta/external/connections/{CONNECTOR_ID}/operations/{operation_id}");
    let first = send(&env, Method::GET, &operation_path, None, false).await;
    assert_eq!(first["status"], "inprogress");
    // The sample waits five seconds between polls; the emulator's clock moves instead.
    env.emu.clock().advance(std::time::Duration::from_secs(5));
    let done = send(&env, Method::GET, &operation_path, None, false).await;
    assert_eq!(done["status"], "completed", "{done}");

    // ---- register: the profile source, then the precedence list with it inserted first.
    let source = send(
        &env,
        Method::POST,
        "/beta/admin/people/profileSources",
        Some(r#"{"displayName":"Contoso HR Connector","sourceId":"contosohrconnector1","webUrl":"https://hr.contoso.com"}"#),
        false,
    )
    .await;
    assert_eq!(source["sourceId"], CONNECTOR_ID);
    let settings = send(
        &env,
        Method::GET,
        "/beta/admin/people/profilePropertySettings",
        None,
        false,
    )
    .await;
    // `propertySettings.Value.SingleOrDefault(x => x.Name == null)`.
    let nameless: Vec<&Value> = settings["value"]
        .as_array()
        .expect("value")
        .iter()
        .filter(|s| s["name"].is_null())
        .collect();
    assert_eq!(nameless.len(), 1, "{settings}");
    let setting_id = nameless[0]["id"].as_str().expect("id").to_owned();
    let mut sources: Vec<Value> = nameless[0]["prioritizedSourceUrls"]
        .as_array()
        .expect("urls")
        .clone();
    let before = sources.len();
    sources.insert(0, json!(beta_url(CONNECTOR_ID)));
    let patch = json!({"prioritizedSourceUrls": sources}).to_string();
    let patched = send(
        &env,
        Method::PATCH,
        &format!("/beta/admin/people/profilePropertySettings/{setting_id}"),
        Some(&patch),
        false,
    )
    .await;
    assert_eq!(patched["prioritizedSourceUrls"][0], beta_url(CONNECTOR_ID));
    assert_eq!(
        patched["prioritizedSourceUrls"].as_array().map(Vec::len),
        Some(before + 1)
    );

    // ---- sync: look each person up by UPN, then PUT the item the sample builds.
    for (upn, department, position, color) in PEOPLE {
        let filter = format!("userPrincipalName eq '{upn}'");
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("$filter", &filter)
            .finish();
        let users = send(
            &env,
            Method::GET,
            &format!("/beta/users?{query}"),
            None,
            false,
        )
        .await;
        let oid = users["value"][0]["id"].as_str().expect("the user exists");
        let id = person_identifier(upn);
        // System.Text.Json's compact output of the sample's anonymous objects.
        let accounts =
            format!(r#"[{{"userPrincipalName":"{upn}","externalDirectoryObjectId":"{oid}"}}]"#);
        let positions = format!(
            r#"[{{"detail":{{"jobTitle":"{position}","company":{{"department":"{department}"}}}},"isCurrent":true}}]"#
        );
        let item = json!({
            "id": id,
            "acl": [{"accessType": "grant", "type": "everyone", "value": "EVERYONE"}],
            "properties": {
                "connectionId": CONNECTOR_ID,
                "externalId": id,
                "oid": oid,
                "accounts": accounts,
                "positions": positions,
                "favoriteColor": color,
            }
        });
        send(
            &env,
            Method::PUT,
            &format!("/beta/external/connections/{CONNECTOR_ID}/items/{id}"),
            Some(&item.to_string()),
            false,
        )
        .await;
    }

    // ---- the state the walkthrough describes: a ready connection with its six properties,
    // registered, ranked first, and each person's profile composed from it.
    let connection = env
        .emu
        .inspect()
        .connections()
        .into_iter()
        .find(|c| c.id == CONNECTOR_ID)
        .expect("the connection exists");
    assert_eq!(connection.state, "ready");
    let schema = send(
        &env,
        Method::GET,
        &format!("/beta/external/connections/{CONNECTOR_ID}/schema"),
        None,
        false,
    )
    .await;
    assert_eq!(schema["properties"].as_array().map(Vec::len), Some(6));
    let token = env
        .emu
        .mint_user_token(env.emu.admin_upn(), &["User.Read.All"], 600)
        .expect("admin");
    for (upn, department, position, _) in PEOPLE {
        let got = env
            .call_as(
                &token,
                Method::GET,
                &format!("/beta/users/{upn}/profile/positions"),
                None,
                &[],
            )
            .await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.text);
        let current = &got.body["value"][0];
        assert_eq!(current["detail"]["jobTitle"], *position, "{upn}");
        assert_eq!(current["detail"]["company"]["department"], *department);
        assert_eq!(current["sources"][0]["sourceId"], CONNECTOR_ID, "rank 1");
    }

    // ---- removal, as the sample's note asks: precedence first, then the source, then the
    // connection.
    let without: Vec<Value> = patched["prioritizedSourceUrls"]
        .as_array()
        .expect("urls")
        .iter()
        .filter(|u| **u != json!(beta_url(CONNECTOR_ID)))
        .cloned()
        .collect();
    send(
        &env,
        Method::PATCH,
        &format!("/beta/admin/people/profilePropertySettings/{setting_id}"),
        Some(&json!({"prioritizedSourceUrls": without}).to_string()),
        false,
    )
    .await;
    let delete = |path: String| {
        let env = &env;
        async move {
            let got = env.call_with(Method::DELETE, &path, None, &[]).await;
            assert_eq!(got.status, StatusCode::NO_CONTENT, "{path}: {}", got.text);
        }
    };
    delete(format!(
        "/beta/admin/people/profileSources(sourceId='{CONNECTOR_ID}')"
    ))
    .await;
    delete(format!("/beta/external/connections/{CONNECTOR_ID}")).await;
    let inspect = env.emu.inspect();
    assert!(inspect.connections().iter().all(|c| c.id != CONNECTOR_ID));
    assert!(
        inspect
            .sources()
            .iter()
            .all(|s| s.source_id != CONNECTOR_ID)
    );
    let entra_last = inspect
        .settings()
        .into_iter()
        .find(|s| s.name.is_none())
        .map(|s| s.prioritized_source_urls.len());
    assert_eq!(entra_last, Some(before), "back to the list it started with");
}
