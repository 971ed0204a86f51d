//! Relying parties (department business systems): their registered metadata and the rules for
//! registering one. Secrets are generated here and only their keyed hash is kept.

use super::redirect_uri::{RedirectUri, RedirectUriError};
use super::scope::ScopeSet;
use crate::keys::SigningAlg;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub const ALL: [GrantType; 3] = [Self::AuthorizationCode, Self::RefreshToken, Self::ClientCredentials];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|grant| grant.as_str() == value)
    }
}

/// How a client authenticates at the token, introspection and revocation endpoints (OIDC Core §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    None,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] = [Self::ClientSecretBasic, Self::ClientSecretPost, Self::PrivateKeyJwt, Self::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|method| method.as_str() == value)
    }

    pub fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

/// Pairwise subjects (the default) differ per sector, so two systems cannot join their records on `sub`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    Public,
    Pairwise,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "public" => Some(Self::Public),
            "pairwise" => Some(Self::Pairwise),
            _ => None,
        }
    }
}

/// The protocol a client speaks: OpenID Connect, or CAS 3.0 for legacy systems that cannot change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    #[default]
    Oidc,
    Cas,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oidc => "oidc",
            Self::Cas => "cas",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "oidc" => Some(Self::Oidc),
            "cas" => Some(Self::Cas),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub protocol: Protocol,
    pub name: String,
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub auth_method: AuthMethod,
    pub id_token_alg: SigningAlg,
    pub subject_type: SubjectType,
    pub sector_identifier: String,
    pub allowed_scopes: ScopeSet,
    /// The client's public keys (a JWK Set) for `private_key_jwt`.
    pub jwks: Option<serde_json::Value>,
    /// Logins for this client need two factors (amr contains "mfa").
    pub require_mfa: bool,
    /// The lowest assurance level (acr value) this client accepts.
    pub min_acr: Option<String>,
    /// The business system (in the catalog) this client belongs to.
    pub system_id: Option<String>,
    /// The most tokens it may be issued per minute; None: `tokens.max_per_client_per_minute`.
    pub max_tokens_per_minute: Option<i64>,
    /// Where it is told that a person logged out (Back-Channel and Front-Channel Logout 1.0).
    pub logout: LogoutChannels,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Tokens issued before this time are dead (set when the client was last disabled).
    pub tokens_valid_from: i64,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// Whether a CAS client may be sent tickets at `service`: one of its service URLs exactly, or under
    /// one of its prefixes (see [`super::cas::service`]).
    pub fn has_cas_service(&self, service: &str) -> bool {
        self.protocol == Protocol::Cas
            && self.redirect_uris.iter().any(|pattern| super::cas::service::matches(pattern, service))
    }

    /// Exact string comparison (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3): no prefix, wildcard or
    /// normalisation, which is what redirect-URI attacks exploit.
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|registered| registered == uri)
    }

    pub fn has_post_logout_redirect_uri(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|registered| registered == uri)
    }
}

/// What an administrator asks for when registering a client.
#[derive(Debug, Clone, Default)]
pub struct ClientRegistration {
    pub name: String,
    pub protocol: Protocol,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
    pub auth_method: Option<AuthMethod>,
    pub grant_types: Vec<GrantType>,
    pub id_token_alg: Option<SigningAlg>,
    pub subject_type: Option<SubjectType>,
    pub sector_identifier: Option<String>,
    pub scopes: Option<ScopeSet>,
    pub jwks: Option<serde_json::Value>,
    pub require_mfa: bool,
    pub min_acr: Option<String>,
    pub system_id: Option<String>,
    pub max_tokens_per_minute: Option<i64>,
    pub logout: LogoutChannels,
}

/// A client's logout notification endpoints: the back channel receives a signed logout token from the
/// server, the front channel is loaded in a hidden frame of the logout page (for browser-only systems).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutChannels {
    pub backchannel_uri: Option<String>,
    /// The client asked for `sid` in logout tokens; yimen always sends it.
    pub backchannel_session_required: bool,
    pub frontchannel_uri: Option<String>,
    /// The front-channel URI is loaded with `iss` and `sid` added.
    pub frontchannel_session_required: bool,
}

