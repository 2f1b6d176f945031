//! What a precedence change, a registration or a connector's removal does to real users:
//! every user's values from Entra ID and each people connector (only those that reach the
//! user's profile: a matching account, a mailbox), read once, then recomposed per proposed
//! change into a list of who changes, which property, from what to what.

use std::sync::Arc;

use futures::StreamExt;
use serde::Serialize;
use serde_json::Value as Json;

use super::explain::{connector_facts, layout_of};
use super::snapshot::Snapshot;
use crate::graph::users::{MAX_PAGE, USER_SELECT};
use crate::graph::{GraphClient, GraphError};
use crate::people::compose::{
    PropertyCatalog, SourceEntities, SourceTable, UserSources, user_sources,
};
use crate::people::entities::entities_from_entra_user;
use crate::people::ids::SourceId;
use crate::people::impact::{
    ChangeDetail, ChangedValue, Impact, ImpactModel, PropertyImpact, Scenario,
};
use crate::people::item::{ItemLayout, entities_from_item, item_id_for_upn};
use crate::people::precedence::PrecedenceList;
use crate::people::reach::{ConnectorFacts, UserFacts, connector_counts, item_counts};
use crate::people::source_url::builtin_source;

/// Item reads in flight at once while loading.
const ITEM_READS: usize = 8;

/// A people connection whose items may feed profiles, with how its items are laid out.
#[derive(Debug, Clone)]
pub struct ConnectorSource {
    pub source_id: SourceId,
    pub connection_id: String,
    pub layout: ItemLayout,
    /// Registered as a profile source now (an unregistered one's data counts only once it is).
    pub registered: bool,
}

/// The connections of a snapshot whose items can reach profiles, registered or not: ready,
/// with a people schema (a labelled one on a people connection).
pub fn connector_sources(snapshot: &Snapshot) -> Vec<ConnectorSource> {
    snapshot
        .connections
        .iter()
        .filter_map(|c| {
            let facts = connector_facts(snapshot, c);
            // Registered or not: an unregistered one's data counts once it is registered.
            let if_registered = ConnectorFacts {
                registered: true,
                ..facts.clone()
            };
            connector_counts(&if_registered).ok()?;
            Some(ConnectorSource {
                source_id: SourceId::new(c.connection.id.clone()).ok()?,
                connection_id: c.connection.id.clone(),
                layout: layout_of(c)?,
                registered: facts.registered,
            })
        })
        .collect()
}

/// One user's values that reach the profile: Entra ID's, and each connector's item for the
/// user (by the UPN's item id convention) when it names the user and the user has a mailbox.
async fn sources_for_user(
    client: &GraphClient,
    connectors: &[ConnectorSource],
    user: &Json,
) -> Result<Vec<SourceEntities>, GraphError> {
    let mut out = vec![entities_from_entra_user(user)];
    let facts = UserFacts::from_user(user);
    if facts.upn.is_empty() || facts.mailbox == crate::people::reach::Mailbox::None {
        // Without a mailbox nothing a connector says reaches the profile: no reads needed.
        return Ok(out);
    }
    let item_id = item_id_for_upn(&facts.upn);
    let items = futures::future::try_join_all(
        connectors
            .iter()
            .map(|c| client.get_item(&c.connection_id, &item_id)),
    )
    .await?;
    for (c, item) in connectors.iter().zip(items) {
        if let Some(item) = item {
            let properties = Json::Object(item.properties);
            let entities = entities_from_item(&c.layout, &properties, c.source_id.clone());
            if item_counts(&facts, &entities).is_ok() {
                out.push(crate::people::reach::as_on_profile(entities));
            }
        }
    }
    Ok(out)
}

/// Every loaded user's per-source values in typed form, read once and recomposed per change.
#[derive(Debug, Clone, Default)]
pub struct ImpactInputs {
    pub catalog: PropertyCatalog,
    pub table: SourceTable,
    pub users: Vec<UserSources>,
    /// Each user's UPN, beside `users`.
    pub upns: Vec<String>,
    /// Connections whose data was read but does not count now (not registered).
    pub unregistered: Vec<SourceId>,
    /// True when loading stopped at a limit before the last user.
    pub truncated: bool,
}

