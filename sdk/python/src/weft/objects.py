"""Object storage through the host: ``ctx.storage("aws_default").bucket("weft")``.

The host opens the bucket through a connection the task declares (type ``aws``: S3 and
S3-compatible servers) and signs every request with its keys, which the task never sees::

    bucket = ctx.storage("aws_default").bucket("weft")
    rows = bucket.get("in/customers.csv").decode()
    bucket.put("out/summary.json", json.dumps(summary), content_type="application/json")
    with bucket.open("out/big.bin", "wb") as f:     # in parts: any size, little memory
        for chunk in chunks:
            f.write(chunk)
    for meta in bucket.list("out/"):
        print(meta.path, meta.size)

The capability: ``ctx.storage(conn_id)``, over the host call ``objects_open`` and the
bucket's own calls. ``FakeHost`` keeps buckets in memory: ``FakeHost(objects={"aws_default":
{"weft": {"in/customers.csv": b"..."}}})``, with the same answers as the host (entity tags,
conditional writes, listing by key), so a task's storage code runs under ``pytest``.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, Protocol

from ._capability import Capability, Err, bindings
from ._capability import case as _case
from .errors import PERMANENT, RETRYABLE, TaskError

__all__ = ["Bucket", "ObjectMeta", "ObjectsError", "PutResult", "Storage"]

cap = Capability(__name__)
_wobjects = bindings("objects")

#: Bytes one read asks the host for.
_READ_CHUNK = 1 << 20
#: Objects one listing request asks for.
_LIST_PAGE = 1000
#: The cases another attempt may fare better on.
_TRANSIENT_CASES = ("Store", "Timeout")


class ObjectsError(TaskError):
    """An object storage call failed. ``case`` names it: ``NotDeclared``, ``NoConnection``,
    ``Unsupported``, ``Denied``, ``InvalidPath``, ``NotFound``, ``AlreadyExists``,
    ``Precondition``, ``NotModified``, ``Limit``, ``Timeout``, ``State`` or ``Store``; only
    ``Store`` and ``Timeout`` are worth another attempt."""

    def __init__(self, message: str, *, kind: str, case: str) -> None:
        super().__init__(message, kind=kind)
        self.case = case


@dataclass(frozen=True)
class ObjectMeta:
    """What the store knows of an object."""

    path: str
    size: int
    last_modified: str
    e_tag: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class PutResult:
    """What a write made."""

    e_tag: str | None = None
    version: str | None = None


def _error(case: str, message: str) -> ObjectsError:
    kind = RETRYABLE if case in _TRANSIENT_CASES else PERMANENT
    return ObjectsError(f"{case}: {message}", kind=kind, case=case)


class ObjectBucket(Protocol):
    """A bucket as the host (or ``FakeHost``) serves it."""

    def get(self, path: str, range: tuple[int, int] | None, if_match: str | None,
            if_none_match: str | None) -> bytes: ...
    def open_read(self, path: str, range: tuple[int, int] | None) -> tuple[ObjectMeta, Any]: ...
    def put(self, path: str, data: bytes, mode: tuple[str, str | None],
            content_type: str | None) -> PutResult: ...
    def open_write(self, path: str, content_type: str | None) -> Any: ...
    def head(self, path: str) -> ObjectMeta: ...
    def list(self, prefix: str | None, start_after: str | None,
             max: int) -> tuple[list[ObjectMeta], str | None]: ...
    def delete(self, path: str) -> None: ...
    def copy(self, source: str, target: str, overwrite: bool) -> None: ...


class Storage:
    """Object storage through one connection (``ctx.storage(conn_id)``)."""

    def __init__(self, host: Any, conn_id: str) -> None:
        self._host = host
        self.conn_id = conn_id

    def bucket(self, name: str) -> Bucket:
        """The bucket ``name``, opened by the host with the connection's keys."""
        return Bucket(f"{self.conn_id}/{name}", self._host.objects_open(self.conn_id, name))


