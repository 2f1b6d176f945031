//! Finish: the report, from the tally and the issues.

use std::sync::atomic::Ordering;

use super::{Shared, SyncOptions};
use crate::graph::GraphClient;
use crate::people::schema::Contract;
use crate::sync::report::{LookupMode, Phase, Progress, SyncEvent, SyncReport};

/// What the report is made from.
pub(super) struct Finish<'a> {
    pub(super) cx: &'a Shared,
    pub(super) client: &'a GraphClient,
    pub(super) options: &'a SyncOptions,
    pub(super) throttled_before: u64,
    pub(super) mode: LookupMode,
    pub(super) contract: Contract,
    pub(super) state_file: String,
    pub(super) cancelled: bool,
}

impl Finish<'_> {
    pub(super) async fn report(self) -> SyncReport {
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
        events.send(SyncEvent::Phase { phase: Phase::Done }).await;
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
            errors,
            errors_omitted,
            dry_run: self.options.dry_run,
            to_put: counts.to_put,
            to_delete: counts.to_delete,
            deletes_held: counts.deletes_held,
            cancelled: self.cancelled,
            lookup: self.mode,
            contract: self.contract,
            state_file: self.state_file,
        }
    }
}
