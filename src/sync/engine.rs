//! The sync run: connection check, validation pass, user matching, plan (delta and guarded
//! deletes), then a second pass that builds changed items and feeds the executor.
//!
//! Who is deleted: people the state store holds whom no row of the input names. A row that
//! fails validation, or names someone not in the tenant, still names its person, so a bad
//! night in the export never deletes anyone (rows keyed by object id name a person only
//! once matched, since the item id comes from the UPN). A row that cannot be read at all
//! (ragged, not UTF-8, too long) names nobody we can tell, so while any such row exists no one
//! is deleted; the report says how many deletes were held. The guard is checked before any
//! request is sent: above it, nothing at all is written.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::exec::{Action, ExecConfig, ExecError, Executor, Job};
use super::index::{Digest, DigestHasher, KeyIndex, Seen, digest, short_hash};
use super::input::Input;
use super::mapping::{KeyKind, MappedPerson, Mapping, MappingError, PersonKey, RowFailure};
use super::reader::{InputFormat, ReadError, RowError, RowReader};
use super::report::{
    EventSink, Issue, IssueKind, IssueLog, LookupMode, Phase, Progress, SyncEvent, SyncReport,
    Tally, bump,
};
use super::state::{StateError, StateStore, state_path};
use super::users;
use crate::graph::connections::ConnectionState;
use crate::graph::items::ExternalItem;
use crate::graph::retry::RetryPolicy;
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::people::entities::{EntityKind, PersonProfile, Validate};
use crate::people::ids::ConnectionId;
use crate::people::item::{ItemContext, ItemLayout, build_item, item_id_for_upn};
use crate::people::schema::{Contract, Schema as PeopleSchema};

/// How users are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LookupChoice {
    /// Batched lookups or the listing, whichever takes fewer calls (see `sync::users`).
    #[default]
    Auto,
    /// Always `$batch`ed lookups.
    Batched,
    /// Always the paged listing.
    Listing,
}

/// Everything a sync needs besides the Graph client.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The connection to fill.
    pub connection: String,
    /// The tenant (the items' ACL grants everyone in it; the state file is checked against it).
    pub tenant_id: String,
    /// The context name (one state file per context and connection).
    pub context: String,
    /// Where state files live (the CLI passes the XDG data directory).
    pub data_dir: PathBuf,
    /// The HR export.
    pub input: PathBuf,
    /// Input format; by default the mapping's `[input] format`, else the file extension.
    pub format: Option<InputFormat>,
    /// The mapping file; the default mapping when `None`.
    pub mapping: Option<PathBuf>,
    /// Validate and plan only: nothing is written to Graph or to the state.
    pub dry_run: bool,
    /// Send every valid person, changed or not.
    pub full: bool,
    /// Most deletes allowed; default 5% of the items in the state, at least 10.
    pub max_deletes: Option<u64>,
    /// How users are matched.
    pub lookup: LookupChoice,
    /// Sending: concurrency control and retries.
    pub exec: ExecConfig,
    /// Issues listed in the report (all of them go out as events).
    pub max_listed_issues: usize,
}

impl SyncOptions {
    /// Options with the defaults for everything but the essentials.
    pub fn new(
        connection: impl Into<String>,
        tenant_id: impl Into<String>,
        context: impl Into<String>,
        data_dir: impl Into<PathBuf>,
        input: impl Into<PathBuf>,
    ) -> Self {
        Self {
            connection: connection.into(),
            tenant_id: tenant_id.into(),
            context: context.into(),
            data_dir: data_dir.into(),
            input: input.into(),
            format: None,
            mapping: None,
            dry_run: false,
            full: false,
            max_deletes: None,
            lookup: LookupChoice::Auto,
            exec: ExecConfig::default(),
            max_listed_issues: 1000,
        }
    }

    /// Where this sync keeps its state.
    pub fn state_path(&self) -> PathBuf {
        state_path(&self.data_dir, &self.context, &self.connection)
    }
}

/// The state setting holding the ingest rate the executor learned.
const INGEST_RATE: &str = "ingestRate";

/// The default delete guard: 5% of the connection's items, at least 10.
pub fn default_max_deletes(items: u64) -> u64 {
    (items / 20).max(10)
}

