//! [`Meter`]: what each component of a distributed installation spends, read from the
//! outside: `/proc` for Weft's processes and PostgreSQL's process tree, `INFO` for Redis's
//! CPU and commands, `pg_stat_statements` for PostgreSQL's statements.

use std::collections::BTreeMap;
use std::time::Instant;

use weft_testkit::{PostgresServer, RedisServer};

use crate::error::BenchError;
use crate::figures::{ComponentCost, Costs, PerTask};
use crate::procfs;

/// Reads the CPU of an installation's processes, PostgreSQL and Redis.
pub struct Meter<'a> {
    /// Weft's processes: role and pid.
    processes: Vec<(String, u32)>,
    /// PostgreSQL's postmaster, when its pid could be found.
    postmaster: Option<u32>,
    postgres: &'a PostgresServer,
    redis: &'a RedisServer,
    ticks_per_s: f64,
}

/// Everything a [`Meter`] reads at one moment.
#[derive(Debug, Clone)]
pub struct Reading {
    at: Instant,
    /// Each Weft process's CPU, in clock ticks, in the order of `Meter::processes`.
    processes: Vec<u64>,
    /// PostgreSQL's whole process tree, in clock ticks.
    postgres: Option<u64>,
    /// Redis: CPU seconds and commands processed.
    redis: Option<(f64, u64)>,
    /// Redis's calls of each command.
    redis_commands: BTreeMap<String, u64>,
    /// PostgreSQL's calls of each statement, when `pg_stat_statements` answers.
    statements: Option<BTreeMap<String, u64>>,
}

/// How many entries the top lists of commands and statements keep.
const TOP: usize = 8;
/// Statements are told apart by this many characters of their text.
const STATEMENT_CHARS: usize = 120;
/// Marks the benchmark's own statements, which are not counted.
const OWN: &str = "weft-bench";

impl<'a> Meter<'a> {
    /// A meter of `processes` (an installation's roles and pids), `postgres` and `redis`.
    /// PostgreSQL is left out, with a line on stderr, when its postmaster cannot be found.
    pub fn new(
        processes: Vec<(String, u32)>,
        postgres: &'a PostgresServer,
        redis: &'a RedisServer,
    ) -> Meter<'a> {
        let postmaster = match postmaster_pid(postgres) {
            Ok(pid) => Some(pid),
            Err(e) => {
                eprintln!("    PostgreSQL's CPU is not measured: {e}");
                None
            }
        };
        Meter {
            processes,
            postmaster,
            postgres,
            redis,
            ticks_per_s: procfs::clock_ticks_per_second() as f64,
        }
    }

    /// Read everything now.
    pub fn read(&self) -> Result<Reading, BenchError> {
        let processes = self
            .processes
            .iter()
            .map(|(_, pid)| procfs::sample(*pid).map(|s| s.cpu_ticks))
            .collect::<Result<Vec<_>, _>>()?;
        let postgres = match self.postmaster {
            Some(pid) => Some(procfs::tree_cpu_ticks(pid)?),
            None => None,
        };
        let info = self
            .redis
            .cli(&["INFO", "cpu", "stats", "commandstats"])
            .ok();
        let redis = info.as_deref().and_then(redis_counters);
        let redis_commands = info.as_deref().map(redis_command_calls).unwrap_or_default();
        let statements = self
            .postgres
            .psql(&format!(
                "/* {OWN} */ SELECT calls, regexp_replace(query, '\\s+', ' ', 'g') \
                 FROM pg_stat_statements WHERE query NOT LIKE '%{OWN}%'"
            ))
            .ok()
            .map(|text| statement_calls(&text));
        Ok(Reading {
            at: Instant::now(),
            processes,
            postgres,
            redis,
            redis_commands,
            statements,
        })
    }

    /// What each component spent between `before` and `after` on `tasks` tasks. Workers are
    /// summed into one `workers` row.
    pub fn costs(&self, before: &Reading, after: &Reading, tasks: usize) -> Costs {
        let wall_s = after.at.duration_since(before.at).as_secs_f64();
        let ticks = |b: u64, a: u64| a.saturating_sub(b) as f64 / self.ticks_per_s.max(1.0);
        let mut spent: Vec<(String, f64)> = Vec::new();
        for ((role, _), (b, a)) in self
            .processes
            .iter()
            .zip(before.processes.iter().zip(&after.processes))
        {
            let role = if role.starts_with("worker") {
                "workers"
            } else {
                role.as_str()
            };
            match spent.iter_mut().find(|(r, _)| r == role) {
                Some((_, cpu)) => *cpu += ticks(*b, *a),
                None => spent.push((role.to_owned(), ticks(*b, *a))),
            }
        }
        if let (Some(b), Some(a)) = (before.postgres, after.postgres) {
            spent.push(("PostgreSQL".to_owned(), ticks(b, a)));
        }
        if let (Some((b, _)), Some((a, _))) = (before.redis, after.redis) {
            spent.push(("Redis".to_owned(), (a - b).max(0.0)));
        }
        let redis_commands_per_task = match (before.redis, after.redis) {
            (Some((_, b)), Some((_, a))) if tasks > 0 => {
                Some(a.saturating_sub(b) as f64 / tasks as f64)
            }
            _ => None,
        };
        let postgres_statements_per_task = match (&before.statements, &after.statements) {
            (Some(b), Some(a)) if tasks > 0 => {
                Some(a.values().sum::<u64>().saturating_sub(b.values().sum()) as f64 / tasks as f64)
            }
            _ => None,
        };
        let empty = BTreeMap::new();
        Costs {
            tasks,
            wall_s,
            redis_top: top(&before.redis_commands, &after.redis_commands, tasks),
            postgres_statements_per_task,
            postgres_top: top(
                before.statements.as_ref().unwrap_or(&empty),
                after.statements.as_ref().unwrap_or(&empty),
                tasks,
            ),
            components: spent
                .into_iter()
                .map(|(role, cpu_s)| ComponentCost {
                    role,
                    cpu_s,
                    cpu_s_per_10k_tasks: if tasks == 0 {
                        0.0
                    } else {
                        cpu_s * 10_000.0 / tasks as f64
                    },
                    cores_busy: if wall_s > 0.0 { cpu_s / wall_s } else { 0.0 },
                })
                .collect(),
            redis_commands_per_task,
        }
    }
}

