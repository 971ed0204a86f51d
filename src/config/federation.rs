//! Upstream identity providers (`[[federation.upstream]]`): platforms such as the provincial one that
//! people may sign in with, the protocol each speaks, where the person's facts are in its answers, and
//! which of yimen's evidence each of its levels counts as.

use super::{AssuranceConfig, ConfigError};
use crate::secret::SecretString;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationConfig {
    pub upstream: Vec<UpstreamConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpstreamProtocol {
    /// OpenID Connect: discovery, PKCE, a signed ID token, UserInfo.
    Oidc,
    /// OAuth 2.0 without an ID token: a code, an access token, and the person from a token-information
    /// endpoint (platforms built before OpenID Connect).
    #[serde(rename = "oauth2-userinfo")]
    Oauth2Userinfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A JWT signed with `private_key_file` (RFC 7523), for upstreams that register keys, not secrets.
    PrivateKeyJwt,
}

/// The algorithm of the key yimen signs its client assertions with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssertionAlg {
    RS256,
    ES256,
}

/// How the access token goes to the user-information endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserinfoStyle {
    /// `Authorization: Bearer …` (RFC 6750), a GET.
    Bearer,
    /// A query parameter named by `access_token_param`, a GET.
    Query,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// Short and stable: it is in the callback address and the link between a person and the upstream.
    pub id: String,
    /// The button's text in Chinese.
    pub name: String,
    /// The button's text in English.
    pub name_en: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    pub protocol: UpstreamProtocol,
    /// OpenID Connect: the issuer; its discovery document supplies the endpoints not set below, and the
    /// `iss` every ID token must carry.
    #[serde(default)]
    pub issuer: Option<url::Url>,
    #[serde(default)]
    pub authorization_endpoint: Option<url::Url>,
    #[serde(default)]
    pub token_endpoint: Option<url::Url>,
    /// UserInfo, or the token-information endpoint of `oauth2-userinfo`.
    #[serde(default)]
    pub userinfo_endpoint: Option<url::Url>,
    #[serde(default)]
    pub jwks_uri: Option<url::Url>,
    /// Where logging out of yimen also ends the upstream's session (OpenID Connect RP-initiated logout);
    /// discovery gives it for `oidc`.
    #[serde(default)]
    pub end_session_endpoint: Option<url::Url>,
    /// Whether logging out of yimen also logs the person out of the upstream, when it has an end-session
    /// endpoint.
    #[serde(default = "enabled")]
    pub end_session: bool,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    #[serde(default = "token_auth")]
    pub token_auth: TokenAuthMethod,
    /// For `private_key_jwt`: a PKCS#8 PEM file with the private key registered with the upstream.
    #[serde(default)]
    pub private_key_file: Option<std::path::PathBuf>,
    /// For `private_key_jwt`: the key's algorithm.
    #[serde(default = "assertion_alg")]
    pub private_key_alg: AssertionAlg,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Further parameters of the authorization request, e.g. `service` for platforms that ask for it.
    #[serde(default)]
    pub authorize_params: BTreeMap<String, String>,
    #[serde(default = "userinfo_style")]
    pub userinfo_style: UserinfoStyle,
    #[serde(default = "access_token_param")]
    pub access_token_param: String,
    #[serde(default)]
    pub claims: ClaimPaths,
    /// Where the organisation the person acts for is in the claims, when the upstream releases one.
    #[serde(default)]
    pub organisation: Option<OrganisationPaths>,
    /// The upstream's level (the value at `claims.level`) → the evidence methods it counts as; `"*"`
    /// applies to any other value and to none. A level mapped to nothing proves no more than a sign-in.
    #[serde(default)]
    pub levels: BTreeMap<String, Vec<String>>,
    /// The highest of yimen's levels this upstream may vouch for; `levels` may not reach above it.
    pub max_acr: String,
    #[serde(default = "timeout_ms")]
    pub timeout_ms: u64,
}

/// Where the person's facts are in the upstream's claims: a name, or a dotted path into nested objects
/// (`userobj.idcardno`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimPaths {
    /// The upstream's stable identifier for the person.
    pub subject: String,
    pub name: String,
    pub id_number: String,
    pub level: String,
}

/// An organisation in the upstream's claims: its Unified Social Credit Code, its name, and the person's
/// role, with the upstream's role values mapped to yimen's (`legal_representative`, `administrator`,
/// `agent`); a role not in `roles` links nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPaths {
    pub uscc: String,
    pub name: String,
    pub role: String,
    pub roles: BTreeMap<String, String>,
}

