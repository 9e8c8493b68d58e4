//! [`Figure`]: one measured figure as data — which scenario, in which mode, which metric, its
//! unit, its value (a number, or a statistic of samples), and the goal it is judged by.
//!
//! Every scenario turns what it measured into figures ([`Figures`] builds them), the peers
//! do the same with their own mode, and everything else — the tables ([`crate::view`]),
//! the goal notes ([`crate::notes`]), `bench.json` — reads the list. A new figure is one
//! line where its scenario's results become figures, and one entry in a view if a table
//! should show it.

use serde::{Deserialize, Serialize};

use crate::figures::Outcome;
use crate::format;
use crate::goals::Goal;
use crate::stats::Summary;

/// The mode of the figures measured inside the benchmark's own process, with no services.
pub const IN_PROCESS: &str = "in-process";

/// One figure of one scenario in one mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// The scenario, a stable name (`chain40`, `egress`, `fair_share`): what views select.
    pub scenario: String,
    /// Where it was measured: `embedded`, `distributed`, `tls`, `in-process`, `scale-out`,
    /// or a peer (`celery`, `airflow`).
    pub mode: String,
    /// The metric within the scenario, a stable name (`p50`, `tasks_per_s`).
    pub metric: String,
    /// How a table names it, sizes included (`chain40: trigger → success, median of 10`).
    pub label: String,
    /// The unit of its value (and of its goal's limit).
    pub unit: Unit,
    /// What was measured, or why nothing was.
    pub value: Value,
    /// The goal it is judged by, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<Goal>,
}

/// A figure's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// One number.
    Number(f64),
    /// A statistic of samples, the samples' summary kept beside it.
    Samples {
        /// Which statistic is the figure.
        stat: Stat,
        /// The samples.
        samples: Summary,
    },
    /// The scenario ran and failed: the error.
    Failed(String),
    /// The scenario did not run: why.
    NotRun(String),
}

impl Value {
    /// The problem of a scenario without figures: `Failed` or `NotRun` with its text (a
    /// measured outcome, which has none, gives an empty `NotRun`).
    pub fn of_problem<T>(outcome: &Outcome<T>) -> Value {
        match outcome {
            Outcome::Failed(e) => Value::Failed(e.clone()),
            Outcome::NotRun(why) => Value::NotRun(why.clone()),
            Outcome::Measured(_) => Value::NotRun(String::new()),
        }
    }

    /// `failed: …` or `not run: …` (first line, shortened for a cell), if nothing was
    /// measured.
    pub fn problem(&self) -> Option<String> {
        let (word, text) = match self {
            Value::Failed(e) => ("failed", e),
            Value::NotRun(why) => ("not run", why),
            Value::Number(_) | Value::Samples { .. } => return None,
        };
        let first = text.lines().next().unwrap_or_default();
        let short: String = first.chars().take(90).collect();
        let ellipsis = if short.len() < text.len() { "…" } else { "" };
        Some(format!("{word}: {short}{ellipsis}"))
    }
}

/// A statistic of samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    /// The median.
    Median,
    /// The mean.
    Mean,
    /// The 99th percentile.
    P99,
    /// The largest.
    Max,
}

impl Stat {
    /// This statistic of `s`.
    pub fn of(self, s: &Summary) -> f64 {
        match self {
            Stat::Median => s.median,
            Stat::Mean => s.mean,
            Stat::P99 => s.p99,
            Stat::Max => s.max,
        }
    }
}

/// The unit of a figure: how its number is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Milliseconds (`0.42 ms`; a minute or more in seconds).
    Ms,
    /// Seconds.
    S,
    /// Microseconds.
    Us,
    /// Tasks per second.
    TasksPerS,
    /// Rows per second.
    RowsPerS,
    /// Kibibytes.
    KiB,
    /// Mebibytes.
    MiB,
    /// A count or a plain number.
    Count,
    /// CPU milliseconds per second.
    MsPerS,
    /// A ratio of two figures (`2.4×`).
    Ratio,
    /// A percentage.
    Percent,
    /// Cores kept busy.
    Cores,
    /// Something counted per task.
    PerTask,
}

