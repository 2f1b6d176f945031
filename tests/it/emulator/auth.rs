//! Emulator contract: the identity endpoints and token checks (graph-api §11, §0).

use crate::support::raw;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use raw::{Env, config, env, env_with};
use reqwest::{Method, StatusCode};
use serde_json::Value;

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

fn token_path(env: &Env) -> String {
    format!("/{}/oauth2/v2.0/token", env.emu.tenant_id())
}

#[tokio::test]
async fn client_credentials() {
    let env = env().await;
    let got = env
        .post_form(
            &token_path(&env),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", env.emu.client_id()),
                ("client_secret", env.emu.client_secret()),
                ("scope", &format!("{}/.default", env.emu.graph_url())),
            ],
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body["token_type"], "Bearer");
    assert_eq!(got.body["expires_in"], 3600);
    assert_eq!(got.body["ext_expires_in"], 3600);
    assert!(got.body.get("refresh_token").is_none());
    let token = got.body["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3);
    let c = claims(token);
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(c["idtyp"], "app");
    assert_eq!(c["tid"], env.emu.tenant_id());
    assert_eq!(c["appid"], env.emu.client_id());
    assert!(
        c["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "PeopleSettings.ReadWrite.All")
    );
    assert!(c["exp"].as_i64().unwrap() > c["iat"].as_i64().unwrap());
    // The token works, also via the tenant's domain as authority.
    let got = env
        .call_as(token, Method::GET, "/v1.0/external/connections", None, &[])
        .await;
    assert_eq!(got.status, StatusCode::OK);
    let by_domain = env
        .post_form(
            "/contoso.com/oauth2/v2.0/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", env.emu.client_id()),
                ("client_secret", env.emu.client_secret()),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
    assert_eq!(by_domain.status, StatusCode::OK);
}

#[tokio::test]
async fn client_credentials_errors() {
    let env = env().await;
    let path = token_path(&env);
    let wrong = env
        .post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", env.emu.client_id()),
                ("client_secret", "not-the-secret-value"),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["error"], "invalid_client");
    assert_eq!(wrong.body["error_codes"][0], 7_000_215);
    let description = wrong.body["error_description"].as_str().unwrap();
    assert!(description.starts_with("AADSTS7000215:"));
    assert!(!wrong.text.contains("not-the-secret-value"));
    assert!(!wrong.text.contains(env.emu.client_secret()));
    assert!(wrong.body["trace_id"].is_string() && wrong.body["correlation_id"].is_string());

    let unknown_tenant = env
        .post_form(
            "/fabrikam.com/oauth2/v2.0/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", env.emu.client_id()),
                ("client_secret", env.emu.client_secret()),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
    assert_eq!(unknown_tenant.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_tenant.body["error"], "invalid_request");

    let bad_scope = env
        .post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", env.emu.client_id()),
                ("client_secret", env.emu.client_secret()),
                ("scope", "User.Read"),
            ],
        )
        .await;
    assert_eq!(bad_scope.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_scope.body["error"], "invalid_scope");

    let unknown_client = env
        .post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "00000000-0000-0000-0000-000000000000"),
                ("client_secret", env.emu.client_secret()),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
    assert_eq!(unknown_client.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_client.body["error"], "unauthorized_client");
    let grant = env
        .post_form(
            &path,
            &[
                ("grant_type", "password"),
                ("client_id", env.emu.client_id()),
            ],
        )
        .await;
    assert_eq!(grant.body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn graph_calls_need_a_valid_token() {
    let env = env().await;
    let check = |got: &raw::Got| {
        got.assert_error(401, "InvalidAuthenticationToken");
        let challenge = got.header("www-authenticate").unwrap();
        assert!(challenge.starts_with("Bearer realm=\"\""), "{challenge}");
        assert!(challenge.contains("authorization_uri="));
    };
    let response = env
        .http
        .get(env.url("/v1.0/users"))
        .header("client-request-id", "my-correlation-id")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["client-request-id"], "my-correlation-id");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Access token is empty.");
    assert_eq!(
        body["error"]["innerError"]["client-request-id"],
        "my-correlation-id"
    );

    check(
        &env.call_as("garbage", Method::GET, "/v1.0/users", None, &[])
            .await,
    );
    let expired = env.emu.mint_app_token(-10);
    let got = env
        .call_as(&expired, Method::GET, "/v1.0/users", None, &[])
        .await;
    check(&got);
    assert!(
        got.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    // A token signed by another emulator run is refused.
    let other = env_with(config()).await;
    let foreign = other.emu.mint_app_token(600);
    check(
        &env.call_as(&foreign, Method::GET, "/v1.0/users", None, &[])
            .await,
    );
    // Tampering with the claims breaks the signature.
    let good = env.emu.mint_app_token(600);
    let parts: Vec<&str> = good.split('.').collect();
    let mut c = claims(&good);
    c["roles"] = serde_json::json!(["Directory.ReadWrite.All"]);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(c.to_string()),
        parts[2]
    );
    check(
        &env.call_as(&forged, Method::GET, "/v1.0/users", None, &[])
            .await,
    );
}

