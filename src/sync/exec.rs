//! The executor: sends item PUTs and DELETEs under the adaptive controller, retries what may
//! be retried, records each success in the state store before counting it, stops cleanly.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::StatusCode;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::control::{ControlConfig, Controller, Outcome, Permit, Ticket};
use super::report::{
    EventSink, Issue, IssueKind, IssueLog, Phase, Progress, RateMeter, SyncEvent, Tally, bump,
};
use super::state::{Record, StateError, StateSink};
use crate::graph::items::ExternalItem;
use crate::graph::{GraphClient, GraphError};

/// One request to make.
#[derive(Debug, Clone)]
pub struct Job {
    pub item_id: String,
    /// The input line the item comes from (for the report and the ledger).
    pub line: Option<u64>,
    pub action: Action,
}

/// What to do with an item.
#[derive(Debug, Clone)]
pub enum Action {
    /// Create or replace it; `hash` is recorded once Graph accepts it, and `matched` says the
    /// person was matched to a user in this run (the state then records the match as fresh).
    Put {
        item: Box<ExternalItem>,
        hash: String,
        matched: bool,
    },
    /// Delete it.
    Delete,
}

/// Bounds on retrying one item.
#[derive(Debug, Clone)]
pub struct ExecConfig {
    pub control: ControlConfig,
    /// Attempts for one item after 5xx answers or lost connections.
    pub max_attempts: u32,
    /// 429s one item may collect before it counts as failed.
    pub max_throttles: u32,
    /// First backoff after a 5xx or a lost connection.
    pub base_backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// Least time between progress events.
    pub progress_every: Duration,
}

impl Default for ExecConfig {
    fn default() -> Self {
        Self {
            control: ControlConfig::default(),
            max_attempts: 6,
            max_throttles: 60,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            progress_every: Duration::from_millis(250),
        }
    }
}

/// Why sending stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// An answer that no other item would escape either (401, 403, 404 on a PUT): the
    /// connection, the permissions or the sign-in are wrong.
    #[error("{0}")]
    Fatal(GraphError),
    #[error(transparent)]
    State(#[from] StateError),
}

/// How a run of the executor ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExecOutcome {
    /// Stopped by the cancellation token before every job was done.
    pub cancelled: bool,
    /// The pacing ceiling learned (items per second), to start from next time.
    pub learned_rate: Option<f64>,
    /// From the first request sent to the last answer: the sending phase alone.
    pub sending: Option<Duration>,
}

struct Pending {
    job: Job,
    attempts: u32,
    throttles: u32,
}

struct Delayed {
    ready: Instant,
    seq: u64,
    pending: Pending,
}

impl PartialEq for Delayed {
    fn eq(&self, other: &Self) -> bool {
        (self.ready, self.seq) == (other.ready, other.seq)
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Delayed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.ready, self.seq).cmp(&(other.ready, other.seq))
    }
}

/// What a finished request reports back to the dispatcher.
struct Done {
    ticket: Ticket,
    pending: Pending,
    latency: Duration,
    result: Result<(), GraphError>,
    recorded: Result<(), StateError>,
}

/// Sends jobs; the dispatcher alone owns the controller and the counters.
pub struct Executor<'a> {
    pub client: &'a GraphClient,
    pub connection: &'a str,
    pub file: &'a str,
    pub state: StateSink,
    pub events: &'a EventSink,
    pub tally: &'a Tally,
    pub issues: &'a IssueLog,
    pub config: ExecConfig,
}

/// Classifies an error for the controller and the retry decision.
fn outcome_of(error: &GraphError) -> Outcome {
    match error {
        GraphError::Api(api) => match api.status {
            StatusCode::TOO_MANY_REQUESTS => {
                Outcome::Throttled(api.retry_after.map(Duration::from_secs))
            }
            s if s.is_server_error() => Outcome::Trouble(api.retry_after.map(Duration::from_secs)),
            _ => Outcome::Other,
        },
        GraphError::Transport { .. } => Outcome::Trouble(None),
        _ => Outcome::Other,
    }
}

