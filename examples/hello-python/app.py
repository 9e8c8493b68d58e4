"""The ``hello_python`` DAG: Weft's ``hello`` example, written in Python.

Four tasks, ``t1 >> [t2, t3] >> t4``:

* ``t1`` greets the name given in the run's configuration (``{"name": "..."}``, default
  ``world``) and returns ``{"greeting": "hello, <name>"}``;
* ``t2`` reads t1's output from the upstream outputs handed to it and returns the greeting
  upper-cased, ``{"upper": "HELLO, <NAME>"}``;
* ``t3`` pulls t1's output through XCom, pushes the greeting's length under the key
  ``length`` and returns the greeting reversed, ``{"reversed": "..."}``;
* ``t4`` pulls the outputs of t2 and t3 and t3's ``length``, and returns them combined,
  ``{"upper": "...", "reversed": "...", "length": N}``.

Every output and every XCom value is JSON, encoded as UTF-8 bytes. The module is built into a
component of the ``weft:dag`` world (``wit/dag.wit``) by componentize-py, which generates the
``wit_world`` package imported below; see README.md.
"""

import json
from collections.abc import Callable
from typing import Any

import wit_world
from componentize_py_types import Err
from wit_world.imports import log, xcom
from wit_world.imports.weft_dag_types import (
    DagSpec,
    LogLevel,
    TaskContext,
    TaskError,
    TaskError_Permanent,
    TaskError_Retryable,
    TaskSettings,
    TaskSpec,
    TriggerRule,
    UpstreamOutput,
    XcomError,
    XcomError_InvalidKey,
    XcomError_NotUpstream,
    XcomError_TooLarge,
    XcomError_Unavailable,
)

DAG_ID = "hello_python"

# Each task's direct upstream tasks: t1 >> [t2, t3] >> t4.
EDGES = {
    "t1": [],
    "t2": ["t1"],
    "t3": ["t1"],
    "t4": ["t2", "t3"],
}

# XCom key under which t3 pushes the greeting's length.
LENGTH_KEY = "length"

# What each XCom error case means, for the messages of the task errors they become.
XCOM_ERRORS = {
    XcomError_NotUpstream: "the task is not upstream of this one",
    XcomError_InvalidKey: "invalid key",
    XcomError_TooLarge: "the value is larger than the limit in bytes",
    XcomError_Unavailable: "the XCom store is unavailable",
}


# --- Helpers: errors, logging, JSON and XCom -------------------------------------------------


def permanent(message: str) -> Err[TaskError]:
    """A task error that no retry can mend; raise it to fail the attempt at once."""
    return Err(TaskError_Permanent(message))


def info(message: str) -> None:
    """Write one line to the attempt's log at info level."""
    log.write(LogLevel.INFO, message)


def encode(value: Any) -> bytes:
    """Encode a task output or XCom value as compact JSON bytes."""
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def decode(data: bytes, what: str) -> Any:
    """Decode JSON bytes; `what` names the value in the error raised when they are not JSON."""
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors
        raise permanent(f"{what} is not valid JSON: {error}") from error


def field(document: Any, name: str, what: str) -> Any:
    """The field `name` of the JSON object `document`, failing when it is missing."""
    if not isinstance(document, dict) or name not in document:
        raise permanent(f"{what} has no field `{name}`: {document!r}")
    return document[name]


def from_upstream(upstream: list[UpstreamOutput], task_id: str) -> Any:
    """The decoded output of direct upstream task `task_id`, as handed to `run-task`."""
    for output in upstream:
        if output.task_id == task_id:
            return decode(output.value, f"the output of `{task_id}`")
    raise permanent(f"no output of upstream task `{task_id}` was handed to this task")


def xcom_failure(error: Err[XcomError], action: str) -> Err[TaskError]:
    """Turn an XCom error into a task error: an unreachable store is worth a retry."""
    reason = error.value
    meaning = XCOM_ERRORS.get(type(reason), type(reason).__name__)
    message = f"{action} failed: {meaning}: {reason.value}"
    if isinstance(reason, XcomError_Unavailable):
        return Err(TaskError_Retryable(message))
    return Err(TaskError_Permanent(message))


def pull(task_id: str, key: str | None = None) -> Any:
    """Pull and decode task `task_id`'s output (or the value it pushed under `key`)."""
    what = f"XCom `{key or 'return_value'}` of `{task_id}`"
    try:
        data = xcom.pull(task_id, key)
    except Err as error:
        raise xcom_failure(error, f"pulling {what}") from error
    if data is None:
        raise permanent(f"{what} has no value")
    return decode(data, what)


