//! `yimen keys list|rotate`: the signing keys and their schedule.

use super::print_json;
use crate::app::Services;
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List published keys with their signing period.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Replace every current signing key now (for example after a suspected compromise). The old keys
    /// stay published until the tokens they signed have expired.
    Rotate,
}

pub async fn run(command: KeysCommand, services: &Services) -> anyhow::Result<()> {
    match command {
        KeysCommand::List { json } => {
            let keys = services.keys.kids();
            if json {
                let list: Vec<_> = keys
                    .iter()
                    .map(|(kid, alg, activates, retires, expires)| {
                        json!({ "kid": kid, "alg": alg.as_str(), "activates_at": activates, "retires_at": retires, "expires_at": expires })
                    })
                    .collect();
                print_json(&json!(list));
            } else {
                println!("{:<26} {:<6} {:>12} {:>12} {:>12}", "KID", "ALG", "ACTIVATES", "RETIRES", "EXPIRES");
                for (kid, alg, activates, retires, expires) in keys {
                    println!("{kid:<26} {:<6} {activates:>12} {retires:>12} {expires:>12}", alg.as_str());
                }
            }
            Ok(())
        }
        KeysCommand::Rotate => {
            let kids = services.keys.rotate_now().await?;
            println!("new signing keys: {}", kids.join(", "));
            println!(
                "they are published now and sign from {} s from now, once every running instance publishes them",
                crate::keys::PUBLISH_LEAD_SECS
            );
            Ok(())
        }
    }
}
