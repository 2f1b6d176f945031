//! Stuck work: schema operations and drafts that take longer than Microsoft documents, and
//! connections peoplectl deleted that Graph still lists, judged from peoplectl's own record of
//! when it started or first saw each piece of work.
//!
//! Graph gives no time for any of these: a `connectionOperation` is `{id, status, error}` and an
//! `externalConnection` has no creation date (graph-api.md §1.1, §2.3). So the "since" of every
//! finding is peoplectl's: when it created or deleted the connection itself, or else when it
//! first saw the draft or the running operation (an "at least" age). The record is a small
//! private file per context ([`WorkLog::path`]); `doctor` and the console's refresh keep it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::doctor::{FixAction, Problem, Severity};
use super::propagation;
use super::snapshot::{ConnectionView, Snapshot};
use crate::files::{self, FileError};
use crate::graph::connections::{ConnectionState, OperationStatus};
use crate::text::CommandLine;

/// Microsoft documents schema registration as taking 5 to 15 minutes (graph-api.md §2.1):
/// an operation still running past the top of that range is stuck.
pub const SCHEMA_EXPECTED: Duration = Duration::from_secs(15 * 60);

/// A draft with no schema operation running is stuck once it is this old: creating it,
/// registering its schema (a second call) and the documented 15 minutes of provisioning fit
/// well inside an hour.
pub const DRAFT_EXPECTED: Duration = Duration::from_secs(60 * 60);

/// Microsoft says a deleted connector is "removed from all instances, but delays can be
/// expected", and its people-connector page gives 24 hours: a deleted connection Graph still
/// lists is expected before that, a problem after.
pub const DELETION_EXPECTED: Duration = Duration::from_secs(24 * 60 * 60);

/// The largest work log read; a few entries per connection is all it holds.
const LOG_LIMIT: u64 = 1 << 20;

/// What peoplectl did or saw, for one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum WorkKind {
    /// peoplectl created the connection.
    Created,
    /// peoplectl first saw the connection as a draft (someone else created it).
    DraftSeen,
    /// peoplectl first saw this schema operation in progress.
    OperationSeen { operation: String },
    /// peoplectl deleted the connection.
    Deleted,
}

/// One record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkEntry {
    pub connection: String,
    #[serde(flatten)]
    pub kind: WorkKind,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// peoplectl's record of work in flight, per context.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkLog {
    #[serde(default)]
    pub entries: Vec<WorkEntry>,
}

/// Why the work log could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WorkLogError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{path}: not a peoplectl work log: {reason}")]
    Invalid { path: String, reason: String },
}

fn same(a: &str, b: &str) -> bool {
    // Connection ids are unique case-insensitively.
    a.eq_ignore_ascii_case(b)
}

impl WorkLog {
    /// `<data_dir>/work/<context>.json` (context names are free text: anything but letters,
    /// digits, `-` and `_` becomes `_`).
    pub fn path(data_dir: &Path, context: &str) -> PathBuf {
        let mut name: String = context
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if name.is_empty() {
            name.push('_');
        }
        data_dir.join("work").join(format!("{name}.json"))
    }