impl LogoutChannels {
    /// Checks both URIs: absolute http(s), https except on loopback, no fragment (Back-Channel Logout 1.0
    /// §2.2, Front-Channel Logout 1.0 §2).
    pub fn validated(self) -> Result<Self, RegistrationError> {
        for uri in [&self.backchannel_uri, &self.frontchannel_uri].into_iter().flatten() {
            let reason = match RedirectUri::parse(uri) {
                Err(error) => Some(error),
                Ok(_) if !(uri.starts_with("https://") || uri.starts_with("http://")) => Some(RedirectUriError::NotWeb),
                Ok(_) => None,
            };
            if let Some(reason) = reason {
                return Err(RegistrationError::BadLogoutUri { uri: uri.clone(), reason });
            }
        }
        Ok(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error("the client needs a name")]
    MissingName,
    #[error("the client needs at least one redirect URI for the authorization code grant")]
    NoRedirectUri,
    #[error("redirect URI {uri}: {reason}")]
    BadRedirectUri { uri: String, reason: RedirectUriError },
    #[error("post-logout redirect URI {uri}: {reason}")]
    BadPostLogoutUri { uri: String, reason: RedirectUriError },
    #[error("logout URI {uri}: {reason}")]
    BadLogoutUri { uri: String, reason: RedirectUriError },
    #[error("a public client can only use the authorization code grant (with PKCE) and refresh tokens")]
    PublicGrant,
    #[error("a public client authenticates with 'none'; a confidential one cannot")]
    AuthMethodMismatch,
    #[error("private_key_jwt needs the client's public keys (a JWK Set with at least one key)")]
    MissingJwks,
    #[error("scope {0} cannot be granted to clients")]
    UnknownScope(String),
    #[error("service {uri}: {reason}")]
    BadService { uri: String, reason: super::cas::service::ServiceError },
    #[error("a CAS service needs at least one service URL")]
    NoService,
    #[error(
        "a CAS service has no secret, grant types, keys or OIDC logout URIs: it validates tickets, and single \
         logout goes to its service URL"
    )]
    CasWithOidcSettings,
}

/// A registration that passed validation, with the client secret to show once (confidential clients).
#[derive(Debug)]
pub struct Registered {
    pub client: Client,
    pub secret: Option<String>,
}

pub const DEFAULT_SCOPES: &str = "openid profile phone offline_access";