/// The roles an upstream's organisation role may be mapped to.
pub const ORGANISATION_ROLES: [&str; 3] = ["legal_representative", "administrator", "agent"];

impl Default for ClaimPaths {
    fn default() -> Self {
        Self { subject: "sub".into(), name: "name".into(), id_number: "id_number".into(), level: "acr".into() }
    }
}

fn enabled() -> bool {
    true
}
fn token_auth() -> TokenAuthMethod {
    TokenAuthMethod::ClientSecretBasic
}
fn assertion_alg() -> AssertionAlg {
    AssertionAlg::RS256
}
fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "profile".into()]
}
fn userinfo_style() -> UserinfoStyle {
    UserinfoStyle::Bearer
}
fn access_token_param() -> String {
    "access_token".into()
}
fn timeout_ms() -> u64 {
    5000
}

impl UpstreamConfig {
    /// The key of `private_key_jwt`, read from `private_key_file`.
    pub fn assertion_key(&self) -> Result<jsonwebtoken::EncodingKey, String> {
        let path = self.private_key_file.as_ref().ok_or("no private_key_file")?;
        let pem = std::fs::read(path).map_err(|e| e.to_string())?;
        let key = match self.private_key_alg {
            AssertionAlg::RS256 => jsonwebtoken::EncodingKey::from_rsa_pem(&pem),
            AssertionAlg::ES256 => jsonwebtoken::EncodingKey::from_ec_pem(&pem),
        };
        key.map_err(|e| format!("not a {:?} private key in PEM: {e}", self.private_key_alg))
    }
}

impl FederationConfig {
    pub fn enabled(&self) -> impl Iterator<Item = &UpstreamConfig> {
        self.upstream.iter().filter(|u| u.enabled)
    }

    pub fn find(&self, id: &str) -> Option<&UpstreamConfig> {
        self.enabled().find(|u| u.id == id)
    }

