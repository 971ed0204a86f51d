//! `yimen role grant|list|revoke`, `yimen role enrol-code` and `yimen role token`: administrative roles
//! from the command line (the first platform administrator must come from here), passkey enrolment codes
//! for staff, and API tokens for administrators' scripts.

use super::print_json;
use crate::app::Services;
use crate::audit::Actor;
use crate::counter::Issuer;
use crate::identity::roles::RoleKind;
use anyhow::{anyhow, bail};
use clap::Subcommand;
use clap::builder::{PossibleValue, PossibleValuesParser};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Give a person a role (the roles and what each may do are listed under --role).
    Grant {
        /// The person's resident ID number or phone number.
        #[arg(long)]
        account: String,
        /// The role, one of:
        #[arg(long, value_parser = roles())]
        role: String,
        /// The department or hall the role is held for (department_admin and hall roles).
        #[arg(long)]
        scope: Option<String>,
    },
    /// List a person's roles.
    List {
        #[arg(long)]
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a role by its id.
    Revoke { role_id: String },
    /// Issue a one-time code with which a staff member or administrator who has only a password adds their
    /// first passkey (valid for 24 hours; shown once; hand it over in person).
    EnrolCode {
        /// The person's resident ID number or phone number.
        #[arg(long)]
        account: String,
    },
    /// Issue an API token for an administrator (shown once).
    Token {
        #[arg(long)]
        account: String,
        /// What the token is for, e.g. "catalog import script".
        #[arg(long)]
        name: String,
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
}

/// The roles, each with what it may do, as `role grant --help` lists them.
fn roles() -> PossibleValuesParser {
    PossibleValuesParser::new(RoleKind::ALL.map(|kind| {
        PossibleValue::new(kind.as_str()).help(match kind {
            RoleKind::PlatformAdmin => {
                "the whole platform: catalog, halls, roles, enrolment codes, audit log and dashboard"
            }
            RoleKind::DepartmentAdmin => {
                "one department (--scope DEPARTMENT_ID): its business systems, clients and items, and its rate"
            }
            RoleKind::Auditor => "reads the audit log and the dashboard; changes nothing",
            RoleKind::HallStaff => {
                "the counter desk of one hall (--scope HALL_ID): verifies people and organisations in person"
            }
            RoleKind::HallSupervisor => {
                "hall staff who also confirm other staff's resets and issue passkey enrolment codes (--scope HALL_ID)"
            }
        })
    }))
}

pub async fn run(command: RoleCommand, services: &Services) -> anyhow::Result<()> {
    let actor = Actor::operator();
    match command {
        RoleCommand::Grant { account, role, scope } => {
            let kind = RoleKind::parse(&role).ok_or_else(|| anyhow!("unknown role {role}"))?;
            let person = person(services, &account).await?;
            let granted = services.roles.grant(&person, kind, scope.as_deref(), &actor).await?;
            println!("granted {} (role id {})", kind.as_str(), granted.id);
            Ok(())
        }
        RoleCommand::List { account, json } => {
            let person = person(services, &account).await?;
            let roles = services.roles.of(&person).await?;
            if json {
                print_json(&json!(
                    roles
                        .iter()
                        .map(|r| json!({ "id": r.id, "role": r.kind.as_str(), "scope": r.scope_id }))
                        .collect::<Vec<_>>()
                ));
            } else {
                for role in roles {
                    println!("{}  {}  {}", role.id, role.kind.as_str(), role.scope_id.unwrap_or_default());
                }
            }
            Ok(())
        }
        RoleCommand::Revoke { role_id } => {
            if !services.roles.revoke(&role_id, &actor).await? {
                bail!("no active role {role_id}");
            }
            println!("revoked {role_id}");
            Ok(())
        }
        RoleCommand::EnrolCode { account } => {
            let person = person(services, &account).await?;
            let code = services.enrolment.issue(&person, Issuer::Operator, &actor).await?;
            println!("{code}");
            eprintln!("(shown once; valid for 24 hours; the person enters it at /account/passkeys after signing in)");
            Ok(())
        }
        RoleCommand::Token { account, name, days } => {
            let person = person(services, &account).await?;
            let token = services.roles.issue_api_token(&person, &name, days, &actor).await?;
            println!("{token}");
            eprintln!("(shown once; send it as 'Authorization: Bearer …' to /admin/api/…)");
            Ok(())
        }
    }
}

async fn person(services: &Services, account: &str) -> anyhow::Result<String> {
    Ok(services
        .accounts
        .find_by_login_identifier(account)
        .await?
        .ok_or_else(|| anyhow!("no account has that resident ID number or phone number"))?
        .id)
}
