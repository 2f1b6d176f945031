//! The one vocabulary: the words for rules, properties, contracts and states that the CLI's
//! tables, the console and `--help` all use, so an admin reads the same word everywhere.

// gitui keeps its words in `strings.rs`; ours are shared by two front ends, so they live here,
// below both. JSON keeps the wire names (`highestRank`, `profileSource`): these are for people.

use crate::people::compose::Rule;
use crate::people::schema::Contract;

/// The short name of a composition rule, for a table column.
pub fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::OnlySource => "only source",
        Rule::HighestRank => "highest rank wins",
        Rule::EmptyStringWins => "empty string wins",
        Rule::NullDoesNotOverride => "null does not override",
        Rule::UserSourceNeverOverrides => "user edits never override",
        Rule::OrderedUnion => "all, in rank order",
        Rule::NoValue => "no value",
        Rule::SourceIgnored => "source ignored",
    }
}

/// A composition rule in a sentence, for a property's detail.
pub fn rule_sentence(rule: Rule) -> &'static str {
    match rule {
        Rule::OnlySource => {
            "Only one source has a value for this property, so that value is shown."
        }
        Rule::HighestRank => {
            "The highest-ranked source that has a value wins; lower-ranked values are hidden."
        }
        Rule::EmptyStringWins => {
            "An empty string is a value: the higher-ranked source sent \"\", so it hides the lower-ranked values."
        }
        Rule::NullDoesNotOverride => {
            "A higher-ranked source sent null, which is not a value, so the next source with a value wins."
        }
        Rule::UserSourceNeverOverrides => {
            "What the user typed on their profile never overrides a source's value, whatever its rank."
        }
        Rule::OrderedUnion => {
            "Multi-valued: every source's items are shown, highest-ranked source first; duplicates are kept."
        }
        Rule::NoValue => "No source has a value for this property.",
        Rule::SourceIgnored => {
            "A higher-ranked source has a value, but its data does not reach this user's profile, so a lower-ranked value is shown."
        }
    }
}

/// The names admins use for the property paths they read most, in the order they are listed.
const KNOWN_PROPERTIES: [(&str, &str); 12] = [
    ("positions/detail/jobTitle", "jobTitle"),
    ("positions/detail/company/department", "department"),
    ("positions/detail/company/officeLocation", "officeLocation"),
    ("positions/detail/company/displayName", "company"),
    ("positions/detail/employeeId", "employeeId"),
    ("positions/detail/employeeType", "employeeType"),
    ("positions/detail/startMonthYear", "startMonthYear"),
    ("positions/manager/userPrincipalName", "manager"),
    ("names/displayName", "displayName"),
    ("names/first", "givenName"),
    ("names/last", "surname"),
    ("account/userPrincipalName", "userPrincipalName"),
];

/// The name of a property path: `positions/detail/jobTitle` is `jobTitle`,
/// `positions/detail/company/department` is `department`; other paths lose only the
/// `positions/detail/` prefix (`emails`, `names/displayName` keep theirs).
pub fn property_label(path: &str) -> &str {
    if let Some((_, label)) = KNOWN_PROPERTIES.iter().find(|(p, _)| *p == path) {
        return label;
    }
    path.strip_prefix("positions/detail/company/")
        .or_else(|| path.strip_prefix("positions/detail/"))
        .or_else(|| path.strip_prefix("positions/"))
        .unwrap_or(path)
}

/// Where a property is listed: the well-known ones in their order, then positions, names, the
/// account, other single-valued collections, and the multi-valued ones last.
pub fn property_order(path: &str) -> (u8, u8, &str) {
    if let Some(i) = KNOWN_PROPERTIES.iter().position(|(p, _)| *p == path) {
        return (0, u8::try_from(i).unwrap_or(u8::MAX), "");
    }
    let collection = path.split('/').next().unwrap_or(path);
    let group = match collection {
        "positions" => 1,
        "names" => 2,
        "account" => 3,
        _ if crate::people::compose::collection_kind(collection)
            == crate::people::compose::PropertyKind::Multi =>
        {
            5
        }
        _ => 4,
    };
    (group, 0, path)
}

