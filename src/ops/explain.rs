//! Explain one user: what Microsoft 365 shows for each property, which source it came from and
//! why, including every source whose value does not count and the reason (no mailbox, an
//! unmatched account, ...); and, when the profile API can be read (delegated sign-in), where
//! Microsoft 365 shows something else.

use std::collections::BTreeMap;

use serde::Serialize;

use super::OpsError;
use super::snapshot::{ConnectionView, Snapshot, engine_schema, read_snapshot};
use crate::graph::GraphClient;
use crate::graph::profile::Profile;
use crate::people::compose::{
    PropertyKind, Provenance, Ranking, Rule, SINGLE_VALUED_COLLECTIONS, SourceEntities,
    SourceTable, explain_entities,
};
use crate::people::entities::entities_from_entra_user;
use crate::people::ids::SourceId;
use crate::people::item::{ItemLayout, entities_from_item, item_id_for_upn};
use crate::people::precedence::PrecedenceList;
use crate::people::reach::{
    ConnectorFacts, Ignored, InvalidValue, UserFacts, connector_counts, invalid_values, item_counts,
};
use crate::people::schema::Contract;
use crate::people::source_url::builtin_source;

/// One property of the explanation (the `properties` of `profile show --explain`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyLine {
    /// `positions/detail/jobTitle`, `emails`, ...
    pub property: String,
    /// The composed value (multi-valued: every item in order): what Microsoft 365 shows.
    pub value: serde_json::Value,
    /// The winning source (multi-valued: the sources in order, comma-separated).
    pub source: Option<String>,
    /// Its 1-based rank.
    pub rank: Option<usize>,
    pub rule: Rule,
    /// The rule in words, naming the higher source passed over and why ("contosohr ignored:
    /// no Exchange mailbox").
    pub rule_text: String,
    /// Lower-ranked values the winner hid.
    pub shadowed: Vec<Shadowed>,
    /// Values from sources whose data does not reach this user's profile, highest rank first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<IgnoredValue>,
    /// Multi-valued: the source of each item of `value`, in the same order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub item_sources: Vec<String>,
}

/// A value that lost.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shadowed {
    pub source: String,
    pub value: serde_json::Value,
}

/// A value that does not count, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IgnoredValue {
    pub source: String,
    pub rank: Option<usize>,
    pub value: serde_json::Value,
    /// Machine-readable: `noMailbox`, `otherAccount`, `notRegistered`, `invalidJson`, ...
    pub code: String,
    /// In words: "no Exchange mailbox".
    pub reason: String,
}

/// A place where Microsoft 365's own view differs from the composition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mismatch {
    pub property: String,
    pub expected: serde_json::Value,
    pub actual: serde_json::Value,
    /// A likely reason, for the admin.
    pub hint: String,
}

/// What each source contributed, or why it did not.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceNote {
    pub source: String,
    pub rank: Option<usize>,
    /// `used`, or why not: `noItem`, `notReadable`, `otherAccount`, `noAccount`, `noMailbox`,
    /// `notRegistered`, `notInPrecedence`, `connectionNotReady`, `notPeopleCategory`,
    /// `noPeopleSchema`; or
    /// `userSource` for entries the user wrote through the profile API.
    pub status: String,
    pub detail: String,
}

/// The whole explanation (`profile show --explain`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub upn: String,
    pub display_name: Option<String>,
    /// Whether the user has an Exchange Online mailbox (`exchange`, `none`, `unknown`).
    pub mailbox: crate::people::reach::Mailbox,
    pub properties: Vec<PropertyLine>,
    pub mismatches: Vec<Mismatch>,
    pub sources: Vec<SourceNote>,
    /// Whether the profile API was read (it needs delegated sign-in).
    pub profile_api: String,
}

