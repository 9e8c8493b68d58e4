//! A worker killed with SIGKILL in the middle of a long task: its lease runs out and the task
//! runs again on the other worker as try 2, and succeeds exactly once.

use std::time::Duration;

use weft_e2e::Api;
use weft_e2e::scenario::SlowOnTwoWorkers;
use weft_model::{DagRunState, TaskState};

#[test]
fn a_killed_workers_task_finishes_on_the_other_worker_as_try_2() {
    let mut s = SlowOnTwoWorkers::start(4000);
    let survivor = s.other_worker();
    s.workers[s.runner].kill9();
    let (api, run_id) = (&s.api, &s.run_id);

    let run = api.wait_run("slow_chain", run_id, Duration::from_secs(90));
    assert_eq!(run.run.state, DagRunState::Success, "{run:?}");
    let slow = Api::task(&run, "slow");
    assert_eq!(slow.state, TaskState::Success, "{slow:?}");
    assert_eq!(slow.try_number, 2, "the lost attempt counts: {slow:?}");
    assert_eq!(slow.worker_id.as_deref(), Some(survivor), "{slow:?}");
    for task in ["first", "last"] {
        let ti = Api::task(&run, task);
        assert_eq!(ti.state, TaskState::Success, "{ti:?}");
    }
    // The output recorded is the one of try 2: the killed attempt never reported a result.
    let xcom = api.xcoms("slow_chain", run_id);
    let output =
        Api::output(&xcom, "slow").unwrap_or_else(|| panic!("no output of slow: {xcom:?}"));
    assert_eq!(output.value["try"], 2, "{output:?}");
}
