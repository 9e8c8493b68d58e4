"""Declaring a DAG: dependencies, settings, and the checks that refuse a bad DAG."""

from datetime import timedelta

import pytest

from weft import Dag, dag, email, sensor, task, waits, webhook


def make() -> Dag:
    return Dag("d", schedule="@daily", start_date="2024-01-01", tags=["x"])


def test_shift_operators_set_upstream_on_both_sides_and_with_lists():
    d = make()

    @d.task
    def a(): ...

    @d.task
    def b(): ...

    @d.task
    def c(): ...

    @d.task
    def e(): ...

    assert (a >> [b, c]) == [b, c]
    [b, c] >> e
    spec = {t.task_id: t for t in d.spec().tasks}
    assert spec["a"].upstream == ()
    assert spec["b"].upstream == ("a",) and spec["c"].upstream == ("a",)
    assert spec["e"].upstream == ("b", "c")
    e << a
    assert {t.task_id: t for t in d.spec().tasks}["e"].upstream == ("b", "c", "a")


def test_a_repeated_edge_is_kept_once():
    d = make()
    a = d.task(lambda: 1, task_id="a")
    b = d.task(lambda: 2, task_id="b")
    a >> b
    a >> b
    assert d.spec().tasks[1].upstream == ("a",)


def test_a_cycle_is_refused_naming_its_tasks():
    d = make()
    a = d.task(lambda: 1, task_id="a")
    b = d.task(lambda: 1, task_id="b")
    c = d.task(lambda: 1, task_id="c")
    a >> b >> c >> a
    with pytest.raises(ValueError, match="cycle: .*a.*b.*c"):
        d.spec()


def test_bad_ids_and_duplicates_are_refused():
    with pytest.raises(ValueError, match="DAG id 'has space'"):
        Dag("has space")
    d = make()
    d.task(lambda: 1, task_id="a")
    with pytest.raises(ValueError, match="two tasks named a"):
        d.task(lambda: 1, task_id="a")
    with pytest.raises(ValueError, match="task id 'b/c'"):
        d.task(lambda: 1, task_id="b/c")


def test_tasks_of_two_dags_cannot_be_joined():
    a = Dag("one").task(lambda: 1, task_id="a")
    b = Dag("two").task(lambda: 1, task_id="b")
    with pytest.raises(ValueError, match="different DAGs"):
        a >> b


def test_a_parameter_must_name_a_direct_upstream_task():
    d = make()

    @d.task
    def a(): ...

    @d.task
    def b(ctx, a, missing): ...

    a >> b
    with pytest.raises(ValueError, match="parameter `missing` names no direct upstream task"):
        d.spec()


