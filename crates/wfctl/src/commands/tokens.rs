//! `wfctl tokens ...` and `wfctl whoami`: a tenant's API tokens, managed by its admins, and
//! who the token in use is.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::{Value, json};

use crate::client::{Client, ServerArgs, segment};
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
    pub fn body(&self) -> Value {
        let mut body = json!({ "name": self.name, "role": self.role });
        if let Some(expires_in) = &self.expires_in {
            body["expires_in"] = Value::String(expires_in.clone());
        }
        body
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
    let client = Client::from_args(&args.server)?;
    let json_output = args.output == Format::Json;
    match args.command {
        TokensCommand::Create(new) => {
            let created = client.post("/tokens", &new.body())?;
            print_created(&created, json_output);
        }
        TokensCommand::List => {
            let list = client.get("/tokens")?;
            if json_output {
                output::print_json(&list);
            } else {
                print_list(&list);
            }
        }
        TokensCommand::Revoke { token_id } => {
            client.delete(&format!("/tokens/{}", segment(&token_id)))?;
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
pub fn print_created(created: &Value, json_output: bool) {
    if json_output {
        output::print_json(created);
        return;
    }
    let field = |name: &str| created[name].as_str().unwrap_or("?").to_owned();
    eprintln!(
        "token {} ({}, role {}) of tenant {}{}; it is shown this once:",
        field("token_id"),
        field("name"),
        field("role"),
        field("tenant"),
        created["expires_at"]
            .as_str()
            .map(|at| format!(", expires {at}"))
            .unwrap_or_default(),
    );
    println!("{}", field("token"));
}

fn print_list(list: &Value) {
    let tokens = list["tokens"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if tokens.is_empty() {
        println!("no tokens");
        return;
    }
    println!(
        "{:<18} {:<9} {:<8} {:<26} NAME",
        "ID", "ROLE", "STATE", "EXPIRES"
    );
    for t in tokens {
        let text = |name: &str| t[name].as_str().unwrap_or("-").to_owned();
        println!(
            "{:<18} {:<9} {:<8} {:<26} {}",
            text("token_id"),
            text("role"),
            text("state"),
            text("expires_at"),
            text("name")
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
    let me = Client::from_args(&args.server)?.get("/whoami")?;
    if args.output == Format::Json {
        output::print_json(&me);
        return Ok(());
    }
    let tenant = me["tenant"].as_str().unwrap_or("?");
    let role = me["role"].as_str().unwrap_or("?");
    let admin = if me["installation_admin"].as_bool() == Some(true) {
        ", installation administrator"
    } else {
        ""
    };
    let token = me["token_id"]
        .as_str()
        .map(|id| format!(" (token {id})"))
        .unwrap_or_default();
    println!("{role} of tenant {tenant}{admin}{token}");
    Ok(())
}