/// What was read of one connection for the user.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemRead {
    /// The item, read back into profile entities, with the labelled values the service skips.
    Found {
        item_id: String,
        entities: SourceEntities,
        invalid: Vec<InvalidValue>,
    },
    /// There is no item for the user.
    Missing { item_id: String },
    /// Reading failed.
    Unreadable(String),
    /// Not read: the connection's data cannot count anyway.
    NotRead,
}

/// One connection's facts and item, the input of [`explain_inputs`].
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorInput {
    pub source_id: SourceId,
    pub facts: ConnectorFacts,
    pub item: ItemRead,
}

/// The reach facts of a connection in a snapshot.
pub fn connector_facts(snapshot: &Snapshot, view: &ConnectionView) -> ConnectorFacts {
    let layout = layout_of(view);
    ConnectorFacts {
        registered: snapshot.source(&view.connection.id).is_some(),
        state: view.connection.state.as_str().to_owned(),
        people_category: view.connection.is_people(),
        labels_contract: view.contract == Contract::Labels,
        people_schema: layout.is_some(),
    }
}

/// How a connection's items are laid out, when its schema follows a people contract.
pub fn layout_of(view: &ConnectionView) -> Option<ItemLayout> {
    view.schema
        .as_ref()
        .and_then(engine_schema)
        .and_then(|s| ItemLayout::from_schema(&s).ok())
}

/// Explains one user, reading everything it needs.
pub async fn explain_user(client: &GraphClient, upn: &str) -> Result<Explanation, OpsError> {
    let snapshot = read_snapshot(client).await?;
    explain_with(client, &snapshot, upn).await
}

/// Explains one user against an already-read snapshot (the TUI keeps one).
pub async fn explain_with(
    client: &GraphClient,
    snapshot: &Snapshot,
    upn: &str,
) -> Result<Explanation, OpsError> {
    let mut user = client
        .find_user_json(upn)
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("there is no user '{upn}'")))?;
    // Entra ID's manager shows on the profile's position too.
    if let Some(manager) = client.find_manager(upn).await? {
        user["manager"] = serde_json::json!({
            "displayName": manager.display_name,
            "userPrincipalName": manager.user_principal_name,
        });
    }
    let user_upn = user
        .get("userPrincipalName")
        .and_then(|v| v.as_str())
        .unwrap_or(upn)
        .to_owned();
    let mut connectors = Vec::new();
    for view in &snapshot.connections {
        let id = &view.connection.id;
        let Ok(source_id) = SourceId::new(id.clone()) else {
            continue;
        };
        let facts = connector_facts(snapshot, view);
        // Connections that are not meant for people (and not registered) say nothing here.
        if !facts.registered && !view.is_people() {
            continue;
        }
        let readable = matches!(facts.state.as_str(), "ready" | "limitExceeded");
        let item = match (layout_of(view), readable) {
            (Some(layout), true) => {
                let item_id = item_id_for_upn(&user_upn);
                match client.get_item(id, &item_id).await {
                    Ok(Some(item)) => {
                        let properties = serde_json::Value::Object(item.properties);
                        ItemRead::Found {
                            entities: entities_from_item(&layout, &properties, source_id.clone()),
                            invalid: invalid_values(&layout, &properties),
                            item_id,
                        }
                    }
                    Ok(None) => ItemRead::Missing { item_id },
                    Err(e) => ItemRead::Unreadable(e.to_string()),
                }
            }
            _ => ItemRead::NotRead,
        };
        connectors.push(ConnectorInput {
            source_id,
            facts,
            item,
        });
    }
    let mut explanation = explain_inputs(&snapshot.list(), &user, connectors);
    let (mismatches, profile_api) = match client.get_profile(&user_upn).await {
        Ok(profile) => {
            if let Some(note) = show_user_entries(&mut explanation.properties, &profile) {
                explanation.sources.push(note);
            }
            (
                mismatches(&explanation.properties, &profile),
                "read".to_owned(),
            )
        }
        Err(e)
            if e.status()
                .is_some_and(|s| s.as_u16() == 403 || s.as_u16() == 401) =>
        {
            (
                Vec::new(),
                "not read: the profile API needs a delegated sign-in (`peoplectl auth login`)"
                    .to_owned(),
            )
        }
        Err(e) => (Vec::new(), format!("not read: {e}")),
    };
    explanation.mismatches = mismatches;
    explanation.profile_api = profile_api;
    Ok(explanation)
}

