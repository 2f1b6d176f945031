//! Secret hygiene beyond stdout: the sync state database, the config file, error messages,
//! JSON output, Debug and panic output never hold the client secret or an access token.

use crate::support;
use crate::support::reliability;

use std::path::{Path, PathBuf};

use peoplectl::emulator::SeedKind;
use reliability::{files_under, peoplectl};

fn demo_asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/demo")
        .join(name)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `peoplectl` against the emulator at trace level, in its own config and data directories.
struct Run<'a> {
    env: &'a support::Env,
    home: tempfile::TempDir,
    /// Variables set over the emulator's (e.g. a wrong secret).
    overrides: Vec<(&'static str, String)>,
}

impl<'a> Run<'a> {
    fn new(env: &'a support::Env) -> Self {
        Self {
            env,
            home: tempfile::tempdir().unwrap(),
            overrides: Vec::new(),
        }
    }

    fn run(&self, args: &[&str]) -> (bool, String) {
        let bin = Path::new(env!("CARGO_BIN_EXE_peoplectl"));
        let mut cmd = peoplectl(bin, &self.env.emu, self.home.path(), args);
        cmd.env("PEOPLECTL_LOG", "trace");
        for (k, v) in &self.overrides {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_database_and_config_file_hold_no_secret_or_token() {
    let env = support::env(SeedKind::Demo).await;
    let run = Run::new(&env);
    let secret = env.emu.client_secret().to_owned();
    let (input, mapping) = (demo_asset("hr-export.csv"), demo_asset("hr-mapping.toml"));
    let steps: Vec<Vec<String>> = vec![
        vec!["config".into(), "add".into(), "prod".into()],
        vec![
            "sync".into(),
            "contosohr".into(),
            "--input".into(),
            input.display().to_string(),
            "--mapping".into(),
            mapping.display().to_string(),
            "--save".into(),
        ],
        vec!["auth".into(), "status".into(), "-o".into(), "json".into()],
        vec!["config".into(), "list".into(), "-o".into(), "json".into()],
        vec![
            "sync".into(),
            "contosohr".into(),
            "-o".into(),
            "json".into(),
        ],
    ];
    for args in &steps {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, text) = tokio::task::block_in_place(|| run.run(&args));
        assert!(ok, "{args:?}: {text}");
        assert!(!text.contains(&secret), "{args:?} printed the secret");
        assert!(!text.contains("eyJ"), "{args:?} printed a token");
    }
    let files = files_under(run.home.path());
    assert!(
        files
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "sqlite")),
        "the sync kept its state: {files:?}"
    );
    assert!(
        files
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "toml")),
        "the context was saved"
    );
    // SQLite's -wal and -journal files too.
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        assert!(
            !contains(&bytes, secret.as_bytes()),
            "{} holds the secret",
            path.display()
        );
        assert!(
            !contains(&bytes, b"eyJ"),
            "{} holds a token",
            path.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_reported_without_being_repeated() {
    let env = support::env(SeedKind::Demo).await;
    let mut run = Run::new(&env);
    let wrong = "Wr0ng~secret.value-4f2a9c";
    run.overrides.push(("AZURE_CLIENT_SECRET", wrong.into()));
    for args in [
        &["connections", "list"][..],
        &["connections", "list", "-o", "json"],
        &["auth", "status"],
    ] {
        let (ok, text) = tokio::task::block_in_place(|| run.run(args));
        assert!(!ok, "{args:?} signed in with a wrong secret");
        assert!(
            text.contains("AADSTS7000215") || text.to_lowercase().contains("secret"),
            "{args:?} says what is wrong: {text}"
        );
        assert!(
            !text.contains(wrong),
            "{args:?} repeated the secret: {text}"
        );
        assert!(!text.contains(env.emu.client_secret()));
    }
}

#[tokio::test]
async fn debug_and_panic_output_of_the_signed_in_client_hold_no_secret() {
    let env = support::env(SeedKind::Empty).await;
    let secret = env.emu.client_secret().to_owned();
    // A real call, so a token is cached inside.
    env.client
        .list_connections(peoplectl::graph::ApiVersion::V1)
        .await
        .unwrap();
    let token = env.emu.mint_app_token(3600);
    for text in [
        format!("{:?}", env.client),
        format!("{:#?}", env.client),
        format!("{:?}", env.client.credential()),
        format!("{:?}", env.emu),
    ] {
        assert!(!text.contains(&secret), "{text}");
        assert!(!text.contains("eyJ"), "{text}");
        assert!(!text.contains(&token));
    }
    // A panic that formats the client (the kind of thing an assert message does).
    let client = env.client.clone();
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        panic!("boom with {client:?}")
    }))
    .unwrap_err();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.starts_with("boom with"), "{message}");
    assert!(!message.contains(&secret) && !message.contains("eyJ"));
}
