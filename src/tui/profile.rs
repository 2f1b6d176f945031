//! View models: a person's explanation as table rows, and the per-user inputs of impact previews.

use serde_json::Value as Json;

use crate::ops::explain::Explanation;
use crate::ops::snapshot::Snapshot;
use crate::people::compose::{PropertyKind, Rule, collection_kind};
use crate::people::ids::SourceId;
use crate::people::source_url::builtin_source;

/// The name a source is shown by: its profile source's display name, a built-in's name, or
/// its id.
pub fn source_name(snapshot: &Snapshot, id: &SourceId) -> String {
    // The name admins use; the built-in's display name is long for a column.
    if id.is_entra() {
        return "Entra ID".to_owned();
    }
    snapshot
        .source(id.as_str())
        .and_then(|s| s.display_name.clone())
        .or_else(|| builtin_source(id).map(|b| b.name.to_owned()))
        .unwrap_or_else(|| id.to_string())
}

/// One row of the explanation table.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainRow {
    /// Short label (`jobTitle`, `department`, `emails`).
    pub label: String,
    /// The full path (`positions/detail/jobTitle`).
    pub path: String,
    /// The composed value as shown (`""` for an empty string).
    pub value: String,
    /// Where it came from.
    pub source: String,
    /// The other sources' values, highest first: "Microsoft Entra ID: Software Engineer".
    pub others: Vec<String>,
    pub rule: Rule,
    /// What Microsoft 365's own profile shows, when it could be read.
    pub actual: Option<String>,
}

impl ExplainView {
    /// Lines the profile table takes: each row, its other values, its mismatch note.
    pub fn line_count(&self) -> usize {
        self.rows
            .iter()
            .map(|r| 1 + r.others.len() + usize::from(r.mismatch()))
            .sum()
    }
}

impl ExplainRow {
    /// True when the actual profile was read and shows something else.
    pub fn mismatch(&self) -> bool {
        self.actual.as_ref().is_some_and(|a| *a != self.value)
    }
}

/// Why the actual profile is not beside the computed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActualProfile {
    /// Read and compared.
    Compared,
    /// The profile API refuses app-only sign-ins.
    NeedsDelegated,
    /// Reading it failed.
    Failed(String),
}

/// A user's composed profile, property by property.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainView {
    pub upn: String,
    pub display_name: String,
    pub rows: Vec<ExplainRow>,
    /// Each source with data for the user, highest rank first.
    pub sources: Vec<String>,
    pub actual: ActualProfile,
}

