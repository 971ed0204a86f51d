//! The discovery document (OpenID Connect Discovery 1.0 §3), built once from the route table.

use super::claims::{CLAIM_SCOPES, PROTOCOL_CLAIMS};
use super::client::{AuthMethod, GrantType};
use super::scope::KNOWN_SCOPES;
use crate::keys::SigningAlg;
use crate::paths;
use serde_json::{Value, json};

pub fn document(issuer: &str, acr_values: &[String]) -> Value {
    let url = |path: &str| format!("{issuer}{path}");
    let algs: Vec<&str> = SigningAlg::ALL.iter().map(|a| a.as_str()).collect();
    let auth_methods: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.as_str()).collect();
    let confidential_methods: Vec<&str> =
        AuthMethod::ALL.iter().filter(|m| **m != AuthMethod::None).map(|m| m.as_str()).collect();
    let mut claims: Vec<&str> = PROTOCOL_CLAIMS.to_vec();
    claims.extend(CLAIM_SCOPES.iter().map(|(name, _)| *name));
    claims.push("assurance");
    json!({
        "issuer": issuer,
        "authorization_endpoint": url(paths::AUTHORIZE),
        "token_endpoint": url(paths::TOKEN),
        "userinfo_endpoint": url(paths::USERINFO),
        "jwks_uri": url(paths::JWKS),
        "end_session_endpoint": url(paths::END_SESSION),
        "revocation_endpoint": url(paths::REVOKE),
        "introspection_endpoint": url(paths::INTROSPECT),
        "scopes_supported": KNOWN_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GrantType::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "subject_types_supported": ["pairwise", "public"],
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
        "introspection_endpoint_auth_methods_supported": confidential_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": claims,
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
        "acr_values_supported": acr_values,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": ["zh-CN", "en"],
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    })
}
