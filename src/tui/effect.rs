//! Effects `update` asks for, run as tokio tasks whose results come back as actions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use super::action::{Action, ApplyFailure};
use super::people_index::{PEOPLE_SELECT, UserRow};
use super::profile;
use super::propagation::{CheckView, Provenance, check_view};
use crate::auth::claims::{self, TokenInfo};
use crate::graph::GraphClient;
use crate::graph::client::GRAPH_SCOPE;
use crate::graph::sources::ProfileSourcePatch;
use crate::ops::impact::{ImpactInputs, Proposal, load_impact_inputs};
use crate::ops::propagation::{self, Ledger, Selection};
use crate::ops::register::{
    RegisterPlan, RegisterRequest, execute_register, plan_register_with_impact,
};
use crate::ops::remove::{IMPACT_USERS, Scope, execute_remove, plan_with_impact};
use crate::ops::reorder::{ReorderPlan, apply};
use crate::ops::setup::{SetupRequest, execute_setup};
use crate::ops::snapshot::{Snapshot, read_precedence, read_snapshot};
use crate::ops::stuck;
use crate::ops::{Event, OpsError, Progress};
use crate::people::precedence::PrecedenceList;
use crate::sync::CancellationToken;
use crate::sync::state::{StateStore, now_unix};

/// Most changed values the console lists for a staged order (the CLI writes them all).
pub const IMPACT_ROWS: usize = 20_000;

/// Background work.
#[derive(Debug, Clone)]
pub enum Work {
    /// Read the signed-in identity from the token.
    LoadIdentity,
    /// Read connections, sources and precedence.
    LoadSnapshot,
    /// Page through every user.
    LoadUsers,
    /// Read every user's source values for impact previews (`expected`: users listed).
    LoadImpactInputs {
        snapshot: Arc<Snapshot>,
        expected: usize,
    },
    /// Recompose every user under two orders (on a blocking thread).
    ComputeImpact {
        generation: u64,
        before: PrecedenceList,
        after: PrecedenceList,
        inputs: Arc<ImpactInputs>,
    },
    /// Read-compare-write the precedence list.
    ApplyReorder(ReorderPlan),
    /// Read the precedence list as Graph holds it now (for the apply dialog).
    ReadPrecedence,
    /// Read what a removal would do.
    PlanRemove(String),
    /// Run (or rerun) a removal.
    ExecuteRemove { id: String, scope: Scope },
    /// Check a registration against the tenant.
    PlanRegister(RegisterRequest),
    /// Register and rank.
    ExecuteRegister(Box<RegisterPlan>),
    /// Create a connection and register its schema, waiting for provisioning.
    Setup(Box<SetupRequest>),
    /// Sync an HR export into a connection (cancellable).
    Sync(Box<crate::sync::SyncOptions>),
    /// Change a profile source's name or link.
    UpdateSource {
        source_id: String,
        patch: ProfileSourcePatch,
    },
    /// Explain one person's composed profile (`ops::explain`).
    Explain {
        upn: String,
        snapshot: Arc<Snapshot>,
    },
    /// Read the last propagation check of each connection (connection, state store).
    LoadChecks {
        stores: Vec<(String, PathBuf)>,
        tenant: String,
    },
    /// Check whether a connection's synced people show on Microsoft 365, and store the result.
    CheckPropagation {
        connection: String,
        store: PathBuf,
        tenant: String,
        selection: Selection,
    },
    /// Read what each connection's sync ledger says about one person.
    LoadProvenance {
        upn: String,
        stores: Vec<(String, PathBuf)>,
        tenant: String,
    },
}

impl Work {
    /// True for work that changes the tenant.
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Work::ApplyReorder(_)
                | Work::ExecuteRemove { .. }
                | Work::ExecuteRegister(_)
                | Work::UpdateSource { .. }
                | Work::Setup(_)
                | Work::Sync(_)
        )
    }
}

/// What `update` asks the outside world to do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Run work in the background; `JobFinished(id)` follows its result.
    Job { id: u64, work: Work },
    /// Turn mouse capture on or off (the terminal loop does it).
    SetMouse(bool),
    /// Stop the running sync of this connection (requests in flight still land).
    CancelSync(String),
    /// Put this text (already sanitised) on the clipboard with OSC 52 (the terminal loop does).
    Yank(String),
    /// Give the terminal back and stop (SIGTSTP); draw again on `fg`.
    Suspend,
    /// Clear and draw the whole screen again (after a stop, or when it may be garbled).
    Redraw,
}

