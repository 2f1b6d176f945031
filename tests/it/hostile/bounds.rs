//! Bounded waits, inputs that are not files, private files, ids no Graph key can be, the
//! emulator off loopback and plain panics: mostly through the real binary, as an admin meets
//! them. Time bounds here are generous "did not hang" checks; the figures themselves are in
//! the README's "Hostile data" table, from `examples/reliability.rs`, which reruns the
//! scenarios of `support::hostile` that these tests assert on.
#![cfg(unix)]

use crate::support;
use crate::support::hostile::{
    self, DEFAULT_DEADLINE, ENTRA, SLACK, command, deadline_explained, entries_under,
    exposure_warning, stderr, timed, transport,
};

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use peoplectl::emulator::FaultRule;
use peoplectl::emulator::SeedKind;
use peoplectl::graph::GraphError;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_peoplectl");

fn bin() -> &'static Path {
    Path::new(BIN)
}

// ---------------------------------------------------------------------------------------------
// Bounded waits: the client

#[tokio::test]
async fn one_unanswered_request_ends_at_the_request_timeout_saying_what_did_not_answer() {
    let o = hostile::one_unanswered_request().await;
    let e = &o.error;
    let GraphError::Transport(t) = e else {
        panic!("expected a transport error, got {e:?}");
    };
    let (request, reason, tries) = (&t.request, &t.reason, &t.tries);
    // The query is left out: it may hold a person's name.
    assert_eq!(request, "GET /v1.0/external/connections");
    assert_eq!(
        reason,
        "no answer within the 300 ms request timeout (--timeout)"
    );
    assert_eq!(tries.count, 1);
    assert!(tries.waited >= Duration::from_millis(300), "{tries:?}");
    assert!(o.took >= Duration::from_millis(300), "{:?}", o.took);
    assert!(o.took < Duration::from_millis(300) + SLACK, "{:?}", o.took);
    assert!(
        e.to_string().starts_with(
            "list connections: could not reach Microsoft Graph at 127.0.0.1: \
             GET /v1.0/external/connections: no answer within the 300 ms request timeout \
             (--timeout) (1 try in "
        ),
        "{e}"
    );
}

#[tokio::test]
async fn retries_of_a_silent_graph_stop_at_the_deadline_and_each_is_reported() {
    let o = hostile::silent_graph_retried(Duration::from_millis(1500)).await;
    let (deadline, took) = (o.deadline, o.call.took);
    assert_eq!(deadline, Duration::from_millis(1500));
    assert!(took >= deadline, "{took:?}");
    assert!(took < deadline + SLACK, "{took:?}");
    let e = &o.call.error;
    let GraphError::Transport(t) = e else {
        panic!("expected a transport error, got {e:?}");
    };
    let (reason, tries) = (&t.reason, &t.tries);
    assert_eq!(
        reason,
        "no answer before the 1.5 s deadline of this call (--deadline); before that: no \
         answer within the 300 ms request timeout (--timeout)"
    );
    // 300 ms tries with short waits: four or five fit in 1.5 s, never fifty.
    assert!((2..=6).contains(&tries.count), "{tries:?}");
    assert_eq!(o.notices.len(), tries.count as usize - 1);
    for (i, n) in o.notices.iter().enumerate() {
        assert_eq!(n.what, "list connections");
        assert_eq!(n.tries as usize, i + 1);
        assert_eq!(
            n.reason,
            "no answer within the 300 ms request timeout (--timeout)"
        );
    }
}

