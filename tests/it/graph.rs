//! The Graph client against the in-process emulator: every resource, the error decoding, the
//! retry policy (429 with Retry-After, 5xx backoff only when idempotent, lost answers), paging,
//! `$batch` with throttled inner requests, and sign-in failures.

use crate::support;

use std::time::Duration;

use futures::TryStreamExt;
use peoplectl::emulator::SeedKind;
use peoplectl::graph::batch::BatchRequest;
use peoplectl::graph::client::{Call, GraphClient};
use peoplectl::graph::connections::{
    ConnectionPatch, ConnectionState, NewConnection, OperationStatus, SchemaProperty, WireSchema,
};
use peoplectl::graph::items::{Acl, ExternalItem, ItemContent};
use peoplectl::graph::retry::RetryPolicy;
use peoplectl::graph::sources::{NewProfileSource, ProfileSourcePatch};
use peoplectl::graph::{ApiVersion, GraphError, TransportOptions, build_http_client};
use reqwest::Method;
use serde_json::json;
use support::env;

fn fast_retries(client: &GraphClient) -> GraphClient {
    client.with_retry(RetryPolicy {
        max_retries: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_secs(2),
    })
}

fn people_schema() -> WireSchema {
    WireSchema {
        base_type: "microsoft.graph.externalItem".into(),
        properties: vec![
            SchemaProperty {
                name: "accountInformation".into(),
                kind: "string".into(),
                labels: vec!["personAccount".into()],
                is_retrievable: Some(true),
                ..SchemaProperty::default()
            },
            SchemaProperty {
                name: "skills".into(),
                kind: "stringCollection".into(),
                labels: vec!["personSkills".into()],
                is_retrievable: Some(true),
                ..SchemaProperty::default()
            },
        ],
    }
}

fn new_connection(id: &str) -> NewConnection {
    NewConnection {
        id: id.into(),
        name: format!("{id} people"),
        description: "test".into(),
        content_category: Some("people".into()),
    }
}

fn person_item(tenant: &str, upn: &str) -> ExternalItem {
    let mut properties = serde_json::Map::new();
    properties.insert(
        "accountInformation".into(),
        json!(json!({"userPrincipalName": upn}).to_string()),
    );
    properties.insert("skills@odata.type".into(), json!("Collection(String)"));
    properties.insert(
        "skills".into(),
        json!([json!({"displayName": "Rust"}).to_string()]),
    );
    ExternalItem {
        id: None,
        acl: vec![Acl::everyone(tenant)],
        properties,
        content: Some(ItemContent {
            kind: "text".into(),
            value: "bio".into(),
        }),
    }
}

