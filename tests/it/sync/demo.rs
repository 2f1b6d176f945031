//! Tonight's demo export (assets/demo/hr-export.csv) into the demo tenant's `contosohr`: every
//! bad row listed in assets/demo/README.md is reported with its line and reason, and every
//! good row lands.

use crate::support::sync;

use std::path::PathBuf;

use peoplectl::emulator::SeedKind;
use peoplectl::people::item::item_id_for_upn;
use peoplectl::sync::{
    CancellationToken, EventSink, IssueKind, SyncEvent, SyncOptions, SyncReport, run,
};

fn asset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/demo")
        .join(name)
}

fn options(env: &sync::Env) -> SyncOptions {
    let mut o = SyncOptions::new(
        "contosohr",
        env.emu.tenant_id(),
        "demo",
        env.dir.path().join("data"),
        asset("hr-export.csv"),
    );
    o.mapping = Some(asset("hr-mapping.toml"));
    o
}

fn issue_at(report: &SyncReport, line: u64) -> Vec<&peoplectl::sync::Issue> {
    report
        .errors
        .iter()
        .filter(|e| e.line == Some(line))
        .collect()
}

#[tokio::test]
async fn the_demo_export_reports_each_bad_row_and_lands_every_good_one() {
    let mut config = sync::config(0);
    config.seed = SeedKind::Demo;
    let env = sync::env_with(config).await;

    // A dry run first: the report and the plan, nothing written.
    let mut dry = options(&env);
    dry.dry_run = true;
    let items_before = env.emu.inspect().item_ids("contosohr");
    let plan = run(
        &env.client,
        &dry,
        EventSink::none(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(env.emu.inspect().item_ids("contosohr"), items_before);
    assert_eq!(
        (plan.rows, plan.valid, plan.invalid, plan.unmatched),
        (302, 296, 5, 1)
    );
    assert_eq!(
        (plan.put, plan.to_put),
        (0, 296),
        "no state yet: all valid go"
    );

    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let events = tokio::spawn(async move {
        let mut issues = Vec::new();
        while let Some(e) = rx.recv().await {
            if let SyncEvent::Issue(i) = e {
                issues.push(i);
            }
        }
        issues
    });
    let report = run(
        &env.client,
        &options(&env),
        EventSink::new(tx),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let streamed = events.await.unwrap();
    assert_eq!(
        (report.rows, report.valid, report.invalid, report.unmatched),
        (302, 296, 5, 1)
    );
    assert_eq!((report.put, report.failed, report.deleted), (296, 0, 0));
    assert_eq!(
        streamed.len(),
        report.errors.len(),
        "events carry every issue"
    );

    let file = asset("hr-export.csv").display().to_string();
    for e in &report.errors {
        assert_eq!(e.file, file);
    }

    // line 59: Email missing.
    let e = issue_at(&report, 59);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].kind, IssueKind::Invalid);
    assert_eq!(e[0].column.as_deref(), Some("Email"));
    assert!(e[0].reason.contains("missing"), "{}", e[0].reason);

    // line 120: no '@'.
    let e = issue_at(&report, 120);
    assert_eq!(e[0].column.as_deref(), Some("Email"));
    assert!(
        e[0].reason.contains("ingrid.berg.contoso.com"),
        "{}",
        e[0].reason
    );
    assert!(e[0].reason.contains("'@'"), "{}", e[0].reason);

    // line 203: duplicate of line 52, which wins and lands.
    let e = issue_at(&report, 203);
    assert_eq!(e[0].column.as_deref(), Some("Email"));
    assert!(e[0].reason.contains("duplicate"), "{}", e[0].reason);
    assert!(e[0].reason.contains("line 52"), "{}", e[0].reason);

    // line 246: not in the tenant.
    let e = issue_at(&report, 246);
    assert_eq!(e[0].kind, IssueKind::Unmatched);
    assert!(
        e[0].reason.contains("nobody@contoso.com"),
        "{}",
        e[0].reason
    );

    // line 288: invalid Hire Date.
    let e = issue_at(&report, 288);
    assert_eq!(e[0].column.as_deref(), Some("Hire Date"));
    assert!(e[0].reason.contains("2026-13-45"), "{}", e[0].reason);

    // line 303: four emails.
    let e = issue_at(&report, 303);
    assert_eq!(e[0].column.as_deref(), Some("Other Emails"));
    assert!(e[0].reason.contains("at most 3"), "{}", e[0].reason);

    let mut lines: Vec<u64> = report.errors.iter().filter_map(|e| e.line).collect();
    lines.dedup();
    assert_eq!(
        lines,
        [59, 120, 203, 246, 288, 303],
        "nothing else is reported"
    );

    // Every good row landed, with what the export says.
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(asset("hr-export.csv"))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let bad = [59usize, 120, 203, 246, 288, 303];
    let inspect = env.emu.inspect();
    for (i, fields) in rows.iter().enumerate() {
        let line = i + 2;
        if bad.contains(&line) {
            continue;
        }
        let upn = &fields[1];
        let item = inspect
            .item("contosohr", &item_id_for_upn(upn))
            .unwrap_or_else(|| panic!("line {line}: no item for {upn}"));
        let position: serde_json::Value =
            serde_json::from_str(item["properties"]["position"].as_str().unwrap()).unwrap();
        let title = position["detail"].get("jobTitle").and_then(|t| t.as_str());
        let expected = Some(&fields[4]).filter(|t| !t.is_empty());
        assert_eq!(title, expected, "line {line}");
        assert_eq!(item["properties"]["costCenter"], &fields[9], "line {line}");
    }
    // Line 52 is the Abena Okonkwo who counts, not line 203's copy.
    let line52 = &rows[50];
    assert_ne!(&line52[4], &rows[201][4], "the copies differ");
    let item = inspect
        .item("contosohr", &item_id_for_upn("abena.okonkwo@contoso.com"))
        .unwrap();
    let position: serde_json::Value =
        serde_json::from_str(item["properties"]["position"].as_str().unwrap()).unwrap();
    assert_eq!(position["detail"]["jobTitle"], &line52[4]);

    // Tonight again: nothing to send.
    let again = run(
        &env.client,
        &options(&env),
        EventSink::none(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!((again.put, again.unchanged, again.invalid), (0, 296, 5));
}
