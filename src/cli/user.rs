//! `yimen user add`: creating a citizen account from the command line (test accounts, migrations).

use super::print_json;
use crate::app::Services;
use crate::identity::document::IdDocument;
use crate::identity::person::parse_name;
use crate::identity::phone::PhoneNumber;
use crate::identity::resident_id::ResidentId;
use crate::identity::{AccountError, NewCitizen};
use crate::secret::SecretString;
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::{BufRead, IsTerminal};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a citizen account. The resident ID number is checked with the GB 11643 algorithm.
    Add(AddArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Name as on the identity document.
    #[arg(long)]
    name: String,
    /// 18-character resident ID number.
    #[arg(long)]
    id_number: String,
    /// Mainland mobile number.
    #[arg(long)]
    phone: String,
    /// Read the password from the first line of standard input (without it, the password is asked for on
    /// the terminal).
    #[arg(long, conflicts_with = "no_password")]
    password_stdin: bool,
    /// Create the account without a password: the person signs in with an SMS code to their phone, and can
    /// set a password with "forgot password" or at a service hall.
    #[arg(long)]
    no_password: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(command: UserCommand, services: &Services) -> anyhow::Result<()> {
    match command {
        UserCommand::Add(args) => add(args, services).await,
    }
}

async fn add(args: AddArgs, services: &Services) -> anyhow::Result<()> {
    let name = parse_name(&args.name).map_err(|e| anyhow!("name: {e}"))?;
    let id_number = ResidentId::parse(&args.id_number, services.accounts.today())
        .map_err(|e| anyhow!("resident ID number: {e}"))?;
    let phone = PhoneNumber::parse(&args.phone).map_err(|e| anyhow!("phone: {e}"))?;
    let password = if args.no_password { None } else { Some(password(&args)?) };
    let has_password = password.is_some();
    let citizen = NewCitizen {
        name,
        document: IdDocument::from_resident_id(id_number),
        phone: Some(phone),
        phone_verified: true,
        password,
    };
    let person = match services.accounts.register_citizen(citizen).await {
        Ok(person) => person,
        Err(AccountError::Policy(reason)) => bail!("password: {reason}"),
        Err(error) => bail!("{error}"),
    };
    if args.json {
        print_json(&json!({
            "id": person.id,
            "name": person.name,
            "id_number": person.document.masked(),
            "phone": person.phone.as_ref().map(|p| p.masked()),
            "has_password": has_password,
        }));
    } else {
        println!("created account {} for {} (ID {})", person.id, person.name, person.document.masked());
        if !has_password {
            println!(
                "  no password: the person signs in with an SMS code to {}, and can set a password with \
                 \"forgot password\" or at a service hall",
                person.phone.as_ref().map(|p| p.masked()).unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// The new account's password: the first line of standard input with `--password-stdin`, else asked for
/// twice on the terminal without echo. Without a terminal there is no one to ask, and an account that
/// cannot sign in with a password is not made by accident.
fn password(args: &AddArgs) -> anyhow::Result<SecretString> {
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            bail!("standard input held no password");
        }
        return Ok(SecretString::new(line));
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "no password given: run this at a terminal to type it, pipe it in with --password-stdin, or pass \
             --no-password for an account that signs in with SMS codes"
        );
    }
    let first =
        rpassword::prompt_password(format!("password for {}: ", args.name)).context("cannot read the password")?;
    let again = rpassword::prompt_password("the same password again: ").context("cannot read the password")?;
    if first != again {
        bail!("the two passwords differ; nothing was created");
    }
    if first.is_empty() {
        bail!("the password is empty; nothing was created (--no-password makes an account without one)");
    }
    Ok(SecretString::new(first.as_str()))
}
