//! Is it live yet: for each synced person, whether Microsoft 365 shows what the last sync sent
//! (`live`, `pending`, `dropped` and why, `stale`, `notSynced`), joining the sync ledger with the
//! directory, the precedence list, the composition and the delegated profile API. The reads are
//! here ([`check`], [`run`]); the decision is pure ([`classify`]), so tests and the console can
//! drive it with what they read.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use serde::Serialize;

use super::OpsError;
use super::explain::{ConnectorInput, ItemRead, connector_facts, explain_inputs, layout_of};
use super::snapshot::{Snapshot, read_snapshot};
use crate::graph::profile::Profile;
use crate::graph::{GraphClient, GraphError};
use crate::people::compose::SourceEntities;
use crate::people::ids::SourceId;
use crate::people::item::{ItemLayout, entities_from_item, item_id_for_upn, upn_from_item_id};
use crate::people::precedence::PrecedenceList;
use crate::people::reach::{
    ConnectorFacts, Ignored, UserFacts, connector_counts, invalid_values, item_counts,
};
use crate::sync::state::{CheckRecord, LedgerEntry, StateError, StateStore, now_unix};

/// How long Microsoft documents data may take to show after ingestion: the yardstick a pending
/// person's age is read against.
pub const DOCUMENTED_DELAY_SECONDS: i64 = 6 * 3600;

/// People checked at once. Each person costs three reads made together (item, user, profile),
/// so at most `3 × CONCURRENCY` requests are in flight: well under Graph's per-app limits, and
/// the profile API (a beta endpoint) is the one that throttles first.
pub const CONCURRENCY: usize = 8;

/// People checked when no selection is given.
pub const DEFAULT_SAMPLE: usize = 100;

/// Whom to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every item in the ledger.
    All,
    /// `size` items of the ledger picked by a seeded shuffle: the same seed checks the same
    /// people again, another seed others.
    Sample { size: usize, seed: u64 },
    /// One person, by UPN (in the ledger or not).
    User(String),
}

/// Where one person stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum State {
    /// The profile shows what was sent.
    Live,
    /// Landed, not shown yet.
    Pending,
    /// Landed, and will never show (see the reason).
    Dropped,
    /// The profile shows an older value from this connection than the last one sent.
    Stale,
    /// Nothing of this person has landed.
    NotSynced,
}

impl State {
    /// The wire name (`notSynced`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Pending => "pending",
            Self::Dropped => "dropped",
            Self::Stale => "stale",
            Self::NotSynced => "notSynced",
        }
    }

    /// The state a wire name names (as the state store keeps it).
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::Live,
            Self::Pending,
            Self::Dropped,
            Self::Stale,
            Self::NotSynced,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// Why a person is dropped, pending or not synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Reason {
    /// No user of the tenant has the item's account (UPN or object id).
    Unmatched,
    /// The user has no Exchange Online mailbox.
    NoMailbox,
    /// A labelled value of the item is not valid JSON entities: the service skips it.
    InvalidEntity,
    /// The connection's profile source is not in the precedence list.
    NotInPrecedence,
    /// The connection is not registered as a profile source.
    NotRegistered,
    /// The connection serves nothing to profiles (not ready, not a people connection).
    ConnectionNotReady,
    /// A higher-ranked source has a value for everything this item sends.
    HigherSourceWins,
    /// Pending as far as can be told: the profile API was not read (app-only sign-in).
    ProfileNotRead,
    /// The ledger says it landed, but Graph has no such item now.
    NotOnGraph,
    /// The last attempt failed (the sync sends it again next time).
    Failed,
    /// No sync has sent it.
    NeverSent,
}