/// Explains one user from what was read: the Graph `user` JSON (with `assignedPlans`) and each
/// connection's facts and item. No I/O: tests drive it with generated tenants. The profile API
/// is not part of it (`mismatches` empty, `profile_api` "not read").
pub fn explain_inputs(
    list: &PrecedenceList,
    user: &serde_json::Value,
    connectors: Vec<ConnectorInput>,
) -> Explanation {
    let facts = UserFacts::from_user(user);
    let entra = entities_from_entra_user(user);
    let mut counted = vec![entra];
    let mut ignored: Vec<(SourceEntities, Ignored)> = Vec::new();
    let mut notes = vec![SourceNote {
        source: SourceId::entra().to_string(),
        rank: list.index_of(&SourceId::entra()).map(|i| i + 1),
        status: "used".into(),
        detail: "the user's Entra ID properties".into(),
    }];
    let mut invalid: Vec<(SourceId, InvalidValue)> = Vec::new();
    for c in connectors {
        let rank = list.index_of(&c.source_id).map(|i| i + 1);
        let mut note = |status: &str, detail: String| {
            notes.push(SourceNote {
                source: c.source_id.to_string(),
                rank,
                status: status.to_owned(),
                detail,
            });
        };
        let reach = connector_counts(&c.facts);
        match c.item {
            ItemRead::Found {
                item_id,
                entities,
                invalid: bad,
            } => match reach
                .and_then(|()| item_counts(&facts, &entities))
                .and_then(|()| rank.map(|_| ()).ok_or(Ignored::NotInPrecedence))
            {
                Ok(()) => {
                    let mut detail = format!("item '{item_id}'");
                    if !bad.is_empty() {
                        let names: Vec<&str> = bad.iter().map(|b| b.property.as_str()).collect();
                        detail.push_str(&format!(
                            "; ignored (not valid JSON entities): {}",
                            names.join(", ")
                        ));
                    }
                    note("used", detail);
                    invalid.extend(bad.into_iter().map(|b| (c.source_id.clone(), b)));
                    counted.push(crate::people::reach::as_on_profile(entities));
                }
                Err(why) => {
                    note(
                        code(&why),
                        format!("item '{item_id}' ignored: {}", why.reason()),
                    );
                    ignored.push((entities, why));
                }
            },
            // An unregistered connection with nothing for the user is not worth a line.
            ItemRead::Missing { .. } | ItemRead::NotRead
                if reach == Err(Ignored::NotRegistered) => {}
            ItemRead::Missing { item_id } => match reach {
                Ok(()) => note(
                    "noItem",
                    format!("no item '{item_id}': {}", Ignored::NoItem.reason()),
                ),
                Err(why) => note(code(&why), why.reason().to_owned()),
            },
            ItemRead::Unreadable(e) => note("notReadable", e),
            ItemRead::NotRead => {
                let why = reach.err().unwrap_or(Ignored::NoPeopleSchema);
                note(code(&why), why.reason().to_owned());
            }
        }
    }
    let properties = lines(list, &counted, &ignored, &invalid);
    Explanation {
        upn: facts.upn.clone(),
        display_name: user
            .get("displayName")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        mailbox: facts.mailbox,
        properties,
        mismatches: Vec::new(),
        sources: notes,
        profile_api: "not read".into(),
    }
}

