//! Checking a [`DagSpec`] and resolving it into a [`Dag`]: every problem is found and reported
//! at once, each naming what is wrong.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::dag::{Dag, Timing};
use crate::problem::{IdIssue, Scope, SettingIssue, SpecError, SpecProblem};
use crate::schedule::{Schedule, ScheduleError};
use crate::spec::{DagSpec, TaskSettings};
use crate::time_zone;

mod orchestration;

pub use orchestration::check_wait;

/// Longest DAG id, task id, queue or pool name, in characters (Airflow's `ID_LEN`).
pub const MAX_ID_LEN: usize = 250;
/// Most retries a task may ask for.
pub const MAX_RETRIES: u32 = 1_000;
/// Most memory a task may ask for: all a 32-bit WebAssembly memory can address (4 GiB).
pub const MAX_MEMORY_BYTES: u64 = 4 << 30;
/// Longest retry delay, execution timeout or DAG run timeout one may ask for: 365 days, in
/// milliseconds.
pub const MAX_DURATION_MS: u64 = 365 * 24 * 3_600 * 1_000;

/// Checks that `id` is a valid DAG id, task id, queue or pool name: 1 to 250 ASCII letters,
/// digits, `_`, `-` or `.`.
pub fn check_id(id: &str) -> Result<(), IdIssue> {
    if id.is_empty() {
        return Err(IdIssue::Empty);
    }
    if let Some(ch) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_-.".contains(*c)))
    {
        return Err(IdIssue::BadChar { ch });
    }
    if id.len() > MAX_ID_LEN {
        return Err(IdIssue::TooLong { len: id.len() });
    }
    Ok(())
}

/// Checks that `id` can be a run's id as the store keeps them: 1 to [`MAX_ID_LEN`] bytes,
/// no control character (which the store could not even look up: PostgreSQL's text holds
/// no NUL). Any other character is allowed: run ids hold dates and are often chosen by users.
pub fn check_run_id(id: &str) -> Result<(), IdIssue> {
    if id.is_empty() {
        return Err(IdIssue::Empty);
    }
    if let Some(ch) = id.chars().find(|c| c.is_control()) {
        return Err(IdIssue::ControlChar { ch });
    }
    if id.len() > MAX_ID_LEN {
        return Err(IdIssue::TooManyBytes { len: id.len() });
    }
    Ok(())
}

/// Parses a start date and the DAG's time zone: RFC 3339 (`2024-01-01T00:00:00Z`) or a date
/// (`2024-01-01`, midnight), in UTC; or either followed by a time zone in brackets, as RFC 9557
/// writes it: `2024-01-01[Europe/Berlin]` (midnight in Berlin), `2024-01-01T09:00[Asia/Seoul]`,
/// `2024-03-31T09:00:00+02:00[Europe/Berlin]`. The DAG's schedule is read in that zone.
pub fn parse_start_date(text: &str) -> Result<(Timestamp, TimeZone), String> {
    parse_date_in(text, &TimeZone::UTC)
}

/// Parses a date written as a start date is, reading a date without a zone in `zone` (an end
/// date is read in the DAG's zone); the zone it names, or `zone`.
pub fn parse_date_in(text: &str, zone: &TimeZone) -> Result<(Timestamp, TimeZone), String> {
    let explain = |e: jiff::Error| {
        format!(
            "expected an RFC 3339 time such as 2024-01-01T00:00:00Z or a date such as 2024-01-01, optionally followed by a time zone such as [Europe/Berlin] ({e})"
        )
    };
    // A wall-clock time becomes an instant as a schedule's firing does: a time the zone
    // skips is when the gap ends, a time it repeats is its first occurrence.
    let place = |civil: jiff::civil::DateTime, zone: &TimeZone| {
        crate::wall_clock::instant(zone, civil)
            .ok_or_else(|| format!("{text:?} is outside the range of supported times"))
    };
    let Some((when, zone_text)) = text.split_once('[') else {
        if text.len() <= 10 {
            let date: jiff::civil::Date = text.parse().map_err(explain)?;
            return Ok((place(date.into(), zone)?, zone.clone()));
        }
        return Ok((text.parse().map_err(explain)?, zone.clone()));
    };
    let zone = zone_text;
    let name = zone
        .strip_suffix(']')
        .ok_or_else(|| format!("the time zone after \"[\" must end with \"]\": {text:?}"))?;
    let tz = time_zone::find(name).map_err(|e| e.to_string())?;
    let start = if when.len() <= 10 {
        let date: jiff::civil::Date = when.parse().map_err(explain)?;
        place(date.into(), &tz)?
    } else if let Ok(civil) = when.parse::<jiff::civil::DateTime>()
        && !when.ends_with(['Z', 'z'])
        && !has_offset(when)
    {
        place(civil, &tz)?
    } else {
        // An offset too: it must be one the zone has at that time.
        time_zone::parse_zoned(text).map_err(explain)?.timestamp()
    };
    Ok((start, tz))
}

