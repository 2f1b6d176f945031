//! Paging where Graph pages: connections, profile sources and users answer `$top` and
//! `@odata.nextLink`, and the client's list calls follow the links to every object when the
//! emulator's default page size is 2.

use std::collections::BTreeSet;

use futures::TryStreamExt;
use peoplectl::emulator::SeedKind;
use peoplectl::graph::ApiVersion;
use serde_json::Value;

use crate::support::{self, raw};

#[tokio::test]
async fn the_clients_lists_follow_every_page() {
    let mut config = support::config(SeedKind::Demo);
    config.page_size = Some(2);
    let env = support::env_with(config).await;
    let inspect = env.emu.inspect();

    for version in [ApiVersion::V1, ApiVersion::Beta] {
        let listed: BTreeSet<String> = env
            .client
            .list_connections(version)
            .await
            .expect("lists connections")
            .into_iter()
            .map(|c| c.id)
            .collect();
        let held: BTreeSet<String> = inspect.connections().into_iter().map(|c| c.id).collect();
        assert!(held.len() > 2, "more than one page: {held:?}");
        assert_eq!(listed, held, "{version:?}");
    }

    let listed: BTreeSet<String> = env
        .client
        .list_profile_sources()
        .await
        .expect("lists sources")
        .into_iter()
        .map(|s| s.source_id)
        .collect();
    let held: BTreeSet<String> = inspect.sources().into_iter().map(|s| s.source_id).collect();
    assert!(held.len() > 2, "more than one page: {held:?}");
    assert_eq!(listed, held);

    let pages = env.client.user_pages::<Value>("id,userPrincipalName", 2);
    let pages: Vec<Vec<Value>> = pages.try_collect().await.expect("lists users");
    assert!(pages.iter().all(|p| p.len() <= 2));
    let upns: BTreeSet<&str> = pages
        .iter()
        .flatten()
        .filter_map(|u| u["userPrincipalName"].as_str())
        .collect();
    assert_eq!(upns.len(), 318, "every demo account, once");
}

#[tokio::test]
async fn top_and_next_links_on_connections_and_sources() {
    let env = raw::env().await;
    for id in ["pageone", "pagetwo", "pagethree"] {
        env.create_connection(id, None).await;
        let got = env
            .post(
                "/v1.0/admin/people/profileSources",
                &serde_json::json!({"sourceId": id, "displayName": id, "webUrl": "https://hr.contoso.com"}),
            )
            .await;
        assert_eq!(got.status, 201, "{}", got.text);
    }
    for path in [
        "/v1.0/external/connections",
        "/beta/admin/people/profileSources",
    ] {
        let first = env.get(&format!("{path}?$top=2")).await;
        assert_eq!(first.status, 200, "{}", first.text);
        assert_eq!(first.body["value"].as_array().map(Vec::len), Some(2));
        let next = first.body["@odata.nextLink"].as_str().expect("a next link");
        assert!(next.contains("top=2"), "the options carry over: {next}");
        let rest = env
            .get(next.strip_prefix(&env.emu.graph_url()).expect("same host"))
            .await;
        assert!(!rest.body["value"].as_array().expect("value").is_empty());
        env.get(&format!("{path}?$top=0"))
            .await
            .assert_error(400, "BadRequest");
        env.get(&format!("{path}?$orderby=id"))
            .await
            .assert_error(400, "BadRequest");
    }
}
