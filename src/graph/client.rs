//! The HTTP core of the Graph client: tokens, request ids, retries, error decoding.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use reqwest::header::{HeaderMap, HeaderName};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::error::{ErrorParts, GraphError, TransportError, Tries, decode_error, not_json};
use super::retry::{Failure, RetryPolicy, parse_retry_after};
use super::timeouts::{Timeouts, human};

/// The resource every Graph token is requested for, whatever host serves Graph.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Largest successful answer read. Graph's pages are a few MiB at most; a bigger answer is a
/// broken or hostile server, and reading on would only exhaust memory.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// How much of an error answer is read: the status says what failed, the start of the body
/// says why, and a proxy's multi-megabyte error page adds nothing past that.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Which Graph endpoint version a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    fn segment(self) -> &'static str {
        match self {
            Self::V1 => "v1.0",
            Self::Beta => "beta",
        }
    }
}

/// Counters of what the client did, for reports and benchmarks.
#[derive(Debug, Default)]
pub struct ClientStats {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
}

impl ClientStats {
    /// HTTP requests sent, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    /// Attempts that were repeated.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
    /// Answers that were 429.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }
}

/// A Microsoft Graph client. Cheap to clone; clones share connections and counters.
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    stats: ClientStats,
}

/// Everything a client is made of but its counters.
#[derive(Clone)]
struct Settings {
    http: reqwest::Client,
    root: Url,
    credential: Arc<dyn TokenCredential>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    /// Told before each retry (the console shows it).
    observer: Option<RetryObserver>,
    /// See [`MAX_BODY_BYTES`].
    max_body: usize,
}

/// A retry about to happen, for whoever shows progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryNotice {
    /// The call, as in its errors ("list connections").
    pub what: String,
    /// Tries made so far.
    pub tries: u32,
    /// Why the last one failed, in a few words.
    pub reason: String,
    /// How long until the next try.
    pub wait: Duration,
}

/// Receives a [`RetryNotice`] before each wait; must return at once.
pub type RetryObserver = Arc<dyn Fn(&RetryNotice) + Send + Sync>;

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("root", &self.inner.settings.root.as_str())
            .finish_non_exhaustive()
    }
}

/// One call to Graph, described before it is sent (and resent).
#[derive(Debug, Clone)]
pub struct Call {
    /// Human description for errors: "create connection 'contosohr'".
    pub what: String,
    pub method: Method,
    pub version: ApiVersion,
    /// Path below the version root, already percent-encoded, starting with `/`.
    /// An absolute URL (a nextLink) is also accepted when it is on the same host.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub headers: Vec<(HeaderName, String)>,
    /// Safe to resend after a 5xx or a lost answer.
    pub idempotent: bool,
    /// The permission named when Graph answers 403.
    pub permission: Option<&'static str>,
}

impl Call {
    /// A call with no body; GET, PUT, PATCH and DELETE count as idempotent.
    pub fn new(
        what: impl Into<String>,
        method: Method,
        version: ApiVersion,
        path: impl Into<String>,
    ) -> Self {
        let idempotent = method != Method::POST;
        Self {
            what: what.into(),
            method,
            version,
            path: path.into(),
            query: Vec::new(),
            body: None,
            headers: Vec::new(),
            idempotent,
            permission: None,
        }
    }

    /// Adds a query parameter (`$select`, `$top`, ...).
    #[must_use]
    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    /// Sets a JSON body.
    #[must_use]
    pub fn json<T: Serialize>(mut self, body: &T) -> Self {
        // Serialising our own DTOs cannot fail (no maps with non-string keys).
        self.body = Some(serde_json::to_vec(body).unwrap_or_default());
        self
    }

    /// Adds a request header.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Names the permission a 403 should mention.
    #[must_use]
    pub fn permission(mut self, permission: &'static str) -> Self {
        self.permission = Some(permission);
        self
    }

    /// Overrides whether the call may be resent after a 5xx or a lost answer.
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}

