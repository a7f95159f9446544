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
use super::Shared;

/// The error that makes hyper close a connection with no response.
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the sandbox (injected fault)")
    }
}

impl std::error::Error for Dropped {}

/// Accepts connections until `shutdown` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
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

async fn call(router: Router, req: Request<Incoming>) -> Response<Body> {
    let mut router = router;
    match router.call(req.map(Body::new)).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

async fn handle(
    shared: Arc<Shared>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let query = query.as_deref();
    let Some(vendor) = shared.vendor_for_path(&path) else {
        return Ok(call(router, req).await);
    };
    let method = req.method().as_str().to_string();
    let (latency, fault) = shared.decide_fault(&method, &path);
    if !latency.is_zero() {
        tokio::select! {
            _ = tokio::time::sleep(latency) => {}
            _ = stopped(&mut shutdown) => return Err(Dropped),
        }
    }
    let vendor_name = vendor.name();
    match fault {
        None => {
            let response = call(router, req).await;
            shared.log(
                &method,
                &path,
                query,
                vendor_name,
                Some(response.status()),
                None,
            );
            Ok(response)
        }
        Some(kind @ (FaultKind::Status500 | FaultKind::Status503 | FaultKind::Status429)) => {
            let status = match kind {
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
            shared.log(&method, &path, query, vendor_name, Some(status), Some(kind));
            Ok(response)
        }
        Some(FaultKind::Hang) => {
            shared.log(
                &method,
                &path,
                query,
                vendor_name,
                None,
                Some(FaultKind::Hang),
            );
            stopped(&mut shutdown).await;
            Err(Dropped)
        }
        Some(FaultKind::DropBefore) => {
            shared.log(
                &method,
                &path,
                query,
                vendor_name,
                None,
                Some(FaultKind::DropBefore),
            );
            Err(Dropped)
        }
        Some(FaultKind::DropAfter) => {
            let response = call(router, req).await;
            shared.log(
                &method,
                &path,
                query,
                vendor_name,
                Some(response.status()),
                Some(FaultKind::DropAfter),
            );
            Err(Dropped)
        }
    }
}