/// Spawns effects' work on the runtime.
#[derive(Debug, Clone)]
pub struct Runner {
    client: GraphClient,
    tx: UnboundedSender<Action>,
    read_only: bool,
    /// peoplectl's record of work in flight (`ops::stuck`), when the session has a data dir.
    work_log: Option<Arc<std::path::Path>>,
    /// Cancellation of running syncs, by connection.
    syncs: Arc<std::sync::Mutex<std::collections::HashMap<String, CancellationToken>>>,
}

impl Runner {
    /// A runner whose results go to `tx`; retries of Graph calls are reported there too.
    pub fn new(client: GraphClient, tx: UnboundedSender<Action>, read_only: bool) -> Self {
        let retries = tx.clone();
        let client = client.with_retry_observer(Arc::new(move |notice| {
            let _ = retries.send(Action::GraphRetrying(notice.clone()));
        }));
        Self {
            client,
            tx,
            read_only,
            work_log: None,
            syncs: Arc::default(),
        }
    }

    /// Keeps peoplectl's record of work in flight at `path`: snapshots are judged with it
    /// (stuck work) and connections set up or removed here are noted in it.
    #[must_use]
    pub fn with_work_log(mut self, path: Option<std::path::PathBuf>) -> Self {
        self.work_log = path.map(Arc::from);
        self
    }

    /// Asks the running sync of `connection` to stop.
    pub fn cancel_sync(&self, connection: &str) {
        let syncs = self
            .syncs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(token) = syncs.get(connection) {
            token.cancel();
        }
    }

    /// Starts a job.
    pub fn spawn(&self, id: u64, work: Work) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        // Belt and braces: update already refuses writes in read-only mode.
        if self.read_only && work.writes() {
            tracing::error!("a write reached the runner in read-only mode; refused");
            let _ = tx.send(Action::JobFinished(id));
            return;
        }
        let syncs = self.syncs.clone();
        let work_log = self.work_log.clone();
        tokio::spawn(async move {
            if let Work::Sync(options) = work {
                run_sync(&client, &options, &tx, &syncs).await;
            } else {
                perform(&client, work, &tx, work_log.as_deref()).await;
            }
            let _ = tx.send(Action::JobFinished(id));
        });
    }
}

type SyncTokens = std::sync::Mutex<std::collections::HashMap<String, CancellationToken>>;

/// Runs a sync, forwarding its events, with a cancellation token the console can trigger.
async fn run_sync(
    client: &GraphClient,
    options: &crate::sync::SyncOptions,
    tx: &UnboundedSender<Action>,
    syncs: &SyncTokens,
) {
    let connection = options.connection.clone();
    let cancel = CancellationToken::new();
    syncs
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(connection.clone(), cancel.clone());
    let (etx, mut erx) = tokio::sync::mpsc::channel(256);
    let forward = {
        let tx = tx.clone();
        let connection = connection.clone();
        tokio::spawn(async move {
            while let Some(event) = erx.recv().await {
                let _ = tx.send(Action::SyncEvent {
                    connection: connection.clone(),
                    event: Box::new(event),
                });
            }
        })
    };
    let result = crate::sync::run(client, options, crate::sync::EventSink::new(etx), cancel)
        .await
        .map(Box::new)
        .map_err(|e| e.to_string());
    let _ = forward.await;
    syncs
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&connection);
    let _ = tx.send(Action::SyncFinished { connection, result });
}

/// Gets a token from the client's credential and reads who it names (as `auth status` does).
async fn load_identity(client: &GraphClient) -> Result<Option<TokenInfo>, String> {
    let token = client
        .credential()
        .get_token(&[GRAPH_SCOPE], None)
        .await
        .map_err(|e| crate::auth::describe_auth_error(&e))?;
    Ok(claims::decode(token.token.secret()))
}

/// Runs a workflow whose progress events reach the console as actions (`wrap`). Every event
/// is delivered before this returns, so the workflow's result action comes after them.
async fn forwarding<T, F: Future<Output = T>>(
    tx: &UnboundedSender<Action>,
    wrap: fn(Event) -> Action,
    run: impl FnOnce(Progress) -> F,
) -> T {
    forwarding_observed(tx, wrap, |_| {}, run).await
}

/// [`forwarding`], with `observe` seeing each event first (as it happens, not at the end).
async fn forwarding_observed<T, F: Future<Output = T>>(
    tx: &UnboundedSender<Action>,
    wrap: fn(Event) -> Action,
    observe: impl Fn(&Event) + Send + 'static,
    run: impl FnOnce(Progress) -> F,
) -> T {
    let (etx, mut erx) = tokio::sync::mpsc::unbounded_channel();
    let forward = {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(event) = erx.recv().await {
                observe(&event);
                let _ = tx.send(wrap(event));
            }
        })
    };
    // `run` owns the sender; once it is done the channel closes and the forwarder drains.
    let result = run(Progress::channel(etx)).await;
    let _ = forward.await;
    result
}

