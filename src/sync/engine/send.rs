//! Send: the second pass reads the rows the plan wants, takes each pending lookup's answer as
//! its row comes, names the rows no user matched, builds the items that must be sent and hands
//! them to the executor, then queues the deletes. In a dry run it only counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::plan::{Plan, vanished_ids};
use super::resolve::{self, Answer};
use super::scan::{key_digest, needs_object_id};
use super::{INGEST_RATE, Shared, SyncError, SyncOptions, blocking};
use crate::graph::GraphClient;
use crate::graph::retry::RetryPolicy;
use crate::people::item::item_id_for_upn;
use crate::sync::exec::{Action, Executor, Job};
use crate::sync::index::{Entry, digest, short_hash};
use crate::sync::mapping::PersonKey;
use crate::sync::reader::RowError;
use crate::sync::report::{IssueKind, LookupMode, Phase, SyncEvent, bump};
use crate::sync::state::{Record, RunCounts, StateSink, StateStore};

/// Answers to read ahead of the rows that wait for them.
const ANSWERS_AHEAD: usize = 256;

/// How sending went.
pub(super) struct Sent {
    pub(super) mode: LookupMode,
    /// The sending phase alone, when anything was sent.
    pub(super) sending: Option<f64>,
}

/// Sends what the plan says (or, in a dry run, finishes counting it).
pub(super) async fn send(
    client: &GraphClient,
    options: &SyncOptions,
    cx: &Arc<Shared>,
    store: StateStore,
    plan: Plan,
    mode: LookupMode,
    cancel: &CancellationToken,
) -> Result<Sent, SyncError> {
    let nothing_sent = Sent {
        mode,
        sending: None,
    };
    let (store, mut plan, deletes) = blocking(move || -> Result<_, SyncError> {
        let deletes = if plan.vanished > 0 {
            vanished_ids(&store, &plan.index)?
        } else {
            Vec::new()
        };
        Ok((store, plan, deletes))
    })
    .await??;
    let events = &cx.events;
    if options.dry_run {
        drop(store);
        if !plan.wanted.is_empty() {
            let (shared, cancelling) = (cx.clone(), cancel.clone());
            let unpriced = plan.unpriced;
            blocking(move || produce(&shared, &mut plan, Vec::new(), Outputs::none(), &cancelling))
                .await??;
            if unpriced > 0 {
                events.send(SyncEvent::Planned(cx.tally.snapshot())).await;
            }
        }
        return Ok(nothing_sent);
    }
    // The run's summary is kept whether or not anything needs sending: "the last sync found
    // nothing to do" is history too.
    let mut store = store;
    store.begin_run(&cx.file)?;
    if plan.wanted.is_empty() && deletes.is_empty() {
        store.finish_run(&run_counts(cx))?;
        return Ok(nothing_sent);
    }

    events.phase(Phase::Sending).await;
    // Start from the rate the last sync of this connection learned: no burst of 429s to find
    // the limit again.
    let mut exec_config = options.exec.clone();
    if exec_config.control.initial_rate.is_none() {
        exec_config.control.initial_rate = store
            .setting(INGEST_RATE)?
            .and_then(|v| v.parse::<f64>().ok());
    }
    let writer = store.into_writer();
    let (jobs, jobs_rx) = mpsc::channel::<Job>(256);
    // Lookups still to make run beside the sending, a few hundred answers ahead of it.
    let (answers, resolver) = match plan.pending.take() {
        Some(keys) => {
            let (tx, rx) = mpsc::channel(ANSWERS_AHEAD);
            let task = tokio::spawn(resolve::stream(
                client.clone(),
                cx.key_kind,
                keys,
                tx,
                cancel.clone(),
            ));
            (Some(rx), Some(task))
        }
        None => (None, None),
    };
    let pipelined = answers.is_some();
    let producer = {
        let outputs = Outputs {
            jobs: Some(jobs),
            answers,
            state: Some(writer.sink()),
        };
        let (cx, cancel) = (cx.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || produce(&cx, &mut plan, deletes, outputs, &cancel))
    };
    let write_client = client.with_retry(RetryPolicy {
        // The executor retries itself, so that the controller sees every 429.
        max_retries: 0,
        ..RetryPolicy::default()
    });
    let outcome = {
        let executor = Executor {
            client: &write_client,
            connection: &options.connection,
            file: &cx.file,
            state: writer.sink(),
            events,
            tally: &cx.tally,
            issues: &cx.issues,
            config: exec_config,
        };
        executor.run(jobs_rx, cancel, cx.started).await
    };
    // The executor has dropped the receiver: a producer still sending stops now, and with it
    // the lookups it was reading.
    let produced = producer
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))?;
    let resolved = match resolver {
        Some(task) => task.await.map_err(|e| SyncError::Internal(e.to_string()))?,
        None => Ok(()),
    };
    let mut store = writer.finish().await?;
    let outcome = outcome?;
    produced?;
    resolved?;
    if let Some(rate) = outcome.learned_rate {
        store.set_setting(INGEST_RATE, &format!("{rate:.3}"))?;
    }
    store.finish_run(&run_counts(cx))?;
    if pipelined {
        let counts = cx.tally.snapshot();
        events
            .send(SyncEvent::UsersResolved {
                mode,
                matched: counts.valid,
                unmatched: counts.unmatched,
            })
            .await;
    }
    Ok(Sent {
        mode,
        sending: outcome.sending.map(|d| d.as_secs_f64()),
    })
}

