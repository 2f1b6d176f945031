//! Device-code sign-in (delegated), ours because azure_identity has none: request a code, show
//! it, poll the token endpoint at the given interval, then keep the access token fresh with the
//! refresh token. This is how an admin over SSH signs in as themself.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::Mutex;

/// The scopes asked for: Graph's consented permissions plus a refresh token and the identity.
pub const DEVICE_CODE_SCOPES: &str =
    "https://graph.microsoft.com/.default offline_access openid profile";

/// Tokens are renewed this long before they expire (or a fifth of their lifetime, if shorter).
const RENEW_BEFORE: time::Duration = time::Duration::minutes(5);

/// What the admin must do to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    /// The identity platform's own sentence ("To sign in, use a web browser to open ...").
    pub message: String,
    /// Seconds until the code expires.
    pub expires_in: u64,
}

/// Where the prompt is shown: stderr in the CLI, a popup in the TUI.
pub type PromptSink = Arc<dyn Fn(&DeviceCodePrompt) + Send + Sync>;

/// Why a device-code sign-in ended without a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceCodeError {
    #[error("sign-in was declined")]
    Declined,
    #[error("the sign-in code expired before it was used; run the command again")]
    Expired,
    #[error("the identity platform did not recognise the sign-in code")]
    BadCode,
    #[error("sign-in failed: {0}")]
    Other(String),
    #[error("not signed in: run `peoplectl auth login`")]
    NotSignedIn,
    #[error("token cache {path}: {reason}")]
    Cache { path: String, reason: String },
    /// The cache file itself is wrong (its mode, its type); the text names it.
    #[error("token cache: {0}")]
    CacheFile(String),
}

/// The refresh token kept between runs, when the admin opted in (`peoplectl auth login`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CacheFile {
    authority: String,
    tenant: String,
    client_id: String,
    refresh_token: String,
}

/// Largest token cache read: it holds one refresh token and three names.
const MAX_CACHE_BYTES: u64 = 64 * 1024;

/// A file holding a refresh token: private (see `crate::files` for loose modes).
#[derive(Debug, Clone)]
pub struct TokenCache {
    pub path: PathBuf,
}

impl TokenCache {
    fn load(
        &self,
        authority: &str,
        tenant: &str,
        client_id: &str,
    ) -> Result<Option<String>, DeviceCodeError> {
        let err = |reason: String| DeviceCodeError::Cache {
            path: self.path.display().to_string(),
            reason,
        };
        if !self.path.exists() {
            return Ok(None);
        }
        let file_error = |e: crate::files::FileError| DeviceCodeError::CacheFile(e.to_string());
        crate::files::ensure_private(&self.path).map_err(file_error)?;
        let text =
            crate::files::read_regular_text(&self.path, MAX_CACHE_BYTES).map_err(file_error)?;
        let file: CacheFile =
            serde_json::from_str(&text).map_err(|e| err(format!("unreadable ({e})")))?;
        // A cache for another tenant or app is not ours to use.
        Ok(
            (file.authority == authority && file.tenant == tenant && file.client_id == client_id)
                .then_some(file.refresh_token),
        )
    }

    fn store(
        &self,
        authority: &str,
        tenant: &str,
        client_id: &str,
        refresh: &str,
    ) -> Result<(), DeviceCodeError> {
        let file = CacheFile {
            authority: authority.to_owned(),
            tenant: tenant.to_owned(),
            client_id: client_id.to_owned(),
            refresh_token: refresh.to_owned(),
        };
        let err = |reason: String| DeviceCodeError::Cache {
            path: self.path.display().to_string(),
            reason,
        };
        let bytes = serde_json::to_vec(&file).map_err(|e| err(e.to_string()))?;
        crate::files::write_private(&self.path, &bytes)
            .map_err(|e| DeviceCodeError::CacheFile(e.to_string()))
    }