/// The machine-readable name of a reason (its serde name).
fn code(why: &Ignored) -> &'static str {
    match why {
        Ignored::NotRegistered => "notRegistered",
        Ignored::NotInPrecedence => "notInPrecedence",
        Ignored::ConnectionNotReady => "connectionNotReady",
        Ignored::NotPeopleCategory => "notPeopleCategory",
        Ignored::NoPeopleSchema => "noPeopleSchema",
        Ignored::NoItem => "noItem",
        Ignored::NoAccount => "noAccount",
        Ignored::OtherAccount => "otherAccount",
        Ignored::NoMailbox => "noMailbox",
    }
}

/// The property lines: the composition of the values that count, each with the values that
/// do not (and why), and the rule line.
fn lines(
    list: &PrecedenceList,
    counted: &[SourceEntities],
    ignored: &[(SourceEntities, Ignored)],
    invalid: &[(SourceId, InvalidValue)],
) -> Vec<PropertyLine> {
    // One ranking over every source shown, so ranks agree across counted and ignored values.
    let mut table = SourceTable::new();
    for s in counted.iter().chain(ignored.iter().map(|(s, _)| s)) {
        table.intern(&s.source_id);
    }
    let ranking = Ranking::new(&table, list);
    let rank = |id: &SourceId| ranking.rank_of_id(id);
    let mut out: Vec<PropertyLine> = explain_entities(list, counted)
        .iter()
        .map(|p| line(p, &rank))
        .collect();
    // What each ignored source would have given, property by property.
    let mut extra: BTreeMap<String, (PropertyKind, Vec<IgnoredValue>)> = BTreeMap::new();
    for (entities, why) in ignored {
        for p in explain_entities(list, std::slice::from_ref(entities)) {
            let value = match p.kind {
                PropertyKind::Single => p.winner.as_ref().map(|w| w.value.to_json()),
                PropertyKind::Multi => (!p.items.is_empty()).then(|| {
                    serde_json::Value::Array(p.items.iter().map(|c| c.value.to_json()).collect())
                }),
            };
            let Some(value) = value else { continue };
            extra
                .entry(p.property.clone())
                .or_insert((p.kind, Vec::new()))
                .1
                .push(IgnoredValue {
                    source: source_name(&entities.source_id),
                    rank: rank(&entities.source_id),
                    value,
                    code: code(why).to_owned(),
                    reason: why.reason().to_owned(),
                });
        }
    }
    // Labelled values the service skips as invalid JSON, on the collections they would feed.
    for (source, bad) in invalid {
        let prefix = format!("{}/", bad.collection);
        let hits: Vec<usize> = out
            .iter()
            .enumerate()
            .filter(|(_, l)| l.property == bad.collection || l.property.starts_with(&prefix))
            .map(|(i, _)| i)
            .collect();
        let ignored = IgnoredValue {
            source: source_name(source),
            rank: rank(source),
            value: serde_json::Value::Null,
            code: "invalidJson".into(),
            reason: format!("its {} value is not valid JSON", bad.property),
        };
        if hits.is_empty() {
            extra
                .entry(bad.collection.clone())
                .or_insert((
                    crate::people::compose::collection_kind(&bad.collection),
                    Vec::new(),
                ))
                .1
                .push(ignored);
        } else {
            for i in hits {
                out[i].ignored.push(ignored.clone());
            }
        }
    }
    for (property, (kind, values)) in extra {
        match out.iter_mut().find(|l| l.property == property) {
            Some(l) => l.ignored.extend(values),
            None => out.push(PropertyLine {
                property,
                value: if kind == PropertyKind::Multi {
                    serde_json::Value::Array(Vec::new())
                } else {
                    serde_json::Value::Null
                },
                source: None,
                rank: None,
                rule: Rule::NoValue,
                rule_text: String::new(),
                shadowed: Vec::new(),
                ignored: values,
                item_sources: Vec::new(),
            }),
        }
    }
    for l in &mut out {
        l.ignored.sort_by_key(|i| i.rank.unwrap_or(usize::MAX));
        let passed_over: Vec<&IgnoredValue> = l
            .ignored
            .iter()
            .filter(|i| match (i.rank, l.rank) {
                (_, None) => true,
                (Some(i), Some(w)) => i < w,
                (None, Some(_)) => false,
            })
            .collect();
        let single = !l.value.is_array();
        if single && !passed_over.is_empty() {
            l.rule = Rule::SourceIgnored;
        }
        let mut text = if l.rule == Rule::SourceIgnored {
            String::new()
        } else {
            crate::vocab::rule_name(l.rule).to_owned()
        };
        for i in if single {
            passed_over
        } else {
            l.ignored.iter().collect()
        } {
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(&format!("{} ignored: {}", i.source, i.reason));
        }
        l.rule_text = text;
    }
    out
}