/// The run's summary row, from the tally.
fn run_counts(cx: &Shared) -> RunCounts {
    let c = cx.tally.snapshot();
    RunCounts {
        rows: c.rows,
        put: c.put,
        deleted: c.deleted,
        failed: c.failed,
        unchanged: c.unchanged,
        unmatched: c.unmatched,
        invalid: c.invalid,
    }
}

/// Where the second pass's results go: jobs to the executor, answers from the lookups, and
/// matches to the state (all `None` in a dry run).
struct Outputs {
    jobs: Option<mpsc::Sender<Job>>,
    answers: Option<mpsc::Receiver<Answer>>,
    state: Option<StateSink>,
}

impl Outputs {
    fn none() -> Self {
        Self {
            jobs: None,
            answers: None,
            state: None,
        }
    }
}

/// Moves a person found to be no user from the plan's numbers to the unmatched.
fn count_unmatched(cx: &Shared, item: Option<Entry>) {
    let tally = &cx.tally;
    let down = |c: &AtomicU64| {
        let _ = c.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    };
    down(&tally.valid);
    bump(&tally.unmatched);
    match item.and_then(|e| e.changed()) {
        Some(false) if !cx.full => down(&tally.unchanged),
        Some(_) => down(&tally.to_put),
        None => {}
    }
}