    /// Deletes the cache (sign out); a missing file is fine.
    pub fn clear(&self) -> std::io::Result<bool> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[derive(Default)]
struct State {
    /// The access token, when it expires, and when to renew it.
    access: Option<(Secret, OffsetDateTime, OffsetDateTime)>,
    refresh: Option<Secret>,
    cache_loaded: bool,
}

/// A delegated credential obtained with the device-code flow.
pub struct DeviceCodeCredential {
    http: reqwest::Client,
    authority: String,
    tenant: String,
    client_id: String,
    /// `None`: never prompt (status checks, scripts); fail with [`DeviceCodeError::NotSignedIn`].
    prompt: Option<PromptSink>,
    cache: Option<TokenCache>,
    /// Held across a whole sign-in, so concurrent calls wait for one prompt, not several.
    state: Mutex<State>,
    /// What "now" is when deciding to renew: the system clock, or a test's.
    clock: WallClock,
}

/// A source of the current time.
pub type WallClock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

impl std::fmt::Debug for DeviceCodeCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCodeCredential")
            .field("authority", &self.authority)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct CodeAnswer {
    device_code: String,
    user_code: String,
    verification_uri: String,
    expires_in: u64,
    interval: Option<u64>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: i64,
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    error_description: Option<String>,
}

enum Poll {
    Token(TokenAnswer),
    Pending,
    SlowDown,
    Failed(DeviceCodeError),
}

impl DeviceCodeCredential {
    /// A credential for `tenant` at `authority` (`https://login.microsoftonline.com`). Without
    /// a prompt sink it only uses tokens it already has (or the cache's refresh token).
    pub fn new(
        http: reqwest::Client,
        authority: &str,
        tenant: &str,
        client_id: &str,
        prompt: Option<PromptSink>,
        cache: Option<TokenCache>,
    ) -> Self {
        Self {
            http,
            authority: authority.trim_end_matches('/').to_owned(),
            tenant: tenant.to_owned(),
            client_id: client_id.to_owned(),
            prompt,
            cache,
            state: Mutex::new(State::default()),
            clock: Arc::new(OffsetDateTime::now_utc),
        }
    }

    /// The same credential reading the time from `clock` (tests move it instead of waiting for
    /// a token to age).
    #[must_use]
    pub fn with_clock(mut self, clock: WallClock) -> Self {
        self.clock = clock;
        self
    }

    fn endpoint(&self, leaf: &str) -> String {
        format!("{}/{}/oauth2/v2.0/{leaf}", self.authority, self.tenant)
    }

    /// Signs in now (prompting if no refresh token works) and returns the access token.
    pub async fn sign_in(&self) -> Result<AccessToken, DeviceCodeError> {
        let mut state = self.state.lock().await;
        self.token_locked(&mut state).await
    }

    async fn token_locked(&self, state: &mut State) -> Result<AccessToken, DeviceCodeError> {
        let now = (self.clock)();
        if let Some((token, expires, renew_at)) = &state.access {
            if *renew_at > now {
                return Ok(AccessToken::new(token.secret().to_owned(), *expires));
            }
        }
        if !state.cache_loaded {
            state.cache_loaded = true;
            if let Some(cache) = &self.cache {
                if let Some(refresh) = cache.load(&self.authority, &self.tenant, &self.client_id)? {
                    state.refresh = Some(Secret::new(refresh));
                }
            }
        }
        if let Some(refresh) = state.refresh.clone() {
            match self.refresh(refresh.secret()).await {
                Ok(answer) => return self.accept(state, answer),
                // An expired or revoked refresh token means a fresh sign-in, not a failure.
                Err(e) => tracing::info!(error = %e, "refresh token refused; signing in again"),
            }
        }
        let Some(prompt) = &self.prompt else {
            return Err(DeviceCodeError::NotSignedIn);
        };
        let answer = self.device_flow(prompt).await?;
        self.accept(state, answer)
    }

    fn accept(
        &self,
        state: &mut State,
        answer: TokenAnswer,
    ) -> Result<AccessToken, DeviceCodeError> {
        let lifetime = time::Duration::seconds(answer.expires_in.max(0));
        let now = (self.clock)();
        let expires = now + lifetime;
        // A second of slack covers the server stamping `exp` in whole seconds.
        let renew_at = expires - RENEW_BEFORE.min(lifetime / 5 + time::Duration::SECOND);
        if let Some(refresh) = &answer.refresh_token {
            if let Some(cache) = &self.cache {
                cache.store(&self.authority, &self.tenant, &self.client_id, refresh)?;
            }
            state.refresh = Some(Secret::new(refresh.clone()));
        }
        state.access = Some((Secret::new(answer.access_token.clone()), expires, renew_at));
        Ok(AccessToken::new(answer.access_token, expires))
    }