    /// Reads the log; a missing file is an empty log.
    pub fn load(path: &Path) -> Result<Self, WorkLogError> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let text = files::read_regular_text(path, LOG_LIMIT)?;
        serde_json::from_str(&text).map_err(|e| WorkLogError::Invalid {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Writes the log as a private file, replacing it whole (a rename, so a reader never
    /// sees half of it).
    pub fn save(&self, path: &Path) -> Result<(), WorkLogError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| WorkLogError::Invalid {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let temp = files::sibling(path, ".tmp");
        files::write_private(&temp, &json)?;
        std::fs::rename(&temp, path).map_err(|e| {
            WorkLogError::File(FileError::Io {
                path: path.display().to_string(),
                source: e,
            })
        })?;
        Ok(())
    }

    /// Loads the log at `path`, applies `change`, and saves it when it changed.
    pub fn update(
        path: &Path,
        change: impl FnOnce(&mut Self) -> bool,
    ) -> Result<Self, WorkLogError> {
        let mut log = Self::load(path)?;
        if change(&mut log) {
            log.save(path)?;
        }
        Ok(log)
    }

    fn find(&self, connection: &str, kind: &WorkKind) -> Option<&WorkEntry> {
        self.entries
            .iter()
            .find(|e| same(&e.connection, connection) && &e.kind == kind)
    }

    /// When peoplectl created this connection, or first saw it as a draft.
    pub fn draft_since(&self, connection: &str) -> Option<(OffsetDateTime, bool)> {
        self.find(connection, &WorkKind::Created)
            .map(|e| (e.at, true))
            .or_else(|| {
                self.find(connection, &WorkKind::DraftSeen)
                    .map(|e| (e.at, false))
            })
    }

    /// When peoplectl first saw this operation in progress.
    pub fn operation_since(&self, connection: &str, operation: &str) -> Option<OffsetDateTime> {
        self.entries
            .iter()
            .find(|e| {
                same(&e.connection, connection)
                    && matches!(&e.kind, WorkKind::OperationSeen { operation: o } if same(o, operation))
            })
            .map(|e| e.at)
    }

    /// When peoplectl deleted this connection.
    pub fn deleted_at(&self, connection: &str) -> Option<OffsetDateTime> {
        self.find(connection, &WorkKind::Deleted).map(|e| e.at)
    }

    /// peoplectl created `connection` at `at`: a deletion recorded before is over.
    pub fn record_created(&mut self, connection: &str, at: OffsetDateTime) -> bool {
        self.entries.retain(|e| !same(&e.connection, connection));
        self.entries.push(WorkEntry {
            connection: connection.to_owned(),
            kind: WorkKind::Created,
            at,
        });
        true
    }

    /// peoplectl deleted `connection` at `at`. Deleting it again keeps the first time: the
    /// wait for Graph to drop it started then.
    pub fn record_deleted(&mut self, connection: &str, at: OffsetDateTime) -> bool {
        if self.deleted_at(connection).is_some() {
            return false;
        }
        self.entries.retain(|e| !same(&e.connection, connection));
        self.entries.push(WorkEntry {
            connection: connection.to_owned(),
            kind: WorkKind::Deleted,
            at,
        });
        true
    }

    /// Brings the log up to what `snapshot` shows at `now`: notes drafts and running
    /// operations seen for the first time, and forgets what is over (a connection no longer
    /// listed, a draft that became ready, an operation that finished). Returns whether
    /// anything changed.
    pub fn observe(&mut self, snapshot: &Snapshot, now: OffsetDateTime) -> bool {
        let before = self.entries.clone();
        let listed = |id: &str| snapshot.connection_any_case(id);
        self.entries.retain(|e| {
            let Some(view) = listed(&e.connection) else {
                // Gone from Graph: a deletion is done, a draft or operation is moot.
                return false;
            };
            let c = &view.connection;
            match &e.kind {
                WorkKind::Deleted => true,
                WorkKind::Created | WorkKind::DraftSeen => c.state == ConnectionState::Draft,
                WorkKind::OperationSeen { operation } => view
                    .operations
                    .iter()
                    .any(|op| same(&op.id, operation) && op.status == OperationStatus::Inprogress),
            }
        });
        for view in &snapshot.connections {
            let id = view.connection.id.as_str();
            if self.deleted_at(id).is_some() {
                continue;
            }
            if view.connection.state == ConnectionState::Draft && self.draft_since(id).is_none() {
                self.entries.push(WorkEntry {
                    connection: id.to_owned(),
                    kind: WorkKind::DraftSeen,
                    at: now,
                });
            }
            for op in &view.operations {
                if op.status == OperationStatus::Inprogress
                    && self.operation_since(id, &op.id).is_none()
                {
                    self.entries.push(WorkEntry {
                        connection: id.to_owned(),
                        kind: WorkKind::OperationSeen {
                            operation: op.id.clone(),
                        },
                        at: now,
                    });
                }
            }
        }
        self.entries != before
    }
}

/// The log and the time a snapshot is judged at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    pub log: WorkLog,
    pub now: OffsetDateTime,
}

/// Loads the work log at `path`, brings it up to `snapshot` at `now`, saves it, and attaches
/// it to the snapshot so [`super::doctor::diagnose`] can tell stuck work. A log that cannot be
/// read is not attached (doctor then judges without ages) and the error comes back.
pub fn attach(snapshot: &mut Snapshot, path: &Path, now: OffsetDateTime) -> Option<WorkLogError> {
    match WorkLog::update(path, |log| log.observe(snapshot, now)) {
        Ok(log) => {
            snapshot.work = Some(Work { log, now });
            None
        }
        Err(e) => Some(e),
    }
}

/// Records that peoplectl created `connection` now (best effort: the creation stands whether
/// or not the record could be written; the error comes back to be reported).
pub fn note_created(path: &Path, connection: &str) -> Result<(), WorkLogError> {
    let now = OffsetDateTime::now_utc();
    WorkLog::update(path, |log| log.record_created(connection, now)).map(drop)
}

/// Records that peoplectl deleted `connection` now (best effort, like [`note_created`]).
pub fn note_deleted(path: &Path, connection: &str) -> Result<(), WorkLogError> {
    let now = OffsetDateTime::now_utc();
    WorkLog::update(path, |log| log.record_deleted(connection, now)).map(drop)
}

/// True when these removal steps deleted the connection (not "already gone").
pub fn deleted_connection(steps: &[super::StepReport]) -> bool {
    steps
        .iter()
        .any(|s| s.step == super::remove::STEPS[2] && s.status == super::StepStatus::Done)
}

/// True when these setup steps created the connection (not "it existed").
pub fn created_connection(steps: &[super::StepReport]) -> bool {
    steps
        .iter()
        .any(|s| s.step == "connection" && s.status == super::StepStatus::Done)
}

/// True when this setup progress event says the connection was just created: the front ends
/// note the creation then, not after the schema wait (which may take 20 minutes, or fail).
pub fn is_creation(event: &super::Event) -> bool {
    matches!(
        event,
        super::Event::Step { step, status: super::StepStatus::Done, .. } if step == "connection"
    )
}

/// "12 min", "3 h 5 min", "2 d 4 h".
pub fn span(d: Duration) -> String {
    let m = d.as_secs() / 60;
    match m {
        0 => "under a minute".to_owned(),
        1..=59 => format!("{m} min"),
        60..=1439 if m.is_multiple_of(60) => format!("{} h", m / 60),
        60..=1439 => format!("{} h {} min", m / 60, m % 60),
        _ if (m / 60).is_multiple_of(24) => format!("{} d", m / 1440),
        _ => format!("{} d {} h", m / 1440, (m / 60) % 24),
    }
}

fn age(now: OffsetDateTime, since: OffsetDateTime) -> Duration {
    Duration::try_from(now - since).unwrap_or_default()
}

/// The finding for a draft people connection: its schema operation failed, is running (for
/// longer than documented, or not yet), or none runs (for an hour, or not yet).
pub fn check_draft(view: &ConnectionView, work: Option<&Work>) -> Problem {
    let c = &view.connection;
    let id = c.id.as_str();
    let last = view.operations.last();
    if let Some(error) = &view.failed_operation {
        return Problem {
            action: FixAction::Command,
            code: "schemaNotReady",
            severity: Severity::Error,
            subject: id.to_owned(),
            message: format!(
                "connection '{id}' is still a draft, so it cannot take items: its schema operation failed: {}",
                error.summary()
            ),
            fix: super::doctor::recreate(id, &c.name, None),
        };
    }
    if let Some(running) = last.filter(|op| op.status == OperationStatus::Inprogress) {
        let since = work.and_then(|w| {
            // Seen running since then; and when peoplectl created the connection and this is
            // its only operation, peoplectl's setup started it right after creating it.
            let seen = w.log.operation_since(id, &running.id);
            let created = w
                .log
                .draft_since(id)
                .filter(|(_, ours)| *ours && view.operations.len() == 1)
                .map(|(at, _)| at);
            let at = match (seen, created) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b)?,
            };
            Some(age(w.now, at))
        });
        return match since {
            Some(age) if age > SCHEMA_EXPECTED => Problem {
                action: FixAction::Command,
                code: "schemaOperationStuck",
                severity: Severity::Error,
                subject: id.to_owned(),
                message: format!(
                    "the schema operation of '{id}' has been in progress for at least {} (Microsoft documents 5 to 15 minutes), so the connection is still a draft and cannot take items; Graph has no way to cancel an operation",
                    span(age)
                ),
                fix: CommandLine::peoplectl(["remove"])
                    .operand(id)
                    .comment(format!(
                        "then create it again: {}",
                        super::doctor::recreate(id, &c.name, None)
                    ))
                    .to_string(),
            },
            _ => Problem {
                action: FixAction::Command,
                code: "schemaProvisioning",
                severity: Severity::Info,
                subject: id.to_owned(),
                message: format!(
                    "the schema of '{id}' is being registered{}; Microsoft documents 5 to 15 minutes, and the connection takes items once it is ready",
                    since.map_or_else(String::new, |a| format!(" (for {} so far)", span(a)))
                ),
                fix: CommandLine::peoplectl(["connections", "show"])
                    .operand(id)
                    .comment("check again in a few minutes")
                    .to_string(),
            },
        };
    }
    let since = work.and_then(|w| {
        w.log
            .draft_since(id)
            .map(|(at, ours)| (age(w.now, at), ours))
    });
    match since {
        Some((age, ours)) if age > DRAFT_EXPECTED => Problem {
            action: FixAction::Command,
            code: "draftStuck",
            severity: Severity::Error,
            subject: id.to_owned(),
            message: format!(
                "connection '{id}' is still a draft {} {}, with no schema operation running, so it cannot take items; register its schema",
                span(age),
                if ours {
                    "after peoplectl created it"
                } else {
                    "after peoplectl first saw it (Graph gives no creation time)"
                }
            ),
            fix: super::doctor::recreate(id, &c.name, None),
        },
        _ => Problem {
            action: FixAction::Command,
            code: "schemaNotReady",
            severity: Severity::Error,
            subject: id.to_owned(),
            message: format!(
                "connection '{id}' is still a draft, so it cannot take items: its schema was never registered or its schema operation failed"
            ),
            fix: super::doctor::recreate(id, &c.name, None),
        },
    }
}

