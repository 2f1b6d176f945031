//! The bearer-token check on every Graph call: who is calling, or Graph's 401.

use axum::http::{HeaderMap, StatusCode, header};

use super::jwt::{TokenProblem, verify_jwt};
use super::{GRAPH_APP_ID, GRAPH_RESOURCE};
use crate::emulator::errors::ErrorReply;
use crate::emulator::service::Emulator;

#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub delegated: bool,
    /// `roles` (app-only) or `scp` (delegated).
    pub permissions: Vec<String>,
    pub user_id: Option<String>,
}

impl Principal {
    pub fn has_any(&self, permissions: &[&str]) -> bool {
        permissions
            .iter()
            .any(|p| self.permissions.iter().any(|q| q.eq_ignore_ascii_case(p)))
    }
}

pub(super) fn unauthorized(app: &Emulator, problem: TokenProblem) -> ErrorReply {
    ErrorReply::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        problem.message(),
    )
    .header(
        header::WWW_AUTHENTICATE,
        format!(
            "Bearer realm=\"\", authorization_uri=\"{}/common/oauth2/authorize\", client_id=\"{GRAPH_APP_ID}\"",
            app.root
        ),
    )
}

/// Checks `Authorization: Bearer ...` on a Graph call.
pub(crate) fn authenticate(app: &Emulator, headers: &HeaderMap) -> Result<Principal, ErrorReply> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ if value.is_empty() => return Err(unauthorized(app, TokenProblem::Missing)),
        _ => return Err(unauthorized(app, TokenProblem::Malformed)),
    };
    if token.is_empty() {
        return Err(unauthorized(app, TokenProblem::Missing));
    }
    let now = app.clock.unix();
    let claims = verify_jwt(&app.token_key, token, now).map_err(|p| unauthorized(app, p))?;
    let audience = claims["aud"].as_str().unwrap_or_default();
    if audience.trim_end_matches('/') != GRAPH_RESOURCE && audience != GRAPH_APP_ID {
        return Err(unauthorized(app, TokenProblem::WrongAudience));
    }
    if !claims["tid"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case(&app.tenant.id))
    {
        return Err(unauthorized(app, TokenProblem::WrongTenant));
    }
    let delegated = claims["idtyp"].as_str() == Some("user");
    let permissions = if delegated {
        claims["scp"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    } else {
        claims["roles"]
            .as_array()
            .map(|roles| {
                roles
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Principal {
        delegated,
        permissions,
        user_id: claims["oid"]
            .as_str()
            .filter(|_| delegated)
            .map(str::to_owned),
    })
}
