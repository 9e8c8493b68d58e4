"""SQL through the host: ``with ctx.sql("postgres_default") as db: db.query(...)``.

The host opens the connection the task declares; the task never sees its password. Parameters
are written ``$1``, ``$2``, ... for PostgreSQL and ``?`` for MySQL and MariaDB, and passed as
Python values; rows come back as dicts of Python values.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timezone
from decimal import Decimal
from types import TracebackType
from typing import Any

from .host import SqlSession, SqlValue


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
