//! Starting tenants: the built-in `empty` seed, and the `demo` seed read from the embedded
//! assets/demo files (format: assets/demo/README.md).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;

use super::EmulatorError;
use super::config::SeedKind;
use super::directory::{Directory, User};
use super::model::{Connection, ConnectionState, Operation, OperationStatus};
use super::profile::{self, ProfileEdit};
use super::routes::{connections, items, schema};
use super::state::{
    ENTRA_SOURCE_ID, ORG_DATA_SOURCE_ID, ProfileSource, PropertySetting, State, Tenant, source_url,
};

/// A seed before the directory exists (items need it to resolve their accounts).
pub(crate) struct RawSeed {
    pub tenant: Tenant,
    pub users: Vec<User>,
    sources: Vec<ProfileSource>,
    settings: Vec<PropertySetting>,
    connections: Vec<(String, ConnectionFile)>,
    profile_edits: Vec<EditFile>,
}

/// The app roles the seeded app holds when a seed does not list them (graph-api §4.3 sample).
const DEFAULT_APP_ROLES: &[&str] = &[
    "ExternalConnection.ReadWrite.OwnedBy",
    "ExternalItem.ReadWrite.OwnedBy",
    "PeopleSettings.ReadWrite.All",
    "User.Read.All",
];

/// The precedence setting's id in every docs example.
pub(crate) const PRECEDENCE_SETTING_ID: &str = "00000000-0000-0000-0000-000000000001";

fn entra_source() -> ProfileSource {
    ProfileSource {
        id: "520c18f8-3f1a-4f0e-9d2b-6c1f4a7e8b01".into(),
        source_id: ENTRA_SOURCE_ID.into(),
        display_name: Some("Microsoft Entra ID".into()),
        kind: Some("MSEntra".into()),
        web_url: Some("https://login.microsoftonline.com".into()),
        localizations: json!([]),
    }
}

fn org_data_source() -> ProfileSource {
    ProfileSource {
        id: "7c3e5b92-1d4a-4b6f-8e2c-9a0b1c2d3e02".into(),
        source_id: ORG_DATA_SOURCE_ID.into(),
        display_name: Some("Organizational data in Microsoft 365".into()),
        kind: Some("OrganizationalDataInMicrosoft365".into()),
        web_url: Some("https://admin.microsoft.com".into()),
        localizations: json!([]),
    }
}

fn empty_seed() -> RawSeed {
    let tenant = Tenant {
        id: "9b1f4c2e-5a3d-4e7b-8c6f-1d2e3f4a5b6c".into(),
        domain: "contoso.com".into(),
        display_name: "Contoso".into(),
        app_client_id: "3e7a9c1d-2b4f-4a6e-8d0c-5f1b7e9a2c4d".into(),
        app_display_name: "peoplectl emulator".into(),
        app_roles: DEFAULT_APP_ROLES.iter().map(|s| (*s).to_owned()).collect(),
        admin_upn: "admin@contoso.com".into(),
        created: datetime!(2026-11-01 09:00:00 UTC),
    };
    let admin = User {
        id: "a0d1e2f3-0000-4000-8000-00000000ad01".into(),
        user_principal_name: "admin@contoso.com".into(),
        display_name: Some("Contoso Admin".into()),
        given_name: Some("Contoso".into()),
        surname: Some("Admin".into()),
        mail: Some("admin@contoso.com".into()),
        job_title: Some("IT Administrator".into()),
        department: Some("IT".into()),
        company_name: Some("Contoso".into()),
        office_location: Some("Redmond 18/1001".into()),
        employee_id: Some("E0000001".into()),
        employee_type: Some("Employee".into()),
        employee_hire_date: Some("2020-01-06T00:00:00Z".into()),
        business_phones: vec!["+1 425 555 0100".into()],
        mobile_phone: None,
        city: Some("Redmond".into()),
        state: Some("WA".into()),
        country: Some("United States".into()),
        usage_location: Some("US".into()),
        preferred_language: Some("en-US".into()),
        account_enabled: true,
        user_type: None,
        manager_id: None,
        has_mailbox: true,
    };
    RawSeed {
        tenant,
        users: vec![admin],
        sources: vec![entra_source(), org_data_source()],
        settings: vec![PropertySetting {
            id: PRECEDENCE_SETTING_ID.into(),
            name: None,
            display_name: None,
            prioritized_source_urls: vec![source_url(ENTRA_SOURCE_ID)],
        }],
        connections: Vec::new(),
        profile_edits: Vec::new(),
    }
}

