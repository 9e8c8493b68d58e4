"""The ``hello_python`` DAG: Weft's ``hello`` example, written in Python.

Six tasks, ``t1 >> [t2, t3] >> t4``, and ``fetch`` and ``query`` on their own:

* ``t1`` greets the name given in the run's configuration (``{"name": "..."}``, default
  ``world``) and returns ``{"greeting": "hello, <name>"}``;
* ``t2`` reads t1's output from the upstream outputs handed to it and returns the greeting
  upper-cased, ``{"upper": "HELLO, <NAME>"}``;
* ``t3`` pulls t1's output through XCom, pushes the greeting's length under the key
  ``length`` and returns the greeting reversed, ``{"reversed": "..."}``;
* ``t4`` pulls the outputs of t2 and t3 and t3's ``length``, and returns them combined,
  ``{"upper": "...", "reversed": "...", "length": N}``;
* ``fetch`` sends ``GET`` to the URL given in the run's configuration (``{"url": "..."}``)
  through the raw ``wasi:http`` bindings and returns ``{"status": N, "bytes": N, "body":
  "<the first 200 characters>"}``; with no ``url`` it sends nothing and returns ``{}``;
* ``query`` opens the connection ``postgres_default`` through ``weft:dag/sql`` and runs one
  parameterised query with the integer given in the run's configuration (``{"number": N}``),
  returning ``{"rows": [{"answer": N + 1, "database": "<the database's name>"}]}``; with no
  ``number`` it opens nothing and returns ``{}``.

``fetch`` may only reach what its task spec declares, ``GET http://127.0.0.1:*`` (any port of
the loopback address, where a test server listens), and what the operator allows
(``wfctl run ... --egress-allow RULE --egress-allow-net 127.0.0.1``). To reach another host,
change ``FETCH_EGRESS`` below (rules are ``[METHODS ][SCHEME://]HOST[:PORT|:*]``) and rebuild:
the rules are part of the component. A request outside them fails the task with the host's
error code (``HttpRequestDenied``) and the attempt with the class ``egress_denied``.

``query`` declares the connection ``postgres_default`` and nothing else: the host opens it (the
task never sees its password) when the operator allows its ``tcp://HOST:PORT``
(``--egress-allow tcp://127.0.0.1:5432``, and ``--egress-allow-net 127.0.0.1`` for loopback).

Every output and every XCom value is JSON, encoded as UTF-8 bytes. The module is built into a
component of the ``weft:dag`` world (``wit/dag.wit``) by componentize-py, which generates the
``wit_world`` package imported below; see README.md.
"""

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import wit_world
from componentize_py_types import Err, Ok
from wit_world.imports import log, outgoing_handler, sql, xcom
from wit_world.imports.sql import (
    SqlError,
    SqlError_Connect,
    SqlError_Database,
    SqlError_Timeout,
    SqlValue,
    SqlValue_Bytes,
    SqlValue_Int,
    SqlValue_Null,
)
from wit_world.imports.streams import InputStream, StreamError_Closed
from wit_world.imports.wasi_http_types import (
    ErrorCode,
    ErrorCode_DestinationIpProhibited,
    ErrorCode_HttpRequestDenied,
    ErrorCode_HttpRequestUriInvalid,
    Fields,
    IncomingResponse,
    Method_Get,
    OutgoingRequest,
    Scheme,
    Scheme_Http,
    Scheme_Https,
    http_error_code,
)
from wit_world.imports.weft_dag_types import (
    DagSpec,
    LogLevel,
    Resources,
    RunNotifications,
    TaskContext,
    TaskError,
    TaskError_Permanent,
    TaskError_Retryable,
    TaskKind_Code,
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

# Each task's direct upstream tasks: t1 >> [t2, t3] >> t4, and fetch on its own.
EDGES = {
    "t1": [],
    "t2": ["t1"],
    "t3": ["t1"],
    "t4": ["t2", "t3"],
    "fetch": [],
    "query": [],
}

# Where `fetch` may send requests: its `resources.egress-allowlist`, fixed at build time.
FETCH_EGRESS = ["GET http://127.0.0.1:*"]

# The connection `query` opens: its `resources.connections`, fixed at build time. The operator
# gives its host, port, database, login and password (`AIRFLOW_CONN_POSTGRES_DEFAULT` for
# `wfctl run`).
QUERY_CONNECTION = "postgres_default"

# The one query `query` runs: `$1` is the run's `number`, sent as a typed integer parameter.
QUERY = "SELECT $1::int + 1 AS answer, current_database() AS database"

# XCom key under which t3 pushes the greeting's length.
LENGTH_KEY = "length"

# What each XCom error case means, for the messages of the task errors they become.
XCOM_ERRORS = {
    XcomError_NotUpstream: "the task is not upstream of this one",
    XcomError_InvalidKey: "invalid key",
    XcomError_TooLarge: "the value is larger than the limit in bytes",
    XcomError_Unavailable: "the XCom store is unavailable",
}

# The URL schemes `fetch` knows, as wasi:http names them.
SCHEMES: dict[str, Scheme] = {"http": Scheme_Http(), "https": Scheme_Https()}

# Host error codes that another attempt would meet again: refusals and malformed URLs.
HTTP_REFUSALS = (
    ErrorCode_HttpRequestDenied,
    ErrorCode_DestinationIpProhibited,
    ErrorCode_HttpRequestUriInvalid,
)

# SQL errors that another attempt may not meet: the database could not be reached or the
# statement ran out of time. Every other case (the connection is not declared, does not exist
# or is refused by the operator's policy, a cap is reached, the database refuses the statement)
# would come again. Of the database's own errors, SQLSTATE classes 08 (connection exception)
# and 40 (transaction rollback: serialization failure, deadlock) are worth a retry.
SQL_TRANSIENT = (SqlError_Connect, SqlError_Timeout)
SQLSTATE_TRANSIENT = ("08", "40")

# How many bytes `fetch` asks the body stream for at a time, and how many characters of the
# body its output shows.
READ_SIZE = 64 * 1024
BODY_PREVIEW = 200


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


def run_conf(ctx: TaskContext) -> dict[str, Any]:
    """The run's configuration, a JSON object."""
    conf = decode(ctx.conf.encode("utf-8"), "the run's configuration")
    if not isinstance(conf, dict):
        raise permanent(f"the run's configuration is not a JSON object: {ctx.conf}")
    return conf


def conf_string(ctx: TaskContext, name: str, default: str | None) -> str | None:
    """The string field `name` of the run's configuration, `default` when it is not given."""
    value = run_conf(ctx).get(name, default)
    if value is not None and not isinstance(value, str):
        raise permanent(f"the run's configuration field `{name}` is not a string: {value!r}")
    return value


def conf_int(ctx: TaskContext, name: str) -> int | None:
    """The integer field `name` of the run's configuration, None when it is not given."""
    value = run_conf(ctx).get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise permanent(f"the run's configuration field `{name}` is not an integer: {value!r}")
    return value


# --- Helpers: outgoing HTTP through the raw wasi:http bindings -------------------------------


def http_failure(code: ErrorCode, url: str) -> Err[TaskError]:
    """Turn a wasi:http error code into a task error naming it; a refusal is permanent."""
    name = type(code).__name__.removeprefix("ErrorCode_")
    detail = getattr(code, "value", None)
    message = f"GET {url} failed: {name}" + (f" ({detail})" if detail is not None else "")
    if isinstance(code, HTTP_REFUSALS):
        return Err(TaskError_Permanent(message))
    return Err(TaskError_Retryable(message))


def get_request(url: str) -> OutgoingRequest:
    """A `GET` request for the absolute http(s) URL `url`, with no headers and no body."""
    parts = urlsplit(url)
    scheme = SCHEMES.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise permanent(f"`url` is not an absolute http or https URL: {url!r}")
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    request = OutgoingRequest(Fields())
    try:
        request.set_method(Method_Get())
        request.set_scheme(scheme)
        request.set_authority(parts.netloc)
        request.set_path_with_query(target)
    except Err as error:  # the setters raise Err(None) on a value wasi:http rejects
        raise permanent(f"`url` is not a valid request target: {url!r}") from error
    return request


def send(request: OutgoingRequest, url: str) -> IncomingResponse:
    """Send `request` and wait for the response's head; the host's error codes are raised."""
    try:
        future = outgoing_handler.handle(request, None)
    except Err as error:  # refused before it left, e.g. HttpRequestDenied by the egress policy
        raise http_failure(error.value, url) from error
    with future:
        with future.subscribe() as ready:
            ready.block()
        outcome = future.get()
    # Once ready, `get` gives Ok(the response or an error code); Err only to a second call.
    match outcome:
        case Ok(Ok(response)):
            return response
        case Ok(Err(code)):
            raise http_failure(code, url)
        case _:
            raise permanent(f"GET {url}: no response to take: {outcome!r}")


def read_chunk(stream: InputStream, url: str) -> bytes | None:
    """The next bytes of `stream`, waiting for some; None at its end (the `closed` error)."""
    try:
        return stream.blocking_read(READ_SIZE)
    except Err as error:
        failure = error.value  # a StreamError
        if isinstance(failure, StreamError_Closed):
            return None
        code = http_error_code(failure.value)
        if code is not None:
            raise http_failure(code, url) from error
        reason = failure.value.to_debug_string()
        raise Err(TaskError_Retryable(f"GET {url} failed: {reason}")) from error


def read_body(response: IncomingResponse, url: str) -> bytes:
    """Read `response`'s body to its end."""
    chunks = []
    with response.consume() as body, body.stream() as stream:
        while (chunk := read_chunk(stream, url)) is not None:
            chunks.append(chunk)
    return b"".join(chunks)


# --- Helpers: SQL through weft:dag/sql -----------------------------------------------------------


def sql_failure(error: SqlError, action: str) -> Err[TaskError]:
    """Turn a SQL error into a task error naming its case; a refusal is permanent."""
    name = type(error).__name__.removeprefix("SqlError_")
    transient = isinstance(error, SQL_TRANSIENT)
    if isinstance(error, SqlError_Database):
        code = error.value.code or ""
        transient = code.startswith(SQLSTATE_TRANSIENT)
        message = f"{action} failed: {name} [{code or '?'}]: {error.value.message}"
    else:
        message = f"{action} failed: {name}: {error.value}"
    if transient:
        return Err(TaskError_Retryable(message))
    return Err(TaskError_Permanent(message))


def to_json(value: SqlValue) -> Any:
    """A column's value as JSON: NULL as null, numbers and booleans as such, bytes as a list
    of numbers, and the rest (decimals, times, UUIDs, JSON documents) as their text."""
    match value:
        case SqlValue_Null():
            return None
        case SqlValue_Bytes(data):
            return list(data)
        case _:
            return value.value


# --- Tasks -----------------------------------------------------------------------------------


def t1(ctx: TaskContext, upstream: list[UpstreamOutput]) -> Any:
    """Greet the name from the run's configuration."""
    greeting = f"hello, {conf_string(ctx, 'name', 'world')}"
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


def fetch(ctx: TaskContext, upstream: list[UpstreamOutput]) -> Any:
    """GET the run's `url`, if it gives one, and return the response's status and body."""
    url = conf_string(ctx, "url", None)
    if url is None:
        info("fetch: no `url` in the run's configuration, nothing to fetch")
        return {}
    with send(get_request(url), url) as response:
        status = response.status()
        body = read_body(response, url)
    info(f"fetch: GET {url} answered {status} with {len(body)} bytes")
    text = body.decode("utf-8", errors="replace")
    return {"status": status, "bytes": len(body), "body": text[:BODY_PREVIEW]}


def query(ctx: TaskContext, upstream: list[UpstreamOutput]) -> Any:
    """Run `QUERY` on `postgres_default` with the run's `number`, if it gives one, and return
    its rows."""
    number = conf_int(ctx, "number")
    if number is None:
        info("query: no `number` in the run's configuration, nothing to query")
        return {}
    try:
        with sql.open(QUERY_CONNECTION) as session:
            result = session.query(QUERY, [SqlValue_Int(number)])
    except Err as error:
        raise sql_failure(error.value, f"query on `{QUERY_CONNECTION}`") from error
    names = [column.name for column in result.columns]
    rows = [dict(zip(names, map(to_json, row))) for row in result.rows]
    info(f"query: {len(rows)} row(s) from `{QUERY_CONNECTION}`")
    return {"rows": rows}


Task = Callable[[TaskContext, list[UpstreamOutput]], Any]

TASKS: dict[str, Task] = {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "fetch": fetch, "query": query}

# What each task asks of the machine, for those that ask for something.
RESOURCES = {
    "fetch": Resources(
        memory_bytes=None,
        egress_allowlist=FETCH_EGRESS,
        directories=[],
        connections=[],
        secrets=[],
        fuel=None,
    ),
    "query": Resources(
        memory_bytes=None,
        egress_allowlist=[],
        directories=[],
        connections=[QUERY_CONNECTION],
        secrets=[],
        fuel=None,
    ),
}


# --- The DAG ---------------------------------------------------------------------------------


def inherit(resources: Resources | None = None) -> TaskSettings:
    """Task settings that override nothing but `resources`, when given: every field inherits."""
    return TaskSettings(
        queue=None,
        retries=None,
        retry_delay_ms=None,
        retry_exponential_backoff=None,
        max_retry_delay_ms=None,
        execution_timeout_ms=None,
        pool=None,
        priority_weight=None,
        resources=resources,
        sensor=None,
        max_active_tis=None,
        notifications=None,
    )


class WitWorld(wit_world.WitWorld):
    """The exports of the `dag` world: the DAG's structure and its tasks' code."""

    def describe(self) -> DagSpec:
        """The DAG's structure, built from `EDGES` and `RESOURCES` alone."""
        return DagSpec(
            dag_id=DAG_ID,
            description=(
                "Greets someone in Python: t1 >> [t2, t3] >> t4; "
                "fetch GETs a URL; query asks PostgreSQL."
            ),
            schedule="@daily",
            start_date="2024-01-01",
            catchup=False,
            max_active_runs=None,
            max_active_tasks=None,
            dagrun_timeout_ms=None,
            tags=["example", "python"],
            defaults=inherit(),
            notifications=RunNotifications(on_success=[], on_failure=[]),
            end_date=None,
            assets=[],
            tasks=[
                TaskSpec(
                    task_id=task_id,
                    upstream=list(upstream),
                    trigger_rule=TriggerRule.ALL_SUCCESS,
                    settings=inherit(RESOURCES.get(task_id)),
                    kind=TaskKind_Code(),
                    expand=None,
                    outlets=[],
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
