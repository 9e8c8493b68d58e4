//! `wfctl workers list`: the workers known to a server, like Flower's dashboard.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::Value;

use crate::client::{Client, ServerArgs};
use crate::exit::CommandResult;
use crate::output::{self, Format};

/// See the workers of a Weft server: queues, load, last heartbeat, alive or dead.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: WorkersCommand,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t, global = true)]
    output: Format,
}

#[derive(Debug, Subcommand)]
enum WorkersCommand {
    /// List every worker that ever registered, alive ones first.
    List,
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = Client::from_args(&args.server)?;
    match args.command {
        WorkersCommand::List => {
            let list = client.get("/workers")?;
            match args.output {
                Format::Json => output::print_json(&list),
                Format::Text => print_workers(&list),
            }
        }
    }
    Ok(())
}

fn print_workers(list: &Value) {
    let workers = list["workers"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if workers.is_empty() {
        println!("no workers");
        return;
    }
    println!(
        "{:<28} {:<20} {:<8} {:<8} {:>7} {:>8} {:>8} {:>10}  QUEUES  LABELS",
        "WORKER", "HOST", "ARCH", "STATUS", "RUNNING", "DONE", "FAILED", "HEARTBEAT"
    );
    let names = |list: &Value| -> String {
        let names: Vec<&str> = list
            .as_array()
            .map(|q| q.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if names.is_empty() {
            "-".to_owned()
        } else {
            names.join(",")
        }
    };
    for w in workers {
        println!(
            "{:<28} {:<20} {:<8} {:<8} {:>3}/{:<3} {:>8} {:>8} {:>9}s  {}  {}",
            text(&w["worker_id"]),
            text(&w["hostname"]),
            text(&w["arch"]),
            text(&w["status"]),
            w["running"].as_u64().unwrap_or(0),
            w["concurrency"].as_u64().unwrap_or(0),
            w["finished"].as_u64().unwrap_or(0),
            w["failed"].as_u64().unwrap_or(0),
            w["seconds_since_heartbeat"]
                .as_f64()
                .map_or_else(|| "?".to_owned(), |s| format!("{s:.0}")),
            names(&w["queues"]),
            names(&w["labels"]),
        );
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}
