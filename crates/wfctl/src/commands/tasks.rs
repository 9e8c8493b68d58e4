//! `wfctl tasks ...`: read a task's log and XCom values, clear tasks so they run again, and
//! mark them by hand.

use std::io::Write as _;

use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use serde_json::Value;
use weft_protocol::StoredLine;

use weft_client::LogFilter;
use weft_client::api::runs::ClearBody;
use weft_client::api::tasks::{LogResponse, MarkBody, XcomEncoding, XcomView};

use crate::client::{Client, ServerArgs};
use crate::exit::{CommandResult, Failure};
use crate::output::{self, Format};

/// Inspect, clear and mark the task instances of runs on a Weft server.
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
        /// For a mapped task: the instance, by map index.
        #[arg(long, value_name = "K")]
        map_index: Option<u32>,
        /// Keep printing lines as the attempt writes them, until it ends (the lines come
        /// about every half second).
        #[arg(long, short = 'f')]
        follow: bool,
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
    /// Set a task's state by hand. An attempt in flight is fenced off (its result will be
    /// refused) and the task's downstream tasks are decided again.
    Mark {
        /// The DAG's id.
        dag: String,
        /// The run's id.
        run_id: String,
        /// The task's id.
        task: String,
        /// The state to set.
        #[arg(long, value_enum)]
        state: MarkState,
    },
    /// Show the XCom values a task stored in a run: its output (key `return_value`) and the
    /// values it pushed.
    Xcom {
        /// The DAG's id.
        dag: String,
        /// The run's id.
        run_id: String,
        /// The task's id.
        task: String,
        /// Print only the value under this key, as it is (JSON, text, or base64 for bytes).
        #[arg(long)]
        key: Option<String>,
    },
}

/// A state a task can be given by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MarkState {
    /// It succeeded: its downstream tasks may run.
    Success,
    /// It failed: its downstream tasks become upstream_failed (under the default rule).
    Failed,
    /// It was skipped.
    Skipped,
}

impl MarkState {
    fn as_str(self) -> &'static str {
        match self {
            MarkState::Success => "success",
            MarkState::Failed => "failed",
            MarkState::Skipped => "skipped",
        }
    }
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = crate::client::connect(&args.server)?;
    match args.command {
        TasksCommand::Logs {
            dag,
            run_id,
            task,
            try_number,
            map_index,
            follow,
        } => {
            if follow {
                let target = LogTarget {
                    dag: &dag,
                    run_id: &run_id,
                    task: &task,
                    try_number,
                    map_index,
                };
                return follow_log(&client, args.output, &target);
            }
            let filter = LogFilter {
                try_number,
                map_index,
            };
            let log = client.log(&dag, &run_id, &task, filter)?;
            output::show_body(args.output, &log, print_log);
        }
        TasksCommand::Clear {
            dag,
            run_id,
            tasks,
            downstream,
        } => {
            let body = ClearBody {
                task_ids: tasks,
                downstream,
            };
            let cleared = client.clear(&dag, &run_id, &body)?;
            output::show_body(args.output, &cleared, |c| {
                println!("cleared {} task instance(s)", c.cleared);
            });
        }
        TasksCommand::Mark {
            dag,
            run_id,
            task,
            state,
        } => {
            let body = MarkBody {
                state: state.as_str().to_owned(),
            };
            let ti = client.mark(&dag, &run_id, &task, &body)?;
            output::show_body(args.output, &ti, |ti| {
                println!("task {task} of run {run_id} is now {}", ti.state);
            });
        }
        TasksCommand::Xcom {
            dag,
            run_id,
            task,
            key,
        } => return xcom(&client, args.output, &dag, &run_id, &task, key.as_deref()),
    }
    Ok(())
}

