//! Set up a people connection: create it, register its schema asynchronously, poll the schema
//! operation with back-off until it completes, fails or times out.

use std::time::Duration;

use serde::Serialize;

use super::{Event, OpsError, Progress, StepReport, StepStatus};
use crate::graph::connections::{ConnectionState, NewConnection, OperationStatus, WireSchema};
use crate::graph::{ApiVersion, GraphClient};
use crate::people::entities::EntityKind;
use crate::people::ids::ConnectionId;
use crate::people::schema::{self as people_schema, Contract};
use crate::text::CommandLine;

/// Which schema to register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SchemaChoice {
    /// The current contract: `contentCategory: people` and labelled properties.
    Labels,
    /// The 2025 preview contract: fixed property names, no labels.
    Preview,
    /// Create the connection only (it stays a draft).
    None,
}

/// How schema provisioning is waited for.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    /// First wait between polls; it grows by half each time.
    pub first: Duration,
    /// Longest wait between polls.
    pub max: Duration,
    /// Give up after this long (the schema may still complete later).
    pub timeout: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        // Microsoft quotes 5–15 minutes for schema provisioning.
        Self {
            first: Duration::from_secs(2),
            max: Duration::from_secs(30),
            timeout: Duration::from_secs(20 * 60),
        }
    }
}

/// What the admin asked for.
#[derive(Debug, Clone)]
pub struct SetupRequest {
    pub id: ConnectionId,
    pub name: String,
    pub description: Option<String>,
    pub schema: SchemaChoice,
    /// Wait for provisioning to finish; otherwise return once it has started.
    pub wait: bool,
    pub polling: Polling,
}

/// The entity kinds a new people connection carries by default: what an HR export has.
pub const DEFAULT_KINDS: [EntityKind; 8] = [
    EntityKind::Account,
    EntityKind::CurrentPosition,
    EntityKind::Name,
    EntityKind::Note,
    EntityKind::Emails,
    EntityKind::Phones,
    EntityKind::Addresses,
    EntityKind::Skills,
];

/// The schema a choice registers.
pub fn schema_for(choice: SchemaChoice) -> Result<Option<WireSchema>, OpsError> {
    let contract = match choice {
        SchemaChoice::Labels => Contract::Labels,
        SchemaChoice::Preview => Contract::Preview,
        SchemaChoice::None => return Ok(None),
    };
    let kinds: Vec<EntityKind> = DEFAULT_KINDS
        .into_iter()
        .filter(|k| contract == Contract::Labels || k.preview_name().is_some())
        .collect();
    let schema = people_schema::build_schema(contract, &kinds, &[])
        .map_err(|e| OpsError::Invalid(e.to_string()))?;
    let wire = serde_json::to_value(&schema)
        .and_then(serde_json::from_value)
        .map_err(|e| OpsError::Invalid(format!("schema: {e}")))?;
    Ok(Some(wire))
}

