//! The HTTP adapter: routes, extractors, sessions, CSRF, pages, and the one place where protocol and
//! domain errors become responses. No SQL here; handlers call the services in `oidc` and `identity`.

pub mod account;
mod acting;
mod activate;
mod admin;
mod audit_log;
mod authorize;
mod cas;
mod client_ip;
mod complete_login;
mod consent;
mod console;
mod dashboard;
mod desk;
mod developer_credentials;
mod developers;
mod discovery;
mod download;
pub mod error;
mod extract;
mod federated_login;
mod federated_logout;
mod flow;
mod gate;
mod guard;
mod health;
mod home;
pub mod i18n;
mod introspect;
mod login;
mod logout;
pub mod metrics;
pub mod pages;
mod passkey_login;
mod password_reset;
mod phone_code_flow;
mod redirect;
mod register;
mod revoke;
mod sandbox_login;
mod second_factor;
pub mod session;
mod sms_login;
mod state;
mod stepup;
mod token;
mod unavailable;
mod userinfo;

pub use state::{AppState, Shared};

use crate::paths;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::Response;
use axum::routing::{get, post};
use std::time::Duration;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub struct HttpSettings {
    pub secure_cookies: bool,
    pub session_idle_secs: i64,
    pub anonymous_session_idle_secs: i64,
    pub request_timeout_secs: u64,
    pub body_limit_bytes: usize,
}

