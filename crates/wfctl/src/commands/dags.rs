//! `wfctl dags ...`: list, show, pause, unpause, trigger and backfill DAGs on a server, and
//! list a DAG's versions.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::Value;
use weft_client::api::dags::{
    DagDetail, DagList, NextRun, NextRuns, PatchDag, VersionList, VersionView,
};
use weft_client::api::runs::{BackfillBody, TriggerBody};

use crate::client::{Client, ServerArgs};
use crate::commands::runs;
use crate::exit::{CommandResult, Failure};
use crate::output::{Format, show_body};

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
    let client = crate::client::connect(&args.server)?;
    let format = args.output;
    match args.command {
        DagsCommand::List => {
            let list = client.dags()?;
            show_body(format, &list, print_list);
        }
        DagsCommand::Show { dag } => {
            let detail = client.dag(&dag)?;
            show_body(format, &detail, print_detail);
        }
        DagsCommand::Next { dag, count } => {
            let next = client.next_runs(&dag, count)?;
            show_body(format, &next, print_next_runs);
        }
        DagsCommand::Versions { dag } => {
            let list = client.versions(&dag)?;
            show_body(format, &list, print_versions);
        }
        DagsCommand::Pause { dag } => set_paused(&client, format, &dag, true)?,
        DagsCommand::Unpause { dag } => set_paused(&client, format, &dag, false)?,
        DagsCommand::Trigger(trigger_args) => return trigger(&client, format, trigger_args),
        DagsCommand::Backfill { dag, start, end } => {
            let list = client.backfill(&dag, &BackfillBody { start, end })?;
            show_body(format, &list, |list| {
                println!("created {} run(s)", list.runs.len());
                runs::print_run_list(list);
            });
        }
    }
    Ok(())
}

fn set_paused(client: &Client, format: Format, dag: &str, paused: bool) -> CommandResult {
    let summary = client.patch_dag(dag, &PatchDag { paused })?;
    show_body(format, &summary, |s| {
        let word = if paused { "paused" } else { "unpaused" };
        println!("DAG {} {word}", s.dag_id);
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
    let body = TriggerBody {
        conf: args
            .conf
            .as_deref()
            .map(|conf| parse_object("conf", conf))
            .transpose()?,
        logical_date: args.logical_date,
        run_id: args.run_id,
    };
    let run = client.trigger(&args.dag, &body)?;
    if !args.wait {
        show_body(format, &run, |r| {
            println!(
                "triggered run {} of DAG {} ({})",
                r.run_id, args.dag, r.state
            );
        });
        return Ok(());
    }
    if format == Format::Text {
        println!("triggered run {} of DAG {}", run.run_id, args.dag);
    }
    runs::wait(client, format, &args.dag, &run.run_id)
}

fn print_list(list: &DagList) {
    let dags = &list.dags;
    if dags.is_empty() {
        println!("no DAGs deployed (deploy one with wfctl deploy DAG.wasm)");
        return;
    }
    let width = dags.iter().map(|d| d.dag_id.len()).max().unwrap_or(0);
    for dag in dags {
        let paused = if dag.paused { "paused" } else { "active" };
        // The count is printed as it always was, without padding.
        println!(
            "{:<width$}  {paused:<6}  {} task(s)  schedule {}",
            dag.dag_id,
            dag.task_count,
            dag.schedule.as_deref().unwrap_or("none"),
        );
    }
}

/// The header and one line per upcoming run.
fn print_next_runs(next: &NextRuns) {
    let dag = &next.dag_id;
    if !next.assets.is_empty() {
        println!(
            "DAG {dag} runs each time all of these assets have been updated: {}",
            next.assets.join(", ")
        );
    }
    let Some(schedule) = &next.schedule else {
        if next.assets.is_empty() {
            println!("DAG {dag} has no schedule: its runs are triggered by hand");
        }
        return;
    };
    let zone = &next.timezone;
    println!("next runs of DAG {dag} ({schedule}, in {zone})");
    if next.paused {
        println!("  paused: none of these runs is created until the DAG is unpaused");
    }
    if next.continuous {
        println!("  runs continuously: a new run starts as soon as one ends");
    }
    if next.runs.is_empty() && !next.continuous {
        println!("  none: the schedule has no further run");
    }
    // The zone from the database built into wfctl, as the server and scheduler read it.
    let tz = weft_model::time_zone::find(zone).ok();
    for run in &next.runs {
        println!("  {}", next_run_line(run, tz.as_ref()));
    }
}

/// `local time (UTC)  runs after end`, for one upcoming run, local in `tz`.
fn next_run_line(run: &NextRun, tz: Option<&jiff::tz::TimeZone>) -> String {
    let local = tz.map_or_else(
        || "?".to_owned(),
        |tz| {
            run.logical_date
                .to_zoned(tz.clone())
                .strftime("%F %T %Z")
                .to_string()
        },
    );
    format!(
        "{local}  ({})  runs after {}",
        run.logical_date, run.data_interval_end,
    )
}

/// One line per version: `*` for the current one, digest, tasks, size and deploy time.
fn print_versions(list: &VersionList) {
    println!("versions of DAG {}, newest first", list.dag_id);
    for version in &list.versions {
        println!("{}", version_line(version));
    }
}

fn version_line(version: &VersionView) -> String {
    let mark = if version.current { '*' } else { ' ' };
    let size = u64::try_from(version.size).map_or_else(|_| "?".to_owned(), weft_model::format_size);
    format!(
        "{mark} {}  {} task(s)  {size}  deployed {}",
        version.digest, version.task_count, version.created_at,
    )
}

fn print_detail(dag: &DagDetail) {
    let summary = &dag.dag;
    println!("DAG {}", summary.dag_id);
    println!("  digest       {}", summary.digest);
    if !summary.description.is_empty() {
        println!("  description  {}", summary.description);
    }
    println!("  paused       {}", summary.paused);
    println!(
        "  schedule     {}",
        summary
            .schedule
            .as_deref()
            .unwrap_or("none (triggered by hand)")
    );
    println!("  time zone    {}", summary.timezone);
    println!("  tasks        {} (in dependency order)", dag.tasks.len());
    for task in &dag.tasks {
        let arrow = if task.upstream.is_empty() {
            String::new()
        } else {
            format!(" <- {}", task.upstream.join(", "))
        };
        println!(
            "    {}{arrow}\n        trigger {}, queue {}, pool {}, retries {}",
            task.task_id,
            task.trigger_rule.as_str(),
            task.queue,
            task.pool,
            task.retries,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_lines_mark_the_current_one() {
        let version = |digest: &str, size, current| VersionView {
            digest: digest.to_owned(),
            size,
            task_count: 4,
            created_at: "2024-01-01T00:00:00Z".parse().expect("a time"),
            current,
        };
        assert_eq!(
            version_line(&version("sha256:ab", 2048, true)),
            format!(
                "* sha256:ab  4 task(s)  {}  deployed 2024-01-01T00:00:00Z",
                weft_model::format_size(2048)
            )
        );
        assert!(
            version_line(&version("sha256:cd", 1, false)).starts_with("  sha256:cd  4 task(s)")
        );
    }
}
