//! `wfctl tenants ...`: the installation administrator's tenants.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::{Value, json};

use crate::client::{Client, ServerArgs, segment};
use crate::commands::tokens::{NewTokenArgs, print_created};
use crate::exit::CommandResult;
use crate::output::{self, Format};

/// Manage tenants (needs the installation administrator's token).
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: TenantsCommand,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t, global = true)]
    output: Format,
}

#[derive(Debug, Subcommand)]
enum TenantsCommand {
    /// Make a tenant (with its default pool).
    Create {
        /// Its name: lowercase letters, digits, `-` and `_`.
        name: String,
        /// What it is for.
        #[arg(long, default_value = "")]
        description: String,
        /// Its weight in the scheduler's fair sharing of slots (1 to 1000): a tenant of
        /// weight 3 gets three slots for each one of a tenant of weight 1 while both wait.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        weight: u32,
    },
    /// Set a tenant's weight in the scheduler's fair sharing of slots (1 to 1000).
    Weight {
        /// The tenant.
        name: String,
        /// Its new weight.
        #[arg(value_parser = clap::value_parser!(u32).range(1..=1000))]
        weight: u32,
    },
    /// List the tenants.
    List,
    /// Delete a tenant that has no DAGs, with its tokens, variables, pools, connections and
    /// secrets.
    Delete {
        /// Its name.
        name: String,
    },
    /// Make a token of a tenant (its first admin's, say); printed once.
    Token {
        /// The tenant.
        tenant: String,
        #[command(flatten)]
        new: NewTokenArgs,
    },
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = Client::from_args(&args.server);
    let json_output = args.output == Format::Json;
    match args.command {
        TenantsCommand::Create {
            name,
            description,
            weight,
        } => {
            let tenant = client.post(
                "/tenants",
                &json!({ "name": name, "description": description, "weight": weight }),
            )?;
            if json_output {
                output::print_json(&tenant);
            } else {
                println!("tenant {name} created");
            }
        }
        TenantsCommand::List => {
            let list = client.get("/tenants")?;
            if json_output {
                output::print_json(&list);
            } else {
                print_list(&list);
            }
        }
        TenantsCommand::Weight { name, weight } => {
            let tenant = client.put(
                &format!("/tenants/{}/weight", segment(&name)),
                &json!({ "weight": weight }),
            )?;
            if json_output {
                output::print_json(&tenant);
            } else {
                println!("tenant {name} has weight {weight}");
            }
        }
        TenantsCommand::Delete { name } => {
            client.delete(&format!("/tenants/{}", segment(&name)))?;
            if json_output {
                output::print_json(&json!({ "deleted": name }));
            } else {
                println!("tenant {name} deleted");
            }
        }
        TenantsCommand::Token { tenant, new } => {
            let path = format!("/tenants/{}/tokens", segment(&tenant));
            let created = client.post(&path, &new.body())?;
            print_created(&created, json_output);
        }
    }
    Ok(())
}

fn print_list(list: &Value) {
    let tenants = list["tenants"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    for t in tenants {
        let name = t["name"].as_str().unwrap_or("?");
        let weight = t["weight"].as_u64().unwrap_or(1);
        match t["description"].as_str().filter(|d| !d.is_empty()) {
            Some(description) => println!("{name}  weight {weight}  # {description}"),
            None => println!("{name}  weight {weight}"),
        }
    }
}
