//! Every route the emulator serves, in both versions, answers with bodies that follow
//! Microsoft's metadata (`tests/fixtures/graph-served-types.json`, derived from
//! msgraph-metadata; its `_source` names the files and commits): every declared property is
//! present (null when unset, unless Graph documents leaving it out), enum values are members,
//! collections are arrays, dates parse, and nothing undeclared in that version is served.
//! Beta-only paths answer 400 in v1.0.

use std::collections::HashMap;

use peoplectl::emulator::SeedKind;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::support::raw::{Env, config, env_with};

#[derive(Debug, Deserialize)]
struct Property {
    #[serde(rename = "type")]
    type_name: Option<String>,
    nullable: bool,
}

#[derive(Debug, Deserialize)]
struct TypeDef {
    base: Option<String>,
    #[serde(default)]
    open: bool,
    properties: HashMap<String, Property>,
}

#[derive(Debug, Deserialize)]
struct EnumDef {
    flags: bool,
    members: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    types: HashMap<String, TypeDef>,
    enums: HashMap<String, EnumDef>,
}

fn metadata() -> HashMap<String, Metadata> {
    let text = include_str!("../../fixtures/graph-served-types.json");
    let mut all: HashMap<String, Value> = serde_json::from_str(text).expect("the fixture parses");
    ["v1.0", "beta"]
        .iter()
        .map(|v| {
            let meta = serde_json::from_value(all.remove(*v).expect("a version"))
                .expect("the version's metadata parses");
            ((*v).to_owned(), meta)
        })
        .collect()
}

/// Declared members the emulator serves differently on purpose, with the reason.
const EXEMPT: &[(&str, &str, &str)] = &[
    (
        "microsoft.graph.externalConnectors.schema",
        "id",
        "the schema is a singleton under its connection; there is no id of its own to serve",
    ),
    (
        "microsoft.graph.externalConnectors.connectionQuota",
        "id",
        "the quota is a singleton under its connection; there is no id of its own to serve",
    ),
    (
        "microsoft.graph.userAccountInformation",
        "ageGroup",
        "declared non-nullable, but the resource page lists null as an allowed value",
    ),
];

fn exempt(type_name: &str, property: &str) -> bool {
    EXEMPT
        .iter()
        .any(|(t, p, _)| *t == type_name && *p == property)
}

/// Types whose responses carry only a default or selected subset of properties (Graph
/// documents this for users: a default set unless `$select` names others).
const PARTIAL: &[&str] = &["microsoft.graph.user", "microsoft.graph.directoryObject"];

struct Checker<'a> {
    meta: &'a Metadata,
    problems: Vec<String>,
    /// How many objects were checked (nested ones included).
    objects: usize,
}

/// The properties `type_name` declares, its base types' included.
fn declared<'m>(meta: &'m Metadata, type_name: &str) -> Vec<(&'m str, &'m Property)> {
    let mut out = Vec::new();
    let mut next = meta.types.get_key_value(type_name).map(|(k, _)| k.as_str());
    while let Some(name) = next {
        let Some(def) = meta.types.get(name) else {
            break;
        };
        out.extend(def.properties.iter().map(|(k, v)| (k.as_str(), v)));
        next = def.base.as_deref();
    }
    out
}

