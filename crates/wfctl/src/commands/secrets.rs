//! `wfctl secrets ...`: the secrets tasks read. A value goes in through `--value`,
//! `--from-file` or stdin (so it need not sit in shell history) and is never shown again;
//! `rotate-key` seals everything again with the server's current key.

use std::io::{IsTerminal as _, Read as _};
use std::path::PathBuf;

use clap::{Args as ClapArgs, Subcommand};
use serde_json::json;
use weft_client::api::secrets::{PutSecret, SecretList};

use crate::client::ServerArgs;
use crate::exit::{CommandResult, Failure};
use crate::output::{self, Format};

/// Manage the secrets on a Weft server (values tasks read, stored sealed and never shown),
/// and rotate the key that seals them.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: SecretsCommand,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t, global = true)]
    output: Format,
}

#[derive(Debug, Subcommand)]
enum SecretsCommand {
    /// Create or replace a secret; its value from --value, --from-file, or else stdin.
    Set {
        /// The secret's name, as tasks declare it.
        name: String,
        /// The value (it stays in your shell history: prefer --from-file or stdin).
        #[arg(long, conflicts_with = "from_file")]
        value: Option<String>,
        /// Read the value from this file (one trailing newline is dropped).
        #[arg(long)]
        from_file: Option<PathBuf>,
        /// Free text about it; an existing secret keeps its description when left out.
        #[arg(long)]
        description: Option<String>,
    },
    /// List the secrets' names and descriptions.
    List,
    /// Delete a secret.
    Delete {
        /// The secret's name.
        name: String,
    },
    /// Seal every connection and secret again with the server's current key
    /// (`WEFT_SECRET_KEY`); afterwards the old key (in `WEFT_SECRET_KEY_PREVIOUS`) can go.
    RotateKey,
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = crate::client::connect(&args.server)?;
    let json_output = args.output == Format::Json;
    match args.command {
        SecretsCommand::Set {
            name,
            value,
            from_file,
            description,
        } => {
            let value = match (value, from_file) {
                (Some(value), _) => value,
                (None, Some(file)) => std::fs::read_to_string(&file)
                    .map(trim_newline)
                    .map_err(|e| Failure::usage(format!("cannot read {}: {e}", file.display())))?,
                (None, None) => read_stdin()?,
            };
            let secret = client.put_secret(&name, &PutSecret { value, description })?;
            if json_output {
                output::print_body(&secret);
            } else {
                println!("secret {name} set");
            }
        }
        SecretsCommand::List => {
            let list = client.secrets()?;
            if json_output {
                output::print_body(&list);
            } else {
                print_list(&list);
            }
        }
        SecretsCommand::Delete { name } => {
            client.delete_secret(&name)?;
            if json_output {
                output::print_json(&json!({ "deleted": name }));
            } else {
                println!("secret {name} deleted");
            }
        }
        SecretsCommand::RotateKey => {
            let rotation = client.rotate_secret_key()?;
            if json_output {
                output::print_body(&rotation);
            } else {
                let key_id = &rotation.key_id;
                println!(
                    "{} values sealed again with key {key_id}",
                    rotation.resealed
                );
                let others: Vec<&str> = rotation
                    .key_ids
                    .iter()
                    .map(String::as_str)
                    .filter(|id| id != key_id)
                    .collect();
                if others.is_empty() {
                    println!(
                        "no value needs the previous keys: WEFT_SECRET_KEY_PREVIOUS can be emptied"
                    );
                } else {
                    println!(
                        "values still sealed with {} (written meanwhile by a server with the old key): run it again",
                        others.join(", ")
                    );
                }
            }
        }
    }
    Ok(())
}

/// The value on stdin, without one trailing newline.
fn read_stdin() -> Result<String, Failure> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("reading the secret's value from stdin; end it with Ctrl-D");
    }
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .map_err(|e| Failure::usage(format!("cannot read the value from stdin: {e}")))?;
    Ok(trim_newline(text))
}

fn trim_newline(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}

fn print_list(list: &SecretList) {
    if list.secrets.is_empty() {
        println!("no secrets");
    }
    for s in &list.secrets {
        if s.description.is_empty() {
            println!("{}", s.name);
        } else {
            println!("{}  # {}", s.name, s.description);
        }
    }
}
