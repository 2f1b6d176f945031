//! HR export -> external items: readers, mapping, validation, users, state, planner, executor, report.
//!
//! Entry point: [`run`] with [`SyncOptions`]; progress arrives as [`SyncEvent`]s on an
//! [`EventSink`], the result is a [`SyncReport`] (the `peoplectl sync --output json` document).

pub mod control;
mod engine;
pub mod exec;
pub mod index;
pub mod input;
pub mod mapping;
pub mod reader;
pub mod report;
pub mod state;
pub mod users;

pub use engine::{LookupChoice, SyncError, SyncOptions, default_max_deletes, not_ready, run};
pub use mapping::{Mapping, MappingError, default_mapping_toml};
pub use reader::InputFormat;
pub use report::{
    Counts, EventSink, Issue, IssueKind, LookupMode, Phase, Progress, SyncEvent, SyncReport,
};
pub use tokio_util::sync::CancellationToken;