/// A successful answer.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    what: String,
}

impl Response {
    /// Decodes the body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, GraphError> {
        serde_json::from_slice(&self.body).map_err(|e| GraphError::Decode {
            what: self.what.clone(),
            reason: describe_json_error(&e, &self.body, self.header("content-type")),
        })
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl GraphClient {
    /// A client for the Graph at `root` (`https://graph.microsoft.com`, no version segment).
    pub fn new(
        http: reqwest::Client,
        root: &str,
        credential: Arc<dyn TokenCredential>,
    ) -> Result<Self, GraphError> {
        let root = parse_root(root)?;
        Ok(Self::from_settings(Settings {
            http,
            root,
            credential,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            observer: None,
            max_body: MAX_BODY_BYTES,
        }))
    }

    fn from_settings(settings: Settings) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                stats: ClientStats::default(),
            }),
        }
    }

    /// The same settings, one changed, with counters of its own.
    fn derive(&self, change: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = self.inner.settings.clone();
        change(&mut settings);
        Self::from_settings(settings)
    }

    /// The same client with another retry policy (tests, benchmarks, the sync engine).
    #[must_use]
    pub fn with_retry(&self, retry: RetryPolicy) -> Self {
        self.derive(|s| s.retry = retry)
    }

    /// The same client with other timeouts and deadline. The connect timeout is the HTTP
    /// transport's: give the same values to [`build_http_client`].
    #[must_use]
    pub fn with_timeouts(&self, timeouts: Timeouts) -> Self {
        self.derive(|s| s.timeouts = timeouts)
    }

    /// The same client telling `observer` about every retry before waiting for it. Takes
    /// the client: whoever watches its retries owns it.
    #[must_use]
    pub fn with_retry_observer(self, observer: RetryObserver) -> Self {
        self.derive(|s| s.observer = Some(observer))
    }

    /// The same client refusing successful answers over `bytes` (tests; the default is
    /// [`MAX_BODY_BYTES`]).
    #[must_use]
    pub fn with_max_body(&self, bytes: usize) -> Self {
        self.derive(|s| s.max_body = bytes)
    }

    /// The Graph root URL, without version.
    pub fn root(&self) -> &Url {
        &self.inner.settings.root
    }

    /// The host name shown to the admin.
    pub fn host(&self) -> String {
        self.inner
            .settings
            .root
            .host_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// How long calls may wait.
    pub fn timeouts(&self) -> Timeouts {
        self.inner.settings.timeouts
    }

    /// Request counters.
    pub fn stats(&self) -> &ClientStats {
        &self.inner.stats
    }

    /// The underlying credential (for auth status).
    pub fn credential(&self) -> &Arc<dyn TokenCredential> {
        &self.inner.settings.credential
    }

    /// The full URL a call goes to.
    fn url_for(&self, call: &Call) -> Result<Url, GraphError> {
        let mut url = if call.path.starts_with("https://") || call.path.starts_with("http://") {
            let url = Url::parse(&call.path).map_err(|e| GraphError::Decode {
                what: call.what.clone(),
                reason: format!("bad link {}: {e}", call.path),
            })?;
            // A link elsewhere would carry our bearer token to another host.
            if url.origin() != self.inner.settings.root.origin() {
                return Err(GraphError::Decode {
                    what: call.what.clone(),
                    reason: format!(
                        "refusing to follow a link to another host: {}",
                        url.origin().ascii_serialization()
                    ),
                });
            }
            url
        } else {
            // A '.' or '..' segment would be resolved away by the URL parser and the call would
            // reach another resource (`DELETE .../connections/..`). Callers check ids first
            // (`people::ids::check_key`); this is the last guard.
            let dot_segment = call.path.split('/').any(|seg| {
                let seg = seg.to_ascii_lowercase().replace("%2e", ".");
                seg == "." || seg == ".."
            });
            if dot_segment {
                return Err(GraphError::Config(format!(
                    "{}: refusing to send {} {}: a '.' or '..' path segment would name another \
                     resource",
                    call.what, call.method, call.path
                )));
            }
            let base = self.inner.settings.root.as_str().trim_end_matches('/');
            let text = format!("{base}/{}{}", call.version.segment(), call.path);
            Url::parse(&text)
                .map_err(|e| GraphError::Config(format!("bad Graph URL {text}: {e}")))?
        };
        if !call.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &call.query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    async fn token(&self, what: &str) -> Result<String, GraphError> {
        let token = self
            .inner
            .settings
            .credential
            .get_token(&[GRAPH_SCOPE], None)
            .await
            .map_err(|e| GraphError::Auth {
                what: what.to_owned(),
                reason: crate::auth::describe_auth_error(&e),
            })?;
        Ok(token.token.secret().to_owned())
    }

    /// Sends a call, retrying per policy within the call's deadline; any non-2xx answer
    /// becomes a [`GraphError`] saying how many tries were made and for how long.
    pub async fn send(&self, call: &Call) -> Result<Response, GraphError> {
        let url = self.url_for(call)?;
        let settings = &self.inner.settings;
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let started = tokio::time::Instant::now();
        let deadline_length = settings.timeouts.deadline;
        let deadline = started + deadline_length;
        let mut tries = 0u32;
        // Why the try before failed, for an error that the deadline cuts short.
        let mut before: Option<String> = None;
        loop {
            let Ok(token) = tokio::time::timeout_at(deadline, self.token(&call.what)).await else {
                return Err(GraphError::Auth {
                    what: call.what.clone(),
                    reason: format!(
                        "no token within the {} deadline of this call (--deadline): the \
                         identity platform did not answer",
                        human(deadline_length)
                    ),
                });
            };
            let token = token?;
            tries += 1;
            let spent = |stopped: bool| Tries {
                count: tries,
                waited: started.elapsed(),
                deadline: stopped.then_some(deadline_length),
            };
            let attempt = tokio::time::timeout_at(
                deadline,
                self.attempt(call, &url, &client_request_id, token),
            )
            .await;
            let Ok(attempt) = attempt else {
                let mut reason = format!(
                    "no answer before the {} deadline of this call (--deadline)",
                    human(deadline_length)
                );
                if let Some(before) = &before {
                    reason.push_str(&format!("; before that: {before}"));
                }
                return Err(GraphError::Transport(Box::new(TransportError {
                    what: call.what.clone(),
                    host: self.host(),
                    request: request_line(call, &url),
                    reason,
                    tries: spent(false),
                })));
            };
            let (failure, retry_after, mut error) = match attempt? {
                Attempt::Done(response) => return Ok(response),
                Attempt::Failed {
                    failure,
                    retry_after,
                    error,
                } => (failure, retry_after, error),
            };
            if !settings
                .retry
                .should_retry(tries - 1, failure, call.idempotent)
            {
                error.set_tries(spent(false));
                return Err(error);
            }
            let wait = settings.retry.delay(tries - 1, retry_after);
            if tokio::time::Instant::now() + wait >= deadline {
                // Waiting would end past the deadline: better to say so now than at it.
                error.set_tries(spent(true));
                return Err(error);
            }
            let reason = short_reason(failure, &error);
            tracing::debug!(what = %call.what, error = %error, tries,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "retrying Graph call");
            if let Some(observer) = &settings.observer {
                observer(&RetryNotice {
                    what: call.what.clone(),
                    tries,
                    reason: reason.clone(),
                    wait,
                });
            }
            before = Some(reason);
            self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(wait).await;
        }
    }

    /// One try of a call. Only failures to get a token end the call at once.
    async fn attempt(
        &self,
        call: &Call,
        url: &Url,
        client_request_id: &str,
        token: String,
    ) -> Result<Attempt, GraphError> {
        let settings = &self.inner.settings;
        let mut req = settings
            .http
            .request(call.method.clone(), url.clone())
            .timeout(settings.timeouts.request)
            .bearer_auth(token)
            .header("client-request-id", client_request_id)
            .header("return-client-request-id", "true");
        for (name, value) in &call.headers {
            req = req.header(name.clone(), value.as_str());
        }
        if let Some(body) = &call.body {
            req = req
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/json; charset=utf-8",
                )
                .body(body.clone());
        }
        self.inner.stats.requests.fetch_add(1, Ordering::Relaxed);
        let transport_error = |e: &reqwest::Error| Attempt::Failed {
            failure: if is_tls_failure(e) {
                Failure::Tls
            } else {
                Failure::Transport
            },
            retry_after: None,
            error: GraphError::Transport(Box::new(TransportError {
                what: call.what.clone(),
                host: self.host(),
                request: request_line(call, url),
                reason: describe_reqwest_error(e, &settings.timeouts),
                tries: Tries::default(),
            })),
        };
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => return Ok(transport_error(&e)),
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let limit = if status.is_success() {
            settings.max_body
        } else {
            MAX_ERROR_BODY_BYTES
        };
        let body = match read_body(resp, limit, status.is_success()).await {
            Ok(Body::Whole(b) | Body::Cut(b)) if !status.is_success() => b,
            Ok(Body::Whole(b)) => b,
            Ok(Body::Cut(_)) => {
                // Not retried: the same request would bring the same answer.
                return Err(GraphError::Decode {
                    what: call.what.clone(),
                    reason: format!(
                        "the answer is larger than {}; refusing to read it",
                        size_text(limit)
                    ),
                });
            }
            // The answer broke off mid-body: as good as no answer.
            Err(e) => return Ok(transport_error(&e)),
        };
        if status.is_success() {
            return Ok(Attempt::Done(Response {
                status,
                headers,
                body,
                what: call.what.clone(),
            }));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.inner.stats.throttled.fetch_add(1, Ordering::Relaxed);
        }
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let error = decode_error(ErrorParts {
            what: &call.what,
            status,
            body: &body,
            content_type: headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            request_id: header_text(&headers, "request-id"),
            client_request_id: Some(client_request_id.to_owned()),
            retry_after: retry_after.map(|d| d.as_secs()),
            permission: call.permission,
        });
        Ok(Attempt::Failed {
            failure: Failure::Status(status),
            retry_after,
            error,
        })
    }

    /// Sends a call and decodes its JSON answer.
    pub async fn send_json<T: DeserializeOwned>(&self, call: &Call) -> Result<T, GraphError> {
        self.send(call).await?.json()
    }
}