    pub fn validate(&self, assurance: &AssuranceConfig) -> Result<(), ConfigError> {
        let mut ids = BTreeSet::new();
        for upstream in &self.upstream {
            let fail = |message: String| {
                Err(ConfigError::Invalid(format!("federation.upstream \"{}\": {message}", upstream.id)))
            };
            if !ids.insert(upstream.id.as_str()) {
                return fail("this id is used twice".into());
            }
            if upstream.id.is_empty()
                || upstream.id.len() > 32
                || !upstream.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return fail("id must be 1–32 lowercase letters, digits or hyphens".into());
            }
            if upstream.name.trim().is_empty() || upstream.name_en.trim().is_empty() || upstream.client_id.is_empty() {
                return fail("name, name_en and client_id are required".into());
            }
            match upstream.protocol {
                UpstreamProtocol::Oidc if upstream.issuer.is_none() => {
                    return fail("protocol \"oidc\" needs the issuer (its discovery document gives the rest)".into());
                }
                UpstreamProtocol::Oauth2Userinfo => {
                    for (name, value) in [
                        ("authorization_endpoint", &upstream.authorization_endpoint),
                        ("token_endpoint", &upstream.token_endpoint),
                        ("userinfo_endpoint", &upstream.userinfo_endpoint),
                    ] {
                        if value.is_none() {
                            return fail(format!("protocol \"oauth2-userinfo\" needs {name}"));
                        }
                    }
                }
                UpstreamProtocol::Oidc => {}
            }
            let endpoints = [&upstream.issuer, &upstream.authorization_endpoint, &upstream.token_endpoint]
                .into_iter()
                .chain([&upstream.userinfo_endpoint, &upstream.jwks_uri, &upstream.end_session_endpoint]);
            if endpoints.flatten().any(|url| !matches!(url.scheme(), "http" | "https")) {
                return fail("endpoints must be http(s) URLs".into());
            }
            let paths = &upstream.claims;
            if [&paths.subject, &paths.name, &paths.id_number].iter().any(|path| path.is_empty()) {
                return fail("claims.subject, claims.name and claims.id_number cannot be empty".into());
            }
            if upstream.token_auth == TokenAuthMethod::PrivateKeyJwt {
                let Some(path) = &upstream.private_key_file else {
                    return fail("token_auth \"private_key_jwt\" needs private_key_file".into());
                };
                if let Err(problem) = upstream.assertion_key() {
                    return fail(format!("private_key_file {}: {problem}", path.display()));
                }
            }
            if let Some(organisation) = &upstream.organisation {
                if [&organisation.uscc, &organisation.name, &organisation.role].iter().any(|path| path.is_empty()) {
                    return fail("organisation.uscc, organisation.name and organisation.role cannot be empty".into());
                }
                if let Some((value, role)) =
                    organisation.roles.iter().find(|(_, role)| !ORGANISATION_ROLES.contains(&role.as_str()))
                {
                    return fail(format!(
                        "organisation.roles.\"{value}\" is \"{role}\"; use one of {}",
                        ORGANISATION_ROLES.join(", ")
                    ));
                }
            }
            let Some(cap) = assurance.levels.iter().position(|level| level.acr == upstream.max_acr) else {
                let known: Vec<&str> = assurance.levels.iter().map(|l| l.acr.as_str()).collect();
                return fail(format!("max_acr must be one of yimen's levels: {}", known.join(", ")));
            };
            let known_methods: BTreeSet<&str> =
                assurance.levels.iter().flat_map(|l| l.requires.iter().flatten()).map(String::as_str).collect();
            for (level, methods) in &upstream.levels {
                if let Some(unknown) = methods.iter().find(|m| !known_methods.contains(m.as_str())) {
                    return fail(format!("levels.\"{level}\" names \"{unknown}\", which no assurance level uses"));
                }
                let reached = rank_of_methods(assurance, methods);
                if reached > cap {
                    let acr = &assurance.levels[reached].acr;
                    return fail(format!(
                        "levels.\"{level}\" would reach {acr}, above max_acr {}; map it to less evidence or raise max_acr",
                        upstream.max_acr
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The rank the methods reach on the configured ladder (0 when they reach none).
pub fn rank_of_methods(assurance: &AssuranceConfig, methods: &[String]) -> usize {
    assurance
        .levels
        .iter()
        .enumerate()
        .rev()
        .find(|(_, level)| level.requires.iter().any(|set| set.iter().all(|m| methods.contains(m))))
        .map_or(0, |(rank, _)| rank)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(toml_text: &str) -> UpstreamConfig {
        toml::from_str(toml_text).expect("an upstream parses")
    }

    const PROVINCE: &str = r#"
        id = "province"
        name = "省统一身份认证平台"
        name_en = "Provincial identity platform"
        protocol = "oidc"
        issuer = "https://id.province.example"
        client_id = "city"
        max_acr = "urn:yimen:loa:3"
        [levels]
        "2" = ["register_match"]
        "3" = ["register_match", "face_match"]
    "#;

    #[test]
    fn a_level_mapped_above_the_upstreams_cap_is_refused() {
        let assurance = AssuranceConfig::default();
        let fine = FederationConfig { upstream: vec![upstream(PROVINCE)] };
        fine.validate(&assurance).unwrap();

        let mut capped = upstream(PROVINCE);
        capped.max_acr = "urn:yimen:loa:2".into();
        let error = FederationConfig { upstream: vec![capped] }.validate(&assurance).unwrap_err().to_string();
        assert!(error.contains("\"3\" would reach urn:yimen:loa:3, above max_acr urn:yimen:loa:2"), "{error}");

        let mut unknown = upstream(PROVINCE);
        unknown.levels.insert("4".into(), vec!["blood_test".into()]);
        let error = FederationConfig { upstream: vec![unknown] }.validate(&assurance).unwrap_err().to_string();
        assert!(error.contains("blood_test"), "{error}");
    }

    #[test]
    fn each_protocol_names_what_it_is_missing() {
        let assurance = AssuranceConfig::default();
        let mut no_issuer = upstream(PROVINCE);
        no_issuer.issuer = None;
        let error = FederationConfig { upstream: vec![no_issuer] }.validate(&assurance).unwrap_err().to_string();
        assert!(error.contains("needs the issuer"), "{error}");

        let mut legacy = upstream(PROVINCE);
        legacy.protocol = UpstreamProtocol::Oauth2Userinfo;
        let error = FederationConfig { upstream: vec![legacy] }.validate(&assurance).unwrap_err().to_string();
        assert!(error.contains("needs authorization_endpoint"), "{error}");

        let mut organisation = upstream(PROVINCE);
        organisation.organisation = Some(OrganisationPaths {
            uscc: "org.uscc".into(),
            name: "org.name".into(),
            role: "org.role".into(),
            roles: [("老板".to_owned(), "boss".to_owned())].into(),
        });
        let error = FederationConfig { upstream: vec![organisation] }.validate(&assurance).unwrap_err().to_string();
        assert!(error.contains("organisation.roles.\"老板\" is \"boss\""), "{error}");

        let twice = FederationConfig { upstream: vec![upstream(PROVINCE), upstream(PROVINCE)] };
        assert!(twice.validate(&assurance).unwrap_err().to_string().contains("used twice"));
    }
}
