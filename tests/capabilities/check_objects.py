"""``weft:dag/objects``: buckets through declared ``aws`` connections, on the S3 server the
test starts (``tests/tests/capabilities.rs``: connection ``aws_default``, bucket
``capabilities``). Objects go in and out whole, by range, as streams and in parts; conditional
calls answer as S3 does; listing pages by key; and the refusals name what is wrong: an
undeclared or missing connection, one without keys, an endpoint the operator does not allow,
a key that is not one."""

import hashlib

from probe import dag, expect
from weft import Context, ObjectsError

BUCKET = "capabilities"
DECLARED = ["aws_default", "aws_no_keys", "aws_elsewhere", "aws_missing"]


def refused(what: str, case: str, call) -> str:
    """Run ``call``; it must raise the ``case`` error. Its message."""
    try:
        call()
    except ObjectsError as error:
        expect(f"{what}: the error's case", error.case, case)
        return error.message
    raise AssertionError(f"{what}: no error, wanted {case}")


@dag.task(connections=DECLARED)
def objects_round_trip(ctx: Context) -> None:
    bucket = ctx.storage("aws_default").bucket(BUCKET)
    run = ctx.run_id.replace(":", "_").replace("+", "_")
    key = f"{run}/small.txt"
    put = bucket.put(key, "hello, objects", content_type="text/plain")
    expect("a put's entity tag", put.e_tag is not None, True)
    expect("a get", bucket.get(key), b"hello, objects")
    expect("a range", bucket.get(key, range=(7, 14)), b"objects")
    meta = bucket.head(key)
    expect("head: its key", meta.path, key)
    expect("head: its size", meta.size, 14)
    expect("head: its entity tag", meta.e_tag, put.e_tag)
    expect("exists", bucket.exists(key), True)

    # Conditional calls.
    refused("create over an object", "AlreadyExists", lambda: bucket.put(key, b"x", create=True))
    refused("get if-none-match its tag", "NotModified", lambda: bucket.get(key, if_none_match=put.e_tag))
    refused("get if-match another tag", "Precondition", lambda: bucket.get(key, if_match='"0"'))
    expect("get if-match its tag", bucket.get(key, if_match=put.e_tag), b"hello, objects")

    # Streams, and a writer past one part (a multipart upload).
    big = bytes(range(256)) * (40 * 1024 + 7)  # 10 MiB and a bit: two parts
    with bucket.open(f"{run}/big.bin", "wb", content_type="application/octet-stream") as f:
        for at in range(0, len(big), 3 << 20):
            f.write(big[at:at + (3 << 20)])
    expect("the big object's size", bucket.head(f"{run}/big.bin").size, len(big))
    with bucket.open(f"{run}/big.bin") as f:
        read = hashlib.sha256(f.read()).hexdigest()
    expect("the big object, read back as a stream", read, hashlib.sha256(big).hexdigest())

    # A writer whose block raises leaves nothing behind.
    try:
        with bucket.open(f"{run}/torn.bin", "wb") as f:
            f.write(b"half")
            raise RuntimeError("the task gave up")
    except RuntimeError:
        pass
    expect("an aborted writer's object", bucket.exists(f"{run}/torn.bin"), False)

    # Listing by key, under whole segments, over several pages' worth of calls.
    for i in range(3):
        bucket.put(f"{run}/list/{i}.txt", str(i))
    bucket.put(f"{run}/listing.txt", "not under list/")
    listed = [m.path for m in bucket.list(f"{run}/list")]
    expect("the listing", listed, [f"{run}/list/{i}.txt" for i in range(3)])

    bucket.copy(key, f"{run}/copy.txt")
    expect("a copy", bucket.get(f"{run}/copy.txt"), b"hello, objects")
    bucket.delete(f"{run}/copy.txt")
    expect("a deleted object", bucket.exists(f"{run}/copy.txt"), False)
    bucket.delete(f"{run}/copy.txt")  # twice is fine
    message = refused("a missing object", "NotFound", lambda: bucket.get(f"{run}/nothing"))
    expect("the message names the key", f"{run}/nothing" in message, True)
    refused("an empty segment", "InvalidPath", lambda: bucket.get(f"{run}//x"))
    refused("a dot-dot segment", "InvalidPath", lambda: bucket.put("../escape", b"x"))


@dag.task(connections=DECLARED)
def objects_refusals(ctx: Context) -> None:
    refused("an undeclared connection", "NotDeclared",
            lambda: ctx.storage("aws_undeclared").bucket(BUCKET))
    refused("a connection that does not exist", "NoConnection",
            lambda: ctx.storage("aws_missing").bucket(BUCKET))
    message = refused("a connection without keys", "Unsupported",
                      lambda: ctx.storage("aws_no_keys").bucket(BUCKET))
    expect("the message says what is missing", "access key" in message, True)
    refused("a bucket name with a slash", "InvalidPath",
            lambda: ctx.storage("aws_default").bucket("a/b"))
    # The endpoint of `aws_elsewhere` is a loopback port the operator does not allow.
    elsewhere = ctx.storage("aws_elsewhere").bucket(BUCKET)
    refused("an endpoint the operator does not allow", "Denied", lambda: elsewhere.get("x"))
