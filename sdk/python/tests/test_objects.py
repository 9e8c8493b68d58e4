"""Object storage as a task sees it, on ``FakeHost``'s buckets: the same answers as the host."""

import pytest

from weft import Context, Dag, ObjectsError
from weft.testing import FakeHost, run_task


def run(body, objects=None, **host):
    """Run ``body(bucket)`` as a task on bucket ``weft`` of ``aws_default``; its result and
    the bucket's objects afterwards."""
    store = {"aws_default": {"weft": dict(objects or {})}}
    d = Dag("objects")

    @d.task
    def task(ctx: Context):
        return body(ctx.storage("aws_default").bucket("weft"))

    result = run_task(d, "task", FakeHost(objects=store, **host))
    return result, store["aws_default"]["weft"]


def test_objects_go_in_and_come_out_whole_by_range_and_as_streams():
    def body(bucket):
        bucket.put("a/b.txt", "hello, objects")
        with bucket.open("a/big.bin", "wb") as f:
            f.write(b"x" * 10)
            f.write("yz")
        with bucket.open("a/big.bin") as f:
            streamed = f.read().decode()
        head = bucket.head("a/b.txt")
        return [bucket.get("a/b.txt").decode(), bucket.get("a/b.txt", range=(7, 14)).decode(),
                streamed, head.size, head.e_tag is not None]

    result, objects = run(body)
    assert result == ["hello, objects", "objects", "x" * 10 + "yz", 14, True]
    assert objects["a/b.txt"] == b"hello, objects"


def test_conditional_calls_answer_with_their_cases():
    def body(bucket):
        tag = bucket.put("k", b"1").e_tag
        cases = []
        for call in (
            lambda: bucket.put("k", b"2", create=True),
            lambda: bucket.put("k", b"2", if_match='"other"'),
            lambda: bucket.get("k", if_none_match=tag),
            lambda: bucket.get("k", if_match='"other"'),
            lambda: bucket.get("missing"),
            lambda: bucket.get("a//b"),
        ):
            try:
                call()
                cases.append(None)
            except ObjectsError as error:
                cases.append((error.case, error.kind))
        bucket.put("k", b"3", if_match=tag)
        return cases

    result, objects = run(body)
    assert result == [
        ["AlreadyExists", "permanent"],
        ["Precondition", "permanent"],
        ["NotModified", "permanent"],
        ["Precondition", "permanent"],
        ["NotFound", "permanent"],
        ["InvalidPath", "permanent"],
    ]
    assert objects["k"] == b"3"


def test_listing_is_by_key_under_whole_segments():
    objects = {f"p/{i:04}": b"" for i in range(1005)} | {"pq": b"", "p": b""}

    def body(bucket):
        return [m.path for m in bucket.list("p/")]

    result, _ = run(body, objects)
    assert result == [f"p/{i:04}" for i in range(1005)]


def test_a_writer_whose_block_raises_leaves_nothing():
    def body(bucket):
        with pytest.raises(RuntimeError):
            with bucket.open("torn", "wb") as f:
                f.write(b"half")
                raise RuntimeError("gave up")
        bucket.copy("kept", "copied")
        bucket.delete("kept")
        bucket.delete("kept")
        return [bucket.exists("torn"), bucket.exists("kept"), bucket.get("copied").decode()]

    result, _ = run(body, {"kept": b"v"})
    assert result == [False, False, "v"]


def test_undeclared_and_missing_connections_are_refused():
    d = Dag("objects")

    @d.task
    def task(ctx: Context):
        ctx.storage("aws_default").bucket("weft")

    with pytest.raises(ObjectsError) as refused:
        run_task(d, "task", FakeHost(objects={"aws_default": {"weft": {}}}, declared_connections=["other"]))
    assert refused.value.case == "NotDeclared"
    with pytest.raises(ObjectsError) as missing:
        run_task(d, "task", FakeHost())
    assert missing.value.case == "NoConnection"
