//! `wfctl runs ...`: list and show DAG runs on a server; waiting for a run to finish.

use std::collections::HashMap;
use std::time::Duration;

use clap::{Args as ClapArgs, Subcommand};
use serde_json::Value;
use weft_model::DagRunState;

use crate::client::{Client, ServerArgs, query_value, segment};
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
    let client = Client::from_args(&args.server)?;
    match args.command {
        RunsCommand::List { dag, state, limit } => {
            let mut query = Vec::new();
            if let Some(dag) = dag {
                query.push(format!("dag_id={}", query_value(&dag)));
            }
            if let Some(state) = state {
                query.push(format!("state={}", query_value(&state)));
            }
            if let Some(limit) = limit {
                query.push(format!("limit={limit}"));
            }
            let path = if query.is_empty() {
                "/runs".to_owned()
            } else {
                format!("/runs?{}", query.join("&"))
            };
            let list = client.get(&path)?;
            match args.output {
                Format::Json => output::print_json(&list),
                Format::Text => print_run_list(&list),
            }
        }
        RunsCommand::Show { dag, run_id } => {
            let detail = client.get(&run_path(&dag, &run_id))?;
            match args.output {
                Format::Json => output::print_json(&detail),
                Format::Text => print_detail(&detail),
            }
        }
        RunsCommand::Notifications { dag, run_id } => {
            let list = client.get(&format!("{}/notifications", run_path(&dag, &run_id)))?;
            match args.output {
                Format::Json => output::print_json(&list),
                Format::Text => print_notifications(&list),
            }
        }
    }
    Ok(())
}

fn run_path(dag: &str, run_id: &str) -> String {
    format!("/dags/{}/runs/{}", segment(dag), segment(run_id))
}

