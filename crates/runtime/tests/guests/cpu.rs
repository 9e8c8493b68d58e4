//! The test guests that spin: the worker's CPU budget and wall-clock timeout stop one, and a
//! task's own budget (world 0.4.0) goes in place of the worker's (part of the `guests` test
//! binary).

use super::*;

#[test]
pub fn infinite_loop() {
    let component = load(guests::INFINITE_LOOP);
    let by_fuel = run_with(
        &component,
        "infinite_loop",
        Call::with_limits(limits(|l| l.fuel = Some(50_000_000))),
    );
    assert_eq!(
        failure(&by_fuel),
        &TaskFailure::CpuBudget { fuel: 50_000_000 }
    );
    assert_eq!(by_fuel.fuel_used, Some(50_000_000));
    still_healthy();

    let by_clock = run_with(
        &component,
        "infinite_loop",
        Call::with_limits(limits(|l| l.timeout = Duration::from_millis(200))),
    );
    assert_eq!(failure(&by_clock).class(), ErrorClass::Timeout);
    assert!(
        by_clock.duration < Duration::from_secs(5),
        "took {:?}",
        by_clock.duration
    );
    still_healthy();
}

/// A world 0.4.0 component: each task's own CPU budget comes through `describe`, and
/// `Limits::for_task` puts it in place of the worker's (here 50 times larger).
#[test]
pub fn fuel_budget() {
    let component = load(guests::FUEL_BUDGET);
    assert_eq!(component.world_version(), "0.4.0");
    let worker = limits(|l| l.fuel = Some(100_000_000));
    let limits_of = |id: &str| {
        let task = component.dag().task(id).expect("task in the DAG");
        assert_eq!(task.resources.fuel, Some(2_000_000), "task {id}");
        worker.for_task(task)
    };
    let spin = run_with(&component, "spin", Call::with_limits(limits_of("spin")));
    assert_eq!(failure(&spin), &TaskFailure::CpuBudget { fuel: 2_000_000 });
    assert_eq!(spin.fuel_used, Some(2_000_000));
    let count = run_with(&component, "count", Call::with_limits(limits_of("count")));
    assert_eq!(count.outcome, TaskOutcome::Success(b"50005000".to_vec()));
    assert!(
        count.fuel_used.is_some_and(|used| used < 2_000_000),
        "{:?}",
        count.fuel_used
    );
    still_healthy();
}