/// Why a sync stopped without a report.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    State(#[from] StateError),
    /// The connection cannot take these items.
    #[error("connection '{connection}': {reason}")]
    Connection { connection: String, reason: String },
    /// A Graph failure that stops the whole sync (sign-in, permissions, connection gone,
    /// user lookups).
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// More people left the input than the guard allows; nothing was written.
    #[error(
        "refusing to delete {planned} items from connection '{connection}': the limit is {max} \
         (by default 5% of its {items} recorded items, at least 10); nothing was written. Check \
         the input is complete, or pass --max-deletes {planned} to allow it"
    )]
    DeleteGuard {
        connection: String,
        planned: u64,
        max: u64,
        items: u64,
    },
    /// A worker thread failed (a bug).
    #[error("sync stopped: {0}")]
    Internal(String),
}

impl SyncError {
    /// A refusal by a guard (the CLI's exit code 4).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::DeleteGuard { .. })
    }
}

impl From<ExecError> for SyncError {
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::Fatal(g) => Self::Graph(g),
            ExecError::State(s) => Self::State(s),
        }
    }
}

type Extras = HashMap<Digest, Box<str>, BuildHasherDefault<DigestHasher>>;

/// What every pass shares.
struct Shared {
    input: Input,
    file: String,
    format: InputFormat,
    mapping: Mapping,
    layout: ItemLayout,
    tenant_id: String,
    connection: ConnectionId,
    key_kind: KeyKind,
    full: bool,
    tally: Arc<Tally>,
    issues: Arc<IssueLog>,
    events: EventSink,
    started: Instant,
}

impl Shared {
    fn issue(&self, kind: IssueKind, e: RowError) {
        let issue = Issue {
            file: self.file.clone(),
            line: Some(e.line),
            column: e.column,
            reason: e.reason,
            kind,
            item_id: None,
        };
        self.issues.add(issue.clone());
        self.events.blocking_send(SyncEvent::Issue(issue));
    }

    fn progress(&self, phase: Phase) {
        self.events.blocking_send(SyncEvent::Progress(Progress {
            phase,
            counts: self.tally.snapshot(),
            rate: 0.0,
            eta_seconds: None,
            concurrency: 0,
            rate_cap: None,
            elapsed_seconds: self.started.elapsed().as_secs_f64(),
        }));
    }

    fn reader(&self) -> Result<(RowReader, Mapping), SyncError> {
        let reader = RowReader::from_reader(self.file.clone(), self.input.read()?, self.format)?;
        let mapping = self.mapping.bind(reader.header())?;
        Ok((reader, mapping))
    }
}

/// The person as profile entities, the account from what is known of them.
fn profile(
    person: &MappedPerson,
    upn: Option<&str>,
    oid: Option<&str>,
) -> Result<PersonProfile, Vec<RowError>> {
    let mut account = Map::new();
    if let Some(upn) = upn {
        account.insert("userPrincipalName".into(), Value::String(upn.to_owned()));
    }
    if let Some(oid) = oid {
        account.insert(
            "externalDirectoryObjectId".into(),
            Value::String(oid.to_owned()),
        );
    }
    let mut object = Map::new();
    object.insert("account".into(), Value::Object(account));
    let mut put = |name: &str, v: Option<&Value>| {
        if let Some(v) = v {
            object.insert(name.to_owned(), v.clone());
        }
    };
    put("position", person.position.as_ref());
    put("name", person.name.as_ref());
    put("note", person.note.as_ref());
    for (name, list) in [
        ("emails", &person.emails),
        ("phones", &person.phones),
        ("addresses", &person.addresses),
        ("skills", &person.skills),
    ] {
        if !list.is_empty() {
            object.insert(name.to_owned(), Value::Array(list.clone()));
        }
    }
    let profile: PersonProfile = serde_json::from_value(Value::Object(object)).map_err(|e| {
        vec![RowError {
            line: person.line,
            column: None,
            reason: format!("the row's values do not make a profile: {e}"),
        }]
    })?;
    profile.validate().map_err(|errors| {
        errors
            .into_iter()
            .map(|e| RowError {
                line: person.line,
                column: person.column_of(&e.path).map(str::to_owned),
                reason: e.to_string(),
            })
            .collect::<Vec<_>>()
    })?;
    Ok(profile)
}

impl Shared {
    /// The item for a valid person.
    fn item(
        &self,
        person: &MappedPerson,
        upn: Option<&str>,
        oid: Option<&str>,
    ) -> Result<(String, ExternalItem, String), Vec<RowError>> {
        let profile = profile(person, upn, oid)?;
        let custom: BTreeMap<String, Value> = person
            .custom
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let ctx = ItemContext {
            tenant_id: &self.tenant_id,
            connection_id: &self.connection,
        };
        let built = build_item(&profile, &custom, &self.layout, &ctx).map_err(|e| {
            vec![RowError {
                line: person.line,
                column: None,
                reason: e.to_string(),
            }]
        })?;
        let item: ExternalItem = serde_json::from_value(built.body).map_err(|e| {
            vec![RowError {
                line: person.line,
                column: None,
                reason: format!("the built item does not fit the wire shape: {e}"),
            }]
        })?;
        Ok((built.id, item, built.hash))
    }
}