/// Print a list of runs (`{"runs": [...]}`), one line each.
pub fn print_run_list(list: &Value) {
    let runs = list["runs"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if runs.is_empty() {
        println!("no runs");
    }
    for run in runs {
        println!(
            "{}  {}  {:<8}  logical date {}",
            text(&run["dag_id"]),
            text(&run["run_id"]),
            text(&run["state"]),
            text(&run["logical_date"]),
        );
    }
}

fn print_detail(detail: &Value) {
    println!(
        "run {} of DAG {}: {}",
        text(&detail["run_id"]),
        text(&detail["dag_id"]),
        text(&detail["state"])
    );
    println!("  logical date  {}", text(&detail["logical_date"]));
    println!("  digest        {}", text(&detail["digest"]));
    if let Some(ms) = run_duration_ms(detail) {
        println!("  duration      {ms} ms");
    }
    let tasks = detail["task_instances"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let width = task_width(tasks);
    for ti in tasks {
        println!("{}", task_line(ti, width));
    }
}

/// Print a run's notifications (`{"notifications": [...]}`), one line each:
/// `event  [task try N]  kind conn_id [-> to]  state  attempts N  [error]`.
fn print_notifications(list: &Value) {
    let all = list["notifications"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if all.is_empty() {
        println!("no notifications");
    }
    for n in all {
        let mut line = format!("{:<12}", text(&n["event"]));
        if let Some(task) = n["task_id"].as_str() {
            line.push_str(&format!("  {task} try {}", n["try_number"]));
        }
        line.push_str(&format!("  {} {}", text(&n["kind"]), text(&n["conn_id"])));
        let to: Vec<&str> = n["to"]
            .as_array()
            .map(|to| to.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !to.is_empty() {
            line.push_str(&format!(" -> {}", to.join(", ")));
        }
        line.push_str(&format!(
            "  {}  attempts {}",
            text(&n["state"]),
            n["attempts"]
        ));
        if let Some(error) = n["last_error"].as_str() {
            line.push_str(&format!("  [{error}]"));
        }
        println!("{line}");
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

fn task_width(tasks: &[Value]) -> usize {
    tasks.iter().map(|t| task_label(t).len()).max().unwrap_or(0)
}

/// A task instance as people name it: `task`, or `task[k]` for instance `k` of a mapped task.
fn task_label(ti: &Value) -> String {
    match ti["map_index"].as_u64() {
        Some(k) => format!("{}[{k}]", text(&ti["task_id"])),
        None => text(&ti["task_id"]).to_owned(),
    }
}

/// `  task  state  [12 ms]  [class: error]` for one task instance.
fn task_line(ti: &Value, width: usize) -> String {
    let mut line = format!("  {:<width$}  {}", task_label(ti), text(&ti["state"]));
    if let Some(ms) = ti["duration_ms"].as_i64() {
        line.push_str(&format!("  {ms} ms"));
    }
    if let Some(n) = ti["map_count"].as_u64() {
        line.push_str(&format!("  mapped over {n} items"));
    }
    match text(&ti["state"]) {
        "deferred" => {
            if let Ok(deferral) =
                serde_json::from_value::<weft_model::Deferral>(ti["deferral"].clone())
            {
                line.push_str(&format!("  waiting for {}", deferral.wait));
            }
        }
        "up_for_reschedule" => line.push_str(&format!(
            "  poked {} times, next at {}",
            ti["pokes"].as_u64().unwrap_or(0),
            text(&ti["next_retry_at"])
        )),
        "up_for_retry" => line.push_str(&format!("  retry at {}", text(&ti["next_retry_at"]))),
        _ => {}
    }
    if let Some(error) = ti["error"].as_str() {
        let class = ti["error_class"].as_str().unwrap_or("error");
        line.push_str(&format!("  [{class}] {error}"));
    }
    line
}

/// Whether a run in `state` (its name, as the API gives it) has ended.
pub(crate) fn run_has_ended(state: &str) -> bool {
    state
        .parse::<DagRunState>()
        .is_ok_and(DagRunState::is_finished)
}

/// Milliseconds between a run's start and end, when it has both.
fn run_duration_ms(run: &Value) -> Option<i64> {
    let start: jiff::Timestamp = run["started_at"].as_str()?.parse().ok()?;
    let end: jiff::Timestamp = run["ended_at"].as_str()?.parse().ok()?;
    Some(end.duration_since(start).as_millis() as i64)
}

/// Wait for the run to end (the server answers at once when it does), printing each task's
/// state change as it is seen; exit 1 when it fails.
pub fn wait(client: &Client, format: Format, dag: &str, run_id: &str) -> CommandResult {
    let path = format!(
        "{}?wait_ms={}",
        run_path(dag, run_id),
        WAIT_SLICE.as_millis()
    );
    let mut seen: HashMap<String, String> = HashMap::new();
    loop {
        let detail = client.get(&path)?;
        let tasks = detail["task_instances"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if format == Format::Text {
            let width = task_width(tasks);
            for ti in tasks {
                let id = task_label(ti);
                let state = text(&ti["state"]).to_owned();
                if state != "none" && seen.get(&id) != Some(&state) {
                    println!("{}", task_line(ti, width));
                    seen.insert(id, state);
                }
            }
        }
        let state = text(&detail["state"]);
        if run_has_ended(state) {
            let succeeded = state == "success";
            match format {
                Format::Json => output::print_json(&detail),
                Format::Text => {
                    let took = run_duration_ms(&detail)
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

    #[test]
    fn task_lines_name_mapped_instances_by_map_index() {
        let parent = serde_json::json!({
            "task_id": "square", "state": "running", "map_count": 3
        });
        assert_eq!(
            task_line(&parent, 9),
            "  square     running  mapped over 3 items"
        );
        let instance = serde_json::json!({
            "task_id": "square", "map_index": 2, "state": "success", "duration_ms": 4
        });
        assert_eq!(task_line(&instance, 9), "  square[2]  success  4 ms");
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
            task_line(&deferred, 9),
            "  wait_sort  deferred  waiting for DAG mall_customers run of logical date 2026-01-01T00:00:00Z"
        );
        let poking = serde_json::json!({
            "task_id": "ready", "state": "up_for_reschedule", "pokes": 3,
            "next_retry_at": "2026-01-01T00:01:00Z"
        });
        assert_eq!(
            task_line(&poking, 5),
            "  ready  up_for_reschedule  poked 3 times, next at 2026-01-01T00:01:00Z"
        );
    }
}