fn source_name(id: &SourceId) -> String {
    builtin_source(id).map_or_else(|| id.to_string(), |b| b.name.to_owned())
}

fn line(p: &Provenance, rank: &dyn Fn(&SourceId) -> Option<usize>) -> PropertyLine {
    match p.kind {
        PropertyKind::Single => PropertyLine {
            property: p.property.clone(),
            value: p
                .winner
                .as_ref()
                .map_or(serde_json::Value::Null, |w| w.value.to_json()),
            source: p.winner.as_ref().map(|w| source_name(&w.source)),
            rank: p.winner.as_ref().and_then(|w| rank(&w.source)),
            rule: p.rule,
            rule_text: String::new(),
            shadowed: p
                .shadowed
                .iter()
                .map(|c| Shadowed {
                    source: source_name(&c.source),
                    value: c.value.to_json(),
                })
                .collect(),
            ignored: Vec::new(),
            item_sources: Vec::new(),
        },
        PropertyKind::Multi => {
            let mut names: Vec<String> = Vec::new();
            for c in &p.items {
                let n = source_name(&c.source);
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            PropertyLine {
                property: p.property.clone(),
                value: serde_json::Value::Array(
                    p.items.iter().map(|c| c.value.to_json()).collect(),
                ),
                source: (!names.is_empty()).then(|| names.join(", ")),
                rank: p.items.first().and_then(|c| rank(&c.source)),
                rule: p.rule,
                rule_text: String::new(),
                shadowed: Vec::new(),
                ignored: Vec::new(),
                item_sources: p.items.iter().map(|c| source_name(&c.source)).collect(),
            }
        }
    }
}

/// itemFacet members: how an entry was made, not what it says about the person.
const FACET_MEMBERS: [&str; 10] = [
    "id",
    "allowedAudiences",
    "inference",
    "createdDateTime",
    "lastModifiedDateTime",
    "createdBy",
    "lastModifiedBy",
    "source",
    "sources",
    "isSearchable",
];

/// Entries the user wrote through the profile API (the `user` source) are their own instances
/// in the profile and never override connector or Entra ID values (seed 003): each of their
/// single-valued leaves is shown beside the value that won, with a note saying why it did not.
fn show_user_entries(properties: &mut [PropertyLine], profile: &Profile) -> Option<SourceNote> {
    let user = SourceId::profile_api_user();
    let mut count = 0;
    for collection in SINGLE_VALUED_COLLECTIONS {
        for entity in profile.entities(collection) {
            let own = entity.source_types.iter().any(|t| t == "user")
                || entity
                    .sources
                    .iter()
                    .any(|s| s.source_id.eq_ignore_ascii_case(user.as_str()));
            if !own {
                continue;
            }
            count += 1;
            let mut leaves = Vec::new();
            if let Some(object) = entity.value.as_object() {
                for (key, value) in object {
                    if !FACET_MEMBERS.contains(&key.as_str()) {
                        collect_leaves(&format!("{collection}/{key}"), value, &mut leaves);
                    }
                }
            }
            for (path, value) in leaves {
                if let Some(line) = properties.iter_mut().find(|l| l.property == path) {
                    line.shadowed.push(Shadowed {
                        source: source_name(&user),
                        value,
                    });
                }
            }
        }
    }
    (count > 0).then(|| SourceNote {
        source: user.to_string(),
        rank: None,
        status: "userSource".into(),
        detail: format!(
            "{count} entr{} written through the profile API: shown as their own entries, they never override connector or Entra ID values",
            if count == 1 { "y" } else { "ies" }
        ),
    })
}

fn collect_leaves(
    path: &str,
    value: &serde_json::Value,
    out: &mut Vec<(String, serde_json::Value)>,
) {
    match value {
        serde_json::Value::Null => {}
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                collect_leaves(&format!("{path}/{key}"), child, out);
            }
        }
        leaf => out.push((path.to_owned(), leaf.clone())),
    }
}

