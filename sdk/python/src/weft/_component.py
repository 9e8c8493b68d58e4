"""The component's side of the seam: the host over the WIT imports (each call its capability
module's, see ``weft._capability``), and the ``dag`` world's exports built from a ``Dag``.
Only importable inside a component, where componentize-py generates ``wit_world``;
``wfctl build`` writes the module that calls ``export``."""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

import wit_world
from componentize_py_types import Err
from wit_world.imports import weft_dag_types as wt

from . import _capability, errors
from .context import Context, encode
from .dag import Dag
from .errors import PERMANENT, TaskError
from .logs import HostHandler, install
from .settings import Email, Notifications, Notifier, Resources, Sensor, TaskSettings
from .spec import DagSpec, ExpandItems, ExpandUpstream, TaskSpec
from .waits import AfterDataIntervalEnd, External, Until, Wait

# --- the host --------------------------------------------------------------------------------


class GuestHost:
    """The host over the component's imports: each host call is the one its capability module
    registers (``weft._capability.GUEST``)."""

    def __getattr__(self, name: str) -> Any:
        call = _capability.GUEST.get(name)
        if call is None:
            raise _capability.unknown_call("the component's host", name)
        return call


# --- the DAG's structure as WIT records --------------------------------------------------------


def _notifier(n: Notifier) -> Any:
    if isinstance(n, Email):
        return wt.Notifier_Email(wt.EmailNotifier(n.conn_id, list(n.to)))
    return wt.Notifier_Webhook(n.conn_id)


def _resources(r: Resources | None) -> Any:
    if r is None:
        return None
    return wt.Resources(
        memory_bytes=r.memory_bytes,
        egress_allowlist=list(r.egress),
        directories=[wt.DirectoryGrant(path, writable) for path, writable in r.scratch],
        connections=list(r.connections),
        secrets=list(r.secrets),
        fuel=r.fuel,
        worker_labels=list(r.worker_labels),
        arch=r.arch,
    )


def _sensor(s: Sensor | None) -> Any:
    if s is None:
        return None
    return wt.SensorSettings(
        s.poke_interval_ms, s.timeout_ms, s.soft_fail, s.exponential_backoff, s.max_poke_interval_ms
    )


def _notifications(n: Notifications | None) -> Any:
    if n is None:
        return None
    return wt.TaskNotifications(
        [_notifier(x) for x in n.on_success],
        [_notifier(x) for x in n.on_failure],
        [_notifier(x) for x in n.on_retry],
    )


def _settings(s: TaskSettings) -> Any:
    return wt.TaskSettings(
        queue=s.queue,
        retries=s.retries,
        retry_delay_ms=s.retry_delay_ms,
        retry_exponential_backoff=s.retry_exponential_backoff,
        max_retry_delay_ms=s.max_retry_delay_ms,
        execution_timeout_ms=s.execution_timeout_ms,
        pool=s.pool,
        priority_weight=s.priority_weight,
        resources=_resources(s.resources),
        sensor=_sensor(s.sensor),
        max_active_tis=s.max_active_tis,
        notifications=_notifications(s.notifications),
    )


def _wait(w: Wait) -> Any:
    if isinstance(w, Until):
        return wt.WaitCondition_Until(w.at)
    if isinstance(w, AfterDataIntervalEnd):
        return wt.WaitCondition_AfterDataIntervalEndMs(w.delay_ms)
    assert isinstance(w, External)
    run = (
        wt.RunSelector_RunId(w.run_id)
        if w.run_id is not None
        else wt.RunSelector_LogicalDateOffsetMs(w.logical_date_offset_ms)
    )
    return wt.WaitCondition_External(
        wt.ExternalWait(
            dag_id=w.dag_id,
            run=run,
            task_id=w.task_id,
            allowed_states=[wt.EndedState[s.upper()] for s in w.allowed_states],
            failed_states=[wt.EndedState[s.upper()] for s in w.failed_states],
        )
    )


def _kind(kind: str | Wait) -> Any:
    if kind == "code":
        return wt.TaskKind_Code()
    if kind == "branch":
        return wt.TaskKind_Branch()
    assert not isinstance(kind, str)
    return wt.TaskKind_Wait(_wait(kind))


def _task(t: TaskSpec) -> Any:
    expand = None
    if isinstance(t.expand, ExpandUpstream):
        expand = wt.Expand_Upstream(t.expand.task_id)
    elif isinstance(t.expand, ExpandItems):
        expand = wt.Expand_Items(list(t.expand.items))
    return wt.TaskSpec(
        task_id=t.task_id,
        upstream=list(t.upstream),
        trigger_rule=wt.TriggerRule[t.trigger_rule.upper()],
        settings=_settings(t.settings),
        kind=_kind(t.kind),
        expand=expand,
        outlets=list(t.outlets),
    )


