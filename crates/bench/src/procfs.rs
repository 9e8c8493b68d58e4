//! What `/proc` says about a process: CPU time (`utime` + `stime` of `/proc/PID/stat`), that
//! of a server's whole process tree, minor page faults (`minflt`), and peak resident memory
//! (`VmHWM` of `/proc/PID/status`).

use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::error::BenchError;

/// CPU time and peak memory of one process at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcSample {
    /// User plus system CPU time so far, in clock ticks.
    pub cpu_ticks: u64,
    /// Peak resident set size so far (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
}

/// Read `/proc/PID/stat` and `/proc/PID/status` of process `pid`.
pub fn sample(pid: u32) -> Result<ProcSample, BenchError> {
    let read = |file: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/{file}")).map_err(|e| BenchError::Proc {
            pid,
            reason: format!("reading {file}: {e}"),
        })
    };
    let cpu_ticks = cpu_ticks(&read("stat")?).map_err(|reason| BenchError::Proc { pid, reason })?;
    let peak_rss_kib =
        peak_rss_kib(&read("status")?).map_err(|reason| BenchError::Proc { pid, reason })?;
    Ok(ProcSample {
        cpu_ticks,
        peak_rss_kib,
    })
}

/// `utime + stime` from the text of `/proc/PID/stat`, in clock ticks.
pub fn cpu_ticks(stat: &str) -> Result<u64, String> {
    let fields = stat_fields(stat)?;
    Ok(field(&fields, 11, "utime")? + field(&fields, 12, "stime")?)
}

/// Minor page faults so far (`minflt`, field 10) from the text of `/proc/PID/stat`: pages
/// mapped or copied without a read from the disk.
pub fn minor_faults(stat: &str) -> Result<u64, String> {
    field(&stat_fields(stat)?, 7, "minflt")
}

/// This process's minor page faults so far.
pub fn own_minor_faults() -> Result<u64, BenchError> {
    let pid = std::process::id();
    let stat = std::fs::read_to_string("/proc/self/stat").map_err(|e| BenchError::Proc {
        pid,
        reason: format!("reading stat: {e}"),
    })?;
    minor_faults(&stat).map_err(|reason| BenchError::Proc { pid, reason })
}

/// The fields of `/proc/PID/stat` after the command name, from `state` (field 3) on.
///
/// The command name (field 2) is in parentheses and may hold spaces and parentheses itself,
/// so fields are counted from the last `)`: `ppid` is field 4, `utime` and `stime` fields
/// 14 and 15, `cutime` and `cstime` (children waited for) fields 16 and 17.
fn stat_fields(stat: &str) -> Result<Vec<&str>, String> {
    let rest = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or("stat has no `(command)` field")?;
    Ok(rest.split_whitespace().collect())
}

/// Field `index` of [`stat_fields`], a number.
fn field(fields: &[&str], index: usize, name: &str) -> Result<u64, String> {
    let text = fields
        .get(index)
        .ok_or_else(|| format!("stat has no {name} field"))?;
    text.parse::<u64>()
        .map_err(|e| format!("stat field {name} {text:?}: {e}"))
}

/// A process's own CPU time and that of the children it has waited for (`utime + stime +
/// cutime + cstime`), and its parent's pid, from the text of `/proc/PID/stat`.
pub fn cpu_with_waited_children(stat: &str) -> Result<(u64, u32), String> {
    let fields = stat_fields(stat)?;
    let ticks = field(&fields, 11, "utime")?
        + field(&fields, 12, "stime")?
        + field(&fields, 13, "cutime")?
        + field(&fields, 14, "cstime")?;
    let ppid = u32::try_from(field(&fields, 1, "ppid")?).map_err(|e| format!("ppid: {e}"))?;
    Ok((ticks, ppid))
}

/// CPU time of a server that forks a process per connection (PostgreSQL's postmaster, pid
/// `root`), in clock ticks: its own, its children's that are running, and that of every
/// child that has exited (which the kernel adds to the parent's `cutime` and `cstime` once
/// the parent waits for it). Children are found by scanning `/proc` for processes whose
/// parent is `root`; a child that exits between the scan and its read is skipped (its time
/// lands in the parent's count at its next read).
pub fn tree_cpu_ticks(root: u32) -> Result<u64, BenchError> {
    let read_root =
        std::fs::read_to_string(format!("/proc/{root}/stat")).map_err(|e| BenchError::Proc {
            pid: root,
            reason: format!("reading stat: {e}"),
        })?;
    let (mut ticks, _) = cpu_with_waited_children(&read_root)
        .map_err(|reason| BenchError::Proc { pid: root, reason })?;
    let entries = std::fs::read_dir("/proc").map_err(|e| BenchError::io("/proc", e))?;
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Ok((child, ppid)) = cpu_with_waited_children(&stat)
            && ppid == root
            && pid != root
        {
            ticks += child;
        }
    }
    Ok(ticks)
}