class Bucket:
    """A bucket; keys are ``/``-separated paths."""

    def __init__(self, name: str, bucket: ObjectBucket) -> None:
        self.name = name
        self._bucket = bucket

    def get(self, key: str, *, range: tuple[int, int] | None = None,
            if_match: str | None = None, if_none_match: str | None = None) -> bytes:
        """The object at ``key`` (bytes ``start`` to ``end``, exclusive, with ``range``). An
        object larger than the task's memory is refused (``Limit``): use ``open(key)``."""
        return self._bucket.get(key, range, if_match, if_none_match)

    def put(self, key: str, data: bytes | bytearray | memoryview | str, *,
            create: bool = False, if_match: str | None = None,
            content_type: str | None = None) -> PutResult:
        """Write ``data`` (``str`` as UTF-8) as the object at ``key``, in one request. With
        ``create``, only if no object has the key (else ``AlreadyExists``); with ``if_match``,
        only over the object of that entity tag (else ``Precondition``)."""
        if create and if_match is not None:
            raise ValueError("put: `create` and `if_match` exclude each other")
        body = data.encode() if isinstance(data, str) else bytes(data)
        mode = ("create", None) if create else ("update", if_match) if if_match else ("overwrite", None)
        return self._bucket.put(key, body, mode, content_type)

    def open(self, key: str, mode: str = "rb", *, content_type: str | None = None) -> Any:
        """A file object on the object at ``key``: ``"rb"`` reads it as a stream, ``"wb"``
        writes it in parts (it appears whole on ``close``, and not at all if the ``with``
        block raises)."""
        if mode == "rb":
            meta, reader = self._bucket.open_read(key, None)
            return io.BufferedReader(_ObjectReader(reader, meta), _READ_CHUNK)
        if mode == "wb":
            return ObjectWriter(self._bucket.open_write(key, content_type))
        raise ValueError(f"open: mode {mode!r} is not 'rb' or 'wb'")

    def head(self, key: str) -> ObjectMeta:
        """What the store knows of the object at ``key``."""
        return self._bucket.head(key)

    def exists(self, key: str) -> bool:
        """Whether an object has the key ``key``."""
        try:
            self._bucket.head(key)
        except ObjectsError as error:
            if error.case == "NotFound":
                return False
            raise
        return True

    def list(self, prefix: str = "") -> Iterator[ObjectMeta]:
        """Every object under ``prefix``'s segments (``a/b`` lists ``a/b/c``, not ``a/bc``),
        by key, fetched a page at a time."""
        start_after = None
        prefix_arg = prefix.rstrip("/") or None
        while True:
            objects, start_after = self._bucket.list(prefix_arg, start_after, _LIST_PAGE)
            yield from objects
            if start_after is None:
                return

    def delete(self, key: str) -> None:
        """Delete the object at ``key``; deleting one that does not exist succeeds."""
        self._bucket.delete(key)

    def copy(self, source: str, target: str, *, overwrite: bool = True) -> None:
        """Copy the object at ``source`` to ``target``."""
        self._bucket.copy(source, target, overwrite)


class _ObjectReader(io.RawIOBase):
    """An object's bytes as a raw stream, read from the host a chunk at a time; each chunk is
    handed out from where the last read stopped, never copied to drop what was read."""

    def __init__(self, reader: Any, meta: ObjectMeta) -> None:
        self.meta = meta
        self._reader = reader
        self._chunk = memoryview(b"")
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self, at_least: int) -> bool:
        """Whether bytes are pending, fetching the next chunk when none are."""
        if not self._chunk and not self._done:
            self._chunk = memoryview(self._reader.read(max(at_least, _READ_CHUNK)))
            self._done = not self._chunk
        return bool(self._chunk)

    def readinto(self, buffer: Any) -> int:
        if not self._next_chunk(len(buffer)):
            return 0
        n = min(len(buffer), len(self._chunk))
        buffer[:n] = self._chunk[:n]
        self._chunk = self._chunk[n:]
        return n

    def readall(self) -> bytes:
        parts = []
        while self._next_chunk(_READ_CHUNK):
            parts.append(self._chunk)
            self._chunk = memoryview(b"")
        return b"".join(parts)


