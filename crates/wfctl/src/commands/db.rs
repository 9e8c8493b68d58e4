//! `wfctl db clean`: remove what is older than a retention period from the metadata store —
//! ended runs with their task instances, XCom values, logs and notifications, and asset
//! events nothing waits for — in short batches that let a running scheduler go on writing.
//! With `--components`, also the DAG versions and components nothing needs any more.

use std::time::Duration;

use clap::{Args as ClapArgs, Subcommand};
use serde_json::json;
use weft_store::{Clean, Cleaned};

use crate::exit::{CommandResult, Failure};
use crate::output::{self, Format};
use crate::services;

/// Look after the metadata store.
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Remove runs that ended longer ago than --older-than (with their task instances, XCom
    /// values, logs and notifications), and asset events as old that no DAG waits for. A
    /// DAG's newest run and its latest scheduled run stay, whatever their age.
    Clean(CleanArgs),
}

#[derive(Debug, ClapArgs)]
struct CleanArgs {
    /// The metadata store: `postgres://USER@HOST:PORT/DB` or `sqlite:PATH` (default: the
    /// SQLite database of `wfctl standalone`'s home).
    #[arg(long, env = "WEFT_DATABASE_URL")]
    database: Option<String>,
    /// Weft's home directory, whose database is cleaned when --database is not given;
    /// default `$WEFT_HOME` or `~/.weft`.
    #[arg(long)]
    home: Option<std::path::PathBuf>,
    /// What to keep: runs that ended, and events made, within this long (`30d`, `12h`,
    /// `90m`; a day is 24 hours).
    #[arg(long, value_name = "AGE", value_parser = retention)]
    older_than: Duration,
    /// Count what would go; remove nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also remove DAG versions that are neither current nor used by a run left, and the
    /// components nothing refers to any more.
    #[arg(long)]
    components: bool,
    /// Most runs removed in one transaction.
    #[arg(long, default_value_t = weft_store::retention::DEFAULT_BATCH, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Format,
    #[command(flatten)]
    trust: crate::trust::TrustArgs,
}

/// A retention period: a duration in jiff's friendly format, days counted as 24 hours.
pub fn retention(text: &str) -> Result<Duration, String> {
    let span: jiff::Span = text
        .trim()
        .parse()
        .map_err(|e| format!("{text:?} is not a duration like 30d, 12h or 90m: {e}"))?;
    let duration = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| format!("{text:?}: {e}"))?;
    if duration.is_negative() || duration.is_zero() {
        return Err(format!("{text:?} must be longer than nothing"));
    }
    Duration::try_from(duration).map_err(|e| format!("{text:?}: {e}"))
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    match args.command {
        DbCommand::Clean(clean) => services::block_on(clean_store(clean)),
    }
}

async fn clean_store(args: CleanArgs) -> CommandResult {
    let trust = args.trust.trust()?;
    let database = match &args.database {
        Some(url) => url.clone(),
        None => {
            let home = args.home.clone().unwrap_or_else(crate::home::dir);
            let db = home.join("weft.db");
            if !db.exists() {
                return Err(Failure::usage(format!(
                    "no database at {} (give --database, or the --home of wfctl standalone)",
                    db.display()
                )));
            }
            format!("sqlite:{}", db.display())
        }
    };
    let store = crate::metadata::open_store(&database, &trust).await?;
    let age = jiff::SignedDuration::try_from(args.older_than)
        .map_err(|e| Failure::usage(format!("--older-than: {e}")))?;
    let before = jiff::Timestamp::now()
        .checked_sub(age)
        .map_err(|e| Failure::usage(format!("--older-than: {e}")))?;
    let request = Clean {
        before,
        batch: args.batch,
        dry_run: args.dry_run,
        components: args.components,
    };
    let cleaned = store.clean(&request).await.map_err(|e| {
        Failure::usage(format!(
            "cleaning {}: {e}",
            crate::waiting::address(&database)
        ))
    })?;
    match args.output {
        Format::Json => output::print_json(&report(&cleaned, &request)),
        Format::Text => print_text(&cleaned, &request),
    }
    Ok(())
}

fn report(cleaned: &Cleaned, request: &Clean) -> serde_json::Value {
    json!({
        "dry_run": request.dry_run,
        "before": request.before.to_string(),
        "runs": cleaned.runs,
        "task_instances": cleaned.task_instances,
        "asset_events": cleaned.asset_events,
        "versions": cleaned.versions,
        "components": cleaned.components,
        "batches": cleaned.batches,
    })
}

fn print_text(cleaned: &Cleaned, request: &Clean) {
    let verb = if request.dry_run {
        "would remove"
    } else {
        "removed"
    };
    println!(
        "{verb} {} run(s) that ended before {}, with {} task instance(s), and {} asset event(s)",
        cleaned.runs, request.before, cleaned.task_instances, cleaned.asset_events
    );
    if request.components {
        println!(
            "{verb} {} DAG version(s) and {} component(s) nothing uses",
            cleaned.versions, cleaned.components
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_periods_read_as_durations() {
        assert_eq!(retention("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(retention("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(retention("1h30m"), Ok(Duration::from_secs(5400)));
        for bad in ["", "soon", "0s", "-3d"] {
            let error = retention(bad).expect_err(bad);
            assert!(error.contains(&format!("{bad:?}")), "{error}");
        }
    }
}
