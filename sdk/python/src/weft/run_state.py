"""The run-state capability: the task instances of the run the attempt belongs to.

``ctx.task_states()`` (Airflow's ``dag_run.get_task_instances()``), over the host call
``task_states``; ``FakeHost`` answers its ``task_states`` list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._capability import Capability, bindings

__all__ = ["TaskStatus"]

cap = Capability(__name__)
_run_state = bindings("run_state")


@dataclass(frozen=True)
class TaskStatus:
    """One task instance of the current run."""

    task_id: str
    state: str
    try_number: int = 0
    map_index: int | None = None
    error_class: str | None = None
    error: str | None = None


@cap.context
def task_states(self: Any) -> list[TaskStatus]:
    """Every task instance of this run (this one included), by task and map index, as the
    control plane knows them now: a report task reads which tasks failed and why."""
    return list(self._host.task_states())


@cap.guest("task_states")
def _guest_task_states() -> list[TaskStatus]:
    return [
        TaskStatus(s.task_id, s.state, s.try_number, s.map_index, s.error_class, s.error)
        for s in _run_state.task_states()
    ]


cap.fake_state(task_states=list)


@cap.fake("task_states")
def _fake_task_states(fake: Any) -> list[TaskStatus]:
    return list(fake.task_states)
