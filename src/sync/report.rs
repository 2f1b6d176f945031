//! What a sync tells its caller: progress events as it goes, and the final report (the
//! `peoplectl sync --output json` document).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

/// Why a row or an item is in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum IssueKind {
    /// The row breaks a rule (key, duplicate, entity value, size, encoding, shape).
    Invalid,
    /// The row is fine but names no user of the tenant; the service would ignore it.
    Unmatched,
    /// Graph refused the item, or kept failing, in this run.
    Failed,
}

/// One problem, located: `{"file","line","column","reason"}` (plus its kind and, for items,
/// the item id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub file: String,
    /// 1-based line where the row starts; `None` when the issue is not about a row (a delete).
    pub line: Option<u64>,
    /// The input column at fault, when one is.
    pub column: Option<String>,
    pub reason: String,
    pub kind: IssueKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
}

/// Where a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    /// Checking the connection and its schema.
    Connecting,
    /// First pass over the input: validation and keys.
    Validating,
    /// Matching keys to the tenant's users.
    ResolvingUsers,
    /// Comparing with the state store; deciding deletes.
    Planning,
    /// Sending changed items.
    Sending,
    /// Deleting people who left the input.
    Deleting,
    /// Finished (or stopped).
    Done,
}

impl Phase {
    /// The phase in words, as the CLI's progress and the console's Syncs pane show it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Validating => "validating",
            Self::ResolvingUsers => "matching users",
            Self::Planning => "planning",
            Self::Sending => "sending",
            Self::Deleting => "deleting",
            Self::Done => "done",
        }
    }
}

/// How the tenant's users were matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LookupMode {
    /// Filtered lookups, twenty to a `$batch` call.
    Batched,
    /// One paged listing of every user (`$select=id,userPrincipalName`, `$top=999`).
    Listing,
    /// Not done.
    Skipped,
}

/// The numbers so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Data rows read.
    pub rows: u64,
    /// Rows that passed validation and name a user of the tenant.
    pub valid: u64,
    /// Rows that broke a rule.
    pub invalid: u64,
    /// Well-formed rows naming no user of the tenant.
    pub unmatched: u64,
    /// Valid people whose item is as last sent.
    pub unchanged: u64,
    /// Items Graph accepted in this run.
    pub put: u64,
    /// Items deleted in this run.
    pub deleted: u64,
    /// Items that failed in this run (sent again next time).
    pub failed: u64,
    /// 429 answers received.
    pub throttled: u64,
    /// Items the plan sends.
    pub to_put: u64,
    /// Items the plan deletes.
    pub to_delete: u64,
    /// Items not deleted although no readable row names them, because some rows could not be
    /// read at all and might have (deleted by the next sync of a clean file).
    pub deletes_held: u64,
}

/// The counters of a running sync, shared by the readers, the planner and the executor.
#[derive(Debug, Default)]
pub struct Tally {
    pub rows: AtomicU64,
    pub valid: AtomicU64,
    pub invalid: AtomicU64,
    pub unmatched: AtomicU64,
    pub unchanged: AtomicU64,
    pub put: AtomicU64,
    pub deleted: AtomicU64,
    pub failed: AtomicU64,
    pub throttled: AtomicU64,
    pub to_put: AtomicU64,
    pub to_delete: AtomicU64,
    pub deletes_held: AtomicU64,
}

/// Adds one to a counter.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Tally {
    /// The counters now.
    pub fn snapshot(&self) -> Counts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counts {
            rows: get(&self.rows),
            valid: get(&self.valid),
            invalid: get(&self.invalid),
            unmatched: get(&self.unmatched),
            unchanged: get(&self.unchanged),
            put: get(&self.put),
            deleted: get(&self.deleted),
            failed: get(&self.failed),
            throttled: get(&self.throttled),
            to_put: get(&self.to_put),
            to_delete: get(&self.to_delete),
            deletes_held: get(&self.deletes_held),
        }
    }
}

