"""Unit tests of a DAG's tasks on the author's machine, with no component and no Weft:
``FakeHost`` holds XCom, variables, connections and secrets in memory, and ``run_task`` runs one
task of a ``Dag`` as the host would.

    from weft.testing import FakeHost, run_task

    def test_greet():
        host = FakeHost()
        assert run_task(dag, "greet", host, conf={"name": "Ada"}) == {"greeting": "hello, Ada"}
        assert host.logs == [("info", "greeting Ada")]

SQL and HTTP have no fake: give ``FakeHost`` callables (``http=``, ``sql=``) that answer as the
test needs, or test those tasks end to end with ``wfctl test``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .dag import Dag
from .errors import PERMANENT, AccessError, HttpError, SqlError, TriggerError, XComError
from .host import Connection, HttpReply, HttpRequest, SqlSession, TaskContextData, WorkerInfo


@dataclass
class FakeHost:
    """An in-memory host. ``xcom`` maps ``(task_id, key)`` (key None for an output) to JSON
    values; ``declared_connections`` and ``declared_secrets``, when set, are what the task
    declares (others are refused as ``NotDeclared``)."""

    variables: dict[str, str] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    xcom: dict[tuple[str, str | None], Any] = field(default_factory=dict)
    http: Callable[[HttpRequest], HttpReply] | None = None
    sql: Callable[[str], SqlSession] | None = None
    declared_connections: set[str] | None = None
    declared_secrets: set[str] | None = None
    worker_info: WorkerInfo = field(default_factory=lambda: WorkerInfo("test-worker", "localhost", "default"))
    logs: list[tuple[str, str]] = field(default_factory=list)
    pushed: dict[str, Any] = field(default_factory=dict)
    triggered: list[dict[str, Any]] = field(default_factory=list)
    asset_extras: dict[str, Any] = field(default_factory=dict)

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))

    def xcom_push(self, key: str, value: bytes) -> None:
        self.pushed[key] = json.loads(value)

    def xcom_pull(self, task_id: str, key: str | None) -> bytes | None:
        if (task_id, key) not in self.xcom:
            return None
        return json.dumps(self.xcom[(task_id, key)]).encode()

    def variable(self, key: str) -> str | None:
        return self.variables.get(key)

    def _declared(self, names: set[str] | None, name: str, what: str) -> None:
        if names is not None and name not in names:
            raise AccessError(f"{what} `{name}`: NotDeclared: {name}", kind=PERMANENT)

    def connection(self, conn_id: str) -> Connection:
        self._declared(self.declared_connections, conn_id, "connection")
        if conn_id not in self.connections:
            raise AccessError(f"connection `{conn_id}`: NotFound: {conn_id}", kind=PERMANENT)
        return self.connections[conn_id]

    def secret(self, name: str) -> str:
        self._declared(self.declared_secrets, name, "secret")
        if name not in self.secrets:
            raise AccessError(f"secret `{name}`: NotFound: {name}", kind=PERMANENT)
        return self.secrets[name]

    def sql_open(self, conn_id: str) -> SqlSession:
        if self.sql is None:
            raise SqlError(f"opening `{conn_id}` failed: NotFound: no SQL in this test", kind=PERMANENT, case="NotFound")
        return self.sql(conn_id)

    def http_send(self, request: HttpRequest) -> HttpReply:
        if self.http is None:
            raise HttpError(f"{request.method} {request.url} failed: HttpRequestDenied", kind=PERMANENT, code="HttpRequestDenied")
        return self.http(request)

    def trigger(self, dag_id: str, conf: str | None, logical_date: str | None, run_id: str | None) -> str:
        if not dag_id:
            raise TriggerError("triggering DAG `` failed: Invalid", kind=PERMANENT, case="Invalid")
        made = run_id or f"triggered__{len(self.triggered) + 1}"
        self.triggered.append(
            {"dag_id": dag_id, "conf": None if conf is None else json.loads(conf), "logical_date": logical_date, "run_id": made}
        )
        return made

    def set_asset_extra(self, uri: str, extra: str) -> None:
        self.asset_extras[uri] = json.loads(extra)

    def worker(self) -> WorkerInfo:
        return self.worker_info


def run_task(
    dag: Dag,
    task_id: str,
    host: FakeHost | None = None,
    *,
    conf: dict[str, Any] | None = None,
    upstream: dict[str, Any] | None = None,
    map_item: Any = None,
    map_index: int | None = None,
    try_number: int = 1,
    run_id: str = "manual__test",
    logical_date: str = "2024-01-01T00:00:00Z",
) -> Any:
    """Run task ``task_id`` of ``dag`` once against ``host`` (a fresh ``FakeHost`` when none)
    and return its output, decoded; its ``TaskError`` is raised as the host would see it."""
    data = TaskContextData(
        dag_id=dag.dag_id,
        task_id=task_id,
        run_id=run_id,
        logical_date=logical_date,
        data_interval_start=logical_date,
        data_interval_end=logical_date,
        try_number=try_number,
        max_tries=max(try_number, 1),
        conf=json.dumps(conf or {}),
        map_index=map_index,
        map_item=None if map_item is None else json.dumps(map_item).encode(),
        event=None,
    )
    handed = {k: json.dumps(v).encode() for k, v in (upstream or {}).items()}
    output = dag.run_task(host or FakeHost(), data, handed)
    return json.loads(output)


__all__ = ["FakeHost", "HttpReply", "HttpRequest", "run_task"]
