//! `peoplectl doctor` finds stuck work through the real binary: exit 3, the JSON shape, fix
//! lines that paste as exactly the intended command (a hostile connection name stays one
//! inert argument), and nothing said about healthy or never-deleted connections. Time is
//! moved on the emulator's clock and by backdating peoplectl's own record; nothing waits.

use std::process::Command as Shell;
use std::time::Duration;

use super::commands::Cli;
use crate::support;
use peoplectl::emulator::{EmulatorConfig, SeedKind};
use peoplectl::ops::stuck::WorkLog;
use serde_json::Value;

const HOSTILE_NAME: &str = "HR'; touch pwned; echo $(id) `id` \"x\"";

async fn slow_cli() -> Cli {
    Cli::start_with(EmulatorConfig {
        provisioning_delay_ms: 3_600_000,
        deleted_connection_listed_ms: 30 * 3_600_000,
        token_lifetime_s: 3 * 24 * 3600,
        ..support::config(SeedKind::Empty)
    })
    .await
}

impl Cli {
    fn work_log(&self) -> std::path::PathBuf {
        WorkLog::path(&self.dirs.path().join("data"), "default")
    }

    /// Moves every time in peoplectl's record `by` into the past.
    fn backdate(&self, by: Duration) {
        let path = self.work_log();
        let mut log = WorkLog::load(&path).unwrap();
        assert!(!log.entries.is_empty(), "peoplectl recorded its work");
        for e in &mut log.entries {
            e.at -= by;
        }
        log.save(&path).unwrap();
    }

    async fn findings(&self, id: &str) -> (i32, Vec<Value>) {
        let (code, doc) = self.json(&["doctor"]).await;
        let problems = doc["problems"].as_array().unwrap();
        for p in problems {
            let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
            assert_eq!(
                keys,
                ["code", "fix", "message", "severity", "subject"],
                "{p}"
            );
        }
        let mine = problems
            .iter()
            .filter(|p| p["subject"] == id)
            .cloned()
            .collect();
        (code, mine)
    }
}

fn find<'a>(problems: &'a [Value], code: &str) -> &'a Value {
    problems
        .iter()
        .find(|p| p["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {problems:#?}"))
}

/// The argv `sh` hands `peoplectl` when the fix line is pasted (run with `printf` in its place).
fn pasted_argv(fix: &str) -> Vec<String> {
    let line = fix.strip_prefix("peoplectl ").expect("a peoplectl command");
    let dir = tempfile::tempdir().unwrap();
    let out = Shell::new("sh")
        .arg("-c")
        .arg(format!("printf '%s\\n' {line}"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "pasting the fix ran something"
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_finds_a_schema_operation_running_too_long() {
    let cli = slow_cli().await;
    let out = cli
        .run(&[
            "connections",
            "create",
            "hrnew",
            "--name",
            HOSTILE_NAME,
            "--schema",
            "labels",
        ])
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cli.work_log())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "peoplectl's record is private");
    }

    let (code, young) = cli.findings("hrnew").await;
    assert_eq!(code, 3);
    assert_eq!(find(&young, "schemaProvisioning")["severity"], "info");

    cli.backdate(Duration::from_secs(20 * 60));
    let (code, old) = cli.findings("hrnew").await;
    assert_eq!(code, 3);
    let stuck = find(&old, "schemaOperationStuck");
    assert_eq!(stuck["severity"], "error");
    let fix = stuck["fix"].as_str().unwrap();
    // The command before the comment removes it; the comment says how to create it again.
    assert_eq!(pasted_argv(fix), ["remove", "hrnew"]);
    let again = fix.split_once("# then create it again: ").unwrap().1;
    assert_eq!(
        pasted_argv(again),
        [
            "connections",
            "create",
            "hrnew",
            "--name",
            HOSTILE_NAME,
            "--schema",
            "labels",
            "--wait"
        ]
    );

    // The text form prints the same line.
    let text = cli.run(&["doctor"]).await;
    assert_eq!(text.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("schemaOperationStuck  hrnew"), "{stdout}");
    assert!(stdout.contains(&format!("fix: {fix}")), "{stdout}");

    // Provisioned at last: nothing stuck, and nothing else wrong with it but registration.
    cli.env.emu.clock().advance(Duration::from_secs(3601));
    let (_, done) = cli.findings("hrnew").await;
    let codes: Vec<&str> = done.iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["notRegistered"], "{done:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_finds_a_draft_long_after_creation() {
    let cli = slow_cli().await;
    let out = cli
        .run(&[
            "connections",
            "create",
            "hrdraft",
            "--name",
            HOSTILE_NAME,
            "--schema",
            "none",
        ])
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let noted = WorkLog::load(&cli.work_log())
        .unwrap()
        .draft_since("hrdraft");
    assert!(
        noted.is_some_and(|(_, ours)| ours),
        "the creation is noted as peoplectl's"
    );
    let (_, young) = cli.findings("hrdraft").await;
    assert!(
        young.iter().all(|p| p["code"] != "draftStuck"),
        "{young:#?}"
    );

    cli.backdate(Duration::from_secs(2 * 3600));
    let (code, old) = cli.findings("hrdraft").await;
    assert_eq!(code, 3);
    let p = find(&old, "draftStuck");
    assert!(
        p["message"]
            .as_str()
            .unwrap()
            .contains("2 h after peoplectl created it"),
        "{p}"
    );
    assert_eq!(
        pasted_argv(p["fix"].as_str().unwrap()),
        [
            "connections",
            "create",
            "hrdraft",
            "--name",
            HOSTILE_NAME,
            "--schema",
            "labels",
            "--wait"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_says_wait_for_a_connection_it_deleted_that_graph_still_lists() {
    let cli = slow_cli().await;
    for id in ["hrgone", "hrstays"] {
        let out = cli
            .run(&[
                "connections",
                "create",
                id,
                "--name",
                "Contoso HR",
                "--schema",
                "labels",
            ])
            .await;
        assert_eq!(out.status.code(), Some(0));
    }
    cli.env.emu.clock().advance(Duration::from_secs(3601));
    let (_, before) = cli.findings("hrgone").await;
    assert!(
        before.iter().all(|p| p["code"] != "deletedStillListed"),
        "{before:#?}"
    );

    let (code, _) = cli.json(&["remove", "hrgone", "--yes"]).await;
    assert_eq!(code, 0);
    let (code, listed) = cli.findings("hrgone").await;
    assert_eq!(code, 3);
    assert_eq!(listed.len(), 1, "only the deletion is said: {listed:#?}");
    let p = find(&listed, "deletedStillListed");
    assert_eq!(p["severity"], "info");
    assert!(
        p["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft documents delays")
    );
    assert_eq!(pasted_argv(p["fix"].as_str().unwrap()), ["doctor"]);
    // The connection never deleted is listed too, and nothing is said about it being deleted.
    let (_, other) = cli.findings("hrstays").await;
    assert!(
        other.iter().all(|p| p["code"] != "deletedStillListed"),
        "{other:#?}"
    );

    cli.backdate(Duration::from_secs(25 * 3600));
    let (_, late) = cli.findings("hrgone").await;
    let p = find(&late, "deletedStillListed");
    assert_eq!(p["severity"], "warning");
    assert_eq!(
        pasted_argv(p["fix"].as_str().unwrap()),
        ["remove", "hrgone"]
    );

    // Graph drops it: nothing about it any more.
    cli.env.emu.clock().advance(Duration::from_secs(30 * 3600));
    let (_, gone) = cli.findings("hrgone").await;
    assert!(gone.is_empty(), "{gone:#?}");
}
