//! `wfctl runs ...`: list and show DAG runs on a server; waiting for a run to finish.

use std::collections::HashMap;
use std::time::Duration;

use clap::{Args as ClapArgs, Subcommand};
use weft_client::api::notifications::NotificationList;
use weft_client::api::runs::{RunList, RunView};
use weft_client::{RunDetail, RunFilter, TaskInstance};
use weft_model::{DagRunState, TaskState};

use crate::client::{Client, ServerArgs};
use crate::exit::{CommandResult, Failure};
use crate::output::{self, Format};

/// How long each of `--wait`'s requests asks the server to hold its answer until the run
/// ends; task progress is printed between two.
const WAIT_SLICE: Duration = Duration::from_millis(250);

/// Inspect the DAG runs on a Weft server.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: RunsCommand,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t, global = true)]
    output: Format,
}

#[derive(Debug, Subcommand)]
enum RunsCommand {
    /// List runs, newest logical date first.
    List {
        /// Only this DAG's runs.
        #[arg(long)]
        dag: Option<String>,
        #[arg(long, help = format!("Only runs in this state ({}).", DagRunState::NAMES.join(", ")))]
        state: Option<String>,
        /// At most this many runs (default 100, at most 1000).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Show a run and the state of each of its tasks.
    Show {
        /// The DAG's id.
        dag: String,
        /// The run's id.
        run_id: String,
    },
    /// Show a run's notifications (webhooks and emails of its task and run events) and how
    /// their delivery went.
    Notifications {
        /// The DAG's id.
        dag: String,
        /// The run's id.
        run_id: String,
    },
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = crate::client::connect(&args.server)?;
    match args.command {
        RunsCommand::List { dag, state, limit } => {
            let list = client.runs(&RunFilter {
                dag_id: dag.as_deref(),
                state: state.as_deref(),
                limit,
            })?;
            output::show_body(args.output, &list, print_run_list);
        }
        RunsCommand::Show { dag, run_id } => {
            let detail = client.run(&dag, &run_id, None)?;
            output::show_body(args.output, &detail, print_detail);
        }
        RunsCommand::Notifications { dag, run_id } => {
            let list = client.notifications(&dag, &run_id)?;
            output::show_body(args.output, &list, print_notifications);
        }
    }
    Ok(())
}

/// Print a list of runs, one line each.
pub fn print_run_list(list: &RunList) {
    if list.runs.is_empty() {
        println!("no runs");
    }
    for run in &list.runs {
        println!(
            "{}  {}  {:<8}  logical date {}",
            run.dag_id,
            run.run_id,
            run.state.as_str(),
            run.logical_date,
        );
    }
}

fn print_detail(detail: &RunDetail) {
    let run = &detail.run;
    println!(
        "run {} of DAG {}: {}",
        run.run_id,
        run.dag_id,
        run.state.as_str()
    );
    println!("  logical date  {}", run.logical_date);
    println!("  digest        {}", run.digest);
    if let Some(ms) = run_duration_ms(run) {
        println!("  duration      {ms} ms");
    }
    let width = task_width(&detail.task_instances);
    for ti in &detail.task_instances {
        println!("{}", task_line(ti, width));
    }
}

/// Print a run's notifications, one line each:
/// `event  [task try N]  kind conn_id [-> to]  state  attempts N  [error]`.
fn print_notifications(list: &NotificationList) {
    if list.notifications.is_empty() {
        println!("no notifications");
    }
    for n in &list.notifications {
        let mut line = format!("{:<12}", n.event);
        if let Some(task) = &n.task_id {
            line.push_str(&format!("  {task} try {}", number(n.try_number)));
        }
        line.push_str(&format!("  {} {}", n.kind, n.conn_id));
        if !n.to.is_empty() {
            line.push_str(&format!(" -> {}", n.to.join(", ")));
        }
        line.push_str(&format!("  {}  attempts {}", n.state, n.attempts));
        if let Some(error) = &n.last_error {
            line.push_str(&format!("  [{error}]"));
        }
        println!("{line}");
    }
}

/// A number the server may leave out, printed as its JSON was (`null` when none).
fn number<T: std::fmt::Display>(n: Option<T>) -> String {
    n.map_or_else(|| "null".to_owned(), |n| n.to_string())
}

fn task_width(tasks: &[TaskInstance]) -> usize {
    tasks.iter().map(|t| task_label(t).len()).max().unwrap_or(0)
}

/// A task instance as people name it: `task`, or `task[k]` for instance `k` of a mapped task.
fn task_label(ti: &TaskInstance) -> String {
    match ti.map_index {
        Some(k) => format!("{}[{k}]", ti.task_id),
        None => ti.task_id.clone(),
    }
}

/// `  task  state  [12 ms]  [class: error]` for one task instance.
fn task_line(ti: &TaskInstance, width: usize) -> String {
    let mut line = format!("  {:<width$}  {}", task_label(ti), ti.state.as_str());
    if let Some(ms) = ti.duration_ms {
        line.push_str(&format!("  {ms} ms"));
    }
    if let Some(n) = ti.map_count {
        line.push_str(&format!("  mapped over {n} items"));
    }
    let next_retry_at = || {
        ti.next_retry_at
            .map_or_else(|| "-".to_owned(), |at| at.to_string())
    };
    match ti.state {
        TaskState::Deferred => {
            if let Some(deferral) = &ti.deferral {
                line.push_str(&format!("  waiting for {}", deferral.wait));
            }
        }
        TaskState::UpForReschedule => line.push_str(&format!(
            "  poked {} times, next at {}",
            ti.pokes,
            next_retry_at()
        )),
        TaskState::UpForRetry => line.push_str(&format!("  retry at {}", next_retry_at())),
        _ => {}
    }
    if let Some(error) = &ti.error {
        let class = ti.error_class.as_deref().unwrap_or("error");
        line.push_str(&format!("  [{class}] {error}"));
    }
    line
}

/// Milliseconds between a run's start and end, when it has both.
fn run_duration_ms(run: &RunView) -> Option<i64> {
    let (start, end) = (run.started_at?, run.ended_at?);
    Some(end.duration_since(start).as_millis() as i64)
}

/// Wait for the run to end (the server answers at once when it does), printing each task's
/// state change as it is seen; exit 1 when it fails.
pub fn wait(client: &Client, format: Format, dag: &str, run_id: &str) -> CommandResult {
    let wait_ms = u64::try_from(WAIT_SLICE.as_millis()).unwrap_or(u64::MAX);
    let mut seen: HashMap<String, TaskState> = HashMap::new();
    loop {
        let detail = client.run(dag, run_id, Some(wait_ms))?;
        if format == Format::Text {
            let width = task_width(&detail.task_instances);
            for ti in &detail.task_instances {
                let id = task_label(ti);
                if ti.state != TaskState::None && seen.get(&id) != Some(&ti.state) {
                    println!("{}", task_line(ti, width));
                    seen.insert(id, ti.state);
                }
            }
        }
        let state = detail.run.state;
        if state.is_finished() {
            let succeeded = state == DagRunState::Success;
            match format {
                Format::Json => output::print_body(&detail),
                Format::Text => {
                    let took = run_duration_ms(&detail.run)
                        .map_or_else(String::new, |ms| format!(" in {ms} ms"));
                    println!("run {run_id}: {state}{took}");
                }
            }
            return if succeeded {
                Ok(())
            } else {
                Err(Failure::Failed)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task instance with `fields` over the ones every instance has.
    fn ti(fields: serde_json::Value) -> TaskInstance {
        let mut all = serde_json::json!({
            "task_id": "t", "state": "none", "try_number": 0, "max_tries": 1,
            "queue": "default", "pool": "default_pool", "priority_weight": 1, "pokes": 0
        });
        if let (Some(all), serde_json::Value::Object(fields)) = (all.as_object_mut(), fields) {
            all.extend(fields);
        }
        serde_json::from_value(all).expect("a task instance")
    }

    #[test]
    fn task_lines_name_mapped_instances_by_map_index() {
        let parent = serde_json::json!({
            "task_id": "square", "state": "running", "map_count": 3
        });
        assert_eq!(
            task_line(&ti(parent.clone()), 9),
            "  square     running  mapped over 3 items"
        );
        let instance = serde_json::json!({
            "task_id": "square", "map_index": 2, "state": "success", "duration_ms": 4
        });
        assert_eq!(
            task_line(&ti(instance.clone()), 9),
            "  square[2]  success  4 ms"
        );
    }

    #[test]
    fn task_lines_say_what_waiting_tasks_wait_for() {
        let deferred = serde_json::json!({
            "task_id": "wait_sort", "state": "deferred",
            "deferral": {"wait": {"external": {
                "wait": {"dag_id": "mall_customers", "run": {"logical_date_offset_ms": 0}},
                "run": {"logical_date": "2026-01-01T00:00:00Z"}}}}
        });
        assert_eq!(
            task_line(&ti(deferred.clone()), 9),
            "  wait_sort  deferred  waiting for DAG mall_customers run of logical date 2026-01-01T00:00:00Z"
        );
        let poking = serde_json::json!({
            "task_id": "ready", "state": "up_for_reschedule", "pokes": 3,
            "next_retry_at": "2026-01-01T00:01:00Z"
        });
        assert_eq!(
            task_line(&ti(poking.clone()), 5),
            "  ready  up_for_reschedule  poked 3 times, next at 2026-01-01T00:01:00Z"
        );
    }
}
