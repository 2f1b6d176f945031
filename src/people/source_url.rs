//! Parse and format every form a `prioritizedSourceUrls` entry takes; the built-in source table.
//!
//! Entries we do not understand are kept verbatim: a [`SourceUrl`] always writes back exactly the
//! text it was parsed from, and only entries we create ourselves use the canonical v1.0 form.

use std::fmt;

use percent_encoding::percent_decode_str;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ids::SourceId;

/// Microsoft Entra ID, the default top-priority source.
pub const ENTRA_SOURCE_ID: &str = "4ce763dd-9214-4eff-af7c-da491cc3782d";
/// Organizational data in Microsoft 365.
pub const ORG_DATA_SOURCE_ID: &str = "7986c642-b494-4140-8df4-f5ed125e2c67";
/// Data written through the beta profile API (`/me/profile`, `/users/{id}/profile`).
pub const USER_SOURCE_ID: &str = "46a57efc-33f8-4eec-a512-b90039ad6187";
/// The legacy precedence entry that stands for Entra ID.
pub const ENTRA_AUTHORITY_URL: &str = "https://login.microsoftonline.com";
/// The `source.type` token the profile API gives connector sources.
pub const CONNECTOR_TYPE_TOKEN: &str = "ConnectorSource";

/// A source every tenant has, with its name and its profile-API `source.type` token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinSource {
    /// The fixed `sourceId`.
    pub id: &'static str,
    /// What admins call it.
    pub name: &'static str,
    /// The token in a profile entity's `source.type`, where the docs give one.
    pub type_token: Option<&'static str>,
}

/// The built-in sources of graph-api.md §5.4.
pub const BUILTIN_SOURCES: [BuiltinSource; 8] = [
    BuiltinSource {
        id: ENTRA_SOURCE_ID,
        name: "Microsoft Entra ID",
        type_token: Some("AAD"),
    },
    BuiltinSource {
        id: "0024a795-114d-4031-95c7-5fb543e00e80",
        name: "Microsoft Entra ID (alternative id)",
        type_token: Some("MsGraph"),
    },
    BuiltinSource {
        id: ORG_DATA_SOURCE_ID,
        name: "Organizational data in Microsoft 365",
        type_token: Some("OrganizationalDataInMicrosoft365"),
    },
    BuiltinSource {
        id: "6cdc4422-8c05-40c5-902e-8ade707725ab",
        name: "SharePoint user profiles (UPA)",
        type_token: Some("UPA"),
    },
    BuiltinSource {
        id: "9a3e0ce2-cf4b-477e-b3b3-df246318e251",
        name: "Microsoft account",
        type_token: None,
    },
    BuiltinSource {
        id: USER_SOURCE_ID,
        name: "Profile API (user edits)",
        type_token: Some("user"),
    },
    BuiltinSource {
        id: "75d4238e-b142-4d2d-aed9-232b830b8706",
        name: "People Skills (Skills in Viva)",
        type_token: Some("SkillsInViva"),
    },
    BuiltinSource {
        id: "107a83c9-714e-4d52-9d08-c303f081323b",
        name: "Photo ETag",
        type_token: None,
    },
];

/// The built-in source with this id, if it is one.
pub fn builtin_source(id: &SourceId) -> Option<&'static BuiltinSource> {
    BUILTIN_SOURCES
        .iter()
        .find(|b| b.id.eq_ignore_ascii_case(id.as_str()))
}

/// The profile API's `source.type` token for a source: the built-in's token, or
/// `ConnectorSource` for any other id (every non-built-in source is a connector).
pub fn source_type_token(id: &SourceId) -> Option<&'static str> {
    match builtin_source(id) {
        Some(b) => b.type_token,
        None => Some(CONNECTOR_TYPE_TOKEN),
    }
}

/// The canonical precedence entry for a source, with OData quote doubling inside the id.
pub fn canonical_url(id: &SourceId) -> String {
    // Entries are percent-decoded when read, so a literal '%' in an id is written as %25 to
    // come back as itself.
    format!(
        "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='{}')",
        id.as_str().replace('%', "%25").replace('\'', "''")
    )
}