impl Unit {
    /// `value` in this unit, as a table shows it.
    pub fn show(self, value: f64) -> String {
        match self {
            Unit::Ms => format::ms(value),
            Unit::S => format::secs(value),
            Unit::Us => format!("{} µs", format::number(value)),
            Unit::TasksPerS => format::rate(value),
            Unit::RowsPerS => format!("{} rows/s", format::number(value)),
            Unit::KiB => format!("{} KiB", format::number(value)),
            Unit::MiB => format!("{value:.0} MiB"),
            Unit::Count => format::number(value),
            Unit::MsPerS => format!("{value:.1} ms/s"),
            Unit::Ratio => format!("{value:.1}×"),
            Unit::Percent => format!("{value:.0}%"),
            Unit::Cores => format!("{value:.2}"),
            Unit::PerTask => format!("{value:.2}"),
        }
    }
}

impl Figure {
    /// The number a goal judges and a table shows, if it was measured.
    pub fn number(&self) -> Option<f64> {
        match &self.value {
            Value::Number(v) => Some(*v),
            Value::Samples { stat, samples } => Some(stat.of(samples)),
            Value::Failed(_) | Value::NotRun(_) => None,
        }
    }

    /// The samples behind it, if it is a statistic of samples.
    pub fn samples(&self) -> Option<&Summary> {
        match &self.value {
            Value::Samples { samples, .. } => Some(samples),
            _ => None,
        }
    }

    /// `failed: …` or `not run: …` (first line, shortened for a cell), if nothing was
    /// measured.
    pub fn problem(&self) -> Option<String> {
        self.value.problem()
    }

    /// The value as a cell shows it: the number in its unit, or the problem.
    pub fn shown(&self) -> String {
        self.number()
            .map(|v| self.unit.show(v))
            .or_else(|| self.problem())
            .unwrap_or_default()
    }

    /// Whether its goal is met: `None` without a goal or a number.
    pub fn met(&self) -> Option<bool> {
        Some(self.goal.as_ref()?.met(self.number()?))
    }

    /// The goal cell: `≤ 20 ms: met`, `≤ 20 ms: MISSED`, the goal alone when nothing was
    /// measured, `—` without a goal.
    pub fn verdict(&self) -> String {
        match (&self.goal, self.number()) {
            (Some(goal), Some(v)) => goal.verdict(v),
            (Some(goal), None) => goal.label(),
            (None, _) => "—".to_owned(),
        }
    }

    /// Whether its scenario ran and failed.
    pub fn is_failed(&self) -> bool {
        matches!(self.value, Value::Failed(_))
    }
}

/// Whether any figure is of a scenario that ran and failed (peers not running is not a
/// failure, and they never fail: their problems are `NotRun`).
pub fn has_failures(figures: &[Figure]) -> bool {
    figures.iter().any(Figure::is_failed)
}

/// The figures of one scenario in one mode, as its results are turned into them.
#[derive(Debug)]
pub struct Figures {
    scenario: String,
    mode: String,
    figures: Vec<Figure>,
}

impl Figures {
    /// No figures yet of `scenario` in `mode`.
    pub fn new(scenario: &str, mode: &str) -> Figures {
        Figures {
            scenario: scenario.to_owned(),
            mode: mode.to_owned(),
            figures: Vec::new(),
        }
    }

    /// The figures of `outcome`: `add` turns measured results into figures; a failed or
    /// not-run scenario becomes its first figure (`first`: metric, label, unit, goal)
    /// carrying the problem, so that a table shows why beside the goal.
    pub fn of<T>(
        mut self,
        outcome: &Outcome<T>,
        first: (&str, &str, Unit, Option<Goal>),
        add: impl FnOnce(&mut Figures, &T),
    ) -> Vec<Figure> {
        let (metric, label, unit, goal) = first;
        if let Outcome::Measured(results) = outcome {
            add(&mut self, results);
            return self.figures;
        }
        self.push(metric, label, unit, Value::of_problem(outcome))
            .goal = goal;
        self.figures
    }

    /// Add a figure; the added one, to set its goal.
    pub fn push(&mut self, metric: &str, label: &str, unit: Unit, value: Value) -> &mut Figure {
        self.figures.push(Figure {
            scenario: self.scenario.clone(),
            mode: self.mode.clone(),
            metric: metric.to_owned(),
            label: label.to_owned(),
            unit,
            value,
            goal: None,
        });
        let last = self.figures.len() - 1;
        &mut self.figures[last]
    }

