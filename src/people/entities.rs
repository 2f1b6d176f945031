//! Profile entity JSON shapes (graph-api.md §4.4) as typed structs, with field-level validation.
//!
//! Enum-valued fields accept any text when read ([`EmailType::Unrecognised`] and friends) so that a
//! bad value surfaces as a [`ValidationError`] naming the field, not as an opaque parse error.
//! Serialise entities with [`entity_json`], which leaves out absent fields.

use serde::{Deserialize, Serialize};

use super::compose::SourceEntities;
use super::ids::SourceId;

/// A field that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ValidationError {
    /// Where, e.g. `emails[1].type` or `position.detail.startMonthYear`.
    pub path: String,
    /// What is wrong.
    pub reason: Reason,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// A value outside the enum's documented members.
    #[error("{value:?} is not one of {}", allowed.join(", "))]
    NotOneOf {
        /// The value given.
        value: String,
        /// The documented members.
        allowed: &'static [&'static str],
    },
    /// Not a calendar date written `YYYY-MM-DD`.
    #[error("{0:?} is not a date written YYYY-MM-DD")]
    BadDate(String),
    /// Too many entries in a list.
    #[error("{count} entries, at most {max} are allowed")]
    TooMany {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A required field is missing or empty.
    #[error("is required")]
    Required,
    /// Two entries share a value that must be unique.
    #[error("{0:?} is used by more than one entry")]
    Duplicate(String),
}

