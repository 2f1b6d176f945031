//! Admin workflows over Graph and the people rules: each reads fresh state, plans, then executes
//! step by step while emitting progress events. The CLI and the TUI both run these.

pub mod doctor;
pub mod explain;
pub mod impact;
mod lock;
pub mod register;
pub mod remove;
pub mod reorder;
pub mod setup;
pub mod snapshot;
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
    /// The request itself is wrong (bad id, bad URL, unknown source).
    #[error("{0}")]
    Invalid(String),
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
