//! Finish: the report, from the tally and the issues.

use std::sync::atomic::Ordering;

use super::{Shared, SyncOptions};
use crate::graph::GraphClient;
use crate::sync::report::{LookupMode, Phase, Progress, SyncEvent, SyncReport};

/// What the report is made from, besides how the run ended.
pub(super) struct Finish<'a> {
    cx: &'a Shared,
    client: &'a GraphClient,
    options: &'a SyncOptions,
    /// 429s the caller's client had counted before this run (the console keeps one client).
    throttled_before: u64,
}

impl<'a> Finish<'a> {
    pub(super) fn new(
        cx: &'a Shared,
        client: &'a GraphClient,
        options: &'a SyncOptions,
        throttled_before: u64,
    ) -> Self {
        Self {
            cx,
            client,
            options,
            throttled_before,
        }
    }

    /// The report; `sending`: the sending phase's seconds, when anything was sent.
    pub(super) async fn report(
        self,
        mode: LookupMode,
        cancelled: bool,
        sending: Option<f64>,
    ) -> SyncReport {
        let tally = &self.cx.tally;
        tally.throttled.fetch_add(
            self.client
                .stats()
                .throttled()
                .saturating_sub(self.throttled_before),
            Ordering::Relaxed,
        );
        let counts = tally.snapshot();
        let seconds = self.cx.started.elapsed().as_secs_f64();
        let events = &self.cx.events;
        events.phase(Phase::Done).await;
        events
            .send(SyncEvent::Progress(Progress {
                phase: Phase::Done,
                counts: counts.clone(),
                rate: 0.0,
                eta_seconds: None,
                concurrency: 0,
                rate_cap: None,
                elapsed_seconds: seconds,
            }))
            .await;
        let (errors, errors_omitted) = self.cx.issues.take();
        SyncReport {
            connection: self.options.connection.clone(),
            rows: counts.rows,
            valid: counts.valid,
            invalid: counts.invalid,
            unmatched: counts.unmatched,
            unchanged: counts.unchanged,
            put: counts.put,
            deleted: counts.deleted,
            failed: counts.failed,
            throttled: counts.throttled,
            seconds,
            sending_seconds: sending,
            errors,
            errors_omitted,
            dry_run: self.options.dry_run,
            to_put: counts.to_put,
            to_delete: counts.to_delete,
            deletes_held: counts.deletes_held,
            cancelled,
            lookup: mode,
            contract: self.cx.layout.contract,
            state_file: self.options.state_path().display().to_string(),
        }
    }
}