pub fn router(state: AppState, settings: &HttpSettings) -> Router {
    let sessions = SessionManagerLayer::new(session::EphemeralSessionStore::new(state.ephemeral.clone()))
        .with_name(session::COOKIE_NAME)
        .with_http_only(true)
        .with_secure(settings.secure_cookies)
        // Lax, not Strict: a relying party's redirect to /authorize must carry the cookie for SSO and
        // prompt=none to work.
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(settings.session_idle_secs)));

    let pages = Router::new()
        .route(paths::HOME, get(home::get_home))
        .route(paths::DEVELOPERS, get(developers::get_developers))
        .route(
            paths::DEVELOPER_CREDENTIALS,
            get(developer_credentials::get_credentials).post(developer_credentials::post_credentials),
        )
        .route(paths::AUTHORIZE, get(authorize::get_authorize).post(authorize::post_authorize))
        .route(paths::AUTHORIZE_CONTINUE, get(authorize::get_continue))
        .route(paths::AUTHORIZE_CANCEL, get(authorize::get_cancel))
        .route(paths::LOGIN, get(login::get_login).post(login::post_login))
        .route(paths::CONSENT, get(consent::get_consent).post(consent::post_consent))
        .route(paths::END_SESSION, get(logout::get_end_session).post(logout::post_end_session))
        .route(paths::END_SESSION_CONFIRM, post(logout::post_confirm))
        .route(paths::SANDBOX_LOGIN, get(sandbox_login::get_login).post(sandbox_login::post_login))
        .route(paths::CAS_LOGIN, get(cas::get_login))
        .route(paths::CAS_LOGOUT, get(cas::get_logout))
        .route(paths::CAS_VALIDATE, get(cas::get_validate))
        .route(paths::CAS_SERVICE_VALIDATE, get(cas::get_service_validate))
        .route(paths::CAS_PROXY_VALIDATE, get(cas::get_service_validate))
        .route(paths::CAS_P3_SERVICE_VALIDATE, get(cas::get_service_validate))
        .route(paths::CAS_P3_PROXY_VALIDATE, get(cas::get_service_validate))
        .route(paths::LOGIN_UPSTREAM, get(federated_login::get_start))
        .route(paths::LOGIN_UPSTREAM_CALLBACK, get(federated_login::get_callback))
        .route(paths::LOGIN_UPSTREAM_LOGGED_OUT, get(federated_logout::get_logged_out))
        .route(paths::LOGIN_SMS, get(sms_login::get_sms_login).post(sms_login::post_verify))
        .route(paths::LOGIN_SMS_CODE, post(sms_login::post_send))
        .route(paths::LOGIN_PASSKEY_OPTIONS, post(passkey_login::post_options))
        .route(paths::LOGIN_PASSKEY, post(passkey_login::post_finish))
        .route(paths::LOGIN_SECOND, get(second_factor::get_second).post(second_factor::post_verify))
        .route(paths::LOGIN_SECOND_CODE, post(second_factor::post_send))
        .route(paths::LOGIN_SECOND_PASSKEY_OPTIONS, post(second_factor::post_passkey_options))
        .route(paths::LOGIN_SECOND_PASSKEY, post(second_factor::post_passkey))
        .route(paths::REGISTER, get(register::get_register).post(register::post_register))
        .route(paths::REGISTER_CODE, post(register::post_send))
        .route(paths::PASSWORD_RESET, get(password_reset::get_reset).post(password_reset::post_reset))
        .route(paths::PASSWORD_RESET_CODE, post(password_reset::post_send))
        .route(paths::ACCOUNT, get(account::overview::get_overview))
        .route(paths::ACCOUNT_ACTING, get(acting::get_acting).post(acting::post_acting))
        .route(paths::ACCOUNT_PHONE, get(account::phone::get_phone).post(account::phone::post_phone))
        .route(paths::ACCOUNT_PHONE_CODE, post(account::phone::post_send))
        .route(paths::ACCOUNT_PASSWORD, get(account::password::get_password).post(account::password::post_password))
        .route(paths::ACCOUNT_PASSKEYS, get(account::passkeys::get_passkeys).post(account::passkeys::post_manage))
        .route(paths::ACCOUNT_PASSKEYS_OPTIONS, post(account::passkeys::post_options))
        .route(paths::ACCOUNT_PASSKEYS_REGISTER, post(account::passkeys::post_register))
        .route(paths::ACCOUNT_SESSIONS, get(account::sessions::get_sessions).post(account::sessions::post_sessions))
        .route(paths::ACCOUNT_HISTORY, get(account::history::get_history))
        .route(
            paths::ACCOUNT_CONNECTIONS,
            get(account::connections::get_connections).post(account::connections::post_revoke),
        )
        .route(paths::ACCOUNT_UPSTREAMS, get(account::upstreams::get_upstreams).post(account::upstreams::post_unlink))
        .route(paths::ACCOUNT_DATA, get(account::data::get_data))
        .route(paths::ACCOUNT_DATA_JSON, get(account::data::get_data_json))
        .route(paths::ACCOUNT_CLOSE, get(account::close::get_close).post(account::close::post_close))
        .route(paths::ACCOUNT_ORGANISATIONS, get(account::organisations::get_organisations))
        .route(
            paths::ACCOUNT_ORGANISATION,
            get(account::organisations::get_organisation).post(account::organisations::post_organisation),
        )
        .route(paths::STEP_UP, get(stepup::get_stepup))
        .route(paths::STEP_UP_REGISTER, post(stepup::post_register))
        .route(paths::STEP_UP_COUNTER, post(stepup::post_counter))
        .route(paths::STEP_UP_CANCEL, get(stepup::get_cancel))
        .route(paths::STEP_UP_DONE, get(stepup::get_done))
        .route(paths::ACTIVATE, get(activate::get_activate).post(activate::post_activate))
        .route(paths::DESK, get(desk::find::get_desk))
        .route(paths::DESK_FIND, post(desk::find::post_find))
        .route(paths::DESK_PERSON, get(desk::person::get_person))
        .route(paths::DESK_PERSON_VERIFY, post(desk::person::post_verify))
        .route(paths::DESK_PERSON_RESET, post(desk::person::post_reset))
        .route(paths::DESK_PERSON_RESET_SETTLE, post(desk::person::post_settle_reset))
        .route(paths::DESK_PERSON_REVOKE, post(desk::person::post_revoke))
        .route(paths::DESK_PERSON_SLIP, get(desk::person::get_slip))
        .route(paths::DESK_REGISTER, get(desk::register::get_register).post(desk::register::post_register))
        .route(paths::DESK_ORGS, get(desk::orgs::get_orgs).post(desk::orgs::post_record))
        .route(paths::DESK_ORG_SETTLE, post(desk::orgs::post_settle))
        .route(paths::DESK_STATS, get(desk::stats::get_stats))
        .route(paths::AUDIT, get(audit_log::get_audit))
        .route(paths::AUDIT_CSV, get(audit_log::get_csv))
        .route(paths::AUDIT_XLSX, get(audit_log::get_xlsx))
        .route(paths::ADMIN_HALLS, get(console::halls::get_halls).post(console::halls::post_halls))
        .route(paths::ADMIN_ENROLMENT, get(console::enrolment::get_enrolment).post(console::enrolment::post_enrolment))
        .route(paths::ADMIN_UPSTREAMS, get(console::upstreams::get_upstreams))
        .route(paths::ADMIN_CATALOG, get(console::catalog::get_catalog).post(console::catalog::post_catalog))
        .route(
            paths::ADMIN_CATALOG_DEPARTMENT,
            get(console::department::get_department).post(console::department::post_department),
        )
        .route(paths::DASHBOARD, get(dashboard::get_dashboard))
        .route(paths::DASHBOARD_CSV, get(dashboard::export::get_csv))
        .route(paths::DASHBOARD_XLSX, get(dashboard::export::get_xlsx))
        .route_layer(axum::middleware::from_fn_with_state(settings.body_limit_bytes, extract::refuse_nul))
        .layer(RequestBodyLimitLayer::new(settings.body_limit_bytes));

    // Photos for the face check are larger than any form; only this route takes them.
    let uploads = Router::new()
        .route(paths::STEP_UP_FACE, post(stepup::post_face))
        .route_layer(axum::middleware::from_fn(session::signed_in_before_upload))
        .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES))
        .layer(RequestBodyLimitLayer::new(UPLOAD_LIMIT_BYTES));
    // Item lists are the largest bodies anyone sends; only the import routes take them.
    let imports = Router::new()
        .route(paths::ADMIN_CATALOG_IMPORT, post(console::import::post_import))
        .route_layer(axum::middleware::from_fn(session::signed_in_before_upload))
        .layer(axum::extract::DefaultBodyLimit::max(IMPORT_LIMIT_BYTES))
        .layer(RequestBodyLimitLayer::new(IMPORT_LIMIT_BYTES));
    let pages = pages
        .merge(uploads)
        .merge(imports)
        .layer(axum::middleware::from_fn_with_state(
            (settings.session_idle_secs, settings.anonymous_session_idle_secs),
            session::lifetime,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(state.clone(), unavailable::while_store_is_away));

    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(3600));
    let api = Router::new()
        .route(paths::DISCOVERY, get(discovery::get_discovery))
        .route(paths::JWKS, get(discovery::get_jwks))
        .route(paths::TOKEN, post(token::post_token))
        .route(paths::USERINFO, get(userinfo::get_userinfo).post(userinfo::post_userinfo))
        .route(paths::INTROSPECT, post(introspect::post_introspect))
        .route(paths::REVOKE, post(revoke::post_revoke))
        .route_layer(axum::middleware::from_fn_with_state(settings.body_limit_bytes, extract::refuse_nul))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), unavailable::while_store_is_away))
        .layer(cors)
        .layer(RequestBodyLimitLayer::new(settings.body_limit_bytes));

    let operations = Router::new()
        .route(paths::HEALTH, get(health::get_health))
        .route(paths::READY, get(health::get_ready))
        .route(paths::METRICS, get(health::get_metrics))
        .route(paths::LANG, get(home::get_lang))
        .route(paths::STATIC_CSS, get(home::get_stylesheet))
        .route(paths::STATIC_JS, get(home::get_script))
        .route(paths::ADMIN_API_OPENAPI, get(admin::openapi::get_openapi))
        .layer(RequestBodyLimitLayer::new(settings.body_limit_bytes));
    // The administrators' API checks the API token before a body is read, so an anonymous request cannot
    // make the server take in a 32 MiB import.
    let admin_api = Router::new()
        .route(
            paths::ADMIN_API_ORGANISATIONS,
            get(admin::organisations::get_organisations).post(admin::organisations::post_organisation),
        )
        .route(paths::ADMIN_API_HALLS, get(admin::halls::get_halls).post(admin::halls::post_hall))
        .route(paths::ADMIN_API_ROLES, post(admin::halls::post_role))
        .route(
            paths::ADMIN_API_CATALOG_DEPARTMENTS,
            get(admin::catalog::get_departments).post(admin::catalog::post_department),
        )
        .route(paths::ADMIN_API_CATALOG_SYSTEMS, get(admin::catalog::get_systems).post(admin::catalog::post_system))
        .route(paths::ADMIN_API_CATALOG_CLIENTS, post(admin::catalog::post_client))
        .route(paths::ADMIN_API_CONNECTION_RATE, get(admin::catalog::get_connection_rate))
        .route(paths::ADMIN_API_SANDBOX_CLIENTS, post(admin::sandbox::post_client))
        .route(paths::ADMIN_API_SANDBOX_CLIENT, get(admin::sandbox::get_client))
        .layer(RequestBodyLimitLayer::new(settings.body_limit_bytes));
    let api_imports = Router::new()
        .route(paths::ADMIN_API_CATALOG_ITEMS, get(admin::catalog::get_items).post(admin::catalog::post_items))
        .layer(axum::extract::DefaultBodyLimit::max(IMPORT_LIMIT_BYTES))
        .layer(RequestBodyLimitLayer::new(IMPORT_LIMIT_BYTES));
    let admin_api = admin_api
        .merge(api_imports)
        .route_layer(axum::middleware::from_fn_with_state(IMPORT_LIMIT_BYTES, extract::refuse_nul))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), admin::authenticated))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), unavailable::while_store_is_away));

    let metrics = state.metrics.clone();
    pages
        .merge(api)
        .merge(operations)
        .merge(admin_api)
        .fallback(home::not_found)
        .route_layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        .layer(axum::middleware::map_response_with_state(settings.secure_cookies, security_headers))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            // The path only: query strings carry codes, tokens and personal data.
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        }))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(settings.request_timeout_secs),
        ))
        .with_state(state)
}

/// Face photos for online verification.
const UPLOAD_LIMIT_BYTES: usize = 6 * 1024 * 1024;
/// A department's item list (100,000 items as CSV is about 10 MiB).
const IMPORT_LIMIT_BYTES: usize = 32 * 1024 * 1024;

pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

/// Headers every response carries: no framing, no sniffing, no referrer (URLs carry codes and state),
/// and a CSP that allows only our own stylesheet.
async fn security_headers(State(https): State<bool>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::CONTENT_SECURITY_POLICY, CSP);
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}
