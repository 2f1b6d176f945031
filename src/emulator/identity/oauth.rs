//! The OAuth endpoints: `/{tenant}/oauth2/v2.0/token` (client credentials with a secret or a
//! certificate assertion, device code, refresh token) and `/{tenant}/oauth2/v2.0/devicecode`,
//! with Entra's error bodies.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use time::macros::format_description;

use super::grants::{
    DeviceCode, DeviceStatus, RefreshGrant, USER_CODE_ALPHABET, random_string, random_token,
};
use super::scopes::{Scopes, is_graph_resource};
use crate::emulator::directory::User;
use crate::emulator::errors::{Reply, ReplyBody, RequestIds};
use crate::emulator::service::Emulator;

pub(super) struct OAuthError {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
}

impl OAuthError {
    fn new(
        status: StatusCode,
        error: &'static str,
        code: u32,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error,
            code,
            description: description.into(),
        }
    }

    fn bad(error: &'static str, code: u32, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, code, description)
    }

    fn into_response(self, app: &Emulator, ids: &RequestIds) -> Response {
        let now = app.clock.now_utc();
        let timestamp = now
            .format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default();
        let description = format!(
            "AADSTS{}: {} Trace ID: {} Correlation ID: {} Timestamp: {timestamp}",
            self.code, self.description, ids.request_id, ids.client_request_id
        );
        let body = json!({
            "error": self.error,
            "error_description": description,
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": ids.request_id,
            "correlation_id": ids.client_request_id,
            "error_uri": format!("{}/error?code={}", app.root, self.code),
        });
        oauth_json(self.status, body)
    }
}

pub(super) fn oauth_json(status: StatusCode, body: Value) -> Response {
    Reply {
        status,
        headers: vec![
            (header::CACHE_CONTROL, "no-store, no-cache".to_owned()),
            (header::PRAGMA, "no-cache".to_owned()),
        ],
        body: ReplyBody::PlainJson(body),
    }
    .into_response()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TenantMatch {
    Exact,
    /// `common` / `organizations`: only for user flows.
    MultiTenant,
}

pub(super) fn match_tenant(app: &Emulator, tenant: &str) -> Option<TenantMatch> {
    if tenant.eq_ignore_ascii_case(&app.tenant.id)
        || tenant.eq_ignore_ascii_case(&app.tenant.domain)
    {
        Some(TenantMatch::Exact)
    } else if tenant.eq_ignore_ascii_case("common") || tenant.eq_ignore_ascii_case("organizations")
    {
        Some(TenantMatch::MultiTenant)
    } else {
        None
    }
}

pub(super) fn unknown_tenant(tenant: &str) -> OAuthError {
    OAuthError::bad(
        "invalid_request",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
        ),
    )
}

pub(super) fn parse_form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// `client_id`/`client_secret` from the form, or from HTTP Basic (RFC 6749 §2.3.1).
pub(super) fn client_credentials(
    form: &HashMap<String, String>,
    headers: &HeaderMap,
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            Some((decode(id), decode(secret)))
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            form.get("client_id").cloned(),
            form.get("client_secret").cloned(),
        ),
    }
}

pub(super) fn unknown_client(client_id: &str, tenant: &Emulator) -> OAuthError {
    OAuthError::bad(
        "unauthorized_client",
        700_016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
            tenant.tenant.display_name
        ),
    )
}

