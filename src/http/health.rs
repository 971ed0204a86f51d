//! GET /healthz (the process answers), GET /readyz (the database and ephemeral store answer) and
//! GET /metrics (Prometheus text).

use super::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn get_health() -> &'static str {
    "ok"
}

pub async fn get_ready(State(state): State<AppState>) -> Response {
    let database = state.db.ping().await;
    let ephemeral = state.ephemeral.ping().await;
    let describe = |result: &Result<(), crate::store::StoreError>| match result {
        Ok(()) => "ok".to_owned(),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            "unreachable".to_owned()
        }
    };
    let status = if database.is_ok() && ephemeral.is_ok() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "database": describe(&database), "ephemeral": describe(&ephemeral) }))).into_response()
}

pub async fn get_metrics(State(state): State<AppState>) -> Response {
    if let Some(entries) = state.ephemeral.held_in_process() {
        state.metrics.set_ephemeral_entries(entries);
    }
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}
