"""The component's side of the seam: ``Host`` over the WIT imports, and the ``dag`` world's
exports built from a ``Dag``. Only importable inside a component, where componentize-py
generates ``wit_world``; ``wfctl build`` writes the module that calls ``export``."""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import wit_world
from componentize_py_types import Err, Ok
from wit_world.imports import (
    assets,
    connections,
    dag_runs,
    log,
    outgoing_handler,
    runtime,
    secrets,
    sql,
    variables,
    xcom,
)
from wit_world.imports import sql as wsql
from wit_world.imports import wasi_http_types as whttp
from wit_world.imports import weft_dag_types as wt
from wit_world.imports.streams import StreamError_Closed

from . import errors
from .context import Context, encode
from .dag import Dag
from .errors import PERMANENT, RETRYABLE, TaskError
from .host import Connection, HttpReply, HttpRequest, SqlValue, WorkerInfo
from .http import shown
from .logs import HostHandler, install
from .settings import Email, Notifications, Notifier, Resources, Sensor, TaskSettings
from .spec import DagSpec, ExpandItems, ExpandUpstream, TaskSpec
from .waits import AfterDataIntervalEnd, External, Until, Wait

# --- errors ------------------------------------------------------------------------------------


def _case(value: Any, prefix: str) -> str:
    """The case name of a WIT variant value: ``SqlError_Connect`` -> ``Connect``."""
    return type(value).__name__.removeprefix(prefix)


def _xcom_error(error: Any, action: str) -> errors.XComError:
    kind = RETRYABLE if isinstance(error, wt.XcomError_Unavailable) else PERMANENT
    return errors.XComError(f"{action} failed: {_case(error, 'XcomError_')}: {error.value}", kind=kind)


def _access_error(error: Any, what: str) -> errors.AccessError:
    kind = RETRYABLE if isinstance(error, wt.AccessError_Unavailable) else PERMANENT
    return errors.AccessError(f"{what}: {_case(error, 'AccessError_')}: {error.value}", kind=kind)


#: SQL errors another attempt may not meet; of the database's own, SQLSTATE classes 08
#: (connection exception) and 40 (serialization failure, deadlock).
_SQL_TRANSIENT = (wsql.SqlError_Connect, wsql.SqlError_Timeout)
_SQLSTATE_TRANSIENT = ("08", "40")


def _sql_error(error: Any, action: str) -> errors.SqlError:
    case = _case(error, "SqlError_")
    if isinstance(error, wsql.SqlError_Database):
        code = error.value.code
        kind = RETRYABLE if (code or "").startswith(_SQLSTATE_TRANSIENT) else PERMANENT
        message = f"{action} failed: {case} [{code or '?'}]: {error.value.message}"
        return errors.SqlError(message, kind=kind, case=case, code=code)
    kind = RETRYABLE if isinstance(error, _SQL_TRANSIENT) else PERMANENT
    return errors.SqlError(f"{action} failed: {case}: {error.value}", kind=kind, case=case)


#: Host error codes another attempt would meet again: refusals and malformed requests.
_HTTP_REFUSALS = (
    whttp.ErrorCode_HttpRequestDenied,
    whttp.ErrorCode_DestinationIpProhibited,
    whttp.ErrorCode_HttpRequestUriInvalid,
    whttp.ErrorCode_HttpRequestMethodInvalid,
)


def _http_error(code: Any, request: HttpRequest) -> errors.HttpError:
    name = _case(code, "ErrorCode_")
    detail = getattr(code, "value", None)
    message = f"{request.method} {shown(request.url)} failed: {name}" + (
        f" ({detail})" if detail is not None else ""
    )
    kind = PERMANENT if isinstance(code, _HTTP_REFUSALS) else RETRYABLE
    return errors.HttpError(message, kind=kind, code=name)


# --- the host ----------------------------------------------------------------------------------

_LEVELS = {
    "trace": wt.LogLevel.TRACE,
    "debug": wt.LogLevel.DEBUG,
    "info": wt.LogLevel.INFO,
    "warn": wt.LogLevel.WARN,
    "error": wt.LogLevel.ERROR,
}