/// The issues a report lists: the first `max` of them (events carry every one).
#[derive(Debug)]
pub struct IssueLog {
    max: usize,
    inner: Mutex<(Vec<Issue>, u64)>,
}

impl IssueLog {
    /// A log keeping at most `max` issues.
    pub fn new(max: usize) -> Self {
        Self {
            max,
            inner: Mutex::new((Vec::new(), 0)),
        }
    }

    /// Keeps an issue (or counts it as omitted once the list is full).
    pub fn add(&self, issue: Issue) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.0.len() < self.max {
            inner.0.push(issue);
        } else {
            inner.1 += 1;
        }
    }

    /// The listed issues, sorted by line, and how many were left out.
    pub fn take(&self) -> (Vec<Issue>, u64) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut list, omitted) = (std::mem::take(&mut inner.0), inner.1);
        list.sort_by_key(|i| (i.line.is_none(), i.line));
        (list, omitted)
    }
}

/// A progress snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub phase: Phase,
    #[serde(flatten)]
    pub counts: Counts,
    /// Items per second over the last few seconds.
    pub rate: f64,
    /// Estimated time to finish sending, once there is a rate.
    pub eta_seconds: Option<f64>,
    /// Requests allowed in flight now.
    pub concurrency: usize,
    /// The learned pacing ceiling, items per second.
    pub rate_cap: Option<f64>,
    pub elapsed_seconds: f64,
}

/// An event from a running sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "event")]
pub enum SyncEvent {
    /// A new phase began.
    Phase { phase: Phase },
    /// A bad row, an unmatched person or a failed item, as found.
    Issue(Issue),
    /// Users were matched.
    UsersResolved {
        mode: LookupMode,
        matched: u64,
        unmatched: u64,
    },
    /// The plan is made: what will be sent and deleted.
    Planned(Counts),
    /// Graph throttled us; sending pauses.
    Throttled {
        retry_after_ms: u64,
        concurrency: usize,
    },
    /// Counters, rate and ETA (at most a few per second).
    Progress(Progress),
}

/// The final report: design.md's `sync` document (camelCase; keys may be added).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub connection: String,
    pub rows: u64,
    pub valid: u64,
    pub invalid: u64,
    pub unmatched: u64,
    pub unchanged: u64,
    pub put: u64,
    pub deleted: u64,
    pub failed: u64,
    pub throttled: u64,
    /// The whole run, from the call to the report (the CLI's process start and sign-in come
    /// before it).
    pub seconds: f64,
    /// The sending phase alone: from the first item request to the last answer; `None` when
    /// nothing was sent.
    pub sending_seconds: Option<f64>,
    pub errors: Vec<Issue>,
    /// Issues beyond the ones listed in `errors` (the list is capped; events carry them all).
    pub errors_omitted: u64,
    pub dry_run: bool,
    /// Items the plan would send / sent.
    pub to_put: u64,
    /// Items the plan would delete / deleted.
    pub to_delete: u64,
    /// Items kept although no readable row names them: some rows could not be read, and a
    /// row that cannot be read must not delete the person it might name.
    pub deletes_held: u64,
    /// The sync was stopped before it finished (state is consistent; run again to go on).
    pub cancelled: bool,
    pub lookup: LookupMode,
    /// The people-connector contract items were built for.
    pub contract: crate::people::schema::Contract,
    pub state_file: String,
}

impl SyncReport {
    /// Whether every row was good and every item landed.
    pub fn is_clean(&self) -> bool {
        self.invalid == 0 && self.unmatched == 0 && self.failed == 0 && !self.cancelled
    }
}

/// Sends events to whoever listens; a caller that stops listening does not stop the sync.
#[derive(Debug, Clone, Default)]
pub struct EventSink {
    tx: Option<mpsc::Sender<SyncEvent>>,
}

impl EventSink {
    /// Events go to `tx`; a full channel makes the sync wait (the consumer sets the pace).
    pub fn new(tx: mpsc::Sender<SyncEvent>) -> Self {
        Self { tx: Some(tx) }
    }

