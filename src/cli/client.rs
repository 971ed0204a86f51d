//! `yimen client add|list|show|logout|disable|enable`: registering department systems as relying parties.

use super::print_json;
use crate::app::Services;
use crate::keys::SigningAlg;
use crate::oidc::client::{AuthMethod, Client, ClientRegistration, GrantType, LogoutChannels, Protocol, SubjectType};
use crate::oidc::scope::ScopeSet;
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its client_id and, for a confidential client, its secret (shown once).
    Add(Box<AddArgs>),
    /// List registered clients.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one client's registration.
    Show {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Set (or, without URIs, clear) where a client is told that a person logged out.
    Logout {
        client_id: String,
        #[command(flatten)]
        logout: LogoutArgs,
    },
    /// Disable a client: it can no longer start logins or obtain tokens.
    Disable { client_id: String },
    /// Enable a disabled client again.
    Enable { client_id: String },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Display name shown to citizens on the login and consent pages.
    #[arg(long)]
    name: String,
    /// Redirect URI, matched exactly; repeat for several.
    #[arg(long = "redirect-uri", value_name = "URI")]
    redirect_uris: Vec<String>,
    /// Register a CAS 3.0 service instead of an OIDC client: its service URL, exact or a prefix ending in
    /// `/*`; repeat for several.
    #[arg(long = "cas-service", value_name = "URL", conflicts_with = "redirect_uris")]
    cas_services: Vec<String>,
    /// A public client (mobile or single-page app): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// Where the client may send the browser after logout; repeat for several.
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
    /// Scopes the client may request (space-separated), e.g. "openid profile phone identity".
    #[arg(long)]
    scope: Option<String>,
    /// Grant type; repeat for several (default: authorization_code and refresh_token).
    #[arg(long = "grant-type", value_name = "GRANT")]
    grant_types: Vec<String>,
    /// client_secret_basic (default), client_secret_post, private_key_jwt or none.
    #[arg(long)]
    auth_method: Option<String>,
    /// File holding the client's public JWK Set, for private_key_jwt.
    #[arg(long, value_name = "FILE")]
    jwks_file: Option<PathBuf>,
    /// pairwise (default) or public.
    #[arg(long)]
    subject_type: Option<String>,
    /// Sector for pairwise subjects, to share them with other clients registered with the same value
    /// (default: the client's business system, or the client alone). Fixed once registered.
    #[arg(long)]
    sector_identifier: Option<String>,
    #[command(flatten)]
    logout: LogoutArgs,
    /// ID token signing algorithm: RS256 (default), ES256 or EdDSA.
    #[arg(long)]
    id_token_alg: Option<String>,
    /// Logins for this system need two factors (password or SMS plus a passkey or SMS code).
    #[arg(long)]
    require_mfa: bool,
    /// The lowest assurance level the system accepts, e.g. urn:yimen:loa:2.
    #[arg(long)]
    min_acr: Option<String>,
    /// The most tokens the system may be issued per minute (default: tokens.max_per_client_per_minute).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
    max_tokens_per_minute: Option<i64>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Back-Channel Logout 1.0: where yimen POSTs a signed logout token when a session the client had a
    /// login in ends.
    #[arg(long, value_name = "URI")]
    backchannel_logout_uri: Option<String>,
    /// The client needs `sid` in logout tokens (yimen always sends it; recorded as registered).
    #[arg(long)]
    backchannel_logout_session_required: bool,
    /// Front-Channel Logout 1.0: the page the logout page loads in a hidden frame, for browser-only systems.
    #[arg(long, value_name = "URI")]
    frontchannel_logout_uri: Option<String>,
    /// Add `iss` and `sid` to the front-channel logout URI.
    #[arg(long)]
    frontchannel_logout_session_required: bool,
}

impl From<LogoutArgs> for LogoutChannels {
    fn from(args: LogoutArgs) -> Self {
        LogoutChannels {
            backchannel_uri: args.backchannel_logout_uri,
            backchannel_session_required: args.backchannel_logout_session_required,
            frontchannel_uri: args.frontchannel_logout_uri,
            frontchannel_session_required: args.frontchannel_logout_session_required,
        }
    }
}

