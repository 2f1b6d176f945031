//! Guided removal of a connector: precedence entry, then profile source, then connection.
//!
//! Every step first looks at the tenant as it is now and counts "already gone" as done, so a
//! rerun after a crash, Ctrl-C or a failed step finishes the job. The profile source is never
//! deleted while the precedence list still names it.

use serde::Serialize;

use super::impact::{ImpactSummary, Proposal, load_impact_inputs};
use super::lock::precedence_lock;
use super::reorder::write_list;
use super::snapshot::{read_precedence, read_snapshot};
use super::{Event, OpsError, Progress, StepReport, StepStatus};
use crate::graph::connections::ExternalConnection;
use crate::graph::sources::ProfileSource;
use crate::graph::{ApiVersion, GraphClient};
use crate::people::ids::SourceId;

/// Step names, in the order they run.
pub const STEPS: [&str; 3] = ["precedence", "profileSource", "connection"];

/// Most users read to measure a removal's impact before it is confirmed (each costs one item
/// read per people connector): the CLI's default and the console's cap.
pub const IMPACT_USERS: usize = 5000;

/// What removal will do, from what exists now.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovePlan {
    pub connection: String,
    /// 1-based rank of the entry, when listed.
    pub rank: Option<usize>,
    #[serde(skip)]
    pub source: Option<ProfileSource>,
    #[serde(skip)]
    pub existing_connection: Option<ExternalConnection>,
    pub steps: Vec<StepReport>,
    /// Users whose composed profile changes, when computed ([`removal_impact`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<ImpactSummary>,
}

impl RemovePlan {
    /// True when every step is already done.
    pub fn nothing_to_do(&self) -> bool {
        self.steps
            .iter()
            .all(|s| s.status == StepStatus::AlreadyDone)
    }

    /// Refuses a removal of something that does not exist at all (a typo must not report
    /// success); a partly removed connector, whose rerun finishes the job, exists.
    pub fn check_found(&self, scope: Scope) -> Result<(), OpsError> {
        let connection = scope == Scope::Connector && self.existing_connection.is_some();
        if self.rank.is_some() || self.source.is_some() || connection {
            return Ok(());
        }
        Err(OpsError::NotFound(format!(
            "nothing named '{}' exists: no precedence entry, no profile source{} (removed already, or a typo?)",
            self.connection,
            if scope == Scope::Connector {
                ", no connection"
            } else {
                ""
            }
        )))
    }

    /// The planned steps a removal of `scope` runs.
    pub fn steps_in(&self, scope: Scope) -> Vec<StepReport> {
        self.steps
            .iter()
            .take(scope.steps().len())
            .cloned()
            .collect()
    }
}

/// The outcome of a removal run (the `remove` JSON of the command-line contract).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveReport {
    pub connection: String,
    pub dry_run: bool,
    pub steps: Vec<StepReport>,
}

/// Reads what exists now and plans the three steps.
pub async fn plan_remove(
    client: &GraphClient,
    connection_id: &str,
) -> Result<RemovePlan, OpsError> {
    let id = source_id(connection_id)?;
    let (precedence, source, connection) = tokio::try_join!(
        read_precedence(client),
        client.find_profile_source(connection_id),
        // Beta carries the item count the plan shows.
        client.find_connection(connection_id, ApiVersion::Beta),
    )?;
    let rank = precedence
        .as_ref()
        .and_then(|p| p.list.index_of(&id))
        .map(|i| i + 1);
    let len = precedence.as_ref().map_or(0, |p| p.list.len());
    let steps = vec![
        match rank {
            Some(r) => StepReport::new(
                STEPS[0],
                StepStatus::Planned,
                format!("remove '{connection_id}' from the precedence list (ranked {r} of {len})"),
            ),
            None => StepReport::new(
                STEPS[0],
                StepStatus::AlreadyDone,
                "not in the precedence list",
            ),
        },
        match &source {
            Some(s) => StepReport::new(
                STEPS[1],
                StepStatus::Planned,
                format!(
                    "delete profile source '{}' ({})",
                    s.source_id,
                    s.display_name.as_deref().unwrap_or("no name")
                ),
            ),
            None => StepReport::new(STEPS[1], StepStatus::AlreadyDone, "no profile source"),
        },
        match &connection {
            Some(c) => StepReport::new(
                STEPS[2],
                StepStatus::Planned,
                format!(
                    "delete connection '{}' ({}, {}{})",
                    c.id,
                    c.name,
                    c.state.as_str(),
                    c.ingested_items_count
                        .map_or(String::new(), |n| format!(", {n} items"))
                ),
            ),
            None => StepReport::new(STEPS[2], StepStatus::AlreadyDone, "no connection"),
        },
    ];
    Ok(RemovePlan {
        connection: connection_id.to_owned(),
        rank,
        source,
        existing_connection: connection,
        steps,
        impact: None,
    })
}

