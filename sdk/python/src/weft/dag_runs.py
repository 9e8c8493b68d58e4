"""The dag-runs capability: a task starts a run of another DAG of its tenant (Airflow's
``TriggerDagRunOperator``).

``ctx.trigger_dag(dag_id, conf=..., logical_date=..., run_id=...)``, over the host call
``trigger``; ``FakeHost`` records each run in ``triggered`` and names it
``triggered__N`` when the task gives no run id.
"""

from __future__ import annotations

import json
from typing import Any

from ._capability import Capability, Err, bindings, case
from .context import encode
from .errors import PERMANENT, RETRYABLE, TriggerError

cap = Capability(__name__)
_dag_runs = bindings("dag_runs")


@cap.context
def trigger_dag(
    self: Any,
    dag_id: str,
    *,
    conf: dict[str, Any] | None = None,
    logical_date: str | None = None,
    run_id: str | None = None,
) -> str:
    """Start a run of DAG ``dag_id`` of the same tenant (Airflow's
    ``TriggerDagRunOperator``); its run id. Without ``run_id``, a retried attempt gets back
    the run its earlier attempt made, not a second one."""
    body = None if conf is None else encode(conf, "the triggered run's conf").decode()
    return self._host.trigger(dag_id, body, logical_date, run_id)


@cap.guest("trigger")
def _guest_trigger(dag_id: str, conf: str | None, logical_date: str | None, run_id: str | None) -> str:
    """Create a run of DAG ``dag_id`` of the same tenant; its run id."""
    try:
        return _dag_runs.trigger(_dag_runs.TriggerRequest(dag_id, conf, logical_date, run_id))
    except Err as error:
        reason = error.value
        name = case(reason, "TriggerError_")
        kind = RETRYABLE if isinstance(reason, _dag_runs.TriggerError_Unavailable) else PERMANENT
        message = f"triggering DAG `{dag_id}` failed: {name}: {reason.value}"
        raise TriggerError(message, kind=kind, case=name) from error


cap.fake_state(triggered=list)


@cap.fake("trigger")
def _fake_trigger(fake: Any, dag_id: str, conf: str | None, logical_date: str | None, run_id: str | None) -> str:
    if not dag_id:
        raise TriggerError("triggering DAG `` failed: Invalid", kind=PERMANENT, case="Invalid")
    made = run_id or f"triggered__{len(fake.triggered) + 1}"
    fake.triggered.append(
        {"dag_id": dag_id, "conf": None if conf is None else json.loads(conf), "logical_date": logical_date, "run_id": made}
    )
    return made
