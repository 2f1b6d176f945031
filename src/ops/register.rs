//! Register a connection as a profile source and rank it: check that the connection can feed
//! profiles at all, POST the source, then insert its URL into the precedence list (top by
//! default, as Microsoft does for a newly configured people connector).

use serde::Serialize;

use super::impact::{ImpactSummary, Proposal, measure_now};
use super::lock::precedence_lock;
use super::reorder::write_list;
use super::snapshot::{PrecedenceSetting, read_precedence};
use super::{OpsError, Progress, StepReport, StepStatus};
use crate::graph::connections::{ConnectionState, ExternalConnection, WireSchema};
use crate::graph::sources::NewProfileSource;
use crate::graph::{ApiVersion, GraphClient};
use crate::people::ids::SourceId;
use crate::people::precedence::{Position, PrecedenceList};
use crate::text::CommandLine;

/// What the admin asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    pub connection_id: String,
    /// HTTPS link to the HR system, shown on profile cards.
    pub web_url: String,
    /// Defaults to the connection's name.
    pub display_name: Option<String>,
    pub kind: Option<String>,
    /// Where in the precedence list; `Position::Index` is 0-based.
    pub at: Position,
    /// Register even when the connection cannot feed profiles (the guard's reasons become
    /// warnings).
    pub force: bool,
}

/// What registering will do, from the state read just now.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterPlan {
    #[serde(skip)]
    pub request: RegisterRequest,
    pub source_id: String,
    pub display_name: String,
    /// The profile source exists already (the step will be `alreadyDone`).
    pub source_exists: bool,
    /// The precedence list before, if there is a setting.
    #[serde(skip)]
    pub before: Option<PrecedenceSetting>,
    /// The list after.
    pub after: PrecedenceList,
    /// 1-based rank the source will have.
    pub rank: usize,
    pub steps: Vec<StepReport>,
    /// Why the connection cannot feed profiles, when `force` registers it anyway.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Users whose composed profile changes once the source counts, when measured
    /// ([`plan_register_with_impact`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<ImpactSummary>,
}

impl RegisterPlan {
    /// True when something will be written.
    pub fn writes(&self) -> bool {
        self.steps.iter().any(|s| s.status == StepStatus::Planned)
    }

    /// The precedence list before (Entra ID alone when the tenant has no setting yet).
    pub fn list_before(&self) -> PrecedenceList {
        self.before.as_ref().map_or_else(
            || PrecedenceList::from_sources([&SourceId::entra()]),
            |b| b.list.clone(),
        )
    }
}

/// Why a connection cannot feed profiles: not a people connection, no `personAccount`
/// property, not `ready`. Empty when it can.
pub fn guard(connection: &ExternalConnection, schema: Option<&WireSchema>) -> Vec<String> {
    let id = &connection.id;
    let mut reasons = Vec::new();
    if !connection.is_people() {
        reasons.push(format!(
            "connection '{id}' has contentCategory {}, not people: the service does not read its items as people data",
            connection.content_category.as_deref().unwrap_or("unset")
        ));
    }
    if connection.state != ConnectionState::Ready {
        reasons.push(format!(
            "connection '{id}' is {}, not ready: its schema is not registered (or its schema operation failed), so it holds no items (see `{}`)",
            connection.state.as_str(),
            CommandLine::peoplectl(["connections", "show"]).operand(id)
        ));
    }
    let person_account = schema.is_some_and(|s| {
        s.properties.iter().any(|p| {
            p.labels
                .iter()
                .any(|l| l.eq_ignore_ascii_case("personAccount"))
        })
    });
    if !person_account && connection.state == ConnectionState::Ready {
        reasons.push(format!(
            "the schema of '{id}' has no property labelled personAccount, so the service cannot tie its items to people"
        ));
    }
    reasons
}

/// The refusal of a registration the guard stopped, with the fix.
fn refusal(id: &str, name: &str, reasons: &[String]) -> OpsError {
    let mut text = format!("not registering '{id}' as a profile source:");
    for r in reasons {
        text.push_str(&format!("\n  - {r}"));
    }
    text.push_str(&format!(
        "\nA people connector needs contentCategory people, a personAccount property and state ready: `{}` creates one; `{}` registers '{id}' anyway.",
        CommandLine::peoplectl(["connections", "create"])
            .operand(format!("{id}v2"))
            .option("--name", name)
            .option("--schema", "labels")
            .flag("--wait"),
        CommandLine::peoplectl(["sources", "register"])
            .operand(id)
            .option("--web-url", "<url>")
            .flag("--force")
    ));
    OpsError::Refused(text)
}