/// Whether items of this contract carry the person's object id.
fn needs_object_id(contract: Contract) -> bool {
    matches!(contract, Contract::Preview | Contract::Draft2025)
}

/// The index a row's key lives in, and its digest there.
fn key_digest(key: &PersonKey) -> Digest {
    match key {
        PersonKey::Upn(upn) => digest(&item_id_for_upn(upn.as_str())),
        PersonKey::ObjectId(oid) => digest(oid),
    }
}

/// What the first pass leaves behind.
struct Scan {
    /// By item id: the state's items and the input's people (UPN keys).
    index: KeyIndex,
    /// By object id (object-id keys only).
    oid_index: KeyIndex,
    /// Keys of valid rows for batched lookups; `None` when there were too many to keep.
    lookup_keys: Option<Vec<String>>,
    valid_keys: u64,
    /// Bad rows whose key could not be read: any of them might name a stored person.
    keyless_invalid: u64,
}

/// Pass 1: reads every row, validates it, notes its key; for UPN keys under the labels
/// contract the item is built here already, so its change is known before any lookup.
fn scan(cx: &Shared, mut index: KeyIndex, cancel: &CancellationToken) -> Result<Scan, SyncError> {
    let (mut reader, mapping) = cx.reader()?;
    let mut oid_index = KeyIndex::new();
    let mut lookup_keys = Some(Vec::new());
    let mut valid_keys = 0u64;
    let mut keyless_invalid = 0u64;
    let early_hash =
        cx.key_kind == KeyKind::UserPrincipalName && !needs_object_id(cx.layout.contract);
    let mut last_progress = Instant::now();
    while let Some(row) = reader.next_row()? {
        if cancel.is_cancelled() {
            break;
        }
        bump(&cx.tally.rows);
        if last_progress.elapsed() >= Duration::from_millis(250) {
            last_progress = Instant::now();
            cx.progress(Phase::Validating);
        }
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                bump(&cx.tally.invalid);
                keyless_invalid += 1;
                cx.issue(IssueKind::Invalid, e);
                continue;
            }
        };
        let line = row.line();
        let (key, mapped, mut errors) = match mapping.map_row(&row) {
            Ok(p) => (Some(p.key.clone()), Some(p), Vec::new()),
            Err(RowFailure { key, errors }) => (key, None, errors),
        };
        // Entity rules, only once the row maps.
        let mut item = None;
        if let Some(p) = &mapped {
            let upn = match &p.key {
                PersonKey::Upn(u) => Some(u.as_str()),
                PersonKey::ObjectId(_) => None,
            };
            let oid = match &p.key {
                PersonKey::ObjectId(o) => Some(o.as_str()),
                PersonKey::Upn(_) => None,
            };
            if early_hash {
                match cx.item(p, upn, oid) {
                    Ok(built) => item = Some(built),
                    Err(e) => errors.extend(e),
                }
            } else if let Err(e) = profile(p, upn, oid) {
                errors.extend(e);
            }
        }
        let Some(key) = key else {
            bump(&cx.tally.invalid);
            keyless_invalid += 1;
            for e in errors {
                cx.issue(IssueKind::Invalid, e);
            }
            continue;
        };
        let d = key_digest(&key);
        let target = match key {
            PersonKey::Upn(_) => &mut index,
            PersonKey::ObjectId(_) => &mut oid_index,
        };
        let valid = errors.is_empty();
        if let Seen::Duplicate(first) = target.insert_row(d, line, valid) {
            errors.insert(
                0,
                RowError {
                    line,
                    column: mapped.as_ref().map(|p| p.key_column.clone()),
                    reason: format!("duplicate key {key}: already on line {first}"),
                },
            );
        }
        if !errors.is_empty() {
            bump(&cx.tally.invalid);
            // One row, one count; every problem in it is listed.
            for e in errors {
                cx.issue(IssueKind::Invalid, e);
            }
            continue;
        }
        valid_keys += 1;
        if let Some((_, _, hash)) = item {
            target.set_planned(&d, short_hash(&hash));
        }
        if let Some(keys) = &mut lookup_keys {
            if keys.len() < users::MAX_BATCH_KEYS {
                keys.push(key.to_string());
            } else {
                // Too many for lookups: the listing will be used; free the memory now.
                lookup_keys = None;
            }
        }
    }
    cx.progress(Phase::Validating);
    Ok(Scan {
        index,
        oid_index,
        lookup_keys,
        valid_keys,
        keyless_invalid,
    })
}

