//! The real binary in tmux at 80x24: start `--demo`, see the panes, sync, reorder, apply, quit.

// apply, quit. Needs tmux (CI installs it); it waits on screen contents, never on a fixed delay.

use std::process::Command;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

struct Session {
    name: String,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .output();
    }
}

fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux").args(args).output().expect("run tmux")
}

impl Session {
    fn screen(&self) -> String {
        let out = tmux(&["capture-pane", "-p", "-t", &self.name]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &str) {
        let out = tmux(&["send-keys", "-t", &self.name, keys]);
        assert!(out.status.success(), "send-keys {keys}");
    }

    /// Polls the screen until it shows every one of `texts`.
    fn wait_for(&self, texts: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {texts:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alive(&self) -> bool {
        tmux(&["has-session", "-t", &self.name]).status.success()
    }
}

/// The precedence row with this rank (the pane's rows start with a border, an optional staged
/// mark, then the rank).
fn rank_line(screen: &str, rank: &str) -> String {
    screen
        .lines()
        .find(|l| {
            let mut words = l
                .trim_start_matches('│')
                .split_whitespace()
                .filter(|w| *w != "●" && *w != "*");
            l.starts_with('│') && words.next() == Some(rank)
        })
        .unwrap_or_default()
        .to_owned()
}

fn require_tmux() {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "tmux is not installed: this end-to-end test drives the console in tmux. \
         Install it (`apt-get install -y tmux`; .ci/run does) and run the test again."
    );
}

#[test]
fn demo_console_at_80x24_reorder_apply_quit() {
    require_tmux();
    let dirs = tempfile::tempdir().expect("temp dir");
    let config = dirs.path().join("config");
    let data = dirs.path().join("data");
    let name = format!("peoplectl-e2e-{}", std::process::id());
    let session = Session { name };
    let command = format!(
        "env PEOPLECTL_CONFIG_DIR='{}' PEOPLECTL_DATA_DIR='{}' LANG=C.UTF-8 '{}' --demo",
        config.display(),
        data.display(),
        env!("CARGO_BIN_EXE_peoplectl")
    );
    let out = tmux(&[
        "new-session",
        "-d",
        "-s",
        &session.name,
        "-x",
        "80",
        "-y",
        "24",
        &command,
    ]);
    assert!(out.status.success(), "tmux new-session: {out:?}");

    let screen = session.wait_for(&["Connections (4)", "contosohr", "app-only"]);
    assert!(screen.lines().count() <= 24);
    session.keys("2");
    session.wait_for(&["Profile sources (5)", "orphan"]);
    session.keys("4");
    session.wait_for(&["318 people"]);
    session.keys("5");
    session.wait_for(&["hr-export.csv"]);
    // A sync of the demo's HR export runs in the background and reports its bad rows.
    session.keys("s");
    session.wait_for(&["done: 296 sent", "line 59"]);
    session.keys("3");
    let screen = session.wait_for(&["Precedence", "benefitsportal"]);
    let first = rank_line(&screen, "1");
    assert!(first.contains("Contoso HR"), "rank 1 before: {first}");
    session.keys("J");
    session.wait_for(&["staged, not applied", "was 1"]);
    session.wait_for(&["jobTitle changes for"]);
    session.keys("a");
    session.wait_for(&["Apply precedence order?"]);
    session.keys("y");
    let screen = session.wait_for(&["Precedence applied"]);
    let first = rank_line(&screen, "1");
    assert!(
        first.contains("Microsoft Entra ID"),
        "rank 1 after: {first}"
    );
    session.keys("q");
    let start = Instant::now();
    while session.alive() {
        assert!(start.elapsed() < DEADLINE, "the console did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Logs went to the data dir, not the screen.
    let log = std::fs::read_to_string(data.join("peoplectl.log")).expect("log file");
    assert!(log.contains("console started"), "{log}");
}
