//! `wfctl inspect DAG.wasm`: validate a component and print its DAG.

use std::path::PathBuf;

use clap::Args as ClapArgs;
use serde_json::json;
use weft_model::Task;
use weft_runtime::DagComponent;

use crate::exit::CommandResult;
use crate::home;
use crate::output::{self, Format};

/// Load a DAG component in the sandbox, validate the DAG it describes (unique task ids, known
/// upstreams, no cycles, valid schedule and trigger rules) and print it. Exits 2 with a
/// message naming the problem when the component or its DAG is invalid.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The DAG component (.wasm), or a project directory to build first.
    component: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Format,
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let runtime = home::runtime()?;
    let component = home::load(&runtime, &args.component)?;
    match args.output {
        Format::Json => output::print_json(&dag_json(&component)),
        Format::Text => print_text(&component),
    }
    Ok(())
}

fn task_json(task: &Task) -> serde_json::Value {
    json!({
        "task_id": task.id,
        "upstream": task.upstream,
        "downstream": task.downstream,
        "trigger_rule": task.trigger_rule.as_str(),
        "queue": task.queue,
        "pool": task.pool,
        "priority_weight": task.priority_weight,
        "retries": task.retries,
        "retry_delay_ms": task.retry_delay.as_millis() as u64,
        "retry_exponential_backoff": task.retry_exponential_backoff,
        "max_retry_delay_ms": task.max_retry_delay.map(|d| d.as_millis() as u64),
        "execution_timeout_ms": task.execution_timeout.map(|d| d.as_millis() as u64),
        "resources": task.resources,
    })
}

/// The validated DAG as JSON: the spec's DAG-level fields and the resolved tasks in
/// dependency order.
pub fn dag_json(component: &DagComponent) -> serde_json::Value {
    let dag = component.dag();
    let spec = component.spec();
    json!({
        "digest": component.digest().to_string(),
        "size_bytes": component.size(),
        "dag_id": dag.id(),
        "world": format!("weft:dag@{}", component.world_version()),
        "description": spec.description,
        "schedule": spec.schedule,
        "start_date": spec.start_date,
        "timezone": weft_model::time_zone::name_of(dag.zone()),
        "next_runs": next_runs(dag).iter().map(|iv| json!({
            "logical_date": iv.logical_date(),
            "logical_date_local": iv.logical_date().to_zoned(dag.zone().clone()).to_string(),
            "data_interval_start": iv.start,
            "data_interval_end": iv.end,
        })).collect::<Vec<_>>(),
        "catchup": spec.catchup,
        "max_active_runs": spec.max_active_runs,
        "max_active_tasks": spec.max_active_tasks,
        "dagrun_timeout_ms": spec.dagrun_timeout_ms,
        "tags": spec.tags,
        "tasks": dag.tasks().iter().map(task_json).collect::<Vec<_>>(),
    })
}

/// How many upcoming runs `inspect` shows.
const NEXT_RUNS_SHOWN: usize = 5;

/// The DAG's first runs from now on, as a scheduler would create them for a new DAG.
fn next_runs(dag: &weft_model::Dag) -> Vec<weft_model::DataInterval> {
    dag.upcoming(None, jiff::Timestamp::now(), NEXT_RUNS_SHOWN)
}

fn print_text(component: &DagComponent) {
    let dag = component.dag();
    let spec = component.spec();
    println!("DAG {}", dag.id());
    println!(
        "  digest       {} ({} bytes)",
        component.digest(),
        component.size()
    );
    println!("  world        weft:dag@{}", component.world_version());
    if !spec.description.is_empty() {
        println!("  description  {}", spec.description);
    }
    println!(
        "  schedule     {}",
        spec.schedule
            .as_deref()
            .unwrap_or("none (triggered by hand)")
    );
    if let Some(start) = &spec.start_date {
        println!("  start date   {start}");
    }
    println!(
        "  time zone    {}",
        weft_model::time_zone::name_of(dag.zone())
    );
    if dag.is_continuous() {
        println!("  next runs    continuous: a new run as soon as one ends");
    }
    for (n, iv) in next_runs(dag).iter().enumerate() {
        let label = if n == 0 { "next runs" } else { "" };
        let local = iv.logical_date().to_zoned(dag.zone().clone());
        println!(
            "  {label:<12} {}  ({})",
            local.strftime("%F %T %Z"),
            iv.logical_date()
        );
    }
    println!("  catchup      {}", spec.catchup);
    let limit = |v: Option<u32>| v.map_or_else(|| "default".to_owned(), |n| n.to_string());
    println!(
        "  max active   runs {}, tasks {}",
        limit(spec.max_active_runs),
        limit(spec.max_active_tasks)
    );
    if let Some(ms) = spec.dagrun_timeout_ms {
        let timeout = weft_model::format_duration(std::time::Duration::from_millis(ms));
        println!("  run timeout  {timeout}");
    }
    if !spec.tags.is_empty() {
        println!("  tags         {}", spec.tags.join(", "));
    }
    println!("  tasks        {} (in dependency order)", dag.tasks().len());
    for task in dag.tasks() {
        let upstream = if task.upstream.is_empty() {
            String::new()
        } else {
            format!(" <- {}", task.upstream.join(", "))
        };
        println!(
            "    {}{upstream}\n        trigger {}, queue {}, pool {}, retries {}, priority {}",
            task.id,
            task.trigger_rule.as_str(),
            task.queue,
            task.pool,
            task.retries,
            task.priority_weight
        );
        let resources = &task.resources;
        let own_limits: Vec<String> = [
            task.execution_timeout
                .map(|d| format!("timeout {}", weft_model::format_duration(d))),
            resources
                .memory_bytes
                .map(|b| format!("memory {}", weft_model::format_size(b))),
            resources.fuel.map(|f| format!("fuel {f}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !own_limits.is_empty() {
            println!("        limits {}", own_limits.join(", "));
        }
        let listed = |label: &str, items: &[String]| {
            if !items.is_empty() {
                println!("        {label} {}", items.join("; "));
            }
        };
        listed("egress", &resources.egress_allowlist);
        listed("connections", &resources.connections);
        listed("secrets", &resources.secrets);
    }
}
