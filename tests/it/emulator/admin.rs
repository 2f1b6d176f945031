//! Emulator contract: profile sources and profile property settings (graph-api §5, §6).

use crate::support::raw;

use raw::env;
use reqwest::{Method, StatusCode};
use serde_json::json;

const ENTRA: &str = "4ce763dd-9214-4eff-af7c-da491cc3782d";
const SOURCES: &str = "/v1.0/admin/people/profileSources";
const SETTINGS: &str = "/v1.0/admin/people/profilePropertySettings";

fn entra_url() -> String {
    format!("https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='{ENTRA}')")
}

fn url_of(source_id: &str) -> String {
    format!(
        "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='{}')",
        source_id.replace('\'', "''")
    )
}

#[tokio::test]
async fn sources_list_includes_the_built_ins() {
    let env = env().await;
    let got = env.get(SOURCES).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(
        got.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#admin/people/profileSources")
    );
    let value = got.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 2);
    assert_eq!(value[0]["sourceId"], ENTRA);
    assert_eq!(value[0]["kind"], "MSEntra");
    assert_eq!(value[0]["webUrl"], "https://login.microsoftonline.com");
    assert!(value[0]["localizations"].is_array());
    assert_eq!(value[1]["sourceId"], "7986c642-b494-4140-8df4-f5ed125e2c67");

    let filtered = env
        .get(&format!(
            "{SOURCES}?$filter=sourceId eq '{ENTRA}'&$select=sourceId,displayName"
        ))
        .await;
    let value = filtered.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].as_object().unwrap().len(), 2);
    env.get(&format!("{SOURCES}?$filter=nonsense gt 3"))
        .await
        .assert_error(400, "invalidRequest");
}

