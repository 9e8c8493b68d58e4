"""Running a task as the host does: arguments, outputs, errors and logs."""

import inspect
import logging

import pytest

from weft import AccessError, Context, Dag, PermanentError, Reschedule, RetryableError, Skip, XComError, waits
from weft.errors import Defer
from weft.host import Connection
from weft.testing import FakeHost, run_task


def test_output_conf_and_upstream_parameters():
    d = Dag("d")

    @d.task
    def a(ctx: Context):
        return {"name": ctx.conf.get("name", "world"), "try": ctx.try_number}

    @d.task
    def b(a, ctx, missing_ok=None):
        return [a["name"].upper(), ctx.upstream_ids]

    a >> b
    assert run_task(d, "a", conf={"name": "Ada"}, try_number=2) == {"name": "Ada", "try": 2}
    assert run_task(d, "b", upstream={"a": {"name": "bo"}}) == ["BO", ["a"]]
    with pytest.raises(PermanentError, match="no output of upstream task `a`"):
        run_task(d, "b")


def test_an_unknown_task_and_a_conf_that_is_not_an_object_fail_permanently():
    d = Dag("d")
    d.task(lambda ctx: ctx.conf, task_id="a")
    with pytest.raises(PermanentError, match="no task `nope`"):
        run_task(d, "nope")
    from weft.host import TaskContextData

    data = TaskContextData("d", "a", "r", "t", "t", "t", 1, 1, conf="[1]")
    with pytest.raises(PermanentError, match="not a JSON object"):
        d.run_task(FakeHost(), data, {})


def test_any_other_exception_is_retryable_and_logged_with_its_traceback():
    d = Dag("d")

    @d.task
    def broken():
        return {}["missing"]

    host = FakeHost()
    with pytest.raises(RetryableError, match="KeyError: 'missing'"):
        run_task(d, "broken", host)
    assert host.logs and host.logs[-1][0] == "error" and "Traceback" in host.logs[-1][1]


def test_a_logger_set_up_once_serves_every_attempt_as_a_component_runs_them():
    # A component sends logging to its host once, when it is built, and hands the task's
    # logger to each attempt: no handler is added or removed around the attempt.
    from weft.host import TaskContextData
    from weft.logs import install

    d = Dag("d")

    @d.task
    def greet(ctx: Context):
        ctx.log.info("greeting %s", ctx.conf["name"])
        return {"greeting": ctx.conf["name"]}

    @d.task
    def broken():
        return {}["missing"]

    host = FakeHost()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        handler, task_log = install(host)
        handlers = root.handlers[:]
        data = TaskContextData("d", "greet", "r", "t", "t", "t", 1, 1, conf='{"name": "Ada"}')
        assert d.run_task(host, data, {}, task_log) == b'{"greeting":"Ada"}'
        assert host.logs == [("info", "greeting Ada")]
        broken_data = TaskContextData("d", "broken", "r", "t", "t", "t", 1, 1)
        with pytest.raises(RetryableError, match="KeyError: 'missing'"):
            d.run_task(host, broken_data, {}, task_log)
        assert host.logs[-1][0] == "error" and "Traceback" in host.logs[-1][1]
        assert root.handlers == handlers and handler in handlers
    finally:
        root.handlers[:], root.level = saved


def test_task_errors_pass_through_with_their_kind():
    d = Dag("d")
    d.task(lambda: (_ for _ in ()).throw(Skip("nothing to do")), task_id="skip")
    d.task(lambda: (_ for _ in ()).throw(Reschedule(after=30)), task_id="later")
    d.task(lambda: (_ for _ in ()).throw(Defer(waits.until("2030-01-01T00:00:00Z"), resume=True)), task_id="defer")
    with pytest.raises(Skip) as skipped:
        run_task(d, "skip")
    assert skipped.value.kind == "skip"
    with pytest.raises(Reschedule) as later:
        run_task(d, "later")
    assert later.value.after_ms == 30_000
    with pytest.raises(Defer) as deferred:
        run_task(d, "defer")
    assert deferred.value.resume and deferred.value.wait.at == "2030-01-01T00:00:00Z"


def test_an_output_json_cannot_hold_fails_permanently():
    d = Dag("d")
    d.task(lambda: {1, 2}, task_id="a")
    d.task(lambda: float("nan"), task_id="b")
    with pytest.raises(PermanentError, match="cannot be encoded as JSON"):
        run_task(d, "a")
    with pytest.raises(PermanentError, match="cannot be encoded as JSON"):
        run_task(d, "b")


def test_logging_goes_to_the_attempt_log_at_its_level_and_stops_after():
    d = Dag("d")

    @d.task
    def talk(ctx):
        ctx.log.info("hello %s", "there")
        logging.getLogger("some.library").warning("careful")
        ctx.log.debug("detail")
        return None

    host = FakeHost()
    assert run_task(d, "talk", host) is None
    assert host.logs == [("info", "hello there"), ("warn", "careful"), ("debug", "detail")]
    logging.getLogger("after").error("not the task's")
    assert len(host.logs) == 3


