//! Read-only views of the emulator's state for tests and benchmarks (owned copies, no locks held).

use std::sync::Arc;

use serde_json::Value;

use super::faults::CounterSnapshot;
use super::model::OperationStatus;
use super::service::Emulator;

/// One connection as the emulator holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The id as created.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `draft`, `ready`, `obsolete` or `limitExceeded`.
    pub state: String,
    /// `people`, `uncategorized`, ...
    pub content_category: String,
    /// Items stored.
    pub item_count: usize,
    /// Names of the properties of the last schema PATCHed.
    pub schema_properties: Vec<String>,
    /// Operation statuses in order: `inprogress`, `completed` or `failed`.
    pub operations: Vec<String>,
}

/// A profile source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// GUID.
    pub id: String,
    /// The alternate key.
    pub source_id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Link.
    pub web_url: Option<String>,
}

/// A profile property setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingInfo {
    /// GUID.
    pub id: String,
    /// `None` for the tenant-level precedence setting.
    pub name: Option<String>,
    /// The precedence list, index 0 highest.
    pub prioritized_source_urls: Vec<String>,
}

/// Read-only inspection of a running emulator.
#[derive(Clone)]
pub struct Inspector {
    app: Arc<Emulator>,
}

impl std::fmt::Debug for Inspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspector").finish_non_exhaustive()
    }
}

impl Inspector {
    pub(crate) fn new(app: Arc<Emulator>) -> Self {
        Self { app }
    }

    /// Every connection, ordered by id.
    pub fn connections(&self) -> Vec<ConnectionInfo> {
        let state = self.app.read();
        state
            .connections
            .values()
            .map(|c| ConnectionInfo {
                id: c.id.clone(),
                name: c.name.clone(),
                state: c.state.as_str().to_owned(),
                content_category: c.content_category.clone(),
                item_count: c.items.len(),
                schema_properties: c
                    .schema
                    .as_ref()
                    .map(|s| s.properties.iter().map(|p| p.name.clone()).collect())
                    .unwrap_or_default(),
                operations: c
                    .operations
                    .iter()
                    .map(|op| {
                        match op.status {
                            OperationStatus::InProgress { .. } => "inprogress",
                            OperationStatus::Completed => "completed",
                            OperationStatus::Failed { .. } => "failed",
                        }
                        .to_owned()
                    })
                    .collect(),
            })
            .collect()
    }

    /// One connection.
    pub fn connection(&self, id: &str) -> Option<ConnectionInfo> {
        self.connections()
            .into_iter()
            .find(|c| c.id.eq_ignore_ascii_case(id))
    }

    /// Item ids of a connection, sorted (empty when the connection does not exist).
    pub fn item_ids(&self, connection_id: &str) -> Vec<String> {
        let state = self.app.read();
        let mut ids: Vec<String> = state
            .connection(connection_id)
            .map(|c| c.items.keys().cloned().collect())
            .unwrap_or_default();
        ids.sort();
        ids
    }

    /// How many items a connection holds.
    pub fn item_count(&self, connection_id: &str) -> usize {
        self.app
            .read()
            .connection(connection_id)
            .map_or(0, |c| c.items.len())
    }

    /// An item as Graph would serve it (`id`, `acl`, `properties`, `content`).
    pub fn item(&self, connection_id: &str, item_id: &str) -> Option<Value> {
        let state = self.app.read();
        state
            .connection(connection_id)?
            .items
            .get(item_id)
            .map(|item| item.to_json(false))
    }

    /// The user object id an item's profile contribution resolved to (people connections);
    /// `None` when it contributes nothing (invalid/unknown account, no mailbox).
    pub fn item_contributor(&self, connection_id: &str, item_id: &str) -> Option<String> {
        let state = self.app.read();
        state
            .connection(connection_id)?
            .items
            .get(item_id)?
            .contribution
            .as_ref()
            .map(|c| c.user_id.clone())
    }

    /// Every profile source, in list order.
    pub fn sources(&self) -> Vec<SourceInfo> {
        self.app
            .read()
            .sources
            .iter()
            .map(|s| SourceInfo {
                id: s.id.clone(),
                source_id: s.source_id.clone(),
                display_name: s.display_name.clone(),
                web_url: s.web_url.clone(),
            })
            .collect()
    }