/// Notes in the work log a connection this removal deleted (the log only informs `doctor`, so
/// a failure to write it is logged, not shown).
fn note_removal(path: &std::path::Path, report: &crate::ops::remove::RemoveReport) {
    if stuck::deleted_connection(&report.steps) {
        if let Err(e) = stuck::note_deleted(path, &report.connection) {
            tracing::warn!(error = %e, "the work log could not be kept");
        }
    }
}

fn ops_message(e: &OpsError) -> String {
    e.to_string()
}

async fn perform(
    client: &GraphClient,
    work: Work,
    tx: &UnboundedSender<Action>,
    work_log: Option<&std::path::Path>,
) {
    let send = |a: Action| {
        let _ = tx.send(a);
    };
    match work {
        Work::LoadIdentity => send(Action::IdentityLoaded(load_identity(client).await)),
        Work::LoadSnapshot => send(Action::SnapshotLoaded(
            read_snapshot(client)
                .await
                .map(|mut snapshot| {
                    if let Some(path) = work_log {
                        // Without the record, stuck work is judged without ages: the
                        // snapshot still counts, so the error is only logged.
                        if let Some(e) =
                            stuck::attach(&mut snapshot, path, time::OffsetDateTime::now_utc())
                        {
                            tracing::warn!(error = %e, "the work log could not be kept");
                        }
                    }
                    Arc::new(snapshot)
                })
                .map_err(|e| e.to_string()),
        )),
        Work::LoadUsers => {
            let pages = client.user_pages::<UserRow>(PEOPLE_SELECT, crate::graph::users::MAX_PAGE);
            futures::pin_mut!(pages);
            while let Some(page) = pages.next().await {
                match page {
                    Ok(rows) => send(Action::UsersPage { rows, done: false }),
                    Err(e) => {
                        send(Action::UsersFailed(e.to_string()));
                        return;
                    }
                }
            }
            send(Action::UsersPage {
                rows: Vec::new(),
                done: true,
            });
        }
        Work::LoadImpactInputs { snapshot, expected } => {
            let result = load_impact_inputs(client, &snapshot, None, |done| {
                let _ = tx.send(Action::ImpactInputsProgress {
                    done,
                    total: expected.max(done),
                });
            })
            .await;
            send(Action::ImpactInputsLoaded(
                result.map(Arc::new).map_err(|e| e.to_string()),
            ));
        }
        Work::ComputeImpact {
            generation,
            before,
            after,
            inputs,
        } => {
            let computed = tokio::task::spawn_blocking(move || {
                let proposal = Proposal::Reorder { before, after };
                let impact = inputs.measure(&proposal);
                let mut rows = inputs.rows(&proposal, impact.changes.iter().take(IMPACT_ROWS));
                // Changed values first, then multi-valued properties whose order changed.
                rows.sort_by_key(|r| !r.property.contains('/'));
                (impact, rows)
            })
            .await;
            if let Ok((impact, rows)) = computed {
                send(Action::ImpactComputed {
                    generation,
                    impact: Arc::new(impact),
                    rows: Arc::new(rows),
                });
            }
        }
        Work::ApplyReorder(plan) => {
            let result = apply(client, &plan).await.map(Box::new).map_err(|e| {
                Box::new(match e {
                    OpsError::Conflict { expected, actual } => {
                        ApplyFailure::Conflict { expected, actual }
                    }
                    other => ApplyFailure::Other(ops_message(&other)),
                })
            });
            send(Action::ReorderApplied(result));
        }
        Work::ReadPrecedence => send(Action::PrecedenceRead(
            read_precedence(client)
                .await
                .map(|s| s.map(|s| s.list))
                .map_err(|e| e.to_string()),
        )),
        Work::PlanRemove(id) => {
            // The review shows no impact when it could not be measured; that blocks nothing.
            let planned = plan_with_impact(client, &id, IMPACT_USERS)
                .await
                .map(|(plan, _)| Box::new(plan))
                .map_err(|e| ops_message(&e));
            send(Action::RemovePlanned(planned));
        }
        Work::ExecuteRemove { id, scope } => {
            let (report, error) = forwarding(tx, Action::RemoveProgress, |p| async move {
                execute_remove(client, &id, scope, &p).await
            })
            .await;
            if let Some(path) = work_log {
                note_removal(path, &report);
            }
            send(Action::RemoveFinished {
                report: Box::new(report),
                error: error.map(|e| ops_message(&e)),
            });
        }
        Work::PlanRegister(request) => send(Action::RegisterPlanned(
            plan_register_with_impact(client, request, IMPACT_USERS)
                .await
                .map(Box::new)
                .map_err(|e| ops_message(&e)),
        )),
        Work::ExecuteRegister(plan) => send(Action::RegisterFinished(
            execute_register(client, &plan, &Progress::none())
                .await
                .map_err(|e| ops_message(&e)),
        )),
        Work::Setup(request) => {
            let id = request.id.as_str().to_owned();
            let log = work_log.map(std::path::Path::to_path_buf);
            let note = move |event: &Event| {
                if let Some(path) = log.as_deref().filter(|_| stuck::is_creation(event)) {
                    // The log only informs `doctor`: a failure to write it is logged.
                    if let Err(e) = stuck::note_created(path, &id) {
                        tracing::warn!(error = %e, "the work log could not be kept");
                    }
                }
            };
            let result = forwarding_observed(tx, Action::SetupProgress, note, |p| async move {
                execute_setup(client, &request, &p).await
            })
            .await
            .map_err(|e| ops_message(&e));
            send(Action::SetupFinished(result));
        }
        // Run by `run_sync`, which holds the cancellation token.
        Work::Sync(_) => {}
        Work::UpdateSource { source_id, patch } => send(Action::SourceUpdated(
            client
                .update_profile_source(&source_id, &patch)
                .await
                .map_err(|e| e.to_string()),
        )),
        Work::Explain { upn, snapshot } => {
            let result = crate::ops::explain::explain_with(client, &snapshot, &upn)
                .await
                .map(|e| Arc::new(profile::explain_view(&snapshot, &e)))
                .map_err(|e| e.to_string());
            send(Action::ExplainLoaded { upn, result });
        }
        Work::LoadChecks { stores, tenant } => {
            let read = tokio::task::spawn_blocking(move || {
                let now = now_unix();
                stores
                    .into_iter()
                    .map(|(connection, path)| {
                        let view = Ledger::read(&path, &tenant, &connection)
                            .map(|l| check_view(&connection, &l, None, now).map(Arc::new))
                            .map_err(|e| e.to_string());
                        (connection, view)
                    })
                    .collect()
            })
            .await;
            if let Ok(results) = read {
                send(Action::ChecksLoaded(results));
            }
        }
        Work::CheckPropagation {
            connection,
            store,
            tenant,
            selection,
        } => {
            let result = check_propagation(client, &connection, store, tenant, &selection).await;
            send(Action::PropagationChecked { connection, result });
        }
        Work::LoadProvenance {
            upn,
            stores,
            tenant,
        } => {
            let item_id = crate::people::item::item_id_for_upn(&upn);
            let result = tokio::task::spawn_blocking(move || {
                let now = now_unix();
                stores
                    .iter()
                    .filter(|(_, path)| path.exists())
                    .filter_map(|(connection, path)| {
                        provenance(path, &tenant, connection, &item_id, now)
                    })
                    .collect()
            })
            .await
            .unwrap_or_default();
            send(Action::ProvenanceLoaded { upn, result });
        }
    }
}

