//! The connector-side data model: connections, schema properties, labels, items, operations.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use serde_json::{Map, Value, json};

/// `connectionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionState {
    Draft,
    Ready,
    Obsolete,
    LimitExceeded,
}

impl ConnectionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Ready => "ready",
            Self::Obsolete => "obsolete",
            Self::LimitExceeded => "limitExceeded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "draft" => Some(Self::Draft),
            "ready" => Some(Self::Ready),
            "obsolete" => Some(Self::Obsolete),
            "limitExceeded" => Some(Self::LimitExceeded),
            _ => None,
        }
    }
}

/// `contentCategory` values (graph-api §1.1), without the sentinel.
pub(crate) const CONTENT_CATEGORIES: &[&str] = &[
    "uncategorized",
    "knowledgeBase",
    "wikis",
    "fileRepository",
    "qna",
    "crm",
    "dashboard",
    "people",
    "media",
    "email",
    "messaging",
    "meetingTranscripts",
    "taskManagement",
    "learningManagement",
];

/// `propertyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PropType {
    String,
    Int64,
    Double,
    DateTime,
    Boolean,
    StringCollection,
    Int64Collection,
    DoubleCollection,
    DateTimeCollection,
    Principal,
    PrincipalCollection,
}

impl PropType {
    const ALL: [PropType; 11] = [
        Self::String,
        Self::Int64,
        Self::Double,
        Self::DateTime,
        Self::Boolean,
        Self::StringCollection,
        Self::Int64Collection,
        Self::DoubleCollection,
        Self::DateTimeCollection,
        Self::Principal,
        Self::PrincipalCollection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Int64 => "int64",
            Self::Double => "double",
            Self::DateTime => "dateTime",
            Self::Boolean => "boolean",
            Self::StringCollection => "stringCollection",
            Self::Int64Collection => "int64Collection",
            Self::DoubleCollection => "doubleCollection",
            Self::DateTimeCollection => "dateTimeCollection",
            Self::Principal => "principal",
            Self::PrincipalCollection => "principalCollection",
        }
    }

    /// Case-insensitive, as the docs' own examples ("String" and "string") imply.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text))
    }

    pub fn is_collection(self) -> bool {
        matches!(
            self,
            Self::StringCollection
                | Self::Int64Collection
                | Self::DoubleCollection
                | Self::DateTimeCollection
                | Self::PrincipalCollection
        )
    }

    /// Members declared after `unknownFutureValue` in the enum.
    pub fn is_evolvable(self) -> bool {
        matches!(self, Self::Principal | Self::PrincipalCollection)
    }

    /// The `@odata.type` annotation an item value of this type carries (collections need one).
    pub fn annotation(self) -> Option<&'static str> {
        match self {
            Self::StringCollection => Some("Collection(String)"),
            Self::Int64Collection => Some("Collection(Int64)"),
            Self::DoubleCollection => Some("Collection(Double)"),
            // graph-api §3.2: Collection(DateTime) must be sent as Collection(DateTimeOffset).
            Self::DateTimeCollection => Some("Collection(DateTimeOffset)"),
            _ => None,
        }
    }
}

/// The `label` enum in CSDL order; members after `unknownFutureValue` are evolvable.
pub(crate) const LABELS: &[&str] = &[
    "title",
    "url",
    "createdBy",
    "lastModifiedBy",
    "authors",
    "createdDateTime",
    "lastModifiedDateTime",
    "fileName",
    "fileExtension",
    "unknownFutureValue",
    "containerName",
    "containerUrl",
    "iconUrl",
    "assignedToPeople",
    "closedBy",
    "closedDate",
    "priority",
    "sprintName",
    "tags",
    "severity",
    "state",
    "dueDate",
    "itemParentId",
    "itemPath",
    "itemType",
    "numberOfReactions",
    "parentUrl",
    "priorityNormalized",
    "reportedBy",
    "secondaryId",
    "personEmails",
    "personAddresses",
    "personAnniversaries",
    "personName",
    "personNote",
    "personPhones",
    "personCurrentPosition",
    "personWebAccounts",
    "personWebSite",
    "personSkills",
    "personProjects",
    "personAccount",
    "personAwards",
    "personCertifications",
    "personAssistants",
    "personColleagues",
    "personManager",
    "personAlternateContacts",
    "personEmergencyContacts",
    "personEducationalActivities",
    "personInterests",
    "personLanguages",
    "personPublications",
    "personPatents",
    "personWorkPositions",
];