impl Reason {
    /// The wire name (`higherSourceWins`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Unmatched => "unmatched",
            Self::NoMailbox => "noMailbox",
            Self::InvalidEntity => "invalidEntity",
            Self::NotInPrecedence => "notInPrecedence",
            Self::NotRegistered => "notRegistered",
            Self::ConnectionNotReady => "connectionNotReady",
            Self::HigherSourceWins => "higherSourceWins",
            Self::ProfileNotRead => "profileNotRead",
            Self::NotOnGraph => "notOnGraph",
            Self::Failed => "failed",
            Self::NeverSent => "neverSent",
        }
    }

    /// The reason a wire name names (as the state store keeps it).
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::Unmatched,
            Self::NoMailbox,
            Self::InvalidEntity,
            Self::NotInPrecedence,
            Self::NotRegistered,
            Self::ConnectionNotReady,
            Self::HigherSourceWins,
            Self::ProfileNotRead,
            Self::NotOnGraph,
            Self::Failed,
            Self::NeverSent,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// Where an item came from: `{"file","line"}` (both null for items synced before the ledger).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourceLine {
    pub file: Option<String>,
    pub line: Option<u64>,
}

/// One person's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonState {
    pub upn: String,
    pub state: State,
    pub reason: Option<Reason>,
    /// RFC 3339: when Graph last accepted the item.
    pub landed_at: Option<String>,
    /// RFC 3339: when that content was first seen live.
    pub seen_at: Option<String>,
    pub source: SourceLine,
    #[serde(skip)]
    pub item_id: String,
    /// Unix seconds of `landed_at`.
    #[serde(skip)]
    pub landed_unix: Option<i64>,
    /// Unix seconds of `seen_at`.
    #[serde(skip)]
    pub seen_unix: Option<i64>,
    /// More words for the reason (the invalid property, the last error, the winning source).
    #[serde(skip)]
    pub detail: Option<String>,
    #[serde(skip)]
    pub hash: Option<String>,
}

/// Whether the profile API could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileAccess {
    /// Read for everyone who needed it.
    Read,
    /// Refused: the sign-in is app-only (or lacks the delegated permission).
    NeedsDelegatedSignIn,
    /// Nobody needed it (every person was decided before).
    NotNeeded,
}

/// The whole check (`peoplectl propagation -o json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PropagationReport {
    pub connection: String,
    pub checked: usize,
    pub live: usize,
    pub pending: usize,
    pub dropped: usize,
    pub stale: usize,
    pub not_synced: usize,
    pub users: Vec<PersonState>,
    #[serde(skip)]
    pub profile: ProfileAccess,
    /// Unix seconds of the check.
    #[serde(skip)]
    pub checked_at: i64,
}

impl PropagationReport {
    /// Whether every checked person is live (the CLI's exit 0).
    pub fn all_live(&self) -> bool {
        self.live == self.checked
    }

    fn count(connection: &str, users: Vec<PersonState>, profile: ProfileAccess, now: i64) -> Self {
        let n = |s: State| users.iter().filter(|u| u.state == s).count();
        Self {
            connection: connection.to_owned(),
            checked: users.len(),
            live: n(State::Live),
            pending: n(State::Pending),
            dropped: n(State::Dropped),
            stale: n(State::Stale),
            not_synced: n(State::NotSynced),
            users,
            profile,
            checked_at: now,
        }
    }
}

/// Why a check could not run.
#[derive(Debug, thiserror::Error)]
pub enum PropagationError {
    #[error(transparent)]
    Ops(#[from] OpsError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("propagation check stopped: {0}")]
    Internal(String),
}

impl From<GraphError> for PropagationError {
    fn from(e: GraphError) -> Self {
        Self::Ops(OpsError::Graph(e))
    }
}

/// What the ledger holds for a check: the items and the last check's results.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub entries: Vec<LedgerEntry>,
    pub previous: Vec<CheckRecord>,
}

