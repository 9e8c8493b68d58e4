//! `wfctl dags ...`: list, show, pause, unpause, trigger and backfill DAGs on a server, and
//! list a DAG's versions.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::{Value, json};

use crate::client::{Client, ServerArgs, segment};
use crate::commands::runs;
use crate::exit::{CommandResult, Failure};
use crate::output::{Format, show};

/// Manage the DAGs deployed on a Weft server.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: DagsCommand,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t, global = true)]
    output: Format,
}

#[derive(Debug, Subcommand)]
enum DagsCommand {
    /// List the DAGs.
    List,
    /// Show a DAG: its settings and tasks.
    Show {
        /// The DAG's id.
        dag: String,
    },
    /// List a DAG's next scheduled runs, in its time zone and in UTC.
    Next {
        /// The DAG's id.
        dag: String,
        /// How many (1 to 100).
        #[arg(long, default_value_t = 10)]
        count: u32,
    },
    /// List the components deployed as a DAG, newest first, marking the current one.
    Versions {
        /// The DAG's id.
        dag: String,
    },
    /// Pause a DAG: no scheduled runs, and its runs' tasks are not queued.
    Pause {
        /// The DAG's id.
        dag: String,
    },
    /// Unpause a DAG.
    Unpause {
        /// The DAG's id.
        dag: String,
    },
    /// Trigger a run of a DAG.
    Trigger(TriggerArgs),
    /// Create the runs of a DAG's schedule between two logical dates (both included).
    Backfill {
        /// The DAG's id.
        dag: String,
        /// First logical date, RFC 3339 (like 2024-01-01T00:00:00Z).
        #[arg(long)]
        start: String,
        /// Last logical date, RFC 3339.
        #[arg(long)]
        end: String,
    },
}

/// What to trigger.
#[derive(Debug, ClapArgs)]
struct TriggerArgs {
    /// The DAG's id.
    dag: String,
    /// The run's configuration: a JSON object.
    #[arg(long, value_name = "JSON")]
    conf: Option<String>,
    /// The run's logical date, RFC 3339 (default: now).
    #[arg(long, value_name = "RFC3339")]
    logical_date: Option<String>,
    /// The run's id (default: `manual__<logical date>`).
    #[arg(long, value_name = "ID")]
    run_id: Option<String>,
    /// Wait for the run to finish, showing each task's state as it changes; exit 1 if the
    /// run fails.
    #[arg(long)]
    wait: bool,
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = Client::from_args(&args.server)?;
    let format = args.output;
    match args.command {
        DagsCommand::List => {
            let list = client.get("/dags")?;
            show(format, &list, print_list);
        }
        DagsCommand::Show { dag } => {
            let detail = client.get(&format!("/dags/{}", segment(&dag)))?;
            show(format, &detail, print_detail);
        }
        DagsCommand::Next { dag, count } => {
            let next = client.get(&format!("/dags/{}/next-runs?count={count}", segment(&dag)))?;
            show(format, &next, print_next_runs);
        }
        DagsCommand::Versions { dag } => {
            let list = client.get(&format!("/dags/{}/versions", segment(&dag)))?;
            show(format, &list, print_versions);
        }
        DagsCommand::Pause { dag } => set_paused(&client, format, &dag, true)?,
        DagsCommand::Unpause { dag } => set_paused(&client, format, &dag, false)?,
        DagsCommand::Trigger(trigger_args) => return trigger(&client, format, trigger_args),
        DagsCommand::Backfill { dag, start, end } => {
            let body = json!({ "start": start, "end": end });
            let list = client.post(&format!("/dags/{}/backfill", segment(&dag)), &body)?;
            show(format, &list, |list| {
                let count = list["runs"].as_array().map_or(0, Vec::len);
                println!("created {count} run(s)");
                runs::print_run_list(list);
            });
        }
    }
    Ok(())
}

fn set_paused(client: &Client, format: Format, dag: &str, paused: bool) -> CommandResult {
    let summary = client.patch(
        &format!("/dags/{}", segment(dag)),
        &json!({ "paused": paused }),
    )?;
    show(format, &summary, |s| {
        let word = if paused { "paused" } else { "unpaused" };
        println!("DAG {} {word}", s["dag_id"].as_str().unwrap_or(dag));
    });
    Ok(())
}

/// The value of flag `--{flag}` as a JSON object, or the usage failure naming what is wrong.
pub fn parse_object(flag: &str, text: &str) -> Result<Value, Failure> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Failure::usage(format!("invalid --{flag}: not JSON: {e}")))?;
    if !value.is_object() {
        return Err(Failure::usage(format!(
            "invalid --{flag}: must be a JSON object, not {value}"
        )));
    }
    Ok(value)
}

fn trigger(client: &Client, format: Format, args: TriggerArgs) -> CommandResult {
    let mut body = serde_json::Map::new();
    if let Some(conf) = &args.conf {
        body.insert("conf".into(), parse_object("conf", conf)?);
    }
    if let Some(date) = args.logical_date {
        body.insert("logical_date".into(), Value::String(date));
    }
    if let Some(id) = args.run_id {
        body.insert("run_id".into(), Value::String(id));
    }
    let path = format!("/dags/{}/runs", segment(&args.dag));
    let run = client.post(&path, &Value::Object(body))?;
    let run_id = run["run_id"].as_str().unwrap_or_default().to_owned();
    if !args.wait {
        show(format, &run, |r| {
            println!(
                "triggered run {run_id} of DAG {} ({})",
                args.dag,
                r["state"].as_str().unwrap_or("?")
            );
        });
        return Ok(());
    }
    if format == Format::Text {
        println!("triggered run {run_id} of DAG {}", args.dag);
    }
    runs::wait(client, format, &args.dag, &run_id)
}