/// Person labels in the enum that people connectors do not support (graph-api §4.2).
pub(crate) const UNSUPPORTED_PERSON_LABELS: &[&str] = &[
    "personManager",
    "personAssistants",
    "personColleagues",
    "personAlternateContacts",
    "personEmergencyContacts",
];

/// The canonical spelling of a label (case-insensitive match), excluding the sentinel.
pub(crate) fn canonical_label(text: &str) -> Option<&'static str> {
    LABELS
        .iter()
        .find(|l| l.eq_ignore_ascii_case(text) && **l != "unknownFutureValue")
        .copied()
}

pub(crate) fn label_is_evolvable(label: &str) -> bool {
    let sentinel = LABELS.iter().position(|l| *l == "unknownFutureValue");
    let position = LABELS.iter().position(|l| *l == label);
    matches!((sentinel, position), (Some(s), Some(p)) if p > s)
}

/// The property type a label requires, where documented (person labels: graph-api §4.2).
pub(crate) fn label_type(label: &str) -> Option<PropType> {
    Some(match label {
        "title"
        | "url"
        | "createdBy"
        | "lastModifiedBy"
        | "fileName"
        | "fileExtension"
        | "containerName"
        | "containerUrl"
        | "iconUrl"
        | "personAccount"
        | "personCurrentPosition"
        | "personName"
        | "personNote"
        | "personWebSite" => PropType::String,
        "createdDateTime" | "lastModifiedDateTime" => PropType::DateTime,
        "authors"
        | "personWorkPositions"
        | "personAddresses"
        | "personEmails"
        | "personPhones"
        | "personAnniversaries"
        | "personAwards"
        | "personCertifications"
        | "personProjects"
        | "personSkills"
        | "personWebAccounts"
        | "personEducationalActivities"
        | "personInterests"
        | "personLanguages"
        | "personPatents"
        | "personPublications" => PropType::StringCollection,
        _ => return None,
    })
}

/// The beta profile collection a supported person label feeds (graph-api §4.2, §7.2).
pub(crate) fn profile_collection(label: &str) -> Option<&'static str> {
    Some(match label {
        "personAccount" => "account",
        "personCurrentPosition" | "personWorkPositions" => "positions",
        "personName" => "names",
        "personNote" => "notes",
        "personWebSite" => "websites",
        "personAddresses" => "addresses",
        "personEmails" => "emails",
        "personPhones" => "phones",
        "personAnniversaries" => "anniversaries",
        "personAwards" => "awards",
        "personCertifications" => "certifications",
        "personProjects" => "projects",
        "personSkills" => "skills",
        "personWebAccounts" => "webAccounts",
        "personEducationalActivities" => "educationalActivities",
        "personInterests" => "interests",
        "personLanguages" => "languages",
        "personPatents" => "patents",
        "personPublications" => "publications",
        _ => return None,
    })
}

/// A validated schema property.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SchemaProperty {
    pub name: String,
    pub prop_type: PropType,
    pub is_searchable: bool,
    pub is_queryable: bool,
    pub is_retrievable: bool,
    pub is_refinable: bool,
    pub is_exact_match_required: Option<bool>,
    pub labels: Vec<&'static str>,
    pub aliases: Vec<String>,
    pub description: Option<String>,
    pub ranking_hint: Option<Value>,
}

impl SchemaProperty {
    /// Graph's representation; evolvable members masked unless the caller opted in.
    pub fn to_json(&self, beta: bool, mask: bool) -> Value {
        let type_name = if mask && self.prop_type.is_evolvable() {
            "unknownFutureValue"
        } else {
            self.prop_type.as_str()
        };
        let labels: Vec<&str> = self
            .labels
            .iter()
            .map(|l| {
                if mask && label_is_evolvable(l) {
                    "unknownFutureValue"
                } else {
                    l
                }
            })
            .collect();
        let mut out = json!({
            "name": self.name,
            "type": type_name,
            "isSearchable": self.is_searchable,
            "isQueryable": self.is_queryable,
            "isRetrievable": self.is_retrievable,
            "isRefinable": self.is_refinable,
            "labels": labels,
            "aliases": self.aliases,
            "description": self.description,
        });
        if let Some(map) = out.as_object_mut().filter(|_| beta) {
            map.insert(
                "isExactMatchRequired".into(),
                json!(self.is_exact_match_required.unwrap_or(false)),
            );
            map.insert(
                "rankingHint".into(),
                self.ranking_hint.clone().unwrap_or(Value::Null),
            );
        }
        out
    }

