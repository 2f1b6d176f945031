//! Sign-in against the emulator: device code approved / declined / expired, refresh in a long
//! session, the kept sign-in (0600, refused when others can read it), and what `auth status`
//! and the profile API see with a delegated token.

use crate::support;

use std::sync::{Arc, Mutex};

use futures::StreamExt as _;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use peoplectl::auth::claims::{TokenKind, decode};
use peoplectl::auth::device_code::{
    DeviceCodeCredential, DeviceCodeError, DeviceCodePrompt, PromptSink, TokenCache,
};
use peoplectl::emulator::{EmulatorConfig, EmulatorHandle, SeedKind};
use peoplectl::graph::client::GRAPH_SCOPE;
use peoplectl::graph::{GraphClient, TransportOptions, build_http_client};

fn http(emu: &EmulatorHandle) -> reqwest::Client {
    build_http_client(&TransportOptions {
        ca_cert_pem: Some(emu.ca_cert_pem().as_bytes().to_vec()),
        no_proxy: true,
        timeout: None,
        connect_timeout: None,
    })
    .unwrap()
}

/// A prompt sink that records prompts and answers each as `answer` does (approve or decline
/// on the emulator's sign-in page, as the admin would).
fn sink(
    prompts: Arc<Mutex<Vec<DeviceCodePrompt>>>,
    answer: impl Fn(&str) + Send + Sync + 'static,
) -> PromptSink {
    Arc::new(move |p: &DeviceCodePrompt| {
        prompts.lock().unwrap().push(p.clone());
        answer(&p.user_code);
    })
}

fn credential(
    emu: &EmulatorHandle,
    prompt: Option<PromptSink>,
    cache: Option<TokenCache>,
) -> DeviceCodeCredential {
    DeviceCodeCredential::new(
        http(emu),
        &emu.authority_url(),
        emu.tenant_id(),
        emu.client_id(),
        prompt,
        cache,
    )
}

async fn emulator(config: EmulatorConfig) -> Arc<EmulatorHandle> {
    Arc::new(support::env_with(config).await.emu)
}

#[tokio::test]
async fn an_approved_device_code_gives_a_delegated_token_that_reads_profiles() {
    let emu = emulator(support::config(SeedKind::Demo)).await;
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let approver = emu.clone();
    let admin = emu.admin_upn().to_owned();
    let cred = credential(
        &emu,
        Some(sink(prompts.clone(), move |code| {
            assert!(approver.approve_device_code(code, &admin));
        })),
        None,
    );
    let token = cred.sign_in().await.unwrap();
    assert_eq!(prompts.lock().unwrap().len(), 1);
    let prompt = prompts.lock().unwrap()[0].clone();
    assert!(prompt.verification_uri.starts_with("https://"));
    assert!(prompt.message.contains(&prompt.user_code));

    let info = decode(token.token.secret()).unwrap();
    assert_eq!(info.kind, TokenKind::Delegated);
    assert_eq!(info.identity, emu.admin_upn());

    // The same credential serves Graph calls without prompting again.
    let client = GraphClient::new(http(&emu), &emu.graph_url(), Arc::new(cred)).unwrap();
    let profile = client.get_profile("alex.wilber@contoso.com").await.unwrap();
    let positions = profile.entities("positions");
    assert!(!positions.is_empty());
    assert!(
        positions[0]
            .source_types
            .iter()
            .any(|t| t == "ConnectorSource")
    );
    assert_eq!(prompts.lock().unwrap().len(), 1);

    // With a delegated sign-in, explain compares against Microsoft 365's own view.
    let explanation = peoplectl::ops::explain::explain_user(&client, "alex.wilber@contoso.com")
        .await
        .unwrap();
    assert_eq!(explanation.profile_api, "read");
    assert!(
        explanation
            .mismatches
            .iter()
            .all(|m| m.property != "positions/detail/jobTitle"),
        "the emulator composes jobTitle as the engine does: {:?}",
        explanation.mismatches
    );

    // Abhishek Hegde wrote his own title through the profile API: explain shows it beside the
    // winner, and says why it did not win (the demo story, assets/demo/README.md).
    let abhishek = peoplectl::ops::explain::explain_user(&client, "abhishek.hegde@contoso.com")
        .await
        .unwrap();
    let title = abhishek
        .properties
        .iter()
        .find(|p| p.property == "positions/detail/jobTitle")
        .expect("a jobTitle line");
    assert_eq!(title.value, "Senior Customer Success Manager");
    assert!(
        title
            .shadowed
            .iter()
            .any(|s| s.value == "Chief Happiness Officer"),
        "{title:?}"
    );
    assert!(
        abhishek
            .sources
            .iter()
            .any(|n| n.status == "userSource" && n.detail.contains("never override")),
        "{:?}",
        abhishek.sources
    );
}

