//! The HTTP side: shared app state, the axum router, and the outer service that adds request
//! ids, latency, injected faults and dropped connections, and counts every request.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::{BoxError, Extension, Router};
use tower_service::Service;

use super::auth::{self, AuthState};
use super::clock::Clock;
use super::config::EmulatorConfig;
use super::directory::Directory;
use super::errors::{GraphError, RequestIds};
use super::faults::{Decision, Faults, RouteClass};
use super::inspect::Journal;
use super::routes::{self, GraphRequest};
use super::state::{State as TenantState, Tenant};

/// Everything the handlers share.
pub(crate) struct App {
    pub config: EmulatorConfig,
    /// `https://host:port`, no version segment.
    pub root: String,
    pub tenant: Tenant,
    pub directory: Directory,
    state: RwLock<TenantState>,
    /// Schema operations still running (so reads settle them only when needed).
    pending_operations: AtomicUsize,
    auth: Mutex<AuthState>,
    pub faults: Faults,
    /// HMAC key of this run's tokens.
    pub token_key: [u8; 32],
    pub client_secret: String,
    /// Certificates registered as the app's credentials (client assertions).
    pub certificates: Mutex<Vec<super::certs::AppCertificate>>,
    /// Every admin-visible state, when tests ask for it.
    pub journal: Journal,
    /// What "now" is for tokens, device codes and schema operations.
    pub clock: Clock,
}

/// A write lock on the tenant state that records the state in the journal when released, so
/// the journal sees every state a reader could have seen, in order.
pub(crate) struct StateWriteGuard<'a> {
    state: RwLockWriteGuard<'a, TenantState>,
    journal: &'a Journal,
}

impl std::ops::Deref for StateWriteGuard<'_> {
    type Target = TenantState;
    fn deref(&self) -> &TenantState {
        &self.state
    }
}

impl std::ops::DerefMut for StateWriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut TenantState {
        &mut self.state
    }
}

impl Drop for StateWriteGuard<'_> {
    fn drop(&mut self) {
        if self.journal.is_on() {
            self.journal.record(&self.state);
        }
    }
}

impl App {
    pub fn new(
        config: EmulatorConfig,
        root: String,
        tenant: Tenant,
        directory: Directory,
        state: TenantState,
    ) -> Self {
        let faults = Faults::new(&config);
        Self {
            config,
            root,
            tenant,
            directory,
            state: RwLock::new(state),
            pending_operations: AtomicUsize::new(0),
            auth: Mutex::new(AuthState::default()),
            faults,
            token_key: rand::random(),
            client_secret: auth::new_client_secret(),
            certificates: Mutex::new(Vec::new()),
            journal: Journal::default(),
            clock: Clock::default(),
        }
    }

    /// The tenant state for reading, with due schema operations settled first.
    pub fn read(&self) -> RwLockReadGuard<'_, TenantState> {
        if self.pending_operations.load(Ordering::Acquire) > 0 {
            drop(self.write());
        }
        // A panic in a handler leaves consistent-enough data behind: keep serving.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The tenant state for writing, with due schema operations settled first. When the
    /// journal is on, the state is recorded as the guard is released.
    pub fn write(&self) -> StateWriteGuard<'_> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if self.pending_operations.load(Ordering::Acquire) > 0 {
            let pending = state.settle(self.clock.instant());
            self.pending_operations.store(pending, Ordering::Release);
        }
        StateWriteGuard {
            state,
            journal: &self.journal,
        }
    }

    pub fn note_pending_operation(&self) {
        self.pending_operations.fetch_add(1, Ordering::AcqRel);
    }

    pub fn auth_state(&self) -> MutexGuard<'_, AuthState> {
        self.auth.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The error body of an injected (or unknown-route) failure.
pub(crate) fn fault_error(status: u16, retry_after_s: Option<u64>) -> GraphError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let error = GraphError::for_status(status);
    match retry_after_s {
        Some(secs) if status != StatusCode::TOO_MANY_REQUESTS => {
            error.header(header::RETRY_AFTER, secs.max(1).to_string())
        }
        Some(secs) => GraphError::throttled(secs),
        // A 429 without Retry-After: Graph sends these too, and clients must back off alone.
        None => {
            let mut error = error;
            error
                .headers
                .retain(|(name, _)| name != header::RETRY_AFTER);
            error
        }
    }
}

