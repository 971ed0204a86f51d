//! `yimen hall add|list`: the tree of service halls.

use crate::app::Services;
use crate::audit::Actor;
use crate::counter::HallKind;
use anyhow::anyhow;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum HallCommand {
    /// Add a hall: city, district (under a city hall), town (under a district) or village (under a town).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        parent: Option<String>,
    },
    /// List halls.
    List,
}

pub async fn run(command: HallCommand, services: &Services) -> anyhow::Result<()> {
    match command {
        HallCommand::Add { name, kind, parent } => {
            let kind = HallKind::parse(&kind).ok_or_else(|| anyhow!("kind must be city, district, town or village"))?;
            let hall = services.halls.create(&name, kind, parent.as_deref(), &Actor::operator()).await?;
            println!("{}", hall.id);
            Ok(())
        }
        HallCommand::List => {
            for hall in services.halls.list().await? {
                println!(
                    "{}  {:<8}  {}  {}",
                    hall.id,
                    hall.kind.as_str(),
                    hall.name,
                    hall.parent_id.unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}