impl Ledger {
    /// Reads the ledger of a connection's state store (blocking; refused while a sync of the
    /// connection holds the store). A missing store is an empty ledger, and is not created.
    pub fn read(path: &Path, tenant: &str, connection: &str) -> Result<Self, StateError> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let store = StateStore::open(path, tenant, connection)?;
        Ok(Self {
            entries: store.ledger()?,
            previous: store.checks()?,
        })
    }

    /// The entries `selection` names; a `--user` outside the ledger is an entry that never
    /// landed.
    pub fn select(&self, selection: &Selection) -> Vec<LedgerEntry> {
        match selection {
            Selection::All => self.entries.clone(),
            Selection::Sample { size, seed } => {
                let mut keyed: Vec<(u64, &LedgerEntry)> = self
                    .entries
                    .iter()
                    .map(|e| (mix(*seed, &e.item_id), e))
                    .collect();
                keyed.sort_by_key(|(k, _)| *k);
                keyed
                    .into_iter()
                    .take(*size)
                    .map(|(_, e)| e.clone())
                    .collect()
            }
            Selection::User(upn) => {
                let id = item_id_for_upn(upn);
                vec![
                    self.entries
                        .iter()
                        .find(|e| e.item_id == id)
                        .cloned()
                        .unwrap_or(LedgerEntry {
                            item_id: id,
                            hash: None,
                            landed_at: None,
                            last_error: None,
                            file: None,
                            line: None,
                            run_id: None,
                        }),
                ]
            }
        }
    }
}

/// A seeded order over item ids (FNV-1a over the seed and the id): a shuffle that needs no
/// random number generator and gives the same sample for the same seed.
fn mix(seed: u64, id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The connection as far as its data reaching profiles goes: read once per check.
#[derive(Debug, Clone)]
pub struct ConnectionContext {
    pub connection: String,
    pub source_id: Option<SourceId>,
    pub facts: ConnectorFacts,
    /// 1-based rank in the precedence list.
    pub rank: Option<usize>,
    pub layout: Option<ItemLayout>,
    pub list: PrecedenceList,
    /// Readable people connections ranked above this one (their items can win).
    pub higher: Vec<(String, SourceId, ConnectorFacts, ItemLayout)>,
    /// Entra ID ranks above this connection (its manager can win: read it too).
    pub entra_above: bool,
}

impl ConnectionContext {
    /// The context of `connection` in a snapshot; `NotFound` when there is no such connection.
    pub fn from_snapshot(snapshot: &Snapshot, connection: &str) -> Result<Self, OpsError> {
        let view = snapshot
            .connection(connection)
            .ok_or_else(|| OpsError::NotFound(format!("there is no connection '{connection}'")))?;
        let list = snapshot.list();
        let source_id = SourceId::new(view.connection.id.clone()).ok();
        let rank = source_id
            .as_ref()
            .and_then(|s| list.index_of(s))
            .map(|i| i + 1);
        let above = |id: &SourceId| {
            list.index_of(id)
                .is_some_and(|i| rank.is_some_and(|r| i + 1 < r))
        };
        let higher = snapshot
            .connections
            .iter()
            .filter(|v| !v.connection.id.eq_ignore_ascii_case(connection))
            .filter_map(|v| {
                let id = SourceId::new(v.connection.id.clone()).ok()?;
                let facts = connector_facts(snapshot, v);
                let layout = layout_of(v)?;
                (above(&id) && connector_counts(&facts).is_ok())
                    .then(|| (v.connection.id.clone(), id, facts, layout))
            })
            .collect();
        Ok(Self {
            connection: view.connection.id.clone(),
            facts: connector_facts(snapshot, view),
            layout: layout_of(view),
            entra_above: above(&SourceId::entra()),
            source_id,
            rank,
            list,
            higher,
        })
    }

    /// Graph requests one person costs at most: item, user and profile, plus Entra's manager
    /// when Entra ranks above, plus one item per readable people connection ranked above.
    pub fn requests_per_person(&self) -> usize {
        3 + usize::from(self.entra_above) + self.higher.len()
    }
}

/// What was read about one person, the input of [`classify`].
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The Graph user JSON (with `assignedPlans`, and `manager` when read); `None`: no such
    /// user.
    pub user: Option<serde_json::Value>,
    /// The item's properties as Graph serves them now; `None`: no such item.
    pub item: Option<serde_json::Value>,
    /// Items of higher-ranked connections for the same person.
    pub higher: Vec<ConnectorInput>,
    /// The profile, when it was read.
    pub profile: Option<Profile>,
}