def test_settings_become_the_wit_fields_and_unknown_ones_are_refused():
    d = Dag("d", default_args={"retries": 3, "retry_delay": timedelta(minutes=5), "queue": "etl"})

    @d.task(
        retries=1,
        execution_timeout=90,
        egress=["GET https://api.example.com"],
        connections="aws_default",
        secrets=["token"],
        memory_bytes=64 << 20,
        fuel=10_000,
        scratch="/scratch",
        priority_weight=-2,
        pool="db",
        on_failure=email("smtp_default", "ops@example.com"),
        on_retry=[webhook("hook")],
        sensor=sensor(timedelta(seconds=30), timeout=600, soft_fail=True),
        max_active_tis=4,
        worker_labels=["gpu", "ssd"],
        arch="aarch64",
    )
    def a(): ...

    spec = d.spec()
    assert spec.defaults.retries == 3 and spec.defaults.retry_delay_ms == 300_000
    assert spec.defaults.queue == "etl" and spec.defaults.resources is None
    s = spec.tasks[0].settings
    assert s.retries == 1 and s.execution_timeout_ms == 90_000 and s.queue is None
    assert s.resources.egress == ("GET https://api.example.com",)
    assert s.resources.connections == ("aws_default",) and s.resources.secrets == ("token",)
    assert s.resources.memory_bytes == 64 << 20 and s.resources.fuel == 10_000
    assert s.resources.scratch == (("/scratch", True),)
    assert s.resources.worker_labels == ("gpu", "ssd") and s.resources.arch == "aarch64"
    assert s.priority_weight == -2 and s.pool == "db" and s.max_active_tis == 4
    assert s.notifications.on_failure[0].to == ("ops@example.com",)
    assert s.notifications.on_retry[0].conn_id == "hook"
    assert s.sensor.poke_interval_ms == 30_000 and s.sensor.timeout_ms == 600_000 and s.sensor.soft_fail

    with pytest.raises(TypeError, match="task b: unknown setting.*retires"):
        d.task(lambda: 1, task_id="b", retires=2)
    with pytest.raises(ValueError, match="task c: retries: must not be negative"):
        d.task(lambda: 1, task_id="c", retries=-1)
    with pytest.raises(TypeError, match="retry_delay: expected a timedelta"):
        d.task(lambda: 1, task_id="e", retry_delay="5m")
    with pytest.raises(ValueError, match="fuel: a budget of 0"):
        d.task(lambda: 1, task_id="f", fuel=0)
    with pytest.raises(ValueError, match="unknown trigger rule 'sometimes'"):
        d.task(lambda: 1, task_id="g", trigger_rule="sometimes")
    with pytest.raises(ValueError, match="scratch: expected an absolute path"):
        d.task(lambda: 1, task_id="h", scratch="relative")
    with pytest.raises(TypeError, match="task i: arch: expected a string"):
        d.task(lambda: 1, task_id="i", arch=64)
    with pytest.raises(TypeError, match="task j: worker_labels: expected strings"):
        d.task(lambda: 1, task_id="j", worker_labels=["gpu", 1])


def test_branch_wait_mapping_and_outlets():
    d = make()

    @d.task
    def items(): ...

    @d.task(expand=items)
    def each(items): ...

    @d.task(expand_items=[1, {"k": 2}], outlets=["s3://b/k"])
    def fixed(item): ...

    @d.branch
    def pick(): ...

    other = d.wait("other", waits.external("upstream_dag", task_id="t", allowed_states=["success", "skipped"]))
    later = d.wait("later", waits.after_data_interval_end(timedelta(hours=1)))
    tasks = {t.task_id: t for t in d.spec().tasks}
    assert tasks["each"].upstream == ("items",) and tasks["each"].expand.task_id == "items"
    assert tasks["fixed"].expand.items == (b"1", b'{"k":2}') and tasks["fixed"].outlets == ("s3://b/k",)
    assert tasks["pick"].kind == "branch" and tasks["items"].kind == "code"
    assert tasks["other"].kind.dag_id == "upstream_dag" and tasks["other"].kind.allowed_states == ("success", "skipped")
    assert tasks["later"].kind.delay_ms == 3_600_000
    assert other.func is None and later.func is None
    with pytest.raises(ValueError, match="unknown state 'done'"):
        waits.external("x", allowed_states=["done"])
    with pytest.raises(TypeError, match="expected a wait"):
        d.wait("bad", "tomorrow")


def test_with_block_and_dag_decorator_declare_tasks():
    with Dag("ctx_dag") as d:

        @task
        def a(): ...

        @task(retries=2)
        def b(a): ...

        a >> b
    assert [t.task_id for t in d.spec().tasks] == ["a", "b"]

    @dag(schedule="@hourly")
    def decorated():
        """A DAG from a function."""

        @task
        def only(): ...

    assert decorated.dag_id == "decorated" and decorated.schedule == "@hourly"
    assert decorated.description == "A DAG from a function."
    assert [t.task_id for t in decorated.spec().tasks] == ["only"]
    with pytest.raises(RuntimeError, match="@task outside a DAG"):
        task(lambda: 1)
