//! View models: a person's explanation as table rows, and the per-user inputs of impact previews.

use serde_json::Value as Json;

use crate::ops::explain::Explanation;
use crate::ops::snapshot::Snapshot;
use crate::people::compose::Rule;
use crate::people::ids::SourceId;
use crate::people::source_url::{BUILTIN_SOURCES, builtin_source};

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

/// One source's value for a property, as a property's detail lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The name the source is shown by.
    pub source: String,
    /// Its source id, when known (jumps go there).
    pub source_id: Option<String>,
    /// Its 1-based precedence rank.
    pub rank: Option<usize>,
    /// What it sent, as one line.
    pub value: String,
    /// Its value is the one shown (for a multi-valued property: every item is).
    pub won: bool,
    /// Its data does not reach this profile, and why (no mailbox, not in the precedence list).
    pub ignored: Option<String>,
}

/// One row of the profile: a single-valued property, or one item of a multi-valued one.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainRow {
    /// Short label (`jobTitle`, `department`, `emails`).
    pub label: String,
    /// The full path (`positions/detail/jobTitle`).
    pub path: String,
    /// The composed value as shown (`""` for an empty string).
    pub value: String,
    /// The source it came from.
    pub source: String,
    /// That source's id, when known.
    pub source_id: Option<String>,
    /// That source's 1-based precedence rank.
    pub rank: Option<usize>,
    /// The other sources' values, highest first: "Entra ID: Software Engineer".
    pub others: Vec<String>,
    /// Every source's value for the property in rank order, the winner included (for a
    /// multi-valued property: every item, with its source).
    pub candidates: Vec<Candidate>,
    pub rule: Rule,
    /// What Microsoft 365's own profile shows, when it could be read.
    pub actual: Option<String>,
    /// For an item of a multi-valued property: its position (0-based) and how many there are.
    pub item: Option<(usize, usize)>,
}

impl ExplainRow {
    /// True when the actual profile was read and shows something else.
    pub fn mismatch(&self) -> bool {
        self.actual.as_ref().is_some_and(|a| *a != self.value)
    }