    pub fn has_label(&self, label: &str) -> bool {
        self.labels.contains(&label)
    }
}

/// A registered (or being registered) schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RegisteredSchema {
    pub properties: Vec<SchemaProperty>,
}

impl RegisteredSchema {
    pub fn property(&self, name: &str) -> Option<&SchemaProperty> {
        self.properties
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    pub fn labelled(&self, label: &str) -> Option<&SchemaProperty> {
        self.properties.iter().find(|p| p.has_label(label))
    }
}

/// What a people-connector item contributes to one user's profile, derived at PUT time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Contribution {
    /// The resolved user's object id.
    pub user_id: String,
    /// Parsed entities per profile collection (`positions`, `skills`, ...), invalid JSON
    /// values left out; a current position comes first in `positions`.
    pub entities: BTreeMap<&'static str, Vec<Value>>,
}

/// What profiles show of one item over time: Graph takes a while to show what it accepted
/// ("up to 6 hours"), so each accepted write has the instant it becomes visible, and until then
/// the version before it is what profiles show.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Feed {
    /// `(visible from, data)` in write order; `None` is a delete.
    versions: Vec<(Instant, Option<Contribution>)>,
}

impl Feed {
    fn push(&mut self, now: Instant, visible_at: Instant, contribution: Option<Contribution>) {
        self.versions.push((visible_at, contribution));
        // Writes before the latest one already shown will never be shown again.
        if let Some(shown) = self.versions.iter().rposition(|(at, _)| *at <= now) {
            self.versions.drain(..shown);
        }
    }

    /// Every user some version names.
    fn users(&self) -> impl Iterator<Item = &str> {
        self.versions
            .iter()
            .filter_map(|(_, c)| c.as_ref().map(|c| c.user_id.as_str()))
    }

    /// Whether nothing is shown now or later (every write is a delete that has shown).
    fn is_gone(&self, now: Instant) -> bool {
        self.versions
            .iter()
            .all(|(at, c)| c.is_none() && *at <= now)
    }

    /// The data shown at `now`: the latest write visible by then.
    pub fn shown(&self, now: Instant) -> Option<&Contribution> {
        self.versions
            .iter()
            .rev()
            .find(|(at, _)| *at <= now)
            .and_then(|(_, c)| c.as_ref())
    }
}

/// A stored external item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub id: String,
    pub acl: Value,
    pub properties: Map<String, Value>,
    pub content: Option<Value>,
    pub contribution: Option<Contribution>,
}

impl Item {
    /// Graph's representation for a version: beta's acl entries declare `identitySource`
    /// (null when the item did not set it); v1.0's do not.
    pub fn to_json(&self, beta: bool) -> Value {
        let acl = match &self.acl {
            Value::Array(entries) => Value::Array(
                entries
                    .iter()
                    .map(|entry| {
                        let mut entry = entry.clone();
                        if let Some(object) = entry.as_object_mut() {
                            if beta {
                                object.entry("identitySource").or_insert(Value::Null);
                            } else {
                                object.remove("identitySource");
                            }
                        }
                        entry
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        // Declared properties are served null when unset; the emulator keeps no sensitivity
        // labels, so informationProtectionLabel is always null.
        json!({
            "id": self.id,
            "acl": acl,
            "properties": self.properties,
            "content": self.content,
            "informationProtectionLabel": null,
        })
    }
}

/// `connectionOperation.status`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OperationStatus {
    InProgress {
        until: Instant,
        /// The final outcome: `None` completes, `Some(message)` fails.
        failure: Option<String>,
    },
    Completed,
    Failed {
        code: String,
        message: String,
    },
}

/// A schema operation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Operation {
    pub id: String,
    pub status: OperationStatus,
}

impl Operation {
    pub fn to_json(&self) -> Value {
        match &self.status {
            OperationStatus::InProgress { .. } => {
                json!({"id": self.id, "status": "inprogress", "error": null})
            }
            OperationStatus::Completed => {
                json!({"id": self.id, "status": "completed", "error": null})
            }
            OperationStatus::Failed { code, message } => json!({
                "id": self.id,
                "status": "failed",
                "error": {"code": code, "message": message, "target": null, "details": [], "innerError": null}
            }),
        }
    }
}

/// An external connection and everything under it.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub content_category: String,
    pub state: ConnectionState,
    pub configuration: Value,
    /// Other settable properties kept as sent (activitySettings, searchSettings, connectorId,
    /// complianceSettings, enabledContentExperiences).
    pub extra: Map<String, Value>,
    /// The last schema PATCHed (GET schema serves it, also while its operation runs).
    pub schema: Option<RegisteredSchema>,
    /// The last schema whose operation completed (items are checked against it).
    pub active_schema: Option<RegisteredSchema>,
    /// Operations in creation order.
    pub operations: Vec<Operation>,
    pub items: HashMap<String, Item>,
    /// What profiles show of each item: its accepted writes, each visible from its time on.
    pub feed: HashMap<String, Feed>,
    /// Item ids per user any of their versions names, for the profile API.
    pub feed_by_user: HashMap<String, HashSet<String>>,
    /// Accepted PUTs and DELETEs per item id (kept after a delete), so tests can tell which
    /// items a client sent again.
    pub item_writes: HashMap<String, u64>,
}

impl Connection {
    pub fn is_people(&self) -> bool {
        self.content_category == "people"
    }

