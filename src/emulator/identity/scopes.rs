//! The `scope` of a token request: Graph permissions (with `.default` expanded) and the OpenID
//! Connect scopes that shape the response.

use super::{GRAPH_APP_ID, GRAPH_RESOURCE};

/// Delegated permissions granted for `{graph}/.default` (the emulator's consented set).
pub(super) const DEFAULT_DELEGATED_SCOPES: &[&str] = &[
    "ExternalConnection.ReadWrite.All",
    "ExternalItem.ReadWrite.All",
    "PeopleSettings.ReadWrite.All",
    "User.Read",
    "User.Read.All",
];

/// OpenID Connect scopes: they shape the token response, not the access token's `scp`.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "offline_access", "email"];

/// Parsed `scope` of a delegated request.
#[derive(Debug, Clone, Default)]
pub(super) struct Scopes {
    pub(super) graph: Vec<String>,
    pub(super) offline: bool,
    pub(super) openid: bool,
}

impl Scopes {
    pub(super) fn parse(scope: &str, root: &str) -> Result<Self, String> {
        let mut out = Self::default();
        for raw in scope.split_whitespace() {
            if let Some(oidc) = OIDC_SCOPES.iter().find(|s| s.eq_ignore_ascii_case(raw)) {
                out.offline |= *oidc == "offline_access";
                out.openid |= *oidc == "openid";
                continue;
            }
            let permission = match raw.rsplit_once('/') {
                Some((resource, permission)) => {
                    if !is_graph_resource(resource, root) {
                        return Err(raw.to_owned());
                    }
                    permission
                }
                None => raw,
            };
            if permission == ".default" {
                for s in DEFAULT_DELEGATED_SCOPES {
                    out.push((*s).to_owned());
                }
            } else if permission.is_empty() {
                return Err(raw.to_owned());
            } else {
                out.push(permission.to_owned());
            }
        }
        if out.graph.is_empty() {
            // Only OIDC scopes: Entra then issues a token for Graph's User.Read.
            out.push("User.Read".to_owned());
        }
        Ok(out)
    }

    pub(super) fn push(&mut self, scope: String) {
        if !self.graph.iter().any(|s| s.eq_ignore_ascii_case(&scope)) {
            self.graph.push(scope);
        }
    }

    pub(super) fn response_scope(&self) -> String {
        let mut parts: Vec<String> = self
            .graph
            .iter()
            .map(|s| format!("{GRAPH_RESOURCE}/{s}"))
            .collect();
        if self.openid {
            parts.push("openid".into());
            parts.push("profile".into());
        }
        if self.offline {
            parts.push("offline_access".into());
        }
        parts.join(" ")
    }
}

pub(super) fn is_graph_resource(resource: &str, root: &str) -> bool {
    let resource = resource.trim_end_matches('/');
    resource.eq_ignore_ascii_case(GRAPH_RESOURCE)
        || resource.eq_ignore_ascii_case(root.trim_end_matches('/'))
        || resource.eq_ignore_ascii_case(GRAPH_APP_ID)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn scopes_expand_default_and_strip_resource() {
        let s = Scopes::parse(
            "https://graph.microsoft.com/User.Read offline_access openid",
            "https://127.0.0.1:1",
        )
        .unwrap();
        assert_eq!(s.graph, vec!["User.Read"]);
        assert!(s.offline && s.openid);
        let d = Scopes::parse("https://127.0.0.1:1/.default", "https://127.0.0.1:1").unwrap();
        assert!(d.graph.contains(&"PeopleSettings.ReadWrite.All".to_owned()));
        assert!(Scopes::parse("https://management.azure.com/.default", "https://x").is_err());
    }
}