/// Checks the request against the tenant and computes the plan.
pub async fn plan_register(
    client: &GraphClient,
    request: RegisterRequest,
) -> Result<RegisterPlan, OpsError> {
    check_web_url(&request.web_url)?;
    let source_id = SourceId::new(request.connection_id.clone())
        .map_err(|e| OpsError::Invalid(e.to_string()))?;
    let (connection, existing, before) = tokio::try_join!(
        client.find_connection(&request.connection_id, ApiVersion::V1),
        client.find_profile_source(&request.connection_id),
        read_precedence(client),
    )?;
    let Some(connection) = connection else {
        return Err(OpsError::NotFound(format!(
            "there is no connection '{}': a profile source must name an existing connection",
            request.connection_id
        )));
    };
    // A draft has no schema to read; any other state's schema says whether it has people.
    let schema = if connection.state == ConnectionState::Draft {
        None
    } else {
        match client.get_schema(&connection.id).await {
            Ok(s) => Some(s),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e.into()),
        }
    };
    let reasons = guard(&connection, schema.as_ref());
    let display_name = request
        .display_name
        .clone()
        .or_else(|| existing.as_ref().and_then(|s| s.display_name.clone()))
        .unwrap_or_else(|| connection.name.clone());
    let after = insert(before.as_ref().map(|b| &b.list), &source_id, request.at)?;
    let rank = after.index_of(&source_id).map_or(0, |i| i + 1);
    let listed = before
        .as_ref()
        .is_some_and(|b| b.list.index_of(&source_id).is_some());
    let steps = vec![
        StepReport::new(
            "profileSource",
            if existing.is_some() {
                StepStatus::AlreadyDone
            } else {
                StepStatus::Planned
            },
            if existing.is_some() {
                format!("profile source '{source_id}' is already registered")
            } else {
                format!(
                    "register profile source '{source_id}' ({display_name}, {})",
                    request.web_url
                )
            },
        ),
        StepReport::new(
            "precedence",
            if listed {
                StepStatus::AlreadyDone
            } else {
                StepStatus::Planned
            },
            if listed {
                format!("already ranked {rank}")
            } else if before.is_none() {
                format!(
                    "create the precedence setting with '{source_id}' ranked {rank} and Entra ID"
                )
            } else {
                format!("rank '{source_id}' {rank} of {}", after.len())
            },
        ),
    ];
    let writes = steps.iter().any(|s| s.status == StepStatus::Planned);
    // Nothing to write harms nothing: the guard stops only a registration that would happen.
    if writes && !reasons.is_empty() && !request.force {
        return Err(refusal(&source_id.to_string(), &connection.name, &reasons));
    }
    Ok(RegisterPlan {
        source_id: source_id.to_string(),
        display_name,
        source_exists: existing.is_some(),
        before,
        after,
        rank,
        steps,
        warnings: if writes { reasons } else { Vec::new() },
        impact: None,
        request,
    })
}

/// Plans the registration and, when it writes, measures its impact on at most
/// `impact_users` users (the console's review shows it before asking). A failure to measure
/// leaves the impact out; it does not stop the plan.
pub async fn plan_register_with_impact(
    client: &GraphClient,
    request: RegisterRequest,
    impact_users: usize,
) -> Result<RegisterPlan, OpsError> {
    let mut plan = plan_register(client, request).await?;
    if impact_users > 0 && plan.writes() {
        if let Ok(source) = SourceId::new(plan.source_id.clone()) {
            let proposal = Proposal::Register {
                source,
                before: plan.list_before(),
                after: plan.after.clone(),
            };
            plan.impact = measure_now(client, &proposal, Some(impact_users))
                .await
                .ok();
        }
    }
    Ok(plan)
}

/// The list with the source inserted (unchanged when it is already listed). With no setting,
/// the new list is the source and Entra ID.
fn insert(
    list: Option<&PrecedenceList>,
    id: &SourceId,
    at: Position,
) -> Result<PrecedenceList, OpsError> {
    let base = match list {
        Some(l) => l.clone(),
        None => PrecedenceList::from_sources([&SourceId::entra()]),
    };
    if base.index_of(id).is_some() {
        return Ok(base);
    }
    base.insert_source(id, at)
        .map_err(|e| OpsError::Invalid(e.to_string()))
}

