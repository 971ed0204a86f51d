//! GET /healthz (the process answers), GET /readyz (the database and ephemeral store answer, and the
//! server is not stopping) and GET /metrics (Prometheus text).

use super::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn get_health() -> &'static str {
    "ok"
}

/// How long /readyz waits for each store: a load balancer's probe must get its answer in time.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

async fn within(
    store: &'static str,
    ping: impl std::future::Future<Output = Result<(), crate::store::StoreError>>,
) -> Result<(), crate::store::StoreError> {
    tokio::time::timeout(READY_TIMEOUT, ping).await.unwrap_or(Err(crate::store::StoreError::Unavailable(store)))
}

pub async fn get_ready(State(state): State<AppState>) -> Response {
    let (database, ephemeral) =
        tokio::join!(within("database", state.db.ping()), within("ephemeral store", state.ephemeral.ping()));
    let describe = |result: &Result<(), crate::store::StoreError>| match result {
        Ok(()) => "ok".to_owned(),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            "unreachable".to_owned()
        }
    };
    let draining = state.draining.load(std::sync::atomic::Ordering::Acquire);
    let ready = database.is_ok() && ephemeral.is_ok() && !draining;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut body = json!({ "database": describe(&database), "ephemeral": describe(&ephemeral) });
    // An upstream platform that is down takes one way in away, not the service: degraded, still ready.
    let upstreams = state.federation.upstreams();
    if !upstreams.is_empty() {
        let health = |upstream: &crate::federation::Upstream| match upstream.health() {
            crate::federation::UP => "ok",
            crate::federation::DOWN => "unreachable",
            _ => "unknown",
        };
        body["upstreams"] = upstreams.iter().map(|u| (u.id().to_owned(), json!(health(u)))).collect();
        if upstreams.iter().any(|u| u.health() == crate::federation::DOWN) {
            body["degraded"] = json!(true);
        }
    }
    if draining {
        body["draining"] = json!(true);
    }
    (status, Json(body)).into_response()
}

pub async fn get_metrics(State(state): State<AppState>) -> Response {
    if let Some(entries) = state.ephemeral.held_in_process() {
        state.metrics.set_ephemeral_entries(entries);
    }
    state.metrics.set_ephemeral_health(state.ephemeral.available(), state.ephemeral.failures());
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}