/// The finding for a connection peoplectl deleted that Graph still lists; `None` for one
/// peoplectl never deleted.
pub fn check_deleted(view: &ConnectionView, work: Option<&Work>) -> Option<Problem> {
    let work = work?;
    let id = view.connection.id.as_str();
    let deleted = work.log.deleted_at(id)?;
    let age = age(work.now, deleted);
    Some(if age <= DELETION_EXPECTED {
        Problem {
            action: FixAction::Command,
            code: "deletedStillListed",
            severity: Severity::Info,
            subject: id.to_owned(),
            message: format!(
                "connection '{id}' was deleted by peoplectl {} ago and Graph still lists it: Microsoft documents delays (up to 24 hours); wait",
                span(age)
            ),
            fix: CommandLine::peoplectl(["doctor"])
                .comment("nothing to do but wait; check again later")
                .to_string(),
        }
    } else {
        Problem {
            action: FixAction::Command,
            code: "deletedStillListed",
            severity: Severity::Warning,
            subject: id.to_owned(),
            message: format!(
                "connection '{id}' was deleted by peoplectl {} ago and Graph still lists it, longer than the 24 hours Microsoft documents",
                span(age)
            ),
            fix: CommandLine::peoplectl(["remove"])
                .operand(id)
                .comment("deletes it again; if Graph still lists it, open a Microsoft support case")
                .to_string(),
        }
    })
}