#[tokio::test]
async fn declined_and_expired_codes_end_the_sign_in_clearly() {
    let emu = emulator(support::config(SeedKind::Empty)).await;
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let decliner = emu.clone();
    let cred = credential(
        &emu,
        Some(sink(prompts.clone(), move |code| {
            assert!(decliner.decline_device_code(code));
        })),
        None,
    );
    let err = cred.sign_in().await.unwrap_err();
    assert_eq!(err, DeviceCodeError::Declined);

    // Nobody approves, and the code's 15 minutes pass (on the emulator's clock) while it is
    // shown: the code runs out.
    let idle = emu.clone();
    let cred = credential(
        &emu,
        Some(sink(prompts, move |_| {
            idle.clock().advance(Duration::from_secs(901));
        })),
        None,
    );
    let err = cred.sign_in().await.unwrap_err();
    assert_eq!(err, DeviceCodeError::Expired);
    assert!(err.to_string().contains("expired"));
}

#[tokio::test]
async fn without_a_prompt_there_is_no_sign_in_only_a_clear_error() {
    let emu = emulator(support::config(SeedKind::Empty)).await;
    let cred = credential(&emu, None, None);
    let err = cred.get_token(&[GRAPH_SCOPE], None).await.unwrap_err();
    assert!(err.to_string().contains("peoplectl auth login"), "{err}");
    assert_eq!(
        emu.inspect().pending_device_codes(),
        0,
        "no code was even asked for"
    );
}

#[tokio::test]
async fn short_lived_tokens_are_refreshed_in_a_long_session_without_prompting() {
    let emu = emulator(EmulatorConfig {
        token_lifetime_s: 60,
        auto_approve_device_codes: true,
        ..support::config(SeedKind::Empty)
    })
    .await;
    let prompts = Arc::new(Mutex::new(Vec::new()));
    // The credential reads the emulator's clock, so both see the session age together.
    let clock = emu.clone();
    let cred = credential(&emu, Some(sink(prompts.clone(), |_| {})), None)
        .with_clock(Arc::new(move || clock.clock().now_utc()));
    let first = cred.get_token(&[GRAPH_SCOPE], None).await.unwrap();
    let client = GraphClient::new(http(&emu), &emu.graph_url(), Arc::new(cred)).unwrap();
    // Keep working past several token lifetimes: a call every 20 s of the session's time.
    let mut seen = std::collections::HashSet::new();
    for _ in 0..12 {
        client.list_profile_sources().await.unwrap();
        seen.insert(
            client
                .credential()
                .get_token(&[GRAPH_SCOPE], None)
                .await
                .unwrap()
                .token
                .secret()
                .to_owned(),
        );
        emu.clock().advance(Duration::from_secs(20));
    }
    // Four minutes of 60-second tokens: the first was replaced, several times over.
    assert!(seen.contains(first.token.secret()));
    assert!(seen.len() >= 4, "tokens used: {}", seen.len());
    assert_eq!(
        prompts.lock().unwrap().len(),
        1,
        "renewed with the refresh token, no prompt"
    );
}