_TO_SQL = {
    "null": lambda _: wsql.SqlValue_Null(),
    "boolean": wsql.SqlValue_Boolean,
    "int": wsql.SqlValue_Int,
    "float": wsql.SqlValue_Float,
    "text": wsql.SqlValue_Text,
    "bytes": wsql.SqlValue_Bytes,
    "decimal": wsql.SqlValue_Decimal,
    "timestamp": wsql.SqlValue_Timestamp,
    "datetime": wsql.SqlValue_Datetime,
    "date": wsql.SqlValue_Date,
    "time": wsql.SqlValue_Time,
    "uuid": wsql.SqlValue_Uuid,
    "json": wsql.SqlValue_Json,
}


def _from_wit_sql(value: Any) -> SqlValue:
    case = _case(value, "SqlValue_").lower()
    return (case, getattr(value, "value", None))


class _Session:
    """A ``weft:dag/sql`` session behind the SDK's ``SqlSession``."""

    def __init__(self, conn_id: str, session: Any) -> None:
        self._conn_id = conn_id
        self._session = session
        self._closed = False

    def _call(self, action: str, call: Any) -> Any:
        if self._closed:
            raise errors.SqlError(
                f"{action} on `{self._conn_id}`: the session is closed", kind=PERMANENT, case="State"
            )
        try:
            return call()
        except Err as error:
            raise _sql_error(error.value, f"{action} on `{self._conn_id}`") from error

    def query(self, statement: str, params: list[SqlValue]) -> tuple[list[str], list[list[SqlValue]]]:
        wit_params = [_TO_SQL[case](value) for case, value in params]
        rows = self._call("query", lambda: self._session.query(statement, wit_params))
        names = [column.name for column in rows.columns]
        return names, [[_from_wit_sql(v) for v in row] for row in rows.rows]

    def execute(self, statement: str, params: list[SqlValue]) -> int:
        wit_params = [_TO_SQL[case](value) for case, value in params]
        return self._call("execute", lambda: self._session.execute(statement, wit_params))

    def begin(self) -> None:
        self._call("begin", self._session.begin)

    def commit(self) -> None:
        self._call("commit", self._session.commit)

    def rollback(self) -> None:
        self._call("rollback", self._session.rollback)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._session.__exit__(None, None, None)


#: Bytes asked of a body stream at a time, and written to one (wasi:io's most per write).
_READ_SIZE = 64 * 1024
_WRITE_SIZE = 4096
#: Nanoseconds per millisecond, for wasi:http's durations.
_NS_PER_MS = 1_000_000