impl Checker<'_> {
    fn is_open(&self, type_name: &str) -> bool {
        self.meta.types.get(type_name).is_some_and(|t| t.open)
    }

    fn object(&mut self, where_: &str, type_name: &str, value: &Value) {
        self.objects += 1;
        let Some(object) = value.as_object() else {
            self.problems.push(format!(
                "{where_}: expected a {type_name} object, got {value}"
            ));
            return;
        };
        if !self.meta.types.contains_key(type_name) {
            self.problems.push(format!(
                "{where_}: {type_name} is not in this version's metadata"
            ));
            return;
        }
        let partial = PARTIAL.contains(&type_name);
        for (name, property) in declared(self.meta, type_name) {
            let at = format!("{where_}.{name}");
            match object.get(name) {
                None if partial || exempt(type_name, name) => {}
                None => self.problems.push(format!("{at}: declared but missing")),
                Some(Value::Null) if property.nullable || exempt(type_name, name) => {}
                Some(Value::Null) => self
                    .problems
                    .push(format!("{at}: null, declared non-nullable")),
                Some(value) => {
                    if let Some(t) = &property.type_name {
                        self.value(&at, t, value);
                    }
                }
            }
        }
        let names: Vec<&str> = declared(self.meta, type_name)
            .iter()
            .map(|(n, _)| *n)
            .collect();
        if !self.is_open(type_name) {
            for key in object.keys() {
                if key.contains('@') || names.contains(&key.as_str()) {
                    continue;
                }
                self.problems.push(format!(
                    "{where_}.{key}: not declared on {type_name} in this version"
                ));
            }
        }
    }

    fn value(&mut self, at: &str, type_name: &str, value: &Value) {
        if let Some(inner) = type_name
            .strip_prefix("Collection(")
            .and_then(|t| t.strip_suffix(')'))
        {
            match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.value(&format!("{at}[{i}]"), inner, item);
                    }
                }
                None => self
                    .problems
                    .push(format!("{at}: {type_name} must be an array, got {value}")),
            }
            return;
        }
        let ok = match type_name {
            "Edm.String" | "Edm.Guid" | "Edm.Binary" | "Edm.Duration" => value.is_string(),
            "Edm.Boolean" => value.is_boolean(),
            "Edm.Int32" | "Edm.Int64" | "Edm.Double" | "Edm.Single" | "Edm.Decimal" => {
                value.is_number()
            }
            "Edm.DateTimeOffset" => value.as_str().is_some_and(|s| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .is_ok()
            }),
            "Edm.Date" => value.as_str().is_some_and(|s| {
                time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
                    .is_ok()
            }),
            other if self.meta.enums.contains_key(other) => {
                let def = &self.meta.enums[other];
                value.as_str().is_some_and(|s| {
                    let mut parts = s.split(',').map(str::trim);
                    if def.flags {
                        parts.all(|p| def.members.iter().any(|m| m == p))
                    } else {
                        def.members.iter().any(|m| m == s)
                    }
                })
            }
            other if self.meta.types.contains_key(other) => {
                self.object(at, other, value);
                true
            }
            other => {
                self.problems
                    .push(format!("{at}: type {other} is not in the fixture"));
                true
            }
        };
        if !ok {
            self.problems
                .push(format!("{at}: {value} is not a valid {type_name}"));
        }
    }
}

const G: &str = "microsoft.graph.";
const X: &str = "microsoft.graph.externalConnectors.";

