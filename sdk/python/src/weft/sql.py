"""SQL through the host: ``with ctx.sql("postgres_default") as db: db.query(...)``.

The host opens the connection the task declares; the task never sees its password. Parameters
are written ``$1``, ``$2``, ... for PostgreSQL and ``?`` for MySQL and MariaDB, and passed as
Python values; rows come back as dicts of Python values.

The capability: ``ctx.sql(conn_id)``, over the host call ``sql_open`` and the session's own
calls. ``FakeHost`` has no fake database: its ``sql`` (a function of a connection id to a
``SqlSession``) opens sessions, and without it every open fails (``NotFound``).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timezone
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol

from ._capability import Capability, Err, bindings
from ._capability import case as _case
from .errors import PERMANENT, RETRYABLE, SqlError

__all__ = ["Json"]

cap = Capability(__name__)
_wsql = bindings("sql")

#: A SQL value as it crosses the seam: its WIT case and its value, e.g. ``("int", 5)``,
#: ``("text", "a")``, ``("null", None)``.
SqlValue = tuple[str, Any]


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


class Json:
    """A parameter sent as a JSON document (``json``/``jsonb``). Dicts and lists are sent as
    JSON without it; wrap a string or number to send it as JSON rather than as text."""

    def __init__(self, value: Any) -> None:
        self.value = value


def to_sql(value: Any) -> SqlValue:
    """A Python value as a SQL parameter; a value of another type is refused, naming it."""
    match value:
        case None:
            return ("null", None)
        case bool():
            return ("boolean", value)
        case int():
            if not -(2**63) <= value < 2**63:
                return ("decimal", str(value))
            return ("int", value)
        case float():
            return ("float", value)
        case str():
            return ("text", value)
        case bytes() | bytearray() | memoryview():
            return ("bytes", bytes(value))
        case Decimal():
            return ("decimal", str(value))
        case datetime():
            if value.tzinfo is None:
                return ("datetime", value.isoformat())
            utc = value.astimezone(timezone.utc).replace(tzinfo=None)
            return ("timestamp", utc.isoformat() + "Z")
        case date():
            return ("date", value.isoformat())
        case time():
            return ("time", value.isoformat())
        case uuid.UUID():
            return ("uuid", str(value))
        case Json():
            return ("json", json.dumps(value.value))
        case dict() | list():
            return ("json", json.dumps(value))
    raise TypeError(f"a SQL parameter cannot be of type {type(value).__name__}: {value!r}")


def _timestamp(text: str) -> datetime:
    """An RFC 3339 instant (``...Z`` or with an offset) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_FROM_SQL = {
    "null": lambda _: None,
    "boolean": bool,
    "int": int,
    "float": float,
    "text": str,
    "bytes": bytes,
    "decimal": Decimal,
    "timestamp": _timestamp,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "uuid": uuid.UUID,
    "json": json.loads,
}


def from_sql(value: SqlValue) -> Any:
    """A column's value as Python: ``numeric`` as ``Decimal``, ``timestamptz`` as an aware
    ``datetime``, ``json`` parsed, and so on."""
    case, raw = value
    convert = _FROM_SQL.get(case)
    if convert is None:
        raise TypeError(f"unknown SQL value case {case!r}")
    return convert(raw)


