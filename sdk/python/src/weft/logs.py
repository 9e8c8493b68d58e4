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


@contextmanager
def to_host(host: Host) -> Iterator[logging.Logger]:
    """Send the root logger's records to ``host`` while the block runs (other libraries' at
    INFO and above, the task's own from DEBUG); the task's logger."""
    root = logging.getLogger()
    handler = HostHandler(host)
    saved = root.level
    task_logger = logging.getLogger("weft.task")
    root.addHandler(handler)
    # Other loggers at INFO, as Airflow's task logs are; the task's own at DEBUG.
    root.setLevel(logging.INFO)
    task_logger.setLevel(logging.DEBUG)
    try:
        yield task_logger
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)
