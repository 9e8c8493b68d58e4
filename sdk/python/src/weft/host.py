"""What a task asks of the host, as plain Python: the seam between the SDK and the WIT imports.

Inside a component, ``weft._component`` implements ``Host`` with the imports componentize-py
generates; ``weft.testing.FakeHost`` implements it in memory for unit tests. Every method raises
the SDK's own errors (``XComError``, ``AccessError``, ``SqlError``, ``HttpError``,
``TriggerError``), never the bindings'.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

#: A SQL value as it crosses the seam: its WIT case and its value, e.g. ``("int", 5)``,
#: ``("text", "a")``, ``("null", None)``.
SqlValue = tuple[str, Any]


@dataclass(frozen=True)
class TaskContextData:
    """The ``task-context`` record of one attempt."""

    dag_id: str
    task_id: str
    run_id: str
    logical_date: str
    data_interval_start: str
    data_interval_end: str
    try_number: int
    max_tries: int
    conf: str = "{}"
    map_index: int | None = None
    map_item: bytes | None = None
    event: str | None = None


@dataclass(frozen=True)
class WorkerInfo:
    """Where the attempt runs."""

    worker_id: str
    hostname: str
    queue: str


@dataclass(frozen=True)
class Connection:
    """A connection to an outside system (Airflow's), as a task reads it. The host leaves out
    the password of a connection it opens itself (SQL)."""

    conn_id: str
    conn_type: str
    host: str | None = None
    port: int | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = None
    extra: str = "{}"

    @property
    def extra_dejson(self) -> dict[str, Any]:
        """``extra`` as a dict (Airflow's name); ``{}`` when it is not a JSON object."""
        try:
            value = json.loads(self.extra or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def base_url(self) -> str:
        """The URL of an HTTP API, as Airflow's ``HttpHook`` makes it: ``host`` when it holds
        a scheme (``https://api.example.com``), else ``SCHEMA://HOST[:PORT]`` with ``schema``
        defaulting to ``http``."""
        host = (self.host or "").rstrip("/")
        if "://" in host:
            return host
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.schema or 'http'}://{host}{port}"

    def __repr__(self) -> str:  # the password never reaches a log through repr()
        hidden = None if self.password is None else "***"
        return (
            f"Connection(conn_id={self.conn_id!r}, conn_type={self.conn_type!r}, "
            f"host={self.host!r}, port={self.port!r}, schema={self.schema!r}, "
            f"login={self.login!r}, password={hidden!r})"
        )


@dataclass(frozen=True)
class HttpRequest:
    """An outgoing request: an absolute ``http``/``https`` URL, headers as pairs, a body."""

    method: str
    url: str
    headers: tuple[tuple[str, bytes], ...]
    body: bytes | None
    timeout_ms: int | None


@dataclass(frozen=True)
class HttpReply:
    """What came back: the status, the headers as pairs, the whole body."""

    status: int
    headers: tuple[tuple[str, bytes], ...]
    body: bytes


class SqlSession(Protocol):
    """An open session on one connection."""

    def query(
        self, statement: str, params: list[SqlValue]
    ) -> tuple[list[str], list[list[SqlValue]]]:
        """The column names and every row."""

    def execute(self, statement: str, params: list[SqlValue]) -> int:
        """The number of rows affected."""

    def begin(self) -> None:
        """Begin a transaction."""

    def commit(self) -> None:
        """Commit it."""

    def rollback(self) -> None:
        """Roll it back."""

    def close(self) -> None:
        """End the session; a transaction still open is rolled back."""


class Host(Protocol):
    """The host calls a task can make."""

    def log(self, level: str, message: str) -> None:
        """Write a line to the attempt's log; ``level`` is trace, debug, info, warn or error."""

    def xcom_push(self, key: str, value: bytes) -> None:
        """Push ``value`` under ``key`` for the calling task instance."""

    def xcom_pull(self, task_id: str, key: str | None) -> bytes | None:
        """The value ``task_id`` pushed under ``key`` (its output when None), if any."""

    def variable(self, key: str) -> str | None:
        """Variable ``key``, if set."""

    def connection(self, conn_id: str) -> Connection:
        """Connection ``conn_id``, which the task must declare."""

    def secret(self, name: str) -> str:
        """Secret ``name``, which the task must declare."""

    def sql_open(self, conn_id: str) -> SqlSession:
        """A session on the declared SQL connection ``conn_id``."""

    def http_send(self, request: HttpRequest) -> HttpReply:
        """Send ``request`` under the egress policy and read the whole response."""

    def trigger(
        self, dag_id: str, conf: str | None, logical_date: str | None, run_id: str | None
    ) -> str:
        """Create a run of DAG ``dag_id`` of the same tenant; its run id."""

    def set_asset_extra(self, uri: str, extra: str) -> None:
        """Attach ``extra`` (a JSON object) to the event outlet ``uri`` gets on success."""

    def worker(self) -> WorkerInfo:
        """The worker and queue running the attempt."""