class ObjectWriter:
    """An object being written (``bucket.open(key, "wb")``): it appears whole on ``close``,
    and not at all if the ``with`` block raises."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer
        self.result: PutResult | None = None

    def write(self, data: bytes | bytearray | memoryview | str) -> int:
        body = data.encode() if isinstance(data, str) else bytes(data)
        self._writer.write(body)
        return len(body)

    def close(self) -> PutResult:
        """Finish the object; what it made."""
        if self.result is None:
            self.result = self._writer.finish()
        return self.result

    def __enter__(self) -> ObjectWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if error is None:
            self.close()
        else:
            self._writer.abort()


@cap.context
def storage(self: Any, conn_id: str) -> Storage:
    """Object storage through the connection ``conn_id`` (type ``aws``), which the task
    declares; the host signs the requests, and the task never sees the keys."""
    return Storage(self._host, conn_id)


# --- inside a component: weft:dag/objects -----------------------------------------------------


def _call(action: str, call: Any) -> Any:
    try:
        return call()
    except Err as error:
        raise _error(_case(error.value, "ObjectsError_"), f"{action}: {error.value.value}") from error


def _meta(m: Any) -> ObjectMeta:
    return ObjectMeta(m.path, m.size, m.last_modified, m.e_tag, m.version)


def _get_options(range: tuple[int, int] | None, if_match: str | None = None,
                 if_none_match: str | None = None) -> Any:
    wit_range = None if range is None else _wobjects.ByteRange_Bounded((range[0], range[1]))
    return _wobjects.GetOptions(wit_range, if_match, if_none_match)


class _GuestReader:
    def __init__(self, reader: Any, name: str) -> None:
        self._reader = reader
        self._name = name

    def read(self, max: int) -> bytes:
        return _call(f"reading {self._name}", lambda: self._reader.read(min(max, 1 << 24)))


class _GuestWriter:
    def __init__(self, writer: Any, name: str) -> None:
        self._writer = writer
        self._name = name

    def write(self, data: bytes) -> None:
        _call(f"writing {self._name}", lambda: self._writer.write(data))

    def finish(self) -> PutResult:
        done = _call(f"finishing {self._name}", self._writer.finish)
        self._writer.__exit__(None, None, None)
        return PutResult(done.e_tag, done.version)

    def abort(self) -> None:
        self._writer.__exit__(None, None, None)  # dropped unfinished: the host aborts it


class _GuestBucket:
    """A ``weft:dag/objects`` bucket behind the SDK's ``ObjectBucket``."""

    def __init__(self, bucket: Any, name: str) -> None:
        self._bucket = bucket
        self._name = name

    def _at(self, key: str) -> str:
        return f"{key!r} in {self._name}"

    def get(self, path: str, range: tuple[int, int] | None, if_match: str | None,
            if_none_match: str | None) -> bytes:
        options = _get_options(range, if_match, if_none_match)
        return bytes(_call(f"get {self._at(path)}", lambda: self._bucket.get(path, options)))

    def open_read(self, path: str, range: tuple[int, int] | None) -> tuple[ObjectMeta, Any]:
        meta, reader = _call(f"open {self._at(path)}",
                             lambda: self._bucket.open_read(path, _get_options(range)))
        return _meta(meta), _GuestReader(reader, self._at(path))

    def put(self, path: str, data: bytes, mode: tuple[str, str | None],
            content_type: str | None) -> PutResult:
        wit_mode = {
            "overwrite": lambda _: _wobjects.PutMode_Overwrite(),
            "create": lambda _: _wobjects.PutMode_Create(),
            "update": _wobjects.PutMode_Update,
        }[mode[0]](mode[1])
        done = _call(f"put {self._at(path)}",
                     lambda: self._bucket.put(path, data, wit_mode, content_type))
        return PutResult(done.e_tag, done.version)

    def open_write(self, path: str, content_type: str | None) -> Any:
        writer = _call(f"open {self._at(path)} for writing",
                       lambda: self._bucket.open_write(path, content_type))
        return _GuestWriter(writer, self._at(path))

    def head(self, path: str) -> ObjectMeta:
        return _meta(_call(f"head {self._at(path)}", lambda: self._bucket.head(path)))

    def list(self, prefix: str | None, start_after: str | None,
             max: int) -> tuple[list[ObjectMeta], str | None]:
        page = _call(f"list {prefix or ''!r} in {self._name}",
                     lambda: self._bucket.list(prefix, start_after, max))
        return [_meta(m) for m in page.objects], page.next

    def delete(self, path: str) -> None:
        _call(f"delete {self._at(path)}", lambda: self._bucket.delete(path))

    def copy(self, source: str, target: str, overwrite: bool) -> None:
        _call(f"copy {self._at(source)} to {target!r}",
              lambda: self._bucket.copy(source, target, overwrite))


@cap.guest("objects_open")
def _guest_objects_open(conn_id: str, bucket: str) -> _GuestBucket:
    name = f"{conn_id}/{bucket}"
    return _GuestBucket(_call(f"opening bucket {name}", lambda: _wobjects.open(conn_id, bucket)), name)


# --- in unit tests ----------------------------------------------------------------------------

cap.fake_state(objects=dict)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _key(path: str) -> str:
    """``path`` as the store takes it, else ``InvalidPath``: the host's rule."""
    parts = path.strip("/").split("/")
    if not path.strip("/") or any(p in ("", ".", "..") for p in parts) or any(
        ord(c) < 32 for c in path
    ):
        raise _error("InvalidPath", f"{path!r} is not an object key")
    return "/".join(parts)


