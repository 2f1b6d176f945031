//! The real binary in tmux: start `--demo`, see the panes, sync, reorder, apply, quit; the
//! terminal's manners (Ctrl-Z and `fg`, Esc typed ahead, a 16-colour terminal); a piped table.

// Needs tmux (CI installs it). Each test runs its own tmux server (`tmux -L <unique socket>`),
// so tests run in parallel without meeting; they wait on screen contents, never on a fixed
// delay.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

/// One tmux server with one session, killed when dropped.
struct Session {
    socket: String,
    name: String,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

impl Session {
    /// A detached session of `width` x `height` running `command` on a server of its own.
    fn start(width: u16, height: u16, command: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        require_tmux();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let session = Self {
            socket: format!("peoplectl-e2e-{}-{n}", std::process::id()),
            name: "console".to_owned(),
        };
        let out = session.tmux(&[
            "new-session",
            "-d",
            "-s",
            &session.name,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            command,
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        session
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", &self.name]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(out.status.success(), "send-keys {keys:?}");
    }

    /// Polls the screen until it shows every one of `texts`.
    fn wait_for(&self, texts: &[&str]) -> String {
        self.wait_until(&format!("{texts:?}"), |screen| {
            texts.iter().all(|t| screen.contains(t))
        })
    }

    /// Polls the screen until `done` holds for it.
    fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alive(&self) -> bool {
        self.tmux(&["has-session", "-t", &self.name])
            .status
            .success()
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

/// Temp config and data dirs, and the `env` prefix that points the binary at them.
struct Dirs {
    _root: tempfile::TempDir,
    data: PathBuf,
    env: String,
}

fn dirs() -> Dirs {
    let root = tempfile::tempdir().expect("temp dir");
    let config = root.path().join("config");
    let data = root.path().join("data");
    let env = format!(
        "env PEOPLECTL_CONFIG_DIR='{}' PEOPLECTL_DATA_DIR='{}' LANG=C.UTF-8",
        config.display(),
        data.display(),
    );
    Dirs {
        _root: root,
        data,
        env,
    }
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_peoplectl")
}

#[test]
fn demo_console_at_80x24_reorder_apply_quit() {
    let d = dirs();
    let command = format!("{} '{}' --demo", d.env, binary());
    let session = Session::start(80, 24, &command);

    let screen = session.wait_for(&["Connections (4)", "contosohr", "app-only"]);
    assert!(screen.lines().count() <= 24);
    session.keys(&["2"]);
    session.wait_for(&["Profile sources (5)", "orphan"]);
    session.keys(&["4"]);
    session.wait_for(&["318 people"]);
    session.keys(&["5"]);
    session.wait_for(&["hr-export.csv"]);
    // A sync of the demo's HR export runs in the background and reports its bad rows, with
    // when it ran and how long it took.
    session.keys(&["s"]);
    session.wait_for(&["done: 296 sent", "line 59"]);
    session.wait_for(&["ago ·"]);
    // Is it live yet: everyone checked. The demo signs in app-only, so the console says what a
    // delegated sign-in would add and still shows the drop it can tell (no mailbox).
    session.keys(&["P"]);
    session.wait_for(&["Is it live yet", "1 dropped", "delegated sign-in"]);
    session.keys(&["w"]);
    session.wait_for(&[
        "Not live yet: contosohr",
        "mykola.shevchenko",
        "no Exchange Online",
    ]);
    session.keys(&["Enter"]);
    session.wait_for(&["Profile API needs delegated sign-in"]);
    session.keys(&["Escape"]);
    session.wait_for(&[
        "Mykola",
        "contosohr: synced",
        "from hr-export.csv:",
        "dropped: no",
    ]);
    session.keys(&["BSpace"]);
    session.wait_for(&["Not live yet: contosohr"]);
    session.keys(&["Escape"]);
    session.keys(&["3"]);
    let screen = session.wait_for(&["Precedence", "benefitsportal"]);
    let first = rank_line(&screen, "1");
    assert!(first.contains("Contoso HR"), "rank 1 before: {first}");
    session.keys(&["J"]);
    session.wait_for(&["staged, not applied", "was 1"]);
    session.wait_for(&["jobTitle changes for"]);
    session.keys(&["a"]);
    session.wait_for(&["Apply precedence order?"]);
    session.keys(&["y"]);
    let screen = session.wait_for(&["Precedence applied"]);
    let first = rank_line(&screen, "1");
    assert!(
        first.contains("Microsoft Entra ID"),
        "rank 1 after: {first}"
    );
    session.keys(&["q"]);
    let start = Instant::now();
    while session.alive() {
        assert!(start.elapsed() < DEADLINE, "the console did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Logs went to the data dir, not the screen.
    let log = std::fs::read_to_string(d.data.join("peoplectl.log")).expect("log file");
    assert!(log.contains("console started"), "{log}");
}

/// The line of the Connections pane's summary: "<selected id>: <description> · ...".
fn summary_of(screen: &str, id: &str) -> bool {
    screen.lines().any(|l| {
        l.trim_start_matches(['│', '|'])
            .starts_with(&format!("{id}: "))
    })
}

#[test]
fn ctrl_z_suspends_fg_restores_and_esc_typed_ahead_keeps_the_key() {
    let d = dirs();
    // A shell with job control, as an admin has: Ctrl-Z and `fg` are its business.
    let session = Session::start(80, 24, "env PS1='shell$ ' bash --norc --noprofile -i");
    session.wait_for(&["shell$"]);
    session.keys(&[&format!("{} '{}' --demo", d.env, binary()), "Enter"]);
    session.wait_for(&["Connections (4)", "app-only"]);
    session.wait_until("contosohr selected", |s| summary_of(s, "contosohr"));

    session.keys(&["C-z"]);
    let screen = session.wait_for(&["Stopped"]);
    assert!(
        !screen.contains("Connections (4)"),
        "the terminal is the shell's again (main screen):\n{screen}"
    );
    session.keys(&["fg", "Enter"]);
    let screen = session.wait_for(&["Connections (4)", "enter detail"]);
    assert!(
        summary_of(&screen, "contosohr"),
        "redrawn whole, where it was:\n{screen}"
    );

    // Esc, then j at once (one burst, as over a slow link): the j is not lost.
    session.keys(&["Escape", "j"]);
    session.wait_until("the next row selected", |s| summary_of(s, "learningpeople"));

    session.keys(&["q"]);
    session.wait_for(&["shell$"]);
}

#[test]
fn a_16_colour_terminal_gets_no_256_colour_sequence_and_ascii_glyphs() {
    let d = dirs();
    let raw = d.data.with_file_name("raw-output");
    let command = format!("{} TERM=vt100 '{}' --demo", d.env, binary());
    let session = Session::start(80, 24, &command);
    let out = session.tmux(&[
        "pipe-pane",
        "-o",
        "-t",
        &session.name,
        &format!("cat >> '{}'", raw.display()),
    ]);
    assert!(out.status.success(), "pipe-pane: {out:?}");
    session.wait_for(&["Connections (4)"]);
    // Draw every pane while the output is captured.
    for pane in ["2", "3", "4", "5", "1"] {
        session.keys(&[pane]);
    }
    session.wait_for(&["Connections (4)", "enter detail"]);
    let bytes = wait_for_file(&raw, |b| String::from_utf8_lossy(b).contains("contosohr"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("38;5;") && !text.contains("48;5;"),
        "a 256-colour sequence reached a vt100"
    );
    assert!(
        !text.contains('✓') && !text.contains('│'),
        "ASCII glyphs only"
    );
    assert!(text.contains("+-"), "ASCII borders");
    session.keys(&["q"]);
}

fn wait_for_file(path: &Path, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let start = Instant::now();
    loop {
        let bytes = std::fs::read(path).unwrap_or_default();
        if done(&bytes) {
            return bytes;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_piped_table_is_never_cut_on_an_80_column_terminal() {
    let d = dirs();
    let out = d.data.with_file_name("remove-dry-run.txt");
    // On an 80-column terminal, stdout into a pipe: the table grows to fit instead.
    let command = format!(
        "sh -c \"{} '{}' --demo remove talentlegacy --dry-run | cat > '{}'; echo piped-done; sleep 60\"",
        d.env,
        binary(),
        out.display()
    );
    let session = Session::start(80, 24, &command);
    session.wait_for(&["piped-done"]);
    let text = std::fs::read_to_string(&out).expect("output");
    assert!(
        text.contains("delete connection 'talentlegacy' (Talent Hub, ready, 100 items)"),
        "{text}"
    );
    // The one "…" allowed starts the line that says how many more values the list has.
    assert!(
        !text
            .lines()
            .filter(|l| !l.starts_with("… "))
            .any(|l| l.contains('…')),
        "nothing is cut:\n{text}"
    );
    assert!(
        text.lines().any(|l| l.chars().count() > 80),
        "wider than the terminal, since a pipe has no width:\n{text}"
    );
}