pub(super) fn missing_parameter(name: &str) -> OAuthError {
    OAuthError::bad(
        "invalid_request",
        900_144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn token_endpoint(
    State(app): State<Arc<Emulator>>,
    Path(tenant): Path<String>,
    Extension(ids): Extension<RequestIds>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match token_grant(&app, &tenant, &headers, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(&app, &ids),
    }
}

pub(super) fn token_grant(
    app: &Emulator,
    tenant: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let tenant_match = match_tenant(app, tenant).ok_or_else(|| unknown_tenant(tenant))?;
    let form = parse_form(body);
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| missing_parameter("grant_type"))?;
    let (client_id, client_secret) = client_credentials(&form, headers);
    let client_id = client_id.ok_or_else(|| missing_parameter("client_id"))?;
    if !client_id.eq_ignore_ascii_case(&app.tenant.app_client_id) {
        return Err(unknown_client(&client_id, app));
    }
    match grant_type.as_str() {
        "client_credentials" => {
            if tenant_match == TenantMatch::MultiTenant {
                return Err(OAuthError::bad(
                    "invalid_request",
                    50059,
                    "No tenant-identifying information found in either the request or implied by any provided credentials.",
                ));
            }
            if let Some(assertion) = form.get("client_assertion") {
                check_assertion(app, tenant, &form, assertion, &client_id)?;
            } else if let Some(secret) = client_secret {
                if secret != app.client_secret {
                    // Never echo the secret back.
                    return Err(OAuthError::new(
                        StatusCode::UNAUTHORIZED,
                        "invalid_client",
                        7_000_215,
                        format!(
                            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                            app.tenant.app_client_id
                        ),
                    ));
                }
            } else {
                return Err(OAuthError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7_000_218,
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                ));
            }
            let scope = form
                .get("scope")
                .ok_or_else(|| missing_parameter("scope"))?;
            let valid = scope
                .split_whitespace()
                .collect::<Vec<_>>()
                .as_slice()
                .first()
                .filter(|_| scope.split_whitespace().count() == 1)
                .and_then(|s| s.strip_suffix("/.default"))
                .is_some_and(|resource| is_graph_resource(resource, &app.root));
            if !valid {
                return Err(OAuthError::bad(
                    "invalid_scope",
                    1_002_012,
                    format!(
                        "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                    ),
                ));
            }
            let lifetime = app.lifetime();
            Ok(oauth_json(
                StatusCode::OK,
                json!({
                    "token_type": "Bearer",
                    "expires_in": lifetime,
                    "ext_expires_in": lifetime,
                    "access_token": app.mint_app_token(lifetime),
                }),
            ))
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let device_code = form
                .get("device_code")
                .ok_or_else(|| missing_parameter("device_code"))?;
            poll_device_code(app, device_code)
        }
        "refresh_token" => {
            let refresh = form
                .get("refresh_token")
                .ok_or_else(|| missing_parameter("refresh_token"))?;
            let grant = {
                let auth = app.auth_state();
                auth.refresh_tokens.get(refresh).cloned()
            };
            let Some(grant) = grant else {
                return Err(OAuthError::bad(
                    "invalid_grant",
                    9_002_313,
                    "Invalid request. Request is malformed or invalid.",
                ));
            };
            let user = app
                .directory
                .find(&grant.user_id)
                .map(std::borrow::Cow::into_owned)
                .ok_or_else(|| {
                    OAuthError::bad(
                        "invalid_grant",
                        50034,
                        "The user account does not exist in the directory.",
                    )
                })?;
            let scopes = match form.get("scope") {
                Some(scope) => {
                    let mut asked =
                        Scopes::parse(scope, &app.root).map_err(|s| invalid_scope(&s))?;
                    asked.offline |= grant.scopes.offline;
                    asked
                }
                None => grant.scopes,
            };
            Ok(user_token_response(app, &user, &scopes))
        }
        other => Err(OAuthError::bad(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{other}'."),
        )),
    }
}

/// Checks a certificate client assertion against the app's registered certificates.
pub(super) fn check_assertion(
    app: &Emulator,
    tenant: &str,
    form: &HashMap<String, String>,
    assertion: &str,
    client_id: &str,
) -> Result<(), OAuthError> {
    use super::certs::{AssertionProblem, verify_assertion};
    if form.get("client_assertion_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return Err(OAuthError::bad(
            "invalid_request",
            50_027,
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
        ));
    }
    // The audience is this token endpoint, named by the tenant id or its domain.
    let audiences: Vec<String> = [tenant, app.tenant.id.as_str(), app.tenant.domain.as_str()]
        .iter()
        .map(|t| format!("{}/{t}/oauth2/v2.0/token", app.root))
        .collect();
    let certs = app
        .certificates
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let now = app.clock.unix();
    verify_assertion(&certs, assertion, client_id, &audiences, now).map_err(|problem| match problem
    {
        AssertionProblem::Signature(why) => OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700_027,
            format!("Client assertion failed signature validation: {why}."),
        ),
        AssertionProblem::Time => OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700_024,
            "Client assertion is not within its valid time range.",
        ),
        AssertionProblem::Claims(why) => OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700_023,
            format!("Client assertion contains invalid claims: {why}."),
        ),
    })
}

pub(super) fn invalid_scope(scope: &str) -> OAuthError {
    OAuthError::bad(
        "invalid_scope",
        70011,
        format!(
            "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid: '{scope}'."
        ),
    )
}

pub(super) fn user_token_response(app: &Emulator, user: &User, scopes: &Scopes) -> Response {
    let lifetime = app.lifetime();
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scopes.response_scope(),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": app.mint_user_token(user, &scopes.graph, lifetime),
    });
    if scopes.offline {
        let refresh = random_token(48);
        app.auth_state().refresh_tokens.insert(
            refresh.clone(),
            RefreshGrant {
                user_id: user.id.clone(),
                scopes: scopes.clone(),
            },
        );
        body["refresh_token"] = json!(refresh);
    }
    if scopes.openid {
        body["id_token"] = json!(app.mint_id_token(user));
    }
    oauth_json(StatusCode::OK, body)
}

