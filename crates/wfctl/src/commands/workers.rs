//! `wfctl workers list`: the workers known to a server, like Flower's dashboard.

use clap::{Args as ClapArgs, Subcommand};
use weft_client::api::workers::{WorkerList, WorkerStatus};

use crate::client::ServerArgs;
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
    let client = crate::client::connect(&args.server)?;
    match args.command {
        WorkersCommand::List => {
            let list = client.workers()?;
            output::show_body(args.output, &list, print_workers);
        }
    }
    Ok(())
}

fn print_workers(list: &WorkerList) {
    if list.workers.is_empty() {
        println!("no workers");
        return;
    }
    println!(
        "{:<28} {:<20} {:<8} {:<8} {:>7} {:>8} {:>8} {:>10}  QUEUES  LABELS",
        "WORKER", "HOST", "ARCH", "STATUS", "RUNNING", "DONE", "FAILED", "HEARTBEAT"
    );
    let names = |names: &[String]| -> String {
        if names.is_empty() {
            "-".to_owned()
        } else {
            names.join(",")
        }
    };
    for w in &list.workers {
        println!(
            "{:<28} {:<20} {:<8} {:<8} {:>3}/{:<3} {:>8} {:>8} {:>9}s  {}  {}",
            w.worker_id,
            w.hostname,
            w.arch,
            status(w.status),
            w.running,
            w.concurrency,
            w.finished,
            w.failed,
            format!("{:.0}", w.seconds_since_heartbeat),
            names(&w.queues),
            names(&w.labels),
        );
    }
}

/// The status as the server names it.
fn status(status: WorkerStatus) -> &'static str {
    match status {
        WorkerStatus::Alive => "alive",
        WorkerStatus::Dead => "dead",
        WorkerStatus::Stopped => "stopped",
    }
}