impl ClientRegistration {
    /// Validates the request and builds the client. `id` and `secret` are generated by the caller so
    /// that this stays deterministic and testable.
    pub fn into_client(
        self,
        id: String,
        secret: Option<&str>,
        secret_hash: Option<String>,
        now: i64,
    ) -> Result<Registered, RegistrationError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            return Err(RegistrationError::MissingName);
        }
        if self.protocol == Protocol::Cas {
            return self.into_cas_client(id, name, now);
        }
        let auth_method =
            self.auth_method.unwrap_or(if self.public { AuthMethod::None } else { AuthMethod::ClientSecretBasic });
        if self.public != (auth_method == AuthMethod::None) {
            return Err(RegistrationError::AuthMethodMismatch);
        }
        let mut grant_types = self.grant_types.clone();
        if grant_types.is_empty() {
            grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
        }
        if self.public && grant_types.contains(&GrantType::ClientCredentials) {
            return Err(RegistrationError::PublicGrant);
        }
        let redirect_uris = self
            .redirect_uris
            .iter()
            .map(|uri| {
                RedirectUri::parse(uri)
                    .map(|parsed| parsed.as_str().to_owned())
                    .map_err(|reason| RegistrationError::BadRedirectUri { uri: uri.clone(), reason })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
            return Err(RegistrationError::NoRedirectUri);
        }
        let post_logout_redirect_uris = self
            .post_logout_redirect_uris
            .iter()
            .map(|uri| {
                RedirectUri::parse(uri)
                    .map(|parsed| parsed.as_str().to_owned())
                    .map_err(|reason| RegistrationError::BadPostLogoutUri { uri: uri.clone(), reason })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let logout = self.logout.validated()?;
        if auth_method == AuthMethod::PrivateKeyJwt {
            let has_keys = self.jwks.as_ref().and_then(|jwks| jwks.get("keys")?.as_array().map(|k| !k.is_empty()));
            if has_keys != Some(true) {
                return Err(RegistrationError::MissingJwks);
            }
        }
        let subject_type = self.subject_type.unwrap_or(SubjectType::Pairwise);
        let sector_identifier = match self.sector_identifier {
            Some(sector) => sector,
            None => default_sector(self.system_id.as_deref(), &id),
        };
        let allowed_scopes = match self.scopes {
            Some(scopes) => {
                if let Some(unknown) = scopes.iter().find(|scope| !super::scope::KNOWN_SCOPES.contains(scope)) {
                    return Err(RegistrationError::UnknownScope(unknown.to_owned()));
                }
                scopes.with("openid")
            }
            None => ScopeSet::parse(DEFAULT_SCOPES).expect("default scopes are valid"),
        };
        let client = Client {
            id,
            protocol: Protocol::Oidc,
            name,
            secret_hash: if auth_method.uses_secret() { secret_hash } else { None },
            redirect_uris,
            post_logout_redirect_uris,
            grant_types,
            auth_method,
            id_token_alg: self.id_token_alg.unwrap_or(SigningAlg::Rs256),
            subject_type,
            sector_identifier,
            allowed_scopes,
            jwks: self.jwks,
            require_mfa: self.require_mfa,
            min_acr: self.min_acr,
            system_id: self.system_id,
            max_tokens_per_minute: self.max_tokens_per_minute.filter(|n| *n > 0),
            logout,
            enabled: true,
            created_at: now,
            updated_at: now,
            tokens_valid_from: 0,
        };
        let secret = if auth_method.uses_secret() { secret.map(str::to_owned) } else { None };
        Ok(Registered { client, secret })
    }
}

impl ClientRegistration {
    /// A CAS service: service URLs instead of redirect URIs, no secret and no OAuth grants, so that the
    /// token endpoint and /authorize know nothing of it. Scopes, level, two factors, system and logout are
    /// as for any client.
    fn into_cas_client(self, id: String, name: String, now: i64) -> Result<Registered, RegistrationError> {
        if !self.grant_types.is_empty()
            || self.public
            || self.auth_method.is_some_and(|m| m != AuthMethod::None)
            || self.jwks.is_some()
            || !self.post_logout_redirect_uris.is_empty()
            || self.logout != LogoutChannels::default()
        {
            return Err(RegistrationError::CasWithOidcSettings);
        }
        let services = self
            .redirect_uris
            .iter()
            .map(|uri| {
                super::cas::service::validate_pattern(uri)
                    .map_err(|reason| RegistrationError::BadService { uri: uri.clone(), reason })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if services.is_empty() {
            return Err(RegistrationError::NoService);
        }
        let allowed_scopes = match self.scopes {
            Some(scopes) => {
                if let Some(unknown) = scopes.iter().find(|scope| !super::scope::KNOWN_SCOPES.contains(scope)) {
                    return Err(RegistrationError::UnknownScope(unknown.to_owned()));
                }
                scopes.with("openid")
            }
            None => ScopeSet::parse("openid profile").expect("valid scopes"),
        };
        let sector_identifier = match self.sector_identifier {
            Some(sector) => sector,
            None => default_sector(self.system_id.as_deref(), &id),
        };
        let client = Client {
            id,
            protocol: Protocol::Cas,
            name,
            secret_hash: None,
            redirect_uris: services,
            post_logout_redirect_uris: Vec::new(),
            grant_types: Vec::new(),
            auth_method: AuthMethod::None,
            id_token_alg: SigningAlg::Rs256,
            subject_type: self.subject_type.unwrap_or(SubjectType::Pairwise),
            sector_identifier,
            allowed_scopes,
            jwks: None,
            require_mfa: self.require_mfa,
            min_acr: self.min_acr,
            system_id: self.system_id,
            max_tokens_per_minute: None,
            logout: LogoutChannels::default(),
            enabled: true,
            created_at: now,
            updated_at: now,
            tokens_valid_from: 0,
        };
        Ok(Registered { client, secret: None })
    }
}

/// The sector of a client (OIDC Core §8.1), which its pairwise subjects are computed for: its business
/// system, so that every system sees its own `sub` and the clients of one system share it; a client not
/// linked to a system is a sector of its own. It is fixed at registration and stored, so that a later
/// change of this default never changes a `sub` a system already holds.
fn default_sector(system_id: Option<&str>, client_id: &str) -> String {
    match system_id {
        Some(system) => format!("system:{system}"),
        None => format!("client:{client_id}"),
    }
}

impl Client {
    /// Whether this client's `sub` differs from that of every client of another business system (true for
    /// pairwise subjects in a default sector; not when a sector identifier groups systems, nor for public
    /// subjects).
    pub fn has_own_subjects(&self) -> bool {
        self.subject_type == SubjectType::Pairwise
            && (self.sector_identifier.starts_with("system:") || self.sector_identifier.starts_with("client:"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration() -> ClientRegistration {
        ClientRegistration {
            name: "社保查询系统".into(),
            redirect_uris: vec!["https://rp.example.gov.cn/callback".into()],
            ..ClientRegistration::default()
        }
    }

    #[test]
    fn confidential_by_default_with_pairwise_subjects() {
        let registered = registration().into_client("c1".into(), Some("s"), Some("h".into()), 0).unwrap();
        let client = registered.client;
        assert_eq!(client.auth_method, AuthMethod::ClientSecretBasic);
        assert_eq!(client.subject_type, SubjectType::Pairwise);
        assert_eq!(client.sector_identifier, "client:c1", "a client of no business system is its own sector");
        let of_system = ClientRegistration { system_id: Some("sys-1".into()), ..registration() };
        let sector =
            of_system.into_client("c9".into(), Some("s"), Some("h".into()), 0).unwrap().client.sector_identifier;
        assert_eq!(sector, "system:sys-1", "the clients of one business system share its sector");
        assert_eq!(registered.secret.as_deref(), Some("s"));
        assert!(client.allows_grant(GrantType::RefreshToken));
        assert!(client.has_redirect_uri("https://rp.example.gov.cn/callback"));
        assert!(!client.has_redirect_uri("https://rp.example.gov.cn/callback/"));
        assert!(!client.has_redirect_uri("https://rp.example.gov.cn/callback?x=1"));
    }

    #[test]
    fn public_clients_get_no_secret_and_no_client_credentials() {
        let public = ClientRegistration { public: true, ..registration() };
        let registered = public.clone().into_client("c2".into(), Some("s"), Some("h".into()), 0).unwrap();
        assert!(registered.secret.is_none());
        assert!(registered.client.secret_hash.is_none());
        let bad = ClientRegistration { grant_types: vec![GrantType::ClientCredentials], ..public };
        assert_eq!(bad.into_client("c3".into(), None, None, 0).unwrap_err(), RegistrationError::PublicGrant);
    }

    #[test]
    fn refuses_bad_redirect_uris() {
        let fragment = ClientRegistration { redirect_uris: vec!["https://rp.example/cb#x".into()], ..registration() };
        assert!(matches!(
            fragment.into_client("c".into(), None, None, 0),
            Err(RegistrationError::BadRedirectUri { .. })
        ));
        let two_hosts = ClientRegistration {
            redirect_uris: vec!["https://a.example/cb".into(), "https://b.example/cb".into()],
            ..registration()
        };
        assert!(two_hosts.into_client("c".into(), None, None, 0).is_ok(), "the sector no longer depends on hosts");
    }

    #[test]
    fn logout_uris_must_be_web_addresses_without_fragments() {
        let with = |uri: &str| ClientRegistration {
            logout: LogoutChannels { backchannel_uri: Some(uri.into()), ..LogoutChannels::default() },
            ..registration()
        };
        for bad in ["https://rp.example/logout#x", "http://rp.example/logout", "gov.app:/logout", "/logout"] {
            assert!(
                matches!(with(bad).into_client("c".into(), None, None, 0), Err(RegistrationError::BadLogoutUri { .. })),
                "{bad} is refused"
            );
        }
        let good = with("https://rp.example/logout?tenant=1").into_client("c".into(), None, None, 0).unwrap();
        assert_eq!(good.client.logout.backchannel_uri.as_deref(), Some("https://rp.example/logout?tenant=1"));
    }
}