    async fn refresh(&self, refresh_token: &str) -> Result<TokenAnswer, DeviceCodeError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", self.client_id.as_str()),
            ("refresh_token", refresh_token),
            ("scope", DEVICE_CODE_SCOPES),
        ];
        match self.post_token(&form).await? {
            Poll::Token(t) => Ok(t),
            Poll::Failed(e) => Err(e),
            Poll::Pending | Poll::SlowDown => Err(DeviceCodeError::Other(
                "unexpected answer to a refresh".into(),
            )),
        }
    }

    async fn device_flow(&self, prompt: &PromptSink) -> Result<TokenAnswer, DeviceCodeError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("scope", DEVICE_CODE_SCOPES),
        ];
        let response = self
            .http
            .post(self.endpoint("devicecode"))
            .form(&form)
            .send()
            .await
            .map_err(|e| {
                DeviceCodeError::Other(format!("could not reach the identity platform: {e}"))
            })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| DeviceCodeError::Other(e.to_string()))?;
        if !status.is_success() {
            return Err(DeviceCodeError::Other(describe_error(
                &body,
                status.as_u16(),
            )));
        }
        let code: CodeAnswer = serde_json::from_slice(&body)
            .map_err(|e| DeviceCodeError::Other(format!("unexpected device-code answer: {e}")))?;
        prompt(&DeviceCodePrompt {
            message: code.message.clone().unwrap_or_else(|| {
                format!(
                    "To sign in, open {} and enter the code {}.",
                    code.verification_uri, code.user_code
                )
            }),
            user_code: code.user_code.clone(),
            verification_uri: code.verification_uri.clone(),
            expires_in: code.expires_in,
        });
        let deadline = tokio::time::Instant::now() + Duration::from_secs(code.expires_in);
        let mut interval = Duration::from_secs(code.interval.unwrap_or(5));
        let form = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", self.client_id.as_str()),
            ("device_code", code.device_code.as_str()),
        ];
        loop {
            if tokio::time::Instant::now() >= deadline {
                return Err(DeviceCodeError::Expired);
            }
            tokio::time::sleep(interval).await;
            match self.post_token(&form).await? {
                Poll::Token(t) => return Ok(t),
                Poll::Pending => {}
                // RFC 8628: add five seconds for this and every later poll.
                Poll::SlowDown => interval += Duration::from_secs(5),
                Poll::Failed(e) => return Err(e),
            }
        }
    }

    async fn post_token(&self, form: &[(&str, &str)]) -> Result<Poll, DeviceCodeError> {
        let response = self
            .http
            .post(self.endpoint("token"))
            .form(form)
            .send()
            .await
            .map_err(|e| {
                DeviceCodeError::Other(format!("could not reach the identity platform: {e}"))
            })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| DeviceCodeError::Other(e.to_string()))?;
        if status.is_success() {
            let token: TokenAnswer = serde_json::from_slice(&body)
                .map_err(|e| DeviceCodeError::Other(format!("unexpected token answer: {e}")))?;
            return Ok(Poll::Token(token));
        }
        Ok(classify(&body, status.as_u16()))
    }
}

/// What an error answer from the token endpoint means for the polling loop.
fn classify(body: &[u8], status: u16) -> Poll {
    let error = serde_json::from_slice::<ErrorAnswer>(body)
        .map(|e| e.error)
        .unwrap_or_default();
    match error.as_str() {
        "authorization_pending" => Poll::Pending,
        "slow_down" => Poll::SlowDown,
        "authorization_declined" | "access_denied" => Poll::Failed(DeviceCodeError::Declined),
        "expired_token" => Poll::Failed(DeviceCodeError::Expired),
        "bad_verification_code" => Poll::Failed(DeviceCodeError::BadCode),
        _ => Poll::Failed(DeviceCodeError::Other(describe_error(body, status))),
    }
}

/// An identity-platform error as one line: its code and the first line of its description.
fn describe_error(body: &[u8], status: u16) -> String {
    match serde_json::from_slice::<ErrorAnswer>(body) {
        Ok(e) => format!(
            "{} ({})",
            e.error,
            e.error_description
                .as_deref()
                .and_then(|d| d.lines().next())
                .unwrap_or("no description")
        ),
        Err(_) => format!("the identity platform answered {status}"),
    }
}

#[async_trait::async_trait]
impl TokenCredential for DeviceCodeCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.sign_in().await.map_err(|e| {
            azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(error: &str) -> Poll {
        classify(
            format!(
                r#"{{"error":"{error}","error_description":"AADSTS70016: pending\nTrace ID: x"}}"#
            )
            .as_bytes(),
            400,
        )
    }

    #[test]
    fn token_endpoint_errors_drive_the_polling_loop() {
        assert!(matches!(poll("authorization_pending"), Poll::Pending));
        assert!(matches!(poll("slow_down"), Poll::SlowDown));
        assert!(matches!(
            poll("authorization_declined"),
            Poll::Failed(DeviceCodeError::Declined)
        ));
        assert!(matches!(
            poll("expired_token"),
            Poll::Failed(DeviceCodeError::Expired)
        ));
        assert!(matches!(
            poll("bad_verification_code"),
            Poll::Failed(DeviceCodeError::BadCode)
        ));
        let Poll::Failed(DeviceCodeError::Other(text)) = poll("invalid_client") else {
            panic!("unknown errors end the sign-in");
        };
        assert_eq!(
            text, "invalid_client (AADSTS70016: pending)",
            "first line of the description only"
        );
        assert!(
            matches!(classify(b"<html>", 502), Poll::Failed(DeviceCodeError::Other(t)) if t.contains("502"))
        );
    }
}
