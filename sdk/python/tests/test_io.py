"""SQL values and HTTP requests as they cross to the host."""

import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from weft import Dag, HttpError, Json
from weft.host import HttpReply, HttpRequest
from weft.sql import Session, from_sql, to_sql
from weft.testing import FakeHost, run_task


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (None, ("null", None)),
        (True, ("boolean", True)),
        (5, ("int", 5)),
        (2**70, ("decimal", str(2**70))),
        (1.5, ("float", 1.5)),
        ("x", ("text", "x")),
        (b"\x00\x01", ("bytes", b"\x00\x01")),
        (Decimal("1.10"), ("decimal", "1.10")),
        (datetime(2024, 5, 1, 12, 30), ("datetime", "2024-05-01T12:30:00")),
        (datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2))), ("timestamp", "2024-05-01T12:30:00Z")),
        (date(2024, 5, 1), ("date", "2024-05-01")),
        (time(12, 30), ("time", "12:30:00")),
        (uuid.UUID(int=1), ("uuid", "00000000-0000-0000-0000-000000000001")),
        ({"a": 1}, ("json", '{"a": 1}')),
        (Json("s"), ("json", '"s"')),
    ],
)
def test_parameters_take_their_sql_case(value, wire):
    assert to_sql(value) == wire


def test_a_parameter_of_another_type_is_refused_naming_it():
    with pytest.raises(TypeError, match="cannot be of type set"):
        to_sql({1})


def test_columns_come_back_as_python_values():
    assert from_sql(("decimal", "1.10")) == Decimal("1.10")
    assert from_sql(("timestamp", "2024-05-01T12:30:00Z")) == datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)
    assert from_sql(("json", '{"a": [1]}')) == {"a": [1]}
    assert from_sql(("uuid", "00000000-0000-0000-0000-000000000001")) == uuid.UUID(int=1)
    assert from_sql(("null", None)) is None
    with pytest.raises(TypeError, match="unknown SQL value case 'money'"):
        from_sql(("money", "1"))


class RecordingSession:
    def __init__(self):
        self.calls = []
        self.closed = False

    def query(self, statement, params):
        self.calls.append((statement, params))
        return ["answer", "at"], [[("int", 42), ("date", "2024-05-01")]]

    def execute(self, statement, params):
        self.calls.append((statement, params))
        return 3

    def begin(self): ...
    def commit(self): ...
    def rollback(self): ...

    def close(self):
        self.closed = True


def test_a_session_sends_typed_parameters_returns_dicts_and_closes():
    raw = RecordingSession()
    with Session("db", raw) as db:
        assert db.query("SELECT $1, $2", [41, "x"]) == [{"answer": 42, "at": date(2024, 5, 1)}]
        assert db.execute("DELETE", []) == 3
    assert raw.calls[0] == ("SELECT $1, $2", [("int", 41), ("text", "x")])
    assert raw.closed


def test_http_requests_carry_params_json_and_headers():
    seen: list[HttpRequest] = []

    def answer(request: HttpRequest) -> HttpReply:
        seen.append(request)
        return HttpReply(201, (("Content-Type", b"application/json"),), b'{"ok": true}')

    d = Dag("d")

    @d.task
    def call(ctx):
        r = ctx.http.post("https://api.example.com/v1?x=1", params={"page": 2}, json={"a": 1}, headers={"X-Id": "7"}, timeout=5)
        return [r.status_code, r.ok, r.json(), r.headers["content-type"]]

    assert run_task(d, "call", FakeHost(http=answer)) == [201, True, {"ok": True}, "application/json"]
    request = seen[0]
    assert request.method == "POST" and request.url == "https://api.example.com/v1?x=1&page=2"
    assert request.body == b'{"a":1}' and request.timeout_ms == 5000
    assert ("content-type", b"application/json") in request.headers and ("X-Id", b"7") in request.headers
    assert ("content-length", b"7") in request.headers


def test_http_declares_the_length_of_a_body_unless_given():
    seen: list[HttpRequest] = []

    def answer(request: HttpRequest) -> HttpReply:
        seen.append(request)
        return HttpReply(200, (), b"")

    d = Dag("d")
    d.task(lambda ctx: ctx.http.put("http://h/k", data="h\u00e9").status, task_id="put")
    d.task(lambda ctx: ctx.http.put("http://h/k", data=b"", headers={"Content-Length": "0"}).status, task_id="given")
    d.task(lambda ctx: ctx.http.get("http://h/k").status, task_id="get")
    for task in ("put", "given", "get"):
        assert run_task(d, task, FakeHost(http=answer)) == 200
    lengths = [[value for name, value in r.headers if name.lower() == "content-length"] for r in seen]
    assert lengths == [[b"3"], [b"0"], []]


def test_http_errors_say_whether_a_retry_can_help():
    replies = iter([HttpReply(404, (), b""), HttpReply(503, (), b""), HttpReply(200, (), b"not json")])
    d = Dag("d")
    d.task(lambda ctx: ctx.http.get("http://h/").raise_for_status(), task_id="get")
    d.task(lambda ctx: ctx.http.get("http://h/").json(), task_id="parse")
    d.task(lambda ctx: ctx.http.get("ftp://h/"), task_id="bad")
    host = FakeHost(http=lambda _: next(replies))
    with pytest.raises(HttpError) as missing:
        run_task(d, "get", host)
    assert missing.value.kind == "permanent" and missing.value.status == 404
    with pytest.raises(HttpError) as busy:
        run_task(d, "get", host)
    assert busy.value.kind == "retryable" and busy.value.status == 503
    with pytest.raises(HttpError, match="not JSON"):
        run_task(d, "parse", host)
    with pytest.raises(HttpError, match="not an absolute http or https URL"):
        run_task(d, "bad", host)
    with pytest.raises(HttpError, match="HttpRequestDenied"):
        run_task(d, "get", FakeHost())


def test_urls_in_errors_hide_their_query_and_credentials():
    from weft.http import shown

    assert shown("https://user:pw@api.example.com:8443/v1/x?token=s3cr%2Bt") == "https://api.example.com:8443/v1/x?..."
    assert shown("http://h/p") == "http://h/p"
    d = Dag("d")
    d.task(lambda ctx: ctx.http.get("http://h/p", params={"token": "a+b/"}).raise_for_status(), task_id="get")
    with pytest.raises(HttpError) as refused:
        run_task(d, "get", FakeHost(http=lambda _: HttpReply(403, (), b"")))
    assert "a%2Bb" not in str(refused.value) and "token" not in str(refused.value)