class _FakeBucket:
    """A bucket in ``FakeHost.objects``: keys to bytes, with the host's answers."""

    def __init__(self, objects: dict[str, bytes], name: str) -> None:
        self._objects = objects
        self._name = name
        self._meta: dict[str, ObjectMeta] = {}

    def _stat(self, key: str) -> ObjectMeta:
        data = self._objects[key]
        meta = self._meta.get(key)
        e_tag = f'"{hashlib.md5(data).hexdigest()}"'
        if meta is None or meta.e_tag != e_tag or meta.size != len(data):
            meta = ObjectMeta(key, len(data), _now(), e_tag)
            self._meta[key] = meta
        return meta

    def _existing(self, path: str) -> str:
        key = _key(path)
        if key not in self._objects:
            raise _error("NotFound", f"{path!r} in {self._name}: no such object")
        return key

    def get(self, path: str, range: tuple[int, int] | None, if_match: str | None,
            if_none_match: str | None) -> bytes:
        key = self._existing(path)
        e_tag = self._stat(key).e_tag
        if if_match is not None and if_match != e_tag:
            raise _error("Precondition", f"{path!r} in {self._name}: its entity tag is not the one given")
        if if_none_match is not None and if_none_match == e_tag:
            raise _error("NotModified", f"{path!r} in {self._name}: its entity tag is the one given")
        data = bytes(self._objects[key])
        return data if range is None else data[range[0]:range[1]]

    def open_read(self, path: str, range: tuple[int, int] | None) -> tuple[ObjectMeta, Any]:
        data = self.get(path, range, None, None)
        stream = io.BytesIO(data)
        return self._stat(_key(path)), stream

    def put(self, path: str, data: bytes, mode: tuple[str, str | None],
            content_type: str | None) -> PutResult:
        key = _key(path)
        if mode[0] == "create" and key in self._objects:
            raise _error("AlreadyExists", f"{path!r} in {self._name}: already exists")
        if mode[0] == "update" and (key not in self._objects or self._stat(key).e_tag != mode[1]):
            raise _error("Precondition", f"{path!r} in {self._name}: its entity tag is not the one given")
        self._objects[key] = bytes(data)
        return PutResult(self._stat(key).e_tag)

    def open_write(self, path: str, content_type: str | None) -> Any:
        return _FakeWriter(self, _key(path))

    def head(self, path: str) -> ObjectMeta:
        return self._stat(self._existing(path))

    def list(self, prefix: str | None, start_after: str | None,
             max: int) -> tuple[list[ObjectMeta], str | None]:
        under = "" if prefix is None else _key(prefix) + "/"
        keys = sorted(k for k in self._objects if k.startswith(under) and (start_after is None or k > start_after))
        page = [self._stat(k) for k in keys[:max]]
        return page, (page[-1].path if len(keys) > max else None)

    def delete(self, path: str) -> None:
        self._objects.pop(_key(path), None)

    def copy(self, source: str, target: str, overwrite: bool) -> None:
        data = self._objects[self._existing(source)]
        key = _key(target)
        if not overwrite and key in self._objects:
            raise _error("AlreadyExists", f"{target!r} in {self._name}: already exists")
        self._objects[key] = data


class _FakeWriter:
    def __init__(self, bucket: _FakeBucket, key: str) -> None:
        self._bucket = bucket
        self._key = key
        self._parts: list[bytes] | None = []

    def write(self, data: bytes) -> None:
        if self._parts is None:
            raise _error("State", f"{self._key!r}: the writer is finished")
        self._parts.append(bytes(data))

    def finish(self) -> PutResult:
        if self._parts is None:
            raise _error("State", f"{self._key!r}: the writer is finished")
        data, self._parts = b"".join(self._parts), None
        return self._bucket.put(self._key, data, ("overwrite", None), None)

    def abort(self) -> None:
        self._parts = None


@cap.fake("objects_open")
def _fake_objects_open(fake: Any, conn_id: str, bucket: str) -> _FakeBucket:
    declared = getattr(fake, "declared_connections", None)
    if declared is not None and conn_id not in declared:
        raise _error("NotDeclared", f"connection {conn_id!r} is not declared for this task")
    buckets = fake.objects.get(conn_id)
    if buckets is None:
        raise _error("NoConnection", f"connection {conn_id!r} does not exist")
    if bucket not in buckets:
        raise _error("Store", f"bucket {bucket!r} of {conn_id!r} does not exist")
    return _FakeBucket(buckets[bucket], f"{conn_id}/{bucket}")
