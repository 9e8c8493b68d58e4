//! The machine and the versions a benchmark ran with, for the record.

use std::process::Command;

use serde::{Deserialize, Serialize};

/// The machine the figures come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model, from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Cores this process may use.
    pub cores: usize,
    /// Total memory, in GiB, from `/proc/meminfo`.
    pub memory_gib: f64,
    /// Kernel release.
    pub kernel: String,
    /// The 1, 5 and 15 minute load averages when the benchmark started (other work on the
    /// machine skews the figures).
    pub load_average: String,
}

impl Machine {
    /// This machine.
    pub fn detect() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        Machine {
            cpu_model: cpu_model(&read("/proc/cpuinfo")).unwrap_or_else(|| "unknown".to_owned()),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib: mem_total_kib(&read("/proc/meminfo"))
                .map_or(0.0, |kib| kib as f64 / (1024.0 * 1024.0)),
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            load_average: load_average(&read("/proc/loadavg")),
        }
    }
}

/// The first `model name` of `/proc/cpuinfo` text.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name")
            .then(|| value.trim().to_owned())
            .filter(|v| !v.is_empty())
    })
}

/// The three load averages of `/proc/loadavg` text, `1.02 0.87 0.60`.
pub fn load_average(loadavg: &str) -> String {
    loadavg
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `MemTotal` of `/proc/meminfo` text, in KiB.
pub fn mem_total_kib(meminfo: &str) -> Option<u64> {
    let rest = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    rest.split_whitespace().next()?.parse().ok()
}

/// Versions of everything measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Versions {
    /// Weft: the workspace version and the commit.
    pub weft: String,
    /// The Rust compiler on the path.
    pub rustc: String,
    /// The Redis server.
    pub redis: String,
    /// The PostgreSQL server.
    pub postgres: String,
    /// Celery, as its peer script reported it, or why it did not run.
    pub celery: String,
    /// Airflow, as its peer script reported it, or why it did not run.
    pub airflow: String,
}

/// Weft's version: the crate version and the commit checked out, if there is a git checkout.
pub fn weft_version() -> String {
    let version = env!("CARGO_PKG_VERSION");
    match first_line("git", &["rev-parse", "--short", "HEAD"]) {
        Some(commit) => format!("{version} ({commit})"),
        None => version.to_owned(),
    }
}

/// The first line `program args` prints, if it runs and succeeds.
pub fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
}

/// The version in `redis-server --version` output (`Redis server v=7.0.15 sha=...`).
pub fn redis_version(text: &str) -> Option<String> {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("v="))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_model_is_the_first_model_name() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n\
                       processor\t: 1\nmodel name\t: Other\n";
        assert_eq!(
            cpu_model(cpuinfo).as_deref(),
            Some("Intel(R) Xeon(R) CPU @ 2.20GHz")
        );
        assert_eq!(cpu_model("processor\t: 0\n"), None);
        assert_eq!(cpu_model("model name\t:   \n"), None);
    }

    #[test]
    fn memory_total_is_read_in_kib() {
        let meminfo = "MemTotal:       24576000 kB\nMemFree:  1000 kB\n";
        assert_eq!(mem_total_kib(meminfo), Some(24_576_000));
        assert_eq!(mem_total_kib("MemFree: 1 kB\n"), None);
        assert_eq!(mem_total_kib("MemTotal: lots kB\n"), None);
    }

    #[test]
    fn load_average_keeps_three_figures() {
        assert_eq!(
            load_average("2.55 2.30 2.07 3/412 9876\n"),
            "2.55 2.30 2.07"
        );
        assert_eq!(load_average(""), "");
    }

    #[test]
    fn redis_version_is_parsed() {
        let text = "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1";
        assert_eq!(redis_version(text).as_deref(), Some("7.0.15"));
        assert_eq!(redis_version("redis-server: not found"), None);
    }

    #[test]
    fn this_machine_is_described() {
        let m = Machine::detect();
        assert!(m.cores >= 1);
        assert!(m.memory_gib > 0.0);
    }
}