/// Whether an error is about the connection or the sign-in rather than the item.
fn is_fatal(error: &GraphError, action: &Action) -> bool {
    match error {
        GraphError::Api(api) => {
            matches!(api.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
                // A PUT to a missing connection: every item would get the same.
                || (api.status == StatusCode::NOT_FOUND && matches!(action, Action::Put { .. }))
        }
        GraphError::Auth { .. } | GraphError::Config(_) => true,
        GraphError::Transport { .. } | GraphError::Decode { .. } => false,
    }
}

impl Executor<'_> {
    fn backoff(&self, attempts: u32) -> Duration {
        let cap = self
            .config
            .base_backoff
            .saturating_mul(2u32.saturating_pow(attempts.min(16)))
            .min(self.config.max_backoff);
        let ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(rand::rng().random_range(ms / 2..=ms))
    }

    fn spawn(&self, set: &mut JoinSet<Done>, ticket: Ticket, pending: Pending) {
        let client = self.client.clone();
        let connection = self.connection.to_owned();
        let state = self.state.clone();
        set.spawn(async move {
            let started = Instant::now();
            let result = match &pending.job.action {
                Action::Put { item, .. } => {
                    client
                        .put_item(&connection, &pending.job.item_id, item)
                        .await
                }
                Action::Delete => client.delete_item(&connection, &pending.job.item_id).await,
            };
            let latency = started.elapsed();
            // The item counts as done only once its record is durable.
            let recorded = match (&result, &pending.job.action) {
                (Ok(()), Action::Put { hash, matched, .. }) => {
                    state
                        .record(Record::Put {
                            item_id: pending.job.item_id.clone(),
                            hash: hash.clone(),
                            matched: *matched,
                            line: pending.job.line,
                        })
                        .await
                }
                (Ok(()), Action::Delete) => {
                    state
                        .record(Record::Deleted {
                            item_id: pending.job.item_id.clone(),
                        })
                        .await
                }
                (Err(_), _) => Ok(()),
            };
            Done {
                ticket,
                pending,
                latency,
                result,
                recorded,
            }
        });
    }

    /// Sends every job from `jobs` until the channel closes (or `cancel` fires), counting in
    /// the tally. Requests already sent when cancelled are waited for and recorded.
    pub async fn run(
        &self,
        mut jobs: mpsc::Receiver<Job>,
        cancel: &CancellationToken,
        started: Instant,
    ) -> Result<ExecOutcome, ExecError> {
        let mut ctl = Controller::new(self.config.control.clone(), Instant::now());
        let mut inflight: JoinSet<Done> = JoinSet::new();
        let mut delayed: BinaryHeap<Reverse<Delayed>> = BinaryHeap::new();
        let mut seq = 0u64;
        let mut input_open = true;
        let mut next: Option<Pending> = None;
        let mut meter = RateMeter::new(Duration::from_secs(5));
        let mut last_progress = Instant::now();
        let mut fatal: Option<GraphError> = None;
        let mut state_error: Option<StateError> = None;
        let mut cancelled = false;
        let mut phase = Phase::Sending;
        let mut first_sent: Option<Instant> = None;
        let mut last_answer: Option<Instant> = None;

        loop {
            if cancel.is_cancelled() {
                cancelled = true;
                break;
            }
            if fatal.is_some() || state_error.is_some() {
                break;
            }
            // The next job: a retry whose wait is over, else a new one.
            if next.is_none() {
                let now = Instant::now();
                if delayed.peek().is_some_and(|Reverse(d)| d.ready <= now) {
                    next = delayed.pop().map(|Reverse(d)| d.pending);
                } else if input_open {
                    match jobs.try_recv() {
                        Ok(job) => {
                            next = Some(Pending {
                                job,
                                attempts: 0,
                                throttles: 0,
                            });
                        }
                        Err(mpsc::error::TryRecvError::Disconnected) => input_open = false,
                        Err(mpsc::error::TryRecvError::Empty) => {}
                    }
                }
            }
            if let Some(p) = &next {
                if matches!(p.job.action, Action::Delete) && phase != Phase::Deleting {
                    phase = Phase::Deleting;
                    self.events.send(SyncEvent::Phase { phase }).await;
                }
            }

            let permit = if next.is_some() {
                ctl.try_acquire(Instant::now())
            } else {
                Permit::Full
            };
            if let Permit::Go(ticket) = permit {
                if let Some(pending) = next.take() {
                    first_sent.get_or_insert_with(Instant::now);
                    self.spawn(&mut inflight, ticket, pending);
                    continue;
                }
            }

            if next.is_none() && !input_open && delayed.is_empty() && inflight.is_empty() {
                break;
            }

            // Wait for whatever can change the picture.
            let wake = match permit {
                Permit::Wait(t) => Some(t),
                _ => None,
            }
            .or_else(|| {
                next.is_none()
                    .then(|| delayed.peek().map(|Reverse(d)| d.ready))
                    .flatten()
            });
            let want_input = next.is_none() && input_open;
            // Waiting for input is time the supply, not Graph, sets the pace (see `note_idle`).
            let idle_from = want_input.then(Instant::now);
            tokio::select! {
                () = cancel.cancelled() => {}
                done = inflight.join_next(), if !inflight.is_empty() => {
                    last_answer = Some(Instant::now());
                    if let Some(Ok(done)) = done {
                        self.finish(done, &mut ctl, &mut delayed, &mut seq, &mut fatal, &mut state_error).await;
                        let c = self.tally.snapshot();
                        meter.record(Instant::now(), c.put + c.deleted);
                    }
                }
                job = jobs.recv(), if want_input => {
                    match job {
                        Some(job) => next = Some(Pending { job, attempts: 0, throttles: 0 }),
                        None => input_open = false,
                    }
                }
                () = sleep_until_opt(wake) => {}
            }
            if let Some(from) = idle_from {
                ctl.note_idle(from, Instant::now());
            }
            if last_progress.elapsed() >= self.config.progress_every {
                last_progress = Instant::now();
                self.events
                    .send(SyncEvent::Progress(progress(
                        phase, self.tally, &meter, &ctl, started,
                    )))
                    .await;
            }
        }

        // Let what was sent land and be recorded: the state stays true to Graph.
        while let Some(done) = inflight.join_next().await {
            last_answer = Some(Instant::now());
            if let Ok(done) = done {
                let mut ignored_delayed = BinaryHeap::new();
                self.finish(
                    done,
                    &mut ctl,
                    &mut ignored_delayed,
                    &mut seq,
                    &mut fatal,
                    &mut state_error,
                )
                .await;
            }
        }
        self.events
            .send(SyncEvent::Progress(progress(
                phase, self.tally, &meter, &ctl, started,
            )))
            .await;
        if let Some(e) = state_error {
            return Err(ExecError::State(e));
        }
        if let Some(e) = fatal {
            return Err(ExecError::Fatal(e));
        }
        Ok(ExecOutcome {
            cancelled,
            learned_rate: ctl.learned_rate(),
            sending: first_sent
                .zip(last_answer)
                .map(|(a, b)| b.saturating_duration_since(a)),
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn finish(
        &self,
        done: Done,
        ctl: &mut Controller,
        delayed: &mut BinaryHeap<Reverse<Delayed>>,
        seq: &mut u64,
        fatal: &mut Option<GraphError>,
        state_error: &mut Option<StateError>,
    ) {
        let now = Instant::now();
        let Done {
            ticket,
            mut pending,
            latency,
            result,
            recorded,
        } = done;
        match result {
            Ok(()) => {
                ctl.complete(now, ticket, Outcome::Success(latency));
                if let Err(e) = recorded {
                    *state_error = Some(e);
                    return;
                }
                match pending.job.action {
                    Action::Put { .. } => bump(&self.tally.put),
                    Action::Delete => bump(&self.tally.deleted),
                }
            }
            Err(error) => {
                let outcome = outcome_of(&error);
                let events_before = ctl.throttle_events();
                ctl.complete(now, ticket, outcome);
                if is_fatal(&error, &pending.job.action) {
                    fatal.get_or_insert(error);
                    return;
                }
                let retry_in = match outcome {
                    Outcome::Throttled(retry_after) => {
                        bump(&self.tally.throttled);
                        // One event per burst, not per 429.
                        if ctl.throttle_events() > events_before {
                            let wait = retry_after.unwrap_or(Duration::from_secs(1));
                            self.events
                                .send(SyncEvent::Throttled {
                                    retry_after_ms: u64::try_from(wait.as_millis())
                                        .unwrap_or(u64::MAX),
                                    concurrency: ctl.limit(),
                                })
                                .await;
                        }
                        pending.throttles += 1;
                        // The controller's pause holds every start; no extra wait here.
                        (pending.throttles < self.config.max_throttles).then_some(Duration::ZERO)
                    }
                    Outcome::Trouble(retry_after) => {
                        pending.attempts += 1;
                        (pending.attempts < self.config.max_attempts)
                            .then(|| retry_after.unwrap_or_else(|| self.backoff(pending.attempts)))
                    }
                    Outcome::Other | Outcome::Success(_) => None,
                };
                if let Some(wait) = retry_in {
                    *seq += 1;
                    delayed.push(Reverse(Delayed {
                        ready: now + wait,
                        seq: *seq,
                        pending,
                    }));
                    return;
                }
                bump(&self.tally.failed);
                let reason = error.to_string();
                if let Err(e) = self
                    .state
                    .record(Record::Failed {
                        item_id: pending.job.item_id.clone(),
                        error: reason.clone(),
                    })
                    .await
                {
                    *state_error = Some(e);
                }
                let issue = Issue {
                    file: self.file.to_owned(),
                    line: pending.job.line,
                    column: None,
                    reason,
                    kind: IssueKind::Failed,
                    item_id: Some(pending.job.item_id),
                };
                self.issues.add(issue.clone());
                self.events.send(SyncEvent::Issue(issue)).await;
            }
        }
    }
}

async fn sleep_until_opt(when: Option<Instant>) {
    match when {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

fn progress(
    phase: Phase,
    tally: &Tally,
    meter: &RateMeter,
    ctl: &Controller,
    started: Instant,
) -> Progress {
    let counts = tally.snapshot();
    let remaining = (counts.to_put + counts.to_delete)
        .saturating_sub(counts.put + counts.deleted + counts.failed);
    Progress {
        phase,
        counts,
        rate: meter.rate(),
        eta_seconds: meter.eta(remaining),
        concurrency: ctl.limit(),
        rate_cap: ctl.rate_cap(),
        elapsed_seconds: started.elapsed().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::error::ApiError;

    fn api(status: u16, retry_after: Option<u64>) -> GraphError {
        GraphError::Api(Box::new(ApiError {
            what: "put item".into(),
            status: StatusCode::from_u16(status).unwrap(),
            code: String::new(),
            message: String::new(),
            inner_code: None,
            request_id: None,
            client_request_id: None,
            retry_after,
            permission: None,
            tries: crate::graph::error::Tries::default(),
        }))
    }

    #[test]
    fn errors_are_classified_for_the_controller() {
        assert_eq!(
            outcome_of(&api(429, Some(3))),
            Outcome::Throttled(Some(Duration::from_secs(3)))
        );
        assert_eq!(outcome_of(&api(503, None)), Outcome::Trouble(None));
        assert_eq!(outcome_of(&api(400, None)), Outcome::Other);
        let transport = GraphError::Transport(Box::new(crate::graph::error::TransportError {
            what: "x".into(),
            host: "h".into(),
            request: "PUT /v1.0/x".into(),
            reason: "reset".into(),
            tries: crate::graph::error::Tries::default(),
        }));
        assert_eq!(outcome_of(&transport), Outcome::Trouble(None));
    }

    #[test]
    fn only_connection_wide_errors_are_fatal() {
        let put = Action::Put {
            item: Box::new(ExternalItem {
                id: None,
                acl: Vec::new(),
                properties: serde_json::Map::new(),
                content: None,
            }),
            hash: "h".into(),
            matched: true,
        };
        assert!(is_fatal(&api(403, None), &put));
        assert!(is_fatal(&api(401, None), &Action::Delete));
        assert!(is_fatal(&api(404, None), &put));
        assert!(!is_fatal(&api(404, None), &Action::Delete));
        assert!(!is_fatal(&api(400, None), &put));
        assert!(!is_fatal(&api(429, None), &put));
        assert!(!is_fatal(&api(500, None), &put));
    }
}
