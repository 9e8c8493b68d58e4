//! The fair share's rows of the results table: the probing tenant's round trips idle, with
//! the flood and hop by hop, the scheduler steps they took, and the flood's rate.

use super::{AddRow, cells};
use crate::dags::Sizes;
use crate::figures::ProbeHops;
use crate::format;
use crate::goals;
use crate::table::Table;

/// The fair share's rows: the probing tenant's round trips, idle and flooded; the flood's
/// rate against one tenant's alone.
pub(super) fn fair_share_rows(table: &mut Table, sizes: &Sizes, row: &AddRow<'_>) {
    let n = format::number((sizes.big_fan.tasks * sizes.fair_share_flood_runs) as f64);
    let floods = match sizes.fair_share_floods {
        0 | 1 => String::new(),
        k => format!(", {k} floods or more in a row"),
    };
    row(
        table,
        format!(
            "fair share: a tenant's single-task round trip p50 / p99, idle → while another \
             tenant's {n} tasks flood{floods} (p99 ratio; probes idle and flooded)"
        ),
        &|m, _| {
            cells(
                &m.fair_share,
                |f| {
                    format!(
                        "{} / {} → {} / {} ({:.1}×; {} and {} probes)",
                        format::ms(f.probe_idle_ms.median),
                        format::ms(f.probe_idle_ms.p99),
                        format::ms(f.probe_flooded_ms.median),
                        format::ms(f.probe_flooded_ms.p99),
                        f.p99_ratio(),
                        f.probe_idle_ms.count,
                        f.probe_flooded_ms.count
                    )
                },
                Some((goals::FAIR_SHARE_P99_RATIO, &|f| f.p99_ratio())),
            )
        },
    );
    row(
        table,
        "fair share: the same round trip while the same floods run in an installation next \
         door (the cores as busy, nothing queued ahead in its own), p50 / p99 (the flooded \
         p99 over this one; probes; the floods' rate next door)"
            .to_owned(),
        &|m, _| {
            cells(
                &m.fair_share,
                |f| match (f.probe_next_door_ms, f.next_door_p99_ratio()) {
                    (Some(next_door), Some(ratio)) => format!(
                        "{} / {} ({:.1}×; {} probes; {})",
                        format::ms(next_door.median),
                        format::ms(next_door.p99),
                        ratio,
                        next_door.count,
                        f.next_door_flood_tasks_per_s.map_or_else(
                            || "—".to_owned(),
                            |r| format!("{} tasks/s", format::number(r))
                        )
                    ),
                    _ => "—".to_owned(),
                },
                // Unmeasured, it is not met.
                Some((goals::FAIR_SHARE_NEXT_DOOR_P99_RATIO, &|f| {
                    f.next_door_p99_ratio().unwrap_or(f64::INFINITY)
                })),
            )
        },
    );
    row(
        table,
        "fair share: scheduler steps during a probe's round trip (trigger → answer), median / \
         max, idle → during the flood"
            .to_owned(),
        &|m, _| {
            cells(
                &m.fair_share,
                |f| match (&f.probe_idle_steps, &f.probe_flooded_steps) {
                    (Some(idle), Some(flooded)) => format!(
                        "{} / {} → {} / {}",
                        format::number(idle.median),
                        format::number(idle.max),
                        format::number(flooded.median),
                        format::number(flooded.max)
                    ),
                    _ => "—".to_owned(),
                },
                None,
            )
        },
    );
    row(
        table,
        "fair share: the slowest round trip during the flood, hop by hop (trigger → run \
         created → task queued → started → ended → run ended → answered); the slowest \
         round trips, each at its time into its flood"
            .to_owned(),
        &|m, _| {
            cells(
                &m.fair_share,
                |f| {
                    let slowest = f
                        .slowest_probe
                        .as_ref()
                        .map_or_else(|| "—".to_owned(), |h| hops_text(h, " + "));
                    if f.slowest_probes_at.is_empty() {
                        return slowest;
                    }
                    let at: Vec<String> = f
                        .slowest_probes_at
                        .iter()
                        .map(|p| {
                            format!(
                                "{} at {}",
                                format::ms(p.round_trip_ms),
                                format::secs(p.into_flood_ms / 1e3)
                            )
                        })
                        .collect();
                    format!("{slowest}; {}", at.join(", "))
                },
                None,
            )
        },
    );
    row(
        table,
        "fair share: each hop's median over the probes, idle → during the floods next door → \
         during the flood (the same hops, round trip's median first; medians need not add \
         up)"
        .to_owned(),
        &|m, _| {
            cells(
                &m.fair_share,
                |f| match (&f.idle_hop_medians, &f.flooded_hop_medians) {
                    (Some(idle), Some(flooded)) => {
                        let next_door = f
                            .next_door_hop_medians
                            .as_ref()
                            .map_or_else(|| "—".to_owned(), |h| hops_text(h, " · "));
                        format!(
                            "{} → {next_door} → {}",
                            hops_text(idle, " · "),
                            hops_text(flooded, " · ")
                        )
                    }
                    _ => "—".to_owned(),
                },
                None,
            )
        },
    );
    row(
        table,
        format!(
            "fair share: the flooding tenant's {n} tasks (% of the same flood with the other \
             tenant idle)"
        ),
        &|m, _| {
            cells(
                &m.fair_share,
                |f| {
                    let percent = f
                        .throughput_percent()
                        .map_or_else(|| "—".to_owned(), |p| format!("{p:.0}%"));
                    let floods = if f.floods > 1 {
                        format!(", median of {} floods", f.floods)
                    } else {
                        String::new()
                    };
                    format!("{} ({percent}{floods})", format::rate(f.flood_tasks_per_s))
                },
                Some((goals::FAIR_SHARE_THROUGHPUT_PERCENT, &|f| {
                    f.throughput_percent().unwrap_or(0.0)
                })),
            )
        },
    );
}

/// A round trip and its hops, joined by `join`: `round trip: a + b + c + d + e + f` for one
/// probe, whose hops add up; ` · ` for medians, which need not.
pub(super) fn hops_text(h: &ProbeHops, join: &str) -> String {
    let hops = [
        h.to_created_ms,
        h.created_to_queued_ms,
        h.queued_to_started_ms,
        h.started_to_ended_ms,
        h.ended_to_run_ended_ms,
        h.to_answered_ms,
    ]
    .map(format::ms);
    format!("{}: {}", format::ms(h.round_trip_ms), hops.join(join))
}
