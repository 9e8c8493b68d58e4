//! `wfctl tasks ...`: read a task's log and clear tasks so they run again.

use std::io::Write as _;

use clap::{Args as ClapArgs, Subcommand};
use serde_json::{Value, json};
use weft_runtime::{LogLine, LogSource};

use crate::client::{Client, ServerArgs, segment};
use crate::exit::CommandResult;
use crate::output::{self, Format};

/// Inspect and clear the task instances of runs on a Weft server.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: TasksCommand,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t, global = true)]
    output: Format,
}

#[derive(Debug, Subcommand)]
enum TasksCommand {
    /// Print the log of a task's attempt (the latest unless --try says otherwise).
    Logs {
        /// The DAG's id.
        dag: String,
        /// The run's id.
        run_id: String,
        /// The task's id.
        task: String,
        /// The attempt, counted from 1.
        #[arg(long = "try", value_name = "N")]
        try_number: Option<u32>,
    },
    /// Clear tasks of a run so that they run again.
    Clear {
        /// The DAG's id.
        dag: String,
        /// The run's id.
        run_id: String,
        /// The tasks to clear.
        #[arg(required = true)]
        tasks: Vec<String>,
        /// Clear their downstream tasks too.
        #[arg(long)]
        downstream: bool,
    },
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = Client::from_args(&args.server);
    match args.command {
        TasksCommand::Logs {
            dag,
            run_id,
            task,
            try_number,
        } => {
            let mut path = format!(
                "/dags/{}/runs/{}/tasks/{}/logs",
                segment(&dag),
                segment(&run_id),
                segment(&task)
            );
            if let Some(n) = try_number {
                path.push_str(&format!("?try={n}"));
            }
            let log = client.get(&path)?;
            match args.output {
                Format::Json => output::print_json(&log),
                Format::Text => print_log(&log),
            }
        }
        TasksCommand::Clear {
            dag,
            run_id,
            tasks,
            downstream,
        } => {
            let path = format!("/dags/{}/runs/{}/clear", segment(&dag), segment(&run_id));
            let body = json!({ "task_ids": tasks, "downstream": downstream });
            let cleared = client.post(&path, &body)?;
            match args.output {
                Format::Json => output::print_json(&cleared),
                Format::Text => println!("cleared {} task instance(s)", cleared["cleared"]),
            }
        }
    }
    Ok(())
}

/// The log's lines on stdout, formatted like a local run's log.
fn print_log(log: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "log of task {}, attempt {}",
        log["task_id"].as_str().unwrap_or("?"),
        log["try_number"]
    );
    for line in log["lines"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let _ = writeln!(out, "{}", format_line(line));
    }
}

/// One stored log line as text; a line that is not a log record is shown as it is.
fn format_line(line: &Value) -> String {
    match serde_json::from_value::<LogLine>(line.clone()) {
        Ok(line) => {
            let source = match line.source {
                LogSource::Task => "",
                LogSource::Stdout => " stdout",
                LogSource::Stderr => " stderr",
            };
            format!(
                "[+{:>9.3}ms] {:<5}{source} {}",
                line.offset.as_secs_f64() * 1000.0,
                line.level.as_str().to_uppercase(),
                line.message
            )
        }
        Err(_) => match line.as_str() {
            Some(text) => text.to_owned(),
            None => line.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_formatted_like_local_runs() {
        let line = json!({
            "offset": {"secs": 0, "nanos": 1_500_000},
            "level": "warn",
            "source": "stderr",
            "message": "careful"
        });
        assert_eq!(format_line(&line), "[+    1.500ms] WARN  stderr careful");
        assert_eq!(format_line(&json!("raw text")), "raw text");
        assert_eq!(format_line(&json!({"odd": 1})), r#"{"odd":1}"#);
    }
}