/// Field-level validation of an entity.
pub trait Validate {
    /// Appends every problem under `path` (the entity's own path, `""` at the top).
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>);

    /// Every problem, or `Ok` when there is none.
    fn validate(&self) -> Result<(), Vec<ValidationError>> {
        let mut errors = Vec::new();
        self.check("", &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl<T: Validate> Validate for Option<T> {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        if let Some(v) = self {
            v.check(path, errors);
        }
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        for (i, v) in self.iter().enumerate() {
            v.check(&format!("{path}[{i}]"), errors);
        }
    }
}

fn at(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

fn push(errors: &mut Vec<ValidationError>, path: String, reason: Reason) {
    errors.push(ValidationError { path, reason });
}

fn require(path: &str, field: &str, value: Option<&String>, errors: &mut Vec<ValidationError>) {
    if value.is_none_or(|v| v.trim().is_empty()) {
        push(errors, at(path, field), Reason::Required);
    }
}

fn date(path: &str, field: &str, value: Option<&String>, errors: &mut Vec<ValidationError>) {
    if let Some(v) = value.filter(|v| !is_date(v)) {
        push(errors, at(path, field), Reason::BadDate(v.clone()));
    }
}

fn max_len<T>(path: &str, field: &str, list: &[T], max: usize, errors: &mut Vec<ValidationError>) {
    if list.len() > max {
        push(
            errors,
            at(path, field),
            Reason::TooMany {
                count: list.len(),
                max,
            },
        );
    }
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD` (Edm.Date).
pub fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// Serialises an entity without its absent parts: nulls, empty lists and empty objects are
/// left out (an empty string stays: it is a value that overrides lower-ranked sources).
pub fn entity_json<T: Serialize>(entity: &T) -> serde_json::Value {
    let mut v = serde_json::to_value(entity).unwrap_or(serde_json::Value::Null);
    prune(&mut v);
    v
}

fn prune(v: &mut serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => false,
        serde_json::Value::Array(a) => {
            a.retain_mut(prune);
            !a.is_empty()
        }
        serde_json::Value::Object(m) => {
            m.retain(|_, x| prune(x));
            !m.is_empty()
        }
        _ => true,
    }
}

/// Fields left out of serialisation when empty.
pub trait EmptyField {
    /// Whether the field is absent.
    fn is_empty_field(&self) -> bool;
}

impl<T> EmptyField for Option<T> {
    fn is_empty_field(&self) -> bool {
        self.is_none()
    }
}

impl<T> EmptyField for Vec<T> {
    fn is_empty_field(&self) -> bool {
        self.is_empty()
    }
}

/// A Graph enum: its documented members plus whatever else was read, so that validation can
/// name the field holding an unknown value.
macro_rules! graph_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[doc = concat!("`", $text, "`")] $variant,)+
            /// A value outside the documented members (reported by validation).
            Unrecognised(String),
        }

        impl $name {
            /// The documented members, as Graph spells them.
            pub const ALLOWED: &'static [&'static str] = &[$($text),+];

            /// Reads a value; members match without regard to case.
            #[must_use]
            pub fn parse(s: &str) -> Self {
                $(if s.eq_ignore_ascii_case($text) { return Self::$variant; })+
                Self::Unrecognised(s.to_owned())
            }

            /// The value as Graph spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unrecognised(s) => s,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <String as ::serde::Deserialize>::deserialize(d).map(|s| Self::parse(&s))
            }
        }

        impl $crate::people::entities::EnumField for $name {
            fn unknown(&self) -> Option<(&str, &'static [&'static str])> {
                match self {
                    Self::Unrecognised(s) => Some((s, Self::ALLOWED)),
                    _ => None,
                }
            }
        }
    };
}

/// An enum-valued field: reports a value outside the documented members.
pub trait EnumField {
    /// The unknown value and the allowed members, if the value is unknown.
    fn unknown(&self) -> Option<(&str, &'static [&'static str])>;
}

pub(crate) use graph_enum;

fn member<E: EnumField>(path: &str, field: &str, v: Option<&E>, errors: &mut Vec<ValidationError>) {
    if let Some((value, allowed)) = v.and_then(EnumField::unknown) {
        push(
            errors,
            at(path, field),
            Reason::NotOneOf {
                value: value.to_owned(),
                allowed,
            },
        );
    }
}

graph_enum!(
    /// `itemEmail.type`.
    EmailType { Unknown => "unknown", Work => "work", Personal => "personal", Main => "main", Other => "other" }
);
graph_enum!(
    /// `itemPhone.type`.
    PhoneType { Home => "home", Business => "business", Mobile => "mobile", Other => "other",
                Assistant => "assistant", HomeFax => "homeFax", BusinessFax => "businessFax",
                OtherFax => "otherFax", Pager => "pager", Radio => "radio" }
);
graph_enum!(
    /// `physicalAddress.type`.
    AddressType { Unknown => "unknown", Home => "home", Business => "business", Other => "other" }
);
graph_enum!(
    /// `skillProficiency.proficiency`.
    SkillLevel { Elementary => "elementary", LimitedWorking => "limitedWorking",
                 GeneralProfessional => "generalProfessional",
                 AdvancedProfessional => "advancedProfessional", Expert => "expert",
                 UnknownFutureValue => "unknownFutureValue" }
);
graph_enum!(
    /// `languageProficiency` levels (`proficiency`, `reading`, `spoken`, `written`).
    LanguageLevel { Elementary => "elementary", Conversational => "conversational",
                    LimitedWorking => "limitedWorking", ProfessionalWorking => "professionalWorking",
                    FullProfessional => "fullProfessional", NativeOrBilingual => "nativeOrBilingual",
                    UnknownFutureValue => "unknownFutureValue" }
);
graph_enum!(
    /// `personAnniversary.type`.
    AnniversaryType { Birthday => "birthday", Wedding => "wedding", Work => "work", Other => "other",
                      UnknownFutureValue => "unknownFutureValue" }
);
graph_enum!(
    /// `relatedPerson.relationship`.
    Relationship { Manager => "manager", Colleague => "colleague", DirectReport => "directReport",
                   DotLineReport => "dotLineReport", Assistant => "assistant",
                   DotLineManager => "dotLineManager", AlternateContact => "alternateContact",
                   Friend => "friend", Spouse => "spouse", Sibling => "sibling", Child => "child",
                   Parent => "parent", Sponsor => "sponsor", EmergencyContact => "emergencyContact",
                   Other => "other", UnknownFutureValue => "unknownFutureValue" }
);
graph_enum!(
    /// `itemBody.contentType`.
    BodyType { Text => "text", Html => "html" }
);
graph_enum!(
    /// `userAccountInformation.userPersona`.
    UserPersona { Unknown => "unknown", ExternalMember => "externalMember",
                  ExternalGuest => "externalGuest", InternalMember => "internalMember",
                  InternalGuest => "internalGuest" }
);

/// A struct of optional fields in Graph's camelCase shape; empty fields are not serialised.
macro_rules! entity {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", default)]
        pub struct $name {
            $($(#[$fmeta])*
            #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
            pub $field: $ty,)*
        }
    };
}

entity!(
    /// `preferredLanguageTag` of an account.
    LocaleInfo { locale: Option<String>, display_name: Option<String> }
);
entity!(
    /// `originTenantInfo` of an account.
    OriginTenantInfo { origin_tenant_id: Option<String>, origin_user_id: Option<String> }
);
entity!(
    /// `userAccountInformation` (label `personAccount`): identifies the Entra user.
    UserAccountInformation {
        user_principal_name: Option<String>,
        /// The Entra object id; accepted by people connectors though not a Graph property.
        external_directory_object_id: Option<String>,
        age_group: Option<String>,
        country_code: Option<String>,
        preferred_language_tag: Option<LocaleInfo>,
        origin_tenant_info: Option<OriginTenantInfo>,
        user_persona: Option<UserPersona>,
    }
);
entity!(
    /// `physicalAddress`.
    PhysicalAddress {
        r#type: Option<AddressType>,
        street: Option<String>,
        city: Option<String>,
        state: Option<String>,
        country_or_region: Option<String>,
        postal_code: Option<String>,
        post_office_box: Option<String>,
    }
);
entity!(
    /// `companyDetail`.
    CompanyDetail {
        display_name: Option<String>,
        department: Option<String>,
        secondary_department: Option<String>,
        division: Option<String>,
        cost_center: Option<String>,
        company_code: Option<String>,
        office_location: Option<String>,
        pronunciation: Option<String>,
        web_url: Option<String>,
        address: Option<PhysicalAddress>,
    }
);
entity!(
    /// `positionDetail`.
    PositionDetail {
        job_title: Option<String>,
        secondary_job_title: Option<String>,
        role: Option<String>,
        secondary_role: Option<String>,
        level: Option<String>,
        layer: Option<i32>,
        employee_id: Option<String>,
        employee_type: Option<String>,
        description: Option<String>,
        summary: Option<String>,
        /// `YYYY-MM-DD`.
        start_month_year: Option<String>,
        /// `YYYY-MM-DD`.
        end_month_year: Option<String>,
        company: Option<CompanyDetail>,
    }
);
entity!(
    /// `relatedPerson` (manager, colleagues, sponsors).
    RelatedPerson {
        display_name: Option<String>,
        user_principal_name: Option<String>,
        user_id: Option<String>,
        relationship: Option<Relationship>,
    }
);
entity!(
    /// `workPosition` (labels `personCurrentPosition`, `personWorkPositions`).
    WorkPosition {
        detail: Option<PositionDetail>,
        is_current: Option<bool>,
        manager: Option<RelatedPerson>,
        colleagues: Vec<RelatedPerson>,
        categories: Vec<String>,
    }
);
entity!(
    /// `personNamePronunciation`.
    NamePronunciation {
        display_name: Option<String>,
        first: Option<String>,
        last: Option<String>,
        maiden: Option<String>,
        middle: Option<String>,
    }
);
entity!(
    /// `personName` (label `personName`).
    PersonName {
        display_name: Option<String>,
        first: Option<String>,
        last: Option<String>,
        middle: Option<String>,
        initials: Option<String>,
        maiden: Option<String>,
        nickname: Option<String>,
        suffix: Option<String>,
        title: Option<String>,
        language_tag: Option<String>,
        pronunciation: Option<NamePronunciation>,
    }
);
entity!(
    /// `itemEmail` (label `personEmails`, at most 3).
    ItemEmail { address: Option<String>, display_name: Option<String>, r#type: Option<EmailType> }
);
entity!(
    /// `itemPhone` (label `personPhones`).
    ItemPhone { number: Option<String>, display_name: Option<String>, r#type: Option<PhoneType> }
);
entity!(
    /// `geoCoordinates`.
    GeoCoordinates { latitude: Option<f64>, longitude: Option<f64>, altitude: Option<f64> }
);
entity!(
    /// `itemAddress` (label `personAddresses`, at most 3: one each of home, work, other).
    ItemAddress {
        display_name: Option<String>,
        detail: Option<PhysicalAddress>,
        geo_coordinates: Option<GeoCoordinates>,
    }
);
entity!(
    /// `itemBody`.
    ItemBody { content: Option<String>, content_type: Option<BodyType> }
);
entity!(
    /// `personAnnotation` (label `personNote`).
    PersonAnnotation { display_name: Option<String>, detail: Option<ItemBody>, thumbnail_url: Option<String> }
);
entity!(
    /// `skillProficiency` (label `personSkills`).
    SkillProficiency {
        display_name: Option<String>,
        proficiency: Option<SkillLevel>,
        categories: Vec<String>,
        collaboration_tags: Vec<String>,
        web_url: Option<String>,
        thumbnail_url: Option<String>,
    }
);
entity!(
    /// `personAnniversary` (label `personAnniversaries`).
    PersonAnniversary {
        r#type: Option<AnniversaryType>,
        /// `YYYY-MM-DD`.
        date: Option<String>,
    }
);
entity!(
    /// `personWebsite` (label `personWebSite`).
    PersonWebsite {
        web_url: Option<String>,
        display_name: Option<String>,
        description: Option<String>,
        categories: Vec<String>,
        thumbnail_url: Option<String>,
    }
);
entity!(
    /// `serviceInformation` of a web account.
    ServiceInformation { name: Option<String>, web_url: Option<String> }
);
entity!(
    /// `webAccount` (label `personWebAccounts`).
    WebAccount {
        service: Option<ServiceInformation>,
        user_id: Option<String>,
        web_url: Option<String>,
        description: Option<String>,
        status_message: Option<String>,
        thumbnail_url: Option<String>,
    }
);
entity!(
    /// `projectParticipation` (label `personProjects`).
    ProjectParticipation {
        display_name: Option<String>,
        detail: Option<PositionDetail>,
        client: Option<CompanyDetail>,
        colleagues: Vec<RelatedPerson>,
        sponsors: Vec<RelatedPerson>,
        categories: Vec<String>,
        collaboration_tags: Vec<String>,
        thumbnail_url: Option<String>,
    }
);
entity!(
    /// `personAward` (label `personAwards`).
    PersonAward {
        display_name: Option<String>,
        description: Option<String>,
        /// `YYYY-MM-DD`.
        issued_date: Option<String>,
        issuing_authority: Option<String>,
        web_url: Option<String>,
        thumbnail_url: Option<String>,
    }
);
entity!(
    /// `personCertification` (label `personCertifications`).
    PersonCertification {
        display_name: Option<String>,
        certification_id: Option<String>,
        description: Option<String>,
        /// `YYYY-MM-DD`.
        issued_date: Option<String>,
        /// `YYYY-MM-DD`.
        start_date: Option<String>,
        /// `YYYY-MM-DD`.
        end_date: Option<String>,
        issuing_authority: Option<String>,
        issuing_company: Option<String>,
        web_url: Option<String>,
        thumbnail_url: Option<String>,
    }
);
entity!(
    /// `languageProficiency` (label `personLanguages`).
    LanguageProficiency {
        display_name: Option<String>,
        tag: Option<String>,
        proficiency: Option<LanguageLevel>,
        reading: Option<LanguageLevel>,
        spoken: Option<LanguageLevel>,
        written: Option<LanguageLevel>,
        thumbnail_url: Option<String>,
    }
);
entity!(
    /// `personInterest` (label `personInterests`).
    PersonInterest {
        display_name: Option<String>,
        description: Option<String>,
        categories: Vec<String>,
        collaboration_tags: Vec<String>,
        web_url: Option<String>,
        thumbnail_url: Option<String>,
    }
);
entity!(
    /// `institutionData` of an educational activity.
    InstitutionData {
        display_name: Option<String>,
        description: Option<String>,
        location: Option<PhysicalAddress>,
        web_url: Option<String>,
    }
);
entity!(
    /// `educationalActivityDetail` (the program).
    EducationalActivityDetail {
        display_name: Option<String>,
        abbreviation: Option<String>,
        activities: Vec<String>,
        awards: Vec<String>,
        description: Option<String>,
        fields_of_study: Vec<String>,
        grade: Option<String>,
        notes: Option<String>,
        web_url: Option<String>,
    }
);
entity!(
    /// `educationalActivity` (label `personEducationalActivities`).
    EducationalActivity {
        institution: Option<InstitutionData>,
        program: Option<EducationalActivityDetail>,
        /// `YYYY-MM-DD`.
        start_month_year: Option<String>,
        /// `YYYY-MM-DD`.
        end_month_year: Option<String>,
        /// `YYYY-MM-DD`.
        completion_month_year: Option<String>,
    }
);
entity!(
    /// `itemPatent` (label `personPatents`).
    ItemPatent {
        display_name: Option<String>,
        number: Option<String>,
        description: Option<String>,
        is_pending: Option<bool>,
        /// `YYYY-MM-DD`.
        issued_date: Option<String>,
        issuing_authority: Option<String>,
        web_url: Option<String>,
    }
);
entity!(
    /// `itemPublication` (label `personPublications`).
    ItemPublication {
        display_name: Option<String>,
        description: Option<String>,
        /// `YYYY-MM-DD`.
        published_date: Option<String>,
        publisher: Option<String>,
        web_url: Option<String>,
        thumbnail_url: Option<String>,
    }
);

impl Validate for UserAccountInformation {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        if self.external_directory_object_id.is_none() {
            require(
                path,
                "userPrincipalName",
                self.user_principal_name.as_ref(),
                errors,
            );
        }
        member(path, "userPersona", self.user_persona.as_ref(), errors);
    }
}

impl Validate for PhysicalAddress {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        member(path, "type", self.r#type.as_ref(), errors);
    }
}

impl Validate for CompanyDetail {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        self.address.check(&at(path, "address"), errors);
    }
}

impl Validate for PositionDetail {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        date(
            path,
            "startMonthYear",
            self.start_month_year.as_ref(),
            errors,
        );
        date(path, "endMonthYear", self.end_month_year.as_ref(), errors);
        self.company.check(&at(path, "company"), errors);
    }
}

impl Validate for RelatedPerson {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        member(path, "relationship", self.relationship.as_ref(), errors);
    }
}

impl Validate for WorkPosition {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        self.detail.check(&at(path, "detail"), errors);
        self.manager.check(&at(path, "manager"), errors);
        self.colleagues.check(&at(path, "colleagues"), errors);
    }
}

impl Validate for PersonName {
    fn check(&self, _path: &str, _errors: &mut Vec<ValidationError>) {}
}

impl Validate for ItemEmail {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        require(path, "address", self.address.as_ref(), errors);
        member(path, "type", self.r#type.as_ref(), errors);
    }
}

impl Validate for ItemPhone {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        require(path, "number", self.number.as_ref(), errors);
        member(path, "type", self.r#type.as_ref(), errors);
    }
}

impl Validate for ItemAddress {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        self.detail.check(&at(path, "detail"), errors);
    }
}

impl Validate for PersonAnnotation {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        if let Some(body) = &self.detail {
            member(
                &at(path, "detail"),
                "contentType",
                body.content_type.as_ref(),
                errors,
            );
        }
    }
}

impl Validate for SkillProficiency {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        require(path, "displayName", self.display_name.as_ref(), errors);
        member(path, "proficiency", self.proficiency.as_ref(), errors);
    }
}

impl Validate for PersonAnniversary {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        member(path, "type", self.r#type.as_ref(), errors);
        require(path, "date", self.date.as_ref(), errors);
        date(path, "date", self.date.as_ref(), errors);
    }
}

impl Validate for PersonWebsite {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        require(path, "webUrl", self.web_url.as_ref(), errors);
    }
}

impl Validate for WebAccount {
    fn check(&self, _path: &str, _errors: &mut Vec<ValidationError>) {}
}

impl Validate for ProjectParticipation {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        require(path, "displayName", self.display_name.as_ref(), errors);
        self.detail.check(&at(path, "detail"), errors);
        self.client.check(&at(path, "client"), errors);
        self.colleagues.check(&at(path, "colleagues"), errors);
        self.sponsors.check(&at(path, "sponsors"), errors);
    }
}

impl Validate for PersonAward {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        require(path, "displayName", self.display_name.as_ref(), errors);
        date(path, "issuedDate", self.issued_date.as_ref(), errors);
    }
}

impl Validate for PersonCertification {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        require(path, "displayName", self.display_name.as_ref(), errors);
        date(path, "issuedDate", self.issued_date.as_ref(), errors);
        date(path, "startDate", self.start_date.as_ref(), errors);
        date(path, "endDate", self.end_date.as_ref(), errors);
    }
}

impl Validate for LanguageProficiency {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        require(path, "displayName", self.display_name.as_ref(), errors);
        member(path, "proficiency", self.proficiency.as_ref(), errors);
        member(path, "reading", self.reading.as_ref(), errors);
        member(path, "spoken", self.spoken.as_ref(), errors);
        member(path, "written", self.written.as_ref(), errors);
    }
}

impl Validate for PersonInterest {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        require(path, "displayName", self.display_name.as_ref(), errors);
    }
}

impl Validate for EducationalActivity {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        date(
            path,
            "startMonthYear",
            self.start_month_year.as_ref(),
            errors,
        );
        date(path, "endMonthYear", self.end_month_year.as_ref(), errors);
        date(
            path,
            "completionMonthYear",
            self.completion_month_year.as_ref(),
            errors,
        );
        if let Some(i) = &self.institution {
            i.location
                .check(&at(&at(path, "institution"), "location"), errors);
        }
    }
}

impl Validate for ItemPatent {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        require(path, "displayName", self.display_name.as_ref(), errors);
        date(path, "issuedDate", self.issued_date.as_ref(), errors);
    }
}

impl Validate for ItemPublication {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        require(path, "displayName", self.display_name.as_ref(), errors);
        date(path, "publishedDate", self.published_date.as_ref(), errors);
    }
}

/// The kinds of profile data a people connector can carry, one per supported label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntityKind {
    /// `personAccount` → `userAccountInformation` (required).
    Account,
    /// `personCurrentPosition` → `workPosition`.
    CurrentPosition,
    /// `personWorkPositions` → past and present `workPosition`s.
    WorkPositions,
    /// `personName` → `personName`.
    Name,
    /// `personNote` → `personAnnotation`.
    Note,
    /// `personWebSite` → `personWebsite`.
    Website,
    /// `personAddresses` → `itemAddress`.
    Addresses,
    /// `personEmails` → `itemEmail`.
    Emails,
    /// `personPhones` → `itemPhone`.
    Phones,
    /// `personAnniversaries` → `personAnniversary`.
    Anniversaries,
    /// `personAwards` → `personAward`.
    Awards,
    /// `personCertifications` → `personCertification`.
    Certifications,
    /// `personProjects` → `projectParticipation`.
    Projects,
    /// `personSkills` → `skillProficiency`.
    Skills,
    /// `personWebAccounts` → `webAccount`.
    WebAccounts,
    /// `personEducationalActivities` → `educationalActivity`.
    EducationalActivities,
    /// `personInterests` → `personInterest`.
    Interests,
    /// `personLanguages` → `languageProficiency`.
    Languages,
    /// `personPatents` → `itemPatent`.
    Patents,
    /// `personPublications` → `itemPublication`.
    Publications,
}

impl EntityKind {
    /// Every kind, in the order items and schemas list them.
    pub const ALL: [EntityKind; 20] = [
        EntityKind::Account,
        EntityKind::CurrentPosition,
        EntityKind::WorkPositions,
        EntityKind::Name,
        EntityKind::Note,
        EntityKind::Website,
        EntityKind::Addresses,
        EntityKind::Emails,
        EntityKind::Phones,
        EntityKind::Anniversaries,
        EntityKind::Awards,
        EntityKind::Certifications,
        EntityKind::Projects,
        EntityKind::Skills,
        EntityKind::WebAccounts,
        EntityKind::EducationalActivities,
        EntityKind::Interests,
        EntityKind::Languages,
        EntityKind::Patents,
        EntityKind::Publications,
    ];

    /// `(label, profile collection, preview property name, default property name, collection?)`.
    fn facts(
        self,
    ) -> (
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
        bool,
    ) {
        use EntityKind as K;
        match self {
            K::Account => (
                "personAccount",
                "account",
                Some("accounts"),
                "account",
                false,
            ),
            K::CurrentPosition => (
                "personCurrentPosition",
                "positions",
                Some("positions"),
                "currentPosition",
                false,
            ),
            K::WorkPositions => (
                "personWorkPositions",
                "positions",
                Some("positions"),
                "workPositions",
                true,
            ),
            K::Name => ("personName", "names", Some("names"), "name", false),
            K::Note => ("personNote", "notes", Some("notes"), "note", false),
            K::Website => (
                "personWebSite",
                "websites",
                Some("webSites"),
                "webSite",
                false,
            ),
            K::Addresses => (
                "personAddresses",
                "addresses",
                Some("addresses"),
                "addresses",
                true,
            ),
            K::Emails => ("personEmails", "emails", Some("emails"), "emails", true),
            K::Phones => ("personPhones", "phones", Some("phones"), "phones", true),
            K::Anniversaries => (
                "personAnniversaries",
                "anniversaries",
                None,
                "anniversaries",
                true,
            ),
            K::Awards => ("personAwards", "awards", Some("awards"), "awards", true),
            K::Certifications => (
                "personCertifications",
                "certifications",
                Some("certifications"),
                "certifications",
                true,
            ),
            K::Projects => (
                "personProjects",
                "projects",
                Some("projects"),
                "projects",
                true,
            ),
            K::Skills => ("personSkills", "skills", Some("skills"), "skills", true),
            K::WebAccounts => (
                "personWebAccounts",
                "webAccounts",
                Some("webAccounts"),
                "webAccounts",
                true,
            ),
            K::EducationalActivities => (
                "personEducationalActivities",
                "educationalActivities",
                None,
                "educationalActivities",
                true,
            ),
            K::Interests => ("personInterests", "interests", None, "interests", true),
            K::Languages => ("personLanguages", "languages", None, "languages", true),
            K::Patents => ("personPatents", "patents", None, "patents", true),
            K::Publications => (
                "personPublications",
                "publications",
                None,
                "publications",
                true,
            ),
        }
    }

    /// The schema label (`personSkills`).
    pub fn label(self) -> &'static str {
        self.facts().0
    }

    /// The kind a label stands for (case-insensitive); `None` for unsupported or other labels.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.label().eq_ignore_ascii_case(label))
    }

    /// The profile API collection the data lands in (`skills`, `positions`, `account`).
    pub fn collection(self) -> &'static str {
        self.facts().1
    }

    /// The fixed property name in the 2025 preview contract, if the preview had one (current
    /// and past positions share `positions`, a JSON array).
    pub fn preview_name(self) -> Option<&'static str> {
        self.facts().2
    }

    /// The kind the preview contract's fixed property name stands for (case-insensitive).
    pub fn from_preview_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| {
            k.preview_name()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    /// The property name peoplectl gives it in a labels-contract schema it builds.
    pub fn default_property_name(self) -> &'static str {
        self.facts().3
    }

    /// Whether the labelled property is a `stringCollection` (else a `string`).
    pub fn is_collection(self) -> bool {
        self.facts().4
    }
}

/// Everything one people connector says about one person, typed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersonProfile {
    /// Who the person is (required: a UPN or an Entra object id).
    pub account: UserAccountInformation,
    /// The current position.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub position: Option<WorkPosition>,
    /// Past (and other) positions.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub work_positions: Vec<WorkPosition>,
    /// The name.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub name: Option<PersonName>,
    /// A note.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub note: Option<PersonAnnotation>,
    /// A website.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub website: Option<PersonWebsite>,
    /// Addresses (at most 3, one per type).
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub addresses: Vec<ItemAddress>,
    /// Email addresses (at most 3).
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub emails: Vec<ItemEmail>,
    /// Phone numbers.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub phones: Vec<ItemPhone>,
    /// Anniversaries.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub anniversaries: Vec<PersonAnniversary>,
    /// Awards.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub awards: Vec<PersonAward>,
    /// Certifications.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub certifications: Vec<PersonCertification>,
    /// Projects.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub projects: Vec<ProjectParticipation>,
    /// Skills.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub skills: Vec<SkillProficiency>,
    /// Web accounts.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub web_accounts: Vec<WebAccount>,
    /// Education.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub educational_activities: Vec<EducationalActivity>,
    /// Interests.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub interests: Vec<PersonInterest>,
    /// Languages.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub languages: Vec<LanguageProficiency>,
    /// Patents.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub patents: Vec<ItemPatent>,
    /// Publications.
    #[serde(skip_serializing_if = "EmptyField::is_empty_field")]
    pub publications: Vec<ItemPublication>,
}

/// At most this many emails and addresses per person (graph-api.md §4.2).
pub const MAX_EMAILS: usize = 3;
/// At most this many addresses per person.
pub const MAX_ADDRESSES: usize = 3;

impl Validate for PersonProfile {
    fn check(&self, path: &str, errors: &mut Vec<ValidationError>) {
        self.account.check(&at(path, "account"), errors);
        self.position.check(&at(path, "position"), errors);
        self.work_positions
            .check(&at(path, "workPositions"), errors);
        self.name.check(&at(path, "name"), errors);
        self.note.check(&at(path, "note"), errors);
        self.website.check(&at(path, "website"), errors);
        max_len(path, "emails", &self.emails, MAX_EMAILS, errors);
        self.emails.check(&at(path, "emails"), errors);
        max_len(path, "addresses", &self.addresses, MAX_ADDRESSES, errors);
        let mut types: Vec<&str> = Vec::new();
        for (i, a) in self.addresses.iter().enumerate() {
            if let Some(t) = a.detail.as_ref().and_then(|d| d.r#type.as_ref()) {
                if types.contains(&t.as_str()) {
                    push(
                        errors,
                        format!("{}[{i}].detail.type", at(path, "addresses")),
                        Reason::Duplicate(t.as_str().to_owned()),
                    );
                }
                types.push(t.as_str());
            }
        }
        self.addresses.check(&at(path, "addresses"), errors);
        self.phones.check(&at(path, "phones"), errors);
        self.anniversaries.check(&at(path, "anniversaries"), errors);
        self.awards.check(&at(path, "awards"), errors);
        self.certifications
            .check(&at(path, "certifications"), errors);
        self.projects.check(&at(path, "projects"), errors);
        self.skills.check(&at(path, "skills"), errors);
        self.web_accounts.check(&at(path, "webAccounts"), errors);
        self.educational_activities
            .check(&at(path, "educationalActivities"), errors);
        self.interests.check(&at(path, "interests"), errors);
        self.languages.check(&at(path, "languages"), errors);
        self.patents.check(&at(path, "patents"), errors);
        self.publications.check(&at(path, "publications"), errors);
    }
}

fn jsons<T: Serialize>(list: &[T]) -> Vec<serde_json::Value> {
    list.iter().map(entity_json).collect()
}

impl PersonProfile {
    /// The JSON entities of one kind, in order (empty when the person has none).
    pub fn entities(&self, kind: EntityKind) -> Vec<serde_json::Value> {
        use EntityKind as K;
        let one = |v: Option<serde_json::Value>| v.into_iter().collect();
        match kind {
            K::Account => vec![entity_json(&self.account)],
            K::CurrentPosition => one(self.position.as_ref().map(|p| {
                // The current position says so, as the Microsoft sample does.
                let mut p = p.clone();
                p.is_current.get_or_insert(true);
                entity_json(&p)
            })),
            K::WorkPositions => jsons(&self.work_positions),
            K::Name => one(self.name.as_ref().map(entity_json)),
            K::Note => one(self.note.as_ref().map(entity_json)),
            K::Website => one(self.website.as_ref().map(entity_json)),
            K::Addresses => jsons(&self.addresses),
            K::Emails => jsons(&self.emails),
            K::Phones => jsons(&self.phones),
            K::Anniversaries => jsons(&self.anniversaries),
            K::Awards => jsons(&self.awards),
            K::Certifications => jsons(&self.certifications),
            K::Projects => jsons(&self.projects),
            K::Skills => jsons(&self.skills),
            K::WebAccounts => jsons(&self.web_accounts),
            K::EducationalActivities => jsons(&self.educational_activities),
            K::Interests => jsons(&self.interests),
            K::Languages => jsons(&self.languages),
            K::Patents => jsons(&self.patents),
            K::Publications => jsons(&self.publications),
        }
    }

    /// The person as one source's profile entities, ready for [`compose_entities`].
    ///
    /// [`compose_entities`]: crate::people::compose::compose_entities
    pub fn to_source_entities(&self, source_id: SourceId) -> SourceEntities {
        let mut out = SourceEntities::new(source_id);
        for kind in EntityKind::ALL {
            for e in self.entities(kind) {
                out.push(kind.collection(), e);
            }
        }
        out
    }
}

/// Maps an Entra user (Graph `user` JSON) to the profile entities Entra ID contributes:
/// account, names, the current position, work email and business/mobile phones. Properties
/// the user JSON lacks or holds as `null` are left out (an empty string is kept: it is a value).
pub fn entities_from_entra_user(user: &serde_json::Value) -> SourceEntities {
    use serde_json::{Map, Value, json};
    let field = |name: &str| user.get(name).filter(|v| !v.is_null()).cloned();
    let object = |pairs: &[(&str, Option<Value>)]| -> Option<Value> {
        let map: Map<String, Value> = pairs
            .iter()
            .filter_map(|(k, v)| v.clone().map(|v| ((*k).to_owned(), v)))
            .collect();
        (!map.is_empty()).then_some(Value::Object(map))
    };
    let mut out = SourceEntities::new(SourceId::entra());
    // Only what the profile API serves from Entra ID: `externalDirectoryObjectId` is how a
    // connector names the account, not a property of userAccountInformation (graph-api.md §4.4),
    // and which other Entra ID attributes (address, employee type, hire date) reach the profile
    // is not documented, so they are left out rather than promised.
    if let Some(account) = object(&[
        ("userPrincipalName", field("userPrincipalName")),
        ("countryCode", field("usageLocation")),
        (
            "preferredLanguageTag",
            object(&[("locale", field("preferredLanguage"))]),
        ),
    ]) {
        out.push("account", account);
    }
    if let Some(name) = object(&[
        ("displayName", field("displayName")),
        ("first", field("givenName")),
        ("last", field("surname")),
    ]) {
        out.push("names", name);
    }
    let company = object(&[
        ("displayName", field("companyName")),
        ("department", field("department")),
        ("officeLocation", field("officeLocation")),
    ]);
    // The manager, when the caller read it (`$expand=manager` or `/users/{id}/manager`).
    let manager = user.get("manager").filter(|m| m.is_object()).and_then(|m| {
        object(&[
            (
                "displayName",
                m.get("displayName").filter(|v| !v.is_null()).cloned(),
            ),
            (
                "userPrincipalName",
                m.get("userPrincipalName").filter(|v| !v.is_null()).cloned(),
            ),
        ])
    });
    let detail = object(&[
        ("jobTitle", field("jobTitle")),
        ("employeeId", field("employeeId")),
        ("company", company),
    ]);
    // A position needs details of its own: a manager alone makes none.
    if let Some(detail) = detail {
        let mut position = json!({"detail": detail, "isCurrent": true});
        if let Some(mut manager) = manager {
            manager["relationship"] = json!("manager");
            position["manager"] = manager;
        }
        out.push("positions", position);
    }
    if let Some(mail) = field("mail") {
        out.push("emails", json!({"address": mail, "type": "work"}));
    }
    if let Some(Value::Array(phones)) = field("businessPhones") {
        for p in phones.into_iter().filter(|p| !p.is_null()) {
            out.push("phones", json!({"number": p, "type": "business"}));
        }
    }
    if let Some(mobile) = field("mobilePhone") {
        out.push("phones", json!({"number": mobile, "type": "mobile"}));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors_of<T: Validate>(v: &T) -> Vec<String> {
        v.validate()
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn dates() {
        for ok in ["2024-02-29", "2000-02-29", "1999-12-31", "2026-01-01"] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "20240101",
            "2024-01-32",
            "２０２４-01-01",
            "",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn enum_values_are_checked_with_their_path() {
        let profile: PersonProfile = serde_json::from_value(json!({
            "account": {"userPrincipalName": "alexw@contoso.com"},
            "emails": [{"address": "a@x.com", "type": "Work"}, {"address": "b@x.com", "type": "wrk"}],
            "phones": [{"number": "1", "type": "cell"}],
            "skills": [{"displayName": "Rust", "proficiency": "guru"}],
        }))
        .expect("lenient parse");
        assert_eq!(
            profile.emails[0].r#type,
            Some(EmailType::Work),
            "case-insensitive"
        );
        let errors = profile.validate().expect_err("invalid");
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["emails[1].type", "phones[0].type", "skills[0].proficiency"]
        );
        assert_eq!(
            errors[2].reason,
            Reason::NotOneOf {
                value: "guru".into(),
                allowed: SkillLevel::ALLOWED
            }
        );
        assert!(
            errors[0]
                .to_string()
                .starts_with("emails[1].type: \"wrk\" is not one of unknown, work")
        );
    }

    #[test]
    fn limits_dates_and_required_fields() {
        let address = |t: &str| ItemAddress {
            detail: Some(PhysicalAddress {
                r#type: Some(AddressType::parse(t)),
                ..PhysicalAddress::default()
            }),
            ..ItemAddress::default()
        };
        let email = |a: &str| ItemEmail {
            address: Some(a.into()),
            ..ItemEmail::default()
        };
        let profile = PersonProfile {
            account: UserAccountInformation::default(),
            position: Some(WorkPosition {
                detail: Some(PositionDetail {
                    start_month_year: Some("2024-02-30".into()),
                    ..PositionDetail::default()
                }),
                ..WorkPosition::default()
            }),
            emails: vec![email("a"), email("b"), email("c"), email(" ")],
            addresses: vec![
                address("home"),
                address("business"),
                address("home"),
                address("other"),
            ],
            ..PersonProfile::default()
        };
        assert_eq!(
            errors_of(&profile),
            [
                "account.userPrincipalName: is required",
                "position.detail.startMonthYear: \"2024-02-30\" is not a date written YYYY-MM-DD",
                "emails: 4 entries, at most 3 are allowed",
                "emails[3].address: is required",
                "addresses: 4 entries, at most 3 are allowed",
                "addresses[2].detail.type: \"home\" is used by more than one entry",
            ]
        );
        let by_oid = UserAccountInformation {
            external_directory_object_id: Some("oid".into()),
            ..UserAccountInformation::default()
        };
        assert!(by_oid.validate().is_ok());
    }

    #[test]
    fn nested_paths_in_lists() {
        let cert = PersonCertification {
            display_name: Some("AZ-900".into()),
            end_date: Some("soon".into()),
            ..PersonCertification::default()
        };
        let lang = LanguageProficiency {
            display_name: Some("Norsk".into()),
            written: Some(LanguageLevel::parse("fluent")),
            ..LanguageProficiency::default()
        };
        let p = PersonProfile {
            account: UserAccountInformation {
                user_principal_name: Some("a@b.c".into()),
                ..UserAccountInformation::default()
            },
            certifications: vec![cert],
            languages: vec![LanguageProficiency::default(), lang],
            anniversaries: vec![PersonAnniversary {
                r#type: Some(AnniversaryType::Birthday),
                date: Some("1990-05-17".into()),
            }],
            ..PersonProfile::default()
        };
        assert_eq!(
            errors_of(&p),
            [
                "certifications[0].endDate: \"soon\" is not a date written YYYY-MM-DD",
                "languages[0].displayName: is required",
                "languages[1].written: \"fluent\" is not one of elementary, conversational, limitedWorking, professionalWorking, fullProfessional, nativeOrBilingual, unknownFutureValue",
            ]
        );
    }

    #[test]
    fn serialisation_leaves_out_absent_fields_but_keeps_empty_strings() {
        let pos = WorkPosition {
            detail: Some(PositionDetail {
                job_title: Some(String::new()),
                company: Some(CompanyDetail::default()),
                ..PositionDetail::default()
            }),
            ..WorkPosition::default()
        };
        assert_eq!(entity_json(&pos), json!({"detail": {"jobTitle": ""}}));
        assert_eq!(
            serde_json::to_value(&pos).expect("serialises"),
            json!({"detail": {"jobTitle": "", "company": {}}})
        );
        let email = ItemEmail {
            address: Some("a@b.c".into()),
            r#type: Some(EmailType::Other),
            ..ItemEmail::default()
        };
        assert_eq!(
            entity_json(&email),
            json!({"address": "a@b.c", "type": "other"})
        );
        let back: ItemEmail = serde_json::from_value(entity_json(&email)).expect("round trip");
        assert_eq!(back, email);
    }

    #[test]
    fn entity_kinds_facts() {
        assert_eq!(
            EntityKind::from_label("PERSONSKILLS"),
            Some(EntityKind::Skills)
        );
        assert_eq!(EntityKind::from_label("personManager"), None);
        assert_eq!(
            EntityKind::from_preview_name("webSites"),
            Some(EntityKind::Website)
        );
        assert_eq!(EntityKind::Account.collection(), "account");
        assert_eq!(EntityKind::WorkPositions.collection(), "positions");
        assert!(EntityKind::Emails.is_collection());
        assert!(!EntityKind::Name.is_collection());
        let mut previews: Vec<&str> = EntityKind::ALL
            .iter()
            .filter_map(|k| k.preview_name())
            .collect();
        previews.dedup();
        let previews = previews.len();
        assert_eq!(previews, 13, "the preview's 13 reserved names");
        for k in EntityKind::ALL {
            let name = k.default_property_name();
            assert!(
                name.len() <= 32 && name.chars().all(|c| c.is_ascii_alphanumeric()),
                "{name}"
            );
        }
    }

    #[test]
    fn profile_to_entities() {
        let p = PersonProfile {
            account: UserAccountInformation {
                user_principal_name: Some("a@b.c".into()),
                ..UserAccountInformation::default()
            },
            position: Some(WorkPosition::default()),
            skills: vec![SkillProficiency {
                display_name: Some("Rust".into()),
                ..SkillProficiency::default()
            }],
            ..PersonProfile::default()
        };
        let e = p.to_source_entities(SourceId::new("hr").expect("valid"));
        assert_eq!(
            e.collections["account"],
            [json!({"userPrincipalName": "a@b.c"})]
        );
        assert_eq!(e.collections["positions"], [json!({"isCurrent": true})]);
        assert_eq!(e.collections["skills"], [json!({"displayName": "Rust"})]);
        assert_eq!(e.collections.len(), 3);
    }

    #[test]
    fn entra_user_mapping() {
        let user = json!({
            "id": "oid-1", "userPrincipalName": "alexw@contoso.com", "displayName": "Alex Wilber",
            "givenName": "Alex", "surname": null, "jobTitle": "", "department": "Engineering",
            "companyName": "Contoso", "officeLocation": null, "employeeHireDate": "2019-03-04T00:00:00Z",
            "mail": "alexw@contoso.com", "businessPhones": ["+1 555 0100"], "mobilePhone": null,
            "city": "Oslo",
            "manager": {"displayName": "Megan Bowen", "userPrincipalName": "meganb@contoso.com"}
        });
        let e = entities_from_entra_user(&user);
        assert!(e.source_id.is_entra());
        // The hire date and the address are not promised on the profile (undocumented), nor is
        // the object id (no property of userAccountInformation); the manager is.
        assert_eq!(
            e.collections["positions"],
            [json!({"isCurrent": true, "detail": {"jobTitle": "",
                     "company": {"displayName": "Contoso", "department": "Engineering"}},
                     "manager": {"displayName": "Megan Bowen",
                                 "userPrincipalName": "meganb@contoso.com",
                                 "relationship": "manager"}})]
        );
        assert_eq!(
            e.collections["names"],
            [json!({"displayName": "Alex Wilber", "first": "Alex"})]
        );
        assert_eq!(
            e.collections["account"],
            [json!({"userPrincipalName": "alexw@contoso.com"})]
        );
        // A manager alone makes no position.
        let bare = entities_from_entra_user(&json!({"userPrincipalName": "svc@contoso.com",
            "manager": {"displayName": "Megan Bowen"}}));
        assert!(!bare.collections.contains_key("positions"));
        assert_eq!(
            e.collections["phones"],
            [json!({"number": "+1 555 0100", "type": "business"})]
        );
        assert_eq!(e.collections["emails"].len(), 1);
    }
}