/// The verdict on one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub state: State,
    pub reason: Option<Reason>,
    pub detail: Option<String>,
}

impl Verdict {
    fn new(state: State, reason: Option<Reason>, detail: Option<String>) -> Self {
        Self {
            state,
            reason,
            detail,
        }
    }
}

/// Decides one person's state from the ledger and what was read. Pure: the rules are the
/// client's own (`people::reach`, `people::compose` through the explanation), never the
/// emulator's.
pub fn classify(cx: &ConnectionContext, entry: &LedgerEntry, seen: &Observed) -> Verdict {
    let dropped =
        |reason, detail: Option<String>| Verdict::new(State::Dropped, Some(reason), detail);
    if entry.hash.is_none() {
        return match &entry.last_error {
            Some(e) => Verdict::new(State::NotSynced, Some(Reason::Failed), Some(e.clone())),
            None => Verdict::new(State::NotSynced, Some(Reason::NeverSent), None),
        };
    }
    let Some(properties) = &seen.item else {
        return Verdict::new(State::NotSynced, Some(Reason::NotOnGraph), None);
    };
    if let Err(why) = connector_counts(&cx.facts) {
        let reason = match why {
            Ignored::NotRegistered => Reason::NotRegistered,
            _ => Reason::ConnectionNotReady,
        };
        return dropped(reason, Some(why.reason().to_owned()));
    }
    let (Some(source_id), Some(layout)) = (&cx.source_id, &cx.layout) else {
        return dropped(Reason::ConnectionNotReady, None);
    };
    if cx.rank.is_none() {
        return dropped(Reason::NotInPrecedence, None);
    }
    let Some(user) = &seen.user else {
        return dropped(Reason::Unmatched, Some("no such user in the tenant".into()));
    };
    let entities = entities_from_item(layout, properties, source_id.clone());
    match item_counts(&UserFacts::from_user(user), &entities) {
        Ok(()) => {}
        Err(Ignored::NoMailbox) => return dropped(Reason::NoMailbox, None),
        Err(why) => return dropped(Reason::Unmatched, Some(why.reason().to_owned())),
    }
    let invalid = invalid_values(layout, properties);
    if !invalid.is_empty() {
        let names: Vec<&str> = invalid.iter().map(|i| i.property.as_str()).collect();
        return dropped(
            Reason::InvalidEntity,
            Some(format!("not valid JSON entities: {}", names.join(", "))),
        );
    }
    let expected = expected_values(cx, source_id, user, entities, &seen.higher);
    if expected.ours.is_empty() {
        return if expected.lost.is_empty() {
            // Nothing the profile would show (only an account): nothing to wait for.
            Verdict::new(State::Live, None, None)
        } else {
            dropped(
                Reason::HigherSourceWins,
                Some(format!("shown instead: {}", expected.winners.join(", "))),
            )
        };
    }
    let Some(profile) = &seen.profile else {
        return Verdict::new(State::Pending, Some(Reason::ProfileNotRead), None);
    };
    let ours_shown = expected
        .ours
        .iter()
        .all(|(property, value)| shows(profile, property, value));
    // A value this item no longer sends (an empty title dropped) may still be on the profile.
    let others_shown = expected
        .others
        .iter()
        .all(|(property, value)| shows(profile, property, value));
    let state = if ours_shown && others_shown {
        State::Live
    } else if shows_any_from(profile, source_id, &expected.ours) {
        State::Stale
    } else if ours_shown {
        // Another source's value not shown yet, in nothing this connection supplied: not ours.
        State::Live
    } else {
        State::Pending
    };
    Verdict::new(state, None, None)
}

/// What the composition says this connection's item puts on the profile.
struct Expected {
    /// (property path, value) this item wins; multi-valued properties: one entry per value.
    ours: Vec<(String, serde_json::Value)>,
    /// Properties this item has a value for that a higher source wins.
    lost: Vec<String>,
    /// Single-valued properties another source wins, in the collections this item feeds: the
    /// profile must show them too, or it still shows something older of this item's.
    others: Vec<(String, serde_json::Value)>,
    /// The sources that win them.
    winners: Vec<String>,
}

