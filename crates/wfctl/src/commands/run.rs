//! `wfctl run DAG.wasm TASK_ID`: one task attempt in the sandbox.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args as ClapArgs;
use serde_json::json;
use weft_runtime::{TaskContext, TaskOutcome, TaskRequest, UpstreamOutput};

use crate::exit::{CommandResult, Failure};
use crate::inputs::{LimitArgs, RunInputs, XcomArg};
use crate::output::{self, Format};
use crate::{home, local_run};

/// Run one task of a DAG component in the sandbox: its output goes to stdout, its log to
/// stderr. Exits 0 on success (or skip), 1 when the task fails, 2 on bad input. The task reads
/// connections from `WEFT_CONN_<ID>` / `AIRFLOW_CONN_<ID>` (URI or JSON form) and secrets from
/// `WEFT_SECRET_<NAME>` environment variables.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The DAG component (.wasm), or a project directory to build first.
    component: PathBuf,
    /// The task to run.
    task_id: String,
    #[command(flatten)]
    inputs: RunInputs,
    /// An upstream value: `TASK=JSON` for a task's output, `TASK/KEY=JSON` for a keyed XCom; repeat for more.
    #[arg(long = "xcom", value_name = "TASK=JSON")]
    xcom: Vec<XcomArg>,
    /// Attempt number to report to the task.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    try_number: u32,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    egress: crate::egress::EgressArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Format,
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let runtime = home::runtime_in(&home::dir(), args.egress.policy()?, home::LOCAL_SANDBOXES)?;
    let component = home::load(&runtime, &args.component)?;
    let dag = component.dag();
    let task = dag.task(&args.task_id).ok_or_else(|| {
        let ids: Vec<&str> = dag.tasks().iter().map(|t| t.id.as_str()).collect();
        Failure::usage(format!(
            "DAG {:?} has no task {:?}; its tasks are: {}",
            dag.id(),
            args.task_id,
            ids.join(", ")
        ))
    })?;
    let host = crate::access_env::memory_host(args.inputs.variables()?)?;
    let mut upstream = Vec::new();
    for value in &args.xcom {
        host.put_xcom(&value.task_id, value.key.as_deref(), value.value.clone());
        if value.key.is_none() && task.upstream.contains(&value.task_id) {
            upstream.push(UpstreamOutput {
                task_id: value.task_id.clone(),
                value: value.value.clone(),
            });
        }
    }
    let mut context = TaskContext::local(dag.id(), &task.id, args.try_number, task.max_tries());
    context.conf = args.inputs.conf_json()?;
    let request = TaskRequest {
        context,
        upstream,
        worker: local_run::local_worker(&task.queue),
        limits: args.limits.for_task(task)?,
        tenant_egress: None,
        host: Arc::new(host),
    };
    let report = runtime.run_task(&component, request);

    if args.output == Format::Json {
        let (state, detail) = match &report.outcome {
            TaskOutcome::Success(out) => {
                ("success", json!({ "output": output::output_value(out) }))
            }
            TaskOutcome::Skipped(reason) => ("skipped", json!({ "reason": reason })),
            TaskOutcome::Rescheduled(delay) => (
                "up_for_reschedule",
                json!({ "delay_ms": delay.map(|d| d.as_millis() as u64) }),
            ),
            TaskOutcome::Deferred { until, resume } => {
                ("deferred", json!({ "until": until, "resume": resume }))
            }
            TaskOutcome::Failed(f) => (
                "failed",
                json!({ "error_class": f.class().as_str(), "error": f.to_string() }),
            ),
        };
        output::print_json(&json!({
            "task_id": task.id, "state": state, "detail": detail,
            "duration_ms": output::ms(report.duration),
            "xcom": report.xcom.iter().map(|p| json!({"key": p.key, "value": output::output_value(&p.value)})).collect::<Vec<_>>(),
            "log": report.log,
        }));
    } else {
        output::print_log(&report.log, "");
    }
    match report.outcome {
        TaskOutcome::Success(out) => {
            if args.output == Format::Text {
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(&out);
                if !out.ends_with(b"\n") {
                    let _ = stdout.write_all(b"\n");
                }
            }
            Ok(())
        }
        TaskOutcome::Skipped(reason) => {
            eprintln!("task {} skipped: {reason}", task.id);
            Ok(())
        }
        TaskOutcome::Rescheduled(delay) => {
            let when = delay.map_or_else(
                || "after its poke interval".to_owned(),
                |d| format!("in {}", weft_model::format_duration(d)),
            );
            eprintln!(
                "task {} is not satisfied yet: it would poke again {when}",
                task.id
            );
            Ok(())
        }
        TaskOutcome::Deferred { until, resume } => {
            eprintln!(
                "task {} deferred: a scheduler would wait for {}{}",
                task.id,
                until,
                if resume { ", then run it again" } else { "" }
            );
            Ok(())
        }
        TaskOutcome::Failed(failure) => {
            eprintln!(
                "task {} failed: {}",
                task.id,
                output::failure_text(&failure)
            );
            Err(Failure::Failed)
        }
    }
}
