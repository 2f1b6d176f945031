//! The tenant's users: the seed's, plus N synthetic users generated on access (never stored).

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

/// A directory user: Graph's property names, plus the emulator-only `managerId` and `hasMailbox`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names)] // Graph's own names: userPrincipalName, userType
pub(crate) struct User {
    pub id: String,
    pub user_principal_name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub office_location: Option<String>,
    #[serde(default)]
    pub employee_id: Option<String>,
    #[serde(default)]
    pub employee_type: Option<String>,
    #[serde(default)]
    pub employee_hire_date: Option<String>,
    #[serde(default)]
    pub business_phones: Vec<String>,
    #[serde(default)]
    pub mobile_phone: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub usage_location: Option<String>,
    #[serde(default)]
    pub preferred_language: Option<String>,
    #[serde(default = "yes")]
    pub account_enabled: bool,
    #[serde(default)]
    pub user_type: Option<String>,
    /// Emulator only: the manager's object id.
    #[serde(default)]
    pub manager_id: Option<String>,
    /// Emulator only: accounts without a mailbox get no people-connector data.
    #[serde(default = "yes")]
    pub has_mailbox: bool,
}

fn yes() -> bool {
    true
}

/// Graph's default `/users` property set (graph-api §8).
pub(crate) const DEFAULT_PROPERTIES: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/// Every property the emulator can serve for a user (canonical spelling).
pub(crate) const ALL_PROPERTIES: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "jobTitle",
    "department",
    "companyName",
    "officeLocation",
    "employeeId",
    "employeeType",
    "employeeHireDate",
    "businessPhones",
    "mobilePhone",
    "city",
    "state",
    "country",
    "usageLocation",
    "preferredLanguage",
    "accountEnabled",
    "userType",
    "assignedPlans",
];

/// Exchange Online (Plan 2)'s service plan: an account has an Exchange Online mailbox when a
/// plan of service `exchange` is assigned and enabled, which is what clients can see of the
/// emulator-only `hasMailbox`.
const EXCHANGE_PLAN: &str = "efb87545-963c-4e0d-99df-69c6916d9eb0";
/// Teams: a plan every enabled account has, so "no Exchange plan" is not "no plans at all".
const TEAMS_PLAN: &str = "57ff2da0-773e-42df-b2af-ffb7a2317929";

/// Properties Graph serves only on a single user (`$select` of them on `/users` is a 501).
pub(crate) const SINGLE_USER_ONLY: &[&str] = &[
    "aboutMe",
    "birthday",
    "hireDate",
    "interests",
    "mySite",
    "pastProjects",
    "preferredName",
    "responsibilities",
    "schools",
    "skills",
    "mailboxSettings",
];

/// The canonical spelling of a user property name (Graph matches them case-insensitively).
pub(crate) fn canonical_property(name: &str) -> Option<&'static str> {
    ALL_PROPERTIES
        .iter()
        .find(|p| p.eq_ignore_ascii_case(name))
        .copied()
}

impl User {
    /// The value of a property by canonical name (`None` for a name that is not a property).
    pub fn property(&self, name: &str) -> Option<Value> {
        let text = |v: &Option<String>| v.as_ref().map_or(Value::Null, |s| json!(s));
        Some(match name {
            "id" => json!(self.id),
            "userPrincipalName" => json!(self.user_principal_name),
            "displayName" => text(&self.display_name),
            "givenName" => text(&self.given_name),
            "surname" => text(&self.surname),
            "mail" => text(&self.mail),
            "jobTitle" => text(&self.job_title),
            "department" => text(&self.department),
            "companyName" => text(&self.company_name),
            "officeLocation" => text(&self.office_location),
            "employeeId" => text(&self.employee_id),
            "employeeType" => text(&self.employee_type),
            "employeeHireDate" => text(&self.employee_hire_date),
            "businessPhones" => json!(self.business_phones),
            "mobilePhone" => text(&self.mobile_phone),
            "city" => text(&self.city),
            "state" => text(&self.state),
            "country" => text(&self.country),
            "usageLocation" => text(&self.usage_location),
            "preferredLanguage" => text(&self.preferred_language),
            "accountEnabled" => json!(self.account_enabled),
            "userType" => json!(self.user_type.as_deref().unwrap_or("Member")),
            "assignedPlans" => Value::Array(self.assigned_plans()),
            _ => return None,
        })
    }

