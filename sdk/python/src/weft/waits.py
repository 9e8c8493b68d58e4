"""What a task can wait for without running: a time, a delay after the data interval, or a run
(or task) of another DAG ending. Used by ``Dag.wait`` tasks and by ``Defer``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .errors import milliseconds

#: The final states a wait can name.
ENDED_STATES = ("success", "failed", "skipped", "upstream_failed")


@dataclass(frozen=True)
class Until:
    """A point in time, RFC 3339 (Airflow's ``DateTimeSensor``)."""

    at: str


@dataclass(frozen=True)
class AfterDataIntervalEnd:
    """A delay after the end of the run's data interval, in milliseconds (``TimeDeltaSensor``)."""

    delay_ms: int


@dataclass(frozen=True)
class External:
    """A run of another DAG of the same tenant, or one of its tasks, ending
    (``ExternalTaskSensor``). ``run_id`` names the run; without it, the run whose logical date
    is this run's shifted by ``logical_date_offset_ms``."""

    dag_id: str
    run_id: str | None = None
    logical_date_offset_ms: int = 0
    task_id: str | None = None
    allowed_states: tuple[str, ...] = field(default=())
    failed_states: tuple[str, ...] = field(default=())


Wait = Until | AfterDataIntervalEnd | External


def until(at: datetime | str) -> Until:
    """Wait until ``at``: an aware ``datetime`` or an RFC 3339 string."""
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError(f"until(): the datetime needs a time zone: {at!r}")
        return Until(at.isoformat())
    return Until(at)


def after_data_interval_end(delay: timedelta | float) -> AfterDataIntervalEnd:
    """Wait until ``delay`` (a ``timedelta`` or seconds) after the run's data interval ends."""
    return AfterDataIntervalEnd(milliseconds(delay, "after_data_interval_end()"))


def external(
    dag_id: str,
    *,
    run_id: str | None = None,
    logical_date_offset: timedelta | None = None,
    task_id: str | None = None,
    allowed_states: list[str] | tuple[str, ...] = (),
    failed_states: list[str] | tuple[str, ...] = (),
) -> External:
    """Wait for a run of DAG ``dag_id`` (or its task ``task_id``) to end.

    The run is ``run_id`` when given (a run this task triggered, say); else the run whose
    logical date is this run's plus ``logical_date_offset`` (none: the same date, as Airflow's
    ``ExternalTaskSensor`` assumes). ``allowed_states`` satisfy the wait (none: ``success``);
    ``failed_states`` fail it (none: every state not allowed).
    """
    if run_id is not None and logical_date_offset is not None:
        raise ValueError("external(): give run_id or logical_date_offset, not both")
    for state in (*allowed_states, *failed_states):
        if state not in ENDED_STATES:
            raise ValueError(f"external(): unknown state {state!r}; one of {ENDED_STATES}")
    offset = 0
    if logical_date_offset is not None:
        offset = round(logical_date_offset.total_seconds() * 1000)
    return External(
        dag_id=dag_id,
        run_id=run_id,
        logical_date_offset_ms=offset,
        task_id=task_id,
        allowed_states=tuple(allowed_states),
        failed_states=tuple(failed_states),
    )
