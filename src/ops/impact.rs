//! What a precedence change or a connector's removal does to real users: every user's values
//! from Entra ID and each people connector, read once, then recomposed per proposed change.

use std::sync::Arc;

use futures::StreamExt;
use serde::Serialize;
use serde_json::Value as Json;

use super::snapshot::{Snapshot, engine_schema};
use crate::graph::users::{MAX_PAGE, USER_SELECT};
use crate::graph::{GraphClient, GraphError};
use crate::people::compose::{
    Composer, Composition, PropertyCatalog, Ranking, SourceEntities, SourceTable, UserSources,
    user_sources,
};
use crate::people::entities::entities_from_entra_user;
use crate::people::ids::SourceId;
use crate::people::impact::{Impact, PropertyImpact};
use crate::people::item::{ItemLayout, entities_from_item, item_id_for_upn};
use crate::people::precedence::PrecedenceList;

/// Item reads in flight at once while loading.
const ITEM_READS: usize = 8;

/// A people connection whose items feed profiles, with how its items are laid out.
#[derive(Debug, Clone)]
pub struct ConnectorSource {
    pub source_id: SourceId,
    pub connection_id: String,
    pub layout: ItemLayout,
}

/// The connections of a snapshot whose schema follows a people contract.
pub fn connector_sources(snapshot: &Snapshot) -> Vec<ConnectorSource> {
    snapshot
        .connections
        .iter()
        .filter_map(|c| {
            let schema = engine_schema(c.schema.as_ref()?)?;
            let layout = ItemLayout::from_schema(&schema).ok()?;
            Some(ConnectorSource {
                source_id: SourceId::new(c.connection.id.clone()).ok()?,
                connection_id: c.connection.id.clone(),
                layout,
            })
        })
        .collect()
}

/// One user's values: Entra ID's, and each connector's item for the user (by the UPN's item
/// id convention).
async fn sources_for_user(
    client: &GraphClient,
    connectors: &[ConnectorSource],
    user: &Json,
) -> Result<Vec<SourceEntities>, GraphError> {
    let mut out = vec![entities_from_entra_user(user)];
    let upn = user
        .get("userPrincipalName")
        .and_then(Json::as_str)
        .unwrap_or_default();
    if upn.is_empty() {
        return Ok(out);
    }
    let item_id = item_id_for_upn(upn);
    let items = futures::future::try_join_all(
        connectors
            .iter()
            .map(|c| client.get_item(&c.connection_id, &item_id)),
    )
    .await?;
    for (c, item) in connectors.iter().zip(items) {
        if let Some(item) = item {
            let properties = Json::Object(item.properties);
            out.push(entities_from_item(
                &c.layout,
                &properties,
                c.source_id.clone(),
            ));
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
    /// True when loading stopped at a limit before the last user.
    pub truncated: bool,
}

impl ImpactInputs {
    /// Adds one user's sources.
    pub fn add_user(&mut self, sources: &[SourceEntities]) {
        let user = user_sources(&mut self.catalog, &mut self.table, sources);
        self.users.push(user);
    }

    /// Which users' composed values change between two precedence lists.
    pub fn reorder(&self, before: &PrecedenceList, after: &PrecedenceList) -> Impact {
        crate::people::impact::impact(before, after, &self.catalog, &self.table, &self.users)
    }

    /// Which users' composed values change when `source` goes away entirely: out of the list,
    /// and its data gone from every profile.
    pub fn removal(&self, list: &PrecedenceList, source: &SourceId) -> Impact {
        let composer = Composer::new(&self.catalog, Ranking::new(&self.table, list));
        let key = self.table.get(source);
        let props: Vec<_> = self
            .catalog
            .iter()
            .map(|(id, _, kind)| (id, kind))
            .collect();
        let mut counts = vec![0usize; props.len()];
        let mut changed_users = Vec::new();
        let mut a = Composition::new();
        for (u, user) in self.users.iter().enumerate() {
            if !user.sources.iter().any(|s| Some(s.source) == key) {
                continue; // the source has nothing for this user
            }
            let mut without = UserSources::new();
            without.sources.extend(
                user.sources
                    .iter()
                    .filter(|s| Some(s.source) != key)
                    .cloned(),
            );
            composer.compose_into(user, &mut a);
            let b = composer.compose(&without);
            let mut any = false;
            for (count, (id, kind)) in counts.iter_mut().zip(&props) {
                if !a.same_value(&b, *id, *kind) {
                    *count += 1;
                    any = true;
                }
            }
            if any {
                changed_users.push(u);
            }
        }
        Impact {
            users: self.users.len(),
            changed_users,
            per_property: props
                .iter()
                .zip(counts)
                .filter(|(_, c)| *c > 0)
                .map(|((id, _), changed)| PropertyImpact {
                    property: self.catalog.path(*id).to_owned(),
                    changed,
                })
                .collect(),
        }
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
    let connectors = Arc::new(connector_sources(snapshot));
    let mut inputs = ImpactInputs::default();
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
                async move { sources_for_user(&client, &connectors, &u).await }
            })
            .collect();
        let mut results = futures::stream::iter(reads).buffered(ITEM_READS);
        while let Some(sources) = results.next().await {
            inputs.add_user(&sources?);
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpactSummary {
    pub users: usize,
    pub changed_users: usize,
    pub per_property: Vec<PropertyImpact>,
    /// Only the first `users` users were read (a limit was reached).
    pub sampled: bool,
    pub text: String,
}

impl ImpactSummary {
    /// The summary of an impact computed over `inputs`.
    pub fn new(impact: &Impact, inputs: &ImpactInputs) -> Self {
        Self {
            users: impact.users,
            changed_users: impact.changed_users.len(),
            per_property: impact.per_property.clone(),
            sampled: inputs.truncated,
            text: describe(impact),
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
        inputs.add_user(&[
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
        inputs.add_user(&[SourceEntities::new(SourceId::entra())
            .with("positions", json!({"detail": {"jobTitle": "Designer"}}))]);
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
}