/// The postmaster's pid: the first line of `postmaster.pid` in the server's data directory.
fn postmaster_pid(postgres: &PostgresServer) -> Result<u32, BenchError> {
    let dir = postgres.psql("SHOW data_directory")?;
    let path = std::path::Path::new(dir.trim()).join("postmaster.pid");
    let text = std::fs::read_to_string(&path).map_err(|e| BenchError::io(&path, e))?;
    text.lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| BenchError::BadAnswer {
            what: path.display().to_string(),
            reason: "its first line is not a pid".to_owned(),
        })
}

/// The [`TOP`] names whose counts grew most from `before` to `after`, per task.
fn top(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
    tasks: usize,
) -> Vec<PerTask> {
    let mut grown: Vec<(&String, u64)> = after
        .iter()
        .map(|(name, a)| {
            (
                name,
                a.saturating_sub(before.get(name).copied().unwrap_or(0)),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    grown.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(y.0)));
    grown
        .into_iter()
        .take(TOP)
        .map(|(name, n)| PerTask {
            name: name.clone(),
            per_task: n as f64 / tasks.max(1) as f64,
        })
        .collect()
}

/// Each command's calls from the text of `INFO commandstats` (`cmdstat_NAME:calls=N,…`).
pub fn redis_command_calls(info: &str) -> BTreeMap<String, u64> {
    info.lines()
        .filter_map(|l| {
            let (name, rest) = l.trim().strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest
                .split(',')
                .find_map(|kv| kv.strip_prefix("calls="))?
                .parse()
                .ok()?;
            Some((name.to_owned(), calls))
        })
        .collect()
}

/// Each statement's calls from `psql -A -t` lines `CALLS|TEXT`; statements whose first
/// [`STATEMENT_CHARS`] characters agree are counted together.
pub fn statement_calls(text: &str) -> BTreeMap<String, u64> {
    let mut calls = BTreeMap::new();
    for line in text.lines() {
        let Some((n, statement)) = line.split_once('|') else {
            continue;
        };
        let Ok(n) = n.trim().parse::<u64>() else {
            continue;
        };
        let mut name: String = statement.trim().chars().take(STATEMENT_CHARS).collect();
        if statement.trim().chars().count() > STATEMENT_CHARS {
            name.push('…');
        }
        *calls.entry(name).or_insert(0) += n;
    }
    calls
}

/// Redis's CPU seconds (`used_cpu_sys + used_cpu_user`) and commands processed
/// (`total_commands_processed`) from the text of `INFO`.
pub fn redis_counters(info: &str) -> Option<(f64, u64)> {
    let value = |name: &str| {
        info.lines()
            .find_map(|l| l.trim().strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
    };
    let sys: f64 = value("used_cpu_sys")?.parse().ok()?;
    let user: f64 = value("used_cpu_user")?.parse().ok()?;
    let commands = value("total_commands_processed")?.parse().ok()?;
    Some((sys + user, commands))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_info_gives_cpu_and_commands() {
        let info = "# Stats\r\ntotal_connections_received:7\r\ntotal_commands_processed:1234\r\n\
                    # CPU\r\nused_cpu_sys:1.500000\r\nused_cpu_user:2.250000\r\n\
                    used_cpu_sys_children:0.000000\r\n";
        assert_eq!(redis_counters(info), Some((3.75, 1234)));
        assert_eq!(redis_counters("used_cpu_sys:1\r\n"), None);
        assert_eq!(
            redis_counters("used_cpu_sys:x\nused_cpu_user:1\ntotal_commands_processed:1\n"),
            None
        );
    }

    #[test]
    fn workers_are_summed_and_scaled_to_ten_thousand_tasks() {
        let redis = RedisServer::external("redis://127.0.0.1:1").expect("a URL is enough");
        let postgres =
            PostgresServer::external("postgres://127.0.0.1:1/none").expect("a URL is enough");
        let meter = Meter {
            processes: vec![
                ("scheduler".to_owned(), 1),
                ("worker-1".to_owned(), 2),
                ("worker-2".to_owned(), 3),
            ],
            postmaster: None,
            postgres: &postgres,
            redis: &redis,
            ticks_per_s: 100.0,
        };
        let at = Instant::now();
        let before = Reading {
            at,
            processes: vec![100, 0, 50],
            postgres: Some(10),
            redis: Some((1.0, 100)),
            redis_commands: BTreeMap::from([("evalsha".to_owned(), 100), ("xadd".to_owned(), 7)]),
            statements: Some(BTreeMap::from([("SELECT 1".to_owned(), 5)])),
        };
        let after = Reading {
            at: at + std::time::Duration::from_secs(2),
            processes: vec![300, 100, 150],
            postgres: Some(210),
            redis: Some((1.5, 2100)),
            redis_commands: BTreeMap::from([
                ("evalsha".to_owned(), 40_100),
                ("xadd".to_owned(), 7),
                ("xread".to_owned(), 20_000),
            ]),
            statements: Some(BTreeMap::from([
                ("SELECT 1".to_owned(), 5),
                ("INSERT".to_owned(), 30_000),
            ])),
        };
        let costs = meter.costs(&before, &after, 20_000);
        assert_eq!(costs.wall_s, 2.0);
        let scheduler = costs.of("scheduler").expect("scheduler");
        assert_eq!(scheduler.cpu_s, 2.0);
        assert_eq!(scheduler.cpu_s_per_10k_tasks, 1.0);
        assert_eq!(scheduler.cores_busy, 1.0);
        assert_eq!(costs.of("workers").expect("workers").cpu_s, 2.0);
        assert_eq!(costs.of("PostgreSQL").expect("PostgreSQL").cpu_s, 2.0);
        assert_eq!(costs.of("Redis").expect("Redis").cpu_s, 0.5);
        assert_eq!(costs.redis_commands_per_task, Some(0.1));
        assert!(costs.of("worker-1").is_none());
        let top: Vec<(&str, f64)> = costs
            .redis_top
            .iter()
            .map(|c| (c.name.as_str(), c.per_task))
            .collect();
        // Commands that did not run in between are left out.
        assert_eq!(top, [("evalsha", 2.0), ("xread", 1.0)]);
        assert_eq!(costs.postgres_statements_per_task, Some(1.5));
        assert_eq!(costs.postgres_top[0].name, "INSERT");
    }

    #[test]
    fn command_and_statement_counts_are_parsed() {
        let info = "# Commandstats\r\ncmdstat_evalsha:calls=12,usec=30,usec_per_call=2.5\r\n\
                    cmdstat_xread:calls=3,usec=1\r\ncmdstat_bad:usec=1\r\n";
        let calls = redis_command_calls(info);
        assert_eq!(calls.get("evalsha"), Some(&12));
        assert_eq!(calls.get("xread"), Some(&3));
        assert!(!calls.contains_key("bad"));
        let long = "x".repeat(200);
        let text = format!("4|SELECT a | b\n2|{long}\n1|{long}y\nnot a row\n");
        let statements = statement_calls(&text);
        assert_eq!(statements.get("SELECT a | b"), Some(&4));
        // The two long ones agree on their first characters.
        assert_eq!(statements.values().sum::<u64>(), 7);
        assert_eq!(statements.len(), 2);
    }
}
