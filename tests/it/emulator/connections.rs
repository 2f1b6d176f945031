//! Emulator contract: external connections and schema operations (graph-api §1, §2, §4).

use crate::support::raw;

use raw::{env, people_schema};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn create_get_list_patch_delete() {
    let env = env().await;
    let created = env.create_connection("contosohr", Some("people")).await;
    assert_eq!(created.body["state"], "draft");
    assert_eq!(created.body["contentCategory"], "people");
    assert!(
        created.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0/$metadata#external/connections/$entity")
    );
    assert!(created.header("request-id").is_some());

    let got = env.get("/v1.0/external/connections/contosohr").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["name"], "contosohr name");
    assert_eq!(got.body["configuration"]["authorizedAppIds"], json!([]));
    // ingestedItemsCount is beta only, and null while draft.
    assert!(got.body.get("ingestedItemsCount").is_none());
    let beta = env.get("/beta/external/connections/contosohr").await;
    assert!(beta.body["ingestedItemsCount"].is_null());
    assert!(
        beta.body
            .as_object()
            .unwrap()
            .contains_key("ingestedItemsCount")
    );

    let patched = env
        .patch(
            "/v1.0/external/connections/contosohr",
            &json!({"name": "Contoso HR", "description": "Workday"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    assert!(patched.text.is_empty());

    env.create_connection("wiki", None).await;
    let list = env
        .get("/v1.0/external/connections?$select=id,name,contentCategory")
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let value = list.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 2);
    assert_eq!(value[0]["name"], "Contoso HR");
    assert_eq!(value[1]["contentCategory"], "uncategorized");
    assert!(value[0].get("state").is_none(), "$select applies");

    let deleted = env.delete("/v1.0/external/connections/contosohr").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    env.get("/v1.0/external/connections/contosohr")
        .await
        .assert_error(404, "ItemNotFound");
    env.delete("/v1.0/external/connections/contosohr")
        .await
        .assert_error(404, "ItemNotFound");
}

#[tokio::test]
async fn connection_id_rules() {
    let env = env().await;
    for bad in [
        "ab",
        "contoso-hr",
        "a234567890123456789012345678901234",
        "MicrosoftHR",
        "microsoftpeople",
        "SharePoint",
        "teams",
        "MSFTAllConnectors1!",
    ] {
        let got = env
            .post(
                "/v1.0/external/connections",
                &json!({"id": bad, "name": "x", "description": "x"}),
            )
            .await;
        got.assert_error(400, "InvalidRequest");
    }
    env.create_connection("abc", None).await;
    // Duplicate ids conflict, case-insensitively.
    env.post(
        "/v1.0/external/connections",
        &json!({"id": "ABC", "name": "x", "description": "x"}),
    )
    .await
    .assert_error(409, "Conflict");
    // Unknown and beta-only members are refused on v1.0; unknown categories too.
    env.post(
        "/v1.0/external/connections",
        &json!({"id": "abcd", "name": "x", "description": "x", "complianceSettings": {}}),
    )
    .await
    .assert_error(400, "BadRequest");
    let got = env
        .post(
            "/v1.0/external/connections",
            &json!({"id": "abcd", "name": "x", "description": "x", "contentCategory": "hr"}),
        )
        .await;
    got.assert_error(400, "InvalidRequest");
    assert_eq!(
        got.body["error"]["innerError"]["code"],
        "DeserializationError"
    );
    // name is required; description is not (Microsoft's walkthrough, seed 002, sends none).
    env.post(
        "/v1.0/external/connections",
        &json!({"id": "abcd", "description": "x"}),
    )
    .await
    .assert_error(400, "InvalidRequest");
    let got = env
        .post(
            "/v1.0/external/connections",
            &json!({"id": "abcd", "name": "x"}),
        )
        .await;
    assert_eq!(got.status, 201, "{}", got.text);
    assert_eq!(got.body["description"], Value::Null);
    // Not JSON at all.
    let got = env
        .call_with(
            Method::POST,
            "/v1.0/external/connections",
            None,
            &[("content-type", "application/json")],
        )
        .await;
    got.assert_error(400, "BadRequest");
}

#[tokio::test]
async fn schema_registration_is_an_async_operation() {
    let mut config = raw::config();
    config.provisioning_delay_ms = 400;
    let env = raw::env_with(config).await;
    env.create_connection("contosohr", Some("people")).await;
    // Before any schema: 404 (chosen; the draft state has none).
    env.get("/v1.0/external/connections/contosohr/schema")
        .await
        .assert_error(404, "ItemNotFound");

    let got = env
        .call_with(
            Method::PATCH,
            "/v1.0/external/connections/contosohr/schema",
            Some(&people_schema()),
            &[("Prefer", "respond-async")],
        )
        .await;
    assert_eq!(got.status, StatusCode::ACCEPTED);
    assert!(got.text.is_empty());
    let location = got.header("location").unwrap().to_owned();
    let prefix = format!(
        "{}/v1.0/external/connections/contosohr/operations/",
        env.emu.graph_url()
    );
    assert!(location.starts_with(&prefix), "{location}");

    // In progress: the operation says so, the schema is readable, the connection is draft.
    let path = location.strip_prefix(&env.emu.graph_url()).unwrap();
    let op = env.get(path).await;
    assert_eq!(op.body["status"], "inprogress");
    let schema = env.get("/v1.0/external/connections/contosohr/schema").await;
    assert_eq!(schema.status, StatusCode::OK);
    assert_eq!(schema.body["baseType"], "microsoft.graph.externalItem");
    assert_eq!(schema.body["properties"].as_array().unwrap().len(), 7);
    let connection = env.get("/v1.0/external/connections/contosohr").await;
    assert_eq!(connection.body["state"], "draft");
    // A second PATCH while one runs conflicts (chosen).
    env.patch(
        "/v1.0/external/connections/contosohr/schema",
        &people_schema(),
    )
    .await
    .assert_error(409, "Conflict");

    let op = env.poll_operation(&location).await;
    assert_eq!(op["status"], "completed");
    assert_eq!(op["id"], location.rsplit('/').next().unwrap());
    let connection = env.get("/beta/external/connections/contosohr").await;
    assert_eq!(connection.body["state"], "ready");
    assert_eq!(connection.body["ingestedItemsCount"], 0);

    // Booleans sent as strings come back as booleans; types come back canonical.
    let schema = env.get("/v1.0/external/connections/contosohr/schema").await;
    let properties = schema.body["properties"].as_array().unwrap();
    let requisition = properties
        .iter()
        .find(|p| p["name"] == "requisitionId")
        .unwrap();
    assert_eq!(requisition["isQueryable"], true);
    // person* labels are past unknownFutureValue: masked unless the caller opts in.
    assert_eq!(properties[0]["labels"], json!(["unknownFutureValue"]));
    let opted_in = env
        .call_with(
            Method::GET,
            "/v1.0/external/connections/contosohr/schema",
            None,
            &[("Prefer", "include-unknown-enum-members")],
        )
        .await;
    assert_eq!(
        opted_in.body["properties"][0]["labels"],
        json!(["personAccount"])
    );

    // There is no schema delete.
    env.delete("/v1.0/external/connections/contosohr/schema")
        .await
        .assert_error(404, "UnknownError");
    // The operations list is served too.
    let ops = env
        .get("/v1.0/external/connections/contosohr/operations")
        .await;
    assert_eq!(ops.body["value"].as_array().unwrap().len(), 1);
    env.get("/v1.0/external/connections/contosohr/operations/nope")
        .await
        .assert_error(404, "ItemNotFound");
}

#[tokio::test]
async fn schema_without_prefer_header_is_also_202() {
    let env = env().await;
    env.create_connection("wiki", None).await;
    let schema = json!({"baseType": "microsoft.graph.externalItem", "properties": [
        {"name": "title", "type": "String", "isSearchable": true, "isRetrievable": true, "labels": ["title"]}
    ]});
    let got = env
        .patch("/v1.0/external/connections/wiki/schema", &schema)
        .await;
    assert_eq!(got.status, StatusCode::ACCEPTED);
    assert!(got.header("location").unwrap().contains("/operations/"));
}

#[tokio::test]
async fn forced_schema_failure() {
    let env = env().await;
    env.create_connection("contosohr", Some("people")).await;
    env.emu
        .faults()
        .fail_next_schema("ContosoHR", "Provisioning failed in the test");
    let op = env.register_schema("contosohr", &people_schema()).await;
    assert_eq!(op["status"], "failed");
    assert_eq!(op["error"]["message"], "Provisioning failed in the test");
    assert!(op["error"]["code"].is_string());
    let connection = env.get("/v1.0/external/connections/contosohr").await;
    assert_eq!(connection.body["state"], "draft");
    // The next attempt succeeds.
    let op = env.register_schema("contosohr", &people_schema()).await;
    assert_eq!(op["status"], "completed");
    assert_eq!(
        env.emu
            .inspect()
            .connection("contosohr")
            .unwrap()
            .operations,
        vec!["failed", "completed"]
    );
}

#[tokio::test]
async fn schema_validation_errors_are_synchronous_400s() {
    let env = env().await;
    env.create_connection("people", Some("people")).await;
    env.create_connection("wiki", None).await;
    let with = |properties: serde_json::Value| json!({"baseType": "microsoft.graph.externalItem", "properties": properties});
    let account = json!({"name": "account", "type": "string", "labels": ["personAccount"]});
    let cases = vec![
        // Collection(String) is not a propertyType (graph-api §12 #3).
        (
            "people",
            with(json!([account, {"name": "skills", "type": "Collection(String)"}])),
            Some("DeserializationError"),
        ),
        (
            "people",
            with(json!([account, {"name": "bad-name", "type": "string"}])),
            None,
        ),
        (
            "people",
            with(json!([account, {"name": "a23456789012345678901234567890123", "type": "string"}])),
            None,
        ),
        ("people", with(json!([])), None),
        (
            "people",
            json!({"baseType": "microsoft.graph.other", "properties": [account]}),
            None,
        ),
        ("people", json!({"properties": [account]}), None),
        // People: exactly one personAccount, no unsupported labels, no principal types.
        (
            "people",
            with(json!([{"name": "x", "type": "string"}])),
            None,
        ),
        (
            "people",
            with(
                json!([account, {"name": "other", "type": "string", "labels": ["personAccount"]}]),
            ),
            None,
        ),
        (
            "people",
            with(
                json!([account, {"name": "manager", "type": "string", "labels": ["personManager"]}]),
            ),
            None,
        ),
        (
            "people",
            with(json!([account, {"name": "owner", "type": "principal"}])),
            None,
        ),
        // Label type must match (personSkills is a stringCollection).
        (
            "people",
            with(
                json!([account, {"name": "skills", "type": "string", "labels": ["personSkills"]}]),
            ),
            None,
        ),
        // Unknown label.
        (
            "people",
            with(json!([account, {"name": "x", "type": "string", "labels": ["favouriteColour"]}])),
            Some("DeserializationError"),
        ),
        // Outside people connections a labelled property must be retrievable.
        (
            "wiki",
            with(json!([{"name": "title", "type": "string", "labels": ["title"]}])),
            None,
        ),
        // Searchable only on strings; never both searchable and refinable.
        (
            "wiki",
            with(json!([{"name": "n", "type": "int64", "isSearchable": true}])),
            None,
        ),
        (
            "wiki",
            with(
                json!([{"name": "t", "type": "string", "isSearchable": true, "isRefinable": "true"}]),
            ),
            None,
        ),
        (
            "wiki",
            with(json!([{"name": "t", "type": "string", "isQueryable": "yes"}])),
            None,
        ),
        // Duplicate names (case-insensitive).
        (
            "wiki",
            with(json!([{"name": "t", "type": "string"}, {"name": "T", "type": "int64"}])),
            None,
        ),
    ];
    for (connection, schema, inner) in cases {
        let got = env
            .patch(
                &format!("/v1.0/external/connections/{connection}/schema"),
                &schema,
            )
            .await;
        got.assert_error(400, "InvalidRequest");
        if let Some(inner) = inner {
            assert_eq!(got.body["error"]["innerError"]["code"], inner, "{schema}");
        }
    }
    // 129 properties is one too many; 128 is fine.
    let many: Vec<_> = (0..129)
        .map(|i| json!({"name": format!("p{i}"), "type": "string"}))
        .collect();
    env.patch("/v1.0/external/connections/wiki/schema", &with(json!(many)))
        .await
        .assert_error(400, "InvalidRequest");
    let op = env
        .register_schema("wiki", &with(json!(many[..128].to_vec())))
        .await;
    assert_eq!(op["status"], "completed");
    // Updates may add properties but not drop one.
    let mut fewer = many[..127].to_vec();
    fewer.push(json!({"name": "added", "type": "int64"}));
    env.patch(
        "/v1.0/external/connections/wiki/schema",
        &with(json!(fewer)),
    )
    .await
    .assert_error(400, "InvalidRequest");
    assert_eq!(env.emu.inspect().connection("wiki").unwrap().state, "ready");
}

#[tokio::test]
async fn people_schema_ignores_search_attributes() {
    let env = env().await;
    env.create_connection("hrpeople", Some("people")).await;
    // The docs' own example: labelled properties without isRetrievable are fine for people.
    let op = env.register_schema("hrpeople", &people_schema()).await;
    assert_eq!(op["status"], "completed");
}

/// A schema operation stays `inprogress` for the provisioning delay on the emulator's clock
/// (Microsoft documents 5 to 15 minutes) and carries no timestamp, as Graph's has none.
#[tokio::test]
async fn a_schema_operation_stays_in_progress_until_the_clock_passes_its_delay() {
    let mut config = raw::config();
    config.provisioning_delay_ms = 15 * 60 * 1000;
    let env = raw::env_with(config).await;
    env.create_connection("contosohr", Some("people")).await;
    let got = env
        .patch(
            "/v1.0/external/connections/contosohr/schema",
            &people_schema(),
        )
        .await;
    assert_eq!(got.status, StatusCode::ACCEPTED, "{}", got.text);
    let location = got.header("location").unwrap().to_owned();
    let path = location
        .strip_prefix(&env.emu.graph_url())
        .unwrap()
        .to_owned();
    env.emu
        .clock()
        .advance(std::time::Duration::from_secs(14 * 60));
    let op = env.get(&path).await.body;
    assert_eq!(op["status"], "inprogress");
    assert!(
        op.as_object()
            .unwrap()
            .keys()
            .all(|k| ["@odata.context", "id", "status", "error"].contains(&k.as_str())),
        "no time on an operation, as on Graph's: {op}"
    );
    assert_eq!(
        env.get("/v1.0/external/connections/contosohr").await.body["state"],
        "draft"
    );
    env.emu.clock().advance(std::time::Duration::from_secs(61));
    assert_eq!(env.get(&path).await.body["status"], "completed");
    assert_eq!(
        env.get("/v1.0/external/connections/contosohr").await.body["state"],
        "ready"
    );
}

/// With `deleted_connection_listed_ms`, a deleted connection is still listed (and readable) for
/// that while on the emulator's clock, a second DELETE is accepted, and creating the id again
/// replaces it; without it, a deleted connection is gone at once.
#[tokio::test]
async fn a_deleted_connection_can_stay_listed_for_a_while() {
    let mut config = raw::config();
    config.deleted_connection_listed_ms = 60 * 60 * 1000;
    // The test's one token outlives the clock's jumps.
    config.token_lifetime_s = 24 * 3600;
    let env = raw::env_with(config).await;
    env.ready_people_connection("contosohr").await;
    env.create_connection("wiki", None).await;
    let ids = |body: &Value| -> Vec<String> {
        body["value"]
            .as_array()
            .unwrap_or_else(|| panic!("a list: {body}"))
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let deleted = env.delete("/v1.0/external/connections/contosohr").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    env.emu
        .clock()
        .advance(std::time::Duration::from_secs(59 * 60));
    let listed = env.get("/v1.0/external/connections").await;
    assert_eq!(ids(&listed.body), ["contosohr", "wiki"]);
    let one = env.get("/v1.0/external/connections/contosohr").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["state"], "ready");
    // Its items went with it at once.
    env.put(
        "/v1.0/external/connections/contosohr/items/x1",
        &raw::people_item("admin@contoso.com", "Engineer"),
    )
    .await
    .assert_error(404, "ItemNotFound");
    assert_eq!(
        env.delete("/v1.0/external/connections/contosohr")
            .await
            .status,
        StatusCode::NO_CONTENT,
        "deleting it again is accepted"
    );
    env.emu.clock().advance(std::time::Duration::from_secs(61));
    assert_eq!(
        ids(&env.get("/v1.0/external/connections").await.body),
        ["wiki"]
    );
    env.delete("/v1.0/external/connections/contosohr")
        .await
        .assert_error(404, "ItemNotFound");

    // Created again while the old one is still listed: the new one is what is listed.
    env.delete("/v1.0/external/connections/wiki").await;
    let again = env.create_connection("wiki", Some("people")).await;
    assert_eq!(again.body["state"], "draft");
    let listed = env.get("/v1.0/external/connections").await;
    assert_eq!(ids(&listed.body), ["wiki"]);
    assert_eq!(listed.body["value"][0]["contentCategory"], "people");

    // The default: gone at once.
    let quick = raw::env().await;
    quick.create_connection("hrdata", None).await;
    quick.delete("/v1.0/external/connections/hrdata").await;
    assert_eq!(
        ids(&quick.get("/v1.0/external/connections").await.body),
        Vec::<String>::new()
    );
}
