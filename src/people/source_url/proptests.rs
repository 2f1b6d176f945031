//! The source URL parser under arbitrary text: it never panics, keeps the text, and finds
//! the id in any wrapping.

use proptest::prelude::*;

use super::{SourceRef, SourceUrl};
use crate::people::ids::SourceId;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn source_url_parser_never_panics_and_keeps_text(raw in "\\PC{0,60}|[\\x00-\\x7F]{0,60}") {
        let url = SourceUrl::parse(raw.as_str());
        prop_assert_eq!(url.as_str(), raw.as_str());
        if let SourceRef::ProfileSource { source_id, .. } = url.reference() {
            prop_assert!(!source_id.as_str().trim().is_empty());
        }
    }

    #[test]
    fn source_url_parser_finds_ids_in_any_wrapping(
        prefix in "[a-zA-Z/:.%]{0,20}",
        id in "[^']{1,10}|[a']{1,10}",
        spaced in any::<bool>(),
    ) {
        prop_assume!(!id.trim().is_empty() && id.trim() == id);
        let quoted = id.replace('\'', "''");
        let eq = if spaced { " = " } else { "=" };
        let raw = format!("{prefix}profileSources(sourceId{eq}'{quoted}')");
        let url = SourceUrl::parse(raw.as_str());
        // Percent-decoding may change a prefix or id holding '%'; otherwise the id is found.
        if !raw.contains('%') {
            prop_assert_eq!(url.source_id().map(SourceId::as_str), Some(id.as_str()), "{}", raw);
        }
    }
}
