"""Weft's Python SDK: a DAG and its tasks in Python, built into one WebAssembly component by
``wfctl build``.

    from weft import Dag, Context

    dag = Dag("hello", schedule="@daily", start_date="2024-01-01")

    @dag.task
    def greet(ctx: Context) -> dict:
        ctx.log.info("greeting %s", ctx.conf.get("name", "world"))
        return {"greeting": f"hello, {ctx.conf.get('name', 'world')}"}
"""

from . import waits
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
from .host import Connection, WorkerInfo
from .http import Response
from .settings import email, sensor, webhook
from .sql import Json

__version__ = "0.1.0"

__all__ = [
    "AccessError",
    "Connection",
    "Context",
    "Dag",
    "Defer",
    "HttpError",
    "Json",
    "PermanentError",
    "Reschedule",
    "Response",
    "RetryableError",
    "Skip",
    "SqlError",
    "Task",
    "TaskError",
    "TriggerError",
    "WorkerInfo",
    "XComError",
    "dag",
    "email",
    "sensor",
    "task",
    "waits",
    "webhook",
]