class GuestHost:
    """``Host`` over the component's imports."""

    def log(self, level: str, message: str) -> None:
        log.write(_LEVELS.get(level, wt.LogLevel.INFO), message)

    def xcom_push(self, key: str, value: bytes) -> None:
        try:
            xcom.push(key, value)
        except Err as error:
            raise _xcom_error(error.value, f"pushing XCom `{key}`") from error

    def xcom_pull(self, task_id: str, key: str | None) -> bytes | None:
        try:
            return xcom.pull(task_id, key)
        except Err as error:
            raise _xcom_error(error.value, f"pulling XCom `{key or 'return_value'}` of `{task_id}`") from error

    def variable(self, key: str) -> str | None:
        return variables.get(key)

    def connection(self, conn_id: str) -> Connection:
        try:
            c = connections.get(conn_id)
        except Err as error:
            raise _access_error(error.value, f"connection `{conn_id}`") from error
        return Connection(c.conn_id, c.conn_type, c.host, c.port, c.schema, c.login, c.password, c.extra)

    def secret(self, name: str) -> str:
        try:
            return secrets.get(name)
        except Err as error:
            raise _access_error(error.value, f"secret `{name}`") from error

    def sql_open(self, conn_id: str) -> _Session:
        try:
            return _Session(conn_id, sql.open(conn_id))
        except Err as error:
            raise _sql_error(error.value, f"opening `{conn_id}`") from error

    def http_send(self, request: HttpRequest) -> HttpReply:
        outgoing = _outgoing(request)
        body = outgoing.body() if request.body is not None else None
        options = None
        if request.timeout_ms is not None:
            options = whttp.RequestOptions()
            options.set_connect_timeout(request.timeout_ms * _NS_PER_MS)
            options.set_first_byte_timeout(request.timeout_ms * _NS_PER_MS)
            options.set_between_bytes_timeout(request.timeout_ms * _NS_PER_MS)
        try:
            future = outgoing_handler.handle(outgoing, options)
        except Err as error:  # refused before it left, e.g. HttpRequestDenied
            raise _http_error(error.value, request) from error
        if body is not None and request.body is not None:
            _write_body(body, request.body, request)
        with future:
            with future.subscribe() as ready:
                ready.block()
            outcome = future.get()
        match outcome:
            case Ok(Ok(response)):
                with response:
                    status = response.status()
                    with response.headers() as fields:
                        headers = tuple(fields.entries())
                    return HttpReply(status, headers, _read_body(response, request))
            case Ok(Err(code)):
                raise _http_error(code, request)
        raise errors.HttpError(f"{request.method} {shown(request.url)}: no response", kind=RETRYABLE)

    def trigger(self, dag_id: str, conf: str | None, logical_date: str | None, run_id: str | None) -> str:
        try:
            return dag_runs.trigger(dag_runs.TriggerRequest(dag_id, conf, logical_date, run_id))
        except Err as error:
            reason = error.value
            case = _case(reason, "TriggerError_")
            kind = RETRYABLE if isinstance(reason, dag_runs.TriggerError_Unavailable) else PERMANENT
            message = f"triggering DAG `{dag_id}` failed: {case}: {reason.value}"
            raise errors.TriggerError(message, kind=kind, case=case) from error

    def set_asset_extra(self, uri: str, extra: str) -> None:
        try:
            assets.set_extra(uri, extra)
        except Err as error:
            raise errors.PermanentError(f"the extra of asset `{uri}`: {error.value}") from error

    def worker(self) -> WorkerInfo:
        w = runtime.worker()
        return WorkerInfo(w.worker_id, w.hostname, w.queue)


_METHODS = {
    "GET": whttp.Method_Get,
    "HEAD": whttp.Method_Head,
    "POST": whttp.Method_Post,
    "PUT": whttp.Method_Put,
    "DELETE": whttp.Method_Delete,
    "OPTIONS": whttp.Method_Options,
    "PATCH": whttp.Method_Patch,
}


def _outgoing(request: HttpRequest) -> Any:
    """The wasi:http request for ``request``."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    method = _METHODS.get(request.method)
    try:
        outgoing = whttp.OutgoingRequest(whttp.Fields.from_list(list(request.headers)))
        outgoing.set_method(method() if method else whttp.Method_Other(request.method))
        outgoing.set_scheme(whttp.Scheme_Https() if parts.scheme == "https" else whttp.Scheme_Http())
        outgoing.set_authority(parts.netloc)
        outgoing.set_path_with_query(target)
    except Err as error:  # a header, method or target wasi:http refuses
        raise errors.HttpError(
            f"{request.method} {shown(request.url)}: not a valid request: {error.value!r}",
            kind=PERMANENT,
        ) from error
    return outgoing


def _write_body(body: Any, data: bytes, request: HttpRequest) -> None:
    """Write ``data`` to the outgoing body and finish it."""
    with body.write() as stream:
        for start in range(0, len(data), _WRITE_SIZE):
            try:
                stream.blocking_write_and_flush(data[start : start + _WRITE_SIZE])
            except Err as error:
                raise errors.HttpError(
                    f"{request.method} {shown(request.url)}: sending the body failed", kind=RETRYABLE
                ) from error
    try:
        whttp.OutgoingBody.finish(body, None)
    except Err as error:  # the body does not match its Content-Length, say
        raise _http_error(error.value, request) from error


def _read_body(response: Any, request: HttpRequest) -> bytes:
    """Read the response's body to its end."""
    chunks = []
    with response.consume() as body, body.stream() as stream:
        while True:
            try:
                chunks.append(stream.blocking_read(_READ_SIZE))
            except Err as error:
                failure = error.value
                if isinstance(failure, StreamError_Closed):
                    break
                code = whttp.http_error_code(failure.value)
                if code is not None:
                    raise _http_error(code, request) from error
                reason = failure.value.to_debug_string()
                raise errors.HttpError(f"{request.method} {shown(request.url)}: {reason}", kind=RETRYABLE) from error
    return b"".join(chunks)