/// How a `profileSources(sourceId='X')` reference was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileSourceForm {
    /// Exactly [`canonical_url`] of its id.
    Canonical,
    /// A Graph URL (any host, absolute or relative) whose path is
    /// `[/{version}]/admin/people/profileSources(...)`, not in canonical spelling.
    Url {
        /// The version segment (`v1.0`, `beta`, ...) as written, if there is one.
        version: Option<String>,
    },
    /// Other text that merely contains a `profileSources(sourceId='X')` segment.
    Embedded,
}

/// What a precedence entry refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceRef {
    /// A profile source addressed by its alternate key.
    ProfileSource {
        /// The `sourceId` inside the quotes, unescaped.
        source_id: SourceId,
        /// How it was written.
        form: ProfileSourceForm,
    },
    /// The 2025 preview form `/external/connections/X` (relative or absolute).
    LegacyConnection {
        /// The connection id, which is also its source id.
        source_id: SourceId,
    },
    /// `https://login.microsoftonline.com`, the preview's way to name Entra ID.
    EntraAuthority,
    /// Anything else: kept and written back as it is.
    Unrecognised,
}

/// One `prioritizedSourceUrls` entry: the verbatim text plus what we understood of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceUrl {
    raw: String,
    reference: SourceRef,
    source_id: Option<SourceId>,
}

impl SourceUrl {
    /// Parses an entry. Never fails: text we do not understand becomes [`SourceRef::Unrecognised`].
    pub fn parse(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let reference = classify(&raw);
        let source_id = match &reference {
            SourceRef::ProfileSource { source_id, .. }
            | SourceRef::LegacyConnection { source_id } => Some(source_id.clone()),
            SourceRef::EntraAuthority => Some(SourceId::entra()),
            SourceRef::Unrecognised => None,
        };
        Self {
            raw,
            reference,
            source_id,
        }
    }

    /// A new entry for `id` in the canonical v1.0 form.
    pub fn for_source(id: &SourceId) -> Self {
        Self {
            raw: canonical_url(id),
            reference: SourceRef::ProfileSource {
                source_id: id.clone(),
                form: ProfileSourceForm::Canonical,
            },
            source_id: Some(id.clone()),
        }
    }

    /// The entry exactly as it was read (or created): what is written back.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// What the entry refers to.
    pub fn reference(&self) -> &SourceRef {
        &self.reference
    }

    /// The source the entry names, if we recognised it (the Entra authority URL names Entra ID).
    pub fn source_id(&self) -> Option<&SourceId> {
        self.source_id.as_ref()
    }

    /// Whether the entry is written in the canonical v1.0 form.
    pub fn is_canonical(&self) -> bool {
        matches!(
            self.reference,
            SourceRef::ProfileSource {
                form: ProfileSourceForm::Canonical,
                ..
            }
        )
    }

    /// The display name of a built-in source this entry names, if any.
    pub fn builtin(&self) -> Option<&'static BuiltinSource> {
        self.source_id.as_ref().and_then(builtin_source)
    }
}

impl fmt::Display for SourceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl From<&str> for SourceUrl {
    fn from(value: &str) -> Self {
        Self::parse(value)
    }
}

impl From<String> for SourceUrl {
    fn from(value: String) -> Self {
        Self::parse(value)
    }
}

impl Serialize for SourceUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for SourceUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::parse)
    }
}

fn classify(raw: &str) -> SourceRef {
    // Percent-decoding first lets %27/%28/%29 (and any other escapes) match like plain text;
    // the raw text is still what gets written back.
    let decoded = percent_decode_str(raw.trim()).decode_utf8_lossy();
    let text: &str = &decoded;
    // ASCII lowercasing keeps byte offsets, so positions found in `lower` index `text`.
    let lower = text.to_ascii_lowercase();

    if lower.trim_end_matches('/') == ENTRA_AUTHORITY_URL {
        return SourceRef::EntraAuthority;
    }
    if let Some((start, end, id)) = find_profile_source(text, &lower) {
        let Ok(source_id) = SourceId::new(id) else {
            return SourceRef::Unrecognised;
        };
        let form = if raw == canonical_url(&source_id) {
            ProfileSourceForm::Canonical
        } else if let Some(version) =
            graph_prefix(&lower[..start], "/admin/people/").filter(|_| text[end..].is_empty())
        {
            ProfileSourceForm::Url {
                version: version.map(|(a, b)| text[a..b].to_owned()),
            }
        } else {
            ProfileSourceForm::Embedded
        };
        return SourceRef::ProfileSource { source_id, form };
    }
    if let Some(source_id) = legacy_connection(text, &lower) {
        return SourceRef::LegacyConnection { source_id };
    }
    SourceRef::Unrecognised
}

