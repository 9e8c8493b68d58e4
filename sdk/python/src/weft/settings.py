"""Task settings: the DAG's defaults and each task's own, as keyword arguments.

``Dag(..., default_args={...})`` and ``@dag.task(...)`` take the same keywords; a keyword a
task leaves out inherits the DAG's default, else the host's. Durations are ``timedelta``
objects or numbers of seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .errors import milliseconds


@dataclass(frozen=True)
class Webhook:
    """An HTTP POST of the notification's JSON to the URL of connection ``conn_id``."""

    conn_id: str


@dataclass(frozen=True)
class Email:
    """An email through the SMTP server of connection ``conn_id`` to ``to``."""

    conn_id: str
    to: tuple[str, ...]


Notifier = Webhook | Email


def webhook(conn_id: str) -> Webhook:
    """Notify by an HTTP POST to the URL of connection ``conn_id`` (``conn_type`` ``http``)."""
    return Webhook(conn_id)


def email(conn_id: str, to: str | list[str]) -> Email:
    """Notify by email to ``to`` through the SMTP connection ``conn_id``."""
    recipients = (to,) if isinstance(to, str) else tuple(to)
    if not recipients:
        raise ValueError("email(): name at least one recipient")
    return Email(conn_id, recipients)


@dataclass(frozen=True)
class Sensor:
    """How a task that reschedules or waits pokes, and how long it may wait."""

    poke_interval_ms: int
    timeout_ms: int | None = None
    soft_fail: bool = False
    exponential_backoff: bool = False
    max_poke_interval_ms: int | None = None


def sensor(
    poke_interval: timedelta | float = 60,
    *,
    timeout: timedelta | float | None = None,
    soft_fail: bool = False,
    exponential_backoff: bool = False,
    max_poke_interval: timedelta | float | None = None,
) -> Sensor:
    """Sensor settings, as Airflow's ``BaseSensorOperator`` takes them."""
    return Sensor(
        poke_interval_ms=milliseconds(poke_interval, "sensor(poke_interval=...)"),
        timeout_ms=None if timeout is None else milliseconds(timeout, "sensor(timeout=...)"),
        soft_fail=soft_fail,
        exponential_backoff=exponential_backoff,
        max_poke_interval_ms=None
        if max_poke_interval is None
        else milliseconds(max_poke_interval, "sensor(max_poke_interval=...)"),
    )


@dataclass(frozen=True)
class Resources:
    """What a task needs from outside its sandbox; the operator's policy may grant less."""

    memory_bytes: int | None = None
    egress: tuple[str, ...] = ()
    scratch: tuple[tuple[str, bool], ...] = ()
    connections: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    fuel: int | None = None
    worker_labels: tuple[str, ...] = ()
    arch: str | None = None

    def is_empty(self) -> bool:
        """Whether nothing is asked for: every field inherits."""
        return self == Resources()


@dataclass(frozen=True)
class Notifications:
    """Who is told of a task's attempts."""

    on_success: tuple[Notifier, ...] = ()
    on_failure: tuple[Notifier, ...] = ()
    on_retry: tuple[Notifier, ...] = ()


@dataclass(frozen=True)
class TaskSettings:
    """Settings of one task, or the DAG's defaults; None inherits."""

    queue: str | None = None
    retries: int | None = None
    retry_delay_ms: int | None = None
    retry_exponential_backoff: bool | None = None
    max_retry_delay_ms: int | None = None
    execution_timeout_ms: int | None = None
    pool: str | None = None
    priority_weight: int | None = None
    resources: Resources | None = None
    sensor: Sensor | None = None
    max_active_tis: int | None = None
    notifications: Notifications | None = None


#: Every keyword ``settings`` takes.
KEYWORDS = frozenset(
    {
        "queue",
        "retries",
        "retry_delay",
        "retry_exponential_backoff",
        "max_retry_delay",
        "execution_timeout",
        "pool",
        "priority_weight",
        "memory_bytes",
        "egress",
        "scratch",
        "connections",
        "secrets",
        "fuel",
        "worker_labels",
        "arch",
        "sensor",
        "max_active_tis",
        "on_success",
        "on_failure",
        "on_retry",
    }
)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    """A list of strings (or one string) as a tuple; anything else is refused."""
    if isinstance(value, str):
        return (value,)
    items = tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{what}: expected strings, got {item!r}")
    return items


