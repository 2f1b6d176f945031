//! Newtype ids: connection ids (validated per Graph's rules), profile source ids and UPNs.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// A connection id must be 3 to 32 characters long.
    #[error("connection id {id:?} is {len} characters long; it must be 3 to 32")]
    ConnectionIdLength {
        /// The rejected id.
        id: String,
        /// Its length in characters.
        len: usize,
    },
    /// A connection id may hold only ASCII letters and digits.
    #[error(
        "connection id {id:?} contains {ch:?}; only letters A-Z, a-z and digits 0-9 are allowed"
    )]
    ConnectionIdCharacter {
        /// The rejected id.
        id: String,
        /// The first offending character.
        ch: char,
    },
    /// A connection id must not start with "Microsoft".
    #[error("connection id {0:?} starts with \"Microsoft\", which Graph reserves")]
    ConnectionIdMicrosoftPrefix(String),
    /// A connection id must not be one of Graph's reserved names.
    #[error("connection id {id:?} is the reserved name {reserved:?}")]
    ConnectionIdReserved {
        /// The rejected id.
        id: String,
        /// The reserved name it matches.
        reserved: &'static str,
    },
    /// A profile source id must not be empty or blank.
    #[error("a profile source id must not be empty")]
    EmptySourceId,
    /// A UPN must look like `local@domain`.
    #[error("{upn:?} is not a user principal name: {reason}")]
    Upn {
        /// The rejected text.
        upn: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Text that cannot name an object in a Graph URL.
    #[error("{what} {id:?} cannot be a Graph key: {reason}")]
    NotAKey {
        /// What the text was meant to be ("source id", "user").
        what: &'static str,
        /// The rejected text.
        id: String,
        /// Why.
        reason: &'static str,
    },
    /// A user is named by UPN or object id.
    #[error("{0:?} is neither a user principal name (name@domain) nor an object id (a GUID)")]
    NotAUser(String),
}

/// Longest key sent for a source id or a user. Entra caps UPNs at 113 characters and object
/// ids are 36; Graph's limit for a profile source id is UNCONFIRMED, and 256 is far above any
/// connection id (32) or GUID.
pub const MAX_KEY_CHARS: usize = 256;

/// Checks that `id` can be a key in a Graph URL, whether in a path segment (`/users/{id}`) or
/// an alternate key (`(sourceId='{id}')`): not empty, not `.` or `..` (a URL treats those as
/// path steps, so `/connections/..` would name another resource), no control characters, no
/// surrounding blanks, at most [`MAX_KEY_CHARS`].
pub fn check_key(what: &'static str, id: &str) -> Result<(), IdError> {
    let fail = |reason| {
        Err(IdError::NotAKey {
            what,
            id: id.to_owned(),
            reason,
        })
    };
    if id.is_empty() {
        return fail("it is empty");
    }
    // Percent-encoded dots are path steps too (the WHATWG URL rules read `%2e` as `.`).
    let dots = id.to_ascii_lowercase().replace("%2e", ".");
    if dots == "." || dots == ".." {
        return fail("'.' and '..' are path steps in a URL, not names");
    }
    if id.chars().any(char::is_control) {
        return fail("it contains a control character");
    }
    if id.trim() != id {
        return fail("it starts or ends with a blank");
    }
    if id.chars().count() > MAX_KEY_CHARS {
        return fail("it is longer than 256 characters");
    }
    Ok(())
}

/// Checks a user named on the command line: a UPN or an object id (GUID).
pub fn check_user_key(text: &str) -> Result<(), IdError> {
    check_key("user", text)?;
    if text.contains('@') {
        return Upn::new(text).map(drop);
    }
    if is_guid(text) {
        Ok(())
    } else {
        Err(IdError::NotAUser(text.to_owned()))
    }
}

/// True for `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hex digits.
pub fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Names Graph refuses as connection ids (graph-api.md §1.1).
pub const RESERVED_CONNECTION_IDS: [&str; 16] = [
    "None",
    "Directory",
    "Exchange",
    "ExchangeArchive",
    "LinkedIn",
    "Mailbox",
    "OneDriveBusiness",
    "SharePoint",
    "Teams",
    "Yammer",
    "Connectors",
    "TaskFabric",
    "PowerBI",
    "Assistant",
    "TopicEngine",
    "MSFT_All_Connectors",
];

/// An external connection id: 3–32 ASCII alphanumerics, not starting with `Microsoft`, not reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectionId(String);

impl ConnectionId {
    /// Validates `id` against Graph's connection id rules.
    pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
        let id = id.into();
        let len = id.chars().count();
        if !(3..=32).contains(&len) {
            return Err(IdError::ConnectionIdLength { id, len });
        }
        if let Some(ch) = id.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(IdError::ConnectionIdCharacter { id, ch });
        }
        // Whether Graph compares the prefix and the reserved names case-sensitively is
        // UNCONFIRMED (graph-api.md §1.1); we refuse every casing, so an id we accept
        // can never be refused by the service for this reason.
        if id.len() >= 9 && id[..9].eq_ignore_ascii_case("microsoft") {
            return Err(IdError::ConnectionIdMicrosoftPrefix(id));
        }
        if let Some(reserved) = RESERVED_CONNECTION_IDS
            .iter()
            .find(|r| r.eq_ignore_ascii_case(&id))
        {
            return Err(IdError::ConnectionIdReserved { id, reserved });
        }
        Ok(Self(id))
    }

    /// The id as sent to Graph.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The profile source id a people connection registers under (it equals the connection id).
    pub fn to_source_id(&self) -> SourceId {
        SourceId(self.0.clone())
    }
}

