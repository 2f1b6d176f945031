//! What an access token says about who is signed in: decoded for display, never verified (Graph
//! verifies it) and never shown itself.

// The one decoder: `auth status` and the console's header both read tokens through it, so they
// cannot disagree on who is signed in.

use base64::Engine;
use serde::{Deserialize, Serialize};

/// App-only (client credentials) or delegated (a person signed in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenKind {
    AppOnly,
    Delegated,
}

impl TokenKind {
    /// How the kind is shown: `app-only` or `delegated`.
    pub fn label(self) -> &'static str {
        match self {
            Self::AppOnly => "app-only",
            Self::Delegated => "delegated",
        }
    }
}

/// The claims peoplectl shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub kind: TokenKind,
    /// The signed-in person's UPN, or the app's display name.
    pub identity: String,
    pub tenant_id: Option<String>,
    /// Application permissions (app-only) or delegated scopes.
    pub permissions: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub expires_at: Option<i64>,
}

#[derive(Deserialize)]
struct Claims {
    idtyp: Option<String>,
    upn: Option<String>,
    unique_name: Option<String>,
    preferred_username: Option<String>,
    app_displayname: Option<String>,
    appid: Option<String>,
    azp: Option<String>,
    tid: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    scp: Option<String>,
    exp: Option<i64>,
}

/// Who and how, as `auth status` and the console show them; `?` and `unknown` when the token is
/// opaque (signed in, but it does not say as whom).
pub fn who_and_how(info: Option<&TokenInfo>) -> (&str, &'static str) {
    info.map_or(("?", "unknown"), |i| (i.identity.as_str(), i.kind.label()))
}

/// Decodes a JWT's payload. `None` for anything that is not a JWT (opaque tokens exist).
pub fn decode(token: &str) -> Option<TokenInfo> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let c: Claims = serde_json::from_slice(&bytes).ok()?;
    let person = c
        .upn
        .clone()
        .or(c.preferred_username.clone())
        .or(c.unique_name.clone());
    let delegated = match c.idtyp.as_deref() {
        Some("app") => false,
        Some("user") => true,
        _ => c.scp.is_some() || person.is_some(),
    };
    let identity = if delegated {
        person.unwrap_or_else(|| "a signed-in user".into())
    } else {
        c.app_displayname
            .clone()
            .or(c.appid.clone())
            .or(c.azp.clone())
            .unwrap_or_else(|| "an application".into())
    };
    let permissions = if delegated {
        c.scp
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    } else {
        c.roles
    };
    Some(TokenInfo {
        kind: if delegated {
            TokenKind::Delegated
        } else {
            TokenKind::AppOnly
        },
        identity,
        tenant_id: c.tid,
        permissions,
        expires_at: c.exp,
    })
}

/// A feature and the permissions that unlock it, for `auth status` and the TUI header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Feature {
    pub name: &'static str,
    pub available: bool,
    /// What is missing, in words an admin can act on.
    pub needs: Option<String>,
}

/// Which features the token's permissions allow.
pub fn features(info: &TokenInfo) -> Vec<Feature> {
    let has = |any: &[&str]| {
        any.iter()
            .any(|p| info.permissions.iter().any(|q| q.eq_ignore_ascii_case(p)))
    };
    let check = |name: &'static str, any: &[&str]| Feature {
        name,
        available: has(any),
        needs: (!has(any)).then(|| format!("needs {}", any.join(" or "))),
    };
    let mut out = vec![
        check(
            "read connections",
            &[
                "ExternalConnection.Read.All",
                "ExternalConnection.ReadWrite.OwnedBy",
                "ExternalConnection.ReadWrite.All",
            ],
        ),
        check(
            "create and delete connections",
            &[
                "ExternalConnection.ReadWrite.OwnedBy",
                "ExternalConnection.ReadWrite.All",
            ],
        ),
        check(
            "write items (sync)",
            &[
                "ExternalItem.ReadWrite.OwnedBy",
                "ExternalItem.ReadWrite.All",
            ],
        ),
        check(
            "read sources and precedence",
            &["PeopleSettings.Read.All", "PeopleSettings.ReadWrite.All"],
        ),
        check(
            "register, reorder, remove",
            &["PeopleSettings.ReadWrite.All"],
        ),
        check(
            "read users",
            &["User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All"],
        ),
    ];
    let profile_ok = info.kind == TokenKind::Delegated;
    out.push(Feature {
        name: "read the profile API",
        available: profile_ok,
        needs: (!profile_ok).then(|| "needs delegated sign-in: peoplectl auth login".into()),
    });
    out
}

/// A token carrying `claims`, unsigned (nothing here checks signatures), for tests.
#[cfg(test)]
pub(crate) fn unsigned_jwt(claims: &serde_json::Value) -> String {
    let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.{}",
        enc(br#"{"alg":"HS256","typ":"JWT"}"#),
        enc(claims.to_string().as_bytes()),
        enc(b"sig")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_only_tokens_name_the_app_and_its_roles() {
        let t = unsigned_jwt(
            &serde_json::json!({"idtyp":"app","app_displayname":"peoplectl demo","roles":["PeopleSettings.Read.All"],"tid":"t","exp":5}),
        );
        let info = decode(&t).unwrap();
        assert_eq!(info.kind, TokenKind::AppOnly);
        assert_eq!(info.identity, "peoplectl demo");
        assert_eq!(info.permissions, ["PeopleSettings.Read.All"]);
        let f = features(&info);
        let get = |n: &str| f.iter().find(|x| x.name == n).unwrap().clone();
        assert!(get("read sources and precedence").available);
        assert!(!get("register, reorder, remove").available);
        assert!(
            get("register, reorder, remove")
                .needs
                .unwrap()
                .contains("PeopleSettings.ReadWrite.All")
        );
        assert!(!get("read the profile API").available);
    }

    #[test]
    fn delegated_tokens_name_the_person_and_scopes() {
        let t = unsigned_jwt(
            &serde_json::json!({"idtyp":"user","upn":"megan@contoso.com","scp":"User.Read PeopleSettings.ReadWrite.All"}),
        );
        let info = decode(&t).unwrap();
        assert_eq!(info.kind, TokenKind::Delegated);
        assert_eq!(info.identity, "megan@contoso.com");
        assert_eq!(info.permissions.len(), 2);
        assert!(
            features(&info)
                .iter()
                .any(|f| f.name == "read the profile API" && f.available)
        );
    }

    #[test]
    fn tokens_without_idtyp_are_told_apart_by_their_claims() {
        let person = decode(&unsigned_jwt(&serde_json::json!({"scp": "User.Read"}))).unwrap();
        assert_eq!(person.kind, TokenKind::Delegated);
        assert_eq!(person.identity, "a signed-in user");
        let person = decode(&unsigned_jwt(
            &serde_json::json!({"preferred_username": "megan@contoso.com", "name": "Megan"}),
        ))
        .unwrap();
        assert_eq!(person.kind, TokenKind::Delegated);
        assert_eq!(person.identity, "megan@contoso.com");
        let app = decode(&unsigned_jwt(
            &serde_json::json!({"roles": ["User.Read.All"], "appid": "a1"}),
        ))
        .unwrap();
        assert_eq!(app.kind, TokenKind::AppOnly);
        assert_eq!(app.identity, "a1");
        assert_eq!(who_and_how(Some(&app)), ("a1", "app-only"));
        assert_eq!(who_and_how(None), ("?", "unknown"));
    }

    #[test]
    fn opaque_tokens_decode_to_nothing() {
        assert!(decode("opaque-token").is_none());
        assert!(decode("a.b.c").is_none());
    }
}
