"""Outgoing HTTP from a task, in the manner of ``requests``: ``ctx.http.get(url)``.

Every request is checked by the host against the task's egress rules and the operator's; one
outside them fails with ``HttpError`` (code ``HttpRequestDenied``, permanent). Redirects are not
followed: each hop is a request the task makes, and the policy checks.

The capability: ``ctx.http``, over the host call ``http_send`` (wasi:http's outgoing handler
inside a component). ``FakeHost`` has no fake network: its ``http`` (a function of an
``HttpRequest`` to an ``HttpReply``) answers, and without it every request is denied.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from ._capability import Capability, Err, Ok, bindings, case
from .errors import PERMANENT, RETRYABLE, HttpError, milliseconds
from .host import Host

__all__ = ["Response"]

cap = Capability(__name__)
_handler = bindings("outgoing_handler")
_whttp = bindings("wasi_http_types")
_streams = bindings("streams")


@dataclass(frozen=True)
class HttpRequest:
    """An outgoing request: an absolute ``http``/``https`` URL, headers as pairs, a body."""

    method: str
    url: str
    headers: tuple[tuple[str, bytes], ...]
    body: bytes | None
    timeout_ms: int | None


@dataclass(frozen=True)
class HttpReply:
    """What came back: the status, the headers as pairs, the whole body."""

    status: int
    headers: tuple[tuple[str, bytes], ...]
    body: bytes


def shown(url: str) -> str:
    """``url`` as errors show it: without its query and any user or password, where a secret
    (a token in a parameter, percent-encoded past the host's masking) could be."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}" + ("?..." if parts.query else "")


#: Error statuses another attempt may not meet again: the request itself is wrong.
_PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 409, 410, 411, 413, 414, 415, 422})


class Response:
    """A response read to its end."""

    def __init__(self, url: str, reply: HttpReply) -> None:
        self.url = url
        self.status = reply.status
        self.headers = {name.lower(): value.decode("latin-1") for name, value in reply.headers}
        self.content = reply.body

    @property
    def status_code(self) -> int:
        """The status, by ``requests``' name."""
        return self.status

    @property
    def ok(self) -> bool:
        """Whether the status is below 400."""
        return self.status < 400

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; a body that is not JSON fails the task permanently."""
        try:
            return jsonlib.loads(self.content)
        except ValueError as error:
            raise HttpError(
                f"the response of {shown(self.url)} is not JSON: {error}",
                kind=PERMANENT,
                status=self.status,
            ) from error

    def raise_for_status(self) -> Response:
        """This response, unless its status is 400 or more: then an ``HttpError``, permanent
        for a request the server refuses as wrong (400, 404, ...) and retryable otherwise
        (429, 5xx, ...)."""
        if self.status >= 400:
            kind = PERMANENT if self.status in _PERMANENT_STATUSES else RETRYABLE
            raise HttpError(f"{shown(self.url)} answered {self.status}", kind=kind, status=self.status)
        return self

    def __repr__(self) -> str:
        return f"<Response [{self.status}] {shown(self.url)}>"


class Http:
    """Requests through the host."""

    def __init__(self, host: Host) -> None:
        self._host = host

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | str | None = None,
        json: Any = None,
        timeout: timedelta | float | None = None,
    ) -> Response:
        """Send ``method`` to ``url`` and read the whole response. ``params`` are added to the
        query; ``json`` is sent as a JSON body; ``timeout`` bounds the wait for each of the
        connection and the first byte."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise HttpError(f"not an absolute http or https URL: {shown(url)!r}", kind=PERMANENT)
        if params:
            url += ("&" if parts.query else "?") + urlencode(params, doseq=True)
        pairs = [(name, str(value).encode("latin-1")) for name, value in (headers or {}).items()]
        if json is not None:
            if data is not None:
                raise ValueError("give data or json, not both")
            data = jsonlib.dumps(json, separators=(",", ":"))
            if not any(name.lower() == "content-type" for name, _ in pairs):
                pairs.append(("content-type", b"application/json"))
        body = data.encode("utf-8") if isinstance(data, str) else data
        # A body of known length is declared, not chunked: some servers (S3 among them) refuse
        # a request body without a Content-Length.
        if body is not None and not any(name.lower() == "content-length" for name, _ in pairs):
            pairs.append(("content-length", str(len(body)).encode("ascii")))
        request = HttpRequest(
            method=method.upper(),
            url=url,
            headers=tuple(pairs),
            body=body,
            timeout_ms=None if timeout is None else milliseconds(timeout, "timeout"),
        )
        return Response(url, self._host.http_send(request))

    def get(self, url: str, **kwargs: Any) -> Response:
        """``GET url``."""
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> Response:
        """``HEAD url``."""
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        """``POST url``."""
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Response:
        """``PUT url``."""
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Response:
        """``PATCH url``."""
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Response:
        """``DELETE url``."""
        return self.request("DELETE", url, **kwargs)


@cap.context  # type: ignore[misc]
@property
def http(self: Any) -> Http:
    """Outgoing HTTP under the egress policy (``ctx.http.get(url)``)."""
    return Http(self._host)


# --- inside a component: wasi:http ------------------------------------------------------------

