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
from functools import partial
from typing import Any

from . import _capability
from .dag import Dag
from .host import TaskContextData
from .http import HttpReply, HttpRequest  # what tests of HTTP tasks build, as before


class FakeHost:
    """An in-memory host. Each capability module gives it its state, as keyword arguments and
    attributes, and answers its host calls (see ``weft._capability``): ``variables``,
    ``connections``, ``secrets``; ``xcom`` maps ``(task_id, key)`` (key None for an output) to
    JSON values and ``pushed`` holds what the task pushed; ``declared_connections`` and
    ``declared_secrets``, when set, are what the task declares (others are refused as
    ``NotDeclared``); ``http`` and ``sql`` answer requests and open sessions;
    ``worker_info``; ``logs``, ``triggered`` and ``asset_extras`` record what the task did."""

    def __init__(self, **state: Any) -> None:
        unknown = sorted(set(state) - set(_capability.FAKE_STATE))
        if unknown:
            known = ", ".join(sorted(_capability.FAKE_STATE))
            raise TypeError(f"FakeHost has no {', '.join(unknown)} (it has: {known})")
        for name, default in _capability.FAKE_STATE.items():
            setattr(self, name, state[name] if name in state else default())

    def __getattr__(self, name: str) -> Any:
        call = _capability.FAKE.get(name)
        if call is None:
            raise _capability.unknown_call("FakeHost", name)
        return partial(call, self)

    def __repr__(self) -> str:
        state = ", ".join(f"{name}={getattr(self, name)!r}" for name in _capability.FAKE_STATE)
        return f"FakeHost({state})"


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
