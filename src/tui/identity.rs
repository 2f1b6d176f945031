//! Who the console is signed in as, read from the access token's claims (never the token itself).

use base64::Engine as _;

/// App-only or on behalf of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// Client credentials: the app itself.
    AppOnly,
    /// Delegated: a signed-in user.
    Delegated,
    /// The token did not say.
    Unknown,
}

/// The identity shown in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub sign_in: SignIn,
    /// The user's UPN (delegated) or the app's display name (app-only).
    pub name: String,
    /// App roles (`roles`) or delegated scopes (`scp`).
    pub permissions: Vec<String>,
    /// The tenant id (`tid`).
    pub tenant_id: Option<String>,
}

impl Identity {
    /// Reads the claims of a JWT access token. Only the payload is decoded; the signature is
    /// not checked (Graph checks it) and the token is not kept.
    pub fn from_token(token: &str) -> Result<Self, String> {
        let payload = token
            .split('.')
            .nth(1)
            .ok_or_else(|| "the access token is not a JWT".to_owned())?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| "the access token's claims are not base64url".to_owned())?;
        let claims: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| "the access token's claims are not JSON".to_owned())?;
        let text = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let sign_in = match text("idtyp").as_deref() {
            Some("app") => SignIn::AppOnly,
            Some("user") => SignIn::Delegated,
            // Older tokens lack idtyp: a scp claim means delegated, roles alone app-only.
            _ if claims.get("scp").is_some() => SignIn::Delegated,
            _ if claims.get("roles").is_some() => SignIn::AppOnly,
            _ => SignIn::Unknown,
        };
        let name = match sign_in {
            SignIn::Delegated => text("upn")
                .or_else(|| text("unique_name"))
                .or_else(|| text("name")),
            _ => text("app_displayname").or_else(|| text("appid")),
        }
        .unwrap_or_else(|| "unknown".to_owned());
        let mut permissions: Vec<String> = claims
            .get("roles")
            .and_then(|r| r.as_array())
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(scp) = text("scp") {
            permissions.extend(scp.split_whitespace().map(str::to_owned));
        }
        Ok(Self {
            sign_in,
            name,
            permissions,
            tenant_id: text("tid"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &serde_json::Value) -> String {
        let enc = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        format!(
            "{}.{}.sig",
            enc(br#"{"alg":"RS256"}"#),
            enc(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn app_and_delegated_tokens() {
        let app = Identity::from_token(&jwt(&serde_json::json!({
            "idtyp": "app", "app_displayname": "peoplectl demo",
            "roles": ["User.Read.All"], "tid": "t1"
        })))
        .unwrap();
        assert_eq!(app.sign_in, SignIn::AppOnly);
        assert_eq!(app.name, "peoplectl demo");
        assert_eq!(app.permissions, ["User.Read.All"]);
        assert_eq!(app.tenant_id.as_deref(), Some("t1"));
        let user = Identity::from_token(&jwt(&serde_json::json!({
            "idtyp": "user", "upn": "priya.raman@contoso.com", "scp": "User.Read People.Read"
        })))
        .unwrap();
        assert_eq!(user.sign_in, SignIn::Delegated);
        assert_eq!(user.name, "priya.raman@contoso.com");
        assert_eq!(user.permissions.len(), 2);
        let legacy = Identity::from_token(&jwt(&serde_json::json!({"scp": "a"}))).unwrap();
        assert_eq!(legacy.sign_in, SignIn::Delegated);
    }

    #[test]
    fn garbage_is_an_error_that_does_not_echo_the_token() {
        let err = Identity::from_token("secretvalue").unwrap_err();
        assert!(!err.contains("secretvalue"));
        assert!(Identity::from_token("a.!!!.c").is_err());
    }
}