/// Stuck work that concerns no single connection check: the place for further kinds of
/// finding judged from what peoplectl recorded (each a function of the snapshot and its work).
pub fn check(snapshot: &Snapshot, out: &mut Vec<Problem>) {
    let work = snapshot.work.as_ref();
    for view in &snapshot.connections {
        if let Some(p) = check_deleted(view, work) {
            out.push(p);
        }
    }
    for (connection, people) in &snapshot.overdue {
        if let Some(p) = check_not_visible(connection, people) {
            out.push(p);
        }
    }
}

/// Reads, for each connection of `snapshot` that has sync state, who its last propagation
/// check found still not shown more than the documented 6 hours after their data landed
/// (blocking; a store a sync holds is skipped, since that sync will change the answer).
pub fn attach_overdue(snapshot: &mut Snapshot, data_dir: &Path, context: &str, tenant: &str) {
    let mut found = Vec::new();
    for view in &snapshot.connections {
        let id = &view.connection.id;
        let path = crate::sync::state::state_path(data_dir, context, id);
        if !path.exists() {
            continue;
        }
        match propagation::overdue(&path, tenant, id, propagation::DOCUMENTED_DELAY_SECONDS) {
            Ok(people) if !people.is_empty() => found.push((id.clone(), people)),
            Ok(_) => {}
            Err(e) => tracing::debug!(connection = %id, error = %e, "last check not read"),
        }
    }
    snapshot.overdue = found;
}