#[tokio::test]
async fn certificates_of_another_host_or_ca_are_refused_at_once_saying_so() {
    let o = hostile::impostors().await;
    let refusal = |e: &GraphError| {
        transport(e).unwrap_or_else(|| panic!("expected a transport error, got {e:?}"))
    };
    // A trusted CA, but the certificate names another host.
    let (reason, tries) = refusal(&o.other_host);
    assert!(
        reason.starts_with("TLS handshake failed: invalid peer certificate: certificate not valid for name \"127.0.0.1\"")
            && reason.ends_with("(the certificate is for another host)"),
        "{reason}"
    );
    // Never retried: the certificate would be the same.
    assert_eq!(tries, 1);
    // The right host, but signed by another CA than the trusted one (of the same name).
    let (reason, tries) = refusal(&o.other_ca);
    assert_eq!(
        reason,
        "TLS handshake failed: invalid peer certificate: BadSignature (the certificate is not \
         signed by the CA that is trusted under its issuer's name)"
    );
    assert_eq!(tries, 1);
    // No extra CA at all: the system's roots do not know it either.
    let (reason, tries) = refusal(&o.unknown_ca);
    assert!(
        reason.starts_with("TLS handshake failed: invalid peer certificate: "),
        "{reason}"
    );
    assert_eq!(tries, 1);
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_is_not_waited_for() {
    let o = hostile::retry_after_past_the_deadline().await;
    // Graph asked for 30 s; the deadline is 5 s: give up at once rather than at the deadline.
    assert!(o.took < Duration::from_secs(5), "{:?}", o.took);
    let e = &o.error;
    assert!(e.is_throttled(), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains(" (1 try in ")
            && text
                .contains("; the 5 s deadline of this call (--deadline) left no time for another)"),
        "{text}"
    );
    assert!(
        text.starts_with("list connections: Graph answered 429"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Bounded waits: the binary

#[tokio::test(flavor = "multi_thread")]
async fn a_command_against_a_graph_that_never_answers_ends_at_its_deadline_explained() {
    let o = hostile::held_by_silence(
        bin(),
        "PEOPLECTL_GRAPH_URL",
        &["connections", "list", "--timeout", "1", "--deadline", "3"],
    )
    .await;
    let text = stderr(&o.out);
    assert_eq!(o.deadline, Duration::from_secs(3));
    assert_eq!(o.out.status.code(), Some(1), "{text}");
    assert!(o.took < o.deadline + SLACK, "{:?}: {text}", o.took);
    assert!(
        text.starts_with("peoplectl: list ")
            && text.contains(": could not reach Microsoft Graph at 127.0.0.1: GET /"),
        "{text}"
    );
    assert!(deadline_explained(&text, "3 s", "1 s"), "{text}");
    assert!(!text.contains(&o.secret), "{text}");
}

/// The defaults: a 2 minute deadline. Two minutes of waiting, so the README's figure comes from
/// `examples/reliability.rs`, which runs this once alongside everything else.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "two minutes: cargo test --test it -- --ignored"]
async fn with_the_defaults_a_graph_that_never_answers_ends_at_two_minutes() {
    let o = hostile::held_by_silence(bin(), "PEOPLECTL_GRAPH_URL", &["connections", "list"]).await;
    let text = stderr(&o.out);
    assert_eq!(o.deadline, DEFAULT_DEADLINE);
    assert_eq!(o.out.status.code(), Some(1), "{text}");
    assert!(o.took < o.deadline + SLACK, "{:?}: {text}", o.took);
    assert!(deadline_explained(&text, "2 min", "30 s"), "{text}");
    assert!(!text.contains(&o.secret), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_that_never_answers_ends_at_the_deadline_too() {
    let o = hostile::held_by_silence(
        bin(),
        "PEOPLECTL_AUTHORITY_URL",
        &["doctor", "--timeout", "1", "--deadline", "3"],
    )
    .await;
    let (text, took) = (stderr(&o.out), o.took);
    assert_eq!(o.out.status.code(), Some(1), "{text}");
    assert!(took >= o.deadline, "{took:?}: {text}");
    assert!(took < o.deadline + SLACK, "{took:?}: {text}");
    assert!(
        text.contains(
            ": sign-in failed: no token within the 3 s deadline of this call (--deadline): the \
             identity platform did not answer"
        ),
        "{text}"
    );
    assert!(!text.contains(&o.secret), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn timeouts_come_from_the_context_and_bad_ones_are_named() {
    let o = hostile::context_timeouts(bin()).await;
    // The context keeps the timeouts given to `config add`.
    assert_eq!(o.add.status.code(), Some(0), "{}", stderr(&o.add));
    assert!(
        o.saved.contains("timeout = 0.5") && o.saved.contains("deadline = 2"),
        "{}",
        o.saved
    );
    let text = stderr(&o.list.out);
    assert_eq!(o.list.out.status.code(), Some(1), "{text}");
    assert!(
        o.list.took < o.list.deadline + SLACK,
        "{:?}: {text}",
        o.list.took
    );
    assert!(deadline_explained(&text, "2 s", "500 ms"), "{text}");
    assert!(!text.contains(&o.list.secret), "{text}");
    // A value that is no number of seconds is refused, naming the context and the key.
    assert_eq!(o.bad.status.code(), Some(2), "{}", stderr(&o.bad));
    assert_eq!(
        stderr(&o.bad),
        "peoplectl: context 'lab': deadline = -1 is not a number of seconds from more than 0 to 86400\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_says_graph_is_being_retried_and_keeps_taking_keys() {
    use peoplectl::tui::action::{Action, PaneId};
    use peoplectl::tui::app::App;
    use peoplectl::tui::keymap::Keymap;
    use peoplectl::tui::state::SessionInfo;
    use peoplectl::tui::theme::Theme;
    use ratatui::{Terminal, backend::TestBackend};

    const WAIT: Duration = Duration::from_secs(60);
    let env = support::env(SeedKind::Demo).await;
    // The tenant read meets two 503s, each asking for a second's pause.
    env.emu.faults().add_rule(
        FaultRule::new("GET", "/beta/external/connections")
            .status(503)
            .retry_after(1)
            .times(2),
    );
    let info = SessionInfo {
        tenant: env.emu.tenant_domain().to_owned(),
        graph_host: env.client.host(),
        ..SessionInfo::default()
    };
    let mut app = App::new(
        env.client.clone(),
        info,
        Arc::new(Keymap::default()),
        Theme::default(),
        (120, 24),
    );
    app.start();
    assert!(app.run_until(WAIT, |s| s.retrying.is_some()).await);
    let notice = app.state.retrying.clone().unwrap();
    assert_eq!(notice.what, "list connections");
    assert_eq!(notice.reason, "Graph answered 503");
    assert_eq!(notice.wait, Duration::from_secs(1));
    let mut term = Terminal::new(TestBackend::new(120, 24)).unwrap();
    term.draw(|f| peoplectl::tui::ui::draw(f, &app.state))
        .unwrap();
    let header: String = (0..120)
        .map(|x| term.backend().buffer()[(x, 0)].symbol().to_owned())
        .collect();
    assert!(
        header.contains(&format!("retry {} (Graph answered 503)", notice.tries + 1)),
        "{header}"
    );
    // Keys still act while Graph is retried.
    app.dispatch(Action::GoTo(PaneId::Sources));
    assert_eq!(app.state.pane, PaneId::Sources);
    // Then the tenant loads and the notice goes with the job.
    assert!(
        app.run_until(WAIT, |s| s.snap().is_some() && s.jobs.is_empty())
            .await
    );
    assert!(app.state.retrying.is_none());
}

// ---------------------------------------------------------------------------------------------
// Inputs that are not files

#[tokio::test(flavor = "multi_thread")]
async fn sync_refuses_devices_fifos_directories_and_sockets_at_once() {
    let cases = hostile::not_files(bin()).await;
    assert_eq!(cases.len(), 4);
    for c in cases {
        let input = &c.input;
        assert_eq!(c.out.status.code(), Some(1), "{input}: {}", stderr(&c.out));
        assert_eq!(stderr(&c.out), c.expected);
        // Did not spin or block (it takes well under a second; see the README).
        assert!(c.took < SLACK, "{input}: {:?}", c.took);
    }
}

/// Runs a dry-run sync of the demo export with `stdin` as standard input.
async fn demo_sync_json(dirs: &Path, input: &str, stdin: Stdio) -> (Output, Value) {
    let root = env!("CARGO_MANIFEST_DIR");
    let mapping = format!("{root}/assets/demo/hr-mapping.toml");
    let mut cmd = command(
        bin(),
        dirs,
        &[
            "--demo",
            "sync",
            "contosohr",
            "--input",
            input,
            "--mapping",
            &mapping,
            "--dry-run",
            "-o",
            "json",
        ],
        &[],
    );
    cmd.stdin(stdin);
    let (out, _) = timed(cmd).await;
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, doc)
}

#[tokio::test(flavor = "multi_thread")]
async fn standard_input_is_read_like_a_file_and_named_stdin() {
    let dirs = tempfile::tempdir().unwrap();
    let export = format!("{}/assets/demo/hr-export.csv", env!("CARGO_MANIFEST_DIR"));
    let (file_out, from_file) = demo_sync_json(dirs.path(), &export, Stdio::null()).await;
    assert_eq!(file_out.status.code(), Some(0), "{}", stderr(&file_out));
    let piped = Stdio::from(std::fs::File::open(&export).unwrap());
    // A regular file on stdin is still read as a stream: the copy is what the second pass reads.
    let (out, from_stdin) = demo_sync_json(dirs.path(), "-", piped).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for key in ["rows", "valid", "invalid", "unmatched"] {
        assert_eq!(from_stdin[key], from_file[key], "{key}");
    }
    assert_eq!(from_file["rows"], 302);
    let errors = |doc: &Value| -> Vec<(String, Value, Value)> {
        doc["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["file"].as_str().unwrap().to_owned(),
                    e["line"].clone(),
                    e["reason"].clone(),
                )
            })
            .collect()
    };
    let (a, b) = (errors(&from_file), errors(&from_stdin));
    assert_eq!(a.len(), 6);
    assert_eq!(a.len(), b.len());
    for ((file, line, reason), (stdin, line2, reason2)) in a.iter().zip(&b) {
        assert_eq!(file, &export);
        assert_eq!(stdin, "<stdin>");
        assert_eq!((line, reason), (line2, reason2));
    }
    // A pipe too, written by another process as it goes.
    let mut cat = Command::new("cat")
        .arg(&export)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = Stdio::from(cat.stdout.take().unwrap());
    let (out, from_pipe) = demo_sync_json(dirs.path(), "-", pipe).await;
    cat.wait().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(from_pipe["valid"], from_file["valid"]);
    // A device on stdin is refused like one given as a path.
    let zero = Stdio::from(std::fs::File::open("/dev/zero").unwrap());
    let (out, _) = demo_sync_json(dirs.path(), "-", zero).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "peoplectl: <stdin> is a character device, not an export: send a file or a pipe to standard input\n"
    );
    // The copies of stdin were private and are gone.
    for file in entries_under(&dirs.path().join("data")) {
        assert!(
            !file.to_string_lossy().contains("stdin"),
            "{}",
            file.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Private files

#[tokio::test(flavor = "multi_thread")]
async fn everything_written_under_umask_022_is_private() {
    let o = hostile::under_umask(bin()).await;
    assert_eq!(o.runs.len(), 4);
    for (args, out) in &o.runs {
        if !args.is_empty() {
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(out));
        }
    }
    let names: Vec<&str> = o.written.iter().map(|(n, _, _)| n.as_str()).collect();
    for expected in [
        "config/config.toml",
        "data/peoplectl.log",
        "data/sync/default/contosohr.sqlite",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(
        names.iter().any(|n| n.starts_with("data/tokens/")),
        "{names:?}"
    );
    for (name, is_dir, mode) in &o.written {
        let want = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, want, "{name}");
    }
}

#[test]
fn the_sync_state_and_its_wal_are_private_while_open() {
    let o = hostile::state_while_open();
    assert!(o.wal_exists, "WAL mode keeps a -wal file while open");
    assert_eq!(o.file, 0o600);
    assert_eq!(o.wal, 0o600);
    if let Some(shm) = o.shm {
        assert_eq!(shm, 0o600);
    }
    assert_eq!(o.dirs, [0o700, 0o700]);
    // A state file left readable by an older version is made private when next opened.
    assert_eq!(o.reopened_setting.as_deref(), Some("25"));
    assert_eq!(o.reopened, 0o600);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_file_others_can_read_is_made_private_before_it_is_used() {
    let o = hostile::loose_secret_file(bin()).await;
    assert_eq!(o.add.status.code(), Some(0), "{}", stderr(&o.add));
    assert_eq!(o.after_add, 0o600);
    assert!(
        stderr(&o.add).contains(&format!(
            "{} could be read by other users (mode 644); peoplectl made it private (mode 600)",
            o.path.display()
        )),
        "{}",
        stderr(&o.add)
    );
    // Loosened again, it is fixed again when sign-in reads it, and the command works.
    assert_eq!(o.list.status.code(), Some(0), "{}", stderr(&o.list));
    assert_eq!(o.after_list, 0o600);
    assert!(!stderr(&o.list).contains(&o.secret));
}

// ---------------------------------------------------------------------------------------------
// Ids

#[tokio::test(flavor = "multi_thread")]
async fn ids_no_graph_key_can_be_are_refused_before_any_request() {
    let o = hostile::bad_ids(bin()).await;
    assert_eq!(o.cases.len(), 11);
    for c in &o.cases {
        let args = &c.args;
        assert_eq!(c.out.status.code(), Some(2), "{args:?}: {}", stderr(&c.out));
        assert_eq!(stderr(&c.out), c.expected, "{args:?}");
    }
    assert_eq!(o.control.status.code(), Some(2));
    assert!(
        !stderr(&o.control).contains('\u{1b}'),
        "{}",
        stderr(&o.control)
    );
    // Not one request, not even for a token.
    assert_eq!(o.requests, 0);
    // The counter does count: a good id makes requests.
    assert_eq!(o.good.status.code(), Some(0), "{}", stderr(&o.good));
    assert!(o.good_requests > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn precedence_set_never_drops_an_entry_it_cannot_name_without_saying_so() {
    let o = hostile::unnamed_precedence_entry(bin()).await;
    let (odd, urls) = (o.odd, &o.urls);
    assert_eq!(o.ids, format!("{ENTRA},contosohr"));
    assert_eq!(urls[1], odd);

    // No terminal to ask on: refused, nothing written, the entry named with its rank.
    let (out, after) = &o.refused;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(out));
    assert_eq!(
        stderr(out),
        format!(
            "peoplectl: This drops 1 entry from the precedence list that no source id can name:\n  \
             rank 2: \"{odd}\"\nNothing was written. `peoplectl precedence move` reorders \
             without dropping them; pass --yes to drop them.\n"
        )
    );
    assert_eq!(after, urls);

    // A dry run says so and writes nothing.
    let (out, after) = &o.dry_run;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    assert!(
        stderr(out).contains(&format!("rank 2: \"{odd}\"")),
        "{}",
        stderr(out)
    );
    assert_eq!(after, urls);

    // --yes drops it, having said so.
    let (out, after) = &o.yes;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    assert!(
        stderr(out).contains(&format!("rank 2: \"{odd}\"")),
        "{}",
        stderr(out)
    );
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(!after.iter().any(|u| u == odd));
    assert!(
        after[0].contains(ENTRA) && after[1].contains("contosohr"),
        "{after:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The emulator off loopback

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_warns_when_others_can_reach_it() {
    let o = hostile::emulator_exposure(bin()).await;
    let exposed = &o.exposed;
    let warning = exposure_warning(exposed).unwrap_or_else(|| panic!("no warning in: {exposed}"));
    assert!(
        warning.contains("which is not a loopback address"),
        "{warning}"
    );
    assert!(
        warning.contains("on any address of this machine can sign in with the AZURE_CLIENT_SECRET printed on stdout"),
        "{warning}"
    );
    assert!(!o.loopback.contains("WARNING"), "{}", o.loopback);
}

// ---------------------------------------------------------------------------------------------
// A panic, if one ever happens

#[tokio::test(flavor = "multi_thread")]
async fn a_panic_is_plain_text_when_stderr_is_not_a_terminal() {
    let o = hostile::panic_in_a_pipe(bin()).await;
    let text = stderr(&o.out);
    assert_eq!(o.out.status.code(), Some(101), "{text}");
    assert!(
        text.starts_with("The application panicked (crashed).\n"),
        "{text}"
    );
    assert!(
        text.contains("Message:  panic requested by PEOPLECTL_DEBUG_PANIC (debug builds only)"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "escape sequences in: {text:?}");
    // And the trigger is nowhere in the help.
    let help = &o.help;
    assert!(
        help.contains("--timeout") && help.contains("--deadline"),
        "{help}"
    );
    assert!(!help.to_lowercase().contains("panic"), "{help}");
}