/// Plans the removal and, unless every step is already done, measures its impact on at most
/// `impact_users` users (0: not at all). The impact informs the review and never stands in
/// its way: a failure to measure it comes back beside the plan, not instead of it.
pub async fn plan_with_impact(
    client: &GraphClient,
    connection_id: &str,
    impact_users: usize,
) -> Result<(RemovePlan, Option<OpsError>), OpsError> {
    let mut plan = plan_remove(client, connection_id).await?;
    let mut impact_error = None;
    if impact_users > 0 && !plan.nothing_to_do() {
        match removal_impact(client, connection_id, Some(impact_users)).await {
            Ok(impact) => plan.impact = Some(impact),
            Err(e) => impact_error = Some(e),
        }
    }
    Ok((plan, impact_error))
}

/// Users whose composed profile changes when the connector goes: it leaves the precedence
/// list and its items leave every profile. Reads at most `limit` users (each needs one item
/// read per people connector), and says when it stopped short.
pub async fn removal_impact(
    client: &GraphClient,
    connection_id: &str,
    limit: Option<usize>,
) -> Result<ImpactSummary, OpsError> {
    let id = source_id(connection_id)?;
    let snapshot = read_snapshot(client).await?;
    let inputs = load_impact_inputs(client, &snapshot, limit, |_| {}).await?;
    Ok(ImpactSummary::measure(
        &inputs,
        &Proposal::Removal {
            source: id,
            list: snapshot.list(),
        },
    ))
}

/// What to remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Precedence entry, profile source and connection.
    Connector,
    /// Precedence entry and profile source; the connection stays.
    SourceOnly,
}

impl Scope {
    /// The steps this scope runs, in order: a source-only removal stops before the connection.
    pub fn steps(self) -> &'static [&'static str] {
        match self {
            Self::Connector => &STEPS,
            Self::SourceOnly => &STEPS[..2],
        }
    }
}

/// Runs the steps. On a failure the report marks that step `failed` and the rest `planned`,
/// and the error is returned beside it: a rerun picks up from there.
pub async fn execute_remove(
    client: &GraphClient,
    connection_id: &str,
    scope: Scope,
    progress: &Progress,
) -> (RemoveReport, Option<OpsError>) {
    let mut steps: Vec<StepReport> = scope
        .steps()
        .iter()
        .map(|s| StepReport::new(s, StepStatus::Planned, ""))
        .collect();
    progress.emit(Event::Started(format!("remove '{connection_id}'")));
    let mut error = None;
    for (i, step) in scope.steps().iter().enumerate() {
        progress.step(step, StepStatus::Running, "");
        let result = match i {
            0 => remove_from_precedence(client, connection_id).await,
            1 => delete_source(client, connection_id).await,
            _ => delete_connection(client, connection_id).await,
        };
        match result {
            Ok((status, detail)) => {
                progress.step(step, status, detail.clone());
                steps[i] = StepReport::new(step, status, detail);
            }
            Err(e) => {
                let detail = e.to_string();
                progress.step(step, StepStatus::Failed, detail.clone());
                steps[i] = StepReport::new(step, StepStatus::Failed, detail.clone());
                progress.emit(Event::Failed(format!("{step}: {detail}")));
                error = Some(e);
                break;
            }
        }
    }
    if error.is_none() {
        progress.emit(Event::Finished(format!("'{connection_id}' removed")));
    }
    let report = RemoveReport {
        connection: connection_id.to_owned(),
        dry_run: false,
        steps,
    };
    (report, error)
}

fn source_id(id: &str) -> Result<SourceId, OpsError> {
    SourceId::new(id).map_err(|e| OpsError::Invalid(e.to_string()))
}