/// One served read: its path under the version root and the type of its body (`[T]` for a
/// collection of T).
fn reads(version: &str) -> Vec<(String, String)> {
    let beta = version == "beta";
    let mut out: Vec<(String, String)> = vec![
        (
            "/external/connections".into(),
            format!("[{X}externalConnection]"),
        ),
        ("/admin/people".into(), format!("{G}peopleAdminSettings")),
        (
            "/admin/people/itemInsights".into(),
            format!("{G}insightsSettings"),
        ),
        (
            "/admin/people/pronouns".into(),
            format!("{G}pronounsSettings"),
        ),
        (
            "/admin/people/profileCardProperties".into(),
            format!("[{G}profileCardProperty]"),
        ),
        (
            "/admin/people/profileSources".into(),
            format!("[{G}profileSource]"),
        ),
        (
            "/admin/people/profileSources(sourceId='contosohr')".into(),
            format!("{G}profileSource"),
        ),
        (
            "/admin/people/profilePropertySettings".into(),
            format!("[{G}profilePropertySetting]"),
        ),
        (
            "/admin/people/profilePropertySettings/00000000-0000-0000-0000-000000000001".into(),
            format!("{G}profilePropertySetting"),
        ),
        ("/users?$top=5".into(), format!("[{G}user]")),
        ("/users/alex.wilber@contoso.com".into(), format!("{G}user")),
    ];
    for id in [
        "contosohr",
        "talentlegacy",
        "learningpeople",
        "wikiknowledge",
    ] {
        out.push((
            format!("/external/connections/{id}"),
            format!("{X}externalConnection"),
        ));
        out.push((
            format!("/external/connections/{id}/operations"),
            format!("[{X}connectionOperation]"),
        ));
        if id != "learningpeople" {
            out.push((
                format!("/external/connections/{id}/schema"),
                format!("{X}schema"),
            ));
        }
        if beta {
            out.push((
                format!("/external/connections/{id}/quota"),
                format!("{X}connectionQuota"),
            ));
        }
    }
    out.push((
        "/external/connections/contosohr/items/alex_dot_wilber_at_contoso_dot_com".into(),
        format!("{X}externalItem"),
    ));
    out.push((
        "/external/connections/talentlegacy/items/alex_dot_wilber_at_contoso_dot_com".into(),
        format!("{X}externalItem"),
    ));
    if beta {
        out.push((
            "/admin/people/namePronunciation".into(),
            format!("{G}namePronunciationSettings"),
        ));
        out.push((
            "/admin/people/photoUpdateSettings".into(),
            format!("{G}photoUpdateSettings"),
        ));
        for (collection, type_name) in PROFILE {
            for upn in ["achieng.kiprono@contoso.com", "abhishek.hegde@contoso.com"] {
                out.push((
                    format!("/users/{upn}/profile/{collection}"),
                    format!("[{G}{type_name}]"),
                ));
            }
        }
    }
    out
}

/// The profile's collections and their entity types (TM-beta; USNat for anniversaries).
const PROFILE: &[(&str, &str)] = &[
    ("account", "userAccountInformation"),
    ("addresses", "itemAddress"),
    ("anniversaries", "personAnniversary"),
    ("awards", "personAward"),
    ("certifications", "personCertification"),
    ("educationalActivities", "educationalActivity"),
    ("emails", "itemEmail"),
    ("interests", "personInterest"),
    ("languages", "languageProficiency"),
    ("names", "personName"),
    ("notes", "personAnnotation"),
    ("patents", "itemPatent"),
    ("phones", "itemPhone"),
    ("positions", "workPosition"),
    ("projects", "projectParticipation"),
    ("publications", "itemPublication"),
    ("skills", "skillProficiency"),
    ("webAccounts", "webAccount"),
    ("websites", "personWebsite"),
];

/// Paths served only in beta; v1.0 answers 400 naming the segment.
const BETA_ONLY: &[&str] = &[
    "/external/connections/contosohr/quota",
    "/admin/people/namePronunciation",
    "/admin/people/photoUpdateSettings",
    "/users/alex.wilber@contoso.com/profile",
];

fn check_body(checker: &mut Checker<'_>, where_: &str, expected: &str, body: &Value) {
    match expected.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Some(item_type) => match body["value"].as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    checker.object(&format!("{where_}[{i}]"), item_type, item);
                }
            }
            None => checker
                .problems
                .push(format!("{where_}: no value array in {body}")),
        },
        None => checker.object(where_, expected, body),
    }
}

async fn demo() -> Env {
    let mut config = config();
    config.seed = SeedKind::Demo;
    env_with(config).await
}