/// The demo seed's files, embedded at build time.
pub(crate) struct DemoFiles {
    pub tenant: &'static str,
    pub users: &'static str,
    pub profile_sources: &'static str,
    pub profile_property_settings: &'static str,
    pub connections_index: &'static str,
    /// Every file of connections/ by name; `connections/index.json` says which, in order.
    pub connections: &'static [(&'static str, &'static str)],
    /// What people wrote through the profile API (the `user` source).
    pub profile_edits: &'static str,
}

/// The embedded demo files. Every file `connections/index.json` may name is listed here
/// explicitly (no directory embedding): add a line when the seed gains a connection.
fn embedded_demo() -> DemoFiles {
    DemoFiles {
        tenant: include_str!("../../assets/demo/tenant.json"),
        users: include_str!("../../assets/demo/users.json"),
        profile_sources: include_str!("../../assets/demo/profile_sources.json"),
        profile_property_settings: include_str!("../../assets/demo/profile_property_settings.json"),
        connections_index: include_str!("../../assets/demo/connections/index.json"),
        profile_edits: include_str!("../../assets/demo/profile_edits.json"),
        connections: &[
            (
                "contosohr.json",
                include_str!("../../assets/demo/connections/contosohr.json"),
            ),
            (
                "talentlegacy.json",
                include_str!("../../assets/demo/connections/talentlegacy.json"),
            ),
            (
                "learningpeople.json",
                include_str!("../../assets/demo/connections/learningpeople.json"),
            ),
            (
                "wikiknowledge.json",
                include_str!("../../assets/demo/connections/wikiknowledge.json"),
            ),
        ],
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TenantFile {
    tenant_id: String,
    default_domain: String,
    display_name: String,
    app_client_id: String,
    app_display_name: String,
    #[serde(default)]
    app_roles: Option<Vec<String>>,
    admin_upn: String,
    created_date_time: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SourceFile {
    id: String,
    source_id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    web_url: Option<String>,
    #[serde(default)]
    localizations: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SettingFile {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    prioritized_source_urls: Vec<String>,
}

/// One entry of profile_edits.json.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EditFile {
    id: String,
    user_principal_name: String,
    collection: String,
    #[serde(default)]
    allowed_audiences: Option<String>,
    entity: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct ConnectionFile {
    connection: Value,
    #[serde(default)]
    schema: Option<Value>,
    #[serde(default)]
    operation: Option<Value>,
    #[serde(default)]
    items: Vec<Value>,
}

fn seed_error(file: &str, message: impl Into<String>) -> EmulatorError {
    EmulatorError::Seed {
        file: file.to_owned(),
        message: message.into(),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<T, EmulatorError> {
    serde_json::from_str(text).map_err(|e| seed_error(file, e.to_string()))
}

/// Parses the demo files (format of assets/demo/README.md).
pub(crate) fn parse_demo(files: &DemoFiles) -> Result<RawSeed, EmulatorError> {
    let tenant_file: TenantFile = parse("tenant.json", files.tenant)?;
    let created = OffsetDateTime::parse(&tenant_file.created_date_time, &Rfc3339)
        .map_err(|e| seed_error("tenant.json", format!("createdDateTime: {e}")))?;
    let tenant = Tenant {
        id: tenant_file.tenant_id,
        domain: tenant_file.default_domain,
        display_name: tenant_file.display_name,
        app_client_id: tenant_file.app_client_id,
        app_display_name: tenant_file.app_display_name,
        app_roles: tenant_file
            .app_roles
            .unwrap_or_else(|| DEFAULT_APP_ROLES.iter().map(|s| (*s).to_owned()).collect()),
        admin_upn: tenant_file.admin_upn,
        created,
    };
    let users: Vec<User> = parse("users.json", files.users)?;
    if !users.iter().any(|u| {
        u.user_principal_name
            .eq_ignore_ascii_case(&tenant.admin_upn)
    }) {
        return Err(seed_error(
            "users.json",
            format!(
                "the admin '{}' named in tenant.json is not a user",
                tenant.admin_upn
            ),
        ));
    }
    let sources: Vec<SourceFile> = parse("profile_sources.json", files.profile_sources)?;
    let sources = sources
        .into_iter()
        .map(|s| ProfileSource {
            id: s.id,
            source_id: s.source_id,
            display_name: s.display_name,
            kind: s.kind,
            web_url: s.web_url,
            localizations: s.localizations.unwrap_or_else(|| json!([])),
        })
        .collect();
    let settings: Vec<SettingFile> = parse(
        "profile_property_settings.json",
        files.profile_property_settings,
    )?;
    let settings = settings
        .into_iter()
        .map(|s| PropertySetting {
            id: s.id,
            name: s.name,
            display_name: s.display_name,
            prioritized_source_urls: s.prioritized_source_urls,
        })
        .collect();
    let index: Vec<String> = parse("connections/index.json", files.connections_index)?;
    let mut connections = Vec::new();
    for entry in index {
        let name = entry.rsplit('/').next().unwrap_or(&entry).to_owned();
        let text = files
            .connections
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, text)| *text)
            .ok_or_else(|| {
                seed_error(
                    "connections/index.json",
                    format!("lists '{name}', which is not embedded (add it to seed.rs)"),
                )
            })?;
        let path = format!("connections/{name}");
        connections.push((path.clone(), parse::<ConnectionFile>(&path, text)?));
    }
    let profile_edits = parse("profile_edits.json", files.profile_edits)?;
    Ok(RawSeed {
        tenant,
        users,
        sources,
        settings,
        connections,
        profile_edits,
    })
}

/// The raw seed of a kind.
pub(crate) fn load(kind: SeedKind) -> Result<RawSeed, EmulatorError> {
    match kind {
        SeedKind::Empty => Ok(empty_seed()),
        SeedKind::Demo => parse_demo(&embedded_demo()),
    }
}

fn build_connection(
    file: &str,
    raw: &ConnectionFile,
    directory: &Directory,
) -> Result<Connection, EmulatorError> {
    let error = |message: String| seed_error(file, message);
    let object = raw
        .connection
        .as_object()
        .ok_or_else(|| error("connection must be an object".into()))?;
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
    let id = text("id").ok_or_else(|| error("connection.id is required".into()))?;
    connections::validate_id(&id).map_err(|e| error(e.message))?;
    let state = text("state")
        .map(|s| ConnectionState::parse(&s).ok_or_else(|| error(format!("unknown state '{s}'"))))
        .transpose()?
        .unwrap_or(ConnectionState::Draft);
    let content_category = text("contentCategory").unwrap_or_else(|| "uncategorized".into());
    let people = content_category == "people";
    let parsed_schema = raw
        .schema
        .as_ref()
        .filter(|s| !s.is_null())
        .map(|s| schema::validate_schema(s, people, None).map_err(|e| error(e.message)))
        .transpose()?;
    let operations = match raw.operation.as_ref().filter(|o| !o.is_null()) {
        None => Vec::new(),
        Some(op) => {
            let op_id = op["id"]
                .as_str()
                .ok_or_else(|| error("operation.id is required".into()))?;
            let status = match op["status"].as_str() {
                Some("completed") => OperationStatus::Completed,
                Some("failed") => OperationStatus::Failed {
                    code: op["error"]["code"]
                        .as_str()
                        .unwrap_or("UnknownError")
                        .to_owned(),
                    message: op["error"]["message"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                },
                other => {
                    return Err(error(format!(
                        "operation.status {other:?} is not completed or failed"
                    )));
                }
            };
            vec![Operation {
                id: op_id.to_owned(),
                status,
            }]
        }
    };
    let active_schema = parsed_schema
        .clone()
        .filter(|_| state == ConnectionState::Ready);
    if state == ConnectionState::Ready && active_schema.is_none() {
        return Err(error(format!(
            "connection '{id}' is ready but has no schema"
        )));
    }
    let mut connection = Connection {
        id: id.clone(),
        name: text("name").unwrap_or_else(|| id.clone()),
        description: text("description"),
        content_category,
        state,
        configuration: object
            .get("configuration")
            .cloned()
            .unwrap_or_else(|| json!({"authorizedAppIds": []})),
        extra: ["activitySettings", "searchSettings", "connectorId"]
            .iter()
            .filter_map(|k| {
                object
                    .get(*k)
                    .filter(|v| !v.is_null())
                    .map(|v| ((*k).to_owned(), v.clone()))
            })
            .collect(),
        schema: parsed_schema,
        active_schema,
        operations,
        items: HashMap::new(),
        feed: HashMap::new(),
        feed_by_user: HashMap::new(),
        item_writes: HashMap::new(),
    };
    if !raw.items.is_empty() {
        let Some(schema) = connection.active_schema.clone() else {
            return Err(error(format!(
                "connection '{id}' has items but is not ready"
            )));
        };
        for body in &raw.items {
            let item_id = body["id"]
                .as_str()
                .ok_or_else(|| error("every item needs an id".into()))?;
            items::validate_item_id(item_id).map_err(|e| error(e.message))?;
            let item = items::validate_item(item_id, body, &schema, &id, people, directory)
                .map_err(|e| error(format!("item '{item_id}': {}", e.message)))?;
            // The seed's items have long been live.
            let now = std::time::Instant::now();
            connection.insert_item(item, now, now);
        }
    }
    Ok(connection)
}

/// The tenant state of a raw seed, every connection, schema and item checked by the same rules
/// as the API.
pub(crate) fn build_state(raw: RawSeed, directory: &Directory) -> Result<State, EmulatorError> {
    let mut state = State {
        sources: raw.sources,
        settings: raw.settings,
        ..State::default()
    };
    for (file, connection_file) in &raw.connections {
        let connection = build_connection(file, connection_file, directory)?;
        let key = connection.id.to_ascii_lowercase();
        if state.connections.insert(key, connection).is_some() {
            return Err(seed_error(file, "duplicate connection id"));
        }
    }
    for edit in raw.profile_edits {
        let error = |message: String| seed_error("profile_edits.json", message);
        let user = directory
            .find(&edit.user_principal_name)
            .ok_or_else(|| error(format!("no user '{}'", edit.user_principal_name)))?;
        let (collection, type_name) = profile::types::COLLECTIONS
            .iter()
            .find(|(c, _)| *c == edit.collection)
            .copied()
            .ok_or_else(|| error(format!("no profile collection '{}'", edit.collection)))?;
        if let Some(member) = profile::types::undeclared_member(type_name, &edit.entity) {
            return Err(error(format!("'{member}' is not a {type_name} property")));
        }
        state
            .profile_edits
            .entry(user.id.to_ascii_lowercase())
            .or_default()
            .push(ProfileEdit {
                id: edit.id,
                collection,
                entity: edit.entity,
                allowed_audiences: edit
                    .allowed_audiences
                    .unwrap_or_else(|| "organization".into()),
                author: user.id.clone(),
                created: raw.tenant.created,
                modified: raw.tenant.created,
            });
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = r#"{"tenantId":"11111111-2222-3333-4444-555555555555","defaultDomain":"contoso.com",
        "displayName":"Contoso","appClientId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "appDisplayName":"peoplectl demo","appRoles":["User.Read.All"],"adminUpn":"admin@contoso.com",
        "createdDateTime":"2026-11-01T09:00:00Z"}"#;
    const USERS: &str = r#"[
        {"id":"00000000-0000-0000-0000-0000000000a1","userPrincipalName":"admin@contoso.com","displayName":"Admin","businessPhones":[],"managerId":null,"hasMailbox":true},
        {"id":"00000000-0000-0000-0000-0000000000a2","userPrincipalName":"alexw@contoso.com","displayName":"Alex Wilber","jobTitle":"Engineer","businessPhones":["+1 1"],"managerId":"00000000-0000-0000-0000-0000000000a1","hasMailbox":true}]"#;
    const SOURCES: &str = r#"[{"id":"520c18f8-0000-0000-0000-000000000001","sourceId":"4ce763dd-9214-4eff-af7c-da491cc3782d","displayName":"Microsoft Entra ID","kind":"MSEntra","webUrl":"https://login.microsoftonline.com","localizations":[]},
        {"id":"520c18f8-0000-0000-0000-000000000002","sourceId":"contosohr","displayName":"Contoso HR","kind":"Workday","webUrl":"https://hr.contoso.com","localizations":[]}]"#;
    const SETTINGS: &str = r#"[{"id":"00000000-0000-0000-0000-000000000001","name":null,"displayName":null,
        "prioritizedSourceUrls":["https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='contosohr')",
        "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='4ce763dd-9214-4eff-af7c-da491cc3782d')"]}]"#;
    const INDEX: &str = r#"["contosohr.json"]"#;
    const HR: &str = r#"{"connection":{"id":"contosohr","name":"Contoso HR","description":"HR","contentCategory":"people","state":"ready","configuration":{"authorizedAppIds":[]}},
        "schema":{"baseType":"microsoft.graph.externalItem","properties":[
            {"name":"account","type":"string","labels":["personAccount"]},
            {"name":"position","type":"string","labels":["personCurrentPosition"]}]},
        "operation":{"id":"0f0f0f0f-0000-0000-0000-000000000001","status":"completed"},
        "items":[{"id":"alexw_at_contoso_dot_com","acl":[{"type":"everyone","value":"everyone","accessType":"grant"}],
            "properties":{"account":"{\"userPrincipalName\":\"alexw@contoso.com\"}","position":"{\"detail\":{\"jobTitle\":\"Staff Engineer\"}}"},
            "content":{"type":"text","value":"Alex"}}]}"#;

    fn files() -> DemoFiles {
        DemoFiles {
            tenant: TENANT,
            users: USERS,
            profile_sources: SOURCES,
            profile_property_settings: SETTINGS,
            connections_index: INDEX,
            connections: &[("contosohr.json", HR)],
            profile_edits: r#"[{"id":"0e0e0e0e-0000-0000-0000-000000000001","userPrincipalName":"alexw@contoso.com",
                "collection":"positions","entity":{"detail":{"jobTitle":"Chief Happiness Officer"}}}]"#,
        }
    }

    #[test]
    fn demo_format_loads_with_contributions() {
        let raw = parse_demo(&files()).unwrap();
        assert_eq!(raw.tenant.app_roles, vec!["User.Read.All"]);
        let directory = Directory::new(raw.users.clone(), 0, "contoso.com", "Contoso");
        let state = build_state(raw, &directory).unwrap();
        let hr = state.connection("contosohr").unwrap();
        assert_eq!(hr.state, ConnectionState::Ready);
        assert_eq!(hr.items.len(), 1);
        let contributions = hr.contributions_for(
            "00000000-0000-0000-0000-0000000000a2",
            std::time::Instant::now(),
        );
        assert_eq!(contributions.len(), 1);
        assert_eq!(
            contributions[0].entities["positions"][0]["detail"]["jobTitle"],
            "Staff Engineer"
        );
        let edits = &state.profile_edits["00000000-0000-0000-0000-0000000000a2"];
        assert_eq!(edits[0].collection, "positions");
        assert_eq!(
            edits[0].entity["detail"]["jobTitle"],
            "Chief Happiness Officer"
        );
    }

    #[test]
    fn profile_edits_name_known_people_and_declared_members() {
        let mut bad = files();
        bad.profile_edits = r#"[{"id":"x","userPrincipalName":"nobody@contoso.com","collection":"positions","entity":{}}]"#;
        let raw = parse_demo(&bad).unwrap();
        let directory = Directory::new(raw.users.clone(), 0, "contoso.com", "Contoso");
        let err = build_state(raw, &directory).err().unwrap().to_string();
        assert!(
            err.contains("profile_edits.json") && err.contains("nobody"),
            "{err}"
        );
        bad.profile_edits = r#"[{"id":"x","userPrincipalName":"alexw@contoso.com","collection":"skills","entity":{"hobby":1}}]"#;
        let raw = parse_demo(&bad).unwrap();
        let directory = Directory::new(raw.users.clone(), 0, "contoso.com", "Contoso");
        let err = build_state(raw, &directory).err().unwrap().to_string();
        assert!(err.contains("hobby"), "{err}");
    }

    #[test]
    fn demo_errors_name_the_file() {
        let mut bad = files();
        bad.connections_index = r#"["missing.json"]"#;
        let err = parse_demo(&bad).err().unwrap().to_string();
        assert!(err.contains("missing.json"), "{err}");
        let mut bad = files();
        bad.connections = &[(
            "contosohr.json",
            r#"{"connection":{"id":"contoso-hr","state":"draft"},"schema":null,"operation":null,"items":[]}"#,
        )];
        let raw = parse_demo(&bad).unwrap();
        let directory = Directory::new(raw.users.clone(), 0, "contoso.com", "Contoso");
        let err = build_state(raw, &directory).err().unwrap().to_string();
        assert!(err.contains("connections/contosohr.json"), "{err}");
    }

    #[test]
    fn embedded_demo_seed_loads() {
        let raw = load(SeedKind::Demo).unwrap();
        let directory = Directory::new(raw.users.clone(), 0, &raw.tenant.domain, "Contoso");
        let state = build_state(raw, &directory).unwrap();
        let hr = state.connection("contosohr").unwrap();
        assert_eq!(hr.items.len(), 291);
        assert_eq!(state.connection("talentlegacy").unwrap().items.len(), 100);
        assert_eq!(
            state.connection("learningpeople").unwrap().state,
            ConnectionState::Draft
        );
        // Talent Hub's preview-contract items contribute too, except people who left.
        let legacy = state.connection("talentlegacy").unwrap();
        let contributing = legacy
            .items
            .values()
            .filter(|i| i.contribution.is_some())
            .count();
        assert!((95..100).contains(&contributing), "{contributing}");
    }

    #[test]
    fn empty_seed_has_the_documented_defaults() {
        let raw = load(SeedKind::Empty).unwrap();
        assert_eq!(raw.sources.len(), 2);
        assert_eq!(
            raw.settings[0].prioritized_source_urls,
            vec![source_url(ENTRA_SOURCE_ID)]
        );
        assert!(raw.settings[0].is_nameless());
    }
}
