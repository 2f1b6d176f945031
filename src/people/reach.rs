//! Whether a connector's data reaches one user's profile, and if not, why: the service's
//! documented reasons (graph-api.md §4.3), decided only from what Graph lets a client see.

use serde::Serialize;
use serde_json::Value;

use super::compose::SourceEntities;
use super::item::ItemLayout;

/// What Graph shows about a user's Exchange Online mailbox.
///
/// Decided from `assignedPlans`: an account has an Exchange Online mailbox when a plan of
/// service `exchange` is assigned with `capabilityStatus` `Enabled`. `mail` cannot tell (it is
/// set for contractors and mail users who have no mailbox, as for the demo's Mykola), and
/// `mailboxSettings` needs another permission and one call per user, where `assignedPlans`
/// comes with the user list peoplectl reads anyway (`User.Read.All`, on `$select`). A shared
/// mailbox has a mailbox without a plan; such accounts are not people and are judged
/// mailbox-less here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Mailbox {
    /// An enabled Exchange Online plan is assigned.
    Exchange,
    /// No enabled Exchange Online plan: the service ignores connector data for the account.
    None,
    /// Graph did not say (`assignedPlans` was not returned): connector data is assumed to count.
    Unknown,
}

impl Mailbox {
    /// The mailbox fact of a Graph `user` JSON (with `assignedPlans` selected).
    pub fn from_user(user: &Value) -> Self {
        let Some(plans) = user.get("assignedPlans").and_then(Value::as_array) else {
            return Self::Unknown;
        };
        let exchange = plans.iter().any(|p| {
            let field = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default();
            field("service").eq_ignore_ascii_case("exchange")
                && field("capabilityStatus").eq_ignore_ascii_case("enabled")
        });
        if exchange { Self::Exchange } else { Self::None }
    }
}

/// Who a user is, as far as matching connector items goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFacts {
    pub upn: String,
    /// The Entra object id.
    pub object_id: String,
    pub mailbox: Mailbox,
}

impl UserFacts {
    /// The facts of a Graph `user` JSON.
    pub fn from_user(user: &Value) -> Self {
        let text = |k: &str| {
            user.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Self {
            upn: text("userPrincipalName"),
            object_id: text("id"),
            mailbox: Mailbox::from_user(user),
        }
    }
}

/// Where a connection stands, as far as its data reaching profiles goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorFacts {
    /// Registered as a profile source.
    pub registered: bool,
    /// The connection's state (`ready`, `draft`, ...).
    pub state: String,
    /// `contentCategory` is `people`.
    pub people_category: bool,
    /// The schema follows the labels contract (which needs the people category).
    pub labels_contract: bool,
    /// The schema follows a people contract at all (items can be read as profile data).
    pub people_schema: bool,
}

/// Why a connector's data does not count for a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Ignored {
    /// The connection is not a profile source.
    NotRegistered,
    /// A profile source the precedence list does not name: it contributes nothing.
    NotInPrecedence,
    /// The connection is not `ready` (a draft has no schema; an obsolete one serves nothing).
    ConnectionNotReady,
    /// A labelled schema on a connection whose `contentCategory` is not `people`.
    NotPeopleCategory,
    /// The schema follows no people contract.
    NoPeopleSchema,
    /// No item for this user: nothing ingested yet.
    NoItem,
    /// The item has no readable account, so the service cannot tie it to anyone.
    NoAccount,
    /// The item's account names someone else (by UPN and object id).
    OtherAccount,
    /// The user has no Exchange Online mailbox.
    NoMailbox,
}

impl Ignored {
    /// The reason in words, for "contosohr ignored: no Exchange mailbox".
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotRegistered => "not registered as a profile source",
            Self::NotInPrecedence => "not in the precedence list",
            Self::ConnectionNotReady => "connection not ready",
            Self::NotPeopleCategory => "connection's contentCategory is not people",
            Self::NoPeopleSchema => "no people schema",
            Self::NoItem => "nothing ingested for this user yet",
            Self::NoAccount => "item has no account the service can read",
            Self::OtherAccount => "item's account is not this user (unmatched)",
            Self::NoMailbox => "no Exchange mailbox",
        }
    }
}

