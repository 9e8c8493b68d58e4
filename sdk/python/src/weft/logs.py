"""The log capability: Python's ``logging`` into the attempt's log. A task logs with
``ctx.log`` (or any logger) and each record becomes one line of its log, at the matching
level, through the host call ``log(level, message)``; ``FakeHost`` keeps the lines in
``logs``, as ``(level, message)`` pairs."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from collections.abc import Iterator
from typing import Any

from ._capability import Capability, bindings
from .host import Host

cap = Capability(__name__)
_log = bindings("log")
_types = bindings("weft_dag_types")

#: The WIT levels by the host call's level names.
_LEVELS = (
    {}
    if _types is None
    else {
        "trace": _types.LogLevel.TRACE,
        "debug": _types.LogLevel.DEBUG,
        "info": _types.LogLevel.INFO,
        "warn": _types.LogLevel.WARN,
        "error": _types.LogLevel.ERROR,
    }
)


@cap.guest("log")
def _guest_log(level: str, message: str) -> None:
    """Write a line to the attempt's log; ``level`` is trace, debug, info, warn or error."""
    _log.write(_LEVELS.get(level, _LEVELS.get("info")), message)


cap.fake_state(logs=list)


@cap.fake("log")
def _fake_log(fake: Any, level: str, message: str) -> None:
    fake.logs.append((level, message))


def level_name(levelno: int) -> str:
    """The host's level for a ``logging`` level number."""
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warn"
    if levelno >= logging.INFO:
        return "info"
    if levelno >= logging.DEBUG:
        return "debug"
    return "trace"


class HostHandler(logging.Handler):
    """Writes each record, formatted, to the host's log."""

    def __init__(self, host: Host) -> None:
        super().__init__(logging.NOTSET)
        self.host = host
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.host.log(level_name(record.levelno), self.format(record))
        except Exception:  # a log line that cannot be written must not fail the task
            self.handleError(record)


def install(host: Host) -> tuple[HostHandler, logging.Logger]:
    """Send the root logger's records to ``host`` from now on: other libraries' at INFO and
    above, as Airflow's task logs are, the task's own from DEBUG. A component does this once,
    when it is built, so that its snapshot holds the handler and no attempt sets logging up.
    The handler and the task's logger."""
    handler = HostHandler(host)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    task_logger = logging.getLogger("weft.task")
    task_logger.setLevel(logging.DEBUG)
    return handler, task_logger


@contextmanager
def to_host(host: Host) -> Iterator[logging.Logger]:
    """Send the root logger's records to ``host`` while the block runs (see ``install``);
    the task's logger."""
    root = logging.getLogger()
    saved = root.level
    handler, task_logger = install(host)
    try:
        yield task_logger
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)