async fn graph(
    State(app): State<Arc<App>>,
    Extension(ids): Extension<RequestIds>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, app.config.max_item_bytes).await else {
        return GraphError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!(
                "The request body is larger than the limit of {} bytes.",
                app.config.max_item_bytes
            ),
        )
        .to_reply(&ids)
        .into_response();
    };
    let Some(request) = GraphRequest::new(
        parts.method,
        parts.uri.path(),
        parts.uri.query(),
        parts.headers,
        body,
    ) else {
        return unknown_route(&ids, parts.uri.path());
    };
    routes::dispatch(&app, &ids, &request).into_response()
}

fn unknown_route(ids: &RequestIds, path: &str) -> Response {
    let segment = path.split('/').find(|s| !s.is_empty()).unwrap_or("");
    GraphError::bad_request(
        "BadRequest",
        format!("Invalid version: '{segment}'. Use /v1.0 or /beta."),
    )
    .to_reply(ids)
    .into_response()
}

async fn fallback(Extension(ids): Extension<RequestIds>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path.trim_matches('/').is_empty() {
        return GraphError::not_found("NotFound", "Use /v1.0 or /beta.")
            .to_reply(&ids)
            .into_response();
    }
    unknown_route(&ids, &path)
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token_endpoint))
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(auth::devicecode_endpoint),
        )
        .route(
            "/devicelogin",
            get(auth::device_login_page).post(auth::device_login_submit),
        )
        .route("/v1.0/{*rest}", any(graph))
        .route("/beta/{*rest}", any(graph))
        .fallback(fallback)
        .with_state(app)
}

/// A connection closed on purpose by fault injection (the server then sends nothing).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
pub(crate) struct ConnectionDropped;

/// The outer service: request ids, latency, injected faults, counters, then the router.
#[derive(Clone)]
pub(crate) struct EmulatorService {
    app: Arc<App>,
    router: Router,
}

impl EmulatorService {
    pub fn new(app: Arc<App>) -> Self {
        let router = router(app.clone());
        Self { app, router }
    }
}

fn decorate(response: &mut Response, ids: &RequestIds) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&ids.request_id) {
        headers.insert("request-id", value);
    }
    if let Ok(value) = HeaderValue::from_str(&ids.client_request_id) {
        headers.insert("client-request-id", value);
    }
    headers.insert(
        "x-ms-ags-diagnostic",
        HeaderValue::from_static(
            r#"{"ServerInfo":{"DataCenter":"Local","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"peoplectl-emulator"}}"#,
        ),
    );
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
}

impl<B> Service<axum::http::Request<B>> for EmulatorService
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = ConnectionDropped;
    type Future = Pin<Box<dyn Future<Output = Result<Response, ConnectionDropped>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let app = self.app.clone();
        let mut router = self.router.clone();
        Box::pin(async move {
            let ids = RequestIds::new(
                request
                    .headers()
                    .get("client-request-id")
                    .and_then(|v| v.to_str().ok()),
            );
            let method = request.method().clone();
            let path = request.uri().path().to_owned();
            let class = RouteClass::of_path(&path);
            let (delay, decision) = app.faults.before(method.as_str(), &path, class, true);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let mut response = match decision {
                Decision::Drop => {
                    app.faults.record_drop(class);
                    tracing::debug!(%method, %path, "dropping the connection (fault injection)");
                    return Err(ConnectionDropped);
                }
                Decision::Fail {
                    status,
                    retry_after_s,
                } => fault_error(status, retry_after_s)
                    .to_reply(&ids)
                    .into_response(),
                Decision::Proceed | Decision::LoseAnswer => {
                    let mut request = request.map(Body::new);
                    request.extensions_mut().insert(ids.clone());
                    let response = match router.call(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    if decision == Decision::LoseAnswer {
                        app.faults.record_lost_answer(class);
                        tracing::debug!(%method, %path, status = response.status().as_u16(), "applied, answer lost (fault injection)");
                        return Err(ConnectionDropped);
                    }
                    response
                }
            };
            decorate(&mut response, &ids);
            let status = response.status().as_u16();
            app.faults.record(class, status);
            // Paths and statuses only: never headers or bodies (tokens, secrets).
            tracing::debug!(%method, %path, status, request_id = %ids.request_id, "request");
            Ok(response)
        })
    }
}

/// Hands every accepted connection a clone of the service.
#[derive(Clone)]
pub(crate) struct MakeEmulatorService(pub EmulatorService);

impl<T> Service<T> for MakeEmulatorService {
    type Response = EmulatorService;
    type Error = Infallible;
    type Future = std::future::Ready<Result<EmulatorService, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _target: T) -> Self::Future {
        std::future::ready(Ok(self.0.clone()))
    }
}
