//! Prometheus metrics: requests by route and status, latency by route, logins and tokens issued. One
//! registry per app instance (no globals), exposed at /metrics.

use crate::oidc::ProviderMetrics;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoginLabels {
    method: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrantLabels {
    grant_type: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    logins: Family<LoginLabels, Counter>,
    tokens: Family<GrantLabels, Counter>,
    anonymous_refused: Counter,
    ephemeral_entries: prometheus_client::metrics::gauge::Gauge,
    logout_notices: Family<OutcomeLabels, Counter>,
    logout_notices_pending: prometheus_client::metrics::gauge::Gauge,
    ephemeral_available: prometheus_client::metrics::gauge::Gauge,
    ephemeral_failures: Counter,
    cas_validations: Family<OutcomeLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("yimen");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 16)));
        let logins = Family::<LoginLabels, Counter>::default();
        let tokens = Family::<GrantLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route, method and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        registry.register("logins", "Login attempts by method and outcome", logins.clone());
        registry.register("tokens_issued", "Tokens issued by grant type", tokens.clone());
        let anonymous_refused = Counter::default();
        registry.register(
            "anonymous_requests_refused",
            "Sign-in requests from anonymous browsers refused because http.max_anonymous_requests was reached",
            anonymous_refused.clone(),
        );
        let ephemeral_entries = prometheus_client::metrics::gauge::Gauge::default();
        registry.register(
            "ephemeral_entries_in_process",
            "Short-lived entries (sessions, codes, tokens, counters) held in process memory; 0 with Redis",
            ephemeral_entries.clone(),
        );
        let logout_notices = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "backchannel_logout_attempts",
            "Back-channel logout deliveries by outcome (delivered, retry, failed)",
            logout_notices.clone(),
        );
        let logout_notices_pending = prometheus_client::metrics::gauge::Gauge::default();
        registry.register(
            "backchannel_logout_pending",
            "Back-channel logout notices waiting to be delivered, as of this instance's last sweep (each minute)",
            logout_notices_pending.clone(),
        );
        let ephemeral_available = prometheus_client::metrics::gauge::Gauge::default();
        registry.register(
            "ephemeral_available",
            "1 while the ephemeral store (Redis) answers, 0 while it is away and requests that need it get 503",
            ephemeral_available.clone(),
        );
        let ephemeral_failures = Counter::default();
        registry.register(
            "ephemeral_failures",
            "Commands to the ephemeral store (Redis) that failed because it did not answer, probes included",
            ephemeral_failures.clone(),
        );
        let cas_validations = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "cas_validations",
            "CAS service ticket validations by outcome (success, or the CAS failure code)",
            cas_validations.clone(),
        );
        Arc::new(Self {
            registry,
            requests,
            latency,
            logins,
            tokens,
            anonymous_refused,
            ephemeral_entries,
            logout_notices,
            logout_notices_pending,
            ephemeral_available,
            ephemeral_failures,
            cas_validations,
        })
    }

    pub fn set_ephemeral_entries(&self, entries: u64) {
        self.ephemeral_entries.set(i64::try_from(entries).unwrap_or(i64::MAX));
    }

    /// The ephemeral store's health as of now: whether it answers and its failures so far.
    pub fn set_ephemeral_health(&self, available: bool, failures: u64) {
        self.ephemeral_available.set(i64::from(available));
        let counted = self.ephemeral_failures.get();
        if failures > counted {
            self.ephemeral_failures.inc_by(failures - counted);
        }
    }

    pub fn anonymous_refused(&self) {
        self.anonymous_refused.inc();
    }

    pub fn cas_validation(&self, outcome: &str) {
        self.cas_validations.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    pub fn login(&self, method: &str, outcome: &str) {
        self.logins.get_or_create(&LoginLabels { method: method.to_owned(), outcome: outcome.to_owned() }).inc();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl ProviderMetrics for Metrics {
    fn token_issued(&self, grant_type: &str) {
        self.tokens.get_or_create(&GrantLabels { grant_type: grant_type.to_owned() }).inc();
    }

    fn logout_notice(&self, outcome: &str) {
        self.logout_notices.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    fn logout_notices_pending(&self, pending: i64) {
        self.logout_notices_pending.set(pending);
    }
}

/// Counts and times every request under its route template, never its concrete path (which may
/// carry identifiers).
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    metrics.latency.get_or_create(&RouteLabels { route: route.clone() }).observe(elapsed);
    metrics.requests.get_or_create(&RequestLabels { route, method, status: response.status().as_u16() }).inc();
    response
}
