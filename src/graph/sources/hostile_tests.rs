//! Odd source ids on the way to Graph: every id round-trips through its precedence URL and
//! its request path.

use proptest::prelude::*;

use super::source_path;
use crate::people::ids::SourceId;
use crate::people::source_url::{SourceUrl, canonical_url};

// ---------------------------------------------------------------------------------------------
// Source ids in URLs

const ODD_IDS: &[&str] = &[
    "o'brien",
    "''",
    "a/b",
    "a#b?c=d&e",
    "100%",
    "%27",
    "with space",
    "zoë-ünïcødé",
    "日本語",
    "a')/x",
    "profileSources(sourceId='x')",
    "emoji🙂",
];

#[test]
fn odd_source_ids_round_trip_through_the_precedence_url_and_the_request_path() {
    for raw in ODD_IDS {
        let id = SourceId::new(*raw).unwrap();
        let url = SourceUrl::for_source(&id);
        let parsed = SourceUrl::parse(url.as_str());
        assert!(parsed.is_canonical(), "{raw}: {}", url.as_str());
        assert_eq!(
            parsed.source_id().map(SourceId::as_str),
            Some(*raw),
            "{}",
            url.as_str()
        );
    }
    // Spot checks of the exact text: quotes doubled, '%' escaped only in the stored URL.
    assert!(canonical_url(&SourceId::new("o'brien").unwrap()).ends_with("(sourceId='o''brien')"));
    assert!(canonical_url(&SourceId::new("100%").unwrap()).ends_with("(sourceId='100%25')"));
    // In the request path everything unsafe is percent-encoded, quotes doubled first.
    let cases = [
        ("o'brien", "o''brien"),
        ("a/b", "a%2Fb"),
        ("a#b?c=d&e", "a%23b%3Fc%3Dd%26e"),
        ("100%", "100%25"),
        ("with space", "with%20space"),
        ("zoë", "zo%C3%AB"),
        ("a')/x", "a''%29%2Fx"),
    ];
    for (id, encoded) in cases {
        assert_eq!(
            source_path(id),
            format!("/admin/people/profileSources(sourceId='{encoded}')"),
            "{id}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn source_urls_round_trip_for_any_id(raw in "\\PC{1,30}") {
        prop_assume!(!raw.trim().is_empty());
        let id = SourceId::new(raw.trim()).unwrap();
        let url = SourceUrl::for_source(&id);
        let parsed = SourceUrl::parse(url.as_str());
        prop_assert!(parsed.is_canonical());
        prop_assert_eq!(parsed.source_id().map(SourceId::as_str), Some(id.as_str()));
        prop_assert_eq!(parsed.as_str(), url.as_str());
        // The request path holds no raw character a URL would misread.
        let path = source_path(id.as_str());
        prop_assert!(path.chars().all(|c| c.is_ascii_graphic()), "{}", path);
        prop_assert!(!path.contains(['#', '?']), "{}", path);
        prop_assert_eq!(path.matches('/').count(), 3, "{}", path);
    }
}
