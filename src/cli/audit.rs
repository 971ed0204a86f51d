//! `yimen audit verify`: walks the hash chain of the audit log and reports every altered, missing or
//! removed entry; exits non-zero when it finds any.

use crate::app::Services;
use anyhow::bail;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole audit log's hash chain.
    Verify,
}

pub async fn run(command: AuditCommand, services: &Services) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify => {
            let verification = services.audit.verify().await?;
            if verification.problems.is_empty() {
                println!("audit log intact: {} entries, hash chain unbroken", verification.entries);
                return Ok(());
            }
            for problem in &verification.problems {
                println!("{problem}");
            }
            bail!("the audit log has {} problem(s) in {} entries", verification.problems.len(), verification.entries)
        }
    }
}