/// Short labels for the paths admins read most, in the order they are listed.
const KNOWN: [(&str, &str); 12] = [
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

/// The short label of a property path (`positions/detail/jobTitle` -> `jobTitle`).
pub fn label_for(path: &str) -> String {
    if let Some((_, l)) = KNOWN.iter().find(|(p, _)| *p == path) {
        return (*l).to_owned();
    }
    let rest = path
        .strip_prefix("positions/detail/company/")
        .or_else(|| path.strip_prefix("positions/detail/"))
        .or_else(|| path.strip_prefix("positions/"))
        .unwrap_or(path);
    rest.to_owned()
}

fn order_key(path: &str) -> (usize, usize, String) {
    if let Some(i) = KNOWN.iter().position(|(p, _)| *p == path) {
        return (0, i, String::new());
    }
    let collection = path.split('/').next().unwrap_or(path);
    let group = match collection {
        "positions" => 1,
        "names" => 2,
        "account" => 3,
        _ if collection_kind(collection) == PropertyKind::Multi => 5,
        _ => 4,
    };
    (group, 0, path.to_owned())
}

/// The name a source is shown by, from what `ops::explain` reports (a built-in's name or a
/// source id).
fn display_source(snapshot: &Snapshot, name: &str) -> String {
    if name == "Microsoft Entra ID" || name == crate::people::source_url::ENTRA_SOURCE_ID {
        return "Entra ID".to_owned();
    }
    match SourceId::new(name) {
        Ok(id) if snapshot.source(name).is_some() => source_name(snapshot, &id),
        _ => name.to_owned(),
    }
}

/// A value as one line; `""` stays visible as an empty string.
pub fn show_json(value: &Json) -> String {
    crate::ops::explain::summarize(value)
}

/// The view of an explanation from `ops::explain`: one row per single-valued property (with
/// the values it shadowed) and one per item of a multi-valued property.
pub fn explain_view(snapshot: &Snapshot, explanation: &Explanation) -> ExplainView {
    let mut lines: Vec<&crate::ops::explain::PropertyLine> =
        explanation.properties.iter().collect();
    lines.sort_by_key(|l| order_key(&l.property));
    let mut rows = Vec::new();
    for l in lines {
        let source = l.source.as_deref().map_or_else(
            || "-".to_owned(),
            |s| {
                s.split(", ")
                    .map(|part| display_source(snapshot, part))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        );
        let actual = explanation
            .mismatches
            .iter()
            .find(|m| m.property == l.property)
            .map(|m| show_json(&m.actual));
        match &l.value {
            Json::Array(items) if l.rule == Rule::OrderedUnion || l.rule == Rule::NoValue => {
                for (i, item) in items.iter().enumerate() {
                    rows.push(ExplainRow {
                        label: if i == 0 {
                            label_for(&l.property)
                        } else {
                            String::new()
                        },
                        path: l.property.clone(),
                        value: show_json(item),
                        source: if i == 0 {
                            source.clone()
                        } else {
                            String::new()
                        },
                        others: Vec::new(),
                        rule: l.rule,
                        actual: None,
                    });
                }
            }
            value => rows.push(ExplainRow {
                label: label_for(&l.property),
                path: l.property.clone(),
                value: show_json(value),
                source,
                // Values that do not count first (a higher source passed over), then the ones
                // the winner shadowed.
                others: l
                    .ignored
                    .iter()
                    .map(|i| {
                        let value = if i.value.is_null() {
                            String::new()
                        } else {
                            format!(": {}", show_json(&i.value))
                        };
                        // The reason first: a narrow terminal cuts the end of the line.
                        format!(
                            "{} ignored, {}{value}",
                            display_source(snapshot, &i.source),
                            i.reason
                        )
                    })
                    .chain(l.shadowed.iter().map(|sh| {
                        format!(
                            "{}: {}",
                            display_source(snapshot, &sh.source),
                            show_json(&sh.value)
                        )
                    }))
                    .collect(),
                rule: l.rule,
                actual,
            }),
        }
    }
    let sources = explanation
        .sources
        .iter()
        .map(|n| {
            let name = display_source(snapshot, &n.source);
            match n.status.as_str() {
                "used" => name,
                "noItem" => format!("{name} (no item)"),
                "notReadable" => format!("{name} (unreadable)"),
                _ => {
                    let why = n
                        .detail
                        .rsplit_once("ignored: ")
                        .map_or(n.detail.as_str(), |(_, w)| w);
                    format!("{name} (ignored: {why})")
                }
            }
        })
        .collect();
    let actual = if explanation.profile_api == "read" {
        ActualProfile::Compared
    } else if explanation.profile_api.contains("delegated") {
        ActualProfile::NeedsDelegated
    } else {
        ActualProfile::Failed(
            explanation
                .profile_api
                .trim_start_matches("not read: ")
                .to_owned(),
        )
    };
    ExplainView {
        upn: explanation.upn.clone(),
        display_name: explanation
            .display_name
            .clone()
            .unwrap_or_else(|| explanation.upn.clone()),
        rows,
        sources,
        actual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::impact::ImpactInputs;
    use crate::people::compose::SourceEntities;
    use crate::people::{impact::impact, precedence::PrecedenceList};
    use serde_json::json;

    fn hr() -> SourceId {
        SourceId::new("contosohr").unwrap()
    }

    fn alex() -> Vec<SourceEntities> {
        vec![
            SourceEntities::new(SourceId::entra())
                .with(
                    "positions",
                    json!({"detail": {"jobTitle": "Software Engineer"}, "isCurrent": true}),
                )
                .with(
                    "emails",
                    json!({"address": "alexw@contoso.com", "type": "work"}),
                ),
            SourceEntities::new(hr()).with(
                "positions",
                json!({"detail": {"jobTitle": "Senior Software Engineer"}}),
            ),
        ]
    }

    #[test]
    fn impact_inputs_match_the_explanation_paths() {
        let mut inputs = ImpactInputs::default();
        inputs.add_user("alexw@contoso.com", &alex());
        assert!(inputs.catalog.get("positions/detail/jobTitle").is_some());
        assert!(inputs.catalog.get("emails").is_some());
        let hr_first = PrecedenceList::from_sources([&hr(), &SourceId::entra()]);
        let entra_first = PrecedenceList::from_sources([&SourceId::entra(), &hr()]);
        let result = impact(
            &hr_first,
            &entra_first,
            &inputs.catalog,
            &inputs.table,
            &inputs.users,
        );
        assert_eq!(result.changed_users, [0]);
        assert_eq!(result.per_property[0].property, "positions/detail/jobTitle");
    }

    #[test]
    fn the_view_labels_values_others_and_mismatches() {
        use crate::ops::explain::{Mismatch, PropertyLine, Shadowed, SourceNote};
        let explanation = Explanation {
            upn: "alexw@contoso.com".into(),
            display_name: Some("Alex".into()),
            properties: vec![
                PropertyLine {
                    property: "emails".into(),
                    value: json!([{"address": "alexw@contoso.com", "type": "work"}, {"address": "a@b.c"}]),
                    source: Some("Microsoft Entra ID, contosohr".into()),
                    rank: Some(1),
                    rule: Rule::OrderedUnion,
                    rule_text: String::new(),
                    shadowed: vec![],
                    ignored: vec![],
                },
                PropertyLine {
                    property: "positions/detail/jobTitle".into(),
                    value: json!("Senior Software Engineer"),
                    source: Some("contosohr".into()),
                    rank: Some(1),
                    rule: Rule::HighestRank,
                    rule_text: String::new(),
                    shadowed: vec![Shadowed {
                        source: "Microsoft Entra ID".into(),
                        value: json!("Software Engineer"),
                    }],
                    ignored: vec![],
                },
            ],
            mismatches: vec![Mismatch {
                property: "positions/detail/jobTitle".into(),
                expected: json!("Senior Software Engineer"),
                actual: json!("Software Engineer"),
                hint: String::new(),
            }],
            sources: vec![SourceNote {
                source: "contosohr".into(),
                rank: Some(1),
                status: "noItem".into(),
                detail: String::new(),
            }],
            mailbox: crate::people::reach::Mailbox::Exchange,
            profile_api: "read".into(),
        };
        let view = explain_view(&Snapshot::default(), &explanation);
        let title = &view.rows[0];
        assert_eq!(title.label, "jobTitle", "positions first");
        assert_eq!(title.others, ["Entra ID: Software Engineer"]);
        assert!(title.mismatch());
        assert_eq!(view.rows[1].value, "alexw@contoso.com");
        assert_eq!(view.rows[1].source, "Entra ID, contosohr");
        assert_eq!(
            view.rows[2].label, "",
            "later items of a collection are not relabelled"
        );
        assert_eq!(view.sources, ["contosohr (no item)"]);
        assert_eq!(view.actual, ActualProfile::Compared);
        assert_eq!(view.line_count(), 5);
    }
}