/// Finds `profileSources(sourceId='X')`; returns the segment's byte range and the unescaped id.
fn find_profile_source(text: &str, lower: &str) -> Option<(usize, usize, String)> {
    const HEAD: &str = "profilesources(";
    let mut from = 0;
    while let Some(pos) = lower[from..].find(HEAD) {
        let start = from + pos;
        if let Some((end, id)) = parse_key(text, lower, start + HEAD.len()) {
            return Some((start, end, id));
        }
        from = start + HEAD.len();
    }
    None
}

/// Parses `sourceId='X')` at `at`, allowing blanks around `=`; `''` inside the quotes is one `'`.
fn parse_key(text: &str, lower: &str, at: usize) -> Option<(usize, String)> {
    let skip_ws = |i: usize| i + (lower[i..].len() - lower[i..].trim_start().len());
    let expect = |i: usize, lit: &str| lower[i..].starts_with(lit).then_some(i + lit.len());
    let i = expect(skip_ws(at), "sourceid")?;
    let i = expect(skip_ws(i), "=")?;
    let i = expect(skip_ws(i), "'")?;
    let mut id = String::new();
    let mut chars = text[i..].char_indices().peekable();
    while let Some((off, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                chars.next();
                id.push('\'');
                continue;
            }
            let close = expect(skip_ws(i + off + 1), ")")?;
            return Some((close, id));
        }
        id.push(c);
    }
    None
}

/// If `prefix` is `[scheme://host][/version]` followed by `tail` (all lowercase), returns
/// `Some(version byte range)`.
#[allow(clippy::option_option)] // outer: matched at all; inner: whether a version was written
fn graph_prefix(prefix: &str, tail: &str) -> Option<Option<(usize, usize)>> {
    let head = prefix.strip_suffix(tail)?;
    let path_start = if let Some(after_scheme) = head
        .strip_prefix("https://")
        .or_else(|| head.strip_prefix("http://"))
    {
        let host_len = after_scheme.find('/').unwrap_or(after_scheme.len());
        if host_len == 0 {
            return None;
        }
        head.len() - after_scheme.len() + host_len
    } else {
        0
    };
    let path = &head[path_start..];
    if path.is_empty() {
        return Some(None);
    }
    let version = path.strip_prefix('/')?;
    if version.is_empty() || version.contains('/') {
        return None;
    }
    Some(Some((path_start + 1, head.len())))
}

