"""How a task says it did not succeed, and the errors of the host calls it makes.

A task fails by raising. What it raises decides what Weft does next, as Airflow's exceptions do:

* ``PermanentError`` (Airflow's ``AirflowFailException``): the task fails at once, retries or not;
* ``RetryableError``: the attempt fails and another follows while retries remain;
* ``Skip`` (``AirflowSkipException``): the task is skipped;
* ``Reschedule`` (a sensor in reschedule mode): the task gives its worker slot back and runs
  again later, with the same try number;
* ``Defer`` (a deferrable operator): the task waits, holding no slot, until a condition holds;
* any other exception: the attempt fails and is retried while retries remain, as in Airflow;
  its traceback goes to the task's log.

Host calls raise subclasses of ``TaskError`` whose kind says whether another attempt may fare
better (a store that could not be reached) or not (a connection the task did not declare), so a
task that lets them through fails the right way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .waits import Wait

RETRYABLE = "retryable"
PERMANENT = "permanent"
SKIP = "skip"
RESCHEDULE = "reschedule"
DEFER = "defer"


class TaskError(Exception):
    """A task's own failure; ``kind`` is one of ``retryable``, ``permanent``, ``skip``,
    ``reschedule`` and ``defer``."""

    kind: str = RETRYABLE

    def __init__(self, message: str = "", *, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind

    @property
    def message(self) -> str:
        """What went wrong, as given."""
        return str(self.args[0]) if self.args else ""


class RetryableError(TaskError):
    """A failure worth another attempt, while retries remain (a network error, say)."""

    kind = RETRYABLE


class PermanentError(TaskError):
    """A failure no retry can mend (bad input, say): the task fails at once."""

    kind = PERMANENT


class Skip(TaskError):
    """The task decided not to run: its state is ``skipped``."""

    kind = SKIP


class Reschedule(TaskError):
    """Not yet: give the worker slot back and run again after ``after`` (a ``timedelta`` or
    seconds), or after the task's sensor poke interval when ``after`` is None."""

    kind = RESCHEDULE

    def __init__(self, after: timedelta | float | None = None) -> None:
        super().__init__("rescheduled")
        self.after_ms = None if after is None else milliseconds(after, "Reschedule(after=...)")


class Defer(TaskError):
    """Wait without holding a worker slot until ``wait`` holds. With ``resume``, the task runs
    again afterwards with ``ctx.event`` saying what happened; without it, the task ends as the
    event says (success, or failure for a failed state)."""

    kind = DEFER

    def __init__(self, wait: Wait, *, resume: bool = False) -> None:
        super().__init__("deferred")
        self.wait = wait
        self.resume = resume


class XComError(TaskError):
    """An XCom push or pull failed; retryable only when the store could not be reached."""


class AccessError(TaskError):
    """A connection or secret could not be read: not declared by the task, not found, or the
    store behind it could not be reached (retryable)."""


class SqlError(TaskError):
    """A SQL call failed. ``case`` names it (``Connect``, ``Denied``, ``Database``, ...) and
    ``code`` holds the SQLSTATE of a database error, when the database gave one."""

    def __init__(self, message: str, *, kind: str, case: str, code: str | None = None) -> None:
        super().__init__(message, kind=kind)
        self.case = case
        self.code = code


class HttpError(TaskError):
    """An HTTP request failed before a response came (``code`` is the host's error code:
    ``HttpRequestDenied``, ``ConnectionRefused``, ...), or, from ``Response.raise_for_status``,
    came back with an error status (``status``)."""

    def __init__(
        self, message: str, *, kind: str, code: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message, kind=kind)
        self.code = code
        self.status = status


class TriggerError(TaskError):
    """A run of another DAG could not be triggered. ``case`` is ``NotFound``, ``Paused``,
    ``Invalid``, ``AlreadyExists`` or ``Unavailable`` (the only retryable one)."""

    def __init__(self, message: str, *, kind: str, case: str) -> None:
        super().__init__(message, kind=kind)
        self.case = case


def milliseconds(value: timedelta | float, what: str) -> int:
    """``value`` (a ``timedelta`` or a number of seconds) in whole milliseconds; a negative
    value or one of another type is refused, naming ``what``."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise TypeError(f"{what}: expected a timedelta or a number of seconds, got {value!r}")
    if seconds < 0:
        raise ValueError(f"{what}: must not be negative, got {value!r}")
    return round(seconds * 1000)
