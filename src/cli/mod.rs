//! The command line: `yimen serve` (the default), `migrate`, `config check`, and administration for what
//! has no page yet (`client`, `user`, `keys`). One file per command group.

mod audit;
mod catalog;
mod client;
mod hall;
mod keys;
mod org;
mod password;
mod report;
mod role;
mod user;

use crate::app::{App, Services};
use crate::clock::SystemClock;
use crate::config::{Config, LogFormat, Overrides};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(name = "yimen", version, about = "Unified identity and single sign-on for a city's online services")]
pub struct Cli {
    /// Configuration file (default: ./yimen.toml when present).
    #[arg(long, global = true, help_heading = "Global options", env = "YIMEN_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long, global = true, help_heading = "Global options", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Public issuer URL (default: http://{listen}).
    #[arg(long, global = true, help_heading = "Global options", value_name = "URL")]
    pub issuer: Option<url::Url>,
    /// Data directory for the embedded database and generated keys (default: ./data).
    #[arg(long, global = true, help_heading = "Global options", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL instead of the embedded SQLite database.
    #[arg(long, global = true, help_heading = "Global options", value_name = "URL")]
    pub database_url: Option<String>,
    /// redis://… to keep sessions, codes and other short-lived state in Redis.
    #[arg(long, global = true, help_heading = "Global options", value_name = "URL")]
    pub redis_url: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Seed a demonstration catalog (departments, systems, items, connection history), then exit.
    Demo,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Register and manage relying parties (department business systems).
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Manage citizen accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Inspect and rotate signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Manage organisations (legal persons).
    #[command(subcommand)]
    Org(org::OrgCommand),
    /// Grant and revoke administrative roles; issue administrators' API tokens.
    #[command(subcommand)]
    Role(role::RoleCommand),
    /// Manage service halls.
    #[command(subcommand)]
    Hall(hall::HallCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Departments, business systems and service items.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Reports: the connection rate.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Password hashing: time it on this machine.
    #[command(subcommand)]
    Password(password::PasswordCommand),
}

#[derive(Debug, Default, clap::Args)]
pub struct ServeArgs {
    /// Seed a demonstration catalog first (once: a catalog with departments is left alone).
    #[arg(long)]
    pub demo: bool,
    /// Run as a developers' sandbox (the setting `sandbox`): synthetic people, injected outcomes, tokens
    /// marked `sandbox: true`, no connection counted. Needs a database and issuer of its own.
    #[arg(long)]
    pub sandbox: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print the effective settings, secrets redacted.
    Check,
}

impl Cli {
    fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen,
            issuer: self.issuer.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            redis_url: self.redis_url.clone(),
        }
    }
}

/// Runs the command line; the process exit code follows the result.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref(), &cli.overrides())?;
    if let Some(Command::Serve(ServeArgs { sandbox: true, .. })) = &cli.command {
        config.sandbox = Some(true);
    }
    init_tracing(&config);
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            let app = App::build(config).await?;
            if let Some(reason) = &app.services().passkeys_off {
                let config = &app.services().config;
                tracing::warn!(
                    reason,
                    issuer = %config.issuer_string(),
                    "passkeys are off: WebAuthn needs an issuer with a domain name, over https or on localhost; \
                     set --issuer http://localhost:{}",
                    config.listen.port()
                );
            }
            if args.demo {
                demo(app.services()).await?;
            }
            app.run().await
        }
        Command::Demo => demo(&services(config).await?).await,
        Command::Migrate => {
            let services = services(config).await?;
            println!("database is up to date ({:?})", services.db.backend());
            Ok(())
        }
        Command::Config(ConfigCommand::Check) => {
            println!("# effective configuration (secrets redacted)\n{}", config.to_redacted_toml());
            println!("# issuer: {}", config.issuer_string());
            Ok(())
        }
        Command::Client(command) => client::run(command, &services(config).await?).await,
        Command::User(command) => user::run(command, &services(config).await?).await,
        Command::Keys(command) => keys::run(command, &services(config).await?).await,
        Command::Org(command) => org::run(command, &services(config).await?).await,
        Command::Role(command) => role::run(command, &services(config).await?).await,
        Command::Hall(command) => hall::run(command, &services(config).await?).await,
        Command::Audit(command) => audit::run(command, &services(config).await?).await,
        Command::Catalog(command) => catalog::run(command, &services(config).await?).await,
        Command::Report(command) => report::run(command, &services(config).await?).await,
        Command::Password(command) => password::run(command, &config.password).await,
    }
}

async fn demo(services: &Services) -> anyhow::Result<()> {
    match crate::catalog::demo::seed(&services.catalog, &services.db, &services.clock).await? {
        Some(seeded) => {
            services.reports.record_snapshot().await?;
            println!(
                "demo catalog: {} departments ({} of the city and {} district offices), {} business systems, {} \
                 service items; the dashboard is at {}/dashboard",
                seeded.departments,
                seeded.city_departments,
                seeded.departments - seeded.city_departments,
                seeded.systems,
                seeded.items,
                services.config.issuer_string()
            );
        }
        None => println!("the catalog already has departments; the demo was not seeded again"),
    }
    Ok(())
}

async fn services(config: Config) -> anyhow::Result<Services> {
    Services::build(config, Arc::new(SystemClock)).await
}

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&config.log.filter));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Prints a value as pretty JSON.
fn print_json(value: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}