    /// Add one number.
    pub fn number(&mut self, metric: &str, label: &str, unit: Unit, value: f64) -> &mut Figure {
        self.push(metric, label, unit, Value::Number(value))
    }

    /// Add one statistic of samples.
    pub fn stat(
        &mut self,
        metric: &str,
        label: &str,
        unit: Unit,
        stat: Stat,
        samples: Summary,
    ) -> &mut Figure {
        self.push(metric, label, unit, Value::Samples { stat, samples })
    }

    /// The figures added.
    pub fn done(self) -> Vec<Figure> {
        self.figures
    }
}

impl Figure {
    /// The same figure judged by `goal`.
    pub fn with_goal(&mut self, goal: Goal) -> &mut Figure {
        self.goal = Some(goal);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goals;

    fn summary(samples: &[f64]) -> Summary {
        Summary::of(samples).expect("samples")
    }

    #[test]
    fn goals_are_judged_on_the_figures_number() {
        let mut f = Figures::new("chain40", "embedded");
        f.stat(
            "trigger_to_success",
            "chain40",
            Unit::Ms,
            Stat::Median,
            summary(&[8.0, 9.0, 30.0]),
        )
        .with_goal(goals::EMBEDDED.chain40_ms);
        f.number("tasks_per_s", "fan", Unit::TasksPerS, 900.0)
            .with_goal(goals::EMBEDDED.tasks_per_s);
        f.number("per_hop", "per hop", Unit::Ms, 0.2);
        let figures = f.done();
        assert_eq!(figures[0].met(), Some(true));
        assert_eq!(figures[0].verdict(), "≤ 10 ms: met");
        assert_eq!(figures[1].met(), Some(false));
        assert_eq!(figures[1].verdict(), "≥ 15,000 tasks/s: MISSED");
        assert_eq!(figures[2].met(), None);
        assert_eq!(figures[2].verdict(), "—");
    }

    #[test]
    fn a_scenario_without_results_is_its_first_figure_with_the_problem() {
        let outcome = Outcome::<f64>::Failed("cannot start\nsecond line".into());
        let figures = Figures::new("chain40", "distributed").of(
            &outcome,
            (
                "trigger_to_success",
                "chain40",
                Unit::Ms,
                Some(goals::DISTRIBUTED.chain40_ms),
            ),
            |_, _| unreachable!("not measured"),
        );
        assert_eq!(figures.len(), 1);
        assert!(figures[0].is_failed());
        assert_eq!(figures[0].shown(), "failed: cannot start…");
        assert_eq!(figures[0].verdict(), "≤ 30 ms");
        assert!(has_failures(&figures));
        let not_run = Figures::new("x", "celery").of(
            &Outcome::<f64>::NotRun("--peers not given".into()),
            ("m", "x", Unit::Ms, None),
            |_, _| {},
        );
        assert_eq!(not_run[0].shown(), "not run: --peers not given");
        assert!(!has_failures(&not_run));
    }

    #[test]
    fn figures_go_through_json_and_come_back_the_same() {
        let mut f = Figures::new("egress", "in-process");
        f.number("overhead_per_request", "overhead", Unit::Us, 110.0)
            .with_goal(goals::EGRESS_OVERHEAD_US);
        f.stat(
            "task_with",
            "task with",
            Unit::Ms,
            Stat::P99,
            summary(&[1.0, 2.0]),
        );
        f.push("x", "x", Unit::Count, Value::NotRun("why".into()));
        let figures = f.done();
        let json = serde_json::to_string(&figures).expect("JSON");
        let back: Vec<Figure> = serde_json::from_str(&json).expect("rows");
        assert_eq!(back, figures);
    }

    #[test]
    fn units_write_their_numbers() {
        assert_eq!(Unit::Us.show(1234.0), "1,234 µs");
        assert_eq!(Unit::Ratio.show(2.44), "2.4×");
        assert_eq!(Unit::Percent.show(96.2), "96%");
        assert_eq!(Unit::MiB.show(80.4), "80 MiB");
        assert_eq!(Unit::Ms.show(61_500.0), "61.5 s");
    }
}
