"""A DAG and its tasks, declared in Python.

    from weft import Dag, Context

    dag = Dag("hello", schedule="@daily", start_date="2024-01-01")

    @dag.task(retries=2)
    def greet(ctx: Context) -> dict:
        return {"greeting": f"hello, {ctx.conf.get('name', 'world')}"}

    @dag.task
    def shout(greet: dict) -> dict:          # a parameter named after an upstream task
        return {"upper": greet["greeting"].upper()}

    greet >> shout

A task function takes any of: ``ctx`` (the ``Context``), ``item`` (a mapped instance's item),
and parameters named after its direct upstream tasks, which receive their outputs. It returns
any JSON value: its output, which downstream tasks receive.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from . import errors
from .context import Context, encode
from .errors import PermanentError, TaskError, milliseconds
from .host import Host, TaskContextData
from .logs import to_host
from .settings import Notifier, TaskSettings, _notifiers, settings
from .spec import TRIGGER_RULES, DagSpec, ExpandItems, ExpandUpstream, TaskSpec, check_acyclic, check_id
from .waits import AfterDataIntervalEnd, External, Until, Wait

TaskFunction = Callable[..., Any]

#: The DAG a ``with Dag(...)`` block or a ``@dag`` function is declaring.
_current: list[Dag] = []


class Task:
    """A task of a DAG; ``a >> b`` makes ``a`` upstream of ``b`` (lists work on either side)."""

    def __init__(
        self,
        dag: Dag,
        task_id: str,
        func: TaskFunction | None,
        kind: str | Wait,
        trigger_rule: str,
        task_settings: TaskSettings,
        expand: Task | None,
        expand_items: tuple[bytes, ...] | None,
        outlets: tuple[str, ...],
    ) -> None:
        self.dag = dag
        self.task_id = task_id
        self.func = func
        self.kind = kind
        self.trigger_rule = trigger_rule
        self.settings = task_settings
        self.upstream: list[str] = []
        self.expand = expand
        self.expand_items = expand_items
        self.outlets = outlets
        self._parameters: tuple[inspect.Parameter, ...] | None = None
        if expand is not None:
            self.set_upstream(expand)

    @property
    def parameters(self) -> tuple[inspect.Parameter, ...]:
        """The task function's parameters, read from its signature once: in a component, when
        the DAG is described at build time, so that no attempt pays for ``inspect``."""
        if self._parameters is None:
            found = inspect.signature(self.func).parameters.values() if self.func is not None else ()
            self._parameters = tuple(found)
        return self._parameters

    def set_upstream(self, other: Task | Iterable[Task]) -> None:
        """Make ``other`` (a task or tasks) upstream of this one."""
        for task in _tasks(other):
            if task.dag is not self.dag:
                raise ValueError(f"{task.task_id} and {self.task_id} are in different DAGs")
            if task.task_id not in self.upstream:
                self.upstream.append(task.task_id)

    def set_downstream(self, other: Task | Iterable[Task]) -> None:
        """Make ``other`` (a task or tasks) downstream of this one."""
        for task in _tasks(other):
            task.set_upstream(self)

    def __rshift__(self, other: Task | list[Task]) -> Task | list[Task]:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: Task | list[Task]) -> Task | list[Task]:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: list[Task]) -> Task:
        self.set_upstream(other)
        return self

    def __rlshift__(self, other: list[Task]) -> Task:
        self.set_downstream(other)
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the task's function directly (in a unit test, say)."""
        if self.func is None:
            raise TypeError(f"task {self.task_id} waits and runs no code")
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Task {self.dag.dag_id}.{self.task_id}>"

    def spec(self) -> TaskSpec:
        """This task as data."""
        expand: ExpandUpstream | ExpandItems | None = None
        if self.expand is not None:
            expand = ExpandUpstream(self.expand.task_id)
        elif self.expand_items is not None:
            expand = ExpandItems(self.expand_items)
        return TaskSpec(
            task_id=self.task_id,
            upstream=tuple(self.upstream),
            trigger_rule=self.trigger_rule,
            settings=self.settings,
            kind=self.kind,
            expand=expand,
            outlets=self.outlets,
        )


def _tasks(other: Task | Iterable[Task]) -> list[Task]:
    """``other`` as a list of tasks; anything else is refused."""
    items = [other] if isinstance(other, Task) else list(other)
    for item in items:
        if not isinstance(item, Task):
            raise TypeError(f"expected a task or a list of tasks, got {item!r}")
    return items


