"""Outgoing HTTP from a task, in the manner of ``requests``: ``ctx.http.get(url)``.

Every request is checked by the host against the task's egress rules and the operator's; one
outside them fails with ``HttpError`` (code ``HttpRequestDenied``, permanent). Redirects are not
followed: each hop is a request the task makes, and the policy checks.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from .errors import PERMANENT, RETRYABLE, HttpError, milliseconds
from .host import Host, HttpReply, HttpRequest

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