fn legacy_connection(text: &str, lower: &str) -> Option<SourceId> {
    const SEG: &str = "external/connections/";
    let pos = lower.find(SEG)?;
    let prefix = &lower[..pos];
    let ok_prefix = prefix.is_empty() || graph_prefix(prefix, "/").is_some();
    if !ok_prefix {
        return None;
    }
    let rest = &text[pos + SEG.len()..];
    let id = rest.strip_suffix('/').unwrap_or(rest);
    if id.is_empty() || id.contains(['/', '?', '#']) {
        return None;
    }
    SourceId::new(id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> SourceId {
        SourceId::new(s).expect("valid source id")
    }

    fn named(raw: &str) -> Option<String> {
        SourceUrl::parse(raw)
            .source_id()
            .map(|s| s.as_str().to_owned())
    }

    #[test]
    fn canonical_round_trip() {
        let url = SourceUrl::for_source(&id("contosohr"));
        assert_eq!(
            url.as_str(),
            "https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='contosohr')"
        );
        let parsed = SourceUrl::parse(url.as_str());
        assert_eq!(parsed, url);
        assert!(parsed.is_canonical());
    }

    #[test]
    fn quote_doubling_both_ways() {
        let url = SourceUrl::for_source(&id("o'brien"));
        assert!(url.as_str().ends_with("(sourceId='o''brien')"));
        assert_eq!(named(url.as_str()).as_deref(), Some("o'brien"));
        assert!(SourceUrl::parse(url.as_str()).is_canonical());
    }

    #[test]
    fn every_profile_source_form() {
        let cases = [
            (
                "https://graph.microsoft.com/beta/admin/people/profileSources(sourceId='hr1')",
                Some("beta"),
            ),
            (
                "https://graph.microsoft.us/v1.0/admin/people/profileSources(sourceId='hr1')",
                Some("v1.0"),
            ),
            (
                "HTTPS://GRAPH.MICROSOFT.COM/V1.0/ADMIN/PEOPLE/PROFILESOURCES(SOURCEID='hr1')",
                Some("V1.0"),
            ),
            (
                "https://graph.microsoft.com/v1.0/admin/people/profileSources%28sourceId%3D%27hr1%27%29",
                Some("v1.0"),
            ),
            (
                "/v1.0/admin/people/profileSources(sourceId = 'hr1')",
                Some("v1.0"),
            ),
            (
                "https://localhost:8443/admin/people/profileSources(sourceId='hr1')",
                None,
            ),
        ];
        for (raw, version) in cases {
            let url = SourceUrl::parse(raw);
            assert_eq!(url.source_id(), Some(&id("hr1")), "{raw}");
            assert_eq!(
                url.reference(),
                &SourceRef::ProfileSource {
                    source_id: id("hr1"),
                    form: ProfileSourceForm::Url {
                        version: version.map(str::to_owned)
                    }
                },
                "{raw}"
            );
            assert_eq!(url.as_str(), raw, "written back verbatim");
        }
    }

    #[test]
    fn embedded_segment_is_recognised() {
        let raw = "/service/https://graph.microsoft.com/v1.0/admin/people/profileSources(sourceId='contosohr1')";
        let url = SourceUrl::parse(raw);
        assert_eq!(url.source_id(), Some(&id("contosohr1")));
        assert!(matches!(
            url.reference(),
            SourceRef::ProfileSource {
                form: ProfileSourceForm::Embedded,
                ..
            }
        ));
        assert_eq!(
            named("see profileSources(sourceId='a''b') here").as_deref(),
            Some("a'b")
        );
    }

    #[test]
    fn legacy_forms() {
        for raw in [
            "/external/connections/contosohr1",
            "https://graph.microsoft.com/beta/external/connections/contosohr1",
            "https://graph.microsoft.com/v1.0/external/connections/contosohr1/",
            "external/connections/contosohr1",
        ] {
            assert_eq!(
                SourceUrl::parse(raw).reference(),
                &SourceRef::LegacyConnection {
                    source_id: id("contosohr1")
                },
                "{raw}"
            );
        }
        assert_eq!(named("/external/connections/hr/items/x"), None);
    }

    #[test]
    fn entra_authority() {
        for raw in [
            "https://login.microsoftonline.com",
            "https://login.microsoftonline.com/",
            "HTTPS://Login.MicrosoftOnline.com",
        ] {
            let url = SourceUrl::parse(raw);
            assert_eq!(url.reference(), &SourceRef::EntraAuthority);
            assert!(url.source_id().is_some_and(SourceId::is_entra));
        }
        assert_eq!(named("https://login.microsoftonline.com/tenant"), None);
    }

    #[test]
    fn unrecognised_is_kept_verbatim() {
        for raw in [
            "",
            "  ",
            "https://example.com/whatever",
            "profileSources(sourceId=hr1)",
            "profileSources(sourceId='')",
            "profileSources(sourceId='unterminated)",
        ] {
            let url = SourceUrl::parse(raw);
            assert_eq!(url.reference(), &SourceRef::Unrecognised, "{raw:?}");
            assert_eq!(url.as_str(), raw);
            let json = serde_json::to_string(&url).expect("serialises");
            assert_eq!(json, serde_json::to_string(raw).expect("serialises"));
        }
    }

    #[test]
    fn builtins_have_names_and_tokens() {
        let entra = SourceUrl::parse(canonical_url(&SourceId::entra()));
        assert_eq!(entra.builtin().map(|b| b.name), Some("Microsoft Entra ID"));
        assert_eq!(source_type_token(&SourceId::entra()), Some("AAD"));
        assert_eq!(
            source_type_token(&id(ORG_DATA_SOURCE_ID)),
            Some("OrganizationalDataInMicrosoft365")
        );
        assert_eq!(source_type_token(&id(USER_SOURCE_ID)), Some("user"));
        assert_eq!(source_type_token(&id("contosohr")), Some("ConnectorSource"));
        assert_eq!(
            source_type_token(&id("9a3e0ce2-cf4b-477e-b3b3-df246318e251")),
            None
        );
    }
}

#[cfg(test)]
mod proptests;