class Session:
    """A session on one connection; a context manager that closes it (rolling back a
    transaction left open)."""

    def __init__(self, conn_id: str, session: SqlSession) -> None:
        self.conn_id = conn_id
        self._session = session

    def query(self, statement: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Run ``statement`` and return every row as a dict keyed by column name."""
        names, rows = self._session.query(statement, [to_sql(p) for p in params])
        return [dict(zip(names, map(from_sql, row))) for row in rows]

    def execute(self, statement: str, params: list[Any] | tuple[Any, ...] = ()) -> int:
        """Run ``statement``; the number of rows it affected."""
        return self._session.execute(statement, [to_sql(p) for p in params])

    def begin(self) -> None:
        """Begin a transaction."""
        self._session.begin()

    def commit(self) -> None:
        """Commit the transaction."""
        self._session.commit()

    def rollback(self) -> None:
        """Roll the transaction back."""
        self._session.rollback()

    def close(self) -> None:
        """End the session."""
        self._session.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@cap.context
def sql(self: Any, conn_id: str) -> Session:
    """A session on the SQL connection ``conn_id``, which the task declares; the host
    opens it, and the task never sees its password."""
    return Session(conn_id, self._host.sql_open(conn_id))


# --- inside a component: weft:dag/sql ---------------------------------------------------------

#: SQL errors another attempt may not meet; of the database's own, SQLSTATE classes 08
#: (connection exception) and 40 (serialization failure, deadlock).
_TRANSIENT = () if _wsql is None else (_wsql.SqlError_Connect, _wsql.SqlError_Timeout)
_SQLSTATE_TRANSIENT = ("08", "40")


def _error(error: Any, action: str) -> SqlError:
    name = _case(error, "SqlError_")
    if isinstance(error, _wsql.SqlError_Database):
        code = error.value.code
        kind = RETRYABLE if (code or "").startswith(_SQLSTATE_TRANSIENT) else PERMANENT
        message = f"{action} failed: {name} [{code or '?'}]: {error.value.message}"
        return SqlError(message, kind=kind, case=name, code=code)
    kind = RETRYABLE if isinstance(error, _TRANSIENT) else PERMANENT
    return SqlError(f"{action} failed: {name}: {error.value}", kind=kind, case=name)


_TO_SQL: dict[str, Any] = {} if _wsql is None else {
    "null": lambda _: _wsql.SqlValue_Null(),
    "boolean": _wsql.SqlValue_Boolean,
    "int": _wsql.SqlValue_Int,
    "float": _wsql.SqlValue_Float,
    "text": _wsql.SqlValue_Text,
    "bytes": _wsql.SqlValue_Bytes,
    "decimal": _wsql.SqlValue_Decimal,
    "timestamp": _wsql.SqlValue_Timestamp,
    "datetime": _wsql.SqlValue_Datetime,
    "date": _wsql.SqlValue_Date,
    "time": _wsql.SqlValue_Time,
    "uuid": _wsql.SqlValue_Uuid,
    "json": _wsql.SqlValue_Json,
}


def _from_wit_sql(value: Any) -> SqlValue:
    return (_case(value, "SqlValue_").lower(), getattr(value, "value", None))


class _Session:
    """A ``weft:dag/sql`` session behind the SDK's ``SqlSession``."""

    def __init__(self, conn_id: str, session: Any) -> None:
        self._conn_id = conn_id
        self._session = session
        self._closed = False

    def _call(self, action: str, call: Any) -> Any:
        if self._closed:
            raise SqlError(
                f"{action} on `{self._conn_id}`: the session is closed", kind=PERMANENT, case="State"
            )
        try:
            return call()
        except Err as error:
            raise _error(error.value, f"{action} on `{self._conn_id}`") from error

    def query(self, statement: str, params: list[SqlValue]) -> tuple[list[str], list[list[SqlValue]]]:
        wit_params = [_TO_SQL[name](value) for name, value in params]
        rows = self._call("query", lambda: self._session.query(statement, wit_params))
        names = [column.name for column in rows.columns]
        return names, [[_from_wit_sql(v) for v in row] for row in rows.rows]

    def execute(self, statement: str, params: list[SqlValue]) -> int:
        wit_params = [_TO_SQL[name](value) for name, value in params]
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


@cap.guest("sql_open")
def _guest_sql_open(conn_id: str) -> _Session:
    """A session on the declared SQL connection ``conn_id``."""
    try:
        return _Session(conn_id, _wsql.open(conn_id))
    except Err as error:
        raise _error(error.value, f"opening `{conn_id}`") from error


# --- in unit tests ----------------------------------------------------------------------------

cap.fake_state(sql=lambda: None)


@cap.fake("sql_open")
def _fake_sql_open(fake: Any, conn_id: str) -> SqlSession:
    if fake.sql is None:
        raise SqlError(f"opening `{conn_id}` failed: NotFound: no SQL in this test", kind=PERMANENT, case="NotFound")
    return fake.sql(conn_id)