def test_xcom_variables_connections_secrets_and_triggers():
    d = Dag("d")

    @d.task
    def t(ctx: Context):
        ctx.xcom_push("n", 7)
        conn = ctx.connection("db")
        return {
            "pulled": ctx.xcom_pull("up"),
            "keyed": ctx.xcom_pull("up", "k", default="none"),
            "var": ctx.variable("v"),
            "unset": ctx.variable("u", "fallback"),
            "json": ctx.variable_json("j"),
            "conn": [conn.host, conn.port, conn.extra_dejson],
            "secret": ctx.secret("s"),
            "run": ctx.trigger_dag("other", conf={"a": 1}),
        }

    host = FakeHost(
        variables={"v": "x", "j": '{"a": [1]}'},
        connections={"db": Connection("db", "postgres", "h", 5432, password="pw", extra='{"sslmode": "require"}')},
        secrets={"s": "shh"},
        xcom={("up", None): {"o": 1}},
        declared_connections={"db"},
        declared_secrets={"s"},
    )
    out = run_task(d, "t", host)
    assert out == {
        "pulled": {"o": 1},
        "keyed": "none",
        "var": "x",
        "unset": "fallback",
        "json": {"a": [1]},
        "conn": ["h", 5432, {"sslmode": "require"}],
        "secret": "shh",
        "run": "triggered__1",
    }
    assert host.pushed == {"n": 7}
    assert host.triggered == [{"dag_id": "other", "conf": {"a": 1}, "logical_date": None, "run_id": "triggered__1"}]


def test_a_missing_xcom_and_an_undeclared_connection_fail_permanently():
    d = Dag("d")
    d.task(lambda ctx: ctx.xcom_pull("up"), task_id="pull")
    d.task(lambda ctx: ctx.connection("other"), task_id="conn")
    with pytest.raises(XComError, match="has no value") as missing:
        run_task(d, "pull")
    assert missing.value.kind == "permanent"
    host = FakeHost(connections={"other": Connection("other", "http")}, declared_connections=set())
    with pytest.raises(AccessError, match="NotDeclared") as refused:
        run_task(d, "conn", host)
    assert refused.value.kind == "permanent"


def test_a_connection_never_shows_its_password_in_repr():
    conn = Connection("db", "postgres", "h", password="s3cr3t")
    assert "s3cr3t" not in repr(conn) and "***" in repr(conn)


def test_mapped_instances_get_their_item():
    d = Dag("d")
    up = d.task(lambda: [1, 2], task_id="up")

    @d.task(expand=up)
    def each(up, ctx):
        return [up, ctx.map_index]

    @d.task(expand_items=["a", "b"])
    def fixed(item):
        return item * 2

    assert run_task(d, "each", map_item=2, map_index=1) == [2, 1]
    assert run_task(d, "fixed", map_item="b", map_index=1) == "bb"


def test_an_http_connection_gives_its_base_url_as_airflow_does():
    assert Connection("a", "http", "https://api.example.com/").base_url == "https://api.example.com"
    assert Connection("a", "http", "h", 8080).base_url == "http://h:8080"
    assert Connection("a", "http", "h", schema="https").base_url == "https://h"


def test_airflow_style_kwargs_are_refused_naming_what_a_task_takes():
    d = Dag("d")

    @d.task
    def t(ctx, **context): ...

    with pytest.raises(ValueError, match=r"task t: `\*\*context` is not supported"):
        d.spec()


def test_sys_exit_fails_the_attempt_instead_of_ending_the_interpreter():
    import sys

    d = Dag("d")
    d.task(lambda: sys.exit(3), task_id="leave")
    with pytest.raises(RetryableError, match="SystemExit: 3"):
        run_task(d, "leave")


def test_other_libraries_log_from_info_and_the_task_from_debug():
    d = Dag("d")

    @d.task
    def talk(ctx):
        logging.getLogger("chatty.library").debug("noise")
        logging.getLogger("chatty.library").info("news")
        ctx.log.debug("detail")

    host = FakeHost()
    run_task(d, "talk", host)
    assert host.logs == [("info", "news"), ("debug", "detail")]


def test_a_task_s_parameters_are_read_from_its_signature_once(monkeypatch):
    d = Dag("d")

    @d.task
    def a():
        return 1

    @d.task
    def c():
        return None

    @d.task
    def b(ctx, a, c="no output"):
        return [a, c, ctx.task_id]

    [a, c] >> b
    d.spec()
    assert [(p.name, p.default) for p in d.tasks["b"].parameters][1:] == [
        ("a", inspect.Parameter.empty),
        ("c", "no output"),
    ]
    assert run_task(d, "b", upstream={"a": 1}) == [1, "no output", "b"]
    # No attempt reads the signature again.
    def no_signature(*_args, **_kwargs):
        raise AssertionError("inspect.signature called during an attempt")

    monkeypatch.setattr(inspect, "signature", no_signature)
    assert run_task(d, "b", upstream={"a": 2}) == [2, "no output", "b"]
