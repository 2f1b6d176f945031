//! The command-line contract, driven through the real binary against an in-process emulator:
//! JSON shapes, exit codes, confirmation guards, and no secret in any output.

use crate::support;

use std::process::Output;

use assert_cmd::Command;
use peoplectl::emulator::SeedKind;
use serde_json::Value;
use support::{env, lists};

/// The real binary against an in-process emulator, with private config and data dirs.
pub(super) struct Cli {
    pub(super) env: support::Env,
    pub(super) dirs: tempfile::TempDir,
}

impl Cli {
    pub(super) async fn start(seed: SeedKind) -> Self {
        Self {
            env: env(seed).await,
            dirs: tempfile::tempdir().unwrap(),
        }
    }

    /// The same against an emulator configured as given.
    pub(super) async fn start_with(config: peoplectl::emulator::EmulatorConfig) -> Self {
        Self {
            env: support::env_with(config).await,
            dirs: tempfile::tempdir().unwrap(),
        }
    }

    /// Runs `peoplectl ARGS` with the emulator's connection settings in the environment.
    pub(super) async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::cargo_bin("peoplectl").unwrap();
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("PEOPLECTL_CONFIG_DIR", self.dirs.path().join("config"))
            .env("PEOPLECTL_DATA_DIR", self.dirs.path().join("data"));
        for (k, v) in self.env.emu.env_lines() {
            cmd.env(k, v);
        }
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    }

    pub(super) async fn json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        let out = self.run(&all).await;
        self.assert_no_secret(&out);
        let stdout = String::from_utf8(out.stdout).unwrap();
        let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap(), doc)
    }

    fn assert_no_secret(&self, out: &Output) {
        let secret = self.env.emu.client_secret();
        for stream in [&out.stdout, &out.stderr] {
            assert!(
                !String::from_utf8_lossy(stream).contains(secret),
                "the client secret leaked into the output"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn read_commands_print_the_contract_json() {
    let cli = Cli::start(SeedKind::Demo).await;

    let (code, doc) = cli.json(&["connections", "list"]).await;
    assert_eq!(code, 0);
    let rows = doc.as_array().unwrap();
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap().clone();
    let hr = row("contosohr");
    assert_eq!(hr["contract"], "labels");
    assert_eq!(hr["registered"], true);
    assert_eq!(hr["rank"], 1);
    assert_eq!(hr["state"], "ready");
    assert_eq!(hr["contentCategory"], "people");
    assert_eq!(row("talentlegacy")["contract"], "preview");
    assert_eq!(row("learningpeople")["registered"], false);
    assert!(row("learningpeople")["rank"].is_null());
    assert!(hr["name"].is_string());

    let (code, doc) = cli.json(&["sources", "list"]).await;
    assert_eq!(code, 0);
    let src = |id: &str| {
        doc.as_array()
            .unwrap()
            .iter()
            .find(|r| r["sourceId"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(src("oldpayroll")["orphan"], true);
    assert_eq!(src("contosohr")["orphan"], false);
    assert_eq!(src("4ce763dd-9214-4eff-af7c-da491cc3782d")["builtIn"], true);
    assert_eq!(src("4ce763dd-9214-4eff-af7c-da491cc3782d")["rank"], 2);
    for key in ["displayName", "kind", "webUrl"] {
        assert!(src("contosohr").get(key).is_some(), "missing {key}");
    }

    let (code, doc) = cli.json(&["precedence", "show"]).await;
    assert_eq!(code, 0);
    assert!(doc["settingId"].is_string());
    let entries = doc["sources"].as_array().unwrap();
    assert_eq!(entries.len(), 6);
    assert_eq!(entries[0]["rank"], 1);
    assert_eq!(entries[0]["sourceId"], "contosohr");
    assert_eq!(entries[4]["sourceId"], "benefitsportal");
    assert_eq!(entries[4]["registered"], false);
    assert!(entries[2]["url"].as_str().unwrap().contains("/beta/"));

    let (code, doc) = cli
        .json(&["profile", "show", "alex.wilber@contoso.com", "--explain"])
        .await;
    assert_eq!(code, 0);
    assert_eq!(doc["upn"], "alex.wilber@contoso.com");
    let title = doc["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["property"] == "positions/detail/jobTitle")
        .unwrap();
    assert_eq!(title["value"], "Senior Software Engineer");
    assert_eq!(title["source"], "contosohr");
    assert_eq!(title["rule"], "highestRank");
    assert!(
        title["shadowed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["value"] == "Software Engineer")
    );
    assert!(doc["mismatches"].is_array());
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_exits_3_with_problems_and_0_when_clean() {
    let cli = Cli::start(SeedKind::Demo).await;
    let (code, doc) = cli.json(&["doctor"]).await;
    assert_eq!(code, 3);
    let problems = doc["problems"].as_array().unwrap();
    assert!(problems.len() >= 5);
    for p in problems {
        for key in ["code", "severity", "subject", "message", "fix"] {
            assert!(p[key].is_string(), "{key} in {p}");
        }
    }

    let clean = Cli::start(SeedKind::Empty).await;
    let (code, doc) = clean.json(&["doctor"]).await;
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["problems"], Value::Array(vec![]));
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_needs_confirmation_and_is_resumable() {
    let cli = Cli::start(SeedKind::Demo).await;
    let before = lists(&cli.env.emu);

    // No terminal and no --yes: refused, nothing changed.
    let out = cli.run(&["remove", "contosohr"]).await;
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert_eq!(lists(&cli.env.emu), before);

    let (code, doc) = cli.json(&["remove", "contosohr", "--dry-run"]).await;
    assert_eq!(code, 0);
    assert_eq!(doc["dryRun"], true);
    assert_eq!(doc["connection"], "contosohr");
    let steps: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["precedence", "profileSource", "connection"]);
    assert!(
        doc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "planned")
    );
    assert_eq!(lists(&cli.env.emu), before);

    cli.env
        .emu
        .faults()
        .fail_next("DELETE", "/v1.0/external/connections/contosohr", 1, 500);
    let (code, doc) = cli.json(&["remove", "contosohr", "--yes"]).await;
    assert_eq!(code, 1);
    let status: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["done", "done", "failed"]);

    let (code, doc) = cli.json(&["remove", "contosohr", "--yes"]).await;
    assert_eq!(code, 0);
    let status: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["alreadyDone", "alreadyDone", "done"]);
    assert!(
        !lists(&cli.env.emu)
            .connections
            .contains(&"contosohr".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_validate_input_and_respect_read_only() {
    let cli = Cli::start(SeedKind::Demo).await;
    let before = lists(&cli.env.emu);

    let out = cli
        .run(&[
            "sources",
            "register",
            "learningpeople",
            "--web-url",
            "http://plain",
        ])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"));

    let out = cli
        .run(&["precedence", "set", "contosohr,talentlegacy"])
        .await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "a list without Entra ID is refused"
    );

    let out = cli
        .run(&["--read-only", "precedence", "move", "talentlegacy", "--up"])
        .await;
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(lists(&cli.env.emu), before);

    let out = cli
        .run(&["connections", "create", "bad-id", "--name", "X"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad-id"));

    let (code, doc) = cli
        .json(&["precedence", "move", "talentlegacy", "--to", "1"])
        .await;
    assert_eq!(code, 0);
    assert_eq!(doc["applied"], true);
    assert!(doc["after"][0].as_str().unwrap().contains("talentlegacy"));
    assert!(lists(&cli.env.emu).precedence[0].contains("talentlegacy"));

    // A draft cannot feed profiles: refused (exit 4) unless forced, which warns.
    let register = [
        "sources",
        "register",
        "learningpeople",
        "--web-url",
        "https://learn.contoso.com",
        "--at",
        "2",
    ];
    let before = lists(&cli.env.emu);
    let out = cli.run(&register).await;
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(lists(&cli.env.emu), before, "nothing written");
    let mut forced = register.to_vec();
    forced.push("--force");
    let out = cli.run(&forced).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning (--force)"));
    assert!(lists(&cli.env.emu).precedence[1].contains("learningpeople"));

    let (code, doc) = cli
        .json(&[
            "connections",
            "create",
            "newhr",
            "--name",
            "New HR",
            "--wait",
        ])
        .await;
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        cli.env.emu.inspect().connection("newhr").unwrap().state,
        "ready"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_connection_settings_are_a_usage_error() {
    let dirs = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("peoplectl")
            .unwrap()
            .args(["connections", "list"])
            .env_clear()
            .env("PEOPLECTL_CONFIG_DIR", dirs.path())
            .env("PEOPLECTL_DATA_DIR", dirs.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AZURE_TENANT_ID"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_reports_bad_rows_by_line_and_lands_the_good_ones() {
    let cli = Cli::start(SeedKind::Demo).await;
    let root = env!("CARGO_MANIFEST_DIR");
    let input = format!("{root}/assets/demo/hr-export.csv");
    let mapping = format!("{root}/assets/demo/hr-mapping.toml");

    let (code, doc) = cli
        .json(&[
            "sync",
            "contosohr",
            "--input",
            &input,
            "--mapping",
            &mapping,
            "--dry-run",
        ])
        .await;
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["dryRun"], true);
    assert_eq!(doc["put"], 0);
    for key in [
        "connection",
        "rows",
        "valid",
        "invalid",
        "unmatched",
        "unchanged",
        "put",
        "deleted",
        "failed",
        "throttled",
        "seconds",
        "errors",
    ] {
        assert!(doc.get(key).is_some(), "missing {key} in {doc}");
    }
    let lines: Vec<u64> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["line"].as_u64())
        .collect();
    for bad in [59, 120, 203, 246, 288, 303] {
        assert!(lines.contains(&bad), "line {bad} not reported: {lines:?}");
    }

    let (code, doc) = cli
        .json(&[
            "sync",
            "contosohr",
            "--input",
            &input,
            "--mapping",
            &mapping,
        ])
        .await;
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["put"], doc["valid"]);
    assert_eq!(doc["failed"], 0);

    // Again: nothing changed, nothing sent.
    let (code, doc) = cli
        .json(&[
            "sync",
            "contosohr",
            "--input",
            &input,
            "--mapping",
            &mapping,
        ])
        .await;
    assert_eq!(code, 0);
    assert_eq!(doc["put"], 0);
    assert_eq!(doc["unchanged"], doc["valid"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_mapping_prints_without_a_tenant() {
    let dirs = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("peoplectl")
            .unwrap()
            .args(["sync", "--print-default-mapping"])
            .env_clear()
            .env("PEOPLECTL_CONFIG_DIR", dirs.path())
            .env("PEOPLECTL_DATA_DIR", dirs.path())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("userPrincipalName"), "{text}");
    assert!(toml::from_str::<toml::Value>(&text).is_ok(), "valid TOML");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_into_a_draft_connection_is_refused_with_the_reason_before_reading() {
    let cli = Cli::start(SeedKind::Demo).await;
    let input = cli.dirs.path().join("hr.csv");
    std::fs::write(&input, "userPrincipalName\nalex.wilber@contoso.com\n").unwrap();
    let input = input.display().to_string();
    for extra in [None, Some("--dry-run")] {
        let mut args = vec!["sync", "learningpeople", "--input", &input];
        args.extend(extra);
        let out = cli.run(&args).await;
        cli.assert_no_secret(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{stderr}");
        assert!(
            stderr.contains("learningpeople") && stderr.contains("draft"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "no report: nothing was read");
    }
    assert!(
        !cli.dirs.path().join("data").join("sync").exists(),
        "no sync state was opened"
    );
}