fn expected_values(
    cx: &ConnectionContext,
    source_id: &SourceId,
    user: &serde_json::Value,
    entities: SourceEntities,
    higher: &[ConnectorInput],
) -> Expected {
    let ours_name = source_id.to_string();
    let mut inputs = vec![ConnectorInput {
        source_id: source_id.clone(),
        facts: cx.facts.clone(),
        item: ItemRead::Found {
            item_id: String::new(),
            entities,
            invalid: Vec::new(),
        },
    }];
    inputs.extend(higher.iter().cloned());
    let explanation = explain_inputs(&cx.list, user, inputs);
    let mut out = Expected {
        ours: Vec::new(),
        lost: Vec::new(),
        others: Vec::new(),
        winners: Vec::new(),
    };
    let mut others = Vec::new();
    for line in explanation.properties {
        // The account ties the item to the user; it is not data the profile card shows.
        if line.property == "account" || line.property.starts_with("account/") {
            continue;
        }
        if let serde_json::Value::Array(values) = &line.value {
            for (value, source) in values.iter().zip(&line.item_sources) {
                if *source == ours_name {
                    out.ours.push((line.property.clone(), value.clone()));
                }
            }
        } else if line.source.as_deref() == Some(ours_name.as_str()) {
            out.ours.push((line.property.clone(), line.value.clone()));
        } else if line.shadowed.iter().any(|s| s.source == ours_name) {
            out.lost.push(line.property.clone());
            if let Some(w) = &line.source
                && !out.winners.contains(w)
            {
                out.winners.push(w.clone());
            }
        } else {
            others.push((line.property, line.value));
        }
    }
    let fed: Vec<&str> = out.ours.iter().map(|(p, _)| collection_of(p).0).collect();
    out.others = others
        .into_iter()
        .filter(|(p, _)| fed.contains(&collection_of(p).0))
        .collect();
    out
}

/// The profile entities of the collection a property path starts with.
fn collection_of(property: &str) -> (&str, Vec<&str>) {
    let mut segs = property.split('/');
    let collection = segs.next().unwrap_or_default();
    (collection, segs.collect())
}

/// Whether `actual` holds every member `expected` has (objects), or equals it.
fn contains(actual: &serde_json::Value, expected: &serde_json::Value) -> bool {
    match (actual, expected) {
        (serde_json::Value::Object(a), serde_json::Value::Object(e)) => e
            .iter()
            .all(|(k, v)| v.is_null() || a.get(k).is_some_and(|av| contains(av, v))),
        (a, e) => a == e,
    }
}

/// Whether the profile shows `value` for `property` (for `null`: shows no value there).
fn shows(profile: &Profile, property: &str, value: &serde_json::Value) -> bool {
    let (collection, rest) = collection_of(property);
    let composed = profile.entities(collection);
    // The user's own entries sit beside the composed ones and never carry connector data.
    let mut composed = composed
        .iter()
        .filter(|e| e.source_types.is_empty() || !e.source_types.iter().all(|t| t == "user"));
    let actual = |e: &crate::graph::profile::ProfileEntity| {
        rest.iter()
            .try_fold(&e.value, |v, s| v.get(*s))
            .filter(|v| !v.is_null())
            .cloned()
    };
    if value.is_null() {
        // No value: the current instance (as the explanation reads it) has none there.
        composed
            .find(|e| e.value.get("isCurrent") != Some(&serde_json::Value::Bool(false)))
            .is_none_or(|e| actual(e).is_none())
    } else {
        composed.any(|e| actual(e).is_some_and(|a| contains(&a, value)))
    }
}