/// Whether a connection's data can reach any profile.
pub fn connector_counts(facts: &ConnectorFacts) -> Result<(), Ignored> {
    if !facts.registered {
        return Err(Ignored::NotRegistered);
    }
    // limitExceeded only stops new items; what was ingested still serves.
    if !matches!(facts.state.as_str(), "ready" | "limitExceeded") {
        return Err(Ignored::ConnectionNotReady);
    }
    if !facts.people_schema {
        return Err(Ignored::NoPeopleSchema);
    }
    if facts.labels_contract && !facts.people_category {
        return Err(Ignored::NotPeopleCategory);
    }
    Ok(())
}

/// Whether an item's entities count for this user: its (first) account must name the user by
/// UPN, or by object id, and the user must have an Exchange Online mailbox.
pub fn item_counts(user: &UserFacts, entities: &SourceEntities) -> Result<(), Ignored> {
    let account = entities
        .collections
        .get("account")
        .and_then(|a| a.first())
        .ok_or(Ignored::NoAccount)?;
    let field = |k: &str| account.get(k).and_then(Value::as_str).unwrap_or_default();
    let (upn, oid) = (
        field("userPrincipalName"),
        field("externalDirectoryObjectId"),
    );
    if upn.is_empty() && oid.is_empty() {
        return Err(Ignored::NoAccount);
    }
    let by_upn = !upn.is_empty() && upn.eq_ignore_ascii_case(&user.upn);
    let by_id =
        !oid.is_empty() && !user.object_id.is_empty() && oid.eq_ignore_ascii_case(&user.object_id);
    if !(by_upn || by_id) {
        return Err(Ignored::OtherAccount);
    }
    if user.mailbox == Mailbox::None {
        return Err(Ignored::NoMailbox);
    }
    Ok(())
}

/// A labelled value of an item the service would skip: not valid JSON, or not an object (or
/// an array of objects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvalidValue {
    /// The item property.
    pub property: String,
    /// The profile collection it would feed (`positions`, `skills`, ...).
    pub collection: String,
}

/// The labelled values of an item the service would silently skip.
pub fn invalid_values(layout: &ItemLayout, properties: &Value) -> Vec<InvalidValue> {
    let mut out: Vec<InvalidValue> = Vec::new();
    for (kind, name) in &layout.people {
        if out.iter().any(|o| o.property == *name) {
            continue;
        }
        let Some(value) = properties.get(name.as_str()) else {
            continue;
        };
        let texts: Vec<Option<&str>> = match value {
            Value::String(s) => vec![Some(s.as_str())],
            Value::Array(items) => items.iter().map(Value::as_str).collect(),
            Value::Null => Vec::new(),
            _ => vec![None],
        };
        let bad = texts.iter().any(|t| match t {
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(_)) => false,
                Ok(Value::Array(items)) => !items.iter().all(Value::is_object),
                _ => true,
            },
            None => true,
        });
        if bad {
            out.push(InvalidValue {
                property: name.clone(),
                collection: kind.collection().to_owned(),
            });
        }
    }
    out
}

