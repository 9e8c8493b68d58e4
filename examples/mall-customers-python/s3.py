"""Objects in an S3-compatible bucket, through a connection of type ``aws``: requests signed
with SigV4 by ``aws-request-signer`` (the project's one dependency, pure Python) and sent
through the host with ``ctx.http``, under the task's egress rules.

The connection gives the endpoint (``extra.endpoint_url``; else ``host``, with ``https://``
unless it names a scheme or ``extra.use_ssl`` is false, and ``port``), the access key
(``login``), the secret key (``password``), the region (``extra.region_name``, default
``us-east-1``) and the default bucket (``schema``). URLs are path-style
(``http://host:port/bucket/key``), which every S3-compatible server and IP endpoint accepts.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from aws_request_signer import AwsRequestSigner
from weft import Connection, HttpError, PermanentError, Response
from weft.http import Http, shown

#: Statuses S3 gives a request that another attempt would not mend.
_PERMANENT = frozenset({400, 403, 404, 405, 409, 411, 412, 413})


def endpoint_of(conn: Connection) -> str:
    """The connection's endpoint URL, without a trailing ``/``; a connection that names none,
    or not an http(s) one, fails the task for good."""
    extra = conn.extra_dejson
    url = extra.get("endpoint_url")
    if not url:
        if not conn.host:
            raise PermanentError(
                f"connection `{conn.conn_id}` has no endpoint: set `extra.endpoint_url` or `host` (and `port`)"
            )
        url = conn.host
        if "://" not in url:
            url = f"{'http' if extra.get('use_ssl') is False else 'https'}://{url}"
        if conn.port is not None:
            url = f"{url.rstrip('/')}:{conn.port}"
    parts = urlsplit(str(url))
    try:
        parts.port  # noqa: B018 -- a port that is not a number raises here
    except ValueError as error:
        raise PermanentError(f"connection `{conn.conn_id}`: the endpoint's port is not a number: {error}") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentError(
            f"connection `{conn.conn_id}`: endpoint `{shown(str(url))}` is not http://HOST[:PORT] or https://HOST[:PORT]"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


@dataclass(frozen=True)
class Bucket:
    """A bucket at an endpoint, and the signer of requests to it (`None`: anonymous)."""

    endpoint: str
    name: str
    signer: AwsRequestSigner | None

    @staticmethod
    def from_connection(conn: Connection, bucket: str | None = None) -> Bucket:
        """The bucket `bucket` (else the connection's ``schema``) at the connection's endpoint.
        A connection that names no usable endpoint, bucket or key pair fails the task for good."""
        endpoint = endpoint_of(conn)
        name = bucket or conn.schema
        if not name:
            raise PermanentError(f"no bucket: give `s3.bucket` in the run's conf or set `schema` on connection `{conn.conn_id}`")
        if bool(conn.login) != bool(conn.password):
            raise PermanentError(
                f"connection `{conn.conn_id}` has only one of `login` (access key) and `password` (secret key)"
            )
        signer = None
        if conn.login and conn.password:
            region = str(conn.extra_dejson.get("region_name") or "us-east-1")
            signer = AwsRequestSigner(region, conn.login, conn.password, "s3")
        return Bucket(endpoint, name, signer)

    def uri(self, key: str) -> str:
        """The object's ``s3://`` name."""
        return f"s3://{self.name}/{key}"

    def url(self, key: str) -> str:
        """The object's path-style URL, its key percent-encoded once, as SigV4 signs it."""
        return f"{self.endpoint}/{quote(self.name, safe='')}/{quote(key, safe='/')}"

    def get(self, http: Http, key: str, if_match: str | None = None) -> tuple[bytes, str | None]:
        """The object's bytes and ETag; with `if_match`, only while its ETag is that one."""
        url = self.url(key)
        headers = {"if-match": if_match} if if_match else {}
        response = http.get(url, headers={**headers, **self._sign("GET", url, b"", headers)})
        if response.status == 412:
            raise PermanentError(f"{self.uri(key)} changed since it was first read (its ETag is no longer {if_match})")
        _check(response, f"GET {self.uri(key)}")
        return response.content, response.headers.get("etag")

    def put(self, http: Http, key: str, body: bytes, content_type: str) -> None:
        """Store `body` as the object `key`, replacing any object of that name."""
        url = self.url(key)
        headers = {"content-type": content_type}
        response = http.put(url, headers={**headers, **self._sign("PUT", url, body, headers)}, data=body)
        _check(response, f"PUT {self.uri(key)}")

    def _sign(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        if self.signer is None:
            return {}
        return self.signer.sign_with_headers(method, url, headers, hashlib.sha256(body).hexdigest())


def _check(response: Response, what: str) -> None:
    """Nothing for a success; else an error naming S3's own code and message (``NoSuchKey``,
    ``SignatureDoesNotMatch``, ...), permanent when another attempt would meet it again."""
    if response.status < 400:
        return
    code = _element(response.text, "Code")
    message = _element(response.text, "Message")
    detail = f": {code}" + (f" ({message})" if message else "") if code else ""
    kind = "permanent" if response.status in _PERMANENT else "retryable"
    raise HttpError(f"{what} answered {response.status}{detail}", kind=kind, status=response.status)


def _element(xml: str, name: str) -> str | None:
    """The text of the first element `name` of an S3 error document, if any."""
    found = re.search(rf"<{name}>([^<]{{1,300}})</{name}>", xml)
    return found.group(1).strip() if found else None