/// Matches the valid keys to users; fills `extras` (object ids for UPN keys, UPNs for
/// object-id keys) when asked to.
async fn resolve(
    client: &GraphClient,
    choice: LookupChoice,
    key_kind: KeyKind,
    scan: &mut Scan,
    mut extras: Option<&mut Extras>,
) -> Result<LookupMode, SyncError> {
    let kind = match key_kind {
        KeyKind::UserPrincipalName => users::KeyKind::Upn,
        KeyKind::ObjectId => users::KeyKind::ObjectId,
    };
    let index = match key_kind {
        KeyKind::UserPrincipalName => &mut scan.index,
        KeyKind::ObjectId => &mut scan.oid_index,
    };
    let keys = usize::try_from(scan.valid_keys).unwrap_or(usize::MAX);
    let mode = match (choice, &scan.lookup_keys) {
        (_, _) if keys == 0 => LookupMode::Skipped,
        (LookupChoice::Listing, _) | (_, None) => LookupMode::Listing,
        (LookupChoice::Batched, Some(_)) => LookupMode::Batched,
        (LookupChoice::Auto, Some(_)) => users::choose_mode(keys, users::count_users(client).await),
    };
    match mode {
        LookupMode::Skipped => {}
        LookupMode::Batched => {
            let keys = scan.lookup_keys.take().unwrap_or_default();
            let answers = users::lookup_batched(client, kind, &keys).await?;
            for (key, answer) in keys.iter().zip(answers) {
                let d = match kind {
                    users::KeyKind::Upn => digest(&item_id_for_upn(key)),
                    users::KeyKind::ObjectId => digest(key),
                };
                index.set_matched(&d, answer.is_some());
                if let (Some(extras), Some(user)) = (extras.as_deref_mut(), answer) {
                    let value = match kind {
                        users::KeyKind::Upn => user.id,
                        users::KeyKind::ObjectId => user.user_principal_name,
                    };
                    extras.insert(d, value.into_boxed_str());
                }
            }
        }
        LookupMode::Listing => {
            scan.lookup_keys = None;
            users::for_each_user(client, |user| {
                let d = match kind {
                    users::KeyKind::Upn => digest(&item_id_for_upn(&user.user_principal_name)),
                    users::KeyKind::ObjectId => digest(&user.id.to_ascii_lowercase()),
                };
                if index.get(&d).is_some_and(|e| e.in_input() && e.is_valid()) {
                    index.set_matched(&d, true);
                    if let Some(extras) = extras.as_deref_mut() {
                        let value = match kind {
                            users::KeyKind::Upn => user.id,
                            users::KeyKind::ObjectId => user.user_principal_name,
                        };
                        extras.insert(d, value.into_boxed_str());
                    }
                }
            })
            .await?;
        }
    }
    Ok(mode)
}

/// What the second pass works from.
struct Plan {
    index: KeyIndex,
    oid_index: KeyIndex,
    extras: Extras,
    second_pass: bool,
}