/// A schema contract's name (the JSON's word).
pub fn contract_name(contract: Contract) -> &'static str {
    match contract {
        Contract::Labels => "labels",
        Contract::Preview => "preview",
        Contract::Draft2025 => "draft2025",
        Contract::None => "none",
    }
}

/// A workflow step's name, as people read it (the JSON says `profileSource`).
pub fn step_name(step: &str) -> &'static str {
    match step {
        "precedence" => "precedence entry",
        "profileSource" => "profile source",
        "connection" => "connection",
        "schema" => "schema",
        _ => "step",
    }
}

/// What reading a connection's schema found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaRead {
    /// A schema, and whether it breaks the connection's contract.
    Found { problems: bool },
    /// Reading it failed.
    Unreadable,
    /// None registered; `draft` when the connection is still a draft (it needs one).
    Absent { draft: bool },
}

/// Whether a connection can take items: one of the `SCHEMA_*` words.
pub fn schema_status(read: SchemaRead) -> &'static str {
    match read {
        SchemaRead::Found { problems: true } => SCHEMA_INVALID,
        SchemaRead::Found { problems: false } => SCHEMA_READY,
        SchemaRead::Unreadable => SCHEMA_UNREADABLE,
        SchemaRead::Absent { draft: true } => SCHEMA_MISSING,
        SchemaRead::Absent { draft: false } => SCHEMA_NONE,
    }
}

/// The schema can take items.
pub const SCHEMA_READY: &str = "ready";
/// The schema breaks the connection's contract.
pub const SCHEMA_INVALID: &str = "invalid";
/// The schema could not be read.
pub const SCHEMA_UNREADABLE: &str = "unreadable";
/// A draft connection has no schema yet.
pub const SCHEMA_MISSING: &str = "missing";
/// No schema, and none is needed.
pub const SCHEMA_NONE: &str = "none";

/// A person's propagation state in words (the wire code is the JSON's `state`).
pub fn propagation_state(code: &str) -> &'static str {
    match code {
        "live" => "live",
        "pending" => "pending",
        "dropped" => "dropped",
        "stale" => "stale",
        "notSynced" => "not synced",
        _ => "unknown",
    }
}

/// Why a person is not live, in words (the wire code is the JSON's `reason`).
pub fn propagation_reason(code: &str) -> &'static str {
    match code {
        "unmatched" => "unmatched: no user has the item's account",
        "noMailbox" => "no Exchange Online mailbox",
        "invalidEntity" => "invalid entity JSON",
        "notInPrecedence" => "source not in the precedence list",
        "notRegistered" => "not registered as a profile source",
        "connectionNotReady" => "connection serves no profiles",
        "higherSourceWins" => "a higher source wins every value",
        "profileNotRead" => "profile not read (app-only sign-in)",
        "notOnGraph" => "item gone from Graph",
        "failed" => "last attempt failed",
        "neverSent" => "never sent",
        _ => "unknown",
    }
}
/// "registered" as a yes/no column says it.
pub fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The Entra ID fields the People list shows are Entra's, not the composed profile's: their
/// headings say so.
pub const ENTRA_TITLE: &str = "ENTRA TITLE";
/// See [`ENTRA_TITLE`].
pub const ENTRA_DEPARTMENT: &str = "ENTRA DEPARTMENT";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_short_name_and_a_sentence() {
        for rule in [
            Rule::OnlySource,
            Rule::HighestRank,
            Rule::EmptyStringWins,
            Rule::NullDoesNotOverride,
            Rule::UserSourceNeverOverrides,
            Rule::OrderedUnion,
            Rule::NoValue,
        ] {
            assert!(rule_name(rule).len() <= 26, "{rule:?} fits a column");
            assert!(rule_sentence(rule).ends_with('.'), "{rule:?}");
        }
    }

    #[test]
    fn properties_read_by_their_short_names_in_one_order() {
        assert_eq!(property_label("positions/detail/jobTitle"), "jobTitle");
        assert_eq!(
            property_label("positions/detail/company/department"),
            "department"
        );
        assert_eq!(property_label("positions/detail/costCenter"), "costCenter");
        assert_eq!(property_label("emails"), "emails");
        assert!(property_order("positions/detail/jobTitle") < property_order("names/first"));
        assert!(property_order("account/countryCode") < property_order("emails"));
    }
}