impl TryFrom<String> for ConnectionId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ConnectionId> for String {
    fn from(value: ConnectionId) -> Self {
        value.0
    }
}

impl FromStr for ConnectionId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A profile source id (`sourceId`): a built-in GUID or a connection id.
///
/// Compared ASCII-case-insensitively: the built-in ids are GUIDs, whose case carries no
/// meaning, and Graph resolves the `sourceId` alternate key without regard to case as far as
/// the docs show (UNCONFIRMED for connector ids). The original spelling is kept for display.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SourceId(String);

impl SourceId {
    /// A source id; refuses empty or blank text. Surrounding whitespace is trimmed.
    pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
        let id = id.into();
        let trimmed = id.trim();
        if trimmed.is_empty() {
            return Err(IdError::EmptySourceId);
        }
        if trimmed.len() == id.len() {
            Ok(Self(id))
        } else {
            Ok(Self(trimmed.to_owned()))
        }
    }

    /// A source id the admin typed: trimmed, and refused unless it can be a Graph key (see
    /// [`check_key`]). Ids read from Graph go through [`SourceId::new`], which only refuses
    /// blank text, so one odd source never hides the others.
    pub fn parse_arg(text: &str) -> Result<Self, IdError> {
        let id = text.trim();
        check_key("source id", id)?;
        Self::new(id)
    }

    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Microsoft Entra ID, the built-in default source.
    pub fn entra() -> Self {
        Self(crate::people::source_url::ENTRA_SOURCE_ID.to_owned())
    }

    /// Data written through the profile API (`/users/{id}/profile`), the `user` source.
    pub fn profile_api_user() -> Self {
        Self(crate::people::source_url::USER_SOURCE_ID.to_owned())
    }

    /// Whether this is Microsoft Entra ID.
    pub fn is_entra(&self) -> bool {
        self.0
            .eq_ignore_ascii_case(crate::people::source_url::ENTRA_SOURCE_ID)
    }

    /// Whether this is the profile API's `user` source, which never overrides other sources.
    pub fn is_profile_api_user(&self) -> bool {
        self.0
            .eq_ignore_ascii_case(crate::people::source_url::USER_SOURCE_ID)
    }
}

impl PartialEq for SourceId {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for SourceId {}

impl Hash for SourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

impl PartialOrd for SourceId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SourceId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}

impl TryFrom<String> for SourceId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<SourceId> for String {
    fn from(value: SourceId) -> Self {
        value.0
    }
}

impl From<&ConnectionId> for SourceId {
    fn from(value: &ConnectionId) -> Self {
        value.to_source_id()
    }
}

impl FromStr for SourceId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user principal name (`local@domain`), compared case-insensitively as Entra does.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Upn(String);

impl Upn {
    /// Checks the shape only (one `@`, both sides non-empty, no whitespace or control
    /// characters); whether the user exists is for Graph to say.
    pub fn new(upn: impl Into<String>) -> Result<Self, IdError> {
        let upn = upn.into();
        let fail = |upn: String, reason| Err(IdError::Upn { upn, reason });
        if upn.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return fail(upn, "it contains whitespace or a control character");
        }
        let Some((local, domain)) = upn.split_once('@') else {
            return fail(upn, "it has no '@'");
        };
        if local.is_empty() {
            return fail(upn, "nothing before the '@'");
        }
        if domain.is_empty() {
            return fail(upn, "nothing after the '@'");
        }
        if domain.contains('@') {
            return fail(upn, "it has more than one '@'");
        }
        Ok(Self(upn))
    }

    /// The UPN as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercased UPN, the form item ids and lookups are keyed on.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl PartialEq for Upn {
    fn eq(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}

impl Eq for Upn {}

impl Hash for Upn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.normalized().hash(state);
    }
}

impl TryFrom<String> for Upn {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Upn> for String {
    fn from(value: Upn) -> Self {
        value.0
    }
}

impl FromStr for Upn {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for Upn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_id_accepts_plain_alphanumerics() {
        for ok in ["abc", "contosohr", "ContosoHR1", &"a".repeat(32)] {
            assert_eq!(
                ConnectionId::new(ok).map(|c| c.to_string()),
                Ok(ok.to_owned())
            );
        }
    }

    #[test]
    fn connection_id_length_limits() {
        assert!(matches!(
            ConnectionId::new("ab"),
            Err(IdError::ConnectionIdLength { len: 2, .. })
        ));
        assert!(matches!(
            ConnectionId::new("a".repeat(33)),
            Err(IdError::ConnectionIdLength { len: 33, .. })
        ));
    }