/// How many overdue people a finding names before "and N more".
const NAMED: usize = 3;

/// The finding for people whose data landed long before the last check and still did not
/// show: `None` when there are none.
pub fn check_not_visible(connection: &str, people: &[propagation::Overdue]) -> Option<Problem> {
    let oldest = people
        .iter()
        .filter_map(|p| p.landed_at.map(|t| p.checked_at.saturating_sub(t)))
        .max()?;
    let named: Vec<&str> = people.iter().take(NAMED).map(|p| p.upn.as_str()).collect();
    let more = people.len().saturating_sub(named.len());
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Some(Problem {
        action: FixAction::Command,
        code: "landedNotVisible",
        severity: Severity::Warning,
        subject: connection.to_owned(),
        message: format!(
            "{} {} of connection '{connection}' landed up to {} before the last propagation check and still did not show, longer than the 6 hours Microsoft documents: {}{tail}",
            people.len(),
            if people.len() == 1 {
                "person's data"
            } else {
                "people's data"
            },
            propagation::span(oldest),
            named.join(", "),
        ),
        fix: CommandLine::peoplectl(["propagation"])
            .operand(connection)
            .flag("--all")
            .comment("checks again and says why per person")
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::graph::connections::{ConnectionOperation, ExternalConnection, PublicError};
    use crate::people::schema::Contract;

    const T0: OffsetDateTime = datetime!(2026-12-06 02:00 UTC);

    fn minutes(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }

    fn view(id: &str, state: ConnectionState, ops: &[(&str, OperationStatus)]) -> ConnectionView {
        ConnectionView {
            connection: ExternalConnection {
                id: id.into(),
                name: "Contoso HR".into(),
                description: None,
                state,
                content_category: Some("people".into()),
                configuration: None,
                ingested_items_count: None,
            },
            schema: None,
            schema_error: None,
            contract: Contract::None,
            schema_problems: Vec::new(),
            failed_operation: None,
            operations: ops
                .iter()
                .map(|(id, status)| ConnectionOperation {
                    id: (*id).into(),
                    status: *status,
                    error: None,
                })
                .collect(),
        }
    }

    fn snapshot(views: Vec<ConnectionView>) -> Snapshot {
        Snapshot {
            connections: views,
            ..Snapshot::default()
        }
    }

    /// A work log that saw `snapshot` first at T0, judged at T0 + `after`.
    fn seen_at_t0(snapshot: &Snapshot, after: Duration) -> Work {
        let mut log = WorkLog::default();
        assert!(log.observe(snapshot, T0), "a first look records something");
        Work {
            log,
            now: T0 + after,
        }
    }

    #[test]
    fn a_running_operation_is_stuck_only_past_the_documented_fifteen_minutes() {
        let draft = view(
            "hr",
            ConnectionState::Draft,
            &[("op1", OperationStatus::Inprogress)],
        );
        let snap = snapshot(vec![draft.clone()]);
        let young = check_draft(&draft, Some(&seen_at_t0(&snap, minutes(15))));
        assert_eq!(young.code, "schemaProvisioning");
        assert_eq!(young.severity, Severity::Info);
        assert!(
            young.message.contains("for 15 min so far"),
            "{}",
            young.message
        );
        let old = check_draft(&draft, Some(&seen_at_t0(&snap, minutes(16))));
        assert_eq!(old.code, "schemaOperationStuck");
        assert_eq!(old.severity, Severity::Error);
        assert!(old.message.contains("at least 16 min"), "{}", old.message);
        assert!(old.fix.starts_with("peoplectl remove hr   # then create it again: peoplectl connections create hr --name 'Contoso HR'"), "{}", old.fix);
        // Without a record there is no age: never called stuck.
        assert_eq!(check_draft(&draft, None).code, "schemaProvisioning");
    }

    #[test]
    fn a_new_operation_is_timed_from_when_it_was_first_seen_not_from_the_draft() {
        let first = view(
            "hr",
            ConnectionState::Draft,
            &[("op1", OperationStatus::Failed)],
        );
        let mut log = WorkLog::default();
        log.observe(&snapshot(vec![first]), T0);
        let retried = view(
            "hr",
            ConnectionState::Draft,
            &[
                ("op1", OperationStatus::Failed),
                ("op2", OperationStatus::Inprogress),
            ],
        );
        let snap = snapshot(vec![retried.clone()]);
        assert!(log.observe(&snap, T0 + minutes(60)));
        let work = Work {
            log,
            now: T0 + minutes(70),
        };
        assert_eq!(
            check_draft(&retried, Some(&work)).code,
            "schemaProvisioning"
        );
    }

    #[test]
    fn the_first_operation_of_a_connection_peoplectl_created_runs_from_its_creation() {
        let mut log = WorkLog::default();
        log.record_created("hr", T0);
        let one = view(
            "hr",
            ConnectionState::Draft,
            &[("op1", OperationStatus::Inprogress)],
        );
        // First seen running only half an hour later (no doctor ran meanwhile).
        log.observe(&snapshot(vec![one.clone()]), T0 + minutes(30));
        let work = Work {
            log: log.clone(),
            now: T0 + minutes(31),
        };
        let p = check_draft(&one, Some(&work));
        assert_eq!(p.code, "schemaOperationStuck");
        assert!(p.message.contains("at least 31 min"), "{}", p.message);
        // A second operation was not necessarily started at creation: timed from its sighting.
        let two = view(
            "hr",
            ConnectionState::Draft,
            &[
                ("op0", OperationStatus::Failed),
                ("op1", OperationStatus::Inprogress),
            ],
        );
        assert_eq!(check_draft(&two, Some(&work)).code, "schemaProvisioning");
    }

    #[test]
    fn a_draft_with_nothing_running_is_stuck_after_an_hour() {
        let draft = view("hr", ConnectionState::Draft, &[]);
        let snap = snapshot(vec![draft.clone()]);
        assert_eq!(
            check_draft(&draft, Some(&seen_at_t0(&snap, minutes(60)))).code,
            "schemaNotReady"
        );
        let seen = check_draft(&draft, Some(&seen_at_t0(&snap, minutes(61))));
        assert_eq!(seen.code, "draftStuck");
        assert!(
            seen.message
                .contains("1 h 1 min after peoplectl first saw it"),
            "{}",
            seen.message
        );
        let mut ours = WorkLog::default();
        ours.record_created("hr", T0);
        let created = check_draft(
            &draft,
            Some(&Work {
                log: ours,
                now: T0 + minutes(180),
            }),
        );
        assert!(
            created.message.contains("3 h after peoplectl created it"),
            "{}",
            created.message
        );
        assert_eq!(
            created.fix,
            "peoplectl connections create hr --name 'Contoso HR' --schema labels --wait"
        );
    }

    #[test]
    fn a_failed_operation_says_why_whatever_its_age() {
        let mut draft = view(
            "hr",
            ConnectionState::Draft,
            &[("op1", OperationStatus::Failed)],
        );
        draft.failed_operation = Some(PublicError {
            code: Some("InvalidSchema".into()),
            message: Some("bad label".into()),
            target: None,
        });
        let p = check_draft(&draft, None);
        assert_eq!(p.code, "schemaNotReady");
        assert!(
            p.message.ends_with("InvalidSchema: bad label"),
            "{}",
            p.message
        );
    }

    #[test]
    fn a_deletion_is_expected_for_a_day_then_a_warning_and_never_for_others() {
        let listed = view("hr", ConnectionState::Ready, &[]);
        let mut log = WorkLog::default();
        log.record_deleted("HR", T0);
        let at = |h: u64| Work {
            log: log.clone(),
            now: T0 + minutes(h * 60),
        };
        let waiting = check_deleted(&listed, Some(&at(2))).expect("a finding");
        assert_eq!(
            (waiting.code, waiting.severity),
            ("deletedStillListed", Severity::Info)
        );
        assert!(waiting.message.contains("2 h ago"), "{}", waiting.message);
        assert!(waiting.message.contains("Microsoft documents delays"));
        let late = check_deleted(&listed, Some(&at(25))).expect("a finding");
        assert_eq!(late.severity, Severity::Warning);
        assert!(late.fix.starts_with("peoplectl remove hr"), "{}", late.fix);
        let other = view("talent", ConnectionState::Ready, &[]);
        assert!(
            check_deleted(&other, Some(&at(25))).is_none(),
            "never deleted"
        );
        assert!(
            check_deleted(&listed, None).is_none(),
            "no record, no claim"
        );
    }

    #[test]
    fn deleting_again_keeps_the_first_time_and_creating_again_ends_it() {
        let mut log = WorkLog::default();
        assert!(log.record_deleted("hr", T0));
        assert!(!log.record_deleted("hr", T0 + minutes(30)));
        assert_eq!(log.deleted_at("hr"), Some(T0));
        log.record_created("hr", T0 + minutes(40));
        assert_eq!(log.deleted_at("hr"), None);
        assert!(
            log.draft_since("hr")
                .is_some_and(|(at, ours)| ours && at == T0 + minutes(40))
        );
    }

    #[test]
    fn observing_forgets_what_is_over() {
        let draft = view(
            "hr",
            ConnectionState::Draft,
            &[("op1", OperationStatus::Inprogress)],
        );
        let mut log = WorkLog::default();
        log.record_deleted("gone", T0);
        log.observe(
            &snapshot(vec![draft, view("gone", ConnectionState::Ready, &[])]),
            T0,
        );
        assert_eq!(log.entries.len(), 3, "{log:?}");
        assert!(
            !log.observe(
                &snapshot(vec![
                    view(
                        "hr",
                        ConnectionState::Draft,
                        &[("op1", OperationStatus::Inprogress)]
                    ),
                    view("gone", ConnectionState::Ready, &[])
                ]),
                T0 + minutes(5)
            ),
            "nothing new: nothing changes"
        );
        // Ready, its operation done, the deleted one no longer listed: all over.
        log.observe(
            &snapshot(vec![view(
                "hr",
                ConnectionState::Ready,
                &[("op1", OperationStatus::Completed)],
            )]),
            T0 + minutes(10),
        );
        assert!(log.entries.is_empty(), "{log:?}");
    }

    #[test]
    fn the_log_round_trips_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = WorkLog::path(dir.path(), "../evil ctx");
        assert_eq!(path, dir.path().join("work").join("___evil_ctx.json"));
        assert_eq!(WorkLog::load(&path).unwrap(), WorkLog::default());
        let mut log = WorkLog::default();
        log.record_deleted("hr", T0);
        log.save(&path).unwrap();
        assert_eq!(WorkLog::load(&path).unwrap(), log);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "{\"entries\": 3}").unwrap();
        let err = WorkLog::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("___evil_ctx.json") && err.contains("not a peoplectl work log"),
            "{err}"
        );
    }

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(Duration::from_secs(30)), "under a minute");
        assert_eq!(span(minutes(16)), "16 min");
        assert_eq!(span(minutes(120)), "2 h");
        assert_eq!(span(minutes(185)), "3 h 5 min");
        assert_eq!(span(minutes(48 * 60)), "2 d");
        assert_eq!(span(minutes(25 * 60 + 5)), "1 d 1 h");
    }

    #[test]
    fn people_landed_long_ago_and_never_shown_are_one_finding_per_connection() {
        use crate::ops::propagation::{Overdue, State};
        let person = |n: usize, age_h: i64| Overdue {
            upn: format!("p{n}@contoso.com"),
            state: State::Pending,
            landed_at: Some(1_000),
            checked_at: 1_000 + age_h * 3600,
        };
        assert!(check_not_visible("contosohr", &[]).is_none());
        let people: Vec<Overdue> = (0..5)
            .map(|n| person(n, 7 + i64::try_from(n).unwrap()))
            .collect();
        let p = check_not_visible("contosohr", &people).unwrap();
        assert_eq!(
            (p.code, p.severity),
            ("landedNotVisible", Severity::Warning)
        );
        assert!(
            p.message
                .starts_with("5 people's data of connection 'contosohr' landed up to 11 h"),
            "{}",
            p.message
        );
        assert!(
            p.message
                .ends_with("p0@contoso.com, p1@contoso.com, p2@contoso.com and 2 more"),
            "{}",
            p.message
        );
        let one = check_not_visible("hr", &people[..1]).unwrap();
        assert!(
            one.message.starts_with("1 person's data"),
            "{}",
            one.message
        );
    }
}
