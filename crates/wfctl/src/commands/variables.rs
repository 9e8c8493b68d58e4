//! `wfctl variables ...`: read and change the variables tasks see.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::json;
use weft_client::api::variables::{PutVariable, VariableList};

use crate::client::ServerArgs;
use crate::exit::CommandResult;
use crate::output::{self, Format};

/// Manage the variables on a Weft server (settings shared by the DAGs, read by tasks).
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: VariablesCommand,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t, global = true)]
    output: Format,
}

#[derive(Debug, Subcommand)]
enum VariablesCommand {
    /// Print a variable's value.
    Get {
        /// The variable's key.
        key: String,
    },
    /// Create or replace a variable.
    Set {
        /// The variable's key.
        key: String,
        /// Its value.
        value: String,
        /// Free text about it; an existing variable keeps its description when left out.
        #[arg(long)]
        description: Option<String>,
    },
    /// List the variables.
    List,
    /// Delete a variable.
    Delete {
        /// The variable's key.
        key: String,
    },
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = crate::client::connect(&args.server)?;
    let json_output = args.output == Format::Json;
    match args.command {
        VariablesCommand::Get { key } => {
            let variable = client.variable(&key)?;
            if json_output {
                output::print_body(&variable);
            } else {
                println!("{}", variable.value);
            }
        }
        VariablesCommand::Set {
            key,
            value,
            description,
        } => {
            let variable = client.put_variable(&key, &PutVariable { value, description })?;
            if json_output {
                output::print_body(&variable);
            } else {
                println!("variable {key} set");
            }
        }
        VariablesCommand::List => {
            let list = client.variables()?;
            if json_output {
                output::print_body(&list);
            } else {
                print_list(&list);
            }
        }
        VariablesCommand::Delete { key } => {
            client.delete_variable(&key)?;
            if json_output {
                output::print_json(&json!({ "deleted": key }));
            } else {
                println!("variable {key} deleted");
            }
        }
    }
    Ok(())
}

fn print_list(list: &VariableList) {
    if list.variables.is_empty() {
        println!("no variables");
    }
    for v in &list.variables {
        match Some(v.description.as_str()).filter(|d| !d.is_empty()) {
            Some(description) => println!("{} = {}  # {description}", v.key, v.value),
            None => println!("{} = {}", v.key, v.value),
        }
    }
}
