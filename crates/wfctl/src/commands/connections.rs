//! `wfctl connections ...`: the connections tasks use to reach outside systems. The server
//! never shows a password or the values of `extra` again once stored: `get` and `list`
//! print whether there is a password and which keys `extra` has.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::{Value, json};
use weft_client::api::connections::ConnectionList;
use weft_protocol::ConnectionInfo;

use crate::access_env;
use crate::client::{Client, ServerArgs};
use crate::exit::{CommandResult, Failure};
use crate::output::{self, Format};

/// Manage the connections on a Weft server (Airflow's connections: host, login, password,
/// extra settings), stored sealed.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: ConnectionsCommand,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t, global = true)]
    output: Format,
}

#[derive(Debug, Subcommand)]
enum ConnectionsCommand {
    /// Create or replace a connection, from its fields or from a URI in Airflow's form.
    Add(AddArgs),
    /// Show a connection (without its password or extra values).
    Get {
        /// The connection's id.
        id: String,
    },
    /// List the connections.
    List,
    /// Delete a connection.
    Delete {
        /// The connection's id.
        id: String,
    },
    /// Create or replace a connection for each `WEFT_CONN_<ID>` and `AIRFLOW_CONN_<ID>`
    /// environment variable (URI or JSON form; ids lowercased, as Airflow does).
    ImportEnv,
}

#[derive(Debug, ClapArgs)]
struct AddArgs {
    /// The connection's id, as tasks declare it.
    id: String,
    /// The whole connection as a URI, e.g. `postgres://user:p%40ss@host:5432/db?sslmode=require`.
    #[arg(long, conflicts_with_all = ["conn_type", "host", "port", "schema", "login", "password", "extra"])]
    uri: Option<String>,
    /// What it connects to: `postgres`, `aws`, `http`, ...
    #[arg(long = "type", required_unless_present = "uri")]
    conn_type: Option<String>,
    /// Host name or address.
    #[arg(long)]
    host: Option<String>,
    /// Port.
    #[arg(long)]
    port: Option<u16>,
    /// Database, bucket or path.
    #[arg(long)]
    schema: Option<String>,
    /// User name or access key.
    #[arg(long)]
    login: Option<String>,
    /// Password or secret key (stored sealed; mind your shell history, or use --uri from a
    /// file, or `import-env`).
    #[arg(long)]
    password: Option<String>,
    /// Further settings, a JSON object, e.g. `{"region_name": "eu-west-1"}`.
    #[arg(long)]
    extra: Option<String>,
    /// Free text about it; an existing connection keeps its description when left out.
    #[arg(long)]
    description: Option<String>,
}

impl AddArgs {
    /// The request body.
    fn body(self) -> Result<Value, Failure> {
        let mut body = match self.uri {
            Some(uri) => json!({ "uri": uri }),
            None => {
                let extra = self
                    .extra
                    .map(|text| {
                        serde_json::from_str::<Value>(&text)
                            .ok()
                            .filter(Value::is_object)
                            .ok_or_else(|| Failure::usage("--extra must be a JSON object"))
                    })
                    .transpose()?;
                json!({
                    "conn_type": self.conn_type, "host": self.host, "port": self.port,
                    "schema": self.schema, "login": self.login, "password": self.password,
                    "extra": extra,
                })
            }
        };
        if let Some(description) = self.description {
            body["description"] = Value::String(description);
        }
        Ok(body)
    }
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = crate::client::connect(&args.server)?;
    let json_output = args.output == Format::Json;
    match args.command {
        ConnectionsCommand::Add(add) => {
            let id = add.id.clone();
            let connection = client.put_connection(&id, &add.body()?)?;
            if json_output {
                output::print_body(&connection);
            } else {
                println!("connection {id} stored");
            }
        }
        ConnectionsCommand::Get { id } => {
            let connection = client.connection(&id)?;
            if json_output {
                output::print_body(&connection);
            } else {
                print_connection(&connection);
            }
        }
        ConnectionsCommand::List => {
            let list = client.connections()?;
            if json_output {
                output::print_body(&list);
            } else {
                print_list(&list);
            }
        }
        ConnectionsCommand::Delete { id } => {
            client.delete_connection(&id)?;
            if json_output {
                output::print_json(&json!({ "deleted": id }));
            } else {
                println!("connection {id} deleted");
            }
        }
        ConnectionsCommand::ImportEnv => import_env(&client, json_output)?,
    }
    Ok(())
}

fn import_env(client: &Client, json_output: bool) -> CommandResult {
    let found = access_env::connections(access_env::environment())?;
    if found.is_empty() && !json_output {
        println!("no WEFT_CONN_<ID> or AIRFLOW_CONN_<ID> variable set");
    }
    let mut imported = Vec::new();
    for (c, variable) in found {
        let body = json!({
            "conn_type": c.conn_type, "host": c.host, "port": c.port, "schema": c.schema,
            "login": c.login, "password": c.password, "extra": c.extra,
        });
        client.put_connection(&c.conn_id, &body)?;
        if !json_output {
            println!("connection {} imported from {variable}", c.conn_id);
        }
        imported.push(json!({ "conn_id": c.conn_id, "from": variable }));
    }
    if json_output {
        output::print_json(&json!({ "imported": imported }));
    }
    Ok(())
}

/// `login@host:port/schema`, leaving out what is not set.
fn address(c: &ConnectionInfo) -> String {
    let set = |text: &Option<String>| text.clone().filter(|s| !s.is_empty());
    let mut out = String::new();
    if let Some(login) = set(&c.login) {
        out.push_str(&login);
        out.push('@');
    }
    out.push_str(c.host.as_deref().unwrap_or(""));
    if let Some(port) = c.port {
        out.push_str(&format!(":{port}"));
    }
    if let Some(schema) = set(&c.schema) {
        out.push('/');
        out.push_str(&schema);
    }
    out
}

fn print_connection(c: &ConnectionInfo) {
    println!("{} ({})", c.conn_id, c.conn_type);
    let description = Some(c.description.clone());
    let fields = [
        ("host", &c.host),
        ("schema", &c.schema),
        ("login", &c.login),
        ("description", &description),
    ];
    for (key, value) in fields {
        if let Some(value) = value.as_deref().filter(|s| !s.is_empty()) {
            println!("  {key}: {value}");
        }
    }
    if let Some(port) = c.port {
        println!("  port: {port}");
    }
    let password = if c.has_password {
        "*** (set)"
    } else {
        "(none)"
    };
    println!("  password: {password}");
    if !c.extra_keys.is_empty() {
        println!("  extra: {} (values hidden)", c.extra_keys.join(", "));
    }
}

fn print_list(list: &ConnectionList) {
    if list.connections.is_empty() {
        println!("no connections");
    }
    for c in &list.connections {
        let password = if c.has_password { "  [password]" } else { "" };
        println!("{}  {}  {}{password}", c.conn_id, c.conn_type, address(c));
    }
}
