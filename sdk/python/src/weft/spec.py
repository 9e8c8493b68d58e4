"""A DAG's structure as data: what ``describe`` returns, before it becomes WIT records."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .settings import Notifier, TaskSettings
from .waits import Wait

#: Ids of DAGs and tasks: letters, digits, ``_``, ``-`` and ``.``.
ID_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,250}")

#: Airflow's trigger rules, as Weft names them.
TRIGGER_RULES = (
    "all_success",
    "all_failed",
    "all_done",
    "one_success",
    "one_failed",
    "one_done",
    "none_failed",
    "none_failed_min_one_success",
    "none_skipped",
    "always",
    "all_skipped",
)


@dataclass(frozen=True)
class ExpandUpstream:
    """One instance per item of this direct upstream task's output, a JSON array."""

    task_id: str


@dataclass(frozen=True)
class ExpandItems:
    """One instance per item, each a JSON document known when the DAG is built."""

    items: tuple[bytes, ...]


@dataclass(frozen=True)
class TaskSpec:
    """One task: its id, upstream tasks, trigger rule, settings and kind (``code``,
    ``branch``, or a ``Wait`` that runs no code)."""

    task_id: str
    upstream: tuple[str, ...]
    trigger_rule: str
    settings: TaskSettings
    kind: str | Wait
    expand: ExpandUpstream | ExpandItems | None
    outlets: tuple[str, ...]


@dataclass(frozen=True)
class DagSpec:
    """A DAG's structure, as ``describe`` returns it."""

    dag_id: str
    description: str
    schedule: str | None
    start_date: str | None
    end_date: str | None
    catchup: bool
    max_active_runs: int | None
    max_active_tasks: int | None
    dagrun_timeout_ms: int | None
    tags: tuple[str, ...]
    defaults: TaskSettings
    tasks: tuple[TaskSpec, ...]
    on_success: tuple[Notifier, ...] = field(default=())
    on_failure: tuple[Notifier, ...] = field(default=())
    assets: tuple[str, ...] = field(default=())


def check_id(value: str, what: str) -> str:
    """``value`` when it is a valid DAG or task id; else a ``ValueError`` naming ``what``."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not a valid id: 1 to 250 letters, digits, '_', '-' or '.'"
        )
    return value


def check_acyclic(tasks: tuple[TaskSpec, ...]) -> None:
    """Refuse a dependency cycle, naming the tasks on it."""
    upstream = {t.task_id: t.upstream for t in tasks}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(task_id: str, path: list[str]) -> None:
        if state.get(task_id) == 2:
            return
        if state.get(task_id) == 1:
            cycle = path[path.index(task_id) :] + [task_id]
            raise ValueError(f"the tasks form a cycle: {' -> '.join(reversed(cycle))}")
        state[task_id] = 1
        for up in upstream[task_id]:
            visit(up, [*path, task_id])
        state[task_id] = 2

    for task_id in upstream:
        visit(task_id, [])
