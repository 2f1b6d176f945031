//! The identity side: token endpoint (client credentials, device code, refresh token), device-code
//! issuance, the device-login page, and access-token checks on Graph calls.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query as AxumQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::macros::format_description;

use super::app::App;
use super::directory::User;
use super::errors::{GraphError, Reply, ReplyBody, RequestIds};

/// Graph's application id (also accepted as the audience / scope resource).
pub(crate) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";

/// Delegated permissions granted for `{graph}/.default` (the emulator's consented set).
const DEFAULT_DELEGATED_SCOPES: &[&str] = &[
    "ExternalConnection.ReadWrite.All",
    "ExternalItem.ReadWrite.All",
    "PeopleSettings.ReadWrite.All",
    "User.Read",
    "User.Read.All",
];

/// User codes avoid vowels and look-alike characters, as Entra's do.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ23456789";

/// OpenID Connect scopes: they shape the token response, not the access token's `scp`.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "offline_access", "email"];

// ---------------------------------------------------------------------------------------------
// JWT

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner_pad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer_pad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&inner_pad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&outer_pad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// base64url(header).base64url(claims).base64url(HMAC-SHA256) with the per-start key.
pub(crate) fn sign_jwt(key: &[u8], claims: &Value) -> String {
    let header = json!({"typ": "JWT", "alg": "HS256", "kid": "peoplectl-emulator"});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = hmac_sha256(key, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Why a bearer token was refused (each maps to Graph's 401 message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Missing,
    Malformed,
    BadSignature,
    Expired,
    NotYetValid,
    WrongAudience,
    WrongTenant,
}

impl TokenProblem {
    fn message(self) -> &'static str {
        match self {
            Self::Missing => "Access token is empty.",
            Self::Malformed => {
                "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'."
            }
            Self::BadSignature => "Access token validation failure. Invalid signature.",
            Self::Expired => "Lifetime validation failed, the token is expired.",
            Self::NotYetValid => "Lifetime validation failed, the token is not yet valid.",
            Self::WrongAudience => "Access token validation failure. Invalid audience.",
            Self::WrongTenant => "Access token validation failure. Invalid issuer or tenant.",
        }
    }
}

/// Verifies signature and lifetime; returns the claims.
pub(crate) fn verify_jwt(key: &[u8], token: &str, now: i64) -> Result<Value, TokenProblem> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenProblem::Malformed);
    };
    let expected = hmac_sha256(key, format!("{header}.{payload}").as_bytes());
    let given = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenProblem::Malformed)?;
    // Constant-time compare: the signature is a secret-derived value.
    if given.len() != expected.len()
        || given
            .iter()
            .zip(expected.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            != 0
    {
        return Err(TokenProblem::BadSignature);
    }
    let claims: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(TokenProblem::Malformed)?;
    let exp = claims["exp"].as_i64().ok_or(TokenProblem::Malformed)?;
    let nbf = claims["nbf"].as_i64().unwrap_or(0);
    // Five minutes of clock skew, as Entra allows.
    if now >= exp {
        return Err(TokenProblem::Expired);
    }
    if nbf > now + 300 {
        return Err(TokenProblem::NotYetValid);
    }
    Ok(claims)
}

/// Who is calling, from a verified access token.
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