/// A change whose impact is measured.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposal {
    /// The precedence list goes from `before` to `after`.
    Reorder {
        before: PrecedenceList,
        after: PrecedenceList,
    },
    /// `source` becomes a profile source and the list goes from `before` to `after`.
    Register {
        source: SourceId,
        before: PrecedenceList,
        after: PrecedenceList,
    },
    /// `source` leaves the list and its data leaves every profile.
    Removal {
        source: SourceId,
        list: PrecedenceList,
    },
}

impl ImpactInputs {
    /// Adds one user's sources.
    pub fn add_user(&mut self, upn: &str, sources: &[SourceEntities]) {
        let user = user_sources(&mut self.catalog, &mut self.table, sources);
        self.users.push(user);
        self.upns.push(upn.to_owned());
    }

    fn model(&self) -> ImpactModel<'_> {
        ImpactModel {
            catalog: &self.catalog,
            table: &self.table,
            users: &self.users,
        }
    }

    /// The two sides of a proposal.
    pub fn scenarios(&self, proposal: &Proposal) -> (Scenario, Scenario) {
        let now = |list: &PrecedenceList| {
            Scenario::new(list.clone()).excluding(self.unregistered.iter().cloned())
        };
        match proposal {
            Proposal::Reorder { before, after } => (now(before), now(after)),
            Proposal::Register {
                source,
                before,
                after,
            } => {
                let mut after = now(after);
                after.excluded.retain(|s| s != source);
                (now(before), after)
            }
            Proposal::Removal { source, list } => {
                let after = list.remove_source(source).unwrap_or_else(|_| list.clone());
                (now(list), now(&after).excluding([source.clone()]))
            }
        }
    }

    /// Who sees a different value of which property under the proposal.
    pub fn measure(&self, proposal: &Proposal) -> Impact {
        let (before, after) = self.scenarios(proposal);
        self.model().diff(&before, &after)
    }

    /// Which users' composed values change between two precedence lists.
    pub fn reorder(&self, before: &PrecedenceList, after: &PrecedenceList) -> Impact {
        self.measure(&Proposal::Reorder {
            before: before.clone(),
            after: after.clone(),
        })
    }

    /// Which users' composed values change when `source` goes away entirely.
    pub fn removal(&self, list: &PrecedenceList, source: &SourceId) -> Impact {
        self.measure(&Proposal::Removal {
            source: source.clone(),
            list: list.clone(),
        })
    }

    /// The rows of some changes of an impact measured for `proposal`, with their values.
    pub fn rows<'a>(
        &'a self,
        proposal: &Proposal,
        changes: impl IntoIterator<Item = &'a ChangedValue>,
    ) -> Vec<ChangeRow> {
        let (before, after) = self.scenarios(proposal);
        let model = self.model();
        changes
            .into_iter()
            .map(|c| {
                ChangeRow::new(
                    self.upns.get(c.user).cloned().unwrap_or_default(),
                    model.detail(&before, &after, *c),
                )
            })
            .collect()
    }
}

/// One changed value as the CLI's JSON and CSV and the console's impact list show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRow {
    pub upn: String,
    pub property: String,
    pub before: ValueAt,
    pub after: ValueAt,
}

/// A value and the source it came from (multi-valued: the sources, comma-separated).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueAt {
    pub value: Json,
    pub source: Option<String>,
}

