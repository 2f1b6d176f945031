//! Hostile HR exports: escape sequences and broken bytes in a real sync's cells, and random
//! bytes through both readers (their own tests in `src/sync/reader/` pin each case).
#![cfg(unix)]

use crate::support::hostile::{self, raw_controls};

use std::path::Path;

const BIN: &str = env!("CARGO_BIN_EXE_peoplectl");

#[tokio::test(flavor = "multi_thread")]
async fn hostile_cells_are_reported_where_they_are_and_never_reach_graph_or_the_terminal() {
    let o = hostile::hostile_export(Path::new(BIN)).await;
    assert_eq!(
        o.json.status.code(),
        Some(0),
        "{}",
        hostile::stderr(&o.json)
    );
    for p in &o.planted {
        let issues = o.issues_at(p.line);
        assert!(
            issues
                .iter()
                .any(|(column, _)| p.column.is_none() || column.as_deref() == p.column),
            "{} on line {} (column {:?}) is not reported: {issues:?}",
            p.what,
            p.line,
            p.column
        );
    }
    assert_eq!(o.reported(), o.planted.len());
    // The reasons name the character, never print it.
    let reasons: Vec<String> = o
        .planted
        .iter()
        .flat_map(|p| o.issues_at(p.line))
        .map(|(_, reason)| reason)
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("control or invisible formatting character U+001B")),
        "{reasons:?}"
    );
    // Every other row went through, and nothing Graph holds carries such a character.
    let planted = o.planted.len() as u64;
    assert_eq!(o.valid(), o.clean_valid - planted, "{}", o.report);
    assert!(o.items as u64 >= o.valid(), "{}", o.items);
    assert!(o.unsafe_items.is_empty(), "{:?}", o.unsafe_items);
    for (what, stream) in [
        ("-o json", &o.json.stdout),
        ("-o json stderr", &o.json.stderr),
        ("text", &o.text.stdout),
        ("text stderr", &o.text.stderr),
    ] {
        assert!(
            raw_controls(stream).is_empty(),
            "{what}: {}",
            String::from_utf8_lossy(stream)
        );
    }
    // The text report names the bad rows too, as FILE:LINE.
    let text = String::from_utf8_lossy(&o.text.stdout);
    for p in &o.planted {
        assert!(text.contains(&format!("hostile.csv:{} ", p.line)), "{text}");
    }
}

#[test]
fn random_bytes_through_both_readers_never_panic_and_stay_in_order() {
    let o = hostile::reader_fuzz(14, 400);
    assert_eq!(o.inputs, 400);
    assert_eq!(o.panics, 0);
    assert_eq!(o.disorder, 0);
    // The inputs were varied enough to exercise all three outcomes.
    assert!(o.rows > 0 && o.bad_rows > 0 && o.refused > 0, "{o:?}");
}
