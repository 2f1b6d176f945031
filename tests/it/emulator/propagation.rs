//! Emulator contract: accepted item data reaches profiles only after the propagation delay (each
//! item within 1 to 1.5 times it), an item written again shows its old value until then, a
//! deleted item keeps showing until then, and a deleted connection lingers for a while.

use std::time::Duration;

use crate::support::raw::{self, Env, people_item};
use reqwest::{Method, StatusCode};
use serde_json::json;

const ENTRA: &str = "4ce763dd-9214-4eff-af7c-da491cc3782d";
const SETTING: &str =
    "/v1.0/admin/people/profilePropertySettings/00000000-0000-0000-0000-000000000001";
const ITEM: &str = "/v1.0/external/connections/contosohr/items/admin_at_contoso_dot_com";
const DELAY: Duration = Duration::from_secs(60);

fn url_of(source_id: &str) -> String {
    format!("https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='{source_id}')")
}

/// An emulator with a 60 s propagation delay (moved by its clock, never waited for) and the
/// `contosohr` people connection registered first in precedence.
async fn delayed() -> Env {
    let mut config = raw::config();
    config.propagation_delay_ms = u64::try_from(DELAY.as_millis()).unwrap();
    config.deleted_connection_linger_ms = 120_000;
    let env = raw::env_with(config).await;
    env.ready_people_connection("contosohr").await;
    let source = env
        .post(
            "/v1.0/admin/people/profileSources",
            &json!({"sourceId": "contosohr", "displayName": "Contoso HR", "kind": "Workday",
                    "webUrl": "https://hr.contoso.com"}),
        )
        .await;
    assert_eq!(source.status, StatusCode::CREATED, "{}", source.text);
    let patched = env
        .patch(
            SETTING,
            &json!({"prioritizedSourceUrls": [url_of("contosohr"), url_of(ENTRA)]}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    env
}

/// The admin's job title as their profile shows it now.
async fn title(env: &Env) -> String {
    let token = env
        .emu
        .mint_user_token(env.emu.admin_upn(), &["User.Read.All"], 600)
        .expect("the admin exists");
    let got = env
        .call_as(
            &token,
            Method::GET,
            "/beta/users/admin@contoso.com/profile/positions",
            None,
            &[],
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    got.body["value"][0]["detail"]["jobTitle"]
        .as_str()
        .expect("a title")
        .to_owned()
}

#[tokio::test]
async fn an_item_shows_on_the_profile_only_after_the_propagation_delay() {
    let env = delayed().await;
    let entra_title = title(&env).await;
    let put = env
        .put(
            ITEM,
            &people_item("admin@contoso.com", "Chief People Officer"),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    // Landed (Graph serves the item) but not live.
    assert_eq!(env.get(ITEM).await.status, StatusCode::OK);
    assert_eq!(title(&env).await, entra_title);
    env.emu.clock().advance(Duration::from_secs(59));
    assert_eq!(title(&env).await, entra_title, "not before the delay");
    // The jitter keeps every item within one and a half delays.
    env.emu.clock().advance(DELAY / 2 + Duration::from_secs(1));
    assert_eq!(title(&env).await, "Chief People Officer");
}

#[tokio::test]
async fn a_rewritten_item_shows_its_old_value_until_the_new_one_is_live() {
    let env = delayed().await;
    env.put(ITEM, &people_item("admin@contoso.com", "Engineer"))
        .await;
    env.emu.clock().advance(DELAY * 2);
    assert_eq!(title(&env).await, "Engineer");
    let put = env
        .put(ITEM, &people_item("admin@contoso.com", "Senior Engineer"))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(title(&env).await, "Engineer", "stale until propagated");
    env.emu.clock().advance(DELAY * 2);
    assert_eq!(title(&env).await, "Senior Engineer");
}

#[tokio::test]
async fn a_deleted_item_keeps_showing_until_the_delete_propagates() {
    let env = delayed().await;
    let entra_title = title(&env).await;
    env.put(ITEM, &people_item("admin@contoso.com", "Engineer"))
        .await;
    env.emu.clock().advance(DELAY * 2);
    assert_eq!(title(&env).await, "Engineer");
    assert_eq!(env.delete(ITEM).await.status, StatusCode::NO_CONTENT);
    // Gone from the connection at once, still on the profile for a while.
    assert_eq!(env.get(ITEM).await.status, StatusCode::NOT_FOUND);
    assert_eq!(title(&env).await, "Engineer");
    env.emu.clock().advance(DELAY * 2);
    assert_eq!(title(&env).await, entra_title);
}

#[tokio::test]
async fn a_deleted_connection_lingers_on_profiles_then_fades() {
    let env = delayed().await;
    let entra_title = title(&env).await;
    env.put(ITEM, &people_item("admin@contoso.com", "Engineer"))
        .await;
    env.emu.clock().advance(DELAY * 2);
    assert_eq!(title(&env).await, "Engineer");
    let deleted = env.delete("/v1.0/external/connections/contosohr").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert_eq!(
        env.get("/v1.0/external/connections/contosohr").await.status,
        StatusCode::NOT_FOUND,
        "the connection itself is gone at once"
    );
    assert_eq!(title(&env).await, "Engineer", "its data lingers");
    env.emu.clock().advance(Duration::from_secs(121));
    assert_eq!(title(&env).await, entra_title);
}

#[tokio::test]
async fn without_a_delay_data_is_live_at_once() {
    let env = raw::env().await;
    env.ready_people_connection("contosohr").await;
    env.post(
        "/v1.0/admin/people/profileSources",
        &json!({"sourceId": "contosohr", "displayName": "Contoso HR", "kind": "Workday",
                "webUrl": "https://hr.contoso.com"}),
    )
    .await;
    env.patch(
        SETTING,
        &json!({"prioritizedSourceUrls": [url_of("contosohr"), url_of(ENTRA)]}),
    )
    .await;
    env.put(ITEM, &people_item("admin@contoso.com", "Engineer"))
        .await;
    assert_eq!(title(&env).await, "Engineer");
    env.delete(ITEM).await;
    assert_ne!(title(&env).await, "Engineer");
}