/// Whether the profile shows anything attributed to this source in the collections it feeds.
fn shows_any_from(
    profile: &Profile,
    source_id: &SourceId,
    expected: &[(String, serde_json::Value)],
) -> bool {
    let mut seen: Vec<&str> = Vec::new();
    for (property, _) in expected {
        let (collection, _) = collection_of(property);
        if seen.contains(&collection) {
            continue;
        }
        seen.push(collection);
        if profile.entities(collection).iter().any(|e| {
            e.sources
                .iter()
                .any(|s| s.source_id.eq_ignore_ascii_case(source_id.as_str()))
        }) {
            return true;
        }
    }
    false
}

/// The UPN of an item's account whose item id is `item_id` (for ids too long to read back).
fn account_upn(item: &crate::graph::items::ExternalItem, item_id: &str) -> Option<String> {
    item.properties.values().find_map(|v| {
        let parsed: serde_json::Value = serde_json::from_str(v.as_str()?).ok()?;
        let first = if parsed.is_array() {
            parsed.get(0)?.clone()
        } else {
            parsed
        };
        first
            .get("userPrincipalName")?
            .as_str()
            .filter(|u| item_id_for_upn(u) == item_id)
            .map(str::to_owned)
    })
}

/// Reads what one person needs and classifies them. `profile_denied` is shared by the check:
/// once the profile API refuses the sign-in, no one else's profile is asked for.
async fn check_one(
    client: &GraphClient,
    cx: &ConnectionContext,
    entry: LedgerEntry,
    profile_denied: &AtomicBool,
) -> Result<(LedgerEntry, Option<String>, Verdict), GraphError> {
    let mut upn = upn_from_item_id(&entry.item_id);
    if entry.hash.is_none() {
        let verdict = classify(cx, &entry, &Observed::default());
        return Ok((entry, upn, verdict));
    }
    let want_profile = || !profile_denied.load(Ordering::Relaxed);
    let item = client.get_item(&cx.connection, &entry.item_id);
    let (item, user, profile) = if let Some(known) = upn.clone() {
        let user = client.find_user_json(&known);
        let profile = async {
            if want_profile() {
                Some(client.get_profile(&known).await)
            } else {
                None
            }
        };
        futures::join!(item, user, profile)
    } else {
        // A shortened item id: the UPN comes from the item's account.
        let item = item.await;
        upn = item
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .and_then(|i| account_upn(i, &entry.item_id));
        match &upn {
            Some(known) => {
                let user = client.find_user_json(known).await;
                let profile = if want_profile() {
                    Some(client.get_profile(known).await)
                } else {
                    None
                };
                (item, user, profile)
            }
            None => (item, Ok(None), None),
        }
    };
    let item = item?;
    let mut user = user?;
    let profile = match profile {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) if e.status().is_some_and(|s| matches!(s.as_u16(), 401 | 403)) => {
            profile_denied.store(true, Ordering::Relaxed);
            None
        }
        // A user who is gone has no profile; other failures leave the person undecided.
        Some(Err(e)) if e.is_not_found() => None,
        Some(Err(e)) => return Err(e),
        None => None,
    };
    let mut higher = Vec::new();
    if let (Some(known), Some(u)) = (&upn, user.as_mut()) {
        if cx.entra_above
            && let Some(manager) = client.find_manager(known).await?
        {
            u["manager"] = serde_json::json!({
                "displayName": manager.display_name,
                "userPrincipalName": manager.user_principal_name,
            });
        }
        for (connection, source_id, facts, layout) in &cx.higher {
            if let Some(item) = client.get_item(connection, &entry.item_id).await? {
                let properties = serde_json::Value::Object(item.properties);
                higher.push(ConnectorInput {
                    source_id: source_id.clone(),
                    facts: facts.clone(),
                    item: ItemRead::Found {
                        item_id: entry.item_id.clone(),
                        entities: entities_from_item(layout, &properties, source_id.clone()),
                        invalid: invalid_values(layout, &properties),
                    },
                });
            }
        }
    }
    let observed = Observed {
        user,
        item: item.map(|i| serde_json::Value::Object(i.properties)),
        higher,
        profile,
    };
    let verdict = classify(cx, &entry, &observed);
    Ok((entry, upn, verdict))
}