/// `VmHWM` from the text of `/proc/PID/status`, in KiB.
pub fn peak_rss_kib(status: &str) -> Result<u64, String> {
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .ok_or("status has no VmHWM line")?;
    let mut words = line.split_whitespace();
    let value = words.next().ok_or("VmHWM has no value")?;
    match words.next() {
        Some("kB") => {}
        other => return Err(format!("VmHWM unit is {other:?}, expected kB")),
    }
    value
        .parse()
        .map_err(|e| format!("VmHWM value {value:?}: {e}"))
}

/// Clock ticks per second (`getconf CLK_TCK`); 100, Linux's value, when it cannot be asked.
pub fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "4242 (wfctl worker) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                        250 75 0 0 20 0 9 0 123456 1000000 2000 18446744073709551615";

    #[test]
    fn cpu_time_is_user_plus_system() {
        assert_eq!(cpu_ticks(STAT), Ok(325));
    }

    #[test]
    fn command_names_with_parentheses_and_spaces_are_skipped() {
        let stat = STAT.replace("(wfctl worker)", "(a) b (c))");
        assert_eq!(cpu_ticks(&stat), Ok(325));
        assert_eq!(minor_faults(&stat), Ok(1234));
    }

    #[test]
    fn minor_faults_are_field_ten() {
        assert_eq!(minor_faults(STAT), Ok(1234));
        assert!(minor_faults("4242 (w) S 1 2").is_err());
    }

    #[test]
    fn this_process_counts_its_page_faults() {
        let before = own_minor_faults().expect("minflt");
        // Touch fresh pages: each first write is a minor fault.
        let pages = vec![1u8; 16 << 20];
        assert!(pages.iter().step_by(4096).all(|&b| b == 1));
        assert!(own_minor_faults().expect("minflt") > before);
    }

    #[test]
    fn waited_children_count_with_the_parent() {
        let stat = STAT.replace(" 250 75 0 0 ", " 250 75 1000 24 ");
        assert_eq!(cpu_with_waited_children(&stat), Ok((1349, 1)));
        assert!(cpu_with_waited_children("4242 (a) S x").is_err());
    }

    #[test]
    fn a_process_tree_counts_at_least_its_root() {
        let own = sample(std::process::id())
            .expect("own /proc entry")
            .cpu_ticks;
        let tree = tree_cpu_ticks(std::process::id()).expect("own tree");
        assert!(tree >= own, "tree {tree} < own {own}");
        assert!(tree_cpu_ticks(u32::MAX).is_err());
    }

    #[test]
    fn malformed_stat_is_refused() {
        assert!(cpu_ticks("4242 wfctl S 1").is_err());
        assert!(
            cpu_ticks("4242 (wfctl) S 1 2 3")
                .expect_err("refused")
                .contains("utime")
        );
        let bad = STAT.replace(" 250 ", " x ");
        assert!(cpu_ticks(&bad).expect_err("refused").contains("utime"));
    }

    #[test]
    fn peak_rss_comes_from_vm_hwm() {
        let status = "Name:\twfctl\nVmPeak:\t  900000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t 40000 kB\n";
        assert_eq!(peak_rss_kib(status), Ok(51_234));
    }

    #[test]
    fn status_without_vm_hwm_is_refused() {
        assert!(peak_rss_kib("Name:\tkthreadd\n").is_err());
        assert!(
            peak_rss_kib("VmHWM:\t 12 MB\n")
                .expect_err("refused")
                .contains("unit")
        );
        assert!(peak_rss_kib("VmHWM:\t lots kB\n").is_err());
    }

    #[test]
    fn this_process_can_be_sampled() {
        let s = sample(std::process::id()).expect("own /proc entry");
        assert!(s.peak_rss_kib > 0);
        assert!(clock_ticks_per_second() > 0);
        assert!(sample(u32::MAX).is_err());
    }
}
