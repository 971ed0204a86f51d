//! `yimen catalog …`: departments, business systems and bulk item imports from the command line, with a
//! platform administrator's full scope.

use crate::app::Services;
use crate::audit::Actor;
use crate::catalog::import::ImportFormat;
use crate::catalog::service::{NewDepartment, NewSystem};
use crate::catalog::{CatalogError, Scope};
use anyhow::{anyhow, bail};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Add a department.
    AddDepartment {
        #[arg(long)]
        name: String,
        /// city, district or town.
        #[arg(long, default_value = "city")]
        level: String,
        #[arg(long)]
        parent: Option<String>,
    },
    /// List departments: id, level, name.
    Departments,
    /// Add a business system to a department.
    AddSystem {
        #[arg(long)]
        department: String,
        #[arg(long)]
        name: String,
        /// local, provincial or national.
        #[arg(long, default_value = "local")]
        vertical: String,
        /// none, enterprise or citizen: the designated page this system is.
        #[arg(long, default_value = "none")]
        portal: String,
    },
    /// Import a department's service items from a CSV or JSON file, all or nothing; re-importing updates
    /// items by code.
    Import {
        file: PathBuf,
        /// The department's id or name.
        #[arg(long)]
        department: String,
        /// csv or json (default: from the file name).
        #[arg(long)]
        format: Option<String>,
    },
}

pub async fn run(command: CatalogCommand, services: &Services) -> anyhow::Result<()> {
    let catalog = &services.catalog;
    let actor = Actor::operator();
    match command {
        CatalogCommand::AddDepartment { name, level, parent } => {
            let department = catalog
                .create_department(
                    &Scope::All,
                    NewDepartment { name, level, parent_id: parent, ..NewDepartment::default() },
                    &actor,
                )
                .await?;
            println!("{}", department.id);
        }
        CatalogCommand::Departments => {
            for department in catalog.departments(&Scope::All).await? {
                println!("{}  {:<8}  {}", department.id, department.level.as_str(), department.name);
            }
        }
        CatalogCommand::AddSystem { department, name, vertical, portal } => {
            let department = department_id(services, &department).await?;
            let system = catalog
                .create_system(
                    &Scope::All,
                    &department,
                    NewSystem { name, vertical, portal, ..NewSystem::default() },
                    &actor,
                )
                .await?;
            println!("{}", system.id);
        }
        CatalogCommand::Import { file, department, format } => {
            let department = department_id(services, &department).await?;
            let format = match format.or_else(|| file.extension().map(|e| e.to_string_lossy().into_owned())) {
                Some(name) => ImportFormat::parse(&name).ok_or_else(|| anyhow!("format must be csv or json"))?,
                None => bail!("say --format csv or --format json"),
            };
            let text = std::fs::read_to_string(&file).map_err(|e| anyhow!("cannot read {}: {e}", file.display()))?;
            match catalog.import(&Scope::All, &department, format, &text, &actor).await {
                Ok(summary) => println!("imported: {} new, {} updated", summary.created, summary.updated),
                Err(CatalogError::Import(errors)) => {
                    for error in &errors {
                        eprintln!("{}: {error}", file.display());
                    }
                    bail!("nothing was imported: {} problem(s)", errors.len());
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
    Ok(())
}

/// A department's id from its id or its exact name.
async fn department_id(services: &Services, given: &str) -> anyhow::Result<String> {
    let departments = services.catalog.departments(&Scope::All).await?;
    departments
        .into_iter()
        .find(|d| d.id == given || d.name == given)
        .map(|d| d.id)
        .ok_or_else(|| anyhow!("no department {given:?} (see `yimen catalog departments`)"))
}
