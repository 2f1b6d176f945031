//! Emulator contract: /users (graph-api §8), with the demo seed and synthetic users.

use crate::support::raw;

use std::collections::HashSet;

use peoplectl::emulator::SeedKind;
use raw::{config, env_with};
use reqwest::{Method, StatusCode};
use serde_json::Value;

async fn demo_env(extra_users: usize) -> raw::Env {
    let mut config = config();
    config.seed = SeedKind::Demo;
    config.extra_users = extra_users;
    env_with(config).await
}

#[tokio::test]
async fn default_properties_and_select() {
    let env = demo_env(0).await;
    let got = env.get("/v1.0/users/alex.wilber@contoso.com").await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    let object = got.body.as_object().unwrap();
    for key in [
        "businessPhones",
        "displayName",
        "givenName",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
        "id",
        "@odata.context",
    ] {
        assert!(object.contains_key(key), "{key} missing");
    }
    assert_eq!(object.len(), 12, "only the default set: {object:?}");
    assert!(!object.contains_key("department"));
    assert!(!object.contains_key("managerId") && !object.contains_key("hasMailbox"));
    assert!(
        got.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0/$metadata#users/$entity")
    );
    let id = got.body["id"].as_str().unwrap().to_owned();

    let selected = env
        .get(&format!(
            "/v1.0/users/{id}?$select=id,department,employeeId,companyName"
        ))
        .await;
    assert_eq!(selected.body.as_object().unwrap().len(), 5);
    assert_eq!(selected.body["department"], "Engineering");
    env.get("/v1.0/users?$select=id,notAProperty")
        .await
        .assert_error(400, "Request_BadRequest");
    env.get("/v1.0/users?$select=id,skills")
        .await
        .assert_error(501, "NotImplemented");
    // By UPN in parentheses, and with a quote doubled.
    let got = env.get("/v1.0/users('alex.wilber@contoso.com')").await;
    assert_eq!(got.body["id"], id.as_str());
}

#[tokio::test]
async fn missing_users_and_managers() {
    let env = demo_env(0).await;
    let got = env.get("/v1.0/users/nobody@contoso.com").await;
    got.assert_error(404, "Request_ResourceNotFound");
    assert_eq!(
        got.body["error"]["message"],
        "Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present."
    );
    let manager = env.get("/v1.0/users/alex.wilber@contoso.com/manager").await;
    assert_eq!(manager.status, StatusCode::OK);
    assert_eq!(manager.body["@odata.type"], "#microsoft.graph.user");
    assert!(manager.body["userPrincipalName"].is_string());
    // The CEO has no manager.
    env.get("/v1.0/users/olivia.brennan@contoso.com/manager")
        .await
        .assert_error(404, "Request_ResourceNotFound");
    let expanded = env
        .get("/v1.0/users/alex.wilber@contoso.com?$expand=manager($select=id,displayName)")
        .await;
    assert!(expanded.body["manager"]["displayName"].is_string());
}

#[tokio::test]
async fn filters() {
    let env = demo_env(0).await;
    let got = env
        .get("/v1.0/users?$filter=userPrincipalName eq 'ALEX.WILBER@contoso.com'")
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body["value"].as_array().unwrap().len(), 1);
    let id = got.body["value"][0]["id"].as_str().unwrap().to_owned();
    let by_id = env.get(&format!("/v1.0/users?$filter=id eq '{id}'")).await;
    assert_eq!(by_id.body["value"][0]["id"], id.as_str());
    let by_mail = env
        .get("/v1.0/users?$filter=mail eq 'alex.wilber@contoso.com'")
        .await;
    assert_eq!(by_mail.body["value"].as_array().unwrap().len(), 1);
    // Quote doubling: O'Brien's UPN has no quote, so an escaped quote finds nobody.
    let none = env
        .get("/v1.0/users?$filter=userPrincipalName eq 'o''brien@contoso.com'")
        .await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(none.body["value"].as_array().unwrap().is_empty());
    let starts = env
        .get("/v1.0/users?$filter=startswith(displayName,'wei')&$select=displayName")
        .await;
    let names: Vec<&str> = starts.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let both = env
        .get("/v1.0/users?$filter=userPrincipalName in ('wei.zhang@contoso.com','wei.zhang2@contoso.com')")
        .await;
    assert_eq!(both.body["value"].as_array().unwrap().len(), 2);

    for unsupported in [
        "/v1.0/users?$filter=favoriteColor eq 'Blue'",
        "/v1.0/users?$filter=id eq 'a' or id eq 'b'",
        "/v1.0/users?$filter=endswith(mail,'@contoso.com')",
    ] {
        env.get(unsupported)
            .await
            .assert_error(400, "Request_UnsupportedQuery");
    }
    // endswith is an advanced query: $count + ConsistencyLevel make it work.
    let advanced = env
        .call_with(
            Method::GET,
            "/v1.0/users?$filter=endswith(mail,'@contoso.com')&$count=true&$top=5",
            None,
            &[("ConsistencyLevel", "eventual")],
        )
        .await;
    assert_eq!(advanced.status, StatusCode::OK, "{}", advanced.text);
    assert!(advanced.body["@odata.count"].as_u64().unwrap() > 300);
}