/// Pass 2: reads the wanted rows; see the module docs.
fn produce(
    cx: &Shared,
    plan: &mut Plan,
    deletes: Vec<String>,
    out: Outputs,
    cancel: &CancellationToken,
) -> Result<(), SyncError> {
    let Outputs {
        jobs,
        mut answers,
        state,
    } = out;
    let for_real = jobs.is_some();
    let send = |job: Job| -> bool {
        jobs.as_ref()
            .is_some_and(|tx| tx.blocking_send(job).is_ok())
    };
    if !plan.wanted.is_empty() {
        let (mut reader, mapping) = cx.reader()?;
        while let Some(row) = reader.next_row()? {
            if cancel.is_cancelled() {
                return Ok(());
            }
            let Ok(row) = row else { continue };
            let line = row.line();
            if !plan.wanted.contains(line) {
                continue;
            }
            let Ok(person) = mapping.map_row(&row) else {
                continue;
            };
            let d = key_digest(&person.key);
            let key_index = match &person.key {
                PersonKey::Upn(_) => &mut plan.index,
                PersonKey::ObjectId(_) => &mut plan.oid_index,
            };
            let Some(entry) = key_index.get(&d).filter(Entry::is_valid) else {
                continue;
            };
            if !key_index.owns(&d, line) {
                continue;
            }
            // A pending lookup's answer: they come in input order, as the rows do.
            let mut user = None;
            let pending = entry.needs_lookup() && !entry.is_resolved();
            let answered_now = match answers.as_mut() {
                Some(rx) if pending => {
                    // No answer: the lookups stopped (cancelled, or failed: the run says why).
                    let Some(answer) = rx.blocking_recv() else {
                        return Ok(());
                    };
                    if answer.digest != d {
                        return Err(SyncError::Internal(format!(
                            "{} changed while it was read (line {line}); run the sync again",
                            cx.file
                        )));
                    }
                    key_index.set_matched(&d, answer.user.is_some());
                    user = answer.user;
                    true
                }
                _ => false,
            };
            let resolved = answered_now || entry.is_resolved();
            let (upn, oid) = match &person.key {
                // Only contracts whose items carry it get the object id.
                PersonKey::Upn(u) => (
                    Some(u.as_str().to_owned()),
                    user.map(|u| u.id)
                        .or_else(|| plan.extras.get(&d).map(ToString::to_string))
                        .filter(|_| needs_object_id(cx.layout.contract)),
                ),
                PersonKey::ObjectId(o) => (
                    user.map(|u| u.user_principal_name)
                        .or_else(|| plan.extras.get(&d).map(ToString::to_string)),
                    Some(o.clone()),
                ),
            };
            let matched = key_index.get(&d).is_some_and(|e| e.is_matched());
            if !matched {
                if answered_now {
                    count_unmatched(cx, plan.index.get(&d));
                }
                cx.issue(
                    IssueKind::Unmatched,
                    RowError {
                        line,
                        column: Some(person.key_column.clone()),
                        reason: format!(
                            "no user {} in the tenant: Graph would ignore this person",
                            person.key
                        ),
                    },
                );
                continue;
            }
            let Some(upn) = upn else { continue };
            let item_id = item_id_for_upn(&upn);
            let main = plan.index.get(&digest(&item_id));
            let changed = main.and_then(|e| e.changed());
            if changed == Some(false) && !cx.full {
                // Unchanged: nothing to send, but a lookup that just confirmed the match
                // spares the next runs one.
                if let (true, true, Some(state)) = (resolved, cx.prices_early(), &state) {
                    state.record_later(Record::Matched { item_id });
                }
                continue;
            }
            let (item_id, item, hash) = match cx.item(&person, Some(&upn), oid.as_deref()) {
                Ok(built) => built,
                Err(errors) => {
                    // The first pass accepted the row; only the account (matched now) can
                    // make the item fail, so it counts as failed, not invalid.
                    bump(&cx.tally.failed);
                    for e in errors {
                        cx.issue(IssueKind::Failed, e);
                    }
                    continue;
                }
            };
            if changed.is_none() {
                // Priced only now: the first pass could not build it without the user.
                let unchanged = main.and_then(|e| e.stored()) == Some(short_hash(&hash));
                if unchanged && !cx.full {
                    bump(&cx.tally.unchanged);
                    continue;
                }
                bump(&cx.tally.to_put);
            }
            if !for_real {
                continue;
            }
            let job = Job {
                item_id,
                line: Some(line),
                action: Action::Put {
                    item: Box::new(item),
                    hash,
                    matched: resolved,
                },
            };
            if !send(job) {
                return Ok(());
            }
        }
    }
    for item_id in deletes {
        if cancel.is_cancelled() {
            return Ok(());
        }
        let job = Job {
            item_id,
            line: None,
            action: Action::Delete,
        };
        if !send(job) {
            return Ok(());
        }
    }
    Ok(())
}