/// Single-valued leaves where the profile API shows another value than the composition.
fn mismatches(lines: &[PropertyLine], profile: &Profile) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for l in lines.iter().filter(|l| !l.value.is_array()) {
        let mut segs = l.property.split('/');
        let Some(collection) = segs.next() else {
            continue;
        };
        let rest: Vec<&str> = segs.collect();
        let entities = profile.entities(collection);
        // The composed instance: current, and not the user's own entry beside it.
        let current = entities.iter().find(|e| {
            e.value.get("isCurrent") != Some(&serde_json::Value::Bool(false))
                && !e.source_types.iter().all(|t| t == "user")
        });
        let actual = current
            .and_then(|e| rest.iter().try_fold(&e.value, |v, s| v.get(*s)))
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        if actual != l.value {
            out.push(Mismatch {
                property: l.property.clone(),
                hint: mismatch_hint(l, &actual).into(),
                expected: l.value.clone(),
                actual,
            });
        }
    }
    out
}

/// Why Microsoft 365 may show something other than the explanation, by who should have won.
fn mismatch_hint(line: &PropertyLine, actual: &serde_json::Value) -> &'static str {
    let entra = source_name(&SourceId::entra());
    match line.source.as_deref() {
        None if !actual.is_null() => {
            "the profile shows a value no source peoplectl can read explains (another app's connector?)"
        }
        Some(source) if source == entra => {
            "Entra ID's value: a change made in Entra ID can take hours to reach the profile"
        }
        _ => {
            "the connector's data may not have reached the profile yet (up to 6 hours after it landed), or an older value is still shown"
        }
    }
}

/// A short label for a property path, as an admin reads it (one vocabulary: `crate::vocab`).
pub fn display_label(path: &str) -> &str {
    crate::vocab::property_label(path)
}

/// Display order of a property path (one order: `crate::vocab`).
pub fn display_order(path: &str) -> (u8, u8, &str) {
    crate::vocab::property_order(path)
}