/// Print the XCom values of one task of a run, or the one under `key`.
fn xcom(
    client: &Client,
    format: Format,
    dag: &str,
    run_id: &str,
    task: &str,
    key: Option<&str>,
) -> CommandResult {
    let run = client.run(dag, run_id, None)?;
    if !run.task_instances.iter().any(|ti| ti.task_id == task) {
        return Err(Failure::usage(format!(
            "run {run_id:?} of DAG {dag:?} has no task {task:?}"
        )));
    }
    let mut all = client.xcoms(dag, run_id)?;
    all.xcoms.retain(|x| x.task_id == task);
    let Some(key) = key else {
        match format {
            Format::Json => output::print_body(&all),
            Format::Text if all.xcoms.is_empty() => {
                println!("task {task} of run {run_id} stored no XCom value")
            }
            Format::Text => all.xcoms.iter().for_each(|x| println!("{}", xcom_line(x))),
        }
        return Ok(());
    };
    let value = all.xcoms.iter().find(|x| x.key == key).ok_or_else(|| {
        Failure::usage(format!(
            "task {task:?} of run {run_id:?} has no XCom value under key {key:?}"
        ))
    })?;
    match format {
        Format::Json => output::print_body(value),
        Format::Text => println!("{}", bare_value(value)),
    }
    Ok(())
}

/// One XCom value on a line: key, encoding, size and value.
fn xcom_line(xcom: &XcomView) -> String {
    format!(
        "{} ({}, {} bytes): {}",
        xcom.key,
        encoding_name(xcom.encoding),
        xcom.size,
        bare_value(xcom)
    )
}

/// The encoding as the API names it.
fn encoding_name(encoding: XcomEncoding) -> &'static str {
    match encoding {
        XcomEncoding::Json => "json",
        XcomEncoding::Text => "text",
        XcomEncoding::Base64 => "base64",
    }
}

/// An XCom value as it is: JSON as JSON, text and base64 as their text.
fn bare_value(xcom: &XcomView) -> String {
    match &xcom.value {
        Value::String(text) if xcom.encoding != XcomEncoding::Json => text.clone(),
        value => value.to_string(),
    }
}

/// The log's lines on stdout, formatted like a local run's log.
fn print_log(log: &LogResponse) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "log of task {}, attempt {}",
        log.task_id, log.try_number
    );
    for line in &log.lines {
        let _ = writeln!(out, "{}", format_line(line));
    }
}

/// How many times in a row `--follow` reconnects to a server that does not answer, or
/// drops the stream before any new line.
const FOLLOW_RECONNECTS: u32 = 60;

