//! `wfctl assets ...`: the assets tasks update and DAGs wait for, their events, and events
//! posted for data updated outside Weft.

use clap::{Args as ClapArgs, Subcommand};
use weft_client::api::assets::{AssetEventList, AssetList, PostAssetEvent};

use crate::client::ServerArgs;
use crate::commands::dags::parse_object;
use crate::exit::CommandResult;
use crate::output::{Format, show_body};

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
    let client = crate::client::connect(&args.server)?;
    match args.command {
        AssetsCommand::List => {
            let list = client.assets()?;
            show_body(args.output, &list, print_assets);
        }
        AssetsCommand::Events { uri, limit } => {
            let list = client.asset_events(uri.as_deref(), limit)?;
            show_body(args.output, &list, print_events);
        }
        AssetsCommand::Post { uri, extra } => {
            let extra = extra
                .as_deref()
                .map(|text| parse_object("extra", text))
                .transpose()?;
            let event = client.post_asset_event(&PostAssetEvent { uri, extra })?;
            show_body(args.output, &event, |e| {
                println!("posted event {} of asset {}", e.id, e.uri);
            });
        }
    }
    Ok(())
}

/// One paragraph per asset: its producers, consumers and events.
fn print_assets(list: &AssetList) {
    if list.assets.is_empty() {
        println!("no assets: no DAG names one and none has events");
    }
    for asset in &list.assets {
        println!("{}", asset.uri);
        let producers: Vec<String> = asset
            .producers
            .iter()
            .map(|p| format!("{}.{}", p.dag_id, p.task_id))
            .collect();
        let or_none = |items: String| {
            if items.is_empty() {
                "none".to_owned()
            } else {
                items
            }
        };
        println!("  updated by  {}", or_none(producers.join(", ")));
        println!("  starts      {}", or_none(asset.consumers.join(", ")));
        match asset.last_event_at {
            Some(last) => println!("  events      {}, latest {last}", asset.events),
            None => println!("  events      none"),
        }
    }
}

/// One line per event: id, time, asset, where it came from, and its extra.
fn print_events(list: &AssetEventList) {
    for event in &list.events {
        let from = match &event.source {
            None => "posted".to_owned(),
            Some(source) => format!("{} {} {}", source.dag_id, source.run_id, source.task_id),
        };
        // The id is printed as it always was, without padding.
        println!(
            "{}  {}  {}  {from}  {}",
            event.id, event.created_at, event.uri, event.extra
        );
    }
}
