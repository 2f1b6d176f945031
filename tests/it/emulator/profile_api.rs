//! The profile API's own writes (the `user` source) and the OData options on its collections.

use crate::support::raw::{Env, env};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "admin@contoso.com";

fn token(env: &Env, scopes: &[&str]) -> String {
    env.emu.mint_user_token(ADMIN, scopes, 600).expect("admin")
}

async fn call(
    env: &Env,
    token: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> crate::support::raw::Got {
    env.call_as(token, method, path, body, &[]).await
}

#[tokio::test]
async fn writes_are_the_user_source_and_only_it_can_change() {
    let env = env().await;
    let write = token(&env, &["User.ReadWrite"]);
    let created = call(
        &env,
        &write,
        Method::POST,
        "/beta/me/profile/skills",
        Some(&json!({"displayName": "Rust", "proficiency": "expert"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["source"]["type"], json!(["user"]));
    assert_eq!(created.body["displayName"], "Rust");
    assert_eq!(created.body["webUrl"], Value::Null, "declared, unset: null");
    let id = created.body["id"].as_str().expect("id").to_owned();

    let patched = call(
        &env,
        &write,
        Method::PATCH,
        &format!("/beta/me/profile/skills/{id}"),
        Some(&json!({"proficiency": "advancedProfessional"})),
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.body["proficiency"], "advancedProfessional");
    assert_eq!(patched.body["displayName"], "Rust", "PATCH keeps the rest");

    // Entra's entries are not the user source's to change.
    let read = token(&env, &["User.Read"]);
    let emails = call(&env, &read, Method::GET, "/beta/me/profile/emails", None).await;
    let entra_email = emails.body["value"][0]["id"].as_str().expect("an email");
    call(
        &env,
        &write,
        Method::DELETE,
        &format!("/beta/me/profile/emails/{entra_email}"),
        None,
    )
    .await
    .assert_error(403, "accessDenied");
    call(
        &env,
        &write,
        Method::DELETE,
        "/beta/me/profile/skills/nope",
        None,
    )
    .await
    .assert_error(404, "itemNotFound");
    // Undeclared members, app-only tokens and read-only scopes are refused.
    call(
        &env,
        &write,
        Method::POST,
        "/beta/me/profile/skills",
        Some(&json!({"displayName": "Go", "hobby": true})),
    )
    .await
    .assert_error(400, "BadRequest");
    env.post(
        "/beta/users/admin@contoso.com/profile/skills",
        &json!({"displayName": "Go"}),
    )
    .await
    .assert_error(403, "accessDenied");
    call(
        &env,
        &read,
        Method::POST,
        "/beta/me/profile/skills",
        Some(&json!({"displayName": "Go"})),
    )
    .await
    .assert_error(403, "accessDenied");

    let deleted = call(
        &env,
        &write,
        Method::DELETE,
        &format!("/beta/me/profile/skills/{id}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let skills = call(&env, &read, Method::GET, "/beta/me/profile/skills", None).await;
    assert_eq!(skills.body["value"], json!([]));
}

#[tokio::test]
async fn collections_answer_select_filter_and_top() {
    let env = env().await;
    let write = token(&env, &["User.ReadWrite"]);
    for (number, kind) in [
        ("+1 555 0100", "mobile"),
        ("+1 555 0199", "business"),
        ("+1 555 0142", "mobile"),
    ] {
        let got = call(
            &env,
            &write,
            Method::POST,
            "/beta/me/profile/phones",
            Some(&json!({"number": number, "type": kind})),
        )
        .await;
        assert_eq!(got.status, StatusCode::CREATED, "{}", got.text);
    }
    let get = |query: &'static str| {
        let env = &env;
        let write = &write;
        async move {
            call(
                env,
                write,
                Method::GET,
                &format!("/beta/me/profile/phones?{query}"),
                None,
            )
            .await
        }
    };
    let mobile = get("$filter=type eq 'mobile'").await;
    assert_eq!(mobile.status, StatusCode::OK, "{}", mobile.text);
    let numbers: Vec<&str> = mobile.body["value"]
        .as_array()
        .expect("value")
        .iter()
        .filter_map(|p| p["number"].as_str())
        .collect();
    assert_eq!(numbers, ["+1 555 0100", "+1 555 0142"]);

    let selected = get("$select=number").await;
    let first = selected.body["value"][0].as_object().expect("an object");
    assert_eq!(first.keys().collect::<Vec<_>>(), ["number"]);

    let top = get("$top=1").await;
    assert_eq!(top.body["value"].as_array().map(Vec::len), Some(1));
    let next = top.body["@odata.nextLink"].as_str().expect("a next link");
    let rest = call(
        &env,
        &write,
        Method::GET,
        next.strip_prefix(&env.emu.graph_url()).expect("same host"),
        None,
    )
    .await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.text);
    assert!(!rest.body["value"].as_array().expect("value").is_empty());

    for bad in [
        "$orderby=number",
        "$filter=colour eq 'red'",
        "$select=colour",
        "$expand=x",
        "$filter=type gt 'a'",
    ] {
        get(bad).await.assert_error(400, "BadRequest");
    }
}

#[tokio::test]
async fn every_declared_property_is_served() {
    let env = env().await;
    let read = token(&env, &["User.Read"]);
    let me = call(&env, &read, Method::GET, "/beta/me/profile", None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let name = me.body["names"][0].as_object().expect("a name");
    for member in [
        "maiden",
        "middle",
        "nickname",
        "pronunciation",
        "languageTag",
    ] {
        assert_eq!(name.get(member), Some(&Value::Null), "{member}");
    }
    let account = me.body["account"][0].as_object().expect("an account");
    for member in ["ageGroup", "originTenantInfo", "userPersona"] {
        assert!(account.contains_key(member), "{member}");
    }
    let position = me.body["positions"][0].as_object().expect("a position");
    assert_eq!(position.get("categories"), Some(&Value::Null));
    assert_eq!(position.get("colleagues"), Some(&Value::Null));
}