#[tokio::test]
async fn short_lived_tokens_expire() {
    let mut config = config();
    config.token_lifetime_s = 60;
    let env = env_with(config).await;
    let token = env.token().await;
    let users = |token: String| {
        let env = &env;
        async move {
            env.call_as(&token, Method::GET, "/v1.0/users", None, &[])
                .await
        }
    };
    env.emu.clock().advance(Duration::from_secs(58));
    assert_eq!(users(token.clone()).await.status, StatusCode::OK);
    env.emu.clock().advance(Duration::from_secs(3));
    users(token)
        .await
        .assert_error(401, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn missing_permissions_are_403() {
    let env = env().await;
    let reader = env
        .emu
        .mint_user_token("admin@contoso.com", &["User.Read"], 600)
        .unwrap();
    let got = env
        .call_as(
            &reader,
            Method::GET,
            "/v1.0/external/connections",
            None,
            &[],
        )
        .await;
    got.assert_error(403, "accessDenied");
    assert!(
        got.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ExternalConnection")
    );
    let got = env
        .call_as(&reader, Method::GET, "/v1.0/users", None, &[])
        .await;
    got.assert_error(403, "Authorization_RequestDenied");
    // A user may always read itself with User.Read, and /me works for delegated tokens.
    let me = env
        .call_as(&reader, Method::GET, "/v1.0/me", None, &[])
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["userPrincipalName"], "admin@contoso.com");
    let app = env.token().await;
    env.call_as(&app, Method::GET, "/v1.0/me", None, &[])
        .await
        .assert_error(400, "BadRequest");
}

async fn device_code(env: &Env, scope: &str) -> Value {
    let got = env
        .post_form(
            &format!("/{}/oauth2/v2.0/devicecode", env.emu.tenant_id()),
            &[("client_id", env.emu.client_id()), ("scope", scope)],
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    got.body
}

async fn poll(env: &Env, device_code: &str) -> raw::Got {
    env.post_form(
        "/organizations/oauth2/v2.0/token",
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", env.emu.client_id()),
            ("device_code", device_code),
        ],
    )
    .await
}

#[tokio::test]
async fn device_code_approved_through_the_login_page() {
    let env = env().await;
    let code = device_code(
        &env,
        "https://graph.microsoft.com/.default offline_access openid profile",
    )
    .await;
    assert_eq!(code["expires_in"], 900);
    assert_eq!(code["interval"], 0);
    let verification = code["verification_uri"].as_str().unwrap();
    assert_eq!(verification, format!("{}/devicelogin", env.emu.graph_url()));
    let user_code = code["user_code"].as_str().unwrap();
    assert!(code["message"].as_str().unwrap().contains(user_code));
    assert!(code.get("verification_uri_complete").is_none());
    let device = code["device_code"].as_str().unwrap();

    let pending = poll(&env, device).await;
    assert_eq!(pending.status, StatusCode::BAD_REQUEST);
    assert_eq!(pending.body["error"], "authorization_pending");
    assert_eq!(env.emu.inspect().pending_device_codes(), 1);

    // The page: a form with the code box and the demo users.
    let page = env.http.get(verification).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"user_code\"") && html.contains("admin@contoso.com"));
    let approved = env
        .http
        .post(verification)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(raw::form(&[
            ("user_code", &user_code.to_lowercase()),
            ("upn", "admin@contoso.com"),
            ("action", "approve"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::OK);
    assert!(approved.text().await.unwrap().contains("admin@contoso.com"));

    let done = poll(&env, device).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let access = done.body["access_token"].as_str().unwrap();
    let c = claims(access);
    assert_eq!(c["idtyp"], "user");
    assert_eq!(c["upn"], "admin@contoso.com");
    assert!(c["scp"].as_str().unwrap().contains("User.Read"));
    assert!(c["oid"].is_string() && c["name"].is_string());
    assert!(done.body["id_token"].is_string());
    let refresh = done.body["refresh_token"].as_str().unwrap().to_owned();
    // A redeemed code is gone.
    assert_eq!(
        poll(&env, device).await.body["error"],
        "bad_verification_code"
    );

    // Refresh-token grant.
    let refreshed = env
        .post_form(
            "/common/oauth2/v2.0/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", env.emu.client_id()),
                ("refresh_token", &refresh),
            ],
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    assert_eq!(
        claims(refreshed.body["access_token"].as_str().unwrap())["upn"],
        "admin@contoso.com"
    );
    let bad = env
        .post_form(
            "/common/oauth2/v2.0/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", env.emu.client_id()),
                ("refresh_token", "nope"),
            ],
        )
        .await;
    assert_eq!(bad.body["error"], "invalid_grant");
}