# --- the DAG's structure as WIT records --------------------------------------------------------


def _notifier(n: Notifier) -> Any:
    if isinstance(n, Email):
        return wt.Notifier_Email(wt.EmailNotifier(n.conn_id, list(n.to)))
    return wt.Notifier_Webhook(n.conn_id)


def _resources(r: Resources | None) -> Any:
    if r is None:
        return None
    return wt.Resources(
        memory_bytes=r.memory_bytes,
        egress_allowlist=list(r.egress),
        directories=[wt.DirectoryGrant(path, writable) for path, writable in r.scratch],
        connections=list(r.connections),
        secrets=list(r.secrets),
        fuel=r.fuel,
        worker_labels=list(r.worker_labels),
        arch=r.arch,
    )


def _sensor(s: Sensor | None) -> Any:
    if s is None:
        return None
    return wt.SensorSettings(
        s.poke_interval_ms, s.timeout_ms, s.soft_fail, s.exponential_backoff, s.max_poke_interval_ms
    )


def _notifications(n: Notifications | None) -> Any:
    if n is None:
        return None
    return wt.TaskNotifications(
        [_notifier(x) for x in n.on_success],
        [_notifier(x) for x in n.on_failure],
        [_notifier(x) for x in n.on_retry],
    )


def _settings(s: TaskSettings) -> Any:
    return wt.TaskSettings(
        queue=s.queue,
        retries=s.retries,
        retry_delay_ms=s.retry_delay_ms,
        retry_exponential_backoff=s.retry_exponential_backoff,
        max_retry_delay_ms=s.max_retry_delay_ms,
        execution_timeout_ms=s.execution_timeout_ms,
        pool=s.pool,
        priority_weight=s.priority_weight,
        resources=_resources(s.resources),
        sensor=_sensor(s.sensor),
        max_active_tis=s.max_active_tis,
        notifications=_notifications(s.notifications),
    )


def _wait(w: Wait) -> Any:
    if isinstance(w, Until):
        return wt.WaitCondition_Until(w.at)
    if isinstance(w, AfterDataIntervalEnd):
        return wt.WaitCondition_AfterDataIntervalEndMs(w.delay_ms)
    assert isinstance(w, External)
    run = (
        wt.RunSelector_RunId(w.run_id)
        if w.run_id is not None
        else wt.RunSelector_LogicalDateOffsetMs(w.logical_date_offset_ms)
    )
    return wt.WaitCondition_External(
        wt.ExternalWait(
            dag_id=w.dag_id,
            run=run,
            task_id=w.task_id,
            allowed_states=[wt.EndedState[s.upper()] for s in w.allowed_states],
            failed_states=[wt.EndedState[s.upper()] for s in w.failed_states],
        )
    )


def _kind(kind: str | Wait) -> Any:
    if kind == "code":
        return wt.TaskKind_Code()
    if kind == "branch":
        return wt.TaskKind_Branch()
    assert not isinstance(kind, str)
    return wt.TaskKind_Wait(_wait(kind))


def _task(t: TaskSpec) -> Any:
    expand = None
    if isinstance(t.expand, ExpandUpstream):
        expand = wt.Expand_Upstream(t.expand.task_id)
    elif isinstance(t.expand, ExpandItems):
        expand = wt.Expand_Items(list(t.expand.items))
    return wt.TaskSpec(
        task_id=t.task_id,
        upstream=list(t.upstream),
        trigger_rule=wt.TriggerRule[t.trigger_rule.upper()],
        settings=_settings(t.settings),
        kind=_kind(t.kind),
        expand=expand,
        outlets=list(t.outlets),
    )


def dag_spec(spec: DagSpec) -> Any:
    """``spec`` as the world's ``dag-spec`` record."""
    return wt.DagSpec(
        dag_id=spec.dag_id,
        description=spec.description,
        schedule=spec.schedule,
        start_date=spec.start_date,
        catchup=spec.catchup,
        max_active_runs=spec.max_active_runs,
        max_active_tasks=spec.max_active_tasks,
        dagrun_timeout_ms=spec.dagrun_timeout_ms,
        tags=list(spec.tags),
        defaults=_settings(spec.defaults),
        tasks=[_task(t) for t in spec.tasks],
        notifications=wt.RunNotifications(
            [_notifier(n) for n in spec.on_success], [_notifier(n) for n in spec.on_failure]
        ),
        end_date=spec.end_date,
        assets=list(spec.assets),
    )


