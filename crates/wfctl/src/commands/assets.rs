//! `wfctl assets ...`: the assets tasks update and DAGs wait for, their events, and events
//! posted for data updated outside Weft.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::{Value, json};

use crate::client::{Client, ServerArgs, query_value};
use crate::commands::dags::parse_object;
use crate::exit::CommandResult;
use crate::output::{Format, show};

/// Assets on a Weft server: list them with their producers and consumers, list their events,
/// and post an event for data updated outside Weft.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: AssetsCommand,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t, global = true)]
    output: Format,
}

#[derive(Debug, Subcommand)]
enum AssetsCommand {
    /// List the assets: the tasks that update each, the DAGs it starts, its events.
    List,
    /// List asset events, newest first.
    Events {
        /// Only this asset's events.
        #[arg(long)]
        uri: Option<String>,
        /// At most this many (1 to 1000).
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Post an event: the asset was updated outside Weft. It starts the runs of the DAGs
    /// waiting for it once their other assets are updated too.
    Post {
        /// The asset's URI (`s3://bucket/key`, ...).
        uri: String,
        /// Data for the runs it starts: a JSON object.
        #[arg(long, value_name = "JSON")]
        extra: Option<String>,
    },
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = Client::from_args(&args.server)?;
    let value = match args.command {
        AssetsCommand::List => {
            let list = client.get("/assets")?;
            show(args.output, &list, print_assets);
            return Ok(());
        }
        AssetsCommand::Events { uri, limit } => {
            let mut path = format!("/assets/events?limit={limit}");
            if let Some(uri) = uri {
                path.push_str(&format!("&uri={}", query_value(&uri)));
            }
            client.get(&path)?
        }
        AssetsCommand::Post { uri, extra } => {
            let extra = extra
                .as_deref()
                .map(|text| parse_object("extra", text))
                .transpose()?;
            let mut body = json!({ "uri": uri });
            if let Some(extra) = extra {
                body["extra"] = extra;
            }
            let event = client.post("/assets/events", &body)?;
            show(args.output, &event, |e| {
                println!(
                    "posted event {} of asset {}",
                    e["id"],
                    e["uri"].as_str().unwrap_or("?")
                );
            });
            return Ok(());
        }
    };
    show(args.output, &value, print_events);
    Ok(())
}

fn list<'v>(value: &'v Value, field: &str) -> &'v [Value] {
    value[field].as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// One paragraph per asset: its producers, consumers and events.
fn print_assets(value: &Value) {
    let assets = list(value, "assets");
    if assets.is_empty() {
        println!("no assets: no DAG names one and none has events");
    }
    for asset in assets {
        println!("{}", asset["uri"].as_str().unwrap_or("?"));
        let producers: Vec<String> = list(asset, "producers")
            .iter()
            .map(|p| {
                format!(
                    "{}.{}",
                    p["dag_id"].as_str().unwrap_or("?"),
                    p["task_id"].as_str().unwrap_or("?")
                )
            })
            .collect();
        let consumers: Vec<&str> = list(asset, "consumers")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let or_none = |items: String| {
            if items.is_empty() {
                "none".to_owned()
            } else {
                items
            }
        };
        println!("  updated by  {}", or_none(producers.join(", ")));
        println!("  starts      {}", or_none(consumers.join(", ")));
        match asset["last_event_at"].as_str() {
            Some(last) => println!("  events      {}, latest {last}", asset["events"]),
            None => println!("  events      none"),
        }
    }
}

/// One line per event: id, time, asset, where it came from, and its extra.
fn print_events(value: &Value) {
    for event in list(value, "events") {
        let source = &event["source"];
        let from = if source.is_null() {
            "posted".to_owned()
        } else {
            format!(
                "{} {} {}",
                source["dag_id"].as_str().unwrap_or("?"),
                source["run_id"].as_str().unwrap_or("?"),
                source["task_id"].as_str().unwrap_or("?")
            )
        };
        println!(
            "{:>6}  {}  {}  {from}  {}",
            event["id"],
            event["created_at"].as_str().unwrap_or("?"),
            event["uri"].as_str().unwrap_or("?"),
            event["extra"]
        );
    }
}