impl ChangeRow {
    fn new(upn: String, d: ChangeDetail) -> Self {
        let at = |side: crate::people::impact::Side| ValueAt {
            value: side.value,
            source: (!side.sources.is_empty()).then(|| {
                side.sources
                    .iter()
                    .map(source_name)
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        };
        Self {
            upn,
            property: d.property,
            before: at(d.before),
            after: at(d.after),
        }
    }
}

fn source_name(id: &SourceId) -> String {
    builtin_source(id).map_or_else(|| id.to_string(), |b| b.name.to_owned())
}

/// The impact list as CSV for a change ticket: one row per changed value.
pub fn changes_csv(rows: &[ChangeRow]) -> String {
    let mut out =
        String::from("upn,property,before_value,before_source,after_value,after_source\n");
    for r in rows {
        let cells = [
            r.upn.clone(),
            r.property.clone(),
            crate::ops::explain::summarize(&r.before.value),
            r.before.source.clone().unwrap_or_default(),
            crate::ops::explain::summarize(&r.after.value),
            r.after.source.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// One CSV cell: quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-`
/// or `@` is defused with a quote so a spreadsheet does not run it as a formula.
fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// Reads users page by page and each connector's item for them (bounded concurrency), at most
/// `limit` users, reporting progress as users complete.
pub async fn load_impact_inputs(
    client: &GraphClient,
    snapshot: &Snapshot,
    limit: Option<usize>,
    progress: impl Fn(usize),
) -> Result<ImpactInputs, GraphError> {
    let connectors = connector_sources(snapshot);
    let mut inputs = ImpactInputs {
        unregistered: connectors
            .iter()
            .filter(|c| !c.registered)
            .map(|c| c.source_id.clone())
            .collect(),
        ..ImpactInputs::default()
    };
    let connectors = Arc::new(connectors);
    progress(0);
    // Page by page, so only one page of user JSON is held at a time.
    let pages = client.user_pages::<Json>(USER_SELECT, MAX_PAGE);
    futures::pin_mut!(pages);
    while let Some(page) = pages.next().await {
        let page = page?;
        // Owned futures (no borrowing closure in the combinator) keep the stream Send.
        let reads: Vec<_> = page
            .into_iter()
            .map(|u| {
                let client = client.clone();
                let connectors = connectors.clone();
                async move {
                    let upn = u
                        .get("userPrincipalName")
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    sources_for_user(&client, &connectors, &u)
                        .await
                        .map(|s| (upn, s))
                }
            })
            .collect();
        let mut results = futures::stream::iter(reads).buffered(ITEM_READS);
        while let Some(read) = results.next().await {
            let (upn, sources) = read?;
            inputs.add_user(&upn, &sources);
            if limit.is_some_and(|l| inputs.users.len() >= l) {
                inputs.truncated = true;
                progress(inputs.users.len());
                return Ok(inputs);
            }
        }
        progress(inputs.users.len());
    }
    Ok(inputs)
}

/// Measures a proposal's impact on at most `limit` users, reading the tenant afresh.
pub async fn measure_now(
    client: &GraphClient,
    proposal: &Proposal,
    limit: Option<usize>,
) -> Result<ImpactSummary, GraphError> {
    let snapshot = super::snapshot::read_snapshot(client).await?;
    let inputs = load_impact_inputs(client, &snapshot, limit, |_| {}).await?;
    Ok(ImpactSummary::measure(&inputs, proposal))
}

/// An impact in words: "jobTitle changes for 19 of 318 users; department for 4".
pub fn describe(impact: &Impact) -> String {
    if impact.changed_users.is_empty() {
        return format!(
            "no composed value changes for any of {} users",
            impact.users
        );
    }
    let mut parts: Vec<(usize, &PropertyImpact)> = impact
        .per_property
        .iter()
        .map(|p| (usize::from(p.property.contains('/')), p))
        .collect();
    // Single-valued properties (paths) first, most changed first.
    parts.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.changed.cmp(&a.1.changed)));
    let mut text = String::new();
    for (i, (_, p)) in parts.iter().take(4).enumerate() {
        let name = crate::ops::explain::display_label(&p.property);
        if i == 0 {
            text.push_str(&format!(
                "{name} changes for {} of {} users",
                p.changed, impact.users
            ));
        } else {
            text.push_str(&format!("; {name} for {}", p.changed));
        }
    }
    if parts.len() > 4 {
        text.push_str(&format!("; {} more properties", parts.len() - 4));
    }
    text
}

/// The impact figures as the JSON plan shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpactSummary {
    pub users: usize,
    pub changed_users: usize,
    pub per_property: Vec<PropertyImpact>,
    /// Only the first `users` users were read (a limit was reached).
    pub sampled: bool,
    pub text: String,
    /// Every changed value: who, which property, from what to what.
    pub changes: Vec<ChangeRow>,
}

impl ImpactSummary {
    /// The summary of the impact of `proposal` over `inputs`, with every changed value.
    pub fn measure(inputs: &ImpactInputs, proposal: &Proposal) -> Self {
        let impact = inputs.measure(proposal);
        Self {
            users: impact.users,
            changed_users: impact.changed_users.len(),
            per_property: impact.per_property.clone(),
            sampled: inputs.truncated,
            text: describe(&impact),
            changes: inputs.rows(proposal, &impact.changes),
        }
    }

    /// One sentence for a removal plan, as the CLI and the console's wizard show it.
    pub fn sentence(&self) -> String {
        format!(
            "Impact: {} of {} users{} see a different profile: {}.",
            self.changed_users,
            self.users,
            if self.sampled { " read so far" } else { "" },
            self.text
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hr() -> SourceId {
        SourceId::new("contosohr").unwrap()
    }

    fn inputs() -> ImpactInputs {
        let mut inputs = ImpactInputs::default();
        // Alex: HR says Senior, Entra says plain; both agree on the department.
        inputs.add_user("alex@contoso.com", &[
            SourceEntities::new(SourceId::entra()).with(
                "positions",
                json!({"detail": {"jobTitle": "Software Engineer", "company": {"department": "Eng"}}}),
            ),
            SourceEntities::new(hr()).with(
                "positions",
                json!({"detail": {"jobTitle": "Senior Software Engineer", "company": {"department": "Eng"}}}),
            ),
        ]);
        // Bo: only Entra.
        inputs.add_user(
            "bo@contoso.com",
            &[SourceEntities::new(SourceId::entra())
                .with("positions", json!({"detail": {"jobTitle": "Designer"}}))],
        );
        inputs
    }

    #[test]
    fn removing_a_source_changes_only_users_it_decided() {
        let inputs = inputs();
        let list = PrecedenceList::from_sources([&hr(), &SourceId::entra()]);
        let impact = inputs.removal(&list, &hr());
        assert_eq!(impact.users, 2);
        assert_eq!(impact.changed_users, [0]);
        assert_eq!(
            impact.per_property.len(),
            1,
            "the department agrees: no change"
        );
        assert_eq!(impact.per_property[0].property, "positions/detail/jobTitle");
        assert_eq!(describe(&impact), "jobTitle changes for 1 of 2 users");

        // Ranked below Entra, HR decides nothing Entra has: removing it changes nothing.
        let list = PrecedenceList::from_sources([&SourceId::entra(), &hr()]);
        assert!(inputs.removal(&list, &hr()).changed_users.is_empty());
    }

    #[test]
    fn reorder_impact_matches_the_engine() {
        let inputs = inputs();
        let hr_first = PrecedenceList::from_sources([&hr(), &SourceId::entra()]);
        let entra_first = PrecedenceList::from_sources([&SourceId::entra(), &hr()]);
        let impact = inputs.reorder(&hr_first, &entra_first);
        assert_eq!(impact.changed_users, [0]);
        assert_eq!(describe(&impact), "jobTitle changes for 1 of 2 users");
    }

    #[test]
    fn the_summary_lists_each_change_and_writes_csv() {
        let mut inputs = inputs();
        inputs.unregistered.push(hr());
        let list = PrecedenceList::from_sources([&hr(), &SourceId::entra()]);
        // hr is not registered: a reorder changes nothing, registering it does.
        let reorder = ImpactSummary::measure(
            &inputs,
            &Proposal::Reorder {
                before: list.clone(),
                after: PrecedenceList::from_sources([&SourceId::entra(), &hr()]),
            },
        );
        assert!(reorder.changes.is_empty());
        let register = ImpactSummary::measure(
            &inputs,
            &Proposal::Register {
                source: hr(),
                before: PrecedenceList::from_sources([&SourceId::entra()]),
                after: list,
            },
        );
        assert_eq!(register.changes.len(), 1);
        let row = &register.changes[0];
        assert_eq!(row.upn, "alex@contoso.com");
        assert_eq!(row.property, "positions/detail/jobTitle");
        assert_eq!(row.before.value, "Software Engineer");
        assert_eq!(row.before.source.as_deref(), Some("Microsoft Entra ID"));
        assert_eq!(row.after.value, "Senior Software Engineer");
        assert_eq!(row.after.source.as_deref(), Some("contosohr"));
        let csv = changes_csv(&register.changes);
        assert_eq!(
            csv.lines().nth(1),
            Some(
                "alex@contoso.com,positions/detail/jobTitle,Software Engineer,Microsoft Entra ID,Senior Software Engineer,contosohr"
            )
        );
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=cmd()"), "'=cmd()");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
