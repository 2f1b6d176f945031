//! Emulator contract: external items (graph-api §3, §4.3).

use crate::support::raw;

use raw::{env, env_with, people_item};
use reqwest::StatusCode;
use serde_json::json;

const ITEM: &str = "/v1.0/external/connections/contosohr/items/adminx_at_contoso_dot_com";

#[tokio::test]
async fn items_need_a_ready_connection() {
    let env = env().await;
    env.create_connection("contosohr", Some("people")).await;
    env.put(ITEM, &people_item("admin@contoso.com", "Admin"))
        .await
        .assert_error(400, "InvalidRequest");
    env.put(
        "/v1.0/external/connections/nothere/items/x",
        &people_item("admin@contoso.com", "Admin"),
    )
    .await
    .assert_error(404, "ItemNotFound");
}

#[tokio::test]
async fn put_get_delete() {
    let env = env().await;
    env.ready_people_connection("contosohr").await;
    let got = env
        .put(ITEM, &people_item("admin@contoso.com", "Admin"))
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert!(got.text.is_empty());

    let got = env.get(ITEM).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["id"], "adminx_at_contoso_dot_com");
    assert_eq!(got.body["acl"][0]["type"], "everyone");
    assert_eq!(got.body["properties"]["requisitionId"], "REQ-1");
    assert_eq!(got.body["content"]["type"], "text");
    assert_eq!(
        env.emu
            .inspect()
            .item_contributor("contosohr", "adminx_at_contoso_dot_com")
            .as_deref(),
        Some("a0d1e2f3-0000-4000-8000-00000000ad01")
    );
    let beta = env.get("/beta/external/connections/contosohr").await;
    assert_eq!(beta.body["ingestedItemsCount"], 1);

    // PUT replaces the whole item.
    let mut replacement = people_item("admin@contoso.com", "Boss");
    replacement["properties"]
        .as_object_mut()
        .unwrap()
        .remove("requisitionId");
    let got = env.put(ITEM, &replacement).await;
    assert_eq!(got.status, StatusCode::OK);
    let got = env.get(ITEM).await;
    assert!(got.body["properties"].get("requisitionId").is_none());

    assert_eq!(env.delete(ITEM).await.status, StatusCode::NO_CONTENT);
    env.get(ITEM).await.assert_error(404, "ItemNotFound");
    env.delete(ITEM).await.assert_error(404, "ItemNotFound");
    assert_eq!(env.emu.inspect().item_count("contosohr"), 0);

    // Deleting the connection takes its items along.
    env.put(ITEM, &people_item("admin@contoso.com", "Admin"))
        .await;
    assert_eq!(env.emu.inspect().item_count("contosohr"), 1);
    env.delete("/v1.0/external/connections/contosohr").await;
    assert!(env.emu.inspect().item_ids("contosohr").is_empty());
}

#[tokio::test]
async fn item_payload_rules() {
    let env = env().await;
    env.ready_people_connection("contosohr").await;
    let base = people_item("admin@contoso.com", "Admin");
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut body = base.clone();
        edit(&mut body);
        body
    };

    // content must be an object {type, value} (graph-api §12 #4).
    let got = env
        .put(ITEM, &with(&|b| b["content"] = json!("plain text")))
        .await;
    got.assert_error(400, "BadRequest");
    assert_eq!(
        got.body["error"]["message"],
        "Property content in payload has a value that does not match schema."
    );
    // acl and properties are required and non-empty.
    for edit in [
        &(|b: &mut serde_json::Value| b["acl"] = json!([])) as &dyn Fn(&mut serde_json::Value),
        &|b| {
            b.as_object_mut().unwrap().remove("acl");
        },
        &|b| b["properties"] = json!({}),
        &|b| {
            b.as_object_mut().unwrap().remove("properties");
        },
        // Properties must be in the schema and of its types.
        &|b| b["properties"]["unknown"] = json!("x"),
        &|b| b["properties"]["level"] = json!("seven"),
        &|b| b["properties"]["level"] = json!(7.5),
        // Collections need their annotation.
        &|b| {
            b["properties"]
                .as_object_mut()
                .unwrap()
                .remove("skills@odata.type");
        },
        &|b| b["properties"]["skills"] = json!("not an array"),
        // Collection(DateTime) must be sent as Collection(DateTimeOffset).
        &|b| {
            b["properties"]["reviewDates@odata.type"] = json!("Collection(DateTime)");
            b["properties"]["reviewDates"] = json!(["2026-01-01T00:00:00Z"]);
        },
        &|b| {
            b["properties"]["reviewDates@odata.type"] = json!("Collection(DateTimeOffset)");
            b["properties"]["reviewDates"] = json!(["yesterday"]);
        },
        &|b| b["unexpected"] = json!(1),
        &|b| b["id"] = json!("another"),
    ] {
        let body = with(edit);
        let got = env.put(ITEM, &body).await;
        got.assert_error(400, "BadRequest");
    }
    // A valid date collection and an integer pass.
    let got = env
        .put(
            ITEM,
            &with(&|b| {
                b["properties"]["reviewDates@odata.type"] = json!("#Collection(DateTimeOffset)");
                b["properties"]["reviewDates"] = json!(["2026-01-01T00:00:00Z"]);
                b["properties"]["level"] = json!(7);
            }),
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);

    // Item ids: ≤128 of [A-Za-z0-9_].
    for bad in ["a-b", "a.b", &"x".repeat(129)] {
        env.put(
            &format!("/v1.0/external/connections/contosohr/items/{bad}"),
            &base,
        )
        .await
        .assert_error(400, "InvalidRequest");
    }
    let got = env
        .put(
            &format!(
                "/v1.0/external/connections/contosohr/items/{}",
                "x".repeat(128)
            ),
            &base,
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);

    // People items must grant everyone (UNCONFIRMED: chosen strict).
    let got = env
        .put(
            ITEM,
            &with(&|b| {
                b["acl"] = json!([{"type": "user", "value": "a0d1e2f3-0000-4000-8000-00000000ad01", "accessType": "grant"}]);
            }),
        )
        .await;
    got.assert_error(400, "InvalidRequest");
}

