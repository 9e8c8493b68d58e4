//! [`View`]: a table as a selection of figures — which scenarios (or metrics), which modes
//! in which columns, shown how — rendered from any list of [`Figure`]s by one function.
//!
//! A row is one (scenario, metric) among the selected figures, in the order of the
//! selection and then of the figures; a column is one mode, showing the figure, its goal,
//! the range of its samples, its difference from another mode's, or its ratio to a peer's.
//! A mode with no figure for a row shows its scenario's problem there (`failed: …`), or `—`.

use crate::figure::{Figure, Unit};
use crate::format;
use crate::table::Table;

/// A table of figures.
#[derive(Debug, Clone, Copy)]
pub struct View {
    /// Its name in the document's template (`{{table:NAME}}`).
    pub name: &'static str,
    /// The first column's title.
    pub header: &'static str,
    /// The figures it shows: `scenario` (every metric) or `scenario/metric`, in row order.
    pub select: &'static [&'static str],
    /// The columns after the label.
    pub columns: &'static [Column],
}

/// One column: a mode's figures, shown one way.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Its title.
    pub title: &'static str,
    /// The mode whose figures it shows.
    pub mode: &'static str,
    /// What of them.
    pub show: Show,
}

/// What a column shows of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// The figure in its unit, or its scenario's problem.
    Value,
    /// Its goal and whether it is met.
    Goal,
    /// Its samples: `count: min – max`.
    Range,
    /// Its difference from the same figure of another mode: `+0.30 ms (+50%)`.
    Delta(&'static str),
    /// The figure set against the same figure of the first of these modes that has one
    /// (the peers): `12× faster`, `2× slower`.
    Versus(&'static [&'static str]),
}

/// A shorthand for a column.
pub const fn column(title: &'static str, mode: &'static str, show: Show) -> Column {
    Column { title, mode, show }
}

impl View {
    /// The table of `figures` this view selects.
    pub fn render(&self, figures: &[Figure]) -> Table {
        let mut header = vec![self.header];
        header.extend(self.columns.iter().map(|c| c.title));
        let mut table = Table::new(&header);
        for (scenario, metric) in self.rows(figures) {
            let row_of = |mode: &str| {
                figures
                    .iter()
                    .find(|f| f.scenario == scenario && f.metric == metric && f.mode == mode)
            };
            let problem = |mode: &str| {
                figures
                    .iter()
                    .filter(|f| f.scenario == scenario && f.mode == mode)
                    .find_map(Figure::problem)
            };
            let label = figures
                .iter()
                .find(|f| f.scenario == scenario && f.metric == metric)
                .map_or_else(String::new, |f| f.label.clone());
            let mut cells = vec![label];
            for column in self.columns {
                let figure = row_of(column.mode);
                let cell = match (column.show, figure) {
                    (Show::Value, Some(f)) => f.shown(),
                    (Show::Value, None) => problem(column.mode).unwrap_or_else(dash),
                    (Show::Goal, Some(f)) => f.verdict(),
                    (Show::Range, Some(f)) => f.samples().map_or_else(dash, |s| {
                        format!(
                            "{}: {} – {}",
                            s.count,
                            f.unit.show(s.min),
                            f.unit.show(s.max)
                        )
                    }),
                    (Show::Delta(base), Some(f)) => delta(row_of(base), f),
                    (Show::Versus(peers), Some(f)) => {
                        let peer = peers.iter().find_map(|p| row_of(p)?.number());
                        versus(f.number(), peer, higher_is_better(f.unit))
                    }
                    (_, None) => dash(),
                };
                cells.push(cell);
            }
            table.push(cells);
        }
        table
    }

    /// The (scenario, metric) of each row: the selected figures of this view's modes, in
    /// the order of the selection, each once.
    fn rows<'a>(&self, figures: &'a [Figure]) -> Vec<(&'a str, &'a str)> {
        let mut rows: Vec<(&str, &str)> = Vec::new();
        for pick in self.select {
            let (scenario, metric) = pick
                .split_once('/')
                .map_or((*pick, None), |(s, m)| (s, Some(m)));
            for f in figures {
                let key = (f.scenario.as_str(), f.metric.as_str());
                if f.scenario == scenario
                    && metric.is_none_or(|m| f.metric == m)
                    && self.columns.iter().any(|c| c.mode == f.mode)
                    && !rows.contains(&key)
                {
                    rows.push(key);
                }
            }
        }
        // A row only of problems of whole scenarios (a problem figure alone in its scenario
        // and mode) is left out when the scenario has other rows: their cells show it.
        let in_view = |f: &&Figure| self.columns.iter().any(|c| c.mode == f.mode);
        let alone = |f: &Figure| {
            figures
                .iter()
                .filter(|g| g.scenario == f.scenario && g.mode == f.mode)
                .count()
                == 1
        };
        let redundant = |(scenario, metric): (&str, &str)| {
            let mut of_row = figures
                .iter()
                .filter(in_view)
                .filter(|f| f.scenario == scenario && f.metric == metric);
            of_row.all(|f| f.problem().is_some() && alone(f))
                && rows.iter().any(|&(s, m)| s == scenario && m != metric)
        };
        let kept: Vec<(&str, &str)> = rows.iter().copied().filter(|&r| !redundant(r)).collect();
        kept
    }
}

fn dash() -> String {
    "—".to_owned()
}

/// Whether more of `unit` is better (a rate), not less (a time).
fn higher_is_better(unit: Unit) -> bool {
    matches!(unit, Unit::TasksPerS | Unit::RowsPerS)
}

