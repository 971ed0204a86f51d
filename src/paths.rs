//! The route table's paths: the router mounts them and the discovery document advertises them, so a
//! path is written once.

pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const JWKS: &str = "/jwks";
pub const AUTHORIZE: &str = "/authorize";
pub const AUTHORIZE_CONTINUE: &str = "/authorize/continue";
pub const TOKEN: &str = "/token";
pub const USERINFO: &str = "/userinfo";
pub const INTROSPECT: &str = "/introspect";
pub const REVOKE: &str = "/revoke";
pub const END_SESSION: &str = "/logout";
pub const LOGIN: &str = "/login";
pub const CONSENT: &str = "/consent";
pub const HEALTH: &str = "/healthz";
pub const READY: &str = "/readyz";
pub const METRICS: &str = "/metrics";
pub const STATIC_CSS: &str = "/static/yimen.css";
pub const HOME: &str = "/";
pub const AUTHORIZE_CANCEL: &str = "/authorize/cancel";
pub const END_SESSION_CONFIRM: &str = "/logout/confirm";
pub const LANG: &str = "/lang";