def push(key: str, value: Any) -> None:
    """Encode `value` as JSON and push it under `key` for the calling task instance."""
    try:
        xcom.push(key, encode(value))
    except Err as error:
        raise xcom_failure(error, f"pushing XCom `{key}`") from error


def conf_name(ctx: TaskContext) -> str:
    """The `name` field of the run's configuration, `world` when it is not given."""
    conf = decode(ctx.conf.encode("utf-8"), "the run's configuration")
    if not isinstance(conf, dict):
        raise permanent(f"the run's configuration is not a JSON object: {ctx.conf}")
    name = conf.get("name", "world")
    if not isinstance(name, str):
        raise permanent(f"the run's configuration field `name` is not a string: {name!r}")
    return name


# --- Tasks -----------------------------------------------------------------------------------


def t1(ctx: TaskContext, upstream: list[UpstreamOutput]) -> Any:
    """Greet the name from the run's configuration."""
    greeting = f"hello, {conf_name(ctx)}"
    info(f"t1: {greeting}")
    return {"greeting": greeting}


def t2(ctx: TaskContext, upstream: list[UpstreamOutput]) -> Any:
    """Upper-case t1's greeting, read from the upstream outputs handed to the task."""
    greeting = field(from_upstream(upstream, "t1"), "greeting", "the output of `t1`")
    info(f"t2: read {greeting!r} from the upstream outputs")
    return {"upper": str(greeting).upper()}


def t3(ctx: TaskContext, upstream: list[UpstreamOutput]) -> Any:
    """Reverse t1's greeting, pulled through XCom, and push its length."""
    greeting = str(field(pull("t1"), "greeting", "the output of `t1`"))
    info(f"t3: pulled {greeting!r} through XCom")
    push(LENGTH_KEY, len(greeting))
    return {"reversed": greeting[::-1]}


def t4(ctx: TaskContext, upstream: list[UpstreamOutput]) -> Any:
    """Combine the outputs of t2 and t3 and the length t3 pushed."""
    combined = {
        "upper": field(pull("t2"), "upper", "the output of `t2`"),
        "reversed": field(pull("t3"), "reversed", "the output of `t3`"),
        "length": pull("t3", LENGTH_KEY),
    }
    info(f"t4: combined {combined}")
    return combined


Task = Callable[[TaskContext, list[UpstreamOutput]], Any]

TASKS: dict[str, Task] = {"t1": t1, "t2": t2, "t3": t3, "t4": t4}


# --- The DAG ---------------------------------------------------------------------------------


def inherit() -> TaskSettings:
    """Task settings that override nothing: every field inherits."""
    return TaskSettings(
        queue=None,
        retries=None,
        retry_delay_ms=None,
        retry_exponential_backoff=None,
        max_retry_delay_ms=None,
        execution_timeout_ms=None,
        pool=None,
        priority_weight=None,
        resources=None,
    )


class WitWorld(wit_world.WitWorld):
    """The exports of the `dag` world: the DAG's structure and its tasks' code."""

    def describe(self) -> DagSpec:
        """The DAG's structure, built from `EDGES` alone."""
        return DagSpec(
            dag_id=DAG_ID,
            description="Greets someone in Python: t1 >> [t2, t3] >> t4.",
            schedule="@daily",
            start_date="2024-01-01",
            catchup=False,
            max_active_runs=None,
            max_active_tasks=None,
            dagrun_timeout_ms=None,
            tags=["example", "python"],
            defaults=inherit(),
            tasks=[
                TaskSpec(
                    task_id=task_id,
                    upstream=list(upstream),
                    trigger_rule=TriggerRule.ALL_SUCCESS,
                    settings=inherit(),
                )
                for task_id, upstream in EDGES.items()
            ],
        )

    def run_task(self, ctx: TaskContext, upstream: list[UpstreamOutput]) -> bytes:
        """Run task `ctx.task_id` and return its output as JSON bytes.

        Raises `Err(TaskError)`: the task's own failures, and `permanent` for an unknown task id.
        """
        task = TASKS.get(ctx.task_id)
        if task is None:
            raise permanent(f"DAG `{DAG_ID}` has no task `{ctx.task_id}`")
        return encode(task(ctx, upstream))