#[tokio::test]
async fn every_served_body_follows_the_metadata() {
    let env = demo().await;
    let metadata = metadata();
    let token = env
        .emu
        .mint_user_token(
            env.emu.admin_upn(),
            &[
                "User.Read.All",
                "User.ReadWrite.All",
                "PeopleSettings.ReadWrite.All",
                "ExternalConnection.ReadWrite.All",
                "ExternalItem.ReadWrite.All",
            ],
            600,
        )
        .expect("the admin");
    let mut problems = Vec::new();
    let mut checked = 0;
    for version in ["v1.0", "beta"] {
        let mut checker = Checker {
            meta: &metadata[version],
            problems: Vec::new(),
            objects: 0,
        };
        for (path, expected) in reads(version) {
            let full = format!("/{version}{path}");
            let got = env.call_as(&token, Method::GET, &full, None, &[]).await;
            assert_eq!(got.status, StatusCode::OK, "{full}: {}", got.text);
            check_body(&mut checker, &full, &expected, &got.body);
        }
        // Writes answer with bodies too.
        let id = format!("conform{}", version.replace('.', ""));
        let created = env
            .call_as(
                &token,
                Method::POST,
                &format!("/{version}/external/connections"),
                Some(&json!({"id": id, "name": "Conformance", "contentCategory": "people"})),
                &[],
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        check_body(
            &mut checker,
            "POST connection",
            &format!("{X}externalConnection"),
            &created.body,
        );
        let source = env
            .call_as(
                &token,
                Method::POST,
                &format!("/{version}/admin/people/profileSources"),
                Some(&json!({"sourceId": id, "displayName": "Conformance", "webUrl": "https://hr.contoso.com"})),
                &[],
            )
            .await;
        assert_eq!(source.status, StatusCode::CREATED, "{}", source.text);
        check_body(
            &mut checker,
            "POST profileSource",
            &format!("{G}profileSource"),
            &source.body,
        );
        if version == "beta" {
            let skill = env
                .call_as(
                    &token,
                    Method::POST,
                    "/beta/me/profile/skills",
                    Some(&json!({"displayName": "Conformance", "proficiency": "expert"})),
                    &[],
                )
                .await;
            assert_eq!(skill.status, StatusCode::CREATED, "{}", skill.text);
            check_body(
                &mut checker,
                "POST skill",
                &format!("{G}skillProficiency"),
                &skill.body,
            );
        }
        checked += checker.objects;
        problems.extend(checker.problems);
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(checked > 300, "only {checked} objects checked");

    // Beta-only paths are not served in v1.0.
    for path in BETA_ONLY {
        let got = env
            .call_as(&token, Method::GET, &format!("/v1.0{path}"), None, &[])
            .await;
        got.assert_error(400, "BadRequest");
    }
}

#[test]
fn the_checker_finds_what_it_should() {
    let metadata = metadata();
    let mut checker = Checker {
        meta: &metadata["v1.0"],
        problems: Vec::new(),
        objects: 0,
    };
    let source = json!({"id": "x", "sourceId": "s", "displayName": null, "kind": null,
                        "localizations": [], "webUrl": null});
    checker.object("ok", "microsoft.graph.profileSource", &source);
    assert!(checker.problems.is_empty(), "{:?}", checker.problems);
    let mut missing = source.clone();
    missing.as_object_mut().expect("object").remove("kind");
    checker.object("missing", "microsoft.graph.profileSource", &missing);
    let mut extra = source.clone();
    extra["ingestedItemsCount"] = json!(1);
    checker.object("extra", "microsoft.graph.profileSource", &extra);
    let connection = json!({"id": "c", "name": "n", "description": null, "state": "sideways",
        "configuration": null, "contentCategory": "people", "connectorId": null,
        "activitySettings": null, "searchSettings": null});
    checker.object(
        "enum",
        "microsoft.graph.externalConnectors.externalConnection",
        &connection,
    );
    let mut collection = source.clone();
    collection["localizations"] = json!("en");
    checker.object("collection", "microsoft.graph.profileSource", &collection);
    let problems = checker.problems.join("\n");
    for what in [
        "missing.kind",
        "extra.ingestedItemsCount",
        "enum.state",
        "collection.localizations",
    ] {
        assert!(problems.contains(what), "{what} not found in:\n{problems}");
    }
}
