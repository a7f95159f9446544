//! The HTTP/1 server: one task per connection, and the fault wrapper around
//! the router. A dropped connection is a service error: hyper then closes
//! the connection without writing any response.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_service::Service;

use super::faults::FaultKind;
use super::{RequestRecord, SandboxState};

/// The error that makes hyper close a connection with no response.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by the sandbox (injected fault)")]
pub(crate) struct Dropped;

/// Accepts connections until `shutdown` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<SandboxState>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = stopped(&mut shutdown) => break,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let router = router.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service_shutdown = conn_shutdown.clone();
            let service = hyper::service::service_fn(move |req| {
                handle(
                    shared.clone(),
                    router.clone(),
                    service_shutdown.clone(),
                    req,
                )
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stopped(&mut conn_shutdown) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
}

/// Resolves once the sandbox is stopping.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn call(router: Router, req: Request<Body>) -> Response<Body> {
    let mut router = router;
    match router.call(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Largest write body the sandbox reads (its vendors' bodies are small).
const MAX_WRITE_BODY: usize = 8 * 1024 * 1024;

/// For a write: reads the body to log the names of its top-level JSON
/// members (never their values), and gives the request back with it.
async fn with_field_names(
    req: Request<Incoming>,
) -> Result<(Request<Body>, Option<Vec<String>>), Response<Body>> {
    if req.method() == axum::http::Method::GET {
        return Ok((req.map(Body::new), None));
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(Body::new(body), MAX_WRITE_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let mut response = Response::new(Body::from("request body too large"));
            *response.status_mut() = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
            return Err(response);
        }
    };
    let names = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes)
        .ok()
        .map(|members| members.keys().cloned().collect());
    Ok((Request::from_parts(parts, Body::from(bytes)), names))
}

async fn handle(
    shared: Arc<SandboxState>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let query = query.as_deref();
    let Some(vendor) = shared.vendor_for_path(&path) else {
        return Ok(call(router, req.map(Body::new)).await);
    };
    let method = req.method().as_str().to_string();
    let at_us = shared.now_us();
    let vendor_name = vendor.name();
    if let Some(wait) = shared.meter(vendor_name) {
        // Past the vendor's budget: 429, and when to come back.
        let status = axum::http::StatusCode::TOO_MANY_REQUESTS;
        let mut response = vendor.fault_response(status);
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        if let Ok(value) = axum::http::HeaderValue::from_str(&seconds.max(1).to_string()) {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        shared.log(RequestRecord {
            seq: 0,
            method,
            path,
            vendor: vendor_name.to_string(),
            status: Some(status.as_u16()),
            fault: None,
            query: query.map(str::to_string),
            fields: None,
            at_us,
            rate_limited: true,
        });
        return Ok(response);
    }
    let (latency, fault) = shared.decide_fault(&method, &path);
    if !latency.is_zero() {
        tokio::select! {
            _ = tokio::time::sleep(latency) => {}
            _ = stopped(&mut shutdown) => return Err(Dropped),
        }
    }
    let seen = |status: Option<axum::http::StatusCode>,
                fault: Option<FaultKind>,
                fields: Option<Vec<String>>| RequestRecord {
        seq: 0,
        method: method.clone(),
        path: path.clone(),
        vendor: vendor_name.to_string(),
        status: status.map(|s| s.as_u16()),
        fault,
        query: query.map(str::to_string),
        fields,
        at_us,
        rate_limited: false,
    };
    match fault {
        None => {
            let (req, fields) = match with_field_names(req).await {
                Ok(read) => read,
                Err(response) => return Ok(response),
            };
            let response = call(router, req).await;
            shared.log(seen(Some(response.status()), None, fields));
            Ok(response)
        }
        Some(
            kind @ (FaultKind::Status400
            | FaultKind::Status500
            | FaultKind::Status503
            | FaultKind::Status429),
        ) => {
            let status = match kind {
                FaultKind::Status400 => axum::http::StatusCode::BAD_REQUEST,
                FaultKind::Status500 => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                FaultKind::Status503 => axum::http::StatusCode::SERVICE_UNAVAILABLE,
                _ => axum::http::StatusCode::TOO_MANY_REQUESTS,
            };
            let mut response = vendor.fault_response(status);
            if kind == FaultKind::Status429 {
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("1"),
                );
            }
            shared.log(seen(Some(status), Some(kind), None));
            Ok(response)
        }
        Some(FaultKind::Hang) => {
            shared.log(seen(None, Some(FaultKind::Hang), None));
            stopped(&mut shutdown).await;
            Err(Dropped)
        }
        Some(FaultKind::DropBefore) => {
            shared.log(seen(None, Some(FaultKind::DropBefore), None));
            Err(Dropped)
        }
        Some(FaultKind::DropAfter) => {
            let response = call(router, req.map(Body::new)).await;
            shared.log(seen(
                Some(response.status()),
                Some(FaultKind::DropAfter),
                None,
            ));
            Err(Dropped)
        }
    }
}
