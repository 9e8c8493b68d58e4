//! `wfctl deploy DAG.wasm`: send a DAG component to the API server.

use std::path::PathBuf;

use clap::Args as ClapArgs;
use weft_client::api::dags::DeployResponse;

use crate::client::ServerArgs;
use crate::exit::{CommandResult, Failure};
use crate::output::{self, Format};

/// Deploy a DAG component to a Weft server. The server validates it in the sandbox and makes
/// it the DAG's current version; new runs use it. A refused component changes nothing and
/// exits 2 with the server's reason (its class first, like `invalid_component`).
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The DAG component (.wasm), or a project directory to build first.
    component: PathBuf,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Format,
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let component = crate::commands::build::component_at(&args.component)?;
    let bytes = std::fs::read(&component)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", component.display())))?;
    let client = crate::client::connect(&args.server)?;
    let deployed = client.deploy(&bytes)?;
    output::show_body(args.output, &deployed, print_text);
    Ok(())
}

fn print_text(deployed: &DeployResponse) {
    let what = if deployed.created_dag {
        "new DAG"
    } else if deployed.new_version {
        "new version"
    } else {
        "unchanged: this version was already current"
    };
    println!("deployed DAG {} ({what})", deployed.dag_id);
    println!("  digest  {}", deployed.digest);
    println!("  tasks   {}", deployed.task_count);
}
