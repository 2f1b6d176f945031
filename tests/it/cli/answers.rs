//! Right answers and safe defaults through the real binary: what Microsoft 365 shows and why,
//! register's guard, impact lists that match the profile API after applying, a failed schema
//! operation's error, and one exit-code table ("not found" is an error, never success).

use std::collections::BTreeMap;

use peoplectl::emulator::SeedKind;
use reqwest::Method;
use serde_json::Value;

use super::commands::Cli;
use crate::support::lists;

/// The current position's jobTitle as the beta profile API shows it (a delegated call).
async fn shown_job_title(cli: &Cli, upn: &str) -> Value {
    let emu = &cli.env.emu;
    let token = emu
        .mint_user_token(emu.admin_upn(), &["User.Read.All"], 600)
        .expect("the admin exists");
    let ca = reqwest::Certificate::from_pem(emu.ca_cert_pem().as_bytes()).expect("CA");
    let http = reqwest::Client::builder()
        .add_root_certificate(ca)
        .no_proxy()
        .build()
        .expect("client");
    let url = format!("{}/beta/users/{upn}/profile/positions", emu.graph_url());
    let body: Value = http
        .request(Method::GET, url)
        .bearer_auth(token)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    body["value"]
        .as_array()
        .and_then(|v| {
            v.iter()
                .find(|p| p["isCurrent"] != Value::Bool(false))
                .cloned()
        })
        .map_or(Value::Null, |p| p["detail"]["jobTitle"].clone())
}