#[tokio::test]
async fn people_values_that_do_not_resolve_are_accepted_and_ignored() {
    let env = env().await;
    env.ready_people_connection("contosohr").await;
    let inspect = env.emu.inspect();
    // Invalid JSON in a labelled property: accepted by the API, ignored for the profile.
    let mut body = people_item("admin@contoso.com", "Admin");
    body["properties"]["accountInformation"] = json!("{not json");
    let got = env
        .put("/v1.0/external/connections/contosohr/items/bad", &body)
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(inspect.item_contributor("contosohr", "bad"), None);
    // Unknown accounts too.
    let got = env
        .put(
            "/v1.0/external/connections/contosohr/items/gone",
            &people_item("gone@contoso.com", "Ghost"),
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(inspect.item_contributor("contosohr", "gone"), None);
    // Resolution by externalDirectoryObjectId works.
    let mut body = people_item("x@y", "Admin");
    body["properties"]["accountInformation"] = json!(
        json!({"externalDirectoryObjectId": "a0d1e2f3-0000-4000-8000-00000000ad01"}).to_string()
    );
    env.put("/v1.0/external/connections/contosohr/items/byoid", &body)
        .await;
    assert!(inspect.item_contributor("contosohr", "byoid").is_some());
    assert_eq!(inspect.item_count("contosohr"), 3);
}

#[tokio::test]
async fn body_size_limit() {
    let mut config = raw::config();
    config.max_item_bytes = 2048;
    let env = env_with(config).await;
    env.ready_people_connection("contosohr").await;
    let mut body = people_item("admin@contoso.com", "Admin");
    body["content"]["value"] = json!("x".repeat(4096));
    env.put(ITEM, &body)
        .await
        .assert_error(413, "RequestEntityTooLarge");
    assert_eq!(env.emu.inspect().item_count("contosohr"), 0);
}

#[tokio::test]
async fn non_people_connections_take_any_acl() {
    let env = env().await;
    env.create_connection("wiki", Some("knowledgeBase")).await;
    let schema = json!({"baseType": "microsoft.graph.externalItem", "properties": [
        {"name": "title", "type": "string", "isSearchable": true, "isRetrievable": true, "labels": ["title"]},
        {"name": "tags", "type": "stringCollection", "isRetrievable": true}
    ]});
    assert_eq!(
        env.register_schema("wiki", &schema).await["status"],
        "completed"
    );
    let item = json!({
        "acl": [{"type": "group", "value": "g1", "accessType": "grant"},
                {"type": "user", "value": "u1", "accessType": "deny"}],
        "properties": {"title": "Page", "tags@odata.type": "Collection(String)", "tags": ["a", "b"]},
        "content": {"type": "html", "value": "<p>hi</p>"}
    });
    let got = env
        .put("/v1.0/external/connections/wiki/items/page1", &item)
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    // An unknown ACL type is not.
    let mut bad = item.clone();
    bad["acl"][0]["type"] = json!("department");
    env.put("/v1.0/external/connections/wiki/items/page2", &bad)
        .await
        .assert_error(400, "BadRequest");
}
