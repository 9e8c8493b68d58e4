//! [`Meter`]: what each component of a distributed installation spends, read from the
//! outside: `/proc` for Weft's processes and PostgreSQL's process tree, `INFO` for Redis.

use std::time::Instant;

use weft_testkit::{PostgresServer, RedisServer};

use crate::error::BenchError;
use crate::figures::{ComponentCost, Costs};
use crate::procfs;

/// Reads the CPU of an installation's processes, PostgreSQL and Redis.
pub struct Meter<'a> {
    /// Weft's processes: role and pid.
    processes: Vec<(String, u32)>,
    /// PostgreSQL's postmaster, when its pid could be found.
    postmaster: Option<u32>,
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
}

impl<'a> Meter<'a> {
    /// A meter of `processes` (an installation's roles and pids), `postgres` and `redis`.
    /// PostgreSQL is left out, with a line on stderr, when its postmaster cannot be found.
    pub fn new(
        processes: Vec<(String, u32)>,
        postgres: &PostgresServer,
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
        let redis = self
            .redis
            .cli(&["INFO"])
            .ok()
            .and_then(|info| redis_counters(&info));
        Ok(Reading {
            at: Instant::now(),
            processes,
            postgres,
            redis,
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
        Costs {
            tasks,
            wall_s,
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
        let meter = Meter {
            processes: vec![
                ("scheduler".to_owned(), 1),
                ("worker-1".to_owned(), 2),
                ("worker-2".to_owned(), 3),
            ],
            postmaster: None,
            redis: &redis,
            ticks_per_s: 100.0,
        };
        let at = Instant::now();
        let before = Reading {
            at,
            processes: vec![100, 0, 50],
            postgres: Some(10),
            redis: Some((1.0, 100)),
        };
        let after = Reading {
            at: at + std::time::Duration::from_secs(2),
            processes: vec![300, 100, 150],
            postgres: Some(210),
            redis: Some((1.5, 2100)),
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
    }
}