def dag_spec(spec: DagSpec) -> Any:
    """``spec`` as the world's ``dag-spec`` record."""
    return wt.DagSpec(
        dag_id=spec.dag_id,
        description=spec.description,
        schedule=spec.schedule,
        start_date=spec.start_date,
        catchup=spec.catchup,
        max_active_runs=spec.max_active_runs,
        max_active_tasks=spec.max_active_tasks,
        dagrun_timeout_ms=spec.dagrun_timeout_ms,
        tags=list(spec.tags),
        defaults=_settings(spec.defaults),
        tasks=[_task(t) for t in spec.tasks],
        notifications=wt.RunNotifications(
            [_notifier(n) for n in spec.on_success], [_notifier(n) for n in spec.on_failure]
        ),
        end_date=spec.end_date,
        assets=list(spec.assets),
    )


def task_error(error: TaskError) -> Any:
    """``error`` as the world's ``task-error``."""
    if isinstance(error, errors.Reschedule):
        return wt.TaskError_Reschedule(error.after_ms)
    if isinstance(error, errors.Defer):
        return wt.TaskError_Defer(wt.Deferral(_wait(error.wait), error.resume))
    if error.kind == errors.SKIP:
        return wt.TaskError_Skip(error.message)
    if error.kind == PERMANENT:
        return wt.TaskError_Permanent(error.message)
    return wt.TaskError_Retryable(error.message)


# --- the exports -------------------------------------------------------------------------------


def _find_dag(module: ModuleType) -> Dag:
    """The one ``Dag`` module ``module`` defines at its top level."""
    dags = {id(v): v for v in vars(module).values() if isinstance(v, Dag)}
    if len(dags) != 1:
        found = ", ".join(sorted(d.dag_id for d in dags.values())) or "none"
        raise RuntimeError(
            f"module `{module.__name__}` must define exactly one weft.Dag at its top level "
            f"(one component holds one DAG); found: {found}"
        )
    return next(iter(dags.values()))


def _no_log(level: str, message: str) -> None:
    """The warm-up's stand-in for the host's log."""


#: How many times the warm-up runs the attempt's path: CPython specialises an instruction
#: once it has run a few times.
_WARM_UP_CALLS = 16


def _warm_up(handler: HostHandler, task_log: logging.Logger) -> None:
    """Run the SDK's part of an attempt a few times at build time, on the types an attempt
    meets (the WIT record, the guest's host) with the host's log call set aside, so that the
    component's snapshot holds CPython's code for it already specialised. Every attempt
    starts from the snapshot: code specialised during the attempt is written again each time,
    and each page of the snapshot an attempt writes is a page copied."""
    host = handler.host
    data = wt.TaskContext(
        dag_id="warm_up",
        task_id="warm_up",
        run_id="warm_up",
        logical_date="",
        data_interval_start="",
        data_interval_end="",
        try_number=1,
        max_tries=1,
        conf='{"warm_up": 1}',
        map_index=None,
        map_item=None,
        event=None,
    )
    root = logging.getLogger()
    calls = _capability.GUEST
    saved = calls["log"], root.handlers
    try:
        # Only this handler: one the project set up at import is left alone.
        calls["log"], root.handlers = _no_log, [handler]
        for _ in range(_WARM_UP_CALLS):
            ctx = Context(host, data, {"up": b'{"warm_up": 1}'}, task_log)
            ctx.conf.get("warm_up")
            ctx.upstream("up")
            task_log.info("%s", "warm-up")
            encode({"warm_up": ctx.task_id}, "the warm-up's output")
    finally:
        calls["log"], root.handlers = saved


def export(module: ModuleType) -> type:
    """The class componentize-py exports: ``module.WitWorld`` when the module writes its own
    (raw bindings), else one built from the ``Dag`` the module defines. The DAG is checked
    here, at build time, so a cycle or an unknown upstream task fails the build."""
    own = getattr(module, "WitWorld", None)
    if own is not None:
        return own
    dag = _find_dag(module)
    described = dag_spec(dag.spec())
    host = GuestHost()
    handler, task_log = install(host)
    _warm_up(handler, task_log)

    class WitWorld(wit_world.WitWorld):
        """The ``dag`` world's exports for ``dag``."""

        def describe(self) -> Any:
            return described

        def run_task(self, ctx: Any, upstream: list[Any]) -> bytes:
            try:
                # The WIT record has the fields of TaskContextData.
                return dag.run_task(host, ctx, {u.task_id: u.value for u in upstream}, task_log)
            except TaskError as error:
                try:
                    wit_error = task_error(error)
                except Exception as bad:  # a Defer or Reschedule the WIT cannot carry
                    message = f"the task's {type(error).__name__} cannot be carried out: {type(bad).__name__}: {bad}"
                    wit_error = wt.TaskError_Permanent(message)
                raise Err(wit_error) from error

    return WitWorld