    /// `assignedPlans`: Teams for enabled accounts, Exchange Online for those with a mailbox.
    fn assigned_plans(&self) -> Vec<Value> {
        let plan = |id: &str, service: &str| {
            json!({"assignedDateTime": "2020-01-01T00:00:00Z", "capabilityStatus": "Enabled",
                   "service": service, "servicePlanId": id})
        };
        let mut plans = Vec::new();
        if self.account_enabled {
            plans.push(plan(TEAMS_PLAN, "TeamspaceAPI"));
        }
        if self.has_mailbox {
            plans.push(plan(EXCHANGE_PLAN, "exchange"));
        }
        plans
    }

    /// A JSON object of the named properties (canonical names).
    pub fn to_json(&self, properties: &[&str]) -> Map<String, Value> {
        properties
            .iter()
            .filter_map(|p| self.property(p).map(|v| ((*p).to_owned(), v)))
            .collect()
    }
}

const FIRST_NAMES: &[&str] = &[
    "Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indigo", "Jordan",
    "Kai", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Taylor",
    "Umber", "Val", "Wren", "Yael", "Zion",
];
const LAST_NAMES: &[&str] = &[
    "Abbott", "Barnes", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Patel", "Quintero", "Rossi", "Silva",
    "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang",
];
const JOB_TITLES: &[&str] = &[
    "Software Engineer",
    "Senior Software Engineer",
    "Product Manager",
    "Designer",
    "Data Analyst",
    "Account Executive",
    "Support Engineer",
    "HR Partner",
];
const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Product",
    "Design",
    "Sales",
    "Support",
    "Human Resources",
    "Finance",
];
const OFFICES: &[&str] = &["Redmond 18/2100", "London 2/310", "Berlin 4/120", "Remote"];

/// Synthetic user ids: a fixed prefix and the index in the last 12 hex digits.
const SYNTHETIC_ID_PREFIX: &str = "5e5e5e5e-0000-4000-8000-";

/// The tenant's users; lookups by id and UPN are case-insensitive.
#[derive(Debug)]
pub(crate) struct Directory {
    seeded: Vec<User>,
    by_id: HashMap<String, usize>,
    by_upn: HashMap<String, usize>,
    synthetic: usize,
    domain: String,
    company: String,
}

