//! The TLS table: the distributed latency figures with TLS on every link beside the plain
//! ones.

use super::problem;
use crate::figures::{Chain, Outcome, RoundTrip};
use crate::format;
use crate::report::BenchReport;
use crate::table::Table;

/// The distributed latency figures with TLS on every link beside the plain ones, and the
/// difference: what TLS costs a round trip and a chain.
pub fn tls(report: &BenchReport) -> Table {
    let mut table = Table::new(&[
        "TLS on every link (distributed)",
        "Plain",
        "TLS",
        "TLS costs",
    ]);
    let plain = &report.distributed;
    let tls = &report.tls;
    let mut row = |label: String, plain: Result<f64, String>, tls: Result<f64, String>| {
        let cost = match (&plain, &tls) {
            (Ok(p), Ok(t)) if *p > 0.0 => {
                format!("{} ({:+.0}%)", signed_ms(t - p), (t - p) / p * 100.0)
            }
            _ => "—".to_owned(),
        };
        let show = |v: Result<f64, String>| v.map_or_else(|e| e, format::ms);
        table.push(vec![label, show(plain), show(tls), cost]);
    };
    let trips = |o: &Outcome<RoundTrip>, f: fn(&RoundTrip) -> f64| match o {
        Outcome::Measured(r) => Ok(f(r)),
        other => Err(problem(other)),
    };
    let runs = tls
        .round_trip
        .measured()
        .map_or(String::new(), |r| format!(" ({} runs)", r.ms.count));
    row(
        format!("round trip p50{runs}"),
        trips(&plain.round_trip, |r| r.ms.median),
        trips(&tls.round_trip, |r| r.ms.median),
    );
    row(
        format!("round trip p99{runs}"),
        trips(&plain.round_trip, |r| r.ms.p99),
        trips(&tls.round_trip, |r| r.ms.p99),
    );
    let chain = |o: &Outcome<Chain>| match o {
        Outcome::Measured(c) => Ok(c.times.summary.median),
        other => Err(problem(other)),
    };
    let chains = tls.chain40.measured().map_or(String::new(), |c| {
        format!(", median of {}", c.times.summary.count)
    });
    row(
        format!("chain40: trigger → success{chains}"),
        chain(&plain.chain40),
        chain(&tls.chain40),
    );
    table
}

/// A difference in milliseconds with its sign.
fn signed_ms(delta: f64) -> String {
    if delta < 0.0 {
        format!("−{}", format::ms(-delta))
    } else {
        format!("+{}", format::ms(delta))
    }
}