def task_error(error: TaskError) -> Any:
    """``error`` as the world's ``task-error``."""
    if isinstance(error, errors.Reschedule):
        return wt.TaskError_Reschedule(error.after_ms)
    if isinstance(error, errors.Defer):
        return wt.TaskError_Defer(wt.Deferral(_wait(error.wait), error.resume))
    if error.kind == errors.SKIP:
        return wt.TaskError_Skip(error.message)
    if error.kind == PERMANENT:
        return wt.TaskError_Permanent(error.message)
    return wt.TaskError_Retryable(error.message)


# --- the exports -------------------------------------------------------------------------------


def _find_dag(module: ModuleType) -> Dag:
    """The one ``Dag`` module ``module`` defines at its top level."""
    dags = {id(v): v for v in vars(module).values() if isinstance(v, Dag)}
    if len(dags) != 1:
        found = ", ".join(sorted(d.dag_id for d in dags.values())) or "none"
        raise RuntimeError(
            f"module `{module.__name__}` must define exactly one weft.Dag at its top level "
            f"(one component holds one DAG); found: {found}"
        )
    return next(iter(dags.values()))


def _no_log(level: Any, message: str) -> None:
    """The warm-up's stand-in for the host's log."""


#: How many times the warm-up runs the attempt's path: CPython specialises an instruction
#: once it has run a few times.
_WARM_UP_CALLS = 16


def _warm_up(handler: HostHandler, task_log: logging.Logger) -> None:
    """Run the SDK's part of an attempt a few times at build time, on the types an attempt
    meets (the WIT record, the guest's host) with the host's log call set aside, so that the
    component's snapshot holds CPython's code for it already specialised. Every attempt
    starts from the snapshot: code specialised during the attempt is written again each time,
    and each page of the snapshot an attempt writes is a page copied."""
    host = handler.host
    data = wt.TaskContext(
        dag_id="warm_up",
        task_id="warm_up",
        run_id="warm_up",
        logical_date="",
        data_interval_start="",
        data_interval_end="",
        try_number=1,
        max_tries=1,
        conf='{"warm_up": 1}',
        map_index=None,
        map_item=None,
        event=None,
    )
    root = logging.getLogger()
    saved = log.write, root.handlers
    try:
        # Only this handler: one the project set up at import is left alone.
        log.write, root.handlers = _no_log, [handler]
        for _ in range(_WARM_UP_CALLS):
            ctx = Context(host, data, {"up": b'{"warm_up": 1}'}, task_log)
            ctx.conf.get("warm_up")
            ctx.upstream("up")
            task_log.info("%s", "warm-up")
            encode({"warm_up": ctx.task_id}, "the warm-up's output")
    finally:
        log.write, root.handlers = saved


def export(module: ModuleType) -> type:
    """The class componentize-py exports: ``module.WitWorld`` when the module writes its own
    (raw bindings), else one built from the ``Dag`` the module defines. The DAG is checked
    here, at build time, so a cycle or an unknown upstream task fails the build."""
    own = getattr(module, "WitWorld", None)
    if own is not None:
        return own
    dag = _find_dag(module)
    described = dag_spec(dag.spec())
    host = GuestHost()
    handler, task_log = install(host)
    _warm_up(handler, task_log)

    class WitWorld(wit_world.WitWorld):
        """The ``dag`` world's exports for ``dag``."""

        def describe(self) -> Any:
            return described

        def run_task(self, ctx: Any, upstream: list[Any]) -> bytes:
            try:
                # The WIT record has the fields of TaskContextData.
                return dag.run_task(host, ctx, {u.task_id: u.value for u in upstream}, task_log)
            except TaskError as error:
                try:
                    wit_error = task_error(error)
                except Exception as bad:  # a Defer or Reschedule the WIT cannot carry
                    message = f"the task's {type(error).__name__} cannot be carried out: {type(bad).__name__}: {bad}"
                    wit_error = wt.TaskError_Permanent(message)
                raise Err(wit_error) from error

    return WitWorld