/// Checks the selected people of a ledger against Graph (at most `concurrency` at once). `now`
/// is the check's time (unix seconds): it dates `seenAt` for people found live now.
pub async fn check(
    client: &GraphClient,
    snapshot: &Snapshot,
    connection: &str,
    ledger: &Ledger,
    selection: &Selection,
    concurrency: usize,
    now: i64,
) -> Result<PropagationReport, PropagationError> {
    let cx = ConnectionContext::from_snapshot(snapshot, connection)?;
    let entries = ledger.select(selection);
    let previous: HashMap<&str, &CheckRecord> = ledger
        .previous
        .iter()
        .map(|c| (c.item_id.as_str(), c))
        .collect();
    let profile_denied = AtomicBool::new(false);
    let mut profile_needed = false;
    let results: Vec<Result<_, GraphError>> = futures::stream::iter(entries)
        .map(|e| check_one(client, &cx, e, &profile_denied))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut users = Vec::with_capacity(results.len());
    for result in results {
        let (entry, upn, verdict) = result?;
        // Only these are decided by reading a profile.
        profile_needed |= matches!(verdict.state, State::Live | State::Stale | State::Pending);
        // Live since the first check that saw this very content live.
        let seen_unix = (verdict.state == State::Live).then(|| {
            previous
                .get(entry.item_id.as_str())
                .filter(|p| State::from_code(&p.state) == Some(State::Live) && p.hash == entry.hash)
                .and_then(|p| p.seen_at)
                .unwrap_or(now)
        });
        users.push(PersonState {
            upn: upn.unwrap_or_else(|| entry.item_id.clone()),
            state: verdict.state,
            reason: verdict.reason,
            landed_at: entry.hash.as_ref().and(entry.landed_at).map(rfc3339),
            seen_at: seen_unix.map(rfc3339),
            source: SourceLine {
                file: entry.file.clone(),
                line: entry.line,
            },
            item_id: entry.item_id,
            landed_unix: entry.landed_at.filter(|_| entry.hash.is_some()),
            seen_unix,
            detail: verdict.detail,
            hash: entry.hash,
        });
    }
    users.sort_by(|a, b| a.upn.cmp(&b.upn));
    let profile = if profile_denied.load(Ordering::Relaxed) {
        ProfileAccess::NeedsDelegatedSignIn
    } else if profile_needed {
        ProfileAccess::Read
    } else {
        ProfileAccess::NotNeeded
    };
    Ok(PropagationReport::count(
        &cx.connection,
        users,
        profile,
        now,
    ))
}

/// The records a report leaves in the state store.
pub fn check_records(report: &PropagationReport) -> Vec<CheckRecord> {
    report
        .users
        .iter()
        .map(|u| CheckRecord {
            item_id: u.item_id.clone(),
            upn: u.upn.clone(),
            hash: u.hash.clone(),
            state: u.state.code().to_owned(),
            reason: u.reason.map(|r| r.code().to_owned()),
            seen_at: u.seen_unix,
            checked_at: report.checked_at,
        })
        .collect()
}

/// A whole check: reads the ledger (`state_path`), Graph, and stores the result for `doctor`
/// and the console ([`last_check`]). The store is held only while read and written, not while
/// Graph is asked.
pub async fn run(
    client: &GraphClient,
    state_path: &Path,
    tenant: &str,
    connection: &str,
    selection: &Selection,
) -> Result<PropagationReport, PropagationError> {
    let snapshot = read_snapshot(client).await?;
    // The ledger is named by the connection id as Graph spells it.
    let connection = snapshot
        .connection(connection)
        .map_or_else(|| connection.to_owned(), |v| v.connection.id.clone());
    let ledger = {
        let (path, tenant, connection) =
            (state_path.to_owned(), tenant.to_owned(), connection.clone());
        tokio::task::spawn_blocking(move || Ledger::read(&path, &tenant, &connection))
            .await
            .map_err(|e| PropagationError::Internal(e.to_string()))??
    };
    let report = check(
        client,
        &snapshot,
        &connection,
        &ledger,
        selection,
        CONCURRENCY,
        now_unix(),
    )
    .await?;
    // Nothing to remember about a ledger that does not exist yet.
    if state_path.exists() {
        let records = check_records(&report);
        let whole = *selection == Selection::All;
        let (path, tenant) = (state_path.to_owned(), tenant.to_owned());
        tokio::task::spawn_blocking(move || -> Result<(), StateError> {
            StateStore::open(&path, &tenant, &connection)?.save_check(&records, whole)
        })
        .await
        .map_err(|e| PropagationError::Internal(e.to_string()))??;
    }
    Ok(report)
}