fn unauthorized(app: &App, problem: TokenProblem) -> GraphError {
    GraphError::new(
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
pub(crate) fn authenticate(app: &App, headers: &HeaderMap) -> Result<Principal, GraphError> {
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

// ---------------------------------------------------------------------------------------------
// Token minting

fn app_object_id(client_id: &str) -> String {
    let digest = Sha256::digest(client_id.as_bytes());
    let hex = hex::encode(&digest[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl App {
    /// An app-only access token valid for `lifetime_s` seconds (negative: already expired).
    pub(crate) fn mint_app_token(&self, lifetime_s: i64) -> String {
        let now = self.clock.unix();
        let claims = json!({
            "aud": GRAPH_RESOURCE,
            "iss": format!("https://sts.windows.net/{}/", self.tenant.id),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "appid": self.tenant.app_client_id,
            "app_displayname": self.tenant.app_display_name,
            "appidacr": "1",
            "idp": format!("https://sts.windows.net/{}/", self.tenant.id),
            "idtyp": "app",
            "oid": app_object_id(&self.tenant.app_client_id),
            "sub": app_object_id(&self.tenant.app_client_id),
            "roles": self.tenant.app_roles,
            "tid": self.tenant.id,
            "uti": uuid::Uuid::new_v4().simple().to_string(),
            "ver": "1.0",
        });
        sign_jwt(&self.token_key, &claims)
    }

    /// A delegated access token for `user` with `scopes` in `scp`.
    pub(crate) fn mint_user_token(
        &self,
        user: &User,
        scopes: &[String],
        lifetime_s: i64,
    ) -> String {
        let now = self.clock.unix();
        let claims = json!({
            "aud": GRAPH_RESOURCE,
            "iss": format!("https://sts.windows.net/{}/", self.tenant.id),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "appid": self.tenant.app_client_id,
            "app_displayname": self.tenant.app_display_name,
            "appidacr": "0",
            "idtyp": "user",
            "name": user.display_name,
            "given_name": user.given_name,
            "family_name": user.surname,
            "oid": user.id,
            "sub": user.id,
            "scp": scopes.join(" "),
            "tid": self.tenant.id,
            "upn": user.user_principal_name,
            "unique_name": user.user_principal_name,
            "uti": uuid::Uuid::new_v4().simple().to_string(),
            "ver": "1.0",
        });
        sign_jwt(&self.token_key, &claims)
    }

    fn mint_id_token(&self, user: &User) -> String {
        let now = self.clock.unix();
        let claims = json!({
            "aud": self.tenant.app_client_id,
            "iss": format!("{}/{}/v2.0", self.root, self.tenant.id),
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": user.display_name,
            "oid": user.id,
            "preferred_username": user.user_principal_name,
            "sub": user.id,
            "tid": self.tenant.id,
            "ver": "2.0",
        });
        sign_jwt(&self.token_key, &claims)
    }

    fn lifetime(&self) -> i64 {
        i64::try_from(self.config.token_lifetime_s).unwrap_or(i64::MAX / 2)
    }
}

// ---------------------------------------------------------------------------------------------
// Device codes and refresh tokens

#[derive(Debug, Clone, PartialEq, Eq)]
enum DeviceStatus {
    Pending,
    Approved { user_id: String },
    Declined,
}

#[derive(Debug, Clone)]
struct DeviceCode {
    user_code: String,
    scopes: Scopes,
    expires_at: Instant,
    interval: Duration,
    last_poll: Option<Instant>,
    status: DeviceStatus,
}

#[derive(Debug, Clone)]
struct RefreshGrant {
    user_id: String,
    scopes: Scopes,
}

/// Pending device codes and issued refresh tokens.
#[derive(Debug, Default)]
pub(crate) struct AuthState {
    device_codes: HashMap<String, DeviceCode>,
    user_codes: HashMap<String, String>,
    refresh_tokens: HashMap<String, RefreshGrant>,
}

impl AuthState {
    /// Approves (`Some(user_id)`) or declines (`None`) a pending code; false if unknown/expired.
    pub(crate) fn decide(
        &mut self,
        user_code: &str,
        approve_as: Option<String>,
        now: Instant,
    ) -> bool {
        let key = normalize_user_code(user_code);
        let Some(device_code) = self.user_codes.get(&key) else {
            return false;
        };
        let Some(entry) = self.device_codes.get_mut(device_code) else {
            return false;
        };
        if entry.expires_at <= now || entry.status != DeviceStatus::Pending {
            return false;
        }
        entry.status = match approve_as {
            Some(user_id) => DeviceStatus::Approved { user_id },
            None => DeviceStatus::Declined,
        };
        true
    }

    pub(crate) fn pending_device_codes(&self, now: Instant) -> usize {
        self.device_codes
            .values()
            .filter(|d| d.status == DeviceStatus::Pending && d.expires_at > now)
            .count()
    }
}

fn normalize_user_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase()
}

fn random_string(alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rand::random_range(0..alphabet.len())]))
        .collect()
}

fn random_token(bytes: usize) -> String {
    let data: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(data)
}

/// A client secret shaped like Entra's (`xxx8Q~` + 34 characters), fresh per start.
pub(crate) fn new_client_secret() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~";
    const LEAD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    format!(
        "{}8Q~{}",
        random_string(LEAD, 3),
        random_string(ALPHABET, 34)
    )
}

/// Parsed `scope` of a delegated request.
#[derive(Debug, Clone, Default)]
struct Scopes {
    graph: Vec<String>,
    offline: bool,
    openid: bool,
}

impl Scopes {
    fn parse(scope: &str, root: &str) -> Result<Self, String> {
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

    fn push(&mut self, scope: String) {
        if !self.graph.iter().any(|s| s.eq_ignore_ascii_case(&scope)) {
            self.graph.push(scope);
        }
    }

    fn response_scope(&self) -> String {
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

fn is_graph_resource(resource: &str, root: &str) -> bool {
    let resource = resource.trim_end_matches('/');
    resource.eq_ignore_ascii_case(GRAPH_RESOURCE)
        || resource.eq_ignore_ascii_case(root.trim_end_matches('/'))
        || resource.eq_ignore_ascii_case(GRAPH_APP_ID)
}

// ---------------------------------------------------------------------------------------------
// OAuth error and success bodies

struct OAuthError {
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

    fn into_response(self, app: &App, ids: &RequestIds) -> Response {
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

fn oauth_json(status: StatusCode, body: Value) -> Response {
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
enum TenantMatch {
    Exact,
    /// `common` / `organizations`: only for user flows.
    MultiTenant,
}

fn match_tenant(app: &App, tenant: &str) -> Option<TenantMatch> {
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

fn unknown_tenant(tenant: &str) -> OAuthError {
    OAuthError::bad(
        "invalid_request",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
        ),
    )
}

fn parse_form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// `client_id`/`client_secret` from the form, or from HTTP Basic (RFC 6749 §2.3.1).
fn client_credentials(
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

fn unknown_client(client_id: &str, tenant: &App) -> OAuthError {
    OAuthError::bad(
        "unauthorized_client",
        700_016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
            tenant.tenant.display_name
        ),
    )
}

fn missing_parameter(name: &str) -> OAuthError {
    OAuthError::bad(
        "invalid_request",
        900_144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn token_endpoint(
    State(app): State<Arc<App>>,
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

fn token_grant(
    app: &App,
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
fn check_assertion(
    app: &App,
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

fn invalid_scope(scope: &str) -> OAuthError {
    OAuthError::bad(
        "invalid_scope",
        70011,
        format!(
            "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid: '{scope}'."
        ),
    )
}

fn user_token_response(app: &App, user: &User, scopes: &Scopes) -> Response {
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

fn poll_device_code(app: &App, device_code: &str) -> Result<Response, OAuthError> {
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
    State(app): State<Arc<App>>,
    Path(tenant): Path<String>,
    Extension(ids): Extension<RequestIds>,
    body: Bytes,
) -> Response {
    match issue_device_code(&app, &tenant, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(&app, &ids),
    }
}

fn issue_device_code(app: &App, tenant: &str, body: &[u8]) -> Result<Response, OAuthError> {
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

// ---------------------------------------------------------------------------------------------
// The device-login page

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}label{{display:block;margin:.8rem 0 .2rem}}\
         input,select{{width:100%;padding:.4rem}}button{{margin:1rem .5rem 0 0;padding:.5rem 1rem}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>\n",
        title = escape_html(title)
    )
}

/// `GET /devicelogin`: the code and user form.
pub(crate) async fn device_login_page(
    State(app): State<Arc<App>>,
    AxumQuery(query): AxumQuery<HashMap<String, String>>,
) -> Response {
    let code = query
        .get("user_code")
        .or_else(|| query.get("code"))
        .map(String::as_str)
        .unwrap_or_default();
    let mut options = String::new();
    for user in app.directory.seeded().iter().filter(|u| u.account_enabled) {
        let selected = if user
            .user_principal_name
            .eq_ignore_ascii_case(&app.tenant.admin_upn)
        {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            options,
            "<option value=\"{upn}\"{selected}>{name} &lt;{upn}&gt;</option>",
            upn = escape_html(&user.user_principal_name),
            name = escape_html(user.display_name.as_deref().unwrap_or("")),
        );
    }
    let body = format!(
        "<p>Enter the code displayed on your device to sign in to <b>{app_name}</b> ({tenant}).</p>\
         <form method=\"post\" action=\"/devicelogin\">\
         <label for=\"user_code\">Code</label><input id=\"user_code\" name=\"user_code\" value=\"{code}\" autofocus>\
         <label for=\"upn\">Sign in as</label><select id=\"upn\" name=\"upn\">{options}</select>\
         <button type=\"submit\" name=\"action\" value=\"approve\">Continue</button>\
         <button type=\"submit\" name=\"action\" value=\"decline\">Cancel sign-in</button></form>",
        app_name = escape_html(&app.tenant.app_display_name),
        tenant = escape_html(&app.tenant.display_name),
        code = escape_html(code),
    );
    Reply::html(StatusCode::OK, page("Enter code", &body)).into_response()
}

/// `POST /devicelogin`: approve or decline as the chosen user.
pub(crate) async fn device_login_submit(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let code = form
        .get("user_code")
        .map(String::as_str)
        .unwrap_or_default();
    let approve = form.get("action").map(String::as_str) != Some("decline");
    let user = form
        .get("upn")
        .and_then(|upn| app.directory.find(upn))
        .filter(|u| u.account_enabled)
        .map(std::borrow::Cow::into_owned);
    if approve && user.is_none() {
        let body =
            "<p>That account was not found in this tenant. Go back and pick another one.</p>";
        return Reply::html(StatusCode::BAD_REQUEST, page("Sign-in failed", body)).into_response();
    }
    let decided = app.auth_state().decide(
        code,
        user.as_ref().filter(|_| approve).map(|u| u.id.clone()),
        app.clock.instant(),
    );
    if !decided {
        let body = "<p>That code didn't work. Check the code and try again; codes expire after a while.</p>\
                    <p><a href=\"/devicelogin\">Try again</a></p>";
        return Reply::html(StatusCode::BAD_REQUEST, page("Sign-in failed", body)).into_response();
    }
    let body = match (approve, &user) {
        (true, Some(user)) => format!(
            "<p>You have signed in to the <b>{}</b> application on your device as {}. You may now close this window.</p>",
            escape_html(&app.tenant.app_display_name),
            escape_html(&user.user_principal_name)
        ),
        _ => "<p>Sign-in was cancelled. You may now close this window.</p>".to_owned(),
    };
    Reply::html(StatusCode::OK, page("Done", &body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn jwt_round_trip_and_rejections() {
        let key = [7u8; 32];
        let token = sign_jwt(&key, &json!({"exp": 200, "nbf": 100, "sub": "x"}));
        assert_eq!(verify_jwt(&key, &token, 150).unwrap()["sub"], "x");
        assert_eq!(verify_jwt(&key, &token, 200), Err(TokenProblem::Expired));
        assert_eq!(
            verify_jwt(&[8u8; 32], &token, 150),
            Err(TokenProblem::BadSignature)
        );
        assert_eq!(verify_jwt(&key, "abc", 150), Err(TokenProblem::Malformed));
    }

    #[test]
    fn scopes_expand_default_and_strip_resource() {
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

    #[test]
    fn secrets_look_like_entra_secrets() {
        let secret = new_client_secret();
        assert_eq!(secret.len(), 40);
        assert_eq!(&secret[3..6], "8Q~");
        assert_ne!(secret, new_client_secret());
    }
}
