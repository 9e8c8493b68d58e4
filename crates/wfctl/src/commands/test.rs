//! `wfctl test DAG.wasm`: a whole DAG run on this machine, like `airflow dags test`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args as ClapArgs;
use serde_json::json;
use weft_model::DagRunState;

use crate::exit::{CommandResult, Failure};
use crate::home;
use crate::inputs::{LimitArgs, RunInputs};
use crate::local_run::{LocalRun, TaskResult};
use crate::output::{self, Format};

/// Run every task of a DAG in dependency order, honouring trigger rules, retries and XCom.
/// Prints each task's state and duration; task logs go to stderr. Exits 0 when the run
/// succeeds, 1 when it fails. Tasks read connections from `WEFT_CONN_<ID>` /
/// `AIRFLOW_CONN_<ID>` (URI or JSON form) and secrets from `WEFT_SECRET_<NAME>` environment
/// variables.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The DAG component (.wasm), or a project directory to build first.
    component: PathBuf,
    #[command(flatten)]
    inputs: RunInputs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    egress: crate::egress::EgressArgs,
    /// Do not print task logs.
    #[arg(long, short)]
    quiet: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Format,
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let runtime = home::runtime_in(&home::dir(), args.egress.policy()?, home::LOCAL_SANDBOXES)?;
    let component = home::load(&runtime, &args.component)?;
    let local = LocalRun {
        runtime: &runtime,
        component: &component,
        conf: args.inputs.conf_json()?,
        host: Arc::new(crate::access_env::memory_host(args.inputs.variables()?)?),
        limits: &args.limits,
    };
    let dag_id = component.dag().id().to_owned();
    let text = args.output == Format::Text;
    if text {
        println!(
            "DAG {dag_id} ({}): {} tasks",
            component.digest(),
            component.dag().tasks().len()
        );
    }
    let started = Instant::now();
    let mut results = Vec::new();
    let state = local.execute(|result| {
        if text {
            print_task(result, args.quiet);
        }
        results.push(task_json(result));
    })?;
    let elapsed = started.elapsed();
    if text {
        println!(
            "DAG run {dag_id}: {} in {:.3} ms",
            state.as_str(),
            output::ms(elapsed)
        );
    } else {
        output::print_json(&json!({
            "dag_id": dag_id, "digest": component.digest().to_string(),
            "state": state.as_str(), "duration_ms": output::ms(elapsed), "tasks": results,
        }));
    }
    match state {
        DagRunState::Success => Ok(()),
        _ => Err(Failure::Failed),
    }
}

fn print_task(result: &TaskResult, quiet: bool) {
    let tries = if result.tries > 1 {
        format!(" (try {})", result.tries)
    } else {
        String::new()
    };
    println!(
        "  {:<28} {:<16} {:>10.3} ms{tries}",
        result.task_id,
        result.state.as_str(),
        output::ms(result.duration)
    );
    if !quiet {
        for log in &result.logs {
            output::print_log(log, "      ");
        }
    }
    if let Some(out) = &result.output {
        println!(
            "      -> {}",
            preview(&output::output_value(out).to_string())
        );
    }
    if let Some(failure) = &result.failure {
        println!(
            "      {}",
            output::failure_text(failure).replace('\n', "\n      ")
        );
    }
    if let Some(note) = &result.note {
        println!("      {note}");
    }
}

/// At most 200 characters of `text`, cut on a character boundary.
fn preview(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn task_json(result: &TaskResult) -> serde_json::Value {
    json!({
        "task_id": result.task_id,
        "state": result.state.as_str(),
        "tries": result.tries,
        "duration_ms": output::ms(result.duration),
        "output": result.output.as_deref().map(output::output_value),
        "error_class": result.failure.as_ref().map(|f| f.class().as_str()),
        "error": result.failure.as_ref().map(|f| f.to_string()),
        "note": result.note,
    })
}
