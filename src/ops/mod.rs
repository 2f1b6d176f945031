//! Admin workflows over Graph and the people rules: each reads fresh state, plans, then executes
//! step by step while emitting progress events. The CLI and the TUI both run these.

pub mod doctor;
pub mod explain;
pub mod impact;
mod lock;
pub mod propagation;
pub mod register;
pub mod remove;
pub mod reorder;
pub mod setup;
pub mod snapshot;
pub mod stuck;
pub mod views;

use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

use crate::graph::GraphError;
use crate::people::precedence::PrecedenceList;

/// Why a workflow stopped.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// Graph refused or could not be reached.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The request itself is wrong (bad id, bad URL, a rank outside the list).
    #[error("{0}")]
    Invalid(String),
    /// What the request names does not exist (a user, a connection, a listed source).
    #[error("{0}")]
    NotFound(String),
    /// Someone changed the precedence list since it was shown; nothing was written.
    #[error("the precedence list changed since it was read; nothing was written")]
    Conflict {
        /// The list the plan was made from.
        expected: PrecedenceList,
        /// The list Graph holds now.
        actual: PrecedenceList,
    },
    /// A guard refused to go on (a missing confirmation, an unsafe step).
    #[error("{0}")]
    Refused(String),
    /// The admin cancelled before anything was written.
    #[error("cancelled")]
    Cancelled,
}

impl OpsError {
    /// True for refusals the CLI reports with exit code 4.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Conflict { .. } | Self::Refused(_))
    }
}

/// Where a step of a workflow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StepStatus {
    /// Will run (dry run, or not reached yet).
    Planned,
    /// Running now.
    Running,
    /// Ran and changed something.
    Done,
    /// Nothing to do: the state was already as wanted.
    AlreadyDone,
    /// Failed; a rerun picks up here.
    Failed,
}

impl StepStatus {
    /// How the status is shown to people (JSON keeps the camelCase names).
    pub fn label(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Running => "running",
            Self::Done => "done",
            Self::AlreadyDone => "already done",
            Self::Failed => "FAILED",
        }
    }
}

impl std::fmt::Display for StepStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so table and popup columns can align it with `{:<12}`.
        f.pad(self.label())
    }
}

/// A progress event of a workflow.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The workflow began.
    Started(String),
    /// A step changed status.
    Step {
        step: String,
        status: StepStatus,
        detail: String,
    },
    /// Something the admin should know that does not stop the workflow.
    Warning(String),
    /// The workflow ended well.
    Finished(String),
    /// The workflow stopped on an error.
    Failed(String),
}

/// Where progress events go: nowhere, or a channel the CLI or TUI drains.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    tx: Option<UnboundedSender<Event>>,
}

impl Progress {
    /// Events are dropped.
    pub fn none() -> Self {
        Self::default()
    }

    /// Events go to a channel.
    pub fn channel(tx: UnboundedSender<Event>) -> Self {
        Self { tx: Some(tx) }
    }

    /// Emits one event; a closed receiver is not an error (the viewer went away).
    pub fn emit(&self, event: Event) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(event);
        }
    }

    pub(crate) fn step(&self, step: &str, status: StepStatus, detail: impl Into<String>) {
        self.emit(Event::Step {
            step: step.to_owned(),
            status,
            detail: detail.into(),
        });
    }
}

/// One step of a workflow, as reported (the `steps` of the `remove` JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepReport {
    pub step: String,
    pub status: StepStatus,
    pub detail: String,
}

impl StepReport {
    pub(crate) fn new(step: &str, status: StepStatus, detail: impl Into<String>) -> Self {
        Self {
            step: step.to_owned(),
            status,
            detail: detail.into(),
        }
    }
}

/// The steps of a workflow that stopped on `error`: a step still running is the one that
/// failed, and says so with the error (a progress view must not leave it "running").
pub fn fail_running(mut steps: Vec<StepReport>, error: &str) -> Vec<StepReport> {
    for s in &mut steps {
        if s.status == StepStatus::Running {
            s.status = StepStatus::Failed;
            error.clone_into(&mut s.detail);
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::{StepReport, StepStatus, fail_running};

    #[test]
    fn a_step_running_when_the_workflow_stopped_is_failed_with_the_error() {
        let steps = vec![
            StepReport::new("connection", StepStatus::Done, "created"),
            StepReport::new("schema", StepStatus::Running, "waiting"),
        ];
        let steps = fail_running(steps, "InvalidSchema: bad label");
        assert_eq!(steps[0].status, StepStatus::Done);
        assert_eq!(steps[1].status, StepStatus::Failed);
        assert_eq!(steps[1].detail, "InvalidSchema: bad label");
    }

    #[test]
    fn a_step_status_shows_as_words_and_pads_in_columns() {
        assert_eq!(StepStatus::AlreadyDone.to_string(), "already done");
        assert_eq!(StepStatus::Failed.to_string(), "FAILED");
        assert_eq!(format!("{:<12}|", StepStatus::Done), "done        |");
    }
}
