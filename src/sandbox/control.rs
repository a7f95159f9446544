//! The control API under `/_sandbox/` (see the module docs of `sandbox`).
//! Not part of any vendor: no auth, no faults, not logged.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::faults::{FaultKind, FaultSettings};
use super::listing::ListingSettings;
use super::table::Reply;
use super::{Modes, SandboxError, SandboxState};

type S = State<Arc<SandboxState>>;

pub(crate) fn router(shared: Arc<SandboxState>) -> Router {
    Router::new()
        .route("/state", get(state))
        .route("/counts", get(counts))
        .route("/accounts/{vendor}", post(create_account))
        .route("/accounts/{vendor}/{key}", patch(edit_account).get(account))
        .route("/faults", get(faults).put(set_faults))
        .route("/faults/schedule", post(schedule))
        .route("/modes", get(modes).put(set_modes))
        .route("/behaviours", get(behaviours).put(set_behaviours))
        .route("/expire-tokens", post(expire_tokens))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/listing", get(listing))
        .route("/listing/{vendor}", put(set_listing))
        .route("/rate-limits", get(rate_limits).put(set_rate_limits))
        .route("/reset", post(reset))
        .fallback(|| async { problem(StatusCode::NOT_FOUND, "no such control route") })
        .with_state(shared)
}

fn problem(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// A control operation's error: 404 for an unknown vendor, 400 otherwise.
impl From<SandboxError> for Response {
    fn from(error: SandboxError) -> Response {
        let status = match error {
            SandboxError::UnknownVendor(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        problem(status, &error.to_string())
    }
}

fn json_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, &format!("invalid body: {e}")))
}

async fn state(State(shared): S) -> Response {
    Json(shared.state()).into_response()
}

async fn counts(State(shared): S) -> Response {
    Json(shared.counts()).into_response()
}

fn no_such_account() -> Response {
    problem(StatusCode::NOT_FOUND, "no such account")
}

async fn account(State(shared): S, Path((vendor, key)): Path<(String, String)>) -> Reply {
    let sim = shared.vendor(&vendor)?;
    let account = sim.control().get(&key).ok_or_else(no_such_account)?;
    Ok(Json(account).into_response())
}

async fn create_account(State(shared): S, Path(vendor): Path<String>, body: Bytes) -> Reply {
    let account: Value = json_body(&body)?;
    let created = shared.create_account(&vendor, account)?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn edit_account(
    State(shared): S,
    Path((vendor, key)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let patch: Value = json_body(&body)?;
    if let Ok(sim) = shared.vendor(&vendor) {
        sim.control().get(&key).ok_or_else(no_such_account)?;
    }
    let edited = shared.edit_account(&vendor, &key, patch)?;
    Ok(Json(edited).into_response())
}

fn faults_view(shared: &SandboxState) -> Value {
    let settings = shared.faults();
    json!({
        "rate": settings.rate,
        "kinds": settings.kinds,
        "latency_ms": settings.latency_ms,
        "scheduled": shared.scheduled_faults(),
    })
}

async fn faults(State(shared): S) -> Response {
    Json(faults_view(&shared)).into_response()
}

/// `PUT /_sandbox/faults`: any of the fields; the others keep their value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsPatch {
    rate: Option<f64>,
    kinds: Option<Vec<FaultKind>>,
    latency_ms: Option<u64>,
}

async fn set_faults(State(shared): S, body: Bytes) -> Reply {
    let patch: FaultsPatch = json_body(&body)?;
    let current = shared.faults();
    let settings = FaultSettings {
        rate: patch.rate.unwrap_or(current.rate),
        kinds: patch.kinds.unwrap_or(current.kinds),
        latency_ms: patch.latency_ms.unwrap_or(current.latency_ms),
    };
    shared.set_faults(settings)?;
    Ok(Json(faults_view(&shared)).into_response())
}

async fn schedule(State(shared): S, body: Bytes) -> Reply {
    shared.schedule_fault(json_body(&body)?);
    Ok(Json(faults_view(&shared)).into_response())
}

async fn modes(State(shared): S) -> Response {
    Json(shared.modes()).into_response()
}

/// `PUT /_sandbox/modes`: any of the modes; the others keep their value.
async fn set_modes(State(shared): S, body: Bytes) -> Reply {
    let modes: Modes = json_body(&body)?;
    shared.set_modes(&modes)?;
    Ok(Json(shared.modes()).into_response())
}

fn behaviours_view(shared: &SandboxState) -> Value {
    json!({
        "values": shared.behaviours().values(),
        "available": super::Behaviours::describe(),
    })
}

async fn behaviours(State(shared): S) -> Response {
    Json(behaviours_view(&shared)).into_response()
}

/// `PUT /_sandbox/behaviours`: `{"thulium.page_cap": "100", ...}` (a value
/// may be a JSON string, number or boolean); the others keep their value.
/// All or nothing: an unknown name or value is a 400 that changes nothing.
async fn set_behaviours(State(shared): S, body: Bytes) -> Reply {
    let body: serde_json::Map<String, Value> = json_body(&body)?;
    let assignments: Vec<(String, String)> = body
        .into_iter()
        .map(|(name, value)| {
            let value = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (name, value)
        })
        .collect();
    shared.set_behaviours(&assignments)?;
    Ok(Json(behaviours_view(&shared)).into_response())
}

async fn expire_tokens(State(shared): S) -> Response {
    Json(json!({ "expired": shared.expire_tokens() })).into_response()
}

async fn requests(State(shared): S) -> Response {
    let (total, requests) = shared.request_log();
    Json(json!({ "total": total, "requests": requests })).into_response()
}

async fn clear_requests(State(shared): S) -> Response {
    shared.clear_requests();
    StatusCode::NO_CONTENT.into_response()
}

async fn listing(State(shared): S) -> Response {
    Json(shared.listing()).into_response()
}

/// `PUT /_sandbox/listing/{vendor}`: `{"fault": ..., "paging"?: ...}`.
async fn set_listing(State(shared): S, Path(vendor): Path<String>, body: Bytes) -> Reply {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(default)]
        fault: Option<super::listing::ListingFault>,
        #[serde(default)]
        paging: Option<super::listing::ThuliumPaging>,
    }
    let body: Body = json_body(&body)?;
    let current = shared.vendor(&vendor)?.control().listing();
    let settings = ListingSettings {
        fault: body.fault,
        paging: body.paging.or(current.paging),
    };
    shared.set_listing(&vendor, settings)?;
    Ok(Json(shared.listing()).into_response())
}

async fn rate_limits(State(shared): S) -> Response {
    Json(shared.rate_limits()).into_response()
}

/// `PUT /_sandbox/rate-limits`: `{"ccp": 10}` meters CCP at 10 requests a
/// second and no other vendor; `{}` meters none.
async fn set_rate_limits(State(shared): S, body: Bytes) -> Reply {
    let limits: super::RateLimits = json_body(&body)?;
    if limits.values().any(|n| *n == 0) {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "a rate limit is a whole number of requests per second above 0",
        ));
    }
    shared.set_rate_limits(&limits)?;
    Ok(Json(shared.rate_limits()).into_response())
}

async fn reset(State(shared): S) -> Reply {
    shared.reset()?;
    Ok(Json(json!({ "reset": true, "counts": shared.counts() })).into_response())
}