#[tokio::test]
async fn count_needs_consistency_level() {
    let env = demo_env(0).await;
    env.get("/v1.0/users?$count=true")
        .await
        .assert_error(400, "Request_BadRequest");
    let got = env
        .call_with(
            Method::GET,
            "/v1.0/users?$count=true&$top=1",
            None,
            &[("ConsistencyLevel", "eventual")],
        )
        .await;
    assert_eq!(got.body["@odata.count"], 318);
    assert_eq!(env.emu.inspect().users_count(), 318);
}

#[tokio::test]
async fn paging_to_the_end() {
    let env = demo_env(1_000).await;
    let mut path = "/v1.0/users?$select=id,userPrincipalName".to_owned();
    let mut seen = HashSet::new();
    let mut pages = 0;
    loop {
        let got = env.get(&path).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.text);
        let value = got.body["value"].as_array().unwrap();
        assert!(value.len() <= 100, "default page size is 100");
        for user in value {
            assert!(seen.insert(user["id"].as_str().unwrap().to_owned()));
        }
        pages += 1;
        match got.body.get("@odata.nextLink").and_then(Value::as_str) {
            Some(next) => {
                assert!(next.contains("$skiptoken=") || next.contains("%24skiptoken="));
                path = next.strip_prefix(&env.emu.graph_url()).unwrap().to_owned();
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 1_318);
    assert_eq!(pages, 14);

    // $top up to 999; more is a 400.
    let big = env.get("/v1.0/users?$top=999&$select=id").await;
    assert_eq!(big.body["value"].as_array().unwrap().len(), 999);
    env.get("/v1.0/users?$top=1000")
        .await
        .assert_error(400, "Request_BadRequest");
    env.get("/v1.0/users?$skiptoken=garbage")
        .await
        .assert_error(400, "Request_BadRequest");
    env.get("/v1.0/users?$skip=10")
        .await
        .assert_error(400, "Request_BadRequest");
    // Synthetic users resolve by UPN and id, and page under a filter too.
    let synthetic = env.get("/v1.0/users/user001000@contoso.com").await;
    assert_eq!(synthetic.status, StatusCode::OK);
    let filtered = env
        .get("/v1.0/users?$filter=startswith(userPrincipalName,'user0001')&$top=4&$select=id")
        .await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 4);
    let next = filtered.body["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.contains("filter"),
        "the nextLink keeps the filter: {next}"
    );
}

/// Synthetic users at scale: counted, and the last one resolves by UPN. How fast 100,000 of
/// them start is measured by `cargo bench --bench emulator`, not asserted here.
#[tokio::test]
async fn ten_thousand_synthetic_users_are_all_there() {
    let env = demo_env(10_000).await;
    assert_eq!(env.emu.inspect().users_count(), 10_318);
    let got = env
        .get("/v1.0/users/user010000@contoso.com?$select=id")
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    let past = env
        .get("/v1.0/users/user010001@contoso.com?$select=id")
        .await;
    assert_eq!(past.status, StatusCode::NOT_FOUND, "{}", past.text);
}

/// `eq` and `in` on `userPrincipalName` or `id` go through the directory's index, for seeded
/// and synthetic users alike, and still honour the other clauses, paging and `$count`. (In a
/// tenant of five million a scan would generate every user per lookup; the bench measures it.)
#[tokio::test]
async fn lookups_by_upn_or_id_use_the_index_and_keep_every_rule() {
    let env = demo_env(5_000_000).await;
    let last = "USER5000000@contoso.com";
    let got = env
        .get(&format!(
            "/v1.0/users?$filter=userPrincipalName eq '{last}'&$select=id,userPrincipalName"
        ))
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    let value = got.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0]["userPrincipalName"], "user5000000@contoso.com");
    let id = value[0]["id"].as_str().unwrap().to_owned();

    // An id is not a UPN: the index finds the user, the clause still refuses it.
    let crossed = env
        .get(&format!("/v1.0/users?$filter=userPrincipalName eq '{id}'"))
        .await;
    assert!(crossed.body["value"].as_array().unwrap().is_empty());
    let other_clause = env
        .get(&format!(
            "/v1.0/users?$filter=id eq '{}' and jobTitle eq 'Nobody'",
            id.to_uppercase()
        ))
        .await;
    assert!(other_clause.body["value"].as_array().unwrap().is_empty());

    // In listing order, paged one at a time, the missing one left out, counted.
    let filter = format!(
        "userPrincipalName in ('{last}','alex.wilber@contoso.com','ghost@contoso.com','user000002@contoso.com')"
    );
    let mut path = format!("/v1.0/users?$filter={filter}&$top=1&$select=userPrincipalName");
    let mut upns = Vec::new();
    loop {
        let page = env.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for user in page.body["value"].as_array().unwrap() {
            upns.push(user["userPrincipalName"].as_str().unwrap().to_owned());
        }
        match page.body.get("@odata.nextLink").and_then(Value::as_str) {
            Some(next) => path = next.strip_prefix(&env.emu.graph_url()).unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(
        upns,
        [
            "alex.wilber@contoso.com",
            "user000002@contoso.com",
            "user5000000@contoso.com"
        ]
    );
    let counted = env
        .call_with(
            Method::GET,
            &format!("/v1.0/users?$filter={filter}&$count=true"),
            None,
            &[("ConsistencyLevel", "eventual")],
        )
        .await;
    assert_eq!(counted.body["@odata.count"], 3);
}
