//! `wfctl tokens ...` and `wfctl whoami`: a tenant's API tokens, managed by its admins, and
//! who the token in use is.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::json;
use weft_client::api::tokens::{CreatedToken, NewToken, TokenList};

use crate::client::ServerArgs;
use crate::exit::CommandResult;
use crate::output::{self, Format};

/// Manage the API tokens of the tenant your token acts in (needs an `admin` token).
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: TokensCommand,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t, global = true)]
    output: Format,
}

/// What makes a token: its name, role and lifetime.
#[derive(Debug, Clone, ClapArgs)]
pub struct NewTokenArgs {
    /// What the token is for ("ci deploys", "alice").
    name: String,
    /// `viewer` (reads), `operator` (also trigger, clear, mark, pause), `editor` (also
    /// deploy, variables, connections, secrets, pools) or `admin` (also tokens).
    #[arg(long)]
    role: String,
    /// How long it is accepted, e.g. `90d`; left out, until revoked.
    #[arg(long, value_name = "DURATION")]
    expires_in: Option<String>,
}

impl NewTokenArgs {
    /// The request body.
    pub fn body(&self) -> NewToken {
        NewToken {
            name: self.name.clone(),
            role: self.role.clone(),
            expires_in: self.expires_in.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
enum TokensCommand {
    /// Make a token; it is printed once, and never shown again.
    Create(NewTokenArgs),
    /// List the tenant's tokens (never the tokens themselves).
    List,
    /// Revoke a token: it is refused from now on.
    Revoke {
        /// The token's id (as `list` shows it).
        token_id: String,
    },
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = crate::client::connect(&args.server)?;
    let json_output = args.output == Format::Json;
    match args.command {
        TokensCommand::Create(new) => {
            let created = client.create_token(&new.body())?;
            print_created(&created, json_output);
        }
        TokensCommand::List => {
            let list = client.tokens()?;
            if json_output {
                output::print_body(&list);
            } else {
                print_list(&list);
            }
        }
        TokensCommand::Revoke { token_id } => {
            client.revoke_token(&token_id)?;
            if json_output {
                output::print_json(&json!({ "revoked": token_id }));
            } else {
                println!("token {token_id} revoked");
            }
        }
    }
    Ok(())
}

/// Print a token just made: the token itself on a line of its own, to copy or capture.
pub fn print_created(created: &CreatedToken, json_output: bool) {
    if json_output {
        output::print_body(created);
        return;
    }
    let view = &created.view;
    eprintln!(
        "token {} ({}, role {}) of tenant {}{}; it is shown this once:",
        view.token_id,
        view.name,
        view.role.as_str(),
        view.tenant,
        view.expires_at
            .map(|at| format!(", expires {at}"))
            .unwrap_or_default(),
    );
    println!("{}", created.token);
}

fn print_list(list: &TokenList) {
    if list.tokens.is_empty() {
        println!("no tokens");
        return;
    }
    println!(
        "{:<18} {:<9} {:<8} {:<26} NAME",
        "ID", "ROLE", "STATE", "EXPIRES"
    );
    for t in &list.tokens {
        let expires = t
            .expires_at
            .map_or_else(|| "-".to_owned(), |at| at.to_string());
        println!(
            "{:<18} {:<9} {:<8} {:<26} {}",
            t.token_id,
            t.role.as_str(),
            t.state,
            expires,
            t.name
        );
    }
}

/// Show the tenant and role of the token in use.
#[derive(Debug, ClapArgs)]
pub struct WhoamiArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t)]
    output: Format,
}

/// Run `wfctl whoami`.
pub fn whoami(args: WhoamiArgs) -> CommandResult {
    let me = crate::client::connect(&args.server)?.whoami()?;
    if args.output == Format::Json {
        output::print_body(&me);
        return Ok(());
    }
    let admin = if me.installation_admin {
        ", installation administrator"
    } else {
        ""
    };
    let token = me
        .token_id
        .map(|id| format!(" (token {id})"))
        .unwrap_or_default();
    println!("{} of tenant {}{admin}{token}", me.role.as_str(), me.tenant);
    Ok(())
}
