"""The connections and secrets capability: what a task declares (``connections=[...]``,
``secrets=[...]``) it reads by name, and the host refuses the rest.

``ctx.connection(conn_id)`` and ``ctx.secret(name)``, over the host calls ``connection`` and
``secret``. ``FakeHost`` answers from ``connections`` and ``secrets``; when
``declared_connections`` or ``declared_secrets`` is set, it refuses others as ``NotDeclared``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ._capability import Capability, Err, bindings, case
from .errors import PERMANENT, RETRYABLE, AccessError

__all__ = ["Connection"]

cap = Capability(__name__)
_connections = bindings("connections")
_secrets = bindings("secrets")
_types = bindings("weft_dag_types")


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


@cap.context
def connection(self: Any, conn_id: str) -> Connection:
    """Connection ``conn_id``, which the task declares in ``connections=[...]``."""
    return self._host.connection(conn_id)


@cap.context
def secret(self: Any, name: str) -> str:
    """Secret ``name``, which the task declares in ``secrets=[...]``."""
    return self._host.secret(name)


def _error(error: Any, what: str) -> AccessError:
    """The SDK's error for a WIT ``access-error``: only an unreachable store is worth a retry."""
    kind = RETRYABLE if isinstance(error, _types.AccessError_Unavailable) else PERMANENT
    return AccessError(f"{what}: {case(error, 'AccessError_')}: {error.value}", kind=kind)


@cap.guest("connection")
def _guest_connection(conn_id: str) -> Connection:
    """Connection ``conn_id``, which the task must declare."""
    try:
        c = _connections.get(conn_id)
    except Err as error:
        raise _error(error.value, f"connection `{conn_id}`") from error
    return Connection(c.conn_id, c.conn_type, c.host, c.port, c.schema, c.login, c.password, c.extra)


@cap.guest("secret")
def _guest_secret(name: str) -> str:
    """Secret ``name``, which the task must declare."""
    try:
        return _secrets.get(name)
    except Err as error:
        raise _error(error.value, f"secret `{name}`") from error


cap.fake_state(connections=dict, secrets=dict, declared_connections=lambda: None, declared_secrets=lambda: None)


def _declared(names: set[str] | None, name: str, what: str) -> None:
    if names is not None and name not in names:
        raise AccessError(f"{what} `{name}`: NotDeclared: {name}", kind=PERMANENT)


@cap.fake("connection")
def _fake_connection(fake: Any, conn_id: str) -> Connection:
    _declared(fake.declared_connections, conn_id, "connection")
    if conn_id not in fake.connections:
        raise AccessError(f"connection `{conn_id}`: NotFound: {conn_id}", kind=PERMANENT)
    return fake.connections[conn_id]


@cap.fake("secret")
def _fake_secret(fake: Any, name: str) -> str:
    _declared(fake.declared_secrets, name, "secret")
    if name not in fake.secrets:
        raise AccessError(f"secret `{name}`: NotFound: {name}", kind=PERMANENT)
    return fake.secrets[name]