#[tokio::test]
async fn the_kept_sign_in_is_private_and_reused() {
    let emu = emulator(EmulatorConfig {
        auto_approve_device_codes: true,
        ..support::config(SeedKind::Empty)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache {
        path: dir.path().join("tokens").join("lab.json"),
    };
    let prompts = Arc::new(Mutex::new(Vec::new()));
    credential(
        &emu,
        Some(sink(prompts.clone(), |_| {})),
        Some(cache.clone()),
    )
    .sign_in()
    .await
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cache.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A later run, which may not prompt, signs in from the kept refresh token.
    let later = credential(&emu, None, Some(cache.clone()));
    let token = later.get_token(&[GRAPH_SCOPE], None).await.unwrap();
    assert_eq!(
        decode(token.token.secret()).unwrap().kind,
        TokenKind::Delegated
    );
    assert_eq!(prompts.lock().unwrap().len(), 1);

    // A cache others could read is made private again before it is used (the policy of
    // `peoplectl::files`, the same for every private file).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cache.path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let again = credential(&emu, None, Some(cache.clone()));
        again.get_token(&[GRAPH_SCOPE], None).await.unwrap();
        let mode = std::fs::metadata(&cache.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(cache.clear().unwrap());
    assert!(!cache.clear().unwrap());
}

fn rsa_certificate() -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["peoplectl-app".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn certificate_sign_in_works_with_a_registered_certificate_only() {
    let emu = emulator(support::config(SeedKind::Empty)).await;
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = rsa_certificate();
    let path = dir.path().join("app.pem");
    std::fs::write(&path, format!("{cert}{key}")).unwrap();

    let make = || {
        let credential = peoplectl::auth::certificate::certificate_credential(
            emu.tenant_id(),
            emu.client_id(),
            &path,
            &emu.authority_url(),
            http(&emu),
        )
        .unwrap();
        GraphClient::new(http(&emu), &emu.graph_url(), credential).unwrap()
    };
    // Not registered yet: Entra-style refusal naming the reason.
    let err = make().list_profile_sources().await.unwrap_err().to_string();
    assert!(err.contains("AADSTS700027"), "{err}");
    assert!(!err.contains("PRIVATE KEY"), "{err}");

    emu.register_app_certificate(&cert).unwrap();
    let client = make();
    assert!(!client.list_profile_sources().await.unwrap().is_empty());
    let token = client
        .credential()
        .get_token(&[GRAPH_SCOPE], None)
        .await
        .unwrap();
    assert_eq!(
        decode(token.token.secret()).unwrap().kind,
        TokenKind::AppOnly
    );

    // Another key with the same certificate's thumbprint cannot sign for it.
    let (_, other_key) = rsa_certificate();
    let forged = dir.path().join("forged.pem");
    std::fs::write(&forged, format!("{cert}{other_key}")).unwrap();
    let credential = peoplectl::auth::certificate::certificate_credential(
        emu.tenant_id(),
        emu.client_id(),
        &forged,
        &emu.authority_url(),
        http(&emu),
    )
    .unwrap();
    let client = GraphClient::new(http(&emu), &emu.graph_url(), credential).unwrap();
    let err = client.list_profile_sources().await.unwrap_err().to_string();
    assert!(err.contains("signature"), "{err}");
}

/// Under a delegated sign-in explain compares itself with the profile API for every demo user:
/// the two compose with separate code, so any difference (a property mapped on one side only,
/// a rule read differently) shows as a mismatch an admin would be told about.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_agrees_with_the_profile_api_for_every_demo_user() {
    let emu = emulator(EmulatorConfig {
        auto_approve_device_codes: true,
        ..support::config(SeedKind::Demo)
    })
    .await;
    let cred = credential(
        &emu,
        Some(sink(Arc::new(Mutex::new(Vec::new())), |_| {})),
        None,
    );
    let client = GraphClient::new(http(&emu), &emu.graph_url(), Arc::new(cred)).unwrap();
    let snapshot = peoplectl::ops::snapshot::read_snapshot(&client)
        .await
        .unwrap();
    let users = client.list_users().await.unwrap();
    assert!(users.len() > 300, "the demo tenant: {}", users.len());
    let explained = futures::stream::iter(users.iter().map(|u| {
        let (client, snapshot) = (&client, &snapshot);
        async move {
            let e = peoplectl::ops::explain::explain_with(client, snapshot, &u.user_principal_name)
                .await
                .unwrap();
            (u.user_principal_name.clone(), e)
        }
    }))
    .buffer_unordered(8)
    .collect::<Vec<_>>()
    .await;
    let mut disagreements = Vec::new();
    for (upn, e) in &explained {
        assert_eq!(e.profile_api, "read", "{upn}");
        for m in &e.mismatches {
            disagreements.push(format!(
                "{upn} {}: explain {}, profile API {}",
                m.property, m.expected, m.actual
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