#[tokio::test]
async fn connections_schema_and_items_round_trip_with_graphs_status_codes() {
    let env = env(SeedKind::Empty).await;
    let c = &env.client;
    let created = c.create_connection(&new_connection("hrone")).await.unwrap();
    assert_eq!(created.state, ConnectionState::Draft);
    assert!(created.is_people());

    // A create that meets 409 for the same connection reads it back and accepts it.
    let again = c.create_connection(&new_connection("hrone")).await.unwrap();
    assert_eq!(again.id, "hrone");
    // ... but not someone else's connection of that id.
    let mut other = new_connection("hrone");
    other.name = "Someone else".into();
    assert!(c.create_connection(&other).await.unwrap_err().is_conflict());

    let bad = c
        .create_connection(&new_connection("bad-id"))
        .await
        .unwrap_err();
    assert_eq!(bad.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(bad.code(), Some("InvalidRequest"));

    // Items need a ready connection.
    let tenant = env.emu.tenant_id().to_owned();
    let early = c
        .put_item("hrone", "p1", &person_item(&tenant, "a@contoso.com"))
        .await
        .unwrap_err();
    assert!(
        early.status().is_some_and(|s| s.is_client_error()),
        "{early}"
    );

    let op = c.patch_schema("hrone", &people_schema()).await.unwrap();
    assert!(op.location.contains("/operations/"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while c.get_operation(&op).await.unwrap().status != OperationStatus::Completed {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let conn = c.get_connection("hrone", ApiVersion::Beta).await.unwrap();
    assert_eq!(conn.state, ConnectionState::Ready);
    let schema = c.get_schema("hrone").await.unwrap();
    assert_eq!(schema.properties.len(), 2);
    assert_eq!(
        schema.properties[0].labels,
        ["personAccount"],
        "labels are not masked"
    );

    let item = person_item(&tenant, "a@contoso.com");
    c.put_item("hrone", "p1", &item).await.unwrap();
    let back = c.get_item("hrone", "p1").await.unwrap().unwrap();
    assert_eq!(back.properties["skills"], item.properties["skills"]);
    let conn = c.get_connection("hrone", ApiVersion::Beta).await.unwrap();
    assert_eq!(conn.ingested_items_count, Some(1));
    c.delete_item("hrone", "p1").await.unwrap();
    assert!(c.get_item("hrone", "p1").await.unwrap().is_none());
    c.delete_item("hrone", "p1").await.unwrap(); // already gone counts as deleted

    c.update_connection(
        "hrone",
        &ConnectionPatch {
            name: Some("Renamed".into()),
            description: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        c.get_connection("hrone", ApiVersion::V1)
            .await
            .unwrap()
            .name,
        "Renamed"
    );
    c.delete_connection("hrone").await.unwrap();
    assert!(
        c.find_connection("hrone", ApiVersion::V1)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn profile_sources_and_the_precedence_setting() {
    let env = env(SeedKind::Empty).await;
    let c = &env.client;
    let sources = c.list_profile_sources().await.unwrap();
    assert!(
        sources
            .iter()
            .any(|s| s.source_id == "4ce763dd-9214-4eff-af7c-da491cc3782d")
    );

    let new = NewProfileSource {
        source_id: "o'hr".into(),
        display_name: "Quoted HR".into(),
        kind: None,
        web_url: "https://hr.contoso.com".into(),
    };
    c.create_profile_source(&new).await.unwrap();
    // Quote doubling in the alternate key reaches the same source.
    let found = c.find_profile_source("o'hr").await.unwrap().unwrap();
    assert_eq!(found.display_name.as_deref(), Some("Quoted HR"));
    let updated = c
        .update_profile_source(
            "o'hr",
            &ProfileSourcePatch {
                display_name: Some("Renamed".into()),
                ..ProfileSourcePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.display_name.as_deref(), Some("Renamed"));
    let http = NewProfileSource {
        source_id: "plain".into(),
        display_name: "x".into(),
        kind: None,
        web_url: "http://plain".into(),
    };
    assert_eq!(
        c.create_profile_source(&http)
            .await
            .unwrap_err()
            .status()
            .map(|s| s.as_u16()),
        Some(400)
    );

    let setting = c.precedence_setting().await.unwrap().unwrap();
    assert_eq!(setting.prioritized_source_urls.len(), 1);
    let hr =
        "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='o''hr')".to_owned();
    // Graph appends Entra ID to a list that lacks it.
    let written = c
        .update_precedence(&setting.id, std::slice::from_ref(&hr))
        .await
        .unwrap();
    assert_eq!(written.prioritized_source_urls.len(), 2);
    assert_eq!(written.prioritized_source_urls[0], hr);
    assert!(written.prioritized_source_urls[1].contains("4ce763dd"));
    // Deleting a setting that still ranks a connector is refused with a Graph error.
    let refused = c
        .delete_profile_property_setting(&setting.id)
        .await
        .unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400));
    assert!(!refused.to_string().is_empty());
    c.delete_profile_source("o'hr").await.unwrap_err(); // still ranked: refused by the emulator's guard
    c.update_precedence(&setting.id, &[written.prioritized_source_urls[1].clone()])
        .await
        .unwrap();
    c.delete_profile_source("o'hr").await.unwrap();
    assert!(c.find_profile_source("o'hr").await.unwrap().is_none());
}

#[tokio::test]
async fn users_page_to_the_end_and_lookups_find_or_miss() {
    let env = env(SeedKind::Demo).await;
    let c = &env.client;
    let users = c.list_users().await.unwrap();
    assert_eq!(users.len(), env.emu.inspect().users_count());
    assert!(users.len() >= 300);

    // Small pages: the client follows every nextLink.
    let pages: Vec<Vec<peoplectl::graph::users::UserKey>> = c
        .user_pages("id,userPrincipalName", 100)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), users.len().div_ceil(100));
    assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), users.len());

    let alex = c
        .find_user("alex.wilber@contoso.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alex.job_title.as_deref(), Some("Software Engineer"));
    assert!(c.find_user("nobody@contoso.com").await.unwrap().is_none());
    let manager = c.find_manager("alex.wilber@contoso.com").await.unwrap();
    assert!(manager.is_some());
}

#[tokio::test]
async fn batch_answers_in_order_and_resubmits_throttled_or_failed_inner_requests() {
    let env = env(SeedKind::Demo).await;
    let c = fast_retries(&env.client);
    let upns: Vec<String> = c
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .take(45)
        .map(|u| u.user_principal_name)
        .collect();
    let mut requests: Vec<BatchRequest> = upns
        .iter()
        .enumerate()
        .map(|(i, upn)| BatchRequest::from_call(i.to_string(), &GraphClient::user_by_upn_call(upn)))
        .collect();
    requests.push(BatchRequest::from_call(
        "missing",
        &GraphClient::user_by_upn_call("nobody@contoso.com"),
    ));
    // Two inner lookups are throttled once each, one meets a passing outage: the helper waits
    // and resends them.
    env.emu.faults().add_rule(
        peoplectl::emulator::FaultRule::new("GET", "/v1.0/users")
            .times(2)
            .status(429)
            .retry_after(1),
    );
    env.emu.faults().add_rule(
        peoplectl::emulator::FaultRule::new("GET", "/v1.0/users")
            .times(1)
            .status(503),
    );
    let answers = c.batch(ApiVersion::V1, requests).await.unwrap();
    assert_eq!(answers.len(), 46);
    for (i, (answer, upn)) in answers.iter().zip(&upns).enumerate() {
        assert_eq!(answer.id, i.to_string());
        assert_eq!(answer.status, 200, "{answer:?}");
        let body = answer.body.as_ref().unwrap();
        assert_eq!(
            body["value"][0]["userPrincipalName"].as_str(),
            Some(upn.as_str())
        );
    }
    assert_eq!(answers[45].body.as_ref().unwrap()["value"], json!([]));
    assert_eq!(
        env.emu.faults().pending_rules(),
        0,
        "the throttled requests were sent"
    );
}

#[tokio::test]
async fn retries_follow_the_policy() {
    let env = env(SeedKind::Demo).await;
    let c = fast_retries(&env.client);

    // 503 on a read: retried until it succeeds.
    env.emu
        .faults()
        .fail_next("GET", "/v1.0/external/connections", 2, 503);
    let before = c.stats().retries();
    assert_eq!(c.list_connections(ApiVersion::V1).await.unwrap().len(), 4);
    assert_eq!(c.stats().retries() - before, 2);

    // 429 honours Retry-After (1 s) and is retried even for a create.
    env.emu.faults().add_rule(
        peoplectl::emulator::FaultRule::new("POST", "/v1.0/admin/people/profileSources")
            .status(429)
            .retry_after(1),
    );
    let started = std::time::Instant::now();
    c.create_profile_source(&NewProfileSource {
        source_id: "throttled".into(),
        display_name: "T".into(),
        kind: None,
        web_url: "https://t.contoso.com".into(),
    })
    .await
    .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );
    assert!(c.stats().throttled() >= 1);

    // 500 is not retried.
    env.emu
        .faults()
        .fail_next("GET", "/v1.0/external/connections/contosohr", 1, 500);
    let err = c
        .get_connection("contosohr", ApiVersion::V1)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert!(err.to_string().contains("request-id"), "{err}");

    // A dropped connection on an idempotent call is retried.
    env.emu
        .faults()
        .drop_next("GET", "/v1.0/external/connections/contosohr", 1);
    assert!(c.get_connection("contosohr", ApiVersion::V1).await.is_ok());

    // A POST whose connection drops is not resent blindly.
    env.emu.faults().drop_next("POST", "/v1.0/$batch", 1);
    let call = Call::new("batch", Method::POST, ApiVersion::V1, "/$batch")
        .json(&json!({"requests": []}))
        .idempotent(false);
    assert!(matches!(
        c.send(&call).await.unwrap_err(),
        GraphError::Transport { .. }
    ));
}

#[tokio::test]
async fn app_only_tokens_are_refused_on_the_profile_api_with_the_permission_named() {
    let env = env(SeedKind::Demo).await;
    let err = env
        .client
        .get_profile("alex.wilber@contoso.com")
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert!(err.to_string().contains("delegated"), "{err}");
}

#[tokio::test]
async fn a_wrong_secret_fails_sign_in_without_echoing_it() {
    let env = env(SeedKind::Empty).await;
    let http = build_http_client(&TransportOptions {
        ca_cert_pem: Some(env.emu.ca_cert_pem().as_bytes().to_vec()),
        no_proxy: true,
        timeout: None,
        connect_timeout: None,
    })
    .unwrap();
    let wrong = "not-the-secret-Zq9";
    let credential = peoplectl::auth::client_secret_credential(
        env.emu.tenant_id(),
        env.emu.client_id(),
        wrong.into(),
        &env.emu.authority_url(),
        http.clone(),
    )
    .unwrap();
    let client = GraphClient::new(http, &env.emu.graph_url(), credential).unwrap();
    let err = client.list_connections(ApiVersion::V1).await.unwrap_err();
    assert!(matches!(err, GraphError::Auth { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains(wrong), "the secret leaked: {text}");
    assert!(text.contains("AADSTS"), "Entra's reason is kept: {text}");
}

#[tokio::test]
async fn an_untrusted_server_certificate_is_refused() {
    let env = env(SeedKind::Empty).await;
    // No extra root: the emulator's self-made CA is not trusted.
    let http = build_http_client(&TransportOptions {
        ca_cert_pem: None,
        no_proxy: true,
        timeout: Some(Duration::from_secs(5)),
        connect_timeout: None,
    })
    .unwrap();
    let credential = peoplectl::auth::client_secret_credential(
        env.emu.tenant_id(),
        env.emu.client_id(),
        env.emu.client_secret().into(),
        &env.emu.authority_url(),
        http.clone(),
    )
    .unwrap();
    let client = GraphClient::new(http, &env.emu.graph_url(), credential).unwrap();
    assert!(client.list_connections(ApiVersion::V1).await.is_err());
}
