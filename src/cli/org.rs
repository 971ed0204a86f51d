//! `yimen org add|list`: creating organisations and binding their legal representative, for platform
//! administrators, until in-person verification at the counter does it.

use super::print_json;
use crate::app::Services;
use crate::audit::Actor;
use crate::identity::organisation::{MemberRole, OrgKind};
use crate::identity::uscc::Uscc;
use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organisation and bind its legal representative (an existing citizen account).
    Add(AddArgs),
    /// List organisations with their legal representatives.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Unified Social Credit Code (GB 32100), checked.
    #[arg(long)]
    uscc: String,
    #[arg(long)]
    name: String,
    /// enterprise, individual_business, institution, social_organisation, government or other.
    #[arg(long, default_value = "enterprise")]
    kind: String,
    /// The representative's resident ID number; their account must exist.
    #[arg(long)]
    representative_id_number: String,
    #[arg(long)]
    json: bool,
}

pub async fn run(command: OrgCommand, services: &Services) -> anyhow::Result<()> {
    match command {
        OrgCommand::Add(args) => add(args, services).await,
        OrgCommand::List { json } => {
            let mut rows = Vec::new();
            for org in services.orgs.list().await? {
                let representative = services
                    .orgs
                    .members(&org.id)
                    .await?
                    .into_iter()
                    .find(|m| m.role == MemberRole::LegalRepresentative);
                let name = match &representative {
                    Some(member) => services.accounts.find(&member.person_id).await?.map(|p| p.name),
                    None => None,
                };
                rows.push(json!({ "id": org.id, "uscc": org.uscc, "name": org.name, "kind": org.kind.as_str(), "representative": name }));
            }
            if json {
                print_json(&json!(rows));
            } else {
                for row in rows {
                    println!(
                        "{}  {}  {}  {}",
                        row["id"].as_str().unwrap_or(""),
                        row["uscc"].as_str().unwrap_or(""),
                        row["name"].as_str().unwrap_or(""),
                        row["representative"].as_str().unwrap_or("-")
                    );
                }
            }
            Ok(())
        }
    }
}

async fn add(args: AddArgs, services: &Services) -> anyhow::Result<()> {
    let uscc = Uscc::parse(&args.uscc).map_err(|e| anyhow!("credit code: {e}"))?;
    let kind = OrgKind::parse(&args.kind).ok_or_else(|| anyhow!("unknown kind {}", args.kind))?;
    if args.name.trim().is_empty() {
        bail!("the organisation needs a name");
    }
    let representative = services
        .accounts
        .find_by_login_identifier(&args.representative_id_number)
        .await?
        .ok_or_else(|| anyhow!("no account has that resident ID number; create it first (yimen user add)"))?;
    let actor = Actor::operator();
    let org = services.orgs.create(&uscc, &args.name, kind, &actor).await?;
    services.orgs.bind_representative(&org.id, &representative.id, &actor).await?;
    if args.json {
        print_json(
            &json!({ "id": org.id, "uscc": org.uscc, "name": org.name, "kind": org.kind.as_str(), "representative": representative.id }),
        );
    } else {
        println!("created organisation {} ({}) with representative {}", org.name, org.uscc, representative.name);
    }
    Ok(())
}