async fn remove_from_precedence(
    client: &GraphClient,
    connection_id: &str,
) -> Result<(StepStatus, String), OpsError> {
    let id = source_id(connection_id)?;
    let _lock = precedence_lock(client).await?;
    let Some(setting) = read_precedence(client).await? else {
        return Ok((StepStatus::AlreadyDone, "no precedence setting".into()));
    };
    if setting.list.index_of(&id).is_none() {
        return Ok((StepStatus::AlreadyDone, "not in the precedence list".into()));
    }
    let list = setting
        .list
        .remove_source(&id)
        .map_err(|e| OpsError::Invalid(e.to_string()))?;
    let written = write_list(client, Some(&setting.id), &list).await?;
    if written.list.index_of(&id).is_some() {
        return Err(OpsError::Refused(format!(
            "Graph still lists '{connection_id}' in the precedence list after the update"
        )));
    }
    Ok((
        StepStatus::Done,
        format!(
            "removed from the precedence list ({} entries left)",
            written.list.len()
        ),
    ))
}

async fn delete_source(
    client: &GraphClient,
    connection_id: &str,
) -> Result<(StepStatus, String), OpsError> {
    let id = source_id(connection_id)?;
    // The guard: a source still named by the list would leave it pointing at nothing. Held
    // under the precedence lock so no peoplectl can list it again between check and delete.
    let _lock = precedence_lock(client).await?;
    if let Some(setting) = read_precedence(client).await? {
        if setting.list.index_of(&id).is_some() {
            return Err(OpsError::Refused(format!(
                "the precedence list names '{connection_id}' again; not deleting its profile source (run the removal again)"
            )));
        }
    }
    if client.find_profile_source(connection_id).await?.is_none() {
        return Ok((StepStatus::AlreadyDone, "no profile source".into()));
    }
    match client.delete_profile_source(connection_id).await {
        Ok(()) => Ok((StepStatus::Done, "profile source deleted".into())),
        Err(e) if e.is_not_found() => Ok((StepStatus::AlreadyDone, "no profile source".into())),
        Err(e) => Err(e.into()),
    }
}

async fn delete_connection(
    client: &GraphClient,
    connection_id: &str,
) -> Result<(StepStatus, String), OpsError> {
    if client
        .find_connection(connection_id, ApiVersion::V1)
        .await?
        .is_none()
    {
        return Ok((StepStatus::AlreadyDone, "no connection".into()));
    }
    match client.delete_connection(connection_id).await {
        Ok(()) => Ok((
            StepStatus::Done,
            "connection deleted (Microsoft 365 takes up to 24 h to remove its data everywhere)"
                .into(),
        )),
        Err(e) if e.is_not_found() => Ok((StepStatus::AlreadyDone, "no connection".into())),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(statuses: [StepStatus; 3]) -> RemovePlan {
        RemovePlan {
            connection: "hr".into(),
            rank: None,
            source: None,
            existing_connection: None,
            steps: STEPS
                .iter()
                .zip(statuses)
                .map(|(s, status)| StepReport::new(s, status, *s))
                .collect(),
            impact: None,
        }
    }

    #[test]
    fn a_source_only_removal_is_the_first_two_steps() {
        assert_eq!(Scope::Connector.steps(), STEPS);
        assert_eq!(Scope::SourceOnly.steps(), ["precedence", "profileSource"]);
        let p = plan([
            StepStatus::AlreadyDone,
            StepStatus::AlreadyDone,
            StepStatus::Planned,
        ]);
        let source_only = p.steps_in(Scope::SourceOnly);
        assert_eq!(source_only.len(), 2);
        assert!(
            source_only
                .iter()
                .all(|s| s.status == StepStatus::AlreadyDone),
            "nothing left for a source-only removal"
        );
        assert_eq!(p.steps_in(Scope::Connector), p.steps);
        assert!(!p.nothing_to_do(), "the connection is still there");
    }

    #[test]
    fn removing_what_does_not_exist_is_not_found() {
        let p = plan([StepStatus::AlreadyDone; 3]);
        let err = p.check_found(Scope::Connector).unwrap_err();
        assert!(matches!(err, OpsError::NotFound(_)), "{err:?}");
        assert!(err.to_string().contains("nothing named 'hr' exists"));
        let mut listed = plan([
            StepStatus::Planned,
            StepStatus::AlreadyDone,
            StepStatus::AlreadyDone,
        ]);
        listed.rank = Some(5);
        assert!(listed.check_found(Scope::SourceOnly).is_ok());
    }
}