    /// Accepted PUTs and DELETEs per item id of a connection since it was created (or
    /// [`Inspector::reset_item_writes`]), deleted items included.
    pub fn item_writes(&self, connection_id: &str) -> std::collections::HashMap<String, u64> {
        self.app
            .read()
            .connection(connection_id)
            .map(|c| c.item_writes.clone())
            .unwrap_or_default()
    }

    /// Zeroes the write counts of a connection's items.
    pub fn reset_item_writes(&self, connection_id: &str) {
        if let Some(c) = self.app.write().connection_mut(connection_id) {
            c.item_writes.clear();
        }
    }

    /// Every profile property setting.
    pub fn settings(&self) -> Vec<SettingInfo> {
        self.app
            .read()
            .settings
            .iter()
            .map(|s| SettingInfo {
                id: s.id.clone(),
                name: s.name.clone().or_else(|| s.display_name.clone()),
                prioritized_source_urls: s.prioritized_source_urls.clone(),
            })
            .collect()
    }

    /// Users in the directory (seeded + synthetic).
    pub fn users_count(&self) -> usize {
        self.app.directory.len()
    }

    /// Device codes still waiting for a decision.
    pub fn pending_device_codes(&self) -> usize {
        self.app
            .auth_state()
            .pending_device_codes(self.app.clock.instant())
    }

    /// Request counters per route class.
    pub fn counters(&self) -> CounterSnapshot {
        self.app.faults.counters()
    }
}

/// The three admin lists at one moment, as a reader of the tenant could have seen them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantMoment {
    /// Position in the journal, from 0.
    pub seq: usize,
    /// `prioritizedSourceUrls` of the nameless setting (empty when there is none).
    pub precedence: Vec<String>,
    /// Every profile source's `sourceId`, built-ins included.
    pub source_ids: Vec<String>,
    /// Every connection id.
    pub connection_ids: Vec<String>,
}

impl TenantMoment {
    /// Precedence entries naming a source that does not exist at this moment.
    pub fn dangling_precedence(&self) -> Vec<String> {
        self.precedence
            .iter()
            .filter_map(|url| super::state::referenced_source_id(url))
            .filter(|id| !self.source_ids.iter().any(|s| s.eq_ignore_ascii_case(id)))
            .collect()
    }
}

/// Every distinct admin-visible state of the tenant since the journal was started.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    on: std::sync::atomic::AtomicBool,
    moments: std::sync::Mutex<Vec<TenantMoment>>,
}

impl Journal {
    pub fn is_on(&self) -> bool {
        self.on.load(std::sync::atomic::Ordering::Acquire)
    }

    fn moments(&self) -> std::sync::MutexGuard<'_, Vec<TenantMoment>> {
        self.moments
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Called with the write lock held, so moments are recorded in the order they happened.
    pub fn record(&self, state: &super::state::State) {
        let precedence = state
            .precedence()
            .map(|p| p.prioritized_source_urls.clone())
            .unwrap_or_default();
        let mut moments = self.moments();
        let moment = TenantMoment {
            seq: moments.len(),
            precedence,
            source_ids: state.sources.iter().map(|s| s.source_id.clone()).collect(),
            connection_ids: state.connections.values().map(|c| c.id.clone()).collect(),
        };
        let unchanged = moments.last().is_some_and(|last| {
            last.precedence == moment.precedence
                && last.source_ids == moment.source_ids
                && last.connection_ids == moment.connection_ids
        });
        if !unchanged {
            moments.push(moment);
        }
    }
}

impl Inspector {
    /// Starts (or restarts) recording every admin-visible state: precedence, sources and
    /// connections after each write. The state now is the first moment.
    pub fn start_journal(&self) {
        let journal = &self.app.journal;
        journal.moments().clear();
        journal.on.store(true, std::sync::atomic::Ordering::Release);
        // Taking the write lock records the current state.
        drop(self.app.write());
    }

    /// The moments recorded since [`Inspector::start_journal`].
    pub fn journal(&self) -> Vec<TenantMoment> {
        self.app.journal.moments().clone()
    }
}