    /// True for the first row of its property (later items of a multi-valued one are not).
    pub fn first_of_property(&self) -> bool {
        self.item.is_none_or(|(i, _)| i == 0)
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

/// The short label of a property path (`positions/detail/jobTitle` -> `jobTitle`).
pub fn label_for(path: &str) -> String {
    crate::vocab::property_label(path).to_owned()
}

/// The source id `ops::explain` means by a name it reports: a built-in's name, else the id.
fn source_id_of(name: &str) -> String {
    BUILTIN_SOURCES
        .iter()
        .find(|b| b.name == name)
        .map_or_else(|| name.to_owned(), |b| b.id.to_owned())
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

/// A source as a candidate: its shown name, id and rank.
fn candidate(snapshot: &Snapshot, name: &str, value: String, won: bool) -> Candidate {
    let id = source_id_of(name);
    Candidate {
        source: display_source(snapshot, name),
        rank: snapshot.rank_of(&id),
        source_id: Some(id),
        value,
        won,
        ignored: None,
    }
}

/// The view of an explanation from `ops::explain`: one row per single-valued property (with
/// every source's value) and one per item of a multi-valued property (each with its source).
pub fn explain_view(snapshot: &Snapshot, explanation: &Explanation) -> ExplainView {
    let mut lines: Vec<&crate::ops::explain::PropertyLine> =
        explanation.properties.iter().collect();
    lines.sort_by_key(|l| crate::vocab::property_order(&l.property));
    let mut rows = Vec::new();
    for l in lines {
        let label = label_for(&l.property);
        let actual = explanation
            .mismatches
            .iter()
            .find(|m| m.property == l.property)
            .map(|m| show_json(&m.actual));
        match &l.value {
            Json::Array(items) if l.rule == Rule::OrderedUnion || l.rule == Rule::NoValue => {
                // Each item with its own source; older explanations name only the first.
                let source_of = |i: usize| -> Option<&str> {
                    l.item_sources
                        .get(i)
                        .map(String::as_str)
                        .or_else(|| (i == 0).then_some(l.source.as_deref()).flatten())
                };
                let candidates: Vec<Candidate> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| match source_of(i) {
                        Some(name) => candidate(snapshot, name, show_json(item), true),
                        None => Candidate {
                            source: "-".to_owned(),
                            source_id: None,
                            rank: None,
                            value: show_json(item),
                            won: true,
                            ignored: None,
                        },
                    })
                    .collect();
                for (i, c) in candidates.iter().enumerate() {
                    rows.push(ExplainRow {
                        label: label.clone(),
                        path: l.property.clone(),
                        value: c.value.clone(),
                        source: c.source.clone(),
                        source_id: c.source_id.clone(),
                        rank: c.rank,
                        others: Vec::new(),
                        candidates: candidates.clone(),
                        rule: l.rule,
                        actual: None,
                        item: Some((i, items.len())),
                    });
                }
            }
            value => {
                let shown = show_json(value);
                // Values that do not count (a source passed over: no mailbox, not in the
                // list, ...), the winner, and the values it hid, in rank order.
                let mut candidates: Vec<Candidate> = l
                    .ignored
                    .iter()
                    .map(|i| {
                        let value = if i.value.is_null() {
                            "(its value)".to_owned()
                        } else {
                            show_json(&i.value)
                        };
                        Candidate {
                            ignored: Some(i.reason.clone()),
                            ..candidate(snapshot, &i.source, value, false)
                        }
                    })
                    .collect();
                if let Some(name) = l.source.as_deref() {
                    candidates.push(candidate(snapshot, name, shown.clone(), true));
                }
                candidates.extend(
                    l.shadowed
                        .iter()
                        .map(|sh| candidate(snapshot, &sh.source, show_json(&sh.value), false)),
                );
                candidates.sort_by_key(|c| c.rank.unwrap_or(usize::MAX));
                let winner = candidates.iter().find(|c| c.won);
                rows.push(ExplainRow {
                    label,
                    path: l.property.clone(),
                    value: shown,
                    source: winner.map_or_else(|| "-".to_owned(), |c| c.source.clone()),
                    source_id: winner.and_then(|c| c.source_id.clone()),
                    rank: winner.and_then(|c| c.rank),
                    others: candidates
                        .iter()
                        .filter(|c| !c.won)
                        .map(|c| match &c.ignored {
                            // The reason first: a narrow terminal cuts the end of the line.
                            Some(why) => format!("{} ignored, {why}: {}", c.source, c.value),
                            None => format!("{}: {}", c.source, c.value),
                        })
                        .collect(),
                    candidates,
                    rule: l.rule,
                    actual,
                    item: None,
                });
            }
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
                    item_sources: vec!["Microsoft Entra ID".into(), "contosohr".into()],
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
                    item_sources: vec![],
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
        assert_eq!(title.candidates.len(), 2, "winner and the value it hid");
        assert!(title.candidates[0].won && !title.candidates[1].won);
        assert_eq!(
            title.candidates[1].source_id.as_deref(),
            Some(crate::people::source_url::ENTRA_SOURCE_ID),
            "a built-in's name maps back to its id, for jumps"
        );
        // Each item of a multi-valued property is a row with its own source.
        assert_eq!(view.rows[1].value, "alexw@contoso.com");
        assert_eq!(view.rows[1].source, "Entra ID");
        assert_eq!(view.rows[1].item, Some((0, 2)));
        assert_eq!(view.rows[2].value, "a@b.c");
        assert_eq!(view.rows[2].source, "contosohr");
        assert_eq!(view.rows[2].source_id.as_deref(), Some("contosohr"));
        assert!(view.rows[1].first_of_property() && !view.rows[2].first_of_property());
        assert_eq!(view.sources, ["contosohr (no item)"]);
        assert_eq!(view.actual, ActualProfile::Compared);
    }
}
