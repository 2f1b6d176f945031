//! Contexts and sign-in through the real binary: config add/use/list/remove, flag > env >
//! context, `auth status`, missing permissions named, and no secret or token in any output
//! even at trace level.

use crate::support;

use assert_cmd::Command;
use peoplectl::emulator::SeedKind;
use serde_json::Value;

struct Dirs(tempfile::TempDir);

impl Dirs {
    fn new() -> Self {
        Self(tempfile::tempdir().unwrap())
    }

    /// `peoplectl ARGS` with only these dirs and `env` in the environment.
    async fn run(&self, args: &[&str], env: &[(String, String)]) -> std::process::Output {
        let mut cmd = Command::cargo_bin("peoplectl").unwrap();
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("PEOPLECTL_CONFIG_DIR", self.0.path().join("config"))
            .env("PEOPLECTL_DATA_DIR", self.0.path().join("data"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    }
}

fn only(env: &[(String, String)], keys: &[&str]) -> Vec<(String, String)> {
    env.iter()
        .filter(|(k, _)| keys.contains(&k.as_str()))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_context_carries_the_settings_and_flags_and_env_override_it() {
    let env = support::env(SeedKind::Demo).await;
    let all = env.emu.env_lines();
    let dirs = Dirs::new();

    // Save a context from the emulator's settings (the secret is not saved).
    let out = dirs.run(&["config", "add", "lab"], &all).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved = std::fs::read_to_string(dirs.0.path().join("config/config.toml")).unwrap();
    assert!(saved.contains("[contexts.lab]"), "{saved}");
    assert!(saved.contains("current-context = \"lab\""), "{saved}");
    assert!(
        !saved.contains(env.emu.client_secret()),
        "no secret in the config file"
    );

    // With only the secret in the environment, the current context supplies the rest.
    let secret = only(&all, &["AZURE_CLIENT_SECRET"]);
    let out = dirs
        .run(&["connections", "list", "-o", "json"], &secret)
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 4);

    // A flag beats the context: a tenant the emulator does not know.
    let out = dirs
        .run(
            &["--tenant", "nosuchtenant.example", "connections", "list"],
            &secret,
        )
        .await;
    assert_eq!(out.status.code(), Some(1));

    // An unknown context is a usage error naming it.
    let out = dirs.run(&["--context", "prod", "doctor"], &secret).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("prod"));

    let out = dirs.run(&["config", "list", "-o", "json"], &[]).await;
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["name"], "lab");
    assert_eq!(list[0]["current"], true);
    let out = dirs.run(&["config", "remove", "lab"], &[]).await;
    assert_eq!(out.status.code(), Some(0));
    let out = dirs.run(&["connections", "list"], &secret).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "no context left: the tenant is missing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_status_shows_the_identity_and_what_it_allows() {
    let env = support::env(SeedKind::Demo).await;
    let dirs = Dirs::new();
    let out = dirs
        .run(&["auth", "status", "-o", "json"], &env.emu.env_lines())
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["signedIn"], true);
    assert_eq!(status["kind"], "appOnly");
    assert_eq!(status["tenantId"], env.emu.tenant_id());
    let profile = status["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "read the profile API")
        .unwrap();
    assert_eq!(profile["available"], false);
    assert!(profile["needs"].as_str().unwrap().contains("delegated"));

    // Device code without a kept sign-in: status says so and never prompts.
    let out = dirs
        .run(
            &["--auth", "device-code", "auth", "status"],
            &env.emu.env_lines(),
        )
        .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("auth login"));
    assert_eq!(env.emu.inspect().pending_device_codes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_secret_reaches_stdout_or_stderr_even_at_trace_level() {
    let env = support::env(SeedKind::Demo).await;
    let dirs = Dirs::new();
    let mut vars = env.emu.env_lines();
    vars.push(("PEOPLECTL_LOG".into(), "trace".into()));
    for args in [
        &["doctor", "-vv"][..],
        &["connections", "list", "-o", "json"],
        &["profile", "show", "alex.wilber@contoso.com", "--explain"],
        &["auth", "status"],
    ] {
        let out = dirs.run(args, &vars).await;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.len() > 100, "{args:?} produced output: {text}");
        assert!(
            !text.contains(env.emu.client_secret()),
            "{args:?} leaked the secret"
        );
        // Every access token is a JWT, and every JWT starts with the base64 of '{"'.
        assert!(!text.contains("eyJ"), "{args:?} leaked a token:\n{text}");
        assert!(
            !text.contains("client_secret="),
            "{args:?} leaked a token request"
        );
    }
}

#[tokio::test]
async fn a_missing_permission_is_named_not_a_bare_403() {
    let env = support::env(SeedKind::Demo).await;
    let client =
        crate::support::sync::delegated_client(&env.emu, env.emu.admin_upn(), &["User.Read"], 3600);
    let err = client.list_profile_sources().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    let text = err.to_string();
    assert!(text.contains("PeopleSettings.Read.All"), "{text}");
    assert!(text.contains("list profile sources"), "{text}");
}