/// A check run and stored, then read back as the store now holds it (a sample adds to the
/// earlier results), with the details only the run knows.
async fn check_propagation(
    client: &GraphClient,
    connection: &str,
    store: PathBuf,
    tenant: String,
    selection: &Selection,
) -> Result<Arc<CheckView>, String> {
    let report = propagation::run(client, &store, &tenant, connection, selection)
        .await
        .map_err(|e| e.to_string())?;
    let (id, fresh) = (report.connection.clone(), report.clone());
    tokio::task::spawn_blocking(move || {
        // A store that cannot be read back still has this run's answer.
        let ledger = Ledger::read(&store, &tenant, &id).unwrap_or_default();
        check_view(&id, &ledger, Some(&fresh), now_unix()).map(Arc::new)
    })
    .await
    .ok()
    .flatten()
    .ok_or_else(|| format!("the check of '{}' left no result", report.connection))
}

/// One connection's ledger entry and last result for an item (`None`: the ledger has none).
fn provenance(
    path: &Path,
    tenant: &str,
    connection: &str,
    item_id: &str,
    now: i64,
) -> Option<Provenance> {
    let read = StateStore::open(path, tenant, connection).and_then(|store| {
        let entry = store.ledger_entry(item_id)?;
        let check = match &entry {
            Some(_) => store.checks()?.into_iter().find(|c| c.item_id == item_id),
            None => None,
        };
        Ok(entry.map(|e| (e, check)))
    });
    let (entry, check) = match read {
        Ok(None) => return None,
        Ok(Some((e, c))) => (Ok(e), c),
        Err(e) => (Err(e.to_string()), None),
    };
    Some(Provenance {
        connection: connection.to_owned(),
        entry,
        check,
        read_at: now,
    })
}
