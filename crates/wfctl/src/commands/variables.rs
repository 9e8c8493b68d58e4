//! `wfctl variables ...`: read and change the variables tasks see.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::{Value, json};

use crate::client::{Client, ServerArgs, segment};
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
    let client = Client::from_args(&args.server)?;
    let json_output = args.output == Format::Json;
    match args.command {
        VariablesCommand::Get { key } => {
            let variable = client.get(&path(&key))?;
            if json_output {
                output::print_json(&variable);
            } else {
                println!("{}", variable["value"].as_str().unwrap_or_default());
            }
        }
        VariablesCommand::Set {
            key,
            value,
            description,
        } => {
            let mut body = json!({ "value": value });
            if let Some(description) = description {
                body["description"] = Value::String(description);
            }
            let variable = client.put(&path(&key), &body)?;
            if json_output {
                output::print_json(&variable);
            } else {
                println!("variable {key} set");
            }
        }
        VariablesCommand::List => {
            let list = client.get("/variables")?;
            if json_output {
                output::print_json(&list);
            } else {
                print_list(&list);
            }
        }
        VariablesCommand::Delete { key } => {
            client.delete(&path(&key))?;
            if json_output {
                output::print_json(&json!({ "deleted": key }));
            } else {
                println!("variable {key} deleted");
            }
        }
    }
    Ok(())
}

fn path(key: &str) -> String {
    format!("/variables/{}", segment(key))
}

fn print_list(list: &Value) {
    let variables = list["variables"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if variables.is_empty() {
        println!("no variables");
    }
    for v in variables {
        let key = v["key"].as_str().unwrap_or("?");
        let value = v["value"].as_str().unwrap_or_default();
        match v["description"].as_str().filter(|d| !d.is_empty()) {
            Some(description) => println!("{key} = {value}  # {description}"),
            None => println!("{key} = {value}"),
        }
    }
}