    #[test]
    fn connection_id_refuses_non_alphanumerics() {
        for (bad, ch) in [
            ("contoso-hr", '-'),
            ("contoso_hr", '_'),
            ("contosohré", 'é'),
        ] {
            assert_eq!(
                ConnectionId::new(bad),
                Err(IdError::ConnectionIdCharacter {
                    id: bad.to_owned(),
                    ch
                })
            );
        }
    }

    #[test]
    fn connection_id_refuses_microsoft_prefix_in_any_case() {
        for bad in ["MicrosoftHR", "microsofthr", "MICROSOFT1"] {
            assert!(matches!(
                ConnectionId::new(bad),
                Err(IdError::ConnectionIdMicrosoftPrefix(_))
            ));
        }
        assert!(ConnectionId::new("MyMicrosoftHR").is_ok());
    }

    #[test]
    fn connection_id_refuses_reserved_names_case_insensitively() {
        for bad in ["None", "none", "SHAREPOINT", "PowerBI", "linkedin"] {
            assert!(
                matches!(
                    ConnectionId::new(bad),
                    Err(IdError::ConnectionIdReserved { .. })
                ),
                "{bad}"
            );
        }
        // MSFT_All_Connectors has an underscore, so the charset rule refuses it first.
        assert!(ConnectionId::new("MSFT_All_Connectors").is_err());
        assert!(ConnectionId::new("Teams2").is_ok());
    }

    #[test]
    fn connection_id_serde_validates() {
        let ok: Result<ConnectionId, _> = serde_json::from_str("\"contosohr\"");
        assert_eq!(
            ok.map(|c| c.as_str().to_owned()).ok().as_deref(),
            Some("contosohr")
        );
        let bad: Result<ConnectionId, _> = serde_json::from_str("\"x-y\"");
        assert!(bad.is_err());
    }

    #[test]
    fn source_ids_compare_without_case() {
        let a = SourceId::new("4CE763DD-9214-4EFF-AF7C-DA491CC3782D").expect("valid");
        assert!(a.is_entra());
        assert_eq!(a, SourceId::entra());
        assert_eq!(a.as_str(), "4CE763DD-9214-4EFF-AF7C-DA491CC3782D");
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&SourceId::entra()));
        assert_eq!(SourceId::new("  "), Err(IdError::EmptySourceId));
        assert_eq!(SourceId::new(" hr ").map(String::from), Ok("hr".to_owned()));
    }

    #[test]
    fn keys_that_a_url_would_reinterpret_are_refused() {
        for bad in [".", "..", "%2e", "%2E%2e", ".%2E", ""] {
            let e = SourceId::parse_arg(bad).unwrap_err();
            assert!(
                matches!(e, IdError::NotAKey { .. } | IdError::EmptySourceId),
                "{bad}: {e}"
            );
        }
        assert_eq!(
            SourceId::parse_arg("..").unwrap_err().to_string(),
            "source id \"..\" cannot be a Graph key: '.' and '..' are path steps in a URL, not names"
        );
        let e = SourceId::parse_arg("hr\u{1b}]52;c;x\u{7}")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "source id \"hr\\u{1b}]52;c;x\\u{7}\" cannot be a Graph key: it contains a control character"
        );
        assert!(SourceId::parse_arg(&"a".repeat(MAX_KEY_CHARS + 1)).is_err());
        // Odd but possible ids stay possible: Graph encodes them.
        for ok in [
            "...",
            "o'brien",
            "a/b",
            "with space",
            "日本語",
            &"a".repeat(MAX_KEY_CHARS),
        ] {
            assert_eq!(SourceId::parse_arg(ok).unwrap().as_str(), ok, "{ok}");
        }
        assert_eq!(SourceId::parse_arg(" hr ").unwrap().as_str(), "hr");
    }

    #[test]
    fn users_are_upns_or_object_ids() {
        assert!(check_user_key("alex@contoso.com").is_ok());
        assert!(check_user_key("4ce763dd-9214-4eff-af7c-da491cc3782d").is_ok());
        for bad in [
            ".",
            "..",
            "alex",
            "4ce763dd-9214-4eff-af7c",
            "a b@c.com",
            "a@b@c",
        ] {
            assert!(check_user_key(bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_user_key("alex").unwrap_err().to_string(),
            "\"alex\" is neither a user principal name (name@domain) nor an object id (a GUID)"
        );
    }

    #[test]
    fn upn_shape_rules() {
        assert!(Upn::new("alexw@contoso.com").is_ok());
        for bad in [
            "alexw",
            "@contoso.com",
            "alexw@",
            "a@b@c",
            "alex w@contoso.com",
        ] {
            assert!(Upn::new(bad).is_err(), "{bad}");
        }
        let a = Upn::new("AlexW@Contoso.com").expect("valid");
        assert_eq!(a, Upn::new("alexw@contoso.com").expect("valid"));
        assert_eq!(a.normalized(), "alexw@contoso.com");
    }
}