fn print_list(list: &Value) {
    let dags = list["dags"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if dags.is_empty() {
        println!("no DAGs deployed (deploy one with wfctl deploy DAG.wasm)");
        return;
    }
    let width = dags
        .iter()
        .filter_map(|d| d["dag_id"].as_str())
        .map(str::len)
        .max()
        .unwrap_or(0);
    for dag in dags {
        let paused = if dag["paused"].as_bool() == Some(true) {
            "paused"
        } else {
            "active"
        };
        println!(
            "{:<width$}  {paused:<6}  {:>3} task(s)  schedule {}",
            dag["dag_id"].as_str().unwrap_or("?"),
            dag["task_count"],
            dag["schedule"].as_str().unwrap_or("none"),
        );
    }
}

/// The header and one line per upcoming run.
fn print_next_runs(next: &Value) {
    let dag = next["dag_id"].as_str().unwrap_or("?");
    let assets: Vec<&str> = next["assets"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !assets.is_empty() {
        println!(
            "DAG {dag} runs each time all of these assets have been updated: {}",
            assets.join(", ")
        );
    }
    let Some(schedule) = next["schedule"].as_str() else {
        if assets.is_empty() {
            println!("DAG {dag} has no schedule: its runs are triggered by hand");
        }
        return;
    };
    let zone = next["timezone"].as_str().unwrap_or("UTC");
    println!("next runs of DAG {dag} ({schedule}, in {zone})");
    if next["paused"] == true {
        println!("  paused: none of these runs is created until the DAG is unpaused");
    }
    if next["continuous"] == true {
        println!("  runs continuously: a new run starts as soon as one ends");
    }
    let runs = next["runs"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if runs.is_empty() && next["continuous"] != true {
        println!("  none: the schedule has no further run");
    }
    // The zone from the database built into wfctl, as the server and scheduler read it.
    let tz = weft_model::time_zone::find(zone).ok();
    for run in runs {
        println!("  {}", next_run_line(run, tz.as_ref()));
    }
}

/// `local time (UTC)  runs after end`, for one upcoming run, local in `tz`.
fn next_run_line(run: &Value, tz: Option<&jiff::tz::TimeZone>) -> String {
    let local = run["logical_date"]
        .as_str()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .zip(tz)
        .map_or_else(
            || "?".to_owned(),
            |(t, tz)| t.to_zoned(tz.clone()).strftime("%F %T %Z").to_string(),
        );
    format!(
        "{local}  ({})  runs after {}",
        run["logical_date"].as_str().unwrap_or("?"),
        run["data_interval_end"].as_str().unwrap_or("?"),
    )
}

/// One line per version: `*` for the current one, digest, tasks, size and deploy time.
fn print_versions(list: &Value) {
    println!(
        "versions of DAG {}, newest first",
        list["dag_id"].as_str().unwrap_or("?")
    );
    for version in list["versions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        println!("{}", version_line(version));
    }
}

fn version_line(version: &Value) -> String {
    let mark = if version["current"] == true { '*' } else { ' ' };
    let size = version["size"]
        .as_u64()
        .map_or_else(|| "?".to_owned(), weft_model::format_size);
    format!(
        "{mark} {}  {} task(s)  {size}  deployed {}",
        version["digest"].as_str().unwrap_or("?"),
        version["task_count"],
        version["created_at"].as_str().unwrap_or("?"),
    )
}

fn print_detail(dag: &Value) {
    println!("DAG {}", dag["dag_id"].as_str().unwrap_or("?"));
    println!("  digest       {}", dag["digest"].as_str().unwrap_or("?"));
    if let Some(text) = dag["description"].as_str().filter(|t| !t.is_empty()) {
        println!("  description  {text}");
    }
    println!(
        "  paused       {}",
        dag["paused"].as_bool().unwrap_or(false)
    );
    println!(
        "  schedule     {}",
        dag["schedule"]
            .as_str()
            .unwrap_or("none (triggered by hand)")
    );
    println!(
        "  time zone    {}",
        dag["timezone"].as_str().unwrap_or("UTC")
    );
    let tasks = dag["tasks"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    println!("  tasks        {} (in dependency order)", tasks.len());
    for task in tasks {
        let upstream: Vec<&str> = task["upstream"]
            .as_array()
            .map(|u| u.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let arrow = if upstream.is_empty() {
            String::new()
        } else {
            format!(" <- {}", upstream.join(", "))
        };
        println!(
            "    {}{arrow}\n        trigger {}, queue {}, pool {}, retries {}",
            task["task_id"].as_str().unwrap_or("?"),
            task["trigger_rule"].as_str().unwrap_or("?"),
            task["queue"].as_str().unwrap_or("?"),
            task["pool"].as_str().unwrap_or("?"),
            task["retries"],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_lines_mark_the_current_one() {
        let current = json!({
            "digest": "sha256:ab", "size": 2048, "task_count": 4,
            "created_at": "2024-01-01T00:00:00Z", "current": true
        });
        assert_eq!(
            version_line(&current),
            format!(
                "* sha256:ab  4 task(s)  {}  deployed 2024-01-01T00:00:00Z",
                weft_model::format_size(2048)
            )
        );
        let old = json!({"digest": "sha256:cd", "size": 1, "task_count": 1,
            "created_at": "2023-12-31T00:00:00Z", "current": false});
        assert!(version_line(&old).starts_with("  sha256:cd  1 task(s)"));
        assert!(version_line(&json!({})).starts_with("  ?  null task(s)  ?"));
    }
}