def _string(value: Any, what: str) -> str:
    """A string; anything else is refused."""
    if not isinstance(value, str):
        raise TypeError(f"{what}: expected a string, got {value!r}")
    return value


def _count(value: Any, what: str, *, signed: bool = False) -> int:
    """A whole number (not a bool); a negative one is refused unless ``signed``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what}: expected an integer, got {value!r}")
    if value < 0 and not signed:
        raise ValueError(f"{what}: must not be negative, got {value}")
    return value


def _notifiers(value: Any, what: str) -> tuple[Notifier, ...]:
    """One notifier or a list of them."""
    items = (value,) if isinstance(value, (Webhook, Email)) else tuple(value)
    for item in items:
        if not isinstance(item, (Webhook, Email)):
            raise TypeError(f"{what}: expected weft.webhook(...) or weft.email(...), got {item!r}")
    return items


def _scratch(value: Any) -> tuple[tuple[str, bool], ...]:
    """Scratch directories: a path (writable), or (path, writable) pairs."""
    items = (value,) if isinstance(value, str) else tuple(value)
    out = []
    for item in items:
        path, writable = (item, True) if isinstance(item, str) else item
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"scratch: expected an absolute path, got {path!r}")
        out.append((path, bool(writable)))
    return tuple(out)


def settings(where: str, **kwargs: Any) -> TaskSettings:
    """``TaskSettings`` from keywords; an unknown keyword or a bad value is refused, naming
    ``where`` (the task or DAG they belong to) and the keyword."""
    unknown = sorted(set(kwargs) - KEYWORDS)
    if unknown:
        raise TypeError(f"{where}: unknown setting(s) {', '.join(unknown)}")

    def get(name: str, convert: Any) -> Any:
        value = kwargs.get(name)
        return None if value is None else convert(value, f"{where}: {name}")

    resources = Resources(
        memory_bytes=get("memory_bytes", _count),
        egress=get("egress", _strings) or (),
        scratch=_scratch(kwargs["scratch"]) if kwargs.get("scratch") else (),
        connections=get("connections", _strings) or (),
        secrets=get("secrets", _strings) or (),
        fuel=get("fuel", _count),
        worker_labels=get("worker_labels", _strings) or (),
        arch=get("arch", _string),
    )
    notifications = Notifications(
        on_success=get("on_success", _notifiers) or (),
        on_failure=get("on_failure", _notifiers) or (),
        on_retry=get("on_retry", _notifiers) or (),
    )
    sensor_settings = kwargs.get("sensor")
    if sensor_settings is not None and not isinstance(sensor_settings, Sensor):
        raise TypeError(f"{where}: sensor: expected weft.sensor(...), got {sensor_settings!r}")
    if resources.fuel == 0:
        raise ValueError(f"{where}: fuel: a budget of 0 could run nothing")
    return TaskSettings(
        queue=kwargs.get("queue"),
        retries=get("retries", _count),
        retry_delay_ms=get("retry_delay", milliseconds),
        retry_exponential_backoff=kwargs.get("retry_exponential_backoff"),
        max_retry_delay_ms=get("max_retry_delay", milliseconds),
        execution_timeout_ms=get("execution_timeout", milliseconds),
        pool=kwargs.get("pool"),
        priority_weight=get("priority_weight", lambda v, w: _count(v, w, signed=True)),
        resources=None if resources.is_empty() else resources,
        sensor=sensor_settings,
        max_active_tis=get("max_active_tis", _count),
        notifications=None if notifications == Notifications() else notifications,
    )


__all__ = [
    "Email",
    "Notifications",
    "Notifier",
    "Resources",
    "Sensor",
    "TaskSettings",
    "Webhook",
    "email",
    "sensor",
    "settings",
    "webhook",
]
