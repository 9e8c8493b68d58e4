//! A worker stopped with SIGTERM while it runs a task longer than its grace period: it stops
//! taking tasks, waits out the grace period, hands the task back and exits; the other worker
//! runs it and the run succeeds with one output.

use std::time::{Duration, Instant};

use weft_e2e::Api;
use weft_e2e::scenario::SlowOnTwoWorkers;
use weft_model::{DagRunState, TaskState};

#[test]
fn a_stopping_worker_hands_back_what_outlives_its_grace_period() {
    let mut s = SlowOnTwoWorkers::start(6000);
    let (stopping, other) = (s.runner, s.other_worker());
    // The harness gives workers a 2 s grace period; the task needs 6 s.
    let asked = Instant::now();
    let code = s.workers[stopping].terminate(Duration::from_secs(15));
    assert_eq!(code, Some(0), "{}", s.workers[stopping].output());
    assert!(
        asked.elapsed() < Duration::from_secs(6),
        "the worker waited for the task instead of its grace period: {:?}",
        asked.elapsed()
    );
    assert!(
        s.workers[stopping]
            .output()
            .contains("handing the remaining attempts back"),
        "{}",
        s.workers[stopping].output()
    );

    let (api, run_id) = (&s.api, &s.run_id);
    let run = api.wait_run("slow_chain", run_id, Duration::from_secs(90));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    let slow = Api::task(&run, "slow");
    assert_eq!(slow.state, TaskState::Success, "{slow:?}");
    assert_eq!(slow.worker_id.as_deref(), Some(other), "{slow:?}");
    let xcom = api.xcoms("slow_chain", run_id);
    let outputs = xcom
        .xcoms
        .iter()
        .filter(|x| x.task_id == "slow" && x.key == "return_value")
        .count();
    assert_eq!(outputs, 1, "{xcom:?}");
}