    /// Events go nowhere.
    pub fn none() -> Self {
        Self { tx: None }
    }

    /// Says the sync entered `phase`.
    pub async fn phase(&self, phase: Phase) {
        self.send(SyncEvent::Phase { phase }).await;
    }

    /// Sends from async code.
    pub async fn send(&self, event: SyncEvent) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(event).await;
        }
    }

    /// Sends from a blocking thread (the readers).
    pub fn blocking_send(&self, event: SyncEvent) {
        if let Some(tx) = &self.tx {
            let _ = tx.blocking_send(event);
        }
    }
}

/// Items per second over a sliding window, for progress and ETA.
#[derive(Debug, Clone)]
pub struct RateMeter {
    window: Duration,
    samples: std::collections::VecDeque<(std::time::Instant, u64)>,
}

impl RateMeter {
    /// A meter averaging over `window`.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            samples: std::collections::VecDeque::new(),
        }
    }

    /// Records the running total at `now`.
    pub fn record(&mut self, now: std::time::Instant, total: u64) {
        self.samples.push_back((now, total));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| now.saturating_duration_since(*t) > self.window)
            && self.samples.len() > 2
        {
            self.samples.pop_front();
        }
    }

    /// Items per second across the window (0 until there are two samples).
    pub fn rate(&self) -> f64 {
        let (Some((t0, n0)), Some((t1, n1))) = (self.samples.front(), self.samples.back()) else {
            return 0.0;
        };
        let dt = t1.saturating_duration_since(*t0).as_secs_f64();
        if dt <= 0.0 {
            return 0.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let rate = n1.saturating_sub(*n0) as f64 / dt;
        rate
    }

    /// Seconds to send `remaining` at the current rate.
    pub fn eta(&self, remaining: u64) -> Option<f64> {
        let rate = self.rate();
        #[allow(clippy::cast_precision_loss)]
        (rate > 0.0).then(|| remaining as f64 / rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::schema::Contract;

    #[test]
    fn the_report_has_design_md_keys_in_camel_case() {
        let report = SyncReport {
            connection: "contosohr".into(),
            rows: 3,
            valid: 1,
            invalid: 1,
            unmatched: 1,
            unchanged: 0,
            put: 1,
            deleted: 0,
            failed: 0,
            throttled: 2,
            seconds: 1.5,
            errors: vec![Issue {
                file: "hr.csv".into(),
                line: Some(3),
                column: Some("Hire Date".into()),
                reason: "bad date".into(),
                kind: IssueKind::Invalid,
                item_id: None,
            }],
            errors_omitted: 0,
            dry_run: false,
            to_put: 1,
            to_delete: 0,
            deletes_held: 0,
            cancelled: false,
            lookup: LookupMode::Batched,
            contract: Contract::Labels,
            state_file: "s.sqlite".into(),
            sending_seconds: None,
        };
        let v = serde_json::to_value(&report).unwrap();
        for key in [
            "connection",
            "rows",
            "valid",
            "invalid",
            "unmatched",
            "unchanged",
            "put",
            "deleted",
            "failed",
            "throttled",
            "seconds",
            "errors",
        ] {
            assert!(v.get(key).is_some(), "missing {key} in {v}");
        }
        let e = &v["errors"][0];
        assert_eq!(e["file"], "hr.csv");
        assert_eq!(e["line"], 3);
        assert_eq!(e["column"], "Hire Date");
        assert_eq!(e["reason"], "bad date");
        assert!(!report.is_clean());
    }

    #[test]
    fn rate_meter_measures_over_its_window() {
        let t0 = std::time::Instant::now();
        let mut m = RateMeter::new(Duration::from_secs(5));
        assert!(m.rate().abs() < f64::EPSILON);
        for s in 0..=20u64 {
            m.record(t0 + Duration::from_secs(s), s * 100);
        }
        assert!((m.rate() - 100.0).abs() < 1e-9, "{}", m.rate());
        assert_eq!(m.eta(1000).map(f64::round), Some(10.0));
    }
}
