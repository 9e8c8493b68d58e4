"""``weft:dag/run-state``: a task reads the task instances of its own run — an upstream's
success and try, itself running, a downstream not started — and of no other run: each task
of the DAG appears once, whichever run came before."""

from probe import dag, expect
from weft import Context


@dag.task
def run_state_first(ctx: Context) -> int:
    return 1


@dag.task
def run_state_read(ctx: Context) -> None:
    states = ctx.task_states()
    by_id = {(s.task_id, s.map_index): s for s in states}
    expect("one status per task instance", len(by_id), len(states))
    expect("the run's tasks", sorted(t for t, _ in by_id), sorted(dag.tasks))
    first = by_id[("run_state_first", None)]
    expect("the upstream's state", first.state, "success")
    expect("the upstream's try", first.try_number, 1)
    expect("the upstream's error", first.error, None)
    expect("its own state", by_id[("run_state_read", None)].state, "running")
    expect("the downstream's state", by_id[("run_state_after", None)].state, "none")


@dag.task
def run_state_after(ctx: Context) -> None:
    pass


run_state_first >> run_state_read >> run_state_after