fn title_line(doc: &Value) -> Value {
    doc["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["property"] == "positions/detail/jobTitle")
        .cloned()
        .expect("jobTitle")
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_shows_what_microsoft_365_shows_for_an_account_without_a_mailbox() {
    let cli = Cli::start(SeedKind::Demo).await;
    let upn = "mykola.shevchenko@contoso.com";
    let (code, doc) = cli.json(&["profile", "show", upn, "--explain"]).await;
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["mailbox"], "none");
    let title = title_line(&doc);
    assert_eq!(title["value"], "Software Engineer");
    assert_eq!(title["source"], "Microsoft Entra ID");
    assert_eq!(title["rule"], "sourceIgnored");
    assert_eq!(title["ruleText"], "contosohr ignored: no Exchange mailbox");
    assert_eq!(title["ignored"][0]["source"], "contosohr");
    assert_eq!(title["ignored"][0]["value"], "Senior Software Engineer");
    assert_eq!(title["ignored"][0]["code"], "noMailbox");
    // And that is what the profile API shows.
    assert_eq!(shown_job_title(&cli, upn).await, title["value"]);

    // The table says the same in words.
    let out = cli.run(&["profile", "show", upn, "--explain"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no Exchange mailbox"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn register_refuses_connections_that_cannot_feed_profiles_and_writes_nothing() {
    let cli = Cli::start(SeedKind::Demo).await;
    let before = lists(&cli.env.emu);
    for (id, reason) in [
        ("wikiknowledge", "not people"),
        ("learningpeople", "not ready"),
    ] {
        for dry_run in [false, true] {
            let mut args = vec![
                "sources",
                "register",
                id,
                "--web-url",
                "https://portal.contoso.com",
            ];
            if dry_run {
                args.push("--dry-run");
            }
            let out = cli.run(&args).await;
            assert_eq!(out.status.code(), Some(4), "{id} dry-run={dry_run}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(reason), "{err}");
            assert!(
                err.contains("--force"),
                "the way past the guard is named: {err}"
            );
        }
    }
    assert_eq!(lists(&cli.env.emu), before, "nothing was written");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reorders_impact_list_names_who_changes_and_matches_the_profile_api_after_applying() {
    let cli = Cli::start(SeedKind::Demo).await;
    let args = ["precedence", "move", "contosohr", "--down"];
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let (code, doc) = cli.json(&dry).await;
    assert_eq!(code, 0, "{doc}");
    let changes = doc["impact"]["changes"]
        .as_array()
        .expect("the impact list");
    let titles: BTreeMap<String, Value> = changes
        .iter()
        .filter(|c| c["property"] == "positions/detail/jobTitle")
        .map(|c| (c["upn"].as_str().unwrap().to_owned(), c.clone()))
        .collect();
    let alex = &titles["alex.wilber@contoso.com"];
    assert_eq!(alex["before"]["value"], "Senior Software Engineer");
    assert_eq!(alex["before"]["source"], "contosohr");
    assert_eq!(alex["after"]["value"], "Software Engineer");
    assert_eq!(alex["after"]["source"], "Microsoft Entra ID");
    assert!(
        !titles.contains_key("mykola.shevchenko@contoso.com"),
        "his HR title never counted, so it cannot change"
    );
    assert_eq!(
        doc["impact"]["perProperty"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["property"] == "positions/detail/jobTitle")
            .unwrap()["changed"],
        titles.len()
    );
    // Before applying, the profile API shows the "before" values; after, the "after" ones.
    for (upn, change) in titles.iter().take(5) {
        assert_eq!(
            shown_job_title(&cli, upn).await,
            change["before"]["value"],
            "{upn}"
        );
    }
    let (code, doc) = cli.json(&args).await;
    assert_eq!(code, 0, "{doc}");
    for (upn, change) in &titles {
        assert_eq!(
            shown_job_title(&cli, upn).await,
            change["after"]["value"],
            "{upn}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_impact_list_is_csv_with_o_csv_or_in_a_private_file() {
    let cli = Cli::start(SeedKind::Demo).await;
    let out = cli
        .run(&[
            "precedence",
            "move",
            "contosohr",
            "--down",
            "--dry-run",
            "-o",
            "csv",
        ])
        .await;
    assert_eq!(out.status.code(), Some(0));
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("upn,property,before_value,before_source,after_value,after_source")
    );
    assert!(
        csv.lines().any(|l| l.starts_with(
            "alex.wilber@contoso.com,positions/detail/jobTitle,Senior Software Engineer,contosohr,Software Engineer,Microsoft Entra ID"
        )),
        "{csv}"
    );

    let file = cli.dirs.path().join("ticket-1234.csv");
    let out = cli
        .run(&[
            "remove",
            "contosohr",
            "--dry-run",
            "--impact-file",
            file.to_str().unwrap(),
        ])
        .await;
    assert_eq!(out.status.code(), Some(0));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with("upn,property,"));
    assert!(
        written.lines().count() > 18,
        "every changed value: {written}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // Anything but a dry run has no CSV form: refused before it runs.
    let before = lists(&cli.env.emu);
    for args in [
        &["connections", "list", "-o", "csv"][..],
        &["precedence", "move", "contosohr", "--down", "-o", "csv"],
    ] {
        let out = cli.run(args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert_eq!(lists(&cli.env.emu), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn register_dry_run_shows_the_impact_of_the_source_starting_to_count() {
    let cli = Cli::start(SeedKind::Demo).await;
    let (code, _) = cli
        .json(&[
            "connections",
            "create",
            "hrnew",
            "--name",
            "HR next",
            "--wait",
        ])
        .await;
    assert_eq!(code, 0);
    let (code, doc) = cli
        .json(&[
            "sources",
            "register",
            "hrnew",
            "--web-url",
            "https://hr.contoso.com",
            "--dry-run",
        ])
        .await;
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["dryRun"], true);
    assert_eq!(doc["impact"]["users"], cli.env.emu.inspect().users_count());
    assert_eq!(
        doc["impact"]["changes"],
        Value::Array(Vec::new()),
        "nothing ingested yet: nobody changes"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_schema_operation_shows_its_code_and_message() {
    let cli = Cli::start(SeedKind::Demo).await;
    let (code, doc) = cli.json(&["connections", "show", "learningpeople"]).await;
    assert_eq!(code, 0);
    assert_eq!(doc["schemaOperationError"]["code"], "InvalidSchema");
    assert!(
        doc["schemaOperationError"]["message"]
            .as_str()
            .unwrap()
            .contains("personManager")
    );
    let out = cli.run(&["connections", "show", "learningpeople"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("schema operation FAILED: InvalidSchema"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn not_found_is_an_error_alike_for_every_command() {
    let cli = Cli::start(SeedKind::Demo).await;
    let before = lists(&cli.env.emu);
    for (args, says) in [
        (
            &["remove", "nosuch", "--yes"][..],
            "nothing named 'nosuch' exists",
        ),
        (
            &["remove", "nosuch", "--dry-run"],
            "nothing named 'nosuch' exists",
        ),
        (
            &["sources", "remove", "nosuch"],
            "nothing named 'nosuch' exists",
        ),
        (&["profile", "show", "nobody@contoso.com"], "no user"),
        (&["connections", "show", "nosuch"], "no connection"),
        (
            &["precedence", "move", "nosuch", "--up"],
            "not in the precedence list",
        ),
        (
            &[
                "sources",
                "register",
                "nosuch",
                "--web-url",
                "https://x.contoso.com",
            ],
            "no connection",
        ),
    ] {
        let out = cli.run(args).await;
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(lists(&cli.env.emu), before);
}
