"""What a task asks of the host, as plain Python: the seam between the SDK and the WIT imports.

A host is any object with the host calls the capability modules name (``host.xcom_pull(...)``,
``host.variable(...)``, ...): inside a component, ``weft._component.GuestHost`` answers each
over the WIT imports; ``weft.testing.FakeHost`` answers in memory for unit tests. Each call is
defined, both ways, in its capability's module (see ``weft._capability``), and raises the SDK's
own errors (``XComError``, ``AccessError``, ``SqlError``, ``HttpError``, ``TriggerError``),
never the bindings'.

The types a capability's calls take and give (``Connection``, ``HttpRequest``, ...) live in
its module; this module still answers for them by name, as it did when it held them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


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


class Host(Protocol):
    """The host calls a task can make: one attribute per call a capability module registers
    (``weft._capability.GUEST``), each a function of that call's arguments."""

    def __getattr__(self, name: str) -> Any:
        """Host call ``name``."""


def __getattr__(name: str) -> Any:
    """A capability's type by its name (``Connection``, ``HttpReply``, ...), from the module
    that defines it."""
    from . import _capability

    for module in _capability.MODULES:
        found = vars(__import__(module, fromlist=["*"])).get(name)
        if found is not None and not name.startswith("_"):
            return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