/// Registers the source, then ranks it. The precedence step re-reads the list and inserts into
/// what is there now (a targeted insert, unlike a reorder, cannot lose someone else's change).
pub async fn execute_register(
    client: &GraphClient,
    plan: &RegisterPlan,
    progress: &Progress,
) -> Result<Vec<StepReport>, OpsError> {
    let mut steps = Vec::new();
    progress.emit(super::Event::Started(format!(
        "register '{}'",
        plan.source_id
    )));
    let existing = client.find_profile_source(&plan.source_id).await?;
    if existing.is_some() {
        steps.push(StepReport::new(
            "profileSource",
            StepStatus::AlreadyDone,
            "already registered",
        ));
    } else {
        progress.step("profileSource", StepStatus::Running, "registering");
        client
            .create_profile_source(&NewProfileSource {
                source_id: plan.source_id.clone(),
                display_name: plan.display_name.clone(),
                kind: plan.request.kind.clone(),
                web_url: plan.request.web_url.clone(),
            })
            .await?;
        steps.push(StepReport::new(
            "profileSource",
            StepStatus::Done,
            "registered",
        ));
    }
    progress.step("profileSource", steps[0].status, steps[0].detail.clone());

    let id = SourceId::new(plan.source_id.clone()).map_err(|e| OpsError::Invalid(e.to_string()))?;
    let _lock = precedence_lock(client).await?;
    let current = read_precedence(client).await?;
    let step = if current
        .as_ref()
        .is_some_and(|c| c.list.index_of(&id).is_some())
    {
        StepReport::new(
            "precedence",
            StepStatus::AlreadyDone,
            "already in the precedence list",
        )
    } else {
        progress.step("precedence", StepStatus::Running, "ranking");
        let list = insert(current.as_ref().map(|c| &c.list), &id, plan.request.at)?;
        let written = write_list(client, current.as_ref().map(|c| c.id.as_str()), &list).await?;
        let rank = written.list.index_of(&id).map_or(0, |i| i + 1);
        StepReport::new(
            "precedence",
            StepStatus::Done,
            format!("ranked {rank} of {}", written.list.len()),
        )
    };
    progress.step("precedence", step.status, step.detail.clone());
    steps.push(step);
    progress.emit(super::Event::Finished(format!(
        "'{}' registered",
        plan.source_id
    )));
    Ok(steps)
}

/// People connectors need an HTTPS `webUrl`.
pub fn check_web_url(web_url: &str) -> Result<(), OpsError> {
    let url = url::Url::parse(web_url)
        .map_err(|e| OpsError::Invalid(format!("web URL '{web_url}' is not a URL: {e}")))?;
    if url.scheme() != "https" || url.host_str().is_none_or(str::is_empty) {
        return Err(OpsError::Invalid(format!(
            "web URL '{web_url}' must be an https:// link to the source system"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_urls_must_be_https() {
        assert!(check_web_url("https://wd5.myworkday.com/contoso").is_ok());
        assert!(check_web_url("http://hr.contoso.com").is_err());
        assert!(check_web_url("hr.contoso.com").is_err());
        assert!(check_web_url("https://").is_err());
    }

    fn connection(category: Option<&str>, state: ConnectionState) -> ExternalConnection {
        ExternalConnection {
            id: "hr".into(),
            name: "HR".into(),
            description: None,
            state,
            content_category: category.map(str::to_owned),
            configuration: None,
            ingested_items_count: None,
        }
    }

    fn schema(label: &str) -> WireSchema {
        serde_json::from_value(serde_json::json!({
            "baseType": "microsoft.graph.externalItem",
            "properties": [{"name": "acct", "type": "string", "labels": [label]}]
        }))
        .unwrap()
    }

    #[test]
    fn the_guard_names_each_reason_a_connection_cannot_feed_profiles() {
        let ok = connection(Some("people"), ConnectionState::Ready);
        assert!(guard(&ok, Some(&schema("personAccount"))).is_empty());
        let wiki = connection(Some("knowledgeBase"), ConnectionState::Ready);
        let reasons = guard(&wiki, Some(&schema("title")));
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].contains("knowledgeBase, not people"));
        assert!(reasons[1].contains("personAccount"));
        let draft = connection(Some("people"), ConnectionState::Draft);
        let reasons = guard(&draft, None);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(reasons[0].contains("draft, not ready"));
        let text = refusal("hr", "HR", &reasons).to_string();
        assert!(text.contains("--force"), "{text}");
        assert!(
            text.contains("peoplectl connections create hrv2 --name HR"),
            "{text}"
        );
    }

    #[test]
    fn inserting_without_a_setting_pairs_the_source_with_entra() {
        let id = SourceId::new("hr").unwrap();
        let list = insert(None, &id, Position::Top).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list.index_of(&id), Some(0));
        assert_eq!(list.index_of(&SourceId::entra()), Some(1));
        let again = insert(Some(&list), &id, Position::Bottom).unwrap();
        assert_eq!(again, list, "already listed: unchanged");
    }
}
