//! The OpenID Connect protocol, framework-free: authorization requests and codes, client
//! authentication, grants, tokens, claims, UserInfo, introspection, revocation, logout and discovery.
//! Errors carry the registered codes; `http/` decides statuses and pages.

pub mod access_token;
pub mod authorize;
pub mod backchannel_logout;
pub mod cas;
pub mod claims;
pub mod client;
pub mod client_auth;
pub mod code;
pub mod discovery;
pub mod error;
pub mod frontchannel_logout;
pub mod grant;
pub mod id_token;
pub mod introspection;
pub mod login_recorder;
pub mod logout;
pub mod org_claim;
pub mod pkce;
pub mod provider;
pub mod redirect_uri;
pub mod revocation;
pub mod sandbox;
pub mod scope;
pub mod userinfo;
pub mod values;

pub use error::{ErrorCode, OAuthError};
pub use provider::{Provider, ProviderError, ProviderMetrics};