/// Print an attempt's log lines as they come, until it ends; reconnect (going on after the
/// last line printed) when the connection drops. The attempt is pinned when the stream
/// begins (`--try`, else the task's current try, waiting for its first if need be), so a
/// reconnection never goes on in another try's log.
fn follow_log(client: &Client, format: Format, target: &LogTarget<'_>) -> CommandResult {
    let try_number = match target.try_number {
        Some(n) => n,
        None => first_try(client, target)?,
    };
    let mut path = format!(
        "{}/stream?try={try_number}",
        Client::log_path(target.dag, target.run_id, target.task)
    );
    if let Some(index) = target.map_index {
        path.push_str(&format!("&map_index={index}"));
    }
    let mut last_line: Option<String> = None;
    let mut failures = 0;
    let mut out = std::io::stdout();
    loop {
        let mut ended: Option<Value> = None;
        let mut printed = false;
        let resume = last_line.clone();
        let streamed = client.events(&path, resume.as_deref(), |event| {
            match event.event.as_str() {
                "line" => {
                    let line: Value = serde_json::from_str(&event.data)
                        .unwrap_or_else(|_| Value::String(event.data.clone()));
                    let shown = match format {
                        Format::Json => line.to_string(),
                        Format::Text => format_line(&line),
                    };
                    let _ = writeln!(out, "{shown}");
                    let _ = out.flush();
                    last_line = event.id;
                    printed = true;
                    true
                }
                "end" => {
                    ended = Some(serde_json::from_str(&event.data).unwrap_or(Value::Null));
                    false
                }
                "error" => {
                    let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
                    eprintln!(
                        "-- the server stopped the stream: {}",
                        data["message"].as_str().unwrap_or("no reason given")
                    );
                    false
                }
                _ => true,
            }
        });
        if let Some(end) = ended {
            eprintln!(
                "-- attempt {try_number} has ended; the task is {}",
                end["state"].as_str().unwrap_or("gone")
            );
            return Ok(());
        }
        if printed {
            failures = 0;
        }
        // The first call's refusal (a bad token, no such task) is final; later ones are a
        // server going away and coming back.
        if let Err(e) = streamed {
            if last_line.is_none() && failures == 0 {
                return Err(e.into());
            }
            eprintln!("-- {e}");
        }
        failures += 1;
        if failures > FOLLOW_RECONNECTS {
            return Err(Failure::usage(format!(
                "gave up following the log after {FOLLOW_RECONNECTS} reconnections in a row"
            )));
        }
        eprintln!("-- reconnecting in a second");
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// Which log to follow.
struct LogTarget<'a> {
    dag: &'a str,
    run_id: &'a str,
    task: &'a str,
    try_number: Option<u32>,
    map_index: Option<u32>,
}

/// The task's current try, once it has one: a task not started yet is waited for (saying
/// so), unless its run has ended.
fn first_try(client: &Client, target: &LogTarget<'_>) -> Result<u32, Failure> {
    let mut said = false;
    loop {
        let run = client.run(target.dag, target.run_id, None)?;
        let ti = run
            .task_instances
            .iter()
            .find(|ti| ti.task_id == target.task && ti.map_index == target.map_index)
            .ok_or_else(|| {
                Failure::usage(format!(
                    "run {:?} of DAG {:?} has no task {:?}{}",
                    target.run_id,
                    target.dag,
                    target.task,
                    target
                        .map_index
                        .map_or(String::new(), |k| format!(" with map index {k}"))
                ))
            })?;
        if ti.try_number > 0 {
            return Ok(ti.try_number);
        }
        if run.run.state.is_finished() {
            return Err(Failure::usage(format!(
                "task {:?} never ran: run {:?} has ended",
                target.task, target.run_id
            )));
        }
        if !said {
            eprintln!("-- waiting for task {} to start", target.task);
            said = true;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// One stored log line as text; a line that is not a log record is shown as it is.
fn format_line(line: &Value) -> String {
    StoredLine::from_value(line.clone()).to_text()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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

    #[test]
    fn xcom_values_are_shown_as_they_are() {
        let xcom = |v: Value| -> XcomView {
            let mut v = v;
            v["task_id"] = json!("t");
            serde_json::from_value(v).expect("an XCom value")
        };
        let json_value =
            xcom(json!({"key": "rows", "encoding": "json", "size": 3, "value": "abc"}));
        assert_eq!(
            bare_value(&json_value),
            r#""abc""#,
            "a JSON string keeps its quotes"
        );
        let text = xcom(json!({"key": "note", "encoding": "text", "size": 5, "value": "plain"}));
        assert_eq!(bare_value(&text), "plain");
        assert_eq!(xcom_line(&text), "note (text, 5 bytes): plain");
        let bytes = xcom(json!({"key": "b", "encoding": "base64", "size": 1, "value": "/w=="}));
        assert_eq!(bare_value(&bytes), "/w==");
        let number = xcom(json!({"key": "n", "encoding": "json", "size": 1, "value": 3}));
        assert_eq!(bare_value(&number), "3");
    }

    #[test]
    fn mark_states_are_the_api_names() {
        let names: Vec<&str> = MarkState::value_variants()
            .iter()
            .map(|s| s.as_str())
            .collect();
        assert_eq!(names, ["success", "failed", "skipped"]);
        for state in MarkState::value_variants() {
            let parsed = MarkState::from_str(state.as_str(), false);
            assert_eq!(parsed, Ok(*state));
        }
    }
}
