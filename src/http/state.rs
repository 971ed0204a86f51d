//! What every handler can reach: the services, the metrics, and values computed once at start-up.

use super::metrics::Metrics;
use crate::assurance::{Assurance, Evidence};
use crate::audit::Audit;
use crate::counter::{CounterCodes, Desk, EnrolmentCodes, Halls};
use crate::crypto::Keyring;
use crate::identity::login_history::LoginHistory;
use crate::identity::organisation::Organisations;
use crate::identity::otp::OtpService;
use crate::identity::passkeys::Passkeys;
use crate::identity::roles::Roles;
use crate::identity::{Accounts, LoginSessions};
use crate::oidc::Provider;
use crate::sms::SharedSms;
use crate::store::{Database, SharedEphemeral};
use std::sync::Arc;

/// The handlers' state, behind one `Arc`: axum clones the state for every request, and the services
/// (keyrings with expanded AES keys among them) are kilobytes.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    /// Set once the server was told to stop (see `App::run_until`).
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    pub provider: Arc<Provider>,
    pub accounts: Arc<Accounts>,
    pub sessions: LoginSessions,
    pub otp: OtpService,
    /// None when the issuer's host cannot be a WebAuthn RP ID (an IP address).
    pub passkeys: Option<Passkeys>,
    pub orgs: Organisations,
    pub history: LoginHistory,
    pub logins: crate::identity::login::Logins,
    /// A system and a platform administrator exist: the home page stops showing the first steps.
    pub set_up: std::sync::atomic::AtomicBool,
    pub audit: Audit,
    pub evidence: Evidence,
    pub roles: Roles,
    pub assurance: Assurance,
    pub halls: Halls,
    pub codes: CounterCodes,
    pub enrolment: EnrolmentCodes,
    pub sms: SharedSms,
    pub desk: Desk,
    pub federation: crate::federation::Federation,
    pub catalog: crate::catalog::Catalog,
    pub integration: crate::catalog::integration::Integration,
    pub reports: crate::catalog::report::Reports,
    pub counter_code_days: i64,
    pub keyring: Keyring,
    pub db: Database,
    pub ephemeral: SharedEphemeral,
    pub metrics: Arc<Metrics>,
    /// The discovery document, serialised once.
    pub discovery: bytes::Bytes,
    pub close_grace_days: i64,
    /// Proxies whose forwarding headers name the client's address (`http.trusted_proxies`).
    pub trusted_proxies: Vec<crate::cidr::Cidr>,
    /// `http.max_anonymous_requests`: sign-in requests kept for anonymous browsers per ten minutes.
    pub max_anonymous_requests: i64,
}