/// A connector's entities as the profile shows them, once they have matched the user: the
/// account's `externalDirectoryObjectId` names whom the item is for and is no property of the
/// profile's userAccountInformation (graph-api.md §4.4).
pub fn as_on_profile(mut entities: SourceEntities) -> SourceEntities {
    for account in entities
        .collections
        .get_mut("account")
        .into_iter()
        .flatten()
    {
        if let Some(object) = account.as_object_mut() {
            object.remove("externalDirectoryObjectId");
        }
    }
    entities
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::entities::EntityKind;
    use crate::people::ids::SourceId;
    use crate::people::schema::Contract;
    use serde_json::json;

    fn user(mailbox: Mailbox) -> UserFacts {
        UserFacts {
            upn: "mykola.shevchenko@contoso.com".into(),
            object_id: "75d54d9c-2546-501d-a66a-947c9328e9a9".into(),
            mailbox,
        }
    }

    fn item(account: Value) -> SourceEntities {
        SourceEntities::new(SourceId::new("contosohr").unwrap())
            .with("account", account)
            .with(
                "positions",
                json!({"detail": {"jobTitle": "Senior Software Engineer"}}),
            )
    }

    #[test]
    fn the_mailbox_is_read_from_enabled_exchange_plans() {
        let plan = |service: &str, status: &str| json!({"service": service, "capabilityStatus": status, "servicePlanId": "x"});
        let with = |plans: Value| Mailbox::from_user(&json!({"assignedPlans": plans}));
        assert_eq!(
            with(json!([plan("exchange", "Enabled")])),
            Mailbox::Exchange
        );
        assert_eq!(
            with(json!([plan("TeamspaceAPI", "Enabled")])),
            Mailbox::None
        );
        assert_eq!(with(json!([plan("exchange", "Deleted")])), Mailbox::None);
        assert_eq!(with(json!([])), Mailbox::None);
        // `mail` says nothing about a mailbox; without assignedPlans the fact is unknown.
        assert_eq!(
            Mailbox::from_user(&json!({"mail": "a@b.c"})),
            Mailbox::Unknown
        );
    }

    #[test]
    fn an_item_counts_only_for_the_account_it_names_and_only_with_a_mailbox() {
        let upn = json!({"userPrincipalName": "Mykola.Shevchenko@contoso.com"});
        assert_eq!(
            item_counts(&user(Mailbox::Exchange), &item(upn.clone())),
            Ok(())
        );
        assert_eq!(
            item_counts(&user(Mailbox::Unknown), &item(upn.clone())),
            Ok(())
        );
        assert_eq!(
            item_counts(&user(Mailbox::None), &item(upn)),
            Err(Ignored::NoMailbox)
        );
        let by_id = json!({"externalDirectoryObjectId": "75D54D9C-2546-501D-A66A-947C9328E9A9"});
        assert_eq!(item_counts(&user(Mailbox::Exchange), &item(by_id)), Ok(()));
        let other = json!({"userPrincipalName": "hannah.schultz@contoso.com"});
        assert_eq!(
            item_counts(&user(Mailbox::Exchange), &item(other)),
            Err(Ignored::OtherAccount)
        );
        let none = SourceEntities::new(SourceId::new("hr").unwrap());
        assert_eq!(
            item_counts(&user(Mailbox::Exchange), &none),
            Err(Ignored::NoAccount)
        );
        assert_eq!(
            item_counts(
                &user(Mailbox::Exchange),
                &item(json!({"ageGroup": "adult"}))
            ),
            Err(Ignored::NoAccount)
        );
    }

    #[test]
    fn a_connection_counts_when_registered_ready_and_people() {
        let ready = ConnectorFacts {
            registered: true,
            state: "ready".into(),
            people_category: true,
            labels_contract: true,
            people_schema: true,
        };
        assert_eq!(connector_counts(&ready), Ok(()));
        let with = |f: fn(&mut ConnectorFacts)| {
            let mut facts = ready.clone();
            f(&mut facts);
            connector_counts(&facts)
        };
        assert_eq!(with(|f| f.registered = false), Err(Ignored::NotRegistered));
        assert_eq!(
            with(|f| f.state = "draft".into()),
            Err(Ignored::ConnectionNotReady)
        );
        assert_eq!(with(|f| f.state = "limitExceeded".into()), Ok(()));
        assert_eq!(
            with(|f| f.people_category = false),
            Err(Ignored::NotPeopleCategory)
        );
        // The preview contract predates contentCategory.
        assert_eq!(
            with(|f| {
                f.people_category = false;
                f.labels_contract = false;
            }),
            Ok(())
        );
        assert_eq!(
            with(|f| f.people_schema = false),
            Err(Ignored::NoPeopleSchema)
        );
    }

    #[test]
    fn invalid_labelled_values_are_named() {
        let layout = ItemLayout::default_for(Contract::Labels);
        let position = layout
            .property_for(EntityKind::CurrentPosition)
            .unwrap()
            .to_owned();
        let skills = layout.property_for(EntityKind::Skills).unwrap().to_owned();
        let account = layout.property_for(EntityKind::Account).unwrap().to_owned();
        let mut properties = serde_json::Map::new();
        properties.insert(account, json!("{\"userPrincipalName\":\"a@b.c\"}"));
        properties.insert(position.clone(), json!("{\"detail\": {\"jobTitle\": "));
        properties.insert(skills.clone(), json!(["{\"displayName\":\"Rust\"}", "42"]));
        let properties = Value::Object(properties);
        let bad = invalid_values(&layout, &properties);
        let names: Vec<&str> = bad.iter().map(|b| b.property.as_str()).collect();
        assert_eq!(names.len(), 2, "{bad:?}");
        assert!(names.contains(&position.as_str()));
        assert!(names.contains(&skills.as_str()));
        assert!(bad.iter().any(|b| b.collection == "positions"));
    }
}