enum Attempt {
    Done(Response),
    Failed {
        failure: Failure,
        retry_after: Option<Duration>,
        error: GraphError,
    },
}

/// An answer's body, read up to a limit.
enum Body {
    Whole(Vec<u8>),
    /// The first `limit` bytes of a longer body (or nothing, when its declared length was
    /// already over the limit).
    Cut(Vec<u8>),
}

/// Reads a body chunk by chunk, stopping at `limit` bytes. With `refuse_declared`, a declared
/// length over the limit is refused before reading anything.
async fn read_body(
    mut resp: reqwest::Response,
    limit: usize,
    refuse_declared: bool,
) -> Result<Body, reqwest::Error> {
    let declared = resp.content_length();
    if refuse_declared && declared.is_some_and(|len| len > limit as u64) {
        return Ok(Body::Cut(Vec::new()));
    }
    // Trust the declared length only so far: it may be a lie.
    let guess = declared.map_or(0, |len| usize::try_from(len).unwrap_or(usize::MAX));
    let mut body = Vec::with_capacity(guess.min(limit).min(1024 * 1024));
    while let Some(chunk) = resp.chunk().await? {
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok(Body::Cut(body));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Body::Whole(body))
}

/// A byte count the way limits are written: "64 MiB", "100 KiB", "10 bytes".
fn size_text(bytes: usize) -> String {
    const KIB: usize = 1024;
    if bytes >= KIB * KIB && bytes.is_multiple_of(KIB * KIB) {
        format!("{} MiB", bytes / (KIB * KIB))
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Why a 2xx body is not the JSON expected, in words an admin can act on.
fn describe_json_error(e: &serde_json::Error, body: &[u8], content_type: Option<&str>) -> String {
    use serde_json::error::Category;
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match e.classify() {
        Category::Eof if first.is_none() => "the answer is empty where JSON was expected".into(),
        Category::Eof => format!(
            "the JSON answer is cut short after {} bytes ({e})",
            body.len()
        ),
        // Not even the start of a JSON value: an HTML page or plain text instead.
        Category::Syntax if !first.is_some_and(|b| b"{[\"-0123456789tfn".contains(b)) => {
            not_json(body, content_type)
        }
        Category::Syntax => format!("the answer is not valid JSON ({e})"),
        Category::Data => format!("the answer is JSON of an unexpected shape ({e})"),
        Category::Io => e.to_string(),
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `GET /v1.0/external/connections`: what did not answer. The query is left out: it may
/// hold a person's name, and the path says which call it was.
fn request_line(call: &Call, url: &Url) -> String {
    format!("{} {}", call.method, url.path())
}

/// Why a retry is happening, in a few words (the console's header has little room).
fn short_reason(failure: Failure, error: &GraphError) -> String {
    match (failure, error) {
        (Failure::Status(StatusCode::TOO_MANY_REQUESTS), _) => "throttled (429)".to_owned(),
        (Failure::Status(status), _) => format!("Graph answered {}", status.as_u16()),
        (Failure::Transport | Failure::Tls, GraphError::Transport(t)) => t.reason.clone(),
        (Failure::Transport | Failure::Tls, _) => "no answer".to_owned(),
    }
}

/// What went wrong with a request that got no answer: which timeout ran out, the TLS reason
/// when the handshake failed, else the innermost cause.
fn describe_reqwest_error(e: &reqwest::Error, timeouts: &Timeouts) -> String {
    if let Some(tls) = crate::auth::tls_failure(e) {
        return format!("TLS handshake failed: {tls}");
    }
    if e.is_timeout() {
        return if e.is_connect() {
            format!(
                "could not connect within the {} connect timeout",
                human(timeouts.effective_connect())
            )
        } else {
            format!(
                "no answer within the {} request timeout (--timeout)",
                human(timeouts.request)
            )
        };
    }
    let mut reason = if e.is_connect() {
        "connection failed".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    let mut last = None;
    while let Some(s) = source {
        last = Some(s.to_string());
        source = s.source();
    }
    if let Some(last) = last {
        reason.push_str(": ");
        reason.push_str(&last);
    }
    reason
}

/// True when an error is a TLS failure: retrying would meet the same certificate.
pub(crate) fn is_tls_failure(e: &reqwest::Error) -> bool {
    crate::auth::tls_failure(e).is_some()
}

fn parse_root(root: &str) -> Result<Url, GraphError> {
    let url = Url::parse(root.trim_end_matches('/'))
        .map_err(|e| GraphError::Config(format!("Graph URL '{root}' is not a URL: {e}")))?;
    if url.scheme() != "https" {
        return Err(GraphError::Config(format!(
            "Graph URL '{root}' must use https: tokens are never sent in clear text"
        )));
    }
    let path = url.path().trim_end_matches('/');
    if path.ends_with("/v1.0") || path.ends_with("/beta") {
        return Err(GraphError::Config(format!(
            "Graph URL '{root}' must be the root without a version (like https://graph.microsoft.com)"
        )));
    }
    Ok(url)
}

/// Options for the HTTP transport shared by Graph calls and sign-in.
#[derive(Debug, Clone, Default)]
pub struct TransportOptions {
    /// An extra trusted root certificate (PEM), e.g. the emulator's CA or a TLS-inspecting proxy.
    pub ca_cert_pem: Option<Vec<u8>>,
    /// Bypass any system proxy (always the case for loopback hosts).
    pub no_proxy: bool,
    /// Per-request timeout (default 30 s).
    pub timeout: Option<Duration>,
    /// Connect timeout (default 10 s, never more than the request timeout).
    pub connect_timeout: Option<Duration>,
}

/// Builds the reqwest client both Graph and azure_identity use, so the emulator's CA is
/// trusted on both paths.
pub fn build_http_client(options: &TransportOptions) -> Result<reqwest::Client, GraphError> {
    let timeouts = Timeouts {
        request: options.timeout.unwrap_or(Timeouts::default().request),
        connect: options
            .connect_timeout
            .unwrap_or(Timeouts::default().connect),
        ..Timeouts::default()
    };
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("peoplectl/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeouts.effective_connect())
        // Sign-in requests go through this client too; Graph calls set their own.
        .timeout(timeouts.request)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64);
    if let Some(pem) = &options.ca_cert_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| GraphError::Config(format!("CA certificate is not valid PEM: {e}")))?;
        if certs.is_empty() {
            return Err(GraphError::Config(
                "CA certificate file holds no certificate".into(),
            ));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if options.no_proxy {
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| GraphError::Config(format!("could not set up HTTPS: {e}")))
}

/// True for hosts that never go through a proxy: the emulator and other local services.
pub fn is_loopback_url(url: &str) -> bool {
    match Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Percent-encodes one path segment (an id, a UPN).
pub fn segment(text: &str) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    // Everything but unreserved characters; `'` stays literal as Graph's own examples show.
    const SEGMENT: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'/')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}')
        .add(b'\\')
        .add(b'^')
        .add(b'|')
        .add(b'[')
        .add(b']')
        .add(b'&')
        .add(b'+')
        .add(b'$')
        .add(b',')
        .add(b';')
        .add(b'=')
        .add(b':')
        .add(b'@')
        .add(b'(')
        .add(b')');
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// An OData string literal: quotes doubled, wrapped in single quotes.
pub fn odata_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_must_be_https_without_version() {
        assert!(parse_root("https://graph.microsoft.com").is_ok());
        assert!(parse_root("https://graph.microsoft.com/").is_ok());
        assert!(parse_root("http://graph.microsoft.com").is_err());
        assert!(parse_root("https://graph.microsoft.com/v1.0").is_err());
        assert!(parse_root("not a url").is_err());
    }

    #[tokio::test]
    async fn dot_segments_are_never_sent() {
        #[derive(Debug)]
        struct NoToken;
        #[async_trait::async_trait]
        impl TokenCredential for NoToken {
            async fn get_token(
                &self,
                _: &[&str],
                _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
            ) -> azure_core::Result<azure_core::credentials::AccessToken> {
                panic!("no token may be asked for a call that is refused")
            }
        }
        let http = build_http_client(&TransportOptions::default()).unwrap();
        let client = GraphClient::new(http, "https://127.0.0.1:9", Arc::new(NoToken)).unwrap();
        for path in ["/external/connections/..", "/users/.", "/users/%2E%2e/x"] {
            let call = Call::new("delete x", Method::DELETE, ApiVersion::V1, path);
            let e = client.send(&call).await.unwrap_err();
            assert!(matches!(e, GraphError::Config(_)), "{path}: {e:?}");
            assert!(e.to_string().contains("path segment"), "{e}");
        }
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback_url("https://127.0.0.1:8443"));
        assert!(is_loopback_url("https://[::1]:8443"));
        assert!(is_loopback_url("https://localhost:1"));
        assert!(!is_loopback_url("https://graph.microsoft.com"));
    }

    #[test]
    fn segments_and_odata_literals_are_escaped() {
        assert_eq!(segment("alex@contoso.com"), "alex%40contoso.com");
        assert_eq!(segment("a/b?c#d"), "a%2Fb%3Fc%23d");
        assert_eq!(segment("o'brien"), "o'brien");
        assert_eq!(segment("zoë"), "zo%C3%AB");
        assert_eq!(odata_string("o'brien"), "'o''brien'");
    }
}