/// One person the last check left waiting longer than it should.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    pub upn: String,
    pub state: State,
    /// Unix seconds the item landed.
    pub landed_at: Option<i64>,
    /// Unix seconds of the check that saw it so.
    pub checked_at: i64,
}

/// The last check of a connection (for `doctor` and the console): `None` when no check was
/// stored. Blocking; refused while a sync of the connection holds the store.
pub fn last_check(
    state_path: &Path,
    tenant: &str,
    connection: &str,
) -> Result<Option<Vec<CheckRecord>>, StateError> {
    let ledger = Ledger::read(state_path, tenant, connection)?;
    Ok((!ledger.previous.is_empty()).then_some(ledger.previous))
}

/// Items that landed more than `older_than` seconds before the last check and were still not
/// visible then (pending or stale): "landed long ago, never became visible".
pub fn overdue(
    state_path: &Path,
    tenant: &str,
    connection: &str,
    older_than: i64,
) -> Result<Vec<Overdue>, StateError> {
    let ledger = Ledger::read(state_path, tenant, connection)?;
    let landed: HashMap<&str, Option<i64>> = ledger
        .entries
        .iter()
        .map(|e| (e.item_id.as_str(), e.landed_at))
        .collect();
    Ok(ledger
        .previous
        .iter()
        .filter_map(|c| {
            let state = State::from_code(&c.state)?;
            let landed_at = landed.get(c.item_id.as_str()).copied().flatten();
            is_overdue(state, landed_at, c.checked_at, older_than).then(|| Overdue {
                upn: c.upn.clone(),
                state,
                landed_at,
                checked_at: c.checked_at,
            })
        })
        .collect())
}

/// Whether a person a check saw in `state` had waited too long: still not shown (pending or
/// stale) more than `older_than` seconds after the item landed.
pub fn is_overdue(state: State, landed_at: Option<i64>, checked_at: i64, older_than: i64) -> bool {
    matches!(state, State::Pending | State::Stale)
        && landed_at.is_some_and(|t| checked_at.saturating_sub(t) > older_than)
}

/// RFC 3339 in UTC, to the second.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// A span of seconds in a few characters: "40 s", "12 min", "3 h 5 min", "2 d".
pub fn span(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 if s % 3600 >= 60 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        3600..=86_399 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

/// The REASON/age cell of a person, in words.
pub fn describe(person: &PersonState, now: i64) -> String {
    let reason = person
        .reason
        .map(|r| crate::vocab::propagation_reason(r.code()));
    let with_detail = |text: &str| match &person.detail {
        Some(d) => format!("{text}: {d}"),
        None => text.to_owned(),
    };
    match person.state {
        State::Live => match (person.landed_unix, person.seen_unix) {
            (Some(landed), Some(seen)) => format!("after {}", span(seen - landed)),
            _ => String::new(),
        },
        State::Pending | State::Stale => {
            let age = person
                .landed_unix
                .map(|t| {
                    format!(
                        "landed {} ago (of {})",
                        span(now - t),
                        span(DOCUMENTED_DELAY_SECONDS)
                    )
                })
                .unwrap_or_default();
            match (person.state, reason) {
                (State::Stale, _) => format!("older value shown; {age}"),
                (_, Some(r)) => format!("{r}; {age}"),
                _ => age,
            }
        }
        State::Dropped | State::NotSynced => with_detail(reason.unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests;