/// One line of text for a value: strings as they are (`""` shown as such), items of a
/// multi-valued property by their address, number or name.
pub fn summarize(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::String(s) if s.is_empty() => "\"\" (empty string)".into(),
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Array(items) => items.iter().map(summarize).collect::<Vec<_>>().join(", "),
        Value::Object(map) => [
            "address",
            "number",
            "displayName",
            "webUrl",
            "userPrincipalName",
        ]
        .iter()
        .find_map(|k| map.get(*k).and_then(Value::as_str))
        .map_or_else(|| value.to_string(), str::to_owned),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hr() -> SourceId {
        SourceId::new("contosohr").unwrap()
    }

    fn ready(registered: bool) -> ConnectorFacts {
        ConnectorFacts {
            registered,
            state: "ready".into(),
            people_category: true,
            labels_contract: true,
            people_schema: true,
        }
    }

    fn user(exchange: bool) -> serde_json::Value {
        let plans = if exchange {
            json!([{"service": "exchange", "capabilityStatus": "Enabled"}])
        } else {
            json!([{"service": "TeamspaceAPI", "capabilityStatus": "Enabled"}])
        };
        json!({"id": "oid-1", "userPrincipalName": "m@contoso.com", "jobTitle": "Software Engineer",
               "assignedPlans": plans})
    }

    fn hr_item(upn: &str) -> ItemRead {
        ItemRead::Found {
            item_id: "m_at_contoso_dot_com".into(),
            entities: SourceEntities::new(hr())
                .with("account", json!({"userPrincipalName": upn}))
                .with(
                    "positions",
                    json!({"detail": {"jobTitle": "Senior Software Engineer"}}),
                ),
            invalid: Vec::new(),
        }
    }

    fn list() -> PrecedenceList {
        PrecedenceList::from_sources([&hr(), &SourceId::entra()])
    }

    fn title(e: &Explanation) -> &PropertyLine {
        e.properties
            .iter()
            .find(|p| p.property == "positions/detail/jobTitle")
            .unwrap()
    }

    fn explain(exchange: bool, facts: ConnectorFacts, item: ItemRead) -> Explanation {
        explain_inputs(
            &list(),
            &user(exchange),
            vec![ConnectorInput {
                source_id: hr(),
                facts,
                item,
            }],
        )
    }

    #[test]
    fn without_a_mailbox_the_higher_source_is_passed_over_and_says_why() {
        let e = explain(false, ready(true), hr_item("m@contoso.com"));
        let t = title(&e);
        assert_eq!(t.value, "Software Engineer");
        assert_eq!(t.source.as_deref(), Some("Microsoft Entra ID"));
        assert_eq!(t.rank, Some(2));
        assert_eq!(t.rule, Rule::SourceIgnored);
        assert_eq!(t.rule_text, "contosohr ignored: no Exchange mailbox");
        assert_eq!(t.ignored[0].value, "Senior Software Engineer");
        assert_eq!(t.ignored[0].rank, Some(1));
        assert_eq!(t.ignored[0].code, "noMailbox");
        assert!(e.sources.iter().any(|n| n.status == "noMailbox"));

        // With a mailbox the same data wins by rank.
        let e = explain(true, ready(true), hr_item("m@contoso.com"));
        assert_eq!(title(&e).value, "Senior Software Engineer");
        assert_eq!(title(&e).rule, Rule::HighestRank);
        assert!(title(&e).ignored.is_empty());
    }

    #[test]
    fn unmatched_unregistered_and_not_ready_sources_do_not_count() {
        let e = explain(true, ready(true), hr_item("someone.else@contoso.com"));
        assert_eq!(title(&e).value, "Software Engineer");
        assert_eq!(title(&e).ignored[0].code, "otherAccount");

        let e = explain(true, ready(false), hr_item("m@contoso.com"));
        assert_eq!(title(&e).value, "Software Engineer");
        assert!(
            title(&e).rule_text.contains("not registered"),
            "{:?}",
            title(&e)
        );

        let mut draft = ready(true);
        draft.state = "draft".into();
        let e = explain(true, draft, ItemRead::NotRead);
        assert_eq!(title(&e).rule, Rule::OnlySource);
        assert!(e.sources.iter().any(|n| n.status == "connectionNotReady"));

        let e = explain(
            true,
            ready(true),
            ItemRead::Missing {
                item_id: "x".into(),
            },
        );
        assert!(
            e.sources
                .iter()
                .any(|n| n.status == "noItem" && n.detail.contains("nothing ingested"))
        );
    }

    #[test]
    fn an_invalid_labelled_value_is_named_on_the_property_it_would_feed() {
        let item = ItemRead::Found {
            item_id: "i".into(),
            entities: SourceEntities::new(hr())
                .with("account", json!({"userPrincipalName": "m@contoso.com"})),
            invalid: vec![InvalidValue {
                property: "position".into(),
                collection: "positions".into(),
            }],
        };
        let e = explain(true, ready(true), item);
        let t = title(&e);
        assert_eq!(t.value, "Software Engineer");
        assert_eq!(t.ignored[0].code, "invalidJson");
        assert!(
            t.rule_text.contains("position value is not valid JSON"),
            "{t:?}"
        );
    }
}
