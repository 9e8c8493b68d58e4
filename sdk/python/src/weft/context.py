"""What a running task sees: its run and its upstream outputs; the capability modules add the
host calls it may make."""

from __future__ import annotations

import json
import logging
from typing import Any

from .errors import PermanentError
from .host import Host, TaskContextData

#: ``default`` when nothing is given: a missing value fails the task.
_MISSING: Any = object()


def encode(value: Any, what: str) -> bytes:
    """``value`` as compact JSON bytes; a value JSON cannot hold fails the task, naming it."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise PermanentError(f"{what} cannot be encoded as JSON: {error}") from error


def decode(data: bytes, what: str) -> Any:
    """JSON bytes as a value; bytes that are not JSON fail the task, naming ``what``."""
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError as error:
        raise PermanentError(f"{what} is not valid JSON: {error}") from error


class Context:
    """One attempt of one task: its run's facts and configuration, the outputs of its direct
    upstream tasks, and the host's services (XCom, variables, connections, secrets, SQL, HTTP,
    triggering other DAGs). Each service's methods are added by its capability module
    (``weft._capability``): ``ctx.xcom_pull`` comes from ``weft.xcom``, ``ctx.http`` from
    ``weft.http``, and so on."""

    def __init__(
        self,
        host: Host,
        data: TaskContextData,
        upstream: dict[str, bytes],
        log: logging.Logger | None = None,
    ) -> None:
        self._host = host
        self._data = data
        self._upstream = upstream
        self._conf: dict[str, Any] | None = None
        #: The task's logger: its records go to the attempt's log.
        self.log = log or logging.getLogger("weft.task")

    # --- the run -------------------------------------------------------------------------

    @property
    def dag_id(self) -> str:
        """The DAG's id."""
        return self._data.dag_id

    @property
    def task_id(self) -> str:
        """The task's id."""
        return self._data.task_id

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self._data.run_id

    @property
    def logical_date(self) -> str:
        """The run's logical date, RFC 3339."""
        return self._data.logical_date

    @property
    def data_interval_start(self) -> str:
        """Start of the run's data interval, RFC 3339."""
        return self._data.data_interval_start

    @property
    def data_interval_end(self) -> str:
        """End of the run's data interval, RFC 3339."""
        return self._data.data_interval_end

    @property
    def try_number(self) -> int:
        """This attempt's number, from 1."""
        return self._data.try_number

    @property
    def max_tries(self) -> int:
        """How many attempts the task may have in all."""
        return self._data.max_tries

    @property
    def conf(self) -> dict[str, Any]:
        """The run's configuration, a dict (``{}`` when none was given)."""
        if self._conf is None:
            conf = decode(self._data.conf.encode("utf-8"), "the run's configuration")
            if not isinstance(conf, dict):
                raise PermanentError(f"the run's configuration is not a JSON object: {conf!r}")
            self._conf = conf
        return self._conf

    @property
    def map_index(self) -> int | None:
        """The instance's index when the task is mapped, else None."""
        return self._data.map_index

    @property
    def map_item(self) -> Any:
        """The instance's item when the task is mapped, else None."""
        item = self._data.map_item
        return None if item is None else decode(item, "the map item")

    @property
    def event(self) -> Any:
        """What happened, when the task was deferred with ``resume`` and is running again."""
        event = self._data.event
        return None if event is None else decode(event.encode("utf-8"), "the event")

    @property
    def triggering_asset_events(self) -> list[dict[str, Any]]:
        """The asset events that started this run, when assets started it."""
        events = self.conf.get("triggering_asset_events", [])
        return events if isinstance(events, list) else []

    # --- upstream outputs -----------------------------------------------------------------

    @property
    def upstream_ids(self) -> list[str]:
        """The direct upstream tasks whose outputs were handed to this attempt."""
        return list(self._upstream)

    def upstream(self, task_id: str, default: Any = _MISSING) -> Any:
        """The output of direct upstream task ``task_id``; without ``default``, a task that
        handed none fails this one permanently."""
        data = self._upstream.get(task_id)
        if data is None:
            if default is _MISSING:
                raise PermanentError(f"no output of upstream task `{task_id}` was handed to this task")
            return default
        return decode(data, f"the output of `{task_id}`")