impl Directory {
    pub fn new(seeded: Vec<User>, synthetic: usize, domain: &str, company: &str) -> Self {
        let by_id = seeded
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.to_ascii_lowercase(), i))
            .collect();
        let by_upn = seeded
            .iter()
            .enumerate()
            .map(|(i, u)| (u.user_principal_name.to_lowercase(), i))
            .collect();
        Self {
            seeded,
            by_id,
            by_upn,
            synthetic,
            domain: domain.to_ascii_lowercase(),
            company: company.to_owned(),
        }
    }

    /// How many users there are (seeded + synthetic).
    pub fn len(&self) -> usize {
        self.seeded.len() + self.synthetic
    }

    /// The seeded users (the device-login page lists them).
    pub fn seeded(&self) -> &[User] {
        &self.seeded
    }

    /// The user at a position of the listing order (seeded first, then synthetic).
    pub fn at(&self, index: usize) -> Option<Cow<'_, User>> {
        if let Some(user) = self.seeded.get(index) {
            return Some(Cow::Borrowed(user));
        }
        let n = index - self.seeded.len();
        (n < self.synthetic).then(|| Cow::Owned(self.synthetic_user(n)))
    }

    /// Position of a user by object id or UPN (case-insensitive).
    pub fn position(&self, key: &str) -> Option<usize> {
        let lower = key.to_lowercase();
        if let Some(i) = self.by_id.get(&lower).or_else(|| self.by_upn.get(&lower)) {
            return Some(*i);
        }
        self.synthetic_index(&lower).map(|n| self.seeded.len() + n)
    }

    /// A user by object id or UPN.
    pub fn find(&self, key: &str) -> Option<Cow<'_, User>> {
        self.position(key).and_then(|i| self.at(i))
    }

    fn synthetic_index(&self, lower: &str) -> Option<usize> {
        let n = if let Some(hex) = lower.strip_prefix(SYNTHETIC_ID_PREFIX) {
            (hex.len() == 12)
                .then(|| usize::from_str_radix(hex, 16).ok())
                .flatten()?
        } else {
            let local = lower
                .strip_suffix(&self.domain)?
                .strip_suffix('@')?
                .strip_prefix("user")?;
            let number: usize = local.parse().ok()?;
            // Only the exact spelling we generate names a user.
            if format!("{number:06}") != local || number == 0 {
                return None;
            }
            number - 1
        };
        (n < self.synthetic).then_some(n)
    }

    fn synthetic_user(&self, n: usize) -> User {
        let given = FIRST_NAMES[n % FIRST_NAMES.len()];
        let surname = LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()];
        let number = n + 1;
        let upn = format!("user{number:06}@{}", self.domain);
        User {
            id: format!("{SYNTHETIC_ID_PREFIX}{n:012x}"),
            user_principal_name: upn.clone(),
            display_name: Some(format!("{given} {surname} {number}")),
            given_name: Some(given.to_owned()),
            surname: Some(surname.to_owned()),
            mail: Some(upn),
            job_title: Some(JOB_TITLES[n % JOB_TITLES.len()].to_owned()),
            department: Some(DEPARTMENTS[n % DEPARTMENTS.len()].to_owned()),
            company_name: Some(self.company.clone()),
            office_location: Some(OFFICES[n % OFFICES.len()].to_owned()),
            employee_id: Some(format!("S{number:07}")),
            employee_type: Some("Employee".to_owned()),
            employee_hire_date: Some(format!(
                "20{:02}-{:02}-{:02}T00:00:00Z",
                10 + n % 16,
                1 + n % 12,
                1 + n % 28
            )),
            business_phones: vec![format!("+1 425 555 {:04}", n % 10_000)],
            mobile_phone: n
                .is_multiple_of(3)
                .then(|| format!("+1 206 555 {:04}", n % 10_000)),
            city: Some("Redmond".to_owned()),
            state: Some("WA".to_owned()),
            country: Some("United States".to_owned()),
            usage_location: Some("US".to_owned()),
            preferred_language: Some("en-US".to_owned()),
            account_enabled: true,
            user_type: None,
            // A tree: each synthetic user reports to the one at (n - 1) / 8.
            manager_id: (n > 0).then(|| format!("{SYNTHETIC_ID_PREFIX}{:012x}", (n - 1) / 8)),
            has_mailbox: n % 50 != 49,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> Directory {
        let admin = User {
            id: "11111111-1111-1111-1111-111111111111".into(),
            user_principal_name: "Admin@contoso.com".into(),
            display_name: Some("Admin".into()),
            given_name: None,
            surname: None,
            mail: None,
            job_title: None,
            department: None,
            company_name: None,
            office_location: None,
            employee_id: None,
            employee_type: None,
            employee_hire_date: None,
            business_phones: vec![],
            mobile_phone: None,
            city: None,
            state: None,
            country: None,
            usage_location: None,
            preferred_language: None,
            account_enabled: true,
            user_type: None,
            manager_id: None,
            has_mailbox: true,
        };
        Directory::new(vec![admin], 200_000, "contoso.com", "Contoso")
    }

    #[test]
    fn finds_seeded_and_synthetic_users_both_ways() {
        let d = directory();
        assert_eq!(d.len(), 200_001);
        assert_eq!(d.position("admin@CONTOSO.com"), Some(0));
        let last = d.at(200_000).unwrap().into_owned();
        assert_eq!(last.user_principal_name, "user200000@contoso.com");
        assert_eq!(d.position(&last.id), Some(200_000));
        assert_eq!(d.position("USER200000@contoso.com"), Some(200_000));
        assert_eq!(d.position("user200001@contoso.com"), None);
        assert_eq!(d.position("user0001@contoso.com"), None);
        assert_eq!(d.position("user000000@contoso.com"), None);
        assert!(d.at(200_001).is_none());
        // Managers resolve to real users.
        let manager = last.manager_id.unwrap();
        assert!(d.find(&manager).is_some());
    }

    #[test]
    fn assigned_plans_show_the_exchange_mailbox_and_only_on_select() {
        let d = directory();
        let services = |user: &User| -> Vec<String> {
            user.property("assignedPlans")
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .map(|p| p["service"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        let admin = d.at(0).unwrap().into_owned();
        assert_eq!(services(&admin), ["TeamspaceAPI", "exchange"]);
        let mut no_mailbox = admin.clone();
        no_mailbox.has_mailbox = false;
        assert_eq!(services(&no_mailbox), ["TeamspaceAPI"]);
        assert!(!DEFAULT_PROPERTIES.contains(&"assignedPlans"));
        assert_eq!(canonical_property("assignedplans"), Some("assignedPlans"));
    }
}
