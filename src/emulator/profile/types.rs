//! The profile API's entity types and what each declares, so that every declared property is
//! served (null when no source has it), and writes name only declared properties.
//!
//! From Microsoft's beta metadata at msgraph-metadata commit
//! f54f11b60956ea7b185ca0447b2b80805836ec7b: property names from
//! `schemas/type-mappings/beta-entity-types.json` and `beta-complex-types.json` (TM-beta, the
//! current beta surface), with complex types from `schemas/beta-USNat.csdl`; `anniversaries`
//! holds USNat's `personAnniversary` (`date`, `type`), which the type mappings no longer list.

use serde_json::{Map, Value};

/// What a declared property holds, as far as filling in nulls needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A scalar, an enum or a collection of them.
    Leaf,
    /// One complex value of the named type.
    Object(&'static str),
    /// A collection of complex values of the named type.
    Objects(&'static str),
}

use Kind::{Leaf, Object, Objects};

/// (type, derives from itemFacet, declared properties).
type TypeDecl = (&'static str, bool, &'static [(&'static str, Kind)]);

const TYPES: &[TypeDecl] = &[
    (
        "userAccountInformation",
        true,
        &[
            ("ageGroup", Leaf),
            ("countryCode", Leaf),
            ("originTenantInfo", Object("originTenantInfo")),
            ("preferredLanguageTag", Object("localeInfo")),
            ("userPersona", Leaf),
            ("userPrincipalName", Leaf),
        ],
    ),
    (
        "itemAddress",
        true,
        &[
            ("detail", Object("physicalAddress")),
            ("displayName", Leaf),
            ("geoCoordinates", Object("geoCoordinates")),
        ],
    ),
    ("personAnniversary", true, &[("date", Leaf), ("type", Leaf)]),
    (
        "personAward",
        true,
        &[
            ("description", Leaf),
            ("displayName", Leaf),
            ("issuedDate", Leaf),
            ("issuingAuthority", Leaf),
            ("thumbnailUrl", Leaf),
            ("webUrl", Leaf),
        ],
    ),
    (
        "personCertification",
        true,
        &[
            ("certificationId", Leaf),
            ("description", Leaf),
            ("displayName", Leaf),
            ("endDate", Leaf),
            ("issuedDate", Leaf),
            ("issuingAuthority", Leaf),
            ("issuingCompany", Leaf),
            ("startDate", Leaf),
            ("thumbnailUrl", Leaf),
            ("webUrl", Leaf),
        ],
    ),
    (
        "educationalActivity",
        true,
        &[
            ("completionMonthYear", Leaf),
            ("endMonthYear", Leaf),
            ("institution", Object("institutionData")),
            ("program", Object("educationalActivityDetail")),
            ("startMonthYear", Leaf),
        ],
    ),
    (
        "itemEmail",
        true,
        &[("address", Leaf), ("displayName", Leaf), ("type", Leaf)],
    ),
    (
        "personInterest",
        true,
        &[
            ("categories", Leaf),
            ("collaborationTags", Leaf),
            ("description", Leaf),
            ("displayName", Leaf),
            ("thumbnailUrl", Leaf),
            ("webUrl", Leaf),
        ],
    ),
    (
        "languageProficiency",
        true,
        &[
            ("displayName", Leaf),
            ("proficiency", Leaf),
            ("reading", Leaf),
            ("spoken", Leaf),
            ("tag", Leaf),
            ("thumbnailUrl", Leaf),
            ("written", Leaf),
        ],
    ),
    (
        "personName",
        true,
        &[
            ("displayName", Leaf),
            ("first", Leaf),
            ("initials", Leaf),
            ("languageTag", Leaf),
            ("last", Leaf),
            ("maiden", Leaf),
            ("middle", Leaf),
            ("nickname", Leaf),
            ("pronunciation", Leaf),
            ("suffix", Leaf),
            ("title", Leaf),
        ],
    ),
    (
        "personAnnotation",
        true,
        &[
            ("detail", Object("itemBody")),
            ("displayName", Leaf),
            ("thumbnailUrl", Leaf),
        ],
    ),
    (
        "itemPatent",
        true,
        &[
            ("description", Leaf),
            ("displayName", Leaf),
            ("isPending", Leaf),
            ("issuedDate", Leaf),
            ("issuingAuthority", Leaf),
            ("number", Leaf),
            ("webUrl", Leaf),
        ],
    ),
    (
        "itemPhone",
        true,
        &[("displayName", Leaf), ("number", Leaf), ("type", Leaf)],
    ),
    (
        "workPosition",
        true,
        &[
            ("categories", Leaf),
            ("colleagues", Objects("relatedPerson")),
            ("detail", Object("positionDetail")),
            ("isCurrent", Leaf),
            ("manager", Object("relatedPerson")),
        ],
    ),
    (
        "projectParticipation",
        true,
        &[
            ("categories", Leaf),
            ("client", Object("companyDetail")),
            ("collaborationTags", Leaf),
            ("colleagues", Objects("relatedPerson")),
            ("detail", Object("positionDetail")),
            ("displayName", Leaf),
            ("sponsors", Objects("relatedPerson")),
            ("thumbnailUrl", Leaf),
        ],
    ),
    (
        "itemPublication",
        true,
        &[
            ("description", Leaf),
            ("displayName", Leaf),
            ("publishedDate", Leaf),
            ("publisher", Leaf),
            ("thumbnailUrl", Leaf),
            ("webUrl", Leaf),
        ],
    ),
    (
        "skillProficiency",
        true,
        &[
            ("categories", Leaf),
            ("collaborationTags", Leaf),
            ("displayName", Leaf),
            ("proficiency", Leaf),
            ("thumbnailUrl", Leaf),
            ("webUrl", Leaf),
        ],
    ),
    (
        "webAccount",
        true,
        &[
            ("description", Leaf),
            ("service", Object("serviceInformation")),
            ("statusMessage", Leaf),
            ("thumbnailUrl", Leaf),
            ("userId", Leaf),
            ("webUrl", Leaf),
        ],
    ),
    (
        "personWebsite",
        true,
        &[
            ("categories", Leaf),
            ("description", Leaf),
            ("displayName", Leaf),
            ("thumbnailUrl", Leaf),
            ("webUrl", Leaf),
        ],
    ),
    (
        "originTenantInfo",
        false,
        &[("originTenantId", Leaf), ("originUserId", Leaf)],
    ),
    (
        "localeInfo",
        false,
        &[("displayName", Leaf), ("locale", Leaf)],
    ),
    (
        "physicalAddress",
        false,
        &[
            ("city", Leaf),
            ("countryOrRegion", Leaf),
            ("postalCode", Leaf),
            ("postOfficeBox", Leaf),
            ("state", Leaf),
            ("street", Leaf),
            ("type", Leaf),
        ],
    ),
    (
        "geoCoordinates",
        false,
        &[("altitude", Leaf), ("latitude", Leaf), ("longitude", Leaf)],
    ),
    (
        "institutionData",
        false,
        &[
            ("description", Leaf),
            ("displayName", Leaf),
            ("location", Object("physicalAddress")),
            ("webUrl", Leaf),
        ],
    ),
    (
        "educationalActivityDetail",
        false,
        &[
            ("abbreviation", Leaf),
            ("activities", Leaf),
            ("awards", Leaf),
            ("description", Leaf),
            ("displayName", Leaf),
            ("fieldsOfStudy", Leaf),
            ("grade", Leaf),
            ("notes", Leaf),
            ("webUrl", Leaf),
        ],
    ),
    (
        "itemBody",
        false,
        &[("content", Leaf), ("contentType", Leaf)],
    ),
    (
        "relatedPerson",
        false,
        &[
            ("displayName", Leaf),
            ("relationship", Leaf),
            ("userId", Leaf),
            ("userPrincipalName", Leaf),
        ],
    ),
    (
        "positionDetail",
        false,
        &[
            ("company", Object("companyDetail")),
            ("description", Leaf),
            ("employeeId", Leaf),
            ("employeeType", Leaf),
            ("endMonthYear", Leaf),
            ("jobTitle", Leaf),
            ("layer", Leaf),
            ("level", Leaf),
            ("role", Leaf),
            ("secondaryJobTitle", Leaf),
            ("secondaryRole", Leaf),
            ("startMonthYear", Leaf),
            ("summary", Leaf),
        ],
    ),
    (
        "companyDetail",
        false,
        &[
            ("address", Object("physicalAddress")),
            ("companyCode", Leaf),
            ("costCenter", Leaf),
            ("department", Leaf),
            ("displayName", Leaf),
            ("division", Leaf),
            ("officeLocation", Leaf),
            ("pronunciation", Leaf),
            ("secondaryDepartment", Leaf),
            ("webUrl", Leaf),
        ],
    ),
    (
        "serviceInformation",
        false,
        &[("name", Leaf), ("webUrl", Leaf)],
    ),
    (
        "identitySet",
        false,
        &[
            ("application", Object("identity")),
            ("device", Object("identity")),
            ("user", Object("identity")),
        ],
    ),
    (
        "inferenceData",
        false,
        &[("confidenceScore", Leaf), ("userHasVerifiedAccuracy", Leaf)],
    ),
    ("personDataSource", false, &[("type", Leaf)]),
    ("identity", false, &[("displayName", Leaf), ("id", Leaf)]),
];

/// The itemFacet members every profile entity carries (the emulator sets them itself).
pub(crate) const FACET_MEMBERS: &[&str] = &[
    "id",
    "allowedAudiences",
    "createdBy",
    "createdDateTime",
    "inference",
    "isSearchable",
    "lastModifiedBy",
    "lastModifiedDateTime",
    "source",
    "sources",
];

/// The profile's 19 navigation collections and the entity type each holds (TM-beta).
pub(crate) const COLLECTIONS: &[(&str, &str)] = &[
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

/// The entity type a collection holds (canonical collection name).
pub(crate) fn entity_type(collection: &str) -> Option<&'static str> {
    COLLECTIONS
        .iter()
        .find(|(c, _)| *c == collection)
        .map(|(_, t)| *t)
}

/// The declared properties of a type (without the itemFacet members).
pub(crate) fn declared(type_name: &str) -> &'static [(&'static str, Kind)] {
    TYPES
        .iter()
        .find(|(name, _, _)| *name == type_name)
        .map_or(&[], |(_, _, props)| *props)
}

/// Adds every declared property `object` lacks as null, recursing into complex values that are
/// present; members it does not declare are left as they are.
pub(crate) fn fill_declared(type_name: &str, object: &mut Map<String, Value>) {
    for (name, kind) in declared(type_name) {
        let slot = object.entry((*name).to_owned()).or_insert(Value::Null);
        match (kind, slot) {
            (Object(inner), Value::Object(child)) => fill_declared(inner, child),
            (Objects(inner), Value::Array(items)) => {
                for item in items {
                    if let Value::Object(child) = item {
                        fill_declared(inner, child);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The first member of a write body that the type does not declare (itemFacet members and
/// `@odata` annotations are allowed), for Graph's 400.
pub(crate) fn undeclared_member<'a>(
    type_name: &str,
    object: &'a Map<String, Value>,
) -> Option<&'a str> {
    object.keys().map(String::as_str).find(|k| {
        !k.starts_with("@odata")
            && !FACET_MEMBERS.contains(k)
            && !declared(type_name).iter().any(|(name, _)| name == k)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_collection_has_a_declared_type() {
        for (collection, type_name) in COLLECTIONS {
            assert!(!declared(type_name).is_empty(), "{collection}");
        }
        assert_eq!(COLLECTIONS.len(), 19);
    }

    #[test]
    fn nulls_fill_declared_members_recursively() {
        let mut position = json!({"detail": {"jobTitle": "X", "company": {}}, "custom": 1});
        let object = position.as_object_mut().expect("object");
        fill_declared("workPosition", object);
        assert_eq!(position["manager"], Value::Null);
        assert_eq!(position["colleagues"], Value::Null);
        assert_eq!(position["detail"]["role"], Value::Null);
        assert_eq!(position["detail"]["jobTitle"], "X");
        assert_eq!(position["detail"]["company"]["department"], Value::Null);
        assert_eq!(position["custom"], 1, "undeclared members stay");
        let body = json!({"detail": {}, "hobby": "x"});
        assert_eq!(
            undeclared_member("workPosition", body.as_object().expect("object")),
            Some("hobby")
        );
    }
}