#[tokio::test]
async fn source_crud_by_alternate_key_and_id() {
    let env = env().await;
    let created = env
        .post(
            SOURCES,
            &json!({"sourceId": "contosohr", "displayName": "Contoso HR", "kind": "Workday",
                    "webUrl": "https://hr.contoso.com", "ignoredField": 1}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["sourceId"], "contosohr");
    assert_eq!(created.body["localizations"], json!([]));
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);

    // Duplicate sourceId (UNCONFIRMED: 409).
    env.post(
        SOURCES,
        &json!({"sourceId": "ContosoHR", "webUrl": "https://hr.contoso.com"}),
    )
    .await
    .assert_error(409, "nameAlreadyExists");
    // sourceId required; webUrl must be HTTPS.
    env.post(SOURCES, &json!({"webUrl": "https://x.contoso.com"}))
        .await
        .assert_error(400, "invalidRequest");
    env.post(
        SOURCES,
        &json!({"sourceId": "plain", "webUrl": "http://x.contoso.com"}),
    )
    .await
    .assert_error(400, "invalidRequest");

    let by_key = env.get(&format!("{SOURCES}(sourceId='contosohr')")).await;
    assert_eq!(by_key.status, StatusCode::OK);
    assert_eq!(by_key.body["id"], id.as_str());
    // Percent-encoded quotes and parentheses work too, and by GUID.
    let encoded = env
        .get("/v1.0/admin/people/profileSources%28sourceId%3D%27contosohr%27%29")
        .await;
    assert_eq!(encoded.body["sourceId"], "contosohr");
    let by_id = env.get(&format!("{SOURCES}/{id}")).await;
    assert_eq!(by_id.body["sourceId"], "contosohr");

    let patched = env
        .patch(
            &format!("{SOURCES}(sourceId='contosohr')"),
            &json!({"displayName": "Contoso HR (Workday)"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.body["displayName"], "Contoso HR (Workday)");
    assert_eq!(patched.body["webUrl"], "https://hr.contoso.com");
    env.patch(
        &format!("{SOURCES}(sourceId='contosohr')"),
        &json!({"webUrl": "ftp://nope"}),
    )
    .await
    .assert_error(400, "invalidRequest");

    let deleted = env
        .delete(&format!("{SOURCES}(sourceId='contosohr')"))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    env.get(&format!("{SOURCES}(sourceId='contosohr')"))
        .await
        .assert_error(404, "itemNotFound");
    env.get(&format!("{SOURCES}/{id}"))
        .await
        .assert_error(404, "itemNotFound");
}

#[tokio::test]
async fn source_ids_with_quotes_round_trip() {
    let env = env().await;
    let created = env
        .post(
            SOURCES,
            &json!({"sourceId": "o'neil", "webUrl": "https://o.contoso.com"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    // The OData literal doubles the quote; %27 is a quote too.
    let got = env.get(&format!("{SOURCES}(sourceId='o''neil')")).await;
    assert_eq!(got.body["sourceId"], "o'neil");
    let got = env
        .get(&format!("{SOURCES}(sourceId=%27o%27%27neil%27)"))
        .await;
    assert_eq!(got.body["sourceId"], "o'neil");
    // A lone quote inside the literal is malformed.
    env.get(&format!("{SOURCES}(sourceId='o'neil')"))
        .await
        .assert_error(400, "invalidRequest");
    let filtered = env
        .get(&format!("{SOURCES}?$filter=sourceId eq 'o''neil'"))
        .await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn built_in_and_prioritized_sources_cannot_be_deleted() {
    let env = env().await;
    env.delete(&format!("{SOURCES}(sourceId='{ENTRA}')"))
        .await
        .assert_error(400, "invalidRequest");
    env.post(
        SOURCES,
        &json!({"sourceId": "contosohr", "webUrl": "https://hr.contoso.com"}),
    )
    .await;
    let setting_id = "00000000-0000-0000-0000-000000000001";
    env.patch(
        &format!("{SETTINGS}/{setting_id}"),
        &json!({"prioritizedSourceUrls": [url_of("contosohr"), entra_url()]}),
    )
    .await;
    // Still ranked: refused (chosen; configurable) until precedence no longer names it.
    env.delete(&format!("{SOURCES}(sourceId='contosohr')"))
        .await
        .assert_error(400, "invalidRequest");
    env.patch(
        &format!("{SETTINGS}/{setting_id}"),
        &json!({"prioritizedSourceUrls": [entra_url()]}),
    )
    .await;
    let got = env
        .delete(&format!("{SOURCES}(sourceId='contosohr')"))
        .await;
    assert_eq!(got.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn settings_examples() {
    let env = env().await;
    // List: the one nameless setting holding only Entra.
    let list = env.get(SETTINGS).await;
    assert_eq!(list.status, StatusCode::OK);
    let value = list.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0]["id"], "00000000-0000-0000-0000-000000000001");
    assert!(value[0]["name"].is_null() && value[0]["displayName"].is_null());
    assert_eq!(value[0]["prioritizedSourceUrls"], json!([entra_url()]));

    // A second nameless setting is refused (UNCONFIRMED: 409).
    env.post(
        SETTINGS,
        &json!({"prioritizedSourceUrls": [url_of("contosohr1")]}),
    )
    .await
    .assert_error(409, "nameAlreadyExists");

    // PATCH without Entra: Entra is appended last.
    let id = "00000000-0000-0000-0000-000000000001";
    let patched = env
        .patch(
            &format!("{SETTINGS}/{id}"),
            &json!({"prioritizedSourceUrls": [url_of("hr1"), url_of("hr2")], "allowedAudiences": null}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(
        patched.body["prioritizedSourceUrls"],
        json!([url_of("hr1"), url_of("hr2"), entra_url()])
    );
    let got = env.get(&format!("{SETTINGS}/{id}")).await;
    assert_eq!(got.body["prioritizedSourceUrls"][0], url_of("hr1"));

    // DELETE is refused while the list holds more than Entra.
    env.delete(&format!("{SETTINGS}/{id}"))
        .await
        .assert_error(400, "invalidRequest");
    // Back to the default, then it may go.
    env.patch(
        &format!("{SETTINGS}/{id}"),
        &json!({"prioritizedSourceUrls": [entra_url()]}),
    )
    .await;
    assert_eq!(
        env.delete(&format!("{SETTINGS}/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    env.get(&format!("{SETTINGS}/{id}"))
        .await
        .assert_error(404, "itemNotFound");

    // Now a nameless setting may be created again; Entra appended.
    let created = env
        .post(
            SETTINGS,
            &json!({"prioritizedSourceUrls": [url_of("contosohr1")]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        created.body["prioritizedSourceUrls"],
        json!([url_of("contosohr1"), entra_url()])
    );
    // The legacy Entra form counts as Entra (nothing appended).
    let new_id = created.body["id"].as_str().unwrap().to_owned();
    let got = env
        .patch(
            &format!("{SETTINGS}/{new_id}"),
            &json!({"prioritizedSourceUrls": ["https://login.microsoftonline.com"]}),
        )
        .await;
    assert_eq!(
        got.body["prioritizedSourceUrls"],
        json!(["https://login.microsoftonline.com"])
    );
    env.post(SETTINGS, &json!({"name": "x"}))
        .await
        .assert_error(400, "invalidRequest");
}

#[tokio::test]
async fn delegated_people_admin_needs_the_role() {
    let env = env().await;
    // The admin may; a token lacking the scope may not.
    let admin = env
        .emu
        .mint_user_token("admin@contoso.com", &["PeopleSettings.ReadWrite.All"], 600)
        .unwrap();
    let got = env.call_as(&admin, Method::GET, SOURCES, None, &[]).await;
    assert_eq!(got.status, StatusCode::OK);
    let no_scope = env
        .emu
        .mint_user_token("admin@contoso.com", &["User.Read"], 600)
        .unwrap();
    let got = env
        .call_as(&no_scope, Method::GET, SOURCES, None, &[])
        .await;
    got.assert_error(403, "accessDenied");
    assert!(
        got.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PeopleSettings.Read.All")
    );
}

#[tokio::test]
async fn people_admin_settings_and_unresolved_segments() {
    let env = env().await;
    let got = env.get("/v1.0/admin/people").await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert!(got.body["id"].is_string());
    let expanded = env
        .get("/v1.0/admin/people?$expand=profileSources,pronouns")
        .await;
    assert_eq!(expanded.status, StatusCode::OK, "{}", expanded.text);
    assert!(
        expanded.body["profileSources"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(expanded.body["pronouns"]["isEnabledInOrganization"], false);
    for nav in ["itemInsights", "pronouns", "profileCardProperties"] {
        let got = env.get(&format!("/v1.0/admin/people/{nav}")).await;
        assert_eq!(got.status, StatusCode::OK, "{nav}: {}", got.text);
    }
    // namePronunciation is beta only.
    let got = env.get("/beta/admin/people/namePronunciation").await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    let got = env.get("/v1.0/admin/people/namePronunciation").await;
    got.assert_error(400, "BadRequest");
    assert!(got.text.contains("'namePronunciation'"), "{}", got.text);
    // The segment Graph could not resolve is named, not the first one.
    let got = env.get("/v1.0/external/connections/x/groups").await;
    got.assert_error(400, "BadRequest");
    assert!(
        got.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("'groups'")),
        "{}",
        got.text
    );
}