pub(super) fn poll_device_code(app: &Emulator, device_code: &str) -> Result<Response, OAuthError> {
    let now = app.clock.instant();
    let outcome = {
        let mut auth = app.auth_state();
        let Some(entry) = auth.device_codes.get_mut(device_code) else {
            return Err(OAuthError::bad(
                "bad_verification_code",
                70019,
                "Verification code expired or not recognised.",
            ));
        };
        if entry.expires_at <= now {
            return Err(OAuthError::bad(
                "expired_token",
                70020,
                "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
            ));
        }
        match entry.status.clone() {
            DeviceStatus::Declined => {
                return Err(OAuthError::bad(
                    "authorization_declined",
                    70000,
                    "The user declined to authorize the request.",
                ));
            }
            DeviceStatus::Pending => {
                let too_fast = entry
                    .last_poll
                    .is_some_and(|last| now.duration_since(last) < entry.interval);
                entry.last_poll = Some(now);
                // RFC 8628 slow_down; graph-api §11.2 says Entra's use of it is UNCONFIRMED.
                if too_fast {
                    return Err(OAuthError::bad(
                        "slow_down",
                        70016,
                        "The client is polling too quickly; wait for the interval between polls.",
                    ));
                }
                return Err(OAuthError::bad(
                    "authorization_pending",
                    70016,
                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                ));
            }
            DeviceStatus::Approved { user_id } => {
                let entry = auth.device_codes.remove(device_code);
                if let Some(entry) = &entry {
                    auth.user_codes.remove(&entry.user_code);
                }
                (user_id, entry.map(|e| e.scopes).unwrap_or_default())
            }
        }
    };
    let (user_id, scopes) = outcome;
    let user = app
        .directory
        .find(&user_id)
        .map(std::borrow::Cow::into_owned)
        .ok_or_else(|| {
            OAuthError::bad(
                "invalid_grant",
                50034,
                "The user account does not exist in the directory.",
            )
        })?;
    Ok(user_token_response(app, &user, &scopes))
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub(crate) async fn devicecode_endpoint(
    State(app): State<Arc<Emulator>>,
    Path(tenant): Path<String>,
    Extension(ids): Extension<RequestIds>,
    body: Bytes,
) -> Response {
    match issue_device_code(&app, &tenant, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(&app, &ids),
    }
}

pub(super) fn issue_device_code(
    app: &Emulator,
    tenant: &str,
    body: &[u8],
) -> Result<Response, OAuthError> {
    match_tenant(app, tenant).ok_or_else(|| unknown_tenant(tenant))?;
    let form = parse_form(body);
    let client_id = form
        .get("client_id")
        .ok_or_else(|| missing_parameter("client_id"))?;
    if !client_id.eq_ignore_ascii_case(&app.tenant.app_client_id) {
        return Err(unknown_client(client_id, app));
    }
    let scope = form
        .get("scope")
        .ok_or_else(|| missing_parameter("scope"))?;
    let scopes = Scopes::parse(scope, &app.root).map_err(|s| invalid_scope(&s))?;
    let user_code = random_string(USER_CODE_ALPHABET, 9);
    let device_code = random_token(48);
    let interval = app.config.device_code_interval_s;
    let lifetime = app.config.device_code_lifetime_s;
    let status = if app.config.auto_approve_device_codes {
        app.directory
            .find(&app.tenant.admin_upn)
            .map_or(DeviceStatus::Pending, |admin| DeviceStatus::Approved {
                user_id: admin.id.clone(),
            })
    } else {
        DeviceStatus::Pending
    };
    {
        let mut guard = app.auth_state();
        let auth = &mut *guard;
        let now = app.clock.instant();
        // Forget codes long expired (kept a while so late polls still get expired_token).
        auth.device_codes
            .retain(|_, d| d.expires_at + Duration::from_secs(600) > now);
        auth.user_codes
            .retain(|_, device| auth.device_codes.contains_key(device));
        auth.device_codes.insert(
            device_code.clone(),
            DeviceCode {
                user_code: user_code.clone(),
                scopes,
                expires_at: now + Duration::from_secs(lifetime),
                interval: Duration::from_secs(interval),
                last_poll: None,
                status,
            },
        );
        auth.user_codes
            .insert(user_code.clone(), device_code.clone());
    }
    let verification_uri = format!("{}/devicelogin", app.root);
    Ok(oauth_json(
        StatusCode::OK,
        json!({
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": verification_uri,
            "expires_in": lifetime,
            "interval": interval,
            "message": format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."),
        }),
    ))
}
