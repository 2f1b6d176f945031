//! The HTTP side: the axum router, and the outer service that adds request ids, latency,
//! injected faults and dropped connections, and counts every request.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::{BoxError, Extension, Router};
use tower_service::Service;

use super::errors::{ErrorReply, RequestIds};
use super::faults::{Decision, RouteClass};
use super::identity;
use super::routes::{self, GraphRequest};
use super::service::Emulator;

async fn graph(
    State(app): State<Arc<Emulator>>,
    Extension(ids): Extension<RequestIds>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, app.config.max_item_bytes).await else {
        return ErrorReply::new(
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
    ErrorReply::bad_request(
        "BadRequest",
        format!("Invalid version: '{segment}'. Use /v1.0 or /beta."),
    )
    .to_reply(ids)
    .into_response()
}

async fn fallback(Extension(ids): Extension<RequestIds>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path.trim_matches('/').is_empty() {
        return ErrorReply::not_found("NotFound", "Use /v1.0 or /beta.")
            .to_reply(&ids)
            .into_response();
    }
    unknown_route(&ids, &path)
}

pub(crate) fn router(app: Arc<Emulator>) -> Router {
    Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(identity::token_endpoint),
        )
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(identity::devicecode_endpoint),
        )
        .route(
            "/devicelogin",
            get(identity::device_login_page).post(identity::device_login_submit),
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
    app: Arc<Emulator>,
    router: Router,
}

impl EmulatorService {
    pub fn new(app: Arc<Emulator>) -> Self {
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
                } => ErrorReply::injected(status, retry_after_s)
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
