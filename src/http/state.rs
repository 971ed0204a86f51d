//! What every handler can reach: the services, the metrics, and values computed once at start-up.

use super::metrics::Metrics;
use crate::identity::Accounts;
use crate::oidc::Provider;
use crate::store::{Database, SharedEphemeral};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub provider: Arc<Provider>,
    pub accounts: Arc<Accounts>,
    pub db: Database,
    pub ephemeral: SharedEphemeral,
    pub metrics: Arc<Metrics>,
    /// The discovery document, serialised once.
    pub discovery: Arc<String>,
}