/// Whether an RFC 3339 time ends with a numeric offset (`+02:00`, `-0500`).
fn has_offset(when: &str) -> bool {
    when.rfind('T')
        .is_some_and(|t| when[t..].contains(['+', '-']))
}

impl DagSpec {
    /// Checks the spec and resolves it into a [`Dag`]; on failure, reports every problem.
    pub fn validate(self) -> Result<Dag, SpecError> {
        let mut problems = Vec::new();
        if let Err(issue) = check_id(&self.dag_id) {
            problems.push(SpecProblem::InvalidDagId {
                id: self.dag_id.clone(),
                issue,
            });
        }
        if self.tasks.is_empty() {
            problems.push(SpecProblem::NoTasks);
        }
        let timing = self.check_timing(&mut problems);
        // DAG-level settings: none may be 0; the run timeout is bounded like task durations.
        let dag_settings: [(&'static str, Option<u64>, u64); 3] = [
            (
                "max_active_runs",
                self.max_active_runs.map(u64::from),
                u64::MAX,
            ),
            (
                "max_active_tasks",
                self.max_active_tasks.map(u64::from),
                u64::MAX,
            ),
            ("dagrun_timeout_ms", self.dagrun_timeout_ms, MAX_DURATION_MS),
        ];
        for (field, value, max) in dag_settings {
            let (value, issue) = match value {
                Some(0) => (0, SettingIssue::Zero),
                Some(v) if v > max => (v, SettingIssue::TooLarge { max }),
                _ => continue,
            };
            problems.push(SpecProblem::InvalidSetting {
                scope: Scope::Dag,
                field,
                value,
                issue,
            });
        }
        check_settings(Scope::Defaults, &self.defaults, &mut problems);

        let mut index: HashMap<&str, usize> = HashMap::with_capacity(self.tasks.len());
        let mut reported = HashSet::new();
        for (i, task) in self.tasks.iter().enumerate() {
            let id = task.task_id.as_str();
            if let Err(issue) = check_id(id) {
                problems.push(SpecProblem::InvalidTaskId {
                    id: id.to_owned(),
                    issue,
                });
            }
            if index.contains_key(id) {
                if reported.insert(id) {
                    problems.push(SpecProblem::DuplicateTask {
                        task: id.to_owned(),
                    });
                }
            } else {
                index.insert(id, i);
                check_settings(Scope::Task(id.to_owned()), &task.settings, &mut problems);
                // The queue and requirement together name one queue, which must fit a name.
                let routed = crate::dag::routed_queue_of(&task.settings, &self.defaults);
                if routed.len() > MAX_ID_LEN {
                    problems.push(SpecProblem::RoutedQueueTooLong {
                        task: id.to_owned(),
                        len: routed.len(),
                    });
                }
            }
        }

        // Edges by declaration index; repeated task ids keep their first declaration only.
        let mut upstream: Vec<Vec<usize>> = vec![Vec::new(); self.tasks.len()];
        let mut in_graph = vec![false; self.tasks.len()];
        for (i, task) in self.tasks.iter().enumerate() {
            if index.get(task.task_id.as_str()) != Some(&i) {
                continue;
            }
            in_graph[i] = true;
            let mut seen = HashSet::new();
            for up in &task.upstream {
                let named = |upstream: &String| (task.task_id.clone(), upstream.clone());
                if !seen.insert(up.as_str()) {
                    let (task, upstream) = named(up);
                    problems.push(SpecProblem::DuplicateUpstream { task, upstream });
                } else if *up == task.task_id {
                    problems.push(SpecProblem::SelfDependency {
                        task: task.task_id.clone(),
                    });
                } else if let Some(&j) = index.get(up.as_str()) {
                    upstream[i].push(j);
                } else {
                    let (task, upstream) = named(up);
                    problems.push(SpecProblem::UnknownUpstream { task, upstream });
                }
            }
        }

        let order = match topological_order(&upstream, &in_graph) {
            Ok(order) => order,
            Err(cycle) => {
                let tasks = cycle
                    .iter()
                    .map(|&i| self.tasks[i].task_id.clone())
                    .collect();
                problems.push(SpecProblem::Cycle { tasks });
                Vec::new()
            }
        };
        orchestration::check(&self, &index, &upstream, &mut problems);
        if !problems.is_empty() {
            return Err(SpecError {
                dag_id: self.dag_id,
                problems,
            });
        }
        Ok(Dag::new(self, &order, &upstream, timing))
    }

    fn check_timing(&self, problems: &mut Vec<SpecProblem>) -> Timing {
        let start = self.start_date.as_deref().and_then(|value| {
            parse_start_date(value)
                .map_err(|reason| {
                    problems.push(SpecProblem::InvalidStartDate {
                        value: value.to_owned(),
                        reason,
                    });
                })
                .ok()
        });
        let schedule = self.schedule.as_deref().and_then(|text| {
            let problem = |error| SpecProblem::InvalidSchedule {
                schedule: text.to_owned(),
                error,
            };
            if self.start_date.is_none() {
                problems.push(SpecProblem::ScheduleWithoutStartDate {
                    schedule: text.to_owned(),
                });
            }
            match Schedule::parse(text) {
                Ok(s) if s.crons().iter().any(|c| !c.can_fire()) => {
                    problems.push(problem(ScheduleError::NeverFires(s.as_str().to_owned())));
                    None
                }
                Ok(s) => Some(s),
                Err(error) => {
                    problems.push(problem(error));
                    None
                }
            }
        });
        let (start_date, zone) = match start {
            Some((at, zone)) => (Some(at), zone),
            None => (None, TimeZone::UTC),
        };
        let end_date = self.end_date.as_deref().and_then(|value| {
            let problem = |reason| SpecProblem::InvalidEndDate {
                value: value.to_owned(),
                reason,
            };
            match parse_date_in(value, &zone) {
                Ok((end, _)) if start_date.is_some_and(|start| end < start) => {
                    let start = self.start_date.as_deref().unwrap_or_default();
                    problems.push(problem(format!("comes before the start_date {start:?}")));
                    None
                }
                Ok((end, _)) => Some(end),
                Err(reason) => {
                    problems.push(problem(reason));
                    None
                }
            }
        });
        let uris = std::iter::once((Scope::Dag, &self.assets)).chain(
            self.tasks
                .iter()
                .map(|t| (Scope::Task(t.task_id.clone()), &t.outlets)),
        );
        for (scope, list) in uris {
            for (uri, issue) in crate::asset::check_uris(list) {
                problems.push(SpecProblem::InvalidAsset {
                    scope: scope.clone(),
                    uri,
                    issue,
                });
            }
        }
        let schedule = schedule.map(|s| {
            let s = s.in_zone(zone.clone());
            match start_date {
                Some(at) => s.anchored_at(at),
                None => s,
            }
        });
        Timing {
            schedule,
            start_date,
            end_date,
            zone,
        }
    }
}

/// Checks the labels and architecture a task asks of its worker.
fn check_placement(scope: &Scope, r: &crate::spec::Resources, problems: &mut Vec<SpecProblem>) {
    use crate::placement::{MAX_TASK_LABELS, arch_alias, check_labels, is_known_arch};
    if let Err(issue) = check_labels(&r.worker_labels, MAX_TASK_LABELS) {
        problems.push(SpecProblem::InvalidWorkerLabels {
            scope: scope.clone(),
            issue,
        });
    }
    if let Some(arch) = r.arch.as_ref().filter(|a| !is_known_arch(a)) {
        problems.push(SpecProblem::UnknownArch {
            scope: scope.clone(),
            arch: arch.chars().take(64).collect(),
            alias: arch_alias(arch),
        });
    }
}

fn check_settings(scope: Scope, s: &TaskSettings, problems: &mut Vec<SpecProblem>) {
    let mut setting = |field, value: u64, issue| {
        problems.push(SpecProblem::InvalidSetting {
            scope: scope.clone(),
            field,
            value,
            issue,
        });
    };
    let sensor = s.sensor.as_ref();
    let limits: [(&'static str, Option<u64>, bool, u64); 10] = [
        (
            "sensor.poke_interval_ms",
            sensor.map(|x| x.poke_interval_ms),
            true,
            MAX_DURATION_MS,
        ),
        (
            "sensor.timeout_ms",
            sensor.and_then(|x| x.timeout_ms),
            true,
            MAX_DURATION_MS,
        ),
        (
            "sensor.max_poke_interval_ms",
            sensor.and_then(|x| x.max_poke_interval_ms),
            true,
            MAX_DURATION_MS,
        ),
        (
            "max_active_tis",
            s.max_active_tis.map(u64::from),
            true,
            u64::MAX,
        ),
        (
            "retries",
            s.retries.map(u64::from),
            false,
            u64::from(MAX_RETRIES),
        ),
        ("retry_delay_ms", s.retry_delay_ms, false, MAX_DURATION_MS),
        (
            "max_retry_delay_ms",
            s.max_retry_delay_ms,
            true,
            MAX_DURATION_MS,
        ),
        (
            "execution_timeout_ms",
            s.execution_timeout_ms,
            true,
            MAX_DURATION_MS,
        ),
        (
            "memory_bytes",
            s.resources.as_ref().and_then(|r| r.memory_bytes),
            true,
            MAX_MEMORY_BYTES,
        ),
        (
            "fuel",
            s.resources.as_ref().and_then(|r| r.fuel),
            true,
            u64::MAX,
        ),
    ];
    for (field, value, nonzero, max) in limits {
        match value {
            Some(0) if nonzero => setting(field, 0, SettingIssue::Zero),
            Some(v) if v > max => setting(field, v, SettingIssue::TooLarge { max }),
            _ => {}
        }
    }
    if let Some(name) = &s.queue
        && let Err(issue) = check_id(name)
    {
        problems.push(SpecProblem::InvalidQueue {
            scope: scope.clone(),
            name: name.clone(),
            issue,
        });
    }
    if let Some(name) = &s.pool
        && let Err(issue) = check_id(name)
    {
        problems.push(SpecProblem::InvalidPool {
            scope: scope.clone(),
            name: name.clone(),
            issue,
        });
    }
    if let Some(r) = &s.resources {
        check_placement(&scope, r, problems);
    }
    for text in s.resources.iter().flat_map(|r| &r.egress_allowlist) {
        if let Err(e) = text.parse::<crate::egress::EgressRule>() {
            problems.push(SpecProblem::InvalidEgressRule {
                scope: scope.clone(),
                rule: e.rule,
                issue: e.issue,
            });
        }
    }
    for (what, names) in s
        .resources
        .iter()
        .flat_map(|r| [("connection", &r.connections), ("secret", &r.secrets)])
    {
        for name in names {
            if let Err(issue) = check_id(name) {
                problems.push(SpecProblem::InvalidAccessName {
                    scope: scope.clone(),
                    what,
                    name: name.clone(),
                    issue,
                });
            }
        }
    }
    for dir in s.resources.iter().flat_map(|r| &r.directories) {
        if !dir.guest_path.starts_with('/') {
            let guest_path = dir.guest_path.clone();
            problems.push(SpecProblem::RelativeDirectory {
                scope: scope.clone(),
                guest_path,
            });
        }
    }
}

/// Kahn's algorithm over the nodes in `in_graph`, taking ready nodes lowest index first.
/// On a cycle, returns the nodes of one cycle instead, in dependency order, starting with
/// the lowest index. Iterative, so depth is no concern.
fn topological_order(upstream: &[Vec<usize>], in_graph: &[bool]) -> Result<Vec<usize>, Vec<usize>> {
    let n = upstream.len();
    let mut waiting_on = vec![0usize; n];
    let mut downstream: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ups) in upstream.iter().enumerate() {
        waiting_on[i] = ups.len();
        for &u in ups {
            downstream[u].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..n)
        .filter(|&i| in_graph[i] && waiting_on[i] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &d in &downstream[i] {
            waiting_on[d] -= 1;
            if waiting_on[d] == 0 {
                ready.push(Reverse(d));
            }
        }
    }
    if order.len() == in_graph.iter().filter(|&&g| g).count() {
        return Ok(order);
    }
    // Every node still waiting has an upstream that is still waiting: walk upstream from the
    // first one until a node repeats.
    let stuck = |i: usize| in_graph[i] && waiting_on[i] > 0;
    let mut seen_at = vec![usize::MAX; n];
    let mut path = Vec::new();
    let mut current = (0..n).find(|&i| stuck(i));
    while let Some(node) = current {
        if seen_at[node] != usize::MAX {
            let mut cycle = path.split_off(seen_at[node]);
            cycle.reverse();
            if let Some(min_pos) = cycle
                .iter()
                .enumerate()
                .min_by_key(|(_, i)| **i)
                .map(|(p, _)| p)
            {
                cycle.rotate_left(min_pos);
            }
            return Err(cycle);
        }
        seen_at[node] = path.len();
        path.push(node);
        current = upstream[node].iter().copied().find(|&u| stuck(u));
    }
    Err(path)
}

#[cfg(test)]
mod tests;
