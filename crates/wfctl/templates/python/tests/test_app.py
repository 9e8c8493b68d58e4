"""Unit tests of the DAG's tasks, with an in-memory host: `python3 -m pytest`."""

import pytest

from weft import Skip
from weft.host import Connection, HttpReply
from weft.testing import FakeHost, run_task

from app import dag


def test_the_dag_is_valid():
    assert [task.task_id for task in dag.spec().tasks] == ["hello", "call_api"]


def test_hello_greets_the_name_in_the_conf():
    host = FakeHost()
    assert run_task(dag, "hello", host, conf={"name": "Ada"}) == {"greeting": "hello, Ada"}
    assert ("info", "greeting Ada") in host.logs


def test_call_api_sends_the_token_of_its_connection():
    seen = []

    def api(request):
        seen.append(request)
        return HttpReply(200, (), b"pong")

    host = FakeHost(
        connections={"api_default": Connection("api_default", "http", "https://api.example.com", password="t0k")},
        http=api,
    )
    out = run_task(dag, "call_api", host, conf={"path": "/ping"}, upstream={"hello": {"greeting": "hi"}})
    assert out == {"greeting": "hi", "status": 200, "body": "pong"}
    assert seen[0].url == "https://api.example.com/ping"
    assert ("authorization", b"Bearer t0k") in seen[0].headers


def test_call_api_skips_without_its_connection():
    with pytest.raises(Skip, match="no connection `api_default`"):
        run_task(dag, "call_api", FakeHost(), upstream={"hello": {"greeting": "hi"}})
