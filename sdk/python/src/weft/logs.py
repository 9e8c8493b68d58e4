"""Python's ``logging`` into the attempt's log: a task logs with ``ctx.log`` (or any logger)
and each record becomes one line of its log, at the matching level."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from collections.abc import Iterator

from .host import Host


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