class Dag:
    """A DAG: its schedule, defaults and tasks. One component holds one DAG."""

    def __init__(
        self,
        dag_id: str,
        *,
        description: str = "",
        schedule: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        catchup: bool = False,
        max_active_runs: int | None = None,
        max_active_tasks: int | None = None,
        dagrun_timeout: timedelta | float | None = None,
        tags: Iterable[str] = (),
        default_args: dict[str, Any] | None = None,
        on_success: Notifier | Iterable[Notifier] = (),
        on_failure: Notifier | Iterable[Notifier] = (),
        assets: Iterable[str] = (),
    ) -> None:
        self.dag_id = check_id(dag_id, "DAG id")
        self.description = description
        self.schedule = schedule
        self.start_date = start_date
        self.end_date = end_date
        self.catchup = catchup
        self.max_active_runs = max_active_runs
        self.max_active_tasks = max_active_tasks
        self.dagrun_timeout_ms = (
            None if dagrun_timeout is None else milliseconds(dagrun_timeout, "dagrun_timeout")
        )
        self.tags = tuple(tags)
        self.defaults = settings(f"DAG {dag_id} default_args", **(default_args or {}))
        self.on_success = _notifiers(on_success, "on_success")
        self.on_failure = _notifiers(on_failure, "on_failure")
        self.assets = tuple(assets)
        self.tasks: dict[str, Task] = {}

    def __enter__(self) -> Dag:
        _current.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _current.remove(self)

    # --- declaring tasks -------------------------------------------------------------------

    def task(self, func: TaskFunction | None = None, /, **options: Any) -> Any:
        """Declare a task running ``func`` (``@dag.task`` or ``@dag.task(retries=2, ...)``).

        Options: ``task_id`` (default: the function's name), ``trigger_rule`` (default
        ``all_success``), ``expand`` (an upstream task whose output, a JSON array, maps this
        one), ``expand_items`` (a list of items known now), ``outlets`` (asset URIs), and every
        task setting (see ``weft.settings``).
        """
        return self._decorator(func, "code", options)

    def branch(self, func: TaskFunction | None = None, /, **options: Any) -> Any:
        """Declare a task whose output (a task id or a list of them) picks which direct
        downstream tasks follow; the others are skipped (``@task.branch``)."""
        return self._decorator(func, "branch", options)

    def wait(self, task_id: str, until: Wait, **options: Any) -> Task:
        """Declare a task that runs no code and succeeds when ``until`` holds (a deferrable
        sensor: ``weft.waits.external(...)``, ``until(...)``, ``after_data_interval_end(...)``)."""
        if not isinstance(until, (Until, AfterDataIntervalEnd, External)):
            raise TypeError(f"task {task_id}: expected a wait from weft.waits, got {until!r}")
        return self._add(task_id, None, until, options)

    def _decorator(self, func: TaskFunction | None, kind: str, options: dict[str, Any]) -> Any:
        def declare(f: TaskFunction) -> Task:
            return self._add(options.pop("task_id", f.__name__), f, kind, options)

        return declare if func is None else declare(func)

    def _add(
        self, task_id: str, func: TaskFunction | None, kind: str | Wait, options: dict[str, Any]
    ) -> Task:
        check_id(task_id, f"DAG {self.dag_id}: task id")
        if task_id in self.tasks:
            raise ValueError(f"DAG {self.dag_id} has two tasks named {task_id}")
        options = dict(options)
        rule = options.pop("trigger_rule", "all_success")
        if rule not in TRIGGER_RULES:
            raise ValueError(f"task {task_id}: unknown trigger rule {rule!r}; one of {TRIGGER_RULES}")
        expand = options.pop("expand", None)
        if expand is not None and not isinstance(expand, Task):
            raise TypeError(f"task {task_id}: expand takes an upstream task, got {expand!r}")
        items = options.pop("expand_items", None)
        if expand is not None and items is not None:
            raise ValueError(f"task {task_id}: give expand or expand_items, not both")
        encoded = None if items is None else tuple(encode(i, f"task {task_id}'s item") for i in items)
        outlets = tuple(options.pop("outlets", ()))
        task = Task(
            self, task_id, func, kind, rule, settings(f"task {task_id}", **options), expand, encoded, outlets
        )
        self.tasks[task_id] = task
        return task

    # --- what the component exports ----------------------------------------------------------

    def spec(self) -> DagSpec:
        """The DAG as data, checked: upstream tasks exist, no cycle, task parameters name
        direct upstream tasks."""
        tasks = tuple(task.spec() for task in self.tasks.values())
        for task in self.tasks.values():
            for up in task.upstream:
                if up not in self.tasks:
                    raise ValueError(f"task {task.task_id}: unknown upstream task {up}")
            for name in _upstream_parameters(task):
                if name not in task.upstream:
                    raise ValueError(
                        f"task {task.task_id}: parameter `{name}` names no direct upstream task "
                        f"(upstream: {', '.join(task.upstream) or 'none'})"
                    )
        check_acyclic(tasks)
        return DagSpec(
            dag_id=self.dag_id,
            description=self.description,
            schedule=self.schedule,
            start_date=self.start_date,
            end_date=self.end_date,
            catchup=self.catchup,
            max_active_runs=self.max_active_runs,
            max_active_tasks=self.max_active_tasks,
            dagrun_timeout_ms=self.dagrun_timeout_ms,
            tags=self.tags,
            defaults=self.defaults,
            tasks=tasks,
            on_success=self.on_success,
            on_failure=self.on_failure,
            assets=self.assets,
        )

    def run_task(
        self, host: Host, data: TaskContextData, upstream: dict[str, bytes], log: logging.Logger | None = None
    ) -> bytes:
        """Run one attempt of task ``data.task_id``: its output as JSON bytes, or a
        ``TaskError``. Any other exception is logged with its traceback and becomes a
        retryable error, as in Airflow. ``log`` is the task's logger when the caller has sent
        logging to the host already (a component does, once); without it, logging is sent to
        ``host`` for this attempt."""
        task = self.tasks.get(data.task_id)
        if task is None or task.func is None:
            raise PermanentError(f"DAG `{self.dag_id}` has no task `{data.task_id}` that runs code")
        if log is not None:
            return _attempt(task, Context(host, data, upstream, log), log)
        with to_host(host) as log:
            return _attempt(task, Context(host, data, upstream, log), log)