#[tokio::test]
async fn device_code_declined_unknown_slow_and_expired() {
    let mut config = config();
    config.device_code_interval_s = 60;
    let env = env_with(config).await;
    assert_eq!(
        poll(&env, "unknown").await.body["error"],
        "bad_verification_code"
    );

    let code = device_code(&env, "User.Read offline_access").await;
    let device = code["device_code"].as_str().unwrap().to_owned();
    assert_eq!(
        poll(&env, &device).await.body["error"],
        "authorization_pending"
    );
    // Polled again within the interval.
    assert_eq!(poll(&env, &device).await.body["error"], "slow_down");
    assert!(
        env.emu
            .decline_device_code(code["user_code"].as_str().unwrap())
    );
    let declined = poll(&env, &device).await;
    assert_eq!(declined.status, StatusCode::BAD_REQUEST);
    assert_eq!(declined.body["error"], "authorization_declined");

    // Its lifetime (900 s) passes on the emulator's clock: the code is expired, not pending.
    let code = device_code(&env, "User.Read").await;
    let device = code["device_code"].as_str().unwrap().to_owned();
    assert_eq!(code["expires_in"], 900);
    env.emu.clock().advance(Duration::from_secs(899));
    assert_eq!(
        poll(&env, &device).await.body["error"],
        "authorization_pending"
    );
    env.emu.clock().advance(Duration::from_secs(61));
    let got = poll(&env, &device).await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert_eq!(got.body["error"], "expired_token", "{}", got.text);
    // An expired code can no longer be approved.
    assert!(
        !env.emu
            .approve_device_code(code["user_code"].as_str().unwrap(), "admin@contoso.com")
    );
}

#[tokio::test]
async fn auto_approve_device_codes() {
    let mut config = config();
    config.auto_approve_device_codes = true;
    let env = env_with(config).await;
    let code = device_code(&env, "https://graph.microsoft.com/.default").await;
    let done = poll(&env, code["device_code"].as_str().unwrap()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let c = claims(done.body["access_token"].as_str().unwrap());
    assert_eq!(c["upn"], env.emu.admin_upn());
    assert!(
        done.body.get("refresh_token").is_none(),
        "no offline_access asked"
    );
}