/// `figure − base` with its sign and its share of `base`: `+0.30 ms (+50%)`.
fn delta(base: Option<&Figure>, figure: &Figure) -> String {
    match (base.and_then(Figure::number), figure.number()) {
        (Some(b), Some(v)) if b > 0.0 => {
            let d = v - b;
            let sign = if d < 0.0 { "−" } else { "+" };
            format!(
                "{sign}{} ({:+.0}%)",
                figure.unit.show(d.abs()),
                d / b * 100.0
            )
        }
        _ => dash(),
    }
}

/// `peer / weft` for times (or `weft / peer` for rates) as `N× faster` / `N× slower`.
pub fn versus(weft: Option<f64>, peer: Option<f64>, rate: bool) -> String {
    let (Some(w), Some(p)) = (weft, peer) else {
        return dash();
    };
    if w <= 0.0 || p <= 0.0 {
        return dash();
    }
    let r = if rate { w / p } else { p / w };
    if r >= 1.0 {
        format!("{} faster", format::ratio(r))
    } else {
        format!("{} slower", format::ratio(1.0 / r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::{Figures, Stat};
    use crate::figures::Outcome;
    use crate::goals;
    use crate::stats::Summary;

    const VIEW: View = View {
        name: "test",
        header: "Scenario",
        select: &["chain40", "round_trip/p50"],
        columns: &[
            column("Embedded", "embedded", Show::Value),
            column("Goal", "embedded", Show::Goal),
            column("Distributed", "distributed", Show::Value),
            column("Goal", "distributed", Show::Goal),
            column("Runs", "embedded", Show::Range),
            column(
                "Distributed − embedded",
                "distributed",
                Show::Delta("embedded"),
            ),
            column("vs peer", "embedded", Show::Versus(&["celery", "airflow"])),
        ],
    };

    fn figures() -> Vec<Figure> {
        let samples = Summary::of(&[12.0, 14.0, 16.0]).expect("samples");
        let mut all = Figures::new("chain40", "embedded").of(
            &Outcome::Measured(samples),
            ("run", "chain40", Unit::Ms, None),
            |f, s| {
                f.stat("run", "chain40", Unit::Ms, Stat::Median, *s)
                    .with_goal(goals::EMBEDDED.chain40_ms);
                f.number("per_hop", "per hop", Unit::Ms, 0.35);
            },
        );
        all.extend(Figures::new("chain40", "distributed").of(
            &Outcome::<Summary>::Failed("cannot start".into()),
            (
                "run",
                "chain40",
                Unit::Ms,
                Some(goals::DISTRIBUTED.chain40_ms),
            ),
            |_, _| {},
        ));
        let mut trips = Figures::new("round_trip", "embedded");
        trips.number("p50", "round trip p50", Unit::Ms, 0.5);
        trips.number("p99", "round trip p99", Unit::Ms, 0.9);
        all.extend(trips.done());
        let mut trips = Figures::new("round_trip", "distributed");
        trips.number("p50", "round trip p50", Unit::Ms, 0.75);
        all.extend(trips.done());
        let mut celery = Figures::new("round_trip", "celery");
        celery.number("p50", "round trip p50", Unit::Ms, 2.5);
        all.extend(celery.done());
        all
    }

    #[test]
    fn a_view_selects_rows_and_fills_each_modes_columns() {
        let table = VIEW.render(&figures());
        assert_eq!(table.header.len(), 8);
        assert_eq!(table.rows.len(), 3, "{table:?}");
        assert_eq!(
            table.rows[0],
            [
                "chain40",
                "14 ms",
                "≤ 10 ms: MISSED",
                "failed: cannot start",
                "≤ 30 ms",
                "3: 12 ms – 16 ms",
                "—",
                "—",
            ]
        );
        // A metric the failed mode has no figure of shows its scenario's problem.
        assert_eq!(table.rows[1][0], "per hop");
        assert_eq!(table.rows[1][3], "failed: cannot start");
        assert_eq!(table.rows[1][4], "—");
        // round_trip/p50 alone: p99 is not selected.
        assert_eq!(
            table.rows[2],
            [
                "round trip p50",
                "0.50 ms",
                "—",
                "0.75 ms",
                "—",
                "—",
                "+0.25 ms (+50%)",
                "5× faster",
            ]
        );
    }

    #[test]
    fn a_scenarios_problem_under_a_metric_of_its_own_shows_in_the_other_rows() {
        let mut all = Figures::new("resources", "embedded");
        all.number(
            "peak_rss/standalone",
            "peak RSS: standalone",
            Unit::MiB,
            80.0,
        );
        let mut all = all.done();
        all.extend(Figures::new("resources", "distributed").of(
            &Outcome::<f64>::Failed("cannot start".into()),
            ("peak_rss", "peak RSS", Unit::MiB, None),
            |_, _| {},
        ));
        let view = View {
            select: &["resources"],
            ..VIEW
        };
        let table = view.render(&all);
        assert_eq!(table.rows.len(), 1, "{table:?}");
        assert_eq!(
            table.rows[0][..4],
            [
                "peak RSS: standalone",
                "80 MiB",
                "—",
                "failed: cannot start"
            ]
        );
        // Alone, the problem is its own row.
        let table = view.render(&all[1..]);
        assert_eq!(
            table.rows[0][..4],
            ["peak RSS", "—", "—", "failed: cannot start"]
        );
    }

    #[test]
    fn ratios_say_which_way() {
        assert_eq!(versus(Some(10.0), Some(1000.0), false), "100× faster");
        assert_eq!(versus(Some(2.0), Some(1.0), false), "2× slower");
        assert_eq!(versus(Some(5000.0), Some(500.0), true), "10× faster");
        assert_eq!(versus(None, Some(1.0), true), "—");
        assert_eq!(versus(Some(1.0), Some(0.0), true), "—");
    }
}