pub async fn run(command: ClientCommand, services: &Services) -> anyhow::Result<()> {
    let provider = &services.provider;
    match command {
        ClientCommand::Add(args) => add(*args, services).await,
        ClientCommand::List { json } => {
            let clients = provider.list_clients().await?;
            if json {
                print_json(&json!(clients.iter().map(describe).collect::<Vec<_>>()));
            } else {
                println!("{:<22} {:<8} {:<20} NAME", "CLIENT_ID", "ENABLED", "AUTH");
                for client in clients {
                    println!(
                        "{:<22} {:<8} {:<20} {}",
                        client.id,
                        client.enabled,
                        client.auth_method.as_str(),
                        client.name
                    );
                }
            }
            Ok(())
        }
        ClientCommand::Show { client_id, json } => {
            let client = provider.client_by_id(&client_id).await?.ok_or_else(|| anyhow!("no client {client_id}"))?;
            let description = describe(&client);
            if json {
                print_json(&description);
            } else {
                for (key, value) in description.as_object().into_iter().flatten() {
                    println!("{key}: {value}");
                }
            }
            Ok(())
        }
        ClientCommand::Logout { client_id, logout } => {
            if !services.provider.set_client_logout(&client_id, logout.into()).await? {
                bail!("no client {client_id}");
            }
            println!("client {client_id}: logout endpoints saved");
            Ok(())
        }
        ClientCommand::Disable { client_id } => set_enabled(services, &client_id, false).await,
        ClientCommand::Enable { client_id } => set_enabled(services, &client_id, true).await,
    }
}

async fn set_enabled(services: &Services, client_id: &str, enabled: bool) -> anyhow::Result<()> {
    if !services.provider.set_client_enabled(client_id, enabled).await? {
        bail!("no client {client_id}");
    }
    println!("client {client_id} {}", if enabled { "enabled" } else { "disabled" });
    Ok(())
}

async fn add(args: AddArgs, services: &Services) -> anyhow::Result<()> {
    let grant_types = args
        .grant_types
        .iter()
        .map(|g| {
            GrantType::parse(g).ok_or_else(|| {
                anyhow!("unknown grant type {g}: use authorization_code, refresh_token or client_credentials")
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let jwks = match &args.jwks_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?)
        }
        None => None,
    };
    let cas = !args.cas_services.is_empty();
    let registration = ClientRegistration {
        name: args.name,
        protocol: if cas { Protocol::Cas } else { Protocol::Oidc },
        redirect_uris: if cas { args.cas_services } else { args.redirect_uris },
        post_logout_redirect_uris: args.post_logout_redirect_uris,
        public: args.public,
        auth_method: args
            .auth_method
            .map(|m| AuthMethod::parse(&m).ok_or_else(|| anyhow!("unknown auth method {m}")))
            .transpose()?,
        grant_types,
        id_token_alg: args
            .id_token_alg
            .map(|a| SigningAlg::parse(&a).ok_or_else(|| anyhow!("unknown algorithm {a}: use RS256, ES256 or EdDSA")))
            .transpose()?,
        subject_type: args
            .subject_type
            .map(|s| SubjectType::parse(&s).ok_or_else(|| anyhow!("subject type must be pairwise or public")))
            .transpose()?,
        sector_identifier: args.sector_identifier,
        scopes: args.scope.map(|s| ScopeSet::parse(&s).map_err(|e| anyhow!("{e}"))).transpose()?,
        jwks,
        require_mfa: args.require_mfa,
        min_acr: args.min_acr,
        max_tokens_per_minute: args.max_tokens_per_minute,
        system_id: None,
        logout: args.logout.into(),
    };
    let registered = services.provider.register_client(registration).await?;
    let mut description = describe(&registered.client);
    if let Some(secret) = &registered.secret {
        description["client_secret"] = json!(secret);
    }
    description["issuer"] = json!(services.provider.issuer());
    description["discovery"] = json!(services.provider.endpoint(crate::paths::DISCOVERY));
    if args.json {
        print_json(&description);
    } else {
        println!("registered client {}", registered.client.name);
        println!("  client_id:     {}", registered.client.id);
        if let Some(secret) = &registered.secret {
            println!("  client_secret: {secret}");
            println!("  (the secret is shown only now; store it in the system's secret store)");
        }
        if cas {
            println!("  CAS server:    {}", services.provider.endpoint(crate::paths::CAS_PREFIX));
        } else {
            println!("  issuer:        {}", services.provider.issuer());
            println!("  discovery:     {}", services.provider.endpoint(crate::paths::DISCOVERY));
        }
    }
    Ok(())
}

fn describe(client: &Client) -> serde_json::Value {
    json!({
        "client_id": client.id,
        "protocol": client.protocol.as_str(),
        "name": client.name,
        "enabled": client.enabled,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "grant_types": client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "token_endpoint_auth_method": client.auth_method.as_str(),
        "id_token_signed_response_alg": client.id_token_alg.as_str(),
        "subject_type": client.subject_type.as_str(),
        "sector_identifier": client.sector_identifier,
        "scope": client.allowed_scopes.to_string(),
        "backchannel_logout_uri": client.logout.backchannel_uri,
        "backchannel_logout_session_required": client.logout.backchannel_session_required,
        "frontchannel_logout_uri": client.logout.frontchannel_uri,
        "frontchannel_logout_session_required": client.logout.frontchannel_session_required,
        "created_at": client.created_at,
    })
}