/// Pass 2: builds the items that must be sent and hands them to `tx` (none in a dry run,
/// which only counts), reports unmatched rows by name; then queues the deletes.
fn produce(
    cx: &Shared,
    plan: &Plan,
    deletes: Vec<String>,
    tx: Option<&mpsc::Sender<Job>>,
    cancel: &CancellationToken,
) -> Result<(), SyncError> {
    let Plan {
        index,
        oid_index,
        extras,
        second_pass,
    } = plan;
    let send = |job: Job| -> bool { tx.is_some_and(|tx| tx.blocking_send(job).is_ok()) };
    if *second_pass {
        let (mut reader, mapping) = cx.reader()?;
        while let Some(row) = reader.next_row()? {
            if cancel.is_cancelled() {
                return Ok(());
            }
            let Ok(row) = row else { continue };
            let line = row.line();
            let Ok(person) = mapping.map_row(&row) else {
                continue;
            };
            let d = key_digest(&person.key);
            let (key_index, upn, oid) = match &person.key {
                PersonKey::Upn(u) => (
                    index,
                    Some(u.as_str().to_owned()),
                    extras.get(&d).map(ToString::to_string),
                ),
                PersonKey::ObjectId(o) => (
                    oid_index,
                    extras.get(&d).map(ToString::to_string),
                    Some(o.clone()),
                ),
            };
            if !key_index.owns(&d, line) {
                continue;
            }
            let Some(entry) = key_index.get(&d).copied() else {
                continue;
            };
            if !entry.is_valid() {
                continue;
            }
            if !entry.is_matched() {
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
            let item_digest = digest(&item_id_for_upn(&upn));
            let main = index.get(&item_digest).copied();
            if main.and_then(|e| e.changed()) == Some(false) && !cx.full {
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
            if main.and_then(|e| e.changed()).is_none() {
                // Priced only now: the first pass could not build it without the user.
                let unchanged = main.and_then(|e| e.stored()) == Some(short_hash(&hash));
                if unchanged && !cx.full {
                    bump(&cx.tally.unchanged);
                    continue;
                }
                bump(&cx.tally.to_put);
            }
            if tx.is_none() {
                continue;
            }
            let job = Job {
                item_id,
                line: Some(line),
                action: Action::Put {
                    item: Box::new(item),
                    hash,
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

/// Checks the connection can take people items and adapts the mapping to its schema.
async fn connect(
    client: &GraphClient,
    options: &SyncOptions,
    mapping: Mapping,
) -> Result<(ConnectionId, ItemLayout, Mapping), SyncError> {
    let refuse = |reason: String| SyncError::Connection {
        connection: options.connection.clone(),
        reason,
    };
    let id = ConnectionId::new(options.connection.clone()).map_err(|e| refuse(e.to_string()))?;
    let connection = match client.get_connection(id.as_str(), ApiVersion::V1).await {
        Ok(c) => c,
        Err(e) if e.is_not_found() => return Err(refuse("no such connection".into())),
        Err(e) => return Err(e.into()),
    };
    if connection.state != ConnectionState::Ready && !options.dry_run {
        return Err(refuse(format!(
            "it is {}, not ready: items can be written only once its schema is provisioned",
            connection.state.as_str()
        )));
    }
    let schema = client.get_schema(id.as_str()).await?;
    let schema: PeopleSchema = serde_json::to_value(&schema)
        .and_then(serde_json::from_value)
        .map_err(|e| refuse(format!("its schema cannot be read: {e}")))?;
    let layout = ItemLayout::from_schema(&schema)
        .map_err(|e| refuse(format!("{e}: it is not a people connection")))?;
    // What the mapping fills must have a property to go to.
    let missing: Vec<EntityKind> = mapping
        .kinds()
        .into_iter()
        .filter(|k| layout.property_for(*k).is_none())
        .collect();
    let mapping = if missing.is_empty() {
        mapping
    } else if mapping.is_lenient() {
        mapping.without_kinds(&missing)
    } else {
        let names: Vec<&str> = missing.iter().map(|k| k.label()).collect();
        return Err(refuse(format!(
            "its schema has no property for {} that {} fills; add the properties or remove them \
             from the mapping",
            names.join(", "),
            mapping.file()
        )));
    };
    if !layout.accept_undeclared {
        if let Some(name) = mapping
            .custom_properties()
            .find(|n| !layout.custom.iter().any(|(c, _)| c.eq_ignore_ascii_case(n)))
        {
            return Err(refuse(format!(
                "its schema has no custom property '{name}' that {} fills",
                mapping.file()
            )));
        }
    }
    Ok((id, layout, mapping))
}

/// Runs a sync. Events go to `events` as it goes; the report comes back at the end. A
/// cancelled sync returns its report with `cancelled: true` once every request already sent
/// has landed and been recorded.
pub async fn run(
    client: &GraphClient,
    options: &SyncOptions,
    events: EventSink,
    cancel: CancellationToken,
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    // The caller's client may have been throttled before (the TUI keeps one): count ours.
    let throttled_before = client.stats().throttled();
    // The input first: a FIFO, a device or a missing file is reported before any request.
    let input = {
        let (path, spool_dir) = (options.input.clone(), options.state_path());
        blocking(move || Input::open(&path, spool_dir.parent().unwrap_or(Path::new(".")))).await??
    };
    events
        .send(SyncEvent::Phase {
            phase: Phase::Connecting,
        })
        .await;
    let mapping = match &options.mapping {
        Some(path) => Mapping::load(path)?,
        None => Mapping::default_mapping(),
    };
    let (connection, layout, mapping) = connect(client, options, mapping).await?;
    let contract = layout.contract;
    let format = options
        .format
        .or(mapping.format())
        .unwrap_or_else(|| InputFormat::from_path(&options.input));
    let cx = Arc::new(Shared {
        file: input.name().to_owned(),
        input,
        format,
        key_kind: mapping.key_kind(),
        mapping,
        layout,
        tenant_id: options.tenant_id.clone(),
        connection,
        full: options.full,
        tally: Arc::new(Tally::default()),
        issues: Arc::new(IssueLog::new(options.max_listed_issues)),
        events: events.clone(),
        started,
    });

    // The state first: a second sync of the connection is refused before any work.
    let path = options.state_path();
    let state_file = path.display().to_string();
    let (store, index) = {
        let tenant = options.tenant_id.clone();
        let conn = options.connection.clone();
        blocking(move || -> Result<_, SyncError> {
            let store = StateStore::open(&path, &tenant, &conn)?;
            let mut index = KeyIndex::new();
            store.for_each(|id, hash| index.insert_stored(digest(id), hash.map(short_hash)))?;
            Ok((store, index))
        })
        .await??
    };
    let stored_items = index.len() as u64;

    events
        .send(SyncEvent::Phase {
            phase: Phase::Validating,
        })
        .await;
    let mut scan = {
        let cx = cx.clone();
        let cancel = cancel.clone();
        blocking(move || scan(&cx, index, &cancel)).await??
    };
    // Stopped while reading: the input was not seen whole, so nothing may be planned from it
    // (a half-read file would look like people leaving).
    if cancel.is_cancelled() {
        return Ok(Finish {
            cx: &cx,
            client,
            options,
            throttled_before,
            mode: LookupMode::Skipped,
            contract,
            state_file,
            cancelled: true,
        }
        .report()
        .await);
    }

    events
        .send(SyncEvent::Phase {
            phase: Phase::ResolvingUsers,
        })
        .await;
    let keep_extras = needs_object_id(contract) || cx.key_kind == KeyKind::ObjectId;
    let mut extras = Extras::default();
    let resolved = tokio::select! {
        r = resolve(
            client,
            options.lookup,
            cx.key_kind,
            &mut scan,
            keep_extras.then_some(&mut extras),
        ) => Some(r?),
        () = cancel.cancelled() => None,
    };
    let mode = resolved.unwrap_or(LookupMode::Skipped);
    if cancel.is_cancelled() {
        return Ok(Finish {
            cx: &cx,
            client,
            options,
            throttled_before,
            mode,
            contract,
            state_file,
            cancelled: true,
        }
        .report()
        .await);
    }
    let Scan {
        mut index,
        oid_index,
        ..
    } = scan;
    if cx.key_kind == KeyKind::ObjectId {
        // People keyed by object id have item ids now that their UPNs are known.
        for (oid, entry) in oid_index.entries() {
            if let (true, Some(upn)) = (entry.is_matched(), extras.get(oid)) {
                let d = digest(&item_id_for_upn(upn));
                index.insert_row(d, u64::from(entry.line), entry.is_valid());
                index.set_matched(&d, true);
            }
        }
    }

    // The plan.
    events
        .send(SyncEvent::Phase {
            phase: Phase::Planning,
        })
        .await;
    let key_index = match cx.key_kind {
        KeyKind::UserPrincipalName => &index,
        KeyKind::ObjectId => &oid_index,
    };
    let (mut valid, mut unmatched) = (0u64, 0u64);
    for (_, e) in key_index.entries() {
        if e.in_input() && e.is_valid() {
            if e.is_matched() {
                valid += 1;
            } else {
                unmatched += 1;
            }
        }
    }
    let (mut unchanged, mut to_put, mut unpriced) = (0u64, 0u64, 0u64);
    for (_, e) in index.entries() {
        if !(e.in_input() && e.is_valid() && e.is_matched()) {
            continue;
        }
        match e.changed() {
            Some(false) if !options.full => unchanged += 1,
            Some(_) => to_put += 1,
            None => unpriced += 1,
        }
    }
    let mut vanished = index.entries().filter(|(_, e)| e.vanished()).count() as u64;
    let tally = &cx.tally;
    if scan.keyless_invalid > 0 && vanished > 0 {
        tally.deletes_held.store(vanished, Ordering::Relaxed);
        // The report says it to the admin; this is for the log.
        tracing::info!(
            held = vanished,
            unreadable_rows = scan.keyless_invalid,
            "not deleting: some rows could not be read and might name these people"
        );
        vanished = 0;
    }
    tally.valid.store(valid, Ordering::Relaxed);
    tally.unmatched.store(unmatched, Ordering::Relaxed);
    tally.unchanged.store(unchanged, Ordering::Relaxed);
    tally.to_put.store(to_put, Ordering::Relaxed);
    tally.to_delete.store(vanished, Ordering::Relaxed);
    events
        .send(SyncEvent::UsersResolved {
            mode,
            matched: valid,
            unmatched,
        })
        .await;
    let max_deletes = options
        .max_deletes
        .unwrap_or_else(|| default_max_deletes(stored_items));
    if vanished > max_deletes {
        return Err(SyncError::DeleteGuard {
            connection: options.connection.clone(),
            planned: vanished,
            max: max_deletes,
            items: stored_items,
        });
    }
    let (store, index, deletes) = blocking(move || -> Result<_, SyncError> {
        let mut deletes = Vec::new();
        if vanished > 0 {
            store.for_each(|id, _| {
                if index
                    .get(&digest(id))
                    .is_some_and(super::index::Entry::vanished)
                {
                    deletes.push(id.to_owned());
                }
            })?;
        }
        Ok((store, index, deletes))
    })
    .await??;
    if !options.dry_run || unpriced == 0 {
        events.send(SyncEvent::Planned(tally.snapshot())).await;
    }

    // The second pass prices what the first could not, names unmatched rows and, for real,
    // builds what must be sent.
    let second_pass =
        unmatched > 0 || unpriced > 0 || (!options.dry_run && (to_put > 0 || options.full));
    let plan = Arc::new(Plan {
        index,
        oid_index,
        extras,
        second_pass,
    });
    let spawn_producer = |tx: Option<mpsc::Sender<Job>>, deletes: Vec<String>| {
        let (cx, plan, cancel) = (cx.clone(), plan.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || produce(&cx, &plan, deletes, tx.as_ref(), &cancel))
    };

    if options.dry_run {
        drop(store);
        if second_pass {
            spawn_producer(None, Vec::new())
                .await
                .map_err(|e| SyncError::Internal(e.to_string()))??;
            if unpriced > 0 {
                events.send(SyncEvent::Planned(tally.snapshot())).await;
            }
        }
    } else if second_pass || !deletes.is_empty() {
        events
            .send(SyncEvent::Phase {
                phase: Phase::Sending,
            })
            .await;
        // Start from the rate the last sync of this connection learned: no burst of 429s
        // to find the limit again.
        let mut exec_config = options.exec.clone();
        if exec_config.control.initial_rate.is_none() {
            exec_config.control.initial_rate = store
                .setting(INGEST_RATE)?
                .and_then(|v| v.parse::<f64>().ok());
        }
        let writer = store.into_writer();
        let (tx, rx) = mpsc::channel::<Job>(256);
        let producer = spawn_producer(Some(tx), deletes);
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
                events: &events,
                tally: &cx.tally,
                issues: &cx.issues,
                config: exec_config,
            };
            executor.run(rx, &cancel, started).await
        };
        // The executor has dropped the receiver: a producer still sending stops now.
        let produced = producer
            .await
            .map_err(|e| SyncError::Internal(e.to_string()))?;
        let store = writer.finish().await?;
        let outcome = outcome?;
        produced?;
        if let Some(rate) = outcome.learned_rate {
            store.set_setting(INGEST_RATE, &format!("{rate:.3}"))?;
        }
    } else {
        drop(store);
    }

    Ok(Finish {
        cx: &cx,
        client,
        options,
        throttled_before,
        mode,
        contract,
        state_file,
        cancelled: cancel.is_cancelled(),
    }
    .report()
    .await)
}

/// What the report is made from.
struct Finish<'a> {
    cx: &'a Shared,
    client: &'a GraphClient,
    options: &'a SyncOptions,
    throttled_before: u64,
    mode: LookupMode,
    contract: Contract,
    state_file: String,
    cancelled: bool,
}

impl Finish<'_> {
    async fn report(self) -> SyncReport {
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

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_future_can_be_spawned() {
        // The TUI and the CLI spawn the sync on the runtime: its future must be `Send`.
        fn spawnable<T: Send + 'static>(_: impl FnOnce() -> T) {}
        spawnable(|| {
            let client: &'static GraphClient = Box::leak(Box::new(
                GraphClient::new(
                    reqwest::Client::new(),
                    "https://graph.example",
                    std::sync::Arc::new(NoCredential),
                )
                .expect("client"),
            ));
            let options: &'static SyncOptions = Box::leak(Box::new(SyncOptions::new(
                "c",
                "t",
                "ctx",
                "/tmp",
                "/tmp/x.csv",
            )));
            run(client, options, EventSink::none(), CancellationToken::new())
        });
    }

    #[derive(Debug)]
    struct NoCredential;

    #[async_trait::async_trait]
    impl azure_core::credentials::TokenCredential for NoCredential {
        async fn get_token(
            &self,
            _scopes: &[&str],
            _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
        ) -> azure_core::Result<azure_core::credentials::AccessToken> {
            Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "no credential in this test",
            ))
        }
    }

    fn shared(dir: &std::path::Path, csv: &str, mapping: &str) -> Shared {
        let input = dir.join("in.csv");
        std::fs::write(&input, csv).unwrap();
        let mapping = Mapping::parse("m.toml", mapping).unwrap();
        Shared {
            file: input.display().to_string(),
            input: Input::open(&input, dir).unwrap(),
            format: InputFormat::Csv,
            key_kind: mapping.key_kind(),
            mapping,
            layout: ItemLayout::default_for(Contract::Labels),
            tenant_id: "t".into(),
            connection: ConnectionId::new("hrsync").unwrap(),
            full: false,
            tally: Arc::new(Tally::default()),
            issues: Arc::new(IssueLog::new(100)),
            events: EventSink::none(),
            started: Instant::now(),
        }
    }

    const MAPPING: &str = "[key]\ncolumn = \"upn\"\n[position]\njobTitle = \"title\"\n\
                           startMonthYear = \"hired\"\n";

    #[test]
    fn the_first_pass_validates_keys_rows_and_prices_changes() {
        let dir = tempfile::tempdir().unwrap();
        let cx = shared(
            dir.path(),
            "upn,title,hired\n\
             a@x.com,Dev,2020-01-01\n\
             b@x.com,Dev,2020-02-30\n\
             A@X.COM,Lead,2020-01-01\n\
             ,Dev,2020-01-01\n\
             c@x.com,Ops\n\
             d@x.com,Ops,\n",
            MAPPING,
        );
        // What the state holds: a's item exactly as this input builds it, d's an older one,
        // e's a person no longer in the input.
        let mut index = KeyIndex::new();
        let key = |upn: &str| digest(&item_id_for_upn(upn));
        let (_, _, a_hash) = cx
            .item(
                &Mapping::parse("m.toml", MAPPING)
                    .unwrap()
                    .map_row(&crate::sync::reader::Row::from_json(
                        2,
                        serde_json::from_str(
                            r#"{"upn":"a@x.com","title":"Dev","hired":"2020-01-01"}"#,
                        )
                        .unwrap(),
                    ))
                    .unwrap(),
                Some("a@x.com"),
                None,
            )
            .unwrap();
        index.insert_stored(key("a@x.com"), Some(short_hash(&a_hash)));
        index.insert_stored(key("d@x.com"), Some(1));
        index.insert_stored(key("b@x.com"), Some(2));
        index.insert_stored(key("e@x.com"), Some(3));

        let scan = scan(&cx, index, &CancellationToken::new()).unwrap();
        let counts = cx.tally.snapshot();
        assert_eq!((counts.rows, counts.invalid), (6, 4));
        assert_eq!(scan.valid_keys, 2);
        assert_eq!(
            scan.lookup_keys.as_deref(),
            Some(&["a@x.com".to_owned(), "d@x.com".to_owned()][..])
        );
        let (issues, _) = cx.issues.take();
        let found: Vec<(u64, Option<&str>)> = issues
            .iter()
            .map(|i| (i.line.unwrap(), i.column.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (3, Some("hired")),
                (4, Some("upn")),
                (5, Some("upn")),
                (6, None)
            ]
        );
        assert!(issues[1].reason.contains("already on line 2"));
        let entry = |upn: &str| *scan.index.get(&key(upn)).unwrap();
        assert_eq!(entry("a@x.com").changed(), Some(false), "unchanged");
        assert_eq!(entry("d@x.com").changed(), Some(true), "changed");
        // A bad row keeps its person: b is invalid but not vanished, so not deleted.
        assert!(!entry("b@x.com").is_valid());
        assert!(!entry("b@x.com").vanished());
        assert!(entry("e@x.com").vanished());
    }

    #[test]
    fn the_delete_guard_is_five_percent_and_at_least_ten() {
        assert_eq!(default_max_deletes(0), 10);
        assert_eq!(default_max_deletes(199), 10);
        assert_eq!(default_max_deletes(300), 15);
        assert_eq!(default_max_deletes(100_000), 5_000);
    }
}