def _attempt(task: Task, ctx: Context, log: logging.Logger) -> bytes:
    """Call the task's function: its output as JSON bytes, or a ``TaskError`` (any other
    exception is logged to ``log`` with its traceback)."""
    try:
        return encode(task.func(**_arguments(task, ctx)), f"the output of `{task.task_id}`")
    except TaskError:
        raise
    except BaseException as error:  # sys.exit() too: the attempt fails, the host goes on
        log.error("%s", "".join(traceback.format_exception(error)).rstrip())
        raise errors.RetryableError(f"{type(error).__name__}: {error}") from error


#: Parameters a task function may take besides its upstream tasks' outputs.
_SPECIAL = frozenset({"ctx", "item"})


def _upstream_parameters(task: Task) -> list[str]:
    """The parameters of the task's function that name upstream tasks."""
    parameters = task.parameters
    for parameter in parameters:
        if parameter.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
            raise ValueError(
                f"task {task.task_id}: `{parameter}` is not supported: a task takes `ctx` (the "
                "Context, which holds what Airflow passes as **context: run_id, logical_date, "
                "conf, ...), `item`, and parameters named after its direct upstream tasks"
            )
    return [p.name for p in parameters if p.name not in _SPECIAL]


def _arguments(task: Task, ctx: Context) -> dict[str, Any]:
    """The arguments of one call of the task's function."""
    args: dict[str, Any] = {}
    for parameter in task.parameters:
        name, default = parameter.name, parameter.default
        if name == "ctx":
            args[name] = ctx
        elif name == "item":
            args[name] = ctx.map_item
        elif task.expand is not None and name == task.expand.task_id:
            args[name] = ctx.map_item
        elif default is not inspect.Parameter.empty:
            args[name] = ctx.upstream(name, default)
        else:
            args[name] = ctx.upstream(name)
    return args


def current_dag() -> Dag:
    """The DAG a ``with Dag(...)`` block or ``@dag`` function is declaring."""
    if not _current:
        raise RuntimeError("@task outside a DAG: use @dag.task, or declare it inside `with Dag(...)`")
    return _current[-1]


def task(func: TaskFunction | None = None, /, **options: Any) -> Any:
    """``@task``: a task of the DAG being declared (inside ``with Dag(...)`` or ``@dag``)."""
    if func is not None:
        return current_dag().task(func, **options)
    return lambda f: current_dag().task(f, **options)


def dag(dag_id: str | None = None, /, **options: Any) -> Callable[[Callable[[], Any]], Dag]:
    """``@dag(schedule=...)`` over a function that declares tasks with ``@task``; the
    decorated name is the ``Dag`` (its id is the function's name unless given)."""

    def declare(func: Callable[[], Any]) -> Dag:
        built = Dag(dag_id or func.__name__, description=options.pop("description", func.__doc__ or ""), **options)
        with built:
            func()
        return built

    return declare