    /// Settles operations whose delay has passed; returns whether any did.
    pub fn settle(&mut self, now: Instant) -> bool {
        let mut changed = false;
        for index in 0..self.operations.len() {
            let OperationStatus::InProgress { until, failure } = &self.operations[index].status
            else {
                continue;
            };
            if *until > now {
                continue;
            }
            changed = true;
            // A failed operation leaves the connection as it was (draft, or ready on the old
            // schema) while GET schema keeps serving the failed definition, as it did while the
            // operation ran. UNCONFIRMED: chose this over reverting what GET serves.
            if let Some(message) = failure.clone() {
                self.operations[index].status = OperationStatus::Failed {
                    code: "InternalServerError".into(),
                    message,
                };
            } else {
                self.operations[index].status = OperationStatus::Completed;
                self.active_schema.clone_from(&self.schema);
                if self.state == ConnectionState::Draft {
                    self.state = ConnectionState::Ready;
                }
            }
        }
        changed
    }

    pub fn has_pending_operation(&self) -> bool {
        self.operations
            .iter()
            .any(|op| matches!(op.status, OperationStatus::InProgress { .. }))
    }

    /// Counts one accepted write of an item.
    pub fn note_item_write(&mut self, id: &str) {
        *self.item_writes.entry(id.to_owned()).or_default() += 1;
    }

    /// Stores an accepted PUT at `now`; profiles show its data from `visible_at` on (the
    /// previous version until then).
    pub fn insert_item(&mut self, item: Item, now: Instant, visible_at: Instant) {
        if let Some(contribution) = &item.contribution {
            self.feed_by_user
                .entry(contribution.user_id.clone())
                .or_default()
                .insert(item.id.clone());
        }
        self.feed.entry(item.id.clone()).or_default().push(
            now,
            visible_at,
            item.contribution.clone(),
        );
        self.items.insert(item.id.clone(), item);
    }

    /// Removes an item at `now`; profiles stop showing its data at `visible_at`.
    pub fn remove_item(&mut self, id: &str, now: Instant, visible_at: Instant) -> Option<Item> {
        let item = self.items.remove(id)?;
        let Some(feed) = self.feed.get_mut(id) else {
            return Some(item);
        };
        let users: Vec<String> = feed.users().map(str::to_owned).collect();
        feed.push(now, visible_at, None);
        if feed.is_gone(now) {
            self.feed.remove(id);
            for user in users {
                if let Some(ids) = self.feed_by_user.get_mut(&user) {
                    ids.remove(id);
                    if ids.is_empty() {
                        self.feed_by_user.remove(&user);
                    }
                }
            }
        }
        Some(item)
    }

    /// This connection's contributions for one user that profiles show at `now`, in item-id
    /// order.
    pub fn contributions_for(&self, user_id: &str, now: Instant) -> Vec<&Contribution> {
        let Some(ids) = self.feed_by_user.get(user_id) else {
            return Vec::new();
        };
        let mut ids: Vec<&String> = ids.iter().collect();
        ids.sort();
        ids.into_iter()
            .filter_map(|id| self.feed.get(id)?.shown(now))
            .filter(|c| c.user_id == user_id)
            .collect()
    }
}