/// Creates the connection (an existing one with the same name counts as created) and
/// registers its schema. Returns the two steps.
pub async fn execute_setup(
    client: &GraphClient,
    request: &SetupRequest,
    progress: &Progress,
) -> Result<Vec<StepReport>, OpsError> {
    let id = request.id.as_str();
    progress.emit(Event::Started(format!("set up connection '{id}'")));
    let schema = schema_for(request.schema)?;
    let mut steps = Vec::new();

    progress.step("connection", StepStatus::Running, "creating");
    let existed = client.find_connection(id, ApiVersion::V1).await?;
    let connection = match existed {
        Some(c) if c.name == request.name => {
            steps.push(StepReport::new(
                "connection",
                StepStatus::AlreadyDone,
                format!("'{id}' exists ({})", c.state.as_str()),
            ));
            c
        }
        Some(c) => {
            return Err(OpsError::Refused(format!(
                "a connection '{id}' already exists with another name ('{}')",
                c.name
            )));
        }
        None => {
            let c = client
                .create_connection(&NewConnection {
                    id: id.to_owned(),
                    name: request.name.clone(),
                    description: request
                        .description
                        .clone()
                        .unwrap_or_else(|| format!("{} (people data)", request.name)),
                    content_category: (request.schema != SchemaChoice::Preview)
                        .then(|| "people".to_owned()),
                })
                .await?;
            steps.push(StepReport::new(
                "connection",
                StepStatus::Done,
                format!("created '{id}' ({})", c.state.as_str()),
            ));
            c
        }
    };
    progress.step("connection", steps[0].status, steps[0].detail.clone());

    let Some(schema) = schema else {
        steps.push(StepReport::new(
            "schema",
            StepStatus::AlreadyDone,
            "no schema asked for",
        ));
        return Ok(steps);
    };
    if connection.state == ConnectionState::Ready {
        if let Ok(current) = client.get_schema(id).await {
            if has_all(&current, &schema) {
                let step = StepReport::new(
                    "schema",
                    StepStatus::AlreadyDone,
                    "schema already registered",
                );
                progress.step("schema", step.status, step.detail.clone());
                steps.push(step);
                return Ok(steps);
            }
        }
    }
    progress.step("schema", StepStatus::Running, "registering schema");
    let op = client.patch_schema(id, &schema).await?;
    if !request.wait {
        let step = StepReport::new(
            "schema",
            StepStatus::Running,
            format!(
                "provisioning started (operation {}); check with `{}`",
                op.operation_id,
                CommandLine::peoplectl(["connections", "show"]).operand(id)
            ),
        );
        steps.push(step);
        return Ok(steps);
    }
    let started = tokio::time::Instant::now();
    let mut wait = request.polling.first;
    loop {
        let operation = client.get_operation(&op).await?;
        match operation.status {
            OperationStatus::Completed => {
                let step = StepReport::new(
                    "schema",
                    StepStatus::Done,
                    format!(
                        "schema registered in {}s; connection is ready",
                        started.elapsed().as_secs()
                    ),
                );
                progress.step("schema", step.status, step.detail.clone());
                steps.push(step);
                progress.emit(Event::Finished(format!("connection '{id}' is ready")));
                return Ok(steps);
            }
            OperationStatus::Failed => {
                let message = operation
                    .error
                    .and_then(|e| e.message)
                    .unwrap_or_else(|| "no reason given".into());
                let step = StepReport::new(
                    "schema",
                    StepStatus::Failed,
                    format!("schema operation failed: {message}"),
                );
                progress.step("schema", step.status, step.detail.clone());
                steps.push(step);
                return Err(OpsError::Refused(format!(
                    "the schema of '{id}' was refused: {message}"
                )));
            }
            _ => {}
        }
        if started.elapsed() >= request.polling.timeout {
            let step = StepReport::new(
                "schema",
                StepStatus::Running,
                format!(
                    "still provisioning after {}s (Microsoft allows 5–15 minutes); check later with `{}`",
                    started.elapsed().as_secs(),
                    CommandLine::peoplectl(["connections", "show"]).operand(id)
                ),
            );
            steps.push(step);
            return Ok(steps);
        }
        progress.step(
            "schema",
            StepStatus::Running,
            format!("provisioning ({}s)", started.elapsed().as_secs()),
        );
        tokio::time::sleep(wait).await;
        wait = (wait + wait / 2).min(request.polling.max);
    }
}

/// True when `current` already has every property of `wanted` with the same type and labels.
fn has_all(current: &WireSchema, wanted: &WireSchema) -> bool {
    wanted.properties.iter().all(|w| {
        current.properties.iter().any(|c| {
            c.name.eq_ignore_ascii_case(&w.name)
                && c.kind.eq_ignore_ascii_case(&w.kind)
                && c.labels == w.labels
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_schema_has_one_person_account_and_preview_has_accounts() {
        let labels = schema_for(SchemaChoice::Labels).unwrap().unwrap();
        let accounts: Vec<_> = labels
            .properties
            .iter()
            .filter(|p| p.labels.iter().any(|l| l == "personAccount"))
            .collect();
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].kind.to_ascii_lowercase(), "string");
        let preview = schema_for(SchemaChoice::Preview).unwrap().unwrap();
        assert!(preview.properties.iter().any(|p| p.name == "accounts"));
        assert!(preview.properties.iter().all(|p| p.labels.is_empty()));
        assert!(schema_for(SchemaChoice::None).unwrap().is_none());
        assert!(has_all(&labels, &labels));
        assert!(!has_all(&preview, &labels));
    }
}