#: Host error codes another attempt would meet again: refusals and malformed requests.
_REFUSALS = (
    ()
    if _whttp is None
    else (
        _whttp.ErrorCode_HttpRequestDenied,
        _whttp.ErrorCode_DestinationIpProhibited,
        _whttp.ErrorCode_HttpRequestUriInvalid,
        _whttp.ErrorCode_HttpRequestMethodInvalid,
    )
)


def _error(code: Any, request: HttpRequest) -> HttpError:
    name = case(code, "ErrorCode_")
    detail = getattr(code, "value", None)
    message = f"{request.method} {shown(request.url)} failed: {name}" + (
        f" ({detail})" if detail is not None else ""
    )
    kind = PERMANENT if isinstance(code, _REFUSALS) else RETRYABLE
    return HttpError(message, kind=kind, code=name)


#: Bytes asked of a body stream at a time, and written to one (wasi:io's most per write).
_READ_SIZE = 64 * 1024
_WRITE_SIZE = 4096
#: Nanoseconds per millisecond, for wasi:http's durations.
_NS_PER_MS = 1_000_000


@cap.guest("http_send")
def _guest_http_send(request: HttpRequest) -> HttpReply:
    """Send ``request`` under the egress policy and read the whole response."""
    outgoing = _outgoing(request)
    body = outgoing.body() if request.body is not None else None
    options = None
    if request.timeout_ms is not None:
        options = _whttp.RequestOptions()
        options.set_connect_timeout(request.timeout_ms * _NS_PER_MS)
        options.set_first_byte_timeout(request.timeout_ms * _NS_PER_MS)
        options.set_between_bytes_timeout(request.timeout_ms * _NS_PER_MS)
    try:
        future = _handler.handle(outgoing, options)
    except Err as error:  # refused before it left, e.g. HttpRequestDenied
        raise _error(error.value, request) from error
    if body is not None and request.body is not None:
        _write_body(body, request.body, request)
    with future:
        with future.subscribe() as ready:
            ready.block()
        outcome = future.get()
    match outcome:
        case Ok(Ok(response)):
            with response:
                status = response.status()
                with response.headers() as fields:
                    headers = tuple(fields.entries())
                return HttpReply(status, headers, _read_body(response, request))
        case Ok(Err(code)):
            raise _error(code, request)
    raise HttpError(f"{request.method} {shown(request.url)}: no response", kind=RETRYABLE)


_METHODS = {} if _whttp is None else {
    "GET": _whttp.Method_Get,
    "HEAD": _whttp.Method_Head,
    "POST": _whttp.Method_Post,
    "PUT": _whttp.Method_Put,
    "DELETE": _whttp.Method_Delete,
    "OPTIONS": _whttp.Method_Options,
    "PATCH": _whttp.Method_Patch,
}


def _outgoing(request: HttpRequest) -> Any:
    """The wasi:http request for ``request``."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    method = _METHODS.get(request.method)
    try:
        outgoing = _whttp.OutgoingRequest(_whttp.Fields.from_list(list(request.headers)))
        outgoing.set_method(method() if method else _whttp.Method_Other(request.method))
        outgoing.set_scheme(_whttp.Scheme_Https() if parts.scheme == "https" else _whttp.Scheme_Http())
        outgoing.set_authority(parts.netloc)
        outgoing.set_path_with_query(target)
    except Err as error:  # a header, method or target wasi:http refuses
        raise HttpError(
            f"{request.method} {shown(request.url)}: not a valid request: {error.value!r}",
            kind=PERMANENT,
        ) from error
    return outgoing


def _write_body(body: Any, data: bytes, request: HttpRequest) -> None:
    """Write ``data`` to the outgoing body and finish it."""
    with body.write() as stream:
        for start in range(0, len(data), _WRITE_SIZE):
            try:
                stream.blocking_write_and_flush(data[start : start + _WRITE_SIZE])
            except Err as error:
                raise HttpError(
                    f"{request.method} {shown(request.url)}: sending the body failed", kind=RETRYABLE
                ) from error
    try:
        _whttp.OutgoingBody.finish(body, None)
    except Err as error:  # the body does not match its Content-Length, say
        raise _error(error.value, request) from error


def _read_body(response: Any, request: HttpRequest) -> bytes:
    """Read the response's body to its end."""
    chunks = []
    with response.consume() as body, body.stream() as stream:
        while True:
            try:
                chunks.append(stream.blocking_read(_READ_SIZE))
            except Err as error:
                failure = error.value
                if isinstance(failure, _streams.StreamError_Closed):
                    break
                code = _whttp.http_error_code(failure.value)
                if code is not None:
                    raise _error(code, request) from error
                reason = failure.value.to_debug_string()
                raise HttpError(f"{request.method} {shown(request.url)}: {reason}", kind=RETRYABLE) from error
    return b"".join(chunks)


# --- in unit tests ----------------------------------------------------------------------------

cap.fake_state(http=lambda: None)


@cap.fake("http_send")
def _fake_http_send(fake: Any, request: HttpRequest) -> HttpReply:
    if fake.http is None:
        raise HttpError(f"{request.method} {request.url} failed: HttpRequestDenied", kind=PERMANENT, code="HttpRequestDenied")
    return fake.http(request)
