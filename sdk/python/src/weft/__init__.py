"""Weft's Python SDK: a DAG and its tasks in Python, built into one WebAssembly component by
``wfctl build``.

    from weft import Dag, Context

    dag = Dag("hello", schedule="@daily", start_date="2024-01-01")

    @dag.task
    def greet(ctx: Context) -> dict:
        ctx.log.info("greeting %s", ctx.conf.get("name", "world"))
        return {"greeting": f"hello, {ctx.conf.get('name', 'world')}"}
"""

import sys as _sys

from . import _capability, waits
from .context import Context
from .dag import Dag, Task, dag, task
from .errors import (
    AccessError,
    Defer,
    HttpError,
    PermanentError,
    Reschedule,
    RetryableError,
    Skip,
    SqlError,
    TaskError,
    TriggerError,
    XComError,
)
from .settings import email, sensor, webhook

__version__ = "0.1.0"

__all__ = [
    "AccessError",
    "Context",
    "Dag",
    "Defer",
    "HttpError",
    "PermanentError",
    "Reschedule",
    "RetryableError",
    "Skip",
    "SqlError",
    "Task",
    "TaskError",
    "TriggerError",
    "XComError",
    "dag",
    "email",
    "sensor",
    "task",
    "waits",
    "webhook",
]

# Every capability module (``weft.xcom``, ``weft.sql``, ...) registers its context methods, host
# calls and fake; the names in its ``__all__`` are the package's too.
__all__ += _capability.export_all(_sys.modules[__name__])
__all__.sort()
